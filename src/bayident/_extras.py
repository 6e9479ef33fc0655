"""Optional extras: one way to say that a feature needs one.

Importing a subpackage never fails because an extra is missing; using a feature that needs
it raises :class:`~bayident.MissingExtraError` naming ``pip install 'bayident[EXTRA]'``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ._exceptions import MissingExtraError

__all__ = ["extra_of", "require"]

# What each extra brings, for the messages.
EXTRAS = {
    "etsi": ("lxml", "signxml"),
    "sm": ("tongsuopy",),
    "cli": ("rich",),
    "redis": ("redis",),
    # The general RFC 5280 path engine (bayident._pathgeneral) for the paths
    # cryptography's verifier does not decide.
    "pkix": ("pyhanko_certvalidator",),
}


def require(extra: str, feature: str) -> tuple[ModuleType, ...]:
    """Import the modules of ``extra`` or raise :class:`MissingExtraError` for ``feature``."""
    modules = []
    for name in EXTRAS[extra]:
        try:
            modules.append(importlib.import_module(name))
        except ImportError:
            raise MissingExtraError(feature, extra, name) from None
    return tuple(modules)


def extra_of(module: str | None) -> str | None:
    """The extra that brings ``module`` (or its top-level package), or None."""
    top = (module or "").partition(".")[0]
    return next((extra for extra, mods in EXTRAS.items() if top in mods), None)
