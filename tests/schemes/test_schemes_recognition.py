"""Recognition: verify(purpose=..., require_assurance=...) admits foreign identities by rule."""

from __future__ import annotations

import datetime as dt

import pytest

import bayident
from bayident import Assurance, AssuranceLevel, ConsentRecord, Identity, Indication, SubIndication
from bayident.schemes import (
    CROSS_BORDER_2023,
    IdentityRule,
    Recognizer,
    default_identity_rules,
    iamsmart_without_binding_rule,
)
from bayident.testing import (
    MockClock,
    MockESignTrustCA,
    MockGuangdongCA,
    MockHongkongPostCA,
    sandbox_recognition_policy,
    sandbox_registry,
)
from bayident.trustlist import RecognitionPolicy, RecognitionRule

NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
DOC = b"contract"
USCC = "91440300708461136T"


@pytest.fixture(scope="module")
def clock() -> MockClock:
    return MockClock(NOW)


@pytest.fixture(scope="module")
def hkpost(clock: MockClock) -> MockHongkongPostCA:
    return MockHongkongPostCA(clock=clock)


@pytest.fixture(scope="module")
def gdca(clock: MockClock) -> MockGuangdongCA:
    return MockGuangdongCA(clock=clock)


@pytest.fixture(scope="module")
def esigntrust(clock: MockClock) -> MockESignTrustCA:
    return MockESignTrustCA(clock=clock)


def verify(signer, store, recognizer: Recognizer, **kw):  # type: ignore[no-untyped-def]
    registry = sandbox_registry(recognizer=recognizer)
    return bayident.verify(
        signer.sign_detached_cms(DOC), content=DOC, trust=store, at=NOW, **kw, schemes=registry
    )


def test_a_hongkong_post_mutual_recognition_certificate_in_guangdong(
    hkpost: MockHongkongPostCA,
) -> None:
    gd = Recognizer(home_jurisdiction="CN-GD", certificate_policy=sandbox_recognition_policy())
    s = hkpost.issue_personal("CHAN Tai Man", mutual_recognition=True)
    res = verify(s, hkpost.trust_store(listed=True), gd, purpose="sign")
    assert res.passed
    assert res.recognition is not None
    assert res.recognition.admitted
    assert res.recognition.rule == "gd-hk-mr/hongkong-post-e-cert-ca-2-15"
    assert res.checks[-1].name == "recognition"
    assert res.checks[-1].outcome.value == "passed"


def test_without_mutual_recognition_status_it_is_not_admitted(hkpost: MockHongkongPostCA) -> None:
    gd = Recognizer(home_jurisdiction="CN-GD", certificate_policy=sandbox_recognition_policy())
    s = hkpost.issue_personal("CHAN Tai Man")
    res = verify(s, hkpost.trust_store(listed=True), gd, purpose="sign")
    assert (res.indication, res.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.CHAIN_CONSTRAINTS_FAILURE,
    )
    rec = res.recognition
    assert rec is not None
    assert not rec.admitted
    assert rec.rule == "gd-hk-mr/hongkong-post-e-cert-ca-2-15"
    assert "asserts no policy under 2.16.344.8.2.2008.810.2" in rec.reason
    assert res.signers[0].passed
    assert res.identity is not None
    # Without purpose or assurance, no recognition is made and the result passes.
    plain = verify(s, hkpost.trust_store(listed=True), gd)
    assert plain.passed
    assert plain.recognition is None


def test_a_domestic_identity_needs_only_enough_assurance(hkpost: MockHongkongPostCA) -> None:
    hk = Recognizer(home_jurisdiction="HK")
    s = hkpost.issue_personal("CHAN Tai Man")
    ok = verify(s, hkpost.trust_store(), hk, purpose="sign", require_assurance="substantial")
    assert ok.passed
    assert ok.recognition is not None
    assert ok.recognition.rule == "domestic/HK"
    high = verify(s, hkpost.trust_store(), hk, purpose="sign", require_assurance="high")
    assert high.indication is Indication.INDETERMINATE
    assert high.recognition is not None
    assert high.recognition.rule == "domestic/HK"
    assert "assurance 'substantial', below the required 'high'" in high.recognition.reason


