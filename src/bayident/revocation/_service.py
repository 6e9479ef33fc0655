"""Fetching and caching OCSP responses and CRLs, shared by every verification of a Verifier.

OCSP answers are cached by (issuer key hash, serial number) and CRLs by URL,
each until its nextUpdate (or a maximum age). Verifications that need the same
answer at the same time cause one request (single flight): in ``verify()``
threads wait on the first one's request; in ``averify()`` tasks of one event
loop await the first one's future.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import threading
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import httpx

from .._memo import Memo
from ._data import load_crl
from ._http import FetchFailure, HttpSettings, fetch_async, fetch_sync

__all__ = ["CRLAnswer", "OCSPAnswer", "RevocationService"]

# How long revocation data without nextUpdate is taken as current (as in ``_ocsp``).
_NO_NEXT_UPDATE = _dt.timedelta(minutes=30)
_MAX_OCSP_BYTES = 256 * 1024
_MAX_URLS = 4

T = TypeVar("T")


@dataclass(frozen=True)
class OCSPAnswer:
    """An OCSP response fetched from ``url`` (status successful, nonce checked)."""

    parsed: Any  # asn1crypto OCSPResponse
    url: str
    this_update: _dt.datetime | None
    next_update: _dt.datetime | None
    fetched_at: _dt.datetime
    from_cache: bool = False


@dataclass(frozen=True)
class CRLAnswer:
    """A CRL fetched from ``url``."""

    parsed: Any  # asn1crypto CertificateList
    url: str
    this_update: _dt.datetime | None
    next_update: _dt.datetime | None
    fetched_at: _dt.datetime
    from_cache: bool = False


def _usable_until(
    this_update: _dt.datetime | None,
    next_update: _dt.datetime | None,
    max_age: _dt.timedelta | None,
) -> _dt.datetime | None:
    if this_update is None:
        return None
    until = next_update if next_update is not None else this_update + _NO_NEXT_UPDATE
    if max_age is not None:
        until = min(until, this_update + max_age)
    return until


class _Flight:
    __slots__ = ("done", "error", "result")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


def _again(exc: BaseException) -> BaseException:
    # Each waiter raises its own copy: one exception object raised in several threads
    # would collect everybody's tracebacks.
    if isinstance(exc, FetchFailure):
        return FetchFailure(exc.url, exc.reason)
    return exc


class RevocationService:
    """HTTP clients and caches for OCSP and CRL fetching; thread-safe.

    A :class:`bayident.Verifier` makes one from its ``http_client`` and
    ``async_http_client``; the counters in :meth:`stats` say how many requests
    were sent and how many answers came from the cache.
    """

    def __init__(
        self,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        *,
        clock: Callable[[], _dt.datetime] | None = None,
        cache_size: int = 4096,
    ) -> None:
        self.http_client = http_client
        self.async_http_client = async_http_client
        self._clock = clock or (lambda: _dt.datetime.now(_dt.UTC))
        # Answers hold only until their nextUpdate (or the policy's maximum age): an
        # expired one is dropped when met. The service's lock is still taken around the
        # look-up and the fetch, for single flight.
        self._ocsp: Memo[Hashable, OCSPAnswer] = Memo(cache_size)
        self._crl: Memo[str, CRLAnswer] = Memo(cache_size)
        self._lock = threading.Lock()
        self._flights: dict[Hashable, _Flight] = {}
        self._aflights: dict[Hashable, tuple[asyncio.AbstractEventLoop, asyncio.Future[Any]]] = {}
        self._stats = {"requests": 0, "cache_hits": 0, "shared": 0}
        # A bayident.fleet.SharedRevocation when the verifier has a shared_cache: fetches
        # go through it (other processes' answers, fleet-wide single flight).
        self.shared: Any = None

    def now(self) -> _dt.datetime:
        return self._clock()

    def stats(self) -> dict[str, int]:
        """Counters: ``requests`` sent, ``cache_hits``, and ``shared`` (waited on another's)."""
        with self._lock:
            return dict(self._stats)

    def clear(self) -> None:
        """Forget every cached answer."""
        with self._lock:
            self._ocsp.clear()
            self._crl.clear()

    def evict(self, keys: Sequence[Hashable]) -> None:
        """Forget these cached answers (OCSP keys or CRL URLs), e.g. after they failed to verify."""
        with self._lock:
            for key in keys:
                self._ocsp.discard(key)
                if isinstance(key, str):
                    self._crl.discard(key)
        if self.shared is not None:
            self.shared.evict(keys)

    # --- cache ------------------------------------------------------------------
    def _cached_ocsp(self, key: Hashable, max_age: _dt.timedelta | None) -> OCSPAnswer | None:
        hit = self._ocsp.get(key)
        if hit is None:
            return None
        until = _usable_until(hit.this_update, hit.next_update, max_age)
        if until is None or self.now() > until:
            self._ocsp.discard(key)
            return None
        self._stats["cache_hits"] += 1
        return replace(hit, from_cache=True)

    def _cached_crl(self, url: str, max_age: _dt.timedelta | None) -> CRLAnswer | None:
        hit = self._crl.get(url)
        if hit is None:
            return None
        until = _usable_until(hit.this_update, hit.next_update, max_age)
        if until is None or self.now() > until:
            self._crl.discard(url)
            return None
        self._stats["cache_hits"] += 1
        return replace(hit, from_cache=True)

    def _store(self, table: Memo[Any, Any], key: Hashable, answer: Any) -> None:
        until = _usable_until(answer.this_update, answer.next_update, None)
        if until is None or self.now() > until:
            return  # stale already: nothing to reuse
        table.put(key, answer)

    # --- single flight ---------------------------------------------------------------
    def _once_sync(
        self,
        key: Hashable,
        lookup: Callable[[], T | None],
        fetch: Callable[[], T],
        store: Callable[[T], None],
    ) -> T:
        while True:
            with self._lock:
                hit = lookup()
                if hit is not None:
                    return hit
                flight = self._flights.get(key)
                leader = flight is None
                if flight is None:
                    flight = self._flights[key] = _Flight()
            if leader:
                try:
                    result = fetch()
                except BaseException as exc:
                    flight.error = exc
                    raise
                else:
                    flight.result = result
                    with self._lock:
                        store(result)
                    return result
                finally:
                    with self._lock:
                        self._flights.pop(key, None)
                    flight.done.set()
            flight.done.wait()
            with self._lock:
                self._stats["shared"] += 1
            if flight.error is not None:
                raise _again(flight.error)
            if flight.result is not None:
                return replace(flight.result, from_cache=True)  # type: ignore[no-any-return]

    async def _once_async(
        self,
        key: Hashable,
        lookup: Callable[[], T | None],
        fetch: Callable[[], Awaitable[T]],
        store: Callable[[T], None],
    ) -> T:
        loop = asyncio.get_running_loop()
        while True:
            with self._lock:
                hit = lookup()
                if hit is not None:
                    return hit
                entry = self._aflights.get(key)
                if entry is not None and entry[0] is loop and not entry[1].done():
                    future = entry[1]
                    leader = False
                else:
                    future = loop.create_future()
                    # Nobody may be waiting when it fails; retrieving the exception
                    # keeps asyncio from logging it as never retrieved.
                    future.add_done_callback(lambda f: f.cancelled() or f.exception())
                    self._aflights[key] = (loop, future)
                    leader = True
            if leader:
                try:
                    result = await fetch()
                except asyncio.CancelledError:
                    future.cancel()
                    raise
                except BaseException as exc:
                    future.set_exception(_again(exc))
                    raise
                else:
                    with self._lock:
                        store(result)
                    future.set_result(result)
                    return result
                finally:
                    with self._lock:
                        if self._aflights.get(key, (None, None))[1] is future:
                            del self._aflights[key]
            try:
                result = await asyncio.shield(future)
            except asyncio.CancelledError:
                if future.cancelled():
                    continue  # the leader was cancelled, not us: try again
                raise
            except BaseException as exc:
                raise _again(exc) from None
            with self._lock:
                self._stats["shared"] += 1
            return replace(result, from_cache=True)  # type: ignore[type-var]

    # --- OCSP ---------------------------------------------------------------------
    @staticmethod
    def _settings(policy: Any, limit: int) -> HttpSettings:
        return HttpSettings(
            timeout=policy.revocation_timeout.total_seconds(),
            retries=policy.revocation_retries,
            limit=limit,
        )

    def _ocsp_answer(self, data: bytes, url: str, request: Any, policy: Any) -> OCSPAnswer:
        from ._data import load_ocsp

        try:
            parsed = load_ocsp(data)
        except ValueError as exc:
            raise FetchFailure(url, f"the OCSP response is unusable: {exc}") from None
        request_nonce = request.nonce_value
        if request_nonce is not None:
            response_nonce = parsed.nonce_value
            if response_nonce is not None and response_nonce.native != request_nonce.native:
                raise FetchFailure(url, "the OCSP response echoes another nonce than was sent")
        singles = parsed["response_bytes"]["response"].parsed["tbs_response_data"]["responses"]
        this_update = min(s["this_update"].native for s in singles)
        nexts = [s["next_update"].native for s in singles]
        next_update = None if any(n is None for n in nexts) else min(nexts)
        now = self.now()
        max_age = policy.revocation_max_age
        if max_age is not None and this_update is not None and now - this_update > max_age:
            raise FetchFailure(
                url,
                f"the OCSP response was produced {this_update:%Y-%m-%d %H:%M:%S}Z, longer ago "
                f"than the maximum age of {max_age} (Policy.revocation_max_age)",
            )
        return OCSPAnswer(parsed, url, this_update, next_update, now)

    def ocsp(
        self,
        key: Hashable,
        urls: Sequence[str],
        request: Any,
        policy: Any,
        issuer: bytes | None = None,
    ) -> OCSPAnswer:
        """The OCSP answer for ``key`` (issuer key hash, serial), fetched or cached.

        ``issuer`` (the issuer's SubjectPublicKeyInfo DER) lets a shared cache check the
        signature of an answer it reads back before using it.
        """
        urls = list(dict.fromkeys(urls))[:_MAX_URLS]
        max_age = policy.revocation_max_age
        body = request.dump()

        def fetch() -> OCSPAnswer:
            problems: list[FetchFailure] = []
            for url in urls:
                with self._lock:
                    self._stats["requests"] += 1
                try:
                    data = fetch_sync(
                        self.http_client,
                        url,
                        self._settings(policy, _MAX_OCSP_BYTES),
                        body=body,
                        content_type="application/ocsp-request",
                        accept="application/ocsp-response",
                    )
                    return self._ocsp_answer(data, url, request, policy)
                except FetchFailure as exc:
                    problems.append(exc)
            raise _joined(problems, "no OCSP responder URL")

        if self.shared is not None:
            fetch = self.shared.ocsp(key, fetch, policy, issuer)
        return self._once_sync(
            ("ocsp", key),
            lambda: self._cached_ocsp(key, max_age),
            fetch,
            lambda answer: self._store(self._ocsp, key, answer),
        )

    async def aocsp(
        self,
        key: Hashable,
        urls: Sequence[str],
        request: Any,
        policy: Any,
        issuer: bytes | None = None,
    ) -> OCSPAnswer:
        """Asynchronous :meth:`ocsp`."""
        urls = list(dict.fromkeys(urls))[:_MAX_URLS]
        max_age = policy.revocation_max_age
        body = request.dump()

        async def fetch() -> OCSPAnswer:
            problems: list[FetchFailure] = []
            for url in urls:
                with self._lock:
                    self._stats["requests"] += 1
                try:
                    data = await fetch_async(
                        self.async_http_client,
                        url,
                        self._settings(policy, _MAX_OCSP_BYTES),
                        body=body,
                        content_type="application/ocsp-request",
                        accept="application/ocsp-response",
                    )
                    return self._ocsp_answer(data, url, request, policy)
                except FetchFailure as exc:
                    problems.append(exc)
            raise _joined(problems, "no OCSP responder URL")

        if self.shared is not None:
            fetch = self.shared.aocsp(key, fetch, policy, issuer)
        return await self._once_async(
            ("ocsp", key),
            lambda: self._cached_ocsp(key, max_age),
            fetch,
            lambda answer: self._store(self._ocsp, key, answer),
        )

    # --- CRL ------------------------------------------------------------------------
    def _crl_answer(self, data: bytes, url: str, policy: Any) -> CRLAnswer:
        try:
            parsed = load_crl(data)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            text = " ".join(str(exc).split()) or type(exc).__name__
            raise FetchFailure(url, f"the CRL is malformed: {text}") from None
        tbs = parsed["tbs_cert_list"]
        this_update = tbs["this_update"].native
        now = self.now()
        max_age = policy.revocation_max_age
        if max_age is not None and this_update is not None and now - this_update > max_age:
            raise FetchFailure(
                url,
                f"the CRL was issued {this_update:%Y-%m-%d %H:%M:%S}Z, longer ago than the "
                f"maximum age of {max_age} (Policy.revocation_max_age)",
            )
        return CRLAnswer(parsed, url, this_update, tbs["next_update"].native, now)

    def crl(self, url: str, policy: Any) -> CRLAnswer:
        """The CRL at ``url``, fetched or cached."""
        max_age = policy.revocation_max_age
        settings = self._settings(policy, policy.revocation_max_crl_bytes)

        def fetch() -> CRLAnswer:
            with self._lock:
                self._stats["requests"] += 1
            data = fetch_sync(self.http_client, url, settings, accept="application/pkix-crl")
            return self._crl_answer(data, url, policy)

        if self.shared is not None:
            fetch = self.shared.crl(url, fetch, policy)
        return self._once_sync(
            ("crl", url),
            lambda: self._cached_crl(url, max_age),
            fetch,
            lambda answer: self._store(self._crl, url, answer),
        )

    async def acrl(self, url: str, policy: Any) -> CRLAnswer:
        """Asynchronous :meth:`crl`."""
        max_age = policy.revocation_max_age
        settings = self._settings(policy, policy.revocation_max_crl_bytes)

        async def fetch() -> CRLAnswer:
            with self._lock:
                self._stats["requests"] += 1
            data = await fetch_async(
                self.async_http_client, url, settings, accept="application/pkix-crl"
            )
            return self._crl_answer(data, url, policy)

        if self.shared is not None:
            fetch = self.shared.acrl(url, fetch, policy)
        return await self._once_async(
            ("crl", url),
            lambda: self._cached_crl(url, max_age),
            fetch,
            lambda answer: self._store(self._crl, url, answer),
        )


def _joined(problems: list[FetchFailure], nothing: str) -> FetchFailure:
    if not problems:
        return FetchFailure("-", nothing)
    if len(problems) == 1:
        return problems[0]
    return FetchFailure(
        ", ".join(p.url for p in problems), "; ".join(f"{p.url}: {p.reason}" for p in problems)
    )
