"""JWKS documents and trusted lists shared through a real Redis."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import redis

import bayident
from _trustlist_kit import NOW, operator
from bayident.fleet import FORMAT, SharedCache
from bayident.jose import JWKSResolver
from bayident.testing import ListRoute, MockJWTIssuer, mock_transport
from bayident.trustlist import ListSource, TrustListManager

KEY = b"fleet-sandbox-hmac-key-0123456789"


class Counting(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.requests = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        return self.inner.handle_request(request)


def _jwks_transport(doc: dict[str, Any]) -> Counting:
    body = json.dumps(doc).encode()
    return Counting(httpx.MockTransport(lambda request: httpx.Response(200, content=body)))


def _resolver(transport: Counting) -> JWKSResolver:
    return JWKSResolver("https://keys.example/jwks.json", client=httpx.Client(transport=transport))


def test_a_jwks_fetched_by_one_verifier_serves_another(redis_url: str) -> None:
    issuer = MockJWTIssuer()
    transport = _jwks_transport(issuer.jwks)
    cache = SharedCache(redis_url, key=KEY)
    one = bayident.Verifier(jwks=_resolver(transport), shared_cache=cache)
    two = bayident.Verifier(jwks=_resolver(transport), shared_cache=SharedCache(redis_url, key=KEY))
    assert one.jwks.lookup(issuer.kid).keys
    assert two.jwks.lookup(issuer.kid).keys
    assert transport.requests == 1
    assert two.jwks.fetch_count == 0


def test_an_unknown_kid_still_reaches_the_endpoint(redis_url: str) -> None:
    issuer = MockJWTIssuer()
    transport = _jwks_transport(issuer.jwks)
    verifier = bayident.Verifier(
        jwks=_resolver(transport), shared_cache=SharedCache(redis_url, key=KEY)
    )
    other = bayident.Verifier(
        jwks=_resolver(transport), shared_cache=SharedCache(redis_url, key=KEY)
    )
    assert verifier.jwks.lookup(issuer.kid).keys
    # The first look-up takes the fleet's copy (which lacks the kid); the next one, with
    # that same set in hand, asks the endpoint: rotation is not hidden by the cache.
    assert not other.jwks.lookup("rotated-kid").keys
    assert transport.requests == 1
    assert not other.jwks.lookup("rotated-kid").keys
    assert transport.requests == 2


def test_without_a_key_jwks_are_not_shared(redis_url: str) -> None:
    issuer = MockJWTIssuer()
    transport = _jwks_transport(issuer.jwks)
    for _ in range(2):
        assert (
            bayident.Verifier(jwks=_resolver(transport), shared_cache=redis_url)
            .jwks.lookup(issuer.kid)
            .keys
        )
    assert transport.requests == 2


def test_a_planted_jwks_is_not_used(redis_url: str) -> None:
    issuer, attacker = MockJWTIssuer(), MockJWTIssuer()
    transport = _jwks_transport(issuer.jwks)
    resolver = _resolver(transport)
    # Written with another key than the fleet's: its tag does not verify.
    planted = SharedCache(redis_url, key=b"attacker-key-0123456789abcdef")
    import hashlib
    import time

    ident = hashlib.sha256(resolver.url.encode()).hexdigest()
    planted.write("jwks", ident, {"at": time.time()}, json.dumps(attacker.jwks).encode(), 600)
    verifier = bayident.Verifier(jwks=resolver, shared_cache=SharedCache(redis_url, key=KEY))
    assert not verifier.jwks.lookup(attacker.kid).keys
    assert verifier.jwks.lookup(issuer.kid).keys
    assert transport.requests == 1


# --- trusted lists ------------------------------------------------------------------------------
def _manager(routes: dict[str, ListRoute], transport_box: list[Counting]) -> TrustListManager:
    transport = Counting(mock_transport(routes))
    transport_box.append(transport)
    return TrustListManager(
        [ListSource("https://lists.example/hk.xml", signers=(operator("HK").signer_certificate,))],
        client=httpx.Client(transport=transport),
        clock=lambda: NOW,
    )


def test_a_list_downloaded_by_one_process_serves_the_others(redis_url: str) -> None:
    routes = {"/hk.xml": ListRoute(operator("HK").etsi_xml(sequence=8))}
    transports: list[Counting] = []
    first = _manager(routes, transports)
    bayident.Verifier(trust=first, shared_cache=redis_url)
    assert first.refresh().ok
    second = _manager(routes, transports)
    bayident.Verifier(trust=second, shared_cache=redis_url)
    report = second.refresh()
    assert report.ok
    assert report.lists[0].sequence_number == 8
    assert [t.requests for t in transports] == [1, 0]
    assert len(second.store) == len(first.store) > 0


def test_rollback_is_refused_fleet_wide(redis_url: str, tmp_path: Path) -> None:
    op = operator("HK")
    transports: list[Counting] = []
    first = _manager({"/hk.xml": ListRoute(op.etsi_xml(sequence=8))}, transports)
    bayident.Verifier(trust=first, shared_cache=redis_url)
    assert first.refresh().ok
    # Another machine is served an older list (a rollback), after the shared copy expired.
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"bayident:v{FORMAT}:tl-doc:*"):
        client.delete(key)
    second = _manager({"/hk.xml": ListRoute(op.etsi_xml(sequence=7))}, transports)
    bayident.Verifier(trust=second, shared_cache=redis_url)
    report = second.refresh()
    assert not report.ok
    assert any(
        "rollback refused: TSLSequenceNumber 7 is lower than 8" in w for w in report.warnings
    )
    assert len(second.store) == 0
    # Alone, that machine would have taken it.
    alone = _manager({"/hk.xml": ListRoute(op.etsi_xml(sequence=7))}, transports)
    assert alone.refresh().ok


def test_a_planted_list_is_checked_like_a_download(redis_url: str) -> None:
    stranger = operator("MO")  # a list signed by someone not trusted for this source
    cache = SharedCache(redis_url)
    import hashlib

    ident = hashlib.sha256(b"https://lists.example/hk.xml").hexdigest()
    cache.write(
        "tl-doc",
        ident,
        {"url": "https://lists.example/hk.xml", "type": "application/xml"},
        stranger.etsi_xml(sequence=99),
        600,
    )
    transports: list[Counting] = []
    manager = _manager({"/hk.xml": ListRoute(operator("HK").etsi_xml(sequence=8))}, transports)
    bayident.Verifier(trust=manager, shared_cache=cache)
    report = manager.refresh()
    assert not report.ok
    assert len(manager.store) == 0
    assert "not among" in report.lists[0].reason


def test_redis_down_lists_still_refresh() -> None:
    transports: list[Counting] = []
    manager = _manager({"/hk.xml": ListRoute(operator("HK").etsi_xml(sequence=8))}, transports)
    bayident.Verifier(trust=manager, shared_cache=SharedCache("redis://127.0.0.1:1/0", timeout=0.2))
    assert manager.refresh().ok
    assert transports[0].requests == 1


def test_the_asynchronous_paths_share_too(redis_url: str) -> None:
    import asyncio

    issuer = MockJWTIssuer()
    body = json.dumps(issuer.jwks).encode()
    asked = [0]

    async def handler(request: httpx.Request) -> httpx.Response:
        asked[0] += 1
        return httpx.Response(200, content=body)

    def resolver() -> JWKSResolver:
        client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        return JWKSResolver("https://keys.example/jwks.json", async_client=client)

    routes = {"/hk.xml": ListRoute(operator("HK").etsi_xml(sequence=8))}

    def manager() -> TrustListManager:
        return TrustListManager(
            [
                ListSource(
                    "https://lists.example/hk.xml", signers=(operator("HK").signer_certificate,)
                )
            ],
            async_client=httpx.AsyncClient(transport=mock_transport(routes)),
            clock=lambda: NOW,
        )

    async def main() -> None:
        for _ in range(2):
            cache = SharedCache(redis_url, key=KEY)
            v = bayident.Verifier(jwks=resolver(), trust=manager(), shared_cache=cache)
            assert (await v.jwks.alookup(issuer.kid)).keys
            assert (await v._trust_source.arefresh()).ok  # type: ignore[union-attr]

    asyncio.run(main())
    assert asked[0] == 1
    assert routes["/hk.xml"].hits == 1
