"""pytest fixtures for testing code that verifies bayident evidence.

Registered automatically (entry point ``pytest11: bayident``) when bayident is installed;
otherwise enable it with ``-p bayident.testing._plugin``. Fixtures:

``bayident_clock`` (function)
    A :class:`~bayident.testing.MockClock` stopped at 2026-01-01T00:00:00Z.
``bayident_ca`` (session)
    A root :class:`~bayident.testing.MockCA`, "Sandbox Hong Kong Root CA", on real time.
``bayident_intermediate_ca`` (session)
    An EC sub-CA of ``bayident_ca``, "Sandbox e-Cert CA", shared by the whole session.
``bayident_signer`` (function)
    A fresh EC P-256 :class:`~bayident.testing.MockSigner` issued by
    ``bayident_intermediate_ca``, so its ``chain`` is ``[signer, intermediate]``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bayident.testing._ca import MockCA, MockSigner
from bayident.testing._clock import MockClock

__all__ = [
    "bayident_ca",
    "bayident_clock",
    "bayident_intermediate_ca",
    "bayident_signer",
]

FIXED_INSTANT = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def bayident_clock() -> MockClock:
    """A mock clock stopped at 2026-01-01T00:00:00Z."""
    return MockClock(FIXED_INSTANT)


@pytest.fixture(scope="session")
def bayident_ca() -> MockCA:
    """A session-wide RSA root CA on real time."""
    return MockCA("Sandbox Hong Kong Root CA")


@pytest.fixture(scope="session")
def bayident_intermediate_ca(bayident_ca: MockCA) -> MockCA:
    """A session-wide EC sub-CA of :func:`bayident_ca`."""
    return bayident_ca.create_child_ca("Sandbox e-Cert CA", key_type="ec", path_length=0)


@pytest.fixture
def bayident_signer(bayident_intermediate_ca: MockCA) -> MockSigner:
    """A fresh EC signer issued by :func:`bayident_intermediate_ca`."""
    return bayident_intermediate_ca.issue_signer("Sandbox Signer")
