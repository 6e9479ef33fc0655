"""The shared OFD corpus: real sealed documents and hostile variants, 40 cases.

Each case gives the EN 319 102-1 indication an independent checker established (or one
of the alternatives it lists); every OFD package must be handled as ``ofd``, never fail
as unknown evidence; nothing may raise, and the decompression bombs must stay cheap.
"""

from __future__ import annotations

import datetime as _dt
import json
import resource
from pathlib import Path
from typing import Any

import pytest

import bayident
from bayident import TrustStore
from bayident.sm import sm_available

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / ".." / "shared" / "conformance" / "ofd"


def _cases() -> list[dict[str, Any]]:
    index = CORPUS / "cases.json"
    if not index.is_file():
        return []
    cases: list[dict[str, Any]] = json.loads(index.read_text(encoding="utf-8"))["cases"]
    return cases


CASES = _cases()
pytestmark = pytest.mark.conformance


@pytest.fixture(autouse=True)
def _corpus() -> None:
    if not CASES:
        pytest.skip(f"the shared OFD conformance corpus is not at {CORPUS}")
    if not sm_available():
        pytest.skip("SM2 verification needs the 'sm' extra: pip install 'bayident[sm]'")


def _answer(result: bayident.VerificationResult) -> dict[str, str | None]:
    sub = result.sub_indication.value if result.sub_indication is not None else None
    return {"indication": result.indication.value, "sub_indication": sub}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES] or None)
def test_case(case: dict[str, Any]) -> None:
    trust = (
        TrustStore.from_files(*[CORPUS / t for t in case["trust"]])
        if case["trust"]
        else (TrustStore())
    )
    extra = [CORPUS / e for e in case["extra_certs"]] or None
    at = _dt.datetime.fromisoformat(case["at"].replace("Z", "+00:00"))
    result = bayident.verify(CORPUS / case["file"], trust=trust, at=at, extra_certs=extra)
    got = _answer(result)
    allowed = [case["expect"], *case.get("also_acceptable", [])]
    assert got in allowed, f"{case['why']}\n{result.explain()}"
    if case["expect_format"] is not None:
        assert result.evidence_format == case["expect_format"]
    if got["indication"] != "PASSED":
        assert result.failed_checks(), "a verdict other than PASSED names the check at fault"
    for signer in result.signers:
        if signer.details.get("type") == "Seal" and "seal" in signer.details:
            assert signer.details["seal"]["name"]
            assert signer.details["seal"]["seal_id"]


def test_every_case_costs_bounded_memory() -> None:
    # The corpus holds decompression bombs of 1 GiB each; the reader refuses them from
    # their declared sizes, so no case may grow the process by anything like that.
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for case in CASES:
        bayident.verify(CORPUS / case["file"], trust=TrustStore())
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 512 * 1024
