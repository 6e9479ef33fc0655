"""The hazmat boundary: low-level primitives in one place, the same objects as their homes."""

from __future__ import annotations

import importlib

import pytest

import bayident.hazmat

HOMES = {
    "sm2_verify": "bayident.sm",
    "sm3": "bayident.sm",
    "decrypt_content": "bayident.schemes.iamsmart",
    "encrypt_content": "bayident.schemes.iamsmart",
    "unwrap_secret_key": "bayident.schemes.iamsmart",
    "parse_tst_info": "bayident.tsp",
}


@pytest.mark.parametrize("name", sorted(HOMES))
def test_each_primitive_is_its_homes_function(name: str) -> None:
    assert name in bayident.hazmat.__all__
    assert getattr(bayident.hazmat, name) is getattr(importlib.import_module(HOMES[name]), name)


def test_nothing_else_is_offered() -> None:
    assert set(bayident.hazmat.__all__) == set(HOMES)
    with pytest.raises(AttributeError):
        bayident.hazmat.verify  # type: ignore[attr-defined]  # noqa: B018


def test_the_iamsmart_envelope_round_trips() -> None:
    import os

    key = os.urandom(32)
    sealed = bayident.hazmat.encrypt_content(key, b'{"ok": true}')
    assert bayident.hazmat.decrypt_content(key, sealed) == b'{"ok": true}'
