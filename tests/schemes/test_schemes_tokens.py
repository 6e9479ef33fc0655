"""Guangdong unified identity and Macao One Account tokens, on bayident.jose."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

import bayident
from bayident import AssuranceLevel, Indication, SubIndication, VerificationResult
from bayident.schemes import (
    GuangdongIdentityAdapter,
    Recognizer,
    SchemeFailure,
    TokenProfile,
    averify_as,
    scheme_evidence,
)
from bayident.schemes.guangdong import guangdong_profile
from bayident.testing import MockClock, MockGuangdongIdP, MockMacaoOneAccount, sandbox_registry

NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
RIC = "11010519491231002X"


@pytest.fixture(scope="module")
def clock() -> MockClock:
    return MockClock(NOW)


@pytest.fixture(scope="module")
def gd(clock: MockClock) -> MockGuangdongIdP:
    return MockGuangdongIdP(clock=clock)


@pytest.fixture(scope="module")
def mo(clock: MockClock) -> MockMacaoOneAccount:
    return MockMacaoOneAccount(clock=clock)


def gd_run(gd: MockGuangdongIdP, token: str, **kw: Any) -> VerificationResult:
    registry = sandbox_registry(gd.adapter())
    return bayident.verify(
        scheme_evidence("gd-uia", "id-token", {"token": token}), at=NOW, **kw, schemes=registry
    )


@pytest.mark.parametrize(
    ("level", "common"),
    [
        ("L2", AssuranceLevel.LOW),
        ("L3", AssuranceLevel.LOW),
        ("L4", AssuranceLevel.SUBSTANTIAL),
        ("L5", AssuranceLevel.HIGH),
    ],
)
def test_guangdong_levels_map_to_the_common_scale(
    gd: MockGuangdongIdP, level: str, common: AssuranceLevel
) -> None:
    res = gd_run(
        gd, gd.issue("gd-1", name="李小明", id_number=RIC, level=level, birthdate="1949-12-31")
    )
    assert res.passed, res.explain()
    ident = res.identity
    assert ident is not None
    assert (ident.scheme, ident.jurisdiction) == ("gd-uia", "CN-GD")
    assert ident.assurance.scheme_level == level
    assert ident.assurance.level is common
    assert ident.name_zh == "李小明"
    assert ident.date_of_birth == dt.date(1949, 12, 31)
    assert ident.identifier("CN_RIC").value == RIC  # type: ignore[union-attr]
    assert ident.identifier("GD_UIA_SUB").value == "gd-1"  # type: ignore[union-attr]
    assert res.adapter == "gd-uia"
    assert res.checks[-1].name == "claims-mapping"


def test_a_hong_kong_resident_in_guangdong_carries_a_travel_permit(gd: MockGuangdongIdP) -> None:
    res = gd_run(gd, gd.issue("gd-2", name="CHAN Tai Man", permit_number="H12345678"))
    assert res.identity is not None
    assert res.identity.name_en == "CHAN Tai Man"
    assert res.identity.identifier("HK_MO_TRAVEL_PERMIT").value == "H12345678"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"acr": "L9"}, "claim 'acr' is 'L9', not a level"),
        ({"acr": None}, "claim 'acr' (the assurance level) is missing"),
        (
            {"id_number": "110105194912310021"},
            "claim 'id_number' is not a valid CN_RIC: check character",
        ),
        ({"birthdate": "31/12/1949"}, "claim 'birthdate' is not a date"),
        ({"name": 7}, "claim 'name' must be a non-empty string"),
    ],
)
def test_claims_that_do_not_map(
    gd: MockGuangdongIdP, claims: dict[str, Any], expected: str
) -> None:
    res = gd_run(gd, gd.issue("gd-3", name="李小明", id_number=RIC, claims=claims))
    assert (res.indication, res.sub_indication) == (Indication.FAILED, SubIndication.FORMAT_FAILURE)
    assert expected in res.message
    assert res.identity is None


def test_a_missing_subject(gd: MockGuangdongIdP) -> None:
    res = gd_run(gd, gd.issue("gd-4", claims={"sub": None}))
    assert not res.passed
    assert "sub" in res.message


def test_signature_issuer_audience_and_expiry_are_checked(
    gd: MockGuangdongIdP, clock: MockClock
) -> None:
    other = MockGuangdongIdP("https://gd-uia.sandbox.test", clock=clock)  # same issuer, other key
    assert not gd_run(gd, other.issue("gd-5")).passed
    assert not gd_run(gd, gd.issue("gd-5", audience="someone-else")).passed
    expired = gd.issue("gd-5", lifetime=dt.timedelta(minutes=5))
    registry = sandbox_registry(gd.adapter())
    late = bayident.verify(
        scheme_evidence("gd-uia", "id-token", {"token": expired}),
        at=NOW + dt.timedelta(hours=1),
        schemes=registry,
    )
    assert not late.passed
    assert late.adapter == "gd-uia"
    forged = gd.issue("gd-5")[:-4] + "AAAA"
    res = gd_run(gd, forged)
    assert res.indication is Indication.FAILED
    assert res.identity is None


def test_an_unconfigured_profile(gd: MockGuangdongIdP) -> None:
    evidence = scheme_evidence("gd-uia", "id-token", {"token": gd.issue("gd-6")})
    res = bayident.verify(evidence, at=NOW)  # the default registry: no issuer configured
    assert (res.indication, res.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.SIGNATURE_POLICY_NOT_AVAILABLE,
    )
    assert "issuer is not set" in res.message


def test_static_jwks_and_verify_token(gd: MockGuangdongIdP) -> None:
    adapter = GuangdongIdentityAdapter(gd.profile(jwks_url=None, jwks=gd.jwt.jwks))
    res = adapter.verify_token(gd.issue("gd-7", level="L5"), at=NOW)
    assert res.passed
    assert res.identity is not None
    assert res.identity.assurance.level is AssuranceLevel.HIGH
    assert res.recognition is None
    # Asking for recognition without a home jurisdiction: every identity is foreign, and
    # no default rule admits a Guangdong token.
    res = adapter.verify_token(gd.issue("gd-7", level="L5"), at=NOW, require_assurance="high")
    assert res.indication is Indication.INDETERMINATE
    assert res.recognition is not None
    assert "no home jurisdiction is set" in res.recognition.reason


def test_the_jwks_on_a_real_local_server(gd: MockGuangdongIdP) -> None:
    with gd.serve() as server:
        adapter = GuangdongIdentityAdapter(
            gd.profile(jwks_url=server.url), http_client=httpx.Client(timeout=5)
        )
        res = adapter.verify_token(gd.issue("gd-8"), at=NOW)
    assert res.passed, res.explain()


async def test_averify_fetches_without_blocking(gd: MockGuangdongIdP) -> None:
    adapter = GuangdongIdentityAdapter(
        gd.profile(), async_http_client=httpx.AsyncClient(transport=gd.mock_transport())
    )
    registry = sandbox_registry(adapter)
    res = await bayident.averify(
        scheme_evidence("gd-uia", "id-token", {"token": gd.issue("gd-9")}), at=NOW, schemes=registry
    )
    assert res.passed
    assert res.identity is not None
    res = await averify_as(
        "mo-one-account",
        scheme_evidence("gd-uia", "id-token", {"token": gd.issue("gd-9")}),
        at=NOW,
        schemes=registry,
    )
    assert not res.passed
    assert "'gd-uia'" in res.message


def test_macao_one_account(mo: MockMacaoOneAccount) -> None:
    res = mo.adapter().verify_token(mo.issue("mo-1", name="CHAN Man", bir="1234567(8)"), at=NOW)
    assert res.passed
    ident = res.identity
    assert ident is not None
    assert (ident.scheme, ident.jurisdiction) == ("mo-one-account", "MO")
    assert ident.identifier("MO_BIR").value == "1234567(8)"  # type: ignore[union-attr]
    assert ident.assurance.level is AssuranceLevel.LOW
    assert ident.assurance.scheme_level is None
    res = mo.adapter().verify_token(mo.issue("mo-2", bir="4234567(A)"), at=NOW)
    assert "claim 'bir' is not a valid MO_BIR: check character is 'A'" in res.message
    # A level claim is refused until the platform's levels are configured…
    res = mo.adapter().verify_token(mo.issue("mo-3", claims={"acr": "2"}), at=NOW)
    assert not res.passed
    assert "none configured" in res.message
    # …and mapped once they are.
    adapter = mo.adapter(assurance_levels={"2": AssuranceLevel.SUBSTANTIAL})
    res = adapter.verify_token(mo.issue("mo-3", claims={"acr": "2"}), at=NOW)
    assert res.passed
    assert res.identity is not None
    assert res.identity.assurance.level is AssuranceLevel.SUBSTANTIAL


def test_recognition_of_a_token(gd: MockGuangdongIdP) -> None:
    token = gd.issue("gd-10", name="李小明", level="L4")
    registry = sandbox_registry(gd.adapter(), recognizer=Recognizer(home_jurisdiction="CN-GD"))
    ev = scheme_evidence("gd-uia", "id-token", {"token": token})
    ok = bayident.verify(
        ev, at=NOW, purpose="authenticate", require_assurance="substantial", schemes=registry
    )
    low = bayident.verify(
        ev, at=NOW, purpose="authenticate", require_assurance="high", schemes=registry
    )
    assert ok.passed
    assert ok.recognition is not None
    assert ok.recognition.rule == "domestic/CN-GD"
    assert low.indication is Indication.INDETERMINATE
    assert low.recognition is not None
    assert "below the required 'high'" in low.recognition.reason
    registry = sandbox_registry(gd.adapter(), recognizer=Recognizer(home_jurisdiction="HK"))
    foreign = bayident.verify(
        scheme_evidence("gd-uia", "id-token", {"token": token}),
        at=NOW,
        purpose="authenticate",
        schemes=registry,
    )
    assert foreign.sub_indication is SubIndication.SIG_CONSTRAINTS_FAILURE
    assert foreign.recognition is not None
    assert "by a HK relying party" in foreign.recognition.reason


def test_profile_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="https"):
        guangdong_profile(issuer="x", jwks_url="http://example.com/jwks")
    with pytest.raises(ValueError, match="extra"):
        TokenProfile(
            adapter="a", scheme="a", jurisdiction="HK", display_name="A", subject_kind="X", nope=1
        )  # type: ignore[call-arg]
    p = guangdong_profile()
    assert not p.configured
    assert p.assurance_levels["L4"] is AssuranceLevel.SUBSTANTIAL


def test_identity_from_claims_directly(gd: MockGuangdongIdP) -> None:
    adapter = gd.adapter()
    ident = adapter.identity_from_claims({"sub": "x", "acr": "L3"})
    assert ident.assurance.level is AssuranceLevel.LOW
    with pytest.raises(SchemeFailure):
        adapter.identity_from_claims({"acr": "L3"})
