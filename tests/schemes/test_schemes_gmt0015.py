"""GDCA/NETCA identity numbers from GM/T 0015 extensions, on certificates built by hand.

The extension values are written byte by byte in the encodings GM/T 0015 gives (the
IdentifyCode CHOICE, PrintableString values) and the plain forms seen in practice
(UTF8String, explicit tags, bare ASCII), not with the library's own encoder.
"""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st

from bayident import AssuranceLevel
from bayident.schemes import CertificateView, ProfileError
from bayident.schemes._gmt0015 import read_identity_value
from bayident.schemes.guangdong_ca import (
    GuangdongCAAdapter,
    gdca_profile,
    gmt0015_extension,
    netca_profile,
)
from bayident.testing import MockClock, MockGuangdongCA

NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
RIC = "11010519491231002X"
USCC = "91440300708461136T"
_ROOT_KEY = ec.generate_private_key(ec.SECP256R1())


def _name(cn: str, serial: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if serial is not None:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial))
    return x509.Name(attrs)


_ROOT = (
    x509.CertificateBuilder()
    .subject_name(_name("Sandbox GDCA Test Root"))
    .issuer_name(_name("Sandbox GDCA Test Root"))
    .public_key(_ROOT_KEY.public_key())
    .serial_number(1)
    .not_valid_before(NOW - dt.timedelta(days=1))
    .not_valid_after(NOW + dt.timedelta(days=30))
    .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    .sign(_ROOT_KEY, hashes.SHA256())
)


def _leaf(
    extensions: list[tuple[str, bytes]], *, cn: str = "李小明", serial: str | None = None
) -> CertificateView:
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn, serial))
        .issuer_name(_ROOT.subject)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=30))
    )
    for oid, value in extensions:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), value), critical=False
        )
    cert = builder.sign(_ROOT_KEY, hashes.SHA256())
    from cryptography.hazmat.primitives.serialization import Encoding

    return CertificateView(certificate=cert, der=cert.public_bytes(Encoding.DER), issuers=(_ROOT,))


def _identity(view: CertificateView, adapter: GuangdongCAAdapter | None = None):  # type: ignore[no-untyped-def]
    adapter = adapter or GuangdongCAAdapter(gdca_profile())
    match = adapter.match_certificate(view)
    assert match is not None
    return adapter.certificate_identity(view, match)


def _tlv(tag: int, text: str, encoding: str = "ascii") -> bytes:
    raw = text.encode(encoding)
    return bytes([tag, len(raw)]) + raw


