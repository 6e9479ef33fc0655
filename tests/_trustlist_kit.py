"""Shared pieces of the trusted-list tests: a stopped clock, operators per region, paths."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import pytest

from bayident.testing import MockClock, MockTrustListOperator

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
CONFORMANCE = Path(__file__).resolve().parents[1].parent / "shared" / "conformance" / "etsi-tl"


def conformance_dir() -> Path:
    """The real lists; the test skips, saying why, where the folder is absent."""
    if not CONFORMANCE.is_dir():
        pytest.skip(
            f"conformance data not found at {CONFORMANCE} (it sits next to the project as "
            "../shared/conformance/; a plain clone does not have it)"
        )
    return CONFORMANCE


@cache
def clock() -> MockClock:
    # Operators' certificates start 30 days before NOW, so lists built "now" are valid.
    return MockClock(NOW - dt.timedelta(days=30))


@cache
def operator(region: str = "HK") -> MockTrustListOperator:
    return MockTrustListOperator(region, clock=clock())


@cache
def lotl_operator() -> MockTrustListOperator:
    return MockTrustListOperator("HK", clock=clock(), signer_name="Sandbox List of Lists Signer")


def at(days: float = 0) -> dt.datetime:
    return NOW + dt.timedelta(days=days)
