"""HTTP for revocation data: OCSP requests and CRL downloads through the bounded reader.

A hostile or broken server costs at most ``limit`` bytes and ``(retries + 1) × timeout``
seconds per request (:mod:`bayident._http`); what is particular to revocation is that
busy servers are retried and only HTTP 200 carries data.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from .._http import Answer, HttpProblem, Reading, afetch, fetch

__all__ = ["FetchFailure", "HttpSettings", "fetch_async", "fetch_sync"]


class FetchFailure(Exception):
    """A request that gave no usable body; ``reason`` says why, ``url`` where."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{reason} ({url})")


@dataclass(frozen=True, slots=True)
class HttpSettings:
    timeout: float
    retries: int
    limit: int


def _request(url: str, body: bytes | None, content_type: str | None, accept: str) -> httpx.Request:
    headers = {"Accept": accept}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return httpx.Request("POST" if body is not None else "GET", url, content=body, headers=headers)


def _reading(settings: HttpSettings) -> Reading:
    return Reading(limit=settings.limit, timeout=settings.timeout, retries=settings.retries)


def _body(url: str, answer: Answer) -> bytes:
    if answer.status != 200:
        raise FetchFailure(url, f"the server answered HTTP {answer.status}{answer.tries()}")
    return answer.body


def fetch_sync(
    client: httpx.Client | None,
    url: str,
    settings: HttpSettings,
    *,
    body: bytes | None = None,
    content_type: str | None = None,
    accept: str,
) -> bytes:
    """GET ``url`` (POST ``body`` when given) and return the body, or raise FetchFailure."""
    try:
        answer = fetch(client, _request(url, body, content_type, accept), _reading(settings))
    except HttpProblem as exc:
        raise FetchFailure(url, exc.reason) from None
    return _body(url, answer)


async def fetch_async(
    client: httpx.AsyncClient | None,
    url: str,
    settings: HttpSettings,
    *,
    body: bytes | None = None,
    content_type: str | None = None,
    accept: str,
) -> bytes:
    """Asynchronous :func:`fetch_sync`; without a client, one is made for the request."""
    try:
        answer = await afetch(client, _request(url, body, content_type, accept), _reading(settings))
    except HttpProblem as exc:
        raise FetchFailure(url, exc.reason) from None
    return _body(url, answer)
