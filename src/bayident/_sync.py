"""Running a coroutine from synchronous code without breaking a caller's event loop."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_POOL: concurrent.futures.ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> concurrent.futures.ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = concurrent.futures.ThreadPoolExecutor(
                max_workers=4, thread_name_prefix="bayident-sync"
            )
        return _POOL


class _NeedsLoop(Exception):
    pass


def run_coroutine(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run the coroutine made by ``factory`` to completion from synchronous code.

    Most of bayident's coroutines finish without ever waiting (nothing to
    fetch), so one is first stepped directly, which costs next to nothing. If
    it turns out to need an event loop, it is abandoned and a fresh one is run
    on a private loop in a worker thread. That is safe even when the caller is
    itself inside a running event loop, where ``asyncio.run()`` would fail.
    Coroutines given here must therefore be free of side effects before their
    first wait.
    """
    coro = factory()
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    except RuntimeError as exc:
        if "event loop" not in str(exc):
            raise
    coro.close()
    return _pool().submit(asyncio.run, factory()).result()
