"""A settable clock, so that validity periods and signing times are reproducible in tests."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bayident._exceptions import InvalidArgument

__all__ = ["Clock", "MockClock", "utc_datetime"]


class Clock(Protocol):
    """Anything that can tell the current time as an aware UTC datetime."""

    def now(self) -> datetime:
        """Return the current instant."""
        ...


def utc_datetime(value: object, field: str) -> datetime:
    """Return *value* as a UTC datetime, or raise :class:`InvalidArgument` naming *field*.

    Naive datetimes are refused rather than guessed: a naive value read as local time is the
    classic source of certificates that are valid on one machine and not on another.
    """
    if not isinstance(value, datetime):
        raise InvalidArgument(f"{field}: expected a datetime, got {type(value).__name__}")
    offset = value.utcoffset()
    if offset is None:
        raise InvalidArgument(f"{field}: naive datetime {value.isoformat()}; use tzinfo=UTC")
    if offset != timedelta(0):
        raise InvalidArgument(f"{field}: {value.isoformat()} is not UTC; use tzinfo=UTC")
    return value.astimezone(UTC)


class MockClock:
    """A clock that only moves when told to.

    ``MockClock(datetime(2026, 1, 1, tzinfo=UTC))`` starts at that instant; without an
    argument it starts at the current real time (truncated to whole seconds). Only aware UTC
    datetimes are accepted. Instances are callable, so ``clock`` can stand in for a ``now()``
    function, and are safe to share between threads.
    """

    def __init__(self, start: datetime | None = None) -> None:
        if start is None:
            start = datetime.now(UTC).replace(microsecond=0)
        self._now = utc_datetime(start, "start")
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Return the clock's current instant (aware, UTC)."""
        with self._lock:
            return self._now

    __call__ = now

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock by *delta* (which may be negative) and return the new instant."""
        if not isinstance(delta, timedelta):
            raise InvalidArgument(f"delta: expected a timedelta, got {type(delta).__name__}")
        with self._lock:
            self._now = self._now + delta
            return self._now

    def set(self, when: datetime) -> None:
        """Jump to the instant *when* (aware, UTC)."""
        moment = utc_datetime(when, "when")
        with self._lock:
            self._now = moment

    def __repr__(self) -> str:
        return f"MockClock({self.now().isoformat()})"
