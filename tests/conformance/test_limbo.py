"""C2SP x509-limbo: the cases that apply to a signing-certificate validator.

Every case is validated through ``Verifier.validate_certificate`` as its fields say
(anchors, untrusted intermediates, validation time, key usage, CRLs, depth limit;
see ``limbo.py``). A case expected to fail must never pass. A case expected to
pass must pass, or be refused only for an RFC 5280 profile rule that a documented
``Policy.profile_relaxations`` entry lifts, and then pass with that relaxation.

The hand-written cases are one test each. The 2,999 generated BetterTLS cases are checked
a hundred to a test, which spares the test runner's per-test cost (a fifth of their time);
such a test fails naming every case of its hundred that failed, and why.
"""

from __future__ import annotations

import json
import os
import traceback
from pathlib import Path
from typing import Any

import pytest

from bayident import Policy, Verifier

from .limbo import LIMBO, load_cases, run_bayident

CASES = load_cases()
_BATCHED = "bettertls::"
_CHUNK = 100
_PARAMS = [
    pytest.param(c, id=str(c["id"]), marks=pytest.mark.conformance)
    for c in CASES
    if not c["id"].startswith(_BATCHED)
]
_GENERATED = [c for c in CASES if c["id"].startswith(_BATCHED)]
_CHUNKS = [
    pytest.param(
        _GENERATED[i : i + _CHUNK],
        id=f"{i:04d}-{min(i + _CHUNK, len(_GENERATED)) - 1:04d}",
        marks=pytest.mark.conformance,
    )
    for i in range(0, len(_GENERATED), _CHUNK)
]
_RELAX = (
    "missing-aki",
    "missing-ski",
    "san-syntax",
    "serial-number",
    "noncritical-policy-constraints",
    "noncritical-basic-constraints",
)

if not CASES:
    pytestmark = pytest.mark.skip(reason=f"x509-limbo data not found at {LIMBO}")


class _Relaxed(Verifier):
    """A Verifier whose policies carry every profile relaxation."""

    def __init__(self, *, trust: Any, policy: Policy) -> None:
        super().__init__(trust=trust, policy=policy.replace(profile_relaxations=_RELAX))


_VERDICTS: dict[str, tuple[bool, str]] = {}


def _verdict(case: dict[str, Any]) -> tuple[bool, str]:
    """The default-policy verdict on a case, computed once per process."""
    found = _VERDICTS.get(case["id"])
    if found is None:
        found = _VERDICTS[case["id"]] = run_bayident(case)
    return found


@pytest.fixture(scope="session")
def shared_verdicts(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """Where this session's xdist workers record their verdicts (None without xdist).

    Under xdist the parent of the base temporary directory belongs to this one run, so the
    files there hold only this run's verdicts; without xdist it is shared by earlier runs.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return None
    return tmp_path_factory.getbasetemp().parent / f"limbo-verdicts-{worker}.jsonl"


def _record(path: Path | None, cases: list[dict[str, Any]]) -> None:
    """Append the verdicts computed here on ``cases`` to this worker's record."""
    if path is not None:
        lines = [
            json.dumps([c["id"], _VERDICTS[c["id"]][0]]) for c in cases if c["id"] in _VERDICTS
        ]
        with path.open("a", encoding="utf-8") as fh:
            fh.write("".join(line + "\n" for line in lines))


def _recorded_elsewhere(path: Path | None) -> dict[str, bool]:
    """Verdicts the other workers of this run have recorded so far (complete lines only)."""
    found: dict[str, bool] = {}
    if path is None:
        return found
    for other in path.parent.glob("limbo-verdicts-*.jsonl"):
        if other == path:
            continue
        for line in other.read_text(encoding="utf-8").splitlines():
            try:
                case_id, passed = json.loads(line)
            except ValueError:
                continue  # a line still being written
            found[str(case_id)] = bool(passed)
    return found


def _problem(case: dict[str, Any]) -> str | None:
    """How bayident's handling of ``case`` breaks the rules above (None: it keeps them)."""
    passed, message = _verdict(case)
    if case["expected_result"] == "FAILURE":
        if passed:
            return f"false accept: {message}"
        return None if message else "refused without saying why"
    if passed:
        return None
    if "Policy.profile_relaxations" not in message:
        return f"false reject: {message}"
    relaxed, again = run_bayident(case, _Relaxed)
    return None if relaxed else f"refused even with every profile relaxation: {again}"


@pytest.mark.parametrize("case", _PARAMS)
def test_limbo_case(case: dict[str, Any], shared_verdicts: Path | None) -> None:
    problem = _problem(case)
    _record(shared_verdicts, [case])
    assert problem is None, f"{case['id']}: {problem}"


@pytest.mark.parametrize("cases", _CHUNKS)
def test_limbo_bettertls(cases: list[dict[str, Any]], shared_verdicts: Path | None) -> None:
    problems = []
    for case in cases:
        try:
            problem = _problem(case)
        except Exception:  # one case's exception must not hide the others' verdicts
            problem = "raised:\n" + traceback.format_exc()
        if problem is not None:
            problems.append(f"{case['id']}: {problem}")
    _record(shared_verdicts, cases)
    assert not problems, f"{len(problems)} of {len(cases)} cases:\n" + "\n".join(problems)


def test_limbo_agreement(shared_verdicts: Path | None) -> None:
    if not CASES:
        pytest.skip("no data")
    # Under xdist the other workers' cases were validated there: their recorded verdicts are
    # read rather than computed again. A case no process has reached yet is validated here,
    # from the last one backwards (the workers go forwards), re-reading the records as it goes.
    elsewhere = _recorded_elsewhere(shared_verdicts)
    missing = [c for c in reversed(CASES) if c["id"] not in _VERDICTS]
    for done, case in enumerate(missing, 1):
        if case["id"] not in elsewhere:
            _verdict(case)
        if shared_verdicts is not None and done % 50 == 0:
            elsewhere = _recorded_elsewhere(shared_verdicts)

    def accepted(case: dict[str, Any]) -> bool:
        found = _VERDICTS.get(case["id"])
        return found[0] if found is not None else elsewhere[case["id"]]

    agree = sum(1 for c in CASES if accepted(c) == (c["expected_result"] == "SUCCESS"))
    # pyca/cryptography 50's verifier agrees on 3,143 of these cases.
    assert agree >= 3143, f"agreement {agree} of {len(CASES)}"
