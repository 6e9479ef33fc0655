"""Fetching lists over HTTP: conditional GET, size limits, an atomic on-disk cache."""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx

from .._exceptions import InvalidArgument
from .._http import Answer, HttpProblem, Progress, Reading, afetch, fetch
from .._json import loads
from ._document import DEFAULT_MAX_LIST_BYTES

__all__ = [
    "ACCEPTED_CONTENT_TYPES",
    "FetchProgress",
    "FetchResult",
    "ListCache",
    "TrustListFetcher",
]

#: Media types a list may be served as. ``application/octet-stream`` and ``text/plain``
#: are common for static files; HTML (a portal's error page) never is a list.
ACCEPTED_CONTENT_TYPES = frozenset(
    {
        "application/vnd.etsi.tsl+xml",
        "application/xml",
        "text/xml",
        "application/json",
        "application/jose",
        "application/jws",
        "application/octet-stream",
        "text/plain",
    }
)

FetchStatus = Literal["fetched", "not-modified", "failed"]


@dataclass(frozen=True)
class FetchProgress:
    """Progress of one download, reported as bytes arrive."""

    url: str
    received: int
    total: int | None
    done: bool = False


@dataclass(frozen=True)
class FetchResult:
    """The outcome of fetching one URL.

    ``status`` is ``fetched`` (new content in ``data``), ``not-modified`` (the
    server answered 304; ``data`` is the cached copy) or ``failed`` (``error``
    says why; ``data`` is ``None``).
    """

    url: str
    status: FetchStatus
    data: bytes | None
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    error: str | None = None
    http_status: int | None = None

    @property
    def ok(self) -> bool:
        return self.status != "failed" and self.data is not None


@dataclass(frozen=True)
class CacheEntry:
    url: str
    data: bytes
    etag: str | None
    last_modified: str | None
    stored_at: _dt.datetime


class ListCache:
    """Lists on disk: one file per URL holding the list and its HTTP validators.

    Each entry is written once, whole: a temporary file in the same directory,
    flushed and fsynced, then ``os.replace`` and an fsync of the directory. A
    crash (even ``kill -9``) at any moment leaves the old entry or the new one,
    never half of either nor one without the other. Temporary files left by
    writers that died are removed when a cache is opened. Entries written by
    earlier versions (a ``.list`` and a ``.json`` file) are still read.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InvalidArgument(
                f"cannot use cache directory {self.directory}: {exc.strerror or exc}"
            ) from None
        remove_stale_temporaries(self.directory)

    def _stem(self, url: str) -> Path:
        return self.directory / hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]

    def get(self, url: str) -> CacheEntry | None:
        """The cached copy of ``url``, or ``None`` (missing, unreadable, torn or tampered)."""
        stem = self._stem(url)
        try:
            blob = stem.with_suffix(_ENTRY).read_bytes()
        except FileNotFoundError:
            return self._get_legacy(url, stem)
        except OSError:
            return None
        meta, data = _split_entry(blob)
        if meta is None or meta.get("url") not in (None, url):
            return None
        return _entry(url, meta, data)

    def _get_legacy(self, url: str, stem: Path) -> CacheEntry | None:
        try:
            meta = loads(stem.with_suffix(".json").read_bytes(), "cache metadata", _MAX_META)
            data = stem.with_suffix(".list").read_bytes()
        except (OSError, ValueError):
            return None
        return _entry(url, meta, data) if isinstance(meta, dict) else None

    def put(
        self,
        url: str,
        data: bytes,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        now: _dt.datetime | None = None,
    ) -> None:
        """Store ``data`` for ``url`` with its validators, in one atomic write."""
        stem = self._stem(url)
        meta = {
            "url": url,
            "etag": etag,
            "last_modified": last_modified,
            "sha256": hashlib.sha256(data).hexdigest(),
            "length": len(data),
            "stored_at": (now or _dt.datetime.now(_dt.UTC)).isoformat(),
        }
        header = json.dumps(meta, separators=(",", ":")).encode("utf-8")
        atomic_write(stem.with_suffix(_ENTRY), _MAGIC + header + b"\n" + data)
        for old in (".list", ".json"):  # an entry from an earlier version is now stale
            with contextlib.suppress(OSError):
                stem.with_suffix(old).unlink()

    def read_state(self) -> dict[str, Any]:
        try:
            data = loads((self.directory / "state.json").read_bytes(), "cache state", _MAX_STATE)
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def write_state(self, state: dict[str, Any]) -> None:
        atomic_write(self.directory / "state.json", json.dumps(state, indent=2).encode("utf-8"))


_ENTRY = ".entry"
# The cache is the library's own, but a directory others can write is read like any input.
_MAX_META = 64 * 1024
_MAX_STATE = 4 * 1024 * 1024
_MAGIC = b"bayident-list-cache 1\n"


def _split_entry(blob: bytes) -> tuple[dict[str, Any] | None, bytes]:
    if not blob.startswith(_MAGIC):
        return None, b""
    end = blob.find(b"\n", len(_MAGIC))
    if end < 0:
        return None, b""
    try:
        meta = loads(blob[len(_MAGIC) : end], "cache entry header", _MAX_META)
    except ValueError:
        return None, b""
    return (meta if isinstance(meta, dict) else None), blob[end + 1 :]


def _entry(url: str, meta: dict[str, Any], data: bytes) -> CacheEntry | None:
    if meta.get("sha256") != hashlib.sha256(data).hexdigest():
        return None  # torn or tampered: as good as absent
    try:
        stored = _dt.datetime.fromisoformat(str(meta.get("stored_at")))
    except ValueError:
        return None
    etag, modified = meta.get("etag"), meta.get("last_modified")
    return CacheEntry(
        url=url,
        data=data,
        etag=etag if isinstance(etag, str) else None,
        last_modified=modified if isinstance(modified, str) else None,
        stored_at=stored,
    )


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's) or cannot tell: leave its file alone
    return True


def remove_stale_temporaries(directory: Path) -> int:
    """Remove temporary files whose writer process is gone; returns how many were removed.

    Temporary names carry the writer's process id, so a cache opened while
    another process writes does not pull a file from under it.
    """
    removed = 0
    try:
        names = [p for p in directory.iterdir() if p.name.startswith(".") and p.suffix == ".tmp"]
    except OSError:
        return 0
    for path in names:
        parts = path.name.split(".")
        # ".<target name>.<pid>.<random>.tmp"; files of earlier versions carry no pid.
        pid = int(parts[-3]) if len(parts) >= 4 and parts[-3].isdigit() else -1
        if pid == os.getpid() or _pid_alive(pid):
            continue
        with contextlib.suppress(OSError):
            path.unlink()
            removed += 1
    return removed


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory."""
    fd, tmp = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp"
    )
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    try:
        # The rename is durable only once the directory entry is.
        dfd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(dfd)
    finally:
        os.close(dfd)


