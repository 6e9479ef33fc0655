"""Keys from a JSON Web Key Set (RFC 7517): given by the caller, or fetched from a URL.

A JWKS key is trusted because the caller named the set (a URL they configured, or a
document they passed); a key carried inside a token (``jwk``, ``jku``, ``x5u``) never is.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from .._algorithms import describe_key
from .._exceptions import BayidentError, InvalidArgument
from .._http import Answer, HttpProblem, Reading, afetch, fetch
from ._b64 import B64Error, b64url_decode
from ._json import JSONError, loads_object

__all__ = ["JWKSFetchError", "JWKSResolver", "JWKSet", "JsonWebKey", "KeyLookup"]

# Member names that only private or symmetric keys have (RFC 7518 §6.2.2, §6.3.2, §6.4).
_PRIVATE = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")
_EC_CURVES = {"P-256": 32, "P-384": 48, "P-521": 66}
_OKP_CURVES = {"Ed25519": 32, "Ed448": 57}
MAX_KEYS = 100
DEFAULT_MAX_BYTES = 256 * 1024


class JWKError(ValueError):
    """One JWK that cannot be used; the message says why."""


class JWKSFetchError(BayidentError, OSError):
    """The JWKS could not be fetched or read."""


@dataclass(frozen=True)
class JsonWebKey:
    """One public signature key from a JWKS."""

    kid: str | None
    kty: str
    alg: str | None
    key: Any = field(repr=False)
    spki_der: bytes = field(repr=False)
    description: str
    source: str

    def describe(self) -> str:
        """E.g. "key 'k1' (EC-secp256r1) from JWKS https://issuer.test/jwks"."""
        name = f"key {self.kid!r}" if self.kid is not None else "key without kid"
        return f"{name} ({self.description}) from {self.source}"


def _b64_member(jwk: Mapping[str, Any], name: str, where: str) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise JWKError(f"{where}: member {name!r} is missing or not a string")
    try:
        return b64url_decode(value, f"{where}.{name}")
    except B64Error as exc:
        raise JWKError(str(exc)) from None


def parse_jwk(jwk: Mapping[str, Any], where: str, source: str) -> JsonWebKey:
    """A public signature key from one JWK object, strictly (raises :class:`JWKError`)."""
    if not isinstance(jwk, Mapping):
        raise JWKError(f"{where} is not a JSON object")
    kty = jwk.get("kty")
    kid = jwk.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise JWKError(f"{where}: kid must be a string")
    if kty == "oct":
        raise JWKError(f"{where}: symmetric (oct) keys are never used (RFC 8725 §3.1)")
    private = [m for m in _PRIVATE if m in jwk]
    if private:
        raise JWKError(
            f"{where} ({'kid ' + repr(kid) if kid else 'no kid'}) holds private or secret key "
            f"material ({', '.join(private)}); a JWKS for verification publishes public keys "
            "only (RFC 7517 §4, RFC 8725 §3.1)"
        )
    use = jwk.get("use")
    if use is not None and use != "sig":
        raise JWKError(f"{where}: use is {use!r}, not 'sig' (RFC 7517 §4.2)")
    ops = jwk.get("key_ops")
    if ops is not None and (not isinstance(ops, list) or "verify" not in ops):
        raise JWKError(f"{where}: key_ops {ops!r} does not include 'verify' (RFC 7517 §4.3)")
    alg = jwk.get("alg")
    if alg is not None and not isinstance(alg, str):
        raise JWKError(f"{where}: alg must be a string")
    members = dict(jwk)
    key: Any
    try:
        if kty == "RSA":
            _b64_member(jwk, "n", where)
            _b64_member(jwk, "e", where)
            key = RSAAlgorithm.from_jwk(members)
        elif kty == "EC":
            crv = jwk.get("crv")
            if crv not in _EC_CURVES:
                raise JWKError(f"{where}: EC curve {crv!r} is not one of P-256, P-384, P-521")
            for m in ("x", "y"):
                if len(_b64_member(jwk, m, where)) != _EC_CURVES[crv]:
                    raise JWKError(
                        f"{where}: {m} is not {_EC_CURVES[crv]} octets for {crv} "
                        "(RFC 7518 §6.2.1.2)"
                    )
            key = ECAlgorithm.from_jwk(members)
        elif kty == "OKP":
            crv = jwk.get("crv")
            if crv not in _OKP_CURVES:
                raise JWKError(
                    f"{where}: OKP curve {crv!r} is not a signature curve "
                    "(Ed25519, Ed448; RFC 8037 §2)"
                )
            if len(_b64_member(jwk, "x", where)) != _OKP_CURVES[crv]:
                raise JWKError(f"{where}: x is not {_OKP_CURVES[crv]} octets for {crv}")
            key = OKPAlgorithm.from_jwk(members)
        else:
            raise JWKError(f"{where}: kty {kty!r} is not RSA, EC or OKP")
    except JWKError:
        raise
    except Exception as exc:  # PyJWT's InvalidKeyError, cryptography's ValueError
        raise JWKError(f"{where}: not a usable {kty} public key: {exc}") from None
    if not hasattr(key, "public_bytes"):
        raise JWKError(f"{where}: not a public key")
    spki = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return JsonWebKey(
        kid=kid,
        kty=str(kty),
        alg=alg,
        key=key,
        spki_der=spki,
        description=describe_key(key),
        source=source,
    )


def parse_jwks(
    doc: Mapping[str, Any], source: str
) -> tuple[tuple[JsonWebKey, ...], tuple[str, ...]]:
    """The usable keys of a JWKS document and a note for each key left out."""
    if not isinstance(doc, Mapping):
        raise JWKError(f"{source}: a JWKS is a JSON object")
    if "keys" not in doc and "kty" in doc:
        doc = {"keys": [doc]}  # one bare JWK
    keys = doc.get("keys")
    if not isinstance(keys, list):
        raise JWKError(f"{source}: no 'keys' array (RFC 7517 §5)")
    if len(keys) > MAX_KEYS:
        raise JWKError(f"{source} holds {len(keys)} keys, over the limit of {MAX_KEYS}")
    out: list[JsonWebKey] = []
    notes: list[str] = []
    for i, item in enumerate(keys):
        try:
            out.append(parse_jwk(item, f"keys[{i}]", source))
        except JWKError as exc:
            notes.append(str(exc))
    return tuple(out), tuple(notes)


@dataclass(frozen=True)
class KeyLookup:
    """What a key set answered for one ``kid``."""

    keys: tuple[JsonWebKey, ...]
    source: str
    error: str | None = None  # the set could not be had (fetch failed): try later
    notes: tuple[str, ...] = ()


class JWKSet:
    """A fixed JWKS given by the caller (a ``{"keys": [...]}`` document or one JWK).

    Keys that cannot be used for verification (private, symmetric, encryption-only,
    malformed) are left out; :attr:`notes` says why. A document that is not a JWKS at
    all raises :class:`bayident.InvalidArgument`.
    """

    def __init__(self, document: Mapping[str, Any], *, source: str = "the JWKS given") -> None:
        try:
            self.keys, self.notes = parse_jwks(document, source)
        except JWKError as exc:
            raise InvalidArgument(f"jwks: {exc}") from None
        self.source = source

    def lookup(self, kid: str | None) -> KeyLookup:
        """The keys with this ``kid`` (all keys when ``kid`` is None)."""
        found = self.keys if kid is None else tuple(k for k in self.keys if k.kid == kid)
        return KeyLookup(found, self.source, notes=self.notes)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _seconds(value: float | Any, name: str) -> float:
    seconds = value.total_seconds() if hasattr(value, "total_seconds") else value
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
        raise InvalidArgument(f"{name} must be a non-negative number of seconds or a timedelta")
    return float(seconds)


class JWKSResolver:
    """Fetches a JWKS from a URL the caller configured, with a cache.

    Keys are kept for ``cache_ttl`` seconds after a successful fetch; after that the
    next look-up fetches again, and fails (``TRY_LATER``) if the fetch does. A ``kid``
    not in the cached set makes one re-fetch (key rotation), at most once every
    ``min_refetch_interval`` seconds, so unknown-``kid`` tokens cannot make bayident
    hammer the endpoint. Thread-safe; works from sync and async code.

    ``url`` must be ``https``, or ``http`` on a loopback address (tests). Redirects are
    not followed. ``client`` / ``async_client`` are httpx clients to use (proxies, mock
    transports); without them a short-lived client with ``timeout`` is made per fetch.
    ``clock`` returns seconds (default ``time.monotonic``), for tests.
    """

    def __init__(
        self,
        url: str,
        client: httpx.Client | None = None,
        *,
        async_client: httpx.AsyncClient | None = None,
        min_refetch_interval: float | Any = 60.0,
        cache_ttl: float | Any = 600.0,
        timeout: float = 5.0,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if not isinstance(url, str):
            raise InvalidArgument(f"url must be a str, not {type(url).__name__}")
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError) as exc:
            raise InvalidArgument(f"url {url!r} is not a URL: {exc}") from None
        if parsed.scheme == "http" and not _loopback(parsed.host):
            raise InvalidArgument(
                f"url {url!r}: a JWKS must be fetched over https (http only on loopback)"
            )
        if parsed.scheme not in ("https", "http"):
            raise InvalidArgument(f"url {url!r}: scheme must be https")
        if client is not None and not isinstance(client, httpx.Client):
            raise InvalidArgument("client must be an httpx.Client")
        if async_client is not None and not isinstance(async_client, httpx.AsyncClient):
            raise InvalidArgument("async_client must be an httpx.AsyncClient")
        self.url = url
        self.source = f"JWKS {url}"
        self.client = client
        self.async_client = async_client
        self.min_refetch_interval = _seconds(min_refetch_interval, "min_refetch_interval")
        self.cache_ttl = _seconds(cache_ttl, "cache_ttl")
        self.timeout = _seconds(timeout, "timeout")
        self.max_bytes = int(max_bytes)
        self._clock = clock or time.monotonic
        self._lock = threading.Lock()
        self._keys: tuple[JsonWebKey, ...] = ()
        self._notes: tuple[str, ...] = ()
        self._fetched_at: float | None = None
        self._attempt_at: float | None = None
        self._error: str | None = None
        self.fetch_count = 0
        # bayident.fleet: a JWKS document another process of the fleet fetched.
        self.shared: Any = None

    # --- cache decisions -------------------------------------------------------
    def _plan(self, kid: str | None) -> tuple[KeyLookup | None, bool]:
        """(answer, whether to fetch first); called with the lock held."""
        now = self._clock()
        fresh = self._fetched_at is not None and now - self._fetched_at < self.cache_ttl
        recent = self._attempt_at is not None and now - self._attempt_at < self.min_refetch_interval
        if fresh:
            found = self._match(kid)
            if found.keys or recent:
                return found, False
            return None, True
        if recent and self._error is not None:
            return KeyLookup((), self.source, error=self._error), False
        return None, True

    def _match(self, kid: str | None) -> KeyLookup:
        keys = self._keys if kid is None else tuple(k for k in self._keys if k.kid == kid)
        return KeyLookup(keys, self.source, notes=self._notes)

    def _begin(self) -> None:
        with self._lock:
            self._attempt_at = self._clock()
            self.fetch_count += 1

    def _store(self, body: bytes | None, error: str | None) -> None:
        keys: tuple[JsonWebKey, ...] = ()
        notes: tuple[str, ...] = ()
        if body is not None:
            try:
                doc = loads_object(body, self.source, self.max_bytes)
                keys, notes = parse_jwks(doc, self.source)
            except (JSONError, JWKError) as exc:
                error = str(exc)
        with self._lock:
            if error is None:
                self._keys, self._notes = keys, notes
                self._fetched_at = self._clock()
                self._error = None
            else:
                self._error = error

    def _after_fetch(self, kid: str | None) -> KeyLookup:
        with self._lock:
            now = self._clock()
            fresh = self._fetched_at is not None and now - self._fetched_at < self.cache_ttl
            if self._error is not None and not fresh:
                return KeyLookup((), self.source, error=self._error)
            found = self._match(kid)
            if self._error is not None:
                # A re-fetch for an unknown kid failed; the cached set still holds.
                return KeyLookup(found.keys, self.source, notes=(*found.notes, self._error))
            return found

    # --- fetching: one GET, no redirects (RFC 8725 §3.10), bounded ----------------
    def _request(self) -> httpx.Request:
        return httpx.Request(
            "GET", self.url, headers={"Accept": "application/jwk-set+json, application/json"}
        )

    def _reading(self) -> Reading:
        return Reading(
            limit=self.max_bytes, timeout=self.timeout, what=self.source, follow_redirects=False
        )

    def _read(self, answer: Answer) -> tuple[bytes | None, str | None]:
        if answer.status != 200:
            hint = " (redirects are not followed)" if 300 <= answer.status < 400 else ""
            return None, f"{self.source} answered HTTP {answer.status}{hint}"
        return answer.body, None

    def _failed(self, exc: HttpProblem) -> str:
        if exc.problem == "too-large":
            return exc.reason
        return f"{self.source} could not be fetched: {exc.reason}"

    # --- sync ------------------------------------------------------------------
    def lookup(self, kid: str | None, *, client: httpx.Client | None = None) -> KeyLookup:
        """The keys for ``kid``, fetching the set when the cache says so."""
        with self._lock:
            answer, fetch = self._plan(kid)
        if not fetch:
            assert answer is not None
            return answer
        self._fetch_sync(client)
        return self._after_fetch(kid)

    def refresh(self, *, client: httpx.Client | None = None) -> None:
        """Fetch the set now; raises :class:`JWKSFetchError` when that fails."""
        self._fetch_sync(client)
        with self._lock:
            if self._error is not None:
                raise JWKSFetchError(self._error)

    def _fetch_sync(self, client: httpx.Client | None) -> None:
        if self.shared is not None and self.shared.take():
            return
        self._begin()
        try:
            body, error = self._read(fetch(self.client or client, self._request(), self._reading()))
        except HttpProblem as exc:
            body, error = None, self._failed(exc)
        self._store(body, error)
        if self.shared is not None:
            self.shared.give(body, error)

    # --- async -----------------------------------------------------------------
    async def alookup(
        self, kid: str | None, *, client: httpx.AsyncClient | None = None
    ) -> KeyLookup:
        """Asynchronous :meth:`lookup`."""
        with self._lock:
            answer, fetch = self._plan(kid)
        if not fetch:
            assert answer is not None
            return answer
        await self._fetch_async(client)
        return self._after_fetch(kid)

    async def arefresh(self, *, client: httpx.AsyncClient | None = None) -> None:
        """Asynchronous :meth:`refresh`."""
        await self._fetch_async(client)
        with self._lock:
            if self._error is not None:
                raise JWKSFetchError(self._error)

    async def _fetch_async(self, client: httpx.AsyncClient | None) -> None:
        if self.shared is not None and self.shared.take():
            return
        self._begin()
        try:
            answer = await afetch(self.async_client or client, self._request(), self._reading())
            body, error = self._read(answer)
        except HttpProblem as exc:
            body, error = None, self._failed(exc)
        self._store(body, error)
        if self.shared is not None:
            self.shared.give(body, error)

    @property
    def keys(self) -> tuple[JsonWebKey, ...]:
        """The keys of the last successful fetch (possibly expired)."""
        with self._lock:
            return self._keys

    def __repr__(self) -> str:
        return f"JWKSResolver({self.url!r}, keys={len(self._keys)}, fetches={self.fetch_count})"


def coerce_jwks(jwks: object) -> JWKSet | JWKSResolver | None:
    """The ``jwks=`` argument as a key set: None, a resolver, a :class:`JWKSet` or a dict."""
    if jwks is None or isinstance(jwks, (JWKSet, JWKSResolver)):
        return jwks
    if isinstance(jwks, Mapping):
        return JWKSet(jwks)
    raise InvalidArgument(
        f"jwks must be a JWKSResolver, a JWKSet or a JWKS dict, not {type(jwks).__name__}"
    )
