"""Recognition policy: rules, the Guangdong–Hong Kong default, and loading from files."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

import bayident
from _trustlist_kit import NOW, at, clock
from bayident import PolicyError, TrustAnchor, TrustStore
from bayident.testing import MockCA, MockTrustListOperator
from bayident.trustlist import (
    GBA_MUTUAL_RECOGNITION_POLICY_ARC as ARC,
)
from bayident.trustlist import (
    ChainInfo,
    RecognitionPolicy,
    RecognitionRule,
    TrustListStore,
    trust_store_from_lists,
)

MR_OID = f"{ARC}.2018.1.1"


@cache
def hongkong_post() -> tuple[MockCA, MockCA]:
    # Sandbox keys under the names the arrangement's public record gives.
    root = MockCA("Hongkong Post Root CA 2", clock=clock(), policies=["2.5.29.32.0"])
    return root, root.create_child_ca("Hongkong Post e-Cert CA 2 - 15", policies=["2.5.29.32.0"])


def hk_store(
    status: str = "granted",
    since: dt.datetime | None = None,
    history: Sequence[tuple[dt.datetime, str]] = (),
) -> TrustListStore:
    root, _ = hongkong_post()
    op = MockTrustListOperator("HK", clock=clock())
    tl = op.trusted_list(
        services=[op.service(ca=root, status=status, since=since, history=history)]
    )
    return trust_store_from_lists([tl], at=at(), include_inactive=True)


def chain(
    policies: Sequence[str] = (MR_OID,), issuer: MockCA | None = None
) -> list[x509.Certificate]:
    root, ca = hongkong_post()
    s = (issuer or ca).issue_signer("CHAN Tai Man", policies=list(policies) or None)
    return [s.certificate, (issuer or ca).certificate, root.certificate]


def anchor(store: TrustStore) -> TrustAnchor:
    return next(iter(store))


POLICY = RecognitionPolicy.greater_bay_area_default()


def test_a_hongkong_post_mutual_recognition_certificate_is_admitted_for_signing() -> None:
    d = POLICY.evaluate(chain(), anchor(hk_store()), "sign", at=at())
    assert d.admitted
    assert d.rule == "gd-hk-mr/hongkong-post-e-cert-ca-2-15"
    assert d.assurance == "substantial"
    assert d.purpose == "sign"


def test_without_the_mutual_recognition_policy_it_is_not() -> None:
    d = POLICY.evaluate(
        chain(policies=("1.3.6.1.4.1.16030.1.1",)), anchor(hk_store()), "sign", at=at()
    )
    assert not d.admitted
    assert f"asserts no policy under {ARC}" in d.reason
    assert "1.3.6.1.4.1.16030.1.1" in d.reason


def test_a_policy_that_merely_shares_a_prefix_is_not_under_the_arc() -> None:
    d = POLICY.evaluate(chain(policies=(ARC + "9.1",)), anchor(hk_store()), "sign", at=at())
    assert not d.admitted


def test_another_issuing_ca_is_not_admitted() -> None:
    root, _ = hongkong_post()
    other = root.create_child_ca("Hongkong Post e-Cert CA 3 - 22")
    d = POLICY.evaluate(chain(issuer=other), anchor(hk_store()), "sign", at=at())
    assert not d.admitted
    assert "'Hongkong Post e-Cert CA 3 - 22'" in d.reason


def test_authentication_is_not_covered_by_the_arrangement() -> None:
    d = POLICY.evaluate(chain(), anchor(hk_store()), "authenticate", at=at())
    assert not d.admitted
    assert d.rule == ""
    assert "covers the purpose 'authenticate'" in d.reason


def test_an_anchor_that_did_not_come_from_a_list_is_not_enough() -> None:
    root, _ = hongkong_post()
    plain = bayident.TrustStore.from_certificates([root.certificate])
    d = POLICY.evaluate(chain(), next(iter(plain)), "sign", at=at())
    assert not d.admitted
    assert "jurisdiction is unknown" in d.reason
    assert not POLICY.evaluate(chain(), None, "sign", at=at()).admitted


def test_the_status_at_the_validation_time_decides() -> None:
    granted = NOW - dt.timedelta(days=300)
    withdrawn = NOW - dt.timedelta(days=10)
    store = hk_store(status="withdrawn", since=withdrawn, history=[(granted, "granted")])
    a = anchor(store)
    assert not POLICY.evaluate(chain(), a, "sign", at=at()).admitted
    assert "withdrawn" in POLICY.evaluate(chain(), a, "sign", at=at()).reason
    assert POLICY.evaluate(chain(), a, "sign", at=NOW - dt.timedelta(days=100)).admitted


def test_the_guangdong_rule_waits_for_its_setting() -> None:
    gd = MockTrustListOperator("CN-GD", clock=clock())
    store = trust_store_from_lists([gd.trusted_list()], at=at())
    signer = gd.issue_signer("Sandbox GD person")
    certs = [signer.certificate, gd.issuing_ca.certificate, gd.root.certificate]
    d = POLICY.evaluate(certs, anchor(store), "sign", at=at())
    assert not d.admitted
    assert "Guangdong-side CA list is not public" in d.reason
    configured = RecognitionPolicy.greater_bay_area_default(
        guangdong_anchor_names=[gd.root.name], guangdong_assurance="high"
    )
    d = configured.evaluate(certs, anchor(store), "sign", at=at(), minimum_assurance="high")
    assert d.admitted
    assert d.rule == "gd-hk-mr/guangdong-cas"
    assert d.assurance == "high"


def test_minimum_assurance() -> None:
    d = POLICY.evaluate(chain(), anchor(hk_store()), "sign", at=at(), minimum_assurance="high")
    assert not d.admitted
    assert "gives assurance 'substantial', 'high' is required" in d.reason


def test_the_verifier_report_is_enough() -> None:
    _root, ca = hongkong_post()
    signer = ca.issue_signer("CHAN Tai Man", policies=[MR_OID])
    store = hk_store()
    result = bayident.verify(
        signer.sign_detached_cms(b"form"), content=b"form", trust=store, at=at()
    )
    assert result.passed, result.explain()
    report = result.signers[0]
    assert ChainInfo.from_report(report).issuer_names[0] == "Hongkong Post e-Cert CA 2 - 15"
    assert POLICY.evaluate(report, anchor(store), "sign", at=at()).admitted


def test_names_compare_without_case_spacing_or_dash_style() -> None:
    from bayident.trustlist._recognition import _norm

    assert _norm("Hongkong Post e-Cert CA 2 \u2013 15") == _norm("HONGKONG POST  e-Cert CA 2 - 15")


def test_rfc4514_escapes_are_undone() -> None:
    from bayident.trustlist._recognition import _cn_of_rfc4514

    assert _cn_of_rfc4514(r"CN=Smith\, John+2.5.4.5=1,O=X") == "Smith, John"
    assert _cn_of_rfc4514("O=X,C=HK") == ""


def test_wrong_arguments() -> None:
    with pytest.raises(bayident.InvalidArgument):
        POLICY.evaluate(chain(), None, "encrypt")  # type: ignore[arg-type]
    with pytest.raises(bayident.InvalidArgument):
        POLICY.evaluate("not a chain", None, "sign")  # type: ignore[arg-type]
    with pytest.raises(bayident.InvalidArgument):
        POLICY.evaluate(chain(), None, "sign", at=dt.datetime(2026, 1, 1))


# --- files --------------------------------------------------------------------------------

RULES: dict[str, Any] = {
    "name": "sandbox",
    "rules": [
        {
            "name": "hk-sign",
            "purposes": ["sign"],
            "assurance": "high",
            "jurisdictions": ["HK"],
            "service_types": ["CA/QC"],
            "policy_oids": [ARC],
        }
    ],
}


def test_from_json_toml_and_yaml(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text(json.dumps(RULES))
    (tmp_path / "p.toml").write_text(
        '[recognition]\nname = "sandbox"\n[[recognition.rules]]\nname = "hk-sign"\n'
        'purposes = ["sign"]\nassurance = "high"\njurisdictions = ["HK"]\n'
        f'service_types = ["CA/QC"]\npolicy_oids = ["{ARC}"]\n'
    )
    (tmp_path / "p.yaml").write_text(
        "name: sandbox\nrules:\n  - name: hk-sign\n    purposes: [sign]\n    assurance: high\n"
        f"    jurisdictions: [HK]\n    service_types: [CA/QC]\n    policy_oids: ['{ARC}']\n"
    )
    loaded = [
        RecognitionPolicy.from_file(tmp_path / f"p.{ext}") for ext in ("json", "toml", "yaml")
    ]
    assert loaded[0] == loaded[1] == loaded[2]
    rule = loaded[0].rules[0]
    assert rule.service_types == ("http://uri.etsi.org/TrstSvc/Svctype/CA/QC",)
    d = loaded[0].evaluate(chain(), anchor(hk_store()), "sign", at=at())
    assert d.admitted
    assert d.rule == "hk-sign"
    assert d.assurance == "high"


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("dup.json", '{"name": "a", "name": "b"}', "duplicate member name 'name'"),
        ("dup.yaml", "name: a\nname: b\n", "duplicate key 'name'"),
        ("unknown.json", '{"rules": [], "extra": 1}', "extra"),
        (
            "oid.json",
            json.dumps({"rules": [dict(RULES["rules"][0], policy_oids=["2.16.x"])]}),
            "not a dotted OID",
        ),
        (
            "purpose.json",
            json.dumps({"rules": [dict(RULES["rules"][0], purposes=["encrypt"])]}),
            "rules.0.purposes.0",
        ),
        (
            "twice.json",
            json.dumps({"rules": [RULES["rules"][0], RULES["rules"][0]]}),
            "repeated: hk-sign",
        ),
        ("bad.toml", "rules = [", "not valid .toml"),
        ("list.json", "[]", "table/object at top level"),
    ],
)
def test_bad_policy_files(tmp_path: Path, name: str, text: str, words: str) -> None:
    (tmp_path / name).write_text(text)
    with pytest.raises(PolicyError, match=None) as info:
        RecognitionPolicy.from_file(tmp_path / name)
    assert words in str(info.value)


def test_a_missing_policy_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        RecognitionPolicy.from_file(tmp_path / "absent.json")


def test_the_default_policy_cites_its_sources() -> None:
    for rule in POLICY.rules:
        assert rule.sources, rule.name
    assert RecognitionRule(name="x", purposes=("sign",), assurance="low").enabled
