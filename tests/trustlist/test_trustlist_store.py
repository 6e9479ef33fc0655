"""Lists as models, both formats, and trust stores built from them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

import bayident
from _trustlist_kit import NOW, at, clock, operator
from bayident import Indication
from bayident.testing import MockCA, MockTrustListOperator
from bayident.trustlist import (
    JsonTrustList,
    ServiceStatus,
    ServiceType,
    SignatureStatus,
    TrustListStore,
    anchor_status_at,
    diff_lists,
    from_etsi,
    json_schema,
    read_etsi_xml,
    read_json_list,
    read_trusted_list,
    to_etsi_xml,
    to_json,
    to_trusted_list,
    trust_store_from_lists,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize("region", ["HK", "MO", "CN-GD"])
def test_etsi_xml_round_trip(region: str) -> None:
    op = operator(region)
    tl = op.trusted_list(sequence=4)
    doc = read_etsi_xml(op.etsi_xml(tl))
    assert doc.status is SignatureStatus.VALID, doc.describe()
    # The list Id and the jurisdiction have no place in the model of an ETSI list.
    assert dataclasses.replace(doc.require_valid(), list_id=None) == dataclasses.replace(
        tl, jurisdiction=None
    )


def test_an_rsa_signed_list_and_version_6() -> None:
    op = MockTrustListOperator("MO", clock=clock(), key_type="rsa")
    doc = read_etsi_xml(op.etsi_xml(op.trusted_list(version=6)))
    assert doc.status is SignatureStatus.VALID
    assert doc.require_valid().version == 6


def test_plain_xmldsig_without_xades_is_read_too() -> None:
    op = operator("HK")
    data = to_etsi_xml(op.trusted_list(), op.signing_key, op.signer_certificate, xades=False)
    assert read_etsi_xml(data).status is SignatureStatus.VALID


def test_writing_needs_the_matching_certificate() -> None:
    op, other = operator("HK"), operator("MO")
    with pytest.raises(bayident.InvalidArgument):
        to_etsi_xml(op.trusted_list(), op.signing_key, other.signer_certificate)


@pytest.mark.parametrize("region", ["HK", "MO", "CN-GD"])
def test_json_round_trip_and_jws(region: str) -> None:
    op = operator(region)
    tl = op.trusted_list(sequence=2)
    body = from_etsi(tl)
    assert to_trusted_list(JsonTrustList.model_validate(body)) == tl
    assert json.loads(to_json(tl)) == body
    doc = read_json_list(op.json_jws(tl))
    assert doc.status is SignatureStatus.VALID
    assert doc.require_valid() == tl
    assert doc.signer_certificate == op.signer_certificate


def test_jws_with_a_pinned_key_only() -> None:
    op = operator("HK")
    token = op.json_jws(x5c=False)
    assert read_json_list(token).status is SignatureStatus.UNSUPPORTED
    doc = read_json_list(token, keys=[op.signer_certificate.public_key()])
    assert doc.status is SignatureStatus.VALID
    assert "pinned key" in doc.reason
    wrong = read_json_list(token, keys=[operator("CN-GD").signer_certificate])
    assert wrong.status is SignatureStatus.INVALID


def test_conversions_between_the_formats() -> None:
    op = operator("CN-GD")
    tl = op.trusted_list(sequence=9)
    assert tl.jurisdiction == "CN-GD"
    assert tl.territory == "CN"
    xml_doc = read_trusted_list(op.etsi_xml(tl))
    json_doc = read_trusted_list(op.json_jws(xml_doc.require_valid()).encode())
    assert json_doc.status is SignatureStatus.VALID
    assert dataclasses.replace(json_doc.require_valid(), list_id=None) == dataclasses.replace(
        tl, jurisdiction=None
    )


def test_a_real_list_converts_to_json_and_back() -> None:
    from _trustlist_kit import conformance_dir

    src = read_trusted_list((conformance_dir() / "fi-v6.xml").read_bytes()).require_valid()
    back = to_trusted_list(JsonTrustList.model_validate(json.loads(to_json(src))))
    assert (
        dataclasses.replace(
            back,
            list_id=src.list_id,
            community_rules=src.community_rules,
            status_determination_approach=src.status_determination_approach,
            historical_information_period=src.historical_information_period,
        )
        == src
    )


def test_the_published_json_schema_is_current() -> None:
    published = json.loads((DOCS / "trustlist.schema.json").read_text("utf-8"))
    assert published == json_schema(), (
        "docs/trustlist.schema.json is out of date: regenerate it with "
        "bayident.trustlist.json_schema()"
    )


# --- trust stores -----------------------------------------------------------------------


def test_anchors_carry_what_the_list_says() -> None:
    hk, gd = operator("HK"), operator("CN-GD")
    store = trust_store_from_lists([hk.trusted_list(), gd.trusted_list()], at=at())
    assert isinstance(store, TrustListStore)
    assert len(store) == 2
    a = store.by_fingerprint(hashlib.sha256(hk.root.cert_der).hexdigest())
    assert a is not None
    assert a.service_type == ServiceType.CA_QC
    assert a.status == ServiceStatus.GRANTED
    assert a.jurisdiction == "HK"
    assert a.list_territory == "HK"
    assert a.scheme == hk.profile.scheme
    assert a.provider is not None
    assert a.provider.endswith("operator")
    g = store.by_subject(gd.root.certificate.subject.public_bytes())[0]
    assert g.jurisdiction == "CN-GD"
    assert g.list_territory == "CN"
    assert g.key_id is not None
    assert store.by_key_id(g.key_id) == (g,)
    assert "HK #1" in store.describe()
    assert "CN #1" in store.describe()
    assert store.services_for(a)[0].service.name == hk.root.name


def test_jurisdiction_override() -> None:
    hk = operator("HK")
    s1 = trust_store_from_lists([hk.trusted_list()], jurisdiction="MO", at=at())
    s2 = trust_store_from_lists([hk.trusted_list()], jurisdiction={"HK": "HK-TEST"}, at=at())
    assert next(iter(s1)).jurisdiction == "MO"
    assert next(iter(s2)).jurisdiction == "HK-TEST"


def test_status_history_and_withdrawn_services() -> None:
    hk = operator("HK")
    granted = NOW - dt.timedelta(days=300)
    withdrawn = NOW - dt.timedelta(days=10)
    svc = hk.service(status="withdrawn", since=withdrawn, history=[(granted, "granted")])
    tl = hk.trusted_list(services=[svc])
    assert len(trust_store_from_lists([tl], at=at())) == 0
    past = trust_store_from_lists([tl], at=NOW - dt.timedelta(days=100))
    assert len(past) == 1
    every = trust_store_from_lists([tl], at=at(), include_inactive=True)
    a = next(iter(every))
    assert a.status_history == (
        (granted, ServiceStatus.GRANTED),
        (withdrawn, ServiceStatus.WITHDRAWN),
    )
    assert anchor_status_at(a, NOW - dt.timedelta(days=100)) == ServiceStatus.GRANTED
    assert every.anchor_status_at(a, NOW) == ServiceStatus.WITHDRAWN
    assert a.status_at(granted - dt.timedelta(seconds=1)) is None


def test_service_types_filter() -> None:
    hk = operator("HK")
    tsa = hk.service(service_type="TSA/QTST", ca=hk.issuing_ca)
    tl = hk.trusted_list(services=[hk.service(), tsa])
    assert len(trust_store_from_lists([tl], at=at())) == 1
    assert len(trust_store_from_lists([tl], at=at(), service_types=None)) == 2


def test_an_unreadable_certificate_is_skipped_and_reported() -> None:
    hk = operator("HK")
    svc = hk.service()
    bad = dataclasses.replace(
        svc, identity=dataclasses.replace(svc.identity, certificates=(b"\x30\x03\x02\x01\x00",))
    )
    store = trust_store_from_lists([hk.trusted_list(services=[bad])], at=at())
    assert len(store) == 0
    assert "unreadable certificate skipped" in store.skipped[0]


def test_wrong_types_are_refused() -> None:
    with pytest.raises(bayident.InvalidArgument):
        trust_store_from_lists(["not a list"], at=at())  # type: ignore[list-item]
    with pytest.raises(bayident.InvalidArgument):
        trust_store_from_lists([], at=dt.datetime(2026, 1, 1))


def test_verification_against_a_list_store() -> None:
    hk = operator("HK")
    signer = hk.issue_signer("CHAN Tai Man (sandbox)")
    content = b"cross-boundary form"
    cms = signer.sign_detached_cms(content)
    store = trust_store_from_lists([hk.trusted_list()], at=at())
    result = bayident.verify(cms, content=content, trust=store, at=at())
    assert result.indication is Indication.PASSED, result.explain()
    assert any("HK #1" in s for s in result.trust_sources)
    other = trust_store_from_lists([operator("MO").trusted_list()], at=at())
    assert (
        bayident.verify(cms, content=content, trust=other, at=at()).indication
        is Indication.INDETERMINATE
    )


def test_lookups_stay_dictionary_lookups() -> None:
    # A store holds its anchors in dicts keyed by fingerprint, subject and key id.
    hk = operator("HK")
    store = trust_store_from_lists([hk.trusted_list()], at=at())
    assert isinstance(store._by_fp, dict)
    assert isinstance(store._by_key_id, dict)


# --- diff -------------------------------------------------------------------------------


def test_diff_reports_additions_removals_and_status_changes() -> None:
    hk = operator("HK")
    extra_ca = MockCA("Sandbox HK Extra CA", clock=clock())
    old = hk.trusted_list(sequence=1, services=[hk.service(), hk.service(ca=hk.issuing_ca)])
    new = hk.trusted_list(
        sequence=2,
        services=[
            hk.service(status="withdrawn", since=NOW),
            hk.service(ca=extra_ca),
        ],
    )
    d = diff_lists(old, new)
    assert (d.old_sequence, d.new_sequence) == (1, 2)
    assert [c.service for c in d.services_added] == ["Sandbox HK Extra CA"]
    assert [c.service for c in d.services_removed] == [hk.issuing_ca.name]
    assert len(d.status_changes) == 1
    change = d.status_changes[0]
    assert (change.old_status, change.new_status) == ("granted", "withdrawn")
    assert not d.empty
    assert diff_lists(old, old).empty
    assert d.to_dict()["status_changes"][0]["new_status"] == "withdrawn"
