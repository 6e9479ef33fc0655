"""GDCA and NETCA (Guangdong): an SM2 company certificate and an RSA one, with the
unified social credit code checked (GB 32100-2015).

Needs the 'sm' extra for SM2. Run: python examples/scheme_guangdong_ca.py
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import bayident
from bayident.identifiers import validate
from bayident.testing import MockClock, MockGuangdongCA

clock = MockClock(datetime(2026, 3, 1, tzinfo=UTC))
doc = "采购合同 2026-GZ-008".encode()
uscc = "91440300708461136T"
print("USCC", uscc, "valid:", validate("CN_USCC", uscc).valid)

for algorithm, brand in (("sm2", "GDCA"), ("rsa", "NETCA")):
    ca = MockGuangdongCA(algorithm=algorithm, brand=brand, clock=clock)  # type: ignore[arg-type]
    signer = ca.issue_organisation("广州示例科技有限公司", uscc)
    result = bayident.verify(
        signer.sign_detached_cms(doc), content=doc, trust=ca.trust_store(), at=clock.now()
    )
    identity = result.identity
    if not result.passed or identity is None:
        sys.exit(result.explain())
    code = identity.identifier("CN_USCC")
    print(
        f"{brand} {algorithm.upper()}: {identity.name_zh}, {code.value if code else '-'}, "
        f"signature {result.signers[0].signature_algorithm}, "
        f"assurance {identity.assurance.level.value}"
    )
