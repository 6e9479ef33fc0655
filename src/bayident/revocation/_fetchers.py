"""pyhanko-certvalidator fetchers backed by :class:`RevocationService`, one set per validation.

pyhanko-certvalidator awaits these during path validation. In synchronous mode
they call the service's blocking methods inside their ``async def`` without
awaiting anything, so the validation coroutine finishes without an event loop;
in asynchronous mode they await the service's ``httpx.AsyncClient`` requests.

They also record, per certificate, what they served and what failed, which is
how a result can say where each status came from: pyhanko-certvalidator does
not report which response it relied on.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import AsyncGenerator, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pyhanko_certvalidator.errors import CRLFetchError, OCSPFetchError
from pyhanko_certvalidator.fetchers.api import (
    CertificateFetcher,
    CRLFetcher,
    Fetchers,
    OCSPFetcher,
)

from ._data import matching_single
from ._http import FetchFailure
from ._requests import crl_urls, ocsp_request, ocsp_urls
from ._service import RevocationService

__all__ = ["Recorder", "Served", "make_fetchers"]

_MAX_CRL_URLS = 4
_NO_NEXT_UPDATE = _dt.timedelta(minutes=30)


@dataclass
class Served:
    """One piece of revocation data handed to the validator for a certificate, or a failure."""

    kind: Literal["ocsp", "crl"]
    origin: Literal["fetched", "embedded", "caller"]
    url: str | None
    parsed: Any = None
    from_cache: bool = False
    error: str | None = None
    cache_key: Hashable | None = None
    for_issuer: Any = None  # the issuer Name of the certificate it was fetched for


@dataclass
class Recorder:
    """What the fetchers of one validation served, by certificate (SHA-256 of its DER)."""

    by_cert: dict[bytes, list[Served]] = field(default_factory=dict)

    def add(self, cert: Any, served: Served) -> None:
        self.by_cert.setdefault(cert.sha256, []).append(served)

    def for_cert(self, cert: Any) -> list[Served]:
        return self.by_cert.get(cert.sha256, [])

    def all(self) -> Iterable[Served]:
        for items in self.by_cert.values():
            yield from items


class _Base:
    def __init__(
        self,
        service: RevocationService | None,
        policy: Any,
        recorder: Recorder,
        asynchronous: bool,
    ) -> None:
        self.service = service
        self.policy = policy
        self.recorder = recorder
        self.asynchronous = asynchronous


class _OCSP(_Base, OCSPFetcher):
    """Serves supplied responses that are usable, else fetches from the certificate's AIA."""

    def __init__(
        self,
        service: RevocationService | None,
        policy: Any,
        recorder: Recorder,
        asynchronous: bool,
        supplied: Sequence[tuple[Any, str]],
        at: _dt.datetime,
        retroactive: bool,
    ) -> None:
        super().__init__(service, policy, recorder, asynchronous)
        self.supplied = supplied
        self.at = at
        self.retroactive = retroactive

    def _usable_supplied(self, cert: Any, authority: Any) -> tuple[Any, str] | None:
        skew = self.policy.clock_skew
        for parsed, origin in self.supplied:
            single = matching_single(parsed, cert, authority.public_key)
            if single is None or single["cert_status"].name not in ("good", "revoked"):
                continue
            this_update = single["this_update"].native
            next_update = single["next_update"].native or this_update + _NO_NEXT_UPDATE
            if not self.retroactive and this_update > self.at + skew:
                continue
            if next_update < self.at - skew:
                continue
            return parsed, origin
        return None

    async def fetch(self, cert: Any, authority: Any) -> Any:
        supplied = self._usable_supplied(cert, authority)
        if supplied is not None:
            self.recorder.add(cert, Served("ocsp", supplied[1], None, supplied[0]))  # type: ignore[arg-type]
            return supplied[0]
        urls = ocsp_urls(cert)
        if self.service is None or not urls:
            raise OCSPFetchError("no OCSP responder can be asked")
        request = ocsp_request(
            cert,
            authority.name,
            authority.public_key,
            nonce=bool(self.policy.revocation_nonce),
        )
        key = (authority.public_key.sha1, cert.serial_number)
        try:
            issuer = authority.public_key.dump()  # for a shared cache's check on read
            if self.asynchronous:
                answer = await self.service.aocsp(key, urls, request, self.policy, issuer)
            else:
                answer = self.service.ocsp(key, urls, request, self.policy, issuer)
        except FetchFailure as exc:
            self.recorder.add(cert, Served("ocsp", "fetched", exc.url, error=exc.reason))
            raise OCSPFetchError(f"OCSP request to {exc.url} failed: {exc.reason}") from None
        self.recorder.add(
            cert,
            Served("ocsp", "fetched", answer.url, answer.parsed, answer.from_cache, None, key),
        )
        return answer.parsed

    def fetched_responses(self) -> Iterable[Any]:
        return [s.parsed for s in self.recorder.all() if s.kind == "ocsp" and s.parsed is not None]

    def fetched_responses_for_cert(self, cert: Any) -> Iterable[Any]:
        return [
            s.parsed
            for s in self.recorder.for_cert(cert)
            if s.kind == "ocsp" and s.parsed is not None
        ]


