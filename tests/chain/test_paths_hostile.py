"""Certificate paths under hostile or malformed input: anchors, decoys, time, length, profile."""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

from bayident import Policy, SubIndication, TrustStore, TrustStoreError, Verifier

AT = dt.datetime(2026, 6, 1, 12, 0, 0, tzinfo=dt.UTC)
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
END = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
DER = serialization.Encoding.DER


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _cert(
    subject: str,
    key: Any,
    issuer: str | None = None,
    issuer_key: Any = None,
    *,
    ca: bool | None = True,
    not_before: dt.datetime = START,
    not_after: dt.datetime = END,
    ski: bool = True,
    extra: tuple[tuple[Any, bool], ...] = (),
) -> x509.Certificate:
    issuer_key = issuer_key or key
    b = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer or subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    if ca is not None:
        b = b.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    if ca:
        b = b.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
    else:
        b = b.add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), True
        )
    if ski:
        b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    if issuer is not None and issuer != subject:
        b = b.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
    for ext, critical in extra:
        b = b.add_extension(ext, critical)
    # Ed25519 signs without a separate digest.
    digest = None if isinstance(issuer_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return b.sign(issuer_key, digest)


def _pki() -> tuple[x509.Certificate, Any, x509.Certificate, Any, x509.Certificate]:
    rk, ik, lk = _key(), _key(), _key()
    root = _cert("Root", rk)
    inter = _cert("Issuing CA", ik, "Root", rk)
    leaf = _cert("Signer", lk, "Issuing CA", ik, ca=False)
    return root, rk, inter, ik, leaf


def _der(c: x509.Certificate) -> bytes:
    return c.public_bytes(DER)


def _validate(trust: Any, leaf: bytes, inter: list[bytes], **kw: Any) -> Any:
    return Verifier(trust=trust).validate_certificate(leaf, intermediates=inter, **kw)


def test_valid_path_passes() -> None:
    root, _, inter, _, leaf = _pki()
    result = _validate([_der(root)], _der(leaf), [_der(inter)], at=AT)
    assert result.passed, result.explain()


def test_malformed_anchor_in_trust_gives_a_result_not_an_exception() -> None:
    rk = _key()
    # An iPAddress constraint of five octets: no IPv4 network and mask.
    bad_nc = x509.UnrecognizedExtension(
        x509.oid.ExtensionOID.NAME_CONSTRAINTS,
        bytes.fromhex("300ba009300787050a00000000"),
    )
    root = _cert("Root", rk, extra=((bad_nc, True),))
    ik = _key()
    inter = _cert("Issuing CA", ik, "Root", rk)
    lk = _key()
    leaf = _cert("Signer", lk, "Issuing CA", ik, ca=False)
    result = _validate([_der(root)], _der(leaf), [_der(inter)], at=AT)
    assert not result.passed
    assert "Root" in result.explain()


@pytest.mark.parametrize("garbage", [b"", b"\x30\x03\x02\x01\x01", b"not a certificate"])
def test_unreadable_anchor_is_a_trust_store_error(garbage: bytes) -> None:
    with pytest.raises(TrustStoreError, match="certificate bytes"):
        TrustStore.from_certificates([garbage])


def test_malformed_extra_certificate_is_a_warning() -> None:
    root, _, inter, _, leaf = _pki()
    result = _validate([_der(root)], _der(leaf), [_der(inter), b"\x30\x03\x02\x01\x01"], at=AT)
    assert result.passed
    assert any("malformed" in w for w in result.warnings)


def test_signature_bit_string_with_unused_bits_is_refused() -> None:
    root, _, inter, _, leaf = _pki()
    der = bytearray(_der(inter))
    # The last element is the signature BIT STRING (tag, one length octet for an EC
    # signature, the unused-bits octet, the signature); that octet counts unused bits.
    signature = x509.load_der_x509_certificate(bytes(der)).signature
    sig_tag = len(der) - len(signature) - 3
    assert der[sig_tag] == 0x03
    tlv_len = der[sig_tag + 1]
    assert sig_tag + 2 + tlv_len == len(der)
    der[sig_tag + 2] = 1
    result = _validate([_der(root)], _der(leaf), [bytes(der)], at=AT)
    assert not result.passed
    assert "Issuing CA" in result.explain()


def test_anchor_that_is_not_a_ca_issues_nothing_unless_anchors_are_bare() -> None:
    rk, lk = _key(), _key()
    root = _cert("Service", rk, ca=False)
    leaf = _cert("Signer", lk, "Service", rk, ca=False)
    result = _validate([_der(root)], _der(leaf), [], at=AT)
    assert not result.passed
    assert "trust anchor 'CN=Service'" in result.explain()
    assert "not a CA" in result.explain()
    bare = Policy(trust_anchor_constraints=False)
    assert _validate([_der(root)], _der(leaf), [], at=AT, policy=bare).passed


def test_expired_anchor_fails() -> None:
    rk, lk = _key(), _key()
    root = _cert("Root", rk, not_after=AT - dt.timedelta(days=1))
    leaf = _cert("Signer", lk, "Root", rk, ca=False)
    result = _validate([_der(root)], _der(leaf), [], at=AT)
    assert not result.passed
    assert result.sub_indication is SubIndication.OUT_OF_BOUNDS_NO_POE


@pytest.mark.parametrize("seconds", [1, 5])
def test_no_clock_skew_for_a_callers_time(seconds: int) -> None:
    rk, lk = _key(), _key()
    root = _cert("Root", rk)
    leaf = _cert("Signer", lk, "Root", rk, ca=False, not_after=AT - dt.timedelta(seconds=seconds))
    result = _validate([_der(root)], _der(leaf), [], at=AT)
    assert not result.passed
    assert result.sub_indication is SubIndication.OUT_OF_BOUNDS_NO_POE


def test_clock_skew_applies_to_the_current_time() -> None:
    rk, lk = _key(), _key()
    root = _cert("Root", rk)
    leaf = _cert("Signer", lk, "Root", rk, ca=False, not_after=AT - dt.timedelta(seconds=5))
    verifier = Verifier(trust=[_der(root)], clock=lambda: AT)
    assert verifier.validate_certificate(_der(leaf)).passed
    late = Verifier(trust=[_der(root)], clock=lambda: AT + dt.timedelta(minutes=10))
    assert not late.validate_certificate(_der(leaf)).passed


def test_validity_is_compared_at_whole_seconds() -> None:
    rk, lk = _key(), _key()
    root = _cert("Root", rk)
    leaf = _cert("Signer", lk, "Root", rk, ca=False, not_after=AT)
    assert _validate([_der(root)], _der(leaf), [], at=AT + dt.timedelta(microseconds=999)).passed
    assert not _validate([_der(root)], _der(leaf), [], at=AT + dt.timedelta(seconds=1)).passed


def test_decoys_named_like_the_issuer_do_not_hide_it() -> None:
    root, _rk, inter, _ik, leaf = _pki()
    decoys = [_der(_cert("Issuing CA", _key(), "Root", _key())) for _ in range(12)]
    result = _validate([_der(root)], _der(leaf), [*decoys, _der(inter)], at=AT)
    assert result.passed, result.explain()


def test_max_chain_length_does_not_count_self_issued_and_says_it_stopped() -> None:
    rk, k1, k2, lk = _key(), _key(), _key(), _key()
    root = _cert("Root", rk)
    ca1 = _cert("CA", k1, "Root", rk)
    # A key roll-over: "CA" (new key) certified by "CA" (old key), self-issued.
    ca2 = _cert("CA", k2, "CA", k1)
    leaf = _cert("Signer", lk, "CA", k2, ca=False)
    inter = [_der(ca1), _der(ca2)]
    two = Policy(max_chain_length=2)
    assert _validate([_der(root)], _der(leaf), inter, at=AT, policy=two).passed
    one = Policy(max_chain_length=1)
    result = _validate([_der(root)], _der(leaf), inter, at=AT, policy=one)
    assert not result.passed
    assert "length limit" in result.explain()


def test_missing_ski_on_a_ca_is_refused_unless_relaxed() -> None:
    rk, ik, lk = _key(), _key(), _key()
    root = _cert("Root", rk)
    inter = _cert("Issuing CA", ik, "Root", rk, ski=False)
    leaf = _cert("Signer", lk, "Issuing CA", ik, ca=False)
    result = _validate([_der(root)], _der(leaf), [_der(inter)], at=AT)
    assert not result.passed
    assert "subjectKeyIdentifier" in result.explain()
    relaxed = Policy(profile_relaxations=("missing-ski",))
    assert _validate([_der(root)], _der(leaf), [_der(inter)], at=AT, policy=relaxed).passed


def test_leaf_with_key_cert_sign_but_no_ca_is_refused() -> None:
    rk, lk = _key(), _key()
    root = _cert("Root", rk)
    ku = x509.KeyUsage(True, False, False, False, False, True, False, False, False)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("Signer"))
        .issuer_name(root.subject)
        .public_key(lk.public_key())
        .serial_number(7)
        .not_valid_before(START)
        .not_valid_after(END)
        .add_extension(ku, True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(rk.public_key()), False)
        .sign(rk, hashes.SHA256())
    )
    result = _validate([_der(root)], _der(leaf), [], at=AT)
    assert not result.passed
    assert "keyCertSign" in result.explain()


