"""A small, strict reader for BER/DER, enough to walk CMS structures.

It never recurses without a depth bound, checks every length against the
bytes actually present, and raises :class:`DERError` naming the element it
was reading. Values are returned as offsets into the original buffer, so
nothing is copied until a caller asks for it.
"""

from __future__ import annotations

from typing import NamedTuple

from ._memo import Memo

__all__ = [
    "BOOLEAN",
    "CTX0",
    "CTX0_PRIM",
    "CTX1",
    "CTX1_PRIM",
    "GENERALIZED_TIME",
    "INTEGER",
    "NULL",
    "OCTET_STRING",
    "OID",
    "SEQUENCE",
    "SET",
    "TLV",
    "UTC_TIME",
    "DERError",
    "children",
    "decode_integer",
    "decode_oid",
    "encode_length",
    "encode_oid",
    "encode_tlv",
    "read_der",
    "read_tlv",
    "read_whole",
    "short_header",
    "tag_parts",
]

BOOLEAN = 0x01
INTEGER = 0x02
BIT_STRING = 0x03
OCTET_STRING = 0x04
NULL = 0x05
OID = 0x06
UTC_TIME = 0x17
GENERALIZED_TIME = 0x18
SEQUENCE = 0x30
SET = 0x31
CTX0 = 0xA0
CTX1 = 0xA1
CTX0_PRIM = 0x80
CTX1_PRIM = 0x81
OCTET_STRING_CONSTRUCTED = 0x24

_HIGH_TAG = 1 << 40


class DERError(ValueError):
    """Malformed encoding; ``where`` names the element being read."""

    def __init__(self, message: str, where: str = "") -> None:
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class TLV(NamedTuple):
    """One element: its tag, where its content lies, and where the next element starts."""

    tag: int
    start: int  # first content byte
    end: int  # one past the last content byte
    next: int  # first byte after the element (after the end-of-contents octets for BER)
    header_start: int

    @property
    def constructed(self) -> bool:
        return bool(self.tag & 0x20) if self.tag < _HIGH_TAG else bool((self.tag >> 32) & 0x20)


_new_tlv = tuple.__new__


def read_tlv(
    buf: bytes, pos: int, limit: int, where: str, depth: int = 0, max_depth: int = 32
) -> TLV:
    """Read the element at ``pos``; it must end at or before ``limit``."""
    if pos + 2 <= limit:
        first = buf[pos]
        lb = buf[pos + 1]
        # Fast path: low tag number, short definite length (most elements).
        if lb < 0x80 and first & 0x1F != 0x1F:
            end = pos + 2 + lb
            if end <= limit:
                return _new_tlv(TLV, (first, pos + 2, end, end, pos))
    return _read_tlv_slow(buf, pos, limit, where, depth, max_depth)


def _read_tlv_slow(buf: bytes, pos: int, limit: int, where: str, depth: int, max_depth: int) -> TLV:
    if depth > max_depth:
        raise DERError(f"nesting deeper than {max_depth} levels", where)
    if pos >= limit:
        raise DERError("expected an element, found the end of the data", where)
    first = buf[pos]
    p = pos + 1
    if first & 0x1F == 0x1F:
        number = 0
        for _ in range(5):
            if p >= limit:
                raise DERError("truncated high tag number", where)
            b = buf[p]
            p += 1
            if b == 0x80 and not number:
                raise DERError("non-minimal high tag number", where)
            number = (number << 7) | (b & 0x7F)
            if not b & 0x80:
                break
        else:
            raise DERError("tag number too large", where)
        if number < 0x1F:
            raise DERError("non-minimal high tag number", where)
        tag = _HIGH_TAG | ((first & 0xE0) << 32) | number
    else:
        tag = first
    if p >= limit:
        raise DERError("truncated: no length", where)
    lb = buf[p]
    p += 1
    if lb < 0x80:
        length = lb
    elif lb == 0x80:
        if not first & 0x20:
            raise DERError("indefinite length on a primitive element", where)
        # BER indefinite length: walk the children to find the end-of-contents octets.
        q = p
        while True:
            if q + 2 <= limit and buf[q] == 0 and buf[q + 1] == 0:
                return TLV(tag, p, q, q + 2, pos)
            child = read_tlv(buf, q, limit, where, depth + 1, max_depth)
            if child.next <= q:
                raise DERError("malformed indefinite-length element", where)
            q = child.next
    else:
        n = lb & 0x7F
        if n > 4 or lb == 0xFF:
            raise DERError("length field too long", where)
        if p + n > limit:
            raise DERError("truncated length field", where)
        length = int.from_bytes(buf[p : p + n], "big")
        p += n
    end = p + length
    if end > limit:
        raise DERError(f"declares {length} bytes but only {limit - p} remain (truncated?)", where)
    return TLV(tag, p, end, end, pos)


