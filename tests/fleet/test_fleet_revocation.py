"""OCSP responses and CRLs shared through a real Redis: one fetch per answer, no poisoning."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from typing import Any

import pytest
import redis
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp

import bayident
from _revocation_kit import CONTENT, make_pki
from bayident import Indication
from bayident.fleet import FORMAT, SharedCache
from bayident.fleet._revocation import _crl_ident


def _ocsp_key(pki) -> str:
    """The Redis key of the signer's OCSP answer, as the shared cache names it."""
    issuer = pki.intermediate.certificate
    spki = issuer.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    from asn1crypto import keys

    key_hash = keys.PublicKeyInfo.load(spki).sha1.hex()  # the OCSP issuer key hash
    serial = pki.signer.certificate.serial_number
    return f"bayident:v{FORMAT}:ocsp:{key_hash}:{serial:x}"


def test_two_verifiers_share_one_ocsp_answer_and_one_crl(redis_url: str) -> None:
    pki = make_pki()
    sig = pki.signer.sign_detached_cms(CONTENT)
    first = pki.verifier(shared_cache=redis_url)
    assert first.verify(sig, content=CONTENT).passed
    assert pki.ocsp.requests == 1
    crl_requests = pki.crl.requests
    assert crl_requests >= 1
    # Another process would start with empty local caches: so does a new verifier.
    second = pki.verifier(shared_cache=redis_url)
    result = second.verify(sig, content=CONTENT)
    assert result.passed, result.message
    assert pki.ocsp.requests == 1
    assert pki.crl.requests == crl_requests
    assert second.shared_cache is not None
    assert second.shared_cache.stats()["hits"] >= 2
    # What is stored is the responder's signed DER, under a versioned key.
    raw = redis.Redis.from_url(redis_url).get(_ocsp_key(pki))
    assert raw is not None
    assert raw.startswith(b"BIF1")


def test_without_shared_cache_each_verifier_asks(redis_url: str) -> None:
    pki = make_pki()
    sig = pki.signer.sign_detached_cms(CONTENT)
    for _ in range(2):
        assert pki.verifier().verify(sig, content=CONTENT).passed
    assert pki.ocsp.requests == 2


def test_a_revoked_certificate_is_reported_from_the_shared_answer(redis_url: str) -> None:
    pki = make_pki()
    sig = pki.signer.sign_detached_cms(CONTENT)
    pki.ocsp.revoke(pki.signer, at=pki.clock() - dt.timedelta(minutes=5))
    alone = pki.verifier(shared_cache=redis_url).verify(sig, content=CONTENT)
    assert alone.indication is Indication.INDETERMINATE or alone.indication is Indication.FAILED
    second = pki.verifier(shared_cache=redis_url)
    result = second.verify(sig, content=CONTENT)
    # The same verdict for the same reason, from the answer the first one fetched.
    assert (result.indication, result.sub_indication) == (alone.indication, alone.sub_indication)
    assert pki.ocsp.requests == 1
    assert second.shared_cache is not None
    assert second.shared_cache.stats()["hits"] >= 1


def _forged_good(pki) -> bytes:
    """A "good" OCSP response about the signer with the right CertID, signed by a stranger."""
    stranger_key = ec.generate_private_key(ec.SECP256R1())
    stranger = bayident.testing.MockCA("Revocation Sandbox Issuing CA", key_type="ec")
    now = pki.clock()
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response(
            cert=pki.signer.certificate,
            issuer=pki.intermediate.certificate,
            algorithm=hashes.SHA1(),
            cert_status=ocsp.OCSPCertStatus.GOOD,
            this_update=now - dt.timedelta(minutes=1),
            next_update=now + dt.timedelta(hours=1),
            revocation_time=None,
            revocation_reason=None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, stranger.certificate)
    )
    del stranger_key
    return builder.sign(stranger.private_key, hashes.SHA256()).public_bytes(
        serialization.Encoding.DER
    )


