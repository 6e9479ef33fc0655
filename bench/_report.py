"""Measured series, the machine they came from, and the text, JSON and Markdown shown."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = [
    "Comparison",
    "Limit",
    "Report",
    "Series",
    "fmt_bytes",
    "fmt_time",
    "machine_info",
    "summarize",
]

MIB = 1 << 20


@dataclass(frozen=True)
class Series:
    """Timings of one side of a comparison: per-operation seconds."""

    label: str
    median_s: float
    p95_s: float
    timings: int  # how many timings the median is taken over
    ops: int  # operations behind those timings


def summarize(label: str, per_op: Sequence[float], ops_per_timing: int = 1) -> Series:
    """Median and 95th percentile of per-operation times."""
    if not per_op:
        raise ValueError(f"no timings for {label}")
    p95 = statistics.quantiles(per_op, n=20)[18] if len(per_op) >= 2 else per_op[0]
    return Series(label, statistics.median(per_op), p95, len(per_op), len(per_op) * ops_per_timing)


@dataclass(frozen=True)
class Comparison:
    """bayident against another implementation doing the same job; ratio = other ÷ bayident."""

    key: str
    title: str
    ours: Series
    peer: Series
    target: float | None  # minimum ratio; None for a comparison shown for information
    detail: str
    bytes_per_op: int | None = None  # set when throughput is the point

    @property
    def ratio(self) -> float:
        return self.peer.median_s / self.ours.median_s

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.ratio >= self.target

    def cell(self, s: Series) -> str:
        text = fmt_time(s.median_s)
        if self.bytes_per_op:
            text += f" ({self.bytes_per_op / s.median_s / MIB:,.0f} MiB/s)"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "ours": vars(self.ours),
            "peer": vars(self.peer),
            "ratio": self.ratio,
            "target": self.target,
            "met": self.met,
            "bytes_per_op": self.bytes_per_op,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Limit:
    """A measured quantity that must stay under a ceiling."""

    key: str
    title: str
    value: float
    limit: float
    unit: str
    detail: str

    @property
    def met(self) -> bool:
        return self.value < self.limit

    def as_dict(self) -> dict[str, Any]:
        return {**vars(self), "met": self.met}


@dataclass
class Report:
    """Everything one run measured."""

    machine: dict[str, str]
    quick: bool
    comparisons: list[Comparison] = field(default_factory=list)
    limits: list[Limit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    profile: dict[str, Any] | None = None

    def targets(self) -> tuple[int, int]:
        """(met, total) over every comparison and limit that has a target."""
        results = [c.met for c in self.comparisons if c.met is not None]
        results += [lim.met for lim in self.limits]
        return sum(results), len(results)

    def as_dict(self) -> dict[str, Any]:
        return {
            "machine": self.machine,
            "quick": self.quick,
            "comparisons": [c.as_dict() for c in self.comparisons],
            "limits": [lim.as_dict() for lim in self.limits],
            "notes": self.notes,
            "profile": self.profile,
        }

    def text(self) -> str:
        rows = [("", "comparison", "bayident", "other", "ratio", "target", "met")]
        for c in self.comparisons:
            rows.append(
                (
                    c.key,
                    c.title,
                    c.cell(c.ours),
                    c.cell(c.peer),
                    f"{c.ratio:.2f}×",
                    "info" if c.target is None else f"≥ {c.target:g}×",
                    _yes_no(c.met),
                )
            )
        for lim in self.limits:
            rows.append(
                (
                    lim.key,
                    lim.title,
                    f"{lim.value:.1f} {lim.unit}",
                    "",
                    "",
                    f"< {lim.limit:g} {lim.unit}",
                    _yes_no(lim.met),
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        met, total = self.targets()
        lines.append(f"\ntargets met: {met}/{total}  (ratio = other time ÷ bayident time)")
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)

    def markdown(self) -> str:
        m = self.machine
        out = [
            "# Performance",
            "",
            "How bayident compares with other ways of doing the same work, measured by",
            "`python bench/run.py --write-docs`, which rewrites this page. **Ratio** is the other",
            "time divided by bayident's, so above 1 means bayident is faster; each target is a",
            "minimum ratio. Times are medians per operation; both sides of a comparison ran in",
            "the same process, in alternating rounds.",
            "",
        ]
        if self.quick:
            out += [
                "!!! note",
                "    These numbers come from a `--quick` run (fewer rounds and a 256 MiB file",
                "    instead of 1 GiB); a full run gives steadier figures.",
                "",
            ]
        out += [
            f"Measured {m['date']} on {m['cpu']} ({m['cores']} cores, {m['memory']}).",
            "",
            "| | Comparison | bayident | Other | Ratio | Target | Met |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for c in self.comparisons:
            target = "information" if c.target is None else f"≥ {c.target:g}×"
            out.append(
                f"| {c.key} | {c.title} | {c.cell(c.ours)} | {c.cell(c.peer)} | "
                f"{c.ratio:.2f}× | {target} | {_yes_no(c.met)} |"
            )
        if self.limits:
            out += ["", "| | Limit | Measured | Limit | Met |", "| --- | --- | --- | --- | --- |"]
            for lim in self.limits:
                out.append(
                    f"| {lim.key} | {lim.title} | {lim.value:.1f} {lim.unit} | "
                    f"< {lim.limit:g} {lim.unit} | {_yes_no(lim.met)} |"
                )
        out += ["", "## What each side does", ""]
        for c in self.comparisons:
            out.append(f"- **{c.key}** {c.detail}")
        for lim in self.limits:
            out.append(f"- **{lim.key}** {lim.detail}")
        if self.notes:
            out += ["", "Notes:", ""]
            out += [f"- {n}" for n in self.notes]
        out += [
            "",
            "## Machine",
            "",
            "| | |",
            "| --- | --- |",
            f"| CPU | {m['cpu']} |",
            f"| Cores | {m['cores']} |",
            f"| Memory | {m['memory']} |",
            f"| OS | {m['os']} |",
            f"| Python | {m['python']} |",
            f"| bayident | {m['bayident']} |",
            f"| cryptography | {m['cryptography']} ({m['openssl']}) |",
            f"| pyHanko | {m['pyHanko']} |",
            f"| pyhanko-certvalidator | {m['pyhanko-certvalidator']} |",
            f"| asn1crypto | {m['asn1crypto']} |",
            f"| Load average when the run started | {m['load']} |",
            f"| Date | {m['date']} |",
            "",
            "## Running it",
            "",
            "```console",
            "pip install -e '.[bench]'",
            "python bench/run.py              # all comparisons, about a minute",
            "python bench/run.py --quick      # fewer rounds, 256 MiB instead of 1 GiB",
            "python bench/run.py --only a     # one comparison: a, b or c",
            "python bench/run.py --json out.json",
            "python bench/run.py --profile    # where a warm verification spends its time",
            "```",
            "",
            "Numbers from different machines are not comparable; compare runs made on the same",
            "machine. The benchmark is not part of the test suite and never fails a build.",
            "",
        ]
        return "\n".join(out)


def _yes_no(met: bool | None) -> str:
    return "—" if met is None else ("yes" if met else "no")


def fmt_time(seconds: float) -> str:
    """Seconds with a unit that keeps three or four significant digits."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.3f} s"


