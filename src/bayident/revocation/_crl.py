"""What the CRLs at hand say about one certificate, decided here (RFC 5280 §6.3).

Every complete CRL is tried: its signer is the certificate's issuer or a CRL
issuer certified under the same path (an indirect CRL's issuer named in the
distribution point's cRLIssuer, or a separate CRL-signing key of the CA), whose
own path is validated as a side validation; its scope (issuingDistributionPoint
names, onlyContainsUserCerts / CACerts / AttributeCerts, onlySomeReasons) must
cover the certificate; its times must fit the validation time; a freshest CRL it
announces must be at hand as a delta CRL. The certificate is looked up in the
delta, then the complete CRL (certificateIssuer entries of indirect CRLs and
removeFromCRL honoured). The status is ``good`` only when the CRLs used cover
every revocation reason. Malformed data gives a reason, never an exception.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from cryptography import x509
from cryptography.x509.oid import ExtensionOID

from .. import _der as d
from .._certs import CertRecord
from .._memo import Memo
from .._names import name_key
from ._ocsp import NO_NEXT_UPDATE, Timing, _reason_name
from ._sig import algorithm_parameters, check_signature

__all__ = ["CRLVerdict", "SignerCheck", "evaluate_crls", "load"]

ALL_REASONS = frozenset(
    {
        "key_compromise",
        "ca_compromise",
        "affiliation_changed",
        "superseded",
        "cessation_of_operation",
        "certificate_hold",
        "privilege_withdrawn",
        "aa_compromise",
    }
)
_KNOWN_CRL_EXTENSIONS = frozenset(
    {
        "2.5.29.18",  # issuerAltName
        "2.5.29.20",  # cRLNumber
        "2.5.29.27",  # deltaCRLIndicator
        "2.5.29.28",  # issuingDistributionPoint
        "2.5.29.35",  # authorityKeyIdentifier
        "2.5.29.46",  # freshestCRL
        "1.3.6.1.5.5.7.1.1",  # authorityInfoAccess
    }
)
_KNOWN_ENTRY_EXTENSIONS = frozenset(
    {
        "2.5.29.21",  # reasonCode
        "2.5.29.23",  # holdInstructionCode
        "2.5.29.24",  # invalidityDate
        "2.5.29.29",  # certificateIssuer
    }
)
# DER of the certificateIssuer OID: a CRL without it has no entry naming another issuer.
_CERT_ISSUER_OID_DER = b"\x06\x03\x55\x1d\x1d"

# Checks the path of a CRL signer that is not the certificate's issuer on the path:
# (signer, the path certificates above it up to the last CA) → a reason or None.
SignerCheck = Callable[[CertRecord, Sequence[CertRecord]], str | None]


@dataclass
class _Parsed:
    crl: x509.CertificateRevocationList
    der: bytes
    issuer_key: str
    exts: dict[str, x509.Extension[Any]]
    this_update: _dt.datetime
    next_update: _dt.datetime | None
    params: bytes | None
    idp: x509.IssuingDistributionPoint | None = None
    delta_base: int | None = None
    aki: bytes | None = None
    has_freshest: bool = False
    number: int | None = None


# Process-wide: a pure function of the DER.
_LOADED: Memo[bytes, _Parsed | str] = Memo(256)


def _clean(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _iso(when: _dt.datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%SZ")


def load(der: bytes) -> _Parsed | str:
    """A CRL with the fields revocation checking reads, or why it cannot be read."""
    hit = _LOADED.get(der)
    if hit is not None:
        return hit
    found: _Parsed | str
    try:
        crl = x509.load_der_x509_crl(der)
        exts = {e.oid.dotted_string: e for e in crl.extensions}
        parsed = _Parsed(
            crl,
            der,
            name_key(crl.issuer.public_bytes()),
            exts,
            crl.last_update_utc,
            crl.next_update_utc,
            algorithm_parameters(der, "CRL"),
        )
        idp = exts.get(ExtensionOID.ISSUING_DISTRIBUTION_POINT.dotted_string)
        parsed.idp = idp.value if idp is not None else None
        delta = exts.get(ExtensionOID.DELTA_CRL_INDICATOR.dotted_string)
        parsed.delta_base = delta.value.crl_number if delta is not None else None
        aki = exts.get(ExtensionOID.AUTHORITY_KEY_IDENTIFIER.dotted_string)
        parsed.aki = aki.value.key_identifier if aki is not None else None
        parsed.has_freshest = ExtensionOID.FRESHEST_CRL.dotted_string in exts
        number = exts.get(ExtensionOID.CRL_NUMBER.dotted_string)
        parsed.number = number.value.crl_number if number is not None else None
        found = parsed
    except (ValueError, TypeError, x509.DuplicateExtension, d.DERError) as exc:
        found = f"it is malformed ({_clean(exc)})"
    _LOADED.put(der, found)
    return found


@dataclass(frozen=True)
class CRLVerdict:
    """The CRLs read for one certificate.

    ``status``: ``good`` (every reason covered, not revoked by the validation time),
    ``revoked``, ``unusable`` (CRLs of its issuer were there but decided nothing:
    ``failures`` say why) or ``no-match`` (no CRL of its issuer or CRL issuer).
    ``used``: the DER of the complete CRL that decided a revocation, or the last
    one that counted towards ``good``.
    """

    status: Literal["good", "revoked", "unusable", "no-match"]
    failures: tuple[str, ...] = ()
    revoked_at: _dt.datetime | None = None
    reason: str | None = None
    used: bytes | None = None
    revoked_later: bool = False

    @property
    def problem(self) -> str:
        return "; ".join(self.failures)


@dataclass
class _Errs:
    failures: list[str] = field(default_factory=list)
    issuer_failures: int = 0

    def add(self, text: str) -> None:
        self.failures.append(text)


class _Revoked(Exception):
    def __init__(self, when: _dt.datetime, reason: str, der: bytes) -> None:
        self.when, self.reason, self.der = when, reason, der


def _general_key(name: x509.GeneralName) -> tuple[str, str]:
    if isinstance(name, x509.DirectoryName):
        return ("dn", name_key(name.value.public_bytes()))
    return (type(name).__name__, repr(name.value))


def _relative(base: x509.Name, rdn: x509.RelativeDistinguishedName) -> tuple[str, str]:
    return ("dn", name_key(x509.Name([*base.rdns, rdn]).public_bytes()))


def _dps(cert: CertRecord) -> list[x509.DistributionPoint] | None:
    try:
        ext = cert.ext_map.get(ExtensionOID.CRL_DISTRIBUTION_POINTS.dotted_string)
    except (ValueError, x509.DuplicateExtension):
        return None  # path validation has read them already; never expected
    return list(ext.value) if ext is not None else None


def _is_ca(cert: CertRecord) -> bool:
    try:
        ext = cert.ext_map.get(ExtensionOID.BASIC_CONSTRAINTS.dotted_string)
    except (ValueError, x509.DuplicateExtension):
        return False
    return ext is not None and bool(ext.value.ca)


def _idp_names_match(
    idp: x509.IssuingDistributionPoint, dps: list[x509.DistributionPoint] | None,
    signer: CertRecord, crl_issuer: x509.Name,
) -> bool:  # fmt: skip
    """RFC 5280 §6.3.3 (b)(2)(i): the IDP shares a name with the certificate's DP."""
    if idp.full_name is None and idp.relative_name is None:
        return True
    idp_names = (
        {_general_key(n) for n in idp.full_name}
        if idp.full_name is not None
        else {_relative(signer.cert.subject, idp.relative_name)}  # type: ignore[arg-type]
    )
    if dps is None:
        # Without distribution points, the CRL issuer's name stands for one.
        return ("dn", name_key(crl_issuer.public_bytes())) in idp_names
    has_dp_name = False
    for dp in dps:
        if dp.full_name is not None:
            has_dp_name = True
            if any(_general_key(n) in idp_names for n in dp.full_name):
                return True
        elif dp.relative_name is not None:
            has_dp_name = True
            if _relative(signer.cert.subject, dp.relative_name) in idp_names:
                return True
        elif dp.crl_issuer:
            has_dp_name = True
            if any(_general_key(n) in idp_names for n in dp.crl_issuer):
                return True
    return not has_dp_name


