"""The public surface: documented, every exception a BayidentError, reference pages current."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from bayident import BayidentError

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from gen_reference import PACKAGES  # noqa: E402

PUBLIC = [
    (package, name)
    for package, _, _ in PACKAGES
    for name in importlib.import_module(package).__all__
    if not name.startswith("_")
]


def _documented(obj: object) -> bool:
    if not (inspect.isclass(obj) or inspect.isfunction(obj) or inspect.isbuiltin(obj)):
        return True  # constants and type aliases are described on their package's page
    doc = inspect.getdoc(obj) or ""
    if inspect.isclass(obj) and doc == inspect.getdoc(obj.__mro__[1]):
        return False  # only inherited
    return bool(doc.strip())


@pytest.mark.parametrize(("package", "name"), PUBLIC, ids=[f"{p}.{n}" for p, n in PUBLIC])
def test_every_public_name_has_a_docstring(package: str, name: str) -> None:
    obj = getattr(importlib.import_module(package), name)
    assert _documented(obj), f"{package}.{name} has no docstring of its own"


@pytest.mark.parametrize(("package", "name"), PUBLIC, ids=[f"{p}.{n}" for p, n in PUBLIC])
def test_every_public_exception_is_a_bayident_error(package: str, name: str) -> None:
    obj = getattr(importlib.import_module(package), name)
    if inspect.isclass(obj) and issubclass(obj, BaseException):
        assert issubclass(obj, BayidentError), f"{package}.{name} is not a BayidentError"


def test_the_reference_pages_list_every_public_name() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_reference.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_verify_documents_every_parameter() -> None:
    import bayident

    for func in (bayident.verify, bayident.Verifier.verify):
        doc = inspect.getdoc(func) or ""
        for name in inspect.signature(func).parameters:
            if name in ("self", "evidence"):
                continue
            assert f"{name}" in doc, f"{func.__qualname__}: parameter {name} is not documented"