def test_a_guangdong_sm2_company_in_hong_kong(clock: MockClock) -> None:
    pytest.importorskip("tongsuopy")
    sm2 = MockGuangdongCA(algorithm="sm2", clock=clock)
    s = sm2.issue_organisation("广州示例有限公司", USCC, mutual_recognition=True)
    hk_default = Recognizer(home_jurisdiction="HK")
    res = verify(s, sm2.trust_store(listed=True), hk_default, purpose="sign")
    # The Guangdong-side CA list is not public: the rule waits for it.
    assert not res.passed
    assert res.recognition is not None
    assert "Guangdong-side CA list is not public" in res.recognition.reason
    configured = Recognizer(
        home_jurisdiction="HK",
        certificate_policy=RecognitionPolicy.greater_bay_area_default(
            guangdong_anchor_names=[sm2.sm2_root.name]  # type: ignore[union-attr]
        ),
    )
    res = verify(s, sm2.trust_store(listed=True), configured, purpose="sign")
    assert res.passed
    assert res.recognition is not None
    assert res.recognition.rule == "gd-hk-mr/guangdong-cas"
    assert res.identity is not None
    assert res.identity.identifier("CN_USCC") is not None


def test_a_macau_company_needs_a_rule_of_the_relying_party(esigntrust: MockESignTrustCA) -> None:
    s = esigntrust.issue("Macau Widgets Lda", organisation="Macau Widgets Lda")
    store = esigntrust.trust_store(listed=True)
    default = Recognizer(home_jurisdiction="CN-GD")
    res = verify(s, store, default, purpose="sign")
    assert not res.passed
    assert res.recognition is not None
    assert not res.recognition.admitted
    own = RecognitionPolicy(
        name="my platform",
        rules=(
            RecognitionRule(
                name="platform/esigntrust-qualified",
                purposes=("sign",),
                assurance="high",
                jurisdictions=("MO",),
                issuer_names=("Macao Post eSignTrust Qualified Certificate CA (sandbox)",),
            ),
        ),
    )
    res = verify(
        s,
        store,
        Recognizer(home_jurisdiction="CN-GD", certificate_policy=own),
        purpose="sign",
        require_assurance="high",
    )
    assert res.passed
    assert res.recognition is not None
    assert res.recognition.rule == "platform/esigntrust-qualified"
    normalised = esigntrust.issue("Macau Widgets Lda", kind="normalised")
    res = verify(
        normalised,
        store,
        Recognizer(home_jurisdiction="CN-GD", certificate_policy=own),
        purpose="sign",
    )
    assert not res.passed
    assert "Normalised" in (res.recognition.reason if res.recognition else "")


def test_recognition_never_rescues_a_failed_signature(hkpost: MockHongkongPostCA) -> None:
    s = hkpost.issue_personal("CHAN Tai Man", mutual_recognition=True)
    registry = sandbox_registry(recognizer=Recognizer(home_jurisdiction="CN-GD"))
    res = bayident.verify(
        s.sign_detached_cms(DOC),
        content=b"tampered",
        trust=hkpost.trust_store(listed=True),
        at=NOW,
        purpose="sign",
        schemes=registry,
    )
    assert res.indication is Indication.FAILED
    assert res.recognition is None


def _identity(scheme: str, jurisdiction: str, level: AssuranceLevel) -> Identity:
    return Identity(
        scheme=scheme,
        adapter=scheme,
        jurisdiction=jurisdiction,
        assurance=Assurance(level=level, basis="test"),
        evidence="test",
    )


def test_identity_rules_are_scoped_to_the_relying_party() -> None:
    ident = _identity("iamsmart", "HK", AssuranceLevel.SUBSTANTIAL).bind(
        _identity("gd-unified-identity", "CN-GD", AssuranceLevel.LOW),
        arrangement=CROSS_BORDER_2023,
        consent=ConsentRecord(reference="c-1", recorded_by="广东政务服务网"),
    )
    gd = Recognizer(home_jurisdiction="CN-GD", certificate_policy=None, relying_sector="government")
    mo = Recognizer(home_jurisdiction="MO", certificate_policy=None)
    assert gd.decide(identity=ident, purpose="authenticate").recognition.admitted
    out = mo.decide(identity=ident, purpose="authenticate").recognition
    assert not out.admitted
    assert out.rule is None
    assert "by a MO relying party" in out.reason
    out = gd.decide(identity=ident, purpose="sign").recognition
    assert not out.admitted