def _scope(
    parsed: _Parsed, cert: CertRecord, signer: CertRecord, errs: _Errs
) -> frozenset[str] | None:
    """The reasons the CRL covers for ``cert`` when signed by ``signer``, or None (out of scope)."""
    idp = parsed.idp
    indirect = bool(idp is not None and idp.indirect_crl)
    dps = _dps(cert)
    has_dp_crl_issuer = dp_match = False
    signer_name = ("dn", signer.subject_key)
    for dp in dps or ():
        if dp.crl_issuer:
            has_dp_crl_issuer = True
            if signer_name in {_general_key(n) for n in dp.crl_issuer}:
                dp_match = True
    same_issuer = signer.subject_key == cert.issuer_key
    indirect_match = has_dp_crl_issuer and dp_match and indirect
    missing_idp = has_dp_crl_issuer and (not dp_match or not indirect)
    issued_by_issuer = signer.issuer_key == cert.issuer_key
    if (not same_issuer and not indirect_match and not issued_by_issuer) or missing_idp:
        errs.issuer_failures += 1
        return None
    if idp is not None:
        if not _idp_names_match(idp, dps, signer, parsed.crl.issuer):
            errs.add(
                "the CRL's issuing distribution point shares no name with the certificate's "
                "CRL distribution points"
            )
            errs.issuer_failures += 1
            return None
        if idp.only_contains_user_certs and _is_ca(cert):
            errs.add("the CRL covers end-entity certificates only and the certificate is a CA")
            return None
        if idp.only_contains_ca_certs and not _is_ca(cert):
            errs.add("the CRL covers CA certificates only and the certificate is not a CA")
            return None
        if idp.only_contains_attribute_certs:
            errs.add("the CRL covers attribute certificates only")
            return None
    reasons = ALL_REASONS
    if idp is not None and idp.only_some_reasons:
        reasons = frozenset(_reason_name(r) or "" for r in idp.only_some_reasons) & ALL_REASONS
    critical = _unknown_critical(parsed)
    if critical:
        errs.add(f"the CRL carries unknown critical extension {critical}")
        return None
    number = parsed.exts.get(ExtensionOID.CRL_NUMBER.dotted_string)
    if number is None:
        errs.add("the CRL has no CRLNumber extension (RFC 5280 §5.2.3)")
        return None
    if number.critical:
        errs.add("the CRL marks CRLNumber critical (RFC 5280 §5.2.3: it is non-critical)")
        return None
    return reasons


