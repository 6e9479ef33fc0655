"""The cache rules of docs/architecture.md: the verifier's caches are its own, and only
memos of pure functions, each listed in that page, are module globals."""

from __future__ import annotations

import ast
from pathlib import Path

import bayident
from _pki import SandboxPKI
from bayident.schemes import default_registry, identify_certificate

_SRC = Path(bayident.__file__).resolve().parent
_DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


def _is_cache_decorator(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return name in ("cache", "lru_cache")


def _module_caches() -> list[str]:
    """``module.NAME`` of every module-level memo, empty dict and cached function."""
    found = []
    for path in sorted(_SRC.rglob("*.py")):
        module = ".".join(path.relative_to(_SRC).with_suffix("").parts)
        for node in ast.parse(path.read_text("utf-8")).body:
            if isinstance(node, ast.FunctionDef):
                if any(_is_cache_decorator(d) for d in node.decorator_list):
                    found.append(f"{module}.{node.name}")
                continue
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets, value = [node.target], node.value
            else:
                continue
            memo = isinstance(value, ast.Call) and getattr(value.func, "id", None) == "Memo"
            empty = isinstance(value, ast.Dict) and not value.keys
            if (memo or empty) and isinstance(targets[0], ast.Name):
                found.append(f"{module}.{targets[0].id}")
    return found


def test_every_module_level_cache_is_a_listed_pure_one() -> None:
    text = _DOC.read_text("utf-8")
    section = text.split("## Caches", 1)[1].split("\n## ", 1)[0]
    caches = _module_caches()
    assert "_certs._NAMES" in caches  # the scan finds what it is meant to
    unlisted = [name for name in caches if f"`{name}`" not in section]
    assert unlisted == [], (
        "module-level caches not listed as process-wide in docs/architecture.md (a cache "
        "of anything but a pure function of its key belongs to the Verifier): "
        + ", ".join(unlisted)
    )


def test_clear_caches_forgets_the_identifications_of_the_verifiers_registry(
    pki: SandboxPKI,
) -> None:
    registry = default_registry().copy()
    verifier = bayident.Verifier(trust=[pki.root.cert_pem], schemes=registry)
    first = identify_certificate(registry, pki.signer.cert_der)
    assert identify_certificate(registry, pki.signer.cert_der) is first
    other = default_registry().copy()
    assert identify_certificate(other, pki.signer.cert_der) is not first  # its own memo
    verifier.clear_caches()
    again = identify_certificate(registry, pki.signer.cert_der)
    assert again is not first
    assert again.claimed_by == first.claimed_by
