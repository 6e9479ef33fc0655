"""Mock SM2 certificate authorities and GB/T 35275 signatures, for Guangdong-side tests.

pyca/cryptography can read SM2 certificates but cannot sign with SM2 nor put an SM2 key
into a certificate, so certificates here are assembled with the DER encoder of
:mod:`bayident.testing._der` and signed with :func:`bayident.sm.sm2_sign` (SM3withSM2,
default signer ID, as GM/T 0015 requires for certificates). Needs the ``sm`` extra::

    root = MockSM2CA("Sandbox GDCA SM2 Root", clock=clock)
    signer = root.create_child_ca("Sandbox GDCA SM2 CA").issue_signer("LI Lei")
    cms = signer.sign_detached_cms(b"content")             # GM/T OIDs, signed attributes

Mixed chains: a :class:`MockSM2CA` may hold an RSA or EC key (``key_type``), and
:func:`issue_sm2_ca` / :func:`issue_sm2_signer` let an ordinary :class:`MockCA` issue SM2
certificates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from bayident._exceptions import InvalidArgument
from bayident.schemes._gmt0015 import encode_identify_code, encode_string
from bayident.sm import (
    DEFAULT_SM2_ID,
    SM2PrivateKey,
    compute_za,
    generate_sm2_key,
    sm2_sign,
    sm3,
)
from bayident.testing import _der
from bayident.testing._ca import MockCA, _name
from bayident.testing._ca import _random_serial as _serial
from bayident.testing._clock import Clock, utc_datetime
from bayident.testing._cms import (
    Attribute,
    content_type_attribute,
    message_digest_attribute,
    signing_certificate_v2_attribute,
    signing_time_attribute,
    to_pem,
)

__all__ = [
    "GM_DATA",
    "GM_SIGNED_DATA",
    "OID_SM2_SIGN",
    "OID_SM3",
    "OID_SM3_WITH_SM2",
    "IssuerKey",
    "MockSM2CA",
    "MockSM2Signer",
    "SM2KeyType",
    "SM2VariantName",
    "issue_sm2_ca",
    "issue_sm2_signer",
]

GM_DATA = "1.2.156.10197.6.1.4.2.1"
GM_SIGNED_DATA = "1.2.156.10197.6.1.4.2.2"
OID_SM3 = "1.2.156.10197.1.401"
OID_SM3_WITH_SM2 = "1.2.156.10197.1.501"
OID_SM2_SIGN = "1.2.156.10197.1.301.1"
_PKCS7_DATA = "1.2.840.113549.1.7.1"
_PKCS7_SIGNED_DATA = "1.2.840.113549.1.7.2"
_SHA256 = "2.16.840.1.101.3.4.2.1"
_SHA256_RSA = "1.2.840.113549.1.1.11"
_RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
_ECDSA_SHA256 = "1.2.840.10045.4.3.2"

IssuerKey = SM2PrivateKey | rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
"""Keys the kit signs certificates and CMS with."""
SM2KeyType = Literal["sm2", "rsa", "ec"]
SM2VariantName = Literal["raw-digest", "z-plus-sm3-of-message"]

_CA_VALIDITY = timedelta(days=3650)
_SIGNER_VALIDITY = timedelta(days=365)
_BACKDATE = timedelta(days=1)
_USCC_CHARS = set("0123456789ABCDEFGHJKLMNPQRTUWXY")
_MAX_CONTENT = 256 * 1024 * 1024


def _new_key(key_type: str) -> IssuerKey:
    if key_type == "sm2":
        return generate_sm2_key()
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    raise InvalidArgument(f"key_type: expected 'sm2', 'rsa' or 'ec', got {key_type!r}")


def _check_key(key: object) -> IssuerKey:
    if not isinstance(key, SM2PrivateKey | rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise InvalidArgument(f"private_key: unsupported key type {type(key).__name__}")
    return key


def _spki(key: IssuerKey) -> bytes:
    if isinstance(key, SM2PrivateKey):
        return key.public_key.to_spki_der()
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _key_identifier(key: IssuerKey) -> bytes:
    """RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits."""
    if isinstance(key, SM2PrivateKey):
        return hashlib.sha1(key.public_key.to_point(), usedforsecurity=False).digest()
    return x509.SubjectKeyIdentifier.from_public_key(key.public_key()).digest


def _algorithm(key: IssuerKey) -> bytes:
    """The signatureAlgorithm a key signs certificates with."""
    if isinstance(key, SM2PrivateKey):
        # GM/T 0015: SM3withSM2 with the parameters absent, as OpenSSL and Tongsuo write it.
        return _der.sequence(_der.oid(OID_SM3_WITH_SM2))
    if isinstance(key, rsa.RSAPrivateKey):
        return _der.sequence(_der.oid(_SHA256_RSA), _der.null())
    return _der.sequence(_der.oid(_ECDSA_SHA256))


def _sign_with(key: IssuerKey, data: bytes) -> bytes:
    if isinstance(key, SM2PrivateKey):
        return sm2_sign(key, data)
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


def _extension(value: x509.ExtensionType, critical: bool) -> bytes:
    parts = [_der.oid(value.oid.dotted_string)]
    if critical:
        parts.append(_der.boolean(True))
    parts.append(_der.octet_string(value.public_bytes()))
    return _der.sequence(*parts)


def _certificate(
    *,
    subject: x509.Name,
    issuer: x509.Name,
    spki: bytes,
    issuer_key: IssuerKey,
    serial: int,
    not_before: datetime,
    not_after: datetime,
    extensions: Sequence[tuple[x509.ExtensionType, bool]],
) -> x509.Certificate:
    algorithm = _algorithm(issuer_key)
    tbs = _der.sequence(
        _der.explicit(0, _der.integer(2)),
        _der.integer(serial),
        algorithm,
        issuer.public_bytes(),
        _der.sequence(_der.time(not_before), _der.time(not_after)),
        subject.public_bytes(),
        _der.raw(spki),
        _der.explicit(3, _der.sequence(*(_extension(v, c) for v, c in extensions))),
    )
    signature = _sign_with(issuer_key, tbs)
    der = _der.sequence(tbs, algorithm, _der.bit_string(signature))
    return x509.load_der_x509_certificate(der)


def _validity(
    clock: Clock | None, not_before: datetime | None, not_after: datetime | None, period: timedelta
) -> tuple[datetime, datetime]:
    now = clock.now() if clock is not None else datetime.now(UTC).replace(microsecond=0)
    start = utc_datetime(not_before, "not_before") if not_before is not None else now - _BACKDATE
    end = utc_datetime(not_after, "not_after") if not_after is not None else now + period
    if end < start:
        raise InvalidArgument(f"not_after: {end.isoformat()} is before not_before {start}")
    return start.replace(microsecond=0), end.replace(microsecond=0)


def _policies(policies: Sequence[str]) -> x509.CertificatePolicies:
    try:
        return x509.CertificatePolicies(
            [x509.PolicyInformation(x509.ObjectIdentifier(p), None) for p in policies]
        )
    except (TypeError, ValueError):
        raise InvalidArgument(f"policies: expected dotted OID strings, got {policies!r}") from None


def _key_usage(names: Sequence[str]) -> x509.KeyUsage:
    fields = (
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    )
    if isinstance(names, str) or any(n not in fields for n in names):
        raise InvalidArgument(f"key_usage: expected names from {', '.join(fields)}, got {names!r}")
    try:
        return x509.KeyUsage(**{f: f in names for f in fields})
    except ValueError as exc:
        raise InvalidArgument(f"key_usage: {exc}") from None


def _ski_of(certificate: x509.Certificate) -> bytes:
    try:
        ext = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    except x509.ExtensionNotFound:
        raise InvalidArgument("issuer: its certificate has no SubjectKeyIdentifier") from None
    return ext.value.digest


class _Issuer:
    """What issuing needs from a CA, whichever kit made it."""

    def __init__(self, ca: MockSM2CA | MockCA) -> None:
        key = ca.private_key
        if not isinstance(key, SM2PrivateKey | rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise InvalidArgument(
                f"issuer: a {type(key).__name__} CA cannot issue here (SM2, RSA or EC only)"
            )
        self.key: IssuerKey = key
        self.name = ca.certificate.subject
        self.ski = _ski_of(ca.certificate)
        self.clock = ca.clock


class MockSM2CA:
    """A GDCA-like certificate authority whose certificates are signed with SM3withSM2.

    Attributes:
        name: the common name the CA was created with.
        certificate: its :class:`cryptography.x509.Certificate` (readable, but
            ``public_key()`` fails for SM2 keys: pyca/cryptography has no SM2).
        private_key: an :class:`~bayident.sm.SM2PrivateKey` (or RSA/EC key with ``key_type``).
        parent: the issuing CA (a :class:`MockSM2CA` or :class:`MockCA`), None for a root.
        clock: the clock that sets default validity periods (None: real time).
    """

    name: str
    certificate: x509.Certificate
    private_key: IssuerKey
    parent: MockSM2CA | MockCA | None
    clock: Clock | None

    def __init__(
        self,
        name: str = "Sandbox GDCA SM2 Root",
        *,
        key_type: SM2KeyType = "sm2",
        country: str | None = "CN",
        organization: str | None = "bayident sandbox",
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        clock: Clock | None = None,
        policies: Sequence[str] | None = None,
        private_key: IssuerKey | None = None,
    ) -> None:
        key = _check_key(private_key) if private_key is not None else _new_key(key_type)
        subject = _name(name, country=country, organization=organization)
        start, end = _validity(clock, not_before, not_after, _CA_VALIDITY)
        spki = _spki(key)
        ski = _key_identifier(key)
        self._init(name, key, None, clock, country, organization)
        self.certificate = _certificate(
            subject=subject,
            issuer=subject,
            spki=spki,
            issuer_key=key,
            serial=_serial(),
            not_before=start,
            not_after=end,
            extensions=_ca_extensions(ski, ski, None, policies),
        )

    def _init(
        self,
        name: str,
        key: IssuerKey,
        parent: MockSM2CA | MockCA | None,
        clock: Clock | None,
        country: str | None,
        organization: str | None,
    ) -> None:
        self.name = name
        self.private_key = key
        self.parent = parent
        self.clock = clock
        self._country = country
        self._organization = organization

    @property
    def cert_der(self) -> bytes:
        """The CA certificate in DER."""
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def cert_pem(self) -> bytes:
        """The CA certificate in PEM."""
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def root(self) -> MockSM2CA | MockCA:
        """The self-signed CA at the top of this CA's hierarchy."""
        return self.parent.root if self.parent is not None else self

    @property
    def chain(self) -> list[x509.Certificate]:
        """This CA's certificate, then its issuers', excluding the root (empty for a root)."""
        if self.parent is None:
            return []
        return [self.certificate, *self.parent.chain]

    def create_child_ca(
        self,
        name: str,
        *,
        key_type: SM2KeyType = "sm2",
        path_length: int | None = None,
        policies: Sequence[str] | None = None,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        country: str | None = None,
        organization: str | None = None,
        private_key: IssuerKey | None = None,
    ) -> MockSM2CA:
        """Issue a subordinate CA (SM2 unless ``key_type`` says otherwise), signed by this CA."""
        return issue_sm2_ca(
            self,
            name,
            key_type=key_type,
            path_length=path_length,
            policies=policies,
            not_before=not_before,
            not_after=not_after,
            country=country if country is not None else self._country,
            organization=organization if organization is not None else self._organization,
            private_key=private_key,
        )

    def issue_signer(
        self,
        name: str,
        *,
        key_type: SM2KeyType = "sm2",
        policies: Sequence[str] | None = None,
        key_usage: Sequence[str] | None = ("digital_signature", "content_commitment"),
        organization: str | None = None,
        unified_social_credit_code: str | None = None,
        country: str | None = "CN",
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        serial_number: int | None = None,
        private_key: IssuerKey | None = None,
        extensions: Sequence[tuple[str, bytes]] = (),
        resident_id: str | None = None,
        identity_extensions: bool = True,
    ) -> MockSM2Signer:
        """Issue an end-entity signing certificate (see :func:`issue_sm2_signer`)."""
        return issue_sm2_signer(
            self,
            name,
            key_type=key_type,
            policies=policies,
            key_usage=key_usage,
            organization=organization,
            unified_social_credit_code=unified_social_credit_code,
            country=country,
            not_before=not_before,
            not_after=not_after,
            serial_number=serial_number,
            private_key=private_key,
            extensions=extensions,
            resident_id=resident_id,
            identity_extensions=identity_extensions,
        )

    def __repr__(self) -> str:
        return f"MockSM2CA({self.name!r}, root={self.parent is None})"


