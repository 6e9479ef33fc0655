"""The scheme doors: :func:`verify_as` and :func:`averify_as`.

They sit beside the verifier rather than in ``bayident.schemes``: they start
verifications, so they import the :class:`~bayident.Verifier`, which the scheme adapters
below it must not (docs/architecture.md).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ._exceptions import InvalidArgument
from ._input import Content, Evidence
from ._policy import Policy
from ._result import VerificationResult
from ._trust import CertificateSource
from ._verifier import TrustArg, Verifier

if TYPE_CHECKING:
    from .schemes import SchemeRegistry

__all__ = ["averify_as", "verify_as"]


def _verifier(
    trust: TrustArg, policy: Policy | None, verifier: Verifier | None, schemes: Any
) -> Verifier:
    if verifier is not None:
        if trust is not None:
            raise InvalidArgument("pass trust to the Verifier or here, not both")
        if schemes is not None:
            raise InvalidArgument("pass schemes to the Verifier or here, not both")
        return verifier
    return Verifier(trust=trust, policy=policy, schemes=schemes)


def verify_as(
    scheme: str,
    evidence: Evidence,
    *,
    content: Content | None = None,
    trust: TrustArg = None,
    at: _dt.datetime | None = None,
    policy: Policy | None = None,
    extra_certs: Iterable[CertificateSource] | None = None,
    crls: Iterable[bytes] | None = None,
    purpose: str | None = None,
    require_assurance: str | None = None,
    ocsp_responses: Iterable[bytes] | None = None,
    content_digest: str | tuple[str, bytes] | None = None,
    verifier: Verifier | None = None,
    schemes: SchemeRegistry | None = None,
) -> VerificationResult:
    """:func:`bayident.verify`, and the evidence must belong to ``scheme``.

    A signature whose certificate another scheme's adapter claims (an eSignTrust
    certificate presented as a Hongkong Post e-Cert), or that no adapter recognises,
    gives INDETERMINATE / CHAIN_CONSTRAINTS_FAILURE with a ``scheme`` check saying which
    scheme it is; so does an unknown ``scheme``. It runs through ``verifier`` (or a new
    one with ``trust``, ``policy`` and ``schemes``) derived with ``expected_scheme``.
    """
    if not isinstance(scheme, str) or not scheme:
        raise InvalidArgument("scheme must be a non-empty str")
    # The expected scheme is the verifier's setting; the derived verifier shares the
    # caller's trust, clients, clock and caches.
    v = _verifier(trust, policy, verifier, schemes).derive(expected_scheme=scheme)
    return v.verify(
        evidence,
        content=content,
        at=at,
        policy=policy if verifier is not None else None,
        extra_certs=extra_certs,
        crls=crls,
        purpose=purpose,
        require_assurance=require_assurance,
        ocsp_responses=ocsp_responses,
        content_digest=content_digest,
    )


async def averify_as(
    scheme: str,
    evidence: Evidence,
    *,
    content: Content | None = None,
    trust: TrustArg = None,
    at: _dt.datetime | None = None,
    policy: Policy | None = None,
    extra_certs: Iterable[CertificateSource] | None = None,
    crls: Iterable[bytes] | None = None,
    purpose: str | None = None,
    require_assurance: str | None = None,
    ocsp_responses: Iterable[bytes] | None = None,
    content_digest: str | tuple[str, bytes] | None = None,
    verifier: Verifier | None = None,
    schemes: SchemeRegistry | None = None,
) -> VerificationResult:
    """Asynchronous :func:`verify_as`."""
    if not isinstance(scheme, str) or not scheme:
        raise InvalidArgument("scheme must be a non-empty str")
    v = _verifier(trust, policy, verifier, schemes).derive(expected_scheme=scheme)
    return await v.averify(
        evidence,
        content=content,
        at=at,
        policy=policy if verifier is not None else None,
        extra_certs=extra_certs,
        crls=crls,
        purpose=purpose,
        require_assurance=require_assurance,
        ocsp_responses=ocsp_responses,
        content_digest=content_digest,
    )
