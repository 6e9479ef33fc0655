"""JOSE's profile of the strict JSON reader: headers, claims sets and key sets nest at
most :data:`MAX_DEPTH` levels. The reader itself is :mod:`bayident._json`.
"""

from __future__ import annotations

from typing import Any

from .._json import JSONError
from .._json import loads_object as _loads_object

__all__ = ["MAX_DEPTH", "JSONError", "loads_object"]

MAX_DEPTH = 20


def loads_object(data: bytes | str, what: str, limit: int) -> dict[str, Any]:
    """Parse ``data`` as one JSON object, or raise :class:`JSONError` naming ``what``."""
    return _loads_object(data, what, limit, max_depth=MAX_DEPTH)
