"""eSignTrust (Macau): qualified and normalised certificates on the common assurance scale.

Run: python examples/scheme_esigntrust.py
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import bayident
from bayident.testing import MockClock, MockESignTrustCA

clock = MockClock(datetime(2026, 3, 1, tzinfo=UTC))
esigntrust = MockESignTrustCA(clock=clock)
doc = b"Invoice MO-2026-17"
for kind in ("qualified", "normalised"):
    signer = esigntrust.issue("Macau Widgets Lda", kind=kind, organisation="Macau Widgets Lda")
    result = bayident.verify(
        signer.sign_detached_cms(doc), content=doc, trust=esigntrust.trust_store(), at=clock.now()
    )
    identity = result.identity
    if not result.passed or identity is None:
        sys.exit(result.explain())
    print(
        f"{kind:>10}: {identity.organisation} ({identity.jurisdiction}) -> "
        f"{identity.assurance.scheme_level} = {identity.assurance.level.value}"
    )