def _org_code(first8: str) -> str:
    # GB 11714: weights 3 7 9 10 5 8 4 2; check = 11 - sum mod 11 (10 -> X, 11 -> 0).
    total = sum(int(c, 36) * w for c, w in zip(first8, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    c = 11 - total % 11
    return first8 + ("X" if c == 10 else "0" if c == 11 else str(c))


def _registration(first14: str) -> str:
    # ISO 7064 MOD 11,10: the check digit makes the final running value 1.
    p = 10
    for d in first14:
        s = (p + int(d)) % 10 or 10
        p = (2 * s) % 11
    return first14 + str((11 - p) % 10)


@pytest.mark.parametrize(
    ("oid", "value"),
    [
        # GM/T 0015 IdentifyCode, residenterCardNumber [0] IMPLICIT PrintableString.
        ("1.2.156.10260.4.1.1", _tlv(0x80, RIC)),
        # The same, explicitly tagged around a PrintableString.
        ("1.2.156.10260.4.1.1", bytes([0xA0, len(RIC) + 2]) + _tlv(0x13, RIC)),
        # A plain PrintableString / UTF8String, as RSA-era certificates carry it.
        ("1.2.86.11.7.1", _tlv(0x13, RIC)),
        ("1.2.86.11.7.1", _tlv(0x0C, RIC, "utf-8")),
        # Bare ASCII without a DER header.
        ("1.2.86.11.7.1", RIC.encode()),
        # GM/T 0015-2023 identity numbers.
        ("1.2.156.10260.4.1.1.1", _tlv(0x13, RIC)),
    ],
)
def test_resident_identity_number_from_extension(oid: str, value: bytes) -> None:
    ident = _identity(_leaf([(oid, value)]))
    assert ident.identifier("CN_RIC") is not None
    assert ident.identifier("CN_RIC").value == RIC  # type: ignore[union-attr]
    assert oid in (ident.identifier("CN_RIC").verified_by or "")  # type: ignore[union-attr]
    assert ident.subject_type == "person"
    assert ident.assurance.level is AssuranceLevel.SUBSTANTIAL
    assert ident.assurance.scheme_level == "personal"


@pytest.mark.parametrize(
    ("oid", "value", "kind", "expected"),
    [
        ("1.2.156.10260.4.1.4", _tlv(0x13, USCC), "CN_USCC", USCC),
        ("1.2.156.10260.4.4", _tlv(0x13, USCC), "CN_USCC", USCC),
        ("1.2.86.11.7.4", _tlv(0x0C, USCC, "utf-8"), "CN_USCC", USCC),
        ("1.2.156.10260.4.1.3", _tlv(0x13, USCC), "CN_USCC", USCC),
        ("1.2.156.10260.4.1.4", _tlv(0x13, _org_code("70846113")), "CN_ORG_CODE", None),
        ("1.2.86.11.7.3", _tlv(0x13, _registration("44030010000000")), "CN_BRN", None),
        ("1.2.156.10260.4.1.5", _tlv(0x13, "440300708461136"), "CN_TIN", None),
    ],
)
def test_organisation_numbers_from_extension(
    oid: str, value: bytes, kind: str, expected: str | None
) -> None:
    ident = _identity(_leaf([(oid, value)], cn="广东示例科技有限公司"))
    got = ident.identifier(kind)
    assert got is not None
    if expected is not None:
        assert got.value == expected
    assert ident.subject_type == "organisation"
    assert ident.assurance.scheme_level == "organisation"


@pytest.mark.parametrize(
    ("oid", "value"),
    [
        ("1.2.156.10260.4.1.1", _tlv(0x80, RIC[:-1] + "1")),  # wrong check character
        ("1.2.156.10260.4.4", _tlv(0x13, USCC[:-1] + "U")),
        ("1.2.156.10260.4.1.4", _tlv(0x13, "70846113" + "5")),
        ("1.2.86.11.7.3", _tlv(0x13, "440300100000001")),
        ("1.2.156.10260.4.1.1", bytes([0x02, 0x01, 0x05])),  # an INTEGER
        ("1.2.156.10260.4.1.1", bytes([0x13, 0x7F]) + b"1"),  # length beyond the value
        ("1.2.156.10260.4.1.1", b"\x00\xff"),
    ],
)
def test_invalid_extension_values_are_refused_naming_the_extension(oid: str, value: bytes) -> None:
    view = _leaf([(oid, value)])
    with pytest.raises(ProfileError) as caught:
        _identity(view)
    assert caught.value.field == f"extension.{oid}"


def test_other_identify_code_alternatives_are_kept_unverified() -> None:
    passport = bytes([0x82, 9]) + b"E12345678"
    ident = _identity(_leaf([("1.2.156.10260.4.1.1", passport)]))
    got = ident.identifier("PASSPORT")
    assert got is not None
    assert got.value == "E12345678"
    assert "no public check" in (got.verified_by or "")


def test_extensions_win_and_the_subject_is_the_fallback() -> None:
    other = "440524188001010014"
    both = _identity(_leaf([("1.2.156.10260.4.1.1", _tlv(0x80, RIC))], serial=other))
    assert [i.value for i in both.identifiers if i.kind == "CN_RIC"] == [RIC]
    fallback = _identity(_leaf([], serial=RIC))
    ric = fallback.identifier("CN_RIC")
    assert ric is not None
    assert "subject attribute" in (ric.verified_by or "")


def test_netca_reads_them_too() -> None:
    view = _leaf([("1.2.156.10260.4.1.4", _tlv(0x13, USCC))], cn="深圳示例")
    root = (
        x509.CertificateBuilder()
        .subject_name(_name("Sandbox NETCA Test Root"))
        .issuer_name(_name("Sandbox NETCA Test Root"))
        .public_key(_ROOT_KEY.public_key())
        .serial_number(3)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=30))
        .sign(_ROOT_KEY, hashes.SHA256())
    )
    netca_view = CertificateView(certificate=view.certificate, der=view.der, issuers=(root,))
    ident = _identity(netca_view, GuangdongCAAdapter(netca_profile()))
    assert ident.identifier("CN_USCC") is not None


