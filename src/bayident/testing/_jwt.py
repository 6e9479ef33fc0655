"""A mock JWT issuer: signing keys, a JWKS (in-process or on a real local HTTP server),
JWTs and detached JWS, for testing code that uses :mod:`bayident.jose`::

    issuer = MockJWTIssuer("https://issuer.test")
    token = issuer.issue({"sub": "user-1"}, audience="my-service")
    client = httpx.Client(transport=issuer.mock_transport())
    keys = JWKSResolver(issuer.jwks_url, client)

    with issuer.serve() as server:          # http://127.0.0.1:PORT/.well-known/jwks.json
        keys = JWKSResolver(server.url)
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from jwt.algorithms import Algorithm, ECAlgorithm, OKPAlgorithm, RSAAlgorithm, RSAPSSAlgorithm

from bayident._exceptions import InvalidArgument
from bayident.testing._ca import MockCA, MockSigner, _generate_key
from bayident.testing._clock import Clock
from bayident.testing._cms import SigningKey

__all__ = ["IssuerKeyType", "JWKSServer", "MockJWTIssuer", "merge_signatures"]

IssuerKeyType = Literal["ec", "ec-p384", "ec-p521", "rsa", "rsa-pss", "ed25519", "ed448"]
Serialization = Literal["compact", "json", "json-general"]

_DEFAULT_ALG = {
    "ec": "ES256",
    "ec-p384": "ES384",
    "ec-p521": "ES512",
    "rsa": "RS256",
    "rsa-pss": "PS256",
    "ed25519": "EdDSA",
    "ed448": "EdDSA",
}
_HASH = {"256": ECAlgorithm.SHA256, "384": ECAlgorithm.SHA384, "512": ECAlgorithm.SHA512}


def _b64(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _implementation(alg: str) -> Algorithm:
    if alg.startswith("RS"):
        return RSAAlgorithm(_HASH[alg[2:]])
    if alg.startswith("PS"):
        return RSAPSSAlgorithm(_HASH[alg[2:]])
    if alg.startswith("ES"):
        return ECAlgorithm(_HASH[alg[2:]])
    if alg in ("EdDSA", "Ed25519", "Ed448"):
        return OKPAlgorithm()
    raise InvalidArgument(f"alg: {alg!r} is not a signature algorithm the mock issuer makes")


def public_jwk(key: Any) -> dict[str, Any]:
    """The public JWK of a private or public key (RSA, EC, Ed25519, Ed448)."""
    pub = key.public_key() if hasattr(key, "private_bytes") else key
    if isinstance(pub, rsa.RSAPublicKey):
        return RSAAlgorithm.to_jwk(pub, as_dict=True)
    if isinstance(pub, ec.EllipticCurvePublicKey):
        return ECAlgorithm.to_jwk(pub, as_dict=True)
    if isinstance(pub, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
        return OKPAlgorithm.to_jwk(pub, as_dict=True)
    raise InvalidArgument(f"no JWK form for {type(pub).__name__}")


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 JWK thumbprint (SHA-256), base64url."""
    required = {
        "RSA": ("e", "kty", "n"),
        "EC": ("crv", "kty", "x", "y"),
        "OKP": ("crv", "kty", "x"),
    }[jwk["kty"]]
    canonical = json.dumps({k: jwk[k] for k in required}, separators=(",", ":"), sort_keys=True)
    return _b64(hashlib.sha256(canonical.encode("utf-8")).digest())


@dataclass
class _Key:
    kid: str
    private_key: Any
    alg: str
    chain: list[x509.Certificate] | None
    retire_at: datetime | None = None


