"""Input → format → signer checks: from the caller's evidence to signers ready for a path.

:meth:`Intake._prepare` reads the evidence, hands it to an evidence handler that claims
it (JWS, OFD, scheme envelopes) or parses it as CMS SignedData, gathers the certificates
and revocation data it carries, and identifies each signer's certificate and algorithms.
The content is then hashed once (:meth:`Intake._digest_sync`) for every digest the
signers need, and the checks that need no path run per signer (signed attributes,
signature value, key usage).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
from collections.abc import Iterable
from typing import Any

from . import _der as d
from ._algorithms import (
    DIGEST_SIZES,
    DIGESTS,
    AlgorithmError,
    digest_name,
    mechanism_for,
)
from ._attrs import decode_ess_signing_certificate
from ._certs import CertRecord
from ._cms import CMSFormatError, SignedData, parse_signed_data
from ._cms_rules import apply_structure_rules
from ._exceptions import InvalidArgument
from ._handlers import handler_for
from ._input import (
    Content,
    Evidence,
    EvidenceFormatError,
    decode_evidence,
    hash_content,
    new_hasher,
    parse_content_digest,
    read_content_whole,
    read_evidence,
)
from ._job import Job, VerifierBase, coerce_crls, extra_certificates
from ._lenient import lenient_record
from ._memo import Memo
from ._pathoutcome import key_problem
from ._policy import Policy
from ._result import CheckOutcome, SubIndication
from ._signer_checks import (
    check_attributes,
    check_signature,
    pss_hash_problem,
    report_lenient,
)
from ._signer_state import SignerState as _SignerState
from ._signer_state import make_check as _check
from ._trust import CertificateSource
from .revocation._data import (
    MAX_EMBEDDED_ITEMS,
    OID_REVOCATION_VALUES,
    Origin,
    Supplied,
    revocation_values,
    split_revocation_choices,
)
from .tsp._token import OID_TST_INFO

__all__ = ["Intake"]

_OUT = CheckOutcome
_CALLER_CONTENT = "content given by the caller"
_UNKNOWN = "\0unknown"  # a key problem not yet decided (None is a decision: no problem)


class Intake(VerifierBase):
    """The stages before path validation (see the module docstring)."""

    _key_problems: Memo[tuple[str, str | bytes], str | None]
    _ess_cache: Memo[tuple[bytes, bool], list[Any]]

    def _prepare(
        self,
        evidence: Evidence,
        content: Content | None,
        at: _dt.datetime | None,
        policy: Policy | None,
        extra_certs: Iterable[CertificateSource] | None,
        crls: Iterable[bytes] | None = None,
        ocsp_responses: Iterable[bytes] | None = None,
        content_digest: str | tuple[str, bytes] | None = None,
    ) -> Job:
        job = self._new_job(at, policy)
        pol = job.policy
        given_digest = None
        if content_digest is not None:
            if content is not None:
                raise InvalidArgument("pass content or content_digest, not both")
            given_digest = parse_content_digest(content_digest)

        try:
            raw, label = read_evidence(evidence, pol.max_evidence_bytes)
        except EvidenceFormatError as exc:
            return self._early(
                job, "evidence-size", SubIndication.FORMAT_FAILURE, str(exc), "evidence"
            )
        handler = handler_for(raw, self._evidence_handlers())
        if handler is not None:
            # The verifier gives the handler its context (a later stage: it validates paths).
            job.handoff = (handler, raw, label)
            return job
        try:
            decoded = decode_evidence(raw)
        except EvidenceFormatError as exc:
            return self._early(
                job, "evidence-format", SubIndication.FORMAT_FAILURE, str(exc), label
            )
        job.evidence_format = "smime" if decoded.format == "smime" else "cms"
        try:
            sd = parse_signed_data(
                decoded.der,
                max_depth=pol.max_asn1_depth,
                max_certificates=pol.max_certificates,
                max_signers=pol.max_signers,
            )
        except CMSFormatError as exc:
            return self._early(
                job,
                "cms-structure",
                SubIndication.FORMAT_FAILURE,
                f"evidence is not a well-formed CMS SignedData: {exc.reason}",
                exc.where,
            )
        job.sd = sd
        for note in sd.notes:
            job.checks.append(_check("cms-padding", _OUT.WARNING, note, "ContentInfo"))
            job.warnings.append(note)
        # Revocation data in the evidence (SignedData.crls, revocation-values) or given.
        unsigned = sd.crls or crls is not None or ocsp_responses is not None
        if not unsigned:
            for si in sd.signers:
                if si.unsigned_attrs:
                    unsigned = True
        if unsigned:
            caller_crls = coerce_crls(crls)
            caller_ocsps = coerce_crls(ocsp_responses, "ocsp_responses")
            job.supplied = self._supplied(job, sd, caller_crls, caller_ocsps)
            job.crls = job.supplied.crls
            embedded = job.supplied.crl_origins.count("embedded") + job.supplied.ocsp_origins.count(
                "embedded"
            )
            if embedded > MAX_EMBEDDED_ITEMS:
                return self._early(
                    job,
                    "revocation-data",
                    SubIndication.FORMAT_FAILURE,
                    f"the evidence carries {embedded} CRLs and OCSP responses, more than the limit "
                    f"of {MAX_EMBEDDED_ITEMS}",
                    "SignedData.crls",
                )
        job.checks.append(
            _check(
                "cms-structure",
                _OUT.PASSED,
                f"CMS SignedData ({decoded.format}) with {len(sd.signers)} signer(s) and "
                f"{len(sd.certificates)} certificate(s)",
                label,
            )
        )
        if not sd.signers:
            return self._early(
                job,
                "signers",
                SubIndication.FORMAT_FAILURE,
                "SignedData has no signers (signerInfos is empty)",
                "SignedData.signerInfos",
            )

        if sd.econtent_type == OID_TST_INFO and sd.econtent is not None and len(sd.signers) == 1:
            # A bare RFC 3161 token: a time-stamp, not a signature (bayident._token_evidence).
            job.evidence_format = "timestamp"
            job.token_der = decoded.der
            job.content = content
            job.given_digest = given_digest
            if extra_certs is not None:
                # Candidates for the TSA's path, as for a signature.
                for der, _label in extra_certificates(extra_certs, job):
                    with contextlib.suppress(ValueError):
                        job.pool.append(self._certs.get(der))
            return job

        # Which content is signed?
        if sd.econtent is not None:
            if content is not None or given_digest is not None or decoded.smime_content is not None:
                return self._early(
                    job,
                    "content",
                    SubIndication.FORMAT_FAILURE,
                    "the evidence is an attached signature (it carries its own content) and content "
                    "was also given; pass the evidence alone, or a detached signature with the content",
                    "SignedData.encapContentInfo.eContent",
                )
            job.content, job.content_label = sd.econtent, "content carried in the signature"
        elif content is not None:
            job.content, job.content_label = content, _CALLER_CONTENT
        elif decoded.smime_content is not None:
            job.content, job.content_label = (
                decoded.smime_content,
                "first part of the S/MIME message",
            )
        elif given_digest is not None:
            job.given_digest = given_digest
            job.content_label = f"content, whose {given_digest[0]} digest was given"
        else:
            # Each signer is still checked (signature over the signed attributes, chain);
            # the message-digest cannot be, so none can pass (SIGNED_DATA_NOT_FOUND).
            job.content_label = "signed content, which was not given (pass content=...)"
            job.checks.append(
                _check(
                    "content",
                    _OUT.INDETERMINATE,
                    "the signature is detached and no content was given: pass content=... "
                    "(the signed document) or content_digest=...",
                    "content",
                )
            )

        # Certificates: carried in the evidence, plus the caller's extras.
        for i, der in enumerate(sd.certificates):
            try:
                job.pool.append(self._certs.get(der))
            except ValueError as exc:
                lenient = lenient_record(der, str(exc))
                if lenient is not None:
                    # Only ever a signer certificate: path building never sees it.
                    job.lenient.append(lenient)
                    report_lenient(job, lenient, i)
                    continue
                job.checks.append(
                    _check(
                        "certificate-parse",
                        _OUT.WARNING,
                        f"certificate {i} in the signature cannot be read and is ignored: {exc}",
                        f"SignedData.certificates[{i}]",
                    )
                )
                job.warnings.append(
                    f"certificate {i} in the signature is malformed and was ignored"
                )
        if extra_certs is not None:
            for der, label_x in extra_certificates(extra_certs, job):
                try:
                    job.pool.append(self._certs.get(der))
                except ValueError as exc:
                    job.checks.append(
                        _check(
                            "certificate-parse",
                            _OUT.WARNING,
                            f"an extra certificate cannot be used and is ignored: {exc}",
                            label_x,
                        )
                    )
                    job.warnings.append("an extra certificate is malformed and was ignored")

        for si in sd.signers:
            st = _SignerState(si)
            job.signers.append(st)
            self._identify(job, st)
        apply_structure_rules(job)
        return job

    def _supplied(
        self,
        job: Job,
        sd: SignedData,
        caller_crls: tuple[bytes, ...],
        caller_ocsps: tuple[bytes, ...],
    ) -> Supplied:
        """Revocation data in the evidence (SignedData.crls, CAdES revocation-values) and given."""
        crls, ocsps, notes = split_revocation_choices(sd.crls)
        for si in sd.signers:
            for attr in si.unsigned_attrs:
                if attr.oid != OID_REVOCATION_VALUES:
                    continue
                where = f"SignerInfo[{si.index}].unsignedAttrs revocation-values"
                for value in attr.values:
                    try:
                        more_crls, more_ocsps = revocation_values(value, where)
                    except d.DERError as exc:
                        notes.append(
                            f"the revocation-values attribute is malformed and was ignored: {exc}"
                        )
                        continue
                    crls += more_crls
                    ocsps += more_ocsps
        for note in notes:
            job.checks.append(_check("revocation-data", _OUT.WARNING, note, "SignedData.crls"))
            job.warnings.append(note)
        all_crls = tuple(crls) + caller_crls
        all_ocsps = tuple(ocsps) + caller_ocsps
        embedded: tuple[Origin, ...] = ("embedded",)
        caller: tuple[Origin, ...] = ("caller",)
        return Supplied(
            crls=all_crls,
            crl_origins=embedded * len(crls) + caller * len(caller_crls),
            ocsps=all_ocsps,
            ocsp_origins=embedded * len(ocsps) + caller * len(caller_ocsps),
            notes=tuple(notes),
        )

    def _identify(self, job: Job, st: _SignerState) -> None:
        si = st.info
        pol = job.policy
        # Signing certificate.
        cert = None
        candidates = job.pool if not job.lenient else [*job.pool, *job.lenient]
        if si.issuer is not None:
            for c in candidates:
                if c.issuer_der == si.issuer and c.serial == si.serial:
                    cert = c
                    break
        else:
            for c in candidates:
                if c.ski == si.subject_key_id:
                    cert = c
                    break
        if cert is None:
            if si.issuer is not None:
                serial = si.serial or 0
                sid_desc = f"issuer and serial {'-' if serial < 0 else ''}0x{abs(serial):x}"
            else:
                sid_desc = f"subject key identifier {(si.subject_key_id or b'').hex()}"
            st.fail(
                "signing-certificate",
                SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
                f"no certificate matching the signer's {sid_desc} is in the signature "
                "or among the extra certificates given",
                f"SignerInfo[{si.index}].sid",
            )
            # The content's digest can still be compared with the message-digest.
            if si.digest_algorithm.oid in DIGESTS:
                st.digest = DIGESTS[si.digest_algorithm.oid]
                job.need_digests.add(st.digest)
            return
        st.cert = cert
        st.add(
            "signing-certificate",
            _OUT.PASSED,
            f"signer identified as {cert.describe()}",
            cert.describe(),
        )
        # Algorithms.
        where = f"SignerInfo[{si.index}]"
        try:
            st.digest = digest_name(si.digest_algorithm.oid)
        except AlgorithmError as exc:
            st.fail(
                "digest-algorithm",
                SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
                exc.reason,
                f"{where}.digestAlgorithm",
            )
            return
        try:
            st.mech = mechanism_for(si.signature_algorithm.oid)
        except AlgorithmError as exc:
            st.fail(
                "signature-algorithm",
                SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
                exc.reason,
                f"{where}.signatureAlgorithm",
            )
            return
        if st.mech.fixed_digest is not None and st.mech.fixed_digest != st.digest:
            st.fail(
                "signature-algorithm",
                SubIndication.FORMAT_FAILURE,
                f"signature algorithm {si.signature_algorithm.oid} implies "
                f"{st.mech.fixed_digest} but the digest algorithm is {st.digest}",
                f"{where}.signatureAlgorithm",
            )
            return
        at = job.at
        if not pol.accepts_digest(st.digest, at):
            st.fail(
                "digest-algorithm",
                SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
                f"digest {st.digest} is not accepted by the policy at {at:%Y-%m-%d}",
                f"{where}.digestAlgorithm",
            )
        if not pol.accepts_signature(st.mech.name, at):
            st.fail(
                "signature-algorithm",
                SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
                f"{st.mech.name} signatures are not accepted by the policy at {at:%Y-%m-%d}",
                f"{where}.signatureAlgorithm",
            )
        if st.mech.name == "rsa-pss":
            pss_problem = pss_hash_problem(si.signature_algorithm.parameters, pol, at)
            if pss_problem is not None:
                st.fail(
                    "signature-algorithm",
                    SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
                    pss_problem,
                    f"{where}.signatureAlgorithm",
                )
        problem = self._key_problem(pol, cert)
        if problem:
            st.fail(
                "signer-key", SubIndication.CRYPTO_CONSTRAINTS_FAILURE, problem, cert.describe()
            )
        if st.verdict is None:
            st.add(
                "algorithms",
                _OUT.PASSED,
                f"{st.mech.name} with {st.digest}, {cert.key_description} key: accepted by the policy",
                f"{where}.signatureAlgorithm",
            )
        if (st.digest in DIGEST_SIZES and st.digest != "sm3") or st.digest == "sm3":
            job.need_digests.add(st.digest)
        if si.signed_attrs is None and not st.mech.supports_prehash:
            job.need_whole = True

    def _ess_ids(self, value: bytes, v2: bool, label: str) -> list[Any]:
        # A signer puts the same attribute value in every signature: parse it once.
        key = (value, v2)
        ids = self._ess_cache.get(key)
        if ids is None:
            ids = decode_ess_signing_certificate(value, v2, label)
            self._ess_cache.put(key, ids)
        return ids

    def _key_problem(self, pol: Policy, cert: CertRecord) -> str | None:
        key = (pol.cache_key, cert.fingerprint)
        problem = self._key_problems.get(key, _UNKNOWN)
        if problem is _UNKNOWN:
            problem = key_problem(pol, cert.spki_der)
            self._key_problems.put(key, problem)
        return problem

    def _digest_sync(self, job: Job) -> tuple[dict[str, bytes], bytes | None]:
        if job.content is None:
            # Only a digest given by the caller, or nothing at all.
            return dict([job.given_digest]) if job.given_digest is not None else {}, None
        whole = None
        content: Content = job.content
        if job.need_whole:
            whole = read_content_whole(content, job.policy.max_in_memory_content_bytes)
            if whole is not None:
                content = whole
        try:
            hashers = {name: new_hasher(name) for name in job.need_digests}
        except (ImportError, ValueError):
            hashers = {n: new_hasher(n) for n in job.need_digests if n != "sm3"}
        if not hashers:
            return {}, whole
        if (
            whole is None
            and job.need_whole
            and not isinstance(content, (bytes, bytearray, memoryview))
        ):
            # The stream was consumed trying to read it whole; hashing it again is impossible.
            return {}, None
        return hash_content(content, hashers), whole

    def _check_attributes(self, job: Job, st: _SignerState, digests: dict[str, bytes]) -> None:
        check_attributes(self, job, st, digests)

    def _check_signature(
        self, job: Job, st: _SignerState, digests: dict[str, bytes], whole: bytes | None
    ) -> None:
        check_signature(self, job, st, digests, whole)

    def _check_key_usage(self, job: Job, st: _SignerState) -> None:
        assert st.cert is not None
        wanted = job.policy.signer_key_usage
        if not wanted:
            return
        ku = st.cert.key_usage
        if ku is None:
            st.add(
                "key-usage",
                _OUT.PASSED,
                "the signer certificate has no KeyUsage extension, so its key may sign (RFC 5280 §4.2.1.3)",
                st.cert.describe(),
            )
        elif any(u in ku for u in wanted):
            st.add(
                "key-usage",
                _OUT.PASSED,
                f"key usage {', '.join(ku)} allows signing",
                st.cert.describe(),
            )
        else:
            st.fail(
                "key-usage",
                SubIndication.CHAIN_CONSTRAINTS_FAILURE,
                f"the key usage of {st.cert.describe()} is {', '.join(ku) or 'empty'}, which does "
                f"not include {' or '.join(wanted)}: the key may not be used to sign (RFC 5280 §4.2.1.3)",
                f"keyUsage of {st.cert.describe()}",
            )
