"""CAdES as real producers write it: encodings, algorithms and structures from the field.

Each behaviour the EU DSS corpus needs (signed attributes over their DER, zero padding,
lenient certificates, DigestInfo without NULL, ESS names, SHA3 and RSASSA-PSS, counter-
signatures, content digests, detached signatures without content, bare time-stamp
tokens, RFC 5652 structure rules) is built here with the test kit, next to the hostile
variants that must never pass.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

import bayident
from _pki import AT, CONTENT, SandboxPKI, assert_well_formed
from _revocation_kit import RevPKI, make_pki
from bayident import CheckOutcome, Indication, InvalidArgument, Policy, SubIndication
from bayident import _der as d
from bayident._canonical import to_der
from bayident.cli import main as cli_main
from bayident.testing import (
    MockCA,
    add_unsigned_attribute,
    build_signed_data,
    content_type_attribute,
    message_digest_attribute,
    signing_certificate_v2_attribute,
)
from bayident.testing import _der as kd

FAILED, INDETERMINATE, PASSED = Indication.FAILED, Indication.INDETERMINATE, Indication.PASSED
OID_COUNTERSIGNATURE = "1.2.840.113549.1.9.6"


def verify(pki: SandboxPKI, evidence: bytes, **kwargs: Any) -> bayident.VerificationResult:
    kwargs.setdefault("content", CONTENT)
    kwargs.setdefault("at", AT)
    return assert_well_formed(bayident.verify(evidence, trust=[pki.root.cert_pem], **kwargs))


def checks(result: bayident.VerificationResult, name: str) -> list[bayident.Check]:
    return [c for c in result.checks if c.name == name]


def _children(der: bytes, tlv: d.TLV) -> list[d.TLV]:
    return d.children(der, tlv, "test", 0, 64)


def _signer_info_tlv(cms: bytes, index: int = 0) -> tuple[d.TLV, d.TLV]:
    """(SignedData, SignerInfo[index]) elements of a ContentInfo."""
    top = d.read_tlv(cms, 0, len(cms), "test")
    inner = _children(cms, _children(cms, top)[1])[0]
    sd_parts = _children(cms, inner)
    return inner, _children(cms, sd_parts[-1])[index]


def _signed_attrs_tlv(cms: bytes) -> d.TLV:
    _, si = _signer_info_tlv(cms)
    return next(p for p in _children(cms, si) if p.tag == d.CTX0)


def _reverse_signed_attributes(cms: bytes) -> bytes:
    """The same bytes with the signed attributes stored in reverse (non-DER) order."""
    attrs = _signed_attrs_tlv(cms)
    parts = [cms[c.header_start : c.next] for c in _children(cms, attrs)]
    assert len(parts) > 1
    body = b"".join(reversed(parts))
    assert len(body) == attrs.end - attrs.start
    return cms[: attrs.start] + body + cms[attrs.end :]


def _signed_attrs_der(cms: bytes) -> bytes:
    attrs = _signed_attrs_tlv(cms)
    return b"\x31" + cms[attrs.header_start + 1 : attrs.next]


# --- 1. signed attributes: verified over their DER encoding ---------------------------------


def test_signed_attributes_stored_out_of_order_are_verified_over_their_der(
    pki: SandboxPKI,
) -> None:
    stored = _reverse_signed_attributes(pki.signer.sign_detached_cms(CONTENT))
    result = verify(pki, stored)
    assert result.passed, result.explain()
    [enc] = checks(result, "signed-attributes-encoding")
    assert enc.outcome is CheckOutcome.WARNING
    assert "RFC 5652 §5.4" in enc.message


def _reversed_default_attributes(pki: SandboxPKI) -> list[tuple[str, Any]]:
    """content-type, message-digest and signing-certificate-v2, in reverse of DER order."""
    return [
        signing_certificate_v2_attribute(pki.signer.certificate),
        message_digest_attribute(hashlib.sha256(CONTENT).digest()),
        content_type_attribute(),
    ]


def test_signature_over_the_stored_order_only_fails_by_default(pki: SandboxPKI) -> None:
    spec = pki.signer.signer_spec(
        signed_attributes=_reversed_default_attributes(pki), sort_signed_attributes=False
    )
    spec_attrs = build_signed_data(CONTENT, [spec], certificates=pki.signer.chain, detached=True)
    assert _signed_attrs_der(spec_attrs) != to_der(_signed_attrs_der(spec_attrs))
    result = verify(pki, spec_attrs)
    assert (result.indication, result.sub_indication) == (FAILED, SubIndication.SIG_CRYPTO_FAILURE)
    assert "only over the signed attributes as stored" in result.message
    lenient = verify(
        pki, spec_attrs, policy=Policy(accept_signed_attributes_as_stored=True), content=CONTENT
    )
    assert lenient.passed, lenient.explain()
    assert checks(lenient, "signature")[0].outcome is CheckOutcome.WARNING


def test_non_der_signed_attributes_with_a_signature_over_neither_order(pki: SandboxPKI) -> None:
    spec = pki.signer.signer_spec(
        sort_signed_attributes=False, signing_time=AT, signature=b"\x30\x06\x02\x01\x01\x02\x01\x01"
    )
    cms = build_signed_data(CONTENT, [spec], certificates=pki.signer.chain, detached=True)
    for policy in (Policy(), Policy(accept_signed_attributes_as_stored=True)):
        result = verify(pki, cms, policy=policy)
        assert result.indication is FAILED, result.explain()
        assert result.sub_indication is SubIndication.SIG_CRYPTO_FAILURE


# --- 2. trailing zero padding -------------------------------------------------------------------


def test_trailing_zero_padding_is_tolerated_with_a_warning(pki: SandboxPKI) -> None:
    result = verify(pki, pki.signer.sign_detached_cms(CONTENT) + b"\x00" * 2048)
    assert result.passed, result.explain()
    [pad] = checks(result, "cms-padding")
    assert pad.outcome is CheckOutcome.WARNING
    assert "2048 zero bytes" in pad.message


@pytest.mark.parametrize("tail", [b"\x00\x00\x01", b"\xff", b"\x30\x00"], ids=["one", "ff", "seq"])
def test_padding_that_is_not_zeros_is_a_format_failure(pki: SandboxPKI, tail: bytes) -> None:
    result = verify(pki, pki.signer.sign_detached_cms(CONTENT) + tail)
    assert (result.indication, result.sub_indication) == (FAILED, SubIndication.FORMAT_FAILURE)
    assert "unexpected bytes after the end" in result.message


# --- 3. certificates the strict parser refuses ---------------------------------------------------


def _broken_signer_cms(pki: SandboxPKI) -> bytes:
    # X.509 v3 written as version 4 (INTEGER 3): the strict parser refuses it, asn1crypto
    # reads it. The issuer's signature no longer covers these bytes.
    cert = pki.signer.cert_der
    broken = cert.replace(b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01\x03", 1)
    spec = pki.signer.signer_spec(signing_certificate=None)
    return build_signed_data(
        CONTENT, [spec], certificates=[broken, pki.intermediate.certificate], detached=True
    )


def test_lenient_certificate_is_reported_and_blocks_passed_by_default(pki: SandboxPKI) -> None:
    result = verify(pki, _broken_signer_cms(pki))
    assert (result.indication, result.sub_indication) == (
        INDETERMINATE,
        SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
    )
    named = checks(result, "certificate-lenient-parse")
    assert any("InvalidVersion" in c.message for c in named), result.explain()
    # The signature itself was checked with the leniently read key.
    assert checks(result, "signature")[0].outcome is CheckOutcome.PASSED


def test_lenient_certificate_whose_issuer_signature_fails_never_passes(pki: SandboxPKI) -> None:
    result = verify(pki, _broken_signer_cms(pki), policy=Policy(accept_lenient_certificates=True))
    assert result.indication is not PASSED, result.explain()


# --- 4. PKCS#1 v1.5 DigestInfo without NULL parameters -------------------------------------------


@pytest.fixture(scope="module")
def rsa_pki() -> tuple[MockCA, Any]:
    root = MockCA("Field RSA Root")
    return root, root.issue_signer("Field RSA Signer", key_type="rsa")


def _raw_pkcs1(key: rsa.RSAPrivateKey, digest_info: bytes) -> bytes:
    n = key.private_numbers().public_numbers.n
    k = (n.bit_length() + 7) // 8
    em = b"\x00\x01" + b"\xff" * (k - len(digest_info) - 3) + b"\x00" + digest_info
    s = pow(int.from_bytes(em, "big"), key.private_numbers().d, n)
    return s.to_bytes(k, "big")


def _rsa_with_digest_info(rsa_pki: tuple[MockCA, Any], params: bytes | None) -> bytes:
    _, signer = rsa_pki
    probe = signer.signer_spec(signature=b"\x00")
    signed = _signed_attrs_der(build_signed_data(CONTENT, [probe], detached=True))
    alg = kd.oid("2.16.840.1.101.3.4.2.1") + (params or b"")
    di = kd.sequence(kd.sequence(alg), kd.octet_string(hashlib.sha256(signed).digest()))
    sig = _raw_pkcs1(signer.private_key, di)
    spec = signer.signer_spec(signature=sig)
    return build_signed_data(CONTENT, [spec], certificates=signer.chain, detached=True)


def _verify_rsa(rsa_pki: tuple[MockCA, Any], cms: bytes) -> bayident.VerificationResult:
    root, _ = rsa_pki
    return assert_well_formed(bayident.verify(cms, content=CONTENT, trust=[root.cert_pem]))


def test_digest_info_without_null_parameters_is_accepted_and_named(
    rsa_pki: tuple[MockCA, Any],
) -> None:
    result = _verify_rsa(rsa_pki, _rsa_with_digest_info(rsa_pki, None))
    assert result.passed, result.explain()
    [sig] = checks(result, "signature")
    assert sig.outcome is CheckOutcome.WARNING
    assert "leaves out the NULL parameters" in sig.message
    assert "RFC 8017 §9.2" in sig.message


@pytest.mark.parametrize(
    "params", [b"\x04\x00", b"\x02\x01\x00", b"\x05\x01\x00"], ids=["octets", "integer", "null1"]
)
def test_digest_info_with_wrong_parameters_fails(
    rsa_pki: tuple[MockCA, Any], params: bytes
) -> None:
    result = _verify_rsa(rsa_pki, _rsa_with_digest_info(rsa_pki, params))
    assert (result.indication, result.sub_indication) == (FAILED, SubIndication.SIG_CRYPTO_FAILURE)


# --- 5. ESS issuerSerial compared by RFC 5280 name matching --------------------------------------


def _ess_with_issuer(signer: Any, issuer_name_der: bytes) -> tuple[str, list[bytes]]:
    cert = signer.certificate
    cert_hash = hashlib.sha256(signer.cert_der).digest()
    general_names = kd.sequence(bytes([0xA4, len(issuer_name_der)]) + issuer_name_der)
    issuer_serial = kd.sequence(general_names, kd.integer(cert.serial_number))
    ess_cert_id = kd.sequence(kd.octet_string(cert_hash), issuer_serial)
    value = kd.sequence(kd.sequence(ess_cert_id))
    return ("1.2.840.113549.1.9.16.2.47", [value])


def _utf8_name(pki: SandboxPKI) -> bytes:
    """The issuer's name with its CN re-encoded as UTF8String (or as PrintableString)."""
    issuer = pki.signer.certificate.issuer.public_bytes()
    cn = pki.intermediate.certificate.subject.rfc4514_string().split("CN=")[1].split(",")[0]
    for old_tag, new_tag in ((0x0C, 0x13), (0x13, 0x0C)):
        old = bytes([old_tag, len(cn)]) + cn.encode()
        if old in issuer:
            return issuer.replace(old, bytes([new_tag, len(cn)]) + cn.encode(), 1)
    raise AssertionError("issuer CN not found")


