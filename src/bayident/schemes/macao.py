"""Macao One Account (澳门公共服务一户通), run by the Public Administration and Civil
Service Bureau (SAFP) since 2019 (Administrative Regulation 35/2018).

No public third-party authentication API or token format was found, so the adapter is a
configurable :class:`~bayident.schemes.TokenProfile` with the OpenID Connect claim names
assumed and no assurance scale: tokens get ``default_assurance`` ('low') unless you map
the platform's level claim with ``assurance_levels``. Set the issuer, keys and audience
your registration gives you. See ``docs/schemes/macao-one-account.md``.
"""

from __future__ import annotations

from typing import Any

import httpx

from .._identity import AssuranceLevel
from ._tokens import TokenAdapter, TokenProfile

__all__ = ["MacaoOneAccountAdapter", "macao_one_account_profile"]


def macao_one_account_profile(**settings: Any) -> TokenProfile:
    """The Macao One Account profile; pass ``issuer``, ``jwks_url``, ``audience``…"""
    base: dict[str, Any] = {
        "adapter": "mo-one-account",
        "scheme": "mo-one-account",
        "jurisdiction": "MO",
        "display_name": "Macao One Account",
        "subject_kind": "MO_ONE_ACCOUNT_SUB",
        "assurance_claim": "acr",
        "assurance_levels": {},
        "default_assurance": AssuranceLevel.LOW,
        "assurance_basis": "no public assurance scale: map the level claim with "
        "assurance_levels to rise above 'low'",
        "sources": ("Macau Administrative Regulation 35/2018 (Macao One Account)",),
    }
    base.update(settings)
    return TokenProfile(**base)


class MacaoOneAccountAdapter(TokenAdapter):
    """Macao One Account tokens to :class:`~bayident.Identity` (configure before use)."""

    def __init__(
        self,
        profile: TokenProfile | None = None,
        *,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
    ) -> None:
        super().__init__(
            profile or macao_one_account_profile(),
            http_client=http_client,
            async_http_client=async_http_client,
        )