def test_the_encoder_writes_what_the_reader_reads() -> None:
    assert gmt0015_extension("person", RIC) == ("1.2.156.10260.4.1.1", _tlv(0x80, RIC))
    assert gmt0015_extension("organisation", USCC, algorithm="rsa") == (
        "1.2.86.11.7.4",
        _tlv(0x13, USCC),
    )


@pytest.mark.parametrize("algorithm", ["rsa", "sm2"])
@pytest.mark.parametrize("edition", ["2012", "2023"])
def test_the_sandbox_ca_issues_identity_extensions(algorithm: str, edition: str) -> None:
    if algorithm == "sm2":
        pytest.importorskip("tongsuopy")
    import bayident

    ca = MockGuangdongCA(algorithm=algorithm, clock=MockClock(NOW), edition=edition)  # type: ignore[arg-type]
    for signer, kind in (
        (ca.issue_person("李小明", RIC), "CN_RIC"),
        (ca.issue_organisation("某公司", USCC), "CN_USCC"),
    ):
        subject_serials = signer.certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
        assert subject_serials == []  # the number is in the extension only
        res = bayident.verify(
            signer.sign_detached_cms(b"doc"), content=b"doc", trust=ca.trust_store(), at=NOW
        )
        assert res.passed, res.explain()
        assert res.identity is not None
        got = res.identity.identifier(kind)
        assert got is not None
        assert "extension" in (got.verified_by or "")
    assert "sandbox" in ca._root_certificate().subject.rfc4514_string().lower()


@given(st.binary(max_size=300))
def test_reading_any_extension_value_never_raises(value: bytes) -> None:
    read = read_identity_value(value)
    assert read is None or isinstance(read[0], str)


def test_mock_sm2_ca_writes_identity_extensions() -> None:
    pytest.importorskip("tongsuopy")
    from bayident.testing import MockSM2CA

    ca = MockSM2CA("Sandbox GDCA SM2 Test Root", clock=MockClock(NOW))
    person = ca.issue_signer("李小明", resident_id=RIC)
    ext = person.certificate.extensions.get_extension_for_oid(
        x509.ObjectIdentifier("1.2.156.10260.4.1.1")
    )
    assert ext.value.value == _tlv(0x80, RIC)  # type: ignore[attr-defined]
    org = ca.issue_signer("某公司", unified_social_credit_code=USCC)
    ext = org.certificate.extensions.get_extension_for_oid(
        x509.ObjectIdentifier("1.2.156.10260.4.1.4")
    )
    assert ext.value.value == _tlv(0x13, USCC)  # type: ignore[attr-defined]
    bare = ca.issue_signer("某公司", unified_social_credit_code=USCC, identity_extensions=False)
    oids = {e.oid.dotted_string for e in bare.certificate.extensions}
    assert "1.2.156.10260.4.1.4" not in oids


@pytest.mark.parametrize("algorithm", ["rsa", "sm2"])
def test_a_subject_only_sandbox_ca_writes_no_extension(algorithm: str) -> None:
    if algorithm == "sm2":
        pytest.importorskip("tongsuopy")
    ca = MockGuangdongCA(algorithm=algorithm, clock=MockClock(NOW), identity_in="subject")  # type: ignore[arg-type]
    signer = ca.issue_person("李小明", RIC)
    oids = {e.oid.dotted_string for e in signer.certificate.extensions}
    assert not any(o.startswith(("1.2.156.10260.4", "1.2.86.11.7")) for o in oids)
    assert signer.certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
