"""Tests for bayident.testing: DER encoder, mock CAs and signers, CMS builder, clock, plugin."""

from __future__ import annotations

import asyncio
import hashlib
import importlib.metadata
import re
import shutil
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import cms as acms
from asn1crypto import core as acore
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from bayident._exceptions import InvalidArgument
from bayident.testing import (
    MockCA,
    MockClock,
    MockSigner,
    SignerSpec,
    _der,
    build_signed_data,
    content_type_attribute,
    message_digest_attribute,
    signing_time_attribute,
)

pytest_plugins = ["pytester"]

CONTENT = b"Bay Area e-signature test content\n"
MR_POLICY = "2.16.344.8.2.2008.810.2.2018.1.1"
ANY_POLICY = "2.5.29.32.0"
START = datetime(2026, 1, 1, tzinfo=UTC)


# --- shared objects ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def root() -> MockCA:
    return MockCA("Test Root CA")


@pytest.fixture(scope="module")
def sub(root: MockCA) -> MockCA:
    return root.create_child_ca("Test Sub CA", key_type="ec", path_length=0)


@pytest.fixture(scope="module")
def signers(sub: MockCA) -> dict[str, MockSigner]:
    return {
        kind: sub.issue_signer(f"Signer {kind}", key_type=kind)
        for kind in ("ec", "ec-p384", "rsa", "ed25519", "ed448")
    }


def signed_data(der: bytes) -> acms.SignedData:
    info = acms.ContentInfo.load(der)
    assert info["content_type"].native == "signed_data"
    return info["content"]


def signed_attr_types(signer_info: acms.SignerInfo) -> list[str]:
    return [attr["type"].dotted for attr in signer_info["signed_attrs"]]


def attr_values(signer_info: acms.SignerInfo, oid: str) -> list[bytes]:
    """The DER of every value of every signed attribute of type *oid*."""
    out: list[bytes] = []
    for attr in signer_info["signed_attrs"]:
        if attr["type"].dotted == oid:
            out.extend(value.dump() for value in attr["values"])
    return out


def ext(cert: x509.Certificate, cls: type[Any]) -> x509.Extension[Any]:
    return cert.extensions.get_extension_for_class(cls)


# --- openssl ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def openssl() -> str:
    path = shutil.which("openssl")
    if path is None:
        pytest.skip("the openssl CLI is not installed")
    return path


def openssl_major(openssl: str) -> int:
    out = subprocess.run([openssl, "version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"OpenSSL (\d+)\.", out)
    return int(match.group(1)) if match else 0


def openssl_cms_verify(
    openssl: str,
    tmp_path: Path,
    cms_der: bytes,
    root: MockCA,
    content: bytes | None = CONTENT,
    *,
    inform: str = "DER",
    extra: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    sig = tmp_path / "sig.cms"
    sig.write_bytes(cms_der)
    ca = tmp_path / "root.pem"
    ca.write_bytes(root.cert_pem)
    args = [openssl, "cms", "-verify", "-binary", "-inform", inform, "-in", str(sig)]
    if content is not None:
        data = tmp_path / "content.bin"
        data.write_bytes(content)
        args += ["-content", str(data)]
    args += ["-CAfile", str(ca), "-purpose", "any", "-out", str(tmp_path / "out.bin"), *extra]
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def assert_openssl_ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr
    assert "Verification successful" in result.stderr


def assert_openssl_fails(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode != 0
    assert "Verification failure" in result.stderr or "error" in result.stderr.lower()


# --- DER encoder ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [0, 1, 127, 128, 255, 256, -1, -128, -129, -256, 2**64, -(2**64), 2**159 + 7]
)
def test_der_integer_matches_asn1crypto(value: int) -> None:
    assert _der.integer(value) == acore.Integer(value).dump()


@pytest.mark.parametrize(
    "dotted", ["1.2.840.113549.1.7.2", "2.5.29.32.0", "2.999.3", "0.39", "1.3.6.1.4.1.16030.1"]
)
def test_der_oid_matches_asn1crypto(dotted: str) -> None:
    assert _der.oid(dotted) == acore.ObjectIdentifier(dotted).dump()


@pytest.mark.parametrize("bad", ["", "1", "1.a.3", "3.1", "1.40", "1.-2"])
def test_der_oid_rejects_malformed(bad: str) -> None:
    with pytest.raises(InvalidArgument, match="oid"):
        _der.oid(bad)


def test_der_lengths_short_and_long_form() -> None:
    assert _der.encode_length(0) == b"\x00"
    assert _der.encode_length(127) == b"\x7f"
    assert _der.encode_length(128) == b"\x81\x80"
    assert _der.encode_length(256) == b"\x82\x01\x00"
    big = _der.octet_string(b"x" * 70000)
    assert big[:5] == b"\x04\x83\x01\x11\x70"
    assert acore.OctetString.load(big).native == b"x" * 70000


def test_der_set_of_sorts_by_encoding_unless_asked_not_to() -> None:
    a, b, c = _der.integer(3), _der.integer(1), _der.octet_string(b"")
    assert _der.set_of(a, b, c) == b"\x31\x08" + b + a + c
    assert _der.set_of(a, b, c, der_sorted=False) == b"\x31\x08" + a + b + c


def test_der_times() -> None:
    moment = datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)
    assert _der.utc_time(moment) == b"\x17\x0d260304050607Z"
    assert _der.generalized_time(moment) == b"\x18\x0f20260304050607Z"
    assert _der.generalized_time(moment, fraction=True) == b"\x18\x1220260304050607.89Z"
    assert _der.time(moment) == _der.utc_time(moment)
    late = datetime(2050, 1, 1, tzinfo=UTC)
    assert _der.time(late) == b"\x18\x0f20500101000000Z"
    hk = datetime(2026, 3, 4, 13, 6, 7, tzinfo=timezone(timedelta(hours=8)))
    assert _der.utc_time(hk) == b"\x17\x0d260304050607Z"
    with pytest.raises(InvalidArgument, match="utc_time"):
        _der.utc_time(late)
    with pytest.raises(InvalidArgument, match="naive"):
        _der.time(datetime(2026, 1, 1))


def test_der_tagging() -> None:
    inner = _der.integer(5)
    assert _der.explicit(0, inner) == b"\xa0\x03" + inner
    assert _der.explicit(31, inner) == b"\xbf\x1f\x03" + inner
    assert _der.implicit(0, _der.octet_string(b"ab")) == b"\x80\x02ab"
    assert _der.implicit(0, _der.set_of(inner)) == b"\xa0\x03" + inner
    assert _der.implicit(1, _der.octet_string(b"ab"), constructed=True) == b"\xa1\x02ab"
    assert _der.implicit(2, _der.explicit(40, inner)) == b"\xa2\x03" + inner
    with pytest.raises(InvalidArgument, match="implicit"):
        _der.implicit(0, b"\x04")


def test_der_misc_primitives() -> None:
    assert _der.boolean(True) == b"\x01\x01\xff"
    assert _der.boolean(False) == b"\x01\x01\x00"
    assert _der.null() == b"\x05\x00"
    assert _der.bit_string(b"\x80", 7) == b"\x03\x02\x07\x80"
    assert _der.utf8_string("香港") == acore.UTF8String("香港").dump()
    assert _der.printable_string("HK") == b"\x13\x02HK"
    assert _der.ia5_string("a@b") == b"\x16\x03a@b"
    assert _der.raw(b"\xff\x00") == b"\xff\x00"
    assert _der.tlv(0x04, b"") == b"\x04\x00"
    assert _der.sequence() == b"\x30\x00"
    with pytest.raises(InvalidArgument, match="unused_bits"):
        _der.bit_string(b"", 3)


# --- clock ------------------------------------------------------------------------------------


def test_clock_moves_only_when_told() -> None:
    clock = MockClock(START)
    assert clock.now() == START
    assert clock() == START
    assert clock.advance(timedelta(days=1)) == START + timedelta(days=1)
    assert clock.now() == START + timedelta(days=1)
    clock.advance(timedelta(hours=-2))
    assert clock.now() == START + timedelta(hours=22)
    clock.set(datetime(2030, 5, 6, tzinfo=UTC))
    assert clock.now() == datetime(2030, 5, 6, tzinfo=UTC)
    assert clock.now().tzinfo is UTC


def test_clock_default_start_is_real_time() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    now = MockClock().now()
    assert before <= now <= datetime.now(UTC)


@pytest.mark.parametrize(
    "bad",
    [
        datetime(2026, 1, 1),
        datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=8))),
        "2026-01-01",
    ],
)
def test_clock_refuses_non_utc(bad: Any) -> None:
    with pytest.raises(InvalidArgument, match="start"):
        MockClock(bad)
    clock = MockClock(START)
    with pytest.raises(InvalidArgument, match="when"):
        clock.set(bad)
    assert clock.now() == START


