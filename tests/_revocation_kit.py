"""A sandbox PKI whose certificates name mock revocation services, for the revocation tests.

Root (RSA) publishes a CRL the issuing CA's certificate points to; the issuing CA (EC)
runs an OCSP responder its signers' certificates point to; a TSA certified by the root
time-stamps. Every service is answered in process (``httpx.MockTransport``) unless a
test mounts them on a :class:`~bayident.testing.RevocationServer` first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import httpx

import bayident
from bayident import Check, CheckOutcome, Policy, VerificationResult
from bayident.testing import (
    MockCA,
    MockClock,
    MockCRLPublisher,
    MockOCSPResponder,
    MockSigner,
    MockTSA,
    RevocationServer,
    mock_revocation_transport,
)

__all__ = ["CONTENT", "FAST", "START", "RevPKI", "make_pki", "revocation_checks"]

START = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
CONTENT = b"Cross-boundary e-service application, revocation sandbox.\n"
# Short timeouts and no retries keep failure cases fast.
FAST = Policy(revocation_timeout=dt.timedelta(seconds=0.5), revocation_retries=0)


@dataclass
class RevPKI:
    clock: MockClock
    root: MockCA
    crl: MockCRLPublisher
    intermediate: MockCA
    ocsp: MockOCSPResponder
    signer: MockSigner
    tsa: MockTSA
    clients: list[Any] = field(default_factory=list)

    @property
    def services(self) -> tuple[Any, ...]:
        return (self.ocsp, self.crl, self.tsa)

    def verifier(self, policy: Policy | None = FAST, **kw: Any) -> bayident.Verifier:
        """A verifier trusting the root, reaching the services in process, on this clock."""
        kw.setdefault(
            "http_client", httpx.Client(transport=mock_revocation_transport(*self.services))
        )
        kw.setdefault(
            "async_http_client",
            httpx.AsyncClient(
                transport=mock_revocation_transport(*self.services, asynchronous=True)
            ),
        )
        kw.setdefault("clock", self.clock)
        return bayident.Verifier(trust=[self.root.cert_pem], policy=policy, **kw)

    def new_signer(self, name: str, **kw: Any) -> MockSigner:
        kw.setdefault("ocsp_url", self.ocsp.url)
        return self.intermediate.issue_signer(name, **kw)


def make_pki(server: RevocationServer | None = None, *, delegated: bool = False) -> RevPKI:
    clock = MockClock(START)
    root = MockCA("Revocation Sandbox Root CA", clock=clock)
    crl = MockCRLPublisher(root)
    tsa = MockTSA(root)
    if server is not None:
        server.mount(crl, tsa)
    intermediate = root.create_child_ca(
        "Revocation Sandbox Issuing CA", key_type="ec", path_length=0, crl_url=crl.url
    )
    ocsp = MockOCSPResponder(intermediate, delegated=delegated)
    if server is not None:
        server.mount(ocsp)
    signer = intermediate.issue_signer("CHAN Tai Man (revocation sandbox)", ocsp_url=ocsp.url)
    return RevPKI(clock, root, crl, intermediate, ocsp, signer, tsa)


def revocation_checks(result: VerificationResult) -> list[Check]:
    return [c for c in result.checks if c.name == "revocation"]


def outcomes(result: VerificationResult) -> list[CheckOutcome]:
    return [c.outcome for c in revocation_checks(result)]
