"""Scheme adapter → policy → result: signer reports, the identity, the decision.

:meth:`Outcome._signer_report` turns a signer's checks into its report;
:meth:`Outcome._assemble` decides the verification from the worst report; and
:meth:`Outcome._enrich` lets the scheme adapters add the identity and the recognition
decision. Evidence handlers (JWS, OFD, scheme envelopes) make their own result through
the :class:`~bayident._handlers.EvidenceContext` of :meth:`Outcome._context`, with the
same path decisions and the same result shape.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from typing import Any

from ._handlers import EnrichmentContext, EvidenceContext, EvidenceHandler
from ._input import Content
from ._job import Job, extra_certificates
from ._path import PathOutcome
from ._result import (
    CertificateInfo,
    Indication,
    SignerReport,
    SubIndication,
    VerificationResult,
    _fast,
    worst_report,
)
from ._signer_state import SignerState as _SignerState
from ._timestep import TimeSteps
from ._trust import CertificateSource

__all__ = ["Outcome"]


class Outcome(TimeSteps):
    """The last stages of a verification, and the context evidence handlers work in."""

    def _context(
        self,
        handler: EvidenceHandler,
        job: Job,
        raw: bytes,
        label: str,
        content: Content | None,
        extra_certs: Iterable[CertificateSource] | None,
    ) -> EvidenceContext:
        extras: list[bytes] = []
        if extra_certs is not None:
            extras.extend(der for der, _label in extra_certificates(extra_certs, job))

        def validate_chain(leaf_der: bytes, others: Sequence[bytes]) -> PathOutcome:
            leaf = self._certs.get(leaf_der)
            job.pool = [self._certs.get(x) for x in others] + [self._certs.get(x) for x in extras]
            outcome = self._path_outcome(job, leaf)
            if outcome.ok:
                # The result enrichers see these as the signers (see _enrich).
                job.chains.append((leaf.der, [c.der for c in outcome.chain], outcome.anchor))
            return outcome

        def make_result(
            indication: Indication,
            sub: SubIndication | None,
            message: str,
            signers: Sequence[SignerReport] = (),
            *,
            evidence_format: str | None = None,
            adapter: str | None = None,
        ) -> VerificationResult:
            job.evidence_format = evidence_format or handler.name
            return self._result(job, indication, sub, message, signers, adapter)

        return EvidenceContext(
            raw=raw,
            label=label,
            content=content,
            at=job.at,
            policy=job.policy,
            trust=job.trust,
            extra_certs=extras,
            validate_chain=validate_chain,
            http_client=self.http_client,
            async_http_client=self.async_http_client,
            make_result=make_result,
            options={"jwks": self.jwks} if self.jwks is not None else {},
            checks=job.checks,
            verifier=self,
            schemes=self.schemes,
        )

    def _enrich(self, job: Job, result: VerificationResult) -> VerificationResult:
        """Let scheme adapters add the identity and the recognition decision."""
        enrichers = self._result_enrichers()
        if not enrichers:
            return result
        signers: list[tuple[int, bytes | None, list[bytes], Any]]
        if job.delegate is not None:
            # An evidence handler's signers are the chains it had validated, in order.
            signers = [(i, leaf, path, anchor) for i, (leaf, path, anchor) in enumerate(job.chains)]
        else:
            signers = [
                (
                    st.info.index,
                    st.cert.der if st.cert is not None else None,
                    [c.der for c in st.path.chain] if st.path is not None else [],
                    st.path.anchor if st.path is not None else None,
                )
                for st in job.signers
            ]
        ctx = EnrichmentContext(
            at=job.at,
            policy=job.policy,
            trust=job.trust,
            options=dict(job.options),
            signers=signers,
            load=self._load_certificate,
            expected_scheme=self.expected_scheme,
            schemes=self.schemes,
        )
        for enrich in enrichers:
            result = enrich(result, ctx)
        return result

    def _assemble(
        self, job: Job, reports: list[SignerReport], valid: str = "signature valid"
    ) -> VerificationResult:
        """The result of ``job`` from its signer reports; ``valid`` begins a passing message."""
        job.checks.extend(c for st in job.signers for c in st.checks)
        worst = worst_report(reports)
        n = len(reports)
        if worst is None:
            names = "; ".join(r.certificate.subject for r in reports if r.certificate)
            msg = f"{valid}: {names}" if n == 1 else f"all {n} signatures valid: {names}"
            return self._result(job, Indication.PASSED, None, msg, reports)
        prefix = f"signer {worst.index}: " if n > 1 else ""
        return self._result(
            job, worst.indication, worst.sub_indication, prefix + worst.message, reports
        )

    def _report_chain(
        self, path: PathOutcome
    ) -> tuple[tuple[CertificateInfo, ...], CertificateInfo | None]:
        """A signer report's ``chain`` (the path, then the anchor) and ``trust_anchor``."""
        anchor_info = None
        if path.anchor:
            with contextlib.suppress(ValueError):  # a malformed anchor is reported by the path
                anchor_info = self._certs.get(path.anchor.der).info
        chain = tuple(c.info for c in path.chain)
        if anchor_info is not None and (not chain or chain[-1] is not anchor_info):
            chain += (anchor_info,)
        return chain, anchor_info

    def _signer_report(self, st: _SignerState, valid: str = "signature valid") -> SignerReport:
        """The report of one signer; ``valid`` is its message when it passes."""
        si = st.info
        cert = st.cert
        sub: SubIndication | None
        if st.verdict is None:
            ind, sub, msg = Indication.PASSED, None, valid
        else:
            ind, sub, msg = st.verdict
        path = st.path
        chain: tuple[CertificateInfo, ...] = ()
        anchor_info: CertificateInfo | None = None
        if path:
            # The same for every signature over a remembered path: built once, kept with it.
            found = path.memo.get("report-chain")
            if found is None:
                found = path.memo["report-chain"] = self._report_chain(path)
            chain, anchor_info = found
        return _fast(
            SignerReport,
            {
                "index": si.index,
                "indication": ind,
                "sub_indication": sub,
                "message": msg,
                "certificate": cert.info if cert else None,
                "chain": chain,
                "trust_anchor": anchor_info,
                "anchors_considered": path.anchors_considered if path else (),
                "digest_algorithm": st.digest,
                "signature_algorithm": (
                    st.mech.name if st.mech else (si.signature_algorithm.oid or None)
                ),
                "claimed_signing_time": st.signing_time,
                "signed_attributes": tuple(a.oid for a in si.signed_attrs or ()),
                "details": {},
                "revocation": st.revocation,
                "timestamps": tuple(st.timestamps) if st.timestamps else (),
                "counter_signatures": (),
            },
        )
