"""Certificate-profile adapters: Hongkong Post, Digi-Sign, eSignTrust, GDCA and NETCA."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

import bayident
from bayident import AssuranceLevel, Identity, Indication, SubIndication
from bayident.schemes import (
    CertificateProfile,
    CertificateView,
    HongkongPostAdapter,
    ProfileAdapter,
    ProfileError,
    SchemeRegistry,
    identify_certificate,
    identity_matches_hkid,
    verify_as,
)
from bayident.schemes.digisign import DIGISIGN_CPS_ARC
from bayident.schemes.esigntrust import esigntrust_profile
from bayident.schemes.hkpost import HONGKONG_POST_CPS_ARC
from bayident.testing import (
    MockClock,
    MockDigiSignCA,
    MockESignTrustCA,
    MockGuangdongCA,
    MockHongkongPostCA,
    SandboxProtectedHKID,
    sandbox_registry,
)

NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
DOC = b"application form"
USCC = "91440300708461136T"
RIC = "11010519491231002X"


@pytest.fixture(scope="module")
def clock() -> MockClock:
    return MockClock(NOW)


@pytest.fixture(scope="module")
def hkpost(clock: MockClock) -> MockHongkongPostCA:
    return MockHongkongPostCA(clock=clock)


@pytest.fixture(scope="module")
def digisign(clock: MockClock) -> MockDigiSignCA:
    return MockDigiSignCA(clock=clock)


@pytest.fixture(scope="module")
def esigntrust(clock: MockClock) -> MockESignTrustCA:
    return MockESignTrustCA(clock=clock)


@pytest.fixture(scope="module")
def gdca(clock: MockClock) -> MockGuangdongCA:
    return MockGuangdongCA(clock=clock)


# The registry the verifications use (each test's own, set by the fixture below).
_REGISTRY: list[SchemeRegistry] = []


@pytest.fixture(autouse=True)
def registry(hkpost: MockHongkongPostCA) -> Iterator[None]:
    # The sandbox Hongkong Post adapter knows the sandbox's protected-HKID method.
    _REGISTRY[:] = [sandbox_registry(hkpost.adapter())]
    yield
    _REGISTRY.clear()


def verify(signer, store, **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("schemes", _REGISTRY[0])
    return bayident.verify(signer.sign_detached_cms(DOC), content=DOC, trust=store, at=NOW, **kw)


# ---------------------------------------------------------------- Hongkong Post


def test_an_ecert_personal_becomes_a_hong_kong_identity(hkpost: MockHongkongPostCA) -> None:
    s = hkpost.issue_personal("CHAN Tai Man", hkid="A123456(3)", srn="0012345678", email="tm@x.hk")
    res = verify(s, hkpost.trust_store())
    assert res.passed
    assert res.adapter == "hkpost-ecert"
    ident = res.identity
    assert ident is not None
    assert (ident.scheme, ident.jurisdiction, ident.subject_type) == (
        "hkpost-ecert",
        "HK",
        "person",
    )
    assert ident.name_en == "CHAN Tai Man"
    assert ident.organisation is None
    assert ident.identifier("ECERT_SRN") is not None
    assert ident.identifier("ECERT_SRN").value == "0012345678"  # type: ignore[union-attr]
    assert ident.identifier("EMAIL").value == "tm@x.hk"  # type: ignore[union-attr]
    hkid = ident.identifier("HKID")
    assert hkid is not None
    assert hkid.protected
    assert hkid.value != "A123456(3)"
    assert ident.assurance.scheme_level == "personal"
    assert ident.assurance.level is AssuranceLevel.SUBSTANTIAL
    check = next(c for c in res.checks if c.name == "scheme-profile")
    assert "Hongkong Post" in check.message
    assert check.signer == 0


def test_the_protected_hkid_is_matched_never_decoded(hkpost: MockHongkongPostCA) -> None:
    res = verify(hkpost.issue_personal("CHAN Tai Man", hkid="A123456(3)"), hkpost.trust_store())
    assert identity_matches_hkid(res, "A123456(3)", registry=_REGISTRY[0]).matched
    assert identity_matches_hkid(
        res, "a 123456 (3)", registry=_REGISTRY[0]
    ).matched  # normalised first
    other = identity_matches_hkid(res, "G123456(A)", registry=_REGISTRY[0])
    assert other.outcome == "mismatch"
    assert not other.matched
    bad = identity_matches_hkid(res, "A123456(4)", registry=_REGISTRY[0])
    assert bad.outcome == "invalid-hkid"
    assert "check digit is 4, expected 3" in bad.reason
    assert "A123456" not in str(res.identity)


def test_without_a_configured_method_the_match_is_undecidable(hkpost: MockHongkongPostCA) -> None:
    res = verify(hkpost.issue_personal("CHAN Tai Man", hkid="A123456(3)"), hkpost.trust_store())
    assert res.identity is not None
    # The default adapter (no protection method: Hongkong Post's is not public) sees no HKID.
    registry = sandbox_registry(HongkongPostAdapter())
    plain = verify(
        hkpost.issue_personal("CHAN Tai Man", hkid="A123456(3)"),
        hkpost.trust_store(),
        schemes=registry,
    )
    assert plain.identity is not None
    assert plain.identity.identifier("HKID") is None
    m = identity_matches_hkid(plain, "A123456(3)")
    assert m.outcome == "undecidable"
    assert not m.matched
    # An identity carrying a protected HKID, judged by an adapter without the method.
    m = identity_matches_hkid(res.identity, "A123456(3)")
    assert m.outcome == "undecidable"
    assert "not publish" in m.reason


def test_a_failed_result_never_matches(hkpost: MockHongkongPostCA) -> None:
    s = hkpost.issue_personal("CHAN Tai Man", hkid="A123456(3)")
    res = bayident.verify(
        s.sign_detached_cms(DOC),
        content=b"other",
        trust=hkpost.trust_store(),
        at=NOW,
        schemes=_REGISTRY[0],
    )
    assert not res.passed
    assert res.identity is None
    assert identity_matches_hkid(res, "A123456(3)").outcome == "undecidable"


def test_organisational_and_iamsmart_cert_types(hkpost: MockHongkongPostCA) -> None:
    org = verify(
        hkpost.issue_organisational("WONG Siu Ming", "Acme Trading Ltd"), hkpost.trust_store()
    )
    assert org.identity is not None
    assert org.identity.assurance.scheme_level == "organisational"
    assert org.identity.organisation == "Acme Trading Ltd"
    iam = hkpost.issue_iamsmart_cert("CHAN Tai Man", hkid="A123456(3)")
    res = bayident.verify(
        iam.sign_detached_cms(DOC),
        content=DOC,
        trust=hkpost.trust_store(),
        at=NOW,
        extra_certs=hkpost.intermediates(),
        schemes=_REGISTRY[0],
    )
    assert res.identity is not None
    assert res.identity.assurance.scheme_level == "iam-smart-cert"


def test_policy_arc_alone_identifies_hongkong_post(clock: MockClock) -> None:
    root = bayident.testing.MockCA("Some Root", clock=clock)
    s = root.issue_signer("Someone", policies=[f"{HONGKONG_POST_CPS_ARC}.1.2.3"])
    res = bayident.verify(
        s.sign_detached_cms(DOC), content=DOC, trust=[root.cert_der], at=NOW, schemes=_REGISTRY[0]
    )
    assert res.identity is not None
    assert res.identity.scheme == "hkpost-ecert"
    assert res.identity.assurance.level is AssuranceLevel.LOW  # unclassified type
    # A policy merely sharing a prefix is not under the arc.
    s = root.issue_signer("Someone", policies=[f"{HONGKONG_POST_CPS_ARC}9.1"])
    res = bayident.verify(
        s.sign_detached_cms(DOC), content=DOC, trust=[root.cert_der], at=NOW, schemes=_REGISTRY[0]
    )
    assert res.identity is None
    assert res.adapter is None


# ------------------------------------------------------------------ Digi-Sign


def test_digisign_certificates(digisign: MockDigiSignCA) -> None:
    res = verify(digisign.issue("LEE Ka Yan", email="ky@x.hk"), digisign.trust_store())
    assert res.identity is not None
    assert res.identity.scheme == "digisign"
    assert res.identity.jurisdiction == "HK"
    assert res.identity.assurance.level is AssuranceLevel.LOW  # types not public: configure
    res = verify(
        digisign.issue("LEE Ka Yan", policies=[f"{DIGISIGN_CPS_ARC}.99"]), digisign.trust_store()
    )
    assert res.identity is not None
    assert any("8420" in c.message for c in res.checks)


# ----------------------------------------------------------------- eSignTrust


@pytest.mark.parametrize(
    ("kind", "level"),
    [("qualified", AssuranceLevel.HIGH), ("normalised", AssuranceLevel.SUBSTANTIAL)],
)
def test_esigntrust_qualified_and_normalised(
    esigntrust: MockESignTrustCA, kind: str, level: AssuranceLevel
) -> None:
    res = verify(
        esigntrust.issue("Macau Widgets Lda", kind=kind, organisation="Macau Widgets Lda"),
        esigntrust.trust_store(),
    )  # type: ignore[arg-type]
    assert res.identity is not None
    assert (res.identity.scheme, res.identity.jurisdiction) == ("esigntrust", "MO")
    assert res.identity.assurance.scheme_level == kind
    assert res.identity.assurance.level is level
    assert res.identity.organisation == "Macau Widgets Lda"


def test_esigntrust_policy_oids_are_a_setting(esigntrust: MockESignTrustCA) -> None:
    adapter = ProfileAdapter(
        esigntrust_profile(type_by_policy=(("2.999.853.1", "qualified"),), type_by_issuer=())
    )
    s = esigntrust.issue("Someone", kind="normalised", policies=["2.999.853.1.7"])
    registry = sandbox_registry(adapter)
    res = verify(s, esigntrust.trust_store(), schemes=registry)
    assert res.identity is not None
    assert res.identity.assurance.scheme_level == "qualified"


# ---------------------------------------------------------------- GDCA / NETCA


def test_a_gdca_rsa_organisation_certificate(gdca: MockGuangdongCA) -> None:
    res = verify(gdca.issue_organisation("广东示例科技有限公司", USCC), gdca.trust_store())
    ident = res.identity
    assert ident is not None
    assert (ident.scheme, ident.jurisdiction) == ("gdca", "CN-GD")
    assert ident.subject_type == "organisation"
    assert ident.name_zh == "广东示例科技有限公司"
    assert ident.identifier("CN_USCC").value == USCC  # type: ignore[union-attr]
    assert ident.assurance.scheme_level == "organisation"


def test_a_gdca_personal_certificate(gdca: MockGuangdongCA) -> None:
    res = verify(gdca.issue_person("李小明", RIC), gdca.trust_store())
    assert res.identity is not None
    assert res.identity.subject_type == "person"
    assert res.identity.identifier("CN_RIC").value == RIC  # type: ignore[union-attr]


def test_an_invalid_credit_code_is_not_taken_as_an_identifier(clock: MockClock) -> None:
    # In the subject (the fallback), a value failing its check is not an identifier.
    gdca = MockGuangdongCA(clock=clock, identity_in="subject")
    res = verify(gdca.issue_organisation("某公司", USCC[:-1] + "U"), gdca.trust_store())
    assert res.passed
    assert res.identity is not None
    assert res.identity.identifier("CN_USCC") is None
    assert res.identity.assurance.level is AssuranceLevel.LOW


def test_gdca_sm2_and_netca(clock: MockClock) -> None:
    pytest.importorskip("tongsuopy")
    sm2 = MockGuangdongCA(algorithm="sm2", clock=clock)
    res = verify(sm2.issue_organisation("广州示例有限公司", USCC), sm2.trust_store())
    assert res.passed
    assert res.identity is not None
    assert res.identity.scheme == "gdca"
    assert res.signers[0].signature_algorithm is not None
    assert "sm2" in res.signers[0].signature_algorithm.lower()
    netca = MockGuangdongCA(brand="NETCA", clock=clock)
    res = verify(netca.issue_organisation("深圳示例有限公司", USCC), netca.trust_store())
    assert res.identity is not None
    assert res.identity.scheme == "netca"


# -------------------------------------------------------- one scheme as another


def test_a_certificate_of_one_scheme_presented_as_another(
    hkpost: MockHongkongPostCA, esigntrust: MockESignTrustCA
) -> None:
    s = esigntrust.issue("Macau Widgets Lda")
    cms = s.sign_detached_cms(DOC)
    res = verify_as(
        "hkpost-ecert",
        cms,
        content=DOC,
        trust=esigntrust.trust_store(),
        at=NOW,
        schemes=_REGISTRY[0],
    )
    assert res.indication is Indication.INDETERMINATE
    assert res.sub_indication is SubIndication.CHAIN_CONSTRAINTS_FAILURE
    assert "'esigntrust'" in res.message
    assert "presented as another" in res.message
    assert res.signers[0].passed  # the signature itself is fine
    ok = verify_as(
        "esigntrust", cms, content=DOC, trust=esigntrust.trust_store(), at=NOW, schemes=_REGISTRY[0]
    )
    assert ok.passed
    assert any(c.name == "scheme" and c.outcome.value == "passed" for c in ok.checks)


def test_verify_as_an_unknown_scheme(esigntrust: MockESignTrustCA) -> None:
    cms = esigntrust.issue("X").sign_detached_cms(DOC)
    res = verify_as(
        "tw-moica", cms, content=DOC, trust=esigntrust.trust_store(), at=NOW, schemes=_REGISTRY[0]
    )
    assert not res.passed
    assert "no adapter for scheme 'tw-moica' is registered" in res.message


def test_no_adapter_recognised_the_certificate(clock: MockClock) -> None:
    root = bayident.testing.MockCA("Unrelated Root", clock=clock)
    cms = root.issue_signer("Nobody").sign_detached_cms(DOC)
    plain = bayident.verify(cms, content=DOC, trust=[root.cert_der], at=NOW, schemes=_REGISTRY[0])
    assert plain.passed
    assert plain.identity is None
    assert plain.adapter is None
    assert all(c.name != "scheme-profile" for c in plain.checks)
    res = verify_as("gdca", cms, content=DOC, trust=[root.cert_der], at=NOW, schemes=_REGISTRY[0])
    assert not res.passed
    assert "no scheme adapter attributed" in res.message
    asked = bayident.verify(
        cms, content=DOC, trust=[root.cert_der], at=NOW, purpose="sign", schemes=_REGISTRY[0]
    )
    check = next(c for c in asked.checks if c.name == "scheme-profile")
    assert "no scheme adapter recognised the signer certificate" in check.message
    assert "says nothing about the signature itself" in check.message


def test_markers_of_two_schemes_attribute_to_none(hkpost: MockHongkongPostCA) -> None:
    s = hkpost.issue_personal("CHAN Tai Man", policies=[f"{DIGISIGN_CPS_ARC}.1"])
    res = verify(s, hkpost.trust_store())
    assert res.passed
    assert res.identity is None
    check = next(c for c in res.checks if c.name == "scheme-profile")
    assert check.outcome.value == "warning"
    assert "hkpost-ecert" in check.message
    assert "digisign" in check.message
    asked = verify(s, hkpost.trust_store(), purpose="sign")
    assert asked.indication is Indication.INDETERMINATE
    assert asked.sub_indication is SubIndication.CHAIN_CONSTRAINTS_FAILURE
    assert "more than one scheme" in asked.message


def test_a_profile_with_missing_fields(clock: MockClock) -> None:
    root = bayident.testing.MockCA("Hongkong Post Root CA 3", clock=clock)
    cert = root.issue_signer("x")
    # A Hongkong Post certificate without a subject commonName.
    view = CertificateView(
        certificate=_without_cn(root, cert.certificate), der=b"", issuers=(), anchor=None
    )
    adapter = HongkongPostAdapter()
    match = adapter.match_certificate(view)
    assert match is not None
    with pytest.raises(ProfileError, match="no subject commonName"):
        adapter.certificate_identity(view, match)


def _without_cn(root: bayident.testing.MockCA, template: x509.Certificate) -> x509.Certificate:
    from cryptography.hazmat.primitives import hashes

    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "HK")]))
        .issuer_name(root.certificate.subject)
        .public_key(template.public_key())
        .serial_number(7)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=1))
    )
    return builder.sign(root.private_key, hashes.SHA256())  # type: ignore[arg-type]


def test_identifier_attributes_are_validated(clock: MockClock) -> None:
    profile = CertificateProfile(
        adapter="test-hk",
        scheme="test-hk",
        jurisdiction="HK",
        display_name="Test",
        issuer_patterns=("Test Issuing",),
        identifier_attributes=(("2.5.4.5", "HKID"),),
    )
    root = bayident.testing.MockCA("Test Root", clock=clock)
    ca = root.create_child_ca("Test Issuing CA")
    good = ca.issue_signer("A", subject_serial="A123456(3)")
    bad = ca.issue_signer("B", subject_serial="A123456(4)")
    reg = sandbox_registry(ProfileAdapter(profile))
    registry = reg
    res = bayident.verify(
        good.sign_detached_cms(DOC), content=DOC, trust=[root.cert_der], at=NOW, schemes=registry
    )
    assert res.identity is not None
    assert res.identity.identifier("HKID").value == "A123456(3)"
    res = bayident.verify(
        bad.sign_detached_cms(DOC), content=DOC, trust=[root.cert_der], at=NOW, schemes=registry
    )
    assert res.passed
    assert res.identity is None
    check = next(c for c in res.checks if c.name == "scheme-profile")
    assert "not a valid HKID: check digit is 4, expected 3" in check.message


def test_identification_is_cached_per_anchor_facts(hkpost: MockHongkongPostCA) -> None:
    s = hkpost.issue_personal("CHAN Tai Man", mutual_recognition=True)
    path = [s.cert_der, hkpost.issuing.cert_der]
    reg = sandbox_registry()
    plain = next(iter(hkpost.trust_store()))
    listed = next(iter(hkpost.trust_store(listed=True)))
    a = identify_certificate(reg, s.cert_der, path, plain)
    b = identify_certificate(reg, s.cert_der, path, listed)
    assert a is identify_certificate(reg, s.cert_der, path, plain)
    assert a.view.anchor is plain
    assert b.view.anchor is listed


def test_sandbox_protected_hkid_rejects_bad_values() -> None:
    p = SandboxProtectedHKID()
    with pytest.raises(bayident.InvalidArgument):
        p.protect("A123456(4)")
    assert not p.matches(p.protect("A123456(3)"), "A123456(4)")


def test_identity_is_frozen(hkpost: MockHongkongPostCA) -> None:
    res = verify(hkpost.issue_personal("CHAN Tai Man"), hkpost.trust_store())
    assert isinstance(res.identity, Identity)
    with pytest.raises(Exception):  # noqa: B017, PT011 - pydantic's frozen error type varies
        res.identity.scheme = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    "make",
    [
        "bayident.schemes.hkpost:hongkong_post_profile",
        "bayident.schemes.digisign:digisign_profile",
        "bayident.schemes.esigntrust:esigntrust_profile",
        "bayident.schemes.guangdong_ca:gdca_profile",
        "bayident.schemes.guangdong_ca:netca_profile",
    ],
)
def test_profile_changes_are_validated_like_a_new_profile(make: str) -> None:
    import importlib

    module, name = make.split(":")
    profile = getattr(importlib.import_module(module), name)
    with pytest.raises(bayident.InvalidArgument, match="not a dotted OID"):
        profile(policy_arcs=("1.3.6.1.4.1.16030.x.y",))
    assert profile(default_assurance="low").default_assurance is AssuranceLevel.LOW