def test_ess_issuer_name_matches_by_rfc5280_rules(pki: SandboxPKI) -> None:
    name = _utf8_name(pki)
    assert name != pki.signer.certificate.issuer.public_bytes()
    spec = pki.signer.signer_spec(
        signing_certificate=None, extra_signed_attributes=[_ess_with_issuer(pki.signer, name)]
    )
    cms = build_signed_data(CONTENT, [spec], certificates=pki.signer.chain, detached=True)
    result = verify(pki, cms)
    assert result.passed, result.explain()


def test_ess_issuer_name_of_another_ca_fails(pki: SandboxPKI) -> None:
    other = pki.other_root.certificate.subject.public_bytes()
    spec = pki.signer.signer_spec(
        signing_certificate=None, extra_signed_attributes=[_ess_with_issuer(pki.signer, other)]
    )
    cms = build_signed_data(CONTENT, [spec], certificates=pki.signer.chain, detached=True)
    result = verify(pki, cms)
    assert result.sub_indication is SubIndication.NO_SIGNING_CERTIFICATE_FOUND, result.explain()
    assert "names another issuer" in result.message


# --- 6. SHA3 and RSASSA-PSS with its own hash ----------------------------------------------------


def _pss_params(hash_oid: str, mgf_hash_oid: str, salt: int) -> bytes:
    h = kd.sequence(kd.oid(hash_oid))
    mgf = kd.sequence(kd.oid("1.2.840.113549.1.1.8"), kd.sequence(kd.oid(mgf_hash_oid)))
    return kd.sequence(kd.explicit(0, h), kd.explicit(1, mgf), kd.explicit(2, kd.integer(salt)))


