"""Where the conformance data lives: PKITS from the ``cryptography-vectors`` package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def pkits_dir() -> Path:
    """``x509/PKITS_data`` of cryptography-vectors; the tests skip when it is not installed."""
    try:
        import cryptography_vectors
    except ImportError:
        pytest.skip(
            "PKITS data comes from the cryptography-vectors package, which is not installed "
            "(pip install cryptography-vectors, or the 'test' extra)"
        )
    root = Path(os.path.dirname(cryptography_vectors.__file__)) / "x509" / "PKITS_data"
    if not (root / "smime").is_dir():
        pytest.skip(f"cryptography-vectors is installed but has no PKITS data under {root}")
    return root
