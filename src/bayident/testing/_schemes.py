"""Mock certification authorities of the Bay Area schemes, issuing certificates with the
profiles the built-in certificate adapters read::

    hkpost = MockHongkongPostCA(clock=clock)
    alice = hkpost.issue_personal("CHAN Tai Man", hkid="A123456(3)", mutual_recognition=True)
    cms = alice.sign_detached_cms(b"form")
    verifier = bayident.Verifier(hkpost.trust_store(), schemes=sandbox_registry(hkpost.adapter()))
    result = verifier.verify(cms, content=b"form")

Every CA has a sandbox name: the real CA's name followed by "(sandbox)" where the
mock imitates a named hierarchy ("Hongkong Post Root CA 2 (sandbox)"), so that a sandbox
root never passes for the real one; keys are sandbox keys, trusted only by a trust store
that includes them. :func:`sandbox_recognition_policy` is the Greater Bay Area
recognition policy with the sandbox names admitted beside the real ones, and
:func:`sandbox_registry` uses it. Nothing here is a
real certificate profile where the public record is silent: the protected HKID, for one,
uses :class:`SandboxProtectedHKID`, a method of the sandbox's own.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from cryptography import x509
from cryptography.x509.oid import NameOID

from bayident._exceptions import InvalidArgument
from bayident._trust import TrustAnchor, TrustStore
from bayident.identifiers import IdentifierKind
from bayident.identifiers import validate as _validate_identifier
from bayident.schemes import (
    DigiSignAdapter,
    ESignTrustAdapter,
    GuangdongCAAdapter,
    HongkongPostAdapter,
    Recognizer,
    SchemeAdapter,
    SchemeRegistry,
    default_registry,
)
from bayident.schemes._base import CertificateView
from bayident.schemes.guangdong_ca import gdca_profile, gmt0015_extension, netca_profile
from bayident.schemes.hkpost import MUTUAL_RECOGNITION_ARC
from bayident.testing._ca import KeyType, MockCA, MockSigner, _generate_key, _key_usage, _validity
from bayident.testing._clock import Clock
from bayident.testing._sm2 import MockSM2CA, MockSM2Signer

if TYPE_CHECKING:
    from bayident.trustlist import RecognitionPolicy

__all__ = [
    "MUTUAL_RECOGNITION_POLICY",
    "MockDigiSignCA",
    "MockESignTrustCA",
    "MockGuangdongCA",
    "MockHongkongPostCA",
    "SandboxProtectedHKID",
    "listed_trust_store",
    "sandbox_recognition_policy",
    "sandbox_registry",
]

#: A policy under the Guangdong–Hong Kong mutual recognition arc
#: (``<arc>.<year>.<version>.<release>``), for sandbox certificates.
MUTUAL_RECOGNITION_POLICY = f"{MUTUAL_RECOGNITION_ARC}.2018.1.1"
_ANY_POLICY = "2.5.29.32.0"
_TSL_GRANTED = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/granted"
_TSL_CA_QC = "http://uri.etsi.org/TrstSvc/Svctype/CA/QC"
# 2.999 is the ITU-T X.660 arc for examples: nothing real lives under it.
_SANDBOX_HKID_OID = "2.999.344.1"
_SIGNER_VALIDITY_DAYS = 365


def _ou(value: str) -> x509.NameAttribute[str]:
    return x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, value)


class SandboxProtectedHKID:
    """The sandbox's own way to put an HKID in a certificate in protected form.

    HMAC-SHA256 of the normalised HKID under a sandbox key, as an OCTET STRING in a
    non-critical extension under the X.660 example arc (2.999.344.1). It stands in for
    Hongkong Post's method, which is not public; configure it into a
    :class:`~bayident.schemes.HongkongPostAdapter` to test HKID matching end to end.
    """

    name = "sandbox HMAC-SHA256 in extension 2.999.344.1"
    oid = _SANDBOX_HKID_OID

    def __init__(self, key: bytes = b"bayident sandbox protected-HKID key") -> None:
        if not isinstance(key, bytes) or not key:
            raise InvalidArgument("key must be non-empty bytes")
        self._key = key

    def protect(self, hkid: str) -> bytes:
        """The protected form of ``hkid`` (its check digit must be right)."""
        check = _validate_identifier(IdentifierKind.HKID, hkid)
        if not check.valid or check.normalized is None:
            raise InvalidArgument(f"hkid: {check.reason}")
        return hmac.new(self._key, check.normalized.encode("ascii"), hashlib.sha256).digest()

    def extension(self, hkid: str) -> x509.UnrecognizedExtension:
        """The certificate extension carrying ``hkid`` protected."""
        value = self.protect(hkid)
        return x509.UnrecognizedExtension(
            x509.ObjectIdentifier(self.oid), bytes([0x04, len(value)]) + value
        )

    def extract(self, view: CertificateView) -> bytes | None:
        """The protected HKID of a certificate, if it has the extension."""
        raw = view.extension_value(self.oid)
        if raw is None or len(raw) != 34 or raw[0] != 0x04 or raw[1] != 32:
            return None
        return raw[2:]

    def matches(self, protected: bytes, hkid: str) -> bool:
        """Whether ``protected`` is ``hkid`` protected with this key."""
        try:
            expected = self.protect(hkid)
        except InvalidArgument:
            return False
        return hmac.compare_digest(expected, protected)


def _issue(
    ca: MockCA,
    subject: x509.Name,
    *,
    key_type: KeyType = "rsa",
    policies: Sequence[str] | None = None,
    extensions: Iterable[x509.ExtensionType] = (),
    email: str | None = None,
    key_usage: Sequence[str] = ("digital_signature", "content_commitment"),
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> MockSigner:
    """An end-entity certificate with a free-form subject, signed by ``ca``."""
    from datetime import timedelta

    key = _generate_key(key_type, 2048)
    start, end = _validity(ca.clock, not_before, not_after, timedelta(days=_SIGNER_VALIDITY_DAYS))
    issuer_ski = x509.SubjectKeyIdentifier.from_public_key(ca.private_key.public_key())
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(secrets.randbelow(2**63) + 1)
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski),
            critical=False,
        )
        .add_extension(_key_usage(key_usage), critical=True)
    )
    if policies:
        builder = builder.add_extension(
            x509.CertificatePolicies(
                [x509.PolicyInformation(x509.ObjectIdentifier(p), None) for p in policies]
            ),
            critical=False,
        )
    if email is not None:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False
        )
    for ext in extensions:
        builder = builder.add_extension(ext, critical=False)
    from bayident.testing._ca import _certificate_hash

    cert = builder.sign(ca.private_key, _certificate_hash(ca.private_key))
    cn = subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return MockSigner(
        name=str(cn[0].value) if cn else "", certificate=cert, private_key=key, issuer=ca
    )


def listed_trust_store(
    *roots: MockCA | x509.Certificate,
    jurisdiction: str,
    territory: str | None = None,
    status: str = _TSL_GRANTED,
    name: str | None = None,
) -> TrustStore:
    """A trust store whose anchors look as if they came from a trusted list.

    Each anchor gets ``jurisdiction``, the list ``territory`` (default: the jurisdiction's
    first part), a CA/QC service type and ``status`` (granted), so recognition rules that
    need a listed anchor in force can admit it. For a real list, use
    :class:`bayident.testing.MockTrustListOperator` and :mod:`bayident.trustlist`.
    """
    anchors = []
    for root in roots:
        cert = root.certificate if isinstance(root, MockCA) else root
        from cryptography.hazmat.primitives.serialization import Encoding

        anchors.append(
            TrustAnchor(
                certificate=cert,
                der=cert.public_bytes(Encoding.DER),
                source=f"sandbox trusted list ({jurisdiction})",
                service_type=_TSL_CA_QC,
                jurisdiction=jurisdiction,
                status=status,
                list_territory=territory or jurisdiction.split("-")[0],
            )
        )
    return TrustStore(anchors, name=name or f"sandbox trusted list {jurisdiction}")


def sandbox_registry(
    *adapters: SchemeAdapter, recognizer: Recognizer | None = None
) -> SchemeRegistry:
    """A copy of the default registry with ``adapters`` registered in place of namesakes.

    Give it to the verifier under test, ``Verifier(trust, schemes=sandbox_registry(...))``
    (or ``bayident.verify(..., schemes=...)``); the default registry is left as it is.
    """
    registry = default_registry().copy()
    for adapter in adapters:
        registry.register(adapter, replace=True)
    if recognizer is None:
        recognizer = Recognizer(certificate_policy=sandbox_recognition_policy())
    registry.recognizer = recognizer
    return registry


def sandbox_recognition_policy(**kwargs: Any) -> RecognitionPolicy:
    """The Greater Bay Area mutual recognition policy, admitting the sandbox CAs too.

    Each rule's anchor and issuer names gain their "(sandbox)" twins, so certificates of
    :class:`MockHongkongPostCA` are recognised as the real hierarchy's would be, while
    the real names keep their meaning. ``kwargs`` go to
    :meth:`bayident.trustlist.RecognitionPolicy.greater_bay_area_default`.
    """
    from bayident.trustlist import RecognitionPolicy as _Policy

    policy = _Policy.greater_bay_area_default(**kwargs)

    def twins(names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(n for name in names for n in (name, f"{name} (sandbox)"))

    rules = tuple(
        rule.model_copy(
            update={
                "anchor_names": twins(rule.anchor_names),
                "issuer_names": twins(rule.issuer_names),
            }
        )
        for rule in policy.rules
    )
    return policy.model_copy(update={"rules": rules, "name": f"{policy.name} (sandbox)"})


class _SchemeCA:
    jurisdiction: str = ""
    territory: str | None = None

    def _root_certificate(self) -> x509.Certificate:
        raise NotImplementedError

    def trust_store(self, *, listed: bool = False) -> TrustStore:
        """A trust store with this scheme's root; ``listed=True`` as if from its trusted list."""
        cert = self._root_certificate()
        if listed:
            return listed_trust_store(
                cert, jurisdiction=self.jurisdiction, territory=self.territory
            )
        name = _cn_of(cert)
        return TrustStore.from_certificates(
            [cert], name=name if name.endswith("(sandbox)") else f"{name} (sandbox)"
        )