def test_name_constraints_of_the_anchor_apply() -> None:
    rk, lk = _key(), _key()
    nc = x509.NameConstraints(
        permitted_subtrees=[x509.DNSName("example.hk")], excluded_subtrees=None
    )
    root = _cert("Root", rk, extra=((nc, True),))
    san = x509.SubjectAlternativeName([x509.DNSName("evil.example.com")])
    leaf = _cert("Signer", lk, "Root", rk, ca=False, extra=((san, False),))
    result = _validate([_der(root)], _der(leaf), [], at=AT)
    assert not result.passed
    assert result.sub_indication is SubIndication.CHAIN_CONSTRAINTS_FAILURE


def test_crl_without_crl_number_is_refused() -> None:
    rk, lk = _key(), _key()
    root = _cert("Root", rk)
    leaf = _cert("Signer", lk, "Root", rk, ca=False)
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(root.subject)
        .last_update(AT - dt.timedelta(days=1))
        .next_update(AT + dt.timedelta(days=1))
        .sign(rk, hashes.SHA256())
    )
    for mode in ("hard-fail", "soft-fail", "require"):
        result = _validate(
            [_der(root)],
            _der(leaf),
            [],
            at=AT,
            crls=[crl.public_bytes(DER)],
            policy=Policy(revocation_mode=mode),
        )
        assert not result.passed, mode
        assert "CRLNumber" in result.explain()


