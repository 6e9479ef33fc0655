"""Strict base64url (RFC 7515 §2, RFC 4648 §5) and the standard base64 of ``x5c``.

JOSE's base64url has no padding and only the URL-safe alphabet. Anything else
(padding, '+', '/', whitespace, a final character with stray low bits) is refused
instead of being repaired, so one token has exactly one encoding.
"""

from __future__ import annotations

import base64
import binascii
import re

__all__ = ["B64Error", "b64url_decode", "b64url_encode", "std_b64_decode"]

_B64URL = re.compile(rb"[A-Za-z0-9_-]*")
_STD_B64 = re.compile(rb"[A-Za-z0-9+/]*={0,2}")
_PAD = (b"", b"", b"==", b"=")


class B64Error(ValueError):
    """A value that is not strict base64url (or base64); the message says why."""


def b64url_encode(data: bytes) -> bytes:
    """Unpadded base64url of ``data``."""
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def b64url_decode(text: bytes | str, what: str) -> bytes:
    """Decode unpadded base64url, refusing padding, other alphabets and non-canonical ends."""
    raw = text.encode("ascii", "replace") if isinstance(text, str) else text
    if _B64URL.fullmatch(raw) is None:
        bad = next(
            (chr(c) for c in raw if not (chr(c).isalnum() and c < 128) and c not in b"-_"),
            "?",
        )
        hint = " (padding '=' is not allowed in JOSE)" if bad == "=" else ""
        raise B64Error(
            f"{what} is not base64url: character {bad!r} is outside the URL-safe "
            f"alphabet{hint} (RFC 7515 §2)"
        )
    n = len(raw)
    if n % 4 == 1:
        raise B64Error(
            f"{what} is not base64url: a length of {n} characters cannot encode "
            "whole octets (RFC 4648 §5)"
        )
    try:
        out = base64.urlsafe_b64decode(raw + _PAD[n % 4])
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - excluded by the checks above
        raise B64Error(f"{what} is not base64url: {exc}") from None
    if n % 4 and b64url_encode(out) != raw:
        # Unused low bits of the last character must be zero (RFC 4648 §3.5); otherwise
        # several strings decode to the same bytes.
        raise B64Error(
            f"{what} is not canonical base64url: its last character has non-zero "
            "unused bits (RFC 4648 §3.5)"
        )
    return out


def std_b64_decode(text: str, what: str) -> bytes:
    """Decode standard padded base64 (``x5c`` values, RFC 7515 §4.1.6), strictly."""
    raw = text.encode("ascii", "replace")
    if _STD_B64.fullmatch(raw) is None or len(raw) % 4:
        raise B64Error(
            f"{what} is not standard base64 (RFC 7515 §4.1.6 uses base64 with "
            "padding, not base64url)"
        )
    try:
        return binascii.a2b_base64(raw, strict_mode=True)
    except binascii.Error as exc:
        raise B64Error(f"{what} is not valid base64: {exc}") from None
