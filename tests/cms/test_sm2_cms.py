"""SM2 end to end: registry, certificate paths, GB/T 35275 / PKCS#7 CMS, variants, interop.

Certificates and signatures come from bayident's own kit (``MockSM2CA``), from the
``openssl`` command line (certificates with ``-sigopt distid:``, signatures with
``openssl dgst``/``pkeyutl``, CMS assembled by asn1crypto), from Tongsuo (``tongsuopy``)
and from the pure-Python ``gmssl``; each one is checked to give a precise result.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import algos as aalgos
from asn1crypto import cms as acms
from asn1crypto import core as acore
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bayident
from _pki import assert_well_formed
from bayident import CheckOutcome, Indication, Policy, PolicyError, SubIndication, Verifier
from bayident._algorithms import (
    AlgorithmError,
    InvalidSignature,
    NonStandardSignature,
    load_public_key,
    mechanism_for,
)
from bayident._certs import CertificateCache
from bayident._path import PathValidator, key_problem
from bayident._trust import TrustStore
from bayident.sm import (
    SM2PrivateKey,
    SM2PublicKey,
    _backend,
    compute_za,
    generate_sm2_key,
    sm2_sign,
    sm3,
    sm_available,
)
from bayident.sm._mechanism import OID_SM2_SIGN, OID_SM3_WITH_SM2, verify_sm2
from bayident.sm._sm2 import N
from bayident.testing import MockCA, MockClock, MockSM2CA, MockSM2Signer, issue_sm2_ca
from bayident.testing import issue_sm2_signer as kit_issue_sm2_signer
from bayident.testing._sm2 import GM_DATA, GM_SIGNED_DATA, OID_SM3, _certificate

pytestmark = pytest.mark.skipif(not sm_available(), reason="needs the 'sm' extra (tongsuopy)")

CLOCK_START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
AT = dt.datetime(2026, 2, 1, tzinfo=dt.UTC)
CONTENT = "粤港澳大湾区 cross-boundary e-service application, sandbox data.\n".encode()
PKCS7_DATA = "1.2.840.113549.1.7.1"
PKCS7_SIGNED_DATA = "1.2.840.113549.1.7.2"
ALICE = b"ALICE123@YAHOO.COM"


@dataclass(frozen=True)
class SM2PKI:
    clock: MockClock
    root: MockSM2CA
    issuing: MockSM2CA
    signer: MockSM2Signer
    rsa_root: MockCA


@pytest.fixture(scope="module")
def sm2pki() -> SM2PKI:
    clock = MockClock(CLOCK_START)
    root = MockSM2CA("Sandbox GDCA SM2 Root", clock=clock)
    issuing = root.create_child_ca("Sandbox GDCA SM2 Issuing CA", path_length=0)
    signer = issuing.issue_signer(
        "LI Lei (sandbox)",
        organization="Sandbox Trading (Guangzhou) Co.",
        unified_social_credit_code="91440101MA59TE7K0M",
        policies=["1.2.156.112559.1.1.6.1"],
    )
    rsa_root = MockCA("Sandbox Hong Kong Root CA", clock=clock)
    return SM2PKI(clock, root, issuing, signer, rsa_root)


def check(
    evidence: bytes,
    trust: list[bytes],
    *,
    content: bytes = CONTENT,
    policy: Policy | None = None,
    at: dt.datetime = AT,
) -> bayident.VerificationResult:
    result = bayident.verify(evidence, content=content, trust=trust, at=at, policy=policy)
    return assert_well_formed(result)


def signature_check(result: bayident.VerificationResult) -> bayident.Check:
    found = [c for c in result.checks if c.name == "signature"]
    assert len(found) == 1, result.explain()
    return found[0]


def der_int(value: int) -> bytes:
    body = value.to_bytes(value.bit_length() // 8 + 1, "big")
    return bytes([0x02, len(body)]) + body


def der_sig(r: int, s: int) -> bytes:
    body = der_int(r) + der_int(s)
    return bytes([0x30, len(body)]) + body


# --- registry ---------------------------------------------------------------------------------


def test_import_does_not_load_tongsuopy() -> None:
    code = (
        "import sys, bayident, bayident.testing\n"
        "from bayident._algorithms import load_public_key, mechanism_for\n"
        "mechanism_for('1.2.156.10197.1.501')\n"
        "assert not [m for m in sys.modules if m.startswith('tongsuopy')], 'tongsuopy loaded'\n"
    )
    src = Path(bayident.__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("oid", [OID_SM3_WITH_SM2, OID_SM2_SIGN])
def test_mechanism_registered(oid: str) -> None:
    mech = mechanism_for(oid)
    assert (mech.name, mech.fixed_digest, mech.supports_prehash) == ("sm2", "sm3", False)
    assert mech.verify_with_policy is not None


def test_key_loader_gives_sm2_key_with_curve_name(sm2pki: SM2PKI) -> None:
    record = CertificateCache().get(sm2pki.signer.cert_der)
    key = load_public_key(record.spki_der)
    assert isinstance(key, SM2PublicKey)
    assert key.curve_name == "sm2"
    assert key == sm2pki.signer.private_key.public_key
    assert record.key_description == "SM2"
    assert key_problem(Policy(), record.spki_der) is None
    refused = key_problem(Policy(ec_curves=("secp256r1",)), record.spki_der)
    assert refused == "elliptic curve sm2 is not allowed by the policy"


def test_sm2_certificates_parse_in_cryptography_and_asn1crypto(sm2pki: SM2PKI) -> None:
    cert = x509.load_der_x509_certificate(sm2pki.signer.cert_der)
    assert cert.signature_algorithm_oid.dotted_string == OID_SM3_WITH_SM2
    assert cert.subject.rfc4514_string().startswith("2.5.4.5=91440101MA59TE7K0M")
    with pytest.raises(UnsupportedAlgorithm):
        cert.public_key()
    parsed = ax509.Certificate.load(sm2pki.signer.cert_der)
    assert parsed.public_key.curve == ("named", "1.2.156.10197.1.301")
    assert parsed["signature_algorithm"]["algorithm"].dotted == OID_SM3_WITH_SM2


def test_point_off_the_curve_is_a_precise_key_error() -> None:
    good = generate_sm2_key().public_key.to_spki_der()
    bad = good[:-1] + bytes([good[-1] ^ 1])
    with pytest.raises(AlgorithmError) as caught:
        load_public_key(bad)
    assert "subjectPublicKey" in caught.value.reason
    assert "not on the SM2 curve" in caught.value.reason
    assert not caught.value.unsupported


def test_mechanism_refuses_other_keys_and_prehash(sm2pki: SM2PKI) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    mech = mechanism_for(OID_SM2_SIGN)
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    with pytest.raises(AlgorithmError, match="needs an SM2 key but the certificate holds RSA-2048"):
        mech.verify(rsa_key, b"\x30\x00", b"m", "sm3", None, False)
    ec_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    with pytest.raises(AlgorithmError, match="holds EC-secp256r1"):
        mech.verify(ec_key, b"\x30\x00", b"m", "sm3", None, False)
    key = generate_sm2_key()
    sig = sm2_sign(key, b"m")
    mech.verify(key.public_key, sig, b"m", "sm3", None, False)
    mech.verify(key.public_key, sig, b"m", "sm3", b"\x05\x00", False)
    with pytest.raises(AlgorithmError, match="take no parameters"):
        mech.verify(key.public_key, sig, b"m", "sm3", b"\x02\x01\x00", False)
    with pytest.raises(AlgorithmError, match="a digest of M alone cannot be verified"):
        mech.verify(key.public_key, sig, sm3(b"m"), "sm3", None, True)
    with pytest.raises(AlgorithmError, match="SM2 signatures use SM3, not sha256"):
        mech.verify(key.public_key, sig, b"m", "sha256", None, False)
    # ... and the RSA and ECDSA mechanisms refuse an SM2 key.
    for oid, what in (
        ("1.2.840.113549.1.1.11", "an RSA key"),
        ("1.2.840.10045.2.1", "an elliptic"),
    ):
        with pytest.raises(AlgorithmError, match=f"needs {what}.* holds SM2"):
            mechanism_for(oid).verify(key.public_key, sig, b"m", "sha256", None, False)


def test_verify_sm2_outcomes() -> None:
    key = generate_sm2_key()
    pub = key.public_key
    verify_sm2(pub, sm2_sign(key, b"m"), b"m")
    with pytest.raises(InvalidSignature) as wrong:
        verify_sm2(pub, sm2_sign(key, b"m"), b"n")
    assert not isinstance(wrong.value, NonStandardSignature)
    raw = sm2_sign(key, digest_e=sm3(b"m"))
    with pytest.raises(NonStandardSignature) as variant:
        verify_sm2(pub, raw, b"m")
    assert (variant.value.variant, variant.value.accepted) == ("raw-digest", False)
    with pytest.raises(NonStandardSignature) as accepted:
        verify_sm2(pub, raw, b"m", accepted=frozenset({"raw-digest"}))
    assert accepted.value.accepted
    with pytest.raises(NonStandardSignature) as other_id:
        verify_sm2(pub, sm2_sign(key, b"m", signer_id=b""), b"m")
    assert other_id.value.variant == "other-signer-id"
    assert "'' (empty)" in other_id.value.reason


def test_without_tongsuopy_sm2_is_indeterminate(
    sm2pki: SM2PKI, monkeypatch: pytest.MonkeyPatch
) -> None:
    evidence = sm2pki.signer.sign_detached_cms(CONTENT)
    monkeypatch.setattr(_backend, "_load", lambda: "ModuleNotFoundError: No module named 'x'")
    result = check(evidence, [sm2pki.root.cert_pem])
    assert result.indication is Indication.INDETERMINATE
    assert result.sub_indication is SubIndication.CRYPTO_CONSTRAINTS_FAILURE
    assert "pip install 'bayident[sm]'" in result.message
    assert signature_check(result).outcome is CheckOutcome.INDETERMINATE


# --- certificate paths ------------------------------------------------------------------------


def test_sm2_only_chain(sm2pki: SM2PKI) -> None:
    result = check(sm2pki.signer.sign_detached_cms(CONTENT), [sm2pki.root.cert_pem])
    assert result.passed, result.explain()
    report = result.signers[0]
    assert report.signature_algorithm == "sm2"
    assert report.digest_algorithm == "sm3"
    assert [c.subject for c in report.chain][-1].startswith("CN=Sandbox GDCA SM2 Root")
    assert report.certificate is not None
    assert report.certificate.public_key == "SM2"


def test_rsa_root_sm2_intermediate_sm2_signer(sm2pki: SM2PKI) -> None:
    sub = issue_sm2_ca(sm2pki.rsa_root, "Sandbox SM2 CA under RSA", path_length=0)
    signer = sub.issue_signer("WONG Siu Ming")
    result = check(signer.sign_detached_cms(CONTENT), [sm2pki.rsa_root.cert_pem])
    assert result.passed, result.explain()
    assert len(result.signers[0].chain) == 3


def test_rsa_root_sm2_signer(sm2pki: SM2PKI) -> None:
    signer = kit_issue_sm2_signer(sm2pki.rsa_root, "CHAN Tai Man")
    result = check(signer.sign_detached_cms(CONTENT, gm_oids=False), [sm2pki.rsa_root.cert_pem])
    assert result.passed, result.explain()


@pytest.mark.parametrize("key_type", ["rsa", "ec"])
def test_sm2_root_with_rsa_or_ec_signer(sm2pki: SM2PKI, key_type: Any) -> None:
    signer = sm2pki.issuing.issue_signer(f"{key_type} signer", key_type=key_type)
    result = check(signer.sign_detached_cms(CONTENT, gm_oids=False), [sm2pki.root.cert_pem])
    assert result.passed, result.explain()
    assert result.signers[0].signature_algorithm in ("rsa-pkcs1v15", "ecdsa")


def test_sm2_root_ec_intermediate_sm2_signer(sm2pki: SM2PKI) -> None:
    ec_ca = sm2pki.root.create_child_ca("Sandbox EC CA under SM2", key_type="ec")
    signer = ec_ca.issue_signer("ZHANG Wei")
    result = check(signer.sign_detached_cms(CONTENT), [sm2pki.root.cert_pem])
    assert result.passed, result.explain()


def test_forged_certificate_signature_fails_the_path(sm2pki: SM2PKI) -> None:
    der = bytearray(sm2pki.issuing.cert_der)
    der[-5] ^= 0x01  # inside s of the SM3withSM2 signature
    result = check(
        sm2pki.signer.sign_detached_cms(CONTENT, include_chain=False),
        [sm2pki.root.cert_pem],
    )
    assert not result.passed  # the intermediate is missing altogether
    evidence = sm2pki.signer.sign_detached_cms(CONTENT, include_chain=False)
    result = assert_well_formed(
        bayident.verify(
            evidence, content=CONTENT, trust=[sm2pki.root.cert_pem], at=AT, extra_certs=[bytes(der)]
        )
    )
    assert not result.passed
    path = next(c for c in result.checks if c.name == "certificate-path")
    assert path.outcome is not CheckOutcome.PASSED
    assert "Sandbox GDCA SM2 Issuing CA" in path.message


def test_policy_without_sm2_curve_refuses_key_and_path(sm2pki: SM2PKI) -> None:
    result = check(
        sm2pki.signer.sign_detached_cms(CONTENT),
        [sm2pki.root.cert_pem],
        policy=Policy(ec_curves=("secp256r1",)),
    )
    assert result.sub_indication is SubIndication.CRYPTO_CONSTRAINTS_FAILURE
    assert "elliptic curve sm2 is not allowed by the policy" in result.message


def test_policy_without_sm2_signatures(sm2pki: SM2PKI) -> None:
    sigs = {k: v for k, v in Policy().signature_algorithms.items() if k != "sm2"}
    result = check(
        sm2pki.signer.sign_detached_cms(CONTENT),
        [sm2pki.root.cert_pem],
        policy=Policy(signature_algorithms=sigs),
    )
    assert result.sub_indication is SubIndication.CRYPTO_CONSTRAINTS_FAILURE
    assert "sm2 signatures are not accepted by the policy" in result.message


# --- CMS forms --------------------------------------------------------------------------------


@pytest.mark.parametrize("gm_oids", [True, False], ids=["gmt", "pkcs7"])
@pytest.mark.parametrize("attributes", [True, False], ids=["attrs", "no-attrs"])
@pytest.mark.parametrize("sig_oid", [OID_SM2_SIGN, OID_SM3_WITH_SM2], ids=["301.1", "501"])
def test_cms_forms_pass(sm2pki: SM2PKI, gm_oids: bool, attributes: bool, sig_oid: str) -> None:
    evidence = sm2pki.signer.sign_detached_cms(
        CONTENT, gm_oids=gm_oids, attributes=attributes, signature_oid=sig_oid
    )
    result = check(evidence, [sm2pki.root.cert_pem])
    assert result.passed, result.explain()
    covered = "signed attributes" if attributes else "content given by the caller"
    assert covered in signature_check(result).message


def test_cms_pem_and_averify(sm2pki: SM2PKI) -> None:
    import asyncio

    evidence = sm2pki.signer.sign_detached_cms(CONTENT, output="pem")
    result = asyncio.run(
        bayident.averify(evidence, content=CONTENT, trust=[sm2pki.root.cert_pem], at=AT)
    )
    assert assert_well_formed(result).passed


def test_tampered_content_is_hash_failure(sm2pki: SM2PKI) -> None:
    result = check(
        sm2pki.signer.sign_detached_cms(CONTENT), [sm2pki.root.cert_pem], content=CONTENT + b"!"
    )
    assert result.sub_indication is SubIndication.HASH_FAILURE


def test_tampered_content_without_attributes_is_crypto_failure(sm2pki: SM2PKI) -> None:
    evidence = sm2pki.signer.sign_detached_cms(CONTENT, attributes=False)
    result = check(evidence, [sm2pki.root.cert_pem], content=CONTENT + b"!")
    assert result.sub_indication is SubIndication.SIG_CRYPTO_FAILURE
    assert "does not verify" in result.message


def test_no_attributes_over_memory_limit_is_reported(sm2pki: SM2PKI) -> None:
    evidence = sm2pki.signer.sign_detached_cms(CONTENT, attributes=False)
    result = check(evidence, [sm2pki.root.cert_pem], policy=Policy(max_in_memory_content_bytes=16))
    assert result.sub_indication is SubIndication.SIGNED_DATA_NOT_FOUND
    assert "Policy.max_in_memory_content_bytes" in result.message


@pytest.mark.parametrize(
    ("outer", "inner"),
    [(GM_SIGNED_DATA, PKCS7_DATA), (PKCS7_SIGNED_DATA, GM_DATA)],
    ids=["gmt-outer-pkcs7-inner", "pkcs7-outer-gmt-inner"],
)
def test_mixed_gm_and_pkcs7_content_types_fail(sm2pki: SM2PKI, outer: str, inner: str) -> None:
    evidence = sm2pki.signer.sign_detached_cms(
        CONTENT, content_info_type=outer, econtent_type=inner
    )
    result = check(evidence, [sm2pki.root.cert_pem])
    assert result.indication is Indication.FAILED
    assert result.sub_indication is SubIndication.FORMAT_FAILURE
    assert inner in result.message
    assert outer in result.message
    failed = [c for c in result.checks if c.name == "content-types"]
    assert failed
    assert failed[0].concerns == "SignedData.encapContentInfo.eContentType"


def test_gm_signed_data_with_other_inner_type_is_not_called_mixed(sm2pki: SM2PKI) -> None:
    # TSTInfo inside GM/T signedData is odd but not the PKCS#7/GM data mix.
    evidence = sm2pki.signer.sign_detached_cms(CONTENT, econtent_type="1.2.840.113549.1.9.16.1.4")
    result = check(evidence, [sm2pki.root.cert_pem])
    assert result.passed, result.explain()


# --- variants and signer IDs ------------------------------------------------------------------

VARIANTS = {
    "raw-digest": "SM3(M), without Z_A",
    "z-plus-sm3-of-message": "SM3(Z‖SM3(M))",
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("attributes", [True, False], ids=["attrs", "no-attrs"])
def test_variant_refused_by_default(sm2pki: SM2PKI, variant: Any, attributes: bool) -> None:
    evidence = sm2pki.signer.sign_detached_cms(CONTENT, variant=variant, attributes=attributes)
    result = check(evidence, [sm2pki.root.cert_pem])
    assert result.indication is Indication.INDETERMINATE
    assert result.sub_indication is SubIndication.SIG_CONSTRAINTS_FAILURE
    assert f"verifies only as the non-standard variant {variant} ({VARIANTS[variant]})" in (
        result.message
    )
    assert "Policy.sm2_accepted_variants does not accept it" in result.message
    # Accepting the other variant does not accept this one.
    other = next(v for v in VARIANTS if v != variant)
    again = check(evidence, [sm2pki.root.cert_pem], policy=Policy(sm2_accepted_variants=(other,)))
    assert again.sub_indication is SubIndication.SIG_CONSTRAINTS_FAILURE


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_variant_accepted_by_policy_passes_with_warning(sm2pki: SM2PKI, variant: Any) -> None:
    evidence = sm2pki.signer.sign_detached_cms(CONTENT, variant=variant)
    result = check(
        evidence, [sm2pki.root.cert_pem], policy=Policy(sm2_accepted_variants=(variant,))
    )
    assert result.passed, result.explain()
    sig = signature_check(result)
    assert sig.outcome is CheckOutcome.WARNING
    assert variant in sig.message
    assert "non-standard" in sig.message
    assert any(variant in w for w in result.warnings)


def test_standard_signature_has_no_warning_even_when_variants_accepted(sm2pki: SM2PKI) -> None:
    policy = Policy(sm2_accepted_variants=("raw-digest", "z-plus-sm3-of-message"))
    result = check(sm2pki.signer.sign_detached_cms(CONTENT), [sm2pki.root.cert_pem], policy=policy)
    assert result.passed
    assert not result.warnings
    assert signature_check(result).outcome is CheckOutcome.PASSED


def test_wrong_signer_id_fails(sm2pki: SM2PKI) -> None:
    evidence = sm2pki.signer.sign_detached_cms(CONTENT, signer_id=ALICE)
    result = check(evidence, [sm2pki.root.cert_pem])
    assert result.indication is Indication.FAILED
    assert result.sub_indication is SubIndication.SIG_CRYPTO_FAILURE
    assert "signer ID '1234567812345678'" in result.message
    agreed = Policy(sm2_signer_id=ALICE.decode())
    assert check(evidence, [sm2pki.root.cert_pem], policy=agreed).passed
    # With the agreed ID configured, a default-ID signature is named as such.
    default = check(sm2pki.signer.sign_detached_cms(CONTENT), [sm2pki.root.cert_pem], policy=agreed)
    assert default.sub_indication is SubIndication.SIG_CONSTRAINTS_FAILURE
    assert "verifies only with SM2 signer ID '1234567812345678'" in default.message


def test_empty_signer_id_is_named(sm2pki: SM2PKI) -> None:
    evidence = sm2pki.signer.sign_detached_cms(CONTENT, signer_id=b"")
    result = check(evidence, [sm2pki.root.cert_pem])
    assert result.sub_indication is SubIndication.SIG_CONSTRAINTS_FAILURE
    assert "'' (empty)" in result.message
    assert "Policy.sm2_signer_id" in result.message
    assert check(evidence, [sm2pki.root.cert_pem], policy=Policy(sm2_signer_id="")).passed


@pytest.mark.parametrize(
    "changes",
    [
        {"sm2_signer_id": "签名者"},
        {"sm2_signer_id": "x" * 8192},
        {"sm2_accepted_variants": ("raw",)},
        {"sm2_accepted_variants": ("STANDARD",)},
    ],
)
def test_policy_rejects_bad_sm2_settings(changes: dict[str, Any]) -> None:
    with pytest.raises(PolicyError):
        Policy().replace(**changes)


def test_policy_sm2_defaults() -> None:
    policy = Policy()
    assert policy.sm2_signer_id == "1234567812345678"
    assert policy.sm2_accepted_variants == ()


# --- bad input --------------------------------------------------------------------------------


def _bad(sm2pki: SM2PKI, value: bytes | Callable[[bytes], bytes]) -> bayident.VerificationResult:
    return check(
        sm2pki.signer.sign_detached_cms(CONTENT, signature_value=value), [sm2pki.root.cert_pem]
    )


def _valid_rs(message: bytes, key: SM2PrivateKey) -> tuple[int, int]:
    der = sm2_sign(key, message)
    raw = sm2_sign(key, digest_e=sm3(compute_za(key.public_key) + message), encoding="raw")
    assert len(der) >= 8
    return int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")


@pytest.mark.parametrize(
    ("r", "s", "field", "words"),
    [
        (0, 1, "signature.r", "r is zero"),
        (1, 0, "signature.s", "s is zero"),
        (N, 1, "signature.r", "not less than the group order"),
        (1, N + 5, "signature.s", "not less than the group order"),
        (1, N - 1, "signature", "r + s"),
    ],
)
def test_out_of_range_r_s(sm2pki: SM2PKI, r: int, s: int, field: str, words: str) -> None:
    result = _bad(sm2pki, der_sig(r, s))
    assert result.indication is Indication.FAILED
    assert result.sub_indication is SubIndication.FORMAT_FAILURE
    assert field in result.message
    assert words in result.message


def test_truncated_and_overlong_signatures(sm2pki: SM2PKI) -> None:
    key = sm2pki.signer.private_key
    assert isinstance(key, SM2PrivateKey)

    def sign(message: bytes) -> bytes:
        return sm2_sign(key, message)

    truncated = _bad(sm2pki, lambda m: sign(m)[:-3])
    assert truncated.sub_indication is SubIndication.FORMAT_FAILURE
    assert "truncated" in truncated.message
    trailing = _bad(sm2pki, lambda m: sign(m) + b"\x00")
    assert trailing.sub_indication is SubIndication.FORMAT_FAILURE
    assert "trailing" in trailing.message
    long = _bad(sm2pki, lambda m: sign(m) + b"\x00" * 40)
    assert long.sub_indication is SubIndication.FORMAT_FAILURE
    assert "more than an SM2 signature can take" in long.message
    empty = _bad(sm2pki, b"")
    assert empty.sub_indication is SubIndication.FORMAT_FAILURE


def test_raw_r_s_instead_of_der_is_named(sm2pki: SM2PKI) -> None:
    key = sm2pki.signer.private_key
    assert isinstance(key, SM2PrivateKey)
    result = _bad(sm2pki, lambda m: sm2_sign(key, m, encoding="raw"))
    assert result.sub_indication is SubIndication.FORMAT_FAILURE
    assert "raw r‖s" in result.message


def test_non_minimal_der_integer(sm2pki: SM2PKI) -> None:
    key = sm2pki.signer.private_key
    assert isinstance(key, SM2PrivateKey)

    def padded(message: bytes) -> bytes:
        raw = sm2_sign(key, message, encoding="raw")
        body = bytes([0x02, 0x22, 0x00, 0x00]) + raw[:32] + der_int(int.from_bytes(raw[32:], "big"))
        return bytes([0x30, len(body)]) + body

    result = _bad(sm2pki, padded)
    assert result.sub_indication is SubIndication.FORMAT_FAILURE
    assert "signature.r" in result.message


def test_signer_key_off_the_curve(sm2pki: SM2PKI) -> None:
    good = generate_sm2_key()
    point = bytearray(good.public_key.to_point())
    point[-1] ^= 1
    spki = good.public_key.to_spki_der()[:-65] + bytes(point)
    issuing_key = sm2pki.issuing.private_key
    assert isinstance(issuing_key, SM2PrivateKey)
    cert = _certificate(
        subject=x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Off Curve")]),
        issuer=sm2pki.issuing.certificate.subject,
        spki=spki,
        issuer_key=issuing_key,
        serial=4242,
        not_before=CLOCK_START,
        not_after=CLOCK_START + dt.timedelta(days=90),
        extensions=[],
    )
    signer = MockSM2Signer(
        name="Off Curve", certificate=cert, private_key=good, issuer=sm2pki.issuing
    )
    result = check(signer.sign_detached_cms(CONTENT), [sm2pki.root.cert_pem])
    assert result.indication is Indication.FAILED
    assert result.sub_indication is SubIndication.FORMAT_FAILURE
    assert "subjectPublicKey" in result.message
    assert "not on the SM2 curve" in result.message
    key_check = [c for c in result.checks if c.name == "signer-key"]
    assert key_check
    assert "not on the SM2 curve" in key_check[0].message


@pytest.mark.parametrize(
    ("oid", "words"),
    [
        ("1.2.840.113549.1.1.1", "needs an RSA key but the certificate holds SM2"),
        ("1.2.840.10045.2.1", "needs an elliptic-curve key but the certificate holds SM2"),
        ("1.2.840.10045.4.3.2", "implies sha256 but the digest algorithm is sm3"),
    ],
)
def test_sm2_key_with_rsa_or_ecdsa_oid(sm2pki: SM2PKI, oid: str, words: str) -> None:
    result = check(
        sm2pki.signer.sign_detached_cms(CONTENT, signature_oid=oid), [sm2pki.root.cert_pem]
    )
    assert result.indication is Indication.FAILED
    assert result.sub_indication is SubIndication.FORMAT_FAILURE
    assert words in result.message


@pytest.mark.parametrize("key_type", ["rsa", "ec"])
def test_rsa_or_ec_key_with_sm2_oid(sm2pki: SM2PKI, key_type: Any) -> None:
    signer = sm2pki.issuing.issue_signer("Confused", key_type=key_type)
    evidence = signer.sign_detached_cms(
        CONTENT, attributes=False, signature_oid=OID_SM2_SIGN, digest_oid=OID_SM3
    )
    result = check(evidence, [sm2pki.root.cert_pem])
    assert result.indication is Indication.FAILED
    assert result.sub_indication is SubIndication.FORMAT_FAILURE
    held = "RSA-2048" if key_type == "rsa" else "EC-secp256r1"
    assert f"needs an SM2 key but the certificate holds {held}" in result.message


def test_sm2_oid_with_sha256_digest(sm2pki: SM2PKI) -> None:
    evidence = sm2pki.signer.sign_detached_cms(CONTENT, digest_oid="2.16.840.1.101.3.4.2.1")
    result = check(evidence, [sm2pki.root.cert_pem])
    assert result.sub_indication is SubIndication.FORMAT_FAILURE
    assert "implies sm3 but the digest algorithm is sha256" in result.message


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_damaged_signature_never_passes(sm2pki: SM2PKI, data: st.DataObject) -> None:
    key = sm2pki.signer.private_key
    assert isinstance(key, SM2PrivateKey)
    # A DER SM2 signature is 70 to 72 bytes but for 1 in 2^16 of them, so 64 is always inside.
    pos = data.draw(st.integers(0, 63))
    bit = data.draw(st.integers(0, 7))

    def damage(message: bytes) -> bytes:
        sig = bytearray(sm2_sign(key, message))
        sig[pos] ^= 1 << bit
        return bytes(sig)

    result = _bad(sm2pki, damage)
    assert not result.passed
    assert result.indication is Indication.FAILED


# --- interop: Tongsuo, gmssl ------------------------------------------------------------------


def _tongsuo_key() -> tuple[Any, SM2PrivateKey]:
    from tongsuopy.crypto.asymciphers import ec

    key = ec.generate_private_key(ec.SM2())
    return key, SM2PrivateKey(key.private_numbers().private_value)


@pytest.mark.interop
@pytest.mark.parametrize("gm_oids", [True, False], ids=["gmt", "pkcs7"])
@pytest.mark.parametrize("attributes", [True, False], ids=["attrs", "no-attrs"])
def test_tongsuo_signatures_verify(sm2pki: SM2PKI, gm_oids: bool, attributes: bool) -> None:
    from tongsuopy.crypto import hashes
    from tongsuopy.crypto.asymciphers import ec

    tongsuo, mirror = _tongsuo_key()
    signer = sm2pki.issuing.issue_signer("Tongsuo signer", private_key=mirror)

    def tongsuo_sign(message: bytes) -> bytes:
        signature: bytes = tongsuo.sign(message, ec.ECDSA(hashes.SM3()))
        return signature

    evidence = signer.sign_detached_cms(
        CONTENT, gm_oids=gm_oids, attributes=attributes, signature_value=tongsuo_sign
    )
    result = check(evidence, [sm2pki.root.cert_pem])
    assert result.passed, result.explain()
    assert signature_check(result).outcome is CheckOutcome.PASSED


@pytest.mark.interop
def test_gmssl_signature_verifies(sm2pki: SM2PKI) -> None:
    gmssl_sm2 = pytest.importorskip("gmssl.sm2")
    key = generate_sm2_key()
    signer = sm2pki.issuing.issue_signer("gmssl signer", private_key=key)
    pub = key.public_key
    crypt = gmssl_sm2.CryptSM2(
        private_key=f"{key.private_value:064x}", public_key=f"{pub.x:064x}{pub.y:064x}"
    )

    def gmssl_sign(message: bytes) -> bytes:
        k = f"{int.from_bytes(__import__('os').urandom(32), 'big') % (N - 1) + 1:064x}"
        raw = bytes.fromhex(crypt.sign_with_sm3(message, k))
        return der_sig(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))

    result = check(
        signer.sign_detached_cms(CONTENT, signature_value=gmssl_sign), [sm2pki.root.cert_pem]
    )
    assert result.passed, result.explain()


# --- interop: the openssl command line --------------------------------------------------------

DISTID = "distid:1234567812345678"

needs_openssl = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="the openssl command is not installed"
)


def _openssl(*args: str, cwd: Path, data: bytes | None = None) -> bytes:
    done = subprocess.run(
        ["openssl", *args], cwd=cwd, input=data, capture_output=True, timeout=60, check=False
    )
    if done.returncode != 0:
        raise AssertionError(f"openssl {' '.join(args)} failed: {done.stderr.decode()}")
    return done.stdout


@dataclass(frozen=True)
class OpenSSLPKI:
    dir: Path

    def pem(self, name: str) -> bytes:
        return (self.dir / f"{name}.pem").read_bytes()

    def cert(self, name: str) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.pem(name))

    def der(self, name: str) -> bytes:
        return self.cert(name).public_bytes(serialization.Encoding.DER)


_CA_EXT = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
_EE_EXT = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n"


@pytest.fixture(scope="module")
def openssl_pki(tmp_path_factory: pytest.TempPathFactory) -> OpenSSLPKI:
    """SM2 and RSA certificates made by ``openssl`` 3 (distid set for every SM2 signature)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    d = tmp_path_factory.mktemp("openssl-sm2")
    (d / "ca.ext").write_text(_CA_EXT)
    (d / "ee.ext").write_text(_EE_EXT)
    serials = iter(range(1001, 2000))

    def run(command: str, *extra: str) -> None:
        _openssl(*command.split(), *extra, cwd=d)

    def key(name: str) -> None:
        if "rsa" in name:
            run(f"genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out {name}.key")
        else:
            run(f"genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2 -out {name}.key")

    def signing(name: str, *, distid: bool = True) -> str:
        """How the key of ``name`` signs (SM3withSM2 takes the signer ID as -sigopt)."""
        if "rsa" in name:
            return "-sha256"
        return f"-sm3 -sigopt {DISTID}" if distid else "-sm3"

    def root(name: str, cn: str) -> None:
        key(name)
        run(
            f"req -x509 -key {name}.key {signing(name)} -days 3650 -out {name}.pem "
            "-addext basicConstraints=critical,CA:TRUE "
            "-addext keyUsage=critical,keyCertSign,cRLSign",
            "-subj",
            f"/C=CN/O=OpenSSL sandbox/CN={cn}",
        )

    def issue(name: str, cn: str, issuer: str, ext: str, *, distid: bool = True) -> None:
        if not (d / f"{name}.key").exists():
            key(name)
            run(f"req -new -key {name}.key {signing(name)} -out {name}.csr", "-subj", f"/CN={cn}")
        out = name if distid else f"{name}_noid"
        # x509 -req checks the request's own signature: with the signer ID it was made with.
        check_csr = "" if "rsa" in name else f"-vfyopt {DISTID}"
        run(
            f"x509 -req -in {name}.csr -CA {issuer}.pem -CAkey {issuer}.key "
            f"-set_serial {next(serials)} {signing(issuer, distid=distid)} {check_csr} "
            f"-days 3650 -extfile {ext} -out {out}.pem"
        )

    root("sm2root", "OpenSSL SM2 Root")
    root("rsaroot", "OpenSSL RSA Root")
    issue("sm2ca", "OpenSSL SM2 Issuing CA", "sm2root", "ca.ext")
    issue("sm2leaf", "OpenSSL SM2 Signer", "sm2ca", "ee.ext")
    issue("sm2leaf", "OpenSSL SM2 Signer", "sm2ca", "ee.ext", distid=False)
    issue("sm2mixed", "OpenSSL SM2 Signer under RSA", "rsaroot", "ee.ext")
    issue("rsaleaf", "OpenSSL RSA Signer under SM2", "sm2root", "ee.ext")
    # The openssl CLI itself agrees about each link. (It applies -vfyopt to the certificate
    # named on the command line only, so chains are checked one link at a time.)
    for leaf, issuer in (("sm2ca", "sm2root"), ("sm2leaf", "sm2ca"), ("rsaleaf", "sm2root")):
        run(f"verify -partial_chain -CAfile {issuer}.pem -vfyopt {DISTID} {leaf}.pem")
    return OpenSSLPKI(d)


