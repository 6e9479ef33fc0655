"""HTTP for revocation data: bounded size, bounded time, bounded retries, sync and async.

Every download is streamed and abandoned as soon as it exceeds its limit, so a
hostile or broken server can cost at most ``limit`` bytes and
``(retries + 1) × timeout`` seconds per request.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass

import httpx

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


class _Retry(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


_USER_AGENT = "bayident revocation client"

_DEFAULT_CLIENT: httpx.Client | None = None
_DEFAULT_LOCK = threading.Lock()


def default_client() -> httpx.Client:
    """One shared client for callers that gave none: httpx clients are thread-safe."""
    global _DEFAULT_CLIENT
    with _DEFAULT_LOCK:
        if _DEFAULT_CLIENT is None:
            _DEFAULT_CLIENT = httpx.Client(headers={"User-Agent": _USER_AGENT})
        return _DEFAULT_CLIENT


def _check_status(url: str, response: httpx.Response, limit: int) -> None:
    code = response.status_code
    if code >= 500 or code == 429:
        raise _Retry(f"the server answered HTTP {code}")
    if code != 200:
        raise FetchFailure(url, f"the server answered HTTP {code}")
    declared = response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise FetchFailure(url, f"the answer is {declared} bytes, over the limit of {limit}")


def _describe(exc: httpx.HTTPError, timeout: float) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer within {timeout:g} s ({type(exc).__name__})"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"network error: {text}"


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
    client = client or default_client()
    headers = {"Accept": accept}
    if content_type is not None:
        headers["Content-Type"] = content_type
    last = "no attempt was made"
    for attempt in range(settings.retries + 1):
        if attempt:
            time.sleep(min(0.1 * attempt, 1.0))
        try:
            with client.stream(
                "POST" if body is not None else "GET",
                url,
                content=body,
                headers=headers,
                timeout=settings.timeout,
                follow_redirects=True,
            ) as response:
                _check_status(url, response, settings.limit)
                buf = bytearray()
                for chunk in response.iter_bytes():
                    buf += chunk
                    if len(buf) > settings.limit:
                        raise FetchFailure(
                            url, f"the answer exceeds the limit of {settings.limit} bytes"
                        )
                return bytes(buf)
        except _Retry as exc:
            last = exc.reason
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise FetchFailure(url, f"cannot be fetched: {exc}") from None
        except httpx.HTTPError as exc:
            last = _describe(exc, settings.timeout)
    tries = settings.retries + 1
    raise FetchFailure(url, last + (f", after {tries} attempts" if tries > 1 else ""))


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
    if client is None:
        async with httpx.AsyncClient(headers={"User-Agent": _USER_AGENT}) as own:
            return await fetch_async(
                own, url, settings, body=body, content_type=content_type, accept=accept
            )
    headers = {"Accept": accept}
    if content_type is not None:
        headers["Content-Type"] = content_type
    last = "no attempt was made"
    for attempt in range(settings.retries + 1):
        if attempt:
            await asyncio.sleep(min(0.1 * attempt, 1.0))
        try:
            async with client.stream(
                "POST" if body is not None else "GET",
                url,
                content=body,
                headers=headers,
                timeout=settings.timeout,
                follow_redirects=True,
            ) as response:
                _check_status(url, response, settings.limit)
                buf = bytearray()
                async for chunk in response.aiter_bytes():
                    buf += chunk
                    if len(buf) > settings.limit:
                        raise FetchFailure(
                            url, f"the answer exceeds the limit of {settings.limit} bytes"
                        )
                return bytes(buf)
        except _Retry as exc:
            last = exc.reason
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise FetchFailure(url, f"cannot be fetched: {exc}") from None
        except httpx.HTTPError as exc:
            last = _describe(exc, settings.timeout)
    tries = settings.retries + 1
    raise FetchFailure(url, last + (f", after {tries} attempts" if tries > 1 else ""))