def test_clock_advance_needs_timedelta() -> None:
    with pytest.raises(InvalidArgument, match="delta"):
        MockClock(START).advance(5)  # type: ignore[arg-type]


# --- certificates -----------------------------------------------------------------------------


def test_root_ca_extensions(root: MockCA) -> None:
    cert = root.certificate
    assert root.name == "Test Root CA"
    assert root.parent is None
    assert root.chain == []
    assert root.root is root
    assert isinstance(root.private_key, rsa.RSAPrivateKey)
    assert root.private_key.key_size == 2048
    assert cert.subject == cert.issuer
    assert cert.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "HK"
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == (
        "bayident sandbox"
    )
    bc = ext(cert, x509.BasicConstraints)
    assert bc.critical
    assert bc.value.ca
    assert bc.value.path_length is None
    ku = ext(cert, x509.KeyUsage)
    assert ku.critical
    assert ku.value.key_cert_sign
    assert ku.value.crl_sign
    assert not ku.value.digital_signature
    assert not ku.value.content_commitment
    ski = ext(cert, x509.SubjectKeyIdentifier).value
    assert ski == x509.SubjectKeyIdentifier.from_public_key(root.private_key.public_key())
    assert ext(cert, x509.AuthorityKeyIdentifier).value.key_identifier == ski.digest
    with pytest.raises(x509.ExtensionNotFound):
        ext(cert, x509.CertificatePolicies)
    cert.verify_directly_issued_by(cert)
    assert root.cert_der == cert.public_bytes(serialization.Encoding.DER)
    assert x509.load_pem_x509_certificate(root.cert_pem) == cert


def test_child_ca_extensions_and_chain(root: MockCA) -> None:
    name_constraints = x509.NameConstraints(
        permitted_subtrees=[x509.DNSName("example.hk")], excluded_subtrees=None
    )
    child = root.create_child_ca(
        "Sandbox e-Cert CA",
        key_type="ec",
        path_length=1,
        policies=[ANY_POLICY],
        name_constraints=name_constraints,
    )
    grandchild = child.create_child_ca("Sandbox Issuing CA", key_type="ed25519", path_length=0)
    assert child.parent is root
    assert grandchild.parent is child
    assert grandchild.root is root
    assert child.chain == [child.certificate]
    assert grandchild.chain == [grandchild.certificate, child.certificate]
    cert = child.certificate
    assert cert.issuer == root.certificate.subject
    cert.verify_directly_issued_by(root.certificate)
    grandchild.certificate.verify_directly_issued_by(cert)
    bc = ext(cert, x509.BasicConstraints)
    assert bc.critical
    assert bc.value.ca
    assert bc.value.path_length == 1
    assert ext(grandchild.certificate, x509.BasicConstraints).value.path_length == 0
    assert ext(cert, x509.KeyUsage).critical
    policies = ext(cert, x509.CertificatePolicies).value
    assert [p.policy_identifier.dotted_string for p in policies] == [ANY_POLICY]
    nc = ext(cert, x509.NameConstraints)
    assert nc.critical
    assert nc.value == name_constraints
    root_ski = ext(root.certificate, x509.SubjectKeyIdentifier).value.digest
    assert ext(cert, x509.AuthorityKeyIdentifier).value.key_identifier == root_ski
    # The child inherits the parent's country and organisation.
    assert cert.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "HK"


