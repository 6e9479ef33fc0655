"""Detached JWS (RFC 7515 Appendix F, RFC 7797) through ``bayident.verify`` and
``bayident.jose.verify_jws``: serialisations, keys, JAdES fields, JWKS and hostile input.

Every non-passing case checks the indication, the sub-indication and that the message
names the element or rule at fault.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, hmac, serialization
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bayident
from _pki import AT, CLOCK_START, CONTENT, SandboxPKI, assert_well_formed
from bayident import Indication, InvalidArgument, Policy, SubIndication, VerificationResult
from bayident.cli import main
from bayident.jose import JWKSet, JWKSResolver, averify_jws, verify_jws
from bayident.jose._api import _context
from bayident.jose._verify import HANDLER
from bayident.testing import MockCA, MockClock, MockJWTIssuer, merge_signatures

Ind, Sub = Indication, SubIndication


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_json(obj: Any) -> str:
    return b64u(json.dumps(obj, separators=(",", ":")).encode())


def x5c_of(issuer: MockJWTIssuer) -> list[str]:
    return [
        base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()
        for c in issuer.certificate_chain
    ]


def check(
    res: object, ind: Indication, sub: SubIndication | None, *fragments: str
) -> VerificationResult:
    r = assert_well_formed(res)
    assert r.indication is ind, r.explain()
    assert r.sub_indication is sub, r.explain()
    text = r.explain()
    for f in fragments:
        assert f in text, (f, text)
    return r


@pytest.fixture(scope="module")
def issuer(pki: SandboxPKI) -> MockJWTIssuer:
    """The sandbox signer (EC P-256 under the EC intermediate) as a JWS issuer."""
    return MockJWTIssuer.from_signer(pki.signer)


@pytest.fixture(scope="module")
def trust(pki: SandboxPKI) -> list[bytes]:
    return [pki.root.cert_pem]


def verify(token: str | bytes, content: Any = CONTENT, **kw: Any) -> VerificationResult:
    kw.setdefault("at", AT)
    return bayident.verify(
        token.encode() if isinstance(token, str) else token, content=content, **kw
    )


# --- round trips ------------------------------------------------------------------------


@pytest.mark.parametrize("serialization", ["compact", "json", "json-general"])
@pytest.mark.parametrize("b64", [True, False])
def test_detached_roundtrip_through_bayident_verify(
    issuer: MockJWTIssuer, trust: list[bytes], pki: SandboxPKI, serialization: Any, b64: bool
) -> None:
    token = issuer.sign_detached(
        CONTENT.replace(b".", b"!"), x5c=True, b64=b64, serialization=serialization
    )
    r = check(
        verify(token, CONTENT.replace(b".", b"!"), trust=trust),
        Ind.PASSED,
        None,
        "signature valid",
        "certificate-path",
    )
    assert r.evidence_format == "jws"
    (s,) = r.signers
    assert s.passed
    assert s.signature_algorithm == "ES256"
    assert s.digest_algorithm == "sha256"
    assert s.certificate is not None
    assert "CHAN Tai Man" in s.certificate.subject
    assert [c.subject for c in s.chain][-1] == s.trust_anchor.subject  # type: ignore[union-attr]
    assert len(s.chain) == 3
    assert s.details["b64"] is b64
    assert s.details["key_source"] == "x5c"
    assert s.details["serialization"] == {"json": "json-flattened"}.get(
        serialization, serialization
    )
    tampered = CONTENT.replace(b".", b"!") + b" "
    check(
        verify(token, tampered, trust=trust), Ind.FAILED, Sub.SIG_CRYPTO_FAILURE, "does not verify"
    )


@pytest.mark.parametrize(
    ("key_type", "alg"),
    [
        ("ec", "ES256"),
        ("ec-p384", "ES384"),
        ("ec-p521", "ES512"),
        ("rsa", "RS256"),
        ("rsa-pss", "PS256"),
        ("ed25519", "EdDSA"),
        ("ed448", "EdDSA"),
    ],
)
def test_every_key_type_with_x5c(
    pki: SandboxPKI, trust: list[bytes], key_type: Any, alg: str
) -> None:
    iss = MockJWTIssuer(key_type=key_type, ca=pki.intermediate, clock=pki.clock)
    for b64 in (True, False):
        token = iss.sign_detached(b"form data", x5c=True, b64=b64, serialization="json")
        r = check(verify(token, b"form data", trust=trust), Ind.PASSED, None)
        assert r.signers[0].signature_algorithm == alg
        check(verify(token, b"form datA", trust=trust), Ind.FAILED, Sub.SIG_CRYPTO_FAILURE)


def test_attached_payload_verifies_without_content(
    issuer: MockJWTIssuer, trust: list[bytes]
) -> None:
    token = issuer.forge({"alg": "ES256", "x5c": x5c_of(issuer)}, b64u(CONTENT).encode())
    r = check(verify(token, None, trust=trust), Ind.PASSED, None, "payload carried in the JWS")
    assert "attached" in r.checks[0].message
    check(
        verify(token, CONTENT, trust=trust),
        Ind.FAILED,
        Sub.FORMAT_FAILURE,
        "carries its payload",
        "content was also given",
    )


def test_detached_without_content_is_signed_data_not_found(
    issuer: MockJWTIssuer, trust: list[bytes]
) -> None:
    token = issuer.sign_detached(CONTENT, x5c=True)
    check(
        verify(token, None, trust=trust),
        Ind.INDETERMINATE,
        Sub.SIGNED_DATA_NOT_FOUND,
        "detached and no content was given",
    )


@pytest.mark.parametrize("b64", [True, False])
@pytest.mark.parametrize("key_type", ["ec", "rsa-pss", "ed25519"])
def test_large_content_from_a_path_or_stream_is_streamed(
    pki: SandboxPKI, trust: list[bytes], tmp_path: Path, b64: bool, key_type: Any
) -> None:
    # 2.5 MiB + 2 octets: several chunks, and a length that is not a multiple of 3.
    content = bytes(range(256)) * (10 * 1024) + b"xy"
    iss = MockJWTIssuer(key_type=key_type, ca=pki.intermediate, clock=pki.clock)
    token = iss.sign_detached(content, x5c=True, b64=b64, serialization="json")
    path = tmp_path / "big.bin"
    path.write_bytes(content)
    check(verify(token, path, trust=trust), Ind.PASSED, None)
    check(verify(token, io.BytesIO(content), trust=trust), Ind.PASSED, None)
    path.write_bytes(content[:-1] + b"z")
    check(verify(token, path, trust=trust), Ind.FAILED, Sub.SIG_CRYPTO_FAILURE)


def test_eddsa_content_over_the_memory_limit(
    pki: SandboxPKI, trust: list[bytes], tmp_path: Path
) -> None:
    iss = MockJWTIssuer(key_type="ed25519", ca=pki.intermediate, clock=pki.clock)
    token = iss.sign_detached(b"x" * 5000, x5c=True)
    path = tmp_path / "c.bin"
    path.write_bytes(b"x" * 5000)
    pol = Policy(max_in_memory_content_bytes=1000)
    check(
        verify(token, path, trust=trust, policy=pol),
        Ind.INDETERMINATE,
        Sub.SIGNED_DATA_NOT_FOUND,
        "pure EdDSA",
        "max_in_memory_content_bytes",
    )


# --- JAdES header fields ---------------------------------------------------------------


def test_sig_t_is_reported_as_claimed_signing_time(
    issuer: MockJWTIssuer, trust: list[bytes]
) -> None:
    when = dt.datetime(2026, 1, 15, 9, 30, tzinfo=dt.UTC)
    token = issuer.sign_detached(CONTENT, x5c=True, x5t_s256=True, sig_t=when)
    r = check(
        verify(token, trust=trust), Ind.PASSED, None, "claimed signing time 2026-01-15T09:30:00Z"
    )
    assert r.signers[0].claimed_signing_time == when
    assert "sigT" in r.signers[0].signed_attributes
    assert any(c.name == "x5t#S256" and c.outcome.value == "passed" for c in r.checks)


def test_sig_t_in_the_future_is_a_warning(issuer: MockJWTIssuer, trust: list[bytes]) -> None:
    token = issuer.sign_detached(CONTENT, x5c=True, sig_t=AT + dt.timedelta(days=2))
    r = check(verify(token, trust=trust), Ind.PASSED, None)
    assert any(c.name == "signing-time" and c.outcome.value == "warning" for c in r.checks)


def test_malformed_sig_t(issuer: MockJWTIssuer, trust: list[bytes]) -> None:
    token = issuer.sign_detached(
        CONTENT, x5c=True, headers={"sigT": "15/01/2026", "crit": ["sigT"]}
    )
    check(verify(token, trust=trust), Ind.FAILED, Sub.FORMAT_FAILURE, "'sigT' must be a UTC time")


def test_x5t_s256_must_match_the_leaf(
    issuer: MockJWTIssuer, pki: SandboxPKI, trust: list[bytes]
) -> None:
    other = b64u(hashlib.sha256(pki.intermediate.cert_der).digest())
    token = issuer.sign_detached(CONTENT, x5c=True, headers={"x5t#S256": other})
    check(
        verify(token, trust=trust),
        Ind.INDETERMINATE,
        Sub.NO_SIGNING_CERTIFICATE_FOUND,
        "'x5t#S256' does not match",
    )
    token = issuer.sign_detached(CONTENT, x5c=True, headers={"x5t#S256": b64u(b"short")})
    check(verify(token, trust=trust), Ind.FAILED, Sub.FORMAT_FAILURE, "is 5 octets")


def test_sha1_x5t_must_match_the_leaf_too(issuer: MockJWTIssuer, trust: list[bytes]) -> None:
    leaf = issuer.certificate_chain[0].public_bytes(serialization.Encoding.DER)
    good = b64u(hashlib.sha1(leaf).digest())
    check(
        verify(issuer.sign_detached(CONTENT, x5c=True, headers={"x5t": good}), trust=trust),
        Ind.PASSED,
        None,
    )
    bad = b64u(hashlib.sha1(leaf + b"x").digest())
    check(
        verify(issuer.sign_detached(CONTENT, x5c=True, headers={"x5t": bad}), trust=trust),
        Ind.INDETERMINATE,
        Sub.NO_SIGNING_CERTIFICATE_FOUND,
        "'x5t' does not match",
    )


def test_jws_in_a_text_string_and_from_a_file(
    issuer: MockJWTIssuer, trust: list[bytes], tmp_path: Path
) -> None:
    token = issuer.sign_detached(CONTENT, x5c=True)
    check(verify_jws(token, content=CONTENT, trust=trust, at=AT), Ind.PASSED, None)
    path = tmp_path / "form.jws"
    path.write_text(token + "\n")
    r = check(verify_jws(str(path), content=CONTENT, trust=trust, at=AT), Ind.PASSED, None)
    assert "form.jws" in r.checks[0].concerns  # type: ignore[operator]
    with pytest.raises(bayident.InputError):
        verify_jws(str(tmp_path / "missing.jws"), content=CONTENT, trust=trust, at=AT)


def test_x5t_s256_finds_the_certificate_among_extra_certs(
    issuer: MockJWTIssuer, pki: SandboxPKI, trust: list[bytes]
) -> None:
    token = issuer.sign_detached(CONTENT, x5t_s256=True)
    r = check(
        verify(token, trust=trust, extra_certs=[pki.signer.cert_der, pki.intermediate.cert_der]),
        Ind.PASSED,
        None,
        "x5t#S256 thumbprint",
    )
    assert r.signers[0].details["key_source"] == "x5t#S256"
    check(
        verify(token, trust=trust),
        Ind.INDETERMINATE,
        Sub.NO_SIGNING_CERTIFICATE_FOUND,
        "neither in the JWS (x5c) nor among the extra certificates",
    )


def test_sig_d_is_reported_and_refused(issuer: MockJWTIssuer, trust: list[bytes]) -> None:
    sig_d = {
        "mId": "http://uri.etsi.org/19182/ObjectIdByURI",
        "pars": ["form.pdf"],
        "hashM": "S256",
        "hashV": ["abc"],
    }
    token = issuer.sign_detached(CONTENT, x5c=True, headers={"sigD": sig_d, "crit": ["sigD"]})
    r = check(
        verify(token, trust=trust),
        Ind.INDETERMINATE,
        Sub.SIGNED_DATA_NOT_FOUND,
        "'sigD'",
        "does not resolve",
    )
    assert r.signers[0].details["sigD"] == sig_d


# --- several signatures -----------------------------------------------------------------


def test_general_json_with_two_signers(
    pki: SandboxPKI, issuer: MockJWTIssuer, trust: list[bytes]
) -> None:
    rsa_iss = MockJWTIssuer(key_type="rsa", ca=pki.intermediate, clock=pki.clock)
    both = merge_signatures(
        issuer.sign_detached(CONTENT, x5c=True, serialization="json"),
        rsa_iss.sign_detached(CONTENT, x5c=True, serialization="json-general"),
    )
    r = check(verify(both, trust=trust), Ind.PASSED, None, "all 2 signatures valid")
    assert [s.signature_algorithm for s in r.signers] == ["ES256", "RS256"]
    assert [s.index for s in r.signers] == [0, 1]
    doc = json.loads(both)
    doc["signatures"][1]["signature"] = doc["signatures"][0]["signature"][:-4] + "AAAA"
    r = check(
        verify(json.dumps(doc), trust=trust), Ind.FAILED, Sub.SIG_CRYPTO_FAILURE, "signature 1: "
    )
    assert [s.indication for s in r.signers] == [Ind.PASSED, Ind.FAILED]


def test_signatures_must_agree_on_b64(issuer: MockJWTIssuer, trust: list[bytes]) -> None:
    mixed = merge_signatures(
        issuer.sign_detached(CONTENT, x5c=True, serialization="json", b64=True),
        issuer.sign_detached(CONTENT, x5c=True, serialization="json", b64=False),
    )
    check(
        verify(mixed, trust=trust),
        Ind.FAILED,
        Sub.FORMAT_FAILURE,
        "disagree on 'b64'",
        "RFC 7797 §3",
    )


def test_too_many_signatures(issuer: MockJWTIssuer, trust: list[bytes]) -> None:
    one = issuer.sign_detached(CONTENT, x5c=True, serialization="json")
    many = merge_signatures(*[one] * 3)
    check(
        verify(many, trust=trust, policy=Policy(max_signers=2)),
        Ind.FAILED,
        Sub.FORMAT_FAILURE,
        "3 signatures, over the policy limit of 2",
    )


# --- keys and trust ---------------------------------------------------------------------


def test_x5c_that_does_not_chain(issuer: MockJWTIssuer, pki: SandboxPKI) -> None:
    token = issuer.sign_detached(CONTENT, x5c=True)
    r = check(
        verify(token, trust=[pki.other_root.cert_pem]),
        Ind.INDETERMINATE,
        Sub.NO_CERTIFICATE_CHAIN_FOUND,
    )
    assert r.signers[0].anchors_considered
    check(verify(token), Ind.INDETERMINATE, Sub.NO_CERTIFICATE_CHAIN_FOUND)


def test_expired_and_not_yet_valid_signing_certificate(
    issuer: MockJWTIssuer, trust: list[bytes]
) -> None:
    token = issuer.sign_detached(CONTENT, x5c=True)
    late = verify(token, trust=trust, at=CLOCK_START + dt.timedelta(days=800))
    assert not late.passed
    assert late.sub_indication is not None
    assert "expired" in late.explain().lower() or late.sub_indication.name.startswith("OUT_OF")
    early = verify(token, trust=trust, at=CLOCK_START - dt.timedelta(days=30))
    assert not early.passed
    assert early.indication is Ind.INDETERMINATE


def test_a_key_carried_by_the_token_is_never_trusted(issuer: MockJWTIssuer) -> None:
    jwk = {"kty": "EC", "crv": "P-256", "x": "x", "y": "y"}
    for extra in ({"jwk": jwk}, {"jku": "https://evil.test/jwks"}, {"x5u": "https://evil.test/c"}):
        token = issuer.forge({"alg": "ES256", **extra}, signing_payload=b64u(CONTENT).encode())
        check(
            verify(token),
            Ind.INDETERMINATE,
            Sub.NO_SIGNING_CERTIFICATE_FOUND,
            "never trusted",
            next(iter(extra)),
        )


def test_kid_without_jwks(issuer: MockJWTIssuer) -> None:
    token = issuer.sign_detached(CONTENT)
    check(verify(token), Ind.INDETERMINATE, Sub.NO_SIGNING_CERTIFICATE_FOUND, "no JWKS was given")


def test_jwks_dict_and_resolver_with_verify_jws() -> None:
    iss = MockJWTIssuer(clock=MockClock(CLOCK_START))
    token = iss.sign_detached(CONTENT, serialization="json", b64=False)
    r = check(
        verify_jws(token, content=CONTENT, jwks=iss.jwks, at=AT),
        Ind.PASSED,
        None,
        "trusted because the caller configured",
    )
    assert r.signers[0].details["key_source"] == "jwks"
    with httpx.Client(transport=iss.mock_transport()) as client:
        resolver = JWKSResolver(iss.jwks_url, client)
        check(
            verify_jws(token, content=CONTENT, jwks=resolver, at=AT), Ind.PASSED, None, iss.jwks_url
        )
    check(
        verify_jws(token, content=CONTENT + b"!", jwks=JWKSet(iss.jwks), at=AT),
        Ind.FAILED,
        Sub.SIG_CRYPTO_FAILURE,
    )


def test_handler_reads_jwks_from_context_options() -> None:
    iss = MockJWTIssuer(clock=MockClock(CLOCK_START))
    token = iss.sign_detached(CONTENT).encode()
    ctx = _context(
        token,
        content=CONTENT,
        trust=None,
        at=AT,
        policy=None,
        extra_certs=None,
        verifier=None,
        http_client=None,
        async_http_client=None,
    )
    assert not isinstance(ctx, VerificationResult)
    ctx.ctx.options["jwks"] = iss.jwks
    check(HANDLER.verify(ctx.ctx), Ind.PASSED, None)


def test_verify_jws_reuses_a_verifier(issuer: MockJWTIssuer, trust: list[bytes]) -> None:
    v = bayident.Verifier(trust=trust)
    token = issuer.sign_detached(CONTENT, x5c=True)
    for _ in range(2):
        check(verify_jws(token, content=CONTENT, verifier=v, at=AT), Ind.PASSED, None)
    with pytest.raises(InvalidArgument, match="not both"):
        verify_jws(token, content=CONTENT, verifier=v, trust=trust)
    with pytest.raises(InvalidArgument, match="jwks must be"):
        verify_jws(token, content=CONTENT, jwks="https://issuer.test/jwks")  # type: ignore[arg-type]


def test_async_paths(issuer: MockJWTIssuer, trust: list[bytes]) -> None:
    token = issuer.sign_detached(CONTENT, x5c=True, serialization="json")

    async def go() -> tuple[VerificationResult, VerificationResult, VerificationResult]:
        iss = MockJWTIssuer(clock=MockClock(CLOCK_START))
        async with httpx.AsyncClient(transport=iss.mock_transport()) as client:
            resolver = JWKSResolver(iss.jwks_url, async_client=client)
            jwks_token = iss.sign_detached(CONTENT)
            a = await averify_jws(jwks_token, content=CONTENT, jwks=resolver, at=AT)
        b = await bayident.averify(token.encode(), content=io.BytesIO(CONTENT), trust=trust, at=AT)
        c = await bayident.averify(token.encode(), content=b"other", trust=trust, at=AT)
        return a, b, c

    a, b, c = asyncio.run(go())
    check(a, Ind.PASSED, None)
    check(b, Ind.PASSED, None)
    check(c, Ind.FAILED, Sub.SIG_CRYPTO_FAILURE)


# --- hostile input ---------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_is_refused(issuer: MockJWTIssuer, alg: str) -> None:
    head = b64u_json({"alg": alg})
    for token in (f"{head}..", f"{head}..{b64u(b'sig')}"):
        check(verify(token), Ind.FAILED, Sub.FORMAT_FAILURE, "unsecured JWS carries no signature")
        check(
            verify_jws(token, content=CONTENT, jwks=issuer.jwks, at=AT),
            Ind.FAILED,
            Sub.FORMAT_FAILURE,
            "RFC 8725",
        )


def test_hs256_with_the_rsa_public_key_as_secret(pki: SandboxPKI, trust: list[bytes]) -> None:
    iss = MockJWTIssuer(key_type="rsa", ca=pki.intermediate, clock=pki.clock)
    pem = iss.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    head = b64u_json({"alg": "HS256", "x5c": x5c_of(iss), "kid": iss.kid}).encode()
    mac = hmac.HMAC(pem, hashes.SHA256())
    mac.update(head + b"." + b64u(CONTENT).encode())
    token = f"{head.decode()}..{b64u(mac.finalize())}"
    check(
        verify(token, trust=trust),
        Ind.INDETERMINATE,
        Sub.CRYPTO_CONSTRAINTS_FAILURE,
        "HS256, a MAC",
        "algorithm confusion",
    )
    check(
        verify_jws(token, content=CONTENT, jwks=iss.jwks, at=AT),
        Ind.INDETERMINATE,
        Sub.CRYPTO_CONSTRAINTS_FAILURE,
        "never accepted",
    )


def test_crit_naming_an_unknown_extension(issuer: MockJWTIssuer, trust: list[bytes]) -> None:
    token = issuer.sign_detached(CONTENT, x5c=True, headers={"exp-ext": 1, "crit": ["exp-ext"]})
    check(
        verify(token, trust=trust),
        Ind.FAILED,
        Sub.FORMAT_FAILURE,
        "'exp-ext'",
        "does not understand",
    )


@pytest.mark.parametrize(
    ("crit", "fragment"),
    [
        ([], "non-empty array"),
        ("b64", "non-empty array"),
        (["b64", "b64"], "twice"),
        (["alg"], "defined by RFC 7515/7518"),
        (["sigT"], "which the header does not contain"),
    ],
)
def test_malformed_crit(
    issuer: MockJWTIssuer, trust: list[bytes], crit: Any, fragment: str
) -> None:
    token = issuer.sign_detached(CONTENT, x5c=True, headers={"crit": crit})
    check(verify(token, trust=trust), Ind.FAILED, Sub.FORMAT_FAILURE, fragment)


def test_b64_false_without_crit(issuer: MockJWTIssuer, trust: list[bytes]) -> None:
    token = issuer.sign_detached(CONTENT, x5c=True, b64=False, headers={"crit": None})
    check(
        verify(token, trust=trust),
        Ind.FAILED,
        Sub.FORMAT_FAILURE,
        "not listed in 'crit'",
        "RFC 7797",
    )
    token = issuer.sign_detached(CONTENT, x5c=True, headers={"b64": "false", "crit": ["b64"]})
    check(verify(token, trust=trust), Ind.FAILED, Sub.FORMAT_FAILURE, "'b64' must be true or false")


def test_compact_unencoded_payload_containing_a_dot(
    issuer: MockJWTIssuer, trust: list[bytes]
) -> None:
    assert b"." in CONTENT
    token = issuer.sign_detached(CONTENT, x5c=True, b64=False)
    check(
        verify(token, trust=trust), Ind.FAILED, Sub.FORMAT_FAILURE, "contains '.'", "RFC 7797 §5.2"
    )
    # The same content is fine in the JSON serialisation, or base64url-encoded.
    check(
        verify(
            issuer.sign_detached(CONTENT, x5c=True, b64=False, serialization="json"), trust=trust
        ),
        Ind.PASSED,
        None,
    )
    check(verify(issuer.sign_detached(CONTENT, x5c=True, b64=True), trust=trust), Ind.PASSED, None)


def test_compact_attached_unencoded_payload_with_dots_has_too_many_parts(
    issuer: MockJWTIssuer,
) -> None:
    head = b64u_json({"alg": "ES256", "b64": False, "crit": ["b64"]})
    check(
        verify_jws(f"{head}.$.02.{b64u(b'x' * 64)}", at=AT),
        Ind.FAILED,
        Sub.FORMAT_FAILURE,
        "this one has 4",
        "RFC 7797 §5.2",
    )


def test_oversized_header(issuer: MockJWTIssuer) -> None:
    token = issuer.sign_detached(CONTENT, headers={"pad": "x" * (17 * 1024)})
    check(verify(token), Ind.FAILED, Sub.FORMAT_FAILURE, "over the limit of 16384 bytes")
    doc = json.loads(
        issuer.sign_detached(CONTENT, serialization="json", unprotected={"pad": "x" * (17 * 1024)})
    )
    check(verify(json.dumps(doc)), Ind.FAILED, Sub.FORMAT_FAILURE, "unprotected header", "16384")


def test_duplicate_member_names(issuer: MockJWTIssuer) -> None:
    token = issuer.forge(b'{"alg":"ES256","alg":"none"}', signing_payload=b64u(CONTENT).encode())
    check(verify(token), Ind.FAILED, Sub.FORMAT_FAILURE, "duplicate member name 'alg'")
    flat = issuer.sign_detached(CONTENT, serialization="json")
    dup = flat[:-1] + ', "signature": "AAAA"}'
    check(verify(dup), Ind.FAILED, Sub.FORMAT_FAILURE, "duplicate member name 'signature'")
    general = issuer.sign_detached(CONTENT, serialization="json-general", unprotected={"kid": "a"})
    dup = general.replace('"header": {"kid": "a"}', '"header": {"kid": "a", "kid": "b"}')
    check(verify(dup), Ind.FAILED, Sub.FORMAT_FAILURE, "duplicate member name 'kid'")


@pytest.mark.parametrize(
    ("mangle", "fragment"),
    [
        (lambda h, s: (h + "=", s), "padding '=' is not allowed"),
        (lambda h, s: (h[:-1] + "+", s), "outside the URL-safe alphabet"),
        (lambda h, s: (h, s + "/"), "outside the URL-safe alphabet"),
        (lambda h, s: (h, s + "AAA"), "cannot encode whole octets"),
        (
            lambda h, s: (h, s[:-1] + {"A": "B", "Q": "R", "g": "h", "w": "x"}.get(s[-1], "B")),
            "non-zero unused bits",
        ),
    ],
)
def test_malformed_base64url(
    issuer: MockJWTIssuer, mangle: Callable[[str, str], tuple[str, str]], fragment: str
) -> None:
    head, _, sig = issuer.sign_detached(CONTENT).split(".")
    h, s = mangle(head, sig)
    check(
        verify_jws(f"{h}..{s}", content=CONTENT, jwks=issuer.jwks, at=AT),
        Ind.FAILED,
        Sub.FORMAT_FAILURE,
        fragment,
    )


def test_x5c_problems(issuer: MockJWTIssuer, trust: list[bytes]) -> None:
    chain = x5c_of(issuer)
    cases: list[tuple[Any, str]] = [
        ([], "non-empty array"),
        ("MIIB", "non-empty array"),
        ([b64u(base64.b64decode(chain[0])), *chain[1:]], "x5c[0] is not"),
        (["AAAA"], "x5c[0] is not a certificate"),
    ]
    for value, fragment in cases:
        token = issuer.sign_detached(CONTENT, headers={"x5c": value})
        check(verify(token, trust=trust), Ind.FAILED, Sub.FORMAT_FAILURE, fragment)
    token = issuer.sign_detached(CONTENT, headers={"x5c": chain * 2})
    check(
        verify(token, trust=trust, policy=Policy(max_certificates=3)),
        Ind.FAILED,
        Sub.FORMAT_FAILURE,
        "Policy.max_certificates",
    )


def test_alg_must_be_protected_and_headers_disjoint(issuer: MockJWTIssuer) -> None:
    doc = json.loads(issuer.sign_detached(CONTENT, serialization="json"))
    doc["header"] = {"alg": "ES256"}
    doc["protected"] = b64u_json({"kid": issuer.kid})
    check(
        verify_jws(json.dumps(doc), content=CONTENT, jwks=issuer.jwks, at=AT),
        Ind.FAILED,
        Sub.FORMAT_FAILURE,
        "'alg' is in the unprotected header",
    )
    doc = json.loads(issuer.sign_detached(CONTENT, serialization="json", unprotected={"kid": "k"}))
    check(
        verify_jws(json.dumps(doc), content=CONTENT, jwks=issuer.jwks, at=AT),
        Ind.FAILED,
        Sub.FORMAT_FAILURE,
        "both the protected",
        "RFC 7515 §7.2.1",
    )


def test_general_and_flattened_members_mixed(issuer: MockJWTIssuer) -> None:
    doc = json.loads(issuer.sign_detached(CONTENT, serialization="json-general"))
    doc["signature"] = doc["signatures"][0]["signature"]
    check(verify(json.dumps(doc)), Ind.FAILED, Sub.FORMAT_FAILURE, "mixing them")


def test_algorithm_and_key_must_match(pki: SandboxPKI, trust: list[bytes]) -> None:
    p384 = MockJWTIssuer(key_type="ec-p384", ca=pki.intermediate, clock=pki.clock)
    token = p384.forge(
        {"alg": "ES256", "x5c": x5c_of(p384)},
        signing_payload=b64u(CONTENT).encode(),
        sign_alg="ES256",
    )
    check(
        verify(token, trust=trust),
        Ind.FAILED,
        Sub.FORMAT_FAILURE,
        "ES256 needs an EC key on curve secp256r1",
    )
    rsa_iss = MockJWTIssuer(key_type="rsa", ca=pki.intermediate, clock=pki.clock)
    token = rsa_iss.forge(
        {"alg": "ES256", "x5c": x5c_of(rsa_iss)},
        signing_payload=b64u(CONTENT).encode(),
        sign_alg="RS256",
    )
    check(
        verify(token, trust=trust),
        Ind.FAILED,
        Sub.FORMAT_FAILURE,
        "needs an EC key but the key is RSA-2048",
    )


def test_ecdsa_signature_of_the_wrong_length(issuer: MockJWTIssuer, trust: list[bytes]) -> None:
    head, _, sig = issuer.sign_detached(CONTENT, x5c=True).split(".")
    der_like = b64u(base64.urlsafe_b64decode(sig + "==") + b"\x00")
    check(verify(f"{head}..{der_like}", trust=trust), Ind.FAILED, Sub.FORMAT_FAILURE, "64 octets")


def test_policy_can_refuse_the_algorithm(issuer: MockJWTIssuer, trust: list[bytes]) -> None:
    token = issuer.sign_detached(CONTENT, x5c=True)
    pol = Policy(signature_algorithms={"rsa-pss": None})
    check(
        verify(token, trust=trust, policy=pol),
        Ind.INDETERMINATE,
        Sub.CRYPTO_CONSTRAINTS_FAILURE,
        "ecdsa signatures (ES256) are not accepted",
    )
    pol = Policy(ec_curves=("secp384r1",))
    check(verify(token, trust=trust, policy=pol), Ind.INDETERMINATE, Sub.CRYPTO_CONSTRAINTS_FAILURE)


@pytest.mark.parametrize(
    ("evidence", "fragment"),
    [
        (b'{"signature": "AAAA", "protected": "!!"}', "not base64url"),
        (b'{"signatures": [], "protected": "x"}', "mixing them"),
        (b'{"signatures": []}', "non-empty array"),
        (b'{"signatures": [1]}', "is not a JSON object"),
        (b'{"protected": "eyJhbGciOiJFUzI1NiJ9"}', "no 'signature' member"),
        (b'{"signature": "AAAA", "protected": 5}', "must be a string"),
        (b'{"signature": "AAAA", "header": [1]}', "must be a JSON object"),
        (b'{"signature": "AAAA", "protected": "eyJhbGciOiJFUzI1NiJ9", "payload": 5}', "'payload'"),
        (b'{"signature": "AAAA", "protected": "WzFd"}', "must be a JSON object"),
        (b'{"signature": "AAAA", "header": {"alg": NaN}}', "NaN is not a JSON number"),
        (b'{"signature": "AAAA", "header": ' + b"[" * 50 + b"]" * 50 + b"}", "nests deeper"),
        (b"eyJhbGciOiJFUzI1NiJ9.." + "é".encode(), "ASCII"),
        (b"a.b.c.d", "this one has 4"),
        (b'{"signature": "AAAA", "header": {}}', "neither a protected nor"),
    ],
)
def test_malformed_structures(evidence: bytes, fragment: str) -> None:
    check(verify_jws(evidence, content=CONTENT, at=AT), Ind.FAILED, Sub.FORMAT_FAILURE, fragment)


def test_protected_header_that_is_not_json(issuer: MockJWTIssuer) -> None:
    token = issuer.forge(b"\xff\xfe not json", signing_payload=b"")
    check(verify(token), Ind.FAILED, Sub.FORMAT_FAILURE, "not UTF-8")
    token = issuer.forge(b"{alg: ES256}", signing_payload=b"")
    check(verify(token), Ind.FAILED, Sub.FORMAT_FAILURE, "not valid JSON")


def test_json_that_is_not_a_jws_is_left_to_cms(trust: list[bytes]) -> None:
    r = verify(b'{"hello": "world"}', trust=trust)
    assert not r.passed
    assert r.evidence_format != "jws"


def test_oversized_evidence_through_verify_jws() -> None:
    r = verify_jws(b"a" * 2048, content=CONTENT, policy=Policy(max_evidence_bytes=1024), at=AT)
    check(r, Ind.FAILED, Sub.FORMAT_FAILURE, "max_evidence_bytes")


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_mutated_tokens_never_pass(
    issuer: MockJWTIssuer, trust: list[bytes], data: st.DataObject
) -> None:
    token = issuer.sign_detached(
        b"fuzz content",
        x5c=True,
        serialization=data.draw(st.sampled_from(["compact", "json"])),
        b64=data.draw(st.booleans()),
    )
    raw = bytearray(token.encode())
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.integers(0, 255))
    r = verify(bytes(raw), b"fuzz content", trust=trust)
    if bytes(raw) != token.encode() and r.passed:
        # A mutation may land on insignificant JSON whitespace; otherwise it must not pass.
        assert json.loads(bytes(raw)) == json.loads(token)
    assert_well_formed(r)


# --- JWKS resolver ----------------------------------------------------------------------


class Seconds:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_resolver_caches_and_refetches_on_unknown_kid_at_most_once_per_interval() -> None:
    clock = MockClock(CLOCK_START)
    iss = MockJWTIssuer(clock=clock)
    secs = Seconds()
    client = httpx.Client(transport=iss.mock_transport())
    resolver = JWKSResolver(
        iss.jwks_url, client, min_refetch_interval=60, cache_ttl=600, clock=secs
    )
    first = iss.sign_detached(CONTENT)
    for _ in range(3):
        check(verify_jws(first, content=CONTENT, jwks=resolver, at=AT), Ind.PASSED, None)
    assert resolver.fetch_count == 1
    # Rotation: a token with the new kid makes one re-fetch, after the interval.
    secs.now += 61
    iss.rotate()
    second = iss.sign_detached(CONTENT)
    check(verify_jws(second, content=CONTENT, jwks=resolver, at=AT), Ind.PASSED, None)
    assert resolver.fetch_count == 2
    # The old key stays published during its grace period.
    check(verify_jws(first, content=CONTENT, jwks=resolver, at=AT), Ind.PASSED, None)
    # Unknown kids right after a fetch do not hit the endpoint again.
    bogus = iss.sign_detached(CONTENT, headers={"kid": "unknown-kid"})
    for _ in range(5):
        check(
            verify_jws(bogus, content=CONTENT, jwks=resolver, at=AT),
            Ind.INDETERMINATE,
            Sub.NO_SIGNING_CERTIFICATE_FOUND,
            "no key with kid 'unknown-kid'",
        )
    assert resolver.fetch_count == 2
    secs.now += 61
    verify_jws(bogus, content=CONTENT, jwks=resolver, at=AT)
    assert resolver.fetch_count == 3
    # After the grace period and the cache lifetime, the old key is gone.
    clock.advance(dt.timedelta(hours=2))
    secs.now += 601
    check(
        verify_jws(first, content=CONTENT, jwks=resolver, at=AT),
        Ind.INDETERMINATE,
        Sub.NO_SIGNING_CERTIFICATE_FOUND,
    )
    assert resolver.fetch_count == 4
    rotated_now = iss.rotate(keep_old=False)
    assert [k["kid"] for k in iss.jwks["keys"]] == [rotated_now]


def test_resolver_fetch_failures_are_try_later() -> None:
    iss = MockJWTIssuer(clock=MockClock(CLOCK_START))
    token = iss.sign_detached(CONTENT)
    cases: list[tuple[Callable[[httpx.Request], httpx.Response], str]] = [
        (lambda r: httpx.Response(500), "answered HTTP 500"),
        (
            lambda r: httpx.Response(302, headers={"location": "https://elsewhere.test/"}),
            "redirects are not followed",
        ),
        (lambda r: httpx.Response(200, content=b"x" * 300_000), "over the limit"),
        (lambda r: httpx.Response(200, content=b'{"keys": 1}'), "no 'keys' array"),
        (lambda r: httpx.Response(200, content=b'{"keys": [], "keys": []}'), "duplicate member"),
    ]
    for handler, fragment in cases:
        client = httpx.Client(transport=httpx.MockTransport(handler))
        resolver = JWKSResolver("https://issuer.test/jwks", client)
        check(
            verify_jws(token, content=CONTENT, jwks=resolver, at=AT),
            Ind.INDETERMINATE,
            Sub.TRY_LATER,
            fragment,
        )

    def boom(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    resolver = JWKSResolver(
        "https://issuer.test/jwks", httpx.Client(transport=httpx.MockTransport(boom))
    )
    check(
        verify_jws(token, content=CONTENT, jwks=resolver, at=AT),
        Ind.INDETERMINATE,
        Sub.TRY_LATER,
        "could not be fetched",
    )


def test_resolver_skips_unusable_keys_and_says_why() -> None:
    iss = MockJWTIssuer(clock=MockClock(CLOCK_START))
    doc = iss.jwks
    good = doc["keys"][0]
    doc["keys"] = [
        {**good, "d": "AAAA"},
        {"kty": "oct", "k": "c2VjcmV0", "kid": "mac"},
        {**good, "use": "enc"},
        {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "kid": "short"},
    ]
    token = iss.sign_detached(CONTENT)
    r = check(
        verify_jws(token, content=CONTENT, jwks=doc, at=AT),
        Ind.INDETERMINATE,
        Sub.NO_SIGNING_CERTIFICATE_FOUND,
        "private or secret key material",
        "symmetric (oct)",
        "not 'sig'",
        "is not 32 octets",
    )
    assert r.signers[0].certificate is None


def test_resolver_url_rules() -> None:
    for bad in ("http://issuer.test/jwks", "ftp://issuer.test/jwks", "not a url"):
        with pytest.raises(InvalidArgument):
            JWKSResolver(bad)
    JWKSResolver("http://127.0.0.1:1/jwks")
    JWKSResolver("http://localhost/jwks")
    with pytest.raises(InvalidArgument):
        JWKSResolver("https://issuer.test/jwks", min_refetch_interval=-1)


def test_real_http_server_serves_the_jwks() -> None:
    iss = MockJWTIssuer(clock=MockClock(CLOCK_START))
    token = iss.sign_detached(CONTENT, serialization="json")
    with iss.serve() as server:
        assert server.url.startswith("http://127.0.0.1:")
        resolver = JWKSResolver(server.url)
        check(verify_jws(token, content=CONTENT, jwks=resolver, at=AT), Ind.PASSED, None)
        before = iss.requests
        bad = JWKSResolver(server.url.replace("jwks.json", "nothing"))
        check(
            verify_jws(token, content=CONTENT, jwks=bad, at=AT),
            Ind.INDETERMINATE,
            Sub.TRY_LATER,
            "HTTP 404",
        )
        assert iss.requests == before + 1

        async def go() -> VerificationResult:
            return await averify_jws(token, content=CONTENT, jwks=JWKSResolver(server.url), at=AT)

        check(asyncio.run(go()), Ind.PASSED, None)


def test_jwks_without_kid_needs_exactly_one_candidate() -> None:
    iss = MockJWTIssuer(clock=MockClock(CLOCK_START))
    token = iss.sign_detached(CONTENT, kid=False)
    check(verify_jws(token, content=CONTENT, jwks=iss.jwks, at=AT), Ind.PASSED, None)
    iss.rotate()
    token = iss.sign_detached(CONTENT, kid=False)
    check(
        verify_jws(token, content=CONTENT, jwks=iss.jwks, at=AT),
        Ind.INDETERMINATE,
        Sub.NO_SIGNING_CERTIFICATE_FOUND,
        "exactly one may match",
    )


def test_jwks_document_errors_are_argument_errors() -> None:
    with pytest.raises(InvalidArgument, match="no 'keys' array"):
        JWKSet({"keys": "nope"})


# --- the command line -------------------------------------------------------------------


def test_cli_verifies_a_detached_jws_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = MockClock(dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    root = MockCA("Sandbox CLI JWS Root", clock=clock)
    signer = root.create_child_ca("Sandbox CLI JWS CA", key_type="ec").issue_signer(
        "CLI JWS Signer"
    )
    iss = MockJWTIssuer.from_signer(signer)
    (tmp_path / "form.txt").write_bytes(CONTENT)
    (tmp_path / "form.jws").write_text(iss.sign_detached(CONTENT, x5c=True, sig_t=True) + "\n")
    (tmp_path / "root.pem").write_bytes(root.cert_pem)
    args = [
        "verify",
        str(tmp_path / "form.jws"),
        "--content",
        str(tmp_path / "form.txt"),
        "--trust-anchor",
        str(tmp_path / "root.pem"),
        "--at",
        "2026-03-02T00:00:00+00:00",
    ]
    assert main([*args, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["indication"] == "PASSED"
    assert out["evidence_format"] == "jws"
    assert out["signers"][0]["signature_algorithm"] == "ES256"
    assert main(args) == 0
    assert "PASSED" in capsys.readouterr().out
    (tmp_path / "form.txt").write_bytes(CONTENT + b"tampered")
    assert main(args) == 1
    assert "SIG_CRYPTO_FAILURE" in capsys.readouterr().out
