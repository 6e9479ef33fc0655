"""Several verifier processes on one Redis, verify_many across cores, and kill -9 of Redis."""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
from collections.abc import Iterator
from typing import Any

import pytest

import bayident
from bayident import Indication
from bayident.fleet import SharedCache
from bayident.testing import MockCA, MockCRLPublisher, MockOCSPResponder, RevocationServer

CONTENT = b"Cross-boundary e-service application, fleet sandbox.\n"
SIGNERS = 6


class Fleet:
    def __init__(self, server: RevocationServer) -> None:
        self.root = MockCA("Fleet Sandbox Root CA")
        self.crl = MockCRLPublisher(self.root)
        server.mount(self.crl)
        self.issuing = self.root.create_child_ca(
            "Fleet Sandbox Issuing CA", key_type="ec", crl_url=self.crl.url
        )
        self.ocsp = MockOCSPResponder(self.issuing)
        server.mount(self.ocsp)
        self.signers = [
            self.issuing.issue_signer(f"Fleet Signer {i}", ocsp_url=self.ocsp.url)
            for i in range(SIGNERS)
        ]
        self.sigs = [s.sign_detached_cms(CONTENT) for s in self.signers]
        # Two of them are revoked: no fault of Redis may ever make them pass.
        for s in self.signers[:2]:
            self.ocsp.revoke(s, at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))

    def verifier(self, **kw: Any) -> bayident.Verifier:
        return bayident.Verifier(trust=[self.root.cert_pem], **kw)


@pytest.fixture
def fleet() -> Iterator[Fleet]:
    with RevocationServer() as server:
        yield Fleet(server)


def _verdict(result: Any) -> tuple[Indication, Any]:
    return result.indication, result.sub_indication


def _process(fleet: Fleet, url: str, start: Any, out: Any, rounds: int) -> None:
    verifier = fleet.verifier(shared_cache=url)
    start.wait()
    verdicts = [
        verifier.verify(sig, content=CONTENT).indication.value
        for _ in range(rounds)
        for sig in fleet.sigs
    ]
    out.put(verdicts)


def test_several_verifier_processes_fetch_each_answer_once(fleet: Fleet, redis_url: str) -> None:
    ctx = multiprocessing.get_context("fork")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_process, args=(fleet, redis_url, start, out, 3)) for _ in range(4)]
    for p in procs:
        p.start()
    start.set()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    expected = ["PASSED" if i >= 2 else "INDETERMINATE" for i in range(SIGNERS)] * 3
    alone = [fleet.verifier().verify(s, content=CONTENT).indication.value for s in fleet.sigs] * 3
    assert alone == expected or all(v != "PASSED" for v in alone[:2])
    assert all(r == alone for r in results)
    # One OCSP request per signer across the four processes (the reference run above
    # asked once more per signer, without the shared cache).
    assert fleet.ocsp.requests == 2 * SIGNERS


def test_verify_many_keeps_order_and_reports_progress(fleet: Fleet, redis_url: str) -> None:
    verifier = fleet.verifier(shared_cache=redis_url)
    items = [(fleet.sigs[i % SIGNERS], CONTENT) for i in range(60)]
    seen: list[tuple[int, int | None]] = []
    results = list(
        verifier.verify_many(items, workers=2, chunk=4, progress=lambda d, t: seen.append((d, t)))
    )
    alone = fleet.verifier()
    assert [_verdict(r) for r in results] == [
        _verdict(alone.verify(s, content=c)) for s, c in items
    ]
    assert seen[-1] == (60, 60)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    # The two worker processes shared their answers: one request per signer, plus the
    # reference run's own.
    assert fleet.ocsp.requests == 2 * SIGNERS


def test_verify_many_takes_mappings_generators_and_raises_in_place(fleet: Fleet) -> None:
    verifier = fleet.verifier()

    def items() -> Iterator[Any]:
        yield {"evidence": fleet.sigs[3], "content": CONTENT}
        yield {"evidence": fleet.sigs[4], "content": b"tampered"}
        yield {"evidence": 12345, "content": CONTENT}

    got = verifier.verify_many(items(), workers=2, chunk=1)
    assert next(got).passed
    assert not next(got).passed
    with pytest.raises(bayident.InvalidArgument):
        next(got)
    with pytest.raises(bayident.InvalidArgument):
        list(verifier.verify_many([], workers=0))


