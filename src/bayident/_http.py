"""The one bounded HTTP reader: revocation data, trusted lists, key sets, userinfo.

Every download is streamed and abandoned as soon as it exceeds its limit (a declared
``Content-Length`` over the limit is refused before any byte is read), so a hostile or
broken server costs at most ``limit`` bytes and ``(retries + 1) × timeout`` seconds.
Redirects are followed only where the caller allows it; busy answers (HTTP 429 and 5xx)
and network errors are retried only where the caller asks for retries; the media type
is checked where the caller names the acceptable ones. Requests carry one User-Agent,
decided here, unless the caller's client sets its own.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Literal

import httpx

__all__ = ["Answer", "HttpProblem", "Reading", "afetch", "default_client", "fetch", "user_agent"]

Problem = Literal["too-large", "truncated", "content-type", "network", "timeout", "url"]
#: Called as bytes arrive: (received so far, declared total or None, finished).
Progress = Callable[[int, int | None, bool], None]


class HttpProblem(Exception):
    """A request that gave no usable answer; ``reason`` says why, ``problem`` which rule."""

    def __init__(self, reason: str, problem: Problem) -> None:
        super().__init__(reason)
        self.reason = reason
        self.problem: Problem = problem


@dataclass(frozen=True, slots=True)
class Reading:
    """How one kind of document is fetched.

    ``what`` names the document in reasons ("the list", "the JWKS at ..."); ``statuses``
    are the answers whose body is read (others are returned without a body for the
    caller to judge); ``content_types`` are the media types accepted for them (``None``:
    any), a ``+xml`` or ``+json`` type counting as ``application/xml`` or ``application/json``.
    """

    limit: int
    timeout: float
    what: str = "the answer"
    retries: int = 0
    follow_redirects: bool = True
    statuses: frozenset[int] = frozenset({200})
    content_types: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """What the server said: the status, the headers, and the body when it was read."""

    status: int
    reason_phrase: str
    headers: httpx.Headers
    body: bytes
    attempts: int

    def tries(self) -> str:
        """ ", after N attempts" when the request was retried, else ""."""
        return f", after {self.attempts} attempts" if self.attempts > 1 else ""


@cache
def user_agent() -> str:
    """The User-Agent of every request bayident makes."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"bayident/{version('bayident')}"
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "bayident"


_DEFAULT_CLIENT: httpx.Client | None = None
_DEFAULT_LOCK = threading.Lock()


def _forget_client() -> None:
    # A forked child must not use the parent's pooled sockets, nor a lock another
    # thread of the parent held at the fork.
    global _DEFAULT_CLIENT, _DEFAULT_LOCK
    _DEFAULT_CLIENT = None
    _DEFAULT_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_client)


def default_client() -> httpx.Client:
    """One shared client for callers that gave none: httpx clients are thread-safe."""
    global _DEFAULT_CLIENT
    with _DEFAULT_LOCK:
        if _DEFAULT_CLIENT is None:
            _DEFAULT_CLIENT = httpx.Client(headers={"User-Agent": user_agent()})
        return _DEFAULT_CLIENT


def _prepare(client: httpx.Client | httpx.AsyncClient, request: httpx.Request, r: Reading) -> None:
    request.extensions["timeout"] = httpx.Timeout(r.timeout).as_dict()
    # The client's headers apply where the request sets none (send() does not merge
    # them); a User-Agent the caller configured is kept, httpx's own is replaced.
    for name, value in client.headers.items():
        if name not in request.headers:
            request.headers[name] = value
    if request.headers.get("user-agent", "").startswith("python-httpx/"):
        request.headers["User-Agent"] = user_agent()


def _head(response: httpx.Response, r: Reading) -> int | None:
    """Refuse what the headers already show is unusable; the declared length, if any."""
    if r.content_types is not None:
        ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype and not _acceptable(ctype, r.content_types):
            raise HttpProblem(
                f"unexpected content type {ctype!r} (not {r.what.removeprefix('the ')})",
                "content-type",
            )
    declared = response.headers.get("content-length")
    if declared is None:
        return None
    if not declared.isdigit():
        raise HttpProblem(f"invalid Content-Length {declared[:20]!r}", "truncated")
    if int(declared) > r.limit:
        raise HttpProblem(
            f"{r.what} is {declared} bytes, over the limit of {r.limit} bytes", "too-large"
        )
    return int(declared)


def _acceptable(ctype: str, accepted: frozenset[str]) -> bool:
    if ctype in accepted:
        return True
    for suffix, base in (("+xml", "application/xml"), ("+json", "application/json")):
        if ctype.endswith(suffix) and base in accepted:
            return True
    return False