def test_decoys_do_not_hide_the_issuer_in_the_general_engine() -> None:
    # Bare anchors send the path to the general engine (pyhanko-certvalidator).
    root, _, inter, _, leaf = _pki()
    decoys = [_der(_cert("Issuing CA", _key(), "Root", _key(), ski=False)) for _ in range(12)]
    bare = Policy(trust_anchor_constraints=False)
    result = _validate([_der(root)], _der(leaf), [*decoys, _der(inter)], at=AT, policy=bare)
    assert result.passed, result.explain()


def test_flipped_anchor_bytes_never_raise_anything_but_trust_store_error() -> None:
    import random

    from bayident import BayidentError

    root, _, inter, _, leaf = _pki()
    good = _der(root)
    rng = random.Random(5280)
    for _ in range(150):
        der = bytearray(good)
        der[rng.randrange(len(der))] ^= 1 << rng.randrange(8)
        try:
            result = _validate([bytes(der)], _der(leaf), [_der(inter)], at=AT)
        except BayidentError:
            continue
        if bytes(der) != good and result.passed:
            # Only a flip in a part no check reads (e.g. the anchor's own signature) may pass.
            assert x509.load_der_x509_certificate(bytes(der)).public_key() == root.public_key()


def test_flipped_intermediate_bytes_never_raise() -> None:
    import random

    root, _, inter, _, leaf = _pki()
    good = _der(inter)
    rng = random.Random(6960)
    for _ in range(150):
        der = bytearray(good)
        der[rng.randrange(len(der))] ^= 1 << rng.randrange(8)
        result = _validate([_der(root)], _der(leaf), [bytes(der)], at=AT)
        if result.passed:
            # The path then rests on the intact signature: the flip hit no signed byte.
            assert x509.load_der_x509_certificate(bytes(der)).tbs_certificate_bytes == (
                inter.tbs_certificate_bytes
            )


_ANCHOR_CONSTRAINTS = {
    "dns": (x509.DNSName("example.hk"), x509.DNSName("www.example.hk"), x509.DNSName("evil.com")),
    "email": (
        x509.RFC822Name("example.hk"),
        x509.RFC822Name("chan@example.hk"),
        x509.RFC822Name("chan@evil.com"),
    ),
    "uri": (
        x509.UniformResourceIdentifier(".example.hk"),
        x509.UniformResourceIdentifier("https://www.example.hk/id"),
        x509.UniformResourceIdentifier("https://evil.com/id"),
    ),
    "ipv4": (
        x509.IPAddress(ipaddress.ip_network("10.1.0.0/16")),
        x509.IPAddress(ipaddress.ip_address("10.1.2.3")),
        x509.IPAddress(ipaddress.ip_address("10.2.0.1")),
    ),
    "ipv6": (
        x509.IPAddress(ipaddress.ip_network("2001:db8::/32")),
        x509.IPAddress(ipaddress.ip_address("2001:db8::1")),
        x509.IPAddress(ipaddress.ip_address("2001:db9::1")),
    ),
    # The signer's subject (CN=Signer) is a directoryName too: the subtree holds it.
    "directoryName": (
        x509.DirectoryName(_name("Signer")),
        x509.DirectoryName(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, "Signer"),
                    x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Signing"),
                ]
            )
        ),
        x509.DirectoryName(_name("Evil")),
    ),
}


