"""GDCA and NETCA (Guangdong): certificate profile adapters for RSA and SM2 certificates.

GDCA (数安时代, Global Digital Cybersecurity Authority) and NETCA (网证通) are licensed
electronic certification service providers under the PRC Electronic Signature Law
(Art. 17-18). Their certificates are recognised by a CA named "GDCA" or "NETCA" in the
validated path (both RSA and SM2 paths; SM2 signatures are verified by
:mod:`bayident.sm`). Mainland CAs put a person's resident identity number and an
organisation's registration, organisation or unified social credit code (统一社会信用代码,
GB 32100-2015) in the private extensions of GM/T 0015 (see :mod:`._gmt0015`); those are
read first, check characters verified. When a certificate carries none, a subject
serialNumber, organizationIdentifier or organizationalUnit value is kept when it
validates as one of those numbers. GDCA's OID arc is ``1.2.156.112559``; its product
policy OIDs are settings. See ``docs/schemes/guangdong-ca.md``.
"""

from __future__ import annotations

from typing import Any, Literal

from .._exceptions import InvalidArgument
from .._identity import AssuranceLevel, IdentityIdentifier
from ._base import CertificateView
from ._certprofile import CertificateProfile, ProfileAdapter, with_changes
from ._gmt0015 import encode_identify_code, encode_string, gmt0015_identifiers

__all__ = [
    "GuangdongCAAdapter",
    "gdca_profile",
    "gmt0015_extension",
    "netca_profile",
]

_SCAN = ("2.5.4.5", "2.5.4.97", "2.5.4.11")
_ORG_KINDS = ("CN_USCC", "CN_ORG_CODE", "CN_BRN", "CN_TIN")
_PERSON_KINDS = ("CN_RIC", "PASSPORT", "CN_OFFICER_CARD")
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
        organisation_scan_kinds=_ORG_KINDS,
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
            "GDCA root 'GDCA TrustAUTH R5 ROOT' in browser root programs (Mozilla's root "
            "store); GDCA OID arc 1.2.156.112559",
            "GM/T 0015-2012/-2023 identity extensions",
            "GB 32100-2015 unified social credit code; GB 11643-1999 resident identity number",
        ),
    )
    return with_changes(base, changes)


def netca_profile(**changes: Any) -> CertificateProfile:
    """The default NETCA profile, with ``changes`` applied (any profile field)."""
    base = _profile(
        "netca",
        "NETCA",
        ("NETCA",),
        (
            "PRC Electronic Signature Law, Art. 13 and 17-18",
            "GM/T 0015-2012/-2023 identity extensions",
            "GB 32100-2015 unified social credit code; GB 11643-1999 resident identity number",
        ),
    )
    return with_changes(base, changes)


class GuangdongCAAdapter(ProfileAdapter):
    """GDCA or NETCA certificates to :class:`~bayident.Identity`.

    Identifiers come from the GM/T 0015 extensions first, then from the subject for the
    kinds the extensions did not give. The type is 'organisation' when an organisation
    number was found, 'personal' when a personal one was, else the profile's policy or
    issuer rules decide.
    """

    def __init__(self, profile: CertificateProfile | None = None) -> None:
        super().__init__(profile or gdca_profile())

    def certificate_type(self, view: CertificateView) -> str | None:
        """By the identifiers the subject carries, then by the profile's rules."""
        kinds = {i.kind for i in self._identifiers(view)}
        if kinds & set(_ORG_KINDS):
            return "organisation"
        if kinds & set(_PERSON_KINDS):
            return "personal"
        return super().certificate_type(view)

    def _identifiers(self, view: CertificateView) -> list[IdentityIdentifier]:
        """The GM/T 0015 extension numbers, then subject numbers of the kinds still missing."""
        found = gmt0015_identifiers(view)
        kinds = {i.kind for i in found}
        found.extend(i for i in super()._identifiers(view) if i.kind not in kinds)
        return found


def gmt0015_extension(
    role: Literal["person", "organisation", "uscc", "registration", "tax"],
    value: str,
    *,
    algorithm: Literal["sm2", "rsa"] = "sm2",
) -> tuple[str, bytes]:
    """The (OID, DER value) of a GM/T 0015 identity extension, as Mainland CAs write it.

    ``person`` gives an IdentifyCode (resident identity card alternative) under
    ``1.2.156.10260.4.1.1`` for SM2 and a PrintableString under ``1.2.86.11.7.1`` for RSA;
    ``organisation``, ``registration`` and ``tax`` give PrintableStrings under ``.4.1.4``,
    ``.4.1.3`` and ``.4.1.5`` (``1.2.86.11.7.4/.3/.5`` for RSA); ``uscc`` the GM/T
    0015-2023 unified social credit code extension ``1.2.156.10260.4.4`` (SM2 only).
    Meant for test kits and for building test certificates.
    """
    arcs = {
        "sm2": {
            "person": "1.2.156.10260.4.1.1",
            "registration": "1.2.156.10260.4.1.3",
            "organisation": "1.2.156.10260.4.1.4",
            "tax": "1.2.156.10260.4.1.5",
            "uscc": "1.2.156.10260.4.4",
        },
        "rsa": {
            "person": "1.2.86.11.7.1",
            "registration": "1.2.86.11.7.3",
            "organisation": "1.2.86.11.7.4",
            "tax": "1.2.86.11.7.5",
        },
    }
    oid = arcs.get(algorithm, {}).get(role)
    if oid is None:
        raise InvalidArgument(f"no GM/T 0015 extension for {role!r} in {algorithm!r} certificates")
    if role == "person" and algorithm == "sm2":
        return oid, encode_identify_code(value)
    return oid, encode_string(value)
