"""Hostile and broken revocation data: never PASSED under hard-fail, always named and located."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from _pki import assert_well_formed
from _revocation_kit import CONTENT, FAST, RevPKI, make_pki
from bayident import Indication, SubIndication, VerificationResult, Verifier
from bayident.testing import RevocationServer, build_signed_data, ocsp_revocation_choice


@pytest.fixture
def rpki() -> RevPKI:
    return make_pki()


def _verify(rpki: RevPKI, evidence: bytes | None = None, **kw: object) -> VerificationResult:
    evidence = evidence or rpki.signer.sign_detached_cms(CONTENT)
    return assert_well_formed(rpki.verifier().verify(evidence, content=CONTENT, **kw))  # type: ignore[arg-type]


def _not_passed(result: VerificationResult, *words: str) -> None:
    assert result.indication is not Indication.PASSED, result.explain()
    text = result.message.lower()
    for word in words:
        assert word.lower() in text, (word, result.message)


# --- OCSP -------------------------------------------------------------------------------


def test_malformed_ocsp_response(rpki: RevPKI) -> None:
    rpki.ocsp.fault = "garbage"
    result = _verify(rpki)
    _not_passed(result, rpki.ocsp.url, "OCSP response is unusable")
    assert result.sub_indication is SubIndication.TRY_LATER
    leaf = result.signers[0].revocation[0]
    assert leaf.status == "unknown"
    assert rpki.ocsp.url in leaf.message


def test_unsuccessful_ocsp_status(rpki: RevPKI) -> None:
    rpki.ocsp.fault = "try-later"
    _not_passed(_verify(rpki), rpki.ocsp.url, "try_later")


def test_ocsp_response_for_another_certificate(rpki: RevPKI) -> None:
    rpki.ocsp.fault = "other-cert"
    result = _verify(rpki)
    _not_passed(result, rpki.ocsp.url)
    assert "no ocsp responses were issued" in result.message.lower() or "serial" in result.message


def test_unauthorised_responder(rpki: RevPKI) -> None:
    rpki.ocsp.fault = "unauthorized"
    _not_passed(_verify(rpki), rpki.ocsp.url, "unauthorized")


def test_ocsp_response_signed_by_the_wrong_key(rpki: RevPKI) -> None:
    rpki.ocsp.fault = "wrong-key"
    _not_passed(_verify(rpki), rpki.ocsp.url, "signature")


def test_stale_ocsp_response(rpki: RevPKI) -> None:
    rpki.ocsp.fault = "stale"
    _not_passed(_verify(rpki), rpki.ocsp.url, "not recent enough")


def test_unknown_certificate(rpki: RevPKI) -> None:
    rpki.ocsp.fault = "unknown"
    result = _verify(rpki)
    _not_passed(result, rpki.ocsp.url)
    assert result.sub_indication is SubIndication.TRY_LATER


def test_http_error_from_the_responder(rpki: RevPKI) -> None:
    rpki.ocsp.fault = "http-error"
    _not_passed(_verify(rpki), rpki.ocsp.url, "HTTP 500")


def test_slow_responder_in_process(rpki: RevPKI) -> None:
    rpki.ocsp.fault = "slow"
    _not_passed(_verify(rpki), rpki.ocsp.url, "no answer within")


def test_malformed_embedded_ocsp_response(rpki: RevPKI) -> None:
    der = build_signed_data(
        CONTENT,
        [rpki.signer.signer_spec()],
        certificates=rpki.signer.chain,
        crls=[ocsp_revocation_choice(b"\x30\x03\x0a\x01\x00")],
    )
    result = _verify(rpki, der)
    _not_passed(result, "OCSP response 1", "embedded in the evidence", "malformed")


def test_malformed_caller_ocsp_response(rpki: RevPKI) -> None:
    result = _verify(rpki, ocsp_responses=[b"\x04\x02hi"])
    _not_passed(result, "OCSP response 1", "malformed")


# --- CRL --------------------------------------------------------------------------------


def test_crl_signed_by_another_ca(rpki: RevPKI) -> None:
    rpki.crl.fault = "other-ca"
    result = _verify(rpki)
    _not_passed(result, rpki.crl.url, "Stranger CA", "not by")
    assert result.signers[0].revocation[1].status == "unknown"


def test_crl_signed_by_the_wrong_key(rpki: RevPKI) -> None:
    rpki.crl.fault = "wrong-key"
    _not_passed(_verify(rpki), rpki.crl.url, "signature")


def test_expired_crl(rpki: RevPKI) -> None:
    rpki.crl.fault = "stale"
    _not_passed(_verify(rpki), rpki.crl.url, "not recent enough")


def test_supplied_expired_crl(rpki: RevPKI) -> None:
    now = rpki.clock.now()
    old = rpki.crl.crl(
        this_update=now - dt.timedelta(days=9), next_update=now - dt.timedelta(days=8)
    )
    rpki.crl.fault = "down"
    result = _verify(rpki, crls=[old], ocsp_responses=[rpki.ocsp.response_for(rpki.signer)])
    _not_passed(result, "given by the caller", "nextUpdate", "before the validation time")


def test_delta_crl_without_its_base(rpki: RevPKI) -> None:
    delta = rpki.crl.crl(delta_of=1)
    rpki.crl.fault = "delta-only"
    result = _verify(rpki, crls=[delta], ocsp_responses=[rpki.ocsp.response_for(rpki.signer)])
    _not_passed(result, "delta CRL", "base CRL", "missing")


def test_garbage_crl(rpki: RevPKI) -> None:
    rpki.crl.fault = "garbage"
    _not_passed(_verify(rpki), rpki.crl.url, "malformed")


def test_oversized_crl_download_is_abandoned(rpki: RevPKI) -> None:
    rpki.crl.fault = "oversize"
    policy = FAST.replace(revocation_max_crl_bytes=64 * 1024)
    sig = rpki.signer.sign_detached_cms(CONTENT)
    result = assert_well_formed(rpki.verifier(policy).verify(sig, content=CONTENT))
    _not_passed(result, rpki.crl.url, "over the limit of 65536")


# --- a responder that never answers, over real HTTP ------------------------------------------


def test_responder_that_never_answers() -> None:
    with RevocationServer() as server:
        rpki = make_pki(server)
        rpki.ocsp.fault = "slow"
        rpki.ocsp.delay = 30.0
        url = rpki.ocsp.url
        policy = FAST.replace(revocation_timeout=dt.timedelta(seconds=0.3))
        started = time.monotonic()
        # Real HTTP on 127.0.0.1 with the verifier's own default client.
        result = Verifier(trust=[rpki.root.cert_pem], policy=policy, clock=rpki.clock).verify(
            rpki.signer.sign_detached_cms(CONTENT), content=CONTENT
        )
        elapsed = time.monotonic() - started
    assert_well_formed(result)
    _not_passed(result, url, "no answer within 0.3 s")
    assert result.sub_indication is SubIndication.TRY_LATER
    assert elapsed < 10  # bounded by the timeout, not by the server's silence


def test_too_many_embedded_revocation_items(rpki: RevPKI) -> None:
    crl = rpki.crl.crl()
    der = build_signed_data(
        CONTENT, [rpki.signer.signer_spec()], certificates=rpki.signer.chain, crls=[crl] * 65
    )
    result = _verify(rpki, der)
    assert result.sub_indication is SubIndication.FORMAT_FAILURE
    assert "more than the limit of 64" in result.message


def test_damaged_answers_never_raise_and_never_pass(rpki: RevPKI) -> None:
    import random

    import httpx

    good_ocsp = rpki.ocsp.response_for(rpki.signer)
    good_crl = rpki.crl.crl()
    sig = rpki.signer.sign_detached_cms(CONTENT)
    rnd = random.Random(3161)
    for _ in range(40):
        ocsp, crl = bytearray(good_ocsp), bytearray(good_crl)
        for data in (ocsp, crl):
            for _ in range(rnd.randint(1, 3)):
                data[rnd.randrange(len(data))] ^= 1 << rnd.randrange(8)

        def answer(
            request: httpx.Request, o: bytes = bytes(ocsp), c: bytes = bytes(crl)
        ) -> httpx.Response:
            return httpx.Response(200, content=o if "/ocsp/" in request.url.path else c)

        client = httpx.Client(transport=httpx.MockTransport(answer))
        verifier = rpki.verifier(http_client=client)
        for kw in ({}, {"ocsp_responses": [bytes(ocsp)], "crls": [bytes(crl)]}):
            result = assert_well_formed(verifier.verify(sig, content=CONTENT, **kw))  # type: ignore[arg-type]
            assert not result.passed, result.explain()


# --- soft-fail forgives an unreachable source, never an unusable answer -------------------


@pytest.mark.parametrize(
    ("service", "fault"),
    [("ocsp", "other-cert"), ("crl", "other-ca"), ("crl", "delta-only"), ("ocsp", "wrong-key")],
)
def test_unusable_answer_fails_in_soft_fail_too(rpki: RevPKI, service: str, fault: str) -> None:
    getattr(rpki, service).fault = fault
    soft = FAST.replace(revocation_mode="soft-fail")
    sig = rpki.signer.sign_detached_cms(CONTENT)
    result = assert_well_formed(rpki.verifier(soft).verify(sig, content=CONTENT))
    assert result.indication is not Indication.PASSED, result.explain()


def test_unreachable_source_is_a_warning_in_soft_fail(rpki: RevPKI) -> None:
    rpki.ocsp.fault = "down"
    rpki.crl.fault = "down"
    soft = FAST.replace(revocation_mode="soft-fail")
    sig = rpki.signer.sign_detached_cms(CONTENT)
    result = assert_well_formed(rpki.verifier(soft).verify(sig, content=CONTENT))
    assert result.passed, result.explain()
