"""Detached JWS made by other implementations (jwcrypto, joserfc, PyJWT) and the
RFC 7520 (JOSE Cookbook) examples, verified by bayident.

Keys are certified by the sandbox PKI and carried in ``x5c``, so these go through
``bayident.verify`` and the trust store, exactly as a real detached signature would.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import serialization
from jwcrypto import jwk as cjwk  # type: ignore[import-untyped]
from jwcrypto import jws as cjws

import bayident
from _pki import AT, SandboxPKI, assert_well_formed
from bayident import Indication, SubIndication, VerificationResult
from bayident.jose import JWKSet, verify_jws
from bayident.testing import MockJWTIssuer

pytestmark = [pytest.mark.interop, pytest.mark.filterwarnings("ignore:EdDSA is deprecated")]

Ind, Sub = Indication, SubIndication
VECTORS = Path(__file__).resolve().parents[1] / "vectors"
CONTENT = "Cross-boundary application form — sandbox data, version 2".encode()  # contains no '.'
DOTTED = b"Payment of HKD 1,234.50 to account 012-345-678."


def check(
    res: object, ind: Indication, sub: SubIndication | None, *fragments: str
) -> VerificationResult:
    r = assert_well_formed(res)
    assert r.indication is ind, r.explain()
    assert r.sub_indication is sub, r.explain()
    for f in fragments:
        assert f in r.explain(), (f, r.explain())
    return r


KEY_TYPES = {"ES256": "ec", "RS256": "rsa", "PS256": "rsa-pss", "EdDSA": "ed25519"}


@pytest.fixture(scope="module", params=list(KEY_TYPES))
def signer(request: pytest.FixtureRequest, pki: SandboxPKI) -> tuple[str, MockJWTIssuer]:
    alg = request.param
    iss = MockJWTIssuer(key_type=KEY_TYPES[alg], ca=pki.intermediate, clock=pki.clock)  # type: ignore[arg-type]
    return alg, iss


def _pem(iss: MockJWTIssuer) -> bytes:
    return iss.private_key.private_bytes(  # type: ignore[no-any-return]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _x5c(iss: MockJWTIssuer) -> list[str]:
    return [
        base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()
        for c in iss.certificate_chain
    ]


def _verify(token: str | bytes, content: bytes, pki: SandboxPKI) -> VerificationResult:
    raw = token.encode() if isinstance(token, str) else token
    return bayident.verify(raw, content=content, trust=[pki.root.cert_pem], at=AT)


# --- jwcrypto -------------------------------------------------------------------------------


@pytest.mark.parametrize("b64", [True, False])
@pytest.mark.parametrize("compact", [True, False])
def test_jwcrypto_detached(
    signer: tuple[str, MockJWTIssuer], pki: SandboxPKI, b64: bool, compact: bool
) -> None:
    alg, iss = signer
    protected: dict[str, Any] = {"alg": alg, "x5c": _x5c(iss)}
    if not b64:
        protected.update(b64=False, crit=["b64"])
    token = cjws.JWS(CONTENT)
    token.add_signature(cjwk.JWK.from_pem(_pem(iss)), None, json.dumps(protected))
    token.detach_payload()
    text = token.serialize(compact=compact)
    r = check(_verify(text, CONTENT, pki), Ind.PASSED, None)
    assert r.signers[0].signature_algorithm == alg
    check(_verify(text, CONTENT + b"!", pki), Ind.FAILED, Sub.SIG_CRYPTO_FAILURE)


def test_jwcrypto_general_json_with_two_signatures(pki: SandboxPKI) -> None:
    ec_iss = MockJWTIssuer(key_type="ec", ca=pki.intermediate, clock=pki.clock)
    rsa_iss = MockJWTIssuer(key_type="rsa-pss", ca=pki.intermediate, clock=pki.clock)
    token = cjws.JWS(DOTTED)
    for alg, iss in (("ES256", ec_iss), ("PS256", rsa_iss)):
        protected = {"alg": alg, "x5c": _x5c(iss), "b64": False, "crit": ["b64"]}
        token.add_signature(cjwk.JWK.from_pem(_pem(iss)), None, json.dumps(protected))
    token.detach_payload()
    r = check(_verify(token.serialize(), DOTTED, pki), Ind.PASSED, None, "all 2 signatures valid")
    assert [s.signature_algorithm for s in r.signers] == ["ES256", "PS256"]


def test_bayident_tokens_verify_in_jwcrypto(signer: tuple[str, MockJWTIssuer]) -> None:
    _alg, iss = signer
    public = cjwk.JWK.from_pem(
        iss.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    for b64 in (True, False):
        text = iss.sign_detached(DOTTED, b64=b64, serialization="json")
        parsed = cjws.JWS()
        parsed.deserialize(text)
        parsed.verify(public, detached_payload=DOTTED)
        assert parsed.objects["valid"]


# --- joserfc --------------------------------------------------------------------------------


@pytest.mark.parametrize("b64", [True, False])
@pytest.mark.parametrize("form", ["compact", "flattened", "general"])
def test_joserfc_detached(
    signer: tuple[str, MockJWTIssuer], pki: SandboxPKI, b64: bool, form: str
) -> None:
    from joserfc import jws
    from joserfc.jwk import import_key

    alg, iss = signer
    kty = {"ES256": "EC", "RS256": "RSA", "PS256": "RSA", "EdDSA": "OKP"}[alg]
    key = import_key(_pem(iss), kty)  # type: ignore[call-overload]
    protected: dict[str, Any] = {"alg": alg, "x5c": _x5c(iss)}
    if not b64:
        protected.update(b64=False, crit=["b64"])
    if form == "compact":
        text = jws.detach_content(jws.serialize_compact(protected, CONTENT, key, algorithms=[alg]))
    else:
        members: Any = (
            {"protected": protected} if form == "flattened" else [{"protected": protected}]
        )
        doc = jws.serialize_json(members, CONTENT, key, algorithms=[alg])
        text = json.dumps(jws.detach_content(doc))
    check(_verify(text, CONTENT, pki), Ind.PASSED, None)
    check(_verify(text, CONTENT[:-1], pki), Ind.FAILED, Sub.SIG_CRYPTO_FAILURE)


def test_joserfc_compact_unencoded_payload_with_a_dot_is_refused(pki: SandboxPKI) -> None:
    from joserfc import jws
    from joserfc.jwk import ECKey

    iss = MockJWTIssuer(key_type="ec", ca=pki.intermediate, clock=pki.clock)
    protected = {"alg": "ES256", "x5c": _x5c(iss), "b64": False, "crit": ["b64"]}
    doc = jws.serialize_json(
        {"protected": protected}, DOTTED, ECKey.import_key(_pem(iss)), algorithms=["ES256"]
    )
    flat = jws.detach_content(doc)
    check(_verify(json.dumps(flat), DOTTED, pki), Ind.PASSED, None)
    compact = f"{flat['protected']}..{flat['signature']}"
    check(_verify(compact, DOTTED, pki), Ind.FAILED, Sub.FORMAT_FAILURE, "RFC 7797 §5.2")


# --- PyJWT ------------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", list(KEY_TYPES))
def test_pyjwt_unencoded_detached(pki: SandboxPKI, alg: str) -> None:
    iss = MockJWTIssuer(key_type=KEY_TYPES[alg], ca=pki.intermediate, clock=pki.clock)  # type: ignore[arg-type]
    token = pyjwt.api_jws.PyJWS().encode(
        CONTENT,
        iss.private_key,
        algorithm=alg,
        headers={"x5c": _x5c(iss)},
        is_payload_detached=True,
    )
    assert token.split(".")[1] == ""
    check(_verify(token, CONTENT, pki), Ind.PASSED, None)


# --- RFC 7520 -----------------------------------------------------------------------------------


def _load(name: str) -> dict[str, Any]:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_rfc7520_payload_vector_is_consistent() -> None:
    v = _load("rfc7520_4_5_detached_hs256.json")
    text = v["payload"]["text"].encode("utf-8")
    assert text.hex() == v["payload"]["utf8_hex"]
    assert base64.urlsafe_b64encode(text).rstrip(b"=").decode() == v["payload"]["base64url"]
    assert json.loads(base64.urlsafe_b64decode(v["protected"] + "==")) == v["protected_header_json"]


def test_rfc7520_4_5_detached_hs256_is_a_valid_mac_that_bayident_refuses() -> None:
    v = _load("rfc7520_4_5_detached_hs256.json")
    payload = v["payload"]["text"].encode("utf-8")
    key = base64.urlsafe_b64decode(v["key"]["jwk"]["k"] + "==")
    # The vector is right: HMAC-SHA256 over header '.' BASE64URL(payload) gives Figure 40.
    mac = hmac.new(key, f"{v['protected']}.{v['payload']['base64url']}".encode(), hashlib.sha256)
    assert base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode() == v["signature"]
    # jwcrypto agrees, with the payload supplied separately.
    parsed = cjws.JWS()
    parsed.deserialize(v["compact"])
    parsed.verify(cjwk.JWK(**v["key"]["jwk"]), detached_payload=payload)
    assert parsed.objects["valid"]
    # bayident verifies signatures with public keys only: HS256 is refused in every form, and
    # the oct key in the key set is never used.
    keys = JWKSet({"keys": [v["key"]["jwk"]]})
    assert keys.keys == ()
    assert "symmetric (oct)" in keys.notes[0]
    for form in (v["compact"], json.dumps(v["general_json"]), json.dumps(v["flattened_json"])):
        check(
            verify_jws(form, content=payload, jwks=keys, at=AT),
            Ind.INDETERMINATE,
            Sub.CRYPTO_CONSTRAINTS_FAILURE,
            "HS256, a MAC",
        )


@pytest.mark.parametrize("case", [0, 1])
def test_rfc7520_4_1_and_4_3_verify_detached(case: int) -> None:
    v = _load("rfc7520_4_1_4_3_detached.json")
    c = v["cases"][case]
    payload = v["payload"]["text"].encode("utf-8")
    keys = {"keys": v["keys"]["keys"]}
    r = check(
        verify_jws(c["compact"], content=payload, jwks=keys, at=AT),
        Ind.PASSED,
        None,
        "bilbo.baggins@hobbiton.example",
    )
    assert r.signers[0].signature_algorithm == c["alg"]
    flat = json.dumps({"protected": c["protected"], "signature": c["signature"]})
    check(verify_jws(flat, content=payload, jwks=keys, at=AT), Ind.PASSED, None)
    # Attached again, as in Figures 13/27, it verifies without separate content.
    attached = c["compact"].replace("..", f".{v['payload']['base64url']}.")
    check(verify_jws(attached, jwks=keys, at=AT), Ind.PASSED, None)
    check(
        verify_jws(c["compact"], content=payload + b" ", jwks=keys, at=AT),
        Ind.FAILED,
        Sub.SIG_CRYPTO_FAILURE,
    )


def test_rfc7520_4_8_multiple_signatures_detached() -> None:
    v = _load("rfc7520_4_8_multiple_signatures.json")
    payload = v["payload"]["text"].encode("utf-8")
    r = check(
        verify_jws(json.dumps(v["general_json"]), content=payload, jwks=v["keys"], at=AT),
        Ind.FAILED,
        Sub.FORMAT_FAILURE,
        "signature 1: 'alg' is in the unprotected header",
    )
    assert [s.indication for s in r.signers] == [Ind.PASSED, Ind.FAILED, Ind.INDETERMINATE]
    assert r.signers[0].signature_algorithm == "RS256"
    assert r.signers[2].sub_indication is Sub.CRYPTO_CONSTRAINTS_FAILURE


def test_rfc7520_validation_time_is_irrelevant_to_keys_from_a_jwks() -> None:
    v = _load("rfc7520_4_1_4_3_detached.json")
    payload = v["payload"]["text"].encode("utf-8")
    for year in (2015, 2040):
        at = dt.datetime(year, 1, 1, tzinfo=dt.UTC)
        check(
            verify_jws(v["cases"][0]["compact"], content=payload, jwks=v["keys"], at=at),
            Ind.PASSED,
            None,
        )
