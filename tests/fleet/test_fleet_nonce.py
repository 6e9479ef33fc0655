"""RedisNonceStore: replay protection across instances, failing closed."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import threading
from typing import Any

import pytest
import redis

import bayident
from bayident import Indication, SubIndication
from bayident.fleet import NonceStoreUnavailable, RedisNonceStore
from bayident.schemes import scheme_evidence
from bayident.schemes.iamsmart import (
    EnvelopeErrorCode,
    IAmSmartEnvelopeError,
    NonceStore,
    sign_request,
    verify_request_signature,
)
from bayident.testing import MockClock, MockIAmSmart, sandbox_registry

NOW_MS = 1_772_355_600_000
SECRET = "sandbox-secret"


def _request(nonce: str = "n-1") -> tuple[dict[str, str], str]:
    body = '{"code":"D00000"}'
    return sign_request("svc", SECRET, body, timestamp_ms=NOW_MS, nonce=nonce), body


def _check(store: Any, headers: dict[str, str], body: str) -> Any:
    return verify_request_signature(
        headers, body, client_secret=SECRET, now_ms=NOW_MS, nonce_store=store
    )


def test_it_is_a_nonce_store(redis_url: str) -> None:
    assert isinstance(RedisNonceStore(redis_url), NonceStore)


def test_a_request_accepted_by_one_instance_is_refused_by_another(redis_url: str) -> None:
    headers, body = _request()
    one, two = RedisNonceStore(redis_url), RedisNonceStore(redis.Redis.from_url(redis_url))
    assert _check(one, headers, body).nonce == "n-1"
    with pytest.raises(IAmSmartEnvelopeError) as caught:
        _check(two, headers, body)
    assert caught.value.code is EnvelopeErrorCode.REPLAYED_NONCE
    # Another nonce is fine.
    assert _check(two, *_request("n-2")).nonce == "n-2"


def test_the_nonce_is_kept_until_the_window_closes(redis_url: str) -> None:
    store = RedisNonceStore(redis_url, prefix="t")
    assert store.add_if_absent("c\x00n", expires_at_ms=NOW_MS + 300_000, now_ms=NOW_MS)
    client = redis.Redis.from_url(redis_url)
    (key,) = client.keys("t:*")
    assert 299_000 < client.pttl(key) <= 300_001
    assert not store.add_if_absent("c\x00n", expires_at_ms=NOW_MS + 300_000, now_ms=NOW_MS)


def _race(url: str, start: Any, wins: Any) -> None:
    store = RedisNonceStore(url)
    start.wait()
    if store.add_if_absent("race\x00nonce", expires_at_ms=NOW_MS + 60_000, now_ms=NOW_MS):
        with wins.get_lock():
            wins.value += 1


def test_of_many_processes_exactly_one_records_a_nonce(redis_url: str) -> None:
    ctx = multiprocessing.get_context("fork")
    start = ctx.Event()
    wins = ctx.Value("i", 0)
    procs = [ctx.Process(target=_race, args=(redis_url, start, wins)) for _ in range(6)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(30)
    assert [p.exitcode for p in procs] == [0] * 6
    assert wins.value == 1


def test_threads_too(redis_url: str) -> None:
    store = RedisNonceStore(redis_url)
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def go() -> None:
        barrier.wait()
        results.append(store.add_if_absent("k", expires_at_ms=NOW_MS + 1000, now_ms=NOW_MS))

    threads = [threading.Thread(target=go) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]


def test_redis_down_refuses_the_request() -> None:
    headers, body = _request()
    store = RedisNonceStore("redis://127.0.0.1:1/0", timeout=0.2)
    with pytest.raises(NonceStoreUnavailable) as caught:
        _check(store, headers, body)
    assert isinstance(caught.value, IAmSmartEnvelopeError)
    assert caught.value.field == "nonce"
    assert "refused" in caught.value.message


def test_redis_killed_refuses_and_reconnects(own_redis: Any) -> None:
    store = RedisNonceStore(own_redis.url, timeout=0.3)
    assert _check(store, *_request("a")).nonce == "a"
    own_redis.kill()
    with pytest.raises(NonceStoreUnavailable):
        _check(store, *_request("b"))
    own_redis.start()  # same port; the client reconnects by itself
    assert _check(store, *_request("b")).nonce == "b"


def test_a_garbage_answer_refuses_the_request() -> None:
    class Liar(redis.Redis):
        def set(self, *args: Any, **kwargs: Any) -> Any:
            return b"OK?"

    store = RedisNonceStore(Liar(host="127.0.0.1", port=1))
    with pytest.raises(NonceStoreUnavailable):
        store.add_if_absent("k", expires_at_ms=NOW_MS + 1, now_ms=NOW_MS)


def test_bad_arguments() -> None:
    with pytest.raises(bayident.InvalidArgument):
        RedisNonceStore("memcached://x")
    with pytest.raises(bayident.InvalidArgument):
        RedisNonceStore("redis://127.0.0.1:1/0", prefix="")
    with pytest.raises(bayident.InvalidArgument):
        RedisNonceStore("redis://127.0.0.1:1/0", timeout=0)


def test_the_iamsmart_adapter_refuses_a_replay_across_instances(redis_url: str) -> None:
    at = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    iam = MockIAmSmart(clock=MockClock(at))
    user = iam.enrol("A123456(3)", "CHAN, Tai Man")
    headers, body = iam.profile_callback(user)
    evidence = scheme_evidence("iamsmart", "profile-callback", {"headers": headers, "body": body})
    verdicts = []
    # Two instances of the service: each its own adapter, one Redis.
    for _ in range(2):
        adapter = iam.adapter(nonce_store=RedisNonceStore(redis_url))
        registry = sandbox_registry(adapter, iam.hongkong_post.adapter())
        verdicts.append(bayident.verify(evidence, at=at, schemes=registry))
    assert verdicts[0].passed, verdicts[0].message
    assert verdicts[1].indication is Indication.INDETERMINATE
    assert "REPLAYED_NONCE" in verdicts[1].message


def test_the_iamsmart_adapter_fails_closed_without_redis() -> None:
    at = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    iam = MockIAmSmart(clock=MockClock(at))
    user = iam.enrol("A123456(3)", "CHAN, Tai Man")
    headers, body = iam.profile_callback(user)
    evidence = scheme_evidence("iamsmart", "profile-callback", {"headers": headers, "body": body})
    adapter = iam.adapter(nonce_store=RedisNonceStore("redis://127.0.0.1:1/0", timeout=0.2))
    registry = sandbox_registry(adapter, iam.hongkong_post.adapter())
    result = bayident.verify(evidence, at=at, schemes=registry)
    assert (result.indication, result.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.TRY_LATER,
    )
    assert "nonce could not be recorded" in result.message
