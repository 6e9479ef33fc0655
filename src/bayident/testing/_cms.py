"""Build CMS SignedData (RFC 5652, CAdES-BES profile) for tests, including hostile variants.

:func:`build_signed_data` assembles a ``ContentInfo`` holding ``SignedData`` from one
:class:`SignerSpec` per signer. A spec's defaults give a correct signature; each field then
lets a test break exactly one thing: claim another algorithm, repeat an attribute, sign the
wrong bytes, put in a foreign signature value.

Algorithms follow what OpenSSL and the RFCs do:

* RSA PKCS#1 v1.5 with ``rsaEncryption`` as signature algorithm (OpenSSL's choice), or
  ``sha*WithRSAEncryption`` when ``rsa_oid_with_hash`` is set (RFC 3370 allows both);
* RSASSA-PSS (RFC 4056) with MGF1 over the same hash and a salt as long as the hash;
* ECDSA with ``ecdsa-with-SHA*`` (RFC 5753);
* Ed25519 with SHA-512 and Ed448 with SHAKE256 (512-bit output, ``id-shake256-len`` with
  parameter 512) as digest algorithms (RFC 8419 section 3.1); PureEdDSA, no context.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa, utils

from bayident._exceptions import InvalidArgument
from bayident.testing import _der
from bayident.testing._clock import utc_datetime

__all__ = [
    "ID_CONTENT_TYPE",
    "ID_DATA",
    "ID_MESSAGE_DIGEST",
    "ID_SIGNED_DATA",
    "ID_SIGNING_CERTIFICATE",
    "ID_SIGNING_CERTIFICATE_V2",
    "ID_SIGNING_TIME",
    "Attribute",
    "SignerSpec",
    "SigningKey",
    "build_signed_data",
    "content_type_attribute",
    "default_digest",
    "message_digest_attribute",
    "signing_certificate_v1_attribute",
    "signing_certificate_v2_attribute",
    "signing_time_attribute",
    "to_pem",
]

ID_DATA = "1.2.840.113549.1.7.1"
ID_SIGNED_DATA = "1.2.840.113549.1.7.2"
ID_CONTENT_TYPE = "1.2.840.113549.1.9.3"
ID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
ID_SIGNING_TIME = "1.2.840.113549.1.9.5"
ID_SIGNING_CERTIFICATE = "1.2.840.113549.1.9.16.2.12"
ID_SIGNING_CERTIFICATE_V2 = "1.2.840.113549.1.9.16.2.47"

_RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
_RSASSA_PSS = "1.2.840.113549.1.1.10"
_MGF1 = "1.2.840.113549.1.1.8"
_ED25519 = "1.3.101.112"
_ED448 = "1.3.101.113"
_SHAKE256_LEN = "2.16.840.1.101.3.4.2.18"
# Cap on what a test can ask us to hash or embed, so a typo cannot exhaust memory.
_MAX_CONTENT = 256 * 1024 * 1024

SigningKey = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
)
Attribute = tuple[str, Sequence[bytes]]
"""A CMS attribute: its type OID and the DER encodings of its values."""


@dataclass(frozen=True)
class _Digest:
    oid: str
    make: type[hashes.HashAlgorithm] | None
    rsa_oid: str | None
    ecdsa_oid: str | None


_DIGESTS: dict[str, _Digest] = {
    "sha1": _Digest("1.3.14.3.2.26", hashes.SHA1, "1.2.840.113549.1.1.5", "1.2.840.10045.4.1"),
    "sha224": _Digest(
        "2.16.840.1.101.3.4.2.4", hashes.SHA224, "1.2.840.113549.1.1.14", "1.2.840.10045.4.3.1"
    ),
    "sha256": _Digest(
        "2.16.840.1.101.3.4.2.1", hashes.SHA256, "1.2.840.113549.1.1.11", "1.2.840.10045.4.3.2"
    ),
    "sha384": _Digest(
        "2.16.840.1.101.3.4.2.2", hashes.SHA384, "1.2.840.113549.1.1.12", "1.2.840.10045.4.3.3"
    ),
    "sha512": _Digest(
        "2.16.840.1.101.3.4.2.3", hashes.SHA512, "1.2.840.113549.1.1.13", "1.2.840.10045.4.3.4"
    ),
    # SHAKE256 with 512-bit output, only meaningful with Ed448 (RFC 8419).
    "shake256": _Digest(_SHAKE256_LEN, None, None, None),
}


def _digest_info(name: str) -> _Digest:
    try:
        return _DIGESTS[name]
    except KeyError:
        known = ", ".join(sorted(_DIGESTS))
        raise InvalidArgument(f"digest: unknown digest {name!r}; expected one of {known}") from None


def _hash_algorithm(name: str) -> hashes.HashAlgorithm:
    make = _digest_info(name).make
    if make is None:
        raise InvalidArgument(f"digest: {name} cannot be used with RSA or ECDSA")
    return make()


def _hash(name: str, data: bytes) -> bytes:
    if name == "shake256":
        return hashlib.shake_256(data).digest(64)
    h = hashes.Hash(_hash_algorithm(name))
    h.update(data)
    return h.finalize()


def _digest_algorithm_identifier(name: str) -> bytes:
    info = _digest_info(name)
    if name == "shake256":
        return _der.sequence(_der.oid(info.oid), _der.integer(512))
    # RFC 5754: the parameters of SHA-2 digest identifiers are absent.
    return _der.sequence(_der.oid(info.oid))


def default_digest(key: SigningKey) -> str:
    """Return the digest a well-formed signature by *key* uses: SHA-256, or RFC 8419's for EdDSA."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "sha512"
    if isinstance(key, ed448.Ed448PrivateKey):
        return "shake256"
    return "sha256"


