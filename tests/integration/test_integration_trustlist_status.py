"""A trusted-list anchor counts only while its service is in force; a Verifier follows a manager."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

import bayident
from bayident import CheckOutcome, Indication, SubIndication, VerificationResult
from bayident.testing import (
    ListRoute,
    MockCA,
    MockClock,
    MockJWTIssuer,
    MockSigner,
    MockTrustListOperator,
    MockTSA,
    mock_transport,
)
from bayident.trustlist import (
    ListSource,
    TrustedList,
    TrustListManager,
    TrustListStore,
    trust_store_from_lists,
)

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
GRANTED_AT = NOW - 200 * DAY
WITHDRAWN_AT = NOW
BEFORE = NOW - 10 * DAY  # the service is granted
AFTER = NOW + 10 * DAY  # the service is withdrawn
CONTENT = b"Cross-boundary e-service form, trusted-list status sandbox.\n"


@dataclass
class World:
    clock: MockClock
    hk: MockTrustListOperator
    signer: MockSigner
    tsa: MockTSA
    tsa_root: MockCA

    def withdrawn_list(self, *, sequence: int = 1) -> TrustedList:
        """The root's service granted at GRANTED_AT, withdrawn at WITHDRAWN_AT; the TSA's granted."""
        root = self.hk.service(
            status="withdrawn", since=WITHDRAWN_AT, history=[(GRANTED_AT, "granted")]
        )
        tsa = self.hk.service(ca=self.tsa_root, name="Sandbox HK time-stamping root")
        return self.hk.trusted_list(sequence=sequence, services=[root, tsa])

    def store(self, *, at: dt.datetime = BEFORE, include_inactive: bool = False) -> TrustListStore:
        return trust_store_from_lists(
            [self.withdrawn_list()], at=at, include_inactive=include_inactive
        )


@pytest.fixture(scope="module")
def world() -> World:
    clock = MockClock(NOW - 30 * DAY)
    hk = MockTrustListOperator("HK", clock=clock)
    signer = hk.issue_signer("CHAN Tai Man (status sandbox)")
    tsa_root = MockCA("Sandbox HK Time-Stamping Root", clock=clock, key_type="ec")
    return World(clock, hk, signer, MockTSA(tsa_root, clock=clock), tsa_root)


def checks(result: VerificationResult, name: str) -> list[tuple[CheckOutcome, str]]:
    return [(c.outcome, c.message) for c in result.checks if c.name == name]


def test_a_granted_service_anchors_the_path(world: World) -> None:
    cms = world.signer.sign_detached_cms(CONTENT)
    result = bayident.verify(cms, content=CONTENT, trust=world.store(), at=BEFORE)
    assert result.indication is Indication.PASSED, result.explain()
    [(outcome, message)] = checks(result, "trust-anchor-status")
    assert outcome is CheckOutcome.PASSED
    assert "'granted'" in message
    assert "trusted list of HK" in message


def test_withdrawn_before_the_validation_time_is_not_passed(world: World) -> None:
    cms = world.signer.sign_detached_cms(CONTENT)
    verifier = bayident.Verifier(trust=world.store())
    # The same verifier first validates the path while the service is granted: the
    # remembered success must not carry over to a time when it is withdrawn.
    assert verifier.verify(cms, content=CONTENT, at=BEFORE).passed
    result = verifier.verify(cms, content=CONTENT, at=AFTER)
    assert result.indication is Indication.INDETERMINATE
    assert result.sub_indication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND
    [status] = [c for c in result.checks if c.name == "trust-anchor-status"]
    assert status.outcome is CheckOutcome.INDETERMINATE
    assert world.hk.profile.root_name in status.message
    assert "'withdrawn'" in status.message
    assert "trusted list of HK" in status.message
    assert status.concerns is not None
    assert "trusted list HK" in status.concerns
    # The path itself validated; it is the anchor that is not in force.
    assert checks(result, "certificate-path")[0][0] is CheckOutcome.PASSED
    assert result.signers[0].trust_anchor is not None
    # And back before the withdrawal, the path passes again.
    assert verifier.verify(cms, content=CONTENT, at=BEFORE).passed


def test_averify_weighs_the_status_too(world: World) -> None:
    cms = world.signer.sign_detached_cms(CONTENT)
    verifier = bayident.Verifier(trust=world.store())
    result = asyncio.run(verifier.averify(cms, content=CONTENT, at=AFTER))
    assert result.sub_indication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND
    assert checks(result, "trust-anchor-status")[0][0] is CheckOutcome.INDETERMINATE
    assert asyncio.run(verifier.averify(cms, content=CONTENT, at=BEFORE)).passed


def test_a_store_with_inactive_services_keeps_the_history(world: World) -> None:
    store = world.store(at=AFTER, include_inactive=True)
    cms = world.signer.sign_detached_cms(CONTENT)
    assert not bayident.verify(cms, content=CONTENT, trust=store, at=AFTER).passed
    assert bayident.verify(cms, content=CONTENT, trust=store, at=BEFORE).passed


def test_before_the_first_status_the_anchor_is_not_in_force(world: World) -> None:
    later = world.hk.service(since=NOW - 5 * DAY)
    store = trust_store_from_lists([world.hk.trusted_list(services=[later])], at=NOW)
    cms = world.signer.sign_detached_cms(CONTENT)
    result = bayident.verify(cms, content=CONTENT, trust=store, at=BEFORE)
    assert result.sub_indication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND
    [(outcome, message)] = checks(result, "trust-anchor-status")
    assert outcome is CheckOutcome.INDETERMINATE
    assert "no service status" in message
    assert bayident.verify(cms, content=CONTENT, trust=store, at=NOW).passed


def test_a_time_stamp_before_the_withdrawal_is_proof_of_existence(world: World) -> None:
    cms = world.signer.sign_detached_cms(CONTENT)
    stamped = world.tsa.timestamp_signature(cms, gen_time=BEFORE)
    result = bayident.verify(stamped, content=CONTENT, trust=world.store(), at=AFTER)
    assert result.passed, result.explain()
    [(outcome, message)] = checks(result, "proof-of-existence")
    assert outcome is CheckOutcome.PASSED
    assert "trusted-list status change" in message
    # The path used was validated at the time-stamp, when the service was granted.
    statuses = checks(result, "trust-anchor-status")
    assert statuses[-1][0] is CheckOutcome.PASSED
    assert "'granted'" in statuses[-1][1]


def test_a_time_stamp_after_the_withdrawal_does_not_help(world: World) -> None:
    cms = world.signer.sign_detached_cms(CONTENT)
    stamped = world.tsa.timestamp_signature(cms, gen_time=NOW + 5 * DAY)
    result = bayident.verify(stamped, content=CONTENT, trust=world.store(), at=AFTER)
    assert result.sub_indication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND
    assert checks(result, "proof-of-existence")[0][0] is CheckOutcome.INDETERMINATE
    assert checks(result, "signature-time-stamp")[0][0] is CheckOutcome.PASSED


def test_a_jws_chain_to_a_withdrawn_anchor(world: World) -> None:
    jws = MockJWTIssuer.from_signer(world.signer).sign_detached(CONTENT, x5c=True).encode()
    store = world.store()
    before = bayident.verify(jws, content=CONTENT, trust=store, at=BEFORE)
    assert before.passed, before.explain()
    assert checks(before, "trust-anchor-status")[0][0] is CheckOutcome.PASSED
    after = bayident.verify(jws, content=CONTENT, trust=store, at=AFTER)
    assert after.evidence_format == "jws"
    assert after.sub_indication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND
    [(outcome, message)] = checks(after, "trust-anchor-status")
    assert outcome is CheckOutcome.INDETERMINATE
    assert "'withdrawn'" in message


def test_a_verifier_follows_the_managers_refreshes(world: World, tmp_path: Path) -> None:
    hk = world.hk
    granted = hk.etsi_xml(hk.trusted_list(sequence=1))
    withdrawn = hk.etsi_xml(world.withdrawn_list(sequence=2))
    routes = {"/hk.xml": ListRoute(granted)}
    manager = TrustListManager(
        [ListSource("https://lists.example/hk.xml", signers=(hk.signer_certificate,))],
        cache_dir=tmp_path,
        client=httpx.Client(transport=mock_transport(routes)),
        clock=lambda: AFTER,
    )
    verifier = bayident.Verifier(trust=manager)
    cms = world.signer.sign_detached_cms(CONTENT)
    # Not refreshed yet: no anchors.
    assert verifier.verify(cms, content=CONTENT, at=AFTER).indication is Indication.INDETERMINATE
    assert manager.refresh().ok
    first = verifier.verify(cms, content=CONTENT, at=AFTER)
    assert first.passed, first.explain()
    assert verifier.trust is manager.store
    assert any("HK #1" in s for s in first.trust_sources)
    # The operator withdraws the service; the next refresh drops its anchor.
    routes["/hk.xml"] = ListRoute(withdrawn)
    assert manager.refresh().ok
    second = verifier.verify(cms, content=CONTENT, at=AFTER)
    assert second.indication is Indication.INDETERMINATE
    assert second.sub_indication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND
    assert any("HK #2" in s for s in second.trust_sources)
    # The module-level verify() takes a manager too.
    again = bayident.verify(cms, content=CONTENT, trust=manager, at=AFTER)
    assert again.sub_indication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND


def test_a_verifier_trust_can_be_replaced(world: World) -> None:
    cms = world.signer.sign_detached_cms(CONTENT)
    verifier = bayident.Verifier()
    assert not verifier.verify(cms, content=CONTENT, at=BEFORE).passed
    verifier.trust = world.store()
    assert verifier.verify(cms, content=CONTENT, at=BEFORE).passed
    verifier.trust = [world.hk.root.cert_pem]
    assert verifier.verify(cms, content=CONTENT, at=AFTER).passed  # no list, no status