def _unknown_critical(parsed: _Parsed) -> str | None:
    return next(
        (oid for oid, e in parsed.exts.items() if e.critical and oid not in _KNOWN_CRL_EXTENSIONS),
        None,
    )


def _fresh(parsed: _Parsed, timing: Timing, what: str, errs: _Errs) -> bool:
    at, tol = timing.at, timing.tolerance
    if not timing.retroactive and at + tol < parsed.this_update:
        errs.add(
            f"the {what} was issued {_iso(parsed.this_update)}, after the validation time "
            f"{_iso(at)}"
        )
        return False
    last = parsed.next_update or parsed.this_update + NO_NEXT_UPDATE
    if at - tol > last:
        errs.add(
            f"the {what} is not recent enough: its nextUpdate {_iso(last)} is before the validation "
            f"time {_iso(at)}"
        )
        return False
    if timing.max_age is not None and at - parsed.this_update > timing.max_age:
        errs.add(
            f"the {what} was issued {_iso(parsed.this_update)}, longer ago than the maximum "
            f"age of {timing.max_age} (Policy.revocation_max_age)"
        )
        return False
    return True


def _signature_problem(parsed: _Parsed, signer: CertRecord, policy: Any, at: _dt.datetime) -> str | None:  # fmt: skip
    crl = parsed.crl
    return check_signature(
        crl.signature_algorithm_oid.dotted_string,
        parsed.params,
        signer.spki_der,
        crl.signature,
        crl.tbs_certlist_bytes,
        policy,
        at,
    )


def _crl_sign_allowed(cert: CertRecord) -> bool:
    try:
        ku = cert.ext_map.get(ExtensionOID.KEY_USAGE.dotted_string)
    except (ValueError, x509.DuplicateExtension):
        return False  # a certificate at hand with unreadable extensions signs nothing
    return ku is None or bool(ku.value.crl_sign)


