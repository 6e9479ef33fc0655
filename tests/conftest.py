"""Fixtures shared by the verification tests: one sandbox PKI on a stopped clock."""

from __future__ import annotations

import pytest

import _rsa_keys
from _pki import CLOCK_START, SandboxPKI
from bayident.testing import MockCA, MockClock


def pytest_configure(config: pytest.Config) -> None:
    # The test kit's RSA keys come ready-made rather than freshly generated, which took
    # nearly half a minute of CPU a run (tests/_rsa_keys.py says why that changes nothing).
    _rsa_keys.install()


@pytest.fixture(scope="session")
def pki() -> SandboxPKI:
    """A PKI shared by the whole session; tests must not change its clock."""
    clock = MockClock(CLOCK_START)
    root = MockCA("Sandbox Test Root CA", clock=clock)
    intermediate = root.create_child_ca("Sandbox Test Issuing CA", key_type="ec", path_length=0)
    signer = intermediate.issue_signer("CHAN Tai Man (sandbox)")
    other_root = MockCA("Sandbox Unrelated Root CA", clock=clock, key_type="ec")
    return SandboxPKI(clock, root, intermediate, signer, other_root)
