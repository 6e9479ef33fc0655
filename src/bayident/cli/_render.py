"""Turn results into text for people: plain lines anywhere, colour with ``rich`` on a terminal.

Plain output is the contract (scripts parse its first line); the ``rich`` form
shows the same lines with colour and is used only when stdout is a terminal
and the ``cli`` extra is installed.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Iterable
from typing import Any, Protocol, TextIO

from .._result import Check, CheckOutcome, Indication, VerificationResult

__all__ = ["Renderer", "make_renderer", "summary_lines", "verdict_line"]

# What a person needs to act on: the checks that did not pass. Passed and skipped ones are
# counted, and listed with --verbose.
_SHOWN = (CheckOutcome.FAILED, CheckOutcome.INDETERMINATE, CheckOutcome.WARNING)

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


def signer_lines(result: VerificationResult) -> list[str]:
    """Who signed, one line a signer: the certificate subject and the identity, if any."""
    lines = []
    for signer in result.signers:
        who = signer.certificate.subject if signer.certificate is not None else "no certificate"
        lines.append(f"signer {signer.index}: {_one_line(who)}")
    ident = result.identity
    if ident is not None:
        name = ident.name_en or ident.name_zh or "unnamed"
        lines.append(f"identity: {name} ({ident.scheme}, {ident.jurisdiction})")
    return lines


def summary_lines(result: VerificationResult, *, revocation: bool = False) -> list[str]:
    """The one-screen account: verdict, signers, the checks that did not pass, a count.

    Each certificate's revocation status is shown too when ``revocation`` is set (the user
    asked with ``--revocation``) or when an OCSP response or CRL was actually consulted.
    """
    lines = [verdict_line(result)]
    lines += ["  " + line for line in signer_lines(result)]
    consulted = any(i.source is not None for s in result.signers for i in s.revocation)
    if revocation or consulted:
        lines += ["  " + line for line in revocation_lines(result)]
    shown = [c for c in result.checks if c.outcome in _SHOWN]
    lines += ["  " + check_line(c) for c in shown]
    lines += [f"  warning: {_one_line(w)}" for w in result.warnings]
    passed = sum(c.outcome is CheckOutcome.PASSED for c in result.checks)
    skipped = sum(c.outcome is CheckOutcome.SKIPPED for c in result.checks)
    count = f"  {passed} check{'s' if passed != 1 else ''} passed"
    if skipped:
        count += f", {skipped} skipped"
    lines.append(count + " (--verbose lists every check)")
    return lines


def wrap(line: str, width: int) -> list[str]:
    """One logical line wrapped to ``width``, continuation lines indented under the text."""
    if len(line) <= width:
        return [line]
    indent = len(line) - len(line.lstrip(" "))
    return textwrap.wrap(
        line.strip(),
        width=width,
        initial_indent=" " * indent,
        subsequent_indent=" " * (indent + 4),
        break_long_words=True,
        break_on_hyphens=False,
    ) or [line]


def terminal_width(out: TextIO) -> int:
    # The terminal's width when there is one; 80 columns for pipes and files (COLUMNS wins).
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            tty = out.isatty()
        except (AttributeError, ValueError):
            tty = False
        columns = shutil.get_terminal_size((80, 24)).columns if tty else 80
    return max(columns, 40)


class Renderer(Protocol):
    """Where the CLI writes what people read."""

    def result(
        self,
        result: VerificationResult,
        *,
        checks: Iterable[Check] | None = None,
        verbose: bool = False,
        revocation: bool = False,
    ) -> None:
        """The verdict and what did not pass (``verbose``: every check; ``checks``: those;
        ``revocation``: each certificate's revocation status as well)."""

    def heading(self, text: str) -> None:
        """A section title."""

    def line(self, text: str = "", *, style: str | None = None) -> None:
        """A line of free text."""

    def command(self, text: str) -> None:
        """Shell lines to copy, written as they are: wrapping could split a path in two."""


class PlainRenderer:
    """Plain text, one item a line: what pipes, logs and tests see."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._width = terminal_width(out)

    def _write(self, line: str) -> None:
        for part in wrap(line, self._width):
            self._out.write(part + "\n")

    def result(
        self,
        result: VerificationResult,
        *,
        checks: Iterable[Check] | None = None,
        verbose: bool = False,
        revocation: bool = False,
    ) -> None:
        for line, _style in _result_lines(result, checks, verbose, revocation):
            self._write(line)

    def heading(self, text: str) -> None:
        self._out.write("\n")
        self._write(f"== {text}")

    def line(self, text: str = "", *, style: str | None = None) -> None:
        if not text:
            self._out.write("\n")
        for part in text.splitlines():
            self._write(part)

    def command(self, text: str) -> None:
        self._out.write(text + "\n")


class RichRenderer:
    """The same lines as :class:`PlainRenderer`, coloured by outcome."""

    def __init__(self, out: TextIO) -> None:
        from rich.console import Console  # the ``cli`` extra; checked by make_renderer

        self._console: Any = Console(file=out, highlight=False, soft_wrap=True)
        self._width = terminal_width(out)

    def result(
        self,
        result: VerificationResult,
        *,
        checks: Iterable[Check] | None = None,
        verbose: bool = False,
        revocation: bool = False,
    ) -> None:
        from rich.text import Text

        for line, style in _result_lines(result, checks, verbose, revocation):
            for part in wrap(line, self._width):
                self._console.print(Text(part, style=style))

    def heading(self, text: str) -> None:
        from rich.text import Text

        self._console.print()
        self._console.print(Text(f"== {text}", style="bold"))

    def line(self, text: str = "", *, style: str | None = None) -> None:
        from rich.text import Text

        for part in text.splitlines() or [""]:
            for piece in wrap(part, self._width) if part else [""]:
                self._console.print(Text(piece, style=style or ""))

    def command(self, text: str) -> None:
        from rich.text import Text

        for part in text.splitlines():
            self._console.print(Text(part), crop=False, overflow="ignore", no_wrap=True)


def _result_lines(
    result: VerificationResult, checks: Iterable[Check] | None, verbose: bool, revocation: bool
) -> list[tuple[str, str]]:
    """(line, rich style) pairs: the summary, every check (verbose), or the given checks."""
    if checks is None and not verbose:
        out = [(line, "") for line in summary_lines(result, revocation=revocation)]
        out[0] = (out[0][0], _STYLES[result.indication])
        return out
    lines = [(verdict_line(result), _STYLES[result.indication])]
    for check in result.checks if checks is None else checks:
        lines.append(("  " + check_line(check), _CHECK_STYLES[check.outcome]))
    for line in revocation_lines(result) if checks is None else ():
        lines.append(("  " + line, ""))
    for warning in result.warnings:
        lines.append((f"  warning: {_one_line(warning)}", "yellow"))
    return lines


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