def fmt_bytes(size: int) -> str:
    """1073741824 → '1 GiB'."""
    if size >= 1 << 30 and size % (1 << 30) == 0:
        return f"{size >> 30} GiB"
    if size >= MIB and size % MIB == 0:
        return f"{size >> 20} MiB"
    if size >= 1024 and size % 1024 == 0:
        return f"{size >> 10} KiB"
    return f"{size} bytes"


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    for line in text.splitlines():
        if line.lower().startswith(("model name", "hardware", "cpu model")):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown"


def _memory() -> str:
    try:
        text = Path("/proc/meminfo").read_text(encoding="utf-8")
    except OSError:
        return "unknown"
    for line in text.splitlines():
        if line.startswith("MemTotal:"):
            kib = int(line.split()[1])
            return f"{kib / (1 << 20):.0f} GiB"
    return "unknown"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _load() -> str:
    # Other work on the machine moves the numbers; the load shows whether there was any.
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f} (1, 5, 15 min)"


def machine_info(bayident_version: str, openssl_version: str) -> dict[str, str]:
    """CPU, cores, memory, OS, Python and library versions, load average, date (UTC)."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 0
    return {
        "cpu": _cpu_model(),
        "cores": str(usable),
        "memory": _memory(),
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "bayident": bayident_version,
        "cryptography": _version("cryptography"),
        "openssl": openssl_version,
        "pyHanko": _version("pyHanko"),
        "pyhanko-certvalidator": _version("pyhanko-certvalidator"),
        "asn1crypto": _version("asn1crypto"),
        "load": _load(),
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
