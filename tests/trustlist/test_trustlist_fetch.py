"""Fetching lists: a real server on 127.0.0.1 and httpx.MockTransport; cache; the manager."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import httpx
import pytest

from _trustlist_kit import NOW, lotl_operator, operator
from bayident.testing import ListRoute, TrustListServer, mock_transport
from bayident.trustlist import (
    FetchProgress,
    ListCache,
    ListSource,
    TrustListFetcher,
    TrustListManager,
)


@pytest.fixture(scope="module")
def hk_xml() -> bytes:
    return operator("HK").etsi_xml(sequence=5)


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    with TrustListServer() as s:
        yield s


# --- the fetcher against a real server ---------------------------------------------------


def test_200_then_304_with_conditional_get(
    server: TrustListServer, hk_xml: bytes, tmp_path: Path
) -> None:
    server.serve("/hk.xml", hk_xml)
    cache = ListCache(tmp_path)
    events: list[FetchProgress] = []
    f = TrustListFetcher(cache=cache, progress=events.append, timeout=5)
    first = f.fetch(server.url("/hk.xml"))
    assert first.status == "fetched"
    assert first.data == hk_xml
    assert first.etag
    assert events
    assert events[-1].done
    assert events[-1].received == len(hk_xml)
    cache.put(first.url, hk_xml, etag=first.etag, last_modified=first.last_modified)
    second = f.fetch(server.url("/hk.xml"))
    assert second.status == "not-modified"
    assert second.data == hk_xml
    _, headers = server.requests[-1]
    assert headers["if-none-match"] == first.etag
    assert headers["if-modified-since"] == first.last_modified


@pytest.mark.parametrize(
    ("route", "words"),
    [
        ({"status": 500}, "HTTP 500"),
        ({"content_type": "text/html"}, "unexpected content type 'text/html'"),
        ({"truncate_at": 100}, "truncated"),
        ({"delay": 2.0}, "timed out"),
    ],
)
def test_failures_from_a_real_server(
    server: TrustListServer, hk_xml: bytes, route: dict[str, Any], words: str
) -> None:
    server.serve("/hk.xml", hk_xml, **route)
    result = TrustListFetcher(timeout=0.5).fetch(server.url("/hk.xml"))
    assert result.status == "failed"
    assert result.data is None
    assert words in (result.error or ""), result.error


def test_404_and_oversized(server: TrustListServer, hk_xml: bytes) -> None:
    assert "HTTP 404" in (TrustListFetcher(timeout=5).fetch(server.url("/none")).error or "")
    server.serve("/big.xml", hk_xml)
    big = TrustListFetcher(timeout=5, max_bytes=1000).fetch(server.url("/big.xml"))
    assert big.status == "failed"
    assert "over the limit of 1000" in (big.error or "")


def test_only_http_urls() -> None:
    from bayident import InvalidArgument

    with pytest.raises(InvalidArgument):
        TrustListFetcher().fetch("file:///etc/passwd")


# --- the same through httpx.MockTransport, sync and async --------------------------------


@pytest.mark.parametrize(
    ("route", "status", "words"),
    [
        ({}, "fetched", None),
        ({"status": 500}, "failed", "HTTP 500"),
        ({"content_type": "text/html"}, "failed", "content type"),
        ({"truncate_at": 50}, "failed", "truncated"),
        ({"delay": 1.0}, "failed", "timed out"),
    ],
)
async def test_mock_transport_sync_and_async(
    hk_xml: bytes, route: dict[str, Any], status: str, words: str | None
) -> None:
    routes = {"/hk.xml": ListRoute(hk_xml, **route)}
    transport = mock_transport(routes)
    with httpx.Client(transport=transport) as c:
        r1 = TrustListFetcher(client=c).fetch("https://lists.example/hk.xml")
    async with httpx.AsyncClient(transport=transport) as ac:
        r2 = await TrustListFetcher(async_client=ac).afetch("https://lists.example/hk.xml")
    for r in (r1, r2):
        assert r.status == status
        if words:
            assert words in (r.error or "")


# --- the cache -------------------------------------------------------------------------------


def test_cache_writes_are_atomic_and_checked(tmp_path: Path) -> None:
    cache = ListCache(tmp_path)
    cache.put("https://x.example/a.xml", b"<list/>", etag='"1"')
    entry = cache.get("https://x.example/a.xml")
    assert entry is not None
    assert entry.data == b"<list/>"
    assert entry.etag == '"1"'
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    body = next(tmp_path.glob("*.entry"))  # one file holds the list and its validators
    body.write_bytes(body.read_bytes().replace(b"<list/>", b"<tampered/>"))
    assert cache.get("https://x.example/a.xml") is None  # digest no longer matches
    assert cache.get("https://x.example/other.xml") is None


# --- the manager ----------------------------------------------------------------------------


def manager_for(routes, tmp_path: Path, **kw):  # type: ignore[no-untyped-def]
    clock_now = kw.pop("now", NOW)
    client = httpx.Client(transport=mock_transport(routes))
    return TrustListManager(
        kw.pop(
            "sources",
            [
                ListSource(
                    "https://lists.example/hk.xml", signers=(operator("HK").signer_certificate,)
                )
            ],
        ),
        cache_dir=tmp_path,
        client=client,
        clock=lambda: clock_now,
        **kw,
    )


def test_refresh_then_not_modified(tmp_path: Path, hk_xml: bytes) -> None:
    routes = {"/hk.xml": ListRoute(hk_xml)}
    m = manager_for(routes, tmp_path)
    r1 = m.refresh()
    assert r1.ok
    assert r1.lists[0].origin == "network"
    assert r1.lists[0].sequence_number == 5
    assert len(m.store) == 1
    assert next(iter(m.store)).jurisdiction == "HK"
    r2 = m.refresh()
    assert r2.ok
    assert r2.lists[0].origin == "not-modified"


def test_a_failed_refresh_falls_back_to_the_last_good_list(tmp_path: Path, hk_xml: bytes) -> None:
    routes = {"/hk.xml": ListRoute(hk_xml)}
    m = manager_for(routes, tmp_path)
    assert m.refresh().ok
    routes["/hk.xml"] = ListRoute(hk_xml, status=500)
    r = m.refresh()
    assert not r.ok
    assert r.lists[0].accepted
    assert r.lists[0].origin == "fallback"
    assert any("HTTP 500" in w and "using the copy accepted" in w for w in r.warnings)
    assert len(m.store) == 1


def test_a_new_manager_falls_back_to_the_cache(tmp_path: Path, hk_xml: bytes) -> None:
    routes = {"/hk.xml": ListRoute(hk_xml)}
    assert manager_for(routes, tmp_path).refresh().ok
    routes["/hk.xml"] = ListRoute(hk_xml, delay=1.0)
    r = manager_for(routes, tmp_path).refresh()
    assert r.lists[0].origin == "fallback"
    assert "cached copy" in r.warnings[0]


def test_beyond_the_grace_period_there_is_no_fallback(tmp_path: Path, hk_xml: bytes) -> None:
    routes = {"/hk.xml": ListRoute(hk_xml)}
    assert manager_for(routes, tmp_path).refresh().ok
    routes["/hk.xml"] = ListRoute(hk_xml, status=503)
    late = manager_for(routes, tmp_path, now=NOW + dt.timedelta(days=400))
    r = late.refresh()
    assert not r.lists[0].accepted
    assert len(late.store) == 0
    assert "not usable either" in r.lists[0].reason


def test_rollback_is_refused_across_restarts(tmp_path: Path) -> None:
    op = operator("HK")
    routes = {"/hk.xml": ListRoute(op.etsi_xml(sequence=8))}
    assert manager_for(routes, tmp_path).refresh().ok
    routes["/hk.xml"] = ListRoute(op.etsi_xml(sequence=7))
    r = manager_for(routes, tmp_path).refresh()
    assert any("rollback refused: TSLSequenceNumber 7 is lower than 8" in w for w in r.warnings)
    assert r.lists[0].origin == "fallback"
    assert r.lists[0].sequence_number == 8


def test_an_untrusted_signer_is_refused(tmp_path: Path, hk_xml: bytes) -> None:
    routes = {"/hk.xml": ListRoute(hk_xml)}
    m = manager_for(
        routes,
        tmp_path,
        sources=[
            ListSource("https://lists.example/hk.xml", signers=(operator("MO").signer_certificate,))
        ],
    )
    r = m.refresh()
    assert not r.lists[0].accepted
    assert "not among the 1 trusted signer" in r.lists[0].reason
    assert len(m.store) == 0


def test_a_list_of_lists_leads_to_the_regional_lists(tmp_path: Path) -> None:
    lotl_op, hk, mo, gd = lotl_operator(), operator("HK"), operator("MO"), operator("CN-GD")
    base = "https://lists.example"
    lotl = lotl_op.trusted_list(
        list_of_lists=True,
        services=[],
        pointers=[
            hk.pointer_to(f"{base}/hk.xml"),
            mo.pointer_to(f"{base}/mo.xml"),
            gd.pointer_to(f"{base}/gd.xml"),
            hk.pointer_to(f"{base}/hk.pdf", mime_type="application/pdf"),
        ],
    )
    routes = {
        "/lotl.xml": ListRoute(lotl_op.etsi_xml(lotl)),
        "/hk.xml": ListRoute(hk.etsi_xml()),
        "/mo.xml": ListRoute(mo.json_jws().encode(), content_type="application/jose"),
        "/gd.xml": ListRoute(mo.etsi_xml()),  # signed by the wrong operator
    }
    m = manager_for(
        routes,
        tmp_path,
        sources=[ListSource(f"{base}/lotl.xml", signers=(lotl_op.signer_certificate,))],
    )
    r = m.refresh()
    by_url = {o.url: o for o in r.lists}
    assert by_url[f"{base}/lotl.xml"].accepted
    assert by_url[f"{base}/hk.xml"].accepted
    assert by_url[f"{base}/mo.xml"].accepted
    assert not by_url[f"{base}/gd.xml"].accepted
    assert f"{base}/hk.pdf" not in by_url
    assert sorted(a.jurisdiction for a in m.store) == ["HK", "MO"]


def test_a_json_list_pinned_by_key(tmp_path: Path) -> None:
    mo = operator("MO")
    routes = {
        "/mo.jws": ListRoute(mo.json_jws(x5c=False).encode(), content_type="application/jose")
    }
    key = mo.signer_certificate.public_key()
    m = manager_for(
        routes, tmp_path, sources=[ListSource("https://lists.example/mo.jws", signers=(key,))]
    )
    r = m.refresh()
    assert r.ok, r.lists
    assert next(iter(m.store)).jurisdiction == "MO"


def test_progress_events_reach_the_callback(tmp_path: Path, hk_xml: bytes) -> None:
    events: list[FetchProgress] = []
    m = manager_for({"/hk.xml": ListRoute(hk_xml)}, tmp_path, progress=events.append)
    m.refresh()
    assert events[-1].done
    assert events[-1].total == len(hk_xml)


async def test_async_refresh_and_background_task(tmp_path: Path, hk_xml: bytes) -> None:
    routes = {"/hk.xml": ListRoute(hk_xml)}
    async with httpx.AsyncClient(transport=mock_transport(routes)) as ac:
        m = TrustListManager(
            [
                ListSource(
                    "https://lists.example/hk.xml", signers=(operator("HK").signer_certificate,)
                )
            ],
            cache_dir=tmp_path,
            async_client=ac,
            clock=lambda: NOW,
        )
        r = await m.arefresh()
        assert r.ok
        assert len(m.store) == 1
        task = m.start_background_refresh(0.01)
        for _ in range(500):
            if routes["/hk.xml"].hits >= 4:
                break
            await asyncio.sleep(0.01)
        assert routes["/hk.xml"].hits >= 4
        from bayident import InvalidArgument

        with pytest.raises(InvalidArgument):
            m.start_background_refresh(1)
        await m.aclose()
        assert task.done()


async def test_the_background_task_survives_errors(tmp_path: Path) -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("transport exploded")

    async with httpx.AsyncClient(transport=httpx.MockTransport(broken)) as ac:
        m = TrustListManager([ListSource("https://lists.example/x.xml")], async_client=ac)
        m.start_background_refresh(0.01)
        for _ in range(500):
            if m.last_error:
                break
            await asyncio.sleep(0.01)
        assert m.last_error is not None
        assert "transport exploded" in m.last_error
        await m.aclose()
