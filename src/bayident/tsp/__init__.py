"""RFC 3161 time-stamp tokens, as :func:`bayident.verify` checks them.

Signature time-stamps (the CAdES-T unsigned attribute
``id-aa-signatureTimeStampToken``, 1.2.840.113549.1.9.16.2.14) cover the
signature value; content time-stamps (the signed attribute
``id-aa-ets-contentTimestamp``, 1.2.840.113549.1.9.16.2.20) cover the content.
A verified signature time-stamp's genTime is a proof that the signature existed
then; see ``docs/revocation.md``.
"""

from __future__ import annotations

from ._token import (
    OID_CONTENT_TIMESTAMP,
    OID_KP_TIME_STAMPING,
    OID_SIGNATURE_TIMESTAMP,
    OID_TST_INFO,
    TSTInfo,
    parse_tst_info,
)

__all__ = [
    "OID_CONTENT_TIMESTAMP",
    "OID_KP_TIME_STAMPING",
    "OID_SIGNATURE_TIMESTAMP",
    "OID_TST_INFO",
    "TSTInfo",
    "parse_tst_info",
]
