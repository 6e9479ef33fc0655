"""Checking each signature once its key is known: algorithm and key against the policy,
the signing input (hashing large detached content in one pass, base64url-encoding on
the way), the signature value, then the signing certificate's key usage, path and the
claimed signing time.
"""

from __future__ import annotations

import datetime as _dt

from .._handlers import EvidenceContext
from .._input import hash_content
from .._memo import Memo
from .._pathoutcome import key_problem
from .._pathstep import path_entries, path_revocation_checks
from .._policy import Policy
from .._result import CheckOutcome, SubIndication
from ._algs import key_mismatch
from ._b64 import b64url_encode
from ._parse import ParsedJWS
from ._sig import Sig

__all__ = [
    "check_algorithms",
    "check_key_usage",
    "check_path",
    "check_signature",
    "check_signing_time",
    "signing_inputs",
]

_UNJUDGED = "\0unjudged"  # not judged yet (None is a verdict: nothing to object to)


def _key_problem(ctx: EvidenceContext, spki: bytes) -> str | None:
    """The policy's verdict on a key, remembered in the verifier's key verdicts.

    Keyed by the policy's value and the key's DER (a CMS signer's verdict is keyed by its
    certificate's fingerprint: the two kinds of key cannot meet).
    """
    pol = ctx.policy
    memo: Memo[tuple[str, str | bytes], str | None] | None = getattr(
        ctx.verifier, "_key_problems", None
    )
    if memo is None:  # a context made without a verifier
        return key_problem(pol, spki)
    k = (pol.cache_key, spki)
    problem = memo.get(k, _UNJUDGED)
    if problem is _UNJUDGED:
        problem = key_problem(pol, spki)
        memo.put(k, problem)
    return problem


