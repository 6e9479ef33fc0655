"""The trusted-list model: ETSI TS 119 612 as frozen dataclasses.

The same model comes out of an ETSI XML list and out of a bayident JSON list,
so everything downstream (trust stores, diffs, recognition) works on one shape.
Certificates are kept as DER bytes; :meth:`DigitalIdentity.x509_certificates`
parses them when asked.
"""

from __future__ import annotations

import datetime as _dt
import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Literal

from cryptography import x509

__all__ = [
    "IN_FORCE_STATUSES",
    "PIVOT_URL_PATTERN",
    "CriteriaList",
    "DigitalIdentity",
    "ListKind",
    "OtherTSLPointer",
    "Qualification",
    "ServiceHistoryEntry",
    "ServiceStatus",
    "ServiceType",
    "SignatureStatus",
    "TrustService",
    "TrustServiceProvider",
    "TrustedList",
    "is_pivot_url",
    "status_at",
]

_SVCTYPE = "http://uri.etsi.org/TrstSvc/Svctype/"
_SVCSTATUS = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/"
_QUALIFIER = "http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/"


class SignatureStatus(str, Enum):
    """Integrity of a list: what its own signature says about it.

    ``valid`` means the signature verifies with the signer certificate the
    list carries; it says nothing about whether that signer is trusted.
    """

    VALID = "valid"
    INVALID = "invalid"
    MISSING = "missing"
    UNSUPPORTED = "unsupported"
    MALFORMED = "malformed"


class ServiceType:
    """Service type identifiers (ETSI TS 119 612 §5.5.1.1)."""

    CA_QC = _SVCTYPE + "CA/QC"
    CA_PKC = _SVCTYPE + "CA/PKC"
    NATIONAL_ROOT_CA_QC = _SVCTYPE + "NationalRootCA-QC"
    TSA = _SVCTYPE + "TSA"
    TSA_QTST = _SVCTYPE + "TSA/QTST"
    TSA_TSS_QC = _SVCTYPE + "TSA/TSS-QC"
    TSA_TSS_ADES_QC_AND_QES = _SVCTYPE + "TSA/TSS-AdESQCandQES"
    OCSP = _SVCTYPE + "Certstatus/OCSP"
    OCSP_QC = _SVCTYPE + "Certstatus/OCSP/QC"
    CRL = _SVCTYPE + "Certstatus/CRL"
    CRL_QC = _SVCTYPE + "Certstatus/CRL/QC"
    EDS_Q = _SVCTYPE + "EDS/Q"
    EDS_REM_Q = _SVCTYPE + "EDS/REM/Q"
    PSES_Q = _SVCTYPE + "PSES/Q"
    QES_VALIDATION_Q = _SVCTYPE + "QESValidation/Q"
    REMOTE_QSIGCD_MANAGEMENT_Q = _SVCTYPE + "RemoteQSigCDManagement/Q"
    REMOTE_QSEALCD_MANAGEMENT_Q = _SVCTYPE + "RemoteQSealCDManagement/Q"
    TL_ISSUER = _SVCTYPE + "TLIssuer"
    UNSPECIFIED = _SVCTYPE + "unspecified"

    #: Services whose certificates issue signer certificates: the default anchors.
    CERTIFICATE_ISSUERS: frozenset[str] = frozenset({CA_QC, CA_PKC, NATIONAL_ROOT_CA_QC})


class ServiceStatus:
    """Service status identifiers (TS 119 612 §5.5.4, with the pre-eIDAS values)."""

    GRANTED = _SVCSTATUS + "granted"
    WITHDRAWN = _SVCSTATUS + "withdrawn"
    RECOGNISED_AT_NATIONAL_LEVEL = _SVCSTATUS + "recognisedatnationallevel"
    DEPRECATED_AT_NATIONAL_LEVEL = _SVCSTATUS + "deprecatedatnationallevel"
    # Values of lists issued under Directive 1999/93/EC, still found in service histories.
    UNDER_SUPERVISION = _SVCSTATUS + "undersupervision"
    SUPERVISION_IN_CESSATION = _SVCSTATUS + "supervisionincessation"
    SUPERVISION_CEASED = _SVCSTATUS + "supervisionceased"
    SUPERVISION_REVOKED = _SVCSTATUS + "supervisionrevoked"
    ACCREDITED = _SVCSTATUS + "accredited"
    ACCREDITATION_CEASED = _SVCSTATUS + "accreditationceased"
    ACCREDITATION_REVOKED = _SVCSTATUS + "accreditationrevoked"
    SET_BY_NATIONAL_LAW = _SVCSTATUS + "setbynationallaw"
    DEPRECATED_BY_NATIONAL_LAW = _SVCSTATUS + "deprecatedbynationallaw"


#: Statuses under which a service's certificates may be relied on.
IN_FORCE_STATUSES: frozenset[str] = frozenset(
    {
        ServiceStatus.GRANTED,
        ServiceStatus.RECOGNISED_AT_NATIONAL_LEVEL,
        ServiceStatus.UNDER_SUPERVISION,
        ServiceStatus.SUPERVISION_IN_CESSATION,
        ServiceStatus.ACCREDITED,
        ServiceStatus.SET_BY_NATIONAL_LAW,
    }
)

