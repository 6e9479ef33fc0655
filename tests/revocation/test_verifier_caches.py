"""The verifier's caches: shared by derived verifiers, emptied by ``clear_caches``."""

from __future__ import annotations

import datetime as dt

from _revocation_kit import CONTENT, FAST, make_pki
from bayident import SubIndication


def test_clear_caches_makes_the_next_verification_decide_afresh() -> None:
    rpki = make_pki()
    verifier = rpki.verifier()
    sig = rpki.signer.sign_detached_cms(CONTENT)
    assert verifier.verify(sig, content=CONTENT).passed
    # Revoked out of band, inside the OCSP answer's validity: the remembered answer and
    # path decision still hold, so nothing is asked again.
    rpki.ocsp.revoke(rpki.signer, at=rpki.clock.now() - dt.timedelta(minutes=1))
    assert verifier.verify(sig, content=CONTENT).passed
    assert rpki.ocsp.requests == 1
    verifier.clear_caches()
    result = verifier.verify(sig, content=CONTENT)
    assert result.sub_indication is SubIndication.REVOKED_NO_POE
    assert rpki.ocsp.requests == 2


def test_derived_verifiers_share_the_caches_and_their_clearing() -> None:
    rpki = make_pki()
    outer = rpki.verifier()
    derived = outer.derive(expected_scheme=None)
    sig = rpki.signer.sign_detached_cms(CONTENT)
    assert derived.verify(sig, content=CONTENT).passed
    assert outer.verify(sig, content=CONTENT).passed
    assert (rpki.ocsp.requests, rpki.crl.requests) == (1, 1)
    rpki.ocsp.revoke(rpki.signer, at=rpki.clock.now() - dt.timedelta(minutes=1))
    derived.clear_caches()  # empties the outer verifier's caches too: they are the same
    assert outer.verify(sig, content=CONTENT).sub_indication is SubIndication.REVOKED_NO_POE
    assert (rpki.ocsp.requests, rpki.crl.requests) == (2, 2)


def test_a_soft_fail_is_decided_again_at_the_next_use() -> None:
    rpki = make_pki()
    verifier = rpki.verifier(FAST.replace(revocation_mode="soft-fail"))
    sig = rpki.signer.sign_detached_cms(CONTENT)
    rpki.ocsp.fault = "down"
    first = verifier.verify(sig, content=CONTENT)
    assert first.passed
    assert first.signers[0].revocation[0].status == "unknown"
    rpki.ocsp.fault = None
    again = verifier.verify(sig, content=CONTENT)
    assert again.passed
    assert again.signers[0].revocation[0].status == "good"
