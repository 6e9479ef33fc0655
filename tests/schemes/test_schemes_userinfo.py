"""Guangdong unified identity: userinfo for an opaque OAuth2 access token."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import bayident
from bayident import Indication, SubIndication, VerificationResult
from bayident.schemes import GuangdongIdentityAdapter, scheme_evidence
from bayident.schemes.guangdong import guangdong_profile
from bayident.testing import MockClock, MockGuangdongIdP, sandbox_registry

NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
RIC = "11010519491231002X"
ENDPOINT = "https://uia.example.test/userinfo"


@pytest.fixture
def gd() -> MockGuangdongIdP:
    return MockGuangdongIdP(clock=MockClock(NOW))


def _evidence(token: str) -> bytes:
    return scheme_evidence("gd-uia", "userinfo", {"accessToken": token})


def test_the_code_flow_then_userinfo_through_the_verifiers_client(gd: MockGuangdongIdP) -> None:
    with httpx.Client(transport=gd.mock_transport()) as client:
        code = gd.authorise("gd-user-1", name="李小明", id_number=RIC, level="L4")
        answer = client.post(gd.token_endpoint, data={"code": code})
        token = answer.json()["access_token"]
        # The adapter has no client of its own: the verifier's is used.
        adapter = GuangdongIdentityAdapter(gd.profile())
        registry = sandbox_registry(adapter)
        res = bayident.Verifier(http_client=client, schemes=registry).verify(
            _evidence(token), at=NOW
        )
    assert res.passed, res.explain()
    assert gd.userinfo_requests == 1
    ident = res.identity
    assert ident is not None
    assert ident.jurisdiction == "CN-GD"
    assert ident.identifier("CN_RIC").value == RIC  # type: ignore[union-attr]
    assert ident.assurance.scheme_level == "L4"
    assert [c.name for c in res.checks][:2] == ["userinfo", "claims-mapping"]


def test_a_revoked_token_is_refused(gd: MockGuangdongIdP) -> None:
    token = gd.issue_access_token("gd-user-2", name="王芳", level="L3")
    gd.revoke(token)
    registry = sandbox_registry(gd.adapter())
    res = bayident.verify(_evidence(token), at=NOW, schemes=registry)
    assert (res.indication, res.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.SIG_CONSTRAINTS_FAILURE,
    )
    assert "refused the access token" in res.message


def _run(handler: Callable[[httpx.Request], httpx.Response], **profile: Any) -> VerificationResult:
    settings: dict[str, Any] = {"issuer": "https://uia.example.test", "userinfo_endpoint": ENDPOINT}
    settings.update(profile)
    adapter = GuangdongIdentityAdapter(
        guangdong_profile(**settings),
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    registry = sandbox_registry(adapter)
    return bayident.verify(_evidence("opaque-token-1"), at=NOW, schemes=registry)


def test_a_platform_shaped_answer_configured_by_settings() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = {
            "code": 0,
            "data": {"userId": "u-9", "userName": "李小明", "idCard": RIC, "level": "L4"},
        }
        return httpx.Response(200, content=json.dumps(body, ensure_ascii=False).encode())

    res = _run(
        handler,
        userinfo_method="POST",
        userinfo_send_as="form",
        userinfo_parameter="access_token",
        userinfo_claims_path=("data",),
        subject_claim="userId",
        name_claim="userName",
        identifier_claims=(("idCard", "CN_RIC"),),
        assurance_claim="level",
    )
    assert res.passed, res.explain()
    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == ENDPOINT
    assert request.content == b"access_token=opaque-token-1"
    assert "authorization" not in request.headers
    assert res.identity is not None
    assert res.identity.name_zh == "李小明"


def test_the_default_is_a_bearer_header_get() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"sub": "u-1", "acr": "L4"})

    assert _run(handler).passed
    assert seen[0].method == "GET"
    assert seen[0].headers["authorization"] == "Bearer opaque-token-1"


@pytest.mark.parametrize(
    ("response", "sub", "words"),
    [
        (httpx.Response(500), SubIndication.TRY_LATER, "HTTP 500"),
        (httpx.Response(403), SubIndication.SIG_CONSTRAINTS_FAILURE, "refused"),
        (httpx.Response(200, content=b"not json"), SubIndication.FORMAT_FAILURE, "userinfo"),
        (
            httpx.Response(200, content=b"[1]"),
            SubIndication.FORMAT_FAILURE,
            "must be a JSON object, not an array",
        ),
        (
            httpx.Response(200, content=b'{"sub":"a","sub":"b"}'),
            SubIndication.FORMAT_FAILURE,
            "userinfo",
        ),
        (
            httpx.Response(200, content=b'{"sub":"x","acr":"L4","pad":"' + b"x" * 70_000 + b'"}'),
            SubIndication.FORMAT_FAILURE,
            "over the limit of",
        ),
        (
            httpx.Response(200, json={"sub": "x", "acr": "L4", "id_number": RIC[:-1] + "1"}),
            SubIndication.FORMAT_FAILURE,
            "id_number",
        ),
        (httpx.Response(200, json={"sub": "x", "acr": "L9"}), None, "acr"),
    ],
)
def test_bad_answers_say_what_is_wrong(
    response: httpx.Response, sub: SubIndication | None, words: str
) -> None:
    res = _run(lambda _r: response, identifier_claims=(("id_number", "CN_RIC"),))
    assert not res.passed
    if sub is not None:
        assert res.sub_indication is sub
    assert words in res.message


def test_an_unreachable_endpoint_is_try_later() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    res = _run(handler)
    assert res.sub_indication is SubIndication.TRY_LATER
    assert "could not be reached" in res.message


def test_a_missing_claims_object_is_named() -> None:
    res = _run(lambda _r: httpx.Response(200, json={"code": 1}), userinfo_claims_path=("data",))
    assert res.sub_indication is SubIndication.FORMAT_FAILURE
    assert "userinfo.data" in res.message


def test_without_an_endpoint_the_adapter_says_what_to_set() -> None:
    adapter = GuangdongIdentityAdapter(guangdong_profile(issuer="https://uia.example.test"))
    registry = sandbox_registry(adapter)
    res = bayident.verify(_evidence("t"), at=NOW, schemes=registry)
    assert res.sub_indication is SubIndication.SIGNATURE_POLICY_NOT_AVAILABLE
    assert "userinfo_endpoint" in res.message


@pytest.mark.parametrize("token", ["has space", "tab\there", "\x00"])
def test_malformed_access_tokens(token: str) -> None:
    adapter = GuangdongIdentityAdapter(
        guangdong_profile(issuer="https://uia.example.test", userinfo_endpoint=ENDPOINT)
    )
    registry = sandbox_registry(adapter)
    bad = bayident.verify(_evidence(token), at=NOW, schemes=registry)
    assert bad.sub_indication is SubIndication.FORMAT_FAILURE
    assert "accessToken" in bad.message


def test_profile_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="https"):
        guangdong_profile(userinfo_endpoint="http://uia.example.test/userinfo")
    with pytest.raises(ValueError, match="userinfo_parameter"):
        guangdong_profile(userinfo_send_as="query")
    with pytest.raises(ValueError, match="POST"):
        guangdong_profile(userinfo_send_as="form", userinfo_parameter="t")


def test_async_verification_uses_the_async_client(gd: MockGuangdongIdP) -> None:
    token = gd.issue_access_token("gd-user-3", name="陈明", level="L5")

    async def go() -> VerificationResult:
        async with httpx.AsyncClient(transport=gd.mock_transport()) as client:
            adapter = GuangdongIdentityAdapter(gd.profile())
            registry = sandbox_registry(adapter)
            return await bayident.Verifier(async_http_client=client, schemes=registry).averify(
                _evidence(token), at=NOW
            )

    res = asyncio.run(go())
    assert res.passed, res.explain()
    assert res.identity is not None
    assert res.identity.assurance.scheme_level == "L5"