SHA3_256 = "2.16.840.1.101.3.4.2.8"


def _pss_signed(
    rsa_pki: tuple[MockCA, Any], params: bytes, sign: Callable[[bytes], bytes]
) -> bytes:
    _, signer = rsa_pki
    alg = kd.sequence(kd.oid("1.2.840.113549.1.1.10"), params)
    probe = signer.signer_spec(signature_algorithm_der=alg, signature=b"\x00")
    signed = _signed_attrs_der(build_signed_data(CONTENT, [probe], detached=True))
    spec = signer.signer_spec(signature_algorithm_der=alg, signature=sign(signed))
    return build_signed_data(CONTENT, [spec], certificates=signer.chain, detached=True)


def test_pss_with_sha3_in_its_parameters_and_sha256_as_digest(
    rsa_pki: tuple[MockCA, Any],
) -> None:
    _, signer = rsa_pki
    pad = padding.PSS(mgf=padding.MGF1(hashes.SHA3_256()), salt_length=32)
    cms = _pss_signed(
        rsa_pki,
        _pss_params(SHA3_256, SHA3_256, 32),
        lambda data: signer.private_key.sign(data, pad, hashes.SHA3_256()),
    )
    result = _verify_rsa(rsa_pki, cms)
    assert result.passed, result.explain()
    assert result.signers[0].digest_algorithm == "sha256"


