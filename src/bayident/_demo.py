"""``bayident demo``: a cross-border verification on a sandbox PKI, checking its own verdicts.

Everything here is made up on the spot with :mod:`bayident.testing`: the two
roots only borrow the *names* of real Hong Kong and Guangdong authorities so the
story reads true, and carry "Sandbox" in every name. The mutual-recognition
policy OID is illustrative; no real certificate is involved.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import serialization

from ._policy import Policy
from ._result import Check, CheckOutcome, Indication, SubIndication, VerificationResult

if TYPE_CHECKING:
    from .cli._render import Renderer

__all__ = ["MUTUAL_RECOGNITION_ARC", "SANDBOX_PERSONAL_POLICY", "DemoCase", "run", "run_cases"]

# Illustrative: shaped like the Hong Kong (2.16.344) arc used for cross-boundary
# mutual recognition, under which the sandbox personal certificates are issued.
SANDBOX_PERSONAL_POLICY = "2.16.344.8.2.2008.810.2.2018.1.1"
MUTUAL_RECOGNITION_ARC = "2.16.344.8.2.2008.810.2"

FORM = (
    b"Cross-boundary service application (SANDBOX - not a real form)\n"
    b"Applicant: CHAN, Tai Man\n"
    b"Service: company registration, Nansha, Guangzhou\n"
    b"Fee: HKD 1,000.00\n"
    b"Date: 2025-03-01\n"
)

# One changed character, as an attacker would make it.
TAMPERED_FORM = FORM.replace(b"HKD 1,000.00", b"HKD 9,000.00")

# Checks worth showing when a case passes; a failing case shows what failed.
_KEY_CHECK_WORDS = ("digest", "signature", "chain", "path", "trust", "polic")


@dataclass(frozen=True)
class DemoCase:
    """One situation of the demo, the verdict expected and the verdict got."""

    title: str
    story: str
    expected: Indication
    expected_sub: SubIndication | None
    result: VerificationResult

    @property
    def as_expected(self) -> bool:
        """The indication matches, and so does the sub-indication when one is expected."""
        if self.result.indication is not self.expected:
            return False
        return self.expected_sub is None or self.result.sub_indication is self.expected_sub


@dataclass(frozen=True)
class _Sandbox:
    hk_root_pem: bytes
    ecert_ca_pem: bytes
    gd_root_pem: bytes
    personal_signature: bytes
    company_signature: bytes
    personal_jws: bytes = b""
    # The Hong Kong trusted list naming the sandbox root, signed by its operator.
    trust_list_json: bytes = b""
    trust_list_xml: bytes | None = None  # needs the etsi extra
    trust_list_signer_pem: bytes = b""


def _trust_lists(hk_root: Any) -> tuple[bytes, bytes | None, bytes]:
    from .testing import MockTrustListOperator

    operator = MockTrustListOperator("HK")
    tl = operator.trusted_list(services=[operator.service(ca=hk_root)])
    try:
        xml: bytes | None = operator.etsi_xml(tl)
    except ImportError:  # lxml and signxml come with the etsi extra
        xml = None
    signer_pem = operator.signer_certificate.public_bytes(serialization.Encoding.PEM)
    return operator.json_jws(tl).encode(), xml, signer_pem


def _build_sandbox() -> _Sandbox:
    from .testing import MockCA, MockJWTIssuer

    hk_root = MockCA(
        "Sandbox Hongkong Post Root CA", country="HK", organization="Sandbox Hongkong Post"
    )
    ecert_ca = hk_root.create_child_ca("Sandbox e-Cert CA", policies=[SANDBOX_PERSONAL_POLICY])
    personal = ecert_ca.issue_signer(
        "CHAN Tai Man (Sandbox e-Cert personal)",
        key_type="rsa",
        country="HK",
        policies=[SANDBOX_PERSONAL_POLICY],
    )
    company_signature: bytes
    gd_root_pem: bytes
    if _sm2_available():
        # Guangdong's CAs issue SM2 certificates and companies sign GB/T 35275 signed data.
        from .testing import MockSM2CA

        sm2_root = MockSM2CA("Sandbox GDCA SM2 Root", organization="Sandbox GDCA")
        sm2_company = sm2_root.issue_signer(
            "Sandbox company seal",
            organization="Sandbox Greater Bay Trading Co., Ltd.",
        )
        gd_root_pem = sm2_root.cert_pem
        company_signature = sm2_company.sign_detached_cms(FORM, gm_oids=True)
    else:
        gd_root = MockCA(
            "Sandbox GDCA Root", key_type="ec", country="CN", organization="Sandbox GDCA"
        )
        company = gd_root.issue_signer(
            "Sandbox company seal",
            key_type="ec",
            country="CN",
            organization="Sandbox Greater Bay Trading Co., Ltd.",
        )
        gd_root_pem = gd_root.cert_pem
        company_signature = company.sign_detached_cms(FORM)
    tl_json, tl_xml, tl_signer = _trust_lists(hk_root)
    return _Sandbox(
        hk_root_pem=hk_root.cert_pem,
        ecert_ca_pem=ecert_ca.cert_pem,
        gd_root_pem=gd_root_pem,
        personal_signature=personal.sign_detached_cms(FORM),
        company_signature=company_signature,
        personal_jws=MockJWTIssuer.from_signer(personal).sign_detached(FORM, x5c=True).encode(),
        trust_list_json=tl_json,
        trust_list_xml=tl_xml,
        trust_list_signer_pem=tl_signer,
    )


def _sm2_available() -> bool:
    try:
        from .sm import sm_available
    except ImportError:
        return False
    return sm_available()


def run_cases(*, keep: Path | None = None) -> list[DemoCase]:
    """Build the sandbox, verify each situation and return the cases in order."""
    from ._trust import TrustStore
    from ._verifier import verify

    now = _dt.datetime.now(_dt.UTC)
    box = _build_sandbox()
    if keep is not None:
        _write_sandbox(keep, box)

    # A Guangdong relying party that has added the Hong Kong root next to its own.
    both = TrustStore.from_certificates([box.gd_root_pem, box.hk_root_pem], name="GD + HK roots")
    gd_only = TrustStore.from_certificates([box.gd_root_pem], name="GD root only")
    mutual = Policy(required_policy_oids=(MUTUAL_RECOGNITION_ARC,))

    return [
        DemoCase(
            "Hong Kong e-Cert signature, verified in Guangdong",
            "A resident signs the form with a Hong Kong personal certificate; the Guangdong "
            f"service trusts both roots and requires a policy under {MUTUAL_RECOGNITION_ARC}.",
            Indication.PASSED,
            None,
            verify(box.personal_signature, content=FORM, trust=both, at=now, policy=mutual),
        ),
        DemoCase(
            "The same signature on a tampered form",
            "The fee on the form was changed after signing.",
            Indication.FAILED,
            SubIndication.HASH_FAILURE,
            verify(
                box.personal_signature, content=TAMPERED_FORM, trust=both, at=now, policy=mutual
            ),
        ),
        DemoCase(
            "A verifier that does not trust the Hong Kong root",
            "The Guangdong service has only its own root: the chain leads nowhere it trusts.",
            Indication.INDETERMINATE,
            SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
            verify(box.personal_signature, content=FORM, trust=gd_only, at=now, policy=mutual),
        ),
        DemoCase(
            "A Guangdong company signature, default policy",
            "A company signs the same form with a certificate from the Guangdong root"
            + (" (SM2/SM3, GB/T 35275 signed data)." if _sm2_available() else "."),
            Indication.PASSED,
            None,
            verify(box.company_signature, content=FORM, trust=both, at=now),
        ),
        DemoCase(
            "The same company signature, mutual-recognition policy required",
            "The company certificate carries no policy under the mutual-recognition arc, "
            "so this service must not accept it.",
            Indication.INDETERMINATE,
            SubIndication.CHAIN_CONSTRAINTS_FAILURE,
            verify(box.company_signature, content=FORM, trust=both, at=now, policy=mutual),
        ),
    ]


def key_checks(result: VerificationResult) -> Sequence[Check]:
    """What to show for a case: every check that did not pass, or the main ones when all passed."""
    bad = [c for c in result.checks if c.outcome is not CheckOutcome.PASSED]
    if bad:
        return bad
    main = [c for c in result.checks if any(w in c.name for w in _KEY_CHECK_WORDS)]
    return main or list(result.checks)


def _write_sandbox(directory: Path, box: _Sandbox) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "hk-root.pem": box.hk_root_pem,
        "ecert-ca.pem": box.ecert_ca_pem,
        "gd-root.pem": box.gd_root_pem,
        "form.txt": FORM,
        "form-tampered.txt": TAMPERED_FORM,
        "form.personal.p7s": box.personal_signature,
        "form.company.p7s": box.company_signature,
        "mutual-recognition.toml": (
            "# Accept only signers whose certificate policies fall under this arc.\n"
            f'required_policy_oids = ["{MUTUAL_RECOGNITION_ARC}"]\n'
        ).encode(),
        "form.personal.jws": box.personal_jws,
        "hk-trust-list.json": box.trust_list_json,
        "hk-trust-list-signer.pem": box.trust_list_signer_pem,
    }
    if box.trust_list_xml is not None:
        files["hk-trust-list.xml"] = box.trust_list_xml
    for name, data in files.items():
        (directory / name).write_bytes(data)


def keep_commands(keep: Path) -> list[str]:
    """Commands to try on the kept files, one shell line each (with ``\\`` continuations)."""
    cont = " \\\n      "
    lines = [
        f"  cd {keep}",
        "  # the CMS signature, under the mutual-recognition policy:",
        "  bayident verify form.personal.p7s --content form.txt"
        f"{cont}--trust-anchor hk-root.pem --policy mutual-recognition.toml",
        "  # the tampered form:",
        f"  bayident verify form.personal.p7s --content form-tampered.txt{cont}"
        "--trust-anchor hk-root.pem",
        "  # the same signer as a detached JWS:",
        f"  bayident verify form.personal.jws --content form.txt{cont}--trust-anchor hk-root.pem",
        "  # trust from the signed Hong Kong trusted list (XML needs the etsi extra):",
        f"  bayident trustlist inspect hk-trust-list.json{cont}--signer hk-trust-list-signer.pem",
        f"  bayident verify form.personal.p7s --content form.txt{cont}"
        f"--trust-list hk-trust-list.json{cont}--trust-list-signer hk-trust-list-signer.pem",
    ]
    if (keep / "hk-trust-list.xml").exists():
        lines.append(
            f"  bayident trustlist inspect hk-trust-list.xml{cont}--signer hk-trust-list-signer.pem"
        )
    return lines


def run(out: Renderer, *, keep: Path | None = None) -> int:
    """Run the demo, print each case, and return 0 when every verdict is the expected one."""
    out.line("bayident demo: a sandbox Hong Kong and Guangdong PKI, made up in memory just now.")
    out.line("  Sandbox Hongkong Post Root CA -> Sandbox e-Cert CA -> personal signer")
    out.line(f"    (certificate policy {SANDBOX_PERSONAL_POLICY}, illustrative)")
    out.line("  Sandbox GDCA Root -> company signer (no mutual-recognition policy)")
    cases = run_cases(keep=keep)
    for number, case in enumerate(cases, 1):
        out.heading(f"{number}. {case.title}")
        out.line(case.story)
        out.result(case.result, checks=key_checks(case.result))
        want = case.expected.value + (f" / {case.expected_sub.value}" if case.expected_sub else "")
        if case.as_expected:
            out.line(f"expected {want}: as expected", style="green")
        else:
            out.line(f"expected {want}: NOT as expected", style="bold red")
    wrong = [c for c in cases if not c.as_expected]
    out.line()
    if keep is not None:
        out.line(f"Sandbox files written to {keep}. Try them yourself:")
        for command in keep_commands(keep):
            out.command(command)
        out.line()
    if wrong:
        out.line(
            f"{len(wrong)} of {len(cases)} verdicts were not the expected ones.", style="bold red"
        )
        return 1
    out.line(f"All {len(cases)} verdicts were the expected ones.", style="bold green")
    return 0
