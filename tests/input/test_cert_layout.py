"""The one-pass certificate layout reader agrees with the general DER reader.

``_certs._layout`` reads a certificate's names, key and signature bits in one pass for
speed; whenever it answers, the answer must be the general reader's, on certificates
from x509-limbo (written by others) and on every one-byte damage of a few of them.
"""

from __future__ import annotations

import random

import pytest
from tests.conformance.limbo import der_of, load_cases, pems

from bayident._certs import _layout, _tbs_fields
from bayident._profile import _unused_bits_ok


def _limbo_certs(limit: int) -> list[bytes]:
    out: list[bytes] = []
    seen: set[bytes] = set()
    for case in load_cases():
        for field in ("peer_certificate", "untrusted_intermediates", "trusted_certs"):
            for pem in pems(case.get(field)):
                if "CERTIFICATE" not in pem:
                    continue
                der = der_of(pem)
                if der not in seen:
                    seen.add(der)
                    out.append(der)
        if len(out) >= limit:
            break
    return out


def _agrees(der: bytes) -> None:
    fast = _layout(der)
    if fast is None:
        return
    assert fast[:3] == _tbs_fields(der)
    assert fast[3] == _unused_bits_ok(der)


def test_layout_agrees_on_limbo_certificates() -> None:
    certs = _limbo_certs(3000)
    if not certs:
        pytest.skip("x509-limbo data is absent (../shared/conformance/limbo)")
    read = 0
    for der in certs:
        _agrees(der)
        read += _layout(der) is not None
    # The fast reader must serve the ordinary certificates, not fall back on all of them.
    assert read > len(certs) * 0.9


def test_layout_agrees_on_damaged_certificates() -> None:
    certs = _limbo_certs(40)
    if not certs:
        pytest.skip("x509-limbo data is absent (../shared/conformance/limbo)")
    rng = random.Random(5280)
    for der in rng.sample(certs, min(6, len(certs))):
        for i in range(len(der)):
            for value in (der[i] ^ 0x01, der[i] ^ 0x80, 0x00, 0xFF):
                _agrees(der[:i] + bytes([value]) + der[i + 1 :])
        for cut in range(1, len(der)):
            _agrees(der[:cut])
        _agrees(der + b"\x00")
