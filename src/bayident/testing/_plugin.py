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
``bayident_ofd_kit`` (session)
    An :class:`OFDKit`: an SM2 root, a seal maker, a seal holder, the V4 seal made for
    the holder and a :class:`~bayident.testing.MockOFDSigner` applying it (needs the
    ``sm`` extra; skips without it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from bayident.testing._ca import MockCA, MockSigner
from bayident.testing._clock import MockClock

if TYPE_CHECKING:
    from bayident.testing._ofd import MockOFDSigner, MockSealMaker
    from bayident.testing._sm2 import MockSM2CA, MockSM2Signer

__all__ = [
    "bayident_ca",
    "bayident_clock",
    "bayident_intermediate_ca",
    "bayident_ofd_kit",
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


@dataclass(frozen=True)
class OFDKit:
    """A sandbox for sealed OFD documents: trust ``ca``, sign with ``ofd_signer``."""

    ca: MockSM2CA
    maker: MockSealMaker
    holder: MockSM2Signer
    seal: bytes
    ofd_signer: MockOFDSigner


@pytest.fixture(scope="session")
def bayident_ofd_kit() -> OFDKit:
    """An SM2 root, a seal maker and a seal holder with a V4 seal (needs the ``sm`` extra)."""
    # Imported here: the SM2 kit is optional and loading it costs time no other fixture needs.
    from bayident.sm import sm_available

    if not sm_available():
        pytest.skip("sealed OFD documents need the 'sm' extra: pip install 'bayident[sm]'")
    from bayident.testing._ofd import MockOFDSigner, MockSealMaker
    from bayident.testing._sm2 import MockSM2CA

    ca = MockSM2CA("Sandbox Seal Root CA")
    maker = MockSealMaker(ca.issue_signer("Sandbox Seal Maker"))
    holder = ca.issue_signer("Sandbox Trading Ltd", organization="Sandbox Trading Ltd")
    seal = maker.make_seal("Sandbox Trading Ltd 公章", holders=[holder])
    return OFDKit(ca, maker, holder, seal, MockOFDSigner(holder, seal))