def _cn_of(cert: x509.Certificate) -> str:
    attrs = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(attrs[0].value) if attrs else "root"


class MockHongkongPostCA(_SchemeCA):
    """A Hongkong Post-like CA: a root, an e-Cert issuing CA and an iAM Smart-Cert CA.

    By default the names are the sandbox twins of the mutual-recognition hierarchy
    ("Hongkong Post Root CA 2 (sandbox)" / "Hongkong Post e-Cert CA 2 - 15 (sandbox)"), so
    :func:`sandbox_recognition_policy` applies to its mutual-recognition certificates
    while the real policy does not. e-Cert (Personal) certificates
    carry the name, the Subscriber Reference Number (subject OU, ten digits), the optional
    e-mail and, with ``hkid=``, the HKID protected by :attr:`protected_hkid`.
    """

    jurisdiction = "HK"

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        root_name: str = "Hongkong Post Root CA 2 (sandbox)",
        issuing_name: str = "Hongkong Post e-Cert CA 2 - 15 (sandbox)",
        iamsmart_name: str = "Hongkong Post iAM Smart-Cert CA (sandbox)",
        protected_hkid: SandboxProtectedHKID | None = None,
    ) -> None:
        self.root = MockCA(
            root_name,
            organization="Hongkong Post",
            country="HK",
            clock=clock,
            policies=[_ANY_POLICY],
        )
        self.issuing = self.root.create_child_ca(issuing_name, policies=[_ANY_POLICY])
        self.iamsmart_issuing = self.root.create_child_ca(iamsmart_name, policies=[_ANY_POLICY])
        self.protected_hkid = protected_hkid or SandboxProtectedHKID()

    def intermediates(self) -> list[bytes]:
        """The issuing CAs' certificates (DER), for ``extra_certs=`` when a signer sends only
        its own certificate (as an iAM Smart signing result does)."""
        return [self.issuing.cert_der, self.iamsmart_issuing.cert_der]

    def _root_certificate(self) -> x509.Certificate:
        return self.root.certificate

    def adapter(self) -> HongkongPostAdapter:
        """A Hongkong Post adapter that can match this CA's protected HKIDs."""
        return HongkongPostAdapter(protected_hkid=self.protected_hkid)

    def _subject(
        self, name: str, label: str, srn: str | None, organisation: str | None
    ) -> x509.Name:
        srn = srn if srn is not None else f"{secrets.randbelow(10**10):010d}"
        attrs = [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "HK"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, label),
        ]
        if organisation is not None:
            attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
        attrs += [_ou(srn), x509.NameAttribute(NameOID.COMMON_NAME, name)]
        return x509.Name(attrs)

    def issue_personal(
        self,
        name: str,
        *,
        hkid: str | None = None,
        srn: str | None = None,
        email: str | None = None,
        mutual_recognition: bool = False,
        policies: Sequence[str] = (),
        key_type: KeyType = "rsa",
        not_before: datetime | None = None,
        not_after: datetime | None = None,
    ) -> MockSigner:
        """An e-Cert (Personal); ``mutual_recognition`` adds a policy under the GBA arc."""
        pols = [*policies, *([MUTUAL_RECOGNITION_POLICY] if mutual_recognition else [])]
        return _issue(
            self.issuing,
            self._subject(name, "Hongkong Post e-Cert (Personal)", srn, None),
            key_type=key_type,
            policies=pols,
            email=email,
            extensions=[self.protected_hkid.extension(hkid)] if hkid else [],
            not_before=not_before,
            not_after=not_after,
        )

    def issue_organisational(
        self,
        name: str,
        organisation: str,
        *,
        srn: str | None = None,
        email: str | None = None,
        mutual_recognition: bool = False,
        key_type: KeyType = "rsa",
    ) -> MockSigner:
        """An e-Cert (Organisational) for an authorised user of ``organisation``."""
        return _issue(
            self.issuing,
            self._subject(name, "Hongkong Post e-Cert (Organisational)", srn, organisation),
            key_type=key_type,
            policies=[MUTUAL_RECOGNITION_POLICY] if mutual_recognition else [],
            email=email,
        )

    def issue_iamsmart_cert(
        self, name: str, *, hkid: str, key_type: KeyType = "rsa", srn: str | None = None
    ) -> MockSigner:
        """An iAM Smart-Cert (RSA by default, as the public sample's SHA-256withRSA needs)."""
        return _issue(
            self.iamsmart_issuing,
            self._subject(name, "Hongkong Post e-Cert (Personal)", srn, None),
            key_type=key_type,
            extensions=[self.protected_hkid.extension(hkid)],
        )


