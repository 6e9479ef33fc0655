"""Keeping a trust store current from lists on the network.

The manager fetches each source list, follows pivots and pointers, accepts or
refuses every list (:class:`TrustListValidator`), keeps accepted copies in an
on-disk cache, and falls back to the last accepted copy — within the grace
period, with a warning — when a refresh fails. The refresh logic is written
once, as a generator that asks for URLs, and driven either synchronously or
on an event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as _dt
import hashlib
import logging
import os
from collections.abc import Callable, Collection, Generator, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from cryptography import x509

from .._exceptions import InvalidArgument
from ._document import DEFAULT_MAX_LIST_BYTES, TrustListDocument
from ._fetch import FetchResult, ListCache, ProgressCallback, TrustListFetcher
from ._model import ServiceType, TrustedList
from ._pivot import resolve_pivots
from ._read import read_trusted_list
from ._store import TrustListStore, trust_store_from_lists
from ._validate import DEFAULT_GRACE, SignerSpec, TrustListValidator, state_from_json

__all__ = ["ListOutcome", "ListSource", "RefreshReport", "TrustListManager"]

log = logging.getLogger("bayident.trustlist")

_MAX_PIVOTS = 64


@dataclass(frozen=True)
class ListSource:
    """A list to fetch and the signers trusted for it.

    For a list of lists, ``follow_pointers`` fetches the lists it points to
    (only those of ``territories`` when given), each checked against the
    signer certificates its pointer names; ``follow_pivots`` walks the pivot
    lists named in ``SchemeInformationURI`` to learn the current signers.
    ``jurisdiction`` annotates the anchors (e.g. ``CN-GD``).
    """

    url: str
    signers: tuple[SignerSpec, ...] = ()
    jurisdiction: str | None = None
    follow_pointers: bool = True
    territories: tuple[str, ...] | None = None
    follow_pivots: bool = True


@dataclass(frozen=True)
class ListOutcome:
    """What happened to one list in a refresh."""

    url: str
    accepted: bool
    reason: str
    origin: Literal["network", "not-modified", "fallback", "none"]
    sequence_number: int | None = None
    territory: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class RefreshReport:
    """The outcome of a refresh: one entry per list, the warnings, and the new store."""

    lists: tuple[ListOutcome, ...]
    warnings: tuple[str, ...]
    store: TrustListStore
    finished_at: _dt.datetime

    @property
    def ok(self) -> bool:
        """Every list accepted from a fresh or not-modified copy."""
        return all(o.accepted and o.origin != "fallback" for o in self.lists)


@dataclass
class _Good:
    document: TrustListDocument
    accepted_at: _dt.datetime


@dataclass
class _Work:
    outcomes: list[ListOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    lists: list[tuple[TrustedList, str | None]] = field(default_factory=list)


class TrustListManager:
    """Fetch, check and cache lists; expose the resulting :class:`TrustListStore`.

    ``sources`` are :class:`ListSource` objects. ``cache_dir`` keeps accepted
    lists and the sequence numbers seen (rollback is refused across
    restarts). ``client`` / ``async_client`` are injectable ``httpx``
    clients. ``grace`` is how long past ``NextUpdate`` a list is still used.
    ``progress`` receives :class:`FetchProgress` events. ``policy`` (a
    :class:`bayident.Policy`) gives the XML limits of the lists read.

    Use :meth:`refresh` or :meth:`arefresh`, or
    :meth:`start_background_refresh` inside a server's event loop and
    :meth:`aclose` on shutdown; read :attr:`store` for the current anchors.
    """

    def __init__(
        self,
        sources: Iterable[ListSource],
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        client: httpx.Client | None = None,
        async_client: httpx.AsyncClient | None = None,
        grace: _dt.timedelta = DEFAULT_GRACE,
        clock: Callable[[], _dt.datetime] | None = None,
        progress: ProgressCallback | None = None,
        service_types: Collection[str] | None = ServiceType.CERTIFICATE_ISSUERS,
        max_lists: int = 200,
        max_bytes: int = DEFAULT_MAX_LIST_BYTES,
        timeout: float = 30.0,
        policy: Any | None = None,
    ) -> None:
        self.sources = tuple(sources)
        self.policy = policy  # XML limits for the lists read (the default Policy's if None)
        for s in self.sources:
            if not isinstance(s, ListSource):
                raise InvalidArgument(f"sources must be ListSource objects, not {type(s).__name__}")
        self.cache = ListCache(cache_dir) if cache_dir is not None else None
        self._clock = clock or (lambda: _dt.datetime.now(_dt.UTC))
        state = state_from_json(self.cache.read_state()) if self.cache is not None else {}
        self.validator = TrustListValidator(grace=grace, clock=self._clock, state=state)
        self.fetcher = TrustListFetcher(
            client=client,
            async_client=async_client,
            cache=self.cache,
            max_bytes=max_bytes,
            timeout=timeout,
            progress=progress,
        )
        self.service_types = service_types
        self.max_lists = max_lists
        self.max_bytes = max_bytes
        self._good: dict[str, _Good] = {}
        self._store = TrustListStore(name="trusted lists (not refreshed yet)")
        self._task: asyncio.Task[None] | None = None
        self.last_report: RefreshReport | None = None
        self.last_error: str | None = None

    @property
    def store(self) -> TrustListStore:
        """The anchors of the lists accepted by the last refresh (replaced whole on each)."""
        return self._store

    # --- drivers ------------------------------------------------------------------------
    def refresh(self) -> RefreshReport:
        """Fetch and check every list now (blocking)."""
        plan = self._plan()
        try:
            url = next(plan)
            while True:
                url = plan.send(self.fetcher.fetch(url))
        except StopIteration as stop:
            report: RefreshReport = stop.value
        return report

    async def arefresh(self) -> RefreshReport:
        """Fetch and check every list now, without blocking the event loop on the network.

        Signature checks run in a worker thread (a national list takes a few
        milliseconds; the EU list of lists about ten).
        """
        plan = self._plan()

        def step(result: FetchResult) -> str | RefreshReport:
            # StopIteration cannot cross into a Future: hand the report back as a value.
            try:
                return plan.send(result)
            except StopIteration as stop:
                done: RefreshReport = stop.value
                return done

        try:
            nxt: str | RefreshReport = next(plan)
        except StopIteration as stop:
            first: RefreshReport = stop.value
            return first
        while isinstance(nxt, str):
            result = await self.fetcher.afetch(nxt)
            nxt = await asyncio.to_thread(step, result)
        return nxt

    def start_background_refresh(
        self, interval: float | _dt.timedelta, *, first_delay: float = 0.0
    ) -> asyncio.Task[None]:
        """Refresh every ``interval`` on the running event loop; returns the task.

        Errors never end the task: they are logged and kept in
        :attr:`last_error`. Stop it with :meth:`aclose`.
        """
        seconds = (
            interval.total_seconds() if isinstance(interval, _dt.timedelta) else float(interval)
        )
        if seconds <= 0:
            raise InvalidArgument("interval must be positive")
        if self._task is not None and not self._task.done():
            raise InvalidArgument("a background refresh is already running")

        async def run() -> None:
            if first_delay > 0:
                await asyncio.sleep(first_delay)
            while True:
                try:
                    await self.arefresh()
                    self.last_error = None
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # a refresh must never kill the task
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    log.warning("trusted-list refresh failed: %s", self.last_error)
                await asyncio.sleep(seconds)

        self._task = asyncio.get_running_loop().create_task(
            run(), name="bayident-trustlist-refresh"
        )
        return self._task

    async def aclose(self) -> None:
        """Stop the background refresh (if any) and wait for it to end."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # --- the plan -------------------------------------------------------------------------
    def _read(
        self, result: FetchResult, signers: tuple[SignerSpec, ...] = ()
    ) -> TrustListDocument | None:
        if not result.ok or result.data is None:
            return None
        # A JSON list signed without x5c can only be checked with the pinned keys.
        keys: list[Any] = [
            s for s in signers if isinstance(s, x509.Certificate) or hasattr(s, "public_bytes")
        ]
        return read_trusted_list(
            result.data, source=result.url, keys=keys, max_bytes=self.max_bytes, policy=self.policy
        )

    def _plan(self) -> Generator[str, FetchResult, RefreshReport]:
        work = _Work()
        queue: list[tuple[ListSource, tuple[SignerSpec, ...]]] = [
            (s, s.signers) for s in self.sources
        ]
        visited: set[str] = set()
        while queue:
            src, signers = queue.pop(0)
            if src.url in visited:
                continue
            if len(visited) >= self.max_lists:
                work.warnings.append(f"more than {self.max_lists} lists; the rest were not fetched")
                break
            visited.add(src.url)
            result = yield src.url
            doc = self._read(result, signers)
            if (
                doc is not None
                and src.follow_pivots
                and doc.trusted_list is not None
                and doc.trusted_list.is_list_of_lists
                and doc.trusted_list.pivot_urls
            ):
                pivots: list[TrustListDocument] = []
                for purl in doc.trusted_list.pivot_urls[:_MAX_PIVOTS]:
                    presult = yield purl
                    pdoc = self._read(presult)
                    if pdoc is None:
                        work.warnings.append(f"pivot {purl} could not be fetched: {presult.error}")
                        break
                    pivots.append(pdoc)
                else:
                    outcome = resolve_pivots(signers, pivots, lotl_url=src.url)
                    if outcome.ok:
                        signers = tuple(outcome.signers)
                    else:
                        work.warnings.append(f"pivots of {src.url} not followed: {outcome.reason}")
            tl = self._decide(src, signers, result, doc, work)
            if tl is not None:
                work.lists.append((tl, src.jurisdiction))
                if tl.is_list_of_lists and src.follow_pointers:
                    for p in tl.pointers:
                        if p.is_list_of_lists or not _is_xml_pointer(p.mime_type, p.location):
                            continue
                        if (
                            src.territories is not None
                            and (p.territory or "") not in src.territories
                        ):
                            continue
                        child = ListSource(
                            url=p.location,
                            jurisdiction=None,
                            follow_pointers=False,
                            follow_pivots=False,
                        )
                        queue.append((child, tuple(p.x509_signers())))
        now = self._clock()
        store = TrustListStore(name="trusted lists")
        for tl, juris in work.lists:
            trust_store_from_lists(
                [tl], jurisdiction=juris, service_types=self.service_types, at=now, store=store
            )
        if self.cache is not None:
            self.cache.write_state(
                {k: [seq, sha] for k, (seq, sha) in self.validator.snapshot().items()}
            )
        self._store = store
        report = RefreshReport(tuple(work.outcomes), tuple(work.warnings), store, now)
        self.last_report = report
        for w in work.warnings:
            log.warning("%s", w)
        return report

    def _decide(
        self,
        src: ListSource,
        signers: tuple[SignerSpec, ...],
        result: FetchResult,
        doc: TrustListDocument | None,
        work: _Work,
    ) -> TrustedList | None:
        origin: Literal["network", "not-modified"] = (
            "not-modified" if result.status == "not-modified" else "network"
        )
        if doc is None:
            why = f"could not be fetched: {result.error}"
        else:
            acc = self.validator.accept(doc, signers=signers)
            if acc.accepted and acc.trusted_list is not None:
                tl = acc.trusted_list
                if origin == "network" and self.cache is not None and result.data is not None:
                    self.cache.put(
                        src.url, result.data, etag=result.etag, last_modified=result.last_modified
                    )
                self._good[src.url] = _Good(doc, self._clock())
                work.warnings.extend(f"{src.url}: {w}" for w in acc.warnings)
                work.outcomes.append(
                    ListOutcome(
                        src.url,
                        True,
                        acc.reason,
                        origin,
                        tl.sequence_number,
                        tl.territory,
                        acc.warnings,
                    )
                )
                return tl
            why = f"refused: {acc.reason}"
        return self._fallback(src, signers, why, work)

    def _fallback(
        self, src: ListSource, signers: tuple[SignerSpec, ...], why: str, work: _Work
    ) -> TrustedList | None:
        candidates: list[tuple[TrustListDocument, str]] = []
        good = self._good.get(src.url)
        if good is not None:
            candidates.append(
                (good.document, f"the copy accepted at {good.accepted_at.isoformat()}")
            )
        if self.cache is not None:
            entry = self.cache.get(src.url)
            if entry is not None and (good is None or good.document.sha256 != _sha(entry.data)):
                cached = read_trusted_list(
                    entry.data,
                    source=f"{src.url} (cache)",
                    max_bytes=self.max_bytes,
                    policy=self.policy,
                )
                candidates.append(
                    (cached, f"the cached copy stored at {entry.stored_at.isoformat()}")
                )
        for cdoc, label in candidates:
            acc = self.validator.accept(cdoc, signers=signers, commit=False)
            if acc.accepted and acc.trusted_list is not None:
                tl = acc.trusted_list
                warning = (
                    f"{src.url} {why}; using {label} (sequence {tl.sequence_number}, NextUpdate "
                    f"{tl.next_update.isoformat() if tl.next_update else 'none'})"
                )
                work.warnings.append(warning)
                work.warnings.extend(f"{src.url}: {w}" for w in acc.warnings)
                work.outcomes.append(
                    ListOutcome(
                        src.url,
                        True,
                        acc.reason,
                        "fallback",
                        tl.sequence_number,
                        tl.territory,
                        (warning, *acc.warnings),
                    )
                )
                if good is None:
                    self._good[src.url] = _Good(cdoc, self._clock())
                return tl
        last = (
            "; the earlier copies are not usable either"
            if candidates
            else "; no earlier copy is kept"
        )
        work.warnings.append(f"{src.url} {why}{last}")
        work.outcomes.append(ListOutcome(src.url, False, f"{why}{last}", "none"))
        return None


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _is_xml_pointer(mime: str | None, location: str) -> bool:
    if mime:
        return "xml" in mime.lower() or "json" in mime.lower() or "jose" in mime.lower()
    return not location.lower().endswith(".pdf")