def test_signer_certificate_extensions(sub: MockCA) -> None:
    signer = sub.issue_signer(
        "CHAN Tai Man",
        policies=[MR_POLICY],
        extended_key_usage=[ExtendedKeyUsageOID.EMAIL_PROTECTION.dotted_string],
        email="chan@example.hk",
        country="HK",
        organization="Example Ltd",
        serial_number=0x1234,
        subject_serial="HKID-HASH-0001",
        extra_extensions=[
            (
                x509.UnrecognizedExtension(
                    x509.ObjectIdentifier("1.3.6.1.4.1.16030.99"), b"\x05\x00"
                ),
                False,
            ),
            x509.Extension(x509.OID_OCSP_NO_CHECK, False, x509.OCSPNoCheck()),
        ],
    )
    cert = signer.certificate
    assert signer.issuer is sub
    assert signer.name == "CHAN Tai Man"
    assert cert.serial_number == 0x1234
    assert cert.issuer == sub.certificate.subject
    cert.verify_directly_issued_by(sub.certificate)
    subject = cert.subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "CHAN Tai Man"
    assert subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == "HKID-HASH-0001"
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Example Ltd"
    assert subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "HK"
    bc = ext(cert, x509.BasicConstraints)
    assert bc.critical
    assert not bc.value.ca
    ku = ext(cert, x509.KeyUsage)
    assert ku.critical
    assert ku.value.digital_signature
    assert ku.value.content_commitment
    assert not ku.value.key_cert_sign
    assert not ku.value.key_encipherment
    eku = ext(cert, x509.ExtendedKeyUsage)
    assert not eku.critical
    assert list(eku.value) == [ExtendedKeyUsageOID.EMAIL_PROTECTION]
    policies = ext(cert, x509.CertificatePolicies).value
    assert [p.policy_identifier.dotted_string for p in policies] == [MR_POLICY]
    san = ext(cert, x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.RFC822Name) == ["chan@example.hk"]
    sub_ski = ext(sub.certificate, x509.SubjectKeyIdentifier).value.digest
    assert ext(cert, x509.AuthorityKeyIdentifier).value.key_identifier == sub_ski
    assert ext(cert, x509.SubjectKeyIdentifier).value == (
        x509.SubjectKeyIdentifier.from_public_key(signer.private_key.public_key())
    )
    unknown = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier("1.3.6.1.4.1.16030.99"))
    assert unknown.value.value == b"\x05\x00"  # type: ignore[attr-defined]
    ext(cert, x509.OCSPNoCheck)
    assert x509.load_pem_x509_certificate(signer.cert_pem) == cert


def test_signer_without_key_usage_or_policies(sub: MockCA) -> None:
    cert = sub.issue_signer("Plain", key_usage=None).certificate
    for cls in (x509.KeyUsage, x509.CertificatePolicies, x509.ExtendedKeyUsage):
        with pytest.raises(x509.ExtensionNotFound):
            ext(cert, cls)
    assert ext(cert, x509.BasicConstraints).critical
    cert2 = sub.issue_signer("Encipher", key_usage=("key_encipherment",)).certificate
    ku = ext(cert2, x509.KeyUsage).value
    assert ku.key_encipherment
    assert not ku.digital_signature


def test_signer_chain_order(root: MockCA) -> None:
    mid = root.create_child_ca("Mid", key_type="ec")
    low = mid.create_child_ca("Low", key_type="ec")
    signer = low.issue_signer("Leaf")
    assert signer.chain == [signer.certificate, low.certificate, mid.certificate]
    assert root.issue_signer("Direct").chain[1:] == []


@pytest.mark.parametrize(
    ("key_type", "key_class", "detail"),
    [
        ("ec", ec.EllipticCurvePrivateKey, "secp256r1"),
        ("ec-p384", ec.EllipticCurvePrivateKey, "secp384r1"),
        ("ec-p521", ec.EllipticCurvePrivateKey, "secp521r1"),
        ("rsa", rsa.RSAPrivateKey, 2048),
        ("ed25519", ed25519.Ed25519PrivateKey, None),
        ("ed448", ed448.Ed448PrivateKey, None),
    ],
)
def test_signer_key_types(sub: MockCA, key_type: Any, key_class: type, detail: Any) -> None:
    signer = sub.issue_signer(f"Key {key_type}", key_type=key_type)
    assert isinstance(signer.private_key, key_class)
    if isinstance(signer.private_key, ec.EllipticCurvePrivateKey):
        assert signer.private_key.curve.name == detail
    if isinstance(signer.private_key, rsa.RSAPrivateKey):
        assert signer.private_key.key_size == detail
    public = signer.certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public == signer.private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_every_certificate_gets_its_own_key_and_serial(sub: MockCA) -> None:
    issued = [sub.issue_signer(f"RSA {i}", key_type="rsa") for i in range(3)]
    issued += [sub.issue_signer(f"EC {i}") for i in range(3)]
    keys = {
        s.certificate.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        for s in issued
    }
    assert len(keys) == len(issued)
    serials = {s.certificate.serial_number for s in issued}
    assert len(serials) == len(issued)
    assert all(0 < serial < 2**64 for serial in serials)


def test_given_private_key_is_used(root: MockCA) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    signer = root.issue_signer("Own key", private_key=key)
    assert signer.private_key is key
    child = root.create_child_ca("Own key CA", private_key=key)
    assert child.private_key is key
    assert child.certificate.public_key() == key.public_key()
    other = MockCA("Own root", private_key=ed25519.Ed25519PrivateKey.generate())
    other.certificate.verify_directly_issued_by(other.certificate)


def test_rsa_key_size(root: MockCA) -> None:
    signer = root.issue_signer("RSA 3072", key_type="rsa", key_size=3072)
    assert isinstance(signer.private_key, rsa.RSAPrivateKey)
    assert signer.private_key.key_size == 3072


def test_clock_drives_validity() -> None:
    clock = MockClock(START)
    ca = MockCA("Clocked Root", key_type="ec", clock=clock)
    assert ca.certificate.not_valid_before_utc == START - timedelta(days=1)
    assert ca.certificate.not_valid_after_utc == START + timedelta(days=3650)
    signer = ca.issue_signer("Clocked")
    assert signer.certificate.not_valid_before_utc == START - timedelta(days=1)
    assert signer.certificate.not_valid_after_utc == START + timedelta(days=365)
    clock.advance(timedelta(days=30))
    later = ca.issue_signer("Later").certificate
    assert later.not_valid_before_utc == START + timedelta(days=29)
    child = ca.create_child_ca("Clocked Sub", key_type="ec")
    assert child.clock is clock
    assert child.certificate.not_valid_after_utc == START + timedelta(days=30 + 3650)


