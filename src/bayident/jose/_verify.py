"""Verifying a JWS (RFC 7515) with a detached or attached payload, and the evidence handler.

One run: parse → check each signature's header (alg, crit, b64, JAdES fields) → find
each signature's key (``x5c`` chain, ``x5t#S256`` reference, or ``kid`` in a JWKS the
caller named) → build the signing input (hashing large detached content in one pass)
→ check each signature → validate certificate paths → decide. Every step is a check in
the result; nothing raises for bad evidence.
"""

from __future__ import annotations

import asyncio
from typing import Any

from .._handlers import EvidenceContext
from .._result import (
    Check,
    CheckOutcome,
    Indication,
    SignerReport,
    SubIndication,
    VerificationResult,
    _build,
    worst_report,
)
from ._claims import ClaimRules, check_claims
from ._header import UNDERSTOOD_CRIT, check_structure, payload_mode, read_claims, read_header
from ._jwks import JWKSet, JWKSResolver
from ._keys import find_key, lookup_async, lookup_sync, use_lookup
from ._parse import JWSFormatError, ParsedJWS, looks_like_jws, parse_jws
from ._sig import CERTS, FAILED_SUBS, JWTOptions, Sig, Stop, make_check
from ._signature import (
    check_algorithms,
    check_key_usage,
    check_path,
    check_signature,
    check_signing_time,
    signing_inputs,
)

__all__ = ["UNDERSTOOD_CRIT", "JWSHandler", "JWTOptions", "Run"]


