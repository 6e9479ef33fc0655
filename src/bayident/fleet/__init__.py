"""Running bayident in a fleet: state shared on Redis (or Valkey), and batches across cores.

``Verifier(..., shared_cache="redis://host:6379/0")`` shares OCSP responses, CRLs,
JWKS documents and fetched trusted lists between all the verifiers using that Redis,
with one fetch per answer across the fleet (:class:`SharedCache`).
:class:`RedisNonceStore` is an iAM Smart nonce store every instance of a service
shares, so a request accepted by one cannot be replayed to another.
``Verifier.verify_many`` / ``averify_many`` verify a batch in a process pool.
Redis faults never make a verification pass: revocation falls back to the local
cache and the network, the nonce store refuses the request. See ``docs/fleet.md``.
"""

from __future__ import annotations

from typing import Any

from ._backend import CacheBackend, RedisBackend
from ._batch import Progress, averify_many, verify_many
from ._nonce import NonceStoreUnavailable, RedisNonceStore
from ._shared import FORMAT, SharedCache

__all__ = [
    "FORMAT",
    "CacheBackend",
    "NonceStoreUnavailable",
    "Progress",
    "RedisBackend",
    "RedisNonceStore",
    "SharedCache",
    "attach",
    "averify_many",
    "verify_many",
]


def attach(verifier: Any, shared_cache: Any) -> SharedCache:
    """Make ``verifier`` use ``shared_cache`` (a URL, a ``redis.Redis``, a SharedCache).

    Called by ``Verifier(shared_cache=...)``: revocation fetches, a ``JWKSResolver``
    given as ``jwks`` and a ``TrustListManager`` given as ``trust`` go through it.
    """
    from ._revocation import SharedRevocation
    from ._sharing import share_jwks, share_trust_lists

    cache = SharedCache.coerce(shared_cache)
    verifier.revocation.shared = SharedRevocation(cache, verifier.revocation)
    share_jwks(cache, verifier.jwks)
    share_trust_lists(cache, getattr(verifier, "_trust_source", None))
    return cache
