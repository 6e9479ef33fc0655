"""Comparing a distinguished name written as text (XAdES ``X509IssuerName``) with a certificate's.

Producers write the string in RFC 4514, RFC 2253 or RFC 1779 style: reversed
or forward order, spaces after commas, quoted values, ``\\,`` escapes, keywords
(``SERIALNUMBER``, ``E``) or dotted OIDs, and ``#`` followed by the hex of the
value's DER. Two names are the same when they hold the same attribute types
with the same values, compared case-insensitively with white space collapsed
(the RFC 5280 §7.1 comparison, simplified), whatever the order.
"""

from __future__ import annotations

import binascii
from collections import Counter

from cryptography import x509

from .. import _der as d

__all__ = ["DNSyntaxError", "name_matches", "parse_dn"]

#: Keywords met in trusted lists and XAdES producers, to dotted OIDs.
_KEYWORDS = {
    "CN": "2.5.4.3",
    "SN": "2.5.4.4",
    "SURNAME": "2.5.4.4",
    "SERIALNUMBER": "2.5.4.5",
    "C": "2.5.4.6",
    "L": "2.5.4.7",
    "ST": "2.5.4.8",
    "S": "2.5.4.8",
    "STREET": "2.5.4.9",
    "O": "2.5.4.10",
    "OU": "2.5.4.11",
    "T": "2.5.4.12",
    "TITLE": "2.5.4.12",
    "POSTALCODE": "2.5.4.17",
    "GIVENNAME": "2.5.4.42",
    "G": "2.5.4.42",
    "GN": "2.5.4.42",
    "INITIALS": "2.5.4.43",
    "GENERATIONQUALIFIER": "2.5.4.44",
    "DNQUALIFIER": "2.5.4.46",
    "PSEUDONYM": "2.5.4.65",
    "ORGANIZATIONIDENTIFIER": "2.5.4.97",
    "DC": "0.9.2342.19200300.100.1.25",
    "UID": "0.9.2342.19200300.100.1.1",
    "E": "1.2.840.113549.1.9.1",
    "EMAIL": "1.2.840.113549.1.9.1",
    "EMAILADDRESS": "1.2.840.113549.1.9.1",
}

#: DER string types a ``#hex`` value may hold, and how to decode them.
_STRING_TAGS = {
    0x0C: "utf-8",  # UTF8String
    0x13: "latin-1",  # PrintableString
    0x16: "latin-1",  # IA5String
    0x14: "latin-1",  # TeletexString (treated as Latin-1, as most producers do)
    0x1A: "latin-1",  # VisibleString
    0x1E: "utf-16-be",  # BMPString
    0x1C: "utf-32-be",  # UniversalString
    0x12: "latin-1",  # NumericString
}

_MAX_DN = 4096


class DNSyntaxError(ValueError):
    """A distinguished-name string that cannot be read."""


def _norm(value: str) -> str:
    return " ".join(value.split()).casefold()


def _hex_value(text: str) -> str:
    try:
        der = binascii.unhexlify(text)
    except (binascii.Error, ValueError):
        raise DNSyntaxError("a '#' value is not hexadecimal") from None
    try:
        tlv = d.read_whole(der, "a '#' value")
    except d.DERError as exc:
        raise DNSyntaxError(f"{exc} (X.690 DER)") from None
    codec = _STRING_TAGS.get(tlv.tag)
    if codec is None:
        raise DNSyntaxError(f"a '#' value has the unsupported type tag 0x{der[0]:02x}")
    try:
        return der[tlv.start :].decode(codec)
    except UnicodeDecodeError:
        raise DNSyntaxError("a '#' value is not a valid string") from None


def _split(text: str) -> list[tuple[str, str]]:
    """The (type, raw value) pairs, split at unescaped, unquoted ``,`` ``;`` and ``+``."""
    pairs: list[tuple[str, str]] = []
    buf: list[str] = []
    key: str | None = None
    quoted = False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            buf.append(text[i : i + 2])
            i += 2
            continue
        if ch == '"' and key is not None:
            quoted = not quoted
            buf.append(ch)
        elif quoted:
            buf.append(ch)
        elif ch == "=" and key is None:
            key = "".join(buf).strip()
            buf = []
        elif ch in ",;+":
            if key is None:
                raise DNSyntaxError(f"an attribute without '=' before position {i}")
            pairs.append((key, "".join(buf)))
            key, buf = None, []
        else:
            buf.append(ch)
        i += 1
    if quoted:
        raise DNSyntaxError("an unterminated quoted value")
    if key is None:
        if "".join(buf).strip():
            raise DNSyntaxError("an attribute without '='")
    else:
        pairs.append((key, "".join(buf)))
    return pairs


def _unescape(raw: str) -> str:
    value = raw.strip()
    if value.startswith("#"):
        return _hex_value(value[1:])
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        value = value[1:-1]
    out = bytearray()
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            pair = value[i + 1 : i + 3]
            if len(pair) == 2 and all(c in "0123456789abcdefABCDEF" for c in pair):
                out.append(int(pair, 16))
                i += 3
                continue
            out.extend(value[i + 1].encode("utf-8"))
            i += 2
            continue
        out.extend(ch.encode("utf-8"))
        i += 1
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        raise DNSyntaxError("an escaped value is not UTF-8") from None


def _oid(key: str) -> str:
    k = key.strip()
    if k.upper().startswith("OID."):
        k = k[4:]
    if k and all(p.isdigit() for p in k.split(".")) and "." in k:
        return k
    oid = _KEYWORDS.get(k.upper())
    if oid is None:
        raise DNSyntaxError(f"unknown attribute type {k[:40]!r}")
    return oid


def parse_dn(text: str) -> Counter[tuple[str, str]]:
    """The (OID, normalised value) attributes of a DN string, as a multiset."""
    if len(text) > _MAX_DN:
        raise DNSyntaxError(f"longer than {_MAX_DN} characters")
    return Counter((_oid(k), _norm(_unescape(v))) for k, v in _split(text))


def _cert_attrs(name: x509.Name) -> Counter[tuple[str, str]]:
    out: Counter[tuple[str, str]] = Counter()
    for attr in name:
        value = attr.value
        text = value if isinstance(value, str) else bytes(value).hex()
        out[(attr.oid.dotted_string, _norm(text))] += 1
    return out


def name_matches(text: str, name: x509.Name) -> bool:
    """Whether the DN string ``text`` names ``name``; raises :class:`DNSyntaxError`."""
    return parse_dn(text) == _cert_attrs(name)