class _CRL(_Base, CRLFetcher):
    def __init__(
        self,
        service: RevocationService | None,
        policy: Any,
        recorder: Recorder,
        asynchronous: bool,
    ) -> None:
        super().__init__(service, policy, recorder, asynchronous)
        self._by_cert: dict[bytes, list[Any]] = {}

    async def fetch(self, cert: Any, *, use_deltas: bool | None = None) -> Iterable[Any]:
        key = cert.issuer_serial
        if key in self._by_cert:
            return self._by_cert[key]
        urls = crl_urls(cert, deltas=True if use_deltas is None else use_deltas)[:_MAX_CRL_URLS]
        if self.service is None or not urls:
            self._by_cert[key] = []
            return []
        found: list[Any] = []
        problems: list[str] = []
        for url in urls:
            try:
                if self.asynchronous:
                    answer = await self.service.acrl(url, self.policy)
                else:
                    answer = self.service.crl(url, self.policy)
            except FetchFailure as exc:
                self.recorder.add(cert, Served("crl", "fetched", url, error=exc.reason))
                problems.append(f"CRL download from {url} failed: {exc.reason}")
                continue
            self.recorder.add(
                cert,
                Served(
                    "crl", "fetched", url, answer.parsed, answer.from_cache, None, url, cert.issuer
                ),
            )
            found.append(answer.parsed)
        self._by_cert[key] = found
        if not found:
            raise CRLFetchError("; ".join(problems))
        return found

    def fetched_crls(self) -> Iterable[Any]:
        seen: dict[int, Any] = {}
        for items in self._by_cert.values():
            for item in items:
                seen.setdefault(id(item), item)
        return list(seen.values())

    def fetched_crls_for_cert(self, cert: Any) -> Iterable[Any]:
        return self._by_cert[cert.issuer_serial]


async def _nothing() -> AsyncGenerator[Any, None]:
    return
    yield  # an empty asynchronous generator


class _NoCertificates(CertificateFetcher):
    """Issuer certificates are not fetched: paths are built from what is at hand."""

    def fetch_cert_issuers(self, cert: Any) -> AsyncGenerator[Any, None]:
        return _nothing()

    def fetch_crl_issuers(self, certificate_list: Any) -> AsyncGenerator[Any, None]:
        return _nothing()

    def fetched_certs(self) -> Iterable[Any]:
        return ()


def make_fetchers(
    service: RevocationService | None,
    policy: Any,
    recorder: Recorder,
    *,
    asynchronous: bool,
    supplied_ocsp: Sequence[tuple[Any, str]],
    at: _dt.datetime,
    retroactive: bool,
) -> Fetchers:
    """Fetchers for one validation; ``service`` None serves supplied data only."""
    return Fetchers(
        ocsp_fetcher=_OCSP(service, policy, recorder, asynchronous, supplied_ocsp, at, retroactive),
        crl_fetcher=_CRL(service, policy, recorder, asynchronous),
        cert_fetcher=_NoCertificates(),
    )
