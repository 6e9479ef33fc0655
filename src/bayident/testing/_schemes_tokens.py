"""Mock token issuers of the Guangdong unified identity platform and Macao One Account.

Each wraps a :class:`~bayident.testing.MockJWTIssuer` and knows the claims the matching
adapter profile reads, so a test needs a few lines::

    gd = MockGuangdongIdP(clock=clock)
    token = gd.issue("gd-user-1", name="李小明", id_number="11010519491231002X", level="L4")
    with use_registry(sandbox_registry(gd.adapter())):
        result = bayident.verify(scheme_evidence("gd-uia", "id-token", {"token": token}))

The sandbox claim names beyond the OpenID Connect ones (``id_number``, ``bir``) are the
sandbox's: configure the real names from your registration in the profile.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx

from bayident.schemes import GuangdongIdentityAdapter, MacaoOneAccountAdapter, TokenProfile
from bayident.schemes.guangdong import guangdong_profile
from bayident.schemes.macao import macao_one_account_profile
from bayident.testing._clock import Clock
from bayident.testing._jwt import IssuerKeyType, JWKSServer, MockJWTIssuer

__all__ = ["MockGuangdongIdP", "MockMacaoOneAccount"]


class _MockIdP:
    id_claim = "id_number"
    default_issuer = ""

    def __init__(
        self,
        issuer: str | None = None,
        *,
        audience: str = "sandbox-service",
        clock: Clock | None = None,
        key_type: IssuerKeyType = "rsa",
    ) -> None:
        self.issuer = issuer or self.default_issuer
        self.audience = audience
        #: The underlying JWT issuer (keys, JWKS, rotation).
        self.jwt = MockJWTIssuer(self.issuer, key_type, clock=clock)

    def mock_transport(self) -> httpx.MockTransport:
        """Serves the JWKS in process."""
        return self.jwt.mock_transport()

    def serve(self) -> JWKSServer:
        """Serves the JWKS on 127.0.0.1 (a context manager with ``url``)."""
        return self.jwt.serve()

    def http_client(self) -> httpx.Client:
        """An httpx client that reaches this issuer's JWKS in process."""
        return httpx.Client(transport=self.mock_transport())

    def _token(
        self,
        subject: str,
        claims: Mapping[str, Any],
        audience: str | None,
        lifetime: timedelta,
        headers: Mapping[str, Any] | None,
    ) -> str:
        return self.jwt.issue(
            dict(claims),
            subject=subject,
            audience=audience or self.audience,
            lifetime=lifetime,
            headers=headers,
        )


class MockGuangdongIdP(_MockIdP):
    """A mock Guangdong unified identity platform issuing ID tokens with an ``acr`` level."""

    default_issuer = "https://gd-uia.sandbox.test"

    def profile(self, **changes: Any) -> TokenProfile:
        """The adapter profile for this issuer (JWKS by URL, served by :meth:`mock_transport`)."""
        values: dict[str, Any] = {
            "issuer": self.issuer,
            "jwks_url": self.jwt.jwks_url,
            "audience": self.audience,
            "identifier_claims": (
                ("id_number", "CN_RIC"),
                ("permit_number", "HK_MO_TRAVEL_PERMIT"),
            ),
        }
        values.update(changes)
        return guangdong_profile(**values)

    def adapter(
        self, *, http_client: httpx.Client | None = None, **changes: Any
    ) -> GuangdongIdentityAdapter:
        """A configured adapter whose JWKS fetches reach this mock in process."""
        return GuangdongIdentityAdapter(
            self.profile(**changes), http_client=http_client or self.http_client()
        )

    def issue(
        self,
        subject: str,
        *,
        name: str | None = None,
        id_number: str | None = None,
        permit_number: str | None = None,
        level: str | None = "L4",
        birthdate: str | None = None,
        audience: str | None = None,
        lifetime: timedelta = timedelta(minutes=5),
        claims: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> str:
        """An ID token; ``claims`` adds or (with None) removes claims."""
        body: dict[str, Any] = {}
        for key, value in (
            ("name", name),
            ("id_number", id_number),
            ("permit_number", permit_number),
            ("acr", level),
            ("birthdate", birthdate),
        ):
            if value is not None:
                body[key] = value
        body.update(claims or {})
        return self._token(subject, body, audience, lifetime, headers)


class MockMacaoOneAccount(_MockIdP):
    """A mock Macao One Account issuing ID tokens (no level claim by default)."""

    default_issuer = "https://one-account.sandbox.test"

    def profile(self, **changes: Any) -> TokenProfile:
        """The adapter profile for this issuer."""
        values: dict[str, Any] = {
            "issuer": self.issuer,
            "jwks_url": self.jwt.jwks_url,
            "audience": self.audience,
            "identifier_claims": (("bir", "MO_BIR"),),
        }
        values.update(changes)
        return macao_one_account_profile(**values)

    def adapter(
        self, *, http_client: httpx.Client | None = None, **changes: Any
    ) -> MacaoOneAccountAdapter:
        """A configured adapter whose JWKS fetches reach this mock in process."""
        return MacaoOneAccountAdapter(
            self.profile(**changes), http_client=http_client or self.http_client()
        )

    def issue(
        self,
        subject: str,
        *,
        name: str | None = None,
        bir: str | None = None,
        birthdate: str | None = None,
        audience: str | None = None,
        lifetime: timedelta = timedelta(minutes=5),
        claims: Mapping[str, Any] | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> str:
        """An ID token; ``claims`` adds or (with None) removes claims."""
        body: dict[str, Any] = {}
        for key, value in (("name", name), ("bir", bir), ("birthdate", birthdate)):
            if value is not None:
                body[key] = value
        body.update(claims or {})
        return self._token(subject, body, audience, lifetime, headers)