def children(buf: bytes, tlv: TLV, where: str, depth: int = 0, max_depth: int = 32) -> list[TLV]:
    """The elements inside a constructed element."""
    tag = tlv[0]
    if not (tag & 0x20 if tag < _HIGH_TAG else (tag >> 32) & 0x20):
        raise DERError("expected a constructed element", where)
    out: list[TLV] = []
    append = out.append
    pos = tlv[1]
    end = tlv[2]
    while pos < end:
        # Inlined fast path of read_tlv: this loop is the parser's hot spot.
        if pos + 2 <= end:
            first = buf[pos]
            lb = buf[pos + 1]
            if first & 0x1F != 0x1F:
                if lb < 0x80:
                    nxt = pos + 2 + lb
                    if nxt <= end:
                        append(_new_tlv(TLV, (first, pos + 2, nxt, nxt, pos)))
                        pos = nxt
                        continue
                elif lb == 0x82 and pos + 4 <= end:
                    length = (buf[pos + 2] << 8) | buf[pos + 3]
                    nxt = pos + 4 + length
                    if length >= 0x100 and nxt <= end:
                        append(_new_tlv(TLV, (first, pos + 4, nxt, nxt, pos)))
                        pos = nxt
                        continue
                elif lb == 0x81 and pos + 3 <= end:
                    length = buf[pos + 2]
                    nxt = pos + 3 + length
                    if length >= 0x80 and nxt <= end:
                        append(_new_tlv(TLV, (first, pos + 3, nxt, nxt, pos)))
                        pos = nxt
                        continue
        child = _read_tlv_slow(buf, pos, end, where, depth + 1, max_depth)
        append(child)
        pos = child[3]
    if len(out) > 100_000:
        raise DERError("too many elements", where)
    return out


# Process-wide: a pure function of the encoding. A Memo rather than a table that stops
# growing, so that evidence full of odd OIDs cannot keep the usual ones out for good.
OID_CACHE: Memo[bytes, str] = Memo(4096)


def decode_oid(buf: bytes, tlv: TLV, where: str) -> str:
    """Dotted form of an OBJECT IDENTIFIER."""
    if tlv.tag != OID:
        raise DERError(f"expected an OBJECT IDENTIFIER, found tag 0x{tlv.tag:02x}", where)
    raw = bytes(buf[tlv.start : tlv.end])
    cached = OID_CACHE.get(raw)
    if cached is not None:
        return cached
    if not raw or raw[-1] & 0x80 or len(raw) > 64:
        raise DERError("malformed OBJECT IDENTIFIER", where)
    arcs: list[int] = []
    value = 0
    started = False
    for b in raw:
        if not started and b == 0x80:
            raise DERError("non-minimal OBJECT IDENTIFIER arc", where)
        started = bool(b & 0x80)
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    dotted = ".".join(str(a) for a in head + arcs[1:])
    OID_CACHE.put(raw, dotted)
    return dotted


