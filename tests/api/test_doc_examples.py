"""Every Python block in README.md and docs/ runs as written, or says it is a fragment.

A block preceded by a line ``<!-- fragment: why -->`` is a fragment (it needs services the
reader has, or shows only the shape of a call): it must still compile. Every other block
runs; the blocks of one page run in order in one process, sharing their names as a reader
following the page would, in a directory holding the files the pages name
(``application.p7s``, ``hongkong-post-root.pem``, ...): the sandbox of ``bayident demo
--keep``, under the names the pages use. Pages naming real trusted lists get them from the
shared conformance data, and are skipped where it is absent.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED_LISTS = ROOT.parent / "shared" / "conformance" / "etsi-tl"

# The names the pages use for the demo's sandbox files.
ALIASES = {
    "hongkong-post-root.pem": "hk-root.pem",
    "hk-root.pem": "hk-root.pem",
    "root.pem": "hk-root.pem",
    "gdca-root.pem": "gd-root.pem",
    "application.pdf": "form.txt",
    "form.pdf": "form.txt",
    "contract.pdf": "form.txt",
    "application.p7s": "form.personal.p7s",
    "form.p7s": "form.personal.p7s",
    "contract.pdf.p7s": "form.personal.p7s",
    "form.pdf.jws": "form.personal.jws",
    "policy.toml": "mutual-recognition.toml",
    "mutual-recognition.toml": "mutual-recognition.toml",
    "hk-list.xml": "hk-trust-list.xml",
    "hk-list.json": "hk-trust-list.json",
    "hk-list-signer.pem": "hk-trust-list-signer.pem",
}
REAL_LISTS = {"eu-lotl.xml": "eu-lotl.xml", "SE-TL.xml": "lotlCache_SE.xml"}
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
_FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_FRAGMENT = re.compile(r"<!--\s*fragment:\s*(.+?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    code: str
    fragment: str | None  # why it does not run on its own

    @property
    def label(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def _blocks(page: Path) -> list[Block]:
    text = page.read_text(encoding="utf-8")
    out = []
    for match in _FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = _FRAGMENT.search(before)
        line = text.count("\n", 0, match.start()) + 1
        out.append(Block(page, line, match.group(1), marker.group(1) if marker else None))
    return out


ALL = [b for page in PAGES for b in _blocks(page)]


@pytest.mark.parametrize("block", ALL, ids=[b.label for b in ALL])
def test_every_block_compiles(block: Block) -> None:
    compile(block.code, block.label, "exec")


RUNNABLE_PAGES = sorted({b.page for b in ALL if b.fragment is None})


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files the pages name: the demo's sandbox under the pages' names.

    Under xdist the workers of one run share one copy, made by the first that asks for it
    (the parent of the base temporary directory belongs to this run alone).
    """
    if not os.environ.get("PYTEST_XDIST_WORKER") or not hasattr(os, "fork"):
        root = tmp_path_factory.mktemp("docs-sandbox")
        _make_sandbox(root)
        return root
    import fcntl

    shared = tmp_path_factory.getbasetemp().parent
    root, done = shared / "docs-sandbox", shared / "docs-sandbox.done"
    with (shared / "docs-sandbox.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(root, ignore_errors=True)  # left by a worker that failed making it
            root.mkdir()
            _make_sandbox(root)
            done.touch()
    return root


def _make_sandbox(root: Path) -> None:
    from bayident._demo import run_cases

    kept = root / "sandbox"
    run_cases(keep=kept)
    for name, source in ALIASES.items():
        if (kept / source).exists():
            (root / name).write_bytes((kept / source).read_bytes())
    _sealed_invoice(root)


def _sealed_invoice(root: Path) -> None:
    """invoice.ofd, sealed under a sandbox tax-bureau hierarchy (needs the sm extra)."""
    from bayident.sm import sm_available

    if not sm_available():
        return
    from bayident.testing import MockOFDSigner, MockSealMaker, MockSM2CA

    ca = MockSM2CA("Sandbox Tax Bureau Root CA")
    issuing = ca.create_child_ca("Sandbox Tax Bureau Issuing CA")
    maker = MockSealMaker(issuing.issue_signer("Sandbox Seal Maker"))
    holder = issuing.issue_signer("Sandbox Trading Ltd", organization="Sandbox Trading Ltd")
    seal = maker.make_seal("Sandbox Trading Ltd invoice seal", holders=[holder])
    (root / "invoice.ofd").write_bytes(MockOFDSigner(holder, seal).sign())
    (root / "tax-root.pem").write_bytes(ca.cert_pem)
    (root / "tax-issuing-ca.pem").write_bytes(issuing.cert_pem)


def _real_lists_needed(code: str) -> list[str]:
    return [name for name in REAL_LISTS if name in code]


@pytest.fixture(scope="session")
def page_runner() -> Iterator[subprocess.Popen[str] | None]:
    """``_page_runner.py``, forking one fresh process a page (None where there is no fork)."""
    if not hasattr(os, "fork"):
        yield None
        return
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    runner = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("_page_runner.py"))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    yield runner
    assert runner.stdin is not None
    runner.stdin.close()
    runner.wait(timeout=60)


def _run_page(runner: subprocess.Popen[str] | None, directory: Path) -> tuple[int, str]:
    """(exit status, stderr) of ``directory/page.py`` run as a program in ``directory``."""
    if runner is None:
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        done = subprocess.run(
            [sys.executable, "page.py"], cwd=directory, capture_output=True, text=True, env=env
        )
        return done.returncode, done.stderr
    assert runner.stdin is not None
    assert runner.stdout is not None
    runner.stdin.write(f"{directory}\n")
    runner.stdin.flush()
    status = runner.stdout.readline()
    assert status, "the page runner stopped"
    return int(status), (directory / "stderr.txt").read_text(encoding="utf-8", errors="replace")


@pytest.mark.parametrize(
    "page", RUNNABLE_PAGES, ids=[str(p.relative_to(ROOT)) for p in RUNNABLE_PAGES]
)
def test_every_runnable_block_runs_as_written(
    page: Path, sandbox: Path, tmp_path: Path, page_runner: subprocess.Popen[str] | None
) -> None:
    # One process a page (forked by the runner from an interpreter that has only imported
    # bayident): a block may import, set up state for the next, and print.
    program = "\n\n".join(
        f"# --- {b.label}\n{b.code}" for b in ALL if b.page == page and b.fragment is None
    )
    for item in sandbox.iterdir():
        (tmp_path / item.name).symlink_to(item)
    for name in _real_lists_needed(program):
        real = SHARED_LISTS / REAL_LISTS[name]
        if not real.exists():
            pytest.skip(f"{page.name} reads the real list {name}: no shared conformance data")
        (tmp_path / name).symlink_to(real)
    script = tmp_path / "page.py"
    script.write_text(program, encoding="utf-8")
    returncode, stderr = _run_page(page_runner, tmp_path)
    assert returncode == 0, f"{page.name} failed:\n{stderr[-3000:]}"


def test_the_readme_example_type_checks_strictly(tmp_path: Path) -> None:
    # A mypy --strict user copying the README must not need a cast.
    blocks = [b for b in ALL if b.page.name == "README.md"]
    code = "\n\n".join(b.code for b in blocks)
    path = tmp_path / "readme_example.py"
    path.write_text(code, encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            # mypy's incremental cache (sound: it re-checks any module whose source changed)
            # is the one `mypy --strict src` keeps, so bayident's own modules are not
            # analysed again on every run.
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            str(path),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
