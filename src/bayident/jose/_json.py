"""Strict JSON for JOSE: unique member names, no NaN/Infinity, bounded size and depth.

RFC 7515 §5.2 and RFC 7519 §4 let a parser either reject duplicate member names or
keep the last one; keeping one silently means two readers can see two different
headers, so bayident rejects them.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["JSONError", "loads_object"]

MAX_DEPTH = 20


class JSONError(ValueError):
    """JSON that bayident refuses; the message names the problem."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise JSONError(f"duplicate member name {key!r}")
        out[key] = value
    return out


def _constant(name: str) -> Any:
    raise JSONError(f"{name} is not a JSON number (RFC 8259 §6)")


def _depth(text: str) -> int:
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def loads_object(data: bytes | str, what: str, limit: int) -> dict[str, Any]:
    """Parse ``data`` as one JSON object, or raise :class:`JSONError` naming ``what``."""
    if len(data) > limit:
        raise JSONError(f"{what} is {len(data)} bytes, over the limit of {limit} bytes")
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JSONError(f"{what} is not UTF-8 (RFC 8259 §8.1): byte {exc.start}") from None
    else:
        text = data
    # Cheap before parsing: a nesting bomb would otherwise reach the recursion limit.
    if text.count("[") + text.count("{") > MAX_DEPTH and _depth(text) > MAX_DEPTH:
        raise JSONError(f"{what} nests deeper than {MAX_DEPTH} levels")
    try:
        value = json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant)
    except JSONError as exc:
        raise JSONError(f"{what}: {exc}") from None
    except (ValueError, RecursionError) as exc:
        raise JSONError(f"{what} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise JSONError(f"{what} must be a JSON object, not {type(value).__name__}")
    return value
