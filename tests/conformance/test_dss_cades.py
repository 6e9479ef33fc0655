"""The EU DSS CAdES corpus: bayident agrees with the facts DSS's own tests assert.

``../shared/conformance/dss-cades`` holds 119 real CAdES/CMS files from the DSS test
suite and ``cases.json``, the facts DSS asserts about each (125 cases). Each case is
verified as a user would (``bayident.verify`` with the content, content digest, extra
certificates or trust the DSS test gives) and the facts are read off the result by
``dss_cades.py``. No case is treated specially: the thresholds are over the corpus.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from . import dss_cades as dss

pytestmark = pytest.mark.conformance

if not dss.available():
    pytest.skip(
        f"the DSS CAdES corpus is not at {dss.DATA_DIR} (the shared conformance data)",
        allow_module_level=True,
    )

CASES = dss.load_cases()


@pytest.fixture(scope="module")
def outcomes() -> dict[str, dss.Outcome]:
    with warnings.catch_warnings():
        # Real certificates with negative serials and long names: cryptography warns.
        warnings.simplefilter("ignore")
        return {c["id"]: dss.bayident_outcome(c) for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_no_crash_and_no_false_accept(case: dict[str, Any], outcomes: dict[str, Any]) -> None:
    outcome = outcomes[case["id"]]
    assert outcome.crash is None, outcome.crash
    expect = case["expect"] or {}
    assert dss.false_accepts(expect, outcome) == [], (
        f"bayident says valid where DSS does not: {dss.false_accepts(expect, outcome)}"
    )


def test_algorithm_protection_agrees_with_dss(outcomes: dict[str, dss.Outcome]) -> None:
    """Where a signer carries RFC 6211's cms-algorithm-protection attribute, bayident's
    verdict on it never contradicts DSS's on the signature value: a failed check only where
    DSS says the signature is not valid, a passed one wherever DSS says it is."""
    seen = {"passed": 0, "failed": 0}
    for case in CASES:
        crypto_valid = (case["expect"] or {}).get("crypto_valid")
        for outcome in outcomes[case["id"]].protection:
            seen[outcome] = seen.get(outcome, 0) + 1
            if outcome == "failed":
                assert crypto_valid is not True, case["id"]
            elif crypto_valid is True:
                assert outcome == "passed", case["id"]
    # The corpus holds both: signers whose protected algorithms match, and one whose
    # SignerInfo re-encodes its RSASSA-PSS parameters outside the signature.
    assert seen["passed"] > 0, seen
    assert seen["failed"] > 0, seen


def test_corpus_agreement(outcomes: dict[str, dss.Outcome]) -> None:
    agree = [c["id"] for c in CASES if not dss.compare(c["expect"] or {}, outcomes[c["id"]])]
    wrong = {
        c["id"]: dss.compare(c["expect"] or {}, outcomes[c["id"]])
        for c in CASES
        if c["id"] not in agree
    }
    assert len(agree) >= 124, f"{len(agree)}/{len(CASES)} agree; differing: {wrong}"
    crashes = [i for i, o in outcomes.items() if o.crash is not None]
    assert crashes == []
