"""What changed between two versions of a list: providers, services and statuses."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any

from ._model import TrustedList, TrustService

__all__ = ["ListDiff", "ServiceChange", "diff_lists"]


@dataclass(frozen=True)
class ServiceChange:
    """A service added, removed, or whose status changed."""

    provider: str
    service: str
    service_type: str
    old_status: str | None = None
    new_status: str | None = None
    status_starting_time: str | None = None


@dataclass(frozen=True)
class ListDiff:
    """Differences from ``old`` to ``new``."""

    old_sequence: int
    new_sequence: int
    providers_added: tuple[str, ...] = ()
    providers_removed: tuple[str, ...] = ()
    services_added: tuple[ServiceChange, ...] = ()
    services_removed: tuple[ServiceChange, ...] = ()
    status_changes: tuple[ServiceChange, ...] = ()

    @property
    def empty(self) -> bool:
        return not (
            self.providers_added
            or self.providers_removed
            or self.services_added
            or self.services_removed
            or self.status_changes
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _key(provider: str, s: TrustService) -> tuple[str, str, str, str]:
    ident = hashlib.sha256(
        b"".join(sorted(s.identity.certificates))
        + "\x00".join(sorted(s.identity.subject_names)).encode()
        + b"".join(sorted(s.identity.skis))
    ).hexdigest()[:16]
    return provider, s.service_type, s.name, ident


def diff_lists(old: TrustedList, new: TrustedList) -> ListDiff:
    """Providers and services added or removed, and status changes, from ``old`` to ``new``.

    A service is the same in both lists when its provider, type, name and
    digital identity are.
    """
    old_p = {p.name for p in old.providers}
    new_p = {p.name for p in new.providers}
    old_s = {_key(p.name, s): (p.name, s) for p, s in old.services()}
    new_s = {_key(p.name, s): (p.name, s) for p, s in new.services()}

    def change(prov: str, s: TrustService, **kw: Any) -> ServiceChange:
        return ServiceChange(prov, s.name, s.short_type, **kw)

    added = tuple(
        change(p, s, new_status=s.short_status) for k, (p, s) in new_s.items() if k not in old_s
    )
    removed = tuple(
        change(p, s, old_status=s.short_status) for k, (p, s) in old_s.items() if k not in new_s
    )
    changed = []
    for k, (p, s) in new_s.items():
        if k in old_s:
            before = old_s[k][1]
            if before.status != s.status or before.status_starting_time != s.status_starting_time:
                changed.append(
                    change(
                        p,
                        s,
                        old_status=before.short_status,
                        new_status=s.short_status,
                        status_starting_time=s.status_starting_time.isoformat(),
                    )
                )
    return ListDiff(
        old_sequence=old.sequence_number,
        new_sequence=new.sequence_number,
        providers_added=tuple(sorted(new_p - old_p)),
        providers_removed=tuple(sorted(old_p - new_p)),
        services_added=added,
        services_removed=removed,
        status_changes=tuple(changed),
    )