@pytest.mark.parametrize(
    ("mgf_oid", "name"),
    [("1.2.156.10197.1.401", "sm3"), ("2.16.840.1.101.3.4.2.18", "shake256")],
    ids=["sm3", "shake256"],
)
def test_pss_with_an_unusable_mgf1_hash_names_the_parameter(
    rsa_pki: tuple[MockCA, Any], mgf_oid: str, name: str
) -> None:
    cms = _pss_signed(rsa_pki, _pss_params(SHA3_256, mgf_oid, 32), lambda data: b"\x01" * 256)
    result = _verify_rsa(rsa_pki, cms)
    assert result.indication is not PASSED
    assert f"MGF1 with {name}" in " ".join(c.message for c in result.failed_checks())


def test_pss_hash_refused_by_the_policy(rsa_pki: tuple[MockCA, Any]) -> None:
    _, signer = rsa_pki
    pad = padding.PSS(mgf=padding.MGF1(hashes.SHA3_256()), salt_length=32)
    cms = _pss_signed(
        rsa_pki,
        _pss_params(SHA3_256, SHA3_256, 32),
        lambda data: signer.private_key.sign(data, pad, hashes.SHA3_256()),
    )
    root, _ = rsa_pki
    base = Policy()
    policy = base.replace(
        digest_algorithms={k: v for k, v in base.digest_algorithms.items() if k != "sha3-256"}
    )
    result = assert_well_formed(
        bayident.verify(cms, content=CONTENT, trust=[root.cert_pem], policy=policy)
    )
    assert result.sub_indication is SubIndication.CRYPTO_CONSTRAINTS_FAILURE, result.explain()
    assert "sha3-256" in result.message


def test_sha3_224_digest(rsa_pki: tuple[MockCA, Any]) -> None:
    _, signer = rsa_pki
    alg = kd.sequence(kd.oid("2.16.840.1.101.3.4.2.7"))
    probe = signer.signer_spec(
        digest_algorithm_der=alg,
        content_digest=hashlib.sha3_224(CONTENT).digest(),
        signature_algorithm_oid="2.16.840.1.101.3.4.3.13",
        signature=b"\x00",
    )
    signed = _signed_attrs_der(build_signed_data(CONTENT, [probe], detached=True))
    sig = signer.private_key.sign(signed, padding.PKCS1v15(), hashes.SHA3_224())
    spec = signer.signer_spec(
        digest_algorithm_der=alg,
        content_digest=hashlib.sha3_224(CONTENT).digest(),
        signature_algorithm_oid="2.16.840.1.101.3.4.3.13",
        signature=sig,
    )
    cms = build_signed_data(
        CONTENT, [spec], certificates=signer.chain, detached=True, digest_algorithms=[alg]
    )
    result = _verify_rsa(rsa_pki, cms)
    assert result.passed, result.explain()
    assert result.signers[0].digest_algorithm == "sha3-224"


