"""Single flight: concurrent verifications that need the same answer cause one request."""

from __future__ import annotations

import asyncio
import threading

from _revocation_kit import CONTENT, make_pki
from bayident import SubIndication, VerificationResult


def test_concurrent_averify_sends_one_request_per_answer() -> None:
    rpki = make_pki()
    rpki.ocsp.latency = rpki.crl.latency = 0.05
    verifier = rpki.verifier()
    sig = rpki.signer.sign_detached_cms(CONTENT)

    async def run() -> list[VerificationResult]:
        return await asyncio.gather(*(verifier.averify(sig, content=CONTENT) for _ in range(40)))

    results = asyncio.run(run())
    assert all(r.passed for r in results), results[0].explain()
    assert (rpki.ocsp.requests, rpki.crl.requests) == (1, 1)
    assert verifier.revocation.stats()["requests"] == 2


def test_concurrent_averify_share_a_failure_too() -> None:
    rpki = make_pki()
    rpki.ocsp.latency = 0.05
    rpki.ocsp.fault = "http-error"
    verifier = rpki.verifier()
    sig = rpki.signer.sign_detached_cms(CONTENT)

    async def run() -> list[VerificationResult]:
        return await asyncio.gather(*(verifier.averify(sig, content=CONTENT) for _ in range(20)))

    results = asyncio.run(run())
    assert {r.sub_indication for r in results} == {SubIndication.TRY_LATER}
    assert all(rpki.ocsp.url in r.message for r in results)
    assert rpki.ocsp.requests == 1


def test_threads_with_sync_verify_send_one_request() -> None:
    rpki = make_pki()
    rpki.ocsp.latency = rpki.crl.latency = 0.1
    verifier = rpki.verifier()
    sig = rpki.signer.sign_detached_cms(CONTENT)
    n = 12
    barrier = threading.Barrier(n)
    results: list[VerificationResult] = []
    lock = threading.Lock()

    def work() -> None:
        barrier.wait()
        result = verifier.verify(sig, content=CONTENT)
        with lock:
            results.append(result)

    threads = [threading.Thread(target=work) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(results) == n
    assert all(r.passed for r in results), results[0].explain()
    assert (rpki.ocsp.requests, rpki.crl.requests) == (1, 1)


def test_many_signers_many_threads_one_request_each() -> None:
    rpki = make_pki()
    rpki.ocsp.latency = 0.05
    signers = [rpki.new_signer(f"Concurrent Signer {i}") for i in range(4)]
    sigs = [s.sign_detached_cms(CONTENT) for s in signers]
    verifier = rpki.verifier()
    barrier = threading.Barrier(len(sigs) * 3)
    passed: list[bool] = []

    def work(sig: bytes) -> None:
        barrier.wait()
        passed.append(verifier.verify(sig, content=CONTENT).passed)

    threads = [threading.Thread(target=work, args=(s,)) for s in sigs for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert passed == [True] * len(threads)
    assert rpki.ocsp.requests == len(sigs)
    assert rpki.crl.requests == 1
