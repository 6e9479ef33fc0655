"""Digi-Sign (Hong Kong): the certificate profile adapter.

Digi-Sign Certification Services Limited is a recognised certification authority under
the Electronic Transactions Ordinance (Cap. 553); its CPS OID arc is
``1.3.6.1.4.1.8420``. Its certificates are recognised by a policy under that arc or a CA
named "Digi-Sign" in the validated path. Digi-Sign publishes its ID-Cert classes (Class 1
to 11) and its CPS OID, but the policy OID of each class was not found in the sources
checked, so ``type_by_policy`` and the type-to-assurance map are settings and the default
assurance is 'low'. See ``docs/schemes/digisign.md``.
"""

from __future__ import annotations

from typing import Any

from .._identity import AssuranceLevel
from ._certprofile import CertificateProfile, ProfileAdapter, with_changes

__all__ = ["DIGISIGN_CPS_ARC", "DigiSignAdapter", "digisign_profile"]

#: Digi-Sign's CPS OID arc.
DIGISIGN_CPS_ARC = "1.3.6.1.4.1.8420"


def digisign_profile(**changes: Any) -> CertificateProfile:
    """The default Digi-Sign profile, with ``changes`` applied (any profile field)."""
    base = CertificateProfile(
        adapter="digisign",
        scheme="digisign",
        jurisdiction="HK",
        display_name="Digi-Sign",
        issuer_patterns=("Digi-Sign",),
        policy_arcs=(DIGISIGN_CPS_ARC,),
        require="either",
        default_assurance=AssuranceLevel.LOW,
        assurance_basis="the policy OID of each Digi-Sign ID-Cert class was not found in the "
        "sources checked: configure type_by_policy and assurance_by_type to raise it",
        sources=(
            "Office of the Government Chief Information Officer (now Digital Policy Office), "
            "register of recognised certification authorities under Cap. 553",
            "Digi-Sign CPS OID arc 1.3.6.1.4.1.8420; ID-Cert classes 1 to 11 (Digi-Sign CPS)",
        ),
    )
    return with_changes(base, changes)


class DigiSignAdapter(ProfileAdapter):
    """Digi-Sign certificates to :class:`~bayident.Identity`."""

    def __init__(self, profile: CertificateProfile | None = None) -> None:
        super().__init__(profile or digisign_profile())
