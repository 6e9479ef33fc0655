"""Longer fuzzing campaigns than the test run's: random mutations and the single-byte sweep.

    python bench/fuzz/run.py [--seconds 60] [--sweep] [--step 1] [--only cms,jws] [--json out.json]

Uses the harness of ``tests/fuzz`` (the same seeds, targets and verdicts):

* random: for ``--seconds`` per target, mutants of 1 to 4 operations (bit
  flips, interesting bytes, insertions, deletions, duplications, truncations);
* ``--sweep``: every byte of every seed (every ``--step``-th byte) replaced in
  turn by its value XOR 0x01, XOR 0x80, 0x00 and 0xFF.

Reports per target: inputs tried, exceptions that escaped (anything but a
``BayidentError``), false PASSED (a mutant accepted with a meaning other than
its seed's), equivalent encodings accepted, and the slowest input. Exits 1 if
an exception escaped or a mutant passed falsely.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for entry in (str(ROOT / "src"), str(ROOT / "tests"), str(ROOT / "tests" / "fuzz")):
    if entry not in sys.path:
        sys.path.insert(0, entry)

from _corpus import OPERATIONS, Tally, Target, mutate, targets  # noqa: E402

SLOW: list[tuple[float, str, bytes]] = []


def _timed(tally: Tally, target: Target, index: int, data: bytes, slowest: list[float]) -> None:
    start = time.perf_counter()
    tally.record(target, index, data)
    spent = time.perf_counter() - start
    slowest[0] = max(slowest[0], spent)
    if spent > 0.25:  # kept for --slow-dir: inputs to look at (or a busy machine)
        SLOW.append((spent, target.name, data))


def random_campaign(target: Target, seconds: float, rng: random.Random) -> tuple[Tally, float]:
    tally, slowest = Tally(), [0.0]
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        index = rng.randrange(len(target.seeds))
        seed = target.seeds[index]
        ops = [
            (rng.choice(OPERATIONS), rng.randrange(1 << 20), rng.randint(1, 64), rng.randrange(256))
            for _ in range(rng.randint(1, 4))
        ]
        data = mutate(seed, ops)
        if data != seed:
            _timed(tally, target, index, data, slowest)
    return tally, slowest[0]


def sweep(target: Target, step: int) -> tuple[Tally, float]:
    tally, slowest = Tally(), [0.0]
    for index, seed in enumerate(target.seeds):
        for pos in range(0, len(seed), step):
            old = seed[pos]
            for new in {old ^ 0x01, old ^ 0x80, 0x00, 0xFF} - {old}:
                data = seed[:pos] + bytes([new]) + seed[pos + 1 :]
                _timed(tally, target, index, data, slowest)
    return tally, slowest[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="random mutation time per target")
    ap.add_argument("--sweep", action="store_true", help="also the single-byte sweep")
    ap.add_argument("--step", type=int, default=1, help="sweep every STEP-th byte")
    ap.add_argument("--only", help="comma-separated target names")
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--slow-dir", type=Path, help="write inputs that took over 0.25 s here")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    chosen = [t for t in targets() if not args.only or t.name in args.only.split(",")]
    rows = []
    failed = False
    for target in chosen:
        campaigns = [("random", lambda t=target: random_campaign(t, args.seconds, rng))]
        if args.sweep:
            campaigns.append(("sweep", lambda t=target: sweep(t, args.step)))
        for kind, run in campaigns:
            if kind == "random" and args.seconds <= 0:
                continue
            tally, slowest = run()
            failed = failed or bool(tally.escaped or tally.false_passed)
            row = {
                "target": target.name,
                "campaign": kind,
                "tried": tally.tried,
                "escaped": len(tally.escaped),
                "false_passed": len(tally.false_passed),
                "equivalent_accepted": tally.equivalent,
                "slowest_seconds": round(slowest, 4),
                "escaped_examples": sorted(set(tally.escaped))[:10],
                "false_passed_examples": tally.false_passed[:10],
            }
            rows.append(row)
            print(
                f"{target.name:<17} {kind:<6} tried {tally.tried:>8}  escaped {len(tally.escaped):>4}"
                f"  false PASSED {len(tally.false_passed):>3}  equivalent {tally.equivalent:>5}"
                f"  slowest {slowest * 1000:7.1f} ms",
                flush=True,
            )
            for line in row["escaped_examples"]:
                print(f"    escaped: {line}")
            for line in row["false_passed_examples"]:
                print(f"    FALSE PASSED: {line}")
    total = sum(int(r["tried"]) for r in rows)  # type: ignore[call-overload]
    print(
        f"\n{total} inputs; escaped {sum(int(r['escaped']) for r in rows)}; "  # type: ignore[call-overload]
        f"false PASSED {sum(int(r['false_passed']) for r in rows)}"
    )  # type: ignore[call-overload]
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    if args.slow_dir:
        args.slow_dir.mkdir(parents=True, exist_ok=True)
        for i, (spent, name, data) in enumerate(sorted(SLOW, reverse=True)[:20]):
            (args.slow_dir / f"{i:02d}-{name}-{spent * 1000:.0f}ms.bin").write_bytes(data)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