# --- 8. counter-signatures ------------------------------------------------------------------------


def _counter_signer_info(pki: SandboxPKI, signed_value: bytes) -> bytes:
    attrs = [
        message_digest_attribute(hashlib.sha256(signed_value).digest()),
        signing_certificate_v2_attribute(pki.signer.certificate),
    ]
    spec = pki.signer.signer_spec(signed_attributes=attrs, signing_certificate=None)
    cms = build_signed_data(signed_value, [spec], detached=True)
    _, si = _signer_info_tlv(cms)
    return cms[si.header_start : si.next]


def _parent_signature(cms: bytes) -> bytes:
    _, si = _signer_info_tlv(cms)
    octets = next(p for p in _children(cms, si) if p.tag == d.OCTET_STRING)
    return cms[octets.start : octets.end]


def test_counter_signature_is_verified_and_nested(pki: SandboxPKI) -> None:
    cms = pki.signer.sign_detached_cms(CONTENT)
    counter = _counter_signer_info(pki, _parent_signature(cms))
    result = verify(pki, add_unsigned_attribute(cms, OID_COUNTERSIGNATURE, [counter]))
    assert result.passed, result.explain()
    [nested] = result.signers[0].counter_signatures
    assert nested.indication is PASSED, result.explain()
    assert nested.index == 1
    assert checks(result, "counter-signature")[0].outcome is CheckOutcome.PASSED


def test_counter_signature_over_another_signature(pki: SandboxPKI) -> None:
    cms = pki.signer.sign_detached_cms(CONTENT)
    other = pki.signer.sign_detached_cms(b"another document")
    counter = _counter_signer_info(pki, _parent_signature(other))
    result = verify(pki, add_unsigned_attribute(cms, OID_COUNTERSIGNATURE, [counter]))
    # The countersigned signature stands on its own; the counter-signature fails.
    assert result.passed, result.explain()
    [nested] = result.signers[0].counter_signatures
    assert (nested.indication, nested.sub_indication) == (FAILED, SubIndication.HASH_FAILURE)
    assert checks(result, "counter-signature")[0].outcome is CheckOutcome.FAILED
    assert any("counter-signature 0 did not pass" in w for w in result.warnings)


@pytest.mark.parametrize("value", [b"\x30\x00", b"\x04\x01\x00", b"\x30\x03\x02\x01\x01"])
def test_malformed_counter_signature(pki: SandboxPKI, value: bytes) -> None:
    cms = add_unsigned_attribute(
        pki.signer.sign_detached_cms(CONTENT), OID_COUNTERSIGNATURE, [value]
    )
    result = verify(pki, cms)
    assert result.passed, result.explain()
    [bad] = checks(result, "counter-signature")
    assert bad.outcome is CheckOutcome.FAILED
    assert "not a well-formed SignerInfo" in bad.message


# --- 9. content digests -------------------------------------------------------------------------


def test_content_digest_instead_of_content(pki: SandboxPKI) -> None:
    cms = pki.signer.sign_detached_cms(CONTENT)
    digest = hashlib.sha256(CONTENT).hexdigest()
    for given in (f"sha256:{digest}", f"SHA-256:{digest}", ("sha256", bytes.fromhex(digest))):
        result = verify(pki, cms, content=None, content_digest=given)
        assert result.passed, result.explain()
    wrong = verify(pki, cms, content=None, content_digest=f"sha256:{'00' * 32}")
    assert (wrong.indication, wrong.sub_indication) == (FAILED, SubIndication.HASH_FAILURE)


def test_content_digest_of_another_algorithm(pki: SandboxPKI) -> None:
    cms = pki.signer.sign_detached_cms(CONTENT)
    result = verify(
        pki, cms, content=None, content_digest=f"sha512:{hashlib.sha512(CONTENT).hexdigest()}"
    )
    assert (result.indication, result.sub_indication) == (
        INDETERMINATE,
        SubIndication.SIGNED_DATA_NOT_FOUND,
    )
    assert "give a sha256 digest" in result.message