ListKind = Literal["generic", "list-of-lists"]


@dataclass(frozen=True)
class DigitalIdentity:
    """How a service is identified (TS 119 612 §5.5.3): certificates, SKIs, subject names."""

    certificates: tuple[bytes, ...] = ()
    subject_names: tuple[str, ...] = ()
    skis: tuple[bytes, ...] = ()

    def x509_certificates(self) -> list[x509.Certificate]:
        """The certificates, parsed; an unreadable one is skipped (it was reported when read)."""
        out: list[x509.Certificate] = []
        for der in self.certificates:
            try:
                out.append(x509.load_der_x509_certificate(der))
            except ValueError:
                continue
        return out


@dataclass(frozen=True)
class CriteriaList:
    """A ``CriteriaList`` of the Qualifications extension (TS 119 612 §5.5.9.2.1).

    ``assert_`` is ``all``, ``atLeastOne`` or ``none``. ``key_usage`` holds one
    tuple of ``(bit name, value)`` pairs per ``KeyUsage`` element; ``policy_sets``
    one tuple of dotted OIDs per ``PolicySet`` (all of a set must be present);
    ``extended_key_usages`` the OIDs of ``otherCriteriaList/ExtendedKeyUsage``.
    """

    assert_: str = "all"
    key_usage: tuple[tuple[tuple[str, bool], ...], ...] = ()
    policy_sets: tuple[tuple[str, ...], ...] = ()
    extended_key_usages: tuple[tuple[str, ...], ...] = ()
    nested: tuple[CriteriaList, ...] = ()
    description: str | None = None
    unsupported_criteria: tuple[str, ...] = ()

    def matches(self, certificate: x509.Certificate) -> bool:
        """Whether ``certificate`` meets the criteria.

        A criteria list with criteria bayident does not evaluate
        (``unsupported_criteria``) never matches: better not to qualify a
        certificate than to qualify it on half the conditions.
        """
        if self.unsupported_criteria:
            return False
        results = [_ku_matches(certificate, ku) for ku in self.key_usage]
        results += [_policies_match(certificate, ps) for ps in self.policy_sets]
        results += [_eku_matches(certificate, eku) for eku in self.extended_key_usages]
        results += [n.matches(certificate) for n in self.nested]
        if self.assert_ == "all":
            return all(results)
        if self.assert_ == "atLeastOne":
            return any(results)
        if self.assert_ == "none":
            return not any(results)
        return False


_KU_BITS = {
    "digitalSignature": "digital_signature",
    "nonRepudiation": "content_commitment",
    "keyEncipherment": "key_encipherment",
    "dataEncipherment": "data_encipherment",
    "keyAgreement": "key_agreement",
    "keyCertSign": "key_cert_sign",
    "crlSign": "crl_sign",
    "encipherOnly": "encipher_only",
    "decipherOnly": "decipher_only",
}


def _ku_matches(cert: x509.Certificate, bits: tuple[tuple[str, bool], ...]) -> bool:
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except (x509.ExtensionNotFound, ValueError):
        return False
    for name, wanted in bits:
        attr = _KU_BITS.get(name)
        if attr is None:
            return False
        try:
            value = bool(getattr(ku, attr))
        except ValueError:  # encipher_only without key_agreement
            value = False
        if value is not wanted:
            return False
    return True


def _policies_match(cert: x509.Certificate, oids: tuple[str, ...]) -> bool:
    try:
        ext = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    except (x509.ExtensionNotFound, ValueError):
        return False
    present = {p.policy_identifier.dotted_string for p in ext}
    return all(o in present for o in oids)


def _eku_matches(cert: x509.Certificate, oids: tuple[str, ...]) -> bool:
    try:
        ext = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except (x509.ExtensionNotFound, ValueError):
        return False
    present = {o.dotted_string for o in ext}
    return all(o in present for o in oids)


@dataclass(frozen=True)
class Qualification:
    """One ``QualificationElement``: qualifier URIs that apply to certificates meeting ``criteria``."""

    qualifiers: tuple[str, ...]
    criteria: CriteriaList

    @property
    def qualifier_names(self) -> tuple[str, ...]:
        """The qualifiers without the ETSI prefix, e.g. ``QCForESig``, ``QCWithQSCD``."""
        return tuple(q.removeprefix(_QUALIFIER) for q in self.qualifiers)


@dataclass(frozen=True)
class ServiceHistoryEntry:
    """A past state of a service (TS 119 612 §5.6)."""

    service_type: str
    name: str
    status: str
    status_starting_time: _dt.datetime
    identity: DigitalIdentity = field(default_factory=DigitalIdentity)
    qualifications: tuple[Qualification, ...] = ()
    additional_information: tuple[str, ...] = ()


