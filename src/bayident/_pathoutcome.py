"""The decision on a certification path, and a validated path as remembered."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

from ._certs import CertRecord
from ._result import SubIndication
from ._trust import TrustAnchor
from .revocation._check import RevocationEntry

__all__ = ["CachedPath", "PathOutcome", "Window"]


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

    def covers(self, at: _dt.datetime, skew: _dt.timedelta) -> bool:
        if not self.not_before - skew <= at <= self.not_after + skew:
            return False
        if self.revinfo_from is not None and at < self.revinfo_from:
            return False
        return self.revinfo_until is None or at < self.revinfo_until


# Certificate validity window, then the CRL window (None: no CRLs), of a success.
Window = tuple[_dt.datetime, _dt.datetime, _dt.datetime | None, _dt.datetime | None]
