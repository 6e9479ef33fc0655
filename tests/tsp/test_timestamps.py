"""RFC 3161 time-stamps: tokens checked in full, and genTime as proof of existence."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from cryptography import x509

from _pki import assert_well_formed
from _revocation_kit import CONTENT, RevPKI, make_pki
from bayident import CheckOutcome, Indication, SubIndication, VerificationResult
from bayident.testing import MockCA, MockTSA, add_unsigned_attribute
from bayident.tsp import OID_CONTENT_TIMESTAMP, OID_SIGNATURE_TIMESTAMP, parse_tst_info

DAY = dt.timedelta(days=1)


@pytest.fixture
def rpki() -> RevPKI:
    return make_pki()


def _check(result: VerificationResult, name: str) -> list[tuple[CheckOutcome, str]]:
    return [(c.outcome, c.message) for c in result.checks if c.name == name]


def _token_failed(
    result: VerificationResult, sub: SubIndication, words: str, name: str = "signature-time-stamp"
) -> None:
    """The token failed and says why, and the signature is decided without it (EN 319 102-1)."""
    assert result.passed, result.explain()
    checks = _check(result, name)
    assert checks, result.explain()
    outcome, message = checks[0]
    assert outcome in (CheckOutcome.FAILED, CheckOutcome.INDETERMINATE)
    assert sub.value in message, message
    assert words in message, message
    assert "no proof of existence" in message
    assert not any(t.valid for t in result.signers[0].timestamps)


def test_signature_time_stamp_is_verified_and_reported(rpki: RevPKI) -> None:
    sig = rpki.tsa.timestamp_signature(rpki.signer.sign_detached_cms(CONTENT))
    result = assert_well_formed(rpki.verifier().verify(sig, content=CONTENT))
    assert result.passed, result.explain()
    (ts,) = result.signers[0].timestamps
    assert (ts.kind, ts.valid, ts.imprint_ok, ts.hash_algorithm) == (
        "signature",
        True,
        True,
        "sha256",
    )
    assert ts.gen_time == rpki.clock.now()
    assert ts.tsa == rpki.tsa.certificate.subject.rfc4514_string()
    assert ts.policy == rpki.tsa.policy_oid
    [(outcome, message)] = _check(result, "signature-time-stamp")
    assert outcome is CheckOutcome.PASSED
    assert "imprint matches" in message


def test_time_stamped_signature_passes_after_the_certificate_expired(rpki: RevPKI) -> None:
    sig = rpki.tsa.timestamp_signature(rpki.signer.sign_detached_cms(CONTENT))
    rpki.clock.advance(800 * DAY)  # the signer's one-year certificate has expired
    result = assert_well_formed(rpki.verifier().verify(sig, content=CONTENT))
    assert result.passed, result.explain()
    [(outcome, message)] = _check(result, "proof-of-existence")
    assert outcome is CheckOutcome.PASSED
    assert "expiry" in message
    # The same signature without its time-stamp has no proof it was made in time.
    plain = rpki.verifier().verify(rpki.signer.sign_detached_cms(CONTENT), content=CONTENT)
    assert plain.sub_indication is SubIndication.OUT_OF_BOUNDS_NO_POE


def test_revoked_after_the_time_stamp_still_passes(rpki: RevPKI) -> None:
    sig = rpki.tsa.timestamp_signature(rpki.signer.sign_detached_cms(CONTENT))
    rpki.clock.advance(20 * DAY)
    revoked_at = rpki.clock.now() - 5 * DAY
    rpki.ocsp.revoke(rpki.signer, at=revoked_at, reason=x509.ReasonFlags.key_compromise)
    result = assert_well_formed(rpki.verifier().verify(sig, content=CONTENT))
    assert result.passed, result.explain()
    leaf = result.signers[0].revocation[0]
    assert (leaf.status, leaf.revoked_at) == ("revoked", revoked_at)
    assert _check(result, "revocation")[0][0] is CheckOutcome.WARNING
    assert _check(result, "proof-of-existence")[0][0] is CheckOutcome.PASSED


def test_revoked_after_the_time_stamp_via_crl(rpki: RevPKI) -> None:
    sig = rpki.tsa.timestamp_signature(rpki.signer.sign_detached_cms(CONTENT))
    rpki.clock.advance(10 * DAY)
    rpki.crl.revoke(rpki.intermediate, at=rpki.clock.now() - 2 * DAY)
    result = rpki.verifier().verify(sig, content=CONTENT)
    assert result.passed, result.explain()
    assert result.signers[0].revocation[1].status == "revoked"


def test_revoked_before_the_time_stamp_fails(rpki: RevPKI) -> None:
    sig = rpki.signer.sign_detached_cms(CONTENT)
    rpki.ocsp.revoke(rpki.signer, at=rpki.clock.now() + DAY)
    stamped = rpki.tsa.timestamp_signature(sig, gen_time=rpki.clock.now() + 2 * DAY)
    rpki.clock.advance(3 * DAY)
    result = assert_well_formed(rpki.verifier().verify(stamped, content=CONTENT))
    assert (result.indication, result.sub_indication) == (Indication.FAILED, SubIndication.REVOKED)
    assert "not before the revocation" in result.message


def test_revoked_without_a_time_stamp_is_revoked_no_poe(rpki: RevPKI) -> None:
    sig = rpki.signer.sign_detached_cms(CONTENT)
    rpki.ocsp.revoke(rpki.signer, at=rpki.clock.now() - DAY)
    result = rpki.verifier().verify(sig, content=CONTENT)
    assert result.sub_indication is SubIndication.REVOKED_NO_POE


def test_time_stamp_over_another_imprint(rpki: RevPKI) -> None:
    sig = rpki.tsa.timestamp_signature(rpki.signer.sign_detached_cms(CONTENT), imprint=b"\x07" * 32)
    result = assert_well_formed(rpki.verifier().verify(sig, content=CONTENT))
    _token_failed(result, SubIndication.HASH_FAILURE, "signature value")
    (ts,) = result.signers[0].timestamps
    assert not ts.imprint_ok
    assert not ts.valid


def test_time_stamp_from_an_untrusted_tsa(rpki: RevPKI) -> None:
    stranger = MockTSA(MockCA("Unrelated Root CA", clock=rpki.clock))
    sig = stranger.timestamp_signature(rpki.signer.sign_detached_cms(CONTENT))
    result = assert_well_formed(rpki.verifier().verify(sig, content=CONTENT))
    _token_failed(result, SubIndication.NO_CERTIFICATE_CHAIN_FOUND, "TSA certificate path")


def test_tsa_with_a_non_critical_extended_key_usage(rpki: RevPKI) -> None:
    lax = MockTSA(rpki.root, "Lax TSA", eku_critical=False)
    result = rpki.verifier().verify(
        lax.timestamp_signature(rpki.signer.sign_detached_cms(CONTENT)), content=CONTENT
    )
    _token_failed(result, SubIndication.CHAIN_CONSTRAINTS_FAILURE, "not critical")


def test_time_stamp_signed_with_another_key(rpki: RevPKI) -> None:
    rpki.tsa.fault = "wrong-key"
    sig = rpki.tsa.timestamp_signature(rpki.signer.sign_detached_cms(CONTENT))
    result = rpki.verifier().verify(sig, content=CONTENT)
    _token_failed(result, SubIndication.SIG_CRYPTO_FAILURE, "TSA's signature")


@pytest.mark.parametrize(
    "token",
    [b"\x30\x03\x02\x01\x01", b"\x04\x03abc", b"\x30\x80" + b"\x00" * 10],
    ids=["short-sequence", "octet-string", "indefinite"],
)
def test_malformed_token(rpki: RevPKI, token: bytes) -> None:
    sig = add_unsigned_attribute(
        rpki.signer.sign_detached_cms(CONTENT), OID_SIGNATURE_TIMESTAMP, [token]
    )
    result = assert_well_formed(rpki.verifier().verify(sig, content=CONTENT))
    _token_failed(result, SubIndication.FORMAT_FAILURE, "time-stamp token")


def test_token_without_tst_info(rpki: RevPKI) -> None:
    # Another signature, not a time-stamp token, put where one belongs.
    wrong = rpki.signer.sign_detached_cms(b"data", include_chain=False)
    sig = add_unsigned_attribute(
        rpki.signer.sign_detached_cms(CONTENT), OID_SIGNATURE_TIMESTAMP, [wrong]
    )
    result = rpki.verifier().verify(sig, content=CONTENT)
    _token_failed(result, SubIndication.FORMAT_FAILURE, "not a TSTInfo")


def test_content_time_stamp(rpki: RevPKI) -> None:
    token = rpki.tsa.token(CONTENT)
    sig = rpki.signer.sign_detached_cms(
        CONTENT, extra_signed_attributes=[(OID_CONTENT_TIMESTAMP, [token])]
    )
    result = assert_well_formed(rpki.verifier().verify(sig, content=CONTENT))
    assert result.passed, result.explain()
    assert [t.kind for t in result.signers[0].timestamps] == ["content"]
    wrong = rpki.signer.sign_detached_cms(
        CONTENT, extra_signed_attributes=[(OID_CONTENT_TIMESTAMP, [rpki.tsa.token(b"other")])]
    )
    bad = rpki.verifier().verify(wrong, content=CONTENT)
    _token_failed(
        bad, SubIndication.HASH_FAILURE, "content given by the caller", "content-time-stamp"
    )


def test_content_time_stamp_with_another_digest(rpki: RevPKI) -> None:
    token = rpki.tsa.token(CONTENT, digest="sha512")
    sig = rpki.signer.sign_detached_cms(
        CONTENT, extra_signed_attributes=[(OID_CONTENT_TIMESTAMP, [token])]
    )
    result = rpki.verifier().verify(sig, content=CONTENT)
    assert result.passed, result.explain()


def test_content_time_stamped_after_the_signature_time_stamp(rpki: RevPKI) -> None:
    late = rpki.tsa.token(CONTENT, gen_time=rpki.clock.now() + DAY)
    sig = rpki.signer.sign_detached_cms(
        CONTENT, extra_signed_attributes=[(OID_CONTENT_TIMESTAMP, [late])]
    )
    stamped = rpki.tsa.timestamp_signature(sig)
    rpki.clock.advance(2 * DAY)
    result = rpki.verifier().verify(stamped, content=CONTENT)
    assert result.sub_indication is SubIndication.TIMESTAMP_ORDER_FAILURE


def test_averify_with_a_time_stamp_after_expiry(rpki: RevPKI) -> None:
    sig = rpki.tsa.timestamp_signature(rpki.signer.sign_detached_cms(CONTENT))
    rpki.clock.advance(800 * DAY)
    result = asyncio.run(rpki.verifier().averify(sig, content=CONTENT))
    assert result.passed, result.explain()


def test_time_stamp_survives_json(rpki: RevPKI) -> None:
    sig = rpki.tsa.timestamp_signature(rpki.signer.sign_detached_cms(CONTENT))
    result = rpki.verifier().verify(sig, content=CONTENT)
    dumped = result.model_dump(mode="json")
    assert dumped["signers"][0]["timestamps"][0]["kind"] == "signature"


def _tst_info(version: int = 1, gen_time: bytes | None = None) -> bytes:
    from bayident.testing import _der

    when = (
        gen_time
        if gen_time is not None
        else _der.generalized_time(dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    )
    imprint = _der.sequence(
        _der.sequence(_der.oid("2.16.840.1.101.3.4.2.1")), _der.octet_string(b"\x00" * 32)
    )
    return _der.sequence(_der.integer(version), _der.oid("1.2.3.4"), imprint, _der.integer(7), when)


def test_tst_info_parser_names_the_field() -> None:
    from bayident._der import DERError

    info = parse_tst_info(_tst_info())
    assert (info.serial_number, info.gen_time) == (7, dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    with pytest.raises(DERError, match=r"TSTInfo\.version"):
        parse_tst_info(_tst_info(version=2))
    with pytest.raises(DERError, match=r"TSTInfo\.genTime"):
        parse_tst_info(_tst_info(gen_time=b"\x18\x0f20260301000000+"))
    with pytest.raises(DERError, match="at least 5"):
        parse_tst_info(bytes.fromhex("3003020101"))


def test_too_many_time_stamp_tokens(rpki: RevPKI) -> None:
    sig = rpki.signer.sign_detached_cms(CONTENT)
    token = rpki.tsa.token(b"x")
    sig = add_unsigned_attribute(sig, OID_SIGNATURE_TIMESTAMP, [token] * 9)
    result = rpki.verifier().verify(sig, content=CONTENT)
    _token_failed(
        result, SubIndication.FORMAT_FAILURE, "9 time-stamp tokens on one signer, more than 8"
    )


def test_time_stamp_after_expiry_does_not_help(rpki: RevPKI) -> None:
    sig = rpki.signer.sign_detached_cms(CONTENT)
    late = rpki.tsa.timestamp_signature(sig, gen_time=rpki.clock.now() + 400 * DAY)
    rpki.clock.advance(500 * DAY)
    result = rpki.verifier().verify(late, content=CONTENT)
    assert result.sub_indication is SubIndication.OUT_OF_BOUNDS_NO_POE
    [(outcome, message)] = _check(result, "proof-of-existence")
    assert outcome is CheckOutcome.INDETERMINATE
    assert "does not help" in message


def test_ca_revoked_before_the_time_stamp_stays_indeterminate(rpki: RevPKI) -> None:
    sig = rpki.signer.sign_detached_cms(CONTENT)
    rpki.crl.revoke(rpki.intermediate, at=rpki.clock.now() + DAY)
    stamped = rpki.tsa.timestamp_signature(sig, gen_time=rpki.clock.now() + 2 * DAY)
    rpki.clock.advance(3 * DAY)
    result = rpki.verifier().verify(stamped, content=CONTENT)
    assert result.sub_indication is SubIndication.REVOKED_CA_NO_POE