def _ca_extensions(
    ski: bytes, aki: bytes, path_length: int | None, policies: Sequence[str] | None
) -> list[tuple[x509.ExtensionType, bool]]:
    exts: list[tuple[x509.ExtensionType, bool]] = [
        (x509.BasicConstraints(ca=True, path_length=path_length), True),
        (_key_usage(("key_cert_sign", "crl_sign")), True),
        (x509.SubjectKeyIdentifier(ski), False),
        (x509.AuthorityKeyIdentifier(aki, None, None), False),
    ]
    if policies is not None:
        exts.append((_policies(policies), False))
    return exts


def issue_sm2_ca(
    issuer: MockSM2CA | MockCA,
    name: str,
    *,
    key_type: SM2KeyType = "sm2",
    path_length: int | None = None,
    policies: Sequence[str] | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    country: str | None = "CN",
    organization: str | None = "bayident sandbox",
    private_key: IssuerKey | None = None,
) -> MockSM2CA:
    """A subordinate :class:`MockSM2CA` issued by ``issuer`` (e.g. an RSA :class:`MockCA`)."""
    if path_length is not None and (not isinstance(path_length, int) or path_length < 0):
        raise InvalidArgument(f"path_length: expected an int >= 0, got {path_length!r}")
    parent = _Issuer(issuer)
    key = _check_key(private_key) if private_key is not None else _new_key(key_type)
    subject = _name(name, country=country, organization=organization)
    start, end = _validity(parent.clock, not_before, not_after, _CA_VALIDITY)
    spki = _spki(key)
    child = MockSM2CA.__new__(MockSM2CA)
    child._init(name, key, issuer, parent.clock, country, organization)
    child.certificate = _certificate(
        subject=subject,
        issuer=parent.name,
        spki=spki,
        issuer_key=parent.key,
        serial=_serial(),
        not_before=start,
        not_after=end,
        extensions=_ca_extensions(_key_identifier(key), parent.ski, path_length, policies),
    )
    return child


