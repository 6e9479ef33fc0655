"""Trust stores built from trusted lists: anchors annotated with what the lists say."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from .._exceptions import InvalidArgument
from .._trust import TrustAnchor, TrustStore
from ._model import (
    IN_FORCE_STATUSES,
    ServiceType,
    TrustedList,
    TrustService,
    TrustServiceProvider,
)

__all__ = [
    "ServiceRef",
    "TrustListStore",
    "anchor_status_at",
    "trust_store_from_lists",
]


@dataclass(frozen=True)
class ServiceRef:
    """Where an anchor is listed: the list, the provider and the service."""

    trusted_list: TrustedList
    provider: TrustServiceProvider
    service: TrustService
    jurisdiction: str | None


def anchor_status_at(anchor: TrustAnchor, when: _dt.datetime) -> str | None:
    """The status of the anchor's service at ``when`` (``None``: not from a list, or too early)."""
    return anchor.status_at(when)


class TrustListStore(TrustStore):
    """A :class:`~bayident.TrustStore` whose anchors come from trusted lists.

    Every anchor carries its service type, current status, status history,
    jurisdiction, scheme, provider and list territory; :meth:`services_for`
    gives every listing of a certificate (one certificate may appear in
    several services). Look-ups are dictionary look-ups, whatever the size.
    """

    def __init__(self, *, name: str = "trusted lists") -> None:
        super().__init__(name=name)
        self.lists: tuple[TrustedList, ...] = ()
        self.skipped: tuple[str, ...] = ()
        self._services: dict[str, list[ServiceRef]] = {}

    def services_for(self, anchor: TrustAnchor | str) -> tuple[ServiceRef, ...]:
        """The services listing ``anchor`` (or a SHA-256 fingerprint), in list order."""
        fp = anchor if isinstance(anchor, str) else anchor.fingerprint
        return tuple(self._services.get(fp.lower(), ()))

    def anchor_status_at(self, anchor: TrustAnchor, when: _dt.datetime) -> str | None:
        """See :func:`anchor_status_at`."""
        return anchor.status_at(when)

    def describe(self) -> str:
        lists = ", ".join(f"{t.territory or '?'} #{t.sequence_number}" for t in self.lists)
        n = len(self)
        return f"{self.name} [{lists}] ({n} anchor{'s' if n != 1 else ''})"


def _jurisdiction(tl: TrustedList, jurisdiction: str | Mapping[str, str] | None) -> str | None:
    if isinstance(jurisdiction, str):
        return jurisdiction
    if jurisdiction is not None:
        found = jurisdiction.get(tl.territory)
        if found is not None:
            return found
    return tl.jurisdiction or tl.territory or None


def trust_store_from_lists(
    lists: Iterable[TrustedList],
    *,
    jurisdiction: str | Mapping[str, str] | None = None,
    service_types: Collection[str] | None = ServiceType.CERTIFICATE_ISSUERS,
    at: _dt.datetime | None = None,
    include_inactive: bool = False,
    name: str = "trusted lists",
    store: TrustListStore | None = None,
) -> TrustListStore:
    """Anchors from the certificates of the services in ``lists``.

    Pass only lists you have accepted (:class:`TrustListValidator`,
    :class:`TrustListManager`): the lists are taken as they are.

    ``jurisdiction`` names where the anchors' certificates are recognised:
    one value for every list (e.g. ``"CN-GD"``), a mapping from territory
    (``{"CN": "CN-GD"}``), or ``None`` for the list's own jurisdiction or
    territory. ``service_types`` keeps the services of those types (default:
    CA/QC, CA/PKC and NationalRootCA-QC, the services that issue signer
    certificates; ``None`` keeps all). Unless ``include_inactive``, only
    services whose status at ``at`` (default now) is in force — granted,
    recognised at national level, or the equivalent pre-eIDAS values — give
    anchors; an anchor always carries its whole status history, so a
    verifier can ask :meth:`~bayident.TrustAnchor.status_at` the signing time.
    """
    if isinstance(lists, TrustedList):
        lists = [lists]
    if at is None:
        at = _dt.datetime.now(_dt.UTC)
    elif at.tzinfo is None:
        raise InvalidArgument("at must be timezone-aware")
    out = store if store is not None else TrustListStore(name=name)
    kept: list[TrustedList] = list(out.lists)
    skipped: list[str] = list(out.skipped)
    types = frozenset(service_types) if service_types is not None else None
    for tl in lists:
        if not isinstance(tl, TrustedList):
            raise InvalidArgument(f"lists must hold TrustedList objects, not {type(tl).__name__}")
        kept.append(tl)
        where = _jurisdiction(tl, jurisdiction)
        for provider, service in tl.services():
            if types is not None and service.service_type not in types:
                continue
            history = service.status_history
            if not include_inactive and service.status_at(at) not in IN_FORCE_STATUSES:
                continue
            ders = list(service.identity.certificates)
            for h in service.history:
                ders.extend(d for d in h.identity.certificates if d not in ders)
            for der in ders:
                try:
                    cert = x509.load_der_x509_certificate(der)
                    # Parsing is lazy; the subject is needed for indexing, so read it now.
                    cert.subject.public_bytes()
                except ValueError as exc:
                    skipped.append(
                        f"{tl.territory} {provider.name} / {service.name}: unreadable "
                        f"certificate skipped ({exc})"
                    )
                    continue
                anchor = TrustAnchor(
                    cert,
                    cert.public_bytes(Encoding.DER),
                    f"trusted list {tl.territory} #{tl.sequence_number}: {provider.name} / "
                    f"{service.name}",
                    service_type=service.service_type,
                    jurisdiction=where,
                    scheme=tl.scheme_name or tl.scheme_operator_name,
                    provider=provider.name,
                    status=service.status,
                    status_history=history,
                    list_territory=tl.territory or None,
                )
                out._services.setdefault(anchor.fingerprint, []).append(
                    ServiceRef(tl, provider, service, where)
                )
                out.add(anchor)
    out.lists = tuple(kept)
    out.skipped = tuple(skipped)
    return out
