"""The one-pass SignedData reader agrees with the general parser, or steps aside."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bayident import _cms
from bayident._der import DERError
from bayident.testing import MockCA

_ROOT = MockCA("Fast Parser Root", key_type="ec")
_SIGNER = _ROOT.create_child_ca("Fast Parser CA", key_type="ec").issue_signer("Fast Parser")
SAMPLES = {
    "attrs": _SIGNER.sign_detached_cms(b"x" * 100),
    "noattrs": _SIGNER.sign_detached_cms(b"x", attributes=False),
    "rsa-pss": _ROOT.issue_signer("PSS", key_type="rsa").sign_detached_cms(b"y", pss=True),
}


def _general(der: bytes) -> _cms.SignedData | Exception:
    try:
        return _cms._parse(der, 32, 64, 32)
    except (DERError, RecursionError) as exc:
        return exc


def _fast(der: bytes) -> _cms.SignedData | Exception | None:
    try:
        return _cms._parse_fast(der, 64, 32)
    except DERError as exc:
        return exc


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_same_result_on_real_signatures(name: str) -> None:
    der = SAMPLES[name]
    _cms.parse_signed_data(der)  # the general parser fills the OID cache the fast one reads
    fast = _cms._parse_fast(der, 64, 32)
    assert fast is not None
    assert fast == _cms._parse(der, 32, 64, 32)


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(sorted(SAMPLES)),
    data=st.data(),
)
def test_never_accepts_what_the_general_parser_refuses(name: str, data: st.DataObject) -> None:
    der = bytearray(SAMPLES[name])
    _cms.parse_signed_data(bytes(der))
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(der) - 1))
        der[i] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(der)))
    damaged = bytes(der[:cut])
    fast = _fast(damaged)
    general = _general(damaged)
    if isinstance(fast, _cms.SignedData):
        # Whatever the fast reader accepts, the general one reads identically.
        assert fast == general
    # A refusal by either is fine: parse_signed_data then asks the general parser.
    result = _cms.parse_signed_data(damaged) if not isinstance(general, Exception) else None
    if result is not None:
        assert result == general