def test_explicit_validity(root: MockCA) -> None:
    nb = datetime(2030, 6, 1, tzinfo=UTC)
    na = datetime(2031, 6, 1, tzinfo=UTC)
    cert = root.issue_signer("Window", not_before=nb, not_after=na).certificate
    assert (cert.not_valid_before_utc, cert.not_valid_after_utc) == (nb, na)
    expired_at = datetime(2020, 1, 1, tzinfo=UTC)
    expired = root.issue_signer("Expired", not_after=expired_at).certificate
    assert expired.not_valid_after_utc == expired_at
    assert expired.not_valid_before_utc == expired_at - timedelta(days=1)
    future = root.issue_signer("Not yet", not_before=nb).certificate
    assert future.not_valid_before_utc == nb
    assert future.not_valid_after_utc == nb + timedelta(days=366)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"key_type": "dsa"}, "key_type"),
        ({"key_type": "rsa", "key_size": 512}, "key_size"),
        ({"key_usage": ("sign_everything",)}, "key_usage"),
        ({"key_usage": "digital_signature"}, "key_usage"),
        ({"key_usage": ("encipher_only",)}, "key_usage"),
        ({"policies": ["not.an.oid"]}, "policies"),
        ({"extended_key_usage": ["x"]}, "extended_key_usage"),
        ({"country": "HKG"}, "country"),
        ({"not_before": datetime(2026, 1, 1)}, "not_before"),
        ({"not_after": datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=8)))}, "not_after"),
        (
            {
                "not_before": datetime(2027, 1, 1, tzinfo=UTC),
                "not_after": datetime(2026, 1, 1, tzinfo=UTC),
            },
            "not_after",
        ),
        ({"serial_number": 0}, "serial_number"),
        ({"private_key": "key"}, "private_key"),
        ({"extra_extensions": [(x509.BasicConstraints(ca=True, path_length=None), True)]}, "extra"),
    ],
)
def test_issue_signer_rejects_bad_arguments(
    root: MockCA, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidArgument, match=field):
        root.issue_signer("Bad", **kwargs)


def test_ca_rejects_bad_arguments(root: MockCA) -> None:
    with pytest.raises(InvalidArgument, match="path_length"):
        root.create_child_ca("Bad", key_type="ec", path_length=-1)
    with pytest.raises(InvalidArgument, match="name_constraints"):
        root.create_child_ca("Bad", key_type="ec", name_constraints="example.hk")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="name"):
        MockCA("", key_type="ec")
    with pytest.raises(InvalidArgument, match="key_type"):
        MockCA("Bad", key_type="ecdsa")  # type: ignore[arg-type]


