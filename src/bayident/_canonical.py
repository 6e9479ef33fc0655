"""Re-encode BER as DER (X.690 §10, §11), for the bytes a CMS signature covers.

RFC 5652 §5.4: the signature over signed attributes is computed over their DER
encoding, whatever the encoding they are stored in. Producers that store them out
of order (or with indefinite lengths) still sign the DER; a few sign what they
store, which a DER-minded verifier rejects. To tell the two apart the verifier
needs the DER, which this module produces: definite minimal lengths, constructed
strings joined, SET OF elements sorted by their encodings, BOOLEAN TRUE as 0xFF.
"""

from __future__ import annotations

from . import _der as d
from ._memo import Memo

__all__ = ["DER_CACHE", "signed_attributes_der", "to_der"]

# Universal string types that BER may send constructed (X.690 §8.23 and friends);
# DER requires the primitive form (§10.2). BIT STRING is left alone: joining its
# pieces needs the unused-bits octets merged, and no signed attribute uses one.
_CONSTRUCTED_STRINGS = frozenset(
    {0x24, 0x2C, 0x32, 0x33, 0x34, 0x35, 0x36, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F}
)

# Attribute encoding -> its DER. An entry mapping an encoding to itself says that
# encoding is DER; the CMS parser reads that while it walks the signed attributes.
# Process-wide: a pure function of the bytes.
DER_CACHE: Memo[bytes, bytes] = Memo(2048)
_CACHE = DER_CACHE
# DER of the message-digest and signing-time OIDs (with their tag and length).
_UNIQUE_OIDS = frozenset(
    {bytes.fromhex("06092a864886f70d010904"), bytes.fromhex("06092a864886f70d010905")}
)


def _tag_bytes(buf: bytes, start: int) -> bytes:
    if buf[start] & 0x1F != 0x1F:
        return buf[start : start + 1]
    end = start + 1
    while buf[end] & 0x80:
        end += 1
    return buf[start : end + 1]


def _primitive_contents(buf: bytes, tlv: d.TLV, depth: int, max_depth: int) -> bytes:
    """The contents of a (possibly constructed) string, joined."""
    if depth > max_depth:
        raise d.DERError(f"nesting deeper than {max_depth} levels", "signed attributes")
    if not tlv.constructed:
        return buf[tlv.start : tlv.end]
    return b"".join(
        _primitive_contents(buf, c, depth + 1, max_depth)
        for c in d.children(buf, tlv, "string", depth, max_depth)
    )


def _encode(buf: bytes, tlv: d.TLV, depth: int, max_depth: int) -> bytes:
    if depth > max_depth:
        raise d.DERError(f"nesting deeper than {max_depth} levels", "signed attributes")
    first = buf[tlv.header_start]
    tag = _tag_bytes(buf, tlv.header_start)
    if first in _CONSTRUCTED_STRINGS:
        body = _primitive_contents(buf, tlv, depth, max_depth)
        return bytes((first & ~0x20,)) + d.encode_length(len(body)) + body
    if not tlv.constructed:
        body = buf[tlv.start : tlv.end]
        if first == d.BOOLEAN and len(body) == 1 and body[0] not in (0, 0xFF):
            body = b"\xff"
        return tag + d.encode_length(len(body)) + body
    parts = [
        _encode(buf, c, depth + 1, max_depth)
        for c in d.children(buf, tlv, "element", depth, max_depth)
    ]
    if first == d.SET and len(parts) > 1:
        # X.690 §11.6: ascending order of the encodings, shorter ones padded with zeros.
        width = max(len(p) for p in parts)
        parts.sort(key=lambda p: p.ljust(width, b"\x00"))
    body = b"".join(parts)
    return tag + d.encode_length(len(body)) + body


