"""A bare RFC 3161 time-stamp token given as the evidence.

A token is a CMS SignedData too, but what it proves is not a signature over a
document: it is a TSA's statement that some data (whose hash is the message
imprint) existed at genTime. So it is reported as a time-stamp
(``evidence_format`` "timestamp"), with the TSA's signature, its certificate path
and, when the content or its digest is given, the imprint checked, and no signer.
"""

from __future__ import annotations

from typing import Any

from ._input import hash_content, new_hasher
from ._result import (
    CheckOutcome,
    Indication,
    SubIndication,
    TimestampInfo,
    VerificationResult,
    _replace,
)
from ._signer_state import FAILED_SUBS, iso, make_check
from .tsp._token import TokenCheck, check_token, sha

__all__ = ["timestamp_info", "verify_token_evidence"]


def timestamp_info(tc: TokenCheck, kind: str | None = None) -> TimestampInfo:
    """The public summary of one checked token."""
    tst, tsa = tc.tst, tc.tsa_cert
    return TimestampInfo(
        kind=kind or tc.kind,
        gen_time=tst.gen_time if tst else None,
        tsa=tsa.subject if tsa else None,
        tsa_certificate=tsa.info if tsa else None,
        serial_number=f"{tst.serial_number:x}" if tst else None,
        policy=tst.policy if tst else None,
        hash_algorithm=tc.hash_name,
        imprint_ok=tc.imprint_ok,
        valid=tc.problem is None,
        message=tc.problem[1] if tc.problem else "verified",
    )


def verify_token_evidence(host: Any, job: Any, der: bytes) -> VerificationResult:
    """Check a bare token: imprint (when content is given), TSA signature and path."""
    content = job.content
    given = job.given_digest

    def imprint_of(name: str) -> bytes | None:
        if given is not None:
            return bytes(given[1]) if given[0] == name else None
        if content is None:
            return None
        if isinstance(content, (bytes, bytearray, memoryview)):
            return sha(name, bytes(content))
        try:
            found: bytes = hash_content(content, {name: new_hasher(name)})[name]
        except (ImportError, ValueError):
            return None
        return found

    covered = (
        "content given by the caller"
        if content is not None
        else f"content whose {given[0]} digest was given"
        if given is not None
        else "time-stamped content (not given)"
    )
    tc = check_token(
        der,
        "content",
        "time-stamp token",
        imprint_of,
        covered,
        job.policy,
        job.at,
        host._certs,
        job.pool,
    )
    if tc.tsa_cert is not None and (tc.problem is None or tc.imprint_ok or content is None):
        outcome = host._path_outcome(job, tc.tsa_cert, job.at, None, tc.certificates)
        if not outcome.ok:
            tc.fail(
                outcome.sub_indication or SubIndication.NO_CERTIFICATE_CHAIN_FOUND,
                f"the TSA certificate path does not validate: {outcome.message}",
            )
    info = timestamp_info(tc)
    if tc.problem is None:
        assert tc.tst is not None and tc.tsa_cert is not None
        message = (
            f"time-stamp valid: the {tc.hash_name} imprint of the {covered} existed at "
            f"{iso(tc.tst.gen_time)}, attested by {tc.tsa_cert.subject}"
        )
        job.checks.append(make_check("time-stamp-token", CheckOutcome.PASSED, message, "token"))
        ind, sub = Indication.PASSED, None
    else:
        sub, message = tc.problem
        failed = sub in FAILED_SUBS
        job.checks.append(
            make_check(
                "time-stamp-token",
                CheckOutcome.FAILED if failed else CheckOutcome.INDETERMINATE,
                f"time-stamp token: {message}",
                "token",
            )
        )
        ind = Indication.FAILED if failed else Indication.INDETERMINATE
    job.warnings.extend(tc.warnings)
    result: VerificationResult = host._result(job, ind, sub, message)
    return _replace(result, {"timestamps": (info,)})
