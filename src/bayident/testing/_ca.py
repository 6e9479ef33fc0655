"""Mock certificate authorities and signers, in the spirit of trustme.

One root, one verb each::

    ca = MockCA("Sandbox Hong Kong Root CA")
    sub = ca.create_child_ca("Sandbox e-Cert CA", path_length=0)
    signer = sub.issue_signer("CHAN Tai Man", policies=["2.16.344.8.2.2008.810.2.2018.1.1"])
    cms = signer.sign_detached_cms(b"hello")
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID

from bayident._exceptions import InvalidArgument
from bayident.testing._clock import Clock, utc_datetime
from bayident.testing._cms import (
    Attribute,
    SignerSpec,
    SigningKey,
    build_signed_data,
    default_digest,
    to_pem,
)

__all__ = ["KeyType", "MockCA", "MockSigner"]

KeyType = Literal["rsa", "ec", "ec-p256", "ec-p384", "ec-p521", "ed25519", "ed448"]
ExtraExtension = x509.Extension[x509.ExtensionType] | tuple[x509.ExtensionType, bool]

_CURVES: dict[str, type[ec.EllipticCurve]] = {
    "ec": ec.SECP256R1,
    "ec-p256": ec.SECP256R1,
    "ec-p384": ec.SECP384R1,
    "ec-p521": ec.SECP521R1,
}
_KEY_USAGE_FIELDS = (
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
_CMS_DIGESTS = ("sha224", "sha256", "sha384", "sha512")
_CA_VALIDITY = timedelta(days=3650)
_SIGNER_VALIDITY = timedelta(days=365)
# Backdating by a day keeps fresh certificates valid for a verifier whose clock runs behind.
_BACKDATE = timedelta(days=1)


class _RSAKeyPool:
    """Pre-generates RSA keys in a background thread; each key is handed out exactly once.

    A 2048-bit key takes around 50 ms to make; a suite issuing dozens of RSA certificates
    would spend seconds on it. Nothing is generated until a size is first asked for, then a
    daemon thread keeps a few keys of that size ready (key generation releases the GIL).
    """

    _DEPTH = 2

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ready: dict[int, deque[rsa.RSAPrivateKey]] = {}
        self._filling: set[int] = set()

    def take(self, key_size: int) -> rsa.RSAPrivateKey:
        with self._lock:
            ready = self._ready.setdefault(key_size, deque())
            key = ready.popleft() if ready else None
            start = key_size not in self._filling
            if start:
                self._filling.add(key_size)
        if start:
            threading.Thread(
                target=self._fill, args=(key_size,), name="bayident-rsa-pool", daemon=True
            ).start()
        return key if key is not None else _new_rsa_key(key_size)

    def _fill(self, key_size: int) -> None:
        try:
            while True:
                with self._lock:
                    if len(self._ready[key_size]) >= self._DEPTH:
                        return
                key = _new_rsa_key(key_size)
                with self._lock:
                    self._ready[key_size].append(key)
        finally:
            with self._lock:
                self._filling.discard(key_size)


def _new_rsa_key(key_size: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=key_size)


_RSA_POOL = _RSAKeyPool()


def _generate_key(key_type: str, key_size: int) -> SigningKey:
    if key_type == "rsa":
        if not isinstance(key_size, int) or key_size < 1024:
            raise InvalidArgument(f"key_size: RSA needs an int of at least 1024, got {key_size!r}")
        return _RSA_POOL.take(key_size)
    if key_type in _CURVES:
        return ec.generate_private_key(_CURVES[key_type]())
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if key_type == "ed448":
        return ed448.Ed448PrivateKey.generate()
    known = ", ".join(["rsa", *_CURVES, "ed25519", "ed448"])
    raise InvalidArgument(f"key_type: unknown {key_type!r}; expected one of {known}")


def _check_key(key: object) -> SigningKey:
    if not isinstance(
        key,
        rsa.RSAPrivateKey
        | ec.EllipticCurvePrivateKey
        | ed25519.Ed25519PrivateKey
        | ed448.Ed448PrivateKey,
    ):
        raise InvalidArgument(f"private_key: unsupported key type {type(key).__name__}")
    return key


def _certificate_hash(key: SigningKey) -> hashes.SHA256 | hashes.SHA384 | hashes.SHA512 | None:
    if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return None
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if key.curve.key_size >= 521:
            return hashes.SHA512()
        if key.curve.key_size >= 384:
            return hashes.SHA384()
    return hashes.SHA256()


def _random_serial() -> int:
    # RFC 5280 4.1.2.2: positive, at most 20 octets; 64 random bits as CAs do for CT.
    return secrets.randbelow(2**64 - 1) + 1


def _name(
    common_name: str,
    *,
    country: str | None,
    organization: str | None,
    serial: str | None = None,
) -> x509.Name:
    if not isinstance(common_name, str) or not common_name:
        raise InvalidArgument(f"name: expected a non-empty str, got {common_name!r}")
    attrs: list[x509.NameAttribute[str]] = []
    if country is not None:
        if not isinstance(country, str) or len(country) != 2 or not country.isascii():
            raise InvalidArgument(f"country: expected a two-letter code, got {country!r}")
        attrs.append(x509.NameAttribute(NameOID.COUNTRY_NAME, country))
    if organization is not None:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    if serial is not None:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial))
    return x509.Name(attrs)


def _policies(policies: Iterable[str | x509.PolicyInformation]) -> x509.CertificatePolicies:
    infos: list[x509.PolicyInformation] = []
    for policy in policies:
        if isinstance(policy, x509.PolicyInformation):
            infos.append(policy)
        elif isinstance(policy, str):
            try:
                infos.append(x509.PolicyInformation(x509.ObjectIdentifier(policy), None))
            except ValueError:
                raise InvalidArgument(f"policies: {policy!r} is not a dotted OID") from None
        else:
            raise InvalidArgument(f"policies: expected OID strings, got {policy!r}")
    return x509.CertificatePolicies(infos)


def _key_usage(names: Iterable[str]) -> x509.KeyUsage:
    chosen = set()
    for item in names:
        if item not in _KEY_USAGE_FIELDS:
            raise InvalidArgument(
                f"key_usage: unknown {item!r}; expected names from {', '.join(_KEY_USAGE_FIELDS)}"
            )
        chosen.add(item)
    flags = {name: name in chosen for name in _KEY_USAGE_FIELDS}
    try:
        return x509.KeyUsage(**flags)
    except ValueError as exc:
        raise InvalidArgument(f"key_usage: {exc}") from None


def _validity(
    clock: Clock | None,
    not_before: datetime | None,
    not_after: datetime | None,
    period: timedelta,
) -> tuple[datetime, datetime]:
    now = clock.now() if clock is not None else datetime.now(UTC)
    start = utc_datetime(not_before, "not_before") if not_before is not None else None
    end = utc_datetime(not_after, "not_after") if not_after is not None else None
    if start is None:
        start = now - _BACKDATE if end is None else min(now - _BACKDATE, end - _BACKDATE)
    if end is None:
        end = max(now, start + _BACKDATE) + period
    if end < start:
        raise InvalidArgument(f"not_after: {end.isoformat()} is before not_before {start}")
    return start, end


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _with_revocation_sources(
    builder: x509.CertificateBuilder, ocsp_url: str | None, crl_url: str | None
) -> x509.CertificateBuilder:
    """Add AuthorityInfoAccess (id-ad-ocsp) and CRLDistributionPoints naming these URLs."""
    if ocsp_url is not None:
        if not isinstance(ocsp_url, str) or not ocsp_url:
            raise InvalidArgument(f"ocsp_url: expected a URL string, got {ocsp_url!r}")
        access = x509.AccessDescription(
            x509.oid.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
        )
        builder = builder.add_extension(x509.AuthorityInformationAccess([access]), critical=False)
    if crl_url is not None:
        if not isinstance(crl_url, str) or not crl_url:
            raise InvalidArgument(f"crl_url: expected a URL string, got {crl_url!r}")
        point = x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier(crl_url)],
            relative_name=None,
            reasons=None,
            crl_issuer=None,
        )
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    return builder


class MockCA:
    """A certificate authority for tests: a root, or (from :meth:`create_child_ca`) a sub-CA.

    Attributes:
        name: the common name the CA was created with.
        certificate: its :class:`cryptography.x509.Certificate`.
        private_key: its signing key.
        parent: the issuing :class:`MockCA`, None for a root.
        clock: the clock that sets default validity periods (None: real time).
    """

    name: str
    certificate: x509.Certificate
    private_key: SigningKey
    parent: MockCA | None
    clock: Clock | None

    def __init__(
        self,
        name: str = "Sandbox Hong Kong Root CA",
        *,
        key_type: KeyType = "rsa",
        key_size: int = 2048,
        country: str | None = "HK",
        organization: str | None = "bayident sandbox",
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        clock: Clock | None = None,
        policies: Sequence[str | x509.PolicyInformation] | None = None,
        private_key: SigningKey | None = None,
    ) -> None:
        key = _check_key(private_key) if private_key is not None else None
        subject = _name(name, country=country, organization=organization)
        start, end = _validity(clock, not_before, not_after, _CA_VALIDITY)
        key = key or _generate_key(key_type, key_size)
        self._setup(
            name=name,
            subject=subject,
            key=key,
            parent=None,
            clock=clock,
            start=start,
            end=end,
            path_length=None,
            policies=policies,
            name_constraints=None,
            country=country,
            organization=organization,
        )

    def _setup(
        self,
        *,
        name: str,
        subject: x509.Name,
        key: SigningKey,
        parent: MockCA | None,
        clock: Clock | None,
        start: datetime,
        end: datetime,
        path_length: int | None,
        policies: Sequence[str | x509.PolicyInformation] | None,
        name_constraints: x509.NameConstraints | None,
        country: str | None,
        organization: str | None,
        ocsp_url: str | None = None,
        crl_url: str | None = None,
    ) -> None:
        self.name = name
        self.private_key = key
        self.parent = parent
        self.clock = clock
        self._country = country
        self._organization = organization
        self._ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        if path_length is not None and (not isinstance(path_length, int) or path_length < 0):
            raise InvalidArgument(f"path_length: expected an int >= 0, got {path_length!r}")
        issuer_name = parent.certificate.subject if parent else subject
        signing_key = parent.private_key if parent else key
        issuer_ski = parent._ski if parent else self._ski
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(_random_serial())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
            .add_extension(_key_usage(("key_cert_sign", "crl_sign")), critical=True)
            .add_extension(self._ski, critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski),
                critical=False,
            )
        )
        if policies is not None:
            builder = builder.add_extension(_policies(policies), critical=False)
        if name_constraints is not None:
            if not isinstance(name_constraints, x509.NameConstraints):
                raise InvalidArgument("name_constraints: expected x509.NameConstraints")
            builder = builder.add_extension(name_constraints, critical=True)
        builder = _with_revocation_sources(builder, ocsp_url, crl_url)
        self.certificate = builder.sign(signing_key, _certificate_hash(signing_key))
        self._pem = _pem(self.certificate)
        self._der = self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def cert_pem(self) -> bytes:
        """The CA certificate in PEM."""
        return self._pem

    @property
    def cert_der(self) -> bytes:
        """The CA certificate in DER."""
        return self._der

    @property
    def root(self) -> MockCA:
        """The self-signed CA at the top of this CA's hierarchy."""
        ca = self
        while ca.parent is not None:
            ca = ca.parent
        return ca

    @property
    def chain(self) -> list[x509.Certificate]:
        """This CA's certificate, then its issuers', excluding the root (empty for a root)."""
        out: list[x509.Certificate] = []
        ca: MockCA | None = self
        while ca is not None and ca.parent is not None:
            out.append(ca.certificate)
            ca = ca.parent
        return out

    def create_child_ca(
        self,
        name: str,
        *,
        key_type: KeyType = "rsa",
        key_size: int = 2048,
        path_length: int | None = None,
        policies: Sequence[str | x509.PolicyInformation] | None = None,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        name_constraints: x509.NameConstraints | None = None,
        country: str | None = None,
        organization: str | None = None,
        private_key: SigningKey | None = None,
        ocsp_url: str | None = None,
        crl_url: str | None = None,
    ) -> MockCA:
        """Issue a subordinate CA certificate and return it as a :class:`MockCA`.

        The child shares this CA's clock. *country* and *organization* default to this CA's.
        Without *policies* the certificate has no CertificatePolicies extension; pass
        ``["2.5.29.32.0"]`` for anyPolicy. *ocsp_url* and *crl_url* put this CA's
        OCSP responder (AuthorityInfoAccess) and CRL distribution point in the child's
        certificate, e.g. the ``url`` of a :class:`MockOCSPResponder` or
        :class:`MockCRLPublisher` of this CA.
        """
        key = _check_key(private_key) if private_key is not None else None
        country = country if country is not None else self._country
        organization = organization if organization is not None else self._organization
        subject = _name(name, country=country, organization=organization)
        start, end = _validity(self.clock, not_before, not_after, _CA_VALIDITY)
        child = MockCA.__new__(MockCA)
        child._setup(
            name=name,
            subject=subject,
            key=key or _generate_key(key_type, key_size),
            parent=self,
            clock=self.clock,
            start=start,
            end=end,
            path_length=path_length,
            policies=policies,
            name_constraints=name_constraints,
            country=country,
            organization=organization,
            ocsp_url=ocsp_url,
            crl_url=crl_url,
        )
        return child

    def issue_signer(
        self,
        name: str,
        *,
        key_type: KeyType = "ec",
        key_size: int = 2048,
        policies: Sequence[str | x509.PolicyInformation] | None = None,
        key_usage: Sequence[str] | None = ("digital_signature", "content_commitment"),
        extended_key_usage: Sequence[str | x509.ObjectIdentifier] | None = None,
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        email: str | None = None,
        country: str | None = None,
        organization: str | None = None,
        serial_number: int | None = None,
        subject_serial: str | None = None,
        extra_extensions: Iterable[ExtraExtension] = (),
        private_key: SigningKey | None = None,
        ocsp_url: str | None = None,
        crl_url: str | None = None,
    ) -> MockSigner:
        """Issue an end-entity signing certificate and return it as a :class:`MockSigner`.

        Args:
            name: subject common name.
            key_type: ``ec`` (P-256), ``ec-p384``, ``ec-p521``, ``rsa``, ``ed25519``, ``ed448``.
            key_size: RSA modulus size.
            policies: CertificatePolicies OIDs (no extension when None).
            key_usage: KeyUsage field names (critical); None leaves the extension out.
            extended_key_usage: ExtendedKeyUsage OIDs (non-critical); None leaves it out.
            not_before, not_after: validity; default from the CA's clock, one year.
            email: an rfc822Name in SubjectAlternativeName.
            country, organization: subject attributes (omitted when None).
            serial_number: certificate serial (default: 64 random bits).
            subject_serial: subject ``serialNumber`` attribute (2.5.4.5).
            extra_extensions: ``x509.Extension`` objects or ``(value, critical)`` pairs.
            private_key: use this key instead of generating one.
            ocsp_url: an OCSP responder URL for AuthorityInfoAccess (no extension when None).
            crl_url: a URL for CRLDistributionPoints (no extension when None).
        """
        key = _check_key(private_key) if private_key is not None else None
        subject = _name(name, country=country, organization=organization, serial=subject_serial)
        start, end = _validity(self.clock, not_before, not_after, _SIGNER_VALIDITY)
        if serial_number is not None and (not isinstance(serial_number, int) or serial_number < 1):
            raise InvalidArgument(f"serial_number: expected a positive int, got {serial_number!r}")
        key = key or _generate_key(key_type, key_size)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(serial_number if serial_number is not None else _random_serial())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(self._ski), False
            )
        )
        if key_usage is not None:
            if isinstance(key_usage, str):
                raise InvalidArgument("key_usage: expected a sequence of names, not one str")
            builder = builder.add_extension(_key_usage(key_usage), critical=True)
        if extended_key_usage is not None:
            try:
                usages = [
                    u if isinstance(u, x509.ObjectIdentifier) else x509.ObjectIdentifier(u)
                    for u in extended_key_usage
                ]
            except (TypeError, ValueError):
                raise InvalidArgument("extended_key_usage: expected dotted OID strings") from None
            builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        if policies is not None:
            builder = builder.add_extension(_policies(policies), critical=False)
        if email is not None:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False
            )
        builder = _with_revocation_sources(builder, ocsp_url, crl_url)
        for extension in extra_extensions:
            if isinstance(extension, x509.Extension):
                value, critical = extension.value, extension.critical
            else:
                value, critical = extension
            try:
                builder = builder.add_extension(value, critical=critical)
            except (TypeError, ValueError) as exc:
                raise InvalidArgument(f"extra_extensions: {exc}") from None
        certificate = builder.sign(self.private_key, _certificate_hash(self.private_key))
        return MockSigner(name=name, certificate=certificate, private_key=key, issuer=self)

    def __repr__(self) -> str:
        return f"MockCA({self.name!r}, root={self.parent is None})"


