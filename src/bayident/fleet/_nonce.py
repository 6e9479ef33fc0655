"""An iAM Smart nonce store shared by every instance of a service, on Redis or Valkey."""

from __future__ import annotations

import hashlib
from typing import Any

from .._exceptions import InvalidArgument
from ..schemes.iamsmart._common import EnvelopeErrorCode, IAmSmartEnvelopeError
from ._backend import redis_client

__all__ = ["NonceStoreUnavailable", "RedisNonceStore"]


class NonceStoreUnavailable(IAmSmartEnvelopeError):
    """The nonce could not be recorded (Redis unreachable, slow or answering nonsense).

    A request whose nonce cannot be recorded is refused: accepting it would let it be
    replayed. Its code is ``NONCE_STORE_FULL`` (the store cannot take the nonce), so
    existing handling of that code applies; the message says what failed.
    """

    def __init__(self, message: str) -> None:
        super().__init__(EnvelopeErrorCode.NONCE_STORE_FULL, message, field="nonce")


class RedisNonceStore:
    """A :class:`bayident.schemes.iamsmart.NonceStore` in Redis, shared by a fleet.

    ``RedisNonceStore("redis://host:6379/0")`` (``rediss://`` for TLS) or
    ``RedisNonceStore(redis.Redis(...))``. Each nonce is recorded by one atomic
    ``SET key 1 NX PX ttl``: of several instances receiving the same request, exactly
    one records it. It fails closed: any Redis fault raises
    :class:`NonceStoreUnavailable` (an ``IAmSmartEnvelopeError``), so the request is
    refused, never accepted unrecorded. ``timeout`` bounds each command (seconds, for a
    store made from a URL). Keys are ``<prefix>:<SHA-256 of client and nonce>``.
    """

    def __init__(
        self, url_or_client: Any, *, prefix: str = "bayident:nonce", timeout: float = 0.5
    ) -> None:
        if not isinstance(prefix, str) or not prefix:
            raise InvalidArgument("prefix must be a non-empty str")
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise InvalidArgument("timeout must be a positive number of seconds")
        self.client = redis_client(url_or_client, timeout=float(timeout))
        self.prefix = prefix

    def __repr__(self) -> str:
        return f"RedisNonceStore(prefix={self.prefix!r})"

    def add_if_absent(self, key: str, *, expires_at_ms: int, now_ms: int) -> bool:
        """See :meth:`bayident.schemes.iamsmart.NonceStore.add_if_absent`."""
        if not isinstance(key, str):
            raise InvalidArgument("key must be a str")
        # Kept a millisecond past expires_at_ms: the nonce is still fresh at exactly that
        # moment. Redis counts from its own clock; a key for an already expired request
        # is kept at least a second, which costs nothing and never shortens protection.
        ttl_ms = max(int(expires_at_ms) - int(now_ms) + 1, 1000)
        name = f"{self.prefix}:{hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()}"
        try:
            done = self.client.set(name, b"1", nx=True, px=ttl_ms)
        except Exception as exc:  # any fault: refuse the request (fail closed)
            raise NonceStoreUnavailable(
                f"the nonce could not be recorded in Redis ({type(exc).__name__}: {exc}); "
                "the request is refused rather than accepted unrecorded"
            ) from None
        if done is True:
            return True
        if done is None:
            return False
        raise NonceStoreUnavailable(
            f"Redis answered SET NX with {done!r}; the request is refused rather than "
            "accepted unrecorded"
        )
