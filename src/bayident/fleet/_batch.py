"""Verifying a batch across CPU cores: a process pool of copies of one Verifier.

The pool's processes are forked from the caller's, so each starts with the verifier as
it is (trust, policy, warm caches, the shared cache's settings) without pickling it.
Items go out in chunks and at most ``window`` chunks are in flight, so a batch of any
size (a generator over an archive) needs memory for the window, not the batch. Results
come back in input order. On a platform without ``fork`` the batch runs in threads.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from itertools import islice
from typing import Any

from .._exceptions import InvalidArgument
from ._pool import start_workers

__all__ = ["Progress", "averify_many", "verify_many"]

#: progress(done, total): ``total`` is None when the items have no length.
Progress = Callable[[int, int | None], None]

_WORKER: Any = None  # the verifier of a pool process


def _init(verifier: Any) -> None:
    """Runs first in each pool process: take the verifier, drop what fork left half-done."""
    global _WORKER

    # Locks held by another thread of the parent at the fork would never be released
    # here, and in-flight fetches would never finish. Start these afresh. (The shared
    # HTTP client is dropped in every forked child by bayident._http itself, and redis-py
    # opens new connections when it sees a new process id.)
    verifier._lock = threading.Lock()
    service = verifier.revocation
    service._lock = threading.Lock()
    service._flights = {}
    service._aflights = {}
    shared = verifier.shared_cache
    if shared is not None:
        shared._lock = threading.Lock()
        backend = getattr(shared, "backend", None)
        if backend is not None and hasattr(backend, "_lock"):
            backend._lock = threading.Lock()
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
    """Verify ``items`` with ``verifier`` in ``workers`` processes.

    Each item is evidence, an ``(evidence, content)`` tuple, or a mapping of
    :meth:`bayident.Verifier.verify`'s arguments with ``evidence``. Yields the results
    in input order. Items are handed out in chunks of ``chunk``; at most ``window`` chunks
    (default ``2 × workers``) are out at the other processes and at most twice that many
    are taken ahead of what was yielded, so memory stays bounded however long the batch.
    A list or tuple is taken as it is when the batch starts (the workers, forks of this
    process, already hold it, so only positions cross to them); any other iterable is
    read as the batch goes. ``progress(done, total)`` is called as results arrive
    (``total`` is None when ``items`` has no length). An exception ``verify`` raises for
    an item (an unreadable file) is raised at that item's place. The calling process
    counts as one of the ``workers``: it verifies chunks too while it waits, so
    ``workers=2`` forks one process, and ``workers=1`` verifies in this process alone.
    The processes are forks of this one: they share the verifier's ``shared_cache``
    (Redis) but not its in-memory caches after the fork.
    """
    workers, window = _check(workers, chunk, window)
    total = _total(items)
    if workers == 1:
        for done, item in enumerate(items, 1):
            yield from _unpack(_run_chunk([item], verifier))
            if progress is not None:
                progress(done, total)
        return
    if "fork" not in multiprocessing.get_all_start_methods():  # pragma: no cover
        yield from _threaded(verifier, items, workers, progress, chunk, window, total)
        return
    yield from _forked(verifier, items, workers, progress, chunk, window, total)


def _forked(
    verifier: Any,
    items: Iterable[Any],
    workers: int,
    progress: Progress | None,
    chunk: int,
    window: int,
    total: int | None,
) -> Iterator[Any]:
    """``verify_many`` with forked workers; this process verifies chunks while it waits."""
    seq: tuple[Any, ...] | None = tuple(items) if isinstance(items, list | tuple) else None
    source = iter(()) if seq is not None else iter(items)
    size = len(seq) if seq is not None else 0
    position = 0

    def take() -> tuple[int, int, list[Any] | None] | None:
        """The next chunk: positions in ``seq``, or items read from the iterator."""
        nonlocal position
        if seq is None:
            part = list(islice(source, chunk))
            return (0, 0, part) if part else None
        left = size - position
        if left <= 0:
            return None
        # Smaller chunks towards the end, so no process is left idle waiting for the
        # last big chunk of another.
        step = min(chunk, max(1, -(-left // (2 * workers))))
        position += step
        return position - step, position, None

    def local(start: int, stop: int, part: list[Any] | None) -> list[tuple[bool, Any]]:
        return _run_chunk(part if part is not None else list(seq[start:stop]), verifier)  # type: ignore[index]

    # A worker holds at most two chunks: the one it works on and the next, so it never
    # waits for a task, and none is left holding a long queue at the end of the batch.
    depth = max(1, min(2, window))
    ready: dict[int, list[tuple[bool, Any]]] = {}
    head = number = done = 0
    exhausted = False
    # Freeze what exists now out of the collector's sight for the batch: results waiting
    # in ``ready`` survive collections and so bring on full ones, which would otherwise
    # walk the whole heap (tens of ms, and a copy of every page shared with the workers).
    # Left alone when the caller already froze objects: unfreezing would undo theirs.
    frozen = gc.isenabled() and gc.get_freeze_count() == 0
    if frozen:
        gc.freeze()
    try:
        pool = start_workers(workers - 1, verifier, seq, _init, _run_chunk)
    except BaseException:
        if frozen:
            gc.unfreeze()
        raise
    try:
        while True:
            for w in pool:  # answers that are in, without waiting
                while w.ready():
                    n, outcome = w.receive()
                    ready[n] = outcome
            held = sum(len(w.held) for w in pool)
            for w in pool:
                while (
                    not exhausted
                    and len(w.held) < depth
                    and held < window
                    and len(ready) + held < 2 * window
                ):
                    task = take()
                    if task is None:
                        exhausted = True
                        break
                    w.send(number, *task)
                    number += 1
                    held += 1
            if head in ready:
                outcome = ready.pop(head)
                head += 1
                yield from _unpack(outcome)
                done += len(outcome)
                if progress is not None:
                    progress(done, total)
                continue
            if head == number and exhausted:
                break
            if head == number or (not exhausted and len(ready) + held < 2 * window):
                # The head chunk is still at a worker: verify the next one here meanwhile.
                task = take()
                if task is None:
                    exhausted = True
                    continue
                ready[number] = local(*task)
                number += 1
                continue
            owner = next(w for w in pool if w.held and w.held[0] == head)
            n, outcome = owner.receive()
            ready[n] = outcome
    finally:
        for w in pool:
            w.close()
        if frozen:
            gc.unfreeze()


def _threaded(
    verifier: Any,
    items: Iterable[Any],
    workers: int,
    progress: Progress | None,
    chunk: int,
    window: int,
    total: int | None,
) -> Iterator[Any]:  # pragma: no cover - platforms without fork
    """``verify_many`` in threads; this thread verifies chunks too while it waits."""
    source = iter(items)
    done = 0
    pool = ThreadPoolExecutor(max_workers=workers - 1)
    pending: deque[Future[list[tuple[bool, Any]]] | list[tuple[bool, Any]]] = deque()
    try:
        while True:
            while len(pending) < window:
                part = list(islice(source, chunk))
                if not part:
                    break
                pending.append(pool.submit(_run_chunk, part, verifier))
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
