"""Hostile and broken lists: each gets a precise status, is never trusted, never a traceback."""

from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path

import pytest
from lxml import etree

from _trustlist_kit import at, operator
from bayident import InvalidArgument
from bayident.cli import main
from bayident.testing import hostile_etsi_xml
from bayident.testing._trustlist import HostileKind
from bayident.trustlist import (
    SignatureStatus,
    TrustListValidator,
    read_etsi_xml,
    read_json_list,
    read_trusted_list,
    sign_json_list,
    to_etsi_xml,
)

S = SignatureStatus


@pytest.fixture(scope="module")
def signed() -> bytes:
    return operator("HK").etsi_xml()


def never_trusted(data: bytes) -> None:
    op = operator("HK")
    doc = read_trusted_list(data)
    acc = TrustListValidator().accept(doc, signers=[op.signer_certificate], at=at())
    assert not acc.accepted
    assert doc.trusted_list is None


def test_the_unaltered_list_is_valid_and_trusted(signed: bytes) -> None:
    doc = read_etsi_xml(signed)
    assert doc.status is S.VALID, doc.describe()
    acc = TrustListValidator().accept(doc, signers=[operator("HK").signer_certificate], at=at())
    assert acc.accepted


@pytest.mark.parametrize(
    ("kind", "status", "words", "field"),
    [
        ("not-well-formed", S.MALFORMED, "not well-formed XML", "document"),
        ("external-entity", S.MALFORMED, "DOCTYPE", "DOCTYPE"),
        ("entity-bomb", S.MALFORMED, "entity expansion", "DOCTYPE"),
        ("second-list", S.INVALID, "second TrustServiceStatusList", "TrustServiceStatusList"),
        ("moved-list", S.INVALID, "signature wrapping", "TrustServiceStatusList"),
        ("reference-elsewhere", S.INVALID, "does not cover the list", "ds:Reference[1]"),
        ("two-signatures", S.INVALID, "2 ds:Signature elements", "ds:Signature"),
        ("signature-moved", S.INVALID, "not a child of the TrustServiceStatusList", "ds:Signature"),
        (
            "wrong-namespace",
            S.MALFORMED,
            "namespace 'http://example.org/not-etsi#'",
            "TrustServiceStatusList",
        ),
        ("wrong-root", S.MALFORMED, "root element is <Envelope>", "document"),
    ],
)
def test_hostile_variants(
    signed: bytes, kind: str, status: SignatureStatus, words: str, field: str
) -> None:
    data = hostile_etsi_xml(signed, kind)  # type: ignore[arg-type]
    doc = read_etsi_xml(data)
    assert doc.status is status, doc.describe()
    assert words in doc.reason
    assert doc.field is not None
    assert doc.field.endswith(field)
    never_trusted(data)


