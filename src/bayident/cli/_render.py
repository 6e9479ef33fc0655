"""Turn results into text for people: plain lines anywhere, colour with ``rich`` on a terminal.

Plain output is the contract (scripts parse its first line); the ``rich`` form
shows the same lines with colour and is used only when stdout is a terminal
and the ``cli`` extra is installed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any, Protocol, TextIO

from .._result import Check, CheckOutcome, Indication, VerificationResult

__all__ = ["Renderer", "make_renderer", "verdict_line"]

_MARKS = {
    CheckOutcome.PASSED: "ok  ",
    CheckOutcome.FAILED: "FAIL",
    CheckOutcome.INDETERMINATE: "??  ",
    CheckOutcome.WARNING: "warn",
    CheckOutcome.SKIPPED: "skip",
}

_STYLES = {
    Indication.PASSED: "bold green",
    Indication.FAILED: "bold red",
    Indication.INDETERMINATE: "bold yellow",
}

_CHECK_STYLES = {
    CheckOutcome.PASSED: "green",
    CheckOutcome.FAILED: "red",
    CheckOutcome.INDETERMINATE: "yellow",
    CheckOutcome.WARNING: "yellow",
    CheckOutcome.SKIPPED: "dim",
}


def verdict_line(result: VerificationResult) -> str:
    """``PASSED: <message>`` or ``FAILED / HASH_FAILURE: <message>``."""
    head = result.indication.value
    if result.sub_indication is not None:
        head += f" / {result.sub_indication.value}"
    return f"{head}: {_one_line(result.message)}"


def revocation_lines(result: VerificationResult) -> list[str]:
    """Each certificate's revocation status, source, production time and URL, one a line."""
    lines = []
    for signer in result.signers:
        for info in signer.revocation:
            parts: list[str] = [info.status]
            if info.revoked_at is not None:
                parts[0] += f" at {info.revoked_at.isoformat().replace('+00:00', 'Z')}"
            if info.source is not None:
                parts.append(f"{info.source.upper()} ({info.origin})")
            if info.produced_at is not None:
                parts.append(f"produced {info.produced_at.isoformat().replace('+00:00', 'Z')}")
            if info.url is not None:
                parts.append(info.url)
            lines.append(
                f"revocation: signer {signer.index}: {_one_line(info.subject)}: {', '.join(parts)}"
            )
    return lines


def check_line(check: Check) -> str:
    """One check as one line: mark, signer, name, message and what it concerns."""
    where = f" [{_one_line(check.concerns)}]" if check.concerns else ""
    who = f"signer {check.signer}: " if check.signer is not None else ""
    return f"{_MARKS[check.outcome]} {who}{check.name}: {_one_line(check.message)}{where}"


def _one_line(text: str) -> str:
    # A message from a certificate field may hold newlines; one check must stay one line.
    return " ".join(text.split())


class Renderer(Protocol):
    """Where the CLI writes what people read."""

    def result(self, result: VerificationResult, *, checks: Iterable[Check] | None = None) -> None:
        """The verdict line, then each check (all of them unless ``checks`` is given)."""

    def heading(self, text: str) -> None:
        """A section title."""

    def line(self, text: str = "", *, style: str | None = None) -> None:
        """A line of free text."""


class PlainRenderer:
    """Plain text, one item a line: what pipes, logs and tests see."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def result(self, result: VerificationResult, *, checks: Iterable[Check] | None = None) -> None:
        self._out.write(verdict_line(result) + "\n")
        for check in result.checks if checks is None else checks:
            self._out.write("  " + check_line(check) + "\n")
        for line in revocation_lines(result) if checks is None else ():
            self._out.write("  " + line + "\n")
        for warning in result.warnings:
            self._out.write(f"  warning: {_one_line(warning)}\n")

    def heading(self, text: str) -> None:
        self._out.write(f"\n== {text}\n")

    def line(self, text: str = "", *, style: str | None = None) -> None:
        self._out.write(text + "\n")


class RichRenderer:
    """The same lines as :class:`PlainRenderer`, coloured by outcome."""

    def __init__(self, out: TextIO) -> None:
        from rich.console import Console  # the ``cli`` extra; checked by make_renderer

        self._console: Any = Console(file=out, highlight=False, soft_wrap=True)

    def result(self, result: VerificationResult, *, checks: Iterable[Check] | None = None) -> None:
        from rich.text import Text

        self._console.print(Text(verdict_line(result), style=_STYLES[result.indication]))
        for check in result.checks if checks is None else checks:
            self._console.print(Text("  " + check_line(check), style=_CHECK_STYLES[check.outcome]))
        for line in revocation_lines(result) if checks is None else ():
            self._console.print(Text("  " + line))
        for warning in result.warnings:
            self._console.print(Text(f"  warning: {_one_line(warning)}", style="yellow"))

    def heading(self, text: str) -> None:
        from rich.text import Text

        self._console.print()
        self._console.print(Text(f"== {text}", style="bold"))

    def line(self, text: str = "", *, style: str | None = None) -> None:
        from rich.text import Text

        self._console.print(Text(text, style=style or ""))


def make_renderer(out: TextIO) -> Renderer:
    """Colour on a terminal when ``rich`` is installed and ``NO_COLOR`` is unset, else plain."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return PlainRenderer(out)
    try:
        is_tty = out.isatty()
    except (AttributeError, ValueError):  # closed or exotic streams
        is_tty = False
    if not is_tty:
        return PlainRenderer(out)
    try:
        import rich  # noqa: F401
    except ImportError:
        return PlainRenderer(out)
    return RichRenderer(out)
