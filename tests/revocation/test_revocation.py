"""Revocation checking: statuses, sources, modes, caches and supplied revocation data."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import httpx
import pytest
from cryptography import x509

from _pki import assert_well_formed
from _revocation_kit import CONTENT, FAST, RevPKI, make_pki, outcomes, revocation_checks
from bayident import CheckOutcome, Indication, Policy, SubIndication
from bayident.testing import (
    add_unsigned_attribute,
    build_signed_data,
    ocsp_revocation_choice,
    revocation_values_attribute,
)


@pytest.fixture
def rpki() -> RevPKI:
    return make_pki()


# --- good paths and what is reported ------------------------------------------------------


def test_ocsp_and_crl_good_are_reported_per_certificate(rpki: RevPKI) -> None:
    result = assert_well_formed(
        rpki.verifier().verify(rpki.signer.sign_detached_cms(CONTENT), content=CONTENT)
    )
    assert result.passed, result.explain()
    leaf, ca = result.signers[0].revocation
    assert (leaf.status, leaf.source, leaf.origin, leaf.url) == (
        "good",
        "ocsp",
        "fetched",
        rpki.ocsp.url,
    )
    assert leaf.produced_at == rpki.clock.now()
    assert leaf.this_update == rpki.clock.now()
    assert leaf.next_update == rpki.clock.now() + dt.timedelta(hours=1)
    assert leaf.subject == rpki.signer.certificate.subject.rfc4514_string()
    assert (ca.status, ca.source, ca.url) == ("good", "crl", rpki.crl.url)
    assert outcomes(result) == [CheckOutcome.PASSED, CheckOutcome.PASSED]
    assert rpki.ocsp.url in revocation_checks(result)[0].message
    assert (rpki.ocsp.requests, rpki.crl.requests) == (1, 1)
    dumped = json.loads(result.model_dump_json())
    assert dumped["signers"][0]["revocation"][0]["status"] == "good"


def test_revoked_signer_is_not_passed_and_says_when_and_where(rpki: RevPKI) -> None:
    when = rpki.clock.now() - dt.timedelta(days=2)
    rpki.ocsp.revoke(rpki.signer, at=when, reason=x509.ReasonFlags.key_compromise)
    result = assert_well_formed(
        rpki.verifier().verify(rpki.signer.sign_detached_cms(CONTENT), content=CONTENT)
    )
    assert (result.indication, result.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.REVOKED_NO_POE,
    )
    assert rpki.ocsp.url in result.message
    info = result.signers[0].revocation[0]
    assert (info.status, info.revoked_at, info.reason) == ("revoked", when, "key_compromise")
    assert info.url == rpki.ocsp.url


def test_revoked_issuing_ca_on_the_roots_crl(rpki: RevPKI) -> None:
    rpki.crl.revoke(rpki.intermediate, at=rpki.clock.now() - dt.timedelta(hours=3))
    result = assert_well_formed(
        rpki.verifier().verify(rpki.signer.sign_detached_cms(CONTENT), content=CONTENT)
    )
    assert result.sub_indication is SubIndication.REVOKED_CA_NO_POE
    assert rpki.crl.url in result.message
    leaf, ca = result.signers[0].revocation
    assert ca.status == "revoked"
    assert ca.source == "crl"
    assert leaf.status == "not-checked"  # validation stopped at the CA


def test_delegated_responder_with_ocsp_nocheck() -> None:
    rpki = make_pki(delegated=True)
    result = rpki.verifier().verify(rpki.signer.sign_detached_cms(CONTENT), content=CONTENT)
    assert result.passed, result.explain()
    assert result.signers[0].revocation[0].source == "ocsp"


def test_revocation_after_the_validation_time_does_not_count(rpki: RevPKI) -> None:
    sig = rpki.signer.sign_detached_cms(CONTENT)
    rpki.ocsp.revoke(rpki.signer, at=rpki.clock.now() + dt.timedelta(days=1))
    result = rpki.verifier().verify(sig, content=CONTENT)
    assert result.passed, result.explain()
    info = result.signers[0].revocation[0]
    assert info.status == "revoked"
    assert info.revoked_at is not None
    assert revocation_checks(result)[0].outcome is CheckOutcome.WARNING


def test_certificates_naming_no_source_get_a_warning_in_hard_fail(rpki: RevPKI) -> None:
    quiet = rpki.intermediate.issue_signer("No Sources")
    result = rpki.verifier().verify(quiet.sign_detached_cms(CONTENT), content=CONTENT)
    assert result.passed
    leaf = result.signers[0].revocation[0]
    assert leaf.status == "not-checked"
    assert "names no OCSP responder" in leaf.message
    assert outcomes(result)[0] is CheckOutcome.WARNING
    assert rpki.ocsp.requests == 0


# --- modes ---------------------------------------------------------------------------


def test_off_checks_nothing(rpki: RevPKI) -> None:
    rpki.ocsp.revoke(rpki.signer, at=rpki.clock.now() - dt.timedelta(days=1))
    policy = FAST.replace(revocation_mode="off")
    result = rpki.verifier(policy).verify(rpki.signer.sign_detached_cms(CONTENT), content=CONTENT)
    assert result.passed
    assert outcomes(result) == [CheckOutcome.SKIPPED, CheckOutcome.SKIPPED]
    assert {i.status for i in result.signers[0].revocation} == {"not-checked"}
    assert rpki.ocsp.requests == rpki.crl.requests == 0


def test_soft_fail_turns_an_unreachable_responder_into_a_warning(rpki: RevPKI) -> None:
    rpki.ocsp.fault = "down"
    policy = FAST.replace(revocation_mode="soft-fail")
    result = assert_well_formed(
        rpki.verifier(policy).verify(rpki.signer.sign_detached_cms(CONTENT), content=CONTENT)
    )
    assert result.passed, result.explain()
    leaf = result.signers[0].revocation[0]
    assert leaf.status == "unknown"
    assert rpki.ocsp.url in leaf.message
    assert outcomes(result)[0] is CheckOutcome.WARNING


def test_soft_fail_still_fails_a_revoked_certificate(rpki: RevPKI) -> None:
    rpki.ocsp.revoke(rpki.signer, at=rpki.clock.now() - dt.timedelta(days=1))
    policy = FAST.replace(revocation_mode="soft-fail")
    result = rpki.verifier(policy).verify(rpki.signer.sign_detached_cms(CONTENT), content=CONTENT)
    assert result.sub_indication is SubIndication.REVOKED_NO_POE


def test_hard_fail_with_an_unreachable_responder_is_try_later(rpki: RevPKI) -> None:
    rpki.ocsp.fault = "down"
    result = assert_well_formed(
        rpki.verifier().verify(rpki.signer.sign_detached_cms(CONTENT), content=CONTENT)
    )
    assert (result.indication, result.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.TRY_LATER,
    )
    assert rpki.ocsp.url in result.message
    assert result.signers[0].revocation[0].status == "unknown"


def test_require_needs_data_for_every_certificate(rpki: RevPKI) -> None:
    quiet = rpki.intermediate.issue_signer("No Sources Either")
    policy = FAST.replace(revocation_mode="require")
    result = assert_well_formed(
        rpki.verifier(policy).verify(quiet.sign_detached_cms(CONTENT), content=CONTENT)
    )
    assert result.sub_indication is SubIndication.TRY_LATER
    assert "no revocation information" in result.message
    # With an OCSP responder named, require is satisfied.
    ok = rpki.verifier(policy).verify(rpki.signer.sign_detached_cms(CONTENT), content=CONTENT)
    assert ok.passed, ok.explain()


def test_policy_rejects_unknown_mode() -> None:
    with pytest.raises(ValueError, match="revocation_mode"):
        Policy(revocation_mode="maybe")


# --- caches --------------------------------------------------------------------------


def test_answers_are_cached_until_next_update(rpki: RevPKI) -> None:
    verifier = rpki.verifier()
    sig = rpki.signer.sign_detached_cms(CONTENT)
    for _ in range(3):
        assert verifier.verify(sig, content=CONTENT).passed
    assert (rpki.ocsp.requests, rpki.crl.requests) == (1, 1)
    # Another signer of the same CA: a new OCSP request, the CRL is reused.
    other = rpki.new_signer("Second Signer")
    assert verifier.verify(other.sign_detached_cms(CONTENT), content=CONTENT).passed
    assert (rpki.ocsp.requests, rpki.crl.requests) == (2, 1)
    assert verifier.revocation.stats()["cache_hits"] >= 1
    # Past the OCSP response's nextUpdate (one hour) the status is asked again, and a
    # revocation published meanwhile is seen.
    rpki.ocsp.revoke(rpki.signer, at=rpki.clock.now())
    rpki.clock.advance(dt.timedelta(hours=2))
    result = verifier.verify(sig, content=CONTENT)
    assert result.sub_indication is SubIndication.REVOKED_NO_POE
    assert rpki.ocsp.requests == 3


def test_max_age_shortens_reuse(rpki: RevPKI) -> None:
    policy = FAST.replace(revocation_max_age=dt.timedelta(minutes=10))
    verifier = rpki.verifier(policy)
    sig = rpki.signer.sign_detached_cms(CONTENT)
    assert verifier.verify(sig, content=CONTENT).passed
    rpki.clock.advance(dt.timedelta(minutes=20))
    assert verifier.verify(sig, content=CONTENT).passed
    assert rpki.ocsp.requests == 2


def test_a_failed_answer_is_not_reused(rpki: RevPKI) -> None:
    verifier = rpki.verifier()
    sig = rpki.signer.sign_detached_cms(CONTENT)
    rpki.ocsp.fault = "wrong-key"
    assert not verifier.verify(sig, content=CONTENT).passed
    rpki.ocsp.fault = None
    assert verifier.verify(sig, content=CONTENT).passed
    assert rpki.ocsp.requests == 2


def test_nonce_is_sent_and_echoed(rpki: RevPKI) -> None:
    policy = FAST.replace(revocation_nonce=True)
    result = rpki.verifier(policy).verify(rpki.signer.sign_detached_cms(CONTENT), content=CONTENT)
    assert result.passed, result.explain()


# --- supplied revocation data -----------------------------------------------------------


def test_ocsp_response_embedded_in_signed_data_is_used_before_fetching(rpki: RevPKI) -> None:
    response = rpki.ocsp.response_for(rpki.signer)
    crl = rpki.crl.crl()
    der = build_signed_data(
        CONTENT,
        [rpki.signer.signer_spec()],
        certificates=rpki.signer.chain,
        crls=[crl, ocsp_revocation_choice(response)],
    )
    rpki.ocsp.reset_requests()
    rpki.crl.reset_requests()
    result = rpki.verifier().verify(der, content=CONTENT)
    assert result.passed, result.explain()
    leaf, ca = result.signers[0].revocation
    assert (leaf.source, leaf.origin, ca.source, ca.origin) == (
        "ocsp",
        "embedded",
        "crl",
        "embedded",
    )
    assert (rpki.ocsp.requests, rpki.crl.requests) == (0, 0)


def test_cades_revocation_values_attribute_is_used(rpki: RevPKI) -> None:
    attr_oid, values = revocation_values_attribute(
        crls=[rpki.crl.crl()], ocsp_responses=[rpki.ocsp.response_for(rpki.signer)]
    )
    der = add_unsigned_attribute(rpki.signer.sign_detached_cms(CONTENT), attr_oid, values)
    rpki.ocsp.reset_requests()
    result = rpki.verifier().verify(der, content=CONTENT)
    assert result.passed, result.explain()
    assert [i.origin for i in result.signers[0].revocation] == ["embedded", "embedded"]
    assert rpki.ocsp.requests == 0


def test_embedded_revoked_status_is_decisive(rpki: RevPKI) -> None:
    rpki.ocsp.revoke(rpki.signer, at=rpki.clock.now() - dt.timedelta(hours=5))
    response = rpki.ocsp.response_for(rpki.signer)
    rpki.ocsp.unrevoke(rpki.signer)
    der = build_signed_data(
        CONTENT,
        [rpki.signer.signer_spec()],
        certificates=rpki.signer.chain,
        crls=[rpki.crl.crl(), ocsp_revocation_choice(response)],
    )
    result = rpki.verifier().verify(der, content=CONTENT)
    assert result.sub_indication is SubIndication.REVOKED_NO_POE
    assert "embedded" in result.message


def test_caller_ocsp_responses_and_crls(rpki: RevPKI) -> None:
    result = rpki.verifier().verify(
        rpki.signer.sign_detached_cms(CONTENT),
        content=CONTENT,
        ocsp_responses=[rpki.ocsp.response_for(rpki.signer)],
        crls=[rpki.crl.crl()],
    )
    assert result.passed, result.explain()
    assert [i.origin for i in result.signers[0].revocation] == ["caller", "caller"]
    assert rpki.ocsp.requests == 0


def test_stale_supplied_response_is_passed_over_for_a_fresh_one(rpki: RevPKI) -> None:
    old = rpki.ocsp.response_for(
        rpki.signer,
        this_update=rpki.clock.now() - dt.timedelta(days=3),
        next_update=rpki.clock.now() - dt.timedelta(days=2),
    )
    result = rpki.verifier().verify(
        rpki.signer.sign_detached_cms(CONTENT), content=CONTENT, ocsp_responses=[old]
    )
    assert result.passed, result.explain()
    assert result.signers[0].revocation[0].origin == "fetched"
    assert rpki.ocsp.requests == 1


def test_supplied_data_must_cover_every_certificate_in_hard_fail(rpki: RevPKI) -> None:
    # The issuing CA's CRL is supplied, not the root's one for the issuing CA, and the
    # root's distribution point is down: the path is not covered.
    rpki.crl.fault = "down"
    result = rpki.verifier().verify(
        rpki.signer.sign_detached_cms(CONTENT),
        content=CONTENT,
        ocsp_responses=[rpki.ocsp.response_for(rpki.signer)],
    )
    assert result.sub_indication is SubIndication.TRY_LATER
    assert rpki.crl.url in result.message


def test_ocsp_responses_argument_is_type_checked(rpki: RevPKI) -> None:
    from bayident import InvalidArgument

    with pytest.raises(InvalidArgument, match="OCSP response"):
        rpki.verifier().verify(
            rpki.signer.sign_detached_cms(CONTENT),
            content=CONTENT,
            ocsp_responses=[42],  # type: ignore[list-item]
        )


# --- asynchronous ----------------------------------------------------------------------


def test_averify_fetches_with_the_async_client(rpki: RevPKI) -> None:
    verifier = rpki.verifier(http_client=httpx.Client(transport=httpx.MockTransport(_refuse)))
    sig = rpki.signer.sign_detached_cms(CONTENT)
    result = asyncio.run(verifier.averify(sig, content=CONTENT))
    assert result.passed, result.explain()
    assert (rpki.ocsp.requests, rpki.crl.requests) == (1, 1)


def test_averify_reports_revocation_like_verify(rpki: RevPKI) -> None:
    rpki.ocsp.revoke(rpki.signer, at=rpki.clock.now() - dt.timedelta(hours=1))
    sig = rpki.signer.sign_detached_cms(CONTENT)
    sync = rpki.verifier().verify(sig, content=CONTENT)
    asynchronous = asyncio.run(rpki.verifier().averify(sig, content=CONTENT))
    assert (sync.indication, sync.sub_indication, sync.message) == (
        asynchronous.indication,
        asynchronous.sub_indication,
        asynchronous.message,
    )
    assert sync.signers[0].revocation == asynchronous.signers[0].revocation


def test_verify_inside_a_running_event_loop_fetches_synchronously(rpki: RevPKI) -> None:
    sig = rpki.signer.sign_detached_cms(CONTENT)

    async def inside() -> bool:
        return rpki.verifier().verify(sig, content=CONTENT).passed

    assert asyncio.run(inside())


def _refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError("the synchronous client must not be used by averify")


def test_soft_fail_with_partial_supplied_data_warns_for_the_rest(rpki: RevPKI) -> None:
    rpki.crl.fault = "down"
    policy = FAST.replace(revocation_mode="soft-fail")
    result = rpki.verifier(policy).verify(
        rpki.signer.sign_detached_cms(CONTENT),
        content=CONTENT,
        ocsp_responses=[rpki.ocsp.response_for(rpki.signer)],
    )
    assert result.passed, result.explain()
    leaf, ca = result.signers[0].revocation
    assert (leaf.status, leaf.origin) == ("good", "caller")
    assert ca.status == "unknown"
    assert outcomes(result) == [CheckOutcome.PASSED, CheckOutcome.WARNING]


def test_sync_verify_fetches_without_an_event_loop(
    rpki: RevPKI, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pyhanko-certvalidator's coroutine is stepped directly: the fetchers never await, so
    # the worker thread that would run a private event loop is never needed.
    import bayident._sync

    def no_pool() -> None:
        raise AssertionError("verify() needed an event loop")

    monkeypatch.setattr(bayident._sync, "_pool", no_pool)
    sig = rpki.tsa.timestamp_signature(rpki.signer.sign_detached_cms(CONTENT))
    result = rpki.verifier().verify(sig, content=CONTENT)
    assert result.passed, result.explain()
    assert (rpki.ocsp.requests, rpki.crl.requests) == (1, 1)
