"""The published documentation stays in step with the code it describes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bayident._policy import Policy
from bayident._result import SubIndication, VerificationResult

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_result_schema_matches_the_model() -> None:
    published = json.loads((DOCS / "result-schema.json").read_text(encoding="utf-8"))
    assert published.pop("$schema") == "https://json-schema.org/draft/2020-12/schema"
    # Serialization mode: the schema describes what `--json` prints, `passed` included.
    assert published == VerificationResult.model_json_schema(mode="serialization"), (
        "docs/result-schema.json is stale: run python scripts/gen_schema.py"
    )


def test_result_schema_requires_the_verdict_fields() -> None:
    published = json.loads((DOCS / "result-schema.json").read_text(encoding="utf-8"))
    assert {"indication", "message", "passed", "validation_time"} <= set(published["required"])


def test_every_policy_field_is_documented() -> None:
    text = (DOCS / "policy.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z0-9_]+)` \|", text, flags=re.MULTILINE))
    assert set(Policy.model_fields) - documented == set(), "fields missing from docs/policy.md"
    assert documented - set(Policy.model_fields) == set(), "docs/policy.md names unknown fields"


def test_policy_defaults_in_docs_are_the_real_ones() -> None:
    text = (DOCS / "policy.md").read_text(encoding="utf-8")
    default = Policy()
    for name in ("min_rsa_bits", "max_certificates", "max_signers", "max_chain_length"):
        row = re.search(rf"^\| `{name}` \| `?([0-9]+)`? \|", text, flags=re.MULTILINE)
        assert row is not None, name
        assert int(row.group(1)) == getattr(default, name), name
    for name in ("max_evidence_bytes", "max_in_memory_content_bytes"):
        row = re.search(rf"^\| `{name}` \| [^|(]*\(([0-9]+)\) \|", text, flags=re.MULTILINE)
        assert row is not None, name
        assert int(row.group(1)) == getattr(default, name), name
    for name in ("digest_algorithms", "signature_algorithms", "ec_curves", "signer_key_usage"):
        row = re.search(rf"^\| `{name}` \| ([^|]*) \|", text, flags=re.MULTILINE)
        assert row is not None, name
        listed = set(re.findall(r"`([A-Za-z0-9_-]+)`", row.group(1)))
        assert listed == set(getattr(default, name)), name


def test_every_sub_indication_is_explained() -> None:
    text = (DOCS / "concepts.md").read_text(encoding="utf-8")
    missing = [s.value for s in SubIndication if f"`{s.value}`" not in text]
    assert missing == []
