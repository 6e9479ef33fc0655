"""The normalised identity a scheme adapter derives from verified evidence.

A Hong Kong e-Cert, an iAM Smart profile, a Macau eSignTrust certificate and a
Guangdong unified-identity token all become the same :class:`Identity`: who it
is, under which scheme and jurisdiction, by which identifiers, and how sure
the scheme is, on its own scale and on a common one.
"""

from __future__ import annotations

import datetime as _dt
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Assurance", "AssuranceLevel", "Identity", "IdentityIdentifier", "Recognition"]

_FROZEN = ConfigDict(frozen=True, extra="ignore")


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

    def identifier(self, kind: str) -> IdentityIdentifier | None:
        """The first identifier of ``kind``, if any."""
        return next((i for i in self.identifiers if i.kind == kind), None)


class Recognition(BaseModel):
    """Whether a foreign identity is accepted for a purpose, and by which rule."""

    model_config = _FROZEN

    admitted: bool
    rule: str | None = Field(default=None, description="The recognition rule that decided.")
    purpose: str | None = None
    reason: str
