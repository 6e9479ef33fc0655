"""Verifying a JWS (RFC 7515) with a detached or attached payload, and the evidence handler.

One run: parse → check each signature's header (alg, crit, b64, JAdES fields) → find
each signature's key (``x5c`` chain, ``x5t#S256`` reference, or ``kid`` in a JWKS the
caller named) → build the signing input (hashing large detached content in one pass)
→ check each signature → validate certificate paths → decide. Every step is a check in
the result; nothing raises for bad evidence.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import hashlib
import threading
from dataclasses import dataclass
from typing import Any

from .._algorithms import AlgorithmError
from .._certs import CertificateCache, CertRecord
from .._handlers import EvidenceContext
from .._input import hash_content
from .._path import PathOutcome, key_problem
from .._pathstep import path_entries, path_revocation_checks
from .._policy import Policy
from .._result import (
    Check,
    CheckOutcome,
    Indication,
    RevocationInfo,
    SignerReport,
    SubIndication,
    VerificationResult,
    _fast,
    worst_report,
)
from ._algs import AlgorithmRefused, JoseAlgorithm, key_mismatch, lookup
from ._b64 import B64Error, b64url_decode, b64url_encode, std_b64_decode
from ._claims import ClaimRules, check_claims, normalise_typ
from ._json import JSONError, loads_object
from ._jwks import JsonWebKey, JWKSet, JWKSResolver, KeyLookup
from ._parse import JWSFormatError, ParsedJWS, SignaturePart, looks_like_jws, parse_jws

__all__ = ["JWSHandler", "JWTOptions", "Run"]

_OUT = CheckOutcome
_FAILED_SUBS = {
    SubIndication.FORMAT_FAILURE,
    SubIndication.HASH_FAILURE,
    SubIndication.SIG_CRYPTO_FAILURE,
    SubIndication.REVOKED,
}
# Extensions bayident understands when a producer lists them in "crit": RFC 7797's b64
# and JAdES's claimed signing time (ETSI TS 119 182-1 §5.2.1), which JAdES makes critical.
UNDERSTOOD_CRIT = frozenset({"b64", "sigT"})
# Header parameters defined by RFC 7515 and RFC 7518 may not appear in "crit" (RFC 7515 §4.1.11).
_REGISTERED = frozenset(
    {
        "alg",
        "jku",
        "jwk",
        "kid",
        "x5u",
        "x5c",
        "x5t",
        "x5t#S256",
        "typ",
        "cty",
        "crit",
        "enc",
        "zip",
        "epk",
        "apu",
        "apv",
        "iv",
        "tag",
        "p2s",
        "p2c",
    }
)
# Parameters whose meaning depends on being signed.
_PROTECTED_ONLY = ("alg", "crit", "b64", "sigT", "sigD")
_JWT_TYPES = frozenset({"jwt"})
_MAX_CLAIMS_SNIFF = 64 * 1024

_CERTS = CertificateCache()
_KEY_PROBLEMS: dict[tuple[str, bytes], str | None] = {}
_KP_LOCK = threading.Lock()


def _check(
    name: str, outcome: CheckOutcome, message: str, concerns: str | None, signer: int | None
) -> Check:
    # Values made here are already valid; validating them again would cost more than the
    # signature check on a warm path.
    return _fast(
        Check,
        {
            "name": name,
            "outcome": outcome,
            "message": message,
            "concerns": concerns,
            "signer": signer,
        },
    )


def _key_problem(pol: Policy, spki: bytes) -> str | None:
    k = (pol.cache_key, spki)
    try:
        return _KEY_PROBLEMS[k]
    except KeyError:
        pass
    problem = key_problem(pol, spki)
    with _KP_LOCK:
        if len(_KEY_PROBLEMS) > 4096:
            _KEY_PROBLEMS.clear()
        _KEY_PROBLEMS[k] = problem
    return problem


def _fmt(t: _dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class JWTOptions:
    """What :func:`bayident.jose.verify_jwt` checks beyond the signature."""

    rules: ClaimRules
    typ: str | None = None
    algorithms: tuple[str, ...] | None = None


class _Sig:
    """What is known and decided about one signature (a plain class: built per call)."""

    __slots__ = (
        "alg",
        "b64",
        "cert",
        "checks",
        "details",
        "digest",
        "header",
        "jwk",
        "key",
        "key_label",
        "key_source",
        "kid",
        "needs_jwks",
        "part",
        "path",
        "revocation",
        "signing_input",
        "signing_time",
        "verdict",
    )

    def __init__(self, part: SignaturePart, header: dict[str, Any]) -> None:
        self.part = part
        self.header = header
        self.checks: list[Check] = []
        self.verdict: tuple[Indication, SubIndication, str] | None = None
        self.alg: JoseAlgorithm | None = None
        self.b64 = True
        self.kid: str | None = None
        self.key: Any = None
        self.key_label = ""
        self.key_source: str | None = None
        self.cert: CertRecord | None = None
        self.path: PathOutcome | None = None
        self.revocation: tuple[RevocationInfo, ...] = ()
        self.jwk: JsonWebKey | None = None
        self.signing_time: _dt.datetime | None = None
        self.signing_input: bytes | None = None
        self.digest: bytes | None = None
        self.needs_jwks = False
        self.details: dict[str, Any] = {}

    @property
    def index(self) -> int:
        return self.part.index

    @property
    def where(self) -> str:
        return self.part.where

    @property
    def broken(self) -> bool:
        return self.verdict is not None and self.verdict[0] is Indication.FAILED

    def add(self, name: str, outcome: CheckOutcome, message: str, concerns: str | None) -> None:
        self.checks.append(_check(name, outcome, message, concerns, self.part.index))

    def fail(self, name: str, sub: SubIndication, message: str, concerns: str | None) -> None:
        ind = Indication.FAILED if sub in _FAILED_SUBS else Indication.INDETERMINATE
        self.add(
            name, _OUT.FAILED if ind is Indication.FAILED else _OUT.INDETERMINATE, message, concerns
        )
        # A proven failure outranks an open question; within a rank the first reason stands.
        if self.verdict is None or (
            ind is Indication.FAILED and self.verdict[0] is not Indication.FAILED
        ):
            self.verdict = (ind, sub, message)


class _Stop(Exception):
    """The whole JWS is unusable; the result is made from these fields."""

    def __init__(self, name: str, sub: SubIndication, message: str, concerns: str | None) -> None:
        super().__init__(message)
        self.name, self.sub, self.message, self.concerns = name, sub, message, concerns


class _Sink:
    """Feeds detached content, in chunks, to the hash of every signature's signing input.

    Base64url-encodes on the way for b64=true signatures (carrying 0-2 octets between
    chunks so the encoding is that of the whole), keeps the whole content while it fits
    in memory (for EdDSA, which cannot be pre-hashed), and notes any '.'.
    """

    def __init__(self, sigs: list[_Sig], keep_limit: int | None) -> None:
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
        self.sigs: list[_Sig] = []
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
                    self._use_lookup(s, self._lookup_sync(s))
            return self._finish()
        assert self.early is not None
        return self.early

    async def arun(self) -> VerificationResult:
        if self._start():
            for s in self.sigs:
                if s.needs_jwks:
                    self._use_lookup(s, await self._lookup_async(s))
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

    def _stop(self, stop: _Stop) -> bool:
        ind = Indication.FAILED if stop.sub in _FAILED_SUBS else Indication.INDETERMINATE
        outcome = _OUT.FAILED if ind is Indication.FAILED else _OUT.INDETERMINATE
        self.ctx.checks.append(_check(stop.name, outcome, stop.message, stop.concerns, None))
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
                _Stop(
                    "jws-structure",
                    SubIndication.FORMAT_FAILURE,
                    f"not a well-formed JWS: {exc.message}",
                    exc.concerns,
                )
            )
        self.parsed = parsed
        try:
            self._structure(parsed)
        except _Stop as stop:
            return self._stop(stop)
        for part in parsed.signatures:
            s = self._header(part)
            self.sigs.append(s)
        try:
            self._payload_mode()
        except _Stop as stop:
            return self._stop(stop)
        for s in self.sigs:
            if s.verdict is None:
                self._find_key(s)
        return True

    def _structure(self, parsed: ParsedJWS) -> None:
        n = len(parsed.signatures)
        what = {
            "compact": "compact serialization",
            "json-flattened": "flattened JSON serialization",
            "json-general": "general JSON serialization",
        }[parsed.serialization]
        carried = "detached" if parsed.payload is None else "attached"
        if self.jwt is not None:
            if parsed.serialization != "compact":
                raise _Stop(
                    "jwt-structure",
                    SubIndication.FORMAT_FAILURE,
                    f"a JWT uses the JWS compact serialization (RFC 7519 §7.2); this is the {what}",
                    "JWT",
                )
            if parsed.payload is None:
                raise _Stop(
                    "jwt-structure",
                    SubIndication.FORMAT_FAILURE,
                    "the JWT has an empty payload: a JWT carries its claims set (RFC 7519 §7.2)",
                    "JWT payload",
                )
            if self.ctx.content is not None:
                raise _Stop(
                    "jwt-structure",
                    SubIndication.FORMAT_FAILURE,
                    "a JWT carries its own claims; no detached content applies",
                    "content",
                )
        self.ctx.checks.append(
            _check(
                "jws-structure",
                _OUT.PASSED,
                f"JWS {what} with {n} signature{'s' if n != 1 else ''}, payload {carried}",
                self.ctx.label,
                None,
            )
        )

    def _header(self, part: SignaturePart) -> _Sig:
        prot, unprot = part.protected, part.unprotected
        both = set(prot) & set(unprot)
        s = _Sig(part, {**unprot, **prot})
        where = part.where
        if both:
            s.fail(
                "jws-header",
                SubIndication.FORMAT_FAILURE,
                f"header parameter(s) {', '.join(sorted(both))} appear in both the protected "
                f"and the unprotected header of {where} (RFC 7515 §7.2.1)",
                f"{where}.header",
            )
            return s
        for name in _PROTECTED_ONLY:
            if name in unprot:
                why = {
                    "alg": "bayident requires the algorithm to be signed (RFC 8725 §3.1)",
                    "crit": "RFC 7515 §4.1.11",
                    "b64": "RFC 7797 §3",
                }.get(name, "ETSI TS 119 182-1 §5.2")
                s.fail(
                    "jws-header",
                    SubIndication.FORMAT_FAILURE,
                    f"{name!r} is in the unprotected header of {where}; it must be integrity "
                    f"protected ({why})",
                    f"{where}.header.{name}",
                )
                return s
        h = s.header
        # alg
        try:
            s.alg = lookup(h.get("alg")) if "alg" in h else None
        except AlgorithmRefused as exc:
            sub = (
                SubIndication.FORMAT_FAILURE
                if exc.unsecured
                else SubIndication.CRYPTO_CONSTRAINTS_FAILURE
            )
            s.fail("jws-algorithm", sub, exc.reason, f"{where}.protected.alg")
            return s
        if s.alg is None:
            s.fail(
                "jws-algorithm",
                SubIndication.FORMAT_FAILURE,
                f"the header of {where} has no 'alg' (RFC 7515 §4.1.1)",
                f"{where}.protected",
            )
            return s
        s.details["alg"] = s.alg.name
        if not part.signature:
            s.fail(
                "signature",
                SubIndication.FORMAT_FAILURE,
                f"the signature value of {where} is empty",
                f"{where}.signature",
            )
            return s
        if (
            self.jwt is not None
            and self.jwt.algorithms is not None
            and s.alg.name not in self.jwt.algorithms
        ):
            s.fail(
                "jws-algorithm",
                SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
                f"algorithm {s.alg.name} is not among those allowed here "
                f"({', '.join(self.jwt.algorithms)})",
                f"{where}.protected.alg",
            )
            return s
        # JAdES sigD: the signature covers documents named in the header, not the payload.
        if "sigD" in h:
            s.details["sigD"] = h["sigD"] if len(repr(h["sigD"])) < 2048 else "(too long)"
            s.fail(
                "sigD",
                SubIndication.SIGNED_DATA_NOT_FOUND,
                "the header carries 'sigD' (JAdES detached signed-data references, ETSI TS "
                "119 182-1 §5.2.8): the signature covers the documents it references, which "
                "bayident does not resolve; it is not verified against the content given",
                f"{where}.protected.sigD",
            )
            return s
        if not self._crit(s):
            return s
        # b64 (RFC 7797)
        if "b64" in h:
            if not isinstance(h["b64"], bool):
                s.fail(
                    "b64",
                    SubIndication.FORMAT_FAILURE,
                    f"'b64' must be true or false, not {h['b64']!r} (RFC 7797 §3)",
                    f"{where}.protected.b64",
                )
                return s
            crit = h.get("crit")
            if not isinstance(crit, list) or "b64" not in crit:
                s.fail(
                    "b64",
                    SubIndication.FORMAT_FAILURE,
                    "'b64' is in the header but not listed in 'crit': a recipient that does "
                    "not know RFC 7797 would verify a different payload (RFC 7797 §6)",
                    f"{where}.protected.crit",
                )
                return s
            s.b64 = h["b64"]
            if self.jwt is not None and not s.b64:
                s.fail(
                    "b64",
                    SubIndication.FORMAT_FAILURE,
                    "a JWT's payload is base64url-encoded (RFC 7519 §7.2); b64=false is "
                    "not accepted for JWTs",
                    f"{where}.protected.b64",
                )
                return s
        s.details["b64"] = s.b64
        # typed values
        for name in ("kid", "typ", "cty"):
            if name in h and not isinstance(h[name], str):
                s.fail(
                    "jws-header",
                    SubIndication.FORMAT_FAILURE,
                    f"{name!r} must be a string (RFC 7515 §4.1)",
                    f"{where}.header.{name}",
                )
                return s
        s.kid = h.get("kid")
        if s.kid is not None:
            s.details["kid"] = s.kid
        for name in ("typ", "cty"):
            if name in h:
                s.details[name] = h[name]
        if self.jwt is not None:
            if "cty" in h and normalise_typ(h["cty"]) == "jwt":
                s.fail(
                    "jwt-type",
                    SubIndication.FORMAT_FAILURE,
                    "nested JWTs (cty JWT, RFC 7519 §5.2) are not supported",
                    f"{where}.protected.cty",
                )
                return s
            want = self.jwt.typ
            if want is not None:
                got = h.get("typ")
                if got is None or normalise_typ(got) != normalise_typ(want):
                    s.fail(
                        "jwt-type",
                        SubIndication.SIG_CONSTRAINTS_FAILURE,
                        f"the token's typ is {got!r}, not {want!r} (RFC 8725 §3.11)",
                        f"{where}.protected.typ",
                    )
                    return s
        if "sigT" in h:
            self._sig_t(s)
        return s

    def _crit(self, s: _Sig) -> bool:
        h, where = s.header, s.where
        if "crit" not in h:
            return True
        crit = h["crit"]
        concerns = f"{where}.protected.crit"
        if not isinstance(crit, list) or not crit or not all(isinstance(c, str) for c in crit):
            s.fail(
                "crit",
                SubIndication.FORMAT_FAILURE,
                "'crit' must be a non-empty array of header parameter names (RFC 7515 §4.1.11)",
                concerns,
            )
            return False
        if len(set(crit)) != len(crit):
            s.fail(
                "crit",
                SubIndication.FORMAT_FAILURE,
                "'crit' lists a name twice (RFC 7515 §4.1.11)",
                concerns,
            )
            return False
        registered = [c for c in crit if c in _REGISTERED]
        if registered:
            s.fail(
                "crit",
                SubIndication.FORMAT_FAILURE,
                f"'crit' lists {', '.join(registered)}, defined by RFC 7515/7518 itself, "
                "which producers must not do (RFC 7515 §4.1.11)",
                concerns,
            )
            return False
        unknown = [c for c in crit if c not in UNDERSTOOD_CRIT]
        if unknown:
            s.fail(
                "crit",
                SubIndication.FORMAT_FAILURE,
                f"'crit' names the extension(s) {', '.join(map(repr, unknown))}, which "
                "bayident does not understand, so the JWS is invalid for it (RFC 7515 "
                f"§4.1.11); understood: {', '.join(sorted(UNDERSTOOD_CRIT))}",
                concerns,
            )
            return False
        absent = [c for c in crit if c not in h]
        if absent:
            s.fail(
                "crit",
                SubIndication.FORMAT_FAILURE,
                f"'crit' names {', '.join(absent)}, which the header does not contain "
                "(RFC 7515 §4.1.11)",
                concerns,
            )
            return False
        return True

    def _sig_t(self, s: _Sig) -> None:
        value = s.header["sigT"]
        where = f"{s.where}.protected.sigT"
        when = None
        if isinstance(value, str) and len(value) <= 40 and value.endswith("Z"):
            try:
                when = _dt.datetime.fromisoformat(value[:-1] + "+00:00")
            except ValueError:
                when = None
        if when is None:
            s.fail(
                "signing-time",
                SubIndication.FORMAT_FAILURE,
                f"'sigT' must be a UTC time like 2026-01-31T12:00:00Z (ETSI TS 119 182-1 "
                f"§5.2.1), not {value!r}",
                where,
            )
            return
        s.signing_time = when.astimezone(_dt.UTC)

    def _payload_mode(self) -> None:
        parsed = self.parsed
        assert parsed is not None
        if all(s.verdict is not None for s in self.sigs):
            return  # every signature is already decided; the payload changes nothing
        modes = {s.b64 for s in self.sigs if s.verdict is None}
        if len(modes) > 1:
            raise _Stop(
                "b64",
                SubIndication.FORMAT_FAILURE,
                "the signatures disagree on 'b64': it must be the same for every "
                "signature of a JWS (RFC 7797 §3)",
                "b64",
            )
        b64 = modes.pop() if modes else True
        if parsed.payload is not None:
            if self.ctx.content is not None:
                raise _Stop(
                    "content",
                    SubIndication.FORMAT_FAILURE,
                    "the JWS carries its payload (it is not detached) and content was "
                    "also given; pass the JWS alone, or a detached JWS with the content",
                    "payload",
                )
            if b64:
                try:
                    self.payload = b64url_decode(parsed.payload, "the payload")
                except B64Error as exc:
                    raise _Stop(
                        "jws-structure", SubIndication.FORMAT_FAILURE, str(exc), "payload"
                    ) from None
            else:
                self.payload = parsed.payload
            self._claims_from_payload()
        elif self.ctx.content is None:
            raise _Stop(
                "content",
                SubIndication.SIGNED_DATA_NOT_FOUND,
                "the JWS payload is detached and no content was given: pass content=... "
                "(the signed document, RFC 7515 Appendix F)",
                "content",
            )

    def _claims_from_payload(self) -> None:
        payload = self.payload
        assert payload is not None
        if self.jwt is None:
            # A JWT met by the generic JWS path still has its times checked, so an
            # expired token never passes just because it was verified as a JWS.
            typ = next((s.header.get("typ") for s in self.sigs if s.header.get("typ")), None)
            jwt_typ = isinstance(typ, str) and (
                normalise_typ(typ) in _JWT_TYPES or normalise_typ(typ).endswith("+jwt")
            )
            if not jwt_typ and not (
                len(payload) <= _MAX_CLAIMS_SNIFF
                and payload.lstrip()[:1] == b"{"
                and (b'"exp"' in payload or b'"nbf"' in payload)
            ):
                return
        try:
            self.claims = loads_object(
                payload, "the JWT claims set", self.ctx.policy.max_evidence_bytes
            )
        except JSONError as exc:
            if self.jwt is not None:
                raise _Stop(
                    "jwt-claims",
                    SubIndication.FORMAT_FAILURE,
                    f"{exc} (RFC 7519 §7.2)",
                    "JWT payload",
                ) from None
            self.claims = None

    # --- keys ------------------------------------------------------------------------
    def _find_key(self, s: _Sig) -> None:
        h, where = s.header, s.where
        if "x5c" in h:
            self._from_x5c(s)
        elif "x5t#S256" in h and self._x5t_in_extras(s):
            pass
        elif self.jwks is not None:
            s.needs_jwks = True
        else:
            carried = [p for p in ("jwk", "jku", "x5u") if p in h]
            extra = ""
            if carried:
                extra = (
                    f"; the header's {', '.join(carried)} is not used: a key named or "
                    "carried by the token itself is never trusted and no URL from a "
                    "token is fetched (RFC 8725 §3.10)"
                )
            if "x5t#S256" in h:
                msg = (
                    "'x5t#S256' names a certificate that is neither in the JWS (x5c) nor "
                    "among the extra certificates given" + extra
                )
            elif s.kid is not None:
                msg = (
                    f"the signature names key {s.kid!r} but no JWKS was given to look it up "
                    "(pass jwks=... to bayident.jose.verify_jws / verify_jwt)" + extra
                )
            else:
                msg = (
                    "nothing identifies a trusted key: no x5c certificate chain, no "
                    "x5t#S256 reference and no JWKS" + extra
                )
            s.fail(
                "signing-key", SubIndication.NO_SIGNING_CERTIFICATE_FOUND, msg, f"{where}.header"
            )

    def _from_x5c(self, s: _Sig) -> None:
        h, where, pol = s.header, s.where, self.ctx.policy
        x5c = h["x5c"]
        concerns = f"{where}.header.x5c"
        if not isinstance(x5c, list) or not x5c or not all(isinstance(c, str) for c in x5c):
            s.fail(
                "x5c",
                SubIndication.FORMAT_FAILURE,
                "'x5c' must be a non-empty array of base64 certificates (RFC 7515 §4.1.6)",
                concerns,
            )
            return
        if len(x5c) > pol.max_certificates:
            s.fail(
                "x5c",
                SubIndication.FORMAT_FAILURE,
                f"'x5c' holds {len(x5c)} certificates, over the policy limit of "
                f"{pol.max_certificates} (Policy.max_certificates)",
                concerns,
            )
            return
        ders: list[bytes] = []
        records: list[CertRecord] = []
        for i, item in enumerate(x5c):
            try:
                der = std_b64_decode(item, f"x5c[{i}]")
                records.append(_CERTS.get(der))
            except (B64Error, ValueError) as exc:
                s.fail(
                    "x5c",
                    SubIndication.FORMAT_FAILURE,
                    f"x5c[{i}] is not a certificate: {exc}",
                    f"{concerns}[{i}]",
                )
                return
            ders.append(der)
        leaf = records[0]
        s.key_source = "x5c"
        self._bind_certificate(s, leaf, ders[1:])

    def _x5t_in_extras(self, s: _Sig) -> bool:
        thumb = self._thumbprint(s, "x5t#S256", 32)
        if thumb is None:
            return True  # failed already
        for der in self.ctx.extra_certs:
            if hashlib.sha256(der).digest() == thumb:
                try:
                    rec = _CERTS.get(der)
                except ValueError:
                    continue
                s.key_source = "x5t#S256"
                others = [d for d in self.ctx.extra_certs if d is not der]
                self._bind_certificate(s, rec, others)
                return True
        return False

    def _thumbprint(self, s: _Sig, name: str, size: int) -> bytes | None:
        value = s.header[name]
        concerns = f"{s.where}.header.{name}"
        try:
            if not isinstance(value, str):
                raise B64Error(f"'{name}' must be a base64url string")
            raw = b64url_decode(value, f"'{name}'")
        except B64Error as exc:
            s.fail(name, SubIndication.FORMAT_FAILURE, str(exc), concerns)
            return None
        if len(raw) != size:
            s.fail(
                name,
                SubIndication.FORMAT_FAILURE,
                f"'{name}' is {len(raw)} octets; a {'SHA-256' if size == 32 else 'SHA-1'} "
                f"thumbprint has {size} (RFC 7515 §4.1.{8 if size == 32 else 7})",
                concerns,
            )
            return None
        return raw

    def _bind_certificate(self, s: _Sig, leaf: CertRecord, others: list[bytes]) -> None:
        where = s.where
        s.cert = leaf
        s.key_label = leaf.describe()
        # Thumbprints bind the header to one certificate (JAdES baseline-B uses x5t#S256).
        for name, size, fn in (("x5t#S256", 32, hashlib.sha256), ("x5t", 20, hashlib.sha1)):
            if name not in s.header:
                continue
            thumb = self._thumbprint(s, name, size)
            if thumb is None:
                return
            if fn(leaf.der).digest() != thumb:
                s.fail(
                    name,
                    SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
                    f"'{name}' does not match {leaf.describe()}: the header names another "
                    "certificate than the one that signed",
                    f"{where}.header.{name}",
                )
                return
            s.add(
                name, _OUT.PASSED, f"'{name}' matches {leaf.describe()}", f"{where}.header.{name}"
            )
        try:
            s.key = leaf.public_key
        except AlgorithmError as exc:
            s.fail(
                "signing-key", SubIndication.CRYPTO_CONSTRAINTS_FAILURE, exc.reason, leaf.describe()
            )
            return
        how = (
            "carried in x5c"
            if s.key_source == "x5c"
            else "found among the extra certificates by its x5t#S256 thumbprint"
        )
        s.add(
            "signing-key",
            _OUT.PASSED,
            f"signed with the key of {leaf.describe()}, {how}",
            leaf.describe(),
        )
        try:
            s.path = self.ctx.validate_chain(leaf.der, others)
        except ValueError as exc:  # pragma: no cover - certificates were parsed above
            s.fail("certificate-path", SubIndication.FORMAT_FAILURE, str(exc), where)

    def _lookup_sync(self, s: _Sig) -> KeyLookup:
        js = self.jwks
        if isinstance(js, JWKSResolver):
            return js.lookup(s.kid, client=self.ctx.http_client)
        assert js is not None
        return js.lookup(s.kid)

    async def _lookup_async(self, s: _Sig) -> KeyLookup:
        js = self.jwks
        if isinstance(js, JWKSResolver):
            return await js.alookup(s.kid, client=self.ctx.async_http_client)
        assert js is not None
        return js.lookup(s.kid)

    def _use_lookup(self, s: _Sig, found: KeyLookup) -> None:
        where = f"{s.where}.header.kid"
        if found.error is not None:
            s.fail(
                "signing-key",
                SubIndication.TRY_LATER,
                f"the key set could not be had: {found.error}",
                found.source,
            )
            return
        assert s.alg is not None
        usable = [k for k in found.keys if key_mismatch(s.alg, k.key) is None]
        notes = f" ({'; '.join(found.notes)})" if found.notes else ""
        if s.kid is None:
            if len(usable) != 1:
                s.fail(
                    "signing-key",
                    SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
                    f"the signature has no 'kid' and {found.source} holds {len(usable)} "
                    f"{s.alg.key_type} keys usable with {s.alg.name}; without a kid exactly "
                    "one may match",
                    f"{s.where}.header",
                )
                return
        elif not found.keys:
            s.fail(
                "signing-key",
                SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
                f"no key with kid {s.kid!r} in {found.source}{notes}",
                where,
            )
            return
        elif not usable:
            k = found.keys[0]
            s.fail(
                "signing-key",
                SubIndication.FORMAT_FAILURE,
                f"{key_mismatch(s.alg, k.key)}: {k.describe()}",
                where,
            )
            return
        elif len(usable) > 1:
            s.fail(
                "signing-key",
                SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
                f"{len(usable)} keys in {found.source} have kid {s.kid!r}; the key is ambiguous",
                where,
            )
            return
        k = usable[0]
        if k.alg is not None and k.alg != s.alg.name:
            s.fail(
                "signing-key",
                SubIndication.FORMAT_FAILURE,
                f"{k.describe()} is for {k.alg}, but the signature uses {s.alg.name} "
                "(RFC 7517 §4.4, RFC 8725 §3.1)",
                where,
            )
            return
        s.jwk = k
        s.key = k.key
        s.key_source = "jwks"
        s.key_label = k.describe()
        s.details["jwks"] = k.source
        s.add(
            "signing-key",
            _OUT.PASSED,
            f"{k.describe()}, trusted because the caller configured that key set",
            where,
        )

    # --- signatures --------------------------------------------------------------------
    def _algorithms(self, s: _Sig) -> None:
        alg, key, pol, at = s.alg, s.key, self.ctx.policy, self.ctx.at
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
        kp = _key_problem(pol, spki) if spki is not None else None
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
                _OUT.PASSED,
                f"{alg.name} with key {desc}: accepted by the policy",
                concerns,
            )

    def _signing_inputs(self, todo: list[_Sig]) -> None:
        """Set each signature's signing input (in memory) or its digest (streamed)."""
        parsed = self.parsed
        assert parsed is not None
        if parsed.payload is not None:
            for s in todo:
                s.signing_input = s.part.protected_b64 + b"." + parsed.payload
            return
        content = self.ctx.content
        compact_raw = parsed.serialization == "compact" and any(not s.b64 for s in todo)
        if isinstance(content, (bytes, bytearray, memoryview)):
            data = bytes(content)
            if compact_raw and b"." in data:
                self._dot_in_payload(todo)
                return
            encoded = b64url_encode(data) if any(s.b64 for s in todo) else b""
            for s in todo:
                s.signing_input = s.part.protected_b64 + b"." + (encoded if s.b64 else data)
            return
        assert content is not None
        pol = self.ctx.policy
        whole_needed = any(s.alg is not None and s.alg.digest is None for s in todo)
        sink = _Sink(todo, pol.max_in_memory_content_bytes if whole_needed else None)
        hash_content(content, {"jws": sink})
        if compact_raw and sink.has_dot:
            self._dot_in_payload(todo)
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

    def _dot_in_payload(self, todo: list[_Sig]) -> None:
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

    def _verify_signature(self, s: _Sig) -> None:
        alg = s.alg
        assert alg is not None
        where = f"{s.where}.signature"
        covered = (
            "the payload carried in the JWS"
            if self.parsed and self.parsed.payload
            else "the content given"
        )
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
            _OUT.PASSED,
            f"{alg.name} signature over the protected header and {covered} ({mode}) "
            f"verifies with {s.key_label}",
            where,
        )

    def _key_usage(self, s: _Sig) -> None:
        cert = s.cert
        wanted = self.ctx.policy.signer_key_usage
        if cert is None or not wanted:
            return
        ku = cert.key_usage
        if ku is None:
            s.add(
                "key-usage",
                _OUT.PASSED,
                "the signing certificate has no KeyUsage extension, "
                "so its key may sign (RFC 5280 §4.2.1.3)",
                cert.describe(),
            )
        elif any(u in ku for u in wanted):
            s.add(
                "key-usage",
                _OUT.PASSED,
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

    def _path(self, s: _Sig) -> None:
        outcome = s.path
        if outcome is None or s.cert is None:
            return
        # Reported as for a CMS signer: the path, the anchor's trusted-list status, and
        # the revocation status of each certificate.
        for name, passed, message, concerns in path_entries(outcome, s.cert.describe()):
            if passed:
                s.add(name, _OUT.PASSED, message, concerns)
            else:
                assert outcome.sub_indication is not None
                s.fail(name, outcome.sub_indication, message, concerns)
        if outcome.revocation:
            checks, s.revocation = path_revocation_checks(outcome, s.index)
            s.checks.extend(checks)

    def _signing_time_check(self, s: _Sig) -> None:
        when = s.signing_time
        if when is None:
            return
        at, skew = self.ctx.at, self.ctx.policy.clock_skew
        concerns = f"{s.where}.protected.sigT"
        if when > at + skew:
            s.add(
                "signing-time",
                _OUT.WARNING,
                f"claimed signing time {_fmt(when)} is after the validation time {_fmt(at)}",
                concerns,
            )
        elif s.cert is not None and not (
            s.cert.not_before - skew <= when <= s.cert.not_after + skew
        ):
            s.add(
                "signing-time",
                _OUT.WARNING,
                f"claimed signing time {_fmt(when)} is outside the validity of {s.cert.describe()}",
                concerns,
            )
        else:
            s.add(
                "signing-time",
                _OUT.PASSED,
                f"claimed signing time {_fmt(when)} (sigT; a claim by the signer, not a proof)",
                concerns,
            )

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
            self.claim_checks.append(_check(name, outcome, message, concerns, None))
        self.claim_verdict = verdict.verdict

    # --- decision --------------------------------------------------------------------
    def _finish(self) -> VerificationResult:
        todo = []
        for s in self.sigs:
            if s.alg is None or s.key is None or s.broken:
                continue
            self._algorithms(s)
            if not s.broken:
                todo.append(s)
        if todo:
            self._signing_inputs(todo)
        for s in todo:
            if not s.broken:
                self._verify_signature(s)
        for s in self.sigs:
            if s.cert is not None and s.key is not None:
                self._key_usage(s)
            self._path(s)
            self._signing_time_check(s)
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

    def _report(self, s: _Sig) -> SignerReport:
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
                    anchor_info = _CERTS.get(path.anchor.der).info
                except ValueError:  # pragma: no cover - anchors were parsed on load
                    anchor_info = None
                if anchor_info is not None and (not chain or chain[-1] is not anchor_info):
                    chain += (anchor_info,)
        details = dict(s.details)
        if s.key_source is not None:
            details["key_source"] = s.key_source
        if self.parsed is not None:
            details["serialization"] = self.parsed.serialization
        return _fast(
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
