"""Malformed, truncated, oversized and hostile evidence: a precise verdict, never a pass.

Every case checks the indication, the sub-indication and that the message or a failed
check's ``concerns`` names the element at fault. None may raise or hang.
"""

from __future__ import annotations

import base64
import concurrent.futures
import datetime as dt
import functools
import hashlib
import io
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bayident
from _pki import (
    AT,
    CLOCK_START,
    CONTENT,
    SandboxPKI,
    assert_well_formed,
    certificates_range,
    cross_signed_loop,
    flip_byte,
    make_crl,
    nested_indefinite,
    nested_sequences,
    pem,
    signer_regions,
    tlv,
)
from bayident import CheckOutcome, Indication, Policy, SubIndication, VerificationResult
from bayident.testing import (
    Attribute,
    MockSigner,
    SignerSpec,
    build_signed_data,
    content_type_attribute,
    message_digest_attribute,
    signing_certificate_v1_attribute,
    signing_certificate_v2_attribute,
    signing_time_attribute,
)

FAILED = Indication.FAILED
INDETERMINATE = Indication.INDETERMINATE
MD_OID = "1.2.840.113549.1.9.4"
MIB = 1024 * 1024


def check(
    pki: SandboxPKI,
    evidence: object,
    content: object = CONTENT,
    *,
    trust: object = None,
    **kwargs: Any,
) -> VerificationResult:
    """Verify with the sandbox root trusted at AT; the result must be well formed."""
    result = bayident.verify(
        evidence,  # type: ignore[arg-type]
        content=content,  # type: ignore[arg-type]
        trust=[pki.root.cert_pem] if trust is None else trust,  # type: ignore[arg-type]
        at=kwargs.pop("at", AT),
        **kwargs,
    )
    return assert_well_formed(result)


def expect(
    result: VerificationResult,
    indication: Indication,
    sub: SubIndication,
    names: str,
) -> None:
    """The verdict is ``indication``/``sub`` and ``names`` appears in the message or a concern."""
    assert (result.indication, result.sub_indication) == (indication, sub), result.explain()
    where = [result.message] + [f"{c.message} {c.concerns or ''}" for c in result.failed_checks()]
    assert any(names in w for w in where), f"{names!r} not named in:\n{result.explain()}"


