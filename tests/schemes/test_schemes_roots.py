"""The catalogue of real Bay Area roots: fingerprints, opt-in loading and name pinning."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import warnings

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

import bayident
from bayident import InvalidArgument, TrustStore
from bayident.identifiers import hkid_hash
from bayident.schemes import (
    ROOT_CATALOGUE,
    catalogue_anchors,
    catalogue_root,
    impersonated_root,
    pinned_fingerprint,
    scheme_evidence,
    trust_store_from_catalogue,
)
from bayident.testing import MockCA, MockClock, MockHongkongPostCA, MockIAmSmart, sandbox_registry

NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def test_shipped_certificates_match_their_fingerprints() -> None:
    shipped = [r for r in ROOT_CATALOGUE if r.has_certificate]
    assert {r.name for r in shipped} >= {"Hongkong Post Root CA 3", "GDCA TrustAUTH R5 ROOT"}
    for root in shipped:
        assert root.confirmed
        assert len(root.sources) >= 2
        (anchor,) = catalogue_anchors(root.name)
        assert anchor.fingerprint == root.sha256
        assert (
            anchor.certificate.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)[0].value
            == root.name
        )


def test_fingerprints_agree_with_mozillas_store_as_certifi_packages_it() -> None:
    certifi = pytest.importorskip("certifi")
    with open(certifi.where(), "rb") as f, warnings.catch_warnings():
        # One unrelated root in the bundle has a non-positive serial number.
        warnings.simplefilter("ignore")
        bundle = x509.load_pem_x509_certificates(f.read())
    by_cn: dict[str, str] = {}
    for cert in bundle:
        cns = cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)
        if cns:
            by_cn[str(cns[0].value)] = hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()
    for name in ("Hongkong Post Root CA 3", "GDCA TrustAUTH R5 ROOT"):
        assert by_cn[name] == catalogue_root(name).sha256


def test_unconfirmed_roots_are_listed_but_not_shipped() -> None:
    for root in ROOT_CATALOGUE:
        if not root.confirmed:
            assert not root.has_certificate
            assert pinned_fingerprint(root.name) is None
            with pytest.raises(InvalidArgument, match="does not ship"):
                catalogue_anchors(root.name)
    assert catalogue_root("hongkong post root ca 2").sha256 is None


def test_nothing_is_trusted_by_default() -> None:
    with pytest.raises(InvalidArgument, match="none is trusted by default"):
        catalogue_anchors()
    with pytest.raises(InvalidArgument, match="no catalogued root"):
        trust_store_from_catalogue("Some Root")
    store = TrustStore.from_catalogue("Hongkong Post Root CA 3")
    assert len(store) == 1
    assert all(a.jurisdiction == "HK" for a in store)


def test_a_sandbox_root_bearing_a_real_name_is_not_that_root() -> None:
    fake = MockCA("GDCA TrustAUTH R5 ROOT", clock=MockClock(NOW - dt.timedelta(days=1)))
    der = fake.certificate.public_bytes(Encoding.DER)
    problem = impersonated_root(fake.certificate, hashlib.sha256(der).hexdigest())
    assert problem is not None
    assert "not the catalogued" in problem
    (real,) = catalogue_anchors("GDCA TrustAUTH R5 ROOT")
    assert impersonated_root(real.certificate, real.fingerprint) is None
    # The GDCA adapter recognises GDCA by name, so it refuses the impostor's certificates.
    signer = fake.issue_signer("某公司")
    res = bayident.verify(
        signer.sign_detached_cms(b"doc"),
        content=b"doc",
        trust=TrustStore.from_certificates([fake.certificate]),
        at=NOW,
    )
    assert res.identity is None
    assert any("not the catalogued" in c.message for c in res.checks if c.name == "scheme-profile")


def test_iamsmart_refuses_a_root_that_only_bears_hongkong_posts_name() -> None:
    clock = MockClock(NOW)
    post = MockHongkongPostCA(clock=clock, root_name="Hongkong Post Root CA 3")
    iam = MockIAmSmart(clock=clock, hongkong_post=post)
    user = iam.enrol("A123456(3)", "CHAN, Tai Man")
    digest = hashlib.sha256(b"doc").hexdigest()
    data = {
        "result": iam.sign_hash(user, digest),
        "request": {"hashCode": digest, "HKICHash": hkid_hash(user.hkid)},
        "signer": {"hkid": user.hkid},
    }
    registry = sandbox_registry(iam.adapter(), post.adapter())
    res = bayident.verify(
        scheme_evidence("iamsmart", "signing-result", json.loads(json.dumps(data))),
        content=b"doc",
        trust=post.trust_store(),
        extra_certs=post.intermediates(),
        at=NOW,
        schemes=registry,
    )
    assert not res.passed
    assert res.failed_checks()[-1].name == "certificate-scheme"
    assert "not the catalogued" in res.message


def test_certificate_recognition_refuses_an_anchor_named_like_a_pinned_root() -> None:
    from bayident.schemes import Recognizer
    from bayident.testing import listed_trust_store, sandbox_recognition_policy

    clock = MockClock(NOW - dt.timedelta(days=1))
    # A sandbox hierarchy carrying the real names of the earlier mutual-recognition chain.
    post = MockHongkongPostCA(
        clock=clock,
        root_name="Hongkong Post Root CA 1",
        issuing_name="Hongkong Post e-Cert CA 1 - 10",
    )
    signer = post.issue_personal("CHAN Tai Man", mutual_recognition=True)
    store = listed_trust_store(post.root, jurisdiction="HK")
    gd = Recognizer(home_jurisdiction="CN-GD", certificate_policy=sandbox_recognition_policy())
    registry = sandbox_registry(post.adapter(), recognizer=gd)
    res = bayident.verify(
        signer.sign_detached_cms(b"doc"),
        content=b"doc",
        trust=store,
        at=NOW,
        purpose="sign",
        extra_certs=post.intermediates(),
        schemes=registry,
    )
    assert not res.passed
    assert "not the catalogued" in res.message
    # The recognizer refuses such an anchor too, whatever the certificate rules say.
    anchor = next(iter(store))
    out = gd.decide(
        identity=None,
        purpose="sign",
        chain=[signer.certificate, post.issuing.certificate, post.root.certificate],
        anchor=anchor,
        at=NOW,
    ).recognition
    assert not out.admitted
    assert "not the catalogued" in out.reason