def decode_integer(buf: bytes, tlv: TLV, where: str) -> int:
    """Value of an INTEGER (minimal encoding required)."""
    if tlv.tag != INTEGER:
        raise DERError(f"expected an INTEGER, found tag 0x{tlv.tag:02x}", where)
    raw = buf[tlv.start : tlv.end]
    if not raw:
        raise DERError("empty INTEGER", where)
    if len(raw) > 1 and ((raw[0] == 0 and not raw[1] & 0x80) or (raw[0] == 0xFF and raw[1] & 0x80)):
        raise DERError("non-minimal INTEGER", where)
    return int.from_bytes(raw, "big", signed=True)


def encode_oid(dotted: str) -> bytes:
    """DER of an OBJECT IDENTIFIER, for lookups built from dotted constants."""
    arcs = [int(a) for a in dotted.split(".")]
    body = [40 * arcs[0] + arcs[1], *arcs[2:]]
    out = bytearray()
    for arc in body:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out.extend(reversed(chunk))
    return bytes([OID, len(out)]) + bytes(out)


# --- shared by the readers that need strict DER, and by the writers ----------------------


def tag_parts(tag: int) -> tuple[int, bool, int]:
    """(class 0-3, constructed, tag number) of a :attr:`TLV.tag`."""
    if tag < _HIGH_TAG:
        return tag >> 6, bool(tag & 0x20), tag & 0x1F
    first = (tag >> 32) & 0xE0
    return first >> 6, bool(first & 0x20), tag & 0xFFFFFFFFF


def read_der(buf: bytes, pos: int, limit: int, where: str, max_depth: int = 32) -> TLV:
    """:func:`read_tlv` for DER only: a definite length, minimally encoded (X.690 §10.1).

    Certificates, SM2 signatures and keys, and identity extension values are DER; a BER
    form in them is a sign of tampering or of a broken producer, and is refused.
    """
    tlv = read_tlv(buf, pos, limit, where, 0, max_depth)
    if tlv.next != tlv.end:
        raise DERError("indefinite length is not DER", where)
    lb_at = pos + 1
    if buf[pos] & 0x1F == 0x1F:
        while buf[lb_at] & 0x80:
            lb_at += 1
        lb_at += 1
    lb = buf[lb_at]
    if lb > 0x80 and (buf[lb_at + 1] == 0 or tlv.end - tlv.start < 0x80):
        raise DERError("length is not minimally encoded (not DER)", where)
    return tlv


def read_whole(buf: bytes, where: str, max_depth: int = 32) -> TLV:
    """The one DER element that spans all of ``buf``."""
    tlv = read_der(buf, 0, len(buf), where, max_depth)
    if tlv.next != len(buf):
        raise DERError(f"{len(buf) - tlv.next} bytes follow the element", where)
    return tlv


def short_header(buf: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """(tag, content start, content end) at ``pos`` for the common DER case, else (-1, 0, 0).

    The common case is a low tag number and a minimal definite length up to 65535
    bytes, all before ``end``; for anything else (or to explain a fault) use
    :func:`read_tlv` or :func:`read_der`, which agree with this wherever it answers.
    """
    if pos + 2 > end:
        return -1, 0, 0
    tag = buf[pos]
    lb = buf[pos + 1]
    if tag & 0x1F == 0x1F:
        return -1, 0, 0
    if lb < 0x80:
        start = pos + 2
        stop = start + lb
    elif lb == 0x81 and pos + 3 <= end and buf[pos + 2] >= 0x80:
        start = pos + 3
        stop = start + buf[pos + 2]
    elif lb == 0x82 and pos + 4 <= end and buf[pos + 2]:
        start = pos + 4
        stop = start + ((buf[pos + 2] << 8) | buf[pos + 3])
    else:
        return -1, 0, 0
    if stop > end:
        return -1, 0, 0
    return tag, start, stop


def encode_length(n: int) -> bytes:
    """The DER length octets of ``n`` content bytes."""
    if n < 0x80:
        return bytes((n,))
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(raw),)) + raw


def encode_tlv(tag: int, content: bytes) -> bytes:
    """One DER element with a low-number ``tag`` (its identifier octet) around ``content``."""
    return bytes((tag,)) + encode_length(len(content)) + content
