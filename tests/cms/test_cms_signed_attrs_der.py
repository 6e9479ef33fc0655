"""The parser's "signed attributes are DER" finding agrees with re-encoding them.

The CMS reader notes, while it walks the signed attributes, whether they are already
DER; the verifier then skips the re-encoding. That shortcut must never differ from the
re-encoding: whenever the reader says "DER", ``to_der`` gives back the same bytes.
Attribute sets are generated with BER lengths, constructed strings, BOOLEANs, unsorted
SETs and out-of-order attributes, and real signatures are damaged at random.
"""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bayident
from bayident import _cms
from bayident import _der as d
from bayident._canonical import DER_CACHE, signed_attributes_der, to_der
from bayident.testing import MockCA

_OIDS = [
    "1.2.840.113549.1.9.3",  # content-type
    "1.2.840.113549.1.9.4",  # message-digest
    "1.2.840.113549.1.9.5",  # signing-time
    "1.2.840.113549.1.9.16.2.47",  # signing-certificate-v2
    "1.2.840.113549.1.9.16.2.15",  # signature-policy-identifier
]
for _oid in _OIDS:
    _raw = d.encode_oid(_oid)
    d.decode_oid(_raw, d.read_tlv(_raw, 0, len(_raw), "test"), "test")  # fill the OID cache


_DAMAGE_CA = MockCA("DER Finding Root", key_type="ec")
_DAMAGE_CONTENT = b"z" * 50
_DAMAGE_SAMPLE = _DAMAGE_CA.issue_signer("DER Finding").sign_detached_cms(_DAMAGE_CONTENT)


