"""Configuration lives on the Verifier: the expected scheme, and derived verifiers that
share the caller's trust, clients, clock and caches."""

from __future__ import annotations

import datetime as dt

import pytest

import bayident
from bayident import Indication, SubIndication
from bayident.schemes import verify_as
from bayident.testing import MockClock, MockESignTrustCA

NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
DOC = b"application form"


@pytest.fixture(scope="module")
def esigntrust() -> MockESignTrustCA:
    return MockESignTrustCA(clock=MockClock(NOW))


def test_expected_scheme_on_the_verifier_decides_like_verify_as(
    esigntrust: MockESignTrustCA,
) -> None:
    cms = esigntrust.issue("Macau Widgets Lda").sign_detached_cms(DOC)
    trust = esigntrust.trust_store()
    wrong = bayident.Verifier(trust, expected_scheme="hkpost-ecert")
    res = wrong.verify(cms, content=DOC, at=NOW)
    assert res.indication is Indication.INDETERMINATE
    assert res.sub_indication is SubIndication.CHAIN_CONSTRAINTS_FAILURE
    assert "presented as another" in res.message
    assert (
        res.model_dump()
        == verify_as("hkpost-ecert", cms, content=DOC, trust=trust, at=NOW).model_dump()
    )
    right = bayident.Verifier(trust, expected_scheme="esigntrust").verify(cms, content=DOC, at=NOW)
    assert right.passed
    assert any(c.name == "scheme" and c.outcome.value == "passed" for c in right.checks)


def test_derive_changes_the_setting_and_shares_everything_else(
    esigntrust: MockESignTrustCA,
) -> None:
    cms = esigntrust.issue("Macau Widgets Lda").sign_detached_cms(DOC)
    outer = bayident.Verifier(esigntrust.trust_store(), clock=lambda: NOW)
    derived = outer.derive(expected_scheme="hkpost-ecert")
    assert outer.expected_scheme is None
    assert derived.expected_scheme == "hkpost-ecert"
    assert derived.trust is outer.trust
    assert derived.policy is outer.policy
    assert derived.revocation is outer.revocation
    # The derived verifier's verdict follows its setting; the outer one's is unchanged.
    assert not derived.verify(cms, content=DOC).passed
    assert outer.verify(cms, content=DOC).passed
    # Kept when not named.
    assert derived.derive().expected_scheme == "hkpost-ecert"
    assert derived.derive(expected_scheme=None).verify(cms, content=DOC).passed


@pytest.mark.parametrize("bad", ["", 7])
def test_expected_scheme_must_be_a_name(bad: object) -> None:
    with pytest.raises(bayident.InvalidArgument, match="expected_scheme"):
        bayident.Verifier(expected_scheme=bad)  # type: ignore[arg-type]
    with pytest.raises(bayident.InvalidArgument, match="expected_scheme"):
        bayident.Verifier().derive(expected_scheme=bad)  # type: ignore[arg-type]


def test_every_door_takes_the_options_verify_takes() -> None:
    # A door missing an option would give a different answer for the same evidence.
    import inspect

    import bayident
    from bayident import schemes

    options = set(inspect.signature(bayident.verify).parameters) - {"trust", "policy"}
    doors = {
        "Verifier.verify": bayident.Verifier.verify,
        "Verifier.averify": bayident.Verifier.averify,
        "averify": bayident.averify,
        "schemes.verify_as": schemes.verify_as,
        "schemes.averify_as": schemes.averify_as,
    }
    for name, door in doors.items():
        missing = options - set(inspect.signature(door).parameters) - {"schemes"}
        assert not missing, f"{name} lacks {sorted(missing)}"