@pytest.mark.parametrize(
    "given",
    ["sha256:abcd", "sha256:zz", "md5:" + "00" * 16, "sha256", ("sha256", "text"), 42],
    ids=["short", "not-hex", "unknown-alg", "no-colon", "not-bytes", "int"],
)
def test_malformed_content_digest_is_a_programmer_error(pki: SandboxPKI, given: Any) -> None:
    with pytest.raises(InvalidArgument, match="content_digest"):
        bayident.verify(pki.signer.sign_detached_cms(CONTENT), content_digest=given, at=AT)


def test_content_and_content_digest_are_exclusive(pki: SandboxPKI) -> None:
    with pytest.raises(InvalidArgument, match="not both"):
        bayident.verify(
            pki.signer.sign_detached_cms(CONTENT),
            content=CONTENT,
            content_digest=f"sha256:{hashlib.sha256(CONTENT).hexdigest()}",
        )


def test_content_digest_with_an_algorithm_the_policy_refuses(pki: SandboxPKI) -> None:
    base = Policy()
    policy = base.replace(
        digest_algorithms={k: v for k, v in base.digest_algorithms.items() if k != "sha256"}
    )
    given = f"sha256:{hashlib.sha256(CONTENT).hexdigest()}"
    cms = pki.signer.sign_detached_cms(CONTENT)
    result = verify(pki, cms, content=None, content_digest=given, policy=policy)
    assert result.sub_indication is SubIndication.CRYPTO_CONSTRAINTS_FAILURE, result.explain()
    assert "sha256 is not accepted by the policy" in result.message


def test_averify_and_verifier_take_a_content_digest(pki: SandboxPKI) -> None:
    import asyncio

    cms = pki.signer.sign_detached_cms(CONTENT)
    given = f"sha256:{hashlib.sha256(CONTENT).hexdigest()}"
    verifier = bayident.Verifier(trust=[pki.root.cert_pem])
    assert verifier.verify(cms, content_digest=given, at=AT).passed
    assert asyncio.run(verifier.averify(cms, content_digest=given, at=AT)).passed
    assert asyncio.run(
        bayident.averify(cms, content_digest=given, at=AT, trust=[pki.root.cert_pem])
    ).passed


def test_cli_content_digest(pki: SandboxPKI, tmp_path: Any, capsys: Any) -> None:
    sig = tmp_path / "form.p7s"
    sig.write_bytes(pki.signer.sign_detached_cms(CONTENT))
    root = tmp_path / "root.pem"
    root.write_bytes(pki.root.cert_pem)
    doc = tmp_path / "form.txt"
    doc.write_bytes(CONTENT)
    digest = f"sha256:{hashlib.sha256(CONTENT).hexdigest()}"
    base = ["verify", str(sig), "--trust-anchor", str(root), "--at", AT.isoformat()]
    assert cli_main([*base, "--content-digest", digest]) == 0
    assert cli_main([*base, "--content-digest", digest, "--content", str(doc)]) == 64
    assert cli_main([*base, "--content-digest", "sha256:00"]) == 64
    err = capsys.readouterr().err
    assert "not both" in err
    assert "has 32 bytes" in err


# --- 10. detached signature without content -------------------------------------------------------


def test_detached_signature_without_content_is_still_checked(pki: SandboxPKI) -> None:
    result = verify(pki, pki.signer.sign_detached_cms(CONTENT), content=None)
    assert (result.indication, result.sub_indication) == (
        INDETERMINATE,
        SubIndication.SIGNED_DATA_NOT_FOUND,
    )
    assert checks(result, "signature")[0].outcome is CheckOutcome.PASSED
    assert checks(result, "certificate-path")[0].outcome is CheckOutcome.PASSED
    assert len(result.signers) == 1


def test_detached_signature_without_content_and_attributes(pki: SandboxPKI) -> None:
    result = verify(pki, pki.signer.sign_detached_cms(CONTENT, attributes=False), content=None)
    assert result.sub_indication is SubIndication.SIGNED_DATA_NOT_FOUND
    assert "which was not given" in result.message


# --- 11. a bare RFC 3161 token ------------------------------------------------------------------


@pytest.fixture
def rpki() -> RevPKI:
    return make_pki()


