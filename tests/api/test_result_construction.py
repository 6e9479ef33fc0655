"""Results built on the hot path behave exactly like validated ones.

``bayident._result._fast`` builds result models without validation by filling the
instance state pydantic keeps (``__dict__``, ``__pydantic_fields_set__``,
``__pydantic_extra__``, ``__pydantic_private__``): pydantic's public
``model_construct`` costs several times more per model, on every verification. That
state is pydantic's own, so pyproject.toml bounds pydantic to the versions tested here,
and these tests say loudly when another version is installed or when the state a
validated model carries is no longer the state ``_fast`` fills.
"""

from __future__ import annotations

import datetime as _dt

import pydantic
import pytest

import bayident
from _pki import AT, CONTENT, SandboxPKI
from bayident import Check, CheckOutcome, Indication, SignerReport, VerificationResult
from bayident._result import _fast, _replace

# The pydantic releases this construction is tested with; pyproject.toml says the same.
TESTED_PYDANTIC = ((2, 6), (2, 14))


def _version() -> tuple[int, int]:
    major, minor = pydantic.VERSION.split(".")[:2]
    return int(major), int(minor)


def test_pydantic_is_a_tested_version() -> None:
    low, high = TESTED_PYDANTIC
    assert low <= _version() <= high, (
        f"pydantic {pydantic.VERSION} is outside the versions bayident's result construction "
        f"is tested with ({'.'.join(map(str, low))} to {'.'.join(map(str, high))}): run "
        "tests/test_result_construction.py against it, then widen TESTED_PYDANTIC and the "
        "bound in pyproject.toml"
    )


def test_pyproject_bound_matches_the_tested_versions() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text("utf-8")
    high = TESTED_PYDANTIC[1]
    assert f'"pydantic>=2.6,<{high[0]}.{high[1] + 1}"' in text


def _state(model: pydantic.BaseModel) -> dict[str, object]:
    """Everything an instance holds: its ``__dict__`` and each slot pydantic declares."""
    missing = object()
    slots = {
        name
        for cls in type(model).__mro__
        for name in getattr(cls, "__slots__", ())
        if name not in ("__dict__", "__weakref__")
    }
    state: dict[str, object] = {"__dict__": dict(model.__dict__)}
    for name in sorted(slots):
        try:
            state[name] = object.__getattribute__(model, name)
        except AttributeError:
            state[name] = missing
    return state


_CHECK = {
    "name": "signature",
    "outcome": CheckOutcome.PASSED,
    "message": "verifies",
    "concerns": "SignerInfo[0]",
    "signer": 0,
}


def _result_values(checks: tuple[Check, ...]) -> dict[str, object]:
    return {
        "indication": Indication.PASSED,
        "sub_indication": None,
        "message": "signature valid",
        "evidence_format": "cms",
        "signers": (),
        "checks": checks,
        "warnings": (),
        "validation_time": _dt.datetime(2026, 1, 2, tzinfo=_dt.UTC),
        "trust_sources": ("1 anchor",),
        "timestamps": (),
        "adapter": None,
        "identity": None,
        "recognition": None,
    }


def test_fast_models_carry_the_state_of_validated_ones() -> None:
    validated = Check(**_CHECK)  # type: ignore[arg-type]
    built = _fast(Check, dict(_CHECK))
    assert _state(built) == _state(validated)
    result_v = VerificationResult(**_result_values((validated,)))  # type: ignore[arg-type]
    result_f = _fast(VerificationResult, _result_values((built,)))
    assert _state(result_f) == _state(result_v)


def test_fast_models_behave_like_validated_ones() -> None:
    validated = VerificationResult(**_result_values((Check(**_CHECK),)))  # type: ignore[arg-type]
    built = _fast(VerificationResult, _result_values((_fast(Check, dict(_CHECK)),)))
    assert built == validated
    assert hash(built.checks[0]) == hash(validated.checks[0])
    assert built.model_dump() == validated.model_dump()
    assert built.model_dump_json() == validated.model_dump_json()
    assert built.model_dump(exclude_unset=True) == validated.model_dump(exclude_unset=True)
    assert VerificationResult.model_validate_json(built.model_dump_json()) == validated
    assert built.passed
    assert built.explain() == validated.explain()
    copy = built.model_copy(update={"message": "changed"})
    assert copy.message == "changed"
    assert built.message == "signature valid"
    assert copy.model_fields_set == validated.model_fields_set
    with pytest.raises(pydantic.ValidationError):
        built.message = "mutated"  # type: ignore[misc]


def test_replace_gives_a_new_model_and_leaves_the_original() -> None:
    original = _fast(VerificationResult, _result_values(()))
    changed = _replace(original, {"adapter": "example"})
    assert (original.adapter, changed.adapter) == (None, "example")
    assert changed == original.model_copy(update={"adapter": "example"})


def test_results_of_a_verification_validate_as_they_are(pki: SandboxPKI) -> None:
    """A real result, dumped and validated again, is equal to itself."""
    result = bayident.verify(
        pki.signer.sign_detached_cms(CONTENT), trust=[pki.root.cert_pem], content=CONTENT, at=AT
    )
    assert result.passed
    assert VerificationResult.model_validate(result.model_dump()) == result
    for report in result.signers:
        assert SignerReport.model_validate(report.model_dump()) == report
