"""GDCA and NETCA (Guangdong): certificate profile adapters for RSA and SM2 certificates.

GDCA (数安时代, Global Digital Cybersecurity Authority) and NETCA (网证通) are licensed
electronic certification service providers under the PRC Electronic Signature Law
(Art. 17-18). Their certificates are recognised by a CA named "GDCA" or "NETCA" in the
validated path (both RSA and SM2 paths; SM2 signatures are verified by
:mod:`bayident.sm`). Mainland CAs put an organisation's unified social credit code
(统一社会信用代码, GB 32100-2015) or a person's resident identity number in the subject;
this adapter keeps a subject serialNumber, organizationIdentifier or organizationalUnit
value only when it validates as one, check character included. The CAs' policy OIDs are
not public here and are settings. See ``docs/schemes/guangdong-ca.md``.
"""

from __future__ import annotations

from typing import Any

from .._identity import AssuranceLevel
from ._base import CertificateView
from ._certprofile import CertificateProfile, ProfileAdapter

__all__ = [
    "GuangdongCAAdapter",
    "gdca_profile",
    "netca_profile",
]

_SCAN = ("2.5.4.5", "2.5.4.97", "2.5.4.11")
_BASIS = (
    "licensed CA under the PRC Electronic Signature Law (Art. 17-18), which checks the "
    "holder's identity or business registration; key storage not shown, so not 'high'"
)


def _profile(
    adapter: str, display: str, patterns: tuple[str, ...], sources: tuple[str, ...]
) -> CertificateProfile:
    return CertificateProfile(
        adapter=adapter,
        scheme=adapter,
        jurisdiction="CN-GD",
        display_name=display,
        issuer_patterns=patterns,
        require="issuer",
        scan_attributes=_SCAN,
        scan_kinds=("CN_USCC", "CN_RIC"),
        organisation_types=("organisation",),
        assurance_by_type={
            "organisation": AssuranceLevel.SUBSTANTIAL,
            "personal": AssuranceLevel.SUBSTANTIAL,
        },
        default_assurance=AssuranceLevel.LOW,
        assurance_basis=_BASIS,
        sources=sources,
    )


def gdca_profile(**changes: Any) -> CertificateProfile:
    """The default GDCA profile, with ``changes`` applied (any profile field)."""
    base = _profile(
        "gdca",
        "GDCA",
        ("GDCA",),
        (
            "PRC Electronic Signature Law, Art. 13 and 17-18",
            "GDCA root 'GDCA TrustAUTH R5 ROOT' in browser root programs",
            "GB 32100-2015 unified social credit code; GB 11643-1999 resident identity number",
        ),
    )
    return base.model_copy(update=changes) if changes else base


def netca_profile(**changes: Any) -> CertificateProfile:
    """The default NETCA profile, with ``changes`` applied (any profile field)."""
    base = _profile(
        "netca",
        "NETCA",
        ("NETCA",),
        (
            "PRC Electronic Signature Law, Art. 13 and 17-18",
            "GB 32100-2015 unified social credit code; GB 11643-1999 resident identity number",
        ),
    )
    return base.model_copy(update=changes) if changes else base


class GuangdongCAAdapter(ProfileAdapter):
    """GDCA or NETCA certificates to :class:`~bayident.Identity`.

    The type is 'organisation' when the subject carries a valid unified social credit
    code, 'personal' when it carries a valid resident identity number, else the
    profile's policy or issuer rules decide.
    """

    def __init__(self, profile: CertificateProfile | None = None) -> None:
        super().__init__(profile or gdca_profile())

    def certificate_type(self, view: CertificateView) -> str | None:
        """By the identifiers the subject carries, then by the profile's rules."""
        kinds = {i.kind for i in self._identifiers(view)}
        if "CN_USCC" in kinds:
            return "organisation"
        if "CN_RIC" in kinds:
            return "personal"
        return super().certificate_type(view)