class MockSigner:
    """An end entity with a key and a certificate from a :class:`MockCA`.

    Attributes:
        name: the subject common name.
        certificate: the signer's certificate.
        private_key: the signer's key.
        issuer: the :class:`MockCA` that issued the certificate.
    """

    def __init__(
        self,
        *,
        name: str,
        certificate: x509.Certificate,
        private_key: SigningKey,
        issuer: MockCA,
    ) -> None:
        self.name = name
        self.certificate = certificate
        self.private_key = private_key
        self.issuer = issuer
        self._pem = _pem(certificate)

    @property
    def cert_pem(self) -> bytes:
        """The signer certificate in PEM."""
        return self._pem

    @property
    def cert_der(self) -> bytes:
        """The signer certificate in DER."""
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def chain(self) -> list[x509.Certificate]:
        """The signer certificate, then the intermediate CAs, excluding the root."""
        return [self.certificate, *self.issuer.chain]

    def signer_spec(self, **changes: Any) -> SignerSpec:
        """A :class:`SignerSpec` with this signer's key and certificate, plus *changes*."""
        fields: dict[str, Any] = {"private_key": self.private_key, "certificate": self.certificate}
        fields.update(changes)
        try:
            return SignerSpec(**fields)
        except TypeError as exc:
            raise InvalidArgument(f"signer_spec: {exc}") from None

    def sign_detached_cms(
        self,
        data: bytes,
        *,
        attributes: bool = True,
        digest: str | None = None,
        pss: bool = False,
        include_chain: bool = True,
        signing_time: datetime | None = None,
        signing_certificate: Literal["v2", "v1"] | None = "v2",
        extra_signed_attributes: Sequence[Attribute] = (),
        output: Literal["der", "pem"] = "der",
    ) -> bytes:
        """Sign *data* into a detached CMS SignedData (CAdES-BES when *attributes* is true).

        Args:
            data: the content; it is not embedded.
            attributes: sign content-type, signing-time, message-digest and the ESS
                signing-certificate attribute; False signs the content itself.
            digest: ``sha224``/``sha256``/``sha384``/``sha512``; None means SHA-256, or
                SHA-512 for Ed25519 and SHAKE256 for Ed448, the only ones RFC 8419 allows.
            pss: RSASSA-PSS (RSA keys only).
            include_chain: put the signer certificate and intermediates in; False puts only
                the signer certificate.
            signing_time: the signing-time value; default the issuer clock's now (real time
                without a clock). Only used with attributes.
            signing_certificate: ``"v2"`` (SHA-256), ``"v1"`` (SHA-1) or None.
            extra_signed_attributes: further ``(oid, [DER values])`` to sign.
            output: ``"der"`` or ``"pem"`` (label ``CMS``).
        """
        if not isinstance(data, bytes | bytearray | memoryview):
            raise InvalidArgument(f"data: expected bytes, got {type(data).__name__}")
        natural = default_digest(self.private_key)
        if digest is None:
            digest = natural
        elif natural != "sha256" and digest != natural:
            raise InvalidArgument(
                f"digest: RFC 8419 requires {natural} with this key, not {digest}"
            )
        elif natural == "sha256" and digest not in _CMS_DIGESTS:
            raise InvalidArgument(
                f"digest: expected one of {', '.join(_CMS_DIGESTS)}, got {digest!r}"
            )
        if output not in ("der", "pem"):
            raise InvalidArgument(f"output: expected 'der' or 'pem', got {output!r}")
        if not attributes and (signing_time is not None or extra_signed_attributes):
            raise InvalidArgument("signing_time: signed attributes are off (attributes=False)")
        when: datetime | None = None
        if attributes:
            if signing_time is not None:
                when = utc_datetime(signing_time, "signing_time")
            else:
                clock = self.issuer.clock
                when = clock.now() if clock is not None else datetime.now(UTC)
        spec = SignerSpec(
            private_key=self.private_key,
            certificate=self.certificate,
            digest=digest,
            pss=pss,
            attributes=attributes,
            signing_time=when,
            signing_certificate=signing_certificate,
            extra_signed_attributes=tuple(extra_signed_attributes),
        )
        certificates = self.chain if include_chain else [self.certificate]
        der = build_signed_data(bytes(data), [spec], certificates=certificates, detached=True)
        return to_pem(der) if output == "pem" else der

    def __repr__(self) -> str:
        return f"MockSigner({self.name!r}, issuer={self.issuer.name!r})"
