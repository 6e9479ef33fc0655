"""SM2/SM3 (国密) primitives: SM3 hashing, SM2 signature verification and signing.

SM3 and everything that does not need curve arithmetic (Z_A, key parsing) work
with the core install. SM2 verification and signing need the ``sm`` extra
(``pip install 'bayident[sm]'``, which brings ``tongsuopy``); without it
:func:`sm_available` is False and they raise :class:`SMBackendUnavailable`.

Example::

    key = SM2PublicKey.from_spki_pem(pem)
    sm2_verify(key, signature, message)                 # default ID 1234567812345678
    sm2_verify(key, signature, message, signer_id=b"ALICE123@YAHOO.COM")
"""

from __future__ import annotations

from bayident.sm._backend import SMBackendUnavailable
from bayident.sm._sm2 import (
    DEFAULT_SM2_ID,
    SM2Error,
    SM2Failure,
    SM2KeyError,
    SM2PrivateKey,
    SM2PublicKey,
    SM2SignatureError,
    SM2Variant,
    compute_za,
    generate_sm2_key,
    sm2_hasher,
    sm2_sign,
    sm2_verify,
    sm2_verify_variants,
    sm_available,
)
from bayident.sm._sm3 import SM3Hash, sm3

__all__ = [
    "DEFAULT_SM2_ID",
    "SM2Error",
    "SM2Failure",
    "SM2KeyError",
    "SM2PrivateKey",
    "SM2PublicKey",
    "SM2SignatureError",
    "SM2Variant",
    "SM3Hash",
    "SMBackendUnavailable",
    "compute_za",
    "generate_sm2_key",
    "sm2_hasher",
    "sm2_sign",
    "sm2_verify",
    "sm2_verify_variants",
    "sm3",
    "sm_available",
]