# --- attributes -------------------------------------------------------------------------------


def content_type_attribute(content_type: str = ID_DATA) -> Attribute:
    """The content-type signed attribute (RFC 5652 11.1)."""
    return (ID_CONTENT_TYPE, [_der.oid(content_type)])


def message_digest_attribute(digest: bytes) -> Attribute:
    """The message-digest signed attribute (RFC 5652 11.2) holding *digest* as given."""
    return (ID_MESSAGE_DIGEST, [_der.octet_string(digest)])


def signing_time_attribute(when: datetime) -> Attribute:
    """The signing-time attribute (RFC 5652 11.3): UTCTime in 1950-2049, else GeneralizedTime."""
    moment = utc_datetime(when, "signing_time").replace(microsecond=0)
    return (ID_SIGNING_TIME, [_der.time(moment)])


def _issuer_serial(certificate: x509.Certificate) -> bytes:
    # IssuerSerial.issuer is GeneralNames; directoryName is [4] and, Name being a CHOICE,
    # the tag is explicit.
    general_names = _der.sequence(_der.explicit(4, certificate.issuer.public_bytes()))
    return _der.sequence(general_names, _der.integer(certificate.serial_number))


def signing_certificate_v2_attribute(
    certificate: x509.Certificate, *, digest: str = "sha256", issuer_serial: bool = True
) -> Attribute:
    """The ESS signing-certificate-v2 attribute (RFC 5035) for *certificate*.

    The hash algorithm is left out of the encoding when it is SHA-256, its DEFAULT value,
    as DER requires.
    """
    der = certificate.public_bytes(serialization.Encoding.DER)
    parts = [] if digest == "sha256" else [_digest_algorithm_identifier(digest)]
    parts.append(_der.octet_string(_hash(digest, der)))
    if issuer_serial:
        parts.append(_issuer_serial(certificate))
    value = _der.sequence(_der.sequence(_der.sequence(*parts)))
    return (ID_SIGNING_CERTIFICATE_V2, [value])


