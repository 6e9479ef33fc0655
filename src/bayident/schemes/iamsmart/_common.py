"""What the iAM Smart message modules share: the error type and strict JSON reading."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final

from ..._exceptions import BayidentError, InvalidArgument
from ..._json import JSONError, loads_object

__all__ = ["MAX_INTEGER_DIGITS", "EnvelopeErrorCode", "IAmSmartEnvelopeError", "JsonNumber"]


class EnvelopeErrorCode(StrEnum):
    """Which check an iAM Smart envelope failed."""

    MISSING_HEADER = "MISSING_HEADER"
    DUPLICATE_HEADER = "DUPLICATE_HEADER"
    BAD_HEADER = "BAD_HEADER"
    UNSUPPORTED_SIGNATURE_METHOD = "UNSUPPORTED_SIGNATURE_METHOD"
    CLIENT_ID_MISMATCH = "CLIENT_ID_MISMATCH"
    STALE_TIMESTAMP = "STALE_TIMESTAMP"
    FUTURE_TIMESTAMP = "FUTURE_TIMESTAMP"
    SIGNATURE_MISMATCH = "SIGNATURE_MISMATCH"
    REPLAYED_NONCE = "REPLAYED_NONCE"
    NONCE_STORE_FULL = "NONCE_STORE_FULL"
    TOO_LARGE = "TOO_LARGE"
    BAD_BASE64 = "BAD_BASE64"
    TRUNCATED = "TRUNCATED"
    BAD_IV_LENGTH = "BAD_IV_LENGTH"
    TAG_MISMATCH = "TAG_MISMATCH"
    KEY_UNWRAP_FAILED = "KEY_UNWRAP_FAILED"
    BAD_JSON = "BAD_JSON"
    DUPLICATE_KEY = "DUPLICATE_KEY"
    MISSING_FIELD = "MISSING_FIELD"
    BAD_FIELD = "BAD_FIELD"
    UNKNOWN_CODE = "UNKNOWN_CODE"
    INVALID_HKID = "INVALID_HKID"


class IAmSmartEnvelopeError(BayidentError, ValueError):
    """An iAM Smart message that failed a check.

    :ivar code: the failed check.
    :ivar message: what was wrong, naming the header or field.
    :ivar field: the header or field at fault, when there is one.
    """

    def __init__(self, code: EnvelopeErrorCode, message: str, *, field: str | None = None) -> None:
        super().__init__(f"{code.value}: {message}")
        self.code = code
        self.message = message
        self.field = field


def _show(value: object, limit: int = 40) -> str:
    """repr() of untrusted text, cut so that an error message stays short."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_limit(max_size: object) -> int:
    if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 0:
        raise InvalidArgument("max_size must be a non-negative int")
    return max_size


class JsonNumber:
    """A JSON integer too long to be a field value, kept as its text.

    Python refuses to convert integers of more than 4,300 digits (a guard against
    quadratic-time conversion) with a plain ``ValueError`` that would name no field; no
    iAM Smart field holds a number of more than a few digits, so a longer one is kept
    as this placeholder and the field that holds it is reported as malformed.
    """

    __slots__ = ("digits",)

    def __init__(self, digits: int) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"<JSON number of {self.digits} digits>"


#: Longest JSON integer read as a number; longer ones become :class:`JsonNumber`.
MAX_INTEGER_DIGITS: Final = 64


def _bounded_int(text: str) -> int | JsonNumber:
    if len(text) > MAX_INTEGER_DIGITS:
        return JsonNumber(len(text))
    return int(text)


def _parse_json_object(data: object, what: str, max_size: int) -> dict[str, Any]:
    if isinstance(data, str):
        raw = data.encode("utf-8", errors="surrogatepass")
    elif isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
    else:
        raise InvalidArgument(f"{what} must be bytes or str, not {type(data).__name__}")
    limit = _check_limit(max_size)
    try:
        return loads_object(raw, what, limit, parse_int=_bounded_int)
    except JSONError as exc:
        code = _JSON_CODES.get(exc.problem, EnvelopeErrorCode.BAD_JSON)
        raise IAmSmartEnvelopeError(code, str(exc), field=exc.key) from None


_JSON_CODES = {
    "too-large": EnvelopeErrorCode.TOO_LARGE,
    "duplicate": EnvelopeErrorCode.DUPLICATE_KEY,
}


_JSON_TYPE = {str: "string", int: "number", float: "number", bool: "boolean"}


def _json_type(value: object) -> str:
    if isinstance(value, JsonNumber):
        return f"number of {value.digits} digits"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return _JSON_TYPE.get(type(value), type(value).__name__)


def _opt_str(obj: Mapping[str, Any], key: str, path: str, *, max_length: int = 1024) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise IAmSmartEnvelopeError(
            EnvelopeErrorCode.BAD_FIELD,
            f"{path} must be a string, got a JSON {_json_type(value)}",
            field=path,
        )
    if len(value) > max_length:
        raise IAmSmartEnvelopeError(
            EnvelopeErrorCode.BAD_FIELD,
            f"{path} is {len(value)} characters, more than {max_length}",
            field=path,
        )
    return value


def _req_str(obj: Mapping[str, Any], key: str, path: str, *, max_length: int = 1024) -> str:
    value = _opt_str(obj, key, path, max_length=max_length)
    if value is None:
        state = "null" if key in obj else "missing"
        raise IAmSmartEnvelopeError(
            EnvelopeErrorCode.MISSING_FIELD, f"required field {path} is {state}", field=path
        )
    if not value.strip():
        raise IAmSmartEnvelopeError(
            EnvelopeErrorCode.MISSING_FIELD, f"required field {path} is empty", field=path
        )
    return value


def _opt_obj(obj: Mapping[str, Any], key: str, path: str) -> dict[str, Any] | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise IAmSmartEnvelopeError(
            EnvelopeErrorCode.BAD_FIELD,
            f"{path} must be an object, got a JSON {_json_type(value)}",
            field=path,
        )
    return value
