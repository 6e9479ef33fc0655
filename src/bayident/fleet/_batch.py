"""Verifying a batch across CPU cores: a process pool of copies of one Verifier.

The pool's processes are forked from the caller's, so each starts with the verifier as
it is (trust, policy, warm caches, the shared cache's settings) without pickling it.
Items go out in chunks and at most ``window`` chunks are in flight, so a batch of any
size (a generator over an archive) needs memory for the window, not the batch. Results
come back in input order. On a platform without ``fork`` the batch runs in threads.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from itertools import islice
from typing import Any

from .._exceptions import InvalidArgument

__all__ = ["Progress", "averify_many", "verify_many"]

#: progress(done, total): ``total`` is None when the items have no length.
Progress = Callable[[int, int | None], None]

_WORKER: Any = None  # the verifier of a pool process


def _init(verifier: Any) -> None:
    """Runs first in each pool process: take the verifier, drop what fork left half-done."""
    global _WORKER
    from ..revocation import _http

    # Locks held by another thread of the parent at the fork would never be released
    # here, and in-flight fetches would never finish; pooled HTTP connections are the
    # parent's sockets. Start these afresh.
    _http._DEFAULT_CLIENT = None
    verifier._lock = threading.Lock()
    service = verifier.revocation
    service._lock = threading.Lock()
    service._flights = {}
    service._aflights = {}
    _WORKER = verifier


def _one(verifier: Any, item: Any) -> Any:
    if isinstance(item, Mapping):
        kwargs = dict(item)
        if "evidence" not in kwargs:
            raise InvalidArgument("a verify_many item given as a mapping needs 'evidence'")
        evidence = kwargs.pop("evidence")
        return verifier.verify(evidence, **kwargs)
    if isinstance(item, tuple):
        if len(item) != 2:
            raise InvalidArgument("a verify_many item given as a tuple must be (evidence, content)")
        return verifier.verify(item[0], content=item[1])
    return verifier.verify(item)


def _run_chunk(items: list[Any], verifier: Any = None) -> list[tuple[bool, Any]]:
    v = verifier if verifier is not None else _WORKER
    out: list[tuple[bool, Any]] = []
    for item in items:
        try:
            out.append((True, _one(v, item)))
        except Exception as exc:  # handed back and raised in the caller, in order
            out.append((False, exc))
    return out


def _check(workers: int | None, chunk: int, window: int | None) -> tuple[int, int]:
    if workers is None:
        workers = os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidArgument("workers must be a positive int")
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise InvalidArgument("chunk must be a positive int")
    if window is None:
        window = workers * 2
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise InvalidArgument("window must be a positive int")
    return workers, window


def _executor(verifier: Any, workers: int) -> Executor:
    if "fork" in multiprocessing.get_all_start_methods():
        return ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_init,
            initargs=(verifier,),
        )
    return ThreadPoolExecutor(max_workers=workers)  # pragma: no cover - no fork here


def _total(items: Iterable[Any]) -> int | None:
    try:
        return len(items)  # type: ignore[arg-type]
    except TypeError:
        return None


def _unpack(outcome: list[tuple[bool, Any]]) -> Iterator[Any]:
    for ok, value in outcome:
        if not ok:
            raise value
        yield value


def verify_many(
    verifier: Any,
    items: Iterable[Any],
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    chunk: int = 64,
    window: int | None = None,
) -> Iterator[Any]:
    """Verify ``items`` with ``verifier`` in a pool of ``workers`` processes.

    Each item is evidence, an ``(evidence, content)`` tuple, or a mapping of
    :meth:`bayident.Verifier.verify`'s arguments with ``evidence``. Yields the results
    in input order. Items are sent in chunks of ``chunk``; at most ``window`` chunks
    (default ``2 × workers``) are in flight, so memory stays bounded however long the
    batch. ``progress(done, total)`` is called as results arrive (``total`` is None
    when ``items`` has no length). An exception ``verify`` raises for an item (an
    unreadable file) is raised at that item's place. The calling process counts as one
    of the ``workers``: it verifies chunks too while it waits, so ``workers=2`` forks one
    process, and ``workers=1`` verifies in this process alone. The processes are forks of
    this one: they share the verifier's ``shared_cache`` (Redis) but not its in-memory
    caches after the fork.
    """
    workers, window = _check(workers, chunk, window)
    total = _total(items)
    source = iter(items)
    done = 0
    if workers == 1:
        for item in source:
            yield from _unpack(_run_chunk([item], verifier))
            done += 1
            if progress is not None:
                progress(done, total)
        return
    # This process is one of the workers: while the head chunk is still out, it verifies
    # the next chunk itself instead of waiting (its results need no pickling).
    pool = _executor(verifier, workers - 1)
    threads = isinstance(pool, ThreadPoolExecutor)
    pending: deque[Future[list[tuple[bool, Any]]] | list[tuple[bool, Any]]] = deque()
    try:
        while True:
            while len(pending) < window:
                part = list(islice(source, chunk))
                if not part:
                    break
                if threads:  # pragma: no cover - no fork here
                    pending.append(pool.submit(_run_chunk, part, verifier))
                else:
                    pending.append(pool.submit(_run_chunk, part))
            if not pending:
                break
            head = pending[0]
            if isinstance(head, Future) and not head.done() and len(pending) < 2 * window:
                part = list(islice(source, chunk))
                if part:
                    pending.append(_run_chunk(part, verifier))
                    continue
            pending.popleft()
            outcome = head.result() if isinstance(head, Future) else head
            yield from _unpack(outcome)
            done += len(outcome)
            if progress is not None:
                progress(done, total)
    finally:
        for entry in pending:
            if isinstance(entry, Future):
                entry.cancel()
        pool.shutdown(wait=True, cancel_futures=True)


async def averify_many(
    verifier: Any,
    items: Iterable[Any],
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    chunk: int = 64,
    window: int | None = None,
) -> AsyncIterator[Any]:
    """Asynchronous :func:`verify_many`: ``async for result in averify_many(...)``.

    Unlike :func:`verify_many` it forks ``workers`` processes and leaves the event loop's
    process to collect results, so the loop stays responsive.
    """
    workers, window = _check(workers, chunk, window)
    total = _total(items)
    source = iter(items)
    done = 0
    pool = _executor(verifier, workers)
    threads = isinstance(pool, ThreadPoolExecutor)
    loop = asyncio.get_running_loop()
    pending: deque[asyncio.Future[list[tuple[bool, Any]]]] = deque()
    try:
        while True:
            while len(pending) < window:
                part = list(islice(source, chunk))
                if not part:
                    break
                args = (part, verifier) if threads else (part,)
                pending.append(loop.run_in_executor(pool, _run_chunk, *args))
            if not pending:
                break
            outcome = await pending.popleft()
            for result in _unpack(outcome):
                yield result
            done += len(outcome)
            if progress is not None:
                progress(done, total)
    finally:
        for future in pending:
            future.cancel()
        await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