class MockDigiSignCA(_SchemeCA):
    """A Digi-Sign-like CA ("(sandbox)" names: the real CA names are not used)."""

    jurisdiction = "HK"

    def __init__(self, *, clock: Clock | None = None) -> None:
        self.root = MockCA(
            "Digi-Sign Root CA (sandbox)",
            organization="Digi-Sign Certification Services Limited",
            country="HK",
            clock=clock,
            policies=[_ANY_POLICY],
        )
        self.issuing = self.root.create_child_ca(
            "Digi-Sign ID-Cert CA (sandbox)", policies=[_ANY_POLICY]
        )

    def _root_certificate(self) -> x509.Certificate:
        return self.root.certificate

    def adapter(self) -> DigiSignAdapter:
        """The default Digi-Sign adapter."""
        return DigiSignAdapter()

    def issue(
        self,
        name: str,
        *,
        organisation: str | None = None,
        email: str | None = None,
        policies: Sequence[str] = (),
        key_type: KeyType = "rsa",
    ) -> MockSigner:
        """A personal (or, with ``organisation``, organisational) signing certificate."""
        attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "HK")]
        if organisation:
            attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, name))
        return _issue(
            self.issuing, x509.Name(attrs), key_type=key_type, policies=policies, email=email
        )


class MockESignTrustCA(_SchemeCA):
    """An eSignTrust-like sandbox CA: a root, a qualified and a normalised issuing CA."""

    jurisdiction = "MO"

    def __init__(self, *, clock: Clock | None = None) -> None:
        self.root = MockCA(
            "eSignTrust Root Certification Authority (G03) (sandbox)",
            organization="Macao Post and Telecommunications (sandbox)",
            country="MO",
            clock=clock,
            policies=[_ANY_POLICY],
        )
        self.qualified = self.root.create_child_ca(
            "Macao Post eSignTrust Qualified Certificate CA (sandbox)", policies=[_ANY_POLICY]
        )
        self.normalised = self.root.create_child_ca(
            "Macao Post eSignTrust Normalised Certificate CA (sandbox)", policies=[_ANY_POLICY]
        )

    def _root_certificate(self) -> x509.Certificate:
        return self.root.certificate

    def adapter(self) -> ESignTrustAdapter:
        """The default eSignTrust adapter."""
        return ESignTrustAdapter()

    def issue(
        self,
        name: str,
        *,
        kind: Literal["qualified", "normalised"] = "qualified",
        organisation: str | None = None,
        policies: Sequence[str] = (),
        key_type: KeyType = "rsa",
    ) -> MockSigner:
        """A qualified or normalised certificate, for a person or (``organisation``) a company."""
        if kind not in ("qualified", "normalised"):
            raise InvalidArgument("kind must be 'qualified' or 'normalised'")
        attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "MO")]
        if organisation:
            attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, name))
        ca = self.qualified if kind == "qualified" else self.normalised
        return _issue(ca, x509.Name(attrs), key_type=key_type, policies=policies)


