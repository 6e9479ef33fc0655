"""The adapters bayident ships, and the default registry holding them."""

from __future__ import annotations

import threading

from ._base import SchemeAdapter, SchemeRegistry
from .digisign import DigiSignAdapter
from .esigntrust import ESignTrustAdapter
from .guangdong import GuangdongIdentityAdapter
from .guangdong_ca import GuangdongCAAdapter, gdca_profile, netca_profile
from .hkpost import HongkongPostAdapter
from .iamsmart import IAmSmartAdapter
from .macao import MacaoOneAccountAdapter

__all__ = ["builtin_adapters", "default_registry"]


def builtin_adapters() -> list[SchemeAdapter]:
    """Fresh instances of the built-in adapters, with their default settings."""
    return [
        HongkongPostAdapter(),
        DigiSignAdapter(),
        ESignTrustAdapter(),
        GuangdongCAAdapter(gdca_profile()),
        GuangdongCAAdapter(netca_profile()),
        IAmSmartAdapter(),
        GuangdongIdentityAdapter(),
        MacaoOneAccountAdapter(),
    ]


_LOCK = threading.Lock()
_DEFAULT: list[SchemeRegistry] = []


def default_registry() -> SchemeRegistry:
    """The registry a :class:`~bayident.Verifier` uses when it is given none.

    The built-in adapters and any published under the ``bayident.schemes`` entry-point
    group, created on first use. To configure adapters or recognition for some
    verifications only, give those verifiers a registry of their own:
    ``Verifier(schemes=default_registry().copy())`` and configure the copy.
    """
    if not _DEFAULT:
        with _LOCK:
            if not _DEFAULT:
                _DEFAULT.append(SchemeRegistry(builtin_adapters(), entry_points=True))
    return _DEFAULT[0]
