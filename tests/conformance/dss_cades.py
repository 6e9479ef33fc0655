"""The EU DSS CAdES corpus: run bayident and pyHanko on each case and read off DSS's facts.

``cases.json`` lists, for each real CAdES/CMS file of the DSS test suite, the facts DSS's
own Java tests assert (``parses``, ``signatures``, ``intact``, ``crypto_valid``,
``b_level_valid``, indications, ...). This module turns a bayident result, and a
pyHanko validation of the same file, into the same facts so they can be compared.

Run as a script (``python -m tests.conformance.dss_cades``) it prints the Markdown table
of ``docs/conformance.md``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / ".." / "shared" / "conformance" / "dss-cades"
CASES_FILE = DATA_DIR / "cases.json"

# Facts that say "this is valid": bayident saying True where DSS says False is a false accept.
VALIDITY_FACTS = (
    "intact",
    "crypto_valid",
    "b_level_valid",
    "signing_cert_attr",
    "sig_tst_imprint",
    "content_tst_imprint",
    "counter_crypto_valid",
)
# The order of the columns in the table.
FACTS = (
    "parses",
    "signatures",
    "min_signatures",
    "intact",
    "crypto_valid",
    "b_level_valid",
    "signing_cert_attr",
    "sig_tst_imprint",
    "content_tst_imprint",
    "counter_signatures",
    "counter_crypto_valid",
    "indication",
    "sub_indication",
)
# The facts pyHanko's generic CMS validation also establishes.
PYHANKO_FACTS = (
    "parses",
    "signatures",
    "min_signatures",
    "intact",
    "crypto_valid",
    "b_level_valid",
    "signing_cert_attr",
)


def available() -> bool:
    return CASES_FILE.is_file()


def load_cases() -> list[dict[str, Any]]:
    data: dict[str, Any] = json.loads(CASES_FILE.read_text(encoding="utf-8"))
    cases: list[dict[str, Any]] = data["cases"]
    return cases


@dataclass
class Outcome:
    """The facts one validator established on one case, or the exception it raised."""

    facts: dict[str, Any] = field(default_factory=dict)
    crash: str | None = None
    # Outcomes of bayident's cms-algorithm-protection checks (RFC 6211), one per signer
    # that carries the attribute.
    protection: tuple[str, ...] = ()


def _digest_arg(case: dict[str, Any]) -> str | None:
    cd = case.get("content_digest")
    if not cd:
        return None
    return f"{cd['algorithm']}:{base64.b64decode(cd['base64']).hex()}"


def _agree(fact: str, expected: Any, got: Any) -> bool:
    if fact == "min_signatures":
        return isinstance(got, int) and got >= expected
    return bool(got == expected)


def compare(expect: dict[str, Any], outcome: Outcome, facts: tuple[str, ...] = FACTS) -> list[str]:
    """The facts (among ``facts``) on which ``outcome`` disagrees with DSS."""
    if outcome.crash is not None:
        return ["crash"]
    wrong = []
    for fact in facts:
        expected = expect.get(fact)
        if expected is None:
            continue
        got = (
            outcome.facts.get("signatures") if fact == "min_signatures" else outcome.facts.get(fact)
        )
        if not _agree(fact, expected, got):
            wrong.append(fact)
    return wrong


def false_accepts(expect: dict[str, Any], outcome: Outcome) -> list[str]:
    """Validity facts DSS says are false and ``outcome`` says are true, and a PASSED too many."""
    out = [f for f in VALIDITY_FACTS if expect.get(f) is False and outcome.facts.get(f) is True]
    if (
        expect.get("indication") not in (None, "PASSED")
        and outcome.facts.get("indication") == "PASSED"
    ):
        out.append("indication")
    return out


# --- bayident -------------------------------------------------------------------------


def _signer_facts(report: Any, checks: list[Any]) -> dict[str, bool]:
    by_name: dict[str, list[str]] = {}
    for c in checks:
        by_name.setdefault(c.name, []).append(c.outcome.value)
    sig = by_name.get("signature", [])
    crypto = bool(sig) and all(o in ("passed", "warning") for o in sig)
    md = by_name.get("message-digest")
    intact = all(o == "passed" for o in md) if md else crypto
    ess = by_name.get("signing-certificate-attribute", [])
    ess_ok = bool(ess) and all(o == "passed" for o in ess)
    return {
        "intact": intact,
        "crypto": crypto,
        "ess_ok": ess_ok,
        "ess_bad": any(o != "passed" for o in ess),
    }


def bayident_outcome(case: dict[str, Any]) -> Outcome:
    """Verify one case with bayident, as a user would, and read DSS's facts off the result."""
    import bayident

    kwargs: dict[str, Any] = {}
    if case.get("content"):
        kwargs["content"] = DATA_DIR / case["content"]
    digest = _digest_arg(case)
    if digest is not None:
        kwargs["content_digest"] = digest
    if case.get("extra_certs"):
        kwargs["extra_certs"] = [DATA_DIR / p for p in case["extra_certs"]]
    trust = [DATA_DIR / p for p in case["trust"]] if case.get("trust") else None
    try:
        result = bayident.verify(DATA_DIR / case["file"], trust=trust, **kwargs)
    except Exception as exc:  # a crash is what is being counted
        return Outcome(crash=f"{type(exc).__name__}: {exc}")
    protection = tuple(
        c.outcome.value for c in result.checks if c.name == "cms-algorithm-protection"
    )
    return Outcome(facts=bayident_facts(result), protection=protection)


