"""Lazy package attributes (PEP 562), so that importing a package costs almost nothing.

``import bayident`` and the pytest plugin's ``import bayident.testing`` load a module only
when one of its names is first used; static type checkers still see every name through
the ``TYPE_CHECKING`` imports each package keeps beside its table.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from ._exceptions import MissingExtraError
from ._extras import extra_of


def lazy_attributes(
    package: str, names: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``names`` maps a public name to the
    module (absolute, or relative to ``package``) that defines it. A name is imported on
    first use and then kept in ``namespace`` (the package's globals)."""

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        try:
            found = importlib.import_module(module, package)
        except ModuleNotFoundError as exc:
            # A name whose module needs an extra that is not installed: one BayidentError
            # naming the install command, as every other use of a missing extra gives.
            extra = extra_of(exc.name)
            if extra is None:
                raise
            raise MissingExtraError(f"{package}.{name}", extra, str(exc.name)) from None
        value = getattr(found, name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__
