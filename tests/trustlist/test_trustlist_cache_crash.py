"""The list cache survives kill -9 at any moment: the old or the new entry, whole, every time.

A real child process writes two versions of one list in turn and is killed
with SIGKILL after a varying number of completed writes and a varying short
pause (so kills land before, inside and between writes); after each kill the
cache is opened again as a restarted process would. No timing is asserted:
only what is on disk.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from _cache_writer import URL, payload
from bayident.trustlist import ListCache

KILLS = int(os.environ.get("BAYIDENT_CRASH_KILLS", "40"))

pytestmark = pytest.mark.skipif(
    not hasattr(os, "fork") or sys.platform == "win32", reason="needs fork and SIGKILL"
)


def test_kill_9_at_any_moment_leaves_a_whole_entry(tmp_path: Path) -> None:
    rng = random.Random(17)
    versions = {"A": payload("A"), "B": payload("B")}
    child = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).resolve().parents[1] / "_cache_writer.py"),
            str(tmp_path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    assert child.stdin is not None
    assert child.stdout is not None
    completed = 0
    torn_writes = 0
    seen: set[str] = set()
    try:
        for i in range(KILLS):
            child.stdin.write("go\n")
            child.stdin.flush()
            # The first kill waits for one write so that there is an old entry to lose.
            wanted = max(1, rng.randint(0, 3)) if i == 0 else rng.randint(0, 3)
            pid, puts = None, 0
            while pid is None or puts < wanted:
                line = child.stdout.readline()
                assert line, "the writer process ended early"
                if line.startswith("pid "):
                    pid = int(line.split()[1])
                elif line.startswith("put "):
                    puts += 1
            time.sleep(rng.random() * 0.004)  # vary where in a write the kill lands
            os.kill(pid, signal.SIGKILL)
            while True:
                line = child.stdout.readline()
                assert line, "the writer process ended early"
                if line.startswith("put "):
                    puts += 1
                elif line.strip() == "dead":
                    break
            completed += puts
            torn_writes += any(p.suffix == ".tmp" for p in tmp_path.iterdir())
            entry = ListCache(tmp_path).get(URL)  # a restart: also removes dead writers' files
            assert entry is not None, f"kill {i + 1}: the entry was lost"
            assert entry.etag in ('"A"', '"B"')
            assert entry.data == versions[entry.etag.strip('"')], f"kill {i + 1}: torn entry"
            seen.add(entry.etag)
            assert not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]
    finally:
        child.stdin.close()
        child.wait(timeout=30)
    assert completed >= KILLS // 4
    print(f"\n{KILLS} kills, {completed} writes completed, {torn_writes} kills inside a write")


def test_kill_9_during_manager_refreshes_leaves_a_usable_copy(tmp_path: Path) -> None:
    """A manager killed while refreshing; restarted with the network down, it uses its cache."""
    import datetime as dt

    import httpx
    from cryptography.hazmat.primitives.serialization import Encoding

    from _trustlist_kit import NOW, clock
    from bayident.testing import MockTrustListOperator
    from bayident.trustlist import ListSource, TrustListManager

    kills = max(5, KILLS // 3)
    lists_dir, cache_dir = tmp_path / "lists", tmp_path / "cache"
    lists_dir.mkdir()
    operator = MockTrustListOperator("HK", clock=clock())
    for seq in range(1, 3 * kills + 5):
        (lists_dir / f"{seq:03d}.xml").write_bytes(operator.etsi_xml(sequence=seq))
    (lists_dir / "signer.der").write_bytes(operator.signer_certificate.public_bytes(Encoding.DER))
    (lists_dir / "now.txt").write_text(NOW.isoformat())
    rng = random.Random(71)
    child = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).resolve().parents[1] / "_cache_writer.py"),
            str(cache_dir),
            "--manager",
            str(lists_dir),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    assert child.stdin is not None
    assert child.stdout is not None

    def offline(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("the network is down", request=request)

    last_stored = 0
    try:
        for i in range(kills):
            child.stdin.write("go\n")
            child.stdin.flush()
            wanted = 1 if i == 0 else rng.randint(0, 2)
            pid, puts = None, 0
            while pid is None or puts < wanted:
                line = child.stdout.readline()
                assert line, "the writer process ended early"
                if line.startswith("pid "):
                    pid = int(line.split()[1])
                elif line.startswith("put "):
                    puts += 1
                    last_stored = int(line.split()[1])
                elif line.startswith("exhausted"):
                    break
            time.sleep(rng.random() * 0.01)
            os.kill(pid, signal.SIGKILL)
            while (line := child.stdout.readline()).strip() != "dead":
                assert line, "the writer process ended early"
                if line.startswith("put "):
                    last_stored = int(line.split()[1])
            restarted = TrustListManager(
                [
                    ListSource(
                        "https://lists.example/hk.xml", signers=(operator.signer_certificate,)
                    )
                ],
                cache_dir=cache_dir,
                client=httpx.Client(transport=httpx.MockTransport(offline)),
                clock=lambda: NOW + dt.timedelta(minutes=1),
            )
            outcome = restarted.refresh().lists[0]
            assert outcome.accepted, f"kill {i + 1}: {outcome.reason}"
            assert outcome.origin == "fallback"
            assert (outcome.sequence_number or 0) >= last_stored, f"kill {i + 1}"
            assert not [p for p in cache_dir.iterdir() if p.suffix == ".tmp"]
    finally:
        child.stdin.close()
        child.wait(timeout=30)
