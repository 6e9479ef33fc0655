"""Real ETSI TS 119 612 lists (EU DSS test resources): integrity, content and trust by pointer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from _trustlist_kit import conformance_dir
from bayident.cli import main
from bayident.trustlist import (
    ServiceStatus,
    ServiceType,
    SignatureStatus,
    TrustListValidator,
    load_trusted_list,
    pointers_to,
    signers_from_pointers,
    trust_store_from_lists,
)

pytestmark = pytest.mark.conformance

# The expected integrity of each list, from the conformance folder's README.
EXPECTED = {
    "eu-lotl.xml": SignatureStatus.VALID,
    "eu-lotl-broken-sig.xml": SignatureStatus.INVALID,
    "eu-lotl-no-sig.xml": SignatureStatus.MISSING,
    "eu-lotl-not-parseable.xml": SignatureStatus.MALFORMED,
    "fi-v5.xml": SignatureStatus.VALID,
    "fi-v6.xml": SignatureStatus.VALID,
    "lotlCache_CY.xml": SignatureStatus.VALID,
    "lotlCache_DK.xml": SignatureStatus.VALID,
    "lotlCache_IS.xml": SignatureStatus.VALID,
    "lotlCache_SE.xml": SignatureStatus.VALID,
    "sk-tl.xml": SignatureStatus.VALID,
    "sk-tl-altered-tsp.xml": SignatureStatus.INVALID,
    "sk-tl-altered-trust-service.xml": SignatureStatus.INVALID,
    "tl-ecdsa-brainpool.xml": SignatureStatus.VALID,
    "mra-lotl.xml": SignatureStatus.VALID,
    "mra-zz-tl.xml": SignatureStatus.VALID,
    "tl-empty.xml": SignatureStatus.MISSING,
}

_DOCS: dict[str, object] = {}


def doc(name: str):  # type: ignore[no-untyped-def]
    if name not in _DOCS:
        _DOCS[name] = load_trusted_list(conformance_dir() / name)
    return _DOCS[name]


def test_every_file_of_the_folder_has_an_expectation() -> None:
    assert {p.name for p in conformance_dir().glob("*.xml")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_integrity_matches_the_expected_outcome(name: str) -> None:
    d = doc(name)
    assert d.status is EXPECTED[name], d.describe()
    if d.status is SignatureStatus.VALID:
        assert d.trusted_list is not None
        assert d.signature_verified
    else:
        assert d.trusted_list is None  # never offered for trust


def test_reasons_name_what_is_wrong() -> None:
    assert "digest mismatch" in doc("eu-lotl-broken-sig.xml").reason
    assert "changed after signing" in doc("sk-tl-altered-tsp.xml").reason
    assert "not well-formed" in doc("eu-lotl-not-parseable.xml").reason
    assert doc("tl-empty.xml").field == "ds:Signature"


def test_versions_5_6_and_the_older_layout_are_read() -> None:
    assert doc("fi-v5.xml").trusted_list.version == 5
    assert doc("fi-v6.xml").trusted_list.version == 6
    brainpool = doc("tl-ecdsa-brainpool.xml").trusted_list
    assert brainpool.version == 3
    assert brainpool.service_count == 148


def test_list_of_lists_and_its_pointers() -> None:
    lotl = doc("eu-lotl.xml").trusted_list
    assert lotl.kind == "list-of-lists"
    assert lotl.territory == "EU"
    assert lotl.sequence_number == 248
    assert lotl.issue_date == dt.datetime(2019, 9, 4, 8, 0, tzinfo=dt.UTC)
    assert lotl.next_update == dt.datetime(2020, 3, 4, tzinfo=dt.UTC)
    assert len(lotl.pointers) == 44
    se = pointers_to(lotl, territory="SE")
    assert se
    assert se[0].location == "https://trustedlist.pts.se/SE-TL.xml"
    assert se[0].mime_type == "application/vnd.etsi.tsl+xml"
    assert lotl.pivot_urls == ()  # this 2019 list predates pivots


@pytest.mark.parametrize(
    ("name", "territory"),
    [
        ("lotlCache_CY.xml", "CY"),
        ("lotlCache_DK.xml", "DK"),
        ("lotlCache_IS.xml", "IS"),
        ("lotlCache_SE.xml", "SE"),
        ("sk-tl.xml", "SK"),
    ],
)
def test_national_lists_are_trusted_through_the_eu_pointer(name: str, territory: str) -> None:
    lotl = doc("eu-lotl.xml").trusted_list
    signers = signers_from_pointers(pointers_to(lotl, territory=territory))
    acc = TrustListValidator().accept(doc(name), signers=signers, check_freshness=False)
    assert acc.accepted, acc.reason


def test_a_list_signed_by_a_signer_the_pointer_does_not_name_is_not_trusted() -> None:
    lotl = doc("eu-lotl.xml").trusted_list
    signers = signers_from_pointers(pointers_to(lotl, territory="FI"))
    acc = TrustListValidator().accept(doc("fi-v5.xml"), signers=signers, check_freshness=False)
    assert not acc.accepted
    assert "not among the 2 trusted signer(s)" in acc.reason


def test_the_eu_list_trusts_itself_through_its_own_pointer() -> None:
    lotl = doc("eu-lotl.xml").trusted_list
    own = [p for p in lotl.pointers if p.is_list_of_lists]
    acc = TrustListValidator().accept(
        doc("eu-lotl.xml"), signers=signers_from_pointers(own), check_freshness=False
    )
    assert acc.accepted


def test_the_eu_list_is_out_of_date_today() -> None:
    d = doc("eu-lotl.xml")
    acc = TrustListValidator().accept(d, signers=[d.signer_certificate])
    assert not acc.accepted
    assert "out of date" in acc.reason


def test_qualifications_are_exposed() -> None:
    fi = doc("fi-v6.xml").trusted_list
    quals = [q for _, s in fi.services() for q in s.qualifications]
    assert any("QCForESig" in q.qualifier_names for q in quals)
    with_ku = [q for q in quals if q.criteria.key_usage]
    assert with_ku
    assert with_ku[0].criteria.key_usage[0] == (("nonRepudiation", True),)
    policies = [ps for q in quals for ps in q.criteria.policy_sets]
    assert ("1.2.246.517.1.10.34",) in policies or any(p[0].startswith("1.2.246") for p in policies)


def test_status_history_gives_the_status_in_force_at_a_time() -> None:
    sk = doc("sk-tl.xml").trusted_list
    with_history = [s for _, s in sk.services() if s.history]
    assert with_history
    s = with_history[0]
    first_start, first_status = s.status_history[0]
    assert s.status_at(first_start) == first_status
    assert s.status_at(first_start - dt.timedelta(seconds=1)) is None
    assert s.status_at(dt.datetime(2100, 1, 1, tzinfo=dt.UTC)) == s.status


def test_trust_store_from_a_real_list() -> None:
    sk = doc("sk-tl.xml").trusted_list
    store = trust_store_from_lists(
        [sk], at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC), include_inactive=True
    )
    assert len(store) > 0
    anchor = next(iter(store))
    assert anchor.list_territory == "SK"
    assert anchor.jurisdiction == "SK"
    assert anchor.service_type in ServiceType.CERTIFICATE_ISSUERS
    assert store.by_fingerprint(anchor.fingerprint) is anchor
    assert anchor in store.by_subject(anchor.subject_der)
    refs = store.services_for(anchor)
    assert refs
    assert refs[0].trusted_list is sk
    active = trust_store_from_lists([sk], at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert 0 < len(active) <= len(store)
    assert all(
        a.status_at(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        in {
            ServiceStatus.GRANTED,
            ServiceStatus.RECOGNISED_AT_NATIONAL_LEVEL,
            ServiceStatus.ACCREDITED,
            ServiceStatus.UNDER_SUPERVISION,
            ServiceStatus.SET_BY_NATIONAL_LAW,
            ServiceStatus.SUPERVISION_IN_CESSATION,
        }
        for a in active
    )


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("lotlCache_SE.xml", 0),
        ("sk-tl-altered-trust-service.xml", 1),
        ("tl-empty.xml", 1),
        ("eu-lotl-not-parseable.xml", 1),
    ],
)
def test_cli_inspect_exit_codes_on_real_lists(
    name: str, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    path: Path = conformance_dir() / name
    assert main(["trustlist", "inspect", str(path)]) == code
    out, err = capsys.readouterr()
    assert f"signature_status:  {EXPECTED[name].value}" in out
    assert "Traceback" not in err
