"""The one strict JSON reader for untrusted input: JOSE headers and claims, JWKS, JSON
trust lists, scheme evidence, iAM Smart replies, userinfo, policy files.

Strict means: UTF-8 only (RFC 8259 §8.1); a member name at most once per object (RFC
7515 §5.2 and RFC 7519 §4 let a parser keep the last one, so two readers could see two
different documents — bayident refuses); no NaN or Infinity (not JSON numbers, RFC 8259
§6); bounded size, nesting depth and number of values, each checked before parsing so
a hostile document costs no more than its size. Every refusal is a :class:`JSONError`
whose message names the document and the place (member name or character offset);
callers turn it into their own result or exception without rewording.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Literal

__all__ = ["DEFAULT_MAX_DEPTH", "JSONError", "loads", "loads_object"]

#: Deepest nesting of arrays and objects accepted unless a caller asks for less.
DEFAULT_MAX_DEPTH = 64
#: At most one JSON value per this many bytes (beyond the first ``_FREE_VALUES``): a parsed
#: value costs Python 60 to 200 bytes whatever its size in the input, so a document made of
#: ``{},`` would cost 25 times its size. Real documents hold one per 30 bytes or more.
BYTES_PER_VALUE = 8
_FREE_VALUES = 2048

Problem = Literal[
    "too-large",
    "not-utf8",
    "too-deep",
    "too-many-values",
    "duplicate",
    "constant",
    "syntax",
    "type",
]

# A JSON string (or an unterminated one, to the end): brackets inside it do not nest.
_STRING = re.compile(r'"(?:[^"\\]|\\[\s\S])*(?:"|\Z)')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


class JSONError(ValueError):
    """JSON that bayident refuses; the message names the document and what is wrong.

    ``problem`` says which rule refused it; ``key`` is the repeated member name for
    ``"duplicate"``, ``offset`` the character offset for ``"syntax"``.
    """

    def __init__(
        self, message: str, problem: Problem, *, key: str | None = None, offset: int | None = None
    ) -> None:
        super().__init__(message)
        self.problem: Problem = problem
        self.key = key
        self.offset = offset


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


class _Constant(Exception):
    def __init__(self, name: str) -> None:
        self.name = name


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(key)
        out[key] = value
    return out


def _constant(name: str) -> Any:
    raise _Constant(name)


def _depth(text: str) -> int:
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    depth = deepest = 0
    for ch in brackets:
        if ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
        else:
            depth -= 1
    return deepest


def loads(
    data: bytes | bytearray | memoryview | str,
    what: str,
    limit: int,
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    parse_int: Callable[[str], Any] | None = None,
) -> Any:
    """Parse ``data`` as one JSON value, or raise :class:`JSONError` naming ``what``.

    ``limit`` bounds the size in bytes (UTF-8); ``parse_int`` replaces :class:`int` for
    integer literals (to bound their length, say).
    """
    raw = (
        data.encode("utf-8", "surrogatepass")
        if isinstance(data, str)
        else data
        if isinstance(data, bytes)
        else bytes(data)
    )
    if len(raw) > limit:
        raise JSONError(f"{what} is {len(raw)} bytes, over the limit of {limit} bytes", "too-large")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JSONError(
            f"{what} is not UTF-8 (RFC 8259 §8.1): byte {exc.start}", "not-utf8", offset=exc.start
        ) from None
    # A nesting bomb would otherwise reach the interpreter's recursion limit.
    opens = text.count("[") + text.count("{")
    if opens > max_depth and _depth(text) > max_depth:
        raise JSONError(f"{what} nests deeper than {max_depth} levels", "too-deep")
    # Counted before parsing (an upper bound: every value but the first follows a ',' or
    # ':' or opens with '{' or '['), so memory stays near the input size.
    budget = _FREE_VALUES + len(raw) // BYTES_PER_VALUE
    if opens + text.count(",") + text.count(":") > budget:
        raise JSONError(
            f"{what} holds more than {budget} JSON values, more than its size allows (one per "
            f"{BYTES_PER_VALUE} bytes); refused before parsing",
            "too-many-values",
        )
    try:
        return json.loads(
            text, object_pairs_hook=_pairs, parse_constant=_constant, parse_int=parse_int
        )
    except _Duplicate as exc:
        raise JSONError(
            f"{what}: duplicate member name {exc.key[:80]!r}", "duplicate", key=exc.key
        ) from None
    except _Constant as exc:
        raise JSONError(
            f"{what}: {exc.name} is not a JSON number (RFC 8259 §6)", "constant"
        ) from None
    except json.JSONDecodeError as exc:
        raise JSONError(
            f"{what} is not valid JSON: {exc.msg} at character {exc.pos}", "syntax", offset=exc.pos
        ) from None
    except RecursionError:  # pragma: no cover - the depth is bounded above
        raise JSONError(f"{what} nests too deeply", "too-deep") from None
    except ValueError as exc:  # an integer over the interpreter's digit limit, say
        raise JSONError(f"{what} is not valid JSON: {str(exc)[:120]}", "syntax") from None


def loads_object(
    data: bytes | bytearray | memoryview | str,
    what: str,
    limit: int,
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    parse_int: Callable[[str], Any] | None = None,
) -> dict[str, Any]:
    """:func:`loads` for a document that must be one JSON object."""
    value = loads(data, what, limit, max_depth=max_depth, parse_int=parse_int)
    if not isinstance(value, dict):
        raise JSONError(f"{what} must be a JSON object, not {_kind(value)}", "type")
    return value


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return "a number"