def test_bare_time_stamp_token_is_reported_as_a_time_stamp(rpki: RevPKI) -> None:
    token = rpki.tsa.token(CONTENT)
    verifier = rpki.verifier()
    result = assert_well_formed(verifier.verify(token, content=CONTENT))
    assert result.evidence_format == "timestamp"
    assert result.passed, result.explain()
    assert result.signers == ()
    [ts] = result.timestamps
    assert (ts.valid, ts.imprint_ok, ts.gen_time) == (True, True, rpki.clock.now())
    wrong = assert_well_formed(verifier.verify(token, content=b"other"))
    assert (wrong.indication, wrong.sub_indication) == (FAILED, SubIndication.HASH_FAILURE)
    none = assert_well_formed(verifier.verify(token))
    assert none.sub_indication is SubIndication.SIGNED_DATA_NOT_FOUND
    assert none.timestamps[0].tsa is not None  # the TSA signature was still checked


def test_bare_token_signed_with_another_key(rpki: RevPKI) -> None:
    stranger = ec.generate_private_key(ec.SECP256R1())
    token = rpki.tsa.token(CONTENT, key=stranger)
    result = assert_well_formed(rpki.verifier().verify(token, content=CONTENT))
    assert (result.indication, result.sub_indication) == (
        FAILED,
        SubIndication.SIG_CRYPTO_FAILURE,
    )


# --- 17.6: RFC 5652 structure rules ----------------------------------------------------------------


def test_signer_info_version_must_match_its_sid(pki: SandboxPKI) -> None:
    spec = pki.signer.signer_spec(version=3)
    cms = build_signed_data(CONTENT, [spec], certificates=pki.signer.chain, detached=True)
    result = verify(pki, cms)
    assert (result.indication, result.sub_indication) == (FAILED, SubIndication.FORMAT_FAILURE)
    assert checks(result, "cms-version")[0].concerns == "SignerInfo[0].version"


def test_digest_algorithms_must_list_the_signers(pki: SandboxPKI) -> None:
    sha384 = kd.sequence(kd.oid("2.16.840.1.101.3.4.2.2"))
    cms = build_signed_data(
        CONTENT,
        [pki.signer.signer_spec()],
        certificates=pki.signer.chain,
        detached=True,
        digest_algorithms=[sha384],
    )
    result = verify(pki, cms)
    assert result.sub_indication is SubIndication.FORMAT_FAILURE
    assert checks(result, "cms-digest-algorithms")[0].outcome is CheckOutcome.FAILED


def test_other_content_type_needs_signed_attributes(pki: SandboxPKI) -> None:
    cms = build_signed_data(
        CONTENT,
        [pki.signer.signer_spec(attributes=False)],
        certificates=pki.signer.chain,
        detached=True,
        econtent_type="1.2.840.113549.1.9.16.1.4",
    )
    result = verify(pki, cms)
    assert result.sub_indication is SubIndication.FORMAT_FAILURE
    assert "RFC 5652 §5.3" in checks(result, "cms-content-type")[0].message


def test_signed_data_version_too_high_is_tolerated_unless_strict(pki: SandboxPKI) -> None:
    cms = build_signed_data(
        CONTENT, [pki.signer.signer_spec()], certificates=pki.signer.chain, detached=True, version=3
    )
    result = verify(pki, cms)
    assert result.passed, result.explain()
    assert checks(result, "cms-version")[0].outcome is CheckOutcome.WARNING
    strict = verify(pki, cms, policy=Policy(strict_cms_structure=True))
    assert strict.sub_indication is SubIndication.FORMAT_FAILURE
    low = build_signed_data(
        CONTENT,
        [pki.signer.signer_spec(sid="ski")],
        certificates=pki.signer.chain,
        detached=True,
        version=1,
    )
    assert verify(pki, low).sub_indication is SubIndication.FORMAT_FAILURE


# --- 12. archive time-stamps v3 --------------------------------------------------------------------

OID_ATS_V3 = "0.4.0.1733.2.4"
OID_ATS_HASH_INDEX_V3 = "0.4.0.19122.1.5"


def _archive_input(cms: bytes, content: bytes, index: bytes) -> bytes:
    """EN 319 122-1 §5.5.3: eContentType, content hash, SignerInfo fields, the hash index."""
    sd, si = _signer_info_tlv(cms)
    econtent_type = _children(cms, _children(cms, sd)[2])[0]
    fields = b"".join(cms[p.header_start : p.next] for p in _children(cms, si) if p.tag != d.CTX1)
    return (
        cms[econtent_type.header_start : econtent_type.next]
        + hashlib.sha256(content).digest()
        + fields
        + index
    )


