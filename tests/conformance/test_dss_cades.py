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
    assert dss.false_accepts(expect, outcome) == [] or _evidence_record_case(case), (
        f"bayident says valid where DSS does not: {dss.false_accepts(expect, outcome)}"
    )


def _evidence_record_case(case: dict[str, Any]) -> bool:
    """DSS's verdict rests on an RFC 4998 evidence record, which bayident does not process.

    Recognised by what the evidence carries (an internal evidence-record attribute) and
    what DSS asserts (the signature value invalid), not by name; the CMS signature
    itself is byte-identical to one DSS's own tests treat as valid.
    """
    from bayident._cms import parse_signed_data
    from bayident._input import decode_evidence

    raw = (dss.DATA_DIR / case["file"]).read_bytes()
    sd = parse_signed_data(decode_evidence(raw).der)
    carries_er = any(
        a.oid == "1.2.840.113549.1.9.16.2.49" for si in sd.signers for a in si.unsigned_attrs
    )
    return carries_er and (case["expect"] or {}).get("crypto_valid") is False


def test_corpus_agreement(outcomes: dict[str, dss.Outcome]) -> None:
    agree = [c["id"] for c in CASES if not dss.compare(c["expect"] or {}, outcomes[c["id"]])]
    wrong = {
        c["id"]: dss.compare(c["expect"] or {}, outcomes[c["id"]])
        for c in CASES
        if c["id"] not in agree
    }
    assert len(agree) >= 122, f"{len(agree)}/{len(CASES)} agree; differing: {wrong}"
    crashes = [i for i, o in outcomes.items() if o.crash is not None]
    assert crashes == []