def issue_sm2_signer(
    issuer: MockSM2CA | MockCA,
    name: str,
    *,
    key_type: SM2KeyType = "sm2",
    policies: Sequence[str] | None = None,
    key_usage: Sequence[str] | None = ("digital_signature", "content_commitment"),
    organization: str | None = None,
    unified_social_credit_code: str | None = None,
    country: str | None = "CN",
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    serial_number: int | None = None,
    private_key: IssuerKey | None = None,
    extensions: Sequence[tuple[str, bytes]] = (),
    resident_id: str | None = None,
    identity_extensions: bool = True,
) -> MockSM2Signer:
    """Issue an end-entity certificate for an SM2 (or ``key_type``) key, signed by ``issuer``.

    Args:
        issuer: a :class:`MockSM2CA`, or an RSA/EC :class:`MockCA` for a mixed chain.
        name: subject common name.
        policies: CertificatePolicies OIDs (no extension when None).
        key_usage: KeyUsage names (critical); None leaves the extension out.
        organization: subject organizationName.
        unified_social_credit_code: the 18-character 统一社会信用代码 (GB 32100) of the
            organization, put as Mainland CAs do in the GM/T 0015 extension
            ``1.2.156.10260.4.1.4`` (a PrintableString) and in the subject serialNumber
            attribute. Its characters and length are checked, not its check character, so
            tests can make certificates with wrong codes.
        resident_id: a person's resident identity number, put in the GM/T 0015 extension
            ``1.2.156.10260.4.1.1`` as an IdentifyCode (residenterCardNumber [0]). Not
            checked, for the same reason.
        identity_extensions: False leaves out the GM/T 0015 extensions the two numbers
            would add (the code then stays in the subject only).
        country: subject countryName (omitted when None).
        not_before, not_after: validity; default from the issuer's clock, one year.
        serial_number: certificate serial (default: 64 random bits).
        private_key: use this key instead of generating one.
        extensions: extra non-critical extensions as (dotted OID, DER value), e.g. the
            GM/T 0015 identity extensions Mainland CAs use (see
            :func:`bayident.schemes.guangdong_ca.gmt0015_extension`).
    """
    parent = _Issuer(issuer)
    if unified_social_credit_code is not None and (
        not isinstance(unified_social_credit_code, str)
        or len(unified_social_credit_code) != 18
        or not set(unified_social_credit_code) <= _USCC_CHARS
    ):
        raise InvalidArgument(
            "unified_social_credit_code: expected 18 characters from 0-9 and "
            f"ABCDEFGHJKLMNPQRTUWXY, got {unified_social_credit_code!r}"
        )
    if serial_number is not None and (not isinstance(serial_number, int) or serial_number < 1):
        raise InvalidArgument(f"serial_number: expected a positive int, got {serial_number!r}")
    key = _check_key(private_key) if private_key is not None else _new_key(key_type)
    subject = _name(
        name, country=country, organization=organization, serial=unified_social_credit_code
    )
    start, end = _validity(parent.clock, not_before, not_after, _SIGNER_VALIDITY)
    spki = _spki(key)
    exts: list[tuple[x509.ExtensionType, bool]] = [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (x509.SubjectKeyIdentifier(_key_identifier(key)), False),
        (x509.AuthorityKeyIdentifier(parent.ski, None, None), False),
    ]
    if key_usage is not None:
        exts.append((_key_usage(key_usage), True))
    if policies is not None:
        exts.append((_policies(policies), False))
    identity: list[tuple[str, bytes]] = []
    if resident_id is not None and identity_extensions:
        identity.append(("1.2.156.10260.4.1.1", encode_identify_code(resident_id)))
    if unified_social_credit_code is not None and identity_extensions:
        identity.append(("1.2.156.10260.4.1.4", encode_string(unified_social_credit_code)))
    given = {oid for oid, _ in extensions}
    for oid, value in [*(i for i in identity if i[0] not in given), *extensions]:
        exts.append((x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), value), False))
    certificate = _certificate(
        subject=subject,
        issuer=parent.name,
        spki=spki,
        issuer_key=parent.key,
        serial=serial_number if serial_number is not None else _serial(),
        not_before=start,
        not_after=end,
        extensions=exts,
    )
    return MockSM2Signer(name=name, certificate=certificate, private_key=key, issuer=issuer)


