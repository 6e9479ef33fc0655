"""Across the border: one Guangdong service, three signers, one recognition policy.

1. A Hong Kong resident, whose iAM Smart account is bound to a Guangdong unified identity
   under the 2023 arrangement, signs in and signs a Guangdong form with iAM Smart.
2. A Macau company signs with an eSignTrust qualified certificate.
3. A Guangdong company signs with an SM2 certificate (and a Hong Kong service checks it).

Each result says who signed, how sure the scheme is, and which recognition rule admitted
(or refused) them. Run: python examples/cross_border.py
"""

from __future__ import annotations

import hashlib
import sys
from datetime import UTC, datetime

import bayident
from bayident.identifiers import hkid_hash
from bayident.schemes import (
    CROSS_BORDER_2023,
    IdentityRule,
    Recognizer,
    scheme_evidence,
)
from bayident.testing import (
    MockClock,
    MockESignTrustCA,
    MockGuangdongCA,
    MockIAmSmart,
    listed_trust_store,
    sandbox_registry,
)
from bayident.trustlist import RecognitionPolicy, RecognitionRule

clock = MockClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
now = clock.now()
form = "广东省跨境通办申请表 / Guangdong cross-boundary application".encode()
failures: list[str] = []


def show(title: str, result: bayident.VerificationResult, expect: bool) -> None:
    who = result.identity
    rec = result.recognition
    print(f"\n{title}\n  {result.indication.value}: {result.message}")
    if who is not None:
        print(
            f"  identity: {who.name_en or who.name_zh} [{who.scheme}, {who.jurisdiction}], "
            f"assurance {who.assurance.level.value}"
        )
    if rec is not None:
        print(f"  recognition: {'admitted' if rec.admitted else 'refused'} by {rec.rule!r}")
    if result.passed != expect:
        failures.append(title)


# --- the Guangdong service's policy -------------------------------------------------
iam = MockIAmSmart(clock=clock)
esigntrust = MockESignTrustCA(clock=clock)
gdca = MockGuangdongCA(algorithm="sm2", clock=clock)
trust = listed_trust_store(iam.hongkong_post.root, jurisdiction="HK")
trust.add(next(iter(esigntrust.trust_store(listed=True))))
trust.add(next(iter(gdca.trust_store(listed=True))))
certificates = RecognitionPolicy(
    name="Guangdong service",
    rules=(
        *RecognitionPolicy.greater_bay_area_default().rules,
        RecognitionRule(
            name="service/esigntrust-qualified",
            description="Macau companies with an eSignTrust qualified certificate.",
            purposes=("sign",),
            assurance="high",
            jurisdictions=("MO",),
            issuer_names=("Macao Post eSignTrust Qualified Certificate CA (sandbox)",),
        ),
    ),
)
identities = (
    *Recognizer().identity_rules,
    IdentityRule(
        name="service/iamsmart-signing",
        description="Forms signed with iAM Smart by the signed-in Hong Kong resident.",
        purposes=("sign",),
        relying_jurisdictions=("CN-GD",),
        schemes=("iamsmart",),
        minimum_assurance=bayident.AssuranceLevel.SUBSTANTIAL,
    ),
)
guangdong = Recognizer(
    home_jurisdiction="CN-GD",
    relying_sector="government",  # the 2023 arrangement covers government services
    certificate_policy=certificates,
    identity_rules=identities,
)
registry = sandbox_registry(iam.adapter(), iam.hongkong_post.adapter(), recognizer=guangdong)

# 1. iAM Smart: sign in, then sign the form's hash.
user = iam.enrol("A123456(3)", "CHAN, Tai Man", zh_name="陳大文")
# The service's own record of the account's binding (the resident consented on
# 广东政务服务网); what the two sides exchange is not public, so the service passes it.
binding = {
    "arrangement": CROSS_BORDER_2023,
    "identity": {
        "jurisdiction": "CN-GD",
        "scheme": "gd-unified-identity",
        "identifiers": [{"kind": "GD_UID", "value": "sandbox-uid-0001"}],
    },
    "consent": {"reference": "sandbox-consent-1", "recordedBy": "广东政务服务网"},
}
body = iam.reply(user.profile())
signed_in = bayident.verify(
    scheme_evidence("iamsmart", "profile-reply", {"body": body, "binding": binding}),
    at=now,
    purpose="authenticate",
    schemes=registry,
)
show("1a. Hong Kong resident (bound account) signs in with iAM Smart", signed_in, True)
unbound = bayident.verify(
    scheme_evidence("iamsmart", "profile-reply", {"body": iam.reply(user.profile())}),
    at=now,
    purpose="authenticate",
    schemes=registry,
)
show("1a'. ... an account without the binding is not admitted", unbound, False)
request = {"hashCode": hashlib.sha256(form).hexdigest(), "HKICHash": hkid_hash(user.hkid)}
result = iam.sign_hash(user, request["hashCode"])
evidence = scheme_evidence(
    "iamsmart",
    "signing-result",
    {"result": result, "request": request, "signer": {"hkid": user.hkid}},
)
show(
    "1b. ... and signs the Guangdong form",
    bayident.verify(
        evidence,
        content=form,
        trust=trust,
        at=now,
        purpose="sign",
        extra_certs=iam.hongkong_post.intermediates(),
        schemes=registry,
    ),
    True,
)

# 2. eSignTrust: qualified is admitted, normalised is not (the service's choice).
for kind, expect in (("qualified", True), ("normalised", False)):
    signer = esigntrust.issue("Macau Widgets Lda", kind=kind, organisation="Macau Widgets Lda")
    show(
        f"2. Macau company signs with an eSignTrust {kind} certificate",
        bayident.verify(
            signer.sign_detached_cms(form),
            content=form,
            trust=trust,
            at=now,
            purpose="sign",
            schemes=registry,
        ),
        expect,
    )

# 3. GDCA SM2: domestic in Guangdong.
company = gdca.issue_organisation(
    "广州示例科技有限公司", "91440300708461136T", mutual_recognition=True
)
cms = company.sign_detached_cms(form)
show(
    "3a. Guangdong company signs with SM2 (Guangdong service)",
    bayident.verify(cms, content=form, trust=trust, at=now, purpose="sign", schemes=registry),
    True,
)

# 3b. The same signature at a Hong Kong service: mutual recognition, once the Guangdong-side
# CA list (not public) is configured.
assert gdca.sm2_root is not None
hong_kong = Recognizer(
    home_jurisdiction="HK",
    certificate_policy=RecognitionPolicy.greater_bay_area_default(
        guangdong_anchor_names=[gdca.sm2_root.name]
    ),
)
registry = sandbox_registry(recognizer=hong_kong)
show(
    "3b. ... and at a Hong Kong service (mutual recognition)",
    bayident.verify(cms, content=form, trust=trust, at=now, purpose="sign", schemes=registry),
    True,
)

if failures:
    sys.exit(f"unexpected outcome: {failures}")