class Run:
    """One verification of one JWS (or JWT) with one context."""

    def __init__(
        self,
        ctx: EvidenceContext,
        jwks: JWKSet | JWKSResolver | None,
        jwt: JWTOptions | None = None,
    ) -> None:
        self.ctx = ctx
        self.jwks = jwks
        self.jwt = jwt
        self.format = "jwt" if jwt is not None else "jws"
        self.sigs: list[Sig] = []
        self.parsed: ParsedJWS | None = None
        self.payload: bytes | None = None  # decoded attached payload
        self.claims: dict[str, Any] | None = None
        self.claim_checks: list[Check] = []
        self.claim_verdict: tuple[Indication, SubIndication, str] | None = None
        self.early: VerificationResult | None = None

    # --- entry points ---------------------------------------------------------------
    def run(self) -> VerificationResult:
        if self._start():
            for s in self.sigs:
                if s.needs_jwks:
                    use_lookup(s, lookup_sync(s, self.ctx, self.jwks))
            return self._finish()
        assert self.early is not None
        return self.early

    async def arun(self) -> VerificationResult:
        if self._start():
            for s in self.sigs:
                if s.needs_jwks:
                    use_lookup(s, await lookup_async(s, self.ctx, self.jwks))
            c = self.ctx.content
            if c is None or (isinstance(c, (bytes, bytearray, memoryview)) and len(c) < 1 << 20):
                return self._finish()
            # Files, streams and large buffers are hashed off the event loop.
            return await asyncio.to_thread(self._finish)
        assert self.early is not None
        return self.early

    # --- result helpers ---------------------------------------------------------------
    def _result(
        self,
        ind: Indication,
        sub: SubIndication | None,
        message: str,
        signers: tuple[SignerReport, ...] = (),
    ) -> VerificationResult:
        make = self.ctx.make_result
        assert make is not None
        return make(ind, sub, message, signers, evidence_format=self.format)

    def _stop(self, stop: Stop) -> bool:
        ind = Indication.FAILED if stop.sub in FAILED_SUBS else Indication.INDETERMINATE
        outcome = CheckOutcome.FAILED if ind is Indication.FAILED else CheckOutcome.INDETERMINATE
        self.ctx.checks.append(make_check(stop.name, outcome, stop.message, stop.concerns, None))
        self.early = self._result(ind, stop.sub, stop.message)
        return False

    # --- structure and headers ---------------------------------------------------------
    def _start(self) -> bool:
        ctx = self.ctx
        pol = ctx.policy
        try:
            parsed = parse_jws(
                ctx.raw, limit=pol.max_evidence_bytes, max_signatures=pol.max_signers
            )
        except JWSFormatError as exc:
            return self._stop(
                Stop(
                    "jws-structure",
                    SubIndication.FORMAT_FAILURE,
                    f"not a well-formed JWS: {exc.message}",
                    exc.concerns,
                )
            )
        self.parsed = parsed
        try:
            check_structure(ctx, parsed, self.jwt)
        except Stop as stop:
            return self._stop(stop)
        for part in parsed.signatures:
            s = read_header(part, self.jwt)
            self.sigs.append(s)
        try:
            self.payload = payload_mode(ctx, parsed, self.sigs)
            if self.payload is not None:
                self.claims = read_claims(self.payload, self.sigs, self.jwt, pol)
        except Stop as stop:
            return self._stop(stop)
        for s in self.sigs:
            if s.verdict is None:
                find_key(s, ctx, self.jwks)
        return True

    # --- JWT claims ------------------------------------------------------------------
    def _claims(self) -> None:
        claims = self.claims
        if claims is None:
            return
        if self.jwt is not None:
            rules = self.jwt.rules
        else:
            rules = ClaimRules(
                leeway=self.ctx.policy.clock_skew, required=(), enforce_audience=False
            )
        verdict = check_claims(claims, self.ctx.at, rules)
        for name, outcome, message, concerns in verdict.checks:
            self.claim_checks.append(make_check(name, outcome, message, concerns, None))
        self.claim_verdict = verdict.verdict

    # --- decision --------------------------------------------------------------------
    def _finish(self) -> VerificationResult:
        todo = []
        for s in self.sigs:
            if s.alg is None or s.key is None or s.broken:
                continue
            check_algorithms(s, self.ctx)
            if not s.broken:
                todo.append(s)
        if todo:
            assert self.parsed is not None
            signing_inputs(todo, self.ctx, self.parsed)
        for s in todo:
            if not s.broken:
                check_signature(s, self.parsed)
        for s in self.sigs:
            if s.cert is not None and s.key is not None:
                check_key_usage(s, self.ctx.policy)
            check_path(s)
            check_signing_time(s, self.ctx)
        self._claims()
        reports = tuple(self._report(s) for s in self.sigs)
        checks = self.ctx.checks
        for s in self.sigs:
            checks.extend(s.checks)
        checks.extend(self.claim_checks)
        worst = worst_report(reports)
        n = len(reports)
        if worst is not None:
            prefix = f"signature {worst.index}: " if n > 1 else ""
            assert worst.sub_indication is not None
            cv = self.claim_verdict
            if (
                cv is not None
                and cv[0] is Indication.FAILED
                and worst.indication is not Indication.FAILED
            ):
                return self._result(cv[0], cv[1], cv[2], reports)
            return self._result(
                worst.indication, worst.sub_indication, prefix + worst.message, reports
            )
        if self.claim_verdict is not None:
            ind, sub, msg = self.claim_verdict
            return self._result(ind, sub, msg, reports)
        names = "; ".join(s.key_label for s in self.sigs)
        what = "JWT" if self.jwt is not None else "signature"
        msg = f"{what} valid: {names}" if n == 1 else f"all {n} signatures valid: {names}"
        return self._result(Indication.PASSED, None, msg, reports)

    def _report(self, s: Sig) -> SignerReport:
        if s.verdict is None:
            ind, sub, msg = Indication.PASSED, None, "signature valid"
        else:
            ind, sub, msg = s.verdict
        path = s.path
        anchor_info = None
        chain: tuple[Any, ...] = ()
        if path is not None:
            chain = tuple(c.info for c in path.chain)
            if path.anchor is not None:
                try:
                    anchor_info = CERTS.get(path.anchor.der).info
                except ValueError:  # pragma: no cover - anchors were parsed on load
                    anchor_info = None
                if anchor_info is not None and (not chain or chain[-1] is not anchor_info):
                    chain += (anchor_info,)
        details = dict(s.details)
        if s.key_source is not None:
            details["key_source"] = s.key_source
        if self.parsed is not None:
            details["serialization"] = self.parsed.serialization
        return _build(
            SignerReport,
            {
                "index": s.index,
                "indication": ind,
                "sub_indication": sub,
                "message": msg,
                "certificate": s.cert.info if s.cert is not None else None,
                "chain": chain,
                "trust_anchor": anchor_info,
                "anchors_considered": path.anchors_considered if path is not None else (),
                "digest_algorithm": s.alg.digest if s.alg is not None else None,
                "signature_algorithm": s.alg.name if s.alg is not None else None,
                "claimed_signing_time": s.signing_time,
                "signed_attributes": tuple(s.part.protected),
                "details": details,
                "revocation": s.revocation,
            },
        )


class JWSHandler:
    """Detached (and attached) JWS evidence for :func:`bayident.verify`.

    Keys come from an ``x5c`` chain validated against the trust store, or from an
    ``x5t#S256`` reference to one of the ``extra_certs``; a JWKS can be given through
    ``ctx.options["jwks"]`` (:func:`bayident.jose.verify_jws` does that).
    """

    name = "jws"

    def claims(self, raw: bytes) -> bool:
        """Compact form, or a JSON object with a signature and a header."""
        return looks_like_jws(raw)

    def verify(self, ctx: EvidenceContext) -> VerificationResult:
        """Verify; never raises for bad evidence."""
        return Run(ctx, _jwks_option(ctx)).run()

    async def averify(self, ctx: EvidenceContext) -> VerificationResult:
        """Verify without blocking the event loop on a JWKS fetch."""
        return await Run(ctx, _jwks_option(ctx)).arun()


def _jwks_option(ctx: EvidenceContext) -> JWKSet | JWKSResolver | None:
    from ._jwks import coerce_jwks

    return coerce_jwks(ctx.options.get("jwks"))


HANDLER = JWSHandler()
