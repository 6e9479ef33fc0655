"""The iAM Smart adapter behind verify(): callbacks, profiles, hash-signing results, the mock."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import bayident
from bayident import AssuranceLevel, Indication, SubIndication, VerificationResult
from bayident.identifiers import hkid_hash
from bayident.schemes import (
    Recognizer,
    SchemeRegistry,
    identity_matches_hkid,
    scheme_evidence,
)
from bayident.schemes.iamsmart import (
    IAmSmartSettings,
    decrypt_content,
    encrypt_content,
    parse_key_reply,
    parse_reply,
    sign_request,
)
from bayident.testing import (
    MockClock,
    MockDigiSignCA,
    MockIAmSmart,
    MockIAmSmartUser,
    sandbox_registry,
)

NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
DOC = b"Guangdong application form, signed"
HASH = hashlib.sha256(DOC).hexdigest()


@pytest.fixture(scope="module")
def clock() -> MockClock:
    return MockClock(NOW)


@pytest.fixture(scope="module")
def iam(clock: MockClock) -> MockIAmSmart:
    return MockIAmSmart(clock=clock)


@pytest.fixture(scope="module")
def user(iam: MockIAmSmart) -> MockIAmSmartUser:
    return iam.enrol("A123456(3)", "CHAN, Tai Man", zh_name="陳大文", birth_date="19800131")


# The registry the tests' verifications use unless they pass their own ``schemes``.
_REGISTRY: list[SchemeRegistry] = []


@pytest.fixture(autouse=True)
def registry(iam: MockIAmSmart) -> Iterator[None]:
    # A fresh adapter (and nonce store) per test, so replays are per test.
    _REGISTRY[:] = [sandbox_registry(iam.adapter(), iam.hongkong_post.adapter())]
    yield
    _REGISTRY.clear()


def run(kind: str, data: dict[str, Any], **kw: Any) -> VerificationResult:
    evidence = scheme_evidence("iamsmart", kind, data)
    kw.setdefault("schemes", _REGISTRY[0])
    return bayident.verify(evidence, at=NOW, **kw)


def failed_check(res: VerificationResult) -> str:
    return res.failed_checks()[-1].name


# ---------------------------------------------------------------- profile callbacks


def test_a_profile_callback_becomes_an_identity(iam: MockIAmSmart, user: MockIAmSmartUser) -> None:
    headers, body = iam.profile_callback(user)
    res = run("profile-callback", {"headers": headers, "body": body, "openID": user.open_id})
    assert res.passed
    assert res.adapter == "iamsmart"
    assert res.evidence_format == "scheme-evidence"
    ident = res.identity
    assert ident is not None
    assert (ident.scheme, ident.jurisdiction) == ("iamsmart", "HK")
    assert ident.identifier("HKID").value == "A123456(3)"  # type: ignore[union-attr]
    assert ident.identifier("HKIC_HASH").value == hkid_hash("A123456")  # type: ignore[union-attr]
    assert ident.identifier("IAMSMART_OPENID").value == user.open_id  # type: ignore[union-attr]
    assert (ident.name_en, ident.name_zh) == ("CHAN, Tai Man", "陳大文")
    assert ident.date_of_birth == dt.date(1980, 1, 31)
    assert ident.assurance.level is AssuranceLevel.SUBSTANTIAL
    assert [c.name for c in res.checks] == [
        "request-signature",
        "content-key",
        "content-envelope",
        "profile",
    ]
    assert identity_matches_hkid(res, "A123456(3)").matched


def test_a_profile_reply_needs_no_headers(iam: MockIAmSmart, user: MockIAmSmartUser) -> None:
    res = run("profile-reply", {"body": iam.reply(user.profile())})
    assert res.passed
    assert res.identity is not None


@pytest.fixture
def callback(iam: MockIAmSmart, user: MockIAmSmartUser) -> tuple[dict[str, str], str]:
    return iam.profile_callback(user)


def test_wrong_hmac(callback: tuple[dict[str, str], str]) -> None:
    headers, body = callback
    forged = dict(
        headers,
        signature=sign_request("sandbox-service", "wrong", body, timestamp_ms=1, nonce="n")[
            "signature"
        ],
    )
    res = run("profile-callback", {"headers": forged, "body": body})
    assert (res.indication, res.sub_indication) == (
        Indication.FAILED,
        SubIndication.SIG_CRYPTO_FAILURE,
    )
    assert "SIGNATURE_MISMATCH" in res.message
    assert failed_check(res) == "request-signature"
    assert res.identity is None


def test_a_changed_body_breaks_the_hmac(callback: tuple[dict[str, str], str]) -> None:
    headers, body = callback
    res = run(
        "profile-callback", {"headers": headers, "body": body.replace('"D00000"', '"D00000" ')}
    )
    assert res.sub_indication is SubIndication.SIG_CRYPTO_FAILURE


def test_replayed_nonce(callback: tuple[dict[str, str], str]) -> None:
    headers, body = callback
    assert run("profile-callback", {"headers": headers, "body": body}).passed
    res = run("profile-callback", {"headers": headers, "body": body})
    assert (res.indication, res.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.SIG_CONSTRAINTS_FAILURE,
    )
    assert "REPLAYED_NONCE" in res.message
    assert failed_check(res) == "request-freshness"


@pytest.mark.parametrize(("shift", "code"), [(-301, "STALE_TIMESTAMP"), (301, "FUTURE_TIMESTAMP")])
def test_stale_or_future_timestamp(
    iam: MockIAmSmart, user: MockIAmSmartUser, shift: int, code: str
) -> None:
    body = iam.reply(user.profile())
    ts = int(NOW.timestamp() * 1000) + shift * 1000
    headers = sign_request(
        iam.client_id, iam.client_secret, body, timestamp_ms=ts, nonce=f"n{shift}"
    )
    res = run("profile-callback", {"headers": headers, "body": body})
    assert res.sub_indication is SubIndication.SIG_CONSTRAINTS_FAILURE
    assert code in res.message
    assert res.failed_checks()[0].concerns == "timestamp"


def _signed(iam: MockIAmSmart, body: str, nonce: str) -> dict[str, str]:
    return sign_request(
        iam.client_id,
        iam.client_secret,
        body,
        timestamp_ms=int(NOW.timestamp() * 1000),
        nonce=nonce,
    )


def _reply_with(content: str | None, code: str = "D00000") -> str:
    return json.dumps({"txID": "tx-1", "code": code, "message": "m", "content": content})


def test_wrong_gcm_tag(iam: MockIAmSmart, user: MockIAmSmartUser) -> None:
    sealed = base64.b64decode(encrypt_content(iam.content_key, json.dumps(user.profile()).encode()))
    tampered = base64.b64encode(sealed[:-1] + bytes([sealed[-1] ^ 1])).decode()
    body = _reply_with(tampered)
    res = run("profile-callback", {"headers": _signed(iam, body, "tag"), "body": body})
    assert (res.indication, res.sub_indication) == (
        Indication.FAILED,
        SubIndication.SIG_CRYPTO_FAILURE,
    )
    assert "TAG_MISMATCH" in res.message
    assert failed_check(res) == "content-envelope"


def test_a_wrong_content_key(iam: MockIAmSmart, user: MockIAmSmartUser) -> None:
    body = iam.reply(user.profile())
    registry = sandbox_registry(iam.adapter(content_key=b"\x01" * 32))
    res = run("profile-reply", {"body": body}, schemes=registry)
    assert "TAG_MISMATCH" in res.message


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (base64.b64encode(b"\x00\x00").decode(), "TRUNCATED"),
        (base64.b64encode(b"\x00\x00\x00\x0c" + b"\x00" * 20).decode(), "TRUNCATED"),
        (base64.b64encode(b"\x00\x00\x00\x10" + b"\x00" * 40).decode(), "BAD_IV_LENGTH"),
        ("not base64!", "BAD_BASE64"),
    ],
)
def test_truncated_or_malformed_envelope(iam: MockIAmSmart, content: str, code: str) -> None:
    body = _reply_with(content)
    res = run(
        "profile-callback",
        {"headers": _signed(iam, body, f"t-{code}-{len(content)}"), "body": body},
    )
    assert (res.indication, res.sub_indication) == (Indication.FAILED, SubIndication.FORMAT_FAILURE)
    assert code in res.message
    assert failed_check(res) == "content-envelope"


def test_unknown_code_is_reported_as_unknown(iam: MockIAmSmart) -> None:
    body = _reply_with(None, code="D99999")
    res = run("profile-callback", {"headers": _signed(iam, body, "code"), "body": body})
    assert (res.indication, res.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.SIGNED_DATA_NOT_FOUND,
    )
    assert "status unknown" in res.message
    assert "D99999" in res.message
    assert failed_check(res) == "reply-code"


def test_a_known_code_that_is_not_success(iam: MockIAmSmart) -> None:
    body = _reply_with(None, code="D40000")
    res = run("profile-callback", {"headers": _signed(iam, body, "cancel"), "body": body})
    assert (res.indication, res.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.SIGNED_DATA_NOT_FOUND,
    )
    assert "the user cancelled" in res.message


def test_success_without_content(iam: MockIAmSmart) -> None:
    res = run("profile-reply", {"body": _reply_with(None)})
    assert res.sub_indication is SubIndication.FORMAT_FAILURE
    assert "no content" in res.message


def test_invalid_hkid_check_digit_in_the_profile(iam: MockIAmSmart, user: MockIAmSmartUser) -> None:
    profile = user.profile()
    profile["idNo"]["CheckDigit"] = "4"
    res = run("profile-reply", {"body": iam.reply(profile)})
    assert (res.indication, res.sub_indication) == (Indication.FAILED, SubIndication.FORMAT_FAILURE)
    assert "INVALID_HKID" in res.message
    assert "check digit is 4, expected 3" in res.message


@pytest.mark.parametrize(
    ("drop", "expected"),
    [("enName", "required field enName is missing"), ("idNo", "required field idNo is missing")],
)
def test_a_profile_with_missing_fields(
    iam: MockIAmSmart, user: MockIAmSmartUser, drop: str, expected: str
) -> None:
    profile = user.profile()
    del profile[drop]
    res = run("profile-reply", {"body": iam.reply(profile)})
    assert res.sub_indication is SubIndication.FORMAT_FAILURE
    assert expected in res.message
    assert res.failed_checks()[-1].concerns == drop


def test_a_profile_missing_an_inner_field(iam: MockIAmSmart, user: MockIAmSmartUser) -> None:
    profile = user.profile()
    del profile["idNo"]["CheckDigit"]
    res = run("profile-reply", {"body": iam.reply(profile)})
    assert "idNo.CheckDigit is missing" in res.message


def test_not_configured(iam: MockIAmSmart, user: MockIAmSmartUser) -> None:
    headers, body = iam.profile_callback(user)
    unconfigured = sandbox_registry()  # the default, unconfigured adapter
    res = run("profile-callback", {"headers": headers, "body": body}, schemes=unconfigured)
    assert res.sub_indication is SubIndication.SIGNATURE_POLICY_NOT_AVAILABLE
    assert "client secret" in res.message


def test_missing_headers_and_body(iam: MockIAmSmart) -> None:
    res = run("profile-callback", {"body": _reply_with(None)})
    assert "required field headers is missing" in res.message
    res = run("profile-callback", {"headers": {}, "body": 3})
    assert "body must be a string, got a JSON number" in res.message
    res = run("profile-callback", {"headers": {"clientID": "x"}, "body": "{}"})
    assert "MISSING_HEADER" in res.message


# --------------------------------------------------------------------- signing


def signing_data(iam: MockIAmSmart, user: MockIAmSmartUser, **changes: Any) -> dict[str, Any]:
    result = iam.sign_hash(user, HASH, business_id="B-1", state="s-1")
    data: dict[str, Any] = {
        "result": result,
        "request": {
            "hashCode": HASH,
            "HKICHash": hkid_hash(user.hkid),
            "businessID": "B-1",
            "state": "s-1",
        },
        "signer": {"hkid": user.hkid, "openID": user.open_id},
    }
    data.update(changes)
    return data


def sign_run(iam: MockIAmSmart, data: dict[str, Any], **kw: Any) -> VerificationResult:
    kw.setdefault("content", DOC)
    return run(
        "signing-result",
        data,
        trust=iam.hongkong_post.trust_store(),
        extra_certs=iam.hongkong_post.intermediates(),
        **kw,
    )


def test_a_hash_signing_result(iam: MockIAmSmart, user: MockIAmSmartUser) -> None:
    res = sign_run(iam, signing_data(iam, user))
    assert res.passed, res.explain()
    names = [c.name for c in res.checks]
    assert names == [
        "hash-code",
        "document-hash",
        "hkic-hash",
        "certificate-path",
        "certificate-scheme",
        "signature",
    ]
    ident = res.identity
    assert ident is not None
    assert ident.identifier("HKID").value == "A123456(3)"
    assert ident.assurance.scheme_level == "iAM Smart+ signing"
    report = res.signers[0]
    assert report.passed
    assert report.trust_anchor is not None
    assert "Hongkong Post Root CA 2" in report.trust_anchor.subject
    assert report.signature_algorithm == "SHA256withRSA"


def test_without_content_the_hash_is_what_is_checked(
    iam: MockIAmSmart, user: MockIAmSmartUser
) -> None:
    res = sign_run(iam, signing_data(iam, user), content=None)
    assert res.passed
    assert next(c for c in res.checks if c.name == "document-hash").outcome.value == "skipped"


def test_hkic_hash_mismatch(iam: MockIAmSmart, user: MockIAmSmartUser) -> None:
    data = signing_data(iam, user, signer={"hkid": "G123456(A)"})
    res = sign_run(iam, data)
    assert (res.indication, res.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.SIG_CONSTRAINTS_FAILURE,
    )
    assert failed_check(res) == "hkic-hash"
    assert "another person" in res.message


def test_hkic_hash_binding_needs_the_signed_in_person(
    iam: MockIAmSmart, user: MockIAmSmartUser
) -> None:
    data = signing_data(iam, user)
    del data["signer"]
    res = sign_run(iam, data)
    assert res.sub_indication is SubIndication.SIG_CONSTRAINTS_FAILURE
    assert "signed-in person" in res.message


def test_the_signer_may_be_given_as_a_profile(iam: MockIAmSmart, user: MockIAmSmartUser) -> None:
    res = sign_run(iam, signing_data(iam, user, signer={"profile": user.profile()}))
    assert res.passed
    assert res.identity is not None
    assert res.identity.name_zh == "陳大文"
    assert res.identity.date_of_birth == dt.date(1980, 1, 31)


def test_invalid_hkid_check_digit_of_the_signer(iam: MockIAmSmart, user: MockIAmSmartUser) -> None:
    res = sign_run(iam, signing_data(iam, user, signer={"hkid": "A123456(4)"}))
    assert res.sub_indication is SubIndication.FORMAT_FAILURE
    assert "signer.hkid is not a valid HKID: check digit is 4, expected 3" in res.message


def test_the_document_is_not_the_one_signed(iam: MockIAmSmart, user: MockIAmSmartUser) -> None:
    res = sign_run(iam, signing_data(iam, user), content=b"another form")
    assert (res.indication, res.sub_indication) == (Indication.FAILED, SubIndication.HASH_FAILURE)
    assert failed_check(res) == "document-hash"


def test_the_result_signs_another_hash(iam: MockIAmSmart, user: MockIAmSmartUser) -> None:
    data = signing_data(iam, user)
    data["request"]["hashCode"] = hashlib.sha256(b"x").hexdigest()
    res = sign_run(iam, data, content=None)
    assert res.sub_indication is SubIndication.HASH_FAILURE
    assert failed_check(res) == "hash-code"


def test_a_tampered_signature(iam: MockIAmSmart, user: MockIAmSmartUser) -> None:
    data = signing_data(iam, user)
    sig = bytearray(base64.b64decode(data["result"]["signature"]))
    sig[10] ^= 0xFF
    data["result"]["signature"] = base64.b64encode(bytes(sig)).decode()
    res = sign_run(iam, data)
    assert (res.indication, res.sub_indication) == (
        Indication.FAILED,
        SubIndication.SIG_CRYPTO_FAILURE,
    )


def test_the_result_answers_another_request(iam: MockIAmSmart, user: MockIAmSmartUser) -> None:
    data = signing_data(iam, user)
    data["request"]["businessID"] = "B-2"
    res = sign_run(iam, data)
    assert res.sub_indication is SubIndication.SIG_CONSTRAINTS_FAILURE
    assert "B-2" in res.message


def test_a_certificate_of_another_scheme_as_iamsmart_cert(
    iam: MockIAmSmart, user: MockIAmSmartUser, clock: MockClock
) -> None:
    digisign = MockDigiSignCA(clock=clock)
    other = digisign.issue("CHAN Tai Man")
    data = signing_data(iam, user)
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    data["result"]["cert"] = base64.b64encode(other.cert_der).decode()
    data["result"]["signature"] = base64.b64encode(
        other.private_key.sign(bytes.fromhex(HASH), padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr, call-arg, arg-type]
    ).decode()
    # Trusted by the relying party, and still not an iAM Smart-Cert.
    store = bayident.TrustStore.from_certificates(
        [iam.hongkong_post.root.cert_der, digisign.root.cert_der]
    )
    res = run(
        "signing-result", data, content=DOC, trust=store, extra_certs=[digisign.issuing.cert_der]
    )
    assert res.sub_indication is SubIndication.CHAIN_CONSTRAINTS_FAILURE
    assert failed_check(res) == "certificate-scheme"
    assert "Hongkong Post root" in res.message
    # Even under a root named like Hongkong Post's, a Digi-Sign certificate is not one.
    registry = sandbox_registry(iam.adapter(root_patterns=("",)))
    res = run(
        "signing-result",
        data,
        content=DOC,
        trust=store,
        extra_certs=[digisign.issuing.cert_der],
        schemes=registry,
    )
    assert "is a digisign certificate, not a Hongkong Post iAM Smart-Cert" in res.message


def test_an_untrusted_certificate(
    iam: MockIAmSmart, user: MockIAmSmartUser, clock: MockClock
) -> None:
    res = run(
        "signing-result",
        signing_data(iam, user),
        content=DOC,
        trust=MockDigiSignCA(clock=clock).trust_store(),
    )
    assert res.indication is Indication.INDETERMINATE
    assert failed_check(res) == "certificate-path"


def test_the_certificate_type_can_be_pinned(iam: MockIAmSmart, user: MockIAmSmartUser) -> None:
    registry = sandbox_registry(
        iam.adapter(certificate_types=("personal",)), iam.hongkong_post.adapter()
    )
    res = sign_run(iam, signing_data(iam, user), schemes=registry)
    assert res.sub_indication is SubIndication.CHAIN_CONSTRAINTS_FAILURE
    assert "iam-smart-cert" in res.message


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("cert", "bm90IGEgY2VydA==", "result.cert is not a readable X.509 certificate"),
        ("signature", "%%%", "result.signature is not valid Base64"),
        ("hashCode", "abcd", "result.hashCode decodes to 3 bytes"),
        ("hashCode", None, "required field result.hashCode is missing"),
    ],
)
def test_malformed_result_fields(
    iam: MockIAmSmart, user: MockIAmSmartUser, field: str, value: str | None, expected: str
) -> None:
    data = signing_data(iam, user)
    if value is None:
        del data["result"][field]
    else:
        data["result"][field] = value
    res = sign_run(iam, data)
    assert res.sub_indication in (SubIndication.FORMAT_FAILURE, SubIndication.HASH_FAILURE)
    assert expected in res.message


def test_prehashed_encoding(clock: MockClock) -> None:
    iam = MockIAmSmart(clock=clock, signature_encoding="pkcs1v15-sha256-prehashed")
    user = iam.enrol("G123456(A)", "LEE, Ka Yan")
    registry = sandbox_registry(iam.adapter())
    assert sign_run(iam, signing_data(iam, user), schemes=registry).passed
    # The same result under the sample's encoding does not verify.
    sample = sandbox_registry(iam.adapter(signature_encoding="pkcs1v15-sha256"))
    res = sign_run(iam, signing_data(iam, user), schemes=sample)
    assert res.sub_indication is SubIndication.SIG_CRYPTO_FAILURE
    assert "pkcs1v15-sha256" in res.message


def test_cms_encoding(iam: MockIAmSmart, user: MockIAmSmartUser) -> None:
    data = signing_data(iam, user)
    data["result"]["signature"] = base64.b64encode(user.certificate.sign_detached_cms(DOC)).decode()
    registry = sandbox_registry(iam.adapter(signature_encoding="cms"), iam.hongkong_post.adapter())
    assert sign_run(iam, data, schemes=registry).passed
    res = sign_run(iam, data, content=None, schemes=registry)
    assert res.sub_indication is SubIndication.SIGNED_DATA_NOT_FOUND
    with pytest.raises(bayident.InvalidArgument):
        IAmSmartSettings(signature_encoding="raw")  # type: ignore[arg-type]


# --------------------------------------------------------------- the mock's API


def _call(
    iam: MockIAmSmart, client: httpx.Client, path: str, payload: dict[str, Any]
) -> dict[str, Any]:
    resp = iam.call(client, path, payload)
    assert resp.status_code == 200, resp.text
    reply = parse_reply(resp.content)
    assert reply.code == "D00000"
    assert reply.content is not None
    return dict(json.loads(decrypt_content(iam.content_key, reply.content)))


def _flow(iam: MockIAmSmart, user: MockIAmSmartUser, client: httpx.Client) -> None:
    token = _call(
        iam,
        client,
        "/api/v1/auth/getToken",
        {"code": iam.authorise(user), "grantType": "authorization_code"},
    )
    assert token["openID"] == user.open_id
    profile = _call(
        iam,
        client,
        "/api/v1/account/auth/profile/initiateRequest",
        {
            "accessToken": token["accessToken"],
            "openID": token["openID"],
            "profileFields": ["idNo", "enName"],
        },
    )
    assert set(profile) == {"idNo", "enName"}
    _call(
        iam,
        client,
        "/api/v1/account/signing/initiateRequest",
        {
            "accessToken": token["accessToken"],
            "openID": token["openID"],
            "businessID": "B-9",
            "state": "z",
            "hashCode": HASH,
            "HKICHash": hkid_hash(user.hkid),
            "sigAlgo": "SHA256withRSA",
        },
    )
    headers, body = iam.pop_callback()
    res = run(
        "signing-callback",
        {
            "headers": headers,
            "body": body,
            "request": {"hashCode": HASH, "HKICHash": hkid_hash(user.hkid), "businessID": "B-9"},
            "signer": {"profile": profile},
        },
        content=DOC,
        trust=iam.hongkong_post.trust_store(),
        extra_certs=iam.hongkong_post.intermediates(),
    )
    assert res.passed, res.explain()
    assert [c.name for c in res.checks][:3] == [
        "request-signature",
        "content-key",
        "content-envelope",
    ]


def test_the_mock_in_process(iam: MockIAmSmart, user: MockIAmSmartUser) -> None:
    with iam.client() as client:
        _flow(iam, user, client)
        # Requests with a wrong signature are refused, as iAM Smart would.
        body = json.dumps({"code": "x"})
        bad = client.post(
            "/api/v1/auth/getToken",
            content=body,
            headers=sign_request(
                iam.client_id, "wrong", body, timestamp_ms=iam.now_ms(), nonce="zz"
            ),
        )
        assert bad.status_code == 401
        # A hash-signing request for another person is rejected (HKICHash mismatch).
        token = _call(
            iam,
            client,
            "/api/v1/auth/getToken",
            {"code": iam.authorise(user), "grantType": "authorization_code"},
        )
        resp = iam.call(
            client,
            "/api/v1/account/signing/initiateRequest",
            {
                "accessToken": token["accessToken"],
                "openID": token["openID"],
                "hashCode": HASH,
                "HKICHash": hkid_hash("G123456(A)"),
            },
        )
        refused = parse_reply(resp.content)
        assert (refused.code, refused.status) == ("D70005", "identity-mismatch")


def test_the_mock_on_a_real_local_server(iam: MockIAmSmart, user: MockIAmSmartUser) -> None:
    with iam.serve() as server:
        assert server.url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=server.url, timeout=5) as client:
            _flow(iam, user, client)
            reply = parse_reply(
                iam.call(client, "/api/v1/security/getKey", {}, encrypt=False).content
            )
    # getKey's content is a plain JSON object, as in the public samples.
    assert isinstance(reply.content, dict)
    key = parse_key_reply(reply.to_json())
    assert key.content_key(iam.service_key) == iam.content_key


# ------------------------------------------------------------------ recognition


BINDING = {
    "arrangement": "gd-hk-cross-border-2023",
    "identity": {
        "jurisdiction": "CN-GD",
        "scheme": "gd-unified-identity",
        "identifiers": [{"kind": "GD_UID", "value": "gd-0001"}],
    },
    "consent": {
        "reference": "consent-42",
        "consentedAt": "2026-02-01T08:00:00Z",
        "recordedBy": "广东政务服务网",
    },
}


def test_guangdong_accepts_a_bound_iamsmart_sign_in(
    iam: MockIAmSmart, user: MockIAmSmartUser
) -> None:
    gd = Recognizer(home_jurisdiction="CN-GD", relying_sector="government")
    reg = sandbox_registry(iam.adapter(), recognizer=gd)
    _REGISTRY[:] = [reg]
    res = run(
        "profile-reply",
        {"body": iam.reply(user.profile()), "binding": BINDING},
        purpose="authenticate",
    )
    assert res.passed, res.explain()
    assert res.recognition is not None
    assert res.recognition.rule == "gd-hk-cross-border/iamsmart-sign-in"
    assert res.identity is not None
    bound = res.identity.bound_to("CN-GD")
    assert bound is not None
    assert bound.consent.reference == "consent-42"
    # Without the binding the arrangement does not apply.
    unbound = run("profile-reply", {"body": iam.reply(user.profile())}, purpose="authenticate")
    assert unbound.recognition is not None
    assert not unbound.recognition.admitted
    assert "not bound with consent" in unbound.recognition.reason
    high = run(
        "profile-reply",
        {"body": iam.reply(user.profile()), "binding": BINDING},
        purpose="authenticate",
        require_assurance="high",
    )
    assert (high.indication, high.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.SIG_CONSTRAINTS_FAILURE,
    )
    assert high.recognition is not None
    assert not high.recognition.admitted
    assert high.failed_checks()[-1].name == "recognition"


def test_signing_is_not_admitted_by_the_sign_in_rule(
    iam: MockIAmSmart, user: MockIAmSmartUser
) -> None:
    reg = sandbox_registry(
        iam.adapter(), iam.hongkong_post.adapter(), recognizer=Recognizer(home_jurisdiction="CN-GD")
    )
    _REGISTRY[:] = [reg]
    res = sign_run(iam, signing_data(iam, user), purpose="sign")
    assert res.indication is Indication.INDETERMINATE
    assert res.sub_indication is SubIndication.CHAIN_CONSTRAINTS_FAILURE
    assert res.recognition is not None
    assert not res.recognition.admitted
    assert res.signers[0].passed


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"identity": "x"}, "binding.identity"),
        ({"consent": {"reference": "c"}}, "binding.consent.recordedBy"),
        (
            {"consent": {"recordedBy": "x", "consentedAt": "yesterday"}},
            "binding.consent.consentedAt",
        ),
        (
            {"consent": {"recordedBy": "x", "consentedAt": "2026-02-01T08:00:00"}},
            "binding.consent.consentedAt",
        ),
        (
            {"identity": {"jurisdiction": "CN-GD", "scheme": "s", "identifiers": [1]}},
            "binding.identity.identifiers[0]",
        ),
    ],
)
def test_a_malformed_binding_names_the_member(
    iam: MockIAmSmart, user: MockIAmSmartUser, change: dict[str, Any], field: str
) -> None:
    res = run(
        "profile-reply",
        {"body": iam.reply(user.profile()), "binding": BINDING | change},
        purpose="authenticate",
    )
    assert (res.indication, res.sub_indication) == (Indication.FAILED, SubIndication.FORMAT_FAILURE)
    assert field in res.message
    assert failed_check(res) == "binding"
