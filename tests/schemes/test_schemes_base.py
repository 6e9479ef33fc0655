"""The adapter protocol, the registry and its plug-ins, the scheme-evidence envelope."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bayident
from bayident import Assurance, AssuranceLevel, Identity, Indication, SubIndication
from bayident._handlers import EvidenceContext
from bayident.schemes import (
    CertificateAdapter,
    EvidenceAdapter,
    SchemeEvidence,
    SchemeFailure,
    SchemeRegistry,
    builtin_adapters,
    default_registry,
    parse_scheme_evidence,
    scheme_evidence,
)
from bayident.schemes._base import looks_like_scheme_evidence
from bayident.schemes._dispatch import EVIDENCE_FORMAT, apply_recognition
from bayident.testing import sandbox_registry

NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


class EchoAdapter:
    """A whole scheme in a few lines: evidence in, identity out."""

    name = "echo"
    scheme = "echo"
    jurisdiction = "HK"
    evidence_types = ("greeting",)

    def verify_evidence(
        self, evidence: SchemeEvidence, ctx: EvidenceContext
    ) -> bayident.VerificationResult:
        who = evidence.data.get("who")
        if not isinstance(who, str):
            raise SchemeFailure(
                "greeting", SubIndication.FORMAT_FAILURE, "data.who must be a string", "who"
            )
        assert ctx.make_result is not None
        result = ctx.make_result(
            Indication.PASSED,
            None,
            f"hello {who}",
            evidence_format=EVIDENCE_FORMAT,
            adapter=self.name,
        )
        identity = Identity(
            scheme="echo",
            adapter="echo",
            jurisdiction="HK",
            name_en=who,
            assurance=Assurance(level=AssuranceLevel.LOW, basis="test"),
            evidence="a greeting",
        )
        return apply_recognition(
            result.model_copy(update={"identity": identity}), options=ctx.options, at=ctx.at
        )


class BrokenAdapter(EchoAdapter):
    name = "broken"
    scheme = "broken"

    def verify_evidence(
        self, evidence: SchemeEvidence, ctx: EvidenceContext
    ) -> bayident.VerificationResult:
        raise KeyError("oops")


def test_builtins_are_registered_and_typed() -> None:
    names = default_registry().schemes()
    for name in (
        "hkpost-ecert",
        "digisign",
        "esigntrust",
        "gdca",
        "netca",
        "iamsmart",
        "gd-uia",
        "mo-one-account",
    ):
        assert name in names
    kinds = {
        a.name: (isinstance(a, EvidenceAdapter), isinstance(a, CertificateAdapter))
        for a in builtin_adapters()
    }
    assert kinds["iamsmart"] == (True, False)
    assert kinds["gdca"] == (False, True)


def test_a_new_scheme_is_one_class() -> None:
    registry = sandbox_registry(EchoAdapter())
    res = bayident.verify(
        scheme_evidence("echo", "greeting", {"who": "Ada"}), at=NOW, schemes=registry
    )
    bad = bayident.verify(scheme_evidence("echo", "greeting", {"who": 1}), at=NOW, schemes=registry)
    wrong_type = bayident.verify(scheme_evidence("echo", "farewell", {}), at=NOW, schemes=registry)
    assert res.passed
    assert res.adapter == "echo"
    assert res.identity is not None
    assert (bad.indication, bad.sub_indication) == (Indication.FAILED, SubIndication.FORMAT_FAILURE)
    assert bad.failed_checks()[0].concerns == "who"
    assert bad.adapter == "echo"
    assert "has no evidence type 'farewell' (it reads: greeting)" in wrong_type.message


def test_an_unknown_scheme() -> None:
    res = bayident.verify(scheme_evidence("tw-moica", "card", {}), at=NOW)
    assert (res.indication, res.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.SIGNATURE_POLICY_NOT_AVAILABLE,
    )
    assert "no adapter for scheme 'tw-moica' is registered" in res.message
    assert res.failed_checks()[0].name == "scheme"
    assert res.adapter is None


def test_a_faulty_adapter_is_reported_not_raised() -> None:
    registry = sandbox_registry(BrokenAdapter())
    res = bayident.verify(scheme_evidence("broken", "greeting", {}), at=NOW, schemes=registry)
    assert res.sub_indication is SubIndication.POLICY_PROCESSING_ERROR
    assert "adapter 'broken' could not process the evidence: KeyError" in res.message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"bayident-scheme": "x", "type": "t"}', "'data' must be a JSON object"),
        (
            b'{"bayident-scheme": "x", "type": "t", "data": {}, "extra": 1}',
            "unknown member(s) 'extra'",
        ),
        (
            b'{"bayident-scheme": "", "type": "t", "data": {}}',
            "'bayident-scheme' must be a non-empty string",
        ),
        (
            b'{"bayident-scheme": "x", "bayident-scheme": "y", "type": "t", "data": {}}',
            "duplicate member name 'bayident-scheme'",
        ),
        (b'{"bayident-scheme": "x", "type": "t", "data": {"n": NaN}}', "NaN is not a JSON number"),
        (b'{"bayident-scheme": "x", "type": 5, "data": {}}', "'type' must be a non-empty string"),
        (b'{"bayident-scheme": "x" ', "not valid JSON: Expecting ',' delimiter at character 24"),
        (b'{"bayident-scheme": "\xff"}', "not UTF-8"),
        (
            b'{"bayident-scheme": "x", "type": "t", "data": '
            + b"[" * 100000
            + b"]" * 100000
            + b"}",
            "nests deeper than",
        ),
    ],
)
def test_hostile_envelopes(raw: bytes, expected: str) -> None:
    res = bayident.verify(raw, at=NOW)
    assert (res.indication, res.sub_indication) == (Indication.FAILED, SubIndication.FORMAT_FAILURE)
    assert expected in res.message
    assert res.evidence_format == EVIDENCE_FORMAT


def test_envelope_size_limit() -> None:
    raw = scheme_evidence("echo", "greeting", {"who": "x" * 100})
    with pytest.raises(SchemeFailure, match="over the limit of 50 bytes"):
        parse_scheme_evidence(raw, max_size=50)


@settings(max_examples=60, deadline=None)
@given(
    data=st.recursive(
        st.none() | st.integers() | st.text(max_size=20),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
        max_leaves=20,
    )
)
def test_any_payload_gives_a_result_never_a_traceback(data: Any) -> None:
    for scheme in ("iamsmart", "gd-uia", "echo"):
        for kind in ("profile-callback", "signing-result", "id-token"):
            raw = json.dumps(
                {
                    "bayident-scheme": scheme,
                    "type": kind,
                    "data": {"x": data, "result": data, "token": data, "body": data},
                }
            ).encode()
            res = bayident.verify(raw, at=NOW)
            assert not res.passed


def test_scheme_evidence_arguments() -> None:
    with pytest.raises(bayident.InvalidArgument):
        scheme_evidence("", "t", {})
    with pytest.raises(bayident.InvalidArgument):
        scheme_evidence("s", "t", {"x": object()})
    with pytest.raises(bayident.InvalidArgument):
        scheme_evidence("s", "t", [])  # type: ignore[arg-type]
    assert looks_like_scheme_evidence(b'  {"bayident-scheme": "s"}')
    assert not looks_like_scheme_evidence(b"0\x82\x01")
    assert not looks_like_scheme_evidence(b'{"protected": "x"}')


def test_registry_registration_rules() -> None:
    reg = SchemeRegistry([EchoAdapter()])
    with pytest.raises(bayident.InvalidArgument, match="already registered"):
        reg.register(EchoAdapter())
    version = reg.version
    reg.register(EchoAdapter(), replace=True)
    assert reg.version == version + 1
    with pytest.raises(bayident.InvalidArgument, match="not a scheme adapter"):
        reg.register(object())  # type: ignore[arg-type]

    class HalfAdapter:
        name = "half"
        scheme = "half"
        jurisdiction = "HK"

    with pytest.raises(bayident.InvalidArgument, match="neither an evidence adapter"):
        reg.register(HalfAdapter())  # type: ignore[arg-type]
    reg.unregister("echo")
    assert reg.get("echo") is None
    assert reg.evidence_adapter("echo") is None


def test_the_registry_is_a_verifier_setting() -> None:
    own = sandbox_registry(EchoAdapter())
    evidence = scheme_evidence("echo", "greeting", {"who": "Ada"})
    default = bayident.Verifier()
    assert default.schemes is default_registry()
    assert "echo" not in default.schemes.schemes()
    configured = bayident.Verifier(schemes=own)
    assert configured.schemes is own
    assert configured.verify(evidence, at=NOW).passed
    # Another verifier, before and after, is untouched by it.
    assert not default.verify(evidence, at=NOW).passed
    assert "no adapter for scheme 'echo'" in bayident.verify(evidence, at=NOW).message
    # derive() keeps the registry unless told otherwise.
    assert configured.derive(expected_scheme="echo").schemes is own
    assert configured.derive(schemes=None).schemes is default_registry()
    assert default.derive(schemes=own).verify(evidence, at=NOW).passed
    with pytest.raises(bayident.InvalidArgument, match="SchemeRegistry"):
        bayident.Verifier(schemes=object())  # type: ignore[arg-type]
    with pytest.raises(bayident.InvalidArgument, match="SchemeRegistry"):
        configured.derive(schemes="echo")  # type: ignore[arg-type]


def test_no_context_variable_holds_configuration() -> None:
    src = Path(bayident.__file__).parent
    using = [
        str(p.relative_to(src)) for p in src.rglob("*.py") if "ContextVar" in p.read_text("utf-8")
    ]
    assert using == []


class _EntryPoint:
    def __init__(self, name: str, obj: Any) -> None:
        self.name = name
        self._obj = obj

    def load(self) -> Any:
        if isinstance(self._obj, BaseException):
            raise self._obj
        return self._obj


def test_plugins_load_lazily_and_faults_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def fake_entry_points(*, group: str) -> list[_EntryPoint]:
        calls.append(group)
        return [
            _EntryPoint("echo", EchoAdapter),  # a class: made with no arguments
            _EntryPoint("factory", lambda: [BrokenAdapter()]),  # a function returning adapters
            _EntryPoint("dupe", EchoAdapter()),  # the name is taken: skipped
            _EntryPoint("bad", ImportError("no module named x")),
            _EntryPoint("junk", 42),
        ]

    monkeypatch.setattr(importlib.metadata, "entry_points", fake_entry_points)
    reg = SchemeRegistry(entry_points=True)
    assert calls == []  # nothing loaded until the registry is consulted
    registry = reg
    res = bayident.verify(
        scheme_evidence("echo", "greeting", {"who": "plug-in"}), at=NOW, schemes=registry
    )
    assert res.passed
    assert calls == ["bayident.schemes"]
    assert reg.schemes() == ("echo", "broken")
    errors = " | ".join(reg.load_errors)
    assert "'dupe' skipped" in errors
    assert "'bad' skipped" in errors
    assert "'junk' skipped" in errors
    reg.adapters()
    assert calls == ["bayident.schemes"]  # once


def test_recognizer_setter() -> None:
    reg = SchemeRegistry()
    with pytest.raises(bayident.InvalidArgument):
        reg.recognizer = "strict"  # type: ignore[assignment]