def test_verify_many_in_one_process(fleet: Fleet) -> None:
    verifier = fleet.verifier()
    results = list(verifier.verify_many([(s, CONTENT) for s in fleet.sigs], workers=1))
    assert [r.passed for r in results] == [False, False, True, True, True, True]


def test_averify_many(fleet: Fleet, redis_url: str) -> None:
    verifier = fleet.verifier(shared_cache=redis_url)
    items = [(fleet.sigs[i % SIGNERS], CONTENT) for i in range(24)]
    done: list[int] = []

    async def main() -> list[bool]:
        return [
            r.passed
            async for r in verifier.averify_many(
                items, workers=2, chunk=3, progress=lambda d, t: done.append(d)
            )
        ]

    assert asyncio.run(main()) == [i % SIGNERS >= 2 for i in range(24)]
    assert done[-1] == 24


def test_kill_9_of_redis_mid_run_changes_no_verdict_to_passed(fleet: Fleet, own_redis: Any) -> None:
    cache = SharedCache(own_redis.url, timeout=0.3, retry_after=0.5)
    verifier = fleet.verifier(shared_cache=cache)
    items = [(fleet.sigs[i % SIGNERS], CONTENT) for i in range(240)]
    killed: list[int] = []

    def progress(done: int, total: int | None) -> None:
        if not killed:
            own_redis.kill()
            killed.append(done)

    # One chunk in flight: the first is done before the kill, the answers most of the
    # rest need are fetched after it.
    results = list(verifier.verify_many(items, workers=2, chunk=4, window=1, progress=progress))
    assert killed, "Redis was not killed during the run"
    alone = fleet.verifier()
    reference = [_verdict(alone.verify(s, content=c)) for s, c in items]
    assert [_verdict(r) for r in results] == reference
    assert all(
        not r.passed for r, (s, _) in zip(results, items, strict=True) if s in fleet.sigs[:2]
    )


def _rounds(fleet: Fleet, url: str, go: Any, counter: Any, out: Any) -> None:
    verdicts: list[tuple[int, str]] = []
    go.wait()
    for r in range(12):
        # A new verifier each round: nothing local, every answer comes from Redis or
        # from the responder.
        verifier = fleet.verifier(shared_cache=SharedCache(url, timeout=0.3, retry_after=0.3))
        for i, sig in enumerate(fleet.sigs):
            verdicts.append((i, verifier.verify(sig, content=CONTENT).indication.value))
        with counter.get_lock():
            counter.value += 1
        del r
    out.put(verdicts)


def test_kill_9_of_redis_under_several_processes(fleet: Fleet, own_redis: Any) -> None:
    ctx = multiprocessing.get_context("fork")
    go, counter, out = ctx.Event(), ctx.Value("i", 0), ctx.Queue()
    procs = [
        ctx.Process(target=_rounds, args=(fleet, own_redis.url, go, counter, out)) for _ in range(3)
    ]
    for p in procs:
        p.start()
    go.set()
    import time

    deadline = time.monotonic() + 60
    while counter.value < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    own_redis.kill()
    at_kill = counter.value
    results = [out.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(30)
    assert at_kill < 36, "the processes finished before Redis was killed"
    alone = fleet.verifier()
    reference = {
        i: alone.verify(s, content=CONTENT).indication.value for i, s in enumerate(fleet.sigs)
    }
    for verdicts in results:
        assert len(verdicts) == 12 * SIGNERS
        assert all(v == reference[i] for i, v in verdicts)
        assert all(v != "PASSED" for i, v in verdicts if i < 2)


def test_verify_many_reads_its_input_a_window_at_a_time(fleet: Fleet) -> None:
    verifier = fleet.verifier()
    pulled = [0]

    def endless() -> Iterator[Any]:
        while True:
            pulled[0] += 1
            yield (fleet.sigs[pulled[0] % SIGNERS], CONTENT)

    got = verifier.verify_many(endless(), workers=2, chunk=2, window=3)
    first = [next(got) for _ in range(10)]
    assert len(first) == 10
    # At most twice the window of chunks is ever taken ahead of what was handed out.
    assert pulled[0] <= 10 + 2 * 3 * 2 + 2
    got.close()
