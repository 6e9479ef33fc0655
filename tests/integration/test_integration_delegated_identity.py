"""Results of evidence handlers get an Identity from the chains they validated, as CMS does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

import bayident
from bayident import CheckOutcome, VerificationResult
from bayident._handlers import EnrichmentContext
from bayident.schemes import SchemeRegistry
from bayident.testing import MockClock, MockHongkongPostCA, MockJWTIssuer, sandbox_registry

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
CONTENT = b"Application for a cross-boundary e-service, signed with an e-Cert.\n"


@pytest.fixture(scope="module")
def hkpost() -> MockHongkongPostCA:
    return MockHongkongPostCA(clock=MockClock(NOW - dt.timedelta(days=30)))


# The registry the verifications use (each test's own, set by the fixture below).
_REGISTRY: list[SchemeRegistry] = []


@pytest.fixture(autouse=True)
def registry(hkpost: MockHongkongPostCA) -> Iterator[None]:
    _REGISTRY[:] = [sandbox_registry(hkpost.adapter())]
    yield
    _REGISTRY.clear()


def test_a_jws_signed_with_an_ecert_gets_its_identity(hkpost: MockHongkongPostCA) -> None:
    alice = hkpost.issue_personal("CHAN Tai Man", hkid="A123456(3)", mutual_recognition=True)
    jws = MockJWTIssuer.from_signer(alice).sign_detached(CONTENT, x5c=True).encode()
    # Listed as if from Hong Kong's trusted list, so the recognition policy admits it.
    trust = hkpost.trust_store(listed=True)
    result = bayident.verify(
        jws, content=CONTENT, trust=trust, at=NOW, purpose="sign", schemes=_REGISTRY[0]
    )
    assert result.passed, result.explain()
    assert result.evidence_format == "jws"
    assert result.identity is not None
    assert result.identity.scheme == "hkpost-ecert"
    assert result.adapter == result.identity.adapter
    assert result.recognition is not None
    assert (result.recognition.admitted, result.recognition.purpose) == (True, "sign")
    [profile] = [c for c in result.checks if c.name == "scheme-profile"]
    assert (profile.outcome, profile.signer) == (CheckOutcome.PASSED, 0)
    # Same identity as the CMS signature of the same signer.
    cms = alice.sign_detached_cms(CONTENT)
    plain = bayident.verify(
        cms, content=CONTENT, trust=trust, at=NOW, purpose="sign", schemes=_REGISTRY[0]
    )
    assert plain.identity is not None
    assert plain.identity.scheme == result.identity.scheme
    assert plain.identity.name_en == result.identity.name_en == "CHAN Tai Man"
    assert plain.identity.identifiers == result.identity.identifiers


def test_an_untrusted_chain_gives_no_identity(hkpost: MockHongkongPostCA) -> None:
    alice = hkpost.issue_personal("CHAN Tai Man", hkid="A123456(3)")
    jws = MockJWTIssuer.from_signer(alice).sign_detached(CONTENT, x5c=True).encode()
    result = bayident.verify(jws, content=CONTENT, at=NOW, purpose="sign", schemes=_REGISTRY[0])
    assert not result.passed
    assert result.identity is None


def test_enrichers_see_the_validated_chain(hkpost: MockHongkongPostCA) -> None:
    seen: list[list[tuple[int, bytes | None, list[bytes], Any]]] = []

    def spy(result: VerificationResult, ctx: EnrichmentContext) -> VerificationResult:
        seen.append(list(ctx.signers))
        return result

    verifier = bayident.Verifier(hkpost.trust_store(), schemes=_REGISTRY[0], enrichers=[spy])
    alice = hkpost.issue_personal("CHAN Tai Man")
    jws = MockJWTIssuer.from_signer(alice).sign_detached(CONTENT, x5c=True).encode()
    assert verifier.verify(jws, content=CONTENT, at=NOW).passed
    [(index, leaf, path, anchor)] = seen[-1]
    assert index == 0
    assert leaf == alice.cert_der
    assert path[0] == alice.cert_der
    assert len(path) == 2
    assert anchor is not None
    assert anchor.der == hkpost.root.cert_der
    # A JWS whose key is not in a certificate has no chain to report.
    bare = MockJWTIssuer("https://issuer.test").sign_detached(CONTENT).encode()
    bayident.Verifier(schemes=_REGISTRY[0], enrichers=[spy]).verify(bare, content=CONTENT, at=NOW)
    assert seen[-1] == []