def _small_attribute_is_der(raw: bytes) -> bool:
    """Whether a short Attribute (all lengths in one byte) is plainly DER.

    SEQUENCE { OID, SET { primitive values } } with short lengths, no BOOLEAN and values
    in order: the shape of content-type, message-digest and signing-time. Anything
    else is left to the full re-encoding.
    """
    n = len(raw)
    if n < 4 or raw[0] != 0x30 or raw[1] != n - 2 or raw[2] != d.OID:
        return False
    pos = 4 + raw[3]
    if pos + 2 > n or raw[pos] != d.SET or raw[pos + 1] != n - pos - 2:
        return False
    pos += 2
    previous = b""
    while pos < n:
        if pos + 2 > n:
            return False
        tag, length = raw[pos], raw[pos + 1]
        stop = pos + 2 + length
        if tag & 0x20 or tag & 0x1F == 0x1F or tag == d.BOOLEAN or length >= 0x80 or stop > n:
            return False
        value = raw[pos:stop]
        if previous and value.ljust(len(previous), b"\x00") < previous:
            return False
        previous = value
        pos = stop
    return True


def signed_attributes_der(encoding: bytes, max_depth: int = 32) -> bytes:
    """The DER of a signed-attributes SET: ``encoding`` itself when it already is DER.

    Checking is cheaper than re-encoding, and this runs on every verification: the
    small attributes are checked in place, the large ones (the same in every signature
    of a signer) re-encoded once and kept. Two distinct complete TLVs are never one a
    prefix of the other, so plain byte order is X.690's padded order here.
    """
    n = len(encoding)
    pos = 0
    if n > 4 and encoding[0] == d.SET:
        lb = encoding[1]
        if lb < 0x80:
            pos, end = 2, 2 + lb
        elif lb == 0x81 and encoding[2] >= 0x80:
            pos, end = 3, 3 + encoding[2]
        elif lb == 0x82 and encoding[2]:
            pos, end = 4, 4 + ((encoding[2] << 8) | encoding[3])
        else:
            end = -1
        if end != n:
            pos = 0
    previous = b""
    cache = _CACHE
    while 0 < pos < n:
        if encoding[pos] != d.SEQUENCE:
            break
        alb = encoding[pos + 1]
        if alb < 0x80:
            stop = pos + 2 + alb
        elif alb == 0x81 and encoding[pos + 2] >= 0x80:
            stop = pos + 3 + encoding[pos + 2]
        elif alb == 0x82 and encoding[pos + 2]:
            stop = pos + 4 + ((encoding[pos + 2] << 8) | encoding[pos + 3])
        else:
            break
        if stop > n:
            break
        raw = encoding[pos:stop]
        if raw < previous:
            break
        if cache.get(raw) != raw:
            if not _small_attribute_is_der(raw):
                break
            # Attributes that recur in every signature (content-type, ...) are remembered;
            # message-digest and signing-time differ each time and are not.
            if raw[2:13] not in _UNIQUE_OIDS:
                cache.put(raw, raw)
        previous = raw
        pos = stop
    else:
        if pos == n:
            return encoding
    return to_der(encoding, max_depth)


def to_der(encoding: bytes, max_depth: int = 32) -> bytes:
    """The DER of the one element in ``encoding``; raises :class:`bayident._der.DERError`."""
    top = d.read_tlv(encoding, 0, len(encoding), "signed attributes", 0, max_depth)
    if top.next != len(encoding):
        raise d.DERError("bytes after the end of the element", "signed attributes")
    if top.tag != d.SET or not top.constructed:
        return _encode(encoding, top, 0, max_depth)
    # Signed attributes: each attribute is re-encoded on its own, and the larger ones
    # (signing-certificate, policy) recur in every signature of a signer, so they are kept.
    parts = []
    for c in d.children(encoding, top, "signed attributes", 0, max_depth):
        raw = encoding[c.header_start : c.next]
        der = _CACHE.get(raw)
        if der is None:
            der = _encode(encoding, c, 1, max_depth)
            if len(raw) > 64:
                _CACHE.put(raw, der)
        parts.append(der)
    if len(parts) > 1:
        width = max(len(p) for p in parts)
        parts.sort(key=lambda p: p.ljust(width, b"\x00"))
    body = b"".join(parts)
    return b"\x31" + d.encode_length(len(body)) + body