def signing_certificate_v1_attribute(
    certificate: x509.Certificate, *, issuer_serial: bool = True
) -> Attribute:
    """The ESS signing-certificate attribute (RFC 2634), which identifies by SHA-1 hash."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    parts = [_der.octet_string(_hash("sha1", der))]
    if issuer_serial:
        parts.append(_issuer_serial(certificate))
    value = _der.sequence(_der.sequence(_der.sequence(*parts)))
    return (ID_SIGNING_CERTIFICATE, [value])


def _encode_attribute(attribute: Attribute) -> bytes:
    if not isinstance(attribute, tuple) or len(attribute) != 2:
        raise InvalidArgument(f"attribute: expected (oid, [values]), got {attribute!r}")
    attr_type, values = attribute
    if isinstance(values, bytes | str) or not all(isinstance(v, bytes) for v in values):
        raise InvalidArgument(f"attribute {attr_type}: values must be a list of DER bytes")
    return _der.sequence(_der.oid(attr_type), _der.set_of(*values))


# --- signer specification ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SignerSpec:
    """How to produce one SignerInfo. The defaults give a valid signature; fields break it.

    Signing:
        private_key: the key that signs; may be None only when ``signature`` is given.
        certificate: identifies the signer (sid, ESS attributes); may be None only when
            ``sid_der`` is given and no ESS attribute is asked for.
        digest: hash name (``sha1``, ``sha224``, ``sha256``, ``sha384``, ``sha512``,
            ``shake256``) used for the message digest and the signature; None picks
            :func:`default_digest` for the key.
        pss: RSASSA-PSS instead of PKCS#1 v1.5 (RSA keys only).
        rsa_oid_with_hash: ``sha256WithRSAEncryption`` etc. instead of ``rsaEncryption``.
    Identification:
        sid: ``"issuer_serial"`` (SignerInfo version 1) or ``"ski"`` (version 3).
        sid_der: raw encoding of the sid, replacing the computed one.
        version: SignerInfo version, replacing the computed one.
    Claimed algorithms (do not change how the signature is computed):
        digest_algorithm_oid / digest_algorithm_der: replace the digestAlgorithm field.
        signature_algorithm_oid / signature_algorithm_der: replace signatureAlgorithm.
    Signed attributes:
        attributes: False leaves signed attributes out, so the content itself is signed.
        signed_attributes: the exact attributes to sign, replacing the defaults (may repeat
            a type, hold wrong values, or be empty).
        content_type: value of the default content-type attribute (default: the eContentType).
        signing_time: adds a signing-time attribute to the defaults.
        signing_certificate: ``"v2"``, ``"v1"`` or None (no ESS attribute) in the defaults.
        extra_signed_attributes: appended to the defaults or to ``signed_attributes``.
        sort_signed_attributes: False keeps the given order (a non-DER SET).
        unsigned_attributes: put in ``unsignedAttrs`` as given.
    Values:
        content: the bytes this signer digests, instead of the SignedData's content.
        content_digest: a precomputed digest used instead of hashing any content.
        signature: the signature value to put in, instead of computing one.
    """

    private_key: SigningKey | None = None
    certificate: x509.Certificate | None = None
    digest: str | None = None
    pss: bool = False
    rsa_oid_with_hash: bool = False
    sid: Literal["issuer_serial", "ski"] = "issuer_serial"
    sid_der: bytes | None = None
    version: int | None = None
    digest_algorithm_oid: str | None = None
    digest_algorithm_der: bytes | None = None
    signature_algorithm_oid: str | None = None
    signature_algorithm_der: bytes | None = None
    attributes: bool = True
    signed_attributes: Sequence[Attribute] | None = None
    content_type: str | None = None
    signing_time: datetime | None = None
    signing_certificate: Literal["v2", "v1"] | None = "v2"
    extra_signed_attributes: Sequence[Attribute] = field(default=())
    sort_signed_attributes: bool = True
    unsigned_attributes: Sequence[Attribute] = field(default=())
    content: bytes | None = None
    content_digest: bytes | None = None
    signature: bytes | None = None


def _digest_name(spec: SignerSpec) -> str:
    if spec.digest is not None:
        _digest_info(spec.digest)
        return spec.digest
    if spec.private_key is None:
        return "sha256"
    return default_digest(spec.private_key)


def _pss_parameters(digest: str) -> bytes:
    """RSASSA-PSS-params (RFC 4055) with MGF1 over *digest* and salt = hash length."""
    hash_len = _hash_algorithm(digest).digest_size
    fields: list[bytes] = []
    # Fields equal to their DEFAULT (SHA-1, MGF1-SHA-1, salt 20, trailer 1) must be omitted.
    if digest != "sha1":
        hash_id = _digest_algorithm_identifier(digest)
        fields.append(_der.explicit(0, hash_id))
        fields.append(_der.explicit(1, _der.sequence(_der.oid(_MGF1), hash_id)))
    if hash_len != 20:
        fields.append(_der.explicit(2, _der.integer(hash_len)))
    return _der.sequence(*fields)


def _signature_algorithm_identifier(spec: SignerSpec, key: SigningKey | None, digest: str) -> bytes:
    if spec.signature_algorithm_der is not None:
        return bytes(spec.signature_algorithm_der)
    if spec.signature_algorithm_oid is not None:
        return _der.sequence(_der.oid(spec.signature_algorithm_oid))
    if key is None:
        raise InvalidArgument(
            "signature_algorithm_oid: required when the spec has no private_key to infer it from"
        )
    if isinstance(key, rsa.RSAPrivateKey):
        if spec.pss:
            return _der.sequence(_der.oid(_RSASSA_PSS), _pss_parameters(digest))
        info = _digest_info(digest)
        if spec.rsa_oid_with_hash:
            if info.rsa_oid is None:
                raise InvalidArgument(f"digest: {digest} has no RSA PKCS#1 v1.5 signature OID")
            return _der.sequence(_der.oid(info.rsa_oid), _der.null())
        return _der.sequence(_der.oid(_RSA_ENCRYPTION), _der.null())
    if spec.pss:
        raise InvalidArgument("pss: RSASSA-PSS needs an RSA key")
    if isinstance(key, ec.EllipticCurvePrivateKey):
        ecdsa_oid = _digest_info(digest).ecdsa_oid
        if ecdsa_oid is None:
            raise InvalidArgument(f"digest: {digest} has no ECDSA signature OID")
        return _der.sequence(_der.oid(ecdsa_oid))
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return _der.sequence(_der.oid(_ED25519))
    return _der.sequence(_der.oid(_ED448))


def _sign(key: SigningKey, data: bytes, digest: str, pss: bool, prehashed: bool) -> bytes:
    """Sign *data* (or, when *prehashed*, the digest *data*) with *key*."""
    if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        if prehashed:
            raise InvalidArgument(
                "content_digest: EdDSA without signed attributes signs the content itself, "
                "so a precomputed digest cannot be used"
            )
        return key.sign(data)
    algorithm = _hash_algorithm(digest)
    chosen: hashes.HashAlgorithm | utils.Prehashed = (
        utils.Prehashed(algorithm) if prehashed else algorithm
    )
    if isinstance(key, rsa.RSAPrivateKey):
        pad: padding.AsymmetricPadding = (
            padding.PSS(mgf=padding.MGF1(algorithm), salt_length=algorithm.digest_size)
            if pss
            else padding.PKCS1v15()
        )
        return key.sign(data, pad, chosen)
    return key.sign(data, ec.ECDSA(chosen))


def _subject_key_identifier(certificate: x509.Certificate) -> bytes:
    try:
        ext = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    except x509.ExtensionNotFound:
        return x509.SubjectKeyIdentifier.from_public_key(certificate.public_key()).digest
    return ext.value.digest


def _sid(spec: SignerSpec) -> tuple[bytes, int]:
    if spec.sid_der is not None:
        sid = bytes(spec.sid_der)
        return sid, 3 if sid[:1] == b"\x80" else 1
    if spec.certificate is None:
        raise InvalidArgument("certificate: required to build the sid (or give sid_der)")
    if spec.sid == "ski":
        ski = _subject_key_identifier(spec.certificate)
        return _der.implicit(0, _der.octet_string(ski)), 3
    if spec.sid != "issuer_serial":
        raise InvalidArgument(f"sid: expected 'issuer_serial' or 'ski', got {spec.sid!r}")
    issuer = spec.certificate.issuer.public_bytes()
    return _der.sequence(issuer, _der.integer(spec.certificate.serial_number)), 1


def _default_attributes(
    spec: SignerSpec, econtent_type: str, message_digest: bytes
) -> list[Attribute]:
    attrs = [content_type_attribute(spec.content_type or econtent_type)]
    if spec.signing_time is not None:
        attrs.append(signing_time_attribute(spec.signing_time))
    attrs.append(message_digest_attribute(message_digest))
    if spec.signing_certificate is not None:
        if spec.certificate is None:
            raise InvalidArgument("certificate: required for the signing-certificate attribute")
        if spec.signing_certificate == "v2":
            attrs.append(signing_certificate_v2_attribute(spec.certificate))
        elif spec.signing_certificate == "v1":
            attrs.append(signing_certificate_v1_attribute(spec.certificate))
        else:
            raise InvalidArgument(
                "signing_certificate: expected 'v2', 'v1' or None, "
                f"got {spec.signing_certificate!r}"
            )
    return attrs


def _check_size(value: bytes, field: str) -> None:
    if len(value) > _MAX_CONTENT:
        raise InvalidArgument(f"{field}: {len(value)} bytes exceeds the {_MAX_CONTENT} byte limit")


def _signer_info(
    spec: SignerSpec, content: bytes | None, econtent_type: str
) -> tuple[bytes, bytes, int]:
    """Return (SignerInfo, its digestAlgorithm, its version) for *spec*."""
    if not isinstance(spec, SignerSpec):
        raise InvalidArgument(f"signers: expected SignerSpec, got {type(spec).__name__}")
    key = spec.private_key
    if key is not None and not isinstance(
        key,
        rsa.RSAPrivateKey
        | ec.EllipticCurvePrivateKey
        | ed25519.Ed25519PrivateKey
        | ed448.Ed448PrivateKey,
    ):
        raise InvalidArgument(f"private_key: unsupported key type {type(key).__name__}")
    digest = _digest_name(spec)
    signed_content = spec.content if spec.content is not None else content
    if signed_content is not None:
        _check_size(signed_content, "content")

    def message_digest() -> bytes:
        if spec.content_digest is not None:
            return bytes(spec.content_digest)
        if signed_content is None:
            raise InvalidArgument("content: no content or content_digest to digest")
        return _hash(digest, signed_content)

    sid, version = _sid(spec)
    if spec.version is not None:
        version = spec.version

    if spec.digest_algorithm_der is not None:
        digest_alg = bytes(spec.digest_algorithm_der)
    elif spec.digest_algorithm_oid is not None:
        digest_alg = _der.sequence(_der.oid(spec.digest_algorithm_oid))
    else:
        digest_alg = _digest_algorithm_identifier(digest)

    signed_attrs_field = b""
    if spec.attributes:
        if spec.signed_attributes is not None:
            attrs = list(spec.signed_attributes)
        else:
            attrs = _default_attributes(spec, econtent_type, message_digest())
        attrs.extend(spec.extra_signed_attributes)
        attr_set = _der.set_of(
            *(_encode_attribute(a) for a in attrs), der_sorted=spec.sort_signed_attributes
        )
        # RFC 5652 5.4: the signature covers the attributes encoded as a SET OF (tag 0x31),
        # while the SignerInfo carries them under [0] IMPLICIT.
        to_sign, prehashed = attr_set, False
        signed_attrs_field = _der.implicit(0, attr_set)
    elif spec.signed_attributes is not None or spec.extra_signed_attributes:
        raise InvalidArgument("signed_attributes: given while attributes=False")
    elif spec.content_digest is not None and signed_content is None:
        to_sign, prehashed = bytes(spec.content_digest), True
    elif signed_content is None:
        raise InvalidArgument("content: no content or content_digest to sign")
    else:
        to_sign, prehashed = signed_content, False

    sig_alg = _signature_algorithm_identifier(spec, key, digest)
    if spec.signature is not None:
        signature = bytes(spec.signature)
    elif key is not None:
        signature = _sign(key, to_sign, digest, spec.pss, prehashed)
    else:
        raise InvalidArgument("private_key: required unless a signature value is given")

    unsigned = b""
    if spec.unsigned_attributes:
        unsigned = _der.implicit(
            1, _der.set_of(*(_encode_attribute(a) for a in spec.unsigned_attributes))
        )
    signer_info = _der.sequence(
        _der.integer(version),
        sid,
        digest_alg,
        signed_attrs_field,
        sig_alg,
        _der.octet_string(signature),
        unsigned,
    )
    return signer_info, digest_alg, version


def build_signed_data(
    content: bytes | None,
    signers: Sequence[SignerSpec],
    *,
    certificates: Sequence[x509.Certificate | bytes] = (),
    crls: Sequence[bytes] = (),
    detached: bool = True,
    econtent_type: str = ID_DATA,
    version: int | None = None,
    digest_algorithms: Sequence[bytes] | None = None,
    sort_certificates: bool = True,
) -> bytes:
    """Return the DER of a ``ContentInfo`` holding ``SignedData`` (RFC 5652 section 5).

    Args:
        content: the signed content; digested for every signer that has no ``content`` or
            ``content_digest`` of its own, and embedded as eContent unless *detached*.
        signers: one :class:`SignerSpec` per SignerInfo (may be empty).
        certificates: certificates (or raw DER, which is put in unchecked) for ``[0]``.
        crls: raw DER revocation entries for ``[1]``.
        detached: leave eContent out of encapContentInfo.
        econtent_type: the eContentType OID.
        version: replace the SignedData version (otherwise 5 with other revocation info
            formats in *crls*, 3 when a SignerInfo is version 3 or eContentType is not
            id-data, else 1).
        digest_algorithms: raw AlgorithmIdentifiers replacing the computed digestAlgorithms.
        sort_certificates: False keeps the given certificate order (non-DER SET).
    """
    if content is not None:
        _check_size(content, "content")
    if not detached and content is None:
        raise InvalidArgument("content: required when detached=False")
    infos: list[bytes] = []
    used_digests: list[bytes] = []
    versions: list[int] = []
    for spec in signers:
        info, digest_alg, info_version = _signer_info(spec, content, econtent_type)
        infos.append(info)
        if digest_alg not in used_digests:
            used_digests.append(digest_alg)
        versions.append(info_version)

    if version is None:
        # RFC 5652 §5.1: 5 with other revocation info formats ([1] in crls, e.g. OCSP).
        if any(bytes(c)[:1] == b"\xa1" for c in crls or ()):
            version = 5
        else:
            version = 3 if 3 in versions or econtent_type != ID_DATA else 1
    algorithms = list(digest_algorithms) if digest_algorithms is not None else used_digests

    encap_parts = [_der.oid(econtent_type)]
    if not detached and content is not None:
        encap_parts.append(_der.explicit(0, _der.octet_string(content)))

    parts = [
        _der.integer(version),
        _der.set_of(*algorithms),
        _der.sequence(*encap_parts),
    ]
    if certificates:
        encoded = [
            c.public_bytes(serialization.Encoding.DER)
            if isinstance(c, x509.Certificate)
            else bytes(c)
            for c in certificates
        ]
        parts.append(_der.implicit(0, _der.set_of(*encoded, der_sorted=sort_certificates)))
    if crls:
        parts.append(_der.implicit(1, _der.set_of(*(bytes(c) for c in crls))))
    parts.append(_der.set_of(*infos))
    signed_data = _der.sequence(*parts)
    return _der.sequence(_der.oid(ID_SIGNED_DATA), _der.explicit(0, signed_data))


def to_pem(der: bytes, label: str = "CMS") -> bytes:
    """Wrap DER in PEM armour with *label* (``CMS`` as OpenSSL writes it)."""
    body = base64.b64encode(der)
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    header = f"-----BEGIN {label}-----\n".encode("ascii")
    footer = f"-----END {label}-----\n".encode("ascii")
    return header + b"\n".join(lines) + b"\n" + footer