class MockGuangdongCA(_SchemeCA):
    """A GDCA-like (or, with ``brand='NETCA'``, NETCA-like) sandbox CA, RSA or SM2.

    As Mainland CAs do (GM/T 0015), certificates carry the holder's numbers in private
    extensions: the resident identity number as an IdentifyCode under
    ``1.2.156.10260.4.1.1`` (SM2) or a string under ``1.2.86.11.7.1`` (RSA), the unified
    social credit code under ``.4.1.4`` / ``1.2.86.11.7.4`` (and, with
    ``edition="2023"``, under ``1.2.156.10260.4.4`` as well). ``identity_in`` puts the
    number in the extensions (default), in the subject serialNumber or in both. SM2
    needs the ``sm`` extra (it uses :class:`bayident.testing.MockSM2CA`). ``root`` and
    ``issuing`` are :class:`MockCA` objects for RSA and ``sm2_root`` / ``sm2_issuing``
    the :class:`MockSM2CA` ones for SM2. All names are sandbox names.
    """

    jurisdiction = "CN-GD"
    territory = "CN"

    def __init__(
        self,
        *,
        algorithm: Literal["rsa", "sm2"] = "rsa",
        brand: Literal["GDCA", "NETCA"] = "GDCA",
        clock: Clock | None = None,
        identity_in: Literal["extension", "subject", "both"] = "extension",
        edition: Literal["2012", "2023"] = "2012",
    ) -> None:
        if algorithm not in ("rsa", "sm2") or brand not in ("GDCA", "NETCA"):
            raise InvalidArgument("algorithm must be 'rsa' or 'sm2', brand 'GDCA' or 'NETCA'")
        if identity_in not in ("extension", "subject", "both") or edition not in ("2012", "2023"):
            raise InvalidArgument(
                "identity_in must be 'extension', 'subject' or 'both'; edition '2012' or '2023'"
            )
        self.algorithm = algorithm
        self.brand = brand
        self.identity_in = identity_in
        self.edition = edition
        sm2 = "SM2 " if algorithm == "sm2" else ""
        # Never a real CA's name: a sandbox root must not pass for the real one.
        root_name = f"{brand} {sm2}Root CA (sandbox)"
        issuing_name = f"{brand} {sm2}Issuing CA (sandbox)"
        self.root: MockCA | None = None
        self.issuing: MockCA | None = None
        self.sm2_root: MockSM2CA | None = None
        self.sm2_issuing: MockSM2CA | None = None
        if algorithm == "sm2":
            self.sm2_root = MockSM2CA(root_name, clock=clock, policies=[_ANY_POLICY])
            self.sm2_issuing = self.sm2_root.create_child_ca(issuing_name, policies=[_ANY_POLICY])
        else:
            self.root = MockCA(
                root_name,
                organization=f"{brand} (sandbox)",
                country="CN",
                clock=clock,
                policies=[_ANY_POLICY],
            )
            self.issuing = self.root.create_child_ca(issuing_name, policies=[_ANY_POLICY])

    def _root_certificate(self) -> x509.Certificate:
        root = self.sm2_root if self.sm2_root is not None else self.root
        assert root is not None
        return root.certificate

    def intermediates(self) -> list[bytes]:
        """The issuing CA's certificate (DER)."""
        ca = self.sm2_issuing if self.sm2_issuing is not None else self.issuing
        assert ca is not None
        return [ca.cert_der]

    def adapter(self) -> GuangdongCAAdapter:
        """The default GDCA or NETCA adapter."""
        return GuangdongCAAdapter(gdca_profile() if self.brand == "GDCA" else netca_profile())

    def _identity_extensions(self, serial: str, organisation: bool) -> list[tuple[str, bytes]]:
        if self.identity_in == "subject":
            return []
        algorithm: Literal["sm2", "rsa"] = "sm2" if self.sm2_issuing is not None else "rsa"
        if not organisation:
            return [gmt0015_extension("person", serial, algorithm=algorithm)]
        out = [gmt0015_extension("organisation", serial, algorithm=algorithm)]
        if self.edition == "2023" and algorithm == "sm2":
            out.append(gmt0015_extension("uscc", serial, algorithm="sm2"))
        return out

    def _issue(
        self,
        name: str,
        serial: str,
        organisation: str | None,
        policies: Sequence[str],
    ) -> MockSigner | MockSM2Signer:
        extensions = self._identity_extensions(serial, organisation is not None)
        in_subject = self.identity_in != "extension"
        if self.sm2_issuing is not None:
            return self.sm2_issuing.issue_signer(
                name,
                organization=organisation,
                # The subject serialNumber, where some Mainland CAs also put the number.
                unified_social_credit_code=serial if in_subject else None,
                policies=list(policies) or None,
                extensions=extensions,
                identity_extensions=False,  # this CA chooses its extensions itself
            )
        assert self.issuing is not None
        attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN")]
        if organisation:
            attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, name))
        if in_subject:
            attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial))
        return _issue(
            self.issuing,
            x509.Name(attrs),
            policies=policies,
            extensions=[
                x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), value)
                for oid, value in extensions
            ],
        )

    def issue_organisation(
        self,
        name: str,
        uscc: str,
        *,
        mutual_recognition: bool = False,
        policies: Sequence[str] = (),
    ) -> MockSigner | MockSM2Signer:
        """An organisation certificate (CN and O = ``name``) with its unified social credit code."""
        pols = [*policies, *([MUTUAL_RECOGNITION_POLICY] if mutual_recognition else [])]
        return self._issue(name, uscc, name, pols)

    def issue_person(
        self,
        name: str,
        resident_id: str,
        *,
        mutual_recognition: bool = False,
        policies: Sequence[str] = (),
    ) -> MockSigner | MockSM2Signer:
        """A personal certificate with the holder's resident identity number."""
        pols = [*policies, *([MUTUAL_RECOGNITION_POLICY] if mutual_recognition else [])]
        return self._issue(name, resident_id, None, pols)
