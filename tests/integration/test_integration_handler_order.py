"""Which evidence handler gets the bytes: registration order, ``first=True``, the scheme envelope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

import bayident
from bayident import Indication, SubIndication, VerificationResult
from bayident._handlers import EvidenceContext, handler_for, register_evidence_handler
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


@pytest.fixture(autouse=True)
def own_handlers(monkeypatch: pytest.MonkeyPatch) -> None:
    # Registrations made by a test stay in that test.
    import bayident._handlers as handlers

    monkeypatch.setattr(handlers, "_HANDLERS", list(handlers._HANDLERS))


JWS_JSON = b'{"protected": "eyJhbGciOiJFUzI1NiJ9", "signature": "AAAA"}'


def test_a_later_registration_is_tried_later() -> None:
    late = Grabber("late")
    register_evidence_handler(late)
    handler = handler_for(JWS_JSON)
    assert handler is not None
    assert handler.name == "jws"
    claimed = handler_for(b'{"anything": 1}')
    assert claimed is late


def test_first_puts_a_handler_ahead_of_earlier_ones() -> None:
    early = Grabber("early")
    register_evidence_handler(early, first=True)
    assert handler_for(JWS_JSON) is early
    result = bayident.verify(JWS_JSON, at=NOW)
    assert (result.evidence_format, result.message) == ("early", "read by early")
    assert early.seen == [JWS_JSON]


def test_a_name_already_registered_keeps_its_place() -> None:
    one, two = Grabber("same"), Grabber("same")
    register_evidence_handler(one)
    register_evidence_handler(two, first=True)
    assert handler_for(b'{"x": 1}') is one


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
