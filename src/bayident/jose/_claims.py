"""JWT claim checks (RFC 7519 §4.1, RFC 8725 §3.8-3.11): times, issuer, audience, type."""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .._result import CheckOutcome, Indication, SubIndication

__all__ = ["ClaimRules", "ClaimVerdict", "check_claims", "normalise_typ"]

MAX_LEEWAY = _dt.timedelta(minutes=10)
_TIME_CLAIMS = ("exp", "nbf", "iat")


@dataclass(frozen=True)
class ClaimRules:
    """What the caller asked to be checked."""

    leeway: _dt.timedelta
    required: tuple[str, ...] = ("exp",)
    issuer: tuple[str, ...] | None = None
    audience: tuple[str, ...] | None = None
    # In the JWS handler, audience is not the verifier's business: a JWT met there has
    # its times checked but its audience left to the application (reported, not refused).
    enforce_audience: bool = True


@dataclass
class ClaimVerdict:
    checks: list[tuple[str, CheckOutcome, str, str]] = field(default_factory=list)
    verdict: tuple[Indication, SubIndication, str] | None = None

    def fail(
        self, name: str, ind: Indication, sub: SubIndication, message: str, concerns: str
    ) -> None:
        outcome = CheckOutcome.FAILED if ind is Indication.FAILED else CheckOutcome.INDETERMINATE
        self.checks.append((name, outcome, message, concerns))
        if self.verdict is None or (
            ind is Indication.FAILED and self.verdict[0] is not Indication.FAILED
        ):
            self.verdict = (ind, sub, message)

    def ok(self, name: str, message: str, concerns: str) -> None:
        self.checks.append((name, CheckOutcome.PASSED, message, concerns))


def normalise_typ(value: str) -> str:
    """``typ`` compared as RFC 7515 §4.1.9 says: case-insensitive, "application/" optional."""
    v = value.strip().lower()
    return v[len("application/") :] if v.startswith("application/") and "/" not in v[12:] else v


def _fmt(t: _dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _numeric_date(claims: dict[str, Any], name: str, out: ClaimVerdict) -> _dt.datetime | None:
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        out.fail(
            name,
            Indication.FAILED,
            SubIndication.FORMAT_FAILURE,
            f"claim {name!r} must be a NumericDate (seconds since the epoch, RFC 7519 §2), "
            f"not {value!r}",
            f"claim {name}",
        )
        return None
    try:
        return _dt.datetime.fromtimestamp(value, _dt.UTC)
    except (OverflowError, OSError, ValueError):
        out.fail(
            name,
            Indication.FAILED,
            SubIndication.FORMAT_FAILURE,
            f"claim {name!r} = {value!r} is out of range for a date",
            f"claim {name}",
        )
        return None


def check_claims(claims: dict[str, Any], at: _dt.datetime, rules: ClaimRules) -> ClaimVerdict:
    """Check the claims set against the validation time and the caller's rules."""
    out = ClaimVerdict()
    leeway = rules.leeway
    for name in rules.required:
        if name not in claims:
            out.fail(
                "required-claims",
                Indication.INDETERMINATE,
                SubIndication.SIG_CONSTRAINTS_FAILURE,
                f"the token has no {name!r} claim, which is required",
                f"claim {name}",
            )
    times = {n: _numeric_date(claims, n, out) for n in _TIME_CLAIMS if n in claims}
    exp, nbf, iat = times.get("exp"), times.get("nbf"), times.get("iat")
    slack = f" (leeway {int(leeway.total_seconds())} s)"
    if exp is not None:
        if at >= exp + leeway:
            out.fail(
                "exp",
                Indication.FAILED,
                SubIndication.EXPIRED,
                f"the token expired at {_fmt(exp)}, before the validation time "
                f"{_fmt(at)}{slack} (RFC 7519 §4.1.4)",
                "claim exp",
            )
        else:
            out.ok("exp", f"expires at {_fmt(exp)}", "claim exp")
    if nbf is not None:
        if at + leeway < nbf:
            out.fail(
                "nbf",
                Indication.INDETERMINATE,
                SubIndication.NOT_YET_VALID,
                f"the token is not valid before {_fmt(nbf)}, after the validation time "
                f"{_fmt(at)}{slack} (RFC 7519 §4.1.5)",
                "claim nbf",
            )
        else:
            out.ok("nbf", f"valid from {_fmt(nbf)}", "claim nbf")
    if iat is not None:
        if iat > at + leeway:
            out.fail(
                "iat",
                Indication.INDETERMINATE,
                SubIndication.NOT_YET_VALID,
                f"the token claims to be issued at {_fmt(iat)}, after the validation time "
                f"{_fmt(at)}{slack} (RFC 7519 §4.1.6)",
                "claim iat",
            )
        else:
            out.ok("iat", f"issued at {_fmt(iat)}", "claim iat")
    if rules.issuer is not None:
        iss = claims.get("iss")
        if not isinstance(iss, str):
            out.fail(
                "iss",
                Indication.INDETERMINATE,
                SubIndication.SIG_CONSTRAINTS_FAILURE,
                "the token has no string 'iss' claim but an issuer is required "
                f"({', '.join(rules.issuer)})",
                "claim iss",
            )
        elif iss not in rules.issuer:
            out.fail(
                "iss",
                Indication.INDETERMINATE,
                SubIndication.SIG_CONSTRAINTS_FAILURE,
                f"the token was issued by {iss!r}, not {' or '.join(map(repr, rules.issuer))} "
                "(RFC 7519 §4.1.1)",
                "claim iss",
            )
        else:
            out.ok("iss", f"issuer {iss!r} is the one expected", "claim iss")
    if "aud" in claims or rules.audience is not None:
        _audience(claims, rules, out)
    return out


def _audience(claims: dict[str, Any], rules: ClaimRules, out: ClaimVerdict) -> None:
    aud = claims.get("aud")
    values: Sequence[Any] = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if "aud" in claims and (not values or not all(isinstance(a, str) for a in values)):
        out.fail(
            "aud",
            Indication.FAILED,
            SubIndication.FORMAT_FAILURE,
            "claim 'aud' must be a string or an array of strings (RFC 7519 §4.1.3)",
            "claim aud",
        )
        return
    if rules.audience is None:
        if rules.enforce_audience:
            out.fail(
                "aud",
                Indication.INDETERMINATE,
                SubIndication.SIG_CONSTRAINTS_FAILURE,
                f"the token is meant for {', '.join(map(repr, values))} and no audience was "
                "given: pass audience=... to accept it (RFC 7519 §4.1.3)",
                "claim aud",
            )
        else:
            out.checks.append(
                (
                    "aud",
                    CheckOutcome.SKIPPED,
                    f"audience {', '.join(map(repr, values))} not checked here; use "
                    "bayident.jose.verify_jwt(audience=...)",
                    "claim aud",
                )
            )
        return
    if not values:
        out.fail(
            "aud",
            Indication.INDETERMINATE,
            SubIndication.SIG_CONSTRAINTS_FAILURE,
            f"the token has no 'aud' claim but audience {rules.audience[0]!r} is required",
            "claim aud",
        )
    elif not set(values) & set(rules.audience):
        out.fail(
            "aud",
            Indication.INDETERMINATE,
            SubIndication.SIG_CONSTRAINTS_FAILURE,
            f"the token is meant for {', '.join(map(repr, values))}, not "
            f"{' or '.join(map(repr, rules.audience))} (RFC 7519 §4.1.3)",
            "claim aud",
        )
    else:
        out.ok(
            "aud", f"audience {', '.join(map(repr, values))} includes the one expected", "claim aud"
        )
