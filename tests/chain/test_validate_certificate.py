"""Verifier.validate_certificate: a certificate's path, judged as a signer's would be."""

from __future__ import annotations

import datetime as dt

import pytest

import bayident
from bayident import Indication, SubIndication
from bayident.testing import MockCA

# The sandbox CAs are valid from a day before now; the tests validate at now.
NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def pki() -> tuple[MockCA, MockCA]:
    root = MockCA("Validate Root", key_type="ec")
    return root, root.create_child_ca("Validate CA", key_type="ec")


def test_valid_path(pki: tuple[MockCA, MockCA]) -> None:
    root, ca = pki
    signer = ca.issue_signer("Valid", not_before=NOW - dt.timedelta(hours=1))
    result = bayident.Verifier(trust=[root.cert_pem]).validate_certificate(
        signer.certificate, intermediates=[ca.cert_pem], at=NOW
    )
    assert result.indication is Indication.PASSED, result.explain()
    assert result.evidence_format == "certificate"
    assert [c.subject for c in result.signers[0].chain][
        -1
    ] == root.certificate.subject.rfc4514_string()
    assert result.signers[0].signature_algorithm is None


def test_missing_intermediate_names_the_issuer(pki: tuple[MockCA, MockCA]) -> None:
    root, ca = pki
    signer = ca.issue_signer("Orphan", not_before=NOW - dt.timedelta(hours=1))
    result = bayident.Verifier(trust=[root.cert_pem]).validate_certificate(signer.cert_pem, at=NOW)
    assert result.sub_indication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND
    assert "Validate CA" in result.message


def test_expired_certificate(pki: tuple[MockCA, MockCA]) -> None:
    root, ca = pki
    signer = ca.issue_signer(
        "Expired", not_before=NOW - dt.timedelta(hours=20), not_after=NOW - dt.timedelta(hours=10)
    )
    result = bayident.Verifier(trust=[root.cert_pem]).validate_certificate(
        signer.certificate, intermediates=[ca.cert_pem], at=NOW
    )
    assert result.indication is Indication.INDETERMINATE
    assert result.sub_indication is SubIndication.OUT_OF_BOUNDS_NO_POE


def test_key_usage_that_forbids_signing(pki: tuple[MockCA, MockCA]) -> None:
    root, ca = pki
    signer = ca.issue_signer(
        "Encipher only", key_usage=("key_agreement",), not_before=NOW - dt.timedelta(days=1)
    )
    result = bayident.Verifier(trust=[root.cert_pem]).validate_certificate(
        signer.certificate, intermediates=[ca.cert_pem], at=NOW
    )
    assert not result.passed
    assert result.sub_indication is SubIndication.CHAIN_CONSTRAINTS_FAILURE
    assert any(c.name == "key-usage" and c.outcome.value == "indeterminate" for c in result.checks)


def test_wrong_arguments(pki: tuple[MockCA, MockCA]) -> None:
    root, ca = pki
    verifier = bayident.Verifier(trust=[root.cert_pem])
    with pytest.raises(bayident.InvalidArgument):
        verifier.validate_certificate(ca.cert_pem + root.cert_pem)  # two certificates
    with pytest.raises(bayident.InvalidArgument):
        verifier.validate_certificate(ca.cert_pem, at=dt.datetime(2026, 1, 1))  # naive
    with pytest.raises(bayident.TrustStoreError):
        verifier.validate_certificate(b"not a certificate")


def test_malformed_certificate_is_a_result_not_a_traceback(pki: tuple[MockCA, MockCA]) -> None:
    root, ca = pki
    verifier = bayident.Verifier(trust=[root.cert_pem])
    for damaged in (b"\x30\x03\x02\x01\x01", ca.cert_der[:-20], b"\x30" + b"\xff" * 40):
        result = verifier.validate_certificate(damaged, at=NOW)
        assert not result.passed
        assert result.sub_indication is SubIndication.FORMAT_FAILURE
        assert result.checks[-1].name == "certificate-parse"
