"""iAM Smart against documents built by hand in the shapes of the public samples.

Nothing here comes from the mock iAM Smart: replies and callbacks are assembled the way
the public sample code reads them (``{txID, code, message, content[, secretKey]}``, the
getKey ``content`` a plain object, codes ``D`` + five digits), so the adapter is checked
against the record rather than against our own issuer.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

import bayident
from bayident import Indication, SubIndication, VerificationResult
from bayident.schemes import SchemeRegistry, scheme_evidence
from bayident.schemes.iamsmart import (
    REPLY_CODES,
    IAmSmartAdapter,
    IAmSmartEnvelopeError,
    IAmSmartSettings,
    ReplyStatus,
    describe_reply_code,
    encrypt_content,
    parse_key_reply,
    parse_profile,
    parse_reply,
    sign_request,
)
from bayident.testing import sandbox_registry

NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
CLIENT_ID = "public-shape-service"
SECRET = "0123456789abcdef0123456789abcdef"
GETKEY_KEY = bytes(range(32))
PROFILE = {
    "idNo": {"Identification": "A123456", "CheckDigit": "3"},
    "enName": {"UnstructuredName": "CHAN, Tai Man"},
    "chName": {"ChineseName": "陳大文"},
    "birthDate": "19800131",
    "gender": "M",
}


@pytest.fixture(scope="module")
def service_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _settings(service_key: rsa.RSAPrivateKey | None, **kw: Any) -> IAmSmartSettings:
    return IAmSmartSettings(
        client_id=CLIENT_ID,
        client_secret=SECRET,
        content_key=GETKEY_KEY,
        service_private_key=service_key,
        **kw,
    )


@pytest.fixture
def with_key(service_key: rsa.RSAPrivateKey) -> SchemeRegistry:
    return sandbox_registry(IAmSmartAdapter(_settings(service_key)))


def _wrap(key: bytes, public: rsa.RSAPublicKey) -> str:
    # RSA-OAEP with SHA-256, the first padding the samples try.
    sealed = public.encrypt(
        key,
        padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None),
    )
    return base64.b64encode(sealed).decode()


def _callback(doc: dict[str, Any], nonce: str) -> dict[str, Any]:
    body = json.dumps(doc, ensure_ascii=False)
    headers = sign_request(
        CLIENT_ID, SECRET, body, timestamp_ms=int(NOW.timestamp() * 1000), nonce=nonce
    )
    return {"headers": headers, "body": body}


def _run(kind: str, data: dict[str, Any], schemes: SchemeRegistry) -> VerificationResult:
    return bayident.verify(scheme_evidence("iamsmart", kind, data), at=NOW, schemes=schemes)


# ------------------------------------------------------------------ the code table


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("D00000", "success"),
        ("D20009", "api-error"),
        ("D20010", "api-error"),
        ("D20012", "api-error"),
        ("D20050", "api-error"),
        ("D30001", "key-expired"),
        ("D30002", "key-expired"),
        ("D40000", "user-cancelled"),
        ("D40001", "user-rejected"),
        ("D40002", "failed"),
        ("D40003", "timeout"),
        ("D50001", "user-cancelled"),
        ("D50003", "timeout"),
        ("D60001", "user-rejected"),
        ("D70000", "user-cancelled"),
        ("D70001", "user-rejected"),
        ("D70003", "timeout"),
        ("D70004", "not-allowed"),
        ("D70005", "identity-mismatch"),
        ("D70006", "failed"),
        ("D80001", "user-rejected"),
        ("D80003", "timeout"),
        ("D20075", "unknown"),
        ("D99999", "unknown"),
        ("E1", "unknown"),
    ],
)
def test_every_code_has_a_status(code: str, status: str) -> None:
    reply = parse_reply(json.dumps({"txID": "t", "code": code, "message": "m", "content": None}))
    assert reply.status == status
    assert reply.description
    assert describe_reply_code(code).status == status


def test_the_table_is_the_public_one() -> None:
    digits = {c[1:] for c in REPLY_CODES}
    for expected in (
        ["00000", "20009", "20010", "20012", "30001", "30002", "30003", "30004"]
        + ["40000", "40001", "40002", "40003", "40004", "40035", "50001", "50002", "50003"]
        + ["60000", "60001", "60002", "60003"]
        + [f"7000{i}" for i in range(7)]
        + ["80001", "80002", "80003"]
    ):
        assert expected in digits
    assert all(REPLY_CODES[f"D3000{i}"].renew_key for i in range(1, 5))
    assert not REPLY_CODES["D70001"].renew_key


# ---------------------------------------------------------------------- getKey


def test_getkey_content_is_a_plain_object(service_key: rsa.RSAPrivateKey) -> None:
    wrapped = _wrap(GETKEY_KEY, service_key.public_key())
    document = json.dumps(
        {
            "txID": "5f1e",
            "code": "D00000",
            "message": "SUCCESS",
            "content": {
                "secretKey": wrapped,
                "pubKey": "MIIBIjAN",
                "issueAt": 1772355600000,
                "expiresIn": 86400000,
            },
        }
    )
    reply = parse_reply(document)
    assert isinstance(reply.content, dict)
    key = parse_key_reply(document)
    assert (key.issue_at, key.expires_in, key.pub_key) == (1772355600000, 86400000, "MIIBIjAN")
    assert key.content_key(service_key) == GETKEY_KEY


def test_getkey_failure_names_the_code() -> None:
    document = '{"txID":"t","code":"D30001","message":"x","content":null}'
    with pytest.raises(IAmSmartEnvelopeError, match=r"D30001.*key-expired"):
        parse_key_reply(document)


# ------------------------------------------------------------------- callbacks


def test_callback_decrypted_with_its_own_secret_key(
    service_key: rsa.RSAPrivateKey, with_key: SchemeRegistry
) -> None:
    own = bytes(reversed(range(32)))  # not the getKey key
    doc = {
        "txID": "cb-1",
        "code": "D00000",
        "message": "SUCCESS",
        "content": encrypt_content(own, json.dumps(PROFILE, ensure_ascii=False).encode()),
        "secretKey": _wrap(own, service_key.public_key()),
    }
    res = _run("profile-callback", _callback(doc, "own-key"), with_key)
    assert res.passed, res.explain()
    assert res.identity is not None
    assert res.identity.identifier("HKID") is not None
    assert "own secretKey" in next(c.message for c in res.checks if c.name == "content-envelope")


def test_callback_without_secret_key_uses_the_getkey_key(with_key: SchemeRegistry) -> None:
    doc = {
        "txID": "cb-2",
        "code": "D00000",
        "message": "SUCCESS",
        "content": encrypt_content(GETKEY_KEY, json.dumps(PROFILE).encode()),
    }
    res = _run("profile-callback", _callback(doc, "getkey-key"), with_key)
    assert res.passed, res.explain()


def test_callback_secret_key_without_private_key_says_what_to_set(
    service_key: rsa.RSAPrivateKey,
) -> None:
    own = bytes(reversed(range(32)))
    doc = {
        "txID": "cb-3",
        "code": "D00000",
        "content": encrypt_content(own, json.dumps(PROFILE).encode()),
        "secretKey": _wrap(own, service_key.public_key()),
    }
    registry = sandbox_registry(IAmSmartAdapter(_settings(None)))
    res = _run("profile-callback", _callback(doc, "no-private"), registry)
    assert res.sub_indication is SubIndication.SIG_CRYPTO_FAILURE
    assert "service_private_key" in res.message


def test_callback_secret_key_for_another_service(
    service_key: rsa.RSAPrivateKey, with_key: SchemeRegistry
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    own = bytes(reversed(range(32)))
    doc = {
        "txID": "cb-4",
        "code": "D00000",
        "content": encrypt_content(own, json.dumps(PROFILE).encode()),
        "secretKey": _wrap(own, other.public_key()),
    }
    res = _run("profile-callback", _callback(doc, "other-service"), with_key)
    assert not res.passed
    assert res.failed_checks()[-1].name == "content-key"
    assert "KEY_UNWRAP_FAILED" in res.message


# ------------------------------------------------------- non-success verdicts


@pytest.mark.parametrize(
    ("code", "indication", "sub", "check", "words"),
    [
        ("D70001", "INDETERMINATE", "SIGNED_DATA_NOT_FOUND", "reply-code", "declined"),
        ("D70000", "INDETERMINATE", "SIGNED_DATA_NOT_FOUND", "reply-code", "cancelled"),
        ("D70003", "INDETERMINATE", "SIGNED_DATA_NOT_FOUND", "reply-code", "timed out"),
        ("D70004", "INDETERMINATE", "SIGNED_DATA_NOT_FOUND", "reply-code", "not-allowed"),
        ("D50002", "INDETERMINATE", "SIGNED_DATA_NOT_FOUND", "reply-code", "failed"),
        ("D70005", "FAILED", "HASH_FAILURE", "hkic-hash", "another person"),
        ("D30002", "INDETERMINATE", "TRY_LATER", "content-key", "getKey again"),
        ("D20009", "INDETERMINATE", "SIGNED_DATA_NOT_FOUND", "reply-code", "api-error"),
        ("D12345", "INDETERMINATE", "SIGNED_DATA_NOT_FOUND", "reply-code", "status unknown"),
    ],
)
def test_non_success_callbacks_say_what_happened(
    with_key: SchemeRegistry, code: str, indication: str, sub: str, check: str, words: str
) -> None:
    doc = {"txID": "cb", "code": code, "message": "x", "content": None}
    res = _run("signing-callback", _callback(doc, f"n-{code}") | {"request": {}}, with_key)
    assert (res.indication.value, res.sub_indication and res.sub_indication.value) == (
        indication,
        sub,
    )
    assert code in res.message
    assert words in res.message
    assert res.failed_checks()[-1].name == check
    assert "FORMAT_FAILURE" not in res.message


# -------------------------------------------------------- numbers too long


def test_a_huge_number_in_a_profile_names_the_field() -> None:
    document = '{"idNo":{"Identification":"A123456","CheckDigit":"3"},"enName":'
    document += '{"UnstructuredName":"X"},"birthDate":' + "1" * 5000 + "}"
    with pytest.raises(IAmSmartEnvelopeError) as caught:
        parse_profile(document)
    assert caught.value.field == "birthDate"
    assert "5000 digits" in caught.value.message


def test_a_huge_number_in_an_address_names_the_field() -> None:
    document = json.dumps(PROFILE)[:-1] + ',"postalAddress":{"n":' + "9" * 4400 + "}}"
    with pytest.raises(IAmSmartEnvelopeError) as caught:
        parse_profile(document)
    assert caught.value.field == "postalAddress.n"


@pytest.mark.parametrize("where", ["code", "content", "message"])
def test_a_huge_number_in_a_reply_names_the_field(where: str) -> None:
    doc: dict[str, Any] = {"txID": "t", "code": "D00000", "message": None, "content": None}
    text = json.dumps(doc).replace(
        f'"{where}": ' + json.dumps(doc[where]), f'"{where}": ' + "7" * 4301
    )
    with pytest.raises(IAmSmartEnvelopeError) as caught:
        parse_reply(text)
    assert caught.value.field == where


def test_a_huge_number_in_getkey_content_names_the_field() -> None:
    text = '{"txID":"t","code":"D00000","content":{"secretKey":"x","issueAt":' + "1" * 4400
    with pytest.raises(IAmSmartEnvelopeError) as caught:
        parse_key_reply(text + "}}")
    assert caught.value.field == "content.issueAt"


def test_status_enum_values() -> None:
    assert {s.value for s in ReplyStatus} == {
        "success",
        "user-cancelled",
        "user-rejected",
        "timeout",
        "failed",
        "not-allowed",
        "identity-mismatch",
        "key-expired",
        "api-error",
        "unknown",
    }
    assert Indication.FAILED.value == "FAILED"