ProgressCallback = Callable[[FetchProgress], None]


class TrustListFetcher:
    """Fetches lists with ``httpx``, sync or async, with conditional GET against a cache.

    Pass your own ``client`` / ``async_client`` (proxies, an ``httpx.MockTransport``
    in tests); otherwise bayident's shared client is used (a new one per call when
    async). Each request waits at most ``timeout`` seconds, follows redirects, and
    is refused over ``max_bytes`` or when served as a media type not in
    ``content_types`` (a ``+xml`` type counts as ``application/xml``). ``progress``
    is called as bytes arrive. The cache is
    *read* for ETag / Last-Modified and for 304 answers; storing a list is
    left to the caller, who stores it only once it is accepted.
    """

    def __init__(
        self,
        *,
        client: httpx.Client | None = None,
        async_client: httpx.AsyncClient | None = None,
        cache: ListCache | str | os.PathLike[str] | None = None,
        max_bytes: int = DEFAULT_MAX_LIST_BYTES,
        timeout: float = 30.0,
        progress: ProgressCallback | None = None,
        content_types: frozenset[str] = ACCEPTED_CONTENT_TYPES,
    ) -> None:
        self.client = client
        self.async_client = async_client
        self.cache = cache if isinstance(cache, ListCache) or cache is None else ListCache(cache)
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.progress = progress
        self.content_types = content_types

    def _headers(self, url: str) -> tuple[dict[str, str], CacheEntry | None]:
        headers = {"Accept": ", ".join(sorted(self.content_types)), "Accept-Encoding": "identity"}
        entry = self.cache.get(url) if self.cache is not None else None
        if entry is not None:
            if entry.etag:
                headers["If-None-Match"] = entry.etag
            if entry.last_modified:
                headers["If-Modified-Since"] = entry.last_modified
        return headers, entry

    def _reading(self) -> Reading:
        return Reading(
            limit=self.max_bytes,
            timeout=self.timeout,
            what="the list",
            content_types=self.content_types,
        )

    def _progress(self, url: str) -> Progress | None:
        report = self.progress
        if report is None:
            return None
        return lambda received, total, done: report(FetchProgress(url, received, total, done))

    def _result(self, url: str, answer: Answer, entry: CacheEntry | None) -> FetchResult:
        if answer.status == 304:
            if entry is None:
                return _fail(url, "the server answered 304 Not Modified but nothing is cached", 304)
            return FetchResult(
                url, "not-modified", entry.data, entry.etag, entry.last_modified, http_status=304
            )
        if answer.status != 200:
            return _fail(url, f"HTTP {answer.status} {answer.reason_phrase}".strip(), answer.status)
        h = answer.headers
        return FetchResult(
            url,
            "fetched",
            answer.body,
            h.get("etag"),
            h.get("last-modified"),
            h.get("content-type"),
            http_status=200,
        )

    def fetch(self, url: str) -> FetchResult:
        """GET ``url`` (conditionally when cached). Never raises for network or HTTP errors."""
        _check_url(url)
        headers, entry = self._headers(url)
        request = httpx.Request("GET", url, headers=headers)
        try:
            answer = fetch(self.client, request, self._reading(), progress=self._progress(url))
        except HttpProblem as exc:
            return _failed(url, exc)
        return self._result(url, answer, entry)

    async def afetch(self, url: str) -> FetchResult:
        """Asynchronous :meth:`fetch`."""
        _check_url(url)
        headers, entry = self._headers(url)
        request = httpx.Request("GET", url, headers=headers)
        try:
            answer = await afetch(
                self.async_client, request, self._reading(), progress=self._progress(url)
            )
        except HttpProblem as exc:
            return _failed(url, exc)
        return self._result(url, answer, entry)


def _check_url(url: str) -> None:
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        raise InvalidArgument(f"a list URL must be http:// or https://, not {url!r}")


def _fail(url: str, error: str, http_status: int | None = None) -> FetchResult:
    return FetchResult(url, "failed", None, error=error, http_status=http_status)


def _failed(url: str, exc: HttpProblem) -> FetchResult:
    # Refused on what the server sent (size, media type, a short body): it did answer 200.
    answered = exc.problem in ("too-large", "content-type", "truncated")
    return _fail(url, exc.reason, 200 if answered else None)