def _all_checks(report: Any, result: Any) -> list[Any]:
    return [c for c in result.checks if c.signer == report.index]


def bayident_facts(result: Any) -> dict[str, Any]:
    parsed = any(
        c.name == "cms-structure" and c.outcome.value == "passed" for c in result.checks
    ) or (result.evidence_format == "timestamp")
    facts: dict[str, Any] = {
        "parses": parsed,
        "signatures": len(result.signers),
        "indication": result.indication.value,
        "sub_indication": result.sub_indication.value if result.sub_indication else None,
    }
    signers = [_signer_facts(r, _all_checks(r, result)) for r in result.signers]
    if signers:
        facts["intact"] = all(s["intact"] for s in signers)
        # DSS's "signature valid" (SignatureWrapper.isSignatureValid) needs the signed data
        # found and intact as well as the signature value verifying.
        facts["crypto_valid"] = all(s["crypto"] and s["intact"] for s in signers)
        facts["signing_cert_attr"] = all(s["ess_ok"] for s in signers)
        facts["b_level_valid"] = all(
            s["intact"] and s["crypto"] and not s["ess_bad"] for s in signers
        )
    else:
        # No signature reported: nothing is known to be intact or valid.
        facts.update(intact=None, crypto_valid=None, signing_cert_attr=None, b_level_valid=None)
    stamps = [t for r in result.signers for t in r.timestamps]
    if result.evidence_format == "timestamp":
        stamps = list(getattr(result, "timestamps", ()))
    # DSS reports the imprints of the time-stamps it finds; a token that cannot be read as
    # one (no TSTInfo, so no genTime) is not a time-stamp it finds.
    stamps = [t for t in stamps if t.gen_time is not None]
    facts["sig_tst_imprint"] = all(t.imprint_ok for t in stamps if t.kind == "signature")
    facts["content_tst_imprint"] = all(t.imprint_ok for t in stamps if t.kind == "content")
    counters = [cs for r in result.signers for cs in _counter_reports(r)]
    facts["counter_signatures"] = len(counters)
    facts["counter_crypto_valid"] = (
        all(_signer_facts(cs, _all_checks(cs, result))["crypto"] for cs in counters)
        if counters
        else None
    )
    return facts


