"""One bounded, thread-safe memo: the only way bayident remembers an answer.

Reads take no lock: they are one ``OrderedDict.get`` (atomic under the interpreter
lock), which keeps a warm verification's many look-ups as cheap as a plain ``dict``.
Writes take the memo's lock and, past ``size`` entries, drop the least recently
*written* entry. A read does not refresh an entry: that would need the lock on every
read, and an entry read often is written again as soon as it is dropped.

A memo that holds answers depending on a verifier's configuration (trust, policy, the
scheme registry, the clock) belongs to that verifier and is emptied by
:meth:`bayident.Verifier.clear_caches`; one that holds a pure function of its key (a
parsed name, a parsed DER structure) may be process-wide, with a comment saying so.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar, overload

from ._exceptions import InvalidArgument

__all__ = ["Memo"]

K = TypeVar("K")
V = TypeVar("V")
D = TypeVar("D")

_MISSING = object()


class Memo(Generic[K, V]):
    """At most ``size`` remembered values; lock-free reads, locked writes.

    >>> m: Memo[str, int] = Memo(2)
    >>> m.get_or_make("a", lambda: 1), m.get("a"), m.get("b")
    (1, 1, None)
    """

    __slots__ = ("_items", "_lock", "_size", "get")

    def __init__(self, size: int) -> None:
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise InvalidArgument(f"a memo holds at least one entry, not {size!r}")
        self._items: OrderedDict[K, V] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()
        # The read is the mapping's own ``get``, bound once: no Python call in between,
        # so a memo costs a warm or cold verification no more than a plain dict did.
        # (The mapping is never replaced, only emptied, so the binding stays right.)
        object.__setattr__(self, "get", self._items.get)

    @property
    def size(self) -> int:
        """The most entries this memo holds."""
        return self._size

    if TYPE_CHECKING:  # at run time, the instance's bound ``OrderedDict.get``

        @overload
        def get(self, key: K) -> V | None: ...

        @overload
        def get(self, key: K, default: D) -> V | D: ...

        def get(self, key: K, default: object = None) -> object:
            """The value remembered for ``key``, or ``default``; takes no lock."""

    def put(self, key: K, value: V) -> None:
        """Remember ``value`` for ``key``, dropping the oldest entry past the size."""
        items = self._items
        with self._lock:
            if key in items:
                items.move_to_end(key)
            items[key] = value
            if len(items) > self._size:
                items.popitem(last=False)

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        """The value remembered for ``key``, made by ``make()`` and remembered when absent.

        ``make`` runs without the lock: two threads missing at once may both make the
        value, and the second one written is kept. Callers needing one maker at a time
        (single flight) keep their own lock around this.
        """
        hit = self._items.get(key, _MISSING)
        if hit is not _MISSING:
            return hit  # type: ignore[return-value]
        value = make()
        self.put(key, value)
        return value

    def discard(self, key: K) -> None:
        """Forget ``key``, if remembered."""
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items