@pytest.mark.parametrize("sealed", [True, False], ids=["well-sealed", "raw"])
def test_a_poisoned_answer_cannot_make_a_revoked_certificate_pass(
    redis_url: str, sealed: bool
) -> None:
    pki = make_pki()
    sig = pki.signer.sign_detached_cms(CONTENT)
    pki.ocsp.revoke(pki.signer, at=pki.clock() - dt.timedelta(minutes=5))
    forged = _forged_good(pki)
    cache = SharedCache(redis_url)
    ident = _ocsp_key(pki).split(":ocsp:", 1)[1]
    # The attacker can write to Redis: a correctly enveloped value, or raw bytes.
    value = cache.seal("ocsp", ident, {"url": pki.ocsp.url}, forged) if sealed else forged
    redis.Redis.from_url(redis_url).set(_ocsp_key(pki), value, px=3_600_000)
    result = pki.verifier(shared_cache=cache).verify(sig, content=CONTENT)
    assert not result.passed
    # Refused on read (its signature is not the issuer's), so the genuine answer was
    # fetched and the verdict is the one a verifier without Redis gives.
    alone = pki.verifier().verify(sig, content=CONTENT)
    assert (result.indication, result.sub_indication) == (alone.indication, alone.sub_indication)
    assert cache.stats()["refused"] >= 1
    assert pki.ocsp.requests == 2  # ours after the refusal, and the reference run's


def test_answers_of_a_delegated_responder_are_shared(redis_url: str) -> None:
    pki = make_pki(delegated=True)
    sig = pki.signer.sign_detached_cms(CONTENT)
    assert pki.verifier(shared_cache=redis_url).verify(sig, content=CONTENT).passed
    cache = SharedCache(redis_url)
    result = pki.verifier(shared_cache=cache).verify(sig, content=CONTENT)
    assert result.passed, result.message
    assert pki.ocsp.requests == 1
    assert cache.stats()["refused"] == 0


def test_a_poisoned_good_answer_for_another_certificate_is_refused(redis_url: str) -> None:
    pki = make_pki()
    other = pki.new_signer("LEE Siu Ming (revocation sandbox)")
    sig = pki.signer.sign_detached_cms(CONTENT)
    pki.ocsp.revoke(pki.signer, at=pki.clock() - dt.timedelta(minutes=5))
    genuine_other = pki.ocsp.response_for(other)  # good, properly signed, another serial
    cache = SharedCache(redis_url)
    ident = _ocsp_key(pki).split(":ocsp:", 1)[1]
    redis.Redis.from_url(redis_url).set(
        _ocsp_key(pki), cache.seal("ocsp", ident, {"url": pki.ocsp.url}, genuine_other)
    )
    verifier = pki.verifier(shared_cache=cache)
    result = verifier.verify(sig, content=CONTENT)
    assert not result.passed
    # It was refused on read and the real answer fetched instead.
    assert pki.ocsp.requests == 1
    assert cache.stats()["refused"] >= 1


def test_garbage_in_redis_is_a_miss(redis_url: str) -> None:
    pki = make_pki()
    sig = pki.signer.sign_detached_cms(CONTENT)
    client = redis.Redis.from_url(redis_url)
    client.set(_ocsp_key(pki), b"BIF1" + b"\x00" * 40)
    for url in {pki.crl.url}:
        client.set(f"bayident:v{FORMAT}:crl:{_crl_ident(url)}", b"\xff" * 10)
    result = pki.verifier(shared_cache=redis_url).verify(sig, content=CONTENT)
    assert result.passed, result.message
    assert pki.ocsp.requests == 1


def test_values_of_another_format_version_are_not_read(redis_url: str) -> None:
    pki = make_pki()
    sig = pki.signer.sign_detached_cms(CONTENT)
    assert pki.verifier(shared_cache=redis_url).verify(sig, content=CONTENT).passed
    client = redis.Redis.from_url(redis_url)
    # A future version's key space beside ours: neither side reads the other's values.
    for key in list(client.scan_iter("bayident:v*")):
        client.rename(key, key.replace(f":v{FORMAT}:".encode(), f":v{FORMAT + 1}:".encode()))
    assert pki.verifier(shared_cache=redis_url).verify(sig, content=CONTENT).passed
    assert pki.ocsp.requests == 2


