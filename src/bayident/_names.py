"""Distinguished-name comparison keys (RFC 5280 §7.1, RFC 4518 string preparation).

Two names are the same when their RDNs match pairwise after string
preparation: case folded, Unicode-normalised (NFKC) and with insignificant
white space removed, whatever the string type (PrintableString, UTF8String,
...). Path building indexes certificates by these keys, so a CA that
re-encodes its name between certificates (PKITS 4.3.3 – 4.3.11) still chains,
while the byte-exact DER stays the identity used everywhere else.
"""

from __future__ import annotations

from ._memo import Memo

__all__ = ["name_key"]

# Names on a path repeat (issuer of one certificate, subject of the next), so a
# small cache spares the string preparation; names are short, 4096 of them are cheap.
# Process-wide: a key is a pure function of the name's DER.
_KEYS: Memo[bytes, str] = Memo(4096)

# A key built from raw DER cannot collide with a prepared one: those start with an
# attribute type (a dotted OID or a name), never with this prefix.
_RAW_PREFIX = "der:"


def name_key(name_der: bytes) -> str:
    """The RFC 5280 §7.1 comparison key of a DER-encoded ``Name``.

    A name whose values cannot be prepared (malformed strings, prohibited code
    points, attribute values that are not strings) keys on its exact DER
    bytes: it then matches only a byte-identical name, never a lookalike.
    """
    key = _KEYS.get(name_der)
    if key is None:
        key = _prepare(name_der)
        _KEYS.put(name_der, key)
    return key


def _prepare(name_der: bytes) -> str:
    from asn1crypto import x509 as ax509

    try:
        key: str = ax509.Name.load(name_der).hashable
    except (ValueError, TypeError, KeyError, AttributeError, UnicodeError):
        return _RAW_PREFIX + name_der.hex()
    return key
