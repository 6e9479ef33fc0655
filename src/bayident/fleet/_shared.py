"""A cache shared by every verifier of a fleet: values, their envelope, and single flight.

Each value is stored under ``<prefix>:v<FORMAT>:<kind>:<id>``. The format number is in
the key, so two bayident versions with different formats share one Redis without
reading each other's values (a rolling deploy), and versions with the same format
share them. A value is ``BIF1`` + a 32-byte tag + a JSON header line + the payload;
the tag is HMAC-SHA256 under ``key`` when one is configured, else SHA-256 (which
catches truncation and garbage, not forgery). The header names the kind and id, so a
value copied under another key is refused. Whatever a value claims, what bayident
relies on is re-checked on read: OCSP responses and CRLs are signed data and go
through the same checks as fetched ones.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from .._exceptions import InvalidArgument
from ._backend import CacheBackend, RedisBackend

__all__ = ["FORMAT", "Shared", "SharedCache"]

#: The value format. Raise it whenever the envelope or a payload changes meaning.
FORMAT = 1
_MAGIC = b"BIF1"
_MAX_VALUE = 64 * 1024 * 1024

T = TypeVar("T")


@dataclass(frozen=True)
class Shared:
    """A value read back: its header fields and payload, after its tag was checked."""

    header: dict[str, Any]
    payload: bytes


class SharedCache:
    """What a fleet of verifiers shares, in Redis (or Valkey, or any :class:`CacheBackend`).

    ``SharedCache("redis://host:6379/0")``, ``"rediss://..."`` (TLS), a ``redis.Redis``
    client, or a backend object. Pass it (or just the URL or client) to
    ``Verifier(shared_cache=...)``; one object may serve many verifiers.

    ``timeout`` bounds each Redis command (seconds); ``retry_after`` is how long a
    backend fault keeps Redis out of the way before it is tried again; ``lock_ttl`` is
    the expiry of a fetch lock (the longest one process may keep others waiting);
    ``wait`` how long a process waits for another's fetch before fetching itself;
    ``failure_ttl`` how long a failed fetch is remembered so the others do not all try
    it again at once; ``key`` (bytes) authenticates values with HMAC-SHA256: without
    it, JWKS documents are not shared (they are not signed, so a value read back could
    not be told from a planted one). ``list_ttl`` is how long a downloaded trusted list
    is offered to the other processes' refreshes. ``prefix`` separates several fleets
    in one Redis.
    """

    def __init__(
        self,
        backend: Any,
        *,
        prefix: str = "bayident",
        key: bytes | None = None,
        timeout: float = 0.5,
        retry_after: float = 5.0,
        lock_ttl: float = 30.0,
        wait: float = 15.0,
        failure_ttl: float = 5.0,
        list_ttl: float = 600.0,
    ) -> None:
        if isinstance(backend, CacheBackend) and not isinstance(backend, str):
            self.backend: CacheBackend = backend
        else:
            self.backend = RedisBackend(backend, timeout=timeout, retry_after=retry_after)
        if not isinstance(prefix, str) or not prefix or any(c.isspace() for c in prefix):
            raise InvalidArgument("prefix must be a non-empty str without spaces")
        if key is not None and (not isinstance(key, bytes) or len(key) < 16):
            raise InvalidArgument("key must be bytes, at least 16 of them")
        for name, value in (
            ("lock_ttl", lock_ttl),
            ("wait", wait),
            ("failure_ttl", failure_ttl),
            ("list_ttl", list_ttl),
        ):
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise InvalidArgument(f"{name} must be a positive number of seconds")
        self.prefix = prefix
        self._key = key
        self.lock_ttl = float(lock_ttl)
        self.wait = float(wait)
        self.failure_ttl = float(failure_ttl)
        self.list_ttl = float(list_ttl)
        self._lock = threading.Lock()
        self._stats = {
            "hits": 0,
            "misses": 0,
            "writes": 0,
            "refused": 0,
            "waited": 0,
            "fetched": 0,
        }

    @classmethod
    def coerce(cls, value: Any) -> SharedCache:
        """The ``shared_cache=`` argument as a :class:`SharedCache`."""
        if isinstance(value, SharedCache):
            return value
        return cls(value)

    def __repr__(self) -> str:
        return f"SharedCache({self.backend!r}, prefix={self.prefix!r})"

    # --- bookkeeping -------------------------------------------------------------------
    @property
    def authenticated(self) -> bool:
        """True when values carry an HMAC under a configured key."""
        return self._key is not None

    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._stats[name] += n

    def stats(self) -> dict[str, int]:
        """Counters of this process: ``hits``, ``misses``, ``writes``, ``refused`` (values
        that failed their tag or checks), ``waited`` (answers another process fetched while
        this one waited), ``fetched`` (fetches made under the fleet lock)."""
        with self._lock:
            return dict(self._stats)

    def name(self, kind: str, ident: str) -> str:
        """The Redis key of a value."""
        return f"{self.prefix}:v{FORMAT}:{kind}:{ident}"

    # --- envelope ----------------------------------------------------------------------
    def _tag(self, body: bytes) -> bytes:
        if self._key is not None:
            return hmac.new(self._key, body, hashlib.sha256).digest()
        return hashlib.sha256(body).digest()

    def seal(self, kind: str, ident: str, header: dict[str, Any], payload: bytes) -> bytes:
        head = json.dumps({**header, "k": kind, "id": ident}, separators=(",", ":")).encode()
        body = head + b"\n" + payload
        return _MAGIC + self._tag(body) + body

    def open(self, kind: str, ident: str, value: bytes | None) -> Shared | None:
        """The value's header and payload, or None when it is not one of ours for this key."""
        if value is None:
            return None
        if len(value) > _MAX_VALUE or not value.startswith(_MAGIC) or len(value) < 37:
            return None
        tag, body = value[4:36], value[36:]
        if not hmac.compare_digest(tag, self._tag(body)):
            return None
        head, sep, payload = body.partition(b"\n")
        if not sep:
            return None
        try:
            header = json.loads(head)
        except ValueError:
            return None
        if not isinstance(header, dict) or header.get("k") != kind or header.get("id") != ident:
            return None
        return Shared(header, payload)

    def read(self, kind: str, ident: str) -> Shared | None:
        key = self.name(kind, ident)
        raw = self.backend.get(key)
        if raw is None:
            self.count("misses")
            return None
        found = self.open(kind, ident, raw)
        if found is None:
            self.count("refused")
            self.backend.delete(key)
            return None
        return found

    def write(
        self, kind: str, ident: str, header: dict[str, Any], payload: bytes, ttl: float
    ) -> bool:
        ttl_ms = int(ttl * 1000)
        if ttl_ms <= 0:
            return False
        done = self.backend.put(
            self.name(kind, ident), self.seal(kind, ident, header, payload), ttl_ms
        )
        if done:
            self.count("writes")
        return done

    def forget(self, kind: str, ident: str) -> None:
        self.backend.delete(self.name(kind, ident))

    # --- single flight across processes ----------------------------------------------------
    def once(
        self,
        kind: str,
        ident: str,
        decode: Callable[[Shared], T | None],
        fetch: Callable[[], T],
        encode: Callable[[T], tuple[dict[str, Any], bytes, float] | None],
        failed: Callable[[str], BaseException],
        describe: Callable[[BaseException], str | None],
    ) -> T:
        """The value for (kind, ident): read, or fetched once across the fleet.

        ``decode`` turns a value read back into an answer, or None when it is not usable
        (then it is fetched). ``encode`` gives (header, payload, seconds to keep) or None
        (not to be shared). A failed fetch whose ``describe`` is not None is remembered
        for ``failure_ttl``; others waiting then raise ``failed(reason)``.
        """
        deadline = time.monotonic() + self.wait
        pause = 0.005
        lock_name = self.name(kind + "-lock", ident)
        while True:
            hit = self._usable(kind, ident, decode, failed)
            if hit is not None:
                return hit
            token = self.backend.lock(lock_name, int(self.lock_ttl * 1000))
            if token is not None:
                break
            if not self.backend.available or time.monotonic() >= deadline:
                return fetch()  # Redis is gone, or the holder is too slow: ask ourselves
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
        try:
            # Another process may have finished between our read and our lock.
            hit = self._usable(kind, ident, decode, failed)
            if hit is not None:
                return hit
            self.count("fetched")
            try:
                answer = fetch()
            except BaseException as exc:
                self._remember_failure(kind, ident, describe(exc))
                raise
            self._share(kind, ident, answer, encode)
            return answer
        finally:
            self.backend.unlock(lock_name, token)

    async def aonce(
        self,
        kind: str,
        ident: str,
        decode: Callable[[Shared], T | None],
        fetch: Callable[[], Awaitable[T]],
        encode: Callable[[T], tuple[dict[str, Any], bytes, float] | None],
        failed: Callable[[str], BaseException],
        describe: Callable[[BaseException], str | None],
    ) -> T:
        """Asynchronous :meth:`once`; Redis commands run in a worker thread."""
        deadline = time.monotonic() + self.wait
        pause = 0.005
        lock_name = self.name(kind + "-lock", ident)
        while True:
            hit: T | None = await asyncio.to_thread(
                lambda: self._usable(kind, ident, decode, failed)
            )
            if hit is not None:
                return hit
            token = await asyncio.to_thread(self.backend.lock, lock_name, int(self.lock_ttl * 1000))
            if token is not None:
                break
            if not self.backend.available or time.monotonic() >= deadline:
                return await fetch()
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.05)
        try:
            hit = await asyncio.to_thread(lambda: self._usable(kind, ident, decode, failed))
            if hit is not None:
                return hit
            self.count("fetched")
            try:
                answer = await fetch()
            except BaseException as exc:
                await asyncio.to_thread(self._remember_failure, kind, ident, describe(exc))
                raise
            await asyncio.to_thread(self._share, kind, ident, answer, encode)
            return answer
        finally:
            await asyncio.to_thread(self.backend.unlock, lock_name, token)

    def _usable(
        self,
        kind: str,
        ident: str,
        decode: Callable[[Shared], T | None],
        failed: Callable[[str], BaseException],
    ) -> T | None:
        found = self.read(kind, ident)
        if found is None:
            return None
        if "failed" in found.header:
            # Only ever makes this verification fail the way the fetch did, never pass.
            reason = found.header["failed"]
            self.count("waited")
            raise failed(f"{reason} (as another verifier of the fleet found moments ago)")
        try:
            answer = decode(found)
        except Exception:  # a value that does not decode is garbage: fetch instead
            answer = None
        if answer is None:
            self.count("refused")
            self.forget(kind, ident)
            return None
        self.count("hits")
        return answer

    def _share(
        self,
        kind: str,
        ident: str,
        answer: T,
        encode: Callable[[T], tuple[dict[str, Any], bytes, float] | None],
    ) -> None:
        packed = encode(answer)
        if packed is not None:
            header, payload, ttl = packed
            self.write(kind, ident, header, payload, ttl)

    def _remember_failure(self, kind: str, ident: str, reason: str | None) -> None:
        if reason is not None:
            self.write(kind, ident, {"failed": str(reason)[:500]}, b"", self.failure_ttl)
