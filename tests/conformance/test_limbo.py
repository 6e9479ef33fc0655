"""C2SP x509-limbo: the cases that apply to a signing-certificate validator.

Every case is validated through ``Verifier.validate_certificate`` as its fields say
(anchors, untrusted intermediates, validation time, key usage, CRLs, depth limit;
see ``limbo.py``). A case expected to fail must never pass. A case expected to
pass must pass, or be refused only for an RFC 5280 profile rule that a documented
``Policy.profile_relaxations`` entry lifts, and then pass with that relaxation.
"""

from __future__ import annotations

from typing import Any

import pytest

from bayident import Policy, Verifier

from .limbo import LIMBO, load_cases, run_bayident

CASES = load_cases()
_PARAMS = [pytest.param(c, id=str(c["id"]), marks=pytest.mark.conformance) for c in CASES]
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
    """The default-policy verdict on a case, computed once per session."""
    found = _VERDICTS.get(case["id"])
    if found is None:
        found = _VERDICTS[case["id"]] = run_bayident(case)
    return found


@pytest.mark.parametrize("case", _PARAMS)
def test_limbo_case(case: dict[str, Any]) -> None:
    passed, message = _verdict(case)
    if case["expected_result"] == "FAILURE":
        assert not passed, f"false accept: {case['id']}: {message}"
        assert message, "a refusal says why"
        return
    if passed:
        return
    assert "Policy.profile_relaxations" in message, f"false reject: {case['id']}: {message}"
    relaxed, again = run_bayident(case, _Relaxed)
    assert relaxed, f"refused even with every profile relaxation: {again}"


def test_limbo_agreement() -> None:
    if not CASES:
        pytest.skip("no data")
    agree = sum(1 for c in CASES if _verdict(c)[0] == (c["expected_result"] == "SUCCESS"))
    # pyca/cryptography 50's verifier agrees on 3,143 of these cases.
    assert agree >= 3143, f"agreement {agree} of {len(CASES)}"