def _counter_reports(report: Any) -> list[Any]:
    out = []
    for cs in getattr(report, "counter_signatures", ()):
        out.append(cs)
        out.extend(_counter_reports(cs))
    return out


# --- pyHanko ---------------------------------------------------------------------------


def pyhanko_outcome(case: dict[str, Any]) -> Outcome:
    """Validate one case with pyHanko's generic CMS functions and read off the same facts."""
    try:
        return Outcome(facts=_pyhanko_facts(case))
    except Exception as exc:
        return Outcome(crash=f"{type(exc).__name__}: {exc}")


def _pyhanko_facts(case: dict[str, Any]) -> dict[str, Any]:
    from asn1crypto import cms
    from asn1crypto import x509 as ax509
    from pyhanko.sign.validation.generic_cms import (
        check_ess_certid,
        get_signing_cert_attr,
        validate_sig_integrity,
    )

    raw = (DATA_DIR / case["file"]).read_bytes()
    try:
        ci = cms.ContentInfo.load(raw)
        sd = ci["content"]
        if ci["content_type"].native != "signed_data":
            raise ValueError("not signed data")
        signer_infos = list(sd["signer_infos"])
    except Exception:
        return {"parses": False, "signatures": 0}
    facts: dict[str, Any] = {"parses": True, "signatures": len(signer_infos)}
    certs = (
        [c.chosen for c in sd["certificates"] if c.name == "certificate"]
        if sd["certificates"].native
        else []
    )
    for p in case.get("extra_certs") or ():
        certs.append(ax509.Certificate.load(_der((DATA_DIR / p).read_bytes())))
    econtent = sd["encap_content_info"]["content"]
    content: bytes | None = None
    if econtent.native is not None:
        content = (
            bytes(econtent.parsed.dump() if False else econtent.native)
            if isinstance(econtent.native, bytes)
            else econtent.contents
        )
    elif case.get("content"):
        content = (DATA_DIR / case["content"]).read_bytes()
    cd = case.get("content_digest")
    intact_all = crypto_all = ess_all = True
    b_all = True
    for si in signer_infos:
        sid = si["sid"]
        cert = None
        for c in certs:
            if sid.name == "issuer_and_serial_number":
                if (
                    c.issuer == sid.chosen["issuer"]
                    and c.serial_number == sid.chosen["serial_number"].native
                ):
                    cert = c
            elif c.key_identifier == sid.chosen.native:
                cert = c
        if cert is None:
            intact_all = crypto_all = ess_all = b_all = False
            continue
        md = si["digest_algorithm"]["algorithm"].native
        if content is not None:
            digest = hashlib.new(md.replace("_", "-") if "sha3" in md else md, content).digest()
        elif cd is not None:
            digest = base64.b64decode(cd["base64"])
        else:
            digest = b""
        ess_ok = False
        try:
            attr = get_signing_cert_attr(si["signed_attrs"]) if si["signed_attrs"] else None
            ess_ok = attr is not None and check_ess_certid(cert, attr["certs"][0])
        except Exception:
            ess_ok = False
        try:
            intact, valid = validate_sig_integrity(
                si, cert, sd["encap_content_info"]["content_type"].native, digest
            )
        except Exception:
            intact = valid = False
        intact_all &= intact
        crypto_all &= valid
        ess_all &= ess_ok
        b_all &= intact and valid
    facts.update(
        intact=intact_all and bool(signer_infos),
        crypto_valid=crypto_all and bool(signer_infos),
        signing_cert_attr=ess_all and bool(signer_infos),
        b_level_valid=b_all and bool(signer_infos),
    )
    return facts


def _der(data: bytes) -> bytes:
    if data.lstrip().startswith(b"-----BEGIN"):
        body = b"".join(
            line for line in data.splitlines() if line and not line.startswith(b"-----")
        )
        return base64.b64decode(body)
    return data


# --- the whole corpus ---------------------------------------------------------------------