def _attribute(attr: Attribute) -> bytes:
    oid, values = attr
    return _der.sequence(_der.oid(oid), _der.set_of(*(bytes(v) for v in values)))


class MockSM2Signer:
    """An end entity with a key (SM2, or RSA/EC in mixed chains) and its certificate.

    Attributes:
        name: the subject common name.
        certificate: the signer's certificate.
        private_key: the signer's key.
        issuer: the CA that issued the certificate.
    """

    def __init__(
        self,
        *,
        name: str,
        certificate: x509.Certificate,
        private_key: IssuerKey,
        issuer: MockSM2CA | MockCA,
    ) -> None:
        self.name = name
        self.certificate = certificate
        self.private_key = private_key
        self.issuer = issuer

    @property
    def cert_der(self) -> bytes:
        """The signer certificate in DER."""
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def cert_pem(self) -> bytes:
        """The signer certificate in PEM."""
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def chain(self) -> list[x509.Certificate]:
        """The signer certificate, then the intermediate CAs, excluding the root."""
        return [self.certificate, *self.issuer.chain]

    def sign_detached_cms(
        self,
        data: bytes,
        *,
        attributes: bool = True,
        gm_oids: bool = True,
        variant: SM2VariantName | None = None,
        signer_id: bytes = DEFAULT_SM2_ID,
        signing_time: datetime | None = None,
        signing_certificate: Literal["v2"] | None = None,
        include_chain: bool = True,
        signature_oid: str | None = None,
        digest_oid: str | None = None,
        content_info_type: str | None = None,
        econtent_type: str | None = None,
        signature_value: bytes | Callable[[bytes], bytes] | None = None,
        output: Literal["der", "pem"] = "der",
    ) -> bytes:
        """A detached signature over *data* in the GB/T 35275 (or PKCS#7) SignedData form.

        Args:
            data: the content; it is not embedded.
            attributes: sign content-type, signing-time and message-digest (SM3 of *data*);
                False signs *data* itself.
            gm_oids: GB/T 35275 / GM/T 0010 OIDs (signedData 1.2.156.10197.6.1.4.2.2, data
                …2.1, signature algorithm sm2-1 1.2.156.10197.1.301.1); False: PKCS#7
                signedData/data and SM3withSM2 (1.2.156.10197.1.501).
            variant: sign e the way some field signers do instead of SM3(Z_A ‖ M):
                ``"raw-digest"`` (e = SM3(M)) or ``"z-plus-sm3-of-message"``
                (e = SM3(Z_A ‖ SM3(M))).
            signer_id: the SM2 signer ID entering Z_A.
            signing_time: the signing-time value; default the issuer clock's now.
            signing_certificate: ``"v2"`` adds the ESS signing-certificate-v2 attribute
                (SHA-256), which GB/T 35275 does not define but CAdES signers add.
            include_chain: carry the intermediates as well as the signer certificate.
            signature_oid, digest_oid, content_info_type, econtent_type: replace the OID in
                that field (to build mixed or wrong forms); the values are computed as before.
            signature_value: the signature bytes to put in, or a function of the signed
                bytes returning them (to build hostile values).
            output: ``"der"`` or ``"pem"``.

        RSA and EC signers (mixed chains) sign with SHA-256 and PKCS#1 v1.5 / ECDSA;
        ``variant`` and ``signer_id`` then do not apply.
        """
        if not isinstance(data, bytes | bytearray | memoryview):
            raise InvalidArgument(f"data: expected bytes, got {type(data).__name__}")
        data = bytes(data)
        if len(data) > _MAX_CONTENT:
            raise InvalidArgument(f"data: {len(data)} bytes exceeds the {_MAX_CONTENT} limit")
        if variant not in (None, "raw-digest", "z-plus-sm3-of-message"):
            raise InvalidArgument(
                f"variant: expected None, 'raw-digest' or 'z-plus-sm3-of-message', got {variant!r}"
            )
        if output not in ("der", "pem"):
            raise InvalidArgument(f"output: expected 'der' or 'pem', got {output!r}")
        key = self.private_key
        sm2_key = isinstance(key, SM2PrivateKey)
        if not sm2_key and (variant is not None or signer_id != DEFAULT_SM2_ID):
            raise InvalidArgument("variant: only SM2 signers can make SM2 variants")
        outer = content_info_type or (GM_SIGNED_DATA if gm_oids else _PKCS7_SIGNED_DATA)
        inner = econtent_type or (GM_DATA if gm_oids else _PKCS7_DATA)
        if sm2_key:
            digest_alg = _der.sequence(_der.oid(OID_SM3))
            sig_oid = signature_oid or (OID_SM2_SIGN if gm_oids else OID_SM3_WITH_SM2)
            sig_alg = _der.sequence(_der.oid(sig_oid))
            message_digest = sm3(data)
        else:
            digest_alg = _der.sequence(_der.oid(_SHA256))
            if isinstance(key, rsa.RSAPrivateKey):
                sig_alg = _der.sequence(_der.oid(signature_oid or _RSA_ENCRYPTION), _der.null())
            else:
                sig_alg = _der.sequence(_der.oid(signature_oid or _ECDSA_SHA256))
            message_digest = hashlib.sha256(data).digest()

        signed_attrs_field = b""
        if attributes:
            if signing_time is not None:
                when = utc_datetime(signing_time, "signing_time")
            else:
                clock = self.issuer.clock
                when = clock.now() if clock is not None else datetime.now(UTC)
            attrs: list[Attribute] = [
                content_type_attribute(inner),
                signing_time_attribute(when),
                message_digest_attribute(message_digest),
            ]
            if signing_certificate == "v2":
                attrs.append(signing_certificate_v2_attribute(self.certificate))
            elif signing_certificate is not None:
                raise InvalidArgument(
                    f"signing_certificate: expected 'v2' or None, got {signing_certificate!r}"
                )
            attr_set = _der.set_of(*(_attribute(a) for a in attrs))
            to_sign = attr_set
            signed_attrs_field = _der.implicit(0, attr_set)
        else:
            if signing_time is not None or signing_certificate is not None:
                raise InvalidArgument("signing_time: signed attributes are off (attributes=False)")
            to_sign = data

        if callable(signature_value):
            signature = bytes(signature_value(to_sign))
        elif signature_value is not None:
            signature = bytes(signature_value)
        elif isinstance(key, SM2PrivateKey):
            signature = self._sm2_signature(key, to_sign, variant, signer_id)
        else:
            signature = _sign_with(key, to_sign)

        if digest_oid is not None:
            digest_alg = _der.sequence(_der.oid(digest_oid))
        signer_info = _der.sequence(
            _der.integer(1),
            _der.sequence(
                self.certificate.issuer.public_bytes(),
                _der.integer(self.certificate.serial_number),
            ),
            digest_alg,
            signed_attrs_field,
            sig_alg,
            _der.octet_string(signature),
        )
        certs = self.chain if include_chain else [self.certificate]
        signed_data = _der.sequence(
            _der.integer(1),
            _der.set_of(digest_alg),
            _der.sequence(_der.oid(inner)),
            _der.implicit(
                0,
                _der.set_of(*(c.public_bytes(serialization.Encoding.DER) for c in certs)),
            ),
            _der.set_of(signer_info),
        )
        der = _der.sequence(_der.oid(outer), _der.explicit(0, signed_data))
        return to_pem(der) if output == "pem" else der

    @staticmethod
    def _sm2_signature(
        key: SM2PrivateKey, message: bytes, variant: str | None, signer_id: bytes
    ) -> bytes:
        if variant is None:
            return sm2_sign(key, message, signer_id=signer_id)
        if variant == "raw-digest":
            return sm2_sign(key, digest_e=sm3(message))
        za = compute_za(key.public_key, signer_id)
        return sm2_sign(key, digest_e=sm3(za + sm3(message)))

    def __repr__(self) -> str:
        return f"MockSM2Signer({self.name!r}, issuer={self.issuer.name!r})"
