"""A permit office's intake: accept an application only when a recognised person signed it.

The service keeps one :class:`bayident.Verifier` (trust, policy and caches) and turns each
verification result into a decision its case officers can act on.
"""

from __future__ import annotations

from dataclasses import dataclass

import bayident

__all__ = ["Decision", "PermitOffice"]


@dataclass(frozen=True)
class Decision:
    """What the office does with one application."""

    accepted: bool
    reason: str
    applicant: str | None = None
    jurisdiction: str | None = None


class PermitOffice:
    """Accepts applications signed by someone the office's trust store vouches for."""

    def __init__(self, verifier: bayident.Verifier) -> None:
        self.verifier = verifier

    def submit(self, application: bytes, signature: bytes) -> Decision:
        """Verify ``signature`` (detached CMS or JWS) over ``application`` and decide."""
        result = self.verifier.verify(signature, content=application)
        if not result.passed:
            # The first failing check names what is wrong and where trust was sought.
            return Decision(False, result.message)
        identity = result.identity
        if identity is None:
            return Decision(False, "the signer is trusted but not a known identity scheme")
        return Decision(
            True,
            "signed by a recognised person",
            applicant=identity.name_en or identity.name_zh,
            jurisdiction=identity.jurisdiction,
        )
