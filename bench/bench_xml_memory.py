"""Memory of reading hostile XML trusted lists: peak resident memory against input size.

Run: ``python bench/bench_xml_memory.py [--sizes 1,8,32] [--json out.json]``
(needs the ``etsi`` extra).

Each case runs in a fresh process: it builds the input, notes its resident
memory, reads the list with ``bayident.trustlist.read_trusted_list`` (default
limits), and reports the growth of the peak resident memory (``ru_maxrss``)
over that starting point, divided by the input size. The same input parsed by
a bare ``lxml.etree.fromstring`` (no limits, no signature check) is shown for
comparison, and ``--sides no-limits`` shows bayident with the limits switched off (as
it was before them; slow and large). Shapes are the ones that cost the most memory per input byte:
millions of empty elements, elements with many attributes, many namespace
declarations, deep nesting, whitespace between elements, and a real list
(the EU list of lists, from ``../shared/conformance/etsi-tl/``, when present).
Target: the worst ratio over every shape and size is at most 20.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MIB = 1 << 20
TARGET = 20.0
sys.path.insert(0, str(ROOT / "src"))
from bayident import Policy  # noqa: E402

#: The default Policy.xml_min_bytes_per_node: the densest input accepted.
BYTES_PER_NODE = Policy().xml_min_bytes_per_node
_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<TrustServiceStatusList xmlns="http://uri.etsi.org/02231/v2#" TSLTag="x">'
)
_TAIL = b"</TrustServiceStatusList>"
REAL = ROOT.parent / "shared" / "conformance" / "etsi-tl" / "eu-lotl.xml"


def _at_limit(unit: bytes, nodes: int) -> bytes:
    """``unit`` padded with spaces (its trailing text node) to the densest size accepted."""
    return unit + b" " * max(1, BYTES_PER_NODE * nodes - len(unit))


def _unit(shape: str) -> bytes:
    """One repeated piece of each shape, hostile (dense) or padded to the limit."""
    attrs = b"<a " + b" ".join(b'b%d=""' % i for i in range(40)) + b"/>"
    names = b"<a " + b" ".join(b'xmlns:p%d="u"' % i for i in range(40)) + b"/>"
    nest = b"<a>" * 60 + b"</a>" * 60
    units = {
        "empty-elements": b"<a/>",
        "whitespace-between": b"<a/> ",
        "attributes": attrs,
        "namespaces": names,
        "nesting": nest,
        # At the limit: element + its trailing text = 2 nodes; attributes 2 each; nested
        # elements 1 each (no text between them) and one text after the group.
        "empty-elements-at-limit": _at_limit(b"<a/>", 2),
        "attributes-at-limit": _at_limit(attrs, 1 + 2 * 40 + 1),
        "namespaces-at-limit": _at_limit(names, 1 + 40 + 1),
        "nesting-at-limit": _at_limit(nest, 60 + 1),
    }
    return units[shape]


def build(shape: str, size: int) -> bytes:
    """An input of about ``size`` bytes (never more) in the given shape."""
    if shape == "real-list":
        return _signed_list()
    if shape.startswith("signed-list"):
        # A signed list with padding inside: it reaches the signature check (which then fails).
        data = _signed_list()
        at = data.index(b">", data.index(b"<TrustServiceStatusList")) + 1
        unit = _at_limit(b"<a/>", 2) if shape.endswith("at-limit") else b"<a/> "
        room = max(0, size - len(data))
        return data[:at] + unit * (room // len(unit)) + data[at:]
    unit = _unit(shape)
    room = max(0, size - len(_HEAD) - len(_TAIL))
    return _HEAD + unit * max(1, room // len(unit)) + _TAIL


def _signed_list() -> bytes:
    if REAL.is_file():
        return REAL.read_bytes()
    import datetime as dt

    from bayident.testing import MockClock, MockTrustListOperator

    return MockTrustListOperator(
        "HK", clock=MockClock(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    ).etsi_xml()


SHAPES = (
    "signed-list-padded",
    "signed-list-padded-at-limit",
    "empty-elements",
    "empty-elements-at-limit",
    "whitespace-between",
    "attributes",
    "attributes-at-limit",
    "namespaces",
    "namespaces-at-limit",
    "nesting",
    "nesting-at-limit",
    "real-list",
)


def _rss_kib() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)


def child(shape: str, size: int, side: str) -> None:
    from lxml import etree

    from bayident.trustlist import read_trusted_list
    from bayident.trustlist._etsi import hardened_parser

    data = build(shape, size)
    # Warm the code paths on a tiny list so that imports are not counted as input cost.
    read_trusted_list(build(shape, 4096))
    before = _rss_kib()
    start = time.perf_counter()
    if side in ("bayident", "no-limits"):
        # "no-limits": the node and depth limits switched off, as bayident was before them.
        off = Policy(xml_min_bytes_per_node=1, xml_free_nodes=1 << 40, xml_max_depth=256)
        doc = read_trusted_list(data, policy=off if side == "no-limits" else None)
        outcome = f"{doc.status.value}: {doc.reason[:70]}"
    else:
        try:
            etree.fromstring(data, parser=hardened_parser())
            outcome = "parsed"
        except etree.XMLSyntaxError as exc:
            outcome = f"refused: {str(exc)[:60]}"
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    grown = max(0, peak - before) * 1024
    print(
        json.dumps(
            {
                "shape": shape,
                "side": side,
                "bytes": len(data),
                "peak_growth": grown,
                "ratio": grown / len(data),
                "seconds": seconds,
                "outcome": outcome,
            }
        )
    )


def run(sizes: list[int], sides: list[str]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for shape in SHAPES:
        if shape == "real-list" and not REAL.is_file():
            continue
        for size in [0] if shape == "real-list" else sizes:
            for side in sides:
                out = subprocess.run(
                    [sys.executable, __file__, "--child", shape, str(size), side],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                row = json.loads(out.stdout.strip().splitlines()[-1])
                rows.append(row)
                print(
                    f"{row['shape']:<20} {row['side']:<9} {row['bytes'] / MIB:7.2f} MiB  "
                    f"peak +{row['peak_growth'] / MIB:8.1f} MiB  ratio {row['ratio']:6.1f}  "
                    f"{row['seconds']:6.2f} s  {row['outcome']}",
                    flush=True,
                )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1,8,32", help="input sizes in MiB (default 1,8,32)")
    ap.add_argument(
        "--sides", default="bayident,lxml", help="bayident, lxml and/or no-limits (slow, large)"
    )
    ap.add_argument("--json", type=Path)
    ap.add_argument("--child", nargs=3, metavar=("SHAPE", "SIZE", "SIDE"))
    args = ap.parse_args()
    if args.child:
        shape, size, side = args.child
        child(shape, int(size), side)
        return
    # Just under each size, so that the largest stays within the 32 MiB default limit.
    sizes = [int(float(s) * MIB) - 4096 for s in args.sizes.split(",")]
    rows = run(sizes, args.sides.split(","))
    ours = [r for r in rows if r["side"] == "bayident" and int(str(r["bytes"])) >= MIB // 2]
    worst = max(ours, key=lambda r: float(str(r["ratio"])), default=None)
    if worst is not None:
        met = "met" if float(str(worst["ratio"])) <= TARGET else "NOT met"
        print(
            f"\nworst bayident ratio (inputs of 0.5 MiB or more): {float(str(worst['ratio'])):.1f}"
            f" ({worst['shape']}, {int(str(worst['bytes'])) / MIB:.1f} MiB); target <= {TARGET}: "
            f"{met}"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