def test_entities_are_never_expanded_or_fetched(signed: bytes, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = hostile_etsi_xml(signed, "external-entity").replace(
        b"file:///etc/passwd", secret.as_uri().encode()
    )
    doc = read_etsi_xml(data)
    assert doc.status is S.MALFORMED
    assert doc.content is None
    assert "TOP-SECRET" not in doc.reason


def test_a_doctype_in_utf16_is_refused_too(signed: bytes) -> None:
    text = hostile_etsi_xml(signed, "external-entity").decode("utf-8")
    text = text.replace('encoding="UTF-8"', 'encoding="UTF-16"')
    doc = read_etsi_xml(text.encode("utf-16"))
    assert doc.status is S.MALFORMED


def test_the_moved_list_is_also_caught_by_the_reference_check(signed: bytes) -> None:
    # Without the second-list rule, the reference to the moved list is still refused.
    data = hostile_etsi_xml(signed, "moved-list")
    root = etree.fromstring(data)
    ns = "{http://uri.etsi.org/02231/v2#}"
    inner = root.find(f"{ns}SchemeInformation/{ns}TrustServiceStatusList")
    assert inner is not None
    inner.tag = f"{ns}Moved"
    doc = read_etsi_xml(etree.tostring(root))
    assert doc.status is S.INVALID
    assert "neither the list root nor part of the signature" in doc.reason


def test_a_correctly_signed_unknown_version_is_unsupported() -> None:
    op = operator("HK")
    tl = dataclasses.replace(op.trusted_list(), version=99)
    doc = read_etsi_xml(to_etsi_xml(tl, op.signing_key, op.signer_certificate))
    assert doc.status is S.UNSUPPORTED
    assert "TSLVersionIdentifier 99 is not supported" in doc.reason
    assert doc.field == "SchemeInformation/TSLVersionIdentifier"


def test_a_version_that_is_not_a_number_is_malformed(signed: bytes) -> None:
    data = signed.replace(b"<TSLVersionIdentifier>5<", b"<TSLVersionIdentifier>five<")
    doc = read_etsi_xml(data)
    assert doc.status is S.INVALID  # the change breaks the digest first
    assert doc.content is None


def test_a_list_over_the_size_limit(signed: bytes) -> None:
    doc = read_etsi_xml(signed, max_bytes=1000)
    assert doc.status is S.MALFORMED
    assert f"{len(signed)} bytes, over the limit of 1000" in doc.reason


def test_a_duplicated_root_id(signed: bytes) -> None:
    data = signed.replace(b"<SchemeInformation>", b'<SchemeInformation Id="tsl-signed-list">', 1)
    doc = read_etsi_xml(data)
    assert doc.status is S.INVALID
    assert "not unique" in doc.reason


def test_a_reference_to_an_outside_uri(signed: bytes) -> None:
    data = signed.replace(b'URI="#tsl-signed-list"', b'URI="http://127.0.0.1:9/list.xml"', 1)
    doc = read_etsi_xml(data)
    assert doc.status is S.INVALID
    assert "outside the document" in doc.reason


def test_an_xslt_transform_is_unsupported(signed: bytes) -> None:
    data = signed.replace(
        b'Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"',
        b'Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116"',
        1,
    )
    doc = read_etsi_xml(data)
    assert doc.status is S.UNSUPPORTED
    assert "transform" in doc.reason


def test_a_signature_without_keyinfo_certificate(signed: bytes) -> None:
    root = etree.fromstring(signed)
    for el in root.iter("{http://www.w3.org/2000/09/xmldsig#}X509Data"):
        el.getparent().remove(el)
    doc = read_etsi_xml(etree.tostring(root))
    assert doc.status is S.UNSUPPORTED
    assert "X509Certificate" in doc.reason


def test_a_garbled_keyinfo_certificate(signed: bytes) -> None:
    root = etree.fromstring(signed)
    for el in root.iter("{http://www.w3.org/2000/09/xmldsig#}X509Certificate"):
        el.text = "bm90IGEgY2VydGlmaWNhdGU="
    doc = read_etsi_xml(etree.tostring(root))
    assert doc.status is S.MALFORMED
    assert doc.field is not None
    assert "X509Certificate" in doc.field


def test_a_changed_signature_value(signed: bytes) -> None:
    root = etree.fromstring(signed)
    sv = root.find(".//{http://www.w3.org/2000/09/xmldsig#}SignatureValue")
    raw = bytearray(base64.b64decode(sv.text))
    raw[-5] ^= 1
    sv.text = base64.b64encode(bytes(raw)).decode()
    doc = read_etsi_xml(etree.tostring(root))
    assert doc.status is S.INVALID
    assert doc.content is not None
    assert doc.trusted_list is None


@pytest.mark.parametrize("data", [b"", b"   ", b"\x00\x01\x02", b"<", b"<?xml version='1.0'?>"])
def test_junk(data: bytes) -> None:
    assert read_trusted_list(data).status is S.MALFORMED


def test_wrong_argument_types() -> None:
    with pytest.raises(InvalidArgument):
        read_etsi_xml("<xml/>")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        read_trusted_list(None)  # type: ignore[arg-type]


# --- JSON lists -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jws() -> str:
    return operator("HK").json_jws()


def _parts(token: str) -> list[str]:
    return token.split(".")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_the_json_list_is_valid(jws: str) -> None:
    doc = read_json_list(jws)
    assert doc.status is S.VALID, doc.describe()


def test_duplicate_keys_in_the_payload_are_refused() -> None:
    op = operator("HK")
    body = b'{"format": "bayident-trust-list", "format": "bayident-trust-list"}'
    token = sign_json_list(json.loads(body), op.signing_key, op.signer_certificate)
    header, _, sig = _parts(token)
    # A payload with a duplicate key, re-signed: the signature is right, the JSON is not.
    import jwt

    forged = jwt.api_jws.PyJWS().encode(
        body,
        op.signer.private_key,
        algorithm="ES256",
        headers={"x5c": json.loads(base64.urlsafe_b64decode(header + "=="))["x5c"]},
    )
    doc = read_json_list(forged)
    assert doc.status is S.MALFORMED
    assert "duplicate member name 'format'" in doc.reason
    assert doc.field == "payload.format"
    assert sig


def test_duplicate_keys_in_the_header_are_refused(jws: str) -> None:
    h, p, s = _parts(jws)
    header = base64.urlsafe_b64decode(h + "==")
    dup = header[:-1] + b',"alg":"none"}'
    doc = read_json_list(f"{_b64(dup)}.{p}.{s}")
    assert doc.status is S.MALFORMED
    assert "duplicate member name 'alg'" in doc.reason


@pytest.mark.parametrize(
    ("mutate", "status", "words"),
    [
        (lambda t: t + ".extra", S.MALFORMED, "3 parts separated by '.'"),
        (lambda t: t.replace(".", "=.", 1), S.MALFORMED, "padding '=' is not allowed"),
        (lambda t: "!!!." + t.split(".", 1)[1], S.MALFORMED, "not base64url"),
        (lambda t: _b64(b'{"alg":"none"}') + "." + t.split(".")[1] + ".", S.MALFORMED, "empty"),
        (
            lambda t: _b64(b'{"alg":"none"}') + "." + t.split(".")[1] + ".AA",
            S.UNSUPPORTED,
            "'none' is not accepted",
        ),
        (
            lambda t: _b64(b'{"alg":"HS256"}') + "." + t.split(".")[1] + ".AA",
            S.UNSUPPORTED,
            "'HS256' is not accepted",
        ),
        (
            lambda t: _b64(b'{"alg":"ES256","crit":["x"]}') + "." + t.split(".")[1] + ".AA",
            S.UNSUPPORTED,
            "crit",
        ),
        (
            lambda t: _b64(b'{"alg":"ES256","x5c":"x"}') + "." + t.split(".")[1] + ".AA",
            S.MALFORMED,
            "x5c",
        ),
        (
            lambda t: _b64(b'{"alg":"ES256","x5c":["AAAA"]}') + "." + t.split(".")[1] + ".AA",
            S.MALFORMED,
            "x5c[0]",
        ),
        (
            lambda t: _b64(b'{"alg":"ES256"}') + "." + t.split(".")[1] + ".AA",
            S.UNSUPPORTED,
            "pinned key",
        ),
        (
            lambda t: _b64(b"[1]") + "." + t.split(".")[1] + ".AA",
            S.MALFORMED,
            "header of JWS must be a JSON object",
        ),
    ],
)
def test_bad_jws(jws: str, mutate, status: SignatureStatus, words: str) -> None:  # type: ignore[no-untyped-def]
    doc = read_json_list(mutate(jws))
    assert doc.status is status, doc.describe()
    assert words in doc.reason
    assert doc.trusted_list is None


def test_a_changed_payload_breaks_the_signature(jws: str) -> None:
    h, p, s = _parts(jws)
    body = base64.urlsafe_b64decode(p + "==").replace(
        b'"sequence_number":1', b'"sequence_number":9'
    )
    doc = read_json_list(f"{h}.{_b64(body)}.{s}")
    assert doc.status is S.INVALID
    assert "does not verify" in doc.reason
    never_trusted(f"{h}.{_b64(body)}.{s}".encode())


def test_a_pinned_key_of_the_wrong_type() -> None:
    op, mo = operator("HK"), operator("MO")
    token = sign_json_list(op.trusted_list(), op.signing_key)
    rsa_signer = mo.signer_ca  # an RSA key
    doc = read_json_list(token, keys=[rsa_signer.certificate])
    assert doc.status is S.INVALID
    assert "holds a RSA key, which cannot check ES256" in doc.reason


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(unknown=1), "payload.unknown"),
        (lambda d: d.update(sequence_number="7"), "payload.sequence_number"),
        (lambda d: d.update(sequence_number=0), "payload.sequence_number"),
        (lambda d: d.update(issue_date="yesterday"), "payload.issue_date"),
        (
            lambda d: d["providers"][0]["services"][0].update(certificates=["***"]),
            "providers[0].services[0].certificates[0]",
        ),
        (
            lambda d: d["providers"][0]["services"][0].pop("status"),
            "payload.providers.0.services.0.status",
        ),
        (lambda d: d.update(format="other"), "payload.format"),
        (lambda d: d.update(format_version=2), "payload.format_version"),
    ],
)
def test_invalid_json_content_names_the_field(change, field: str) -> None:  # type: ignore[no-untyped-def]
    from bayident.trustlist import from_etsi

    op = operator("HK")
    body = from_etsi(op.trusted_list())
    change(body)
    token = sign_json_list(body, op.signing_key, op.signer_certificate)
    doc = read_json_list(token)
    assert doc.status in (S.MALFORMED, S.UNSUPPORTED), doc.describe()
    assert doc.field == field, doc.describe()
    assert doc.trusted_list is None