class _Evaluation:
    """One certificate's CRL check: the certificate, its path above, and what was found."""

    def __init__(
        self,
        cert: CertRecord,
        above: Sequence[CertRecord],
        candidates: Sequence[CertRecord],
        timing: Timing,
        policy: Any,
        signer_check: SignerCheck | None,
    ) -> None:
        self.cert = cert
        # The certificate's issuer first, then up to the anchor (included, last).
        self.above = list(above)
        self.candidates = candidates
        self.timing = timing
        self.policy = policy
        self.signer_check = signer_check
        self.signers: dict[bytes, CertRecord] = {}

    def find_signer(self, parsed: _Parsed, indirect: bool) -> CertRecord | str | None:
        """The certificate that signed the CRL, a reason none could be used, or None (no match)."""
        known = self.signers.get(parsed.der)
        if known is not None:
            return known
        issuer = self.above[0]
        named = [c for c in self.above if c.subject_key == parsed.issuer_key]
        named += [
            c
            for c in self.candidates
            if c.subject_key == parsed.issuer_key and all(c.der != n.der for n in named)
        ]
        # The issuing CA first, as the most likely signer.
        named.sort(key=lambda c: c.der != issuer.der)
        considered = skipped = signatures = unauthorised = no_path = 0
        explicit: list[str] = []
        for candidate in named:
            considered += 1
            direct = candidate.subject_key == self.cert.issuer_key
            under_issuer = (
                candidate.issuer_key == self.cert.issuer_key and candidate.der != self.cert.der
            )
            if not direct and not under_issuer and not indirect:
                skipped += 1
                continue
            if not _crl_sign_allowed(candidate):
                unauthorised += 1
                continue
            on_path = any(candidate.der == c.der for c in self.above)
            if not on_path:
                # The CRL issuer's path is the certificate's, cut at the CRL issuer's issuer.
                cut = next(
                    (i for i, c in enumerate(self.above) if c.subject_key == candidate.issuer_key),
                    None,
                )
                if cut is None:
                    no_path += 1
                    continue
                if self.signer_check is not None:
                    problem = self.signer_check(candidate, self.above[cut:])
                    if problem:
                        explicit.append(
                            f"the CRL issuer certificate {candidate.describe()} could not be "
                            f"validated: {problem}"
                        )
                        continue
            if _signature_problem(parsed, candidate, self.policy, self.timing.at) is not None:
                signatures += 1
                continue
            self.signers[parsed.der] = candidate
            return candidate
        if not considered or skipped == considered:
            return None
        plural = considered > 1
        if signatures == considered:
            return "the CRL signature could not be verified"
        if unauthorised == considered:
            return (
                "the CRL issuers that were identified are not authorised to sign CRLs"
                if plural
                else "the CRL issuer that was identified is not authorised to sign CRLs"
            )
        if no_path == considered:
            return "no path to the CRL issuer's certificate could be built"
        if len(explicit) == 1:
            return explicit[0]
        return "no CRL issuer could be established: " + "; ".join(explicit or ["(no reason)"])

    def single(self, parsed: _Parsed, deltas: Sequence[_Parsed], errs: _Errs) -> frozenset[str] | None:  # fmt: skip
        indirect = bool(parsed.idp is not None and parsed.idp.indirect_crl)
        signer = self.find_signer(parsed, indirect)
        if signer is None:
            errs.issuer_failures += 1
            return None
        if isinstance(signer, str):
            errs.add(signer)
            return None
        reasons = _scope(parsed, self.cert, signer, errs)
        if reasons is None:
            return None
        if not _fresh(parsed, self.timing, "CRL", errs):
            return None
        delta: _Parsed | None = None
        if parsed.has_freshest:
            delta = next(
                (
                    x
                    for x in deltas
                    if x.issuer_key == signer.subject_key
                    and _same_idp(x.idp, parsed.idp)
                    and x.aki == parsed.aki
                ),
                None,
            )
            if delta is None:
                errs.add("the delta CRL its freshest CRL extension announces is not at hand")
                return None
            critical = _unknown_critical(delta)
            if critical:
                errs.add(f"the delta CRL carries unknown critical extension {critical}")
                return None
            if not _fresh(delta, self.timing, "delta CRL", errs):
                delta = None
        if delta is not None and _signature_problem(delta, signer, self.policy, self.timing.at):
            errs.add("the delta CRL's signature could not be verified")
            return None
        found: tuple[_dt.datetime, str] | None = None
        for where in (delta, parsed):
            if where is None:
                continue
            try:
                found = _lookup(where, self.cert, signer.subject_key)
            except ValueError as exc:
                errs.add(f"the CRL entry for the certificate is unusable: {_clean(exc)}")
                return None
            if found is not None:
                break
        if found is not None and found[1] != "remove_from_crl":
            when, reason = found
            if when < self.timing.at:
                raise _Revoked(when, reason, parsed.der)
            self.later = (when, reason, parsed.der)
        self.used = parsed.der
        return reasons

    later: tuple[_dt.datetime, str, bytes] | None = None
    used: bytes | None = None


