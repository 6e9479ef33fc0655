"""Counter-signatures (RFC 5652 §11.4), verified and reported as nested signers.

A countersignature attribute is an unsigned attribute of a SignerInfo whose value
is another SignerInfo, signing the *signature value* of the first: its
message-digest is the hash of the countersigned signature's contents octets, and
its signed attributes carry no content-type. Each one is checked like a signer
(certificate, algorithms, attributes, signature, key usage, path) and reported in
``SignerReport.counter_signatures``, nested as in the evidence. A counter-signature
is a signature of its own: its failure is reported (with a warning and a check on
the countersigned signer) but does not change the countersigned signature's verdict.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from . import _der as d
from ._cms import _signer
from ._result import CheckOutcome, Indication, SignerReport, _replace
from ._signer_checks import lenient_signer
from ._signer_state import SignerState
from .tsp._token import sha

__all__ = ["OID_COUNTERSIGNATURE", "counter_signature_reports"]

OID_COUNTERSIGNATURE = "1.2.840.113549.1.9.6"
# Counter-signatures of counter-signatures exist (DSS has three levels); more is abuse.
_MAX_DEPTH = 4
_MAX_PER_EVIDENCE = 16


def counter_signature_reports(
    host: Any, job: Any, st: SignerState, depth: int = 0
) -> tuple[SignerReport, ...]:
    """Verify the counter-signatures on ``st`` and return their reports."""
    values = [v for a in st.info.unsigned_attrs if a.oid == OID_COUNTERSIGNATURE for v in a.values]
    if not values:
        return ()
    label = f"SignerInfo[{st.info.index}].unsignedAttrs countersignature"
    if depth >= _MAX_DEPTH:
        st.add(
            "counter-signature",
            CheckOutcome.INDETERMINATE,
            f"counter-signatures nested deeper than {_MAX_DEPTH} levels are not verified",
            label,
        )
        return ()
    reports = []
    for j, value in enumerate(values):
        where = f"{label}[{j}]"
        if job.counter_count >= _MAX_PER_EVIDENCE:
            st.add(
                "counter-signature",
                CheckOutcome.INDETERMINATE,
                f"more than {_MAX_PER_EVIDENCE} counter-signatures in one evidence; the rest "
                "are not verified",
                where,
            )
            break
        # Indices after the signers' own, so each check names the signature it is about.
        index = len(job.signers) + job.counter_count
        job.counter_count += 1
        try:
            top = d.read_tlv(value, 0, len(value), where, 0, job.policy.max_asn1_depth)
            if top.next != len(value):
                raise d.DERError("bytes after the SignerInfo", where)
            csi = _signer(value, top, index, 1, job.policy.max_asn1_depth)
        except (d.DERError, RecursionError) as exc:
            st.add(
                "counter-signature",
                CheckOutcome.FAILED,
                f"counter-signature {j} is not a well-formed SignerInfo: {exc}",
                where,
            )
            job.warnings.append(f"signer {st.info.index}: a counter-signature is malformed")
            continue
        cst = SignerState(csi)
        cst.counter_of = st
        parent_value = st.info.signature
        cjob = replace(
            job,
            content=parent_value,
            content_label=f"signature value of SignerInfo[{st.info.index}]",
            need_digests=set(),
            need_whole=False,
            signers=[],
        )
        host._identify(cjob, cst)
        if cst.cert is not None and cst.mech is not None and cst.digest is not None:
            digests = _digest_of(cst.digest, parent_value)
            host._check_attributes(cjob, cst, digests)
            host._check_signature(cjob, cst, digests, parent_value)
            host._check_key_usage(cjob, cst)
            if not lenient_signer(cjob, cst):
                host._check_path(cjob, cst)
        elif cst.digest is not None:
            host._check_attributes(cjob, cst, _digest_of(cst.digest, parent_value))
        nested = counter_signature_reports(host, job, cst, depth + 1)
        report = _replace(host._signer_report(cst), {"counter_signatures": nested})
        job.checks.extend(cst.checks)
        reports.append(report)
        outcome = {
            Indication.PASSED: CheckOutcome.PASSED,
            Indication.FAILED: CheckOutcome.FAILED,
            Indication.INDETERMINATE: CheckOutcome.INDETERMINATE,
        }[report.indication]
        st.add(
            "counter-signature",
            outcome,
            f"counter-signature {j} (reported as signer {index}): {report.message}",
            where,
        )
        if report.indication is not Indication.PASSED:
            job.warnings.append(
                f"signer {st.info.index}: counter-signature {j} did not pass ({report.message})"
            )
    return tuple(reports)


def _digest_of(name: str, data: bytes) -> dict[str, bytes]:
    """{name: hash of data}, or {} when the hash is not available (reported as such)."""
    try:
        return {name: sha(name, data)}
    except (ValueError, ImportError):
        return {}
