"""Which evidence handler gets the bytes: a verifier's own handlers, then the built-in ones."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

import bayident
from bayident import Indication, SubIndication, VerificationResult
from bayident._handlers import EvidenceContext
from bayident.schemes import scheme_evidence
from bayident.testing import MockJWTIssuer

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@dataclass
class Grabber:
    """Claims every JSON object, and says so in its result."""

    name: str
    seen: list[bytes] = field(default_factory=list)

    def claims(self, raw: bytes) -> bool:
        return raw.lstrip()[:1] == b"{"

    def verify(self, ctx: EvidenceContext) -> VerificationResult:
        self.seen.append(ctx.raw)
        assert ctx.make_result is not None
        return ctx.make_result(
            Indication.INDETERMINATE,
            SubIndication.SIGNATURE_POLICY_NOT_AVAILABLE,
            f"read by {self.name}",
            evidence_format=self.name,
        )


JWS_JSON = b'{"protected": "eyJhbGciOiJFUzI1NiJ9", "signature": "AAAA"}'


def test_a_verifiers_own_handlers_go_before_the_built_in_ones() -> None:
    mine = Grabber("mine")
    verifier = bayident.Verifier(handlers=[mine])
    result = verifier.verify(JWS_JSON, at=NOW)
    assert (result.evidence_format, result.message) == ("mine", "read by mine")
    assert mine.seen == [JWS_JSON]
    # Other verifiers, and the one-call door, are untouched by it.
    assert bayident.Verifier().verify(JWS_JSON, at=NOW).evidence_format == "jws"
    assert bayident.verify(JWS_JSON, at=NOW).evidence_format == "jws"
    assert mine.seen == [JWS_JSON]
    # derive() keeps them.
    assert verifier.derive(expected_scheme="x").verify(JWS_JSON, at=NOW).message == "read by mine"


def test_handlers_are_asked_in_the_order_given() -> None:
    one, two = Grabber("one"), Grabber("two")
    result = bayident.Verifier(handlers=[one, two]).verify(b'{"x": 1}', at=NOW)
    assert result.evidence_format == "one"
    assert (one.seen, two.seen) == ([b'{"x": 1}'], [])


def test_what_is_not_a_handler_is_refused() -> None:
    with pytest.raises(bayident.InvalidArgument, match=r"handlers\[0\] is not an evidence handler"):
        bayident.Verifier(handlers=[object()])  # type: ignore[list-item]
    with pytest.raises(bayident.InvalidArgument, match=r"enrichers\[0\] must be callable"):
        bayident.Verifier(enrichers=[42])  # type: ignore[list-item]


def test_the_process_wide_registration_is_deprecated() -> None:
    import bayident._handlers as handlers

    late = Grabber("late")
    with pytest.deprecated_call(match=r"Verifier\(handlers=\[handler\]\)"):
        handlers.register_evidence_handler(late)
    try:
        # Still honoured, after a verifier's own handlers and before the built-in ones.
        assert bayident.verify(JWS_JSON, at=NOW).evidence_format == "late"
        own = bayident.Verifier(handlers=[Grabber("own")])
        assert own.verify(JWS_JSON, at=NOW).message == "read by own"
    finally:
        handlers._LEGACY_HANDLERS.remove(late)
    assert bayident.verify(JWS_JSON, at=NOW).evidence_format == "jws"


def test_a_scheme_envelope_that_mentions_a_signature_and_a_header() -> None:
    # A signing result inside the envelope carries "signature" and "header" members, which
    # the JWS handler's JSON sniff also matches: the envelope's own marker decides.
    data = {"result": {"signature": "c2ln", "header": {"alg": "RS256"}}, "protected": "x"}
    envelope = scheme_evidence("no-such-scheme", "signing-result", data)
    result = bayident.verify(envelope, at=NOW)
    assert result.evidence_format == "scheme-evidence"
    assert result.sub_indication is SubIndication.SIGNATURE_POLICY_NOT_AVAILABLE
    assert "no-such-scheme" in result.message


def test_a_bare_compact_jwt_is_still_read_as_a_jws() -> None:
    # Token profiles are reached through the envelope only (docs/schemes/index.md): a
    # compact JWT is a JWS whatever its "iss" says.
    token = MockJWTIssuer("https://uia.gd.example").issue(subject="user-1").encode()
    result = bayident.verify(token, at=NOW)
    assert result.evidence_format == "jws"
    assert not result.passed


def test_importing_the_packages_registers_nothing() -> None:
    import importlib

    import bayident._handlers as handlers

    for name in ("bayident.jose", "bayident.ofd", "bayident.schemes"):
        importlib.reload(importlib.import_module(name))
    assert (handlers._LEGACY_HANDLERS, handlers._LEGACY_ENRICHERS) == ([], [])


def test_enrichers_see_the_verifiers_registry() -> None:
    from bayident._handlers import EnrichmentContext
    from bayident.testing import sandbox_registry

    registry = sandbox_registry()
    seen: list[object] = []

    def spy(result: VerificationResult, ctx: EnrichmentContext) -> VerificationResult:
        seen.append(ctx.schemes)
        return result

    verifier = bayident.Verifier(schemes=registry, enrichers=[spy])
    verifier.verify(JWS_JSON, at=NOW)
    verifier.derive(schemes=None).verify(JWS_JSON, at=NOW)
    assert seen == [registry, bayident.schemes.default_registry()]