def now() -> dt.datetime:
    """Real time: the openssl certificates start when the fixture made them."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _validate(pki: OpenSSLPKI, leaf: str, root: str, *inter: str) -> Any:
    cache = CertificateCache()
    return PathValidator().validate(
        cache.get(pki.der(leaf)),
        [cache.get(pki.der(i)) for i in inter],
        TrustStore.coerce([pki.pem(root)]),
        Policy(),
        now(),
    )


@pytest.mark.interop
@needs_openssl
@pytest.mark.parametrize(
    ("leaf", "root", "inter"),
    [
        ("sm2leaf", "sm2root", ("sm2ca",)),
        ("sm2ca", "sm2root", ()),
        ("sm2mixed", "rsaroot", ()),
        ("rsaleaf", "sm2root", ()),
    ],
)
def test_openssl_certificates_validate(
    openssl_pki: OpenSSLPKI, leaf: str, root: str, inter: tuple[str, ...]
) -> None:
    outcome = _validate(openssl_pki, leaf, root, *inter)
    assert outcome.ok, outcome.message


@pytest.mark.interop
@needs_openssl
def test_openssl_certificate_signed_with_empty_id_fails(openssl_pki: OpenSSLPKI) -> None:
    # OpenSSL 3 uses an empty signer ID when -sigopt distid is not given; GM/T 0015 wants
    # the default ID in certificates, so the path does not validate.
    outcome = _validate(openssl_pki, "sm2leaf_noid", "sm2root", "sm2ca")
    assert not outcome.ok
    assert outcome.sub_indication is SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE
    assert "OpenSSL SM2 Signer" in outcome.message


def _asn1crypto_cms(
    pki: OpenSSLPKI,
    leaf: str,
    chain: tuple[str, ...],
    sign: Callable[[bytes], bytes],
    *,
    gm_oids: bool,
    signature_oid: str = OID_SM3_WITH_SM2,
) -> bytes:
    """A detached SignedData assembled by asn1crypto, the signature made by ``sign``."""
    inner = GM_DATA if gm_oids else "data"
    cert = ax509.Certificate.load(pki.der(leaf))
    attrs = acms.CMSAttributes(
        [
            acms.CMSAttribute({"type": "content_type", "values": [inner]}),
            acms.CMSAttribute({"type": "signing_time", "values": [acms.Time({"utc_time": now()})]}),
            acms.CMSAttribute({"type": "message_digest", "values": [sm3(CONTENT)]}),
        ]
    )
    signature = sign(attrs.dump())
    signer = acms.SignerInfo(
        {
            "version": "v1",
            "sid": acms.SignerIdentifier(
                {
                    "issuer_and_serial_number": acms.IssuerAndSerialNumber(
                        {"issuer": cert.issuer, "serial_number": cert.serial_number}
                    )
                }
            ),
            "digest_algorithm": aalgos.DigestAlgorithm({"algorithm": OID_SM3}),
            "signed_attrs": attrs,
            "signature_algorithm": aalgos.SignedDigestAlgorithm({"algorithm": signature_oid}),
            "signature": acore.OctetString(signature),
        }
    )
    signed_data = acms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [aalgos.DigestAlgorithm({"algorithm": OID_SM3})],
            "encap_content_info": {"content_type": inner},
            "certificates": [ax509.Certificate.load(pki.der(c)) for c in (leaf, *chain)],
            "signer_infos": [signer],
        }
    )
    if not gm_oids:
        der: bytes = acms.ContentInfo(
            {"content_type": "signed_data", "content": signed_data}
        ).dump()
        return der
    # asn1crypto leaves out the [0] EXPLICIT wrapper for a content type it does not know.
    body = acore.ObjectIdentifier(GM_SIGNED_DATA).dump() + _tlv(0xA0, signed_data.dump())
    return _tlv(0x30, body)


def _tlv(tag: int, body: bytes) -> bytes:
    n = len(body)
    length = bytes([n]) if n < 0x80 else bytes([0x80 | 2]) + n.to_bytes(2, "big")
    return bytes([tag]) + length + body


def _openssl_signer(pki: OpenSSLPKI, key: str, *args: str) -> Callable[[bytes], bytes]:
    def sign(message: bytes) -> bytes:
        return _openssl("dgst", "-sm3", "-sign", f"{key}.key", *args, cwd=pki.dir, data=message)

    return sign


@pytest.mark.interop
@needs_openssl
@pytest.mark.parametrize("gm_oids", [True, False], ids=["gmt", "pkcs7"])
@pytest.mark.parametrize("sig_oid", [OID_SM2_SIGN, OID_SM3_WITH_SM2], ids=["301.1", "501"])
def test_openssl_signed_cms_verifies(openssl_pki: OpenSSLPKI, gm_oids: bool, sig_oid: str) -> None:
    sign = _openssl_signer(openssl_pki, "sm2leaf", "-sigopt", DISTID)
    evidence = _asn1crypto_cms(
        openssl_pki, "sm2leaf", ("sm2ca",), sign, gm_oids=gm_oids, signature_oid=sig_oid
    )
    result = check(evidence, [openssl_pki.pem("sm2root")], at=now())
    assert result.passed, result.explain()


@pytest.mark.interop
@needs_openssl
def test_openssl_signed_cms_mixed_chain(openssl_pki: OpenSSLPKI) -> None:
    sign = _openssl_signer(openssl_pki, "sm2mixed", "-sigopt", DISTID)
    evidence = _asn1crypto_cms(openssl_pki, "sm2mixed", (), sign, gm_oids=True)
    result = check(evidence, [openssl_pki.pem("rsaroot")], at=now())
    assert result.passed, result.explain()


@pytest.mark.interop
@needs_openssl
def test_openssl_variants_are_recognised(openssl_pki: OpenSSLPKI) -> None:
    d = openssl_pki.dir

    def raw_digest(message: bytes) -> bytes:
        # pkeyutl without -rawin signs its input as e itself: e = SM3(M).
        return _openssl("pkeyutl", "-sign", "-inkey", "sm2leaf.key", cwd=d, data=sm3(message))

    def z_plus(message: bytes) -> bytes:
        return _openssl_signer(openssl_pki, "sm2leaf", "-sigopt", DISTID)(sm3(message))

    def empty_id(message: bytes) -> bytes:
        return _openssl_signer(openssl_pki, "sm2leaf")(message)

    trust = [openssl_pki.pem("sm2root")]
    for sign, expected in ((raw_digest, "raw-digest"), (z_plus, "z-plus-sm3-of-message")):
        evidence = _asn1crypto_cms(openssl_pki, "sm2leaf", ("sm2ca",), sign, gm_oids=True)
        refused = check(evidence, trust, at=now())
        assert refused.sub_indication is SubIndication.SIG_CONSTRAINTS_FAILURE
        assert f"non-standard variant {expected}" in refused.message
        accepted = check(
            evidence, trust, policy=Policy(sm2_accepted_variants=(expected,)), at=now()
        )
        assert accepted.passed
        assert accepted.warnings
    evidence = _asn1crypto_cms(openssl_pki, "sm2leaf", ("sm2ca",), empty_id, gm_oids=True)
    result = check(evidence, trust, at=now())
    assert result.sub_indication is SubIndication.SIG_CONSTRAINTS_FAILURE
    assert "'' (empty)" in result.message


@pytest.mark.interop
@needs_openssl
def test_kit_certificates_verify_with_openssl(sm2pki: SM2PKI, tmp_path: Path) -> None:
    (tmp_path / "root.pem").write_bytes(sm2pki.root.cert_pem)
    (tmp_path / "ca.pem").write_bytes(sm2pki.issuing.cert_pem)
    (tmp_path / "leaf.pem").write_bytes(sm2pki.signer.cert_pem)
    # openssl applies -vfyopt to the named certificate only: one link at a time.
    for leaf, issuer in (("ca", "root"), ("leaf", "ca")):
        command = f"verify -partial_chain -CAfile {issuer}.pem -vfyopt {DISTID} -attime "
        _openssl(*command.split(), str(int(AT.timestamp())), f"{leaf}.pem", cwd=tmp_path)


def test_verifier_reuse_keeps_policies_apart(sm2pki: SM2PKI) -> None:
    verifier = Verifier(trust=[sm2pki.root.cert_pem])
    evidence = sm2pki.signer.sign_detached_cms(CONTENT, variant="raw-digest")
    lenient = Policy(sm2_accepted_variants=("raw-digest",))
    for _ in range(2):
        assert verifier.verify(evidence, content=CONTENT, at=AT, policy=lenient).passed
        assert not verifier.verify(evidence, content=CONTENT, at=AT).passed
