"""eSignTrust (Macau): the certificate profile adapter.

eSignTrust, run by Macao Post and Telecommunications, is the accredited certification
entity under Law 5/2005. It issues Qualified certificates (the key on a secure
signature-creation device), Normalised certificates (advanced signatures, after a
face-to-face check) and Encipherment certificates, each for persons, corporations and
government. Certificates are recognised by a CA named "eSignTrust" in the validated path.
The type is read from the issuing CA's name ("… Qualified Certificate CA"); the policy
OIDs of each type were not found in the sources checked, so ``type_by_policy`` is a
setting that, when given, takes precedence. See ``docs/schemes/esigntrust.md``.
"""

from __future__ import annotations

from typing import Any

from .._identity import AssuranceLevel
from ._certprofile import CertificateProfile, ProfileAdapter, with_changes

__all__ = ["ESignTrustAdapter", "esigntrust_profile"]


def esigntrust_profile(**changes: Any) -> CertificateProfile:
    """The default eSignTrust profile, with ``changes`` applied (any profile field).

    For example ``esigntrust_profile(type_by_policy=(("1.2.3.4", "qualified"),))``.
    """
    base = CertificateProfile(
        adapter="esigntrust",
        scheme="esigntrust",
        jurisdiction="MO",
        display_name="eSignTrust",
        issuer_patterns=("eSignTrust",),
        require="issuer",
        type_by_issuer=(
            ("Qualified", "qualified"),
            ("Normalised", "normalised"),
            ("Normalized", "normalised"),
            ("Encipherment", "encipherment"),
        ),
        assurance_by_type={
            "qualified": AssuranceLevel.HIGH,
            "normalised": AssuranceLevel.SUBSTANTIAL,
            "encipherment": AssuranceLevel.LOW,
        },
        default_assurance=AssuranceLevel.LOW,
        assurance_basis="qualified: secure signature-creation device and face-to-face "
        "identification; normalised: face-to-face identification (Law 5/2005, eSignTrust "
        "CPS); unclassified certificates get 'low'",
        sources=(
            "Macau Law 5/2005 on electronic documents and signatures",
            "eSignTrust CPS CTT-SC-CPS-EN-2019-02 v5.0 (certificate types)",
            "eSignTrust roots: 'Macao Post eSignTrust Root Certification Authority', "
            "'… (G02)', 'eSignTrust Root Certification Authority (G03)'",
        ),
    )
    return with_changes(base, changes)


class ESignTrustAdapter(ProfileAdapter):
    """eSignTrust certificates to :class:`~bayident.Identity`."""

    def __init__(self, profile: CertificateProfile | None = None) -> None:
        super().__init__(profile or esigntrust_profile())