@pytest.mark.interop
def test_openssl_verifies_certificate_chain(
    openssl: str, tmp_path: Path, root: MockCA, sub: MockCA
) -> None:
    signer = sub.issue_signer("Chained", policies=[MR_POLICY])
    (tmp_path / "root.pem").write_bytes(root.cert_pem)
    (tmp_path / "sub.pem").write_bytes(sub.cert_pem)
    (tmp_path / "leaf.pem").write_bytes(signer.cert_pem)
    base = [openssl, "verify", "-CAfile", str(tmp_path / "root.pem")]
    ok = subprocess.run(
        [*base, "-untrusted", str(tmp_path / "sub.pem"), str(tmp_path / "leaf.pem")],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr + ok.stdout
    missing = subprocess.run([*base, str(tmp_path / "leaf.pem")], capture_output=True, text=True)
    assert missing.returncode != 0


# --- detached CMS from MockSigner, checked by OpenSSL -------------------------------------------


@pytest.mark.interop
@pytest.mark.parametrize("kind", ["ec", "ec-p384", "rsa"])
@pytest.mark.parametrize("attributes", [True, False])
def test_openssl_verifies_detached_cms(
    openssl: str,
    tmp_path: Path,
    root: MockCA,
    signers: dict[str, MockSigner],
    kind: str,
    attributes: bool,
) -> None:
    der = signers[kind].sign_detached_cms(CONTENT, attributes=attributes)
    assert_openssl_ok(openssl_cms_verify(openssl, tmp_path, der, root))
    assert_openssl_fails(openssl_cms_verify(openssl, tmp_path, der, root, CONTENT + b"x"))


@pytest.mark.interop
@pytest.mark.parametrize("attributes", [True, False])
@pytest.mark.parametrize("digest", ["sha256", "sha384", "sha512"])
def test_openssl_verifies_pss(
    openssl: str,
    tmp_path: Path,
    root: MockCA,
    signers: dict[str, MockSigner],
    attributes: bool,
    digest: str,
) -> None:
    der = signers["rsa"].sign_detached_cms(CONTENT, attributes=attributes, pss=True, digest=digest)
    info = signed_data(der)["signer_infos"][0]
    algorithm = info["signature_algorithm"]
    assert algorithm["algorithm"].dotted == "1.2.840.113549.1.1.10"
    params = algorithm["parameters"].native
    assert params["hash_algorithm"]["algorithm"] == digest
    assert params["mask_gen_algorithm"]["parameters"]["algorithm"] == digest
    assert params["salt_length"] == hashlib.new(digest).digest_size
    assert_openssl_ok(openssl_cms_verify(openssl, tmp_path, der, root))
    assert_openssl_fails(openssl_cms_verify(openssl, tmp_path, der, root, b"tampered"))


@pytest.mark.interop
def test_openssl_verifies_ed25519_when_supported(
    openssl: str, tmp_path: Path, root: MockCA, signers: dict[str, MockSigner]
) -> None:
    # OpenSSL's CMS code cannot sign or verify EdDSA before 4.0; pyHanko covers it below.
    # (No OpenSSL release knows id-shake256-len, so Ed448 CMS is not tried here at all.)
    if openssl_major(openssl) < 4:
        pytest.skip("OpenSSL before 4.0 has no CMS support for Ed25519")
    der = signers["ed25519"].sign_detached_cms(CONTENT)
    assert_openssl_ok(openssl_cms_verify(openssl, tmp_path, der, root))
    assert_openssl_fails(openssl_cms_verify(openssl, tmp_path, der, root, b"tampered"))


@pytest.mark.interop
def test_openssl_reads_pem_output(
    openssl: str, tmp_path: Path, root: MockCA, signers: dict[str, MockSigner]
) -> None:
    pem = signers["ec"].sign_detached_cms(CONTENT, output="pem")
    assert pem.startswith(b"-----BEGIN CMS-----\n")
    assert pem.endswith(b"-----END CMS-----\n")
    assert all(len(line) <= 64 for line in pem.splitlines())
    assert_openssl_ok(openssl_cms_verify(openssl, tmp_path, pem, root, inform="PEM"))


@pytest.mark.interop
def test_openssl_verifies_without_chain_when_given_intermediate(
    openssl: str, tmp_path: Path, root: MockCA, sub: MockCA, signers: dict[str, MockSigner]
) -> None:
    der = signers["ec"].sign_detached_cms(CONTENT, include_chain=False, signing_certificate="v1")
    assert len(signed_data(der)["certificates"]) == 1
    assert_openssl_fails(openssl_cms_verify(openssl, tmp_path, der, root))
    # `openssl cms` has no -untrusted, so the intermediate goes in with the trust anchors.
    (tmp_path / "both.pem").write_bytes(root.cert_pem + sub.cert_pem)
    extra = ["-CAfile", str(tmp_path / "both.pem")]
    assert_openssl_ok(openssl_cms_verify(openssl, tmp_path, der, root, extra=extra))


# --- EdDSA checked by pyHanko and by hand -----------------------------------------------------


@pytest.mark.interop
@pytest.mark.parametrize("kind", ["ed25519", "ed448", "ec", "rsa"])
def test_pyhanko_verifies_detached_cms(
    root: MockCA, signers: dict[str, MockSigner], kind: str
) -> None:
    generic_cms = pytest.importorskip("pyhanko.sign.validation.generic_cms")
    certvalidator = pytest.importorskip("pyhanko_certvalidator")
    der = signers[kind].sign_detached_cms(CONTENT)
    trust = [ax509.Certificate.load(root.cert_der)]

    def check(content: bytes) -> Any:
        context = certvalidator.ValidationContext(trust_roots=trust)
        return asyncio.run(
            generic_cms.async_validate_detached_cms(
                content, signed_data(der), signer_validation_context=context
            )
        )

    status = check(CONTENT)
    assert status.intact
    assert status.valid
    assert status.trusted
    assert not check(CONTENT + b"x").intact


@pytest.mark.parametrize(
    ("kind", "digest_oid", "digest_len", "sig_oid"),
    [
        ("ed25519", "2.16.840.1.101.3.4.2.3", 64, "1.3.101.112"),
        ("ed448", "2.16.840.1.101.3.4.2.18", 64, "1.3.101.113"),
    ],
)
def test_eddsa_follows_rfc8419(
    signers: dict[str, MockSigner], kind: str, digest_oid: str, digest_len: int, sig_oid: str
) -> None:
    signer = signers[kind]
    public = signer.certificate.public_key()
    assert isinstance(public, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey)
    with_attrs = signed_data(signer.sign_detached_cms(CONTENT))
    info = with_attrs["signer_infos"][0]
    assert info["digest_algorithm"]["algorithm"].dotted == digest_oid
    assert info["signature_algorithm"]["algorithm"].dotted == sig_oid
    assert info["signature_algorithm"]["parameters"].native is None
    expected = (
        hashlib.sha512(CONTENT).digest()
        if kind == "ed25519"
        else hashlib.shake_256(CONTENT).digest(64)
    )
    (md,) = attr_values(info, "1.2.840.113549.1.9.4")
    assert len(acore.OctetString.load(md).native) == digest_len
    assert acore.OctetString.load(md).native == expected
    public.verify(info["signature"].native, info["signed_attrs"].untag().dump())
    if kind == "ed448":
        # id-shake256-len carries its output length, 512 bits, as parameter.
        assert info["digest_algorithm"].dump() == bytes.fromhex(
            "300f060960864801650304021202020200"
        )
    without = signed_data(signer.sign_detached_cms(CONTENT, attributes=False))
    bare = without["signer_infos"][0]
    assert not bare["signed_attrs"]
    public.verify(bare["signature"].native, CONTENT)
    with pytest.raises(InvalidSignature):
        public.verify(bare["signature"].native, CONTENT + b"x")


def test_eddsa_rejects_other_digests(signers: dict[str, MockSigner]) -> None:
    with pytest.raises(InvalidArgument, match="RFC 8419"):
        signers["ed25519"].sign_detached_cms(CONTENT, digest="sha256")
    with pytest.raises(InvalidArgument, match="RFC 8419"):
        signers["ed448"].sign_detached_cms(CONTENT, digest="sha512")


# --- structure of what sign_detached_cms produces ---------------------------------------------


def test_detached_cms_structure(sub: MockCA, signers: dict[str, MockSigner]) -> None:
    signer = signers["ec"]
    when = datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)
    sd = signed_data(signer.sign_detached_cms(CONTENT, signing_time=when))
    assert sd["version"].native == "v1"
    assert [a["algorithm"].native for a in sd["digest_algorithms"]] == ["sha256"]
    assert sd["encap_content_info"]["content_type"].native == "data"
    assert sd["encap_content_info"]["content"].native is None
    certs = [c.chosen.dump() for c in sd["certificates"]]
    assert sorted(certs) == sorted([signer.cert_der, sub.cert_der])
    (info,) = sd["signer_infos"]
    assert info["version"].native == "v1"
    sid = info["sid"].chosen
    assert sid["serial_number"].native == signer.certificate.serial_number
    assert sid["issuer"].dump() == signer.certificate.issuer.public_bytes()
    assert info["digest_algorithm"].dump() == bytes.fromhex("300b0609608648016503040201")
    assert info["signature_algorithm"]["algorithm"].native == "sha256_ecdsa"
    types = signed_attr_types(info)
    assert sorted(types) == sorted(
        [
            "1.2.840.113549.1.9.3",
            "1.2.840.113549.1.9.5",
            "1.2.840.113549.1.9.4",
            "1.2.840.113549.1.9.16.2.47",
        ]
    )
    raw_set = info["signed_attrs"].untag().dump()
    assert raw_set[0] == 0x31
    items = [attr.dump() for attr in info["signed_attrs"]]
    assert items == sorted(items), "signed attributes must be a DER-sorted SET"
    (st,) = attr_values(info, "1.2.840.113549.1.9.5")
    assert st == b"\x17\x0d260203040506Z"
    (md,) = attr_values(info, "1.2.840.113549.1.9.4")
    assert md == _der.octet_string(hashlib.sha256(CONTENT).digest())
    public = signer.certificate.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    public.verify(info["signature"].native, raw_set, ec.ECDSA(hashes.SHA256()))


def test_signing_time_defaults_to_issuer_clock() -> None:
    clock = MockClock(START)
    signer = MockCA("Clock CA", key_type="ec", clock=clock).issue_signer("S")
    clock.advance(timedelta(hours=5))
    info = signed_data(signer.sign_detached_cms(CONTENT))["signer_infos"][0]
    assert attr_values(info, "1.2.840.113549.1.9.5") == [b"\x17\x0d260101050000Z"]
    far = signed_data(
        signer.sign_detached_cms(CONTENT, signing_time=datetime(2050, 1, 2, tzinfo=UTC))
    )
    info = far["signer_infos"][0]
    assert attr_values(info, "1.2.840.113549.1.9.5") == [b"\x18\x0f20500102000000Z"]