class _Body:
    """The body of one answer as it arrives, within the reading's limit."""

    def __init__(
        self, response: httpx.Response, reading: Reading, progress: Progress | None, attempt: int
    ) -> None:
        self.response, self.reading, self.progress, self.attempt = (
            response,
            reading,
            progress,
            attempt,
        )
        self.declared = _head(response, reading)
        self.buf = bytearray()

    def feed(self, chunk: bytes) -> None:
        self.buf += chunk
        if len(self.buf) > self.reading.limit:
            r = self.reading
            raise HttpProblem(f"{r.what} is over the limit of {r.limit} bytes", "too-large")
        if self.progress is not None:
            self.progress(len(self.buf), self.declared, False)

    def answer(self) -> Answer:
        response, body = self.response, bytes(self.buf)
        encoded = response.headers.get("content-encoding", "identity").lower()
        if encoded in ("", "identity") and self.declared not in (None, len(body)):
            raise HttpProblem(
                f"truncated: {len(body)} of {self.declared} bytes received", "truncated"
            )
        if self.progress is not None:
            self.progress(len(body), self.declared, True)
        return _answer(response, body, self.attempt)


def _answer(response: httpx.Response, body: bytes, attempt: int) -> Answer:
    return Answer(response.status_code, response.reason_phrase, response.headers, body, attempt + 1)


def _unread(response: httpx.Response, reading: Reading, attempt: int) -> Answer | None:
    """The answer when its body is not to be read; None when it is."""
    if response.status_code in reading.statuses:
        return None
    return _answer(response, b"", attempt)


def _retry(response: httpx.Response, attempt: int, tries: int) -> bool:
    return (response.status_code >= 500 or response.status_code == 429) and attempt + 1 < tries


def _give_up(last: HttpProblem | None, tries: int) -> HttpProblem:
    assert last is not None
    if tries > 1:
        return HttpProblem(f"{last.reason}, after {tries} attempts", last.problem)
    return last


def _describe(exc: httpx.HTTPError, timeout: float) -> HttpProblem:
    if isinstance(exc, httpx.TimeoutException):
        return HttpProblem(
            f"timed out: no answer within {timeout:g} s ({type(exc).__name__})", "timeout"
        )
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, httpx.RemoteProtocolError):
        return HttpProblem(f"truncated or broken response: {text}", "network")
    if isinstance(exc, httpx.ConnectError):
        return HttpProblem(f"cannot connect: {text}", "network")
    return HttpProblem(f"network error: {type(exc).__name__}: {text}", "network")


def _bad_url(exc: Exception) -> HttpProblem:
    return HttpProblem(f"cannot be fetched: {exc}", "url")


def _pause(attempt: int) -> float:
    return min(0.1 * attempt, 1.0)


def fetch(
    client: httpx.Client | None,
    request: httpx.Request,
    reading: Reading,
    *,
    progress: Progress | None = None,
) -> Answer:
    """Send ``request`` and read the answer within ``reading``'s bounds.

    :raises HttpProblem: nothing usable came back (network, time, size, media type).
    """
    client = client or default_client()
    _prepare(client, request, reading)
    last: HttpProblem | None = None
    tries = reading.retries + 1
    for attempt in range(tries):
        if attempt:
            time.sleep(_pause(attempt))
        try:
            response = client.send(request, stream=True, follow_redirects=reading.follow_redirects)
            try:
                if _retry(response, attempt, tries):
                    continue
                unread = _unread(response, reading, attempt)
                if unread is not None:
                    return unread
                body = _Body(response, reading, progress, attempt)
                for chunk in response.iter_bytes():
                    body.feed(chunk)
                return body.answer()
            finally:
                response.close()
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise _bad_url(exc) from None
        except httpx.HTTPError as exc:
            last = _describe(exc, reading.timeout)
    raise _give_up(last, tries)


async def afetch(
    client: httpx.AsyncClient | None,
    request: httpx.Request,
    reading: Reading,
    *,
    progress: Progress | None = None,
) -> Answer:
    """Asynchronous :func:`fetch`; without a client, one is made for the request."""
    if client is None:
        async with httpx.AsyncClient() as own:
            return await afetch(own, request, reading, progress=progress)
    _prepare(client, request, reading)
    last: HttpProblem | None = None
    tries = reading.retries + 1
    for attempt in range(tries):
        if attempt:
            await asyncio.sleep(_pause(attempt))
        try:
            response = await client.send(
                request, stream=True, follow_redirects=reading.follow_redirects
            )
            try:
                if _retry(response, attempt, tries):
                    continue
                unread = _unread(response, reading, attempt)
                if unread is not None:
                    return unread
                body = _Body(response, reading, progress, attempt)
                async for chunk in response.aiter_bytes():
                    body.feed(chunk)
                return body.answer()
            finally:
                await response.aclose()
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise _bad_url(exc) from None
        except httpx.HTTPError as exc:
            last = _describe(exc, reading.timeout)
        except TimeoutError:
            last = HttpProblem(f"timed out: no answer within {reading.timeout:g} s", "timeout")
    raise _give_up(last, tries)
