"""JWKS documents and trusted lists shared across a fleet.

JWKS documents are not signed: one read back from Redis can only be trusted as far as
Redis is. So they are shared only when the :class:`SharedCache` has a ``key`` (values
then carry an HMAC only the fleet can make); without one each process fetches its own.

Trusted lists are signed: a list read back from Redis is checked by the manager like a
downloaded one (signature, signer, freshness, rollback). What the fleet shares beyond
the document is the rollback state: the highest sequence number accepted for each
list, raised atomically, and the digest of the list accepted at that number, so a
process never accepts a list older than one another process has accepted.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from ._shared import Shared, SharedCache

__all__ = ["share_jwks", "share_trust_lists"]

_STATE_TTL_MS = 400 * 24 * 3600 * 1000  # longer than any list's validity


def _h(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# --- JWKS ---------------------------------------------------------------------------------
class JWKSShare:
    """The hook a :class:`bayident.jose.JWKSResolver` calls around its fetches."""

    def __init__(self, cache: SharedCache, resolver: Any) -> None:
        self.cache = cache
        self.resolver = resolver
        self.ident = _h(resolver.url)
        self._held: str | None = None  # SHA-256 of the document this process holds

    def take(self) -> bool:
        """Load the fleet's copy when it is fresh and newer than ours; False: fetch."""
        from ..jose._json import JSONError, loads_object
        from ..jose._jwks import JWKError, parse_jwks

        found = self.cache.read("jwks", self.ident)
        if found is None:
            return False
        fetched = found.header.get("at")
        digest = hashlib.sha256(found.payload).hexdigest()
        if (
            not isinstance(fetched, int | float)
            or not 0 <= time.time() - fetched < self.resolver.cache_ttl
            or digest == self._held  # the same set we hold: a new kid needs the network
        ):
            return False
        try:
            doc = loads_object(found.payload, self.resolver.source, self.resolver.max_bytes)
            parse_jwks(doc, self.resolver.source)
        except (JSONError, JWKError):
            self.cache.count("refused")
            return False
        self.cache.count("hits")
        self.resolver._store(found.payload, None)
        self._held = digest
        return True

    def give(self, body: bytes | None, error: str | None) -> None:
        """Share a document this process fetched and accepted."""
        if body is None or error is not None or self.resolver._error is not None:
            return
        self._held = hashlib.sha256(body).hexdigest()
        self.cache.write("jwks", self.ident, {"at": time.time()}, body, self.resolver.cache_ttl)


def share_jwks(cache: SharedCache, jwks: Any) -> None:
    from ..jose._jwks import JWKSResolver

    if isinstance(jwks, JWKSResolver) and cache.authenticated:
        jwks.shared = JWKSShare(cache, jwks)


# --- trusted lists ----------------------------------------------------------------------------
class _Validator:
    """Wraps a TrustListValidator's ``accept`` with the fleet's rollback state."""

    def __init__(self, cache: SharedCache, validator: Any) -> None:
        self.cache = cache
        self.validator = validator
        self.accept_alone = validator.accept

    def _pull(self, key: str, document: Any) -> None:
        from ..trustlist._validate import _Seen

        raw = self.cache.backend.get(self.cache.name("tl-seq", _h(key)))
        if raw is None:
            return
        try:
            seq = int(raw)
        except ValueError:
            return
        found = self.cache.read("tl-sha", f"{_h(key)}:{seq}")
        if found is not None:
            sha = found.payload.decode("ascii", "replace")
        elif document.trusted_list.sequence_number == seq:
            # The digest was lost (evicted): the number alone still refuses rollback.
            sha = document.sha256
        else:
            sha = ""
        with self.validator._lock:
            seen = self.validator._seen.get(key)
            if seen is None or seq > seen.sequence:
                self.validator._seen[key] = _Seen(seq, sha)

    def _push(self, key: str, seq: int, sha: str) -> None:
        self.cache.backend.put(
            self.cache.name("tl-sha", f"{_h(key)}:{seq}"),
            self.cache.seal("tl-sha", f"{_h(key)}:{seq}", {}, sha.encode("ascii")),
            _STATE_TTL_MS,
        )
        self.cache.backend.raise_to(self.cache.name("tl-seq", _h(key)), seq, _STATE_TTL_MS)

    def accept(self, document: Any, **kwargs: Any) -> Any:
        from ..trustlist._validate import list_key

        tl = document.trusted_list if document.valid else None
        key = kwargs.get("key") or (list_key(tl) if tl is not None else None)
        if key is not None and tl is not None:
            self._pull(key, document)
        acc = self.accept_alone(document, **kwargs)
        if acc.accepted and kwargs.get("commit", True) and key is not None and tl is not None:
            self._push(key, tl.sequence_number, document.sha256)
            self.cache.write(
                "tl-outcome",
                document.sha256,
                {"accepted": True, "reason": acc.reason, "sequence": tl.sequence_number},
                b"",
                _STATE_TTL_MS / 1000,
            )
        return acc


class _Fetcher:
    """Wraps a TrustListFetcher: a list another process fetched recently is taken from Redis.

    Whatever comes from Redis is checked by the manager exactly as a download is.
    """

    def __init__(self, cache: SharedCache, fetcher: Any, ttl: float) -> None:
        self.cache = cache
        self.fetcher = fetcher
        self.fetch_alone = fetcher.fetch
        self.afetch_alone = fetcher.afetch
        self.ttl = ttl

    def _decode(self, url: str) -> Any:
        from ..trustlist._fetch import FetchResult

        def decode(found: Shared) -> Any:
            if found.header.get("url") != url or len(found.payload) > self.fetcher.max_bytes:
                return None
            return FetchResult(
                url,
                "fetched",
                found.payload,
                content_type=found.header.get("type"),
            )

        return decode

    def _encode(self, result: Any) -> tuple[dict[str, Any], bytes, float] | None:
        if result.status != "fetched" or result.data is None:
            return None  # a 304 or a failure: nothing new to share
        return {"url": result.url, "type": result.content_type}, result.data, self.ttl

    @staticmethod
    def _failed(reason: str) -> BaseException:
        return RuntimeError(reason)  # never raised: failures are not shared for lists

    def fetch(self, url: str) -> Any:
        return self.cache.once(
            "tl-doc",
            _h(url),
            self._decode(url),
            lambda: self.fetch_alone(url),
            self._encode,
            self._failed,
            lambda exc: None,
        )

    async def afetch(self, url: str) -> Any:
        async def fetch() -> Any:
            return await self.afetch_alone(url)

        return await self.cache.aonce(
            "tl-doc",
            _h(url),
            self._decode(url),
            fetch,
            self._encode,
            self._failed,
            lambda exc: None,
        )


def share_trust_lists(cache: SharedCache, source: Any) -> None:
    """Route a TrustListManager's fetches and rollback state through the shared cache."""
    from ..trustlist._manager import TrustListManager

    if not isinstance(source, TrustListManager) or getattr(source, "_fleet", None) is not None:
        return
    validator = _Validator(cache, source.validator)
    fetcher = _Fetcher(cache, source.fetcher, cache.list_ttl)
    source.validator.accept = validator.accept  # type: ignore[method-assign]
    source.fetcher.fetch = fetcher.fetch  # type: ignore[method-assign]
    source.fetcher.afetch = fetcher.afetch  # type: ignore[method-assign]
    source._fleet = cache  # type: ignore[attr-defined]
