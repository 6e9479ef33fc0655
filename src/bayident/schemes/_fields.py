"""Strict readers of scheme-evidence fields: each fault names the field and is a SchemeFailure."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from cryptography import x509

from .._result import SubIndication
from ._base import SchemeFailure

__all__ = ["b64_field", "certificate_field", "fail", "obj_field", "opt_str", "req_str"]

_PEM_BEGIN = "-----BEGIN CERTIFICATE-----"


def fail(check: str, sub: SubIndication, message: str, field: str | None = None) -> SchemeFailure:
    """A :class:`SchemeFailure` to raise."""
    return SchemeFailure(check, sub, message, field)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def opt_str(
    obj: Mapping[str, Any],
    key: str,
    path: str,
    *,
    max_length: int = 1024,
    check: str = "evidence-field",
) -> str | None:
    """A string field or None; wrong type or too long is a FORMAT_FAILURE."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise fail(
            check,
            SubIndication.FORMAT_FAILURE,
            f"{path} must be a string, got a JSON {_kind(value)}",
            path,
        )
    if len(value) > max_length:
        raise fail(
            check,
            SubIndication.FORMAT_FAILURE,
            f"{path} is {len(value)} characters, more than the {max_length} allowed",
            path,
        )
    return value


def req_str(
    obj: Mapping[str, Any],
    key: str,
    path: str,
    *,
    max_length: int = 1024,
    check: str = "evidence-field",
) -> str:
    """A required, non-blank string field."""
    value = opt_str(obj, key, path, max_length=max_length, check=check)
    if value is None or not value.strip():
        state = "empty" if value is not None else ("null" if key in obj else "missing")
        raise fail(check, SubIndication.FORMAT_FAILURE, f"required field {path} is {state}", path)
    return value


def obj_field(
    obj: Mapping[str, Any],
    key: str,
    path: str,
    *,
    required: bool = True,
    check: str = "evidence-field",
) -> dict[str, Any] | None:
    """An object field."""
    value = obj.get(key)
    if value is None:
        if required:
            state = "null" if key in obj else "missing"
            raise fail(
                check, SubIndication.FORMAT_FAILURE, f"required field {path} is {state}", path
            )
        return None
    if not isinstance(value, dict):
        raise fail(
            check,
            SubIndication.FORMAT_FAILURE,
            f"{path} must be an object, got a JSON {_kind(value)}",
            path,
        )
    return value


def b64_field(value: str, path: str, *, check: str = "evidence-field") -> bytes:
    """Strict Base64 (standard alphabet, padded; URL-safe accepted) to bytes."""
    text = value.strip()
    try:
        if "-" in text or "_" in text:
            return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise fail(
            check, SubIndication.FORMAT_FAILURE, f"{path} is not valid Base64", path
        ) from None


def certificate_field(
    value: str, path: str, *, check: str = "certificate"
) -> tuple[bytes, x509.Certificate]:
    """A certificate given as PEM or Base64 DER."""
    from cryptography.hazmat.primitives.serialization import Encoding

    text = value.strip()
    try:
        if text.startswith(_PEM_BEGIN):
            cert = x509.load_pem_x509_certificate(text.encode("ascii"))
            return cert.public_bytes(Encoding.DER), cert
        der = b64_field(text, path, check=check)
        return der, x509.load_der_x509_certificate(der)
    except SchemeFailure:
        raise
    except (ValueError, UnicodeEncodeError) as exc:
        raise fail(
            check,
            SubIndication.FORMAT_FAILURE,
            f"{path} is not a readable X.509 certificate: {str(exc)[:120]}",
            path,
        ) from None
