"""An identity token inside a verification is checked through the caller's verifier.

The token carries its signer's certificate chain (``x5c``); the chain reaches the
caller's trust only, and the signer's certificate names an OCSP responder answered by
the caller's HTTP client alone. The caller's clock is the only time given.
"""

from __future__ import annotations

import asyncio

import httpx

from _revocation_kit import START, make_pki
from bayident.schemes import GuangdongIdentityAdapter, scheme_evidence
from bayident.schemes.guangdong import guangdong_profile
from bayident.testing import MockJWTIssuer, mock_revocation_transport, sandbox_registry

AUDIENCE = "bay-area-e-service"


def _recording(inner: httpx.MockTransport, seen: list[str]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return inner.handle_request(request)

    return httpx.MockTransport(handle)


def test_a_token_is_checked_with_the_callers_trust_client_clock_and_caches() -> None:
    pki = make_pki()
    issuer = MockJWTIssuer.from_signer(pki.signer, "https://gd-uia.sandbox.test", clock=pki.clock)
    token = issuer.issue({"sub": "gd-1", "acr": "L4"}, audience=AUDIENCE, x5c=True)
    adapter = GuangdongIdentityAdapter(
        guangdong_profile(issuer=issuer.issuer, audience=AUDIENCE, jwks=issuer.jwks)
    )
    seen: list[str] = []
    client = httpx.Client(transport=_recording(mock_revocation_transport(*pki.services), seen))
    verifier = pki.verifier(http_client=client, schemes=sandbox_registry(adapter))
    evidence = scheme_evidence("gd-uia", "id-token", {"token": token})

    result = verifier.verify(evidence)  # no time given: the caller's clock decides

    assert result.passed, result.explain()
    assert result.validation_time == START
    assert result.identity is not None
    assert result.identity.adapter == "gd-uia"
    # The x5c chain was validated against the caller's trust, and its revocation status
    # fetched through the caller's client into the caller's revocation cache.
    assert result.signers[0].certificate is not None
    assert result.signers[0].certificate.subject == pki.signer.certificate.subject.rfc4514_string()
    assert any(url.startswith(pki.ocsp.url) for url in seen), seen
    assert verifier.revocation.stats()["requests"] >= 1
    # The same verification again is answered from the caller's cache: nothing is sent.
    sent = len(seen)
    assert verifier.verify(evidence).passed
    assert len(seen) == sent


def test_a_token_checked_asynchronously_uses_the_callers_clients() -> None:
    pki = make_pki()
    issuer = MockJWTIssuer.from_signer(pki.signer, "https://gd-uia.sandbox.test", clock=pki.clock)
    token = issuer.issue({"sub": "gd-2", "acr": "L5"}, audience=AUDIENCE, x5c=True)
    adapter = GuangdongIdentityAdapter(
        guangdong_profile(issuer=issuer.issuer, audience=AUDIENCE, jwks=issuer.jwks)
    )
    seen: list[str] = []
    inner = mock_revocation_transport(*pki.services, asynchronous=True)

    async def handle(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return await inner.handle_async_request(request)

    verifier = pki.verifier(
        # The x5c chain's path is validated off the event loop, with the sync client.
        http_client=httpx.Client(
            transport=_recording(mock_revocation_transport(*pki.services), seen)
        ),
        async_http_client=httpx.AsyncClient(transport=httpx.MockTransport(handle)),
        schemes=sandbox_registry(adapter),
    )
    result = asyncio.run(verifier.averify(scheme_evidence("gd-uia", "id-token", {"token": token})))
    assert result.passed, result.explain()
    assert result.validation_time == START
    assert any(url.startswith(pki.ocsp.url) for url in seen), seen