def test_ess_signing_certificate_encodings(signers: dict[str, MockSigner]) -> None:
    signer = signers["rsa"]
    cert = signer.certificate
    info = signed_data(signer.sign_detached_cms(CONTENT))["signer_infos"][0]
    (v2,) = attr_values(info, "1.2.840.113549.1.9.16.2.47")
    issuer_serial = _der.sequence(
        _der.sequence(_der.explicit(4, cert.issuer.public_bytes())),
        _der.integer(cert.serial_number),
    )
    # hashAlgorithm is SHA-256, its DEFAULT, so DER leaves it out: certHash comes first.
    cert_hash = hashlib.sha256(signer.cert_der).digest()
    assert v2 == _der.sequence(
        _der.sequence(_der.sequence(_der.octet_string(cert_hash), issuer_serial))
    )
    info1 = signed_data(signer.sign_detached_cms(CONTENT, signing_certificate="v1"))[
        "signer_infos"
    ][0]
    (v1,) = attr_values(info1, "1.2.840.113549.1.9.16.2.12")
    sha1 = hashlib.sha1(signer.cert_der).digest()
    assert v1 == _der.sequence(_der.sequence(_der.sequence(_der.octet_string(sha1), issuer_serial)))
    assert not attr_values(info1, "1.2.840.113549.1.9.16.2.47")
    info0 = signed_data(signer.sign_detached_cms(CONTENT, signing_certificate=None))[
        "signer_infos"
    ][0]
    assert len(signed_attr_types(info0)) == 3


def test_rsa_pkcs1_uses_rsa_encryption_oid(signers: dict[str, MockSigner]) -> None:
    info = signed_data(signers["rsa"].sign_detached_cms(CONTENT, digest="sha384"))["signer_infos"][
        0
    ]
    assert info["signature_algorithm"].dump() == bytes.fromhex("300d06092a864886f70d0101010500")
    assert info["digest_algorithm"]["algorithm"].native == "sha384"


def test_sign_detached_cms_rejects_bad_arguments(signers: dict[str, MockSigner]) -> None:
    signer = signers["ec"]
    with pytest.raises(InvalidArgument, match="pss"):
        signer.sign_detached_cms(CONTENT, pss=True)
    with pytest.raises(InvalidArgument, match="digest"):
        signer.sign_detached_cms(CONTENT, digest="md5")
    with pytest.raises(InvalidArgument, match="digest"):
        signer.sign_detached_cms(CONTENT, digest="shake256")
    with pytest.raises(InvalidArgument, match="output"):
        signer.sign_detached_cms(CONTENT, output="base64")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="signing_time"):
        signer.sign_detached_cms(CONTENT, attributes=False, signing_time=START)
    with pytest.raises(InvalidArgument, match="signing_time"):
        signer.sign_detached_cms(CONTENT, signing_time=datetime(2026, 1, 1))
    with pytest.raises(InvalidArgument, match="data"):
        signer.sign_detached_cms("text")  # type: ignore[arg-type]


# --- build_signed_data and hostile SignerSpec variants -----------------------------------------


def test_duplicate_message_digest_attributes(signers: dict[str, MockSigner]) -> None:
    signer = signers["ec"]
    digest = hashlib.sha256(CONTENT).digest()
    spec = signer.signer_spec(
        signed_attributes=[
            content_type_attribute(),
            message_digest_attribute(digest),
            message_digest_attribute(digest),
        ]
    )
    info = signed_data(build_signed_data(CONTENT, [spec], certificates=signer.chain))[
        "signer_infos"
    ][0]
    assert signed_attr_types(info).count("1.2.840.113549.1.9.4") == 2
    assert attr_values(info, "1.2.840.113549.1.9.4") == [_der.octet_string(digest)] * 2
    # Still a correct signature over that SET, so only attribute checks can catch it.
    public = signer.certificate.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    public.verify(
        info["signature"].native, info["signed_attrs"].untag().dump(), ec.ECDSA(hashes.SHA256())
    )


def test_one_attribute_with_two_values(signers: dict[str, MockSigner]) -> None:
    digest = hashlib.sha256(CONTENT).digest()
    spec = signers["ec"].signer_spec(
        signed_attributes=[
            content_type_attribute(),
            ("1.2.840.113549.1.9.4", [_der.octet_string(digest), _der.octet_string(b"\0" * 32)]),
        ]
    )
    info = signed_data(build_signed_data(CONTENT, [spec]))["signer_infos"][0]
    assert signed_attr_types(info).count("1.2.840.113549.1.9.4") == 1
    assert len(attr_values(info, "1.2.840.113549.1.9.4")) == 2


@pytest.mark.interop
def test_wrong_length_message_digest(
    openssl: str, tmp_path: Path, root: MockCA, signers: dict[str, MockSigner]
) -> None:
    signer = signers["rsa"]
    short = hashlib.sha256(CONTENT).digest()[:31]
    spec = signer.signer_spec(
        signed_attributes=[content_type_attribute(), message_digest_attribute(short)]
    )
    der = build_signed_data(CONTENT, [spec], certificates=signer.chain)
    (md,) = attr_values(signed_data(der)["signer_infos"][0], "1.2.840.113549.1.9.4")
    assert acore.OctetString.load(md).native == short
    assert_openssl_fails(openssl_cms_verify(openssl, tmp_path, der, root))


@pytest.mark.interop
def test_sid_by_subject_key_identifier(
    openssl: str, tmp_path: Path, root: MockCA, signers: dict[str, MockSigner]
) -> None:
    signer = signers["rsa"]
    der = build_signed_data(CONTENT, [signer.signer_spec(sid="ski")], certificates=signer.chain)
    sd = signed_data(der)
    assert sd["version"].native == "v3"
    info = sd["signer_infos"][0]
    assert info["version"].native == "v3"
    assert info["sid"].name == "subject_key_identifier"
    ski = ext(signer.certificate, x509.SubjectKeyIdentifier).value.digest
    assert info["sid"].native == ski
    assert_openssl_ok(openssl_cms_verify(openssl, tmp_path, der, root))


