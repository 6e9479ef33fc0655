"""The shared DER/BER reader (bayident._der) against asn1crypto's parser, on random and
damaged encodings.

Both must agree on every element they both read: class, form, tag number, where its
header, content and successor lie, and its children. bayident may refuse more than
asn1crypto only where it is stricter on purpose (length fields over 4 octets, the
reserved length octet 0xFF, tag numbers over 5 octets); it must never accept what
asn1crypto refuses.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bayident import _der as d

parser = pytest.importorskip("asn1crypto.parser")

# What bayident refuses by design although BER allows it (see the module docstring).
STRICTER = ("length field too long", "tag number too large")
# What asn1crypto refuses by its own bound, not by the encoding rules.
THEIR_BOUNDS = ("recursion limit",)

Node = tuple[int, int, int, int, int, int, int, Any]


def _ours(buf: bytes, tlv: d.TLV) -> Node:
    cls, constructed, number = d.tag_parts(tlv.tag)
    kids = [_ours(buf, k) for k in d.children(buf, tlv, "x")] if constructed else None
    return (cls, int(constructed), number, tlv.header_start, tlv.start, tlv.end, tlv.next, kids)


def ours(buf: bytes) -> Node:
    top = d.read_tlv(buf, 0, len(buf), "x")
    if top.next != len(buf):
        raise d.DERError("trailing data", "x")
    return _ours(buf, top)


def _theirs(buf: bytes, pos: int, limit: int) -> Node:
    cls, method, number, header, content, _trailer = parser.parse(buf[pos:limit])
    nxt = pos + parser.peek(buf[pos:limit])
    start = pos + len(header)
    end = start + len(content)
    kids = None
    if method:
        kids = []
        p = start
        while p < end:
            kid = _theirs(buf, p, end)
            kids.append(kid)
            p = kid[6]
    return (cls, method, number, pos, start, end, nxt, kids)


def theirs(buf: bytes) -> Node:
    parser.parse(buf, strict=True)
    return _theirs(buf, 0, len(buf))


def _length(n: int, form: str) -> bytes:
    if form == "short" and n < 0x80:
        return bytes((n,))
    raw = n.to_bytes(max(1, (n.bit_length() + 7) // 8), "big")
    if form == "padded":  # BER allows leading zeros; DER does not
        raw = b"\x00" * (4 - len(raw)) + raw if len(raw) < 4 else raw
    return bytes((0x80 | len(raw),)) + raw


def _identifier(cls: int, constructed: bool, number: int) -> bytes:
    first = (cls << 6) | (0x20 if constructed else 0)
    if number < 31:
        return bytes((first | number,))
    groups = []
    while True:
        groups.append(number & 0x7F)
        number >>= 7
        if not number:
            break
    body = bytes(g | 0x80 for g in reversed(groups[1:])) + bytes((groups[0],))
    return bytes((first | 0x1F,)) + body


numbers = st.one_of(st.integers(0, 30), st.integers(31, 1 << 28))
forms = st.sampled_from(["short", "long", "padded"])


@st.composite
def elements(draw: st.DrawFn, depth: int = 0) -> bytes:
    cls = draw(st.integers(0, 3))
    number = draw(numbers)
    if cls == 0 and number == 0:
        number = 4  # tag [UNIVERSAL 0] with length 0 is the end-of-contents marker
    constructed = depth < 4 and draw(st.booleans())
    if not constructed:
        content = draw(st.binary(max_size=40))
        return _identifier(cls, False, number) + _length(len(content), draw(forms)) + content
    kids = b"".join(draw(st.lists(elements(depth + 1), max_size=4)))
    head = _identifier(cls, True, number)
    if draw(st.booleans()):
        return head + b"\x80" + kids + b"\x00\x00"  # BER indefinite length
    return head + _length(len(kids), draw(forms)) + kids


def _compare(buf: bytes) -> None:
    try:
        mine: Node | None = ours(buf)
        my_error = ""
    except d.DERError as exc:
        mine, my_error = None, str(exc)
    try:
        other: Node | None = theirs(buf)
        their_error = ""
    except ValueError as exc:
        other, their_error = None, str(exc)
    if mine is not None and other is not None:
        assert mine == other
    elif mine is not None:
        assert any(b in their_error for b in THEIR_BOUNDS), (buf.hex(), their_error)
    elif other is not None:
        assert any(s in my_error for s in STRICTER), (buf.hex(), my_error)


@settings(max_examples=300, deadline=None)
@given(elements())
def test_well_formed_encodings_read_the_same(buf: bytes) -> None:
    assert ours(buf) == theirs(buf)


@settings(max_examples=500, deadline=None)
@given(
    elements(),
    st.lists(
        st.tuples(
            st.sampled_from(["flip", "cut", "insert", "delete"]),
            st.integers(0),
            st.binary(min_size=1, max_size=1),
        ),
        min_size=1,
        max_size=3,
    ),
)
def test_damaged_encodings_are_read_alike_or_refused(
    buf: bytes, damage: list[tuple[str, int, bytes]]
) -> None:
    data = bytearray(buf)
    for how, where, byte in damage:
        at = where % (len(data) + 1)
        if how == "flip" and at < len(data):
            data[at] = byte[0]
        elif how == "cut":
            del data[at:]
        elif how == "insert":
            data[at:at] = byte
        elif how == "delete" and at < len(data):
            del data[at]
    _compare(bytes(data))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_random_bytes_are_read_alike_or_refused(buf: bytes) -> None:
    _compare(buf)


@settings(max_examples=300, deadline=None)
@given(elements(), st.binary(max_size=3))
def test_the_fast_header_agrees_with_the_der_reader(buf: bytes, tail: bytes) -> None:
    data = buf + tail
    tag, start, end = d.short_header(data, 0, len(data))
    if tag < 0:
        return
    tlv = d.read_der(data, 0, len(data), "x")
    assert (tlv.tag, tlv.start, tlv.end) == (tag, start, end)


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"\x04\x81\x05hello", "not minimally encoded"),
        (b"\x04\x82\x00\x05hello", "not minimally encoded"),
        (b"\x24\x80\x04\x01a\x00\x00", "indefinite length is not DER"),
        (b"\x04\x05hello\x00", "1 bytes follow the element"),
        (b"\x1f\x80\x21\x00", "non-minimal high tag number"),
        (b"\x1f\x1e\x00", "non-minimal high tag number"),
    ],
)
def test_the_der_reader_refuses_ber_forms(raw: bytes, words: str) -> None:
    with pytest.raises(d.DERError, match=words):
        d.read_whole(raw, "value")


def test_the_der_reader_reads_der() -> None:
    long = b"\x04\x81\x80" + b"x" * 128
    assert d.read_whole(long, "value")[1:3] == (3, 131)
    assert d.encode_tlv(0x04, b"x" * 128) == long
    assert d.tag_parts(d.read_whole(b"\xbf\x81\x00\x00", "value").tag) == (2, True, 128)