class MockJWTIssuer:
    """An issuer of JWTs and detached JWS with rotating keys and a JWKS endpoint.

    Args:
        issuer: the ``iss`` value and the base of :attr:`jwks_url`.
        key_type: ``ec`` (ES256), ``ec-p384``, ``ec-p521``, ``rsa`` (RS256), ``rsa-pss``
            (PS256), ``ed25519`` or ``ed448`` (EdDSA).
        clock: sets ``iat``/``exp`` and grace periods (default real time).
        ca: when given, each key gets a certificate from this CA, so tokens can carry an
            ``x5c`` chain (``x5c=True``).
        grace: how long a rotated-out key stays in the JWKS by default.
        private_key, chain: start with this key (and certificate chain) instead of a new one.
    """

    def __init__(
        self,
        issuer: str = "https://issuer.test",
        key_type: IssuerKeyType = "ec",
        *,
        key_size: int = 2048,
        clock: Clock | None = None,
        ca: MockCA | None = None,
        jwks_path: str = "/.well-known/jwks.json",
        grace: timedelta = timedelta(hours=1),
        private_key: SigningKey | None = None,
        chain: Sequence[x509.Certificate] | None = None,
    ) -> None:
        if key_type not in _DEFAULT_ALG:
            raise InvalidArgument(
                f"key_type: expected one of {', '.join(_DEFAULT_ALG)}, got {key_type!r}"
            )
        if not jwks_path.startswith("/"):
            raise InvalidArgument("jwks_path must start with '/'")
        self.issuer = issuer
        self.key_type = key_type
        self.key_size = key_size
        self.clock = clock
        self.ca = ca
        self.jwks_path = jwks_path
        self.grace = grace
        self.requests = 0
        self._lock = threading.Lock()
        self._keys: list[_Key] = []
        if private_key is not None:
            kid = thumbprint(public_jwk(private_key))
            chain_list = list(chain) if chain is not None else None
            self._keys.append(_Key(kid, private_key, _DEFAULT_ALG[key_type], chain_list))
        else:
            self._add_key()

    @classmethod
    def from_signer(
        cls, signer: MockSigner, issuer: str = "https://issuer.test", *, clock: Clock | None = None
    ) -> MockJWTIssuer:
        """An issuer whose only key is ``signer``'s, with its certificate chain for ``x5c``."""
        key = signer.private_key
        kind: IssuerKeyType
        if isinstance(key, rsa.RSAPrivateKey):
            kind = "rsa"
        elif isinstance(key, ed25519.Ed25519PrivateKey):
            kind = "ed25519"
        elif isinstance(key, ed448.Ed448PrivateKey):
            kind = "ed448"
        elif isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1":
            kind = "ec"
        elif isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp384r1":
            kind = "ec-p384"
        elif isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp521r1":
            kind = "ec-p521"
        else:
            raise InvalidArgument("signer: its key has no JOSE signature algorithm")
        return cls(
            issuer,
            kind,
            clock=clock or signer.issuer.clock,
            private_key=key,
            chain=signer.chain,
        )

    # --- keys ------------------------------------------------------------------------
    def _now(self) -> datetime:
        return self.clock.now() if self.clock is not None else datetime.now(UTC)

    def _add_key(self) -> _Key:
        kind = "rsa" if self.key_type == "rsa-pss" else self.key_type
        key = _generate_key(kind, self.key_size)
        kid = thumbprint(public_jwk(key))
        chain = None
        if self.ca is not None:
            signer = self.ca.issue_signer(f"{self.issuer} signing key {kid[:8]}", private_key=key)
            chain = signer.chain
        entry = _Key(kid, key, _DEFAULT_ALG[self.key_type], chain)
        with self._lock:
            self._keys.append(entry)
        return entry

    @property
    def current(self) -> _Key:
        """The key new tokens are signed with."""
        with self._lock:
            return self._keys[-1]

    @property
    def kid(self) -> str:
        """The ``kid`` of the current key (its RFC 7638 thumbprint)."""
        return self.current.kid

    @property
    def private_key(self) -> Any:
        """The current private key."""
        return self.current.private_key

    @property
    def certificate_chain(self) -> list[x509.Certificate]:
        """The current key's certificate then intermediates (needs ``ca=`` or from_signer)."""
        chain = self.current.chain
        if chain is None:
            raise InvalidArgument("this issuer has no certificates: create it with ca=...")
        return list(chain)

    def rotate(self, *, keep_old: bool = True, grace: timedelta | None = None) -> str:
        """Make a new current key; the old one stays in the JWKS for ``grace`` unless
        ``keep_old`` is False. Returns the new ``kid``."""
        until = self._now() + (grace if grace is not None else self.grace)
        with self._lock:
            for k in self._keys:
                if k.retire_at is None:
                    k.retire_at = until
            if not keep_old:
                self._keys.clear()
        return self._add_key().kid

    def retire(self, kid: str) -> None:
        """Remove a key from the JWKS now."""
        with self._lock:
            self._keys = [k for k in self._keys if k.kid != kid or k is self._keys[-1]]

    @property
    def jwks(self) -> dict[str, Any]:
        """The JWKS document: the current key and keys still in their grace period."""
        now = self._now()
        with self._lock:
            live = [k for k in self._keys if k.retire_at is None or now < k.retire_at]
        keys = []
        for k in live:
            jwk = public_jwk(k.private_key)
            jwk.update(kid=k.kid, use="sig", alg=k.alg)
            keys.append(jwk)
        return {"keys": keys}

    @property
    def jwks_url(self) -> str:
        """Where :meth:`mock_transport` serves the JWKS."""
        return self.issuer.rstrip("/") + self.jwks_path

    # --- signing ---------------------------------------------------------------------
    def _header(
        self,
        key: _Key,
        alg: str | None,
        kid: bool,
        x5c: bool | Sequence[Any] | None,
        x5t_s256: bool,
        typ: str | None,
        headers: Mapping[str, Any] | None,
    ) -> tuple[dict[str, Any], Algorithm]:
        use = alg or key.alg
        header: dict[str, Any] = {"alg": use}
        if typ is not None:
            header["typ"] = typ
        if kid:
            header["kid"] = key.kid
        chain: list[bytes] = []
        if x5c is True or x5t_s256:
            if key.chain is None:
                raise InvalidArgument("x5c: this issuer has no certificates; create it with ca=")
            chain = [c.public_bytes(serialization.Encoding.DER) for c in key.chain]
        if x5c is not None and x5c is not False and x5c is not True:
            chain = [
                c if isinstance(c, bytes) else c.public_bytes(serialization.Encoding.DER)
                for c in x5c
            ]
        if x5c:
            import base64

            header["x5c"] = [base64.b64encode(c).decode("ascii") for c in chain]
        if x5t_s256:
            header["x5t#S256"] = _b64(hashlib.sha256(chain[0]).digest())
        for name, value in (headers or {}).items():
            if value is None:
                header.pop(name, None)
            else:
                header[name] = value
        return header, _implementation(use)

    def issue(
        self,
        claims: Mapping[str, Any] | None = None,
        *,
        subject: str | None = None,
        audience: str | Sequence[str] | None = None,
        lifetime: timedelta = timedelta(minutes=5),
        issued_at: datetime | None = None,
        not_before: datetime | None = None,
        headers: Mapping[str, Any] | None = None,
        typ: str | None = "JWT",
        alg: str | None = None,
        kid: bool = True,
        x5c: bool | Sequence[Any] | None = None,
    ) -> str:
        """A signed JWT (compact). Default claims: ``iss``, ``iat``, ``exp`` (iat+lifetime),
        plus ``sub``/``aud``/``nbf`` when given; ``claims`` overrides them, and a claim set
        to None is removed. ``headers`` adds or (with None) removes header parameters."""
        now = issued_at or self._now()
        body: dict[str, Any] = {
            "iss": self.issuer,
            "iat": int(now.timestamp()),
            "exp": int((now + lifetime).timestamp()),
        }
        if subject is not None:
            body["sub"] = subject
        if audience is not None:
            body["aud"] = audience if isinstance(audience, str) else list(audience)
        if not_before is not None:
            body["nbf"] = int(not_before.timestamp())
        for name, value in (claims or {}).items():
            if value is None:
                body.pop(name, None)
            else:
                body[name] = value
        key = self.current
        header, impl = self._header(key, alg, kid, x5c, False, typ, headers)
        head = _b64(_json(header))
        payload = _b64(_json(body))
        sig = impl.sign(f"{head}.{payload}".encode("ascii"), key.private_key)
        return f"{head}.{payload}.{_b64(sig)}"

    def sign_detached(
        self,
        content: bytes,
        *,
        b64: bool = True,
        x5c: bool | Sequence[Any] | None = None,
        x5t_s256: bool = False,
        serialization: Serialization = "compact",
        sig_t: datetime | bool | None = None,
        headers: Mapping[str, Any] | None = None,
        unprotected: Mapping[str, Any] | None = None,
        typ: str | None = None,
        alg: str | None = None,
        kid: bool = True,
    ) -> str:
        """A JWS over ``content`` with the payload detached (RFC 7515 Appendix F).

        ``b64=False`` signs the raw content (RFC 7797; "b64" is listed in "crit").
        ``x5c=True`` carries the key's certificate chain (or pass certificates);
        ``x5t_s256`` adds the leaf's SHA-256 thumbprint; ``sig_t`` adds the JAdES claimed
        signing time (True: now), listed in "crit" as JAdES does. ``serialization`` is
        ``compact``, ``json`` (flattened) or ``json-general``.
        """
        if not isinstance(content, (bytes, bytearray)):
            raise InvalidArgument(f"content: expected bytes, got {type(content).__name__}")
        if serialization not in ("compact", "json", "json-general"):
            raise InvalidArgument(f"serialization: {serialization!r}")
        key = self.current
        header, impl = self._header(key, alg, kid, x5c, x5t_s256, typ, None)
        crit: list[str] = []
        if not b64:
            header["b64"] = False
            crit.append("b64")
        if sig_t is not None and sig_t is not False:
            when = self._now() if sig_t is True else sig_t
            header["sigT"] = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            crit.append("sigT")
        if crit:
            header["crit"] = crit
        for name, value in (headers or {}).items():
            if value is None:
                header.pop(name, None)
            else:
                header[name] = value
        head = _b64(_json(header)).encode("ascii")
        body = bytes(content) if not b64 else _b64(bytes(content)).encode("ascii")
        sig = _b64(impl.sign(head + b"." + body, key.private_key))
        if serialization == "compact":
            return f"{head.decode()}..{sig}"
        entry: dict[str, Any] = {"protected": head.decode(), "signature": sig}
        if unprotected:
            entry["header"] = dict(unprotected)
        if serialization == "json":
            return json.dumps(entry)
        return json.dumps({"signatures": [entry]})

    def forge(
        self,
        header: Mapping[str, Any] | bytes,
        payload: bytes = b"",
        *,
        signing_payload: bytes | None = None,
        sign_alg: str | None = None,
    ) -> str:
        """A compact JWS with exactly this header, for hostile tests.

        ``header`` is a dict (serialised as is) or raw bytes (e.g. JSON with duplicate
        names); ``payload`` is the payload segment as it should appear (empty: detached);
        the signature is made with the current key over ``BASE64URL(header) '.'
        signing_payload`` (default: ``payload``) with ``sign_alg`` (default: the key's).
        """
        raw = header if isinstance(header, bytes) else _json(dict(header))
        head = _b64(raw).encode("ascii")
        key = self.current
        impl = _implementation(sign_alg or key.alg)
        body = payload if signing_payload is None else signing_payload
        sig = _b64(impl.sign(head + b"." + body, key.private_key))
        return f"{head.decode()}.{payload.decode('ascii')}.{sig}"

    # --- serving the JWKS ------------------------------------------------------------
    def _serve(self, path: str) -> tuple[int, bytes]:
        with self._lock:
            self.requests += 1
        if path.split("?", 1)[0] != self.jwks_path:
            return 404, b'{"error":"not found"}'
        return 200, _json(self.jwks)

    def mock_transport(self) -> httpx.MockTransport:
        """An in-process transport answering GET :attr:`jwks_path` with :attr:`jwks`."""

        def handler(request: httpx.Request) -> httpx.Response:
            if request.method != "GET":
                return httpx.Response(405)
            status, body = self._serve(request.url.raw_path.decode("ascii"))
            return httpx.Response(
                status, content=body, headers={"content-type": "application/jwk-set+json"}
            )

        return httpx.MockTransport(handler)

    def serve(self) -> JWKSServer:
        """A real HTTP server on 127.0.0.1 serving the JWKS; use as a context manager."""
        return JWKSServer(self._serve, self.jwks_path)

    def __repr__(self) -> str:
        return f"MockJWTIssuer({self.issuer!r}, kid={self.kid!r})"


