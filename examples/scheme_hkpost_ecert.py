"""Hongkong Post e-Cert (Personal): verify a signature and learn who signed.

The sandbox plays Hongkong Post. The signer's e-Cert holds the HKID only in protected
form, so the example matches it against a given HKID instead of reading it.
Run: python examples/scheme_hkpost_ecert.py
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import bayident
from bayident.schemes import identity_matches_hkid
from bayident.testing import MockClock, MockHongkongPostCA, sandbox_registry

clock = MockClock(datetime(2026, 3, 1, tzinfo=UTC))
hkpost = MockHongkongPostCA(clock=clock)
signer = hkpost.issue_personal("CHAN Tai Man", hkid="A123456(3)", email="taiman@example.hk")
form = b"Application for a business licence"
signature = signer.sign_detached_cms(form)

# The sandbox's adapter knows how the sandbox protects the HKID; Hongkong Post's own
# method is not public, so the default adapter cannot match it (see docs/schemes/hkpost.md).
registry = sandbox_registry(hkpost.adapter())
result = bayident.verify(
    signature, content=form, trust=hkpost.trust_store(), at=clock.now(), schemes=registry
)
print(result.indication.value, "-", result.message)
identity = result.identity
if not result.passed or identity is None:
    sys.exit(result.explain())
print(f"scheme {identity.scheme} ({identity.jurisdiction}), {identity.name_en}")
print(f"assurance {identity.assurance.level.value}: {identity.assurance.basis}")
for ident in identity.identifiers:
    shown = "(protected)" if ident.protected else ident.value
    print(f"  {ident.kind}: {shown}")
yes = identity_matches_hkid(result, "A123456(3)", registry=registry)
no = identity_matches_hkid(result, "G123456(A)", registry=registry)
print("holder of A123456(3)?", yes.outcome, "| holder of G123456(A)?", no.outcome)
if not yes.matched or no.matched:
    sys.exit("unexpected HKID match")
