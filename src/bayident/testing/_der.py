"""A minimal DER encoder for building test structures byte by byte.

Only encoding lives here: tests need to produce exactly the bytes they want, including
hostile ones (duplicate attributes, non-DER ordering, wrong lengths), which a full ASN.1
library would refuse to emit. Every function returns a complete TLV as :class:`bytes`, so
results nest by plain concatenation::

    sequence(oid("1.2.840.113549.1.9.3"), set_of(oid("1.2.840.113549.1.7.1")))
"""

from __future__ import annotations

from datetime import UTC, datetime

from bayident._exceptions import InvalidArgument

__all__ = [
    "bit_string",
    "boolean",
    "encode_length",
    "explicit",
    "generalized_time",
    "ia5_string",
    "implicit",
    "integer",
    "null",
    "octet_string",
    "oid",
    "printable_string",
    "raw",
    "sequence",
    "set_of",
    "time",
    "tlv",
    "utc_time",
    "utf8_string",
]

CLASS_UNIVERSAL = 0x00
CLASS_CONTEXT = 0x80
_CONSTRUCTED = 0x20


def encode_length(length: int) -> bytes:
    """Encode a definite length (short form below 128, long form otherwise)."""
    if length < 0:
        raise InvalidArgument(f"length: must be >= 0, got {length}")
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _identifier(tag_class: int, constructed: bool, number: int) -> bytes:
    if number < 0:
        raise InvalidArgument(f"tag number: must be >= 0, got {number}")
    first = tag_class | (_CONSTRUCTED if constructed else 0)
    if number < 31:
        return bytes([first | number])
    return bytes([first | 0x1F]) + _base128(number)


