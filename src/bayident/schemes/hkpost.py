"""Hongkong Post e-Cert (Hong Kong): the certificate profile adapter.

The Postmaster General is a recognised certification authority under the Electronic
Transactions Ordinance (Cap. 553, s.34). Its certificates are recognised by a Hongkong
Post CA in the validated path or a policy under the CPS arc ``1.3.6.1.4.1.16030``; the
type (e-Cert (Personal), (Organisational), …, iAM Smart-Cert) by the subject
organisationName label or the issuing CA's name. ``docs/schemes/hkpost.md`` cites each
fact and lists the settings.

An e-Cert (Personal) holds the holder's HKID number only "in an encrypted form", by a
method Hongkong Post does not publish. This adapter therefore never decodes it: the
protected value is kept as a *protected* identifier, and matching it against an HKID
needs a :class:`ProtectedHKID` scheme configured by whoever knows the method.
"""

from __future__ import annotations

import base64
import re
from typing import Any, Protocol, runtime_checkable

from .._identity import AssuranceLevel, IdentityIdentifier
from ._base import CertificateView, ProfileMatch
from ._certprofile import CertificateProfile, ProfileAdapter, with_changes

__all__ = [
    "HONGKONG_POST_CPS_ARC",
    "MUTUAL_RECOGNITION_ARC",
    "HongkongPostAdapter",
    "ProtectedHKID",
    "hongkong_post_profile",
]

#: Hongkong Post's certification practice statement OID arc.
HONGKONG_POST_CPS_ARC = "1.3.6.1.4.1.16030"
#: Guangdong–Hong Kong mutual recognition certificate policy arc.
MUTUAL_RECOGNITION_ARC = "2.16.344.8.2.2008.810.2"

_SOURCES = (
    "Electronic Transactions Ordinance (Cap. 553) s.34: the Postmaster General is a "
    "recognised certification authority",
    "ecert.gov.hk, Hongkong Post e-Cert (Personal) product page: name as on the HKID card, "
    "HKID number in an encrypted form, optional e-mail, unique Subscriber Reference Number",
    "Hongkong Post e-Cert (Server) CPS, OID 1.3.6.1.4.1.16030.1.7.21 (the CPS arc)",
    "Hongkong Post CPS OIDs per product: 1.3.6.1.4.1.16030.1.3.x e-Cert (Organisational "
    "Role), 1.3.6.1.4.1.16030.1.7.x e-Cert (Server)",
)


def hongkong_post_profile(**changes: Any) -> CertificateProfile:
    """The default Hongkong Post profile, with ``changes`` applied (any profile field)."""
    base = CertificateProfile(
        adapter="hkpost-ecert",
        scheme="hkpost-ecert",
        jurisdiction="HK",
        display_name="Hongkong Post e-Cert",
        issuer_patterns=("Hongkong Post",),
        policy_arcs=(HONGKONG_POST_CPS_ARC,),
        require="either",
        # Hongkong Post publishes a CPS OID per product: Organisational Role under .1.3,
        # Server under .1.7 (e.g. .1.7.21). The others were not found in the sources checked.
        type_by_policy=(
            (f"{HONGKONG_POST_CPS_ARC}.1.3", "organisational"),
            (f"{HONGKONG_POST_CPS_ARC}.1.7", "server"),
        ),
        # The iAM Smart-Cert is issued by Hongkong Post; an issuing CA named for iAM Smart
        # is taken to issue it (its policy OID was not found in the sources checked).
        type_by_issuer=(("iAM Smart", "iam-smart-cert"),),
        type_by_subject_org=(
            ("e-Cert (Personal)", "personal"),
            ("e-Cert (Organisational)", "organisational"),
            ("e-Cert (Organisational Role)", "organisational"),
            ("e-Cert (Encipherment)", "encipherment"),
            ("e-Cert (Server)", "server"),
        ),
        organisation_types=("encipherment", "server"),
        assurance_by_type={
            "personal": AssuranceLevel.SUBSTANTIAL,
            "organisational": AssuranceLevel.SUBSTANTIAL,
            "iam-smart-cert": AssuranceLevel.SUBSTANTIAL,
            "encipherment": AssuranceLevel.LOW,
            "server": AssuranceLevel.LOW,
        },
        default_assurance=AssuranceLevel.LOW,
        assurance_basis="recognised certificate under Cap. 553 issued after the holder's "
        "identity document was checked; key storage not shown in the certificate, so not "
        "'high'",
        sources=_SOURCES,
    )
    return with_changes(base, changes)


@runtime_checkable
class ProtectedHKID(Protocol):
    """How a certificate protects the holder's HKID, for matching (never for decoding).

    Hongkong Post does not publish the method of its e-Cert (Personal); configure an
    implementation only from an authoritative description. The sandbox has its own
    (:class:`bayident.testing.SandboxProtectedHKID`).
    """

    #: A short name for results and documentation.
    name: str

    def extract(self, view: CertificateView) -> bytes | None:
        """The protected HKID carried by the certificate, or None."""
        ...

    def matches(self, protected: bytes, hkid: str) -> bool:
        """Whether ``protected`` protects ``hkid`` (normalised, e.g. ``A123456(3)``)."""
        ...


class HongkongPostAdapter(ProfileAdapter):
    """Hongkong Post e-Cert and iAM Smart-Cert certificates to :class:`~bayident.Identity`.

    ``protected_hkid``: the HKID protection method (none by default: not public).
    ``srn_attribute`` / ``srn_pattern``: where the Subscriber Reference Number is read,
    by default the first subject organizationalUnitName made of ten digits (the form
    the public e-Cert directory shows), an inference that is a setting.
    """

    def __init__(
        self,
        profile: CertificateProfile | None = None,
        *,
        protected_hkid: ProtectedHKID | None = None,
        srn_attribute: str = "2.5.4.11",
        srn_pattern: str = r"[0-9]{10}",
    ) -> None:
        super().__init__(profile or hongkong_post_profile())
        if protected_hkid is not None and not isinstance(protected_hkid, ProtectedHKID):
            raise TypeError("protected_hkid must implement ProtectedHKID (name, extract, matches)")
        self.protected_hkid = protected_hkid
        self.srn_attribute = srn_attribute
        self._srn = re.compile(srn_pattern)

    def extra_identifiers(
        self, view: CertificateView, match: ProfileMatch
    ) -> list[IdentityIdentifier]:
        """The Subscriber Reference Number and, when configured, the protected HKID."""
        out: list[IdentityIdentifier] = []
        for value in view.subject_values(self.srn_attribute):
            if self._srn.fullmatch(value.strip()):
                out.append(
                    IdentityIdentifier(
                        kind="ECERT_SRN",
                        value=value.strip(),
                        verified_by=f"certificate subject attribute {self.srn_attribute}",
                    )
                )
                break
        if self.protected_hkid is not None:
            protected = self.protected_hkid.extract(view)
            if protected:
                out.append(
                    IdentityIdentifier(
                        kind="HKID",
                        value=base64.b64encode(protected).decode("ascii"),
                        protected=True,
                        verified_by=f"certificate ({self.protected_hkid.name})",
                    )
                )
        return out

    def match_protected_hkid(self, identifier: IdentityIdentifier, hkid: str) -> bool | None:
        """Whether a protected HKID identifier protects ``hkid``; None when it cannot say."""
        if self.protected_hkid is None or not identifier.protected:
            return None
        try:
            protected = base64.b64decode(identifier.value, validate=True)
        except ValueError:
            return False
        return bool(self.protected_hkid.matches(protected, hkid))
