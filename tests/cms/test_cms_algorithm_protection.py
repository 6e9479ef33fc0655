"""RFC 6211: the cms-algorithm-protection signed attribute against its SignerInfo's algorithms.

The SignerInfo's digestAlgorithm and signatureAlgorithm are not covered by the signature;
the attribute protects a copy of them. Built with the test kit: a matching copy passes and
is named, a copy that differs (another hash, the same RSASSA-PSS parameters re-encoded with
a DEFAULT field spelled out) fails the signature even though the value verifies, and a
malformed attribute is a FORMAT_FAILURE with a reason, never an exception.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from asn1crypto import cms as acms
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding

import bayident
from _pki import AT, CONTENT, SandboxPKI, assert_well_formed, nested_sequences
from _revocation_kit import RevPKI, make_pki
from bayident import CheckOutcome, Indication, SubIndication
from bayident import _der as d
from bayident.testing import MockCA, add_unsigned_attribute, build_signed_data
from bayident.testing import _der as kd
from bayident.tsp import OID_SIGNATURE_TIMESTAMP

OID_PROTECTION = "1.2.840.113549.1.9.52"
SHA256 = kd.sequence(kd.oid("2.16.840.1.101.3.4.2.1"))
SHA256_NULL = kd.sequence(kd.oid("2.16.840.1.101.3.4.2.1"), kd.null())
SHA384 = kd.sequence(kd.oid("2.16.840.1.101.3.4.2.2"))
ECDSA_SHA256 = kd.sequence(kd.oid("1.2.840.10045.4.3.2"))
RSASSA_PSS = "1.2.840.113549.1.1.10"
LABEL = "signed attribute cms-algorithm-protection (1.2.840.113549.1.9.52)"


def protection(digest_alg: bytes, signature_alg: bytes | None, *extra: bytes) -> bytes:
    """A CMSAlgorithmProtection value: digestAlgorithm, [1] signatureAlgorithm, extras."""
    parts = [digest_alg]
    if signature_alg is not None:
        parts.append(kd.implicit(1, signature_alg))
    return kd.sequence(*parts, *extra)


def verify(pki: SandboxPKI, cms: bytes) -> bayident.VerificationResult:
    return assert_well_formed(
        bayident.verify(cms, content=CONTENT, trust=[pki.root.cert_pem], at=AT)
    )


def checks(result: bayident.VerificationResult, name: str) -> list[bayident.Check]:
    return [c for c in result.checks if c.name == name]


def ec_signed(pki: SandboxPKI, *values: bytes, **changes: Any) -> bytes:
    spec = pki.signer.signer_spec(
        extra_signed_attributes=[(OID_PROTECTION, list(values))], **changes
    )
    return build_signed_data(CONTENT, [spec], certificates=pki.signer.chain, detached=True)


def test_a_matching_copy_passes_and_is_named(pki: SandboxPKI) -> None:
    result = verify(pki, ec_signed(pki, protection(SHA256, ECDSA_SHA256)))
    assert result.passed, result.explain()
    (check,) = checks(result, "cms-algorithm-protection")
    assert check.outcome is CheckOutcome.PASSED
    assert check.concerns == LABEL


def test_null_parameters_equal_absent_ones(pki: SandboxPKI) -> None:
    # RFC 5754 §2: SHA-2 identifiers are written with and without NULL parameters.
    result = verify(pki, ec_signed(pki, protection(SHA256_NULL, ECDSA_SHA256)))
    assert result.passed, result.explain()


def test_no_attribute_no_check(pki: SandboxPKI) -> None:
    spec = pki.signer.signer_spec()
    cms = build_signed_data(CONTENT, [spec], certificates=pki.signer.chain, detached=True)
    result = verify(pki, cms)
    assert result.passed, result.explain()
    assert checks(result, "cms-algorithm-protection") == []


def test_another_protected_digest_algorithm_fails_the_signature(pki: SandboxPKI) -> None:
    result = verify(pki, ec_signed(pki, protection(SHA384, ECDSA_SHA256)))
    assert result.indication is Indication.FAILED
    assert result.sub_indication is SubIndication.SIG_CRYPTO_FAILURE
    (check,) = checks(result, "cms-algorithm-protection")
    assert check.outcome is CheckOutcome.FAILED
    assert "digestAlgorithm" in check.message
    assert "2.16.840.1.101.3.4.2.2" in check.message
    assert [c.outcome for c in checks(result, "signature")] == [CheckOutcome.FAILED]


def test_another_protected_signature_algorithm_fails_the_signature(pki: SandboxPKI) -> None:
    ecdsa_sha384 = kd.sequence(kd.oid("1.2.840.10045.4.3.3"))
    result = verify(pki, ec_signed(pki, protection(SHA256, ecdsa_sha384)))
    assert result.sub_indication is SubIndication.SIG_CRYPTO_FAILURE
    (check,) = checks(result, "cms-algorithm-protection")
    assert "signatureAlgorithm" in check.message
    assert "1.2.840.10045.4.3.3" in check.message


# --- RSASSA-PSS: the same parameters, re-encoded outside the signature -------------------


@pytest.fixture(scope="module")
def rsa_pki() -> tuple[MockCA, Any]:
    root = MockCA("Protection RSA Root")
    return root, root.issue_signer("Protection RSA Signer", key_type="rsa")


def _pss_params(*extra: bytes) -> bytes:
    mgf = kd.sequence(kd.oid("1.2.840.113549.1.1.8"), SHA256)
    return kd.sequence(
        kd.explicit(0, SHA256), kd.explicit(1, mgf), kd.explicit(2, kd.integer(32)), *extra
    )


def _signed_attrs_der(cms: bytes) -> bytes:
    top = d.read_tlv(cms, 0, len(cms), "test")
    inner = d.children(cms, d.children(cms, top, "t")[1], "t")[0]
    si = d.children(cms, d.children(cms, inner, "t")[-1], "t")[0]
    attrs = next(p for p in d.children(cms, si, "t") if p.tag == d.CTX0)
    return b"\x31" + cms[attrs.header_start + 1 : attrs.next]


def _pss_signed(rsa_pki: tuple[MockCA, Any], stated: bytes, protected: bytes | None) -> bytes:
    """An RSASSA-PSS signature whose SignerInfo states ``stated`` parameters and whose
    cms-algorithm-protection attribute (when ``protected`` is given) holds ``protected``."""
    _, signer = rsa_pki
    extra = []
    if protected is not None:
        alg = kd.sequence(kd.oid(RSASSA_PSS), protected)
        extra = [(OID_PROTECTION, [protection(SHA256, alg)])]
    stated_alg = kd.sequence(kd.oid(RSASSA_PSS), stated)
    probe = signer.signer_spec(
        signature_algorithm_der=stated_alg, signature=b"\x00", extra_signed_attributes=extra
    )
    signed = _signed_attrs_der(build_signed_data(CONTENT, [probe], detached=True))
    pad = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    value = signer.private_key.sign(signed, pad, hashes.SHA256())
    spec = signer.signer_spec(
        signature_algorithm_der=stated_alg, signature=value, extra_signed_attributes=extra
    )
    return build_signed_data(CONTENT, [spec], certificates=signer.chain, detached=True)


def _verify_rsa(rsa_pki: tuple[MockCA, Any], cms: bytes) -> bayident.VerificationResult:
    root, _ = rsa_pki
    return assert_well_formed(bayident.verify(cms, content=CONTENT, trust=[root.cert_pem]))


def test_pss_with_its_protected_parameters_passes(rsa_pki: tuple[MockCA, Any]) -> None:
    result = _verify_rsa(rsa_pki, _pss_signed(rsa_pki, _pss_params(), _pss_params()))
    assert result.passed, result.explain()


def test_pss_trailer_field_spelled_out_outside_the_signature_fails(
    rsa_pki: tuple[MockCA, Any],
) -> None:
    # The shape of a real file in the EU DSS corpus: the SignerInfo spells out
    # trailerField 1 (its DEFAULT), the protected copy leaves it out. The value verifies
    # (without the attribute the same SignerInfo passes), the identifiers differ.
    trailer = kd.explicit(3, kd.integer(1))
    unprotected = _verify_rsa(rsa_pki, _pss_signed(rsa_pki, _pss_params(trailer), None))
    assert unprotected.passed, unprotected.explain()
    result = _verify_rsa(rsa_pki, _pss_signed(rsa_pki, _pss_params(trailer), _pss_params()))
    assert result.indication is Indication.FAILED
    assert result.sub_indication is SubIndication.SIG_CRYPTO_FAILURE
    (check,) = checks(result, "cms-algorithm-protection")
    assert "signatureAlgorithm" in check.message
    assert "other parameters" in check.message
    assert "a303020101" in check.message  # the spelled-out field is shown
    (sig,) = checks(result, "signature")
    assert sig.outcome is CheckOutcome.FAILED


# --- malformed attributes: reasons, never exceptions -------------------------------------


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        pytest.param([b"\x04\x00"], "not one SEQUENCE", id="not-a-sequence"),
        pytest.param([kd.sequence()], "digestAlgorithm is missing", id="empty"),
        pytest.param(
            [protection(SHA256, None)], "no signatureAlgorithm", id="no-signature-algorithm"
        ),
        pytest.param(
            [protection(SHA256, None, kd.implicit(2, SHA256))],
            "macAlgorithm",
            id="mac-algorithm",
        ),
        pytest.param(
            [protection(SHA256, ECDSA_SHA256, kd.implicit(1, ECDSA_SHA256))],
            "unexpected element",
            id="two-signature-algorithms",
        ),
        pytest.param(
            [protection(SHA256, ECDSA_SHA256), protection(SHA256, ECDSA_SHA256)],
            "2 value(s)",
            id="two-values",
        ),
        pytest.param([], "0 value(s)", id="no-value"),
        pytest.param(
            [protection(kd.sequence(), ECDSA_SHA256)],
            "OID and optional parameters",
            id="empty-digest-algorithm",
        ),
        pytest.param(
            # [1] holds an OID that claims 9 bytes where 3 remain
            [kd.sequence(SHA256, bytes.fromhex("a105060900a864"))],
            "is not a CMSAlgorithmProtection",
            id="truncated",
        ),
        pytest.param(
            [kd.sequence(nested_sequences(200))],
            "is not a CMSAlgorithmProtection",
            id="deep",
        ),
    ],
)
def test_malformed_attribute_is_a_format_failure(
    pki: SandboxPKI, values: list[bytes], reason: str
) -> None:
    result = verify(pki, ec_signed(pki, *values))
    assert result.indication is Indication.FAILED
    assert result.sub_indication is SubIndication.FORMAT_FAILURE
    (check,) = checks(result, "cms-algorithm-protection")
    assert check.outcome is CheckOutcome.FAILED
    assert reason in check.message
    assert LABEL in check.message
    assert [c.outcome for c in checks(result, "signature")] == [CheckOutcome.FAILED]


def test_attribute_given_twice_is_a_format_failure(pki: SandboxPKI) -> None:
    value = protection(SHA256, ECDSA_SHA256)
    spec = pki.signer.signer_spec(
        extra_signed_attributes=[(OID_PROTECTION, [value]), (OID_PROTECTION, [value])]
    )
    cms = build_signed_data(CONTENT, [spec], certificates=pki.signer.chain, detached=True)
    result = verify(pki, cms)
    assert result.sub_indication is SubIndication.FORMAT_FAILURE
    (check,) = checks(result, "cms-algorithm-protection")
    assert "appears 2 times" in check.message


# --- time-stamp tokens are CMS signers too -------------------------------------------------


def _token(rpki: RevPKI, imprint: bytes, protected_digest: bytes) -> bytes:
    """A TimeStampToken over ``imprint`` whose TSA protected ``protected_digest``."""
    tst_info = kd.sequence(
        kd.integer(1),
        kd.oid(rpki.tsa.policy_oid),
        kd.sequence(SHA256, kd.octet_string(imprint)),
        kd.integer(7),
        kd.generalized_time(rpki.clock.now().replace(microsecond=0)),
    )
    tsa = rpki.tsa.signer
    if isinstance(tsa.private_key, ec.EllipticCurvePrivateKey):
        tsa_alg = ECDSA_SHA256
    else:
        tsa_alg = kd.sequence(kd.oid("1.2.840.113549.1.1.1"), kd.null())
    spec = tsa.signer_spec(
        digest="sha256",
        extra_signed_attributes=[(OID_PROTECTION, [protection(protected_digest, tsa_alg)])],
    )
    return build_signed_data(
        tst_info,
        [spec],
        certificates=[tsa.certificate],
        detached=False,
        econtent_type="1.2.840.113549.1.9.16.1.4",  # id-ct-TSTInfo
    )


def _time_stamped(rpki: RevPKI, protected_digest: bytes) -> bytes:
    cms = rpki.signer.sign_detached_cms(CONTENT)
    value = acms.ContentInfo.load(cms)["content"]["signer_infos"][0]["signature"].native
    token = _token(rpki, hashlib.sha256(value).digest(), protected_digest)
    return add_unsigned_attribute(cms, OID_SIGNATURE_TIMESTAMP, [token])


def test_time_stamp_token_with_its_protected_algorithms_is_valid() -> None:
    rpki = make_pki()
    result = assert_well_formed(
        rpki.verifier().verify(_time_stamped(rpki, SHA256), content=CONTENT)
    )
    assert result.passed, result.explain()
    (ts,) = result.signers[0].timestamps
    assert ts.valid, result.explain()


def test_time_stamp_token_naming_unprotected_algorithms_is_not_proof() -> None:
    rpki = make_pki()
    result = assert_well_formed(
        rpki.verifier().verify(_time_stamped(rpki, SHA384), content=CONTENT)
    )
    # The signature is decided without the token (EN 319 102-1); the token proves nothing.
    assert result.passed, result.explain()
    (ts,) = result.signers[0].timestamps
    assert not ts.valid
    (check,) = [c for c in result.checks if c.name == "signature-time-stamp"]
    assert check.outcome is not CheckOutcome.PASSED
    assert "cms-algorithm-protection" in check.message
    assert "digestAlgorithm" in check.message
