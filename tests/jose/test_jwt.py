"""JWT credentials (RFC 7519) the RFC 8725 way: ``bayident.jose.verify_jwt``.

Times, issuer, audience, type, algorithm allow-list and keys, with tokens from the
mock issuer, PyJWT, jwcrypto and joserfc. Unverified claims are never returned.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
from typing import Any

import httpx
import jwt as pyjwt
import pytest
from cryptography.hazmat.primitives import hashes, hmac, serialization

import bayident
from _pki import CLOCK_START, SandboxPKI, assert_well_formed
from bayident import Indication, InvalidArgument, Policy, SubIndication
from bayident.jose import JWKSResolver, JWTResult, averify_jwt, verify_jwt
from bayident.testing import MockClock, MockJWTIssuer

Ind, Sub = Indication, SubIndication
NOW = CLOCK_START + dt.timedelta(hours=1)
AUD = "https://relying-party.test"


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_json(obj: Any) -> str:
    return b64u(json.dumps(obj, separators=(",", ":")).encode())


def check(res: JWTResult, ind: Indication, sub: SubIndication | None, *fragments: str) -> JWTResult:
    assert isinstance(res, JWTResult)
    r = assert_well_formed(res.result)
    assert r.indication is ind, r.explain()
    assert r.sub_indication is sub, r.explain()
    assert r.evidence_format == "jwt" or r.checks[0].name == "evidence-size"
    if ind is not Ind.PASSED:
        assert res.claims == {}, "claims must not be returned unless the token passed"
        assert not res.passed
    text = r.explain()
    for f in fragments:
        assert f in text, (f, text)
    return res


@pytest.fixture
def clock() -> MockClock:
    return MockClock(NOW)


@pytest.fixture
def issuer(clock: MockClock) -> MockJWTIssuer:
    return MockJWTIssuer("https://issuer.test", clock=clock)


def jwt_ok(token: str, iss: MockJWTIssuer, **kw: Any) -> JWTResult:
    kw.setdefault("jwks", iss.jwks)
    kw.setdefault("at", NOW)
    kw.setdefault("audience", AUD)
    kw.setdefault("issuer", iss.issuer)
    return verify_jwt(token, **kw)


def test_valid_token_returns_its_claims(issuer: MockJWTIssuer) -> None:
    token = issuer.issue({"scope": "read"}, subject="user-1", audience=AUD)
    res = check(jwt_ok(token, issuer), Ind.PASSED, None, "JWT valid", "exp", "iss", "aud")
    assert res.passed
    assert res.claims["sub"] == "user-1"
    assert res.claims["scope"] == "read"
    assert res.header["alg"] == "ES256"
    assert res.header["kid"] == issuer.kid
    assert res.result.signers[0].details["key_source"] == "jwks"
    assert "PASSED" in res.explain()


@pytest.mark.parametrize(
    "key_type", ["ec", "ec-p384", "ec-p521", "rsa", "rsa-pss", "ed25519", "ed448"]
)
def test_every_algorithm(clock: MockClock, key_type: Any) -> None:
    iss = MockJWTIssuer(key_type=key_type, clock=clock)
    token = iss.issue(audience=AUD)
    check(jwt_ok(token, iss), Ind.PASSED, None)
    head, body, sig = token.split(".")
    forged = json.loads(base64.urlsafe_b64decode(body + "=="))
    forged["sub"] = "admin"
    check(jwt_ok(f"{head}.{b64u_json(forged)}.{sig}", iss), Ind.FAILED, Sub.SIG_CRYPTO_FAILURE)


def test_x5c_token_against_a_trust_store(pki: SandboxPKI) -> None:
    iss = MockJWTIssuer.from_signer(pki.signer, issuer="https://hk-issuer.test")
    at = CLOCK_START + dt.timedelta(days=2)
    token = iss.issue(audience=AUD, x5c=True, issued_at=at)
    res = check(
        verify_jwt(token, trust=[pki.root.cert_pem], issuer=iss.issuer, audience=AUD, at=at),
        Ind.PASSED,
        None,
        "certificate-path",
    )
    assert res.result.signers[0].certificate is not None
    check(
        verify_jwt(token, trust=[pki.other_root.cert_pem], issuer=iss.issuer, audience=AUD, at=at),
        Ind.INDETERMINATE,
        Sub.NO_CERTIFICATE_CHAIN_FOUND,
    )


# --- times ------------------------------------------------------------------------------


def test_expired_token(issuer: MockJWTIssuer) -> None:
    token = issuer.issue(audience=AUD, lifetime=dt.timedelta(minutes=5))
    later = NOW + dt.timedelta(minutes=11)
    check(jwt_ok(token, issuer, at=later), Ind.FAILED, Sub.EXPIRED, "expired at", "RFC 7519 §4.1.4")
    # Within the leeway it still passes; the default leeway is Policy.clock_skew (5 minutes).
    check(jwt_ok(token, issuer, at=NOW + dt.timedelta(minutes=9)), Ind.PASSED, None)
    check(
        jwt_ok(token, issuer, at=NOW + dt.timedelta(minutes=9), leeway=0), Ind.FAILED, Sub.EXPIRED
    )
    check(
        jwt_ok(token, issuer, at=NOW + dt.timedelta(minutes=5, seconds=30), leeway=60),
        Ind.PASSED,
        None,
    )


def test_not_yet_valid_and_issued_in_the_future(issuer: MockJWTIssuer) -> None:
    token = issuer.issue(
        audience=AUD, not_before=NOW + dt.timedelta(hours=1), lifetime=dt.timedelta(hours=3)
    )
    check(jwt_ok(token, issuer), Ind.INDETERMINATE, Sub.NOT_YET_VALID, "not valid before")
    check(jwt_ok(token, issuer, at=NOW + dt.timedelta(hours=1)), Ind.PASSED, None)
    token = issuer.issue(audience=AUD, issued_at=NOW + dt.timedelta(hours=1))
    check(jwt_ok(token, issuer), Ind.INDETERMINATE, Sub.NOT_YET_VALID, "claims to be issued at")


@pytest.mark.parametrize("value", ["soon", True, None, [1], 1e300])
def test_malformed_time_claims(issuer: MockJWTIssuer, value: Any) -> None:
    claims = {"exp": value} if value is not None else {"exp": None, "nbf": {"x": 1}}
    token = issuer.issue(claims, audience=AUD)
    check(
        jwt_ok(token, issuer),
        Ind.FAILED,
        Sub.FORMAT_FAILURE,
        "NumericDate" if value != 1e300 else "range",
    )


def test_leeway_is_bounded(issuer: MockJWTIssuer) -> None:
    token = issuer.issue(audience=AUD)
    with pytest.raises(InvalidArgument, match="10 minutes"):
        jwt_ok(token, issuer, leeway=dt.timedelta(minutes=11))
    with pytest.raises(InvalidArgument, match="10 minutes"):
        jwt_ok(token, issuer, policy=Policy(clock_skew=dt.timedelta(hours=1)))
    with pytest.raises(InvalidArgument, match="negative"):
        jwt_ok(token, issuer, leeway=-1)
    with pytest.raises(InvalidArgument, match="leeway must be"):
        jwt_ok(token, issuer, leeway="5m")
    check(jwt_ok(token, issuer, leeway=dt.timedelta(minutes=10)), Ind.PASSED, None)


def test_required_claims(issuer: MockJWTIssuer) -> None:
    token = issuer.issue({"exp": None}, audience=AUD)
    check(jwt_ok(token, issuer), Ind.INDETERMINATE, Sub.SIG_CONSTRAINTS_FAILURE, "no 'exp' claim")
    check(jwt_ok(token, issuer, required_claims=()), Ind.PASSED, None)
    check(
        jwt_ok(issuer.issue(audience=AUD), issuer, required_claims=("exp", "sub")),
        Ind.INDETERMINATE,
        Sub.SIG_CONSTRAINTS_FAILURE,
        "no 'sub' claim",
    )
    with pytest.raises(InvalidArgument):
        jwt_ok(token, issuer, required_claims="exp")


# --- issuer, audience, type, algorithms ---------------------------------------------------


def test_issuer(issuer: MockJWTIssuer) -> None:
    token = issuer.issue(audience=AUD)
    check(
        jwt_ok(token, issuer, issuer="https://other.test"),
        Ind.INDETERMINATE,
        Sub.SIG_CONSTRAINTS_FAILURE,
        "issued by 'https://issuer.test'",
    )
    check(jwt_ok(token, issuer, issuer=["https://other.test", issuer.issuer]), Ind.PASSED, None)
    check(
        jwt_ok(issuer.issue({"iss": None}, audience=AUD), issuer),
        Ind.INDETERMINATE,
        Sub.SIG_CONSTRAINTS_FAILURE,
        "no string 'iss'",
    )


def test_audience(issuer: MockJWTIssuer) -> None:
    token = issuer.issue(audience=[AUD, "https://other-rp.test"])
    check(jwt_ok(token, issuer), Ind.PASSED, None)
    check(
        jwt_ok(token, issuer, audience="https://me.test"),
        Ind.INDETERMINATE,
        Sub.SIG_CONSTRAINTS_FAILURE,
        "not 'https://me.test'",
    )
    check(
        jwt_ok(token, issuer, audience=None),
        Ind.INDETERMINATE,
        Sub.SIG_CONSTRAINTS_FAILURE,
        "no audience was given",
    )
    no_aud = issuer.issue()
    check(jwt_ok(no_aud, issuer), Ind.INDETERMINATE, Sub.SIG_CONSTRAINTS_FAILURE, "no 'aud' claim")
    check(jwt_ok(no_aud, issuer, audience=None), Ind.PASSED, None)
    check(
        jwt_ok(issuer.issue({"aud": 5}), issuer),
        Ind.FAILED,
        Sub.FORMAT_FAILURE,
        "string or an array of strings",
    )


def test_typ(issuer: MockJWTIssuer) -> None:
    token = issuer.issue(audience=AUD, typ="at+jwt")
    check(jwt_ok(token, issuer, typ="at+jwt"), Ind.PASSED, None)
    check(jwt_ok(token, issuer, typ="application/at+jwt"), Ind.PASSED, None)
    check(
        jwt_ok(token, issuer, typ="JWT"),
        Ind.INDETERMINATE,
        Sub.SIG_CONSTRAINTS_FAILURE,
        "typ is 'at+jwt', not 'JWT'",
    )
    check(
        jwt_ok(issuer.issue(audience=AUD, typ=None), issuer, typ="JWT"),
        Ind.INDETERMINATE,
        Sub.SIG_CONSTRAINTS_FAILURE,
        "typ is None",
    )


def test_algorithm_allow_list(issuer: MockJWTIssuer) -> None:
    token = issuer.issue(audience=AUD)
    check(
        jwt_ok(token, issuer, algorithms=["RS256", "PS256"]),
        Ind.INDETERMINATE,
        Sub.CRYPTO_CONSTRAINTS_FAILURE,
        "not among those allowed",
    )
    check(jwt_ok(token, issuer, algorithms=["ES256"]), Ind.PASSED, None)


def test_alg_none_token(issuer: MockJWTIssuer) -> None:
    body = b64u_json({"iss": issuer.issuer, "aud": AUD, "exp": int(NOW.timestamp()) + 60})
    for alg in ("none", "NONE"):
        token = f"{b64u_json({'alg': alg, 'typ': 'JWT'})}.{body}."
        check(jwt_ok(token, issuer), Ind.FAILED, Sub.FORMAT_FAILURE, "unsecured")


def test_hs256_signed_with_the_rsa_public_key(clock: MockClock) -> None:
    iss = MockJWTIssuer(key_type="rsa", clock=clock)
    public_pem = iss.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    head = b64u_json({"alg": "HS256", "typ": "JWT", "kid": iss.kid})
    body = b64u_json(
        {"iss": iss.issuer, "aud": AUD, "exp": int(NOW.timestamp()) + 60, "sub": "admin"}
    )
    mac = hmac.HMAC(public_pem, hashes.SHA256())
    mac.update(f"{head}.{body}".encode())
    token = f"{head}.{body}.{b64u(mac.finalize())}"
    check(
        jwt_ok(token, iss),
        Ind.INDETERMINATE,
        Sub.CRYPTO_CONSTRAINTS_FAILURE,
        "HS256, a MAC",
        "RFC 8725",
    )


def test_jwks_key_alg_must_match(clock: MockClock) -> None:
    iss = MockJWTIssuer(key_type="rsa", clock=clock)
    token = iss.issue(audience=AUD, alg="PS256")
    check(jwt_ok(token, iss), Ind.FAILED, Sub.FORMAT_FAILURE, "is for RS256", "PS256")
    doc = iss.jwks
    del doc["keys"][0]["alg"]
    check(jwt_ok(token, iss, jwks=doc), Ind.PASSED, None)


def test_key_type_must_match_the_algorithm(clock: MockClock) -> None:
    ec_iss = MockJWTIssuer(clock=clock)
    rsa_iss = MockJWTIssuer(key_type="rsa", clock=clock)
    doc = rsa_iss.jwks
    doc["keys"][0]["kid"] = ec_iss.kid
    token = ec_iss.issue(audience=AUD)
    check(
        jwt_ok(token, ec_iss, jwks=doc),
        Ind.FAILED,
        Sub.FORMAT_FAILURE,
        "ES256 needs an EC key but the key is RSA-2048",
    )


# --- structure -------------------------------------------------------------------------


def test_claims_with_duplicate_names(issuer: MockJWTIssuer) -> None:
    exp = int(NOW.timestamp()) + 60
    payload = f'{{"iss":"{issuer.issuer}","exp":{exp},"sub":"a","sub":"admin"}}'.encode()
    token = issuer.forge({"alg": "ES256", "kid": issuer.kid}, b64u(payload).encode())
    check(
        jwt_ok(token, issuer, audience=None),
        Ind.FAILED,
        Sub.FORMAT_FAILURE,
        "duplicate member name 'sub'",
    )


def test_claims_that_are_not_an_object(issuer: MockJWTIssuer) -> None:
    token = issuer.forge({"alg": "ES256", "kid": issuer.kid}, b64u(b"[1,2]").encode())
    check(jwt_ok(token, issuer), Ind.FAILED, Sub.FORMAT_FAILURE, "must be a JSON object")


def test_jwt_shape_rules(issuer: MockJWTIssuer) -> None:
    detached = issuer.sign_detached(b"x")
    check(jwt_ok(detached, issuer), Ind.FAILED, Sub.FORMAT_FAILURE, "empty payload")
    as_json = issuer.sign_detached(b"x", serialization="json")
    check(jwt_ok(as_json, issuer), Ind.FAILED, Sub.FORMAT_FAILURE, "compact serialization")
    body = b64u_json({"exp": int(NOW.timestamp()) + 60})
    b64false = issuer.forge(
        {"alg": "ES256", "kid": issuer.kid, "b64": False, "crit": ["b64"]}, body.encode()
    )
    check(jwt_ok(b64false, issuer, audience=None), Ind.FAILED, Sub.FORMAT_FAILURE, "b64=false")
    nested = issuer.issue(audience=AUD, headers={"cty": "JWT"})
    check(jwt_ok(nested, issuer), Ind.FAILED, Sub.FORMAT_FAILURE, "nested JWTs")
    check(jwt_ok("not a token", issuer), Ind.FAILED, Sub.FORMAT_FAILURE, "3 parts")
    with pytest.raises(InvalidArgument):
        jwt_ok(12345, issuer)  # type: ignore[arg-type]


def test_crit_in_a_jwt(issuer: MockJWTIssuer) -> None:
    token = issuer.issue(audience=AUD, headers={"crit": ["exp"], "exp": 1})
    check(jwt_ok(token, issuer), Ind.FAILED, Sub.FORMAT_FAILURE, "'exp'", "does not understand")


def test_oversized_token(issuer: MockJWTIssuer) -> None:
    token = issuer.issue({"blob": "x" * 4000}, audience=AUD)
    check(
        jwt_ok(token, issuer, policy=Policy(max_evidence_bytes=2048)),
        Ind.FAILED,
        Sub.FORMAT_FAILURE,
        "max_evidence_bytes",
    )


def test_expired_jwt_does_not_pass_through_bayident_verify(pki: SandboxPKI) -> None:
    iss = MockJWTIssuer.from_signer(pki.signer)
    issued = CLOCK_START + dt.timedelta(days=2)
    token = iss.issue(audience=AUD, x5c=True, issued_at=issued)
    trust = [pki.root.cert_pem]
    ok = bayident.verify(token.encode(), trust=trust, at=issued + dt.timedelta(minutes=1))
    assert ok.passed, ok.explain()
    late = bayident.verify(token.encode(), trust=trust, at=issued + dt.timedelta(hours=1))
    assert late.indication is Ind.FAILED, late.explain()
    assert late.sub_indication is Sub.EXPIRED, late.explain()


# --- keys from a URL ---------------------------------------------------------------------


def test_resolver_and_rotation(issuer: MockJWTIssuer, clock: MockClock) -> None:
    with httpx.Client(transport=issuer.mock_transport()) as client:
        resolver = JWKSResolver(issuer.jwks_url, client, min_refetch_interval=0)
        old = issuer.issue(audience=AUD)
        check(jwt_ok(old, issuer, jwks=resolver), Ind.PASSED, None)
        issuer.rotate(grace=dt.timedelta(minutes=30))
        new = issuer.issue(audience=AUD)
        check(jwt_ok(new, issuer, jwks=resolver), Ind.PASSED, None)
        check(jwt_ok(old, issuer, jwks=resolver), Ind.PASSED, None)
        assert resolver.fetch_count == 2
        clock.advance(dt.timedelta(minutes=31))
        resolver.refresh()
        check(
            jwt_ok(old, issuer, jwks=resolver, at=NOW),
            Ind.INDETERMINATE,
            Sub.NO_SIGNING_CERTIFICATE_FOUND,
            "no key with kid",
        )


def test_real_server_and_async(issuer: MockJWTIssuer) -> None:
    token = issuer.issue(audience=AUD)
    with issuer.serve() as server:
        check(jwt_ok(token, issuer, jwks=JWKSResolver(server.url)), Ind.PASSED, None)

        async def go() -> JWTResult:
            return await averify_jwt(
                token, jwks=JWKSResolver(server.url), issuer=issuer.issuer, audience=AUD, at=NOW
            )

        check(asyncio.run(go()), Ind.PASSED, None)


# --- tokens from other implementations -------------------------------------------------------


@pytest.mark.interop
@pytest.mark.filterwarnings("ignore:EdDSA is deprecated")
@pytest.mark.parametrize("alg", ["ES256", "RS256", "PS256", "EdDSA"])
def test_tokens_from_pyjwt_jwcrypto_and_joserfc(clock: MockClock, alg: str) -> None:
    from joserfc import jwt as jjwt
    from joserfc.jwk import import_key
    from jwcrypto import jwk as cjwk  # type: ignore[import-untyped]
    from jwcrypto import jwt as cjwt

    key_type = {"ES256": "ec", "RS256": "rsa", "PS256": "rsa-pss", "EdDSA": "ed25519"}[alg]
    iss = MockJWTIssuer(key_type=key_type, clock=clock)  # type: ignore[arg-type]
    private = iss.private_key
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    claims = {
        "iss": iss.issuer,
        "aud": AUD,
        "sub": "interop",
        "iat": int(NOW.timestamp()),
        "exp": int(NOW.timestamp()) + 300,
    }
    header = {"alg": alg, "kid": iss.kid, "typ": "JWT"}
    tokens = {"pyjwt": pyjwt.encode(claims, private, algorithm=alg, headers={"kid": iss.kid})}
    kty = {"ES256": "EC", "RS256": "RSA", "PS256": "RSA", "EdDSA": "OKP"}[alg]
    key = import_key(pem, kty)  # type: ignore[call-overload]
    tokens["joserfc"] = jjwt.encode(header, claims, key, algorithms=[alg])
    cw = cjwt.JWT(header=header, claims=claims)
    cw.make_signed_token(cjwk.JWK.from_pem(pem))
    tokens["jwcrypto"] = cw.serialize()
    for who, token in tokens.items():
        res = check(jwt_ok(token, iss), Ind.PASSED, None)
        assert res.claims["sub"] == "interop", who