@dataclass
class Row:
    case: dict[str, Any]
    bayident: Outcome
    pyhanko: Outcome | None


def run(with_pyhanko: bool = True) -> list[Row]:
    rows = []
    for case in load_cases():
        rows.append(
            Row(case, bayident_outcome(case), pyhanko_outcome(case) if with_pyhanko else None)
        )
    return rows


def _cell(outcome: Outcome | None, fact: str) -> str:
    if outcome is None:
        return ""
    if outcome.crash is not None:
        return "crash"
    value = outcome.facts.get("signatures" if fact == "min_signatures" else fact)
    return "–" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def _show(value: Any) -> str:
    if value is None:
        return "–"
    return str(value).lower() if isinstance(value, bool) else str(value)


def markdown(rows: list[Row]) -> str:
    """Per fact: how many cases DSS asserts it in, and how many bayident and pyHanko agree on;
    then every case where either differs from DSS, fact by fact."""
    lines = [
        "| Fact | DSS asserts it in | bayident agrees | pyHanko agrees |",
        "| --- | ---: | ---: | ---: |",
    ]
    for fact in FACTS:
        asserted = [r for r in rows if (r.case["expect"] or {}).get(fact) is not None]
        if not asserted:
            continue
        ours = sum(1 for r in asserted if not compare(r.case["expect"], r.bayident, (fact,)))
        if fact in PYHANKO_FACTS:
            theirs = str(
                sum(
                    1
                    for r in asserted
                    if r.pyhanko is not None and not compare(r.case["expect"], r.pyhanko, (fact,))
                )
            )
        else:
            theirs = "n/a"
        lines.append(f"| `{fact}` | {len(asserted)} | {ours} | {theirs} |")
    lines += [
        "",
        "| Case | Fact | DSS | bayident | pyHanko |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        expect = row.case["expect"] or {}
        for fact in FACTS:
            expected = expect.get(fact)
            if expected is None:
                continue
            ours_wrong = bool(compare(expect, row.bayident, (fact,)))
            theirs_wrong = (
                fact in PYHANKO_FACTS
                and row.pyhanko is not None
                and bool(compare(expect, row.pyhanko, (fact,)))
            )
            if not (ours_wrong or theirs_wrong):
                continue
            dss = f">= {expected}" if fact == "min_signatures" else _show(expected)
            ph = _cell(row.pyhanko, fact) if fact in PYHANKO_FACTS else "n/a"
            lines.append(
                f"| {row.case['id']} | `{fact}` | {dss} | {_cell(row.bayident, fact)} | {ph} |"
            )
    return "\n".join(lines)


def summary(rows: list[Row]) -> dict[str, Any]:
    out: dict[str, Any] = {"cases": len(rows)}
    for who in ("bayident", "pyhanko"):
        agree = fa = crashes = 0
        agree_cmp = 0
        for row in rows:
            outcome: Outcome | None = getattr(row, who)
            if outcome is None:
                continue
            expect = row.case["expect"] or {}
            if outcome.crash is not None:
                crashes += 1
                continue
            if not compare(expect, outcome):
                agree += 1
            if not compare(expect, outcome, PYHANKO_FACTS):
                agree_cmp += 1
            if false_accepts(expect, outcome):
                fa += 1
        out[who] = {
            "agree_all_facts": agree,
            "agree_comparable_facts": agree_cmp,
            "false_accepts": fa,
            "crashes": crashes,
        }
    return out


def main(argv: list[str]) -> int:
    rows = run(with_pyhanko="--no-pyhanko" not in argv)
    if "--table" in argv:
        print(markdown(rows))
    else:
        for row in rows:
            wrong = compare(row.case["expect"] or {}, row.bayident)
            if wrong:
                got = {k: row.bayident.facts.get(k) for k in wrong}
                print(row.case["id"], wrong, got, row.bayident.crash or "")
    print(json.dumps(summary(rows), indent=1), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
