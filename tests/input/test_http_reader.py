"""The bounded HTTP reader every download goes through (revocation, lists, JWKS, userinfo)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from bayident._http import HttpProblem, Reading, afetch, fetch, user_agent

URL = "http://example.test/doc"


def _client(handler) -> httpx.Client:  # type: ignore[no-untyped-def]
    return httpx.Client(transport=httpx.MockTransport(handler))


def test_one_user_agent_unless_the_client_sets_its_own() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["user-agent"])
        return httpx.Response(200, content=b"ok")

    fetch(_client(handler), httpx.Request("GET", URL), Reading(limit=10, timeout=1))
    own = httpx.Client(transport=httpx.MockTransport(handler), headers={"User-Agent": "mine/1"})
    fetch(own, httpx.Request("GET", URL), Reading(limit=10, timeout=1))
    assert seen == [user_agent(), "mine/1"]
    assert user_agent().startswith("bayident")


def test_busy_answers_are_retried_only_when_asked() -> None:
    codes = iter([503, 429, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(next(codes), content=b"data")

    answer = fetch(_client(handler), httpx.Request("GET", URL), Reading(10, 1, retries=2))
    assert (answer.status, answer.body, answer.attempts) == (200, b"data", 3)
    once = fetch(
        _client(lambda r: httpx.Response(503, content=b"busy")),
        httpx.Request("GET", URL),
        Reading(10, 1),
    )
    assert (once.status, once.body, once.tries()) == (503, b"", "")


@pytest.mark.parametrize(
    ("response", "problem", "words"),
    [
        (
            httpx.Response(200, content=b"x" * 11),
            "too-large",
            "the doc is 11 bytes, over the limit",
        ),
        (
            httpx.Response(200, headers={"content-type": "text/html"}, content=b"<p>"),
            "content-type",
            "unexpected content type 'text/html'",
        ),
    ],
)
def test_refusals(response: httpx.Response, problem: str, words: str) -> None:
    reading = Reading(10, 1, what="the doc", content_types=frozenset({"application/xml"}))
    with pytest.raises(HttpProblem) as info:
        fetch(_client(lambda r: response), httpx.Request("GET", URL), reading)
    assert info.value.problem == problem
    assert words in info.value.reason


def test_a_streamed_body_over_the_limit_is_abandoned() -> None:
    def chunks():  # type: ignore[no-untyped-def]
        while True:
            yield b"x" * 4

    handler = lambda r: httpx.Response(200, content=chunks())  # noqa: E731
    with pytest.raises(HttpProblem, match="over the limit of 10 bytes"):
        fetch(_client(handler), httpx.Request("GET", URL), Reading(10, 1))


def test_structured_suffixes_count_as_their_base_type() -> None:
    ok = httpx.Response(200, headers={"content-type": "application/vnd.x+xml"}, content=b"<a/>")
    reading = Reading(10, 1, content_types=frozenset({"application/xml"}))
    assert fetch(_client(lambda r: ok), httpx.Request("GET", URL), reading).body == b"<a/>"


def test_async_network_errors_say_what_happened() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            await afetch(client, httpx.Request("GET", URL), Reading(10, 1, retries=1))

    with pytest.raises(HttpProblem, match="cannot connect: refused, after 2 attempts"):
        asyncio.run(go())