@pytest.mark.interop
def test_claimed_algorithms_can_be_overridden(
    openssl: str, tmp_path: Path, root: MockCA, signers: dict[str, MockSigner]
) -> None:
    signer = signers["rsa"]
    with_hash = signer.signer_spec(rsa_oid_with_hash=True)
    der = build_signed_data(CONTENT, [with_hash], certificates=signer.chain)
    info = signed_data(der)["signer_infos"][0]
    assert info["signature_algorithm"]["algorithm"].native == "sha256_rsa"
    assert_openssl_ok(openssl_cms_verify(openssl, tmp_path, der, root))

    lying_digest = signer.signer_spec(digest_algorithm_oid="2.16.840.1.101.3.4.2.3")
    der = build_signed_data(CONTENT, [lying_digest], certificates=signer.chain)
    sd = signed_data(der)
    assert sd["signer_infos"][0]["digest_algorithm"]["algorithm"].native == "sha512"
    assert [a["algorithm"].native for a in sd["digest_algorithms"]] == ["sha512"]
    assert_openssl_fails(openssl_cms_verify(openssl, tmp_path, der, root))

    lying_signature = signer.signer_spec(signature_algorithm_oid="1.2.840.10045.4.3.2")
    der = build_signed_data(CONTENT, [lying_signature], certificates=signer.chain)
    info = signed_data(der)["signer_infos"][0]
    assert info["signature_algorithm"].dump() == bytes.fromhex("300a06082a8648ce3d040302")
    assert_openssl_fails(openssl_cms_verify(openssl, tmp_path, der, root))

    raw_alg = _der.sequence(_der.oid("1.2.840.113549.1.1.10"), _der.sequence())
    der = build_signed_data(
        CONTENT, [signer.signer_spec(signature_algorithm_der=raw_alg)], certificates=signer.chain
    )
    assert signed_data(der)["signer_infos"][0]["signature_algorithm"].dump() == raw_alg


@pytest.mark.interop
def test_signature_override_and_unsigned_attributes(
    openssl: str, tmp_path: Path, root: MockCA, signers: dict[str, MockSigner]
) -> None:
    signer = signers["ec"]
    forged = b"\x30\x06\x02\x01\x01\x02\x01\x01"
    unsigned = [("1.2.840.113549.1.9.16.2.14", [_der.sequence(_der.integer(7))])]
    spec = signer.signer_spec(signature=forged, unsigned_attributes=unsigned)
    der = build_signed_data(CONTENT, [spec], certificates=signer.chain)
    info = signed_data(der)["signer_infos"][0]
    assert info["signature"].native == forged
    (attr,) = info["unsigned_attrs"]
    assert attr["type"].dotted == "1.2.840.113549.1.9.16.2.14"
    assert attr["values"][0].dump() == _der.sequence(_der.integer(7))
    assert_openssl_fails(openssl_cms_verify(openssl, tmp_path, der, root))
    no_key = SignerSpec(
        certificate=signer.certificate,
        signature=forged,
        signature_algorithm_oid="1.2.840.10045.4.3.2",
    )
    assert signed_data(build_signed_data(CONTENT, [no_key]))["signer_infos"][0][
        "signature"
    ].native == (forged)


@pytest.mark.interop
def test_per_signer_content_and_precomputed_digest(
    openssl: str, tmp_path: Path, root: MockCA, signers: dict[str, MockSigner]
) -> None:
    signer = signers["rsa"]
    other = signer.signer_spec(content=b"something else")
    der = build_signed_data(CONTENT, [other], certificates=signer.chain)
    assert_openssl_fails(openssl_cms_verify(openssl, tmp_path, der, root))
    assert_openssl_ok(openssl_cms_verify(openssl, tmp_path, der, root, b"something else"))

    digest = hashlib.sha256(CONTENT).digest()
    for attributes in (True, False):
        spec = signer.signer_spec(content_digest=digest, attributes=attributes)
        der = build_signed_data(None, [spec], certificates=signer.chain)
        assert_openssl_ok(openssl_cms_verify(openssl, tmp_path, der, root))


def test_precomputed_digest_cannot_sign_eddsa_without_attributes(
    signers: dict[str, MockSigner],
) -> None:
    spec = signers["ed25519"].signer_spec(content_digest=b"\0" * 64, attributes=False)
    with pytest.raises(InvalidArgument, match="content_digest"):
        build_signed_data(None, [spec])


def test_unsorted_and_empty_signed_attributes(signers: dict[str, MockSigner]) -> None:
    signer = signers["ec"]
    digest = hashlib.sha256(CONTENT).digest()
    reversed_attrs = [message_digest_attribute(digest), content_type_attribute()]
    spec = signer.signer_spec(signed_attributes=reversed_attrs, sort_signed_attributes=False)
    info = signed_data(build_signed_data(CONTENT, [spec]))["signer_infos"][0]
    assert signed_attr_types(info) == ["1.2.840.113549.1.9.4", "1.2.840.113549.1.9.3"]
    items = [attr.dump() for attr in info["signed_attrs"]]
    assert items != sorted(items)
    public = signer.certificate.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    public.verify(
        info["signature"].native, info["signed_attrs"].untag().dump(), ec.ECDSA(hashes.SHA256())
    )
    empty = signed_data(build_signed_data(CONTENT, [signer.signer_spec(signed_attributes=[])]))
    raw_info = empty["signer_infos"][0].dump()
    assert b"\xa0\x00" in raw_info
    assert len(empty["signer_infos"][0]["signed_attrs"]) == 0


def test_extra_signed_attributes_and_content_type(signers: dict[str, MockSigner]) -> None:
    extra = signing_time_attribute(datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC))
    spec = signers["ec"].signer_spec(
        extra_signed_attributes=[extra], content_type="1.2.840.113549.1.9.16.1.4"
    )
    sd = signed_data(build_signed_data(CONTENT, [spec]))
    info = sd["signer_infos"][0]
    assert attr_values(info, "1.2.840.113549.1.9.5") == [b"\x17\x0d991231235959Z"]
    (ct,) = attr_values(info, "1.2.840.113549.1.9.3")
    assert ct == _der.oid("1.2.840.113549.1.9.16.1.4")


