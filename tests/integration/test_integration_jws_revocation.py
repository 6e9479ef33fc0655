"""JWS signers are reported like CMS signers: the revocation status of every certificate."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from cryptography import x509

from _revocation_kit import CONTENT, RevPKI, make_pki
from bayident import CheckOutcome, Indication, SubIndication, VerificationResult
from bayident.testing import MockJWTIssuer

DAY = dt.timedelta(days=1)


@pytest.fixture
def rpki() -> RevPKI:
    return make_pki()


def jws_of(rpki: RevPKI) -> bytes:
    return MockJWTIssuer.from_signer(rpki.signer).sign_detached(CONTENT, x5c=True).encode()


def revocation_checks(result: VerificationResult) -> list[tuple[CheckOutcome, str | None]]:
    return [(c.outcome, c.concerns) for c in result.checks if c.name == "revocation"]


def test_a_good_chain_reports_its_revocation_status(rpki: RevPKI) -> None:
    result = rpki.verifier().verify(jws_of(rpki), content=CONTENT)
    assert result.passed, result.explain()
    assert result.evidence_format == "jws"
    leaf, intermediate = result.signers[0].revocation
    assert (leaf.status, leaf.source, leaf.origin) == ("good", "ocsp", "fetched")
    certificate = result.signers[0].certificate
    assert certificate is not None
    assert leaf.fingerprint_sha256 == certificate.fingerprint_sha256
    assert (intermediate.status, intermediate.source) == ("good", "crl")
    found = revocation_checks(result)
    assert [o for o, _ in found] == [CheckOutcome.PASSED, CheckOutcome.PASSED]
    assert all(c.signer == 0 for c in result.checks if c.name == "revocation")


def test_a_revoked_leaf_is_not_passed_and_the_report_says_so(rpki: RevPKI) -> None:
    revoked_at = rpki.clock.now() - DAY
    rpki.ocsp.revoke(rpki.signer, at=revoked_at, reason=x509.ReasonFlags.key_compromise)
    result = rpki.verifier().verify(jws_of(rpki), content=CONTENT)
    assert not result.passed
    assert result.indication is Indication.INDETERMINATE
    assert result.sub_indication is SubIndication.REVOKED_NO_POE
    report = result.signers[0]
    assert report.indication is Indication.INDETERMINATE
    leaf = report.revocation[0]
    assert (leaf.status, leaf.revoked_at, leaf.reason) == ("revoked", revoked_at, "key_compromise")
    assert leaf.source == "ocsp"
    outcome, concerns = revocation_checks(result)[0]
    assert outcome is not CheckOutcome.PASSED
    assert concerns is not None
    assert "CHAN Tai Man" in concerns


def test_averify_reports_the_revocation_too(rpki: RevPKI) -> None:
    rpki.ocsp.revoke(rpki.signer, at=rpki.clock.now() - DAY)
    result = asyncio.run(rpki.verifier().averify(jws_of(rpki), content=CONTENT))
    assert not result.passed
    assert result.signers[0].revocation[0].status == "revoked"
    assert revocation_checks(result)


def test_the_same_signature_reported_twice_gives_the_same_checks(rpki: RevPKI) -> None:
    verifier = rpki.verifier()
    jws = jws_of(rpki)
    first = verifier.verify(jws, content=CONTENT)
    second = verifier.verify(jws, content=CONTENT)  # the remembered path decision
    assert first.passed
    assert second.passed
    assert revocation_checks(first) == revocation_checks(second)
    assert second.signers[0].revocation == first.signers[0].revocation
