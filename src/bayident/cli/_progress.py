"""Progress on stderr for content large enough to take a while to hash.

Shown only on a terminal, with the ``cli`` extra (rich), and never with ``--json``: what
scripts read is unchanged.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

__all__ = ["PROGRESS_THRESHOLD", "ContentProgress"]

# Below this, hashing takes well under a second: a bar would only flicker.
PROGRESS_THRESHOLD = 64 * 1024 * 1024


class ContentProgress:
    """A binary reader over a content file that advances a progress bar as it is read.

    Use as a context manager; :attr:`source` is what to pass as ``content=``: the reader
    when a bar is shown, else the path itself.
    """

    def __init__(
        self, path: Path | None, err: TextIO | None, *, threshold: int = PROGRESS_THRESHOLD
    ) -> None:
        self.source: Path | ContentProgress | None = path
        self._path = path
        self._fh: Any = None
        self._bar: Any = None
        self._task: Any = None
        if path is None or err is None or not _terminal(err):
            return
        try:
            size = path.stat().st_size
        except OSError:
            return  # the library reports the unreadable file
        if size < threshold:
            return
        try:
            from rich.console import Console
            from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn
        except ImportError:
            return
        self._bar = Progress(
            f"hashing {path.name[-30:]}",
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            transient=True,
            console=Console(file=err),
        )
        self._task = self._bar.add_task("hash", total=size)
        self.source = self

    def read(self, size: int = -1, /) -> bytes:
        """Read from the file and advance the bar."""
        if self._fh is None:
            assert self._path is not None
            self._fh = self._path.open("rb")
            self._bar.start()
        chunk: bytes = self._fh.read(size)
        self._bar.advance(self._task, len(chunk))
        return chunk

    def __enter__(self) -> ContentProgress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fh is not None:
            self._fh.close()
        if self._bar is not None:
            self._bar.stop()


def _terminal(err: TextIO) -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return err.isatty()
    except (AttributeError, ValueError):
        return False