def _length(n: int, extra: int) -> bytes:
    """A definite length, minimal when ``extra`` is 0, else padded with ``extra`` zero bytes."""
    if n < 0x80 and not extra:
        return bytes((n,))
    raw = n.to_bytes(max(1, (n.bit_length() + 7) // 8), "big")
    raw = b"\x00" * extra + raw
    return bytes((0x80 | len(raw),)) + raw


def _tlv(tag: int, body: bytes, extra: int = 0) -> bytes:
    return bytes((tag,)) + _length(len(body), extra) + body


_padding = st.sampled_from([0, 0, 0, 0, 0, 1])
_primitive = st.builds(
    _tlv,
    st.sampled_from([0x01, 0x02, 0x04, 0x06, 0x0C, 0x13, 0x17, 0x18, 0x80]),
    st.one_of(st.binary(max_size=4), st.binary(min_size=120, max_size=140)),
    _padding,
)
_value = st.recursive(
    _primitive,
    lambda inner: st.builds(
        lambda tag, parts, extra: _tlv(tag, b"".join(parts), extra),
        st.sampled_from([0x30, 0x31, 0x24, 0xA0]),  # SEQUENCE, SET, constructed OCTET STRING
        st.lists(inner, max_size=3),
        _padding,
    ),
    max_leaves=6,
)


@st.composite
def _attribute(draw: st.DrawFn) -> bytes:
    oid = d.encode_oid(draw(st.sampled_from(_OIDS)))
    values = draw(st.lists(_value, max_size=3))
    if draw(st.booleans()):
        values.sort()
    values_set = _tlv(0x31, b"".join(values), draw(_padding))
    return _tlv(0x30, oid + values_set, draw(_padding))


@st.composite
def _attribute_set(draw: st.DrawFn) -> bytes:
    attrs = draw(st.lists(_attribute(), max_size=5))
    if draw(st.booleans()):
        attrs.sort()
    return _tlv(0x31, b"".join(attrs), draw(_padding))


def _reader_says_der(encoding: bytes) -> bool | None:
    """The reader's finding for a SET of attributes, or None when it steps aside."""
    tag, start, end = _cms._short_tlv(encoding, 0, len(encoding))
    if tag != 0x31 or end != len(encoding):
        return None
    read = _cms._attributes_fast(encoding, d.TLV(tag, start, end, end, 0))
    return None if read is None else read[1]


@settings(max_examples=400, deadline=None)
@given(encoding=_attribute_set(), remember=st.booleans())
def test_der_finding_agrees_with_re_encoding(encoding: bytes, remember: bool) -> None:
    if remember:
        # The verifier's re-encoding fills the cache the reader consults.
        with contextlib.suppress(d.DERError):
            signed_attributes_der(encoding)
    if _reader_says_der(encoding):
        assert to_der(encoding) == encoding
        assert signed_attributes_der(encoding) == encoding


@pytest.mark.parametrize(
    "encoding",
    [
        # two attributes out of order
        _tlv(
            0x31,
            _tlv(0x30, d.encode_oid(_OIDS[1]) + _tlv(0x31, _tlv(0x04, b"\x01")))
            + _tlv(0x30, d.encode_oid(_OIDS[0]) + _tlv(0x31, _tlv(0x06, b"\x2a"))),
        ),
        # values of one attribute out of order
        _tlv(0x31, _tlv(0x30, d.encode_oid(_OIDS[1]) + _tlv(0x31, b"\x04\x01\x02\x04\x01\x01"))),
        # a BOOLEAN TRUE that is not 0xFF
        _tlv(0x31, _tlv(0x30, d.encode_oid(_OIDS[1]) + _tlv(0x31, b"\x01\x01\x01"))),
        # a constructed OCTET STRING
        _tlv(0x31, _tlv(0x30, d.encode_oid(_OIDS[1]) + _tlv(0x31, _tlv(0x24, b"\x04\x01\x01")))),
    ],
    ids=["attributes-order", "values-order", "boolean", "constructed-string"],
)
def test_non_der_is_never_called_der(encoding: bytes) -> None:
    assert to_der(encoding) != encoding
    DER_CACHE.discard(encoding[2:])
    assert _reader_says_der(encoding) is False


def test_plain_sorted_attributes_are_called_der() -> None:
    encoding = _tlv(
        0x31,
        _tlv(0x30, d.encode_oid(_OIDS[0]) + _tlv(0x31, _tlv(0x06, b"\x2a")))
        + _tlv(0x30, d.encode_oid(_OIDS[1]) + _tlv(0x31, b"\x04\x01\x01\x04\x01\x02")),
    )
    assert to_der(encoding) == encoding
    assert _reader_says_der(encoding) is True


def test_a_ber_length_on_the_signed_attributes_is_not_der() -> None:
    """The general SignerInfo reader accepts a longer length form on [0]; then nothing is known."""
    der = _DAMAGE_SAMPLE
    first = _cms.parse_signed_data(der).signers[0].signed_attrs_der
    assert first is not None
    # The kit writes DER; signing-certificate-v2 is known so once re-encoded.
    assert signed_attributes_der(first) == first
    si = _cms.parse_signed_data(der).signers[0]
    assert si.signed_attrs_is_der
    body = si.signed_attrs_der
    assert body is not None
    _, start, end = _cms._short_tlv(body, 0, len(body))
    info = _signer_info(der)
    stored = b"\xa0" + body[1:]
    assert info.count(stored) == 1
    _, i_start, _ = _cms._short_tlv(info, 0, len(info))
    longer = _tlv(
        0x30, info[i_start:].replace(stored, b"\xa0" + _length(end - start, 1) + body[start:])
    )
    tag, s_start, s_end = _cms._short_tlv(longer, 0, len(longer))
    assert _cms._signer_fast(longer, s_start, s_end, 0) is None  # the one-pass reader steps aside
    general = _cms._signer(longer, d.TLV(tag, s_start, s_end, s_end, 0), 0, 4, 32)
    assert general.signed_attrs == si.signed_attrs
    assert general.signed_attrs_der != body  # the stored length form is kept
    assert not general.signed_attrs_is_der
    # With the usual length form the general reader finds what the one-pass one does.
    tag, s_start, s_end = _cms._short_tlv(info, 0, len(info))
    assert _cms._signer(info, d.TLV(tag, s_start, s_end, s_end, 0), 0, 4, 32) == si


def test_out_of_order_attributes_are_verified_as_before() -> None:
    """Stored in reverse order: not DER, so the verifier re-encodes, warns, and passes."""
    der = _DAMAGE_SAMPLE
    body = _cms.parse_signed_data(der).signers[0].signed_attrs_der
    assert body is not None
    _, start, end = _cms._short_tlv(body, 0, len(body))
    parts = []
    q = start
    while q < end:
        _, _, stop = _cms._short_tlv(body, q, end)
        parts.append(body[q:stop])
        q = stop
    reversed_body = body[:start] + b"".join(reversed(parts))
    stored = der.replace(body[1:], reversed_body[1:])
    assert _cms.parse_signed_data(stored).signers[0].signed_attrs_is_der is False
    result = bayident.verify(stored, trust=[_DAMAGE_CA.cert_pem], content=_DAMAGE_CONTENT)
    assert result.passed, result.explain()
    assert [c.outcome for c in result.checks if c.name == "signed-attributes-encoding"] == [
        bayident.CheckOutcome.WARNING
    ]


def _signer_info(der: bytes) -> bytes:
    top = d.read_tlv(der, 0, len(der), "test")
    wrapper = d.children(der, top, "test", 0, 64)[1]
    signed_data = d.children(der, wrapper, "test", 0, 64)[0]
    infos = d.children(der, signed_data, "test", 0, 64)[-1]
    first = d.children(der, infos, "test", 0, 64)[0]
    return der[first.header_start : first.next]


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_damaged_signatures_never_get_a_wrong_der_finding(data: st.DataObject) -> None:
    der = bytearray(_DAMAGE_SAMPLE)
    sd = _cms.parse_signed_data(bytes(der))
    body = sd.signers[0].signed_attrs_der
    assert body is not None
    where = bytes(der).index(body[1:]) - 1
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(where, where + len(body) - 1))
        der[i] = data.draw(st.integers(0, 255))
    try:
        parsed = _cms.parse_signed_data(bytes(der))
    except _cms.CMSFormatError:
        return
    for si in parsed.signers:
        if si.signed_attrs_is_der:
            assert si.signed_attrs_der is not None
            assert to_der(si.signed_attrs_der) == si.signed_attrs_der
