"""Mainland electronic seals: verify a sealed OFD document (GB/T 38540 e-seal, SM2/SM3).

A Guangdong company's official seal, made by a seal maker and applied to a one-page OFD;
then the same document changed after sealing. The identity comes from the GDCA adapter
(the company's unified social credit code in its certificate).

Needs the 'sm' extra. Run: python examples/ofd_seal.py
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import bayident
from bayident.sm import sm_available
from bayident.testing import MockClock, MockGuangdongCA, MockOFDSigner, MockSealMaker

if not sm_available():
    sys.exit("this example needs the 'sm' extra: pip install 'bayident[sm]'")

clock = MockClock(datetime(2026, 3, 1, tzinfo=UTC))
ca = MockGuangdongCA(algorithm="sm2", brand="GDCA", clock=clock)
company = ca.issue_organisation("广州示例科技有限公司", "91440300708461136T")
maker = MockSealMaker(ca.sm2_issuing.issue_signer("广东省电子印章制作系统"))
seal = maker.make_seal(
    "广州示例科技有限公司 公章",
    holders=[company],
    seal_id="44010600000001",
    valid_from=datetime(2026, 1, 1, tzinfo=UTC),
    valid_until=datetime(2028, 1, 1, tzinfo=UTC),
)
signer = MockOFDSigner(company, seal)
document = signer.sign(signing_time=clock.now())
# A seal signature carries the signer's and the maker's certificates but not their CAs':
# the issuing CA comes from the caller, untrusted, to build the paths to the root.
issuing = [ca.sm2_issuing.cert_pem]

result = bayident.verify(document, trust=ca.trust_store(), extra_certs=issuing, at=clock.now())
if not result.passed or result.evidence_format != "ofd":
    sys.exit(result.explain())
report = result.signers[0]
print(result.indication.value, "-", result.message)
print("  seal:", report.details["seal"]["name"], report.details["seal"]["seal_id"])
print("  valid:", report.details["seal"]["valid_from"], "to", report.details["seal"]["valid_until"])
print("  maker:", report.details["seal"]["maker"])
if result.identity is None:
    sys.exit("the GDCA adapter should have named the company")
code = result.identity.identifier("CN_USCC")
print("  identity:", result.identity.name_zh, code.value if code else "-")

changed = signer.sign(signing_time=clock.now(), fault="content-changed")
result = bayident.verify(changed, trust=ca.trust_store(), extra_certs=issuing, at=clock.now())
print(result.indication.value, result.sub_indication and result.sub_indication.value)
for check in result.failed_checks():
    print(f"  {check.name}: {check.message} [{check.concerns}]")
if result.sub_indication is not bayident.SubIndication.HASH_FAILURE:
    sys.exit("a changed page must be a HASH_FAILURE")
