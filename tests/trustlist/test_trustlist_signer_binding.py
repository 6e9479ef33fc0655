"""Who signed an ETSI list: the XAdES SigningCertificate(V2) binding, forged KeyInfo certificates,
unreadable ones, and the integrity of a list whose version is not supported."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from _trustlist_kit import NOW, conformance_dir, operator
from bayident.cli import main
from bayident.testing import ListRoute, mock_transport
from bayident.trustlist import (
    ListSource,
    SignatureStatus,
    TrustListManager,
    TrustListValidator,
    load_trusted_list,
    read_json_list,
    read_trusted_list,
    to_etsi_xml,
)
from bayident.trustlist._xades import BindingError, check_signer_binding

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"


def more_dir() -> Path:
    d = conformance_dir().parent / "etsi-tl-more"
    if not d.is_dir():
        pytest.skip(f"conformance data not found at {d}")
    return d


# --- helpers: forged KeyInfo certificates ----------------------------------------------------


def keyinfo_der(xml: bytes) -> tuple[str, bytes]:
    root = etree.fromstring(xml)
    el = root.find(f"{{{DS}}}Signature/{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate")
    assert el is not None
    text = el.text or ""
    return text, base64.b64decode("".join(text.split()))


def with_keyinfo(xml: bytes, der: bytes) -> bytes:
    """The same bytes with only the KeyInfo certificate replaced (no re-serialisation)."""
    start = xml.index(b"X509Certificate>", xml.index(b"KeyInfo")) + len(b"X509Certificate>")
    end = xml.index(b"</", start)
    return xml[:start] + base64.b64encode(der) + xml[end:]


def same_key_other_cert(der: bytes, *, subject: str | None = None, shift_days: int = 0) -> bytes:
    """A certificate holding the same public key with another subject or validity period."""
    real = x509.load_der_x509_certificate(der)
    issuer_key = ec.generate_private_key(ec.SECP256R1())
    name = (
        x509.Name.from_rfc4514_string(subject) if subject is not None else real.subject
    )  # a forger chooses any name
    forged = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(real.issuer)
        .public_key(real.public_key())  # type: ignore[arg-type]
        .serial_number(real.serial_number)
        .not_valid_before(real.not_valid_before_utc)
        .not_valid_after(real.not_valid_after_utc + dt.timedelta(days=shift_days))
        .sign(issuer_key, hashes.SHA256())
    )
    return forged.public_bytes(Encoding.DER)


def bad_version(der: bytes) -> bytes:
    """The certificate with its version field set to an undefined value (v8)."""
    marker = b"\xa0\x03\x02\x01\x02"
    assert marker in der[:16]
    return der.replace(marker, b"\xa0\x03\x02\x01\x07", 1)


@pytest.fixture(scope="module")
def hk_xml() -> bytes:
    return operator("HK").etsi_xml(sequence=3)


# --- the binding -----------------------------------------------------------------------------


def test_a_signed_binding_names_the_signer(hk_xml: bytes) -> None:
    doc = read_trusted_list(hk_xml)
    assert doc.status is SignatureStatus.VALID
    assert doc.signer_binding == "certificate"
    assert doc.signer_certificate == operator("HK").signer_certificate
    assert "SigningCertificate" in doc.reason


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda d: same_key_other_cert(d, subject="CN=Forged Operator,C=HK"), id="cn"),
        pytest.param(lambda d: same_key_other_cert(d, shift_days=3650), id="not-after"),
    ],
)
def test_a_forged_keyinfo_certificate_is_invalid(hk_xml: bytes, forge) -> None:  # type: ignore[no-untyped-def]
    _, der = keyinfo_der(hk_xml)
    doc = read_trusted_list(with_keyinfo(hk_xml, forge(der)))
    # Our writer also covers KeyInfo with a reference, so the digest of that reference fails.
    assert doc.status is SignatureStatus.INVALID, doc.describe()
    assert doc.signer_certificate is None
    assert doc.trusted_list is None


@pytest.mark.parametrize(
    "name", ["eu-lotl.xml", "fi-v6.xml", "sk-tl.xml", "tl-ecdsa-brainpool.xml"]
)
def test_real_lists_with_a_forged_keyinfo_certificate_are_invalid(name: str) -> None:
    raw = (conformance_dir() / name).read_bytes()
    _, der = keyinfo_der(raw)
    forged = with_keyinfo(raw, same_key_other_cert(der, subject="CN=Somebody Else,C=EU"))
    assert load_trusted_list(conformance_dir() / name).signer_binding == "certificate"
    doc = read_trusted_list(forged)
    # Real lists leave KeyInfo unsigned: the signed SigningCertificate(V2) catches the swap.
    assert doc.status is SignatureStatus.INVALID, doc.describe()
    assert "replaced after signing" in doc.reason
    assert doc.field is not None
    assert "SigningCertificate" in doc.field
    assert doc.signer_certificate is None
    assert "Somebody Else" in doc.reason  # names the certificate that is not the signer


@pytest.mark.parametrize("name", ["eu-lotl.xml", "fi-v6.xml"])
def test_real_lists_with_only_the_keyinfo_not_after_changed_are_invalid(name: str) -> None:
    raw = (conformance_dir() / name).read_bytes()
    _, der = keyinfo_der(raw)
    doc = read_trusted_list(with_keyinfo(raw, same_key_other_cert(der, shift_days=3650)))
    assert doc.status is SignatureStatus.INVALID, doc.describe()
    assert "replaced after signing" in doc.reason
    assert doc.signer_certificate is None


def test_a_list_without_signed_properties_is_key_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    op = operator("HK")
    plain = to_etsi_xml(op.trusted_list(), op.signing_key, op.signer_certificate, xades=False)
    doc = read_trusted_list(plain)
    assert doc.status is SignatureStatus.VALID
    assert doc.signer_binding == "key-only"
    assert doc.signer_certificate is None
    assert doc.signer_spki is not None
    assert "key only" in doc.reason or "public key only" in doc.reason
    # A forged KeyInfo certificate changes nothing shown: no certificate field is reported.
    _, der = keyinfo_der(plain)
    forged = read_trusted_list(
        with_keyinfo(plain, same_key_other_cert(der, subject="CN=Forged,C=HK"))
    )
    assert forged.status is SignatureStatus.VALID
    assert forged.signer_certificate is None
    assert "Forged" not in forged.reason
    # Trust by pinned key still works.
    acc = TrustListValidator().accept(forged, signers=[op.signer_certificate], at=NOW, commit=False)
    assert acc.accepted, acc.reason
    # The CLI shows the key, never the unsigned certificate's names.
    path = tmp_path / "key-only.xml"
    path.write_bytes(with_keyinfo(plain, same_key_other_cert(der, subject="CN=Forged,C=HK")))
    assert main(["trustlist", "inspect", "--json", str(path)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["signer_binding"] == "key-only"
    assert summary["signer"].startswith("key only")
    assert "Forged" not in json.dumps(summary)
    assert summary["signer_sha256"] is None
    assert summary["signer_key_sha256"]


def _signed_properties(cert_der: bytes, *, serial: int, issuer: str, when: str) -> etree._Element:
    import hashlib

    sp = etree.Element(f"{{{XADES}}}SignedProperties")
    ssp = etree.SubElement(sp, f"{{{XADES}}}SignedSignatureProperties")
    etree.SubElement(ssp, f"{{{XADES}}}SigningTime").text = when
    sc = etree.SubElement(ssp, f"{{{XADES}}}SigningCertificate")
    c = etree.SubElement(sc, f"{{{XADES}}}Cert")
    cd = etree.SubElement(c, f"{{{XADES}}}CertDigest")
    etree.SubElement(
        cd, f"{{{DS}}}DigestMethod", Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"
    )
    etree.SubElement(cd, f"{{{DS}}}DigestValue").text = base64.b64encode(
        hashlib.sha256(cert_der).digest()
    ).decode()
    iss = etree.SubElement(c, f"{{{XADES}}}IssuerSerial")
    etree.SubElement(iss, f"{{{DS}}}X509IssuerName").text = issuer
    etree.SubElement(iss, f"{{{DS}}}X509SerialNumber").text = str(serial)
    return sp


def test_issuer_serial_and_signing_time_are_checked() -> None:
    cert = operator("HK").signer_certificate
    der = cert.public_bytes(Encoding.DER)
    issuer = cert.issuer.rfc4514_string()
    inside = (cert.not_valid_before_utc + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ok = _signed_properties(der, serial=cert.serial_number, issuer=issuer, when=inside)
    assert check_signer_binding([ok], cert).kind == "certificate"
    # The same issuer written in another order, with spaces and lower-case keywords.
    reordered = ", ".join(
        reversed([f"{a.rfc4514_attribute_name.lower()}={a.value}" for a in cert.issuer])
    )
    assert (
        check_signer_binding(
            [_signed_properties(der, serial=cert.serial_number, issuer=reordered, when=inside)],
            cert,
        ).kind
        == "certificate"
    )
    cases = {
        "serial": _signed_properties(
            der, serial=cert.serial_number + 1, issuer=issuer, when=inside
        ),
        "issuer": _signed_properties(
            der, serial=cert.serial_number, issuer="CN=Another CA,C=HK", when=inside
        ),
        "time": _signed_properties(
            der, serial=cert.serial_number, issuer=issuer, when="1999-01-01T00:00:00Z"
        ),
    }
    for what, sp in cases.items():
        with pytest.raises(BindingError) as info:
            check_signer_binding([sp], cert)
        assert info.value.status is SignatureStatus.INVALID, what
        assert {"serial": "serial number", "issuer": "issuer", "time": "SigningTime"}[
            what
        ] in info.value.reason
    unreadable = _signed_properties(der, serial=cert.serial_number, issuer="XYZ=1", when=inside)
    with pytest.raises(BindingError) as info:
        check_signer_binding([unreadable], cert)
    assert info.value.status is SignatureStatus.MALFORMED


# --- unreadable KeyInfo and x5c certificates -----------------------------------------------


def test_an_unreadable_keyinfo_certificate_is_malformed(
    hk_xml: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, der = keyinfo_der(hk_xml)
    broken = with_keyinfo(hk_xml, bad_version(der))
    doc = read_trusted_list(broken)
    assert doc.status is SignatureStatus.MALFORMED
    assert "KeyInfo certificate cannot be read" in doc.reason
    assert doc.field == "ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate"
    path = tmp_path / "broken.xml"
    path.write_bytes(broken)
    assert main(["trustlist", "inspect", str(path)]) == 1
    out, err = capsys.readouterr()
    assert "signature_status:  malformed" in out
    assert "Traceback" not in err


def test_the_manager_falls_back_to_its_cache_on_an_unreadable_keyinfo(
    hk_xml: bytes, tmp_path: Path
) -> None:
    routes = {"/hk.xml": ListRoute(hk_xml)}
    signers = (operator("HK").signer_certificate,)

    def manager() -> TrustListManager:
        return TrustListManager(
            [ListSource("https://lists.example/hk.xml", signers=signers)],
            cache_dir=tmp_path,
            client=httpx.Client(transport=mock_transport(routes)),
            clock=lambda: NOW,
        )

    assert manager().refresh().ok
    _, der = keyinfo_der(hk_xml)
    routes["/hk.xml"] = ListRoute(with_keyinfo(hk_xml, bad_version(der)))
    report = manager().refresh()
    assert report.lists[0].accepted
    assert report.lists[0].origin == "fallback"
    assert any("cannot be read" in w for w in report.warnings)
    assert len(report.store) == 1


def test_a_json_list_whose_x5c_certificate_has_a_bad_version() -> None:
    op = operator("HK")
    token = op.json_jws()
    head, payload, sig = token.split(".")
    header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    der = base64.b64decode(header["x5c"][0])
    header["x5c"][0] = base64.b64encode(bad_version(der)).decode()
    new_head = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    doc = read_json_list(f"{new_head}.{payload}.{sig}")
    assert doc.status is SignatureStatus.MALFORMED
    assert doc.field == "header.x5c[0]"


# --- a list in a version not supported: integrity apart --------------------------------------


def _cases() -> list[tuple[str, str]]:
    return [(c["file"], c["expect"]) for c in json.loads((more_dir() / "cases.json").read_text())]


def test_more_real_lists_keep_their_expected_integrity() -> None:
    for name, expect in _cases():
        doc = load_trusted_list(more_dir() / name)
        assert doc.integrity is SignatureStatus(expect), (name, doc.describe())
        if doc.integrity is SignatureStatus.VALID:
            assert doc.signature_verified
            assert doc.signer_binding == "certificate", name


def test_a_version_1_list_has_its_signature_checked_and_its_version_reported() -> None:
    unsupported = []
    for p in sorted(more_dir().glob("*.xml")):
        doc = load_trusted_list(p)
        if doc.field == "SchemeInformation/TSLVersionIdentifier":
            unsupported.append(doc)
    assert unsupported, "the folder holds a list in a version not supported"
    for doc in unsupported:
        assert doc.status is SignatureStatus.UNSUPPORTED
        assert doc.integrity is SignatureStatus.VALID
        assert doc.signature_verified
        assert "signature verifies" in doc.reason
        assert "TSLVersionIdentifier" in doc.reason
        assert doc.trusted_list is None
