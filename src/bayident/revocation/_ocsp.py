"""What an OCSP response says about one certificate, decided here (RFC 6960).

A response counts only when all of this holds: responseStatus successful and a
BasicOCSPResponse; a SingleResponse whose CertID matches the certificate (serial,
and the issuer's name and key hashed with whichever algorithm the response used);
a signature by the issuing CA itself or by a responder certificate the CA issued
directly for id-kp-OCSPSigning (RFC 6960 §4.2.2.2), whose own status is checked
unless it carries id-pkix-ocsp-nocheck; and times that fit the validation time.
Malformed or hostile responses give a reason, never an exception.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, cast

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp

from .. import _der as d
from .._certs import CertRecord
from .._memo import Memo
from .._names import name_key
from ._ocsp_lenient import lenient_response
from ._sig import certificate_signature_problem, check_signature, key_hash

__all__ = ["NO_NEXT_UPDATE", "OCSPVerdict", "Party", "Timing", "evaluate_ocsp"]

# How long revocation data without nextUpdate is taken as current.
NO_NEXT_UPDATE = _dt.timedelta(minutes=30)
OID_OCSP_SIGNING = "1.3.6.1.5.5.7.3.9"
OID_OCSP_NOCHECK = "1.3.6.1.5.5.7.48.1.5"
_HASHES = {"sha1", "sha224", "sha256", "sha384", "sha512"}
_KNOWN_RESPONSE_EXTENSIONS = {"1.3.6.1.5.5.7.48.1.2"}  # nonce (RFC 8954)


@dataclass(frozen=True)
class Party:
    """A certificate as revocation checking needs it: the checked one or an issuer."""

    record: CertRecord

    @property
    def subject_key(self) -> str:
        return self.record.subject_key


@dataclass(frozen=True)
class Timing:
    """The time revocation data is read at, and how it may be off."""

    at: _dt.datetime
    tolerance: _dt.timedelta = _dt.timedelta(0)
    # Data produced after the validation time may vouch for it (past validation).
    retroactive: bool = False
    max_age: _dt.timedelta | None = None


@dataclass(frozen=True)
class OCSPVerdict:
    """One response read for one certificate.

    ``status``: ``good``, ``revoked`` (by the validation time), ``unknown`` (the
    responder said so), ``unusable`` (``problem`` says why) or ``no-match`` (the
    response is about other certificates).
    """

    status: Literal["good", "revoked", "unknown", "unusable", "no-match"]
    problem: str = ""
    revoked_at: _dt.datetime | None = None
    reason: str | None = None
    produced_at: _dt.datetime | None = None
    this_update: _dt.datetime | None = None
    next_update: _dt.datetime | None = None
    # A revocation dated after the validation time (the certificate was good then).
    revoked_later: bool = False


# Checks the status of a delegated responder certificate issued by ``issuer``: a reason
# it cannot be relied on, or None.
ResponderCheck = Callable[[CertRecord, CertRecord], str | None]


def _clean(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _iso(when: _dt.datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%SZ")


# Process-wide: a pure function of the DER.
_LOADED: Memo[bytes, ocsp.OCSPResponse | str] = Memo(256)


def load(der: bytes) -> ocsp.OCSPResponse | str:
    """The parsed response, or why it cannot be used."""
    hit = _LOADED.get(der)
    if hit is not None:
        return hit
    found: ocsp.OCSPResponse | str
    try:
        resp = ocsp.load_der_ocsp_response(der)
        status = resp.response_status
        if status != ocsp.OCSPResponseStatus.SUCCESSFUL:
            found = f"its responseStatus is {status.name.lower()}, not successful"
        else:
            _ = (resp.tbs_response_bytes, resp.signature, resp.signature_algorithm_oid)
            found = resp
    except (ValueError, TypeError) as exc:
        found = f"it is malformed ({_clean(exc)})"
        with contextlib.suppress(ValueError):
            found = cast(ocsp.OCSPResponse, lenient_response(der))
    _LOADED.put(der, found)
    return found


def _matches(single: ocsp.OCSPSingleResponse, cert: CertRecord, issuer: CertRecord) -> bool:
    if single.serial_number != cert.serial:
        return False
    name = single.hash_algorithm.name
    if name not in _HASHES:
        return False
    name_hash = hashlib.new(name, cert.issuer_der).digest()
    # The issuer's own encoding of its name also counts, where the certificate's differs.
    if single.issuer_name_hash not in (name_hash, hashlib.new(name, issuer.subject_der).digest()):
        return False
    return single.issuer_key_hash == key_hash(issuer.spki_der, name)


def single_status(
    der: bytes, cert: CertRecord, issuer: CertRecord
) -> tuple[str, _dt.datetime, _dt.datetime | None] | None:
    """(status, thisUpdate, nextUpdate) the response states for ``cert``, unverified; or None."""
    loaded = load(der)
    if isinstance(loaded, str):
        return None
    try:
        single = next((s for s in loaded.responses if _matches(s, cert, issuer)), None)
        if single is None:
            return None
        status = single.certificate_status.name.lower()
        return status, single.this_update_utc, single.next_update_utc
    except (ValueError, TypeError, d.DERError):
        return None


def _single_critical(resp: ocsp.OCSPResponse) -> list[str]:
    """Critical singleExtensions, read where cryptography exposes them (one SingleResponse)."""
    try:
        exts = resp.single_extensions
    except ValueError:  # more than one SingleResponse
        return []
    return [e.oid.dotted_string for e in exts if e.critical]


def _responder_named(resp: ocsp.OCSPResponse, candidate: CertRecord) -> bool:
    by_key = resp.responder_key_hash
    if by_key is not None:
        return bool(by_key == key_hash(candidate.spki_der, "sha1"))
    name_der = getattr(resp, "responder_name_der", None)  # the lenient reading
    if name_der is not None:
        return candidate.subject_key == name_key(name_der)
    name = resp.responder_name
    return name is not None and candidate.subject_key == name_key(name.public_bytes())


def _signature(resp: ocsp.OCSPResponse, der: bytes, signer: CertRecord, policy: object,
               at: _dt.datetime) -> str | None:  # fmt: skip
    try:
        params = _basic_algorithm_parameters(der)
    except d.DERError as exc:
        return f"its signature algorithm cannot be read ({exc})"
    return check_signature(
        resp.signature_algorithm_oid.dotted_string,
        params,
        signer.spki_der,
        resp.signature,
        resp.tbs_response_bytes,
        policy,
        at,
    )


def _basic_algorithm_parameters(der: bytes) -> bytes | None:
    """The raw signatureAlgorithm parameters of the BasicOCSPResponse inside an OCSPResponse."""
    where = "OCSPResponse"
    top = d.read_tlv(der, 0, len(der), where)
    parts = d.children(der, top, where)
    if len(parts) != 2 or parts[1].tag != d.CTX0:
        raise d.DERError("has no responseBytes", where)
    (rb,) = d.children(der, parts[1], where)[:1]
    fields = d.children(der, rb, where)
    if len(fields) != 2 or fields[1].tag != d.OCTET_STRING:
        raise d.DERError("responseBytes must be { OID, OCTET STRING }", where)
    basic = bytes(der[fields[1].start : fields[1].next])
    from ._sig import algorithm_parameters

    return algorithm_parameters(basic, "BasicOCSPResponse")


def _delegate_problem(
    candidate: CertRecord,
    issuer: CertRecord,
    timing: Timing,
    policy: object,
    responder_check: ResponderCheck | None,
) -> str | None:
    """Why a responder certificate carried in the response cannot speak for ``issuer``."""
    label = candidate.describe()
    if candidate.issuer_key != issuer.subject_key:
        return f"the responder certificate {label} is not issued by the certificate's issuer"
    try:
        problem = certificate_signature_problem(candidate, issuer.spki_der, policy, timing.at)
    except d.DERError as exc:
        return f"the responder certificate {label} cannot be read ({exc})"
    if problem:
        return f"the responder certificate {label} is not signed by the issuer: {problem}"
    try:
        exts = candidate.ext_map
    except (ValueError, x509.DuplicateExtension) as exc:
        return f"the responder certificate {label} has malformed extensions ({_clean(exc)})"
    eku = exts.get(x509.oid.ExtensionOID.EXTENDED_KEY_USAGE.dotted_string)
    if eku is None or not any(u.dotted_string == OID_OCSP_SIGNING for u in eku.value):
        return (
            f"the responder certificate {label} is not authorised for OCSP signing "
            "(no id-kp-OCSPSigning extended key usage, RFC 6960 §4.2.2.2)"
        )
    at, tol = timing.at, timing.tolerance
    if at + tol < candidate.not_before:
        return f"the responder certificate {label} is not valid before {_iso(candidate.not_before)}"
    if at - tol > candidate.not_after:
        return f"the responder certificate {label} expired on {_iso(candidate.not_after)}"
    if OID_OCSP_NOCHECK in exts:
        return None
    if responder_check is None:
        return (
            f"the responder certificate {label} carries no id-pkix-ocsp-nocheck and its own "
            "status cannot be checked"
        )
    problem = responder_check(candidate, issuer)
    if problem:
        return f"the responder certificate {label} cannot be relied on: {problem}"
    return None


def evaluate_ocsp(
    der: bytes,
    cert: CertRecord,
    issuer: CertRecord,
    timing: Timing,
    policy: object,
    responder_check: ResponderCheck | None = None,
    at_hand: Sequence[CertRecord] = (),
) -> OCSPVerdict:
    """What the OCSP response ``der`` says about ``cert`` (issued by ``issuer``) at the time.

    ``at_hand``: other certificates that may be the responder's, after those the
    response carries.
    """
    loaded = load(der)
    if isinstance(loaded, str):
        return OCSPVerdict("unusable", f"the OCSP response is unusable: {loaded}")
    resp = loaded
    try:
        single = next((s for s in resp.responses if _matches(s, cert, issuer)), None)
        if single is None:
            return OCSPVerdict("no-match", "the OCSP response is about other certificates")
        status = single.certificate_status
        this_update = single.this_update_utc
        next_update = single.next_update_utc
        produced_at = resp.produced_at_utc
        revoked_at = single.revocation_time_utc if status == ocsp.OCSPCertStatus.REVOKED else None
        reason_flag = single.revocation_reason if revoked_at is not None else None
        critical = [
            e.oid.dotted_string
            for e in resp.extensions
            if e.critical and e.oid.dotted_string not in _KNOWN_RESPONSE_EXTENSIONS
        ]
        critical += _single_critical(resp)
        carried = [CertRecord(c.public_bytes(Encoding.DER), c) for c in resp.certificates]
    except (ValueError, TypeError, d.DERError) as exc:
        return OCSPVerdict("unusable", f"the OCSP response is malformed ({_clean(exc)})")
    seen = OCSPVerdict(
        "unusable",
        produced_at=produced_at,
        this_update=this_update,
        next_update=next_update,
        revoked_at=revoked_at,
        reason=_reason_name(reason_flag),
    )

    def unusable(problem: str) -> OCSPVerdict:
        return OCSPVerdict(
            "unusable",
            f"the OCSP response is unusable: {problem}",
            seen.revoked_at,
            seen.reason,
            produced_at,
            this_update,
            next_update,
        )

    if critical:
        return unusable(f"it carries unknown critical extension {critical[0]}")
    # The signer: the issuing CA itself, or a delegated responder it certified.
    signer: CertRecord | None = None
    problems: list[str] = []
    if _responder_named(resp, issuer):
        signer = issuer
    else:
        for candidate in [*carried, *at_hand]:
            if not _responder_named(resp, candidate):
                continue
            problem = _delegate_problem(candidate, issuer, timing, policy, responder_check)
            if problem is None:
                signer = candidate
                break
            problems.append(problem)
    if signer is None:
        if problems:
            return unusable(f"it is signed by an unauthorized certificate: {problems[0]}")
        return unusable(
            "the certificate that signed it could not be located: it names a responder that "
            "is neither the certificate's issuer nor a certificate carried in the response "
            "or at hand"
        )
    problem = _signature(resp, der, signer, policy, timing.at)
    if problem:
        return unusable(f"its signature by {signer.describe()} is not valid: {problem}")
    at, tol = timing.at, timing.tolerance
    if not timing.retroactive and this_update > at + tol:
        return unusable(
            f"its thisUpdate {_iso(this_update)} is after the validation time {_iso(at)}"
        )
    last = next_update if next_update is not None else this_update + NO_NEXT_UPDATE
    if last < at - tol:
        return unusable(
            f"it is not recent enough: its nextUpdate {_iso(last)} is before the validation time {_iso(at)}"
        )
    if timing.max_age is not None and at - this_update > timing.max_age:
        return unusable(
            f"it was produced {_iso(this_update)}, longer ago than the maximum age of "
            f"{timing.max_age} (Policy.revocation_max_age)"
        )
    if status == ocsp.OCSPCertStatus.GOOD:
        return OCSPVerdict("good", "", None, None, produced_at, this_update, next_update)
    if status == ocsp.OCSPCertStatus.UNKNOWN:
        return OCSPVerdict(
            "unknown",
            "the OCSP responder does not know the certificate",
            None,
            None,
            produced_at,
            this_update,
            next_update,
        )
    assert revoked_at is not None
    later = revoked_at > at
    return OCSPVerdict(
        "good" if later else "revoked",
        "",
        revoked_at,
        seen.reason,
        produced_at,
        this_update,
        next_update,
        revoked_later=later,
    )


_REASONS = {
    x509.ReasonFlags.unspecified: "unspecified",
    x509.ReasonFlags.key_compromise: "key_compromise",
    x509.ReasonFlags.ca_compromise: "ca_compromise",
    x509.ReasonFlags.affiliation_changed: "affiliation_changed",
    x509.ReasonFlags.superseded: "superseded",
    x509.ReasonFlags.cessation_of_operation: "cessation_of_operation",
    x509.ReasonFlags.certificate_hold: "certificate_hold",
    x509.ReasonFlags.privilege_withdrawn: "privilege_withdrawn",
    x509.ReasonFlags.aa_compromise: "aa_compromise",
    x509.ReasonFlags.remove_from_crl: "remove_from_crl",
}


def _reason_name(flag: x509.ReasonFlags | None) -> str | None:
    """The reason as asn1crypto names it (the names the report has always used)."""
    return None if flag is None else _REASONS.get(flag, flag.value)
