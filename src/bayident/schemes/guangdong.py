"""The Guangdong provincial unified identity authentication platform (广东省统一身份认证平台).

No token format for third parties is public, so the adapter is a configurable
:class:`~bayident.schemes.TokenProfile`: set the issuer, the JWKS URL (or document) and
the audience your registration gives you, and, if they differ from the OpenID Connect
names assumed here, the claims. The platform's trust levels are public and map to the
common scale as ``docs/schemes/guangdong.md`` explains:

===== ======================================================== ===========
Level Meaning                                                  Common
===== ======================================================== ===========
L2    self-declared                                            low
L3    name and ID number checked against government databases low
L4    real person, real name and real document matched         substantial
L5    digital certificate or in-person check                   high
===== ======================================================== ===========
"""

from __future__ import annotations

from typing import Any

import httpx

from .._identity import AssuranceLevel
from ._tokens import TokenAdapter, TokenProfile

__all__ = ["GUANGDONG_LEVELS", "GuangdongIdentityAdapter", "guangdong_profile"]

#: The platform's trust levels on the common scale.
GUANGDONG_LEVELS: dict[str, AssuranceLevel] = {
    "L2": AssuranceLevel.LOW,
    "L3": AssuranceLevel.LOW,
    "L4": AssuranceLevel.SUBSTANTIAL,
    "L5": AssuranceLevel.HIGH,
}


def guangdong_profile(**settings: Any) -> TokenProfile:
    """The Guangdong unified identity profile; pass ``issuer``, ``jwks_url``, ``audience``…"""
    base: dict[str, Any] = {
        "adapter": "gd-uia",
        "scheme": "gd-uia",
        "jurisdiction": "CN-GD",
        "display_name": "Guangdong unified identity",
        "subject_kind": "GD_UIA_SUB",
        "assurance_claim": "acr",
        "assurance_levels": GUANGDONG_LEVELS,
        "assurance_basis": "L2 self-declared, L3 database check of name and number, L4 real "
        "person and document matched, L5 certificate or in-person check; L3 is 'low' because "
        "knowing a name and number is enough to pass it",
        "sources": (
            "Guangdong provincial unified identity authentication platform trust levels L2-L5",
        ),
    }
    base.update(settings)
    return TokenProfile(**base)


class GuangdongIdentityAdapter(TokenAdapter):
    """Tokens of the Guangdong unified identity platform to :class:`~bayident.Identity`.

    Unconfigured (the default registration), it reports that the issuer and keys must be
    set; configure it with ``GuangdongIdentityAdapter(guangdong_profile(issuer=...,
    jwks_url=..., audience=...))``.
    """

    def __init__(
        self,
        profile: TokenProfile | None = None,
        *,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(
            profile or guangdong_profile(),
            http_client=http_client,
            async_http_client=async_http_client,
        )
