"""Low-level primitives: sharp tools for callers who know the protocol they implement.

As pyca/cryptography keeps its primitives under ``hazmat``, bayident keeps here the
functions that check or transform one piece of a protocol and say nothing about whether a
person or an organisation signed anything: a raw SM2 verification is not a verified
signature (no certificate, no path, no policy), a decrypted iAM Smart envelope is not a
verified reply. Reach for :func:`bayident.verify` first; use these to build what it does
not offer, and read each function's contract.

``sm2_verify``, ``sm3``
    GB/T 32918.2 SM2 signature verification over a message with a signer ID, and SM3
    (need the ``sm`` extra).
``decrypt_content``, ``encrypt_content``, ``unwrap_secret_key``
    The iAM Smart AES-GCM content envelope and the RSA-wrapped content key.
``parse_tst_info``
    An RFC 3161 ``TSTInfo``, read but not verified.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes

if TYPE_CHECKING:
    from ..schemes.iamsmart import decrypt_content, encrypt_content, unwrap_secret_key
    from ..sm import sm2_verify, sm3
    from ..tsp import parse_tst_info

_NAMES = {
    "sm2_verify": "bayident.sm",
    "sm3": "bayident.sm",
    "decrypt_content": "bayident.schemes.iamsmart",
    "encrypt_content": "bayident.schemes.iamsmart",
    "unwrap_secret_key": "bayident.schemes.iamsmart",
    "parse_tst_info": "bayident.tsp",
}
__getattr__, __dir__ = lazy_attributes(__name__, _NAMES, globals())

__all__ = [
    "decrypt_content",
    "encrypt_content",
    "parse_tst_info",
    "sm2_verify",
    "sm3",
    "unwrap_secret_key",
]
