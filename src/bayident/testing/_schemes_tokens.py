"""Mock token issuers of the Guangdong unified identity platform and Macao One Account.

Each wraps a :class:`~bayident.testing.MockJWTIssuer` and knows the claims the matching
adapter profile reads, so a test needs a few lines::

    gd = MockGuangdongIdP(clock=clock)
    token = gd.issue("gd-user-1", name="李小明", id_number="11010519491231002X", level="L4")
    evidence = scheme_evidence("gd-uia", "id-token", {"token": token})
    result = bayident.verify(evidence, schemes=sandbox_registry(gd.adapter()))

The sandbox claim names beyond the OpenID Connect ones (``id_number``, ``bir``) are the
sandbox's: configure the real names from your registration in the profile.

:class:`MockGuangdongIdP` also plays the OAuth 2.0 authorisation-code flow public
integrations of the platform use: :meth:`~MockGuangdongIdP.authorise` stands for the
user approving, the token endpoint exchanges the code for an opaque access token and the
userinfo endpoint answers for it (``userinfo`` evidence). Its URLs are the sandbox's own
under the mock issuer, not the platform's.
"""

from __future__ import annotations

import json
import secrets
import threading
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
    """A mock Guangdong unified identity platform: ID tokens, and an OAuth 2.0 code flow
    with opaque access tokens and a userinfo endpoint."""

    default_issuer = "https://gd-uia.sandbox.test"

    def __init__(self, issuer: str | None = None, **kwargs: Any) -> None:
        super().__init__(issuer, **kwargs)
        self._codes: dict[str, dict[str, Any]] = {}
        self._access: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        #: Userinfo requests answered (for tests that check the fetch went through).
        self.userinfo_requests = 0

    @property
    def userinfo_endpoint(self) -> str:
        """The sandbox's userinfo URL."""
        return f"{self.issuer}/sandbox/userinfo"

    @property
    def token_endpoint(self) -> str:
        """The sandbox's token URL (authorisation code for access token)."""
        return f"{self.issuer}/sandbox/token"

    def _userinfo(
        self,
        subject: str,
        *,
        name: str | None,
        id_number: str | None,
        permit_number: str | None,
        level: str | None,
        claims: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"sub": subject}
        for key, value in (
            ("name", name),
            ("id_number", id_number),
            ("permit_number", permit_number),
            ("acr", level),
        ):
            if value is not None:
                body[key] = value
        for key, value in (claims or {}).items():
            if value is None:
                body.pop(key, None)
            else:
                body[key] = value
        return body

    def authorise(
        self,
        subject: str,
        *,
        name: str | None = None,
        id_number: str | None = None,
        permit_number: str | None = None,
        level: str | None = "L4",
        claims: Mapping[str, Any] | None = None,
    ) -> str:
        """The user approves sign-in: returns the authorisation code for the service."""
        code = secrets.token_urlsafe(16)
        info = self._userinfo(
            subject,
            name=name,
            id_number=id_number,
            permit_number=permit_number,
            level=level,
            claims=claims,
        )
        with self._lock:
            self._codes[code] = info
        return code

    def issue_access_token(self, subject: str, **kwargs: Any) -> str:
        """An opaque access token for ``subject`` (the code flow in one step)."""
        return self.exchange(self.authorise(subject, **kwargs))

    def exchange(self, code: str) -> str:
        """Exchange an authorisation code for an opaque access token, as the service does.

        :raises LookupError: unknown or used code.
        """
        with self._lock:
            info = self._codes.pop(code, None)
            if info is None:
                raise LookupError("unknown or used authorisation code")
            token = secrets.token_urlsafe(24)
            self._access[token] = info
        return token

    def revoke(self, access_token: str) -> None:
        """Forget an access token (the userinfo endpoint then answers 401)."""
        with self._lock:
            self._access.pop(access_token, None)

    def _handle(self, request: httpx.Request, jwks: httpx.MockTransport) -> httpx.Response:
        url = str(request.url).split("?", 1)[0]
        if url == self.token_endpoint and request.method == "POST":
            form = dict(httpx.QueryParams(request.content.decode("ascii", "replace")))
            try:
                token = self.exchange(form.get("code", ""))
            except LookupError:
                return httpx.Response(400, json={"error": "invalid_grant"})
            return httpx.Response(200, json={"access_token": token, "token_type": "Bearer"})
        if url == self.userinfo_endpoint:
            auth = request.headers.get("authorization", "")
            token = auth[7:] if auth.startswith("Bearer ") else ""
            with self._lock:
                self.userinfo_requests += 1
                info = self._access.get(token)
            if info is None:
                return httpx.Response(401, json={"error": "invalid_token"})
            return httpx.Response(
                200,
                content=json.dumps(info, ensure_ascii=False).encode("utf-8"),
                headers={"content-type": "application/json"},
            )
        return jwks.handle_request(request)

    def mock_transport(self) -> httpx.MockTransport:
        """Serves the JWKS, the token endpoint and the userinfo endpoint in process."""
        jwks = self.jwt.mock_transport()
        return httpx.MockTransport(lambda request: self._handle(request, jwks))

    def profile(self, **changes: Any) -> TokenProfile:
        """The adapter profile for this issuer (JWKS by URL, served by :meth:`mock_transport`)."""
        values: dict[str, Any] = {
            "issuer": self.issuer,
            "jwks_url": self.jwt.jwks_url,
            "userinfo_endpoint": self.userinfo_endpoint,
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
