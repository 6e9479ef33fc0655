"""The cache-backend seam: a small protocol, and its Redis (or Valkey) implementation.

Everything bayident shares across processes goes through :class:`CacheBackend`:
``get``/``put``/``delete`` of byte values with an expiry, a lock with an expiry, and a
"raise to at least" counter (trusted-list sequence numbers). :class:`RedisBackend`
speaks to Redis with bounded timeouts and never raises: a fault reads as a miss, a
write that did not happen, or a lock not taken, and the backend then stays quiet for
``retry_after`` seconds (so a dead Redis costs one timeout, not one per verification)
before trying again; redis-py reconnects by itself.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any, Protocol, runtime_checkable

from .._exceptions import InvalidArgument

__all__ = ["CacheBackend", "RedisBackend", "redis_client"]

log = logging.getLogger("bayident.fleet")

# Compare-and-delete: only the holder of a lock releases it (its expiry may have passed
# and another process may hold it now).
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
# Raise a counter to at least ARGV[1], keeping it ARGV[2] ms; returns the value now held.
_RAISE = """
local cur = tonumber(redis.call('get', KEYS[1]) or '-1')
local new = tonumber(ARGV[1])
if new > cur then redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return new end
redis.call('pexpire', KEYS[1], ARGV[2])
return cur
"""


@runtime_checkable
class CacheBackend(Protocol):
    """Where shared values live. Implementations must never raise for a backend fault.

    A fault reads as ``None`` (get), ``False`` (put, delete), ``None`` (lock: not taken,
    and :attr:`available` turns False so callers stop waiting for others).
    """

    @property
    def available(self) -> bool:
        """False while the backend is known to be unreachable."""
        ...

    def get(self, key: str) -> bytes | None:
        """The value, or None (absent, or the backend failed)."""
        ...

    def put(self, key: str, value: bytes, ttl_ms: int) -> bool:
        """Store ``value`` for ``ttl_ms`` milliseconds; False when it was not stored."""
        ...

    def delete(self, key: str) -> bool:
        """Forget ``key``; False when the backend failed."""
        ...

    def lock(self, key: str, ttl_ms: int) -> str | None:
        """Take the lock ``key`` for ``ttl_ms``; its token, or None if held or failed."""
        ...

    def unlock(self, key: str, token: str) -> None:
        """Release the lock if ``token`` still holds it."""
        ...

    def raise_to(self, key: str, value: int, ttl_ms: int) -> int | None:
        """Raise the counter ``key`` to at least ``value``; the value now held, or None."""
        ...


def redis_client(url_or_client: Any, *, timeout: float) -> Any:
    """A ``redis.Redis`` from a ``redis://`` / ``rediss://`` / ``unix://`` URL, or the client given."""
    try:
        import redis
    except ImportError:  # pragma: no cover - depends on the installation
        raise InvalidArgument(
            "a shared cache needs the redis client: pip install 'bayident[redis]'"
        ) from None
    if isinstance(url_or_client, str):
        if not url_or_client.startswith(("redis://", "rediss://", "unix://")):
            raise InvalidArgument(
                f"shared cache URL {url_or_client!r} must start with redis://, rediss:// "
                "(TLS) or unix://"
            )
        try:
            return redis.Redis.from_url(
                url_or_client,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                health_check_interval=30,
            )
        except ValueError as exc:
            raise InvalidArgument(f"shared cache URL {url_or_client!r}: {exc}") from None
    if isinstance(url_or_client, redis.Redis):
        return url_or_client
    raise InvalidArgument(
        "expected a redis:// or rediss:// URL or a redis.Redis client, not "
        f"{type(url_or_client).__name__}"
    )


class RedisBackend:
    """A :class:`CacheBackend` on Redis or Valkey (the same commands), thread-safe.

    ``timeout`` bounds every command (connect and read, seconds) when the backend makes
    the client from a URL; for a client you pass, its own timeouts apply. After a fault
    the backend answers "miss" without asking Redis for ``retry_after`` seconds.
    """

    def __init__(
        self, url_or_client: Any, *, timeout: float = 0.5, retry_after: float = 5.0
    ) -> None:
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise InvalidArgument("timeout must be a positive number of seconds")
        if isinstance(retry_after, bool) or not isinstance(retry_after, int | float):
            raise InvalidArgument("retry_after must be a number of seconds")
        self.client = redis_client(url_or_client, timeout=float(timeout))
        self.retry_after = float(retry_after)
        self._down_until = 0.0
        self._lock = threading.Lock()
        self._release = self.client.register_script(_RELEASE)
        self._raise = self.client.register_script(_RAISE)
        self.errors = 0
        self.last_error: str | None = None

    def __repr__(self) -> str:
        kwargs = getattr(self.client, "connection_pool", None)
        where = getattr(kwargs, "connection_kwargs", {})
        return f"RedisBackend(host={where.get('host')!r}, port={where.get('port')!r})"

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> tuple[bool, Any]:
        if not self.available:
            return False, None
        try:
            return True, fn(*args, **kwargs)
        except Exception as exc:  # any fault of the backend is a miss, never an error
            with self._lock:
                self.errors += 1
                self.last_error = f"{what}: {type(exc).__name__}: {exc}"
                first = time.monotonic() >= self._down_until
                self._down_until = time.monotonic() + self.retry_after
            if first:
                log.warning(
                    "shared cache unavailable (%s); going on without it for %.1f s",
                    self.last_error,
                    self.retry_after,
                )
            return False, None

    def get(self, key: str) -> bytes | None:
        ok, value = self._call("GET", self.client.get, key)
        return value if ok and isinstance(value, bytes) else None

    def put(self, key: str, value: bytes, ttl_ms: int) -> bool:
        if ttl_ms <= 0:
            return False
        ok, done = self._call("SET", self.client.set, key, value, px=int(ttl_ms))
        return bool(ok and done)

    def delete(self, key: str) -> bool:
        ok, _ = self._call("DEL", self.client.delete, key)
        return ok

    def lock(self, key: str, ttl_ms: int) -> str | None:
        token = uuid.uuid4().hex
        ok, done = self._call("SET NX", self.client.set, key, token, nx=True, px=int(ttl_ms))
        return token if ok and done else None

    def unlock(self, key: str, token: str) -> None:
        self._call("EVALSHA release", self._release, keys=[key], args=[token])

    def raise_to(self, key: str, value: int, ttl_ms: int) -> int | None:
        ok, now = self._call("EVALSHA raise", self._raise, keys=[key], args=[value, int(ttl_ms)])
        if not ok:
            return None
        try:
            return int(now)
        except (TypeError, ValueError):
            return None