def test_an_oversized_json_list(jws: str) -> None:
    doc = read_json_list(jws, max_bytes=100)
    assert doc.status is S.MALFORMED
    assert "over the limit of 100" in doc.reason


def test_a_json_nesting_bomb() -> None:
    doc = read_json_list(b"{" + b'"a":[' * 100000 + b"]" * 100000 + b"}")
    assert doc.status is S.MALFORMED


def test_hostile_inputs_through_the_cli_are_one_line_errors(
    signed: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kinds: tuple[HostileKind, ...] = (
        "entity-bomb",
        "moved-list",
        "two-signatures",
        "not-well-formed",
    )
    for kind in kinds:
        path = tmp_path / f"{kind}.xml"
        path.write_bytes(hostile_etsi_xml(signed, kind))
        assert main(["trustlist", "inspect", str(path)]) == 1
        out, err = capsys.readouterr()
        assert "signature_status:" in out
        assert "signature_status:  valid" not in out
        assert err == ""


# --- random damage ------------------------------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_random_damage_never_raises_and_never_changes_a_valid_list(
    signed: bytes, jws: str, data: st.DataObject
) -> None:
    original = read_trusted_list(signed).require_valid()
    for blob in (signed, jws.encode()):
        pos = data.draw(st.integers(0, len(blob) - 1))
        byte = data.draw(st.integers(0, 255))
        cut = data.draw(st.booleans())
        damaged = blob[:pos] if cut else blob[:pos] + bytes([byte]) + blob[pos + 1 :]
        doc = read_trusted_list(damaged)
        assert isinstance(doc.status, SignatureStatus)
        if doc.status is S.VALID:
            tl = doc.require_valid()
            assert (
                dataclasses.replace(tl, list_id=original.list_id)
                == dataclasses.replace(original, list_id=original.list_id)
                or tl == read_trusted_list(jws.encode()).require_valid()
            )