def test_multiple_signers_and_versions(signers: dict[str, MockSigner]) -> None:
    specs = [
        signers["ec"].signer_spec(),
        signers["rsa"].signer_spec(digest="sha384"),
        signers["ed25519"].signer_spec(),
        signers["ec-p384"].signer_spec(),
    ]
    sd = signed_data(build_signed_data(CONTENT, specs, certificates=[signers["ec"].certificate]))
    assert len(sd["signer_infos"]) == 4
    assert sorted(a["algorithm"].native for a in sd["digest_algorithms"]) == [
        "sha256",
        "sha384",
        "sha512",
    ]
    assert sd["version"].native == "v1"
    other_type = build_signed_data(CONTENT, specs[:1], econtent_type="1.2.840.113549.1.9.16.1.4")
    assert signed_data(other_type)["version"].native == "v3"
    forced = build_signed_data(CONTENT, specs[:1], version=4)
    assert signed_data(forced)["version"].native == "v4"
    v5_info = build_signed_data(CONTENT, [signers["ec"].signer_spec(version=5)])
    assert signed_data(v5_info)["signer_infos"][0]["version"].native == "v5"
    none = build_signed_data(CONTENT, [])
    assert len(signed_data(none)["signer_infos"]) == 0


@pytest.mark.interop
def test_attached_content(
    openssl: str, tmp_path: Path, root: MockCA, signers: dict[str, MockSigner]
) -> None:
    signer = signers["ec"]
    der = build_signed_data(
        CONTENT, [signer.signer_spec()], detached=False, certificates=signer.chain
    )
    assert signed_data(der)["encap_content_info"]["content"].native == CONTENT
    result = openssl_cms_verify(openssl, tmp_path, der, root, content=None)
    assert_openssl_ok(result)
    assert (tmp_path / "out.bin").read_bytes() == CONTENT


def test_raw_certificates_crls_and_order(signers: dict[str, MockSigner]) -> None:
    leaf, inter = signers["ec"].chain
    leaf_der = leaf.public_bytes(serialization.Encoding.DER)
    inter_der = inter.public_bytes(serialization.Encoding.DER)
    junk = _der.sequence(_der.integer(1))
    crl = _der.sequence(_der.integer(2))
    order = sorted([leaf_der, inter_der])[::-1]
    der = build_signed_data(
        CONTENT,
        [],
        certificates=[x509.load_der_x509_certificate(order[0]), order[1]],
        crls=[crl],
        sort_certificates=False,
    )
    sd_der = acms.ContentInfo.load(der)["content"]
    assert [c.chosen.dump() for c in sd_der["certificates"]] == order
    assert sd_der["crls"].contents == crl
    junk_der = build_signed_data(CONTENT, [], certificates=[junk])
    assert junk in junk_der
    custom = build_signed_data(CONTENT, [], digest_algorithms=[_der.sequence(_der.oid("1.2.3.4"))])
    assert [a["algorithm"].dotted for a in signed_data(custom)["digest_algorithms"]] == ["1.2.3.4"]


@pytest.mark.parametrize(
    ("spec_kwargs", "content", "field"),
    [
        ({}, None, "content"),
        ({"attributes": False}, None, "content"),
        ({"digest": "md5"}, CONTENT, "digest"),
        ({"sid": "name"}, CONTENT, "sid"),
        ({"attributes": False, "signed_attributes": []}, CONTENT, "signed_attributes"),
        ({"signing_certificate": "v3"}, CONTENT, "signing_certificate"),
        ({"signed_attributes": ["1.2.3"]}, CONTENT, "attribute"),
        ({"signed_attributes": [("1.2.3", b"\x05\x00")]}, CONTENT, "attribute 1.2.3"),
        ({"unsigned_attributes": [("1.2.3", ["text"])]}, CONTENT, "attribute 1.2.3"),
        ({"digest": "shake256"}, CONTENT, "digest"),
    ],
)
def test_build_signed_data_rejects_bad_specs(
    signers: dict[str, MockSigner], spec_kwargs: dict[str, Any], content: bytes | None, field: str
) -> None:
    spec = signers["ec"].signer_spec(**spec_kwargs)
    with pytest.raises(InvalidArgument, match=field):
        build_signed_data(content, [spec])


def test_build_signed_data_rejects_missing_pieces(signers: dict[str, MockSigner]) -> None:
    with pytest.raises(InvalidArgument, match="private_key"):
        build_signed_data(CONTENT, [SignerSpec(certificate=signers["ec"].certificate)])
    with pytest.raises(InvalidArgument, match="certificate"):
        build_signed_data(CONTENT, [SignerSpec(private_key=signers["ec"].private_key)])
    with pytest.raises(InvalidArgument, match="content"):
        build_signed_data(None, [], detached=False)
    with pytest.raises(InvalidArgument, match="signers"):
        build_signed_data(CONTENT, ["spec"])  # type: ignore[list-item]
    with pytest.raises(InvalidArgument, match="signer_spec"):
        signers["ec"].signer_spec(no_such_field=1)
    with pytest.raises(InvalidArgument, match="private_key"):
        build_signed_data(CONTENT, [SignerSpec(private_key="k", sid_der=b"\x80\x00")])  # type: ignore[arg-type]


# --- pytest plugin ----------------------------------------------------------------------------


def test_plugin_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from datetime import UTC, datetime, timedelta

        from cryptography import x509

        def test_fixtures(
            bayident_start, bayident_clock, bayident_ca, bayident_signer, bayident_intermediate_ca
        ):
            assert bayident_clock.now() == bayident_start
            assert abs(datetime.now(UTC) - bayident_start) < timedelta(hours=1)
            bayident_clock.advance(timedelta(days=1))
            assert bayident_ca.parent is None
            assert bayident_ca.clock.now() == bayident_start
            assert bayident_signer.issuer is bayident_intermediate_ca
            assert bayident_intermediate_ca.parent is bayident_ca
            assert bayident_signer.chain == [
                bayident_signer.certificate, bayident_intermediate_ca.certificate
            ]
            assert bayident_signer.sign_detached_cms(b"x")[:1] == b"\\x30"

        def test_clock_is_fresh(bayident_start, bayident_clock, bayident_ca):
            assert bayident_clock.now() == bayident_start
            test_clock_is_fresh.ca = bayident_ca

        def test_ca_is_session_wide(bayident_ca):
            assert test_clock_is_fresh.ca is bayident_ca

        def test_signers_are_fresh(bayident_signer):
            previous = getattr(test_signers_are_fresh, "seen", None)
            test_signers_are_fresh.seen = bayident_signer
            assert previous is None

        def test_signers_are_fresh_again(bayident_signer):
            assert test_signers_are_fresh.seen is not bayident_signer
        """
    )
    registered = importlib.metadata.entry_points(group="pytest11", name="bayident")
    args = ["-p", "no:cacheprovider", "-p", "no:asyncio"]
    if not registered:
        args += ["-p", "bayident.testing._plugin"]
    result = pytester.runpytest(*args)
    result.assert_outcomes(passed=5)
