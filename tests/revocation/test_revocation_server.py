"""Revocation over real HTTP on 127.0.0.1, and what the command line shows of it."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

import bayident
from _revocation_kit import CONTENT, FAST, START, make_pki
from bayident.cli import main
from bayident.testing import RevocationServer


def test_ocsp_and_crl_over_http_sync_and_async() -> None:
    with RevocationServer() as server:
        rpki = make_pki(server)
        assert rpki.ocsp.url.startswith("http://127.0.0.1:")
        sig = rpki.signer.sign_detached_cms(CONTENT)
        verifier = bayident.Verifier(trust=[rpki.root.cert_pem], policy=FAST, clock=rpki.clock)
        result = verifier.verify(sig, content=CONTENT)
        assert result.passed, result.explain()
        assert [i.url for i in result.signers[0].revocation] == [rpki.ocsp.url, rpki.crl.url]
        other = rpki.new_signer("Async Signer")
        fresh = bayident.Verifier(trust=[rpki.root.cert_pem], policy=FAST, clock=rpki.clock)
        later = asyncio.run(fresh.averify(other.sign_detached_cms(CONTENT), content=CONTENT))
        assert later.passed, later.explain()
        assert (rpki.ocsp.requests, rpki.crl.requests) == (2, 2)


def test_revoked_over_http() -> None:
    with RevocationServer() as server:
        rpki = make_pki(server)
        rpki.ocsp.revoke(rpki.signer, at=START - dt.timedelta(days=1))
        verifier = bayident.Verifier(trust=[rpki.root.cert_pem], policy=FAST, clock=rpki.clock)
        result = verifier.verify(rpki.signer.sign_detached_cms(CONTENT), content=CONTENT)
        assert result.sub_indication is bayident.SubIndication.REVOKED_NO_POE
        assert rpki.ocsp.url in result.message


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, Path, Path, str]]:
    server = RevocationServer()
    server.__enter__()
    rpki = make_pki(server)
    sig = tmp_path / "form.p7s"
    sig.write_bytes(rpki.signer.sign_detached_cms(CONTENT))
    content = tmp_path / "form.txt"
    content.write_bytes(CONTENT)
    root = tmp_path / "root.pem"
    root.write_bytes(rpki.root.cert_pem)
    yield sig, content, root, rpki.ocsp.url
    server.__exit__(None, None, None)


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(args)
    return code, capsys.readouterr().out


def test_cli_shows_status_source_time_and_url(
    served: tuple[Path, Path, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    sig, content, root, url = served
    base = ["verify", str(sig), "--content", str(content), "--trust-anchor", str(root)]
    code, out = _cli([*base, "--at", START.isoformat()], capsys)
    assert code == 0, out
    # Lines are wrapped to the terminal: read the report as one text.
    flat = " ".join(out.split())
    line = flat.split("revocation: signer 0: CN=CHAN", 1)[1].split("revocation:", 1)[0]
    assert "good" in line
    assert "OCSP (fetched)" in line
    assert url in line
    assert "produced 2026-03-01T00:00:00Z" in line
    code, out = _cli([*base, "--at", START.isoformat(), "--json"], capsys)
    data = json.loads(out)
    leaf = data["signers"][0]["revocation"][0]
    assert (leaf["status"], leaf["source"], leaf["url"]) == ("good", "ocsp", url)
    assert leaf["produced_at"].startswith("2026-03-01T00:00:00")


def test_cli_revocation_off(
    served: tuple[Path, Path, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    sig, content, root, url = served
    args = ["verify", str(sig), "--content", str(content), "--trust-anchor", str(root)]
    code, out = _cli([*args, "--at", START.isoformat(), "--revocation", "off"], capsys)
    assert code == 0
    assert "not-checked" in out
    assert url not in out
    code, out = _cli([*args, "--revocation", "sometimes"], capsys)
    assert code == 64