def test_disabled_and_demanding_rules_name_themselves() -> None:
    rules = [
        IdentityRule(
            name="waiting", purposes=("sign",), enabled=False, disabled_reason="list not public"
        ),
        IdentityRule(name="strict", purposes=("sign",), minimum_assurance=AssuranceLevel.HIGH),
    ]
    r = Recognizer(identity_rules=rules, certificate_policy=None)
    out = r.decide(
        identity=_identity("x", "MO", AssuranceLevel.SUBSTANTIAL), purpose="sign"
    ).recognition
    assert not out.admitted
    assert out.rule == "waiting"
    assert "disabled (list not public)" in out.reason
    assert "the rule needs 'high'" in out.reason
    assert (
        r.decide(
            identity=_identity("x", "MO", AssuranceLevel.HIGH), purpose="sign"
        ).recognition.rule
        == "strict"
    )


def test_recognizer_arguments() -> None:
    with pytest.raises(bayident.InvalidArgument):
        Recognizer(identity_rules=["x"])  # type: ignore[list-item]
    with pytest.raises(bayident.InvalidArgument):
        Recognizer(certificate_policy=object())  # type: ignore[arg-type]
    with pytest.raises(bayident.InvalidArgument):
        Recognizer().decide(identity=None, purpose="read")  # type: ignore[arg-type]
    with pytest.raises(bayident.InvalidArgument):
        Recognizer().decide(identity=None, purpose="sign", require_assurance="medium")


def test_verify_still_validates_the_options(hkpost: MockHongkongPostCA) -> None:
    s = hkpost.issue_personal("CHAN Tai Man")
    with pytest.raises(bayident.InvalidArgument):
        bayident.verify(s.sign_detached_cms(DOC), content=DOC, purpose="read")


def test_the_cross_border_rule_needs_a_government_service_and_a_binding() -> None:
    plain = _identity("iamsmart", "HK", AssuranceLevel.SUBSTANTIAL)
    consent = ConsentRecord(
        reference="c-1",
        consented_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC),
        recorded_by="广东政务服务网",
    )
    gd_person = _identity("gd-unified-identity", "CN-GD", AssuranceLevel.LOW)
    bound = plain.bind(gd_person, arrangement=CROSS_BORDER_2023, consent=consent)
    gov = Recognizer(
        home_jurisdiction="CN-GD", certificate_policy=None, relying_sector="government"
    )
    shop = Recognizer(home_jurisdiction="CN-GD", certificate_policy=None, relying_sector="commerce")
    undeclared = Recognizer(home_jurisdiction="CN-GD", certificate_policy=None)
    at = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)

    assert gov.decide(identity=bound, purpose="authenticate", at=at).recognition.admitted
    out = gov.decide(identity=plain, purpose="authenticate", at=at).recognition
    assert not out.admitted
    assert out.rule == "gd-hk-cross-border/iamsmart-sign-in"
    assert "not bound with consent to a CN-GD identity" in out.reason
    for other in (shop, undeclared):
        out = other.decide(identity=bound, purpose="authenticate", at=at).recognition
        assert not out.admitted
        assert "government sector" in out.reason
    # A binding under another arrangement, or consented after the fact, does not count.
    elsewhere = plain.bind(gd_person, arrangement="private-link", consent=consent)
    assert not gov.decide(identity=elsewhere, purpose="authenticate", at=at).recognition.admitted
    early = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    late = gov.decide(identity=bound, purpose="authenticate", at=early).recognition
    assert not late.admitted
    assert "after the verification time" in late.reason
    no_record = plain.bind(
        gd_person, arrangement=CROSS_BORDER_2023, consent=ConsentRecord(recorded_by="x")
    )
    assert not gov.decide(identity=no_record, purpose="authenticate", at=at).recognition.admitted


def test_wider_acceptance_is_an_opt_in_named_rule() -> None:
    plain = _identity("iamsmart", "HK", AssuranceLevel.SUBSTANTIAL)
    wider = Recognizer(
        home_jurisdiction="CN-GD",
        certificate_policy=None,
        identity_rules=[*default_identity_rules(), iamsmart_without_binding_rule()],
    )
    out = wider.decide(identity=plain, purpose="authenticate").recognition
    assert out.admitted
    assert out.rule == "opt-in/iamsmart-sign-in-without-binding"
    assert iamsmart_without_binding_rule().name not in {r.name for r in default_identity_rules()}
