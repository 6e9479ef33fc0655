"""A path decision (:class:`PathOutcome`), remembered successes, the verdict on a key.

What path building (:mod:`bayident._chain`) and path validation (:mod:`bayident._path`)
both produce, kept below them so that neither needs the other to make one.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._algorithms import AlgorithmError
from ._certs import CertRecord, public_key_of
from ._memo import Memo
from ._policy import Policy
from ._result import SubIndication
from ._trust import TrustAnchor

if TYPE_CHECKING:
    from .revocation._check import RevocationEntry

__all__ = ["CachedPath", "PathDecisions", "PathOutcome", "Steps", "Window", "key_problem"]


@dataclass(frozen=True)
class PathOutcome:
    """The decision on a signer's certificate path."""

    ok: bool
    sub_indication: SubIndication | None
    message: str
    concerns: str | None
    chain: tuple[CertRecord, ...] = ()  # leaf … last intermediate
    anchor: TrustAnchor | None = None
    anchors_considered: tuple[str, ...] = ()
    valid_policies: tuple[str, ...] = ()
    checks: tuple[tuple[str, bool, str, str | None], ...] = field(default=())
    # One entry per certificate below the anchor, signer first (empty without a report).
    revocation: tuple[RevocationEntry, ...] = ()
    # When the revocation data behind a success holds (None: no revocation data used).
    revinfo_window: tuple[_dt.datetime | None, _dt.datetime | None] = (None, None)
    # False when a status could not be established (soft-fail): worth trying again.
    cacheable: bool = True
    # The revocation time (REVOKED_*) or expiry (OUT_OF_BOUNDS_*) of the certificate at fault.
    failure_time: _dt.datetime | None = None
    # The general path engine (the pkix extra) was needed and is not installed.
    engine_missing: bool = False
    # Values derived from the outcome by its users, kept with it (e.g. the checks it yields).
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class CachedPath:
    """A validated path remembered with the window in which its verdict holds."""

    not_before: _dt.datetime
    not_after: _dt.datetime
    valid_policies: tuple[str, ...]
    # With revocation data, the verdict also holds only while it does: from the latest
    # thisUpdate, until the first nextUpdate or the first revocation date after the
    # validation time.
    revinfo_from: _dt.datetime | None = None
    revinfo_until: _dt.datetime | None = None
    revocation: tuple[RevocationEntry, ...] = ()
    # The whole decision for a signer, when remembered by the verifier's path step; the
    # path validator remembers only what it needs to rebuild one (policies, revocation).
    outcome: PathOutcome | None = None

    def covers(self, at: _dt.datetime, skew: _dt.timedelta) -> bool:
        if not self.not_before - skew <= at <= self.not_after + skew:
            return False
        if self.revinfo_from is not None and at < self.revinfo_from:
            return False
        return self.revinfo_until is None or at < self.revinfo_until


class PathDecisions:
    """Every path decision a verifier remembers, in one bounded memo.

    Two kinds of key share it: a signer's (its certificate, the certificates at hand,
    trust, policy, the revocation data given, retroactive or not), holding the whole
    :class:`PathOutcome`, and a built path's (its certificates, anchor, trust, policy,
    the revocation request), holding what a later validation of the same path reuses.
    Only successes that hold are kept (never a soft-fail); an entry serves a validation
    time only inside its window (:meth:`CachedPath.covers`). The trusted-list status of
    the anchor is not part of an entry: it is weighed at every use. The verifier owns it,
    :meth:`bayident.Verifier.derive` shares it and ``clear_caches`` empties it.
    """

    __slots__ = ("_memo",)

    def __init__(self, size: int = 8192) -> None:
        self._memo: Memo[tuple[Any, ...], CachedPath] = Memo(size)

    def find(
        self, key: tuple[Any, ...], at: _dt.datetime, skew: _dt.timedelta
    ) -> CachedPath | None:
        """The decision remembered for ``key`` if it holds at ``at`` (± ``skew``)."""
        hit = self._memo.get(key)
        return hit if hit is not None and hit.covers(at, skew) else None

    def remember(self, key: tuple[Any, ...], entry: CachedPath) -> None:
        """Keep ``entry`` for ``key`` (the oldest decision goes past the memo's size)."""
        self._memo.put(key, entry)

    def clear(self) -> None:
        """Forget every decision (trust, policy or revocation facts changed outside)."""
        self._memo.clear()

    def __len__(self) -> int:
        return len(self._memo)


# Certificate validity window, then the CRL window (None: no CRLs), of a success.
Window = tuple[_dt.datetime, _dt.datetime, _dt.datetime | None, _dt.datetime | None]

# A generator of one validation: it yields coroutine factories (runs of the general
# engine) and is sent what they raised, so one body serves synchronous and async callers.
Steps = Generator[Any, BaseException | None, PathOutcome]


def key_problem(policy: Policy, spki_der: bytes) -> str | None:
    """Why the policy refuses this public key, or ``None``."""
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa

    try:
        key = public_key_of(spki_der)
    except AlgorithmError as exc:
        return exc.reason
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < policy.min_rsa_bits:
        return (
            f"RSA key of {key.key_size} bits is below the policy minimum of {policy.min_rsa_bits}"
        )
    if isinstance(key, dsa.DSAPublicKey) and "dsa" not in policy.signature_algorithms:
        return "DSA keys are not accepted: 'dsa' is not among Policy.signature_algorithms"
    # DSA's security rests on the same finite-field problem size as RSA's modulus
    # (NIST SP 800-57 Part 1 Table 2), so the same minimum applies.
    if isinstance(key, dsa.DSAPublicKey) and key.key_size < policy.min_rsa_bits:
        return (
            f"DSA key of {key.key_size} bits is below the policy minimum of "
            f"{policy.min_rsa_bits} (min_rsa_bits applies to DSA too)"
        )
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name not in policy.ec_curves:
        return f"elliptic curve {key.curve.name} is not allowed by the policy"
    curve = getattr(key, "curve_name", None)
    if curve is not None and curve not in policy.ec_curves:
        return f"elliptic curve {curve} is not allowed by the policy"
    return None