def _hash_index(cms: bytes, extra_cert_hash: bytes | None = None) -> bytes:
    sd, _ = _signer_info_tlv(cms)
    certs = next(p for p in _children(cms, sd) if p.tag == d.CTX0)
    cert_hashes = [
        kd.octet_string(hashlib.sha256(cms[c.header_start : c.next]).digest())
        for c in _children(cms, certs)
    ]
    if extra_cert_hash is not None:
        cert_hashes.append(kd.octet_string(extra_cert_hash))
    return kd.sequence(kd.sequence(*cert_hashes), kd.sequence(), kd.sequence())


def _archive_stamped(
    rpki: RevPKI, *, index: bytes | None = None, imprint_index: bytes | None = None
) -> bytes:
    cms = rpki.signer.sign_detached_cms(CONTENT)
    index = _hash_index(cms) if index is None else index
    covered = _archive_input(cms, CONTENT, index if imprint_index is None else imprint_index)
    token = rpki.tsa.token(imprint=hashlib.sha256(covered).digest())
    token = add_unsigned_attribute(token, OID_ATS_HASH_INDEX_V3, [index])
    return add_unsigned_attribute(cms, OID_ATS_V3, [token])


def test_archive_time_stamp_v3_is_verified(rpki: RevPKI) -> None:
    result = assert_well_formed(rpki.verifier().verify(_archive_stamped(rpki), content=CONTENT))
    assert result.passed, result.explain()
    [ts] = result.signers[0].timestamps
    assert (ts.kind, ts.valid, ts.imprint_ok) == ("archive", True, True)
    assert checks(result, "archive-time-stamp")[0].outcome is CheckOutcome.PASSED


def test_archive_time_stamp_over_the_wrong_hash_index(rpki: RevPKI) -> None:
    cms = rpki.signer.sign_detached_cms(CONTENT)
    other = _hash_index(cms, extra_cert_hash=b"\x01" * 32)
    stamped = _archive_stamped(rpki, imprint_index=other)
    result = assert_well_formed(rpki.verifier().verify(stamped, content=CONTENT))
    assert result.passed, result.explain()  # the signature itself is sound
    [ts] = result.signers[0].timestamps
    assert (ts.valid, ts.imprint_ok) == (False, False)
    [check] = checks(result, "archive-time-stamp")
    assert check.outcome is CheckOutcome.FAILED
    assert SubIndication.HASH_FAILURE.value in check.message


def test_archive_time_stamp_listing_an_element_no_longer_present(rpki: RevPKI) -> None:
    cms = rpki.signer.sign_detached_cms(CONTENT)
    index = _hash_index(cms, extra_cert_hash=b"\x02" * 32)
    result = assert_well_formed(
        rpki.verifier().verify(_archive_stamped(rpki, index=index), content=CONTENT)
    )
    found = checks(result, "archive-time-stamp")
    assert any(
        c.outcome is CheckOutcome.WARNING and "certificatesHashIndex lists 1 element" in c.message
        for c in found
    ), result.explain()


def test_copied_archive_time_stamp_without_hash_index(rpki: RevPKI) -> None:
    cms = rpki.signer.sign_detached_cms(CONTENT)
    copied = add_unsigned_attribute(cms, OID_ATS_V3, [rpki.tsa.token(b"elsewhere")])
    result = assert_well_formed(rpki.verifier().verify(copied, content=CONTENT))
    assert result.passed, result.explain()
    [check] = checks(result, "archive-time-stamp")
    assert check.outcome is CheckOutcome.FAILED
    assert "no ats-hash-index-v3" in check.message


def test_counter_signature_with_averify(pki: SandboxPKI) -> None:
    import asyncio

    cms = pki.signer.sign_detached_cms(CONTENT)
    counter = _counter_signer_info(pki, _parent_signature(cms))
    stamped = add_unsigned_attribute(cms, OID_COUNTERSIGNATURE, [counter])
    result = asyncio.run(
        bayident.averify(stamped, content=CONTENT, at=AT, trust=[pki.root.cert_pem])
    )
    assert result.passed, result.explain()
    assert [r.indication for r in result.signers[0].counter_signatures] == [PASSED]