@dataclass(frozen=True)
class TrustService:
    """A trust service (TS 119 612 §5.5) and its history."""

    service_type: str
    name: str
    status: str
    status_starting_time: _dt.datetime
    identity: DigitalIdentity = field(default_factory=DigitalIdentity)
    history: tuple[ServiceHistoryEntry, ...] = ()
    qualifications: tuple[Qualification, ...] = ()
    additional_information: tuple[str, ...] = ()
    supply_points: tuple[str, ...] = ()

    @property
    def status_history(self) -> tuple[tuple[_dt.datetime, str], ...]:
        """``(starting time, status URI)`` pairs, oldest first, the current status last."""
        pairs = [(h.status_starting_time, h.status) for h in self.history]
        pairs.append((self.status_starting_time, self.status))
        pairs.sort(key=lambda p: p[0])
        return tuple(pairs)

    def status_at(self, when: _dt.datetime) -> str | None:
        """The status in force at ``when``, or ``None`` before the service's first status."""
        return status_at(self.status_history, when)

    @property
    def short_type(self) -> str:
        """The service type without the ETSI prefix, e.g. ``CA/QC``."""
        return self.service_type.removeprefix(_SVCTYPE)

    @property
    def short_status(self) -> str:
        """The status without the ETSI prefix, e.g. ``granted``."""
        return self.status.removeprefix(_SVCSTATUS)


def status_at(history: Sequence[tuple[_dt.datetime, str]], when: _dt.datetime) -> str | None:
    """The status in force at ``when`` in an oldest-first ``(start, status)`` sequence."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.UTC)
    i = bisect_right([start for start, _ in history], when)
    return history[i - 1][1] if i else None


@dataclass(frozen=True)
class TrustServiceProvider:
    """A trust service provider (TS 119 612 §5.4) and its services."""

    name: str
    services: tuple[TrustService, ...] = ()
    trade_names: tuple[str, ...] = ()
    information_uris: tuple[str, ...] = ()


@dataclass(frozen=True)
class OtherTSLPointer:
    """A pointer to another list (TS 119 612 §5.3.13), with the certificates allowed to sign it."""

    location: str
    signer_certificates: tuple[bytes, ...] = ()
    territory: str | None = None
    tsl_type: str | None = None
    mime_type: str | None = None
    scheme_operator_name: str | None = None

    @property
    def is_list_of_lists(self) -> bool:
        return bool(self.tsl_type and self.tsl_type.endswith("listofthelists"))

    def x509_signers(self) -> list[x509.Certificate]:
        """The signer certificates, parsed (unreadable ones skipped)."""
        return DigitalIdentity(certificates=self.signer_certificates).x509_certificates()


@dataclass(frozen=True)
class TrustedList:
    """A trusted list (TS 119 612 §5): scheme information, pointers and providers.

    ``version`` is the ``TSLVersionIdentifier`` (5 for TS 119 612 v2, 6 for v3;
    3 and 4 are the older layouts of TS 102 231 and TS 119 612 v1, read the
    same way). ``kind`` is ``generic`` or ``list-of-lists``.
    """

    scheme_operator_name: str
    scheme_name: str
    territory: str
    sequence_number: int
    issue_date: _dt.datetime
    next_update: _dt.datetime | None
    version: int
    tsl_type: str
    pointers: tuple[OtherTSLPointer, ...] = ()
    providers: tuple[TrustServiceProvider, ...] = ()
    information_uris: tuple[str, ...] = ()
    distribution_points: tuple[str, ...] = ()
    status_determination_approach: str | None = None
    community_rules: tuple[str, ...] = ()
    historical_information_period: int | None = None
    list_id: str | None = None
    #: A finer jurisdiction than the territory (e.g. ``CN-GD``); bayident JSON lists carry it,
    #: ETSI XML has no place for it.
    jurisdiction: str | None = None

    @property
    def kind(self) -> ListKind:
        return "list-of-lists" if self.tsl_type.endswith("listofthelists") else "generic"

    @property
    def is_list_of_lists(self) -> bool:
        return self.kind == "list-of-lists"

    @property
    def service_count(self) -> int:
        return sum(len(p.services) for p in self.providers)

    def services(self) -> Iterator[tuple[TrustServiceProvider, TrustService]]:
        """Every ``(provider, service)`` pair, in document order."""
        for p in self.providers:
            for s in p.services:
                yield p, s

    @property
    def pivot_urls(self) -> tuple[str, ...]:
        """Pivot lists named in ``SchemeInformationURI`` (the EU LOTL's signer-change trail)."""
        return tuple(u for u in self.information_uris if is_pivot_url(u))

    def describe(self) -> str:
        return (
            f"{self.territory} {self.kind} '{self.scheme_name or self.scheme_operator_name}' "
            f"#{self.sequence_number}"
        )


#: A pivot's URL names it as one (e.g. ``.../tools/lotl/eu-lotl-pivot-300.xml``).
PIVOT_URL_PATTERN = re.compile(r"(?i)/[^/?#]*pivot[^/?#]*\.xml$")


def is_pivot_url(url: str) -> bool:
    """Whether a ``SchemeInformationURI`` value names a pivot list."""
    return bool(PIVOT_URL_PATTERN.search(url.strip()))
