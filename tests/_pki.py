"""Small PKI and DER helpers for the verification tests.

The ordinary cases come from :mod:`bayident.testing`; this module holds what it does
not make: certificates that cross-sign each other, hand-rolled hostile ASN.1, and a way
to find (and damage) one element inside an encoded signature.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass

from asn1crypto import cms as acms
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

from bayident import Indication, VerificationResult
from bayident._result import SUB_INDICATION_SPLIT
from bayident.testing import MockCA, MockClock, MockSigner, SigningKey

__all__ = [
    "AT",
    "CLOCK_START",
    "CONTENT",
    "CrossSigned",
    "Region",
    "SandboxPKI",
    "assert_well_formed",
    "certificates_range",
    "cross_signed_loop",
    "flip_byte",
    "make_crl",
    "nested_indefinite",
    "nested_sequences",
    "pem",
    "signer_regions",
    "tlv",
]

# Certificates made by the fixtures start one day before CLOCK_START; AT lies well inside.
CLOCK_START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
AT = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
CONTENT = b"Application for a cross-boundary e-service account, sandbox data.\n"


@dataclass(frozen=True)
class SandboxPKI:
    """Root (RSA) → intermediate (EC P-256) → signer (EC P-256), plus an unrelated root."""

    clock: MockClock
    root: MockCA
    intermediate: MockCA
    signer: MockSigner
    other_root: MockCA


def assert_well_formed(result: object) -> VerificationResult:
    """A result whose verdict fields agree with each other and that renders and serialises."""
    assert isinstance(result, VerificationResult)
    assert result.message.strip()
    if result.indication is Indication.PASSED:
        assert result.sub_indication is None
        assert result.passed
    else:
        assert result.sub_indication is not None, result.message
        assert result.indication in SUB_INDICATION_SPLIT[result.sub_indication]
        assert not result.passed
        assert result.failed_checks() or result.signers, "a non-passing result names no check"
    assert result.explain().startswith(result.indication.value)
    result.model_dump_json()
    return result


def pem(der: bytes, label: str = "CMS") -> bytes:
    """PEM armour around ``der``."""
    body = base64.encodebytes(der)
    return f"-----BEGIN {label}-----\n".encode() + body + f"-----END {label}-----\n".encode()


def tlv(tag: int, body: bytes) -> bytes:
    """One DER element with a definite length."""
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    octets = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(octets)]) + octets + body


def nested_sequences(depth: int, inner: bytes = b"") -> bytes:
    """``depth`` SEQUENCEs, each holding the next, with definite lengths."""
    out = inner
    for _ in range(depth):
        out = tlv(0x30, out)
    return out


def nested_indefinite(depth: int) -> bytes:
    """``depth`` BER SEQUENCEs of indefinite length, each holding the next."""
    return b"\x30\x80" * depth + b"\x00\x00" * depth


def _find_from(der: bytes, part: bytes, start: int) -> int:
    at = der.find(part, start)
    assert at >= 0, "element not found in the encoding"
    return at


@dataclass(frozen=True)
class Region:
    """Where one signer's signed attributes and signature value lie in the DER."""

    signed_attrs: range
    signature: range


def signer_regions(der: bytes) -> list[Region]:
    """The byte ranges of each SignerInfo's signedAttrs (whole TLV) and signature value."""
    info = acms.ContentInfo.load(der)
    infos = info["content"]["signer_infos"]
    # Search each signer's parts in order, from the start of signerInfos: two signers may
    # sign identical attribute sets, and certificates come earlier in the encoding.
    cursor = _find_from(der, infos.dump(), 0)
    out = []
    for si in infos:
        attrs = si["signed_attrs"]
        attrs_range = range(0)
        if attrs.native is not None:
            # asn1crypto dumps the SET OF; the evidence holds it as [0] IMPLICIT.
            enc = b"\xa0" + attrs.dump()[1:]
            a = _find_from(der, enc, cursor)
            attrs_range = range(a, a + len(enc))
            cursor = a + len(enc)
        sig = si["signature"].contents
        sig_at = _find_from(der, sig, cursor)
        cursor = sig_at + len(sig)
        out.append(Region(attrs_range, range(sig_at, sig_at + len(sig))))
    return out


def certificates_range(der: bytes) -> range:
    """The byte range of the SignedData ``certificates [0]`` field, tag included."""
    certs = acms.ContentInfo.load(der)["content"]["certificates"]
    enc = certs.dump()
    start = _find_from(der, enc, 0)
    return range(start, start + len(enc))


def flip_byte(der: bytes, offset: int, mask: int = 0x01) -> bytes:
    """``der`` with the byte at ``offset`` XORed with ``mask``."""
    assert mask != 0
    return der[:offset] + bytes([der[offset] ^ mask]) + der[offset + 1 :]


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "HK"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "bayident loop test"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _cert(
    subject: x509.Name,
    subject_key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
) -> x509.Certificate:
    ski = x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key())
    aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key())
    usage = dict.fromkeys(
        (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    if ca:
        usage.update(key_cert_sign=True, crl_sign=True)
    else:
        usage.update(digital_signature=True, content_commitment=True)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(CLOCK_START - dt.timedelta(days=1))
        .not_valid_after(CLOCK_START + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(**usage), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(aki, critical=False)
        .sign(issuer_key, hashes.SHA256())
    )


@dataclass(frozen=True)
class CrossSigned:
    """CAs that certify each other in a ring, and a signer under the first of them."""

    cas: tuple[x509.Certificate, ...]
    signer: x509.Certificate
    signer_key: ec.EllipticCurvePrivateKey


def cross_signed_loop(size: int = 2) -> CrossSigned:
    """``size`` CAs where CA i is issued by CA i+1 and the last by the first: a loop.

    No CA is self-signed, so no path from the signer can ever reach a root.
    """
    keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(size)]
    names = [_name(f"Loop CA {chr(ord('A') + i)}") for i in range(size)]
    cas = tuple(
        _cert(names[i], keys[i], names[(i + 1) % size], keys[(i + 1) % size], ca=True)
        for i in range(size)
    )
    signer_key = ec.generate_private_key(ec.SECP256R1())
    signer = _cert(_name("Loop Signer"), signer_key, names[0], keys[0], ca=False)
    return CrossSigned(cas, signer, signer_key)


def make_crl(
    issuer: x509.Certificate,
    issuer_key: SigningKey,
    revoked: tuple[int, ...] = (),
    *,
    at: dt.datetime = CLOCK_START,
) -> bytes:
    """A DER CRL from ``issuer`` revoking the given serial numbers, valid for 90 days."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.subject)
        .last_update(at)
        .next_update(at + dt.timedelta(days=90))
        .add_extension(x509.CRLNumber(1), critical=False)
    )
    for serial in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(at).build()
        )
    algorithm = None if isinstance(issuer_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    crl = builder.sign(issuer_key, algorithm)
    return crl.public_bytes(serialization.Encoding.DER)
