"""The normalised identity a scheme adapter derives from verified evidence.

A Hong Kong e-Cert, an iAM Smart profile, a Macau eSignTrust certificate and a
Guangdong unified-identity token all become the same :class:`Identity`: who it
is, under which scheme and jurisdiction, by which identifiers, and how sure
the scheme is, on its own scale and on a common one.
"""

from __future__ import annotations

import datetime as _dt
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Assurance",
    "AssuranceLevel",
    "ConsentRecord",
    "Identity",
    "IdentityBinding",
    "IdentityIdentifier",
    "Purpose",
    "Recognition",
]

_FROZEN = ConfigDict(frozen=True, extra="ignore")

#: What a foreign signer or identity is recognised for: signing, or authenticating a person.
#: Certificate recognition (:mod:`bayident.trustlist`) and identity recognition
#: (:mod:`bayident.schemes`) use this one vocabulary.
Purpose = Literal["sign", "authenticate"]


class AssuranceLevel(str, Enum):
    """The common scale (the three levels of eIDAS, ISO/IEC 29115 levels 2–4)."""

    LOW = "low"
    SUBSTANTIAL = "substantial"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return {"low": 1, "substantial": 2, "high": 3}[self.value]


class Assurance(BaseModel):
    """How sure the scheme is of the identity, on its own scale and on the common one."""

    model_config = _FROZEN

    scheme_level: str | None = Field(
        default=None, description="The scheme's own level, e.g. 'L4', 'qualified', 'iAM Smart+'."
    )
    level: AssuranceLevel
    basis: str = Field(description="Why this level: the documented mapping that was applied.")


class IdentityIdentifier(BaseModel):
    """One identifier of the person or organisation."""

    model_config = _FROZEN

    kind: str = Field(
        description=(
            "HKID, CN_RIC, HK_MO_TRAVEL_PERMIT, MO_BIR, IAMSMART_OPENID, ECERT_SRN, "
            "CN_USCC, HK_BR, MO_ORG, or a scheme-specific kind."
        )
    )
    value: str
    protected: bool = Field(
        default=False,
        description="The value is a hash or encryption of the identifier, not the identifier.",
    )
    verified_by: str | None = Field(
        default=None, description="What vouches for it: the certificate, token or profile field."
    )


class ConsentRecord(BaseModel):
    """The consent a binding of two identities was made with.

    Under the 2023 Guangdong–Hong Kong cross-boundary arrangement the resident consents,
    on 广东政务服务网 / 粤省事, to bind their iAM Smart account to a Guangdong unified
    identity; what the record holds is not public, so every field is the relying
    party's own account of it.
    """

    model_config = _FROZEN

    reference: str | None = Field(
        default=None, description="The consent record's identifier, as its keeper gives it."
    )
    consented_at: _dt.datetime | None = Field(
        default=None, description="When the person consented (timezone-aware)."
    )
    recorded_by: str = Field(description="Who keeps the record, e.g. '广东政务服务网'.")
    scope: tuple[str, ...] = Field(
        default=(), description="What the consent covers, e.g. the services named."
    )


class IdentityBinding(BaseModel):
    """A link from one identity to another, made with the person's consent.

    ``identity`` is the other identity (for the 2023 arrangement, the Guangdong
    unified-identity account an iAM Smart account is bound to); ``arrangement`` names the
    scheme of bindings (:data:`bayident.schemes.CROSS_BORDER_2023`).
    """

    model_config = _FROZEN

    identity: Identity
    arrangement: str
    consent: ConsentRecord


class Identity(BaseModel):
    """A verified identity, normalised across the Bay Area's schemes."""

    model_config = _FROZEN

    scheme: str = Field(description="e.g. 'iamsmart', 'hkpost-ecert', 'esigntrust', 'gdca'.")
    adapter: str = Field(description="The adapter that produced this identity.")
    jurisdiction: str = Field(description="'HK', 'MO' or 'CN-GD'.")
    subject_type: str = Field(default="person", description="'person' or 'organisation'.")
    identifiers: tuple[IdentityIdentifier, ...] = ()
    name_en: str | None = None
    name_zh: str | None = None
    organisation: str | None = None
    date_of_birth: _dt.date | None = None
    assurance: Assurance
    evidence: str = Field(description="What the identity was read from, in a sentence.")
    bindings: tuple[IdentityBinding, ...] = Field(
        default=(),
        description="Identities this one is bound to with the person's consent, e.g. an "
        "iAM Smart account bound to a Guangdong unified identity.",
    )

    def identifier(self, kind: str) -> IdentityIdentifier | None:
        """The first identifier of ``kind``, if any."""
        return next((i for i in self.identifiers if i.kind == kind), None)

    def bound_to(self, jurisdiction: str, arrangement: str | None = None) -> IdentityBinding | None:
        """The first binding to an identity of ``jurisdiction`` (and ``arrangement``), if any."""
        return next(
            (
                b
                for b in self.bindings
                if b.identity.jurisdiction == jurisdiction
                and (arrangement is None or b.arrangement == arrangement)
            ),
            None,
        )

    def bind(self, other: Identity, *, arrangement: str, consent: ConsentRecord) -> Identity:
        """A copy of this identity bound to ``other`` under ``arrangement`` with ``consent``."""
        binding = IdentityBinding(identity=other, arrangement=arrangement, consent=consent)
        return self.model_copy(update={"bindings": (*self.bindings, binding)})


class Recognition(BaseModel):
    """Whether a foreign identity is accepted for a purpose, and by which rule."""

    model_config = _FROZEN

    admitted: bool
    rule: str | None = Field(default=None, description="The recognition rule that decided.")
    purpose: str | None = None
    reason: str


IdentityBinding.model_rebuild()
