"""Write docs/result-schema.json, the JSON schema of ``bayident verify --json`` output.

Run after changing the result model:   python scripts/gen_schema.py
Check without writing (exit 1 if stale): python scripts/gen_schema.py --check
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = ROOT / "docs" / "result-schema.json"

# Prefer the source tree next to this script over any installed copy.
sys.path.insert(0, str(ROOT / "src"))

from bayident._result import VerificationResult  # noqa: E402


def result_schema() -> dict[str, Any]:
    """The schema of what ``model_dump_json`` produces (computed fields such as ``passed`` too)."""
    schema = VerificationResult.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def render() -> str:
    return json.dumps(result_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""
        if current != text:
            print(f"{SCHEMA_PATH.relative_to(ROOT)} is stale: run python scripts/gen_schema.py")
            return 1
        return 0
    SCHEMA_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {SCHEMA_PATH.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