def _same_idp(a: x509.IssuingDistributionPoint | None, b: x509.IssuingDistributionPoint | None) -> bool:  # fmt: skip
    if a is None or b is None:
        return a is b
    return a == b


def _lookup(parsed: _Parsed, cert: CertRecord, crl_issuer_key: str) -> tuple[_dt.datetime, str] | None:  # fmt: skip
    """(revocation date, reason) of the certificate's entry, or None; ValueError when unusable."""
    crl = parsed.crl
    serial = cert.serial
    # cryptography's look-up by serial takes no negative number (which RFC 5280 forbids,
    # and PKITS still tests): such a serial is looked for entry by entry.
    if serial >= 0 and _CERT_ISSUER_OID_DER not in parsed.der:
        entry = crl.get_revoked_certificate_by_serial_number(serial)
        if entry is None or crl_issuer_key != cert.issuer_key:
            return None
        return _entry(entry)
    current = crl_issuer_key
    for entry in crl:
        try:
            ext = entry.extensions.get_extension_for_class(x509.CertificateIssuer)
            names = [n for n in ext.value if isinstance(n, x509.DirectoryName)]
            if names:
                current = name_key(names[0].value.public_bytes())
        except x509.ExtensionNotFound:
            pass
        if entry.serial_number == serial and current == cert.issuer_key:
            return _entry(entry)
    return None


def _entry(entry: x509.RevokedCertificate) -> tuple[_dt.datetime, str]:
    exts = entry.extensions
    for e in exts:
        if e.critical and e.oid.dotted_string not in _KNOWN_ENTRY_EXTENSIONS:
            raise ValueError(f"it carries unknown critical extension {e.oid.dotted_string}")
    reason = "unspecified"
    try:
        flag = exts.get_extension_for_class(x509.CRLReason).value.reason
        reason = _reason_name(flag) or reason
    except x509.ExtensionNotFound:
        pass
    return entry.revocation_date_utc, reason


def evaluate_crls(
    crls: Sequence[bytes],
    cert: CertRecord,
    above: Sequence[CertRecord],
    timing: Timing,
    policy: Any,
    *,
    candidates: Sequence[CertRecord] = (),
    signer_check: SignerCheck | None = None,
    fetched: Sequence[bytes] = (),
) -> CRLVerdict:
    """What ``crls`` (DER) say about ``cert`` at the time.

    ``above``: the certificates above ``cert`` on its validated path, its issuer
    first and the anchor last. ``candidates``: other certificates at hand that may
    sign CRLs. ``signer_check`` validates the path of a CRL signer that is not on
    the path. ``fetched``: CRLs fetched for the certificate, tried after ``crls``.
    """
    errs = _Errs()
    evaluation = _Evaluation(cert, above, candidates, timing, policy, signer_check)
    checked: set[str] = set()
    total = 0
    try:
        for batch, deltas_from in ((crls, crls), (fetched, [*crls, *fetched])):
            complete: list[_Parsed] = []
            deltas: list[_Parsed] = []
            for der in deltas_from:
                parsed = load(der)
                if isinstance(parsed, str):
                    continue
                if parsed.delta_base is not None:
                    deltas.append(parsed)
            for der in batch:
                parsed = load(der)
                if isinstance(parsed, str):
                    errs.add(f"a CRL is unusable: {parsed}")
                    total += 1
                    continue
                if parsed.delta_base is None:
                    complete.append(parsed)
            total += len(complete)
            for parsed in complete:
                reasons = evaluation.single(parsed, deltas, errs)
                if reasons is not None:
                    checked |= reasons
            if checked >= ALL_REASONS:
                break
    except _Revoked as revoked:
        return CRLVerdict("revoked", (), revoked.when, revoked.reason, revoked.der)
    if checked >= ALL_REASONS:
        later = evaluation.later
        if later is not None:
            return CRLVerdict("good", (), later[0], later[1], later[2], revoked_later=True)
        return CRLVerdict("good", used=evaluation.used)
    if total == errs.issuer_failures:
        return CRLVerdict("no-match")
    failures = errs.failures or ["the CRLs at hand do not cover all revocation reasons"]
    return CRLVerdict("unusable", tuple(dict.fromkeys(failures)))
