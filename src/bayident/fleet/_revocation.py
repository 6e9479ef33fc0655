"""OCSP responses and CRLs shared across a fleet, in front of a RevocationService's fetches.

Stored: the signed DER exactly as the responder or CRL publisher sent it, kept until its
nextUpdate (or the service's default validity without one). Read back: the bytes are
parsed and checked as a fetched answer is (status, freshness, ``revocation_max_age``),
an OCSP response must be about exactly the certificate asked for and signed by its
issuer or by a responder the issuer certified (where the algorithm allows checking
that here), and then the path validation checks signatures and responder authorisation
as for any answer. A value that fails any of this is a miss: the answer is fetched from
the network instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import replace
from typing import Any, cast

from ..revocation._http import FetchFailure
from ..revocation._service import CRLAnswer, OCSPAnswer, RevocationService, _usable_until
from ._ocsp_check import signed_by_issuer
from ._shared import Shared, SharedCache

__all__ = ["SharedRevocation"]


class _NoNonce:
    """A stand-in request: a stored response answered someone else's nonce, if any."""

    nonce_value = None


def _ocsp_ident(key: Hashable) -> str:
    # The service's OCSP key is (SHA-1 of the issuer's public key, serial number).
    if isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], bytes | bytearray):
        return f"{bytes(key[0]).hex()}:{int(key[1]):x}"
    raise TypeError(f"unexpected OCSP cache key {key!r}")


def _crl_ident(url: str) -> str:
    import hashlib

    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()


def _about(parsed: Any, key: Hashable) -> bool:
    """Whether the OCSP response speaks about the certificate of ``key`` (and only it)."""
    issuer_key_hash, serial = cast(tuple[bytes, int], key)
    singles = parsed["response_bytes"]["response"].parsed["tbs_response_data"]["responses"]
    if len(singles) == 0:
        return False
    for single in singles:
        cert_id = single["cert_id"]
        if cert_id["hash_algorithm"]["algorithm"].native != "sha1":
            return False
        if cert_id["issuer_key_hash"].native != bytes(issuer_key_hash):
            return False
        if cert_id["serial_number"].native != serial:
            return False
    return True


class SharedRevocation:
    """The hook a :class:`RevocationService` calls around its fetches (``service.shared``)."""

    def __init__(self, cache: SharedCache, service: RevocationService) -> None:
        self.cache = cache
        self.service = service

    def _ttl(self, answer: OCSPAnswer | CRLAnswer) -> float | None:
        until = _usable_until(answer.this_update, answer.next_update, None)
        if until is None:
            return None
        return (until - self.service.now()).total_seconds()

    def _fresh(self, answer: Any, policy: Any) -> bool:
        until = _usable_until(answer.this_update, answer.next_update, policy.revocation_max_age)
        return until is not None and self.service.now() <= until

    # --- OCSP -------------------------------------------------------------------------
    def _ocsp_parts(
        self, key: Hashable, policy: Any, issuer: bytes | None
    ) -> tuple[
        str,
        Callable[[Shared], OCSPAnswer | None],
        Callable[[OCSPAnswer], tuple[dict[str, Any], bytes, float] | None],
    ]:
        ident = _ocsp_ident(key)

        def decode(found: Shared) -> OCSPAnswer | None:
            url = found.header.get("url")
            if not isinstance(url, str):
                return None
            try:
                answer = self.service._ocsp_answer(found.payload, url, _NoNonce(), policy)
            except FetchFailure:
                return None
            if not _about(answer.parsed, key) or not self._fresh(answer, policy):
                return None
            if issuer is not None and signed_by_issuer(found.payload, issuer) is False:
                return None  # planted or damaged: fetch a genuine answer instead
            return replace(answer, from_cache=True)

        def encode(answer: OCSPAnswer) -> tuple[dict[str, Any], bytes, float] | None:
            ttl = self._ttl(answer)
            if ttl is None or ttl <= 0 or not _about(answer.parsed, key):
                return None
            return {"url": answer.url}, answer.parsed.dump(), ttl

        return ident, decode, encode

    def ocsp(
        self,
        key: Hashable,
        fetch: Callable[[], OCSPAnswer],
        policy: Any,
        issuer: bytes | None = None,
    ) -> Callable[[], OCSPAnswer]:
        """``fetch`` going through the shared cache and its fleet-wide single flight."""
        ident, decode, encode = self._ocsp_parts(key, policy, issuer)
        return lambda: self.cache.once("ocsp", ident, decode, fetch, encode, self._failed, _reason)

    def aocsp(
        self,
        key: Hashable,
        fetch: Callable[[], Awaitable[OCSPAnswer]],
        policy: Any,
        issuer: bytes | None = None,
    ) -> Callable[[], Awaitable[OCSPAnswer]]:
        """Asynchronous :meth:`ocsp`."""
        ident, decode, encode = self._ocsp_parts(key, policy, issuer)
        return lambda: self.cache.aonce("ocsp", ident, decode, fetch, encode, self._failed, _reason)

    # --- CRL --------------------------------------------------------------------------
    def _crl_parts(
        self, url: str, policy: Any
    ) -> tuple[
        str,
        Callable[[Shared], CRLAnswer | None],
        Callable[[CRLAnswer], tuple[dict[str, Any], bytes, float] | None],
    ]:
        ident = _crl_ident(url)

        def decode(found: Shared) -> CRLAnswer | None:
            if found.header.get("url") != url:
                return None
            if len(found.payload) > policy.revocation_max_crl_bytes:
                return None
            try:
                answer = self.service._crl_answer(found.payload, url, policy)
            except FetchFailure:
                return None
            if not self._fresh(answer, policy):
                return None
            return replace(answer, from_cache=True)

        def encode(answer: CRLAnswer) -> tuple[dict[str, Any], bytes, float] | None:
            ttl = self._ttl(answer)
            if ttl is None or ttl <= 0:
                return None
            return {"url": url}, answer.parsed.dump(), ttl

        return ident, decode, encode

    def crl(self, url: str, fetch: Callable[[], CRLAnswer], policy: Any) -> Callable[[], CRLAnswer]:
        """``fetch`` going through the shared cache and its fleet-wide single flight."""
        ident, decode, encode = self._crl_parts(url, policy)
        return lambda: self.cache.once("crl", ident, decode, fetch, encode, self._failed, _reason)

    def acrl(
        self, url: str, fetch: Callable[[], Awaitable[CRLAnswer]], policy: Any
    ) -> Callable[[], Awaitable[CRLAnswer]]:
        """Asynchronous :meth:`crl`."""
        ident, decode, encode = self._crl_parts(url, policy)
        return lambda: self.cache.aonce("crl", ident, decode, fetch, encode, self._failed, _reason)

    # --- eviction -----------------------------------------------------------------------
    def evict(self, keys: Sequence[Hashable]) -> None:
        """Forget shared answers that did not verify, so the next attempt fetches."""
        for key in keys:
            if isinstance(key, str):
                self.cache.forget("crl", _crl_ident(key))
            else:
                try:
                    self.cache.forget("ocsp", _ocsp_ident(key))
                except (TypeError, ValueError):
                    continue

    @staticmethod
    def _failed(reason: str) -> BaseException:
        url, _, why = reason.partition("\n")
        return FetchFailure(url, why or url)


def _reason(exc: BaseException) -> str | None:
    # Only network failures are worth telling the others about; a bug is not.
    if isinstance(exc, FetchFailure):
        return f"{exc.url}\n{exc.reason}"
    return None
