"""One engine, one answer: every door gives the same verdict for the same evidence.

The doors are ``bayident.verify``/``averify``, ``Verifier.verify``/``averify``,
``schemes.verify_as``, ``jose.verify_jws``/``averify_jws``,
``Verifier.validate_certificate`` and the CLI's ``verify --json``. Each scenario is run
through every door that can take it, and each door's result is compared with
``Verifier.verify``'s on what the formats share: indication, sub-indication, identity
and the names of the checks that did not pass.

Known divergences are strict xfails naming the defect, so fixing one turns its xfail
into a failure that asks for the mark to go.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import bayident
from _revocation_kit import CONTENT as REV_CONTENT
from _revocation_kit import RevPKI, make_pki
from bayident import CheckOutcome, Policy, VerificationResult
from bayident.jose import averify_jws, verify_jws
from bayident.schemes import verify_as
from bayident.testing import (
    MockCA,
    MockClock,
    MockGuangdongCA,
    MockHongkongPostCA,
    MockJWTIssuer,
    sandbox_registry,
)

DOC = b"Cross-boundary application form, parity sandbox.\n"
# Real time, so that "now" means the same to every door (the module functions and the CLI
# have no clock argument); certificates start one day before.
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
UNREACHED = (CheckOutcome.FAILED, CheckOutcome.INDETERMINATE)


@dataclass(frozen=True)
class Verdict:
    """What every door must agree on."""

    indication: str
    sub_indication: str | None
    identity: tuple[str | None, str | None] | None  # (scheme, name)
    not_passed: frozenset[str]

    @classmethod
    def of(cls, result: VerificationResult) -> Verdict:
        ident = result.identity
        return cls(
            result.indication.value,
            result.sub_indication.value if result.sub_indication else None,
            None if ident is None else (ident.scheme, ident.name_en or ident.name_zh),
            frozenset(c.name for c in result.checks if c.outcome in UNREACHED),
        )

    @classmethod
    def of_json(cls, data: dict[str, Any]) -> Verdict:
        ident = data.get("identity")
        return cls(
            data["indication"],
            data.get("sub_indication"),
            None
            if ident is None
            else (ident.get("scheme"), ident.get("name_en") or ident.get("name_zh")),
            frozenset(
                c["name"] for c in data["checks"] if c["outcome"] in {o.value for o in UNREACHED}
            ),
        )


@dataclass
class Case:
    """One piece of evidence and the circumstances it is verified in."""

    evidence: bytes
    fmt: str  # cms, jws, sm2-cms
    content: bytes | None
    trust: list[bytes]  # PEM roots
    intermediates: list[bytes]  # DER
    leaf: bytes  # DER, for validate_certificate
    scheme: str | None
    at: dt.datetime | None = None
    policy: Policy | None = None
    make_verifier: Callable[[Policy | None], bayident.Verifier] | None = None
    offline: bool = True  # no fetching needed: the module functions and the CLI can take it
    chain_only: bool = True  # the scenario is about the certificate path alone
    registry: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def verifier(self) -> bayident.Verifier:
        if self.make_verifier is not None:
            return self.make_verifier(self.policy)
        return bayident.Verifier(trust=self.trust, policy=self.policy, schemes=self.registry)


# ------------------------------------------------------------------------------ doors


def _verify(case: Case) -> Verdict:
    return Verdict.of(
        bayident.verify(
            case.evidence,
            content=case.content,
            trust=case.trust,
            at=case.at,
            policy=case.policy,
            extra_certs=case.intermediates,
            schemes=case.registry,
        )
    )


def _averify(case: Case) -> Verdict:
    return Verdict.of(
        asyncio.run(
            bayident.averify(
                case.evidence,
                content=case.content,
                trust=case.trust,
                at=case.at,
                policy=case.policy,
                extra_certs=case.intermediates,
                schemes=case.registry,
            )
        )
    )


def _verifier_verify(case: Case) -> Verdict:
    return Verdict.of(
        case.verifier().verify(
            case.evidence, content=case.content, at=case.at, extra_certs=case.intermediates
        )
    )


def _verifier_averify(case: Case) -> Verdict:
    return Verdict.of(
        asyncio.run(
            case.verifier().averify(
                case.evidence, content=case.content, at=case.at, extra_certs=case.intermediates
            )
        )
    )


def _verify_as(case: Case) -> Verdict:
    assert case.scheme is not None
    return Verdict.of(
        verify_as(
            case.scheme,
            case.evidence,
            content=case.content,
            at=case.at,
            extra_certs=case.intermediates,
            verifier=case.verifier(),
        )
    )


def _verify_jws(case: Case) -> Verdict:
    return Verdict.of(
        verify_jws(
            case.evidence,
            content=case.content,
            at=case.at,
            extra_certs=case.intermediates,
            verifier=case.verifier(),
        )
    )


def _averify_jws(case: Case) -> Verdict:
    return Verdict.of(
        asyncio.run(
            averify_jws(
                case.evidence,
                content=case.content,
                at=case.at,
                extra_certs=case.intermediates,
                verifier=case.verifier(),
            )
        )
    )


def _validate_certificate(case: Case) -> Verdict:
    result = case.verifier().validate_certificate(
        case.leaf, intermediates=case.intermediates, at=case.at
    )
    return Verdict.of(result)


def _cli(case: Case, tmp: Path) -> Verdict:
    from bayident.cli import main

    evidence = tmp / "evidence"
    evidence.write_bytes(case.evidence)
    argv = ["verify", str(evidence), "--json"]
    if case.content is not None:
        (tmp / "content").write_bytes(case.content)
        argv += ["--content", str(tmp / "content")]
    for i, pem in enumerate(case.trust):
        (tmp / f"root{i}.pem").write_bytes(pem)
        argv += ["--trust-anchor", str(tmp / f"root{i}.pem")]
    for i, der in enumerate(case.intermediates):
        (tmp / f"ca{i}.der").write_bytes(der)
        argv += ["--cert", str(tmp / f"ca{i}.der")]
    if case.at is not None:
        argv += ["--at", case.at.isoformat()]
    if case.policy is not None:
        (tmp / "policy.json").write_text(case.policy.model_dump_json(exclude_defaults=True))
        argv += ["--policy", str(tmp / "policy.json")]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(argv)
    data = json.loads(out.getvalue())
    verdict = Verdict.of_json(data)
    assert code == {"PASSED": 0, "FAILED": 1, "INDETERMINATE": 2}[verdict.indication]
    return verdict


DOORS: dict[str, Callable[..., Verdict]] = {
    "verify": _verify,
    "averify": _averify,
    "Verifier.averify": _verifier_averify,
    "verify_as": _verify_as,
    "verify_jws": _verify_jws,
    "averify_jws": _averify_jws,
    "validate_certificate": _validate_certificate,
    "cli": _cli,
}


def _applies(door: str, case: Case) -> str | None:
    """Why ``door`` cannot take ``case`` (None: it can)."""
    if door in ("verify", "averify", "cli") and not case.offline:
        return "the module functions and the CLI take no HTTP client or clock"
    if door == "verify_as" and case.scheme is None:
        return "no scheme adapter claims this signer"
    if door in ("verify_jws", "averify_jws") and case.fmt != "jws":
        return "a JWS door"
    if door == "validate_certificate" and not case.chain_only:
        return "the scenario is about the signature, not the certificate path"
    return None


# -------------------------------------------------------------------------- scenarios


@dataclass
class Signers:
    """One signer per format, under one scheme PKI each."""

    hkpost: MockHongkongPostCA
    gdca_sm2: MockGuangdongCA | None
    other_root: MockCA
    registry: Any


@pytest.fixture(scope="module")
def signers() -> Signers:
    clock = MockClock(NOW)
    hkpost = MockHongkongPostCA(clock=clock)
    try:
        gdca: MockGuangdongCA | None = MockGuangdongCA(algorithm="sm2", clock=clock)
    except bayident.BayidentError:
        gdca = None  # the sm extra is not installed
    adapters = [hkpost.adapter()] + ([gdca.adapter()] if gdca is not None else [])
    return Signers(
        hkpost, gdca, MockCA("Unrelated Sandbox Root", clock=clock), sandbox_registry(*adapters)
    )


FORMATS = ("cms", "jws", "sm2-cms")
SCENARIOS = ("valid", "untrusted-root", "missing-policy", "expired", "past-time", "tampered")


def _case(signers: Signers, fmt: str, scenario: str) -> Case:
    if fmt == "sm2-cms":
        if signers.gdca_sm2 is None:
            pytest.skip("SM2 needs the sm extra (pip install 'bayident[sm]')")
        ca: Any = signers.gdca_sm2
        signer = ca.issue_person("LI Hua", "11010519491231002X")
        root_pem = ca.sm2_root.cert_pem
        scheme = "gdca"
    else:
        ca = signers.hkpost
        signer = ca.issue_personal("CHAN Tai Man", srn="0012345678")
        root_pem = ca.root.cert_pem
        scheme = "hkpost-ecert"
    if fmt == "jws":
        issuer = MockJWTIssuer.from_signer(signer)
        evidence = issuer.sign_detached(DOC, x5c=[signer.cert_der]).encode()
    else:
        evidence = signer.sign_detached_cms(DOC)
    case = Case(
        evidence=evidence,
        fmt=fmt,
        content=DOC,
        trust=[root_pem],
        intermediates=ca.intermediates(),
        leaf=signer.cert_der,
        scheme=scheme,
        registry=signers.registry,
    )
    if scenario == "untrusted-root":
        case.trust = [signers.other_root.cert_pem]
    elif scenario == "missing-policy":
        case.policy = Policy(required_policy_oids=("1.3.6.1.4.1.99999.1.2.3",))
    elif scenario == "expired":
        case.at = NOW + dt.timedelta(days=20 * 365)
    elif scenario == "past-time":
        case.at = NOW - dt.timedelta(hours=2)
    elif scenario == "tampered":
        case.content = DOC.replace(b"form", b"farm")
        case.chain_only = False
    return case


# Divergences known when the matrix was written; each names its defect.
XFAIL: dict[tuple[str, str, str], str] = {}


def _takes(door: str, fmt: str, scenario: str) -> bool:
    """Whether ``door`` can take evidence of ``fmt`` in ``scenario`` at all."""
    if door in ("verify_jws", "averify_jws") and fmt != "jws":
        return False
    return not (door == "validate_certificate" and scenario == "tampered")


def _params() -> Iterator[Any]:
    for door in DOORS:
        for fmt in FORMATS:
            for scenario in SCENARIOS:
                if not _takes(door, fmt, scenario):
                    continue
                marks = []
                reason = XFAIL.get((door, fmt, scenario))
                if reason is not None:
                    marks.append(pytest.mark.xfail(reason=reason, strict=True))
                yield pytest.param(door, fmt, scenario, id=f"{door}-{fmt}-{scenario}", marks=marks)


@pytest.mark.parametrize(("door", "fmt", "scenario"), list(_params()))
def test_every_door_gives_the_same_verdict(
    signers: Signers, door: str, fmt: str, scenario: str, tmp_path: Path
) -> None:
    case = _case(signers, fmt, scenario)
    why = _applies(door, case)
    if why is not None:
        pytest.skip(why)
    reference = _verifier_verify(case)
    got = _cli(case, tmp_path) if door == "cli" else DOORS[door](case)
    if door == "verify_as" and reference.indication != "PASSED":
        # verify_as adds its own "scheme" check when the evidence could not be shown to
        # belong to the scheme; the verdict is the same.
        got = Verdict(got.indication, got.sub_indication, got.identity, got.not_passed - {"scheme"})
    if door == "validate_certificate":
        # A certificate has no signature checks of its own to compare.
        reference = Verdict(
            reference.indication,
            reference.sub_indication,
            reference.identity,
            frozenset(
                n
                for n in reference.not_passed
                if n.startswith(("certificate", "revocation", "scheme"))
            ),
        )
    assert got == reference


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_reference_verdicts_are_the_expected_ones(
    signers: Signers, fmt: str, scenario: str
) -> None:
    # The matrix only means something if the reference is right.
    case = _case(signers, fmt, scenario)
    verdict = _verifier_verify(case)
    expected = {
        "valid": ("PASSED", None),
        "past-time": ("PASSED", None),
        "untrusted-root": ("INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND"),
        "missing-policy": ("INDETERMINATE", "CHAIN_CONSTRAINTS_FAILURE"),
        "expired": ("INDETERMINATE", "OUT_OF_BOUNDS_NO_POE"),
        # A JWS signs its payload directly: changed content breaks the signature itself.
        "tampered": ("FAILED", "SIG_CRYPTO_FAILURE" if fmt == "jws" else "HASH_FAILURE"),
    }[scenario]
    assert (verdict.indication, verdict.sub_indication) == expected
    if verdict.indication == "PASSED":
        assert verdict.identity is not None
        assert verdict.identity[0] == case.scheme


# Checks only one format has: CMS signed attributes, JWS header checks.
FORMAT_CHECKS = frozenset(
    {"signing-time", "message-digest", "content-type", "signing-certificate", "signature"}
)
FORMAT_XFAIL: dict[str, str] = {}


@pytest.mark.parametrize(
    "scenario",
    [
        pytest.param(s, marks=[pytest.mark.xfail(reason=FORMAT_XFAIL[s], strict=True)])
        if s in FORMAT_XFAIL
        else s
        for s in SCENARIOS
    ],
)
def test_cms_and_jws_from_one_signer_get_the_same_verdict(signers: Signers, scenario: str) -> None:
    cms = _verifier_verify(_case(signers, "cms", scenario))
    jws = _verifier_verify(_case(signers, "jws", scenario))
    assert cms.indication == jws.indication
    if scenario != "tampered":  # HASH_FAILURE for CMS, SIG_CRYPTO_FAILURE for JWS
        assert cms.sub_indication == jws.sub_indication
    assert cms.identity == jws.identity
    assert cms.not_passed - FORMAT_CHECKS == jws.not_passed - FORMAT_CHECKS


# ------------------------------------------------------------------ revocation group


REV_DOORS = ("Verifier.averify", "verify_jws", "averify_jws", "validate_certificate")
REV_SCENARIOS = ("valid", "past-time", "revoked")
REV_XFAIL: dict[tuple[str, str], str] = {}


def _rev_case(fmt: str, scenario: str) -> Case:
    rpki: RevPKI = make_pki()
    if fmt == "jws":
        evidence = (
            MockJWTIssuer.from_signer(rpki.signer).sign_detached(REV_CONTENT, x5c=True).encode()
        )
    else:
        evidence = rpki.signer.sign_detached_cms(REV_CONTENT)
    case = Case(
        evidence=evidence,
        fmt=fmt,
        content=REV_CONTENT,
        trust=[rpki.root.cert_pem],
        intermediates=[rpki.intermediate.cert_der],
        leaf=rpki.signer.cert_der,
        scheme=None,
        make_verifier=lambda policy: rpki.verifier(policy) if policy else rpki.verifier(),
        offline=False,
    )
    if scenario == "past-time":
        case.at = rpki.clock.now() - dt.timedelta(hours=2)
    elif scenario == "revoked":
        rpki.ocsp.revoke(rpki.signer, at=rpki.clock.now() - dt.timedelta(hours=1))
    return case


def _rev_params() -> Iterator[Any]:
    for door in REV_DOORS:
        for fmt in ("cms", "jws"):
            for scenario in REV_SCENARIOS:
                if not _takes(door, fmt, scenario):
                    continue
                reason = REV_XFAIL.get((door, scenario)) if fmt == "jws" else None
                marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
                yield pytest.param(door, fmt, scenario, id=f"{door}-{fmt}-{scenario}", marks=marks)


@pytest.mark.parametrize(("door", "fmt", "scenario"), list(_rev_params()))
def test_revocation_verdicts_agree_across_doors(door: str, fmt: str, scenario: str) -> None:
    case = _rev_case(fmt, scenario)
    why = _applies(door, case)
    if why is not None:
        pytest.skip(why)
    reference = _verifier_verify(case)
    expected = {
        "valid": ("PASSED", None),
        "past-time": ("PASSED", None),
        "revoked": ("INDETERMINATE", "REVOKED_NO_POE"),
    }[scenario]
    assert (reference.indication, reference.sub_indication) == expected
    got = DOORS[door](case)
    if door == "validate_certificate":
        reference = Verdict(
            reference.indication,
            reference.sub_indication,
            reference.identity,
            frozenset(
                n for n in reference.not_passed if n.startswith(("certificate", "revocation"))
            ),
        )
    assert got == reference


# ---------------------------------------------------------------- scheme envelopes


def test_verify_as_agrees_with_verify_on_a_cms_iamsmart_signing_result() -> None:
    # The iAM Smart envelope carries a CMS; the scheme the caller expects is the
    # envelope's, and the CMS inside runs through the caller's verifier.
    import base64
    import hashlib

    from bayident.identifiers import hkid_hash
    from bayident.schemes import scheme_evidence
    from bayident.testing import MockIAmSmart

    clock = MockClock(NOW)
    iam = MockIAmSmart(clock=clock)
    user = iam.enrol("G123456(A)", "LEE, Ka Yan")
    digest = hashlib.sha256(DOC).hexdigest()
    result = iam.sign_hash(user, digest, business_id="B-1", state="s-1")
    result["signature"] = base64.b64encode(user.certificate.sign_detached_cms(DOC)).decode()
    data = {
        "result": result,
        "request": {
            "hashCode": digest,
            "HKICHash": hkid_hash(user.hkid),
            "businessID": "B-1",
            "state": "s-1",
        },
        "signer": {"hkid": user.hkid, "openID": user.open_id},
    }
    registry = sandbox_registry(iam.adapter(signature_encoding="cms"), iam.hongkong_post.adapter())
    evidence = scheme_evidence("iamsmart", "signing-result", data)
    verifier = bayident.Verifier(
        trust=iam.hongkong_post.trust_store(), clock=clock, schemes=registry
    )
    kw: dict[str, Any] = {"content": DOC, "extra_certs": iam.hongkong_post.intermediates()}
    plain = Verdict.of(verifier.verify(evidence, **kw))
    expected = Verdict.of(verify_as("iamsmart", evidence, verifier=verifier, **kw))
    assert plain.indication == "PASSED"
    assert expected == plain