def _base128(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def tlv(identifier: int | bytes, content: bytes) -> bytes:
    """Encode one element from its identifier octet(s) and content octets."""
    ident = bytes([identifier]) if isinstance(identifier, int) else bytes(identifier)
    if not ident:
        raise InvalidArgument("identifier: must not be empty")
    return ident + encode_length(len(content)) + bytes(content)


def raw(encoded: bytes) -> bytes:
    """Return already-encoded bytes unchanged, to splice arbitrary (even invalid) DER in."""
    return bytes(encoded)


def boolean(value: bool) -> bytes:
    """Encode a BOOLEAN (DER: TRUE is 0xFF)."""
    return tlv(0x01, b"\xff" if value else b"\x00")


def integer(value: int) -> bytes:
    """Encode an INTEGER in minimal two's complement."""
    # A negative value needs as many bits as its complement, plus the sign bit.
    magnitude = value if value >= 0 else ~value
    size = (magnitude.bit_length() + 8) // 8
    return tlv(0x02, value.to_bytes(size, "big", signed=True))


def bit_string(data: bytes, unused_bits: int = 0) -> bytes:
    """Encode a BIT STRING whose last octet has *unused_bits* padding bits."""
    if not 0 <= unused_bits <= 7 or (unused_bits and not data):
        raise InvalidArgument(f"unused_bits: {unused_bits} is not valid for {len(data)} octets")
    return tlv(0x03, bytes([unused_bits]) + bytes(data))


def octet_string(data: bytes) -> bytes:
    """Encode an OCTET STRING."""
    return tlv(0x04, data)


def null() -> bytes:
    """Encode NULL."""
    return b"\x05\x00"


def oid(dotted: str) -> bytes:
    """Encode an OBJECT IDENTIFIER given in dotted form, e.g. ``"1.2.840.113549.1.7.2"``."""
    try:
        arcs = [int(part, 10) for part in dotted.split(".")]
    except ValueError:
        raise InvalidArgument(f"oid: {dotted!r} is not a dotted OID") from None
    if len(arcs) < 2 or any(arc < 0 for arc in arcs):
        raise InvalidArgument(f"oid: {dotted!r} is not a dotted OID")
    if arcs[0] > 2 or (arcs[0] < 2 and arcs[1] > 39):
        raise InvalidArgument(f"oid: {dotted!r} has an invalid first or second arc")
    body = _base128(arcs[0] * 40 + arcs[1]) + b"".join(_base128(arc) for arc in arcs[2:])
    return tlv(0x06, body)


def utf8_string(text: str) -> bytes:
    """Encode a UTF8String."""
    return tlv(0x0C, text.encode("utf-8"))


def printable_string(text: str) -> bytes:
    """Encode a PrintableString (the character set is not checked, so tests can break it)."""
    return tlv(0x13, text.encode("ascii"))


def ia5_string(text: str) -> bytes:
    """Encode an IA5String."""
    return tlv(0x16, text.encode("ascii"))


def _utc(value: datetime, field: str) -> datetime:
    if value.utcoffset() is None:
        raise InvalidArgument(f"{field}: naive datetime {value.isoformat()}; use tzinfo=UTC")
    return value.astimezone(UTC)


def utc_time(value: datetime) -> bytes:
    """Encode a UTCTime ``YYMMDDHHMMSSZ``; only years 1950 to 2049 can be represented."""
    moment = _utc(value, "utc_time")
    if not 1950 <= moment.year <= 2049:
        raise InvalidArgument(f"utc_time: year {moment.year} is outside 1950..2049")
    return tlv(0x17, moment.strftime("%y%m%d%H%M%SZ").encode("ascii"))


def generalized_time(value: datetime, *, fraction: bool = False) -> bytes:
    """Encode a GeneralizedTime ``YYYYMMDDHHMMSS[.f]Z``.

    Fractional seconds are dropped unless *fraction* is true (RFC 5280 and RFC 5652 forbid
    them); when kept, trailing zeros are removed as DER requires.
    """
    moment = _utc(value, "generalized_time")
    text = f"{moment.year:04d}" + moment.strftime("%m%d%H%M%S")
    if fraction and moment.microsecond:
        text += "." + f"{moment.microsecond:06d}".rstrip("0")
    return tlv(0x18, (text + "Z").encode("ascii"))


def time(value: datetime) -> bytes:
    """Encode a Time CHOICE: UTCTime for 1950 to 2049, GeneralizedTime otherwise (RFC 5280)."""
    moment = _utc(value, "time")
    if 1950 <= moment.year <= 2049:
        return utc_time(moment)
    return generalized_time(moment)


def sequence(*items: bytes) -> bytes:
    """Encode a SEQUENCE (or SEQUENCE OF) of already-encoded items, in the order given."""
    return tlv(0x30, b"".join(items))


def set_of(*items: bytes, der_sorted: bool = True) -> bytes:
    """Encode a SET OF already-encoded items.

    DER (X.690 11.6) orders the elements by their encodings; pass ``der_sorted=False`` to keep
    the given order and produce a deliberately non-canonical SET.
    """
    ordered = sorted(items) if der_sorted else list(items)
    return tlv(0x31, b"".join(ordered))


def explicit(number: int, inner: bytes) -> bytes:
    """Wrap *inner* in a context-specific constructed tag ``[number] EXPLICIT``."""
    return _identifier(CLASS_CONTEXT, True, number) + encode_length(len(inner)) + inner


def _split_identifier(encoded: bytes) -> tuple[int, int]:
    """Return (first identifier octet, identifier length) of an encoded element."""
    if len(encoded) < 2:
        raise InvalidArgument("implicit: the element to retag is shorter than 2 octets")
    if encoded[0] & 0x1F != 0x1F:
        return encoded[0], 1
    for index in range(1, min(len(encoded), 16)):
        if not encoded[index] & 0x80:
            return encoded[0], index + 1
    raise InvalidArgument("implicit: the element to retag has an unterminated identifier")


def implicit(number: int, encoded: bytes, *, constructed: bool | None = None) -> bytes:
    """Replace the tag of the encoded element with ``[number] IMPLICIT``.

    The primitive/constructed bit of the original element is kept unless *constructed* says
    otherwise, so ``implicit(0, set_of(...))`` gives the ``A0`` form CMS uses for signed
    attributes and ``implicit(0, octet_string(ski))`` gives the primitive ``80`` form.
    """
    first, size = _split_identifier(encoded)
    keep = bool(first & _CONSTRUCTED) if constructed is None else constructed
    return _identifier(CLASS_CONTEXT, keep, number) + encoded[size:]
