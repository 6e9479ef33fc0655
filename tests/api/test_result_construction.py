"""Results are built through pydantic's public API, and every way of building one agrees.

``bayident._result._build`` validates the values the library produced
(``model_validate``) and ``_replace`` makes a new, validated model with some fields
changed; nothing in bayident writes pydantic's instance state itself, so no pydantic
version is singled out. These tests hold the library to that: a model built each way is
the same model, a built model is frozen, and a wrong value is refused where it is made.
"""

from __future__ import annotations

import datetime as _dt
import pickle
import re
from pathlib import Path

import pydantic
import pytest

import bayident
from _pki import AT, CONTENT, SandboxPKI
from bayident import Check, CheckOutcome, Indication, SignerReport, VerificationResult
from bayident._result import _build, _replace

_SRC = Path(bayident.__file__).resolve().parent

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


def _ways(cls: type[pydantic.BaseModel], values: dict[str, object]) -> list[pydantic.BaseModel]:
    """The same model, built each way bayident or a caller may build it."""
    return [
        _build(cls, dict(values)),
        cls(**values),
        cls.model_validate(values),
        cls.model_construct(**values),
        cls.model_validate_json(cls(**values).model_dump_json()),
        pickle.loads(pickle.dumps(cls(**values))),
    ]


def test_every_way_of_building_gives_the_same_model() -> None:
    check = Check(**_CHECK)  # type: ignore[arg-type]
    for cls, values in ((Check, _CHECK), (VerificationResult, _result_values((check,)))):
        models = _ways(cls, values)
        first = models[0]
        for other in models[1:]:
            assert other == first
            assert other.model_fields_set == first.model_fields_set == set(values)
            assert other.model_dump() == first.model_dump()
            assert other.model_dump_json() == first.model_dump_json()
            assert hash(other) == hash(first)


def test_a_partial_build_fills_the_defaults_and_remembers_what_was_given() -> None:
    given = {k: _CHECK[k] for k in ("name", "outcome", "message")}
    built = _build(Check, dict(given))
    assert (built.concerns, built.signer) == (None, None)
    assert built.model_fields_set == set(given)
    assert built == Check.model_construct(**given) == Check(**given)  # type: ignore[arg-type]
    assert built.model_dump(exclude_unset=True) == given


def test_a_built_result_behaves_like_a_validated_one() -> None:
    validated = VerificationResult(**_result_values((Check(**_CHECK),)))  # type: ignore[arg-type]
    built = _build(VerificationResult, _result_values((_build(Check, dict(_CHECK)),)))
    assert built.passed
    assert built.explain() == validated.explain()
    assert VerificationResult.model_validate_json(built.model_dump_json()) == validated
    with pytest.raises(pydantic.ValidationError):
        built.message = "mutated"  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        built.checks[0].message = "mutated"  # type: ignore[misc]


def test_a_wrong_value_is_refused_where_the_model_is_built() -> None:
    with pytest.raises(pydantic.ValidationError, match="outcome"):
        _build(Check, {**_CHECK, "outcome": "fine"})
    with pytest.raises(pydantic.ValidationError, match="validation_time"):
        _build(VerificationResult, {**_result_values(()), "validation_time": "yesterday"})
    original = _build(VerificationResult, _result_values(()))
    with pytest.raises(pydantic.ValidationError, match="indication"):
        _replace(original, {"indication": "MAYBE"})


def test_replace_gives_a_new_model_and_leaves_the_original() -> None:
    original = _build(VerificationResult, _result_values(()))
    changed = _replace(original, {"adapter": "example"})
    assert (original.adapter, changed.adapter) == (None, "example")
    assert changed is not original
    assert changed == original.model_copy(update={"adapter": "example"})
    assert changed.model_fields_set == original.model_fields_set


def test_no_module_writes_pydantic_instance_state() -> None:
    """Only pydantic touches a model's own state, so bayident depends on its public API alone."""
    state = re.compile(r"__pydantic_(fields_set|extra|private)__")
    writers = [
        f"{path.relative_to(_SRC)}:{number}"
        for path in sorted(_SRC.rglob("*.py"))
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if state.search(line)
    ]
    assert writers == []


def test_results_of_a_verification_validate_as_they_are(pki: SandboxPKI) -> None:
    """A real result, dumped and validated again, is equal to itself."""
    result = bayident.verify(
        pki.signer.sign_detached_cms(CONTENT), trust=[pki.root.cert_pem], content=CONTENT, at=AT
    )
    assert result.passed
    assert VerificationResult.model_validate(result.model_dump()) == result
    for report in result.signers:
        assert SignerReport.model_validate(report.model_dump()) == report


def test_results_sent_between_processes_arrive_as_they_were() -> None:
    """verify_many's workers send models as their fields and given-field sets."""
    from bayident.fleet._pool import Decoder, Encoder

    partial = _build(Check, {k: _CHECK[k] for k in ("name", "outcome", "message")})
    result = _build(VerificationResult, _result_values((partial, _build(Check, dict(_CHECK)))))
    encoder, decoder = Encoder(), Decoder()
    first = decoder.decode(encoder.encode([(True, result)]))
    again = decoder.decode(encoder.encode([(True, result)]))  # the parts sent are reused
    for ok, got in (*first, *again):
        assert ok
        assert got == result
        assert got.model_fields_set == result.model_fields_set
        assert got.checks[0].model_fields_set == {"name", "outcome", "message"}
        assert got.model_dump(exclude_unset=True) == result.model_dump(exclude_unset=True)
