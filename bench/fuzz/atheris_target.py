"""A coverage-guided fuzzing target for atheris (libFuzzer), on demand only.

    pip install atheris
    python bench/fuzz/atheris_target.py corpus/ -max_total_time=600 -rss_limit_mb=2048

The kit's keys are new in each process, so the seeds are written afresh into the corpus
folder (the first argument) before fuzzing starts; inputs libFuzzer found earlier stay.

The first byte of an input picks the target (CMS, SM2 CMS, JWS, ETSI list, JSON list,
iAM Smart reply and profile, identifiers), the rest is handed to its public entry point
through the harness of ``tests/fuzz``. An exception other than a ``BayidentError``, or a
mutant that passes with a meaning its seed does not have, stops the run as a crash
(libFuzzer writes the input to ``crash-*``).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for entry in (str(ROOT / "src"), str(ROOT / "tests"), str(ROOT / "tests" / "fuzz")):
    if entry not in sys.path:
        sys.path.insert(0, entry)

import atheris  # noqa: E402

with atheris.instrument_imports(include=["bayident"]):
    from _corpus import Tally, targets

TARGETS = targets()


def test_one_input(data: bytes) -> None:
    if not data:
        return
    target = TARGETS[data[0] % len(TARGETS)]
    body = data[1:]
    tally = Tally()
    # Compared with every seed of the target: a pass must mean what one of them means.
    outcome = tally.record(target, 0, body)
    if outcome.verdict == "escaped":
        raise RuntimeError(outcome.error)
    passed = outcome.verdict == "passed" and target.has_pass
    if passed and all(outcome.meaning != e.meaning for e in target.expected):
        raise RuntimeError(f"false PASSED on {target.name}")


def make_corpus(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for t_index, target in enumerate(TARGETS):
        for s_index, seed in enumerate(target.seeds):
            (directory / f"{target.name}-{s_index}").write_bytes(bytes([t_index]) + seed)


if __name__ == "__main__":
    folders = [a for a in sys.argv[1:] if not a.startswith("-")]
    if folders:
        make_corpus(Path(folders[0]))
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
