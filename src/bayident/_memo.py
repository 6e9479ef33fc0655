"""One bounded, thread-safe memo for every cache a :class:`~bayident.Verifier` keeps.

Parsed certificates, path decisions, scheme identifications, parsed revocation data:
each is a ``Memo`` the verifier owns, so two verifiers never share an answer through a
module global, and ``Verifier.clear_caches()`` empties all of them in one place.

Reads take no lock: a ``dict`` lookup is atomic under the GIL and a stale miss only
costs a recomputation. Writes and evictions hold the lock, so the size bound holds.
Recency is refreshed on write only; under a steady workload the hot entries are the
ones written again after an eviction, which keeps reads as cheap as a plain ``dict``.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    """A size-bounded mapping that forgets its oldest entries first."""

    __slots__ = ("_items", "_lock", "size")

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a memo holds at least one entry")
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The remembered value, or ``None``."""
        return self._items.get(key)

    def put(self, key: K, value: V) -> V:
        """Remember ``value`` (dropping the oldest entries beyond the bound); returns it."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def get_or_make(self, key: K, make: Callable[[], V]) -> V:
        """The remembered value, computing and remembering it on a miss.

        ``make`` runs outside the lock: two threads missing at once may both compute,
        and the later write wins, which is harmless for the pure functions memoised here.
        """
        found = self._items.get(key)
        if found is not None:
            return found
        return self.put(key, make())

    def discard(self, key: K) -> None:
        """Forget one entry, if present."""
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
