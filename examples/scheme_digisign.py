"""Digi-Sign: a Hong Kong recognised CA's certificate, recognised by name or CPS arc.

Run: python examples/scheme_digisign.py
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import bayident
from bayident.schemes import verify_as
from bayident.testing import MockClock, MockDigiSignCA

clock = MockClock(datetime(2026, 3, 1, tzinfo=UTC))
digisign = MockDigiSignCA(clock=clock)
signer = digisign.issue("LEE Ka Yan", organisation="Harbour Logistics Ltd")
doc = b"Bill of lading 2026-0042"
cms = signer.sign_detached_cms(doc)

result = bayident.verify(cms, content=doc, trust=digisign.trust_store(), at=clock.now())
print(result.indication.value, "-", result.message)
if result.identity is None or result.identity.scheme != "digisign":
    sys.exit(result.explain())
print(
    f"{result.identity.name_en} of {result.identity.organisation}: "
    f"assurance {result.identity.assurance.level.value} ({result.identity.assurance.basis})"
)

# Presented as a Hongkong Post e-Cert, the same signature does not pass.
wrong = verify_as("hkpost-ecert", cms, content=doc, trust=digisign.trust_store(), at=clock.now())
print(wrong.indication.value, "-", wrong.message)
if wrong.passed:
    sys.exit("a Digi-Sign certificate passed as a Hongkong Post e-Cert")
