"""What a :class:`~bayident.Verifier` uses when it is given nothing else.

The evidence handlers (scheme envelopes, JWS, OFD), the result enricher (the scheme
adapters') and the scheme registry bayident ships. They are named here by dotted path and
imported the first time a verifier needs them, not when ``bayident`` is imported: a
pytest plugin or a CLI start pays only for what it uses, and nothing registers itself
anywhere as a side effect of an import.

They are named rather than imported because they sit above the data path: a scheme
adapter or the JWS door starts verifications of its own, so the stages must not import
them (``tests/test_architecture.py`` keeps the import graph free of circles).
"""

from __future__ import annotations

import importlib
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._handlers import EvidenceHandler, ResultEnricher
    from .schemes import SchemeRegistry

__all__ = [
    "BUILTIN_ENRICHERS",
    "BUILTIN_HANDLERS",
    "DEFAULT_SCHEMES",
    "builtin_enrichers",
    "builtin_handlers",
    "default_schemes",
]

#: The built-in evidence handlers, in the order they are asked. The scheme-evidence
#: envelope goes first: its marker is specific, while the JWS handler's cheap JSON sniff
#: also matches envelopes whose data carries ``"signature"`` and ``"header"`` members.
BUILTIN_HANDLERS: tuple[str, ...] = (
    "bayident.schemes._dispatch:HANDLER",
    "bayident.jose._verify:HANDLER",
    "bayident.ofd._handler:HANDLER",
)
#: The built-in result enrichers: the scheme adapters' identity and recognition.
BUILTIN_ENRICHERS: tuple[str, ...] = ("bayident.schemes._dispatch:enrich",)
#: The function returning the built-in default scheme registry.
DEFAULT_SCHEMES = "bayident.schemes._builtin:default_registry"

_LOCK = threading.Lock()
_loaded: dict[str, Any] = {}


def _load(ref: str) -> Any:
    value = _loaded.get(ref)
    if value is None:
        module, _, name = ref.partition(":")
        value = getattr(importlib.import_module(module), name)
        with _LOCK:
            _loaded[ref] = value
    return value


def builtin_handlers() -> tuple[EvidenceHandler, ...]:
    """The built-in evidence handlers, imported on first use."""
    found: tuple[EvidenceHandler, ...] | None = _loaded.get("handlers")
    if found is None:
        found = tuple(_load(ref) for ref in BUILTIN_HANDLERS)
        _loaded["handlers"] = found
    return found


def builtin_enrichers() -> tuple[ResultEnricher, ...]:
    """The built-in result enrichers, imported on first use."""
    found: tuple[ResultEnricher, ...] | None = _loaded.get("enrichers")
    if found is None:
        found = tuple(_load(ref) for ref in BUILTIN_ENRICHERS)
        _loaded["enrichers"] = found
    return found


def default_schemes() -> SchemeRegistry:
    """The built-in default scheme registry (``bayident.schemes.default_registry()``)."""
    registry: SchemeRegistry = _load(DEFAULT_SCHEMES)()
    return registry
