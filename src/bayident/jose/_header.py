"""JWS structure and header rules: serialization, protected-only parameters, ``alg``,
``crit``, ``b64`` (RFC 7797), JAdES ``sigT``/``sigD``, JWT ``typ``/``cty``, and the payload
mode (attached or detached, and the claims set an attached payload carries).

Every rule records a check on the signature it concerns; a fault that makes the whole
JWS unusable raises :class:`~._sig.Stop`.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from .._handlers import EvidenceContext
from .._policy import Policy
from .._result import CheckOutcome, SubIndication
from ._algs import AlgorithmRefused, lookup
from ._b64 import B64Error, b64url_decode
from ._claims import normalise_typ
from ._json import JSONError, loads_object
from ._parse import ParsedJWS, SignaturePart
from ._sig import JWTOptions, Sig, Stop, make_check

__all__ = ["UNDERSTOOD_CRIT", "check_structure", "payload_mode", "read_claims", "read_header"]

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


def check_structure(ctx: EvidenceContext, parsed: ParsedJWS, jwt: JWTOptions | None) -> None:
    """Record the serialization; a JWT must be compact, attached, with no content given."""
    n = len(parsed.signatures)
    what = {
        "compact": "compact serialization",
        "json-flattened": "flattened JSON serialization",
        "json-general": "general JSON serialization",
    }[parsed.serialization]
    carried = "detached" if parsed.payload is None else "attached"
    if jwt is not None:
        if parsed.serialization != "compact":
            raise Stop(
                "jwt-structure",
                SubIndication.FORMAT_FAILURE,
                f"a JWT uses the JWS compact serialization (RFC 7519 §7.2); this is the {what}",
                "JWT",
            )
        if parsed.payload is None:
            raise Stop(
                "jwt-structure",
                SubIndication.FORMAT_FAILURE,
                "the JWT has an empty payload: a JWT carries its claims set (RFC 7519 §7.2)",
                "JWT payload",
            )
        if ctx.content is not None:
            raise Stop(
                "jwt-structure",
                SubIndication.FORMAT_FAILURE,
                "a JWT carries its own claims; no detached content applies",
                "content",
            )
    ctx.checks.append(
        make_check(
            "jws-structure",
            CheckOutcome.PASSED,
            f"JWS {what} with {n} signature{'s' if n != 1 else ''}, payload {carried}",
            ctx.label,
            None,
        )
    )


def read_header(part: SignaturePart, jwt: JWTOptions | None) -> Sig:
    """The merged header of one signature, with the header rules checked on it."""
    prot, unprot = part.protected, part.unprotected
    both = set(prot) & set(unprot)
    s = Sig(part, {**unprot, **prot})
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
    if jwt is not None and jwt.algorithms is not None and s.alg.name not in jwt.algorithms:
        s.fail(
            "jws-algorithm",
            SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
            f"algorithm {s.alg.name} is not among those allowed here ({', '.join(jwt.algorithms)})",
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
    if not _crit(s):
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
        if jwt is not None and not s.b64:
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
    if jwt is not None:
        if "cty" in h and normalise_typ(h["cty"]) == "jwt":
            s.fail(
                "jwt-type",
                SubIndication.FORMAT_FAILURE,
                "nested JWTs (cty JWT, RFC 7519 §5.2) are not supported",
                f"{where}.protected.cty",
            )
            return s
        want = jwt.typ
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
        _sig_t(s)
    return s


def _crit(s: Sig) -> bool:
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


def _sig_t(s: Sig) -> None:
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


def payload_mode(ctx: EvidenceContext, parsed: ParsedJWS, sigs: list[Sig]) -> bytes | None:
    """The decoded attached payload, or None when the payload is detached (content given)."""
    if all(s.verdict is not None for s in sigs):
        return None  # every signature is already decided; the payload changes nothing
    modes = {s.b64 for s in sigs if s.verdict is None}
    if len(modes) > 1:
        raise Stop(
            "b64",
            SubIndication.FORMAT_FAILURE,
            "the signatures disagree on 'b64': it must be the same for every "
            "signature of a JWS (RFC 7797 §3)",
            "b64",
        )
    b64 = modes.pop() if modes else True
    if parsed.payload is not None:
        if ctx.content is not None:
            raise Stop(
                "content",
                SubIndication.FORMAT_FAILURE,
                "the JWS carries its payload (it is not detached) and content was "
                "also given; pass the JWS alone, or a detached JWS with the content",
                "payload",
            )
        if not b64:
            return parsed.payload
        try:
            return b64url_decode(parsed.payload, "the payload")
        except B64Error as exc:
            raise Stop("jws-structure", SubIndication.FORMAT_FAILURE, str(exc), "payload") from None
    if ctx.content is None:
        raise Stop(
            "content",
            SubIndication.SIGNED_DATA_NOT_FOUND,
            "the JWS payload is detached and no content was given: pass content=... "
            "(the signed document, RFC 7515 Appendix F)",
            "content",
        )
    return None


def read_claims(
    payload: bytes, sigs: list[Sig], jwt: JWTOptions | None, policy: Policy
) -> dict[str, Any] | None:
    """The JWT claims set of an attached payload, when it is (or looks like) a JWT."""
    if jwt is None:
        # A JWT met by the generic JWS path still has its times checked, so an
        # expired token never passes just because it was verified as a JWS.
        typ = next((s.header.get("typ") for s in sigs if s.header.get("typ")), None)
        jwt_typ = isinstance(typ, str) and (
            normalise_typ(typ) in _JWT_TYPES or normalise_typ(typ).endswith("+jwt")
        )
        if not jwt_typ and not (
            len(payload) <= _MAX_CLAIMS_SNIFF
            and payload.lstrip()[:1] == b"{"
            and (b'"exp"' in payload or b'"nbf"' in payload)
        ):
            return None
    try:
        return loads_object(payload, "the JWT claims set", policy.max_evidence_bytes)
    except JSONError as exc:
        if jwt is not None:
            raise Stop(
                "jwt-claims",
                SubIndication.FORMAT_FAILURE,
                f"{exc} (RFC 7519 §7.2)",
                "JWT payload",
            ) from None
        return None
