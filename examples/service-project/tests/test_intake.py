"""The office's intake, tested against mocked foreign issuers from bayident's fixtures."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from permit_service import PermitOffice

import bayident
from bayident.testing import sandbox_registry

APPLICATION = b"Cross-boundary permit application no. 2026-0042\n"


@pytest.fixture
def office(bayident_hkpost_ca, bayident_clock):
    # The sandbox Hongkong Post adapter knows the sandbox hierarchy; the clock is the
    # fixtures' clock, so a test can move time.
    registry = sandbox_registry(bayident_hkpost_ca.adapter())
    return PermitOffice(
        bayident.Verifier(
            trust=bayident_hkpost_ca.trust_store(), clock=bayident_clock, schemes=registry
        )
    )


def test_an_ecert_signed_application_is_accepted(office, bayident_ecert_signer):
    signature = bayident_ecert_signer.sign_detached_cms(APPLICATION)
    decision = office.submit(APPLICATION, signature)
    assert decision.accepted, decision.reason
    assert decision.applicant == "CHAN Tai Man"
    assert decision.jurisdiction == "HK"


def test_a_changed_application_is_refused(office, bayident_ecert_signer):
    signature = bayident_ecert_signer.sign_detached_cms(APPLICATION)
    decision = office.submit(APPLICATION + b"amended\n", signature)
    assert not decision.accepted
    assert "digest" in decision.reason


def test_an_expired_certificate_is_refused(office, bayident_ecert_signer, bayident_clock):
    signature = bayident_ecert_signer.sign_detached_cms(APPLICATION)
    bayident_clock.advance(timedelta(days=30 * 365))
    assert not office.submit(APPLICATION, signature).accepted


def test_a_signer_from_another_root_is_refused(office, bayident_signer):
    decision = office.submit(APPLICATION, bayident_signer.sign_detached_cms(APPLICATION))
    assert not decision.accepted


def test_a_revoked_signer_is_refused(
    bayident_ca, bayident_intermediate_ca, bayident_ocsp_responder, bayident_revocation_server
):
    signer = bayident_intermediate_ca.issue_signer(
        "Sandbox Applicant", ocsp_url=bayident_ocsp_responder.url
    )
    signature = signer.sign_detached_cms(APPLICATION)
    with httpx.Client(timeout=5) as client:
        verifier = bayident.Verifier(trust=[bayident_ca.cert_pem], http_client=client)
        office = PermitOffice(verifier)
        bayident_ocsp_responder.revoke(signer)
        decision = office.submit(APPLICATION, signature)
    assert not decision.accepted
    assert "revoked" in decision.reason.lower()
