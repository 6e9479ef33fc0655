"""Time: a signer's time-stamp tokens, and past signature validation with their times.

:meth:`TimeSteps._timestamp_tokens` checks each token (imprint, TSA signature) but its
TSA path; :meth:`TimeSteps._path_plan` then asks for the TSA paths and the signer's path
in order, and for a path at the time a signature time-stamp proves when the signer's
certificate was revoked or expired after it (EN 319 102-1 past signature validation).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Generator, Sequence

from ._certs import CertRecord
from ._job import Job
from ._path import PathOutcome
from ._pathstep import PathSteps, anchor_status_failed
from ._result import CheckOutcome, SubIndication, TimestampInfo, _build
from ._signer_state import FAILED_SUBS as _FAILED
from ._signer_state import SignerState as _SignerState
from ._signer_state import iso as _iso
from .tsp._archive import OID_ARCHIVE_TIMESTAMP_V3, archive_tokens
from .tsp._token import OID_SIGNATURE_TIMESTAMP, TokenCheck, check_token, sha

__all__ = ["TimeSteps"]

_OUT = CheckOutcome
# Real signers carry one or two time-stamps; each costs a signature check and a TSA path.
_MAX_TOKENS = 8


class TimeSteps(PathSteps):
    """Time-stamp tokens and the path validations they call for."""

    def _timestamp_tokens(
        self, job: Job, st: _SignerState, digests: dict[str, bytes], whole: bytes | None
    ) -> list[TokenCheck]:
        """Check the signer's time-stamp tokens, all but the TSA paths."""
        si = st.info
        out: list[TokenCheck] = []
        count = sum(len(a.values) for a in st.content_timestamp or ()) + sum(
            len(a.values)
            for a in si.unsigned_attrs
            if a.oid in (OID_SIGNATURE_TIMESTAMP, OID_ARCHIVE_TIMESTAMP_V3)
        )
        if count > _MAX_TOKENS:
            too_many = TokenCheck("signature", f"SignerInfo[{si.index}]")
            too_many.fail(
                SubIndication.FORMAT_FAILURE,
                f"{count} time-stamp tokens on one signer, more than {_MAX_TOKENS}",
            )
            return [too_many]
        in_memory = job.content if isinstance(job.content, (bytes, bytearray)) else whole

        def content_hash(name: str) -> bytes | None:
            # Digests of the content were taken in one pass; an imprint made with another
            # algorithm can still be checked when the content is in memory.
            found = digests.get(name)
            if found is None and in_memory is not None:
                found = sha(name, bytes(in_memory))
            return found

        for attr in st.content_timestamp or ():
            for j, value in enumerate(attr.values):
                out.append(
                    check_token(
                        value,
                        "content",
                        f"SignerInfo[{si.index}].signedAttrs content-time-stamp[{j}]",
                        content_hash,
                        job.content_label,
                        job.policy,
                        job.at,
                        self._certs,
                        job.pool,
                    )
                )
        for attr in si.unsigned_attrs:
            if attr.oid != OID_SIGNATURE_TIMESTAMP:
                continue
            for j, value in enumerate(attr.values):
                out.append(
                    check_token(
                        value,
                        "signature",
                        f"SignerInfo[{si.index}].unsignedAttrs signature-time-stamp[{j}]",
                        lambda name: sha(name, si.signature),
                        f"signature value of SignerInfo[{si.index}]",
                        job.policy,
                        job.at,
                        self._certs,
                        job.pool,
                    )
                )
        out.extend(archive_tokens(self._certs, job, si, content_hash))
        return out

    def _path_plan(
        self, job: Job, st: _SignerState, tokens: list[TokenCheck]
    ) -> Generator[
        tuple[CertRecord, _dt.datetime, bool | None, Sequence[CertRecord]], PathOutcome, None
    ]:
        """The path validations a signer with time-stamps needs, in order.

        A generator: it yields (certificate, time, retroactive, extra certificates) and
        is sent each path decision, so :meth:`verify` and :meth:`averify` share it.
        """
        assert st.cert is not None
        for tc in tokens:
            if tc.problem is None and tc.tsa_cert is not None:
                tsa_path = yield (tc.tsa_cert, job.at, None, tc.certificates)
                if not tsa_path.ok:
                    assert tsa_path.sub_indication is not None
                    tc.fail(
                        tsa_path.sub_indication,
                        f"the TSA certificate path does not validate: {tsa_path.message}",
                    )
                else:
                    for entry, rec in zip(tsa_path.revocation, tsa_path.chain, strict=False):
                        st.add(
                            "revocation",
                            entry.outcome,
                            f"TSA path: {entry.info.message}",
                            rec.describe(),
                        )
            self._report_token(st, tc)
        signature_times = [
            tc.tst.gen_time
            for tc in tokens
            # A valid archive time-stamp proves the signature existed at its time too.
            if tc.kind in ("signature", "archive") and tc.problem is None and tc.tst is not None
        ]
        content_times = [
            tc.tst.gen_time
            for tc in tokens
            if tc.kind == "content" and tc.problem is None and tc.tst is not None
        ]
        poe = min(signature_times, default=None)
        if poe is not None and content_times and min(content_times) > poe + job.policy.clock_skew:
            st.fail(
                "time-stamp-order",
                SubIndication.TIMESTAMP_ORDER_FAILURE,
                f"the content time-stamp ({_iso(min(content_times))}) is later than the "
                f"signature time-stamp ({_iso(poe)}): the content cannot have been time-stamped "
                "after it was signed",
                f"SignerInfo[{st.info.index}]",
            )
        outcome = yield (st.cert, job.at, None, ())
        if not outcome.ok and poe is not None and outcome.failure_time is not None:
            outcome = yield from self._past(job, st, outcome, poe)
        self._apply_path(job, st, outcome)

    def _past(
        self, job: Job, st: _SignerState, now: PathOutcome, poe: _dt.datetime
    ) -> Generator[
        tuple[CertRecord, _dt.datetime, bool | None, Sequence[CertRecord]], PathOutcome, PathOutcome
    ]:
        """EN 319 102-1 past signature validation with the signature time-stamp as POE."""
        assert st.cert is not None and now.failure_time is not None
        sub = now.sub_indication
        when = now.failure_time
        revoked = sub in (SubIndication.REVOKED_NO_POE, SubIndication.REVOKED_CA_NO_POE)
        expired = sub in (
            SubIndication.OUT_OF_BOUNDS_NO_POE,
            SubIndication.OUT_OF_BOUNDS_NOT_REVOKED,
        )
        # The anchor's trusted-list service left the statuses in force at ``when``.
        withdrawn = anchor_status_failed(now)
        if not (revoked or expired or withdrawn):
            return now
        skew = job.policy.clock_skew
        if withdrawn and poe >= when:
            st.add(
                "proof-of-existence",
                _OUT.INDETERMINATE,
                f"the signature time-stamp ({_iso(poe)}) is not before the trust anchor's "
                f"service left the statuses in force ({_iso(when)}), so it does not help",
                st.cert.describe(),
            )
            return now
        if (revoked and poe >= when) or (expired and poe > when + skew):
            what = "revoked" if revoked else "expired"
            if revoked and sub is SubIndication.REVOKED_NO_POE:
                st.fail(
                    "proof-of-existence",
                    SubIndication.REVOKED,
                    f"the signature time-stamp ({_iso(poe)}) is not before the revocation of "
                    f"{st.cert.describe()} at {_iso(when)}: the signature may have been made "
                    "with a revoked certificate (EN 319 102-1 past signature validation)",
                    st.cert.describe(),
                )
            else:
                st.add(
                    "proof-of-existence",
                    _OUT.INDETERMINATE,
                    f"the signature time-stamp ({_iso(poe)}) is not before the certificate was "
                    f"{what} ({_iso(when)}), so it does not help",
                    st.cert.describe(),
                )
            return now
        past = yield (st.cert, poe, True, ())
        if past.ok:
            what = (
                "the revocation"
                if revoked
                else "the expiry"
                if expired
                else "the trusted-list status change of the trust anchor"
            )
            st.add(
                "proof-of-existence",
                _OUT.PASSED,
                f"the signature time-stamp proves the signature existed at {_iso(poe)}, before "
                f"{what} at {_iso(when)}; the path was validated at that time "
                "(EN 319 102-1 past signature validation)",
                st.cert.describe(),
            )
        return past

    def _report_token(self, st: _SignerState, tc: TokenCheck) -> None:
        name = f"{tc.kind}-time-stamp"
        for note in tc.warnings:
            st.add(name, _OUT.WARNING, note, tc.label)
        tst = tc.tst
        tsa = tc.tsa_cert
        if tc.problem is not None:
            # EN 319 102-1: a time-stamp that fails gives no proof of existence, and the
            # signature is decided without it; the signature itself is not made worse.
            sub, message = tc.problem
            st.add(
                name,
                _OUT.FAILED if sub in _FAILED else _OUT.INDETERMINATE,
                f"time-stamp token: {message} ({sub.value}); it gives no proof of existence and "
                "does not change the signature's verdict",
                tc.label,
            )
        else:
            assert tst is not None and tsa is not None
            st.add(
                name,
                _OUT.PASSED,
                f"time-stamped at {_iso(tst.gen_time)} by {tsa.subject}: the {tc.hash_name} "
                "message imprint matches, the TSA signature and certificate path verify",
                tc.label,
            )
        if st.timestamps is None:
            st.timestamps = []
        st.timestamps.append(
            _build(
                TimestampInfo,
                {
                    "kind": tc.kind,
                    "gen_time": tst.gen_time if tst else None,
                    "tsa": tsa.subject if tsa else None,
                    "tsa_certificate": tsa.info if tsa else None,
                    "serial_number": f"{tst.serial_number:x}" if tst else None,
                    "policy": tst.policy if tst else None,
                    "hash_algorithm": tc.hash_name,
                    "imprint_ok": tc.imprint_ok,
                    "valid": tc.problem is None,
                    "message": tc.problem[1] if tc.problem else "verified",
                },
            )
        )
