"""Identity bindings given with scheme evidence: the relying party's record of a binding.

Under the 2023 Guangdong–Hong Kong cross-boundary arrangement an iAM Smart account is
bound, with the resident's consent, to a Guangdong unified-identity account. What the
two sides exchange is not public, so bayident does not read a binding from the wire:
the relying party that holds the binding record passes it with the evidence, as a
``binding`` member::

    {"arrangement": "gd-hk-cross-border-2023",
     "identity": {"jurisdiction": "CN-GD", "scheme": "gd-unified-identity",
                  "identifiers": [{"kind": "GD_UID", "value": "..."}], "name_zh": "..."},
     "consent": {"reference": "...", "consentedAt": "2026-02-01T08:00:00Z",
                 "recordedBy": "广东政务服务网", "scope": ["..."]}}

The bound identity is marked as the relying party's assertion (assurance 'low', its
basis saying so); the recognition rules decide what a binding is worth.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any

from .._identity import (
    Assurance,
    AssuranceLevel,
    ConsentRecord,
    Identity,
    IdentityBinding,
    IdentityIdentifier,
)
from .._result import SubIndication
from ._fields import fail, obj_field, opt_str, req_str
from ._recognition import CROSS_BORDER_2023

__all__ = ["attach_binding", "parse_binding"]

_MAX_IDENTIFIERS = 8


def _when(text: str | None, path: str) -> _dt.datetime | None:
    if text is None:
        return None
    try:
        when = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise fail(
            "binding", SubIndication.FORMAT_FAILURE, f"{path} is not an ISO 8601 time", path
        ) from None
    if when.tzinfo is None:
        raise fail("binding", SubIndication.FORMAT_FAILURE, f"{path} has no time zone", path)
    return when


def parse_binding(data: Mapping[str, Any], evidence: str) -> IdentityBinding:
    """The :class:`~bayident.IdentityBinding` described by ``data`` (see the module doc).

    :raises SchemeFailure: a FORMAT_FAILURE naming the malformed member.
    """
    other = obj_field(data, "identity", "binding.identity", check="binding")
    consent_obj = obj_field(data, "consent", "binding.consent", check="binding")
    assert other is not None and consent_obj is not None
    raw_ids = other.get("identifiers", [])
    if not isinstance(raw_ids, list) or len(raw_ids) > _MAX_IDENTIFIERS:
        raise fail(
            "binding",
            SubIndication.FORMAT_FAILURE,
            f"binding.identity.identifiers must be a list of at most {_MAX_IDENTIFIERS}",
            "binding.identity.identifiers",
        )
    identifiers: list[IdentityIdentifier] = []
    for i, item in enumerate(raw_ids):
        path = f"binding.identity.identifiers[{i}]"
        if not isinstance(item, dict):
            raise fail("binding", SubIndication.FORMAT_FAILURE, f"{path} must be an object", path)
        identifiers.append(
            IdentityIdentifier(
                kind=req_str(item, "kind", f"{path}.kind", max_length=64, check="binding"),
                value=req_str(item, "value", f"{path}.value", max_length=256, check="binding"),
                verified_by="the relying party's binding record",
            )
        )
    scope = consent_obj.get("scope", [])
    if not isinstance(scope, list) or not all(isinstance(x, str) for x in scope[:16]):
        raise fail(
            "binding",
            SubIndication.FORMAT_FAILURE,
            "binding.consent.scope must be a list of strings",
            "binding.consent.scope",
        )
    consent = ConsentRecord(
        reference=opt_str(consent_obj, "reference", "binding.consent.reference", max_length=256),
        consented_at=_when(
            opt_str(consent_obj, "consentedAt", "binding.consent.consentedAt", max_length=64),
            "binding.consent.consentedAt",
        ),
        recorded_by=req_str(
            consent_obj, "recordedBy", "binding.consent.recordedBy", max_length=256, check="binding"
        ),
        scope=tuple(x[:256] for x in scope[:16]),
    )
    bound = Identity(
        scheme=req_str(other, "scheme", "binding.identity.scheme", max_length=64, check="binding"),
        adapter="binding",
        jurisdiction=req_str(
            other, "jurisdiction", "binding.identity.jurisdiction", max_length=16, check="binding"
        ),
        identifiers=tuple(identifiers),
        name_zh=opt_str(other, "name_zh", "binding.identity.name_zh", max_length=256),
        name_en=opt_str(other, "name_en", "binding.identity.name_en", max_length=256),
        assurance=Assurance(
            scheme_level="bound",
            level=AssuranceLevel.LOW,
            basis="asserted by the relying party's binding record, not verified by bayident",
        ),
        evidence=f"binding record given with {evidence}",
    )
    arrangement = (
        opt_str(data, "arrangement", "binding.arrangement", max_length=64) or CROSS_BORDER_2023
    )
    return IdentityBinding(identity=bound, arrangement=arrangement, consent=consent)


def attach_binding(identity: Identity, data: Mapping[str, Any], evidence: str) -> Identity:
    """``identity`` with the binding of the evidence's ``binding`` member, when present."""
    raw = obj_field(data, "binding", "binding", required=False, check="binding")
    if raw is None:
        return identity
    binding = parse_binding(raw, evidence)
    return identity.model_copy(update={"bindings": (*identity.bindings, binding)})
