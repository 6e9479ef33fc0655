"""Whether a verified identity is the holder of an HKID number."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from .._exceptions import InvalidArgument
from .._identity import Identity, IdentityIdentifier
from .._result import VerificationResult
from ..identifiers import IdentifierKind, hkid_hash
from ..identifiers import validate as _validate_identifier
from ._base import SchemeRegistry
from ._builtin import default_registry

__all__ = ["HKIDMatch", "identity_matches_hkid"]


class HKIDMatch(BaseModel):
    """Whether an identity is the holder of an HKID number.

    ``outcome`` is ``'match'``, ``'mismatch'``, ``'undecidable'`` (the identity carries
    the HKID only in a protected form whose method is not configured, or no HKID at all)
    or ``'invalid-hkid'`` (the number given is malformed or its check digit is wrong).
    Only ``matched`` (``outcome == 'match'``) should be relied on.
    """

    model_config = ConfigDict(frozen=True)

    outcome: Literal["match", "mismatch", "undecidable", "invalid-hkid"]
    reason: str
    identifier_kind: str | None = None

    @property
    def matched(self) -> bool:
        """True only for a match."""
        return self.outcome == "match"


def identity_matches_hkid(
    result_or_identity: VerificationResult | Identity,
    hkid: str,
    *,
    registry: SchemeRegistry | None = None,
) -> HKIDMatch:
    """Whether the verified identity is the holder of ``hkid``.

    Compared in turn: an HKID the identity carries in clear (an iAM Smart profile); an
    ``HKIC_HASH`` (iAM Smart's public Base64(SHA-256) of the HKID without check digit);
    a protected HKID (a Hongkong Post e-Cert (Personal)) through the adapter's configured
    :class:`~bayident.schemes.hkpost.ProtectedHKID` method, if any. The e-Cert's protected
    HKID is never decoded.

    ``registry`` holds the adapter whose protection method applies: the registry of the
    verifier that made the result (``verifier.schemes``); default the built-in one.
    """
    if isinstance(result_or_identity, VerificationResult):
        identity = result_or_identity.identity
        if identity is None or not result_or_identity.passed:
            return HKIDMatch(
                outcome="undecidable",
                reason="the result carries no verified identity"
                if identity is None
                else "the result did not pass, so its identity is not relied on",
            )
    elif isinstance(result_or_identity, Identity):
        identity = result_or_identity
    else:
        raise InvalidArgument(
            f"expected a VerificationResult or an Identity, not {type(result_or_identity).__name__}"
        )
    if not isinstance(hkid, str):
        raise InvalidArgument(f"hkid must be a str, not {type(hkid).__name__}")
    if registry is not None and not isinstance(registry, SchemeRegistry):
        raise InvalidArgument(f"registry must be a SchemeRegistry, not {type(registry).__name__}")
    reg = registry if registry is not None else default_registry()
    check = _validate_identifier(IdentifierKind.HKID, hkid)
    if not check.valid or check.normalized is None:
        return HKIDMatch(
            outcome="invalid-hkid", reason=f"the HKID given is not valid: {check.reason}"
        )
    wanted = check.normalized
    undecided: list[str] = []
    for ident in identity.identifiers:
        if ident.kind == "HKID" and not ident.protected:
            same = _validate_identifier(IdentifierKind.HKID, ident.value[:64]).normalized == wanted
            return HKIDMatch(
                outcome="match" if same else "mismatch",
                reason=f"the identity's HKID ({ident.verified_by or 'identifier'}) "
                + ("is" if same else "is not")
                + " the one given",
                identifier_kind="HKID",
            )
        if ident.kind == "HKIC_HASH":
            same = ident.value == hkid_hash(wanted)
            return HKIDMatch(
                outcome="match" if same else "mismatch",
                reason="HKICHash = Base64(SHA-256(HKID without check digit)) "
                + ("matches" if same else "does not match"),
                identifier_kind="HKIC_HASH",
            )
        if ident.kind == "HKID" and ident.protected:
            verdict = _protected_match(reg, identity, ident, wanted)
            if verdict is None:
                undecided.append(
                    f"the HKID is held in protected form ({ident.verified_by}) and no method "
                    f"to match it is configured for adapter {identity.adapter!r}; Hongkong "
                    "Post does not publish the e-Cert's protection method"
                )
                continue
            return HKIDMatch(
                outcome="match" if verdict else "mismatch",
                reason="the protected HKID " + ("matches" if verdict else "does not match"),
                identifier_kind="HKID",
            )
    return HKIDMatch(
        outcome="undecidable",
        reason="; ".join(undecided) or "the identity carries no HKID in any form",
    )


def _protected_match(
    registry: SchemeRegistry, identity: Identity, ident: IdentityIdentifier, hkid: str
) -> bool | None:
    adapter = registry.get(identity.adapter)
    matcher = getattr(adapter, "match_protected_hkid", None)
    if matcher is None:
        return None
    verdict = matcher(ident, hkid)
    return None if verdict is None else bool(verdict)