class JWKSServer:
    """``with issuer.serve() as server:`` — a threaded HTTP server on 127.0.0.1, port 0."""

    def __init__(self, answer: Callable[[str], tuple[int, bytes]], path: str) -> None:
        self._answer = answer
        self._path = path
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> JWKSServer:
        answer = self._answer

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body = answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", "application/jwk-set+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="bayident-jwks-server", daemon=True
        )
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        """The JWKS URL, e.g. ``http://127.0.0.1:43121/.well-known/jwks.json``."""
        assert self._server is not None, "use the server as a context manager"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{self._path}"

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None


def merge_signatures(*jws: str) -> str:
    """One general JWS JSON serialization holding the signatures of several
    (flattened or general) JSON JWS over the same detached payload.

    Raises :class:`bayident.InvalidArgument` for text that is not a JWS JSON serialization.
    """
    sigs: list[dict[str, Any]] = []
    for i, text in enumerate(jws):
        try:
            doc = json.loads(text)
        except (ValueError, TypeError, RecursionError) as exc:
            raise InvalidArgument(f"jws[{i}]: not JSON ({type(exc).__name__})") from None
        if not isinstance(doc, dict):
            raise InvalidArgument(f"jws[{i}]: not a JWS JSON serialization (not an object)")
        found = doc.get("signatures", [doc])
        if not isinstance(found, list) or not all(isinstance(sig, dict) for sig in found):
            raise InvalidArgument(f"jws[{i}]: 'signatures' is not a list of objects")
        sigs.extend(found)
    return json.dumps({"signatures": sigs})
