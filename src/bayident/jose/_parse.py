"""Parsing JWS serialisations (RFC 7515 §7): compact, flattened JSON and general JSON.

Only structure is checked here (members, types, base64url, JSON, sizes); what the
header parameters mean is checked per signature by the verifier.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from ._b64 import B64Error, b64url_decode
from ._json import JSONError, loads_object

__all__ = ["MAX_HEADER_BYTES", "JWSFormatError", "ParsedJWS", "SignaturePart", "parse_jws"]

# A protected header with a three-certificate x5c chain of RSA-4096 certificates is about
# 8 KiB; 16 KiB leaves room and stops header bombs before they are decoded.
MAX_HEADER_BYTES = 16 * 1024
_MAX_HEADER_B64 = (MAX_HEADER_BYTES * 4 + 2) // 3
# RSA-16384 signatures are 2 KiB; nothing accepted here is larger.
MAX_SIGNATURE_BYTES = 2048
_MAX_SIGNATURE_B64 = (MAX_SIGNATURE_BYTES * 4 + 2) // 3

# The signature segment may be empty here so that unsecured ("alg": "none") tokens reach
# the JWS verifier and are refused with a precise reason rather than as "not CMS".
COMPACT = re.compile(rb"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
_WS = b" \t\r\n"

Serialization = Literal["compact", "json-flattened", "json-general"]


class JWSFormatError(ValueError):
    """The JWS is not well formed; ``concerns`` names the element at fault."""

    def __init__(self, message: str, concerns: str) -> None:
        super().__init__(message)
        self.message = message
        self.concerns = concerns


@dataclass
class SignaturePart:
    """One signature as found: its protected header (raw and parsed) and value."""

    index: int
    where: str  # e.g. "signatures[1]"
    protected_b64: bytes
    protected: dict[str, Any]
    unprotected: dict[str, Any]
    signature: bytes


@dataclass
class ParsedJWS:
    serialization: Serialization
    # The payload as carried (the base64url text, or raw octets for b64=false), None if detached.
    payload: bytes | None
    signatures: list[SignaturePart]


def looks_like_jws(raw: bytes) -> bool:
    """Cheap detection: compact form, or a JSON object with a signature and a header."""
    head = raw[:1]
    if head in (b"{", b" ", b"\t", b"\r", b"\n"):
        text = raw.strip(_WS)
        if text[:1] != b"{":
            return False
        return b'"signature' in text and (b'"protected"' in text or b'"header"' in text)
    # A compact JWS is ASCII throughout: DER (a CMS signature, every warm verification)
    # has a length byte of 0x80 or more second, and is refused here without a scan.
    if not raw[:2].isascii() or raw.count(b".") < 2:
        return False
    return COMPACT.fullmatch(raw.strip(_WS)) is not None


def _protected(b64: object, where: str) -> tuple[bytes, dict[str, Any]]:
    if not isinstance(b64, (str, bytes)):
        raise JWSFormatError(f"{where}.protected must be a string", f"{where}.protected")
    raw = b64.encode("ascii", "replace") if isinstance(b64, str) else b64
    if len(raw) > _MAX_HEADER_B64:
        raise JWSFormatError(
            f"the protected header of {where} is {len(raw)} base64url characters, over the "
            f"limit of {MAX_HEADER_BYTES} bytes decoded",
            f"{where}.protected",
        )
    try:
        decoded = b64url_decode(raw, f"the protected header of {where}")
        header = loads_object(decoded, f"the protected header of {where}", MAX_HEADER_BYTES)
    except (B64Error, JSONError) as exc:
        raise JWSFormatError(str(exc), f"{where}.protected") from None
    return raw, header


def _signature(b64: object, where: str) -> bytes:
    if not isinstance(b64, (str, bytes)):
        raise JWSFormatError(f"{where}.signature must be a string", f"{where}.signature")
    raw = b64.encode("ascii", "replace") if isinstance(b64, str) else b64
    if len(raw) > _MAX_SIGNATURE_B64:
        raise JWSFormatError(
            f"the signature value of {where} is over {MAX_SIGNATURE_BYTES} bytes",
            f"{where}.signature",
        )
    try:
        return b64url_decode(raw, f"the signature value of {where}")
    except B64Error as exc:
        raise JWSFormatError(str(exc), f"{where}.signature") from None


def _parse_compact(text: bytes) -> ParsedJWS:
    parts = text.split(b".")
    if len(parts) != 3:
        raise JWSFormatError(
            f"a JWS in compact serialization has 3 parts separated by '.', this one has "
            f"{len(parts)} (RFC 7515 §7.1); an unencoded (b64=false) payload containing '.' "
            "cannot be carried in it (RFC 7797 §5.2)",
            "JWS compact serialization",
        )
    head, payload, sig = parts
    where = "JWS"
    protected_b64, header = _protected(head, where)
    return ParsedJWS(
        "compact",
        payload if payload else None,
        [SignaturePart(0, where, protected_b64, header, {}, _signature(sig, where))],
    )


def _unprotected(value: object, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise JWSFormatError(f"{where}.header must be a JSON object", f"{where}.header")
    if len(json.dumps(value)) > MAX_HEADER_BYTES:
        raise JWSFormatError(
            f"the unprotected header of {where} is over {MAX_HEADER_BYTES} bytes", f"{where}.header"
        )
    return value


def _part(obj: dict[str, Any], index: int, where: str) -> SignaturePart:
    if "signature" not in obj:
        raise JWSFormatError(
            f"{where} has no 'signature' member (RFC 7515 §7.2.1)", f"{where}.signature"
        )
    if "protected" in obj:
        protected_b64, header = _protected(obj["protected"], where)
    else:
        protected_b64, header = b"", {}
    unprotected = _unprotected(obj.get("header"), where)
    if not header and not unprotected:
        raise JWSFormatError(
            f"{where} has neither a protected nor an unprotected header", f"{where}"
        )
    return SignaturePart(
        index, where, protected_b64, header, unprotected, _signature(obj["signature"], where)
    )


def _parse_json(raw: bytes, limit: int, max_signatures: int) -> ParsedJWS:
    try:
        doc = loads_object(raw, "the JWS JSON serialization", limit)
    except JSONError as exc:
        raise JWSFormatError(str(exc), "JWS JSON serialization") from None
    payload_value = doc.get("payload")
    payload: bytes | None
    if payload_value is None or payload_value == "":
        payload = None
    elif isinstance(payload_value, str):
        payload = payload_value.encode("utf-8")
    else:
        raise JWSFormatError("the 'payload' member must be a string", "payload")
    if "signatures" in doc:
        stray = [m for m in ("protected", "header", "signature") if m in doc]
        if stray:
            raise JWSFormatError(
                f"general JWS JSON serialization with flattened members {', '.join(stray)} at "
                "top level (RFC 7515 §7.2.2 forbids mixing them)",
                stray[0],
            )
        sigs = doc["signatures"]
        if not isinstance(sigs, list) or not sigs:
            raise JWSFormatError("'signatures' must be a non-empty array", "signatures")
        if len(sigs) > max_signatures:
            raise JWSFormatError(
                f"{len(sigs)} signatures, over the policy limit of "
                f"{max_signatures} (Policy.max_signers)",
                "signatures",
            )
        parts = []
        for i, s in enumerate(sigs):
            if not isinstance(s, dict):
                raise JWSFormatError(f"signatures[{i}] is not a JSON object", f"signatures[{i}]")
            parts.append(_part(s, i, f"signatures[{i}]"))
        return ParsedJWS("json-general", payload, parts)
    return ParsedJWS("json-flattened", payload, [_part(doc, 0, "JWS")])


def parse_jws(raw: bytes, *, limit: int, max_signatures: int) -> ParsedJWS:
    """Parse any JWS serialization; raises :class:`JWSFormatError`."""
    text = raw.strip(_WS)
    if not text:
        raise JWSFormatError("the evidence is empty", "JWS")
    if text[:1] == b"{":
        return _parse_json(text, limit, max_signatures)
    try:
        text.decode("ascii")
    except UnicodeDecodeError:
        raise JWSFormatError(
            "a JWS in compact serialization is ASCII; this has a byte over 0x7f",
            "JWS compact serialization",
        ) from None
    return _parse_compact(text)
