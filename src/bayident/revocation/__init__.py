"""Revocation checking: OCSP (RFC 6960) and CRLs (RFC 5280), fetched with httpx or supplied.

:class:`bayident.Verifier` checks revocation as ``Policy.revocation_mode`` says
(``hard-fail`` by default), fetching from the addresses certificates name with
its ``http_client`` (``verify``) or ``async_http_client`` (``averify``), and
using revocation data embedded in the evidence or passed as ``crls=`` /
``ocsp_responses=`` first. The processing of the data itself (matching,
freshness, signatures, responder and CRL issuer authorisation, CRL scope, delta
CRLs) is bayident's own (``_ocsp``, ``_crl``, ``_pathcheck``).

:class:`RevocationService` holds the HTTP clients and the caches; each verifier
has one, in ``Verifier.revocation``. See ``docs/revocation.md``.
"""

from __future__ import annotations

from ._service import CRLAnswer, OCSPAnswer, RevocationService

__all__ = ["CRLAnswer", "OCSPAnswer", "RevocationService"]