@pytest.mark.parametrize("kind", sorted(_ANCHOR_CONSTRAINTS))
@pytest.mark.parametrize("key_type", ["ec", "ed25519"])
def test_anchor_name_constraints_apply_on_either_engine(kind: str, key_type: str) -> None:
    # An Ed25519 path is decided by the general engine, an EC one by cryptography's
    # verifier: the anchor's own name constraints bind the signer's names on both.

    def key() -> Any:
        return ed25519.Ed25519PrivateKey.generate() if key_type == "ed25519" else _key()

    cert = _cert
    subtree, inside, outside = _ANCHOR_CONSTRAINTS[kind]
    nc = x509.NameConstraints(permitted_subtrees=[subtree], excluded_subtrees=None)
    rk = key()
    root = cert("Root", rk, "Root", rk, extra=((nc, True),))
    verdicts = {}
    for label, name in (("inside", inside), ("outside", outside)):
        lk = key()
        san = x509.SubjectAlternativeName([name])
        leaf = cert("Signer", lk, "Root", rk, ca=False, extra=((san, False),))
        verdicts[label] = _validate([_der(root)], _der(leaf), [], at=AT)
    assert verdicts["inside"].passed, verdicts["inside"].explain()
    outside_result = verdicts["outside"]
    assert not outside_result.passed, f"{kind}: a name outside the anchor's subtree passed"
    assert outside_result.sub_indication is SubIndication.CHAIN_CONSTRAINTS_FAILURE, (
        outside_result.explain()
    )


@pytest.mark.parametrize("key_type", ["ec", "ed25519"])
def test_uri_constraints_of_an_intermediate_apply(key_type: str) -> None:
    # cryptography's verifier does not check the URI form; bayident does, on both engines.
    def key() -> Any:
        return ed25519.Ed25519PrivateKey.generate() if key_type == "ed25519" else _key()

    rk, ik = key(), key()
    nc = x509.NameConstraints(
        permitted_subtrees=None,
        excluded_subtrees=[x509.UniformResourceIdentifier(".evil.com")],
    )
    root = _cert("Root", rk)
    inter = _cert("Issuing CA", ik, "Root", rk, extra=((nc, True),))
    verdicts = {}
    for uri in ("https://id.example.hk/p/1", "https://login.evil.com/p/1"):
        san = x509.SubjectAlternativeName([x509.UniformResourceIdentifier(uri)])
        leaf = _cert("Signer", key(), "Issuing CA", ik, ca=False, extra=((san, False),))
        verdicts[uri] = _validate([_der(root)], _der(leaf), [_der(inter)], at=AT)
    assert verdicts["https://id.example.hk/p/1"].passed
    refused = verdicts["https://login.evil.com/p/1"]
    assert refused.sub_indication is SubIndication.CHAIN_CONSTRAINTS_FAILURE
    assert "login.evil.com" in refused.explain()
    assert "Issuing CA" in refused.explain()


def test_an_anchor_email_constraint_binds_the_subject_email_address() -> None:
    # Without an rfc822Name in the SAN, the subject's emailAddress is what is constrained.
    rk, lk = ed25519.Ed25519PrivateKey.generate(), ed25519.Ed25519PrivateKey.generate()
    nc = x509.NameConstraints(
        permitted_subtrees=[x509.RFC822Name("example.hk")], excluded_subtrees=None
    )
    root = _cert("Root", rk, extra=((nc, True),))
    leaf = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, "Signer"),
                    x509.NameAttribute(NameOID.EMAIL_ADDRESS, "chan@evil.com"),
                ]
            )
        )
        .issuer_name(root.subject)
        .public_key(lk.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(START)
        .not_valid_after(END)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(rk.public_key()), False)
        .sign(rk, None)
    )
    result = _validate([_der(root)], _der(leaf), [], at=AT)
    assert result.sub_indication is SubIndication.CHAIN_CONSTRAINTS_FAILURE
    assert "chan@evil.com" in result.explain()