def test_redis_down_falls_back_to_the_network() -> None:
    pki = make_pki()
    sig = pki.signer.sign_detached_cms(CONTENT)
    cache = SharedCache("redis://127.0.0.1:1/0", timeout=0.2)
    verifier = pki.verifier(shared_cache=cache)
    assert verifier.verify(sig, content=CONTENT).passed
    assert verifier.verify(sig, content=CONTENT).passed
    assert pki.ocsp.requests == 1  # the local cache still works
    assert not cache.backend.available


def test_redis_down_with_revoked_certificate_still_fails() -> None:
    pki = make_pki()
    sig = pki.signer.sign_detached_cms(CONTENT)
    pki.ocsp.revoke(pki.signer, at=pki.clock() - dt.timedelta(minutes=5))
    verifier = pki.verifier(shared_cache=SharedCache("redis://127.0.0.1:1/0", timeout=0.2))
    assert not verifier.verify(sig, content=CONTENT).passed


def test_concurrent_threads_of_two_verifiers_fetch_once(redis_url: str) -> None:
    pki = make_pki()
    sig = pki.signer.sign_detached_cms(CONTENT)
    verifiers = [pki.verifier(shared_cache=redis_url) for _ in range(4)]
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def run(v: bayident.Verifier) -> None:
        barrier.wait()
        results.append(v.verify(sig, content=CONTENT).passed)

    threads = [threading.Thread(target=run, args=(v,)) for v in verifiers for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 8
    assert pki.ocsp.requests == 1


def test_averify_shares_through_redis(redis_url: str) -> None:
    pki = make_pki()
    sig = pki.signer.sign_detached_cms(CONTENT)

    async def main() -> list[bool]:
        verifiers = [pki.verifier(shared_cache=redis_url) for _ in range(3)]
        results = await asyncio.gather(
            *(v.averify(sig, content=CONTENT) for v in verifiers for _ in range(3))
        )
        return [r.passed for r in results]

    assert asyncio.run(main()) == [True] * 9
    assert pki.ocsp.requests == 1


def test_a_failed_fetch_is_told_to_the_waiters(redis_url: str) -> None:
    pki = make_pki()
    sig = pki.signer.sign_detached_cms(CONTENT)
    pki.ocsp.fault = "http-error"
    first = pki.verifier(shared_cache=redis_url).verify(sig, content=CONTENT)
    assert not first.passed
    asked = pki.ocsp.requests
    second = pki.verifier(shared_cache=redis_url).verify(sig, content=CONTENT)
    assert not second.passed
    assert pki.ocsp.requests == asked  # the failure was shared for a few seconds
    assert "another verifier of the fleet" in second.message or any(
        "another verifier of the fleet" in (c.message or "") for c in second.checks
    )


def test_shared_cache_accepts_a_client_and_refuses_other_values(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    assert isinstance(SharedCache.coerce(client), SharedCache)
    with pytest.raises(bayident.InvalidArgument):
        SharedCache("http://127.0.0.1:6379")
    with pytest.raises(bayident.InvalidArgument):
        SharedCache(42)
    with pytest.raises(bayident.InvalidArgument):
        SharedCache(client, key=b"short")


def test_rediss_url_makes_a_tls_client() -> None:
    cache = SharedCache("rediss://127.0.0.1:1/0", timeout=0.1)
    pool = cache.backend.client.connection_pool  # type: ignore[attr-defined]
    assert "SSL" in pool.connection_class.__name__


_ = x509  # the certificate types come with the PKI


def test_the_signature_check_on_read() -> None:
    from bayident.fleet._ocsp_check import signed_by_issuer
    from bayident.testing import MockOCSPResponder

    pki = make_pki()

    def spki(ca: bayident.testing.MockCA) -> bytes:
        return ca.certificate.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    by_root = MockOCSPResponder(pki.root).response_for(pki.intermediate)  # RSA, PKCS#1 v1.5
    assert signed_by_issuer(by_root, spki(pki.root)) is True
    assert signed_by_issuer(by_root, spki(pki.intermediate)) is False
    by_issuer = pki.ocsp.response_for(pki.signer)  # EC
    assert signed_by_issuer(by_issuer, spki(pki.intermediate)) is True
    assert signed_by_issuer(_forged_good(pki), spki(pki.intermediate)) is False
    delegated = MockOCSPResponder(pki.intermediate, delegated=True).response_for(pki.signer)
    assert signed_by_issuer(delegated, spki(pki.intermediate)) is True
    assert signed_by_issuer(delegated, spki(pki.root)) is False
    assert signed_by_issuer(b"\x30\x03\x0a\x01\x01", spki(pki.root)) is False  # malformedRequest
    assert signed_by_issuer(b"garbage", spki(pki.root)) is None


def test_a_planted_crl_cannot_make_a_revoked_intermediate_pass(redis_url: str) -> None:
    pki = make_pki()
    sig = pki.signer.sign_detached_cms(CONTENT)
    # An empty CRL in the root's name, signed with another key; then the intermediate
    # is revoked.
    planted = pki.crl.crl(key=ec.generate_private_key(ec.SECP256R1()))
    pki.crl.revoke(pki.intermediate, at=pki.clock() - dt.timedelta(minutes=5))
    cache = SharedCache(redis_url)
    ident = _crl_ident(pki.crl.url)
    cache.write("crl", ident, {"url": pki.crl.url}, planted, 3600)
    first = pki.verifier(shared_cache=cache).verify(sig, content=CONTENT)
    assert not first.passed
    # The planted CRL was dropped: the next verification fetches the genuine one.
    stored = redis.Redis.from_url(redis_url).get(cache.name("crl", ident))
    assert stored is None or cache.open("crl", ident, stored).payload != planted  # type: ignore[union-attr]
    second = pki.verifier(shared_cache=SharedCache(redis_url)).verify(sig, content=CONTENT)
    alone = pki.verifier().verify(sig, content=CONTENT)
    assert not second.passed
    assert (second.indication, second.sub_indication) == (alone.indication, alone.sub_indication)


def test_a_redis_that_never_answers_costs_one_timeout(redis_url: str) -> None:
    import socket

    from bayident.fleet import NonceStoreUnavailable, RedisNonceStore

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # accepts connections, never answers: a hung Redis
    try:
        url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        pki = make_pki()
        sig = pki.signer.sign_detached_cms(CONTENT)
        other = pki.new_signer("WONG Siu Fong (revocation sandbox)").sign_detached_cms(CONTENT)
        cache = SharedCache(url, timeout=0.2, retry_after=60)
        verifier = pki.verifier(shared_cache=cache)
        assert verifier.verify(sig, content=CONTENT).passed
        assert verifier.verify(other, content=CONTENT).passed
        # One command timed out; after it Redis was left alone rather than waited on again.
        assert cache.backend.errors == 1  # type: ignore[attr-defined]
        assert "Timeout" in (cache.backend.last_error or "")  # type: ignore[attr-defined]
        with pytest.raises(NonceStoreUnavailable):
            RedisNonceStore(url, timeout=0.2).add_if_absent("k", expires_at_ms=2, now_ms=1)
    finally:
        silent.close()


def test_the_shared_cache_reconnects_after_a_restart(own_redis: Any) -> None:
    import time

    pki = make_pki()
    signers = [pki.new_signer(f"Signer {i} (revocation sandbox)") for i in range(3)]
    sigs = [s.sign_detached_cms(CONTENT) for s in signers]
    cache = SharedCache(own_redis.url, timeout=0.3, retry_after=0.2)
    verifier = pki.verifier(shared_cache=cache)
    assert verifier.verify(sigs[0], content=CONTENT).passed
    assert cache.stats()["writes"] == 2  # the OCSP answer and the CRL
    own_redis.kill()
    assert verifier.verify(sigs[1], content=CONTENT).passed  # from the network
    own_redis.start()
    time.sleep(0.3)  # past retry_after: the next command tries Redis again
    assert verifier.verify(sigs[2], content=CONTENT).passed
    assert cache.backend.available
    assert cache.stats()["writes"] == 3
