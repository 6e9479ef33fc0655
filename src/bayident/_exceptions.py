"""Exceptions raised by bayident.

A verification never raises for a bad *signature*: malformed, hostile or
untrusted evidence always yields a :class:`~bayident.VerificationResult` that
says why it did not pass. Exceptions are reserved for programmer errors and
for configuration that cannot be used at all::

    BayidentError
    ├── InvalidArgument          wrong type or value passed to the API (also a TypeError)
    ├── PolicyError              a policy file or value that cannot be used
    ├── TrustStoreError          trust anchors that cannot be loaded
    └── InputError               evidence or content that cannot be read at all
"""

from __future__ import annotations

__all__ = [
    "BayidentError",
    "InputError",
    "InvalidArgument",
    "PolicyError",
    "TrustStoreError",
]


class BayidentError(Exception):
    """Base class of every exception bayident raises on purpose."""


class InvalidArgument(BayidentError, TypeError):
    """An argument of the wrong type or with an unusable value."""


class PolicyError(BayidentError, ValueError):
    """A policy that cannot be loaded or is internally inconsistent."""


class MissingExtraError(BayidentError, ImportError):
    """A feature needs an optional extra that is not installed; the message names the
    ``pip install 'bayident[EXTRA]'`` command. The command line exits 64 with that line."""

    def __init__(self, feature: str, extra: str, missing: str) -> None:
        super().__init__(
            f"{feature} needs the '{extra}' extra ({missing} is not installed): "
            f"pip install 'bayident[{extra}]'"
        )
        self.feature = feature
        self.extra = extra
        self.missing = missing


class ResultError(BayidentError, LookupError):
    """Something asked of a result that it does not hold (a signer of a result that did not
    pass, a signer index out of range)."""


class TrustStoreError(BayidentError, ValueError):
    """Trust anchors that cannot be loaded (unreadable file, not a certificate)."""


class InputError(BayidentError, OSError):
    """Evidence or content that cannot be read (missing file, unreadable stream)."""