def bounded(fn: Callable[[], VerificationResult]) -> VerificationResult:
    """Run ``fn`` with a generous ceiling, so a hang fails the test instead of the run."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn).result(timeout=300)


def _signed(
    signer: MockSigner,
    *,
    certificates: list[Any] | None = None,
    sort_certificates: bool = True,
    **changes: Any,
) -> bytes:
    """A detached signature by ``signer`` with its SignerSpec changed as given."""
    return build_signed_data(
        CONTENT,
        [signer.signer_spec(**changes)],
        certificates=signer.chain if certificates is None else certificates,
        sort_certificates=sort_certificates,
    )


# --- not CMS at all --------------------------------------------------------------------


def test_empty_evidence(pki: SandboxPKI, tmp_path: Path) -> None:
    empty = tmp_path / "empty.p7s"
    empty.write_bytes(b"")
    for evidence in (b"", empty, io.BytesIO(b"")):
        expect(check(pki, evidence), FAILED, SubIndication.FORMAT_FAILURE, "empty")


@pytest.mark.parametrize("seed", range(12))
def test_random_bytes(pki: SandboxPKI, seed: int) -> None:
    rnd = random.Random(seed)
    blob = rnd.randbytes(rnd.randrange(1, 4000))
    if seed % 2:
        blob = b"\x30" + blob  # looks like DER at first glance
    elif blob[0] == 0x30:
        blob = b"\x00" + blob
    result = check(pki, blob)
    expect(result, FAILED, SubIndication.FORMAT_FAILURE, "")
    names = "ContentInfo" if seed % 2 else "evidence"
    assert any(names in (c.concerns or "") for c in result.failed_checks()), result.explain()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blob=st.binary(max_size=3000))
def test_arbitrary_bytes_never_pass(blob: bytes) -> None:
    result = assert_well_formed(bayident.verify(blob, content=CONTENT, at=AT))
    assert not result.passed
    assert result.sub_indication is SubIndication.FORMAT_FAILURE


def test_every_truncation_of_a_signature(pki: SandboxPKI) -> None:
    der = pki.signer.sign_detached_cms(CONTENT, include_chain=False)
    assert check(pki, der, extra_certs=[pki.intermediate.cert_der]).passed
    for cut in range(len(der)):
        result = check(pki, der[:cut], extra_certs=[pki.intermediate.cert_der])
        assert (result.indication, result.sub_indication) == (
            FAILED,
            SubIndication.FORMAT_FAILURE,
        ), (cut, result.message)
        assert result.failed_checks()[-1].concerns, cut


def test_every_truncation_of_a_pem_signature(pki: SandboxPKI) -> None:
    pem = pki.signer.sign_detached_cms(CONTENT, include_chain=False, output="pem")
    assert pem.endswith(b"-----END CMS-----\n")
    # Only the final newline may go: the END line is then still complete.
    assert check(pki, pem[:-1], extra_certs=[pki.intermediate.cert_der]).passed
    for cut in range(len(pem) - 1):
        result = check(pki, pem[:cut], extra_certs=[pki.intermediate.cert_der])
        assert result.sub_indication is SubIndication.FORMAT_FAILURE, (cut, result.message)


def test_trailing_bytes_after_the_signature(pki: SandboxPKI) -> None:
    der = pki.signer.sign_detached_cms(CONTENT)
    expect(
        check(pki, der + b"\x00\x00junk"),
        FAILED,
        SubIndication.FORMAT_FAILURE,
        "unexpected bytes after the end",
    )


def test_pem_with_garbage_inside(pki: SandboxPKI) -> None:
    garbage = b"-----BEGIN CMS-----\nMIIB!!this is *not* base64~~\n-----END CMS-----\n"
    expect(check(pki, garbage), FAILED, SubIndication.FORMAT_FAILURE, "PEM body")


def test_pem_with_base64_of_garbage(pki: SandboxPKI) -> None:
    body = base64.encodebytes(random.Random(7).randbytes(600))
    pem = b"-----BEGIN PKCS7-----\n" + body + b"-----END PKCS7-----\n"
    expect(check(pki, pem), FAILED, SubIndication.FORMAT_FAILURE, "ContentInfo")


def test_pem_with_wrong_label(pki: SandboxPKI) -> None:
    expect(check(pki, pki.signer.cert_pem), FAILED, SubIndication.FORMAT_FAILURE, "CERTIFICATE")


def test_pem_without_end_line(pki: SandboxPKI) -> None:
    pem = pki.signer.sign_detached_cms(CONTENT, output="pem")
    cut = pem[: pem.index(b"-----END")]
    expect(check(pki, cut), FAILED, SubIndication.FORMAT_FAILURE, "END")


def test_certificate_given_as_evidence(pki: SandboxPKI) -> None:
    expect(check(pki, pki.signer.cert_der), FAILED, SubIndication.FORMAT_FAILURE, "ContentInfo")


# --- structurally odd CMS --------------------------------------------------------------


def test_zero_signers(pki: SandboxPKI) -> None:
    der = build_signed_data(CONTENT, [], certificates=pki.signer.chain)
    result = check(pki, der)
    expect(result, FAILED, SubIndication.FORMAT_FAILURE, "SignedData.signerInfos")
    assert result.signers == ()


@pytest.mark.parametrize("sid", ["issuer_serial", "ski"])
def test_signer_certificate_absent(pki: SandboxPKI, sid: str) -> None:
    der = _signed(pki.signer, sid=sid, certificates=[pki.intermediate.certificate])
    result = check(pki, der)
    expect(result, INDETERMINATE, SubIndication.NO_SIGNING_CERTIFICATE_FOUND, "SignerInfo[0].sid")
    wanted = "subject key identifier" if sid == "ski" else "issuer and serial"
    assert wanted in result.message
    # The same signature passes once the certificate is supplied.
    assert check(pki, der, extra_certs=[pki.signer.cert_der]).passed


def test_attached_signature_given_with_content(pki: SandboxPKI) -> None:
    der = build_signed_data(
        CONTENT, [pki.signer.signer_spec()], certificates=pki.signer.chain, detached=False
    )
    for content in (CONTENT, b"something else"):
        expect(
            check(pki, der, content),
            FAILED,
            SubIndication.FORMAT_FAILURE,
            "SignedData.encapContentInfo.eContent",
        )
    assert check(pki, der, None).passed


def test_content_missing(pki: SandboxPKI) -> None:
    result = check(pki, pki.signer.sign_detached_cms(CONTENT), None)
    expect(result, INDETERMINATE, SubIndication.SIGNED_DATA_NOT_FOUND, "content")
    assert "content=" in result.message


def test_wrong_content_type_attribute(pki: SandboxPKI) -> None:
    der = _signed(pki.signer, content_type="1.2.840.113549.1.9.16.1.4")
    expect(check(pki, der), FAILED, SubIndication.FORMAT_FAILURE, "content-type")


# --- size limits -----------------------------------------------------------------------


class CountingReader(io.RawIOBase):
    """A binary stream of ``size`` bytes that records how much was asked of it."""

    def __init__(self, size: int, fill: bytes = b"\x30") -> None:
        self.size = size
        self.pos = 0
        self.fill = fill
        self.requests: list[int] = []

    def readable(self) -> bool:
        return True

    def read(self, n: int | None = -1) -> bytes:
        self.requests.append(-1 if n is None else n)
        left = self.size - self.pos
        take = left if n is None or n < 0 else min(n, left)
        self.pos += take
        return self.fill * take


def test_default_evidence_limit_is_documented() -> None:
    field = Policy.model_fields["max_evidence_bytes"]
    assert Policy().max_evidence_bytes == 16 * MIB
    assert field.description


def test_evidence_over_default_limit(pki: SandboxPKI, tmp_path: Path) -> None:
    limit = Policy().max_evidence_bytes
    big = b"\x30" * (limit + 1)
    path = tmp_path / "big.p7s"
    path.write_bytes(big)
    reader = CountingReader(limit + 50 * MIB)
    for evidence in (big, path, str(path), reader):
        result = check(pki, evidence)
        expect(result, FAILED, SubIndication.FORMAT_FAILURE, "Policy.max_evidence_bytes")
        assert [c.name for c in result.failed_checks()] == ["evidence-size"]
    # A stream over the limit is not read to its end.
    assert reader.pos <= limit + 1


def test_evidence_at_limit_passes_size_check(pki: SandboxPKI) -> None:
    result = check(pki, b"\x30" * Policy().max_evidence_bytes)
    assert result.sub_indication is SubIndication.FORMAT_FAILURE
    assert "evidence-size" not in {c.name for c in result.checks}


def test_evidence_over_custom_limit(pki: SandboxPKI) -> None:
    der = pki.signer.sign_detached_cms(CONTENT)
    assert len(der) > 1024
    small = Policy(max_evidence_bytes=1024)
    result = check(pki, der, policy=small)
    expect(result, FAILED, SubIndication.FORMAT_FAILURE, "Policy.max_evidence_bytes")
    assert "1024" in result.message
    assert check(pki, der, policy=Policy(max_evidence_bytes=len(der))).passed


def test_too_many_certificates(pki: SandboxPKI) -> None:
    der = pki.signer.sign_detached_cms(CONTENT)
    result = check(pki, der, policy=Policy(max_certificates=1))
    expect(result, FAILED, SubIndication.FORMAT_FAILURE, "SignedData.certificates")


def test_too_many_signers(pki: SandboxPKI) -> None:
    spec = pki.signer.signer_spec()
    der = build_signed_data(CONTENT, [spec, spec, spec], certificates=pki.signer.chain)
    assert check(pki, der).passed
    result = check(pki, der, policy=Policy(max_signers=2))
    expect(result, FAILED, SubIndication.FORMAT_FAILURE, "SignedData.signerInfos")


# --- deep nesting ----------------------------------------------------------------------


@pytest.mark.parametrize("depth_limit", [None, 100_000])
def test_ten_thousand_nested_sequences(pki: SandboxPKI, depth_limit: int | None) -> None:
    policy = Policy() if depth_limit is None else Policy(max_asn1_depth=depth_limit)
    for blob in (nested_sequences(10_000), nested_indefinite(10_000)):
        result = bounded(functools.partial(check, pki, blob, policy=policy))
        expect(result, FAILED, SubIndication.FORMAT_FAILURE, "ContentInfo")


def test_nested_indefinite_inside_signed_data(pki: SandboxPKI) -> None:
    der = _signed(pki.signer, certificates=[pki.signer.certificate, nested_indefinite(10_000)])
    result = bounded(lambda: check(pki, der))
    expect(result, FAILED, SubIndication.FORMAT_FAILURE, "SignedData.certificates")
    assert "nest" in result.message


@pytest.mark.parametrize("attr", ["signing-time", "signing-certificate-v2"])
def test_nested_value_in_a_signed_attribute(pki: SandboxPKI, attr: str) -> None:
    oid = {
        "signing-time": "1.2.840.113549.1.9.5",
        "signing-certificate-v2": "1.2.840.113549.1.9.16.2.47",
    }[attr]
    for value in (nested_sequences(10_000), nested_indefinite(10_000)):
        der = _signed(
            pki.signer, signing_certificate=None, extra_signed_attributes=[(oid, [value])]
        )
        result = bounded(functools.partial(check, pki, der))
        assert not result.passed
        assert result.sub_indication is SubIndication.FORMAT_FAILURE, result.explain()
        named = [result.message] + [f"{c.message} {c.concerns}" for c in result.failed_checks()]
        assert any(attr in n or "signedAttrs" in n for n in named), result.explain()


def test_unparseable_extra_certificate_is_ignored_with_warning(pki: SandboxPKI) -> None:
    junk = nested_sequences(10_000)
    der = _signed(pki.signer, certificates=[*pki.signer.chain, junk], sort_certificates=False)
    result = bounded(lambda: check(pki, der))
    # The unsigned certificates set carries junk; the signature itself is intact.
    assert result.passed, result.explain()
    warned = [c for c in result.checks if c.name == "certificate-parse"]
    assert warned
    assert warned[0].concerns == "SignedData.certificates[2]"
    assert result.warnings


# --- certificate paths -----------------------------------------------------------------


@pytest.mark.parametrize("size", [2, 3])
@pytest.mark.parametrize("trusted", ["unrelated root", "nothing"])
def test_cross_signed_loop_has_no_chain(pki: SandboxPKI, size: int, trusted: str) -> None:
    loop = cross_signed_loop(size)
    spec = SignerSpec(private_key=loop.signer_key, certificate=loop.signer)
    der = build_signed_data(CONTENT, [spec], certificates=[loop.signer, *loop.cas])
    trust: list[bytes] = [pki.other_root.cert_pem] if trusted == "unrelated root" else []
    result = bounded(lambda: check(pki, der, trust=trust))
    expect(result, INDETERMINATE, SubIndication.NO_CERTIFICATE_CHAIN_FOUND, "Loop CA")
    if trusted == "nothing":
        assert "no trust anchors" in result.message
    else:
        assert "Loop CA" in result.message
        assert result.signers[0].anchors_considered == (
            pki.other_root.certificate.subject.rfc4514_string(),
        )


def test_untrusted_root(pki: SandboxPKI) -> None:
    result = check(pki, pki.signer.sign_detached_cms(CONTENT), trust=[pki.other_root.cert_pem])
    root_subject = pki.root.certificate.subject.rfc4514_string()
    expect(result, INDETERMINATE, SubIndication.NO_CERTIFICATE_CHAIN_FOUND, root_subject)
    assert root_subject in result.message
    report = result.signers[0]
    assert report.anchors_considered == (pki.other_root.certificate.subject.rfc4514_string(),)
    assert report.trust_anchor is None
    # The part of the chain that was found is reported.
    assert [c.subject for c in report.chain][:2] == [
        pki.signer.certificate.subject.rfc4514_string(),
        pki.intermediate.certificate.subject.rfc4514_string(),
    ]


def test_wrong_key_usage(pki: SandboxPKI) -> None:
    signer = pki.intermediate.issue_signer(
        "Key Encipherment Only", key_type="rsa", key_usage=["key_encipherment"]
    )
    result = check(pki, signer.sign_detached_cms(CONTENT))
    assert not result.passed
    expect(result, INDETERMINATE, SubIndication.CHAIN_CONSTRAINTS_FAILURE, "keyUsage")
    assert [c.name for c in result.failed_checks()] == ["key-usage"]
    # Only the key usage is wrong: with the check switched off the signature passes.
    assert check(pki, signer.sign_detached_cms(CONTENT), policy=Policy(signer_key_usage=())).passed


def test_sha1_digest_refused_by_default(pki: SandboxPKI) -> None:
    der = _signed(pki.signer, digest="sha1")
    result = check(pki, der)
    expect(result, INDETERMINATE, SubIndication.CRYPTO_CONSTRAINTS_FAILURE, "digestAlgorithm")
    assert "sha1" in result.message
    allow = Policy().digest_algorithms | {"sha1": None}
    assert check(pki, der, policy=Policy(digest_algorithms=allow)).passed


def test_rsa_1024_signer(pki: SandboxPKI) -> None:
    signer = pki.intermediate.issue_signer("Short RSA Key", key_type="rsa", key_size=1024)
    der = signer.sign_detached_cms(CONTENT)
    result = check(pki, der)
    expect(result, INDETERMINATE, SubIndication.CRYPTO_CONSTRAINTS_FAILURE, "CN=Short RSA Key")
    assert "1024" in result.message
    assert check(pki, der, policy=Policy(min_rsa_bits=1024)).passed


def test_expired_signer(pki: SandboxPKI) -> None:
    signer = pki.intermediate.issue_signer(
        "Expired Signer", not_after=CLOCK_START + dt.timedelta(days=10)
    )
    der = signer.sign_detached_cms(CONTENT, signing_time=CLOCK_START)
    assert check(pki, der, at=CLOCK_START + dt.timedelta(days=5)).passed
    result = check(pki, der, at=AT)
    expect(result, INDETERMINATE, SubIndication.OUT_OF_BOUNDS_NO_POE, "CN=Expired Signer")


def test_not_yet_valid_signer(pki: SandboxPKI) -> None:
    signer = pki.intermediate.issue_signer("Future Signer", not_before=AT + dt.timedelta(days=30))
    der = signer.sign_detached_cms(CONTENT, signing_time=AT)
    result = check(pki, der, at=AT)
    assert not result.passed
    assert result.sub_indication is SubIndication.NOT_YET_VALID, result.explain()
    expect(result, result.indication, SubIndication.NOT_YET_VALID, "CN=Future Signer")
    assert check(pki, der, at=AT + dt.timedelta(days=31)).passed


def test_required_policy_missing(pki: SandboxPKI) -> None:
    required = Policy(required_policy_oids=("2.16.344.8.2.2008.810.2",))
    other = pki.intermediate.issue_signer("Other Policy", policies=["1.3.6.1.4.1.99999.1"])
    none = pki.intermediate.issue_signer("No Policy")
    for signer in (other, none):
        result = check(pki, signer.sign_detached_cms(CONTENT), policy=required)
        expect(
            result, INDETERMINATE, SubIndication.CHAIN_CONSTRAINTS_FAILURE, "certificatePolicies"
        )
        assert "2.16.344.8.2.2008.810.2" in result.message
        assert [c.name for c in result.failed_checks()] == ["certificate-policy"]
    good = pki.intermediate.issue_signer("Right Policy", policies=["2.16.344.8.2.2008.810.2.1"])
    assert check(pki, good.sign_detached_cms(CONTENT), policy=required).passed


# --- signed attributes -----------------------------------------------------------------


def _attrs(*extra: Attribute, md: bytes | None = None) -> list[Attribute]:
    digest = hashlib.sha256(CONTENT).digest() if md is None else md
    return [content_type_attribute(), message_digest_attribute(digest), *extra]


def test_duplicate_message_digest_attributes(pki: SandboxPKI) -> None:
    digest = hashlib.sha256(CONTENT).digest()
    twice = _signed(pki.signer, signed_attributes=_attrs(message_digest_attribute(digest)))
    expect(check(pki, twice), FAILED, SubIndication.FORMAT_FAILURE, "message-digest")
    two_values = _signed(
        pki.signer,
        signed_attributes=[content_type_attribute(), (MD_OID, [tlv(4, digest), tlv(4, digest)])],
    )
    expect(check(pki, two_values), FAILED, SubIndication.FORMAT_FAILURE, "message-digest")


def test_duplicate_message_digest_attributes_disagreeing(pki: SandboxPKI) -> None:
    wrong = hashlib.sha256(b"another document").digest()
    for order in (0, 1):
        extra = message_digest_attribute(wrong)
        der = _signed(
            pki.signer, signed_attributes=_attrs(extra), sort_signed_attributes=bool(order)
        )
        expect(check(pki, der), FAILED, SubIndication.FORMAT_FAILURE, "message-digest")


def test_duplicate_content_type_and_signing_time(pki: SandboxPKI) -> None:
    dup_ct = _signed(pki.signer, signed_attributes=_attrs(content_type_attribute()))
    expect(check(pki, dup_ct), FAILED, SubIndication.FORMAT_FAILURE, "content-type")
    t = signing_time_attribute(CLOCK_START)
    dup_time = _signed(pki.signer, signed_attributes=_attrs(t, t))
    expect(check(pki, dup_time), FAILED, SubIndication.FORMAT_FAILURE, "signing-time")


@pytest.mark.parametrize("length", [0, 1, 20, 31, 33, 64])
def test_message_digest_of_wrong_length(pki: SandboxPKI, length: int) -> None:
    digest = (hashlib.sha256(CONTENT).digest() * 2)[:length]
    der = _signed(pki.signer, signed_attributes=_attrs(md=digest))
    result = check(pki, der)
    expect(result, FAILED, SubIndication.FORMAT_FAILURE, "message-digest")
    assert f"{length} bytes" in result.message


def test_message_digest_not_an_octet_string(pki: SandboxPKI) -> None:
    digest = hashlib.sha256(CONTENT).digest()
    der = _signed(
        pki.signer, signed_attributes=[content_type_attribute(), (MD_OID, [tlv(0x0C, digest)])]
    )
    expect(check(pki, der), FAILED, SubIndication.FORMAT_FAILURE, "message-digest")


def test_message_digest_missing(pki: SandboxPKI) -> None:
    der = _signed(pki.signer, signed_attributes=[content_type_attribute()])
    expect(check(pki, der), FAILED, SubIndication.FORMAT_FAILURE, "message-digest")


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_ess_signing_certificate_names_another_certificate(pki: SandboxPKI, version: str) -> None:
    other = pki.intermediate.issue_signer("Someone Else")
    attr = (
        signing_certificate_v2_attribute(other.certificate)
        if version == "v2"
        else signing_certificate_v1_attribute(other.certificate)
    )
    der = _signed(pki.signer, signing_certificate=None, extra_signed_attributes=[attr])
    result = check(pki, der)
    assert not result.passed
    label = "signing-certificate-v2" if version == "v2" else "signing-certificate ("
    expect(result, INDETERMINATE, SubIndication.NO_SIGNING_CERTIFICATE_FOUND, label)


def test_ess_signing_certificate_right_hash_wrong_serial(pki: SandboxPKI) -> None:
    cert = pki.signer.certificate
    ess = signing_certificate_v2_attribute(cert, issuer_serial=False)
    # Re-encode with the issuerSerial of another certificate, keeping the right hash.
    other = pki.intermediate.issue_signer("Serial Donor")
    donor = signing_certificate_v2_attribute(other.certificate)
    cert_hash = hashlib.sha256(pki.signer.cert_der).digest()
    donor_value = donor[1][0]
    other_hash = hashlib.sha256(other.cert_der).digest()
    value = donor_value.replace(other_hash, cert_hash)
    assert value != donor_value
    assert ess[0] == donor[0]
    der = _signed(pki.signer, signing_certificate=None, extra_signed_attributes=[(ess[0], [value])])
    expect(
        check(pki, der),
        INDETERMINATE,
        SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
        "signing-certificate-v2",
    )


# --- mutation fuzzing ------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_targets(pki: SandboxPKI) -> list[tuple[bytes, list[range]]]:
    """Signatures (EC and RSA) with the byte ranges whose change must never pass."""
    rsa = pki.intermediate.issue_signer("Fuzz RSA", key_type="rsa")
    out = []
    for der in (pki.signer.sign_detached_cms(CONTENT), rsa.sign_detached_cms(CONTENT, pss=True)):
        region = signer_regions(der)[0]
        out.append((der, [region.signed_attrs, region.signature]))
    return out


@pytest.fixture
def fuzz_verifier(pki: SandboxPKI) -> Callable[[object], VerificationResult]:
    """``check`` through one Verifier for the whole of a fuzzing test.

    ``bayident.verify`` builds a Verifier per call, which re-reads the trust anchor and the
    unchanged certificates of every mutant: two thirds of the time of a mutation. One
    Verifier parses each mutated element afresh all the same (its caches are keyed by the
    bytes they were computed from), gives every mutant the verdict ``bayident.verify``
    gives, and has its caches exercised by hostile input on the way.
    """
    verifier = bayident.Verifier(trust=[pki.root.cert_pem])

    def run(evidence: object) -> VerificationResult:
        result = verifier.verify(evidence, content=CONTENT, at=AT)  # type: ignore[arg-type]
        return assert_well_formed(result)

    return run


_MUTATION = st.tuples(
    st.sampled_from(["xor", "delete", "insert", "truncate-run"]),
    st.integers(min_value=0, max_value=1 << 30),
    st.integers(min_value=1, max_value=255),
)


def _mutate(der: bytes, at: int, kind: str, value: int) -> bytes:
    if kind == "xor":
        return flip_byte(der, at, value)
    if kind == "delete":
        return der[:at] + der[at + 1 :]
    if kind == "insert":
        return der[:at] + bytes([value]) + der[at:]
    return der[:at] + der[at + 1 + value % 8 :]


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    which=st.integers(0, 1),
    region=st.integers(0, 1),
    mutation=st.lists(_MUTATION, min_size=1, max_size=3),
)
def test_mutating_signed_parts_never_passes(
    fuzz_verifier: Callable[[object], VerificationResult],
    fuzz_targets: list[tuple[bytes, list[range]]],
    which: int,
    region: int,
    mutation: list[tuple[str, int, int]],
) -> None:
    der, regions = fuzz_targets[which]
    span = regions[region]
    mutated = der
    for kind, pos, value in mutation:
        # Positions stay inside the original region; earlier edits may shift it by a few bytes.
        at = span.start + pos % len(span)
        if at >= len(mutated):
            continue
        mutated = _mutate(mutated, at, kind, value)
    result = fuzz_verifier(mutated)
    if mutated != der:
        assert not result.passed, (kind, mutated.hex())
    else:
        assert result.passed


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(which=st.integers(0, 1), mutation=st.lists(_MUTATION, min_size=1, max_size=4))
def test_mutating_outside_certificates_never_raises(
    fuzz_verifier: Callable[[object], VerificationResult],
    fuzz_targets: list[tuple[bytes, list[range]]],
    which: int,
    mutation: list[tuple[str, int, int]],
) -> None:
    """Unsigned parts (digestAlgorithms, framing, unsignedAttrs) may change; nothing may raise."""
    der = fuzz_targets[which][0]
    certs = certificates_range(der)
    outside = [i for i in range(len(der)) if i not in certs]
    for kind, pos, value in mutation:
        at = outside[pos % len(outside)]
        if at < len(der):
            der = _mutate(der, at, kind, value)
    fuzz_verifier(der)
    fuzz_verifier(pem(der))


@pytest.mark.filterwarnings("ignore::cryptography.utils.CryptographyDeprecationWarning")
@pytest.mark.parametrize("mask", [0x01, 0x80, 0xFF], ids=["low-bit", "high-bit", "all-bits"])
def test_flipping_each_certificate_byte_never_raises(
    fuzz_verifier: Callable[[object], VerificationResult],
    fuzz_targets: list[tuple[bytes, list[range]]],
    mask: int,
) -> None:
    for der, _ in fuzz_targets:
        for at in certificates_range(der):
            fuzz_verifier(flip_byte(der, at, mask))


def test_signer_certificate_with_malformed_key_usage(pki: SandboxPKI) -> None:
    # KeyUsage extension: OID 2.5.29.15, critical, OCTET STRING { BIT STRING 06 c0 }.
    ku = bytes.fromhex("0603551d0f0101ff04040302")
    der = _edit_signer_certificate(pki, ku, ku[:-2] + b"\x02\x02")  # BIT STRING → INTEGER
    _expect_unreadable_signer_certificate(check(pki, der))


# --- revocation data carried in the evidence -------------------------------------------

_BAD_CRLS = {
    "empty-sequence": b"\x30\x00",
    "integer-only": b"\x30\x03\x02\x01\x00",
    "octet-string": b"\x04\x01\x00",
    "context-tag": b"\xa1\x00",
}


@pytest.mark.parametrize("crl", list(_BAD_CRLS.values()), ids=list(_BAD_CRLS))
def test_malformed_crl_in_signed_data(pki: SandboxPKI, crl: bytes) -> None:
    der = build_signed_data(
        CONTENT, [pki.signer.signer_spec()], certificates=pki.signer.chain, crls=[crl]
    )
    result = check(pki, der)
    expect(result, INDETERMINATE, SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE, "CRL 1")
    assert "malformed" in result.message


def test_malformed_crl_given_by_the_caller(pki: SandboxPKI) -> None:
    der = pki.signer.sign_detached_cms(CONTENT)
    good = make_crl(pki.intermediate.certificate, pki.intermediate.private_key)
    result = check(pki, der, crls=[good, b"\x30\x03\x02\x01\x00"])
    expect(result, INDETERMINATE, SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE, "CRL 2")


def test_crl_revoking_the_signer(pki: SandboxPKI) -> None:
    signer = pki.intermediate.issue_signer("Revoked Signer")
    crl = make_crl(
        pki.intermediate.certificate,
        pki.intermediate.private_key,
        (signer.certificate.serial_number,),
    )
    root_crl = make_crl(pki.root.certificate, pki.root.private_key)
    crls = [crl, root_crl]
    der = build_signed_data(CONTENT, [signer.signer_spec()], certificates=signer.chain, crls=crls)
    result = check(pki, der)
    expect(result, INDETERMINATE, SubIndication.REVOKED_NO_POE, "CN=Revoked Signer")
    # The same CRLs with a signer they do not list: the signature passes.
    spec = pki.signer.signer_spec()
    fine = build_signed_data(CONTENT, [spec], certificates=pki.signer.chain, crls=crls)
    assert check(pki, fine).passed


def _edit_signer_certificate(pki: SandboxPKI, old: bytes, new: bytes) -> bytes:
    cert = pki.signer.cert_der
    assert cert.count(old) == 1
    broken = cert.replace(old, new)
    return _signed(pki.signer, certificates=[broken, pki.intermediate.certificate])


def _expect_unreadable_signer_certificate(result: VerificationResult) -> None:
    lenient = [c for c in result.checks if c.name == "certificate-lenient-parse"]
    if lenient:
        # asn1crypto reads what the strict parser refuses: the signer is found and checked,
        # but a certificate that breaks the X.509 encoding rules never reaches PASSED.
        assert result.indication is INDETERMINATE, result.explain()
        blocking = [c for c in lenient if c.outcome is CheckOutcome.INDETERMINATE]
        assert blocking
        assert "refused by the strict X.509 parser" in blocking[0].message
        assert lenient[0].concerns is not None
        assert lenient[0].concerns.startswith("SignedData.certificates[")
        return
    expect(result, INDETERMINATE, SubIndication.NO_SIGNING_CERTIFICATE_FOUND, "SignerInfo[0].sid")
    parse = [c for c in result.checks if c.name == "certificate-parse"]
    assert len(parse) == 1, result.explain()
    assert (parse[0].concerns or "").startswith("SignedData.certificates[")
    assert any("malformed" in w for w in result.warnings)


def test_certificate_with_invalid_version(pki: SandboxPKI) -> None:
    # [0] EXPLICIT INTEGER 2 (v3) becomes 3, which X.509 does not define.
    der = _edit_signer_certificate(pki, b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01\x03")
    _expect_unreadable_signer_certificate(check(pki, der))


def test_signer_certificate_with_duplicate_extension(pki: SandboxPKI) -> None:
    # The authorityKeyIdentifier OID (2.5.29.35) becomes subjectKeyIdentifier (2.5.29.14).
    der = _edit_signer_certificate(pki, b"\x06\x03\x55\x1d\x23", b"\x06\x03\x55\x1d\x0e")
    _expect_unreadable_signer_certificate(check(pki, der))
