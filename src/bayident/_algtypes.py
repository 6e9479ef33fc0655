"""What a signature algorithm plug-in is made of: the mechanism, and the errors it raises.

Kept apart from the table of algorithms (:mod:`bayident._algorithms`) so that a
mechanism defined elsewhere (SM2, in :mod:`bayident.sm._mechanism`) depends only on
this, and the table can list it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

__all__ = ["AlgorithmError", "NonStandardSignature", "SignatureMechanism", "describe_key"]


class AlgorithmError(Exception):
    """An algorithm that is unknown, malformed or unusable with the key; ``reason`` says which."""

    def __init__(self, reason: str, *, unsupported: bool = False) -> None:
        self.reason = reason
        self.unsupported = unsupported
        super().__init__(reason)


class NonStandardSignature(InvalidSignature):
    """A signature that verifies only when its input is derived in a non-standard way.

    Raised by a mechanism's ``verify_with_policy`` (e.g. SM2 over SM3(M) instead of
    SM3(Z_A ‖ M)). ``variant`` names the derivation, ``reason`` says what verified and
    ``accepted`` whether the policy accepts it. Being an :class:`InvalidSignature`,
    it fails wherever nobody asks about variants (certificate signatures).
    """

    def __init__(self, variant: str, reason: str, *, accepted: bool = False) -> None:
        self.variant = variant
        self.reason = reason
        self.accepted = accepted
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class SignatureMechanism:
    """How to check signatures of one algorithm OID.

    ``verify(public_key, signature, data, digest_name, parameters, prehashed)``
    raises :class:`cryptography.exceptions.InvalidSignature` for a wrong
    signature and :class:`AlgorithmError` for an unusable combination. When
    ``prehashed`` is true, ``data`` is already the digest of the message.
    """

    name: str  # policy name of the scheme: 'rsa-pkcs1v15', 'ecdsa', ...
    fixed_digest: str | None  # digest implied by the OID, if any
    supports_prehash: bool
    verify: Callable[[Any, bytes, bytes, str, bytes | None, bool], None]
    # The key type the mechanism needs, for precise "algorithm/key confusion" messages.
    key_type: str
    # ``verify`` with one more argument, the bayident.Policy, for mechanisms with settings
    # (SM2's signer ID and accepted variants); the verifier prefers it when present.
    verify_with_policy: Callable[[Any, bytes, bytes, str, bytes | None, bool, Any], None] | None = (
        None
    )


def describe_key(key: Any) -> str:
    """'RSA-2048', 'EC-secp256r1', 'Ed25519', ..."""
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA-{key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC-{key.curve.name}"
    if isinstance(key, dsa.DSAPublicKey):
        return f"DSA-{key.key_size}"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448"
    return type(key).__name__.replace("PublicKey", "") or "unknown key"
