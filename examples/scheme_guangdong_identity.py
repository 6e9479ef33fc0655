"""The Guangdong unified identity platform: an ID token with trust level L4, then userinfo
for an opaque OAuth2 access token.

No public token format exists; the adapter is a profile (issuer, JWKS URL, audience,
claims, L2-L5 mapping). The mock issuer serves its JWKS in process.
Run: python examples/scheme_guangdong_identity.py
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import bayident
from bayident.schemes import GuangdongIdentityAdapter, Recognizer, scheme_evidence
from bayident.testing import MockClock, MockGuangdongIdP, sandbox_registry

clock = MockClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
idp = MockGuangdongIdP(clock=clock)
token = idp.issue("gd-7f3a", name="李小明", id_number="11010519491231002X", level="L4")

# A Guangdong service: its own platform's identities are domestic.
registry = sandbox_registry(idp.adapter(), recognizer=Recognizer(home_jurisdiction="CN-GD"))
registry = registry
outcomes = {}
for level in ("substantial", "high"):
    result = bayident.verify(
        scheme_evidence("gd-uia", "id-token", {"token": token}),
        at=clock.now(),
        purpose="authenticate",
        require_assurance=level,
        schemes=registry,
    )
    outcomes[level] = result.passed
    print(f"require {level}: {result.indication.value} - {result.message}")
if outcomes != {"substantial": True, "high": False}:
    sys.exit(f"unexpected outcomes {outcomes}")
identity = result.identity
if identity is None or identity.assurance.scheme_level != "L4":
    sys.exit(result.explain())
print(
    f"{identity.name_zh}: L4 -> {identity.assurance.level.value}; "
    f"CN_RIC {identity.identifier('CN_RIC').value if identity.identifier('CN_RIC') else '-'}"
)

# The flow public integrations use: OAuth 2.0 authorisation code -> opaque access token ->
# userinfo, fetched by bayident through the verifier's httpx client.
code = idp.authorise("gd-7f3a", name="李小明", id_number="11010519491231002X", level="L4")
with idp.http_client() as client:
    access_token = client.post(idp.token_endpoint, data={"code": code}).json()["access_token"]
    registry = sandbox_registry(GuangdongIdentityAdapter(idp.profile()))
    info = bayident.Verifier(http_client=client, schemes=registry).verify(
        scheme_evidence("gd-uia", "userinfo", {"accessToken": access_token}),
        at=clock.now(),
    )
print(f"userinfo: {info.indication.value} - {info.message}")
if not info.passed or info.identity is None or info.identity.identifier("CN_RIC") is None:
    sys.exit(info.explain())