def _fmt(t: _dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class _Sink:
    """Feeds detached content, in chunks, to the hash of every signature's signing input.

    Base64url-encodes on the way for b64=true signatures (carrying 0-2 octets between
    chunks so the encoding is that of the whole), keeps the whole content while it fits
    in memory (for EdDSA, which cannot be pre-hashed), and notes any '.'.
    """

    def __init__(self, sigs: list[Sig], keep_limit: int | None) -> None:
        self.hashed = [
            (s, s.alg.new_hash()) for s in sigs if s.alg is not None and s.alg.digest is not None
        ]
        for s, h in self.hashed:
            h.update(s.part.protected_b64 + b".")
        self.encoded = [h for s, h in self.hashed if s.b64]
        self.raw = [h for s, h in self.hashed if not s.b64]
        self.carry = b""
        self.keep_limit = keep_limit
        self.kept: bytearray | None = bytearray() if keep_limit is not None else None
        self.size = 0
        self.has_dot = False

    def update(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if not self.has_dot and b"." in chunk:
            self.has_dot = True
        if self.kept is not None:
            assert self.keep_limit is not None
            if self.size > self.keep_limit:
                self.kept = None
            else:
                self.kept += chunk
        for h in self.raw:
            h.update(chunk)
        if self.encoded:
            data = self.carry + chunk
            cut = len(data) - len(data) % 3
            self.carry = data[cut:]
            if cut:
                enc = b64url_encode(data[:cut])
                for h in self.encoded:
                    h.update(enc)

    def digest(self) -> bytes:
        if self.encoded and self.carry:
            enc = b64url_encode(self.carry)
            for h in self.encoded:
                h.update(enc)
        self.carry = b""
        return b""


def check_algorithms(s: Sig, ctx: EvidenceContext) -> None:
    """The algorithm, digest and key are acceptable to the policy, the signature well sized."""
    alg, key, pol, at = s.alg, s.key, ctx.policy, ctx.at
    assert alg is not None
    concerns = f"{s.where}.protected.alg"
    problem = key_mismatch(alg, key)
    if problem is not None:
        s.fail("algorithms", SubIndication.FORMAT_FAILURE, problem, concerns)
        return
    scheme = alg.policy_scheme(key)
    ok = True
    if not pol.accepts_signature(scheme, at):
        s.fail(
            "algorithms",
            SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
            f"{scheme} signatures ({alg.name}) are not accepted by the policy at {at:%Y-%m-%d}",
            concerns,
        )
        ok = False
    if alg.digest is not None and not pol.accepts_digest(alg.digest, at):
        s.fail(
            "algorithms",
            SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
            f"digest {alg.digest} ({alg.name}) is not accepted by the policy at {at:%Y-%m-%d}",
            concerns,
        )
        ok = False
    spki = s.cert.spki_der if s.cert is not None else s.jwk.spki_der if s.jwk else None
    kp = _key_problem(ctx, spki) if spki is not None else None
    if kp:
        s.fail("signer-key", SubIndication.CRYPTO_CONSTRAINTS_FAILURE, kp, s.key_label)
        ok = False
    size = alg.signature_size()
    if size is not None and len(s.part.signature) != size:
        s.fail(
            "signature",
            SubIndication.FORMAT_FAILURE,
            f"an {alg.name} signature is {size} octets (R || S, RFC 7518 §3.4); this one "
            f"is {len(s.part.signature)}",
            f"{s.where}.signature",
        )
        return
    if ok:
        desc = (
            s.cert.key_description
            if s.cert is not None
            else s.jwk.description
            if s.jwk is not None
            else "?"
        )
        s.add(
            "algorithms",
            CheckOutcome.PASSED,
            f"{alg.name} with key {desc}: accepted by the policy",
            concerns,
        )


def signing_inputs(todo: list[Sig], ctx: EvidenceContext, parsed: ParsedJWS) -> None:
    """Set each signature's signing input (in memory) or its digest (streamed)."""
    if parsed.payload is not None:
        for s in todo:
            s.signing_input = s.part.protected_b64 + b"." + parsed.payload
        return
    content = ctx.content
    compact_raw = parsed.serialization == "compact" and any(not s.b64 for s in todo)
    if isinstance(content, (bytes, bytearray, memoryview)):
        data = bytes(content)
        if compact_raw and b"." in data:
            _dot_in_payload(todo)
            return
        encoded = b64url_encode(data) if any(s.b64 for s in todo) else b""
        for s in todo:
            s.signing_input = s.part.protected_b64 + b"." + (encoded if s.b64 else data)
        return
    assert content is not None
    pol = ctx.policy
    whole_needed = any(s.alg is not None and s.alg.digest is None for s in todo)
    sink = _Sink(todo, pol.max_in_memory_content_bytes if whole_needed else None)
    hash_content(content, {"jws": sink})
    if compact_raw and sink.has_dot:
        _dot_in_payload(todo)
        return
    for s, h in sink.hashed:
        s.digest = h.digest()
    whole = bytes(sink.kept) if sink.kept is not None else None
    for s in todo:
        if s.alg is not None and s.alg.digest is None:
            if whole is None:
                s.fail(
                    "signature",
                    SubIndication.SIGNED_DATA_NOT_FOUND,
                    f"{s.alg.name} (pure EdDSA) signs the whole content, which is over the "
                    f"in-memory limit of {pol.max_in_memory_content_bytes} bytes "
                    "(Policy.max_in_memory_content_bytes)",
                    f"{s.where}.signature",
                )
                continue
            enc = b64url_encode(whole) if s.b64 else whole
            s.signing_input = s.part.protected_b64 + b"." + enc


def _dot_in_payload(todo: list[Sig]) -> None:
    for s in todo:
        s.fail(
            "b64",
            SubIndication.FORMAT_FAILURE,
            "the content contains '.', and this JWS uses the compact serialization with "
            "an unencoded payload (b64=false): RFC 7797 §5.2 forbids such payloads in "
            "compact JWS, and bayident applies that to detached content too so that the "
            "signature cannot be re-attached ambiguously; use the JSON serialization or "
            "b64=true",
            f"{s.where}.protected.b64",
        )


def check_signature(s: Sig, parsed: ParsedJWS | None) -> None:
    """The signature value verifies with the bound key over its signing input or digest."""
    alg = s.alg
    assert alg is not None
    where = f"{s.where}.signature"
    covered = "the payload carried in the JWS" if parsed and parsed.payload else "the content given"
    try:
        if s.signing_input is not None:
            good = alg.verify(s.key, s.signing_input, s.part.signature)
        elif s.digest is not None:
            good = alg.verify_digest(s.key, s.digest, s.part.signature)
        else:
            return
    except (ValueError, TypeError) as exc:
        s.fail(
            "signature",
            SubIndication.SIG_CRYPTO_FAILURE,
            f"the signature cannot be checked with {s.key_label}: {exc}",
            where,
        )
        return
    if not good:
        s.fail(
            "signature",
            SubIndication.SIG_CRYPTO_FAILURE,
            f"the {alg.name} signature over {covered} does not verify with {s.key_label}: "
            "the content or header was changed after signing, or another key signed",
            where,
        )
        return
    mode = "base64url-encoded" if s.b64 else "unencoded (RFC 7797)"
    s.add(
        "signature",
        CheckOutcome.PASSED,
        f"{alg.name} signature over the protected header and {covered} ({mode}) "
        f"verifies with {s.key_label}",
        where,
    )


def check_key_usage(s: Sig, policy: Policy) -> None:
    """The signing certificate's KeyUsage allows what the policy asks of a signer."""
    cert = s.cert
    wanted = policy.signer_key_usage
    if cert is None or not wanted:
        return
    ku = cert.key_usage
    if ku is None:
        s.add(
            "key-usage",
            CheckOutcome.PASSED,
            "the signing certificate has no KeyUsage extension, "
            "so its key may sign (RFC 5280 §4.2.1.3)",
            cert.describe(),
        )
    elif any(u in ku for u in wanted):
        s.add(
            "key-usage",
            CheckOutcome.PASSED,
            f"key usage {', '.join(ku)} allows signing",
            cert.describe(),
        )
    else:
        s.fail(
            "key-usage",
            SubIndication.CHAIN_CONSTRAINTS_FAILURE,
            f"the key usage of {cert.describe()} is {', '.join(ku) or 'empty'}, which "
            f"does not include {' or '.join(wanted)} (RFC 5280 §4.2.1.3)",
            f"keyUsage of {cert.describe()}",
        )


def check_path(s: Sig) -> None:
    """The certificate path outcome, reported as checks on this signature."""
    outcome = s.path
    if outcome is None or s.cert is None:
        return
    # Reported as for a CMS signer: the path, the anchor's trusted-list status, and
    # the revocation status of each certificate.
    for name, passed, message, concerns in path_entries(outcome, s.cert.describe()):
        if passed:
            s.add(name, CheckOutcome.PASSED, message, concerns)
        else:
            assert outcome.sub_indication is not None
            s.fail(name, outcome.sub_indication, message, concerns)
    if outcome.revocation:
        checks, s.revocation = path_revocation_checks(outcome, s.index)
        s.checks.extend(checks)


def check_signing_time(s: Sig, ctx: EvidenceContext) -> None:
    """The claimed signing time (sigT) lies before the validation time and in the certificate."""
    when = s.signing_time
    if when is None:
        return
    at, skew = ctx.at, ctx.policy.clock_skew
    concerns = f"{s.where}.protected.sigT"
    if when > at + skew:
        s.add(
            "signing-time",
            CheckOutcome.WARNING,
            f"claimed signing time {_fmt(when)} is after the validation time {_fmt(at)}",
            concerns,
        )
    elif s.cert is not None and not (s.cert.not_before - skew <= when <= s.cert.not_after + skew):
        s.add(
            "signing-time",
            CheckOutcome.WARNING,
            f"claimed signing time {_fmt(when)} is outside the validity of {s.cert.describe()}",
            concerns,
        )
    else:
        s.add(
            "signing-time",
            CheckOutcome.PASSED,
            f"claimed signing time {_fmt(when)} (sigT; a claim by the signer, not a proof)",
            concerns,
        )
