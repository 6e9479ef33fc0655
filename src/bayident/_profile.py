"""RFC 5280 profile checks on a certification path, and the trust anchor's own constraints.

Whichever engine found the path (cryptography's verifier or pyhanko-certvalidator),
these run on it: each MUST of RFC 5280 that a signing-certificate validator can
check is a named check here. Where real CAs of the region are known to deviate
(older CA certificates without key identifiers), :attr:`Policy.profile_relaxations`
names the rule to relax, and docs/policy.md says why.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import ExtensionOID

from . import _der as d
from ._certs import CertRecord
from ._memo import Memo
from ._nameforms import CA_FORMS, FORMS, name_constraint_fault
from ._policy import Policy
from ._result import SubIndication
from ._trust import TrustAnchor

__all__ = [
    "PROFILE_RULES",
    "AnchorMemo",
    "ProfileProblem",
    "anchor_problem",
    "crl_problem",
    "ee_critical",
    "name_constraints_of",
    "profile_problem",
]

# Rules that Policy.profile_relaxations may name.
PROFILE_RULES = (
    "missing-aki",
    "missing-ski",
    "san-syntax",
    "serial-number",
    "noncritical-policy-constraints",
    "noncritical-basic-constraints",
)

# Extensions an anchor may carry critical: what path validation processes.
_ANCHOR_UNDERSTOOD = {
    ExtensionOID.KEY_USAGE,
    ExtensionOID.BASIC_CONSTRAINTS,
    ExtensionOID.CERTIFICATE_POLICIES,
    ExtensionOID.POLICY_MAPPINGS,
    ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
    ExtensionOID.ISSUER_ALTERNATIVE_NAME,
    ExtensionOID.NAME_CONSTRAINTS,
    ExtensionOID.POLICY_CONSTRAINTS,
    ExtensionOID.EXTENDED_KEY_USAGE,
    ExtensionOID.INHIBIT_ANY_POLICY,
    ExtensionOID.SUBJECT_KEY_IDENTIFIER,
    ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
}
# Extensions RFC 5280 says MUST be non-critical.
_NON_CRITICAL = {
    ExtensionOID.AUTHORITY_KEY_IDENTIFIER: "authorityKeyIdentifier (§4.2.1.1)",
    ExtensionOID.SUBJECT_KEY_IDENTIFIER: "subjectKeyIdentifier (§4.2.1.2)",
    ExtensionOID.AUTHORITY_INFORMATION_ACCESS: "authorityInfoAccess (§4.2.2.1)",
    ExtensionOID.SUBJECT_INFORMATION_ACCESS: "subjectInfoAccess (§4.2.2.2)",
}
# Extensions RFC 5280 says MUST be critical when present.
_CRITICAL = {
    ExtensionOID.NAME_CONSTRAINTS: "nameConstraints (§4.2.1.10)",
    ExtensionOID.POLICY_CONSTRAINTS: "policyConstraints (§4.2.1.11)",
}
# cryptography's own limit on name-constraint work (constraints × names per path).
_NC_BUDGET = 1 << 20
_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


@dataclass(frozen=True)
class ProfileProblem:
    """A failed named check: check name, sub-indication, message, what it concerns."""

    check: str
    sub_indication: SubIndication
    message: str
    concerns: str


#: What a trust anchor forbids whatever the time, by anchor fingerprint and the policy's
#: profile relaxations: a verifier's (``bayident._chain.ChainMemos.anchors``).
AnchorMemo = Memo[tuple[str, tuple[str, ...]], ProfileProblem | None]


def _fail(
    check: str, rec_label: str, text: str, sub: SubIndication | None = None
) -> ProfileProblem:
    return ProfileProblem(
        check, sub or SubIndication.CHAIN_CONSTRAINTS_FAILURE, f"{rec_label} {text}", rec_label
    )


def valid_dns_name(name: str, wildcard: bool = True) -> bool:
    """RFC 5280 §4.2.1.6 preferred name syntax (RFC 1034 §3.5 as relaxed by RFC 1123 §2.1)."""
    if not name or len(name) > 253 or name.endswith("."):
        return False
    labels = name.split(".")
    if wildcard and labels[0] == "*" and len(labels) > 2:
        labels = labels[1:]
    if not all(_LABEL.match(label) for label in labels):
        return False
    # RFC 1123 §2.1: a host name is never all numeric in its last label (that is an address).
    return not labels[-1].isdigit()


def _unused_bits_ok(der: bytes) -> bool:
    """The signature BIT STRING of a certificate or CRL has no unused bits (X.690 DER)."""
    try:
        top = d.read_whole(der, "certificate")
        if top.tag != d.SEQUENCE:
            return False
        pos = top.start
        for _ in range(2):  # tbsCertificate, signatureAlgorithm
            pos = d.read_der(der, pos, top.end, "certificate").next
        bits = d.read_der(der, pos, top.end, "signatureValue")
    except d.DERError:
        return False
    return (
        bits.tag == d.BIT_STRING
        and bits.next == top.end
        and bits.end > bits.start
        and der[bits.start] == 0
    )


def _bc(cert: x509.Certificate) -> x509.BasicConstraints | None:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return None


def _bc_critical(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).critical
    except x509.ExtensionNotFound:
        return False


def _ku(cert: x509.Certificate) -> x509.KeyUsage | None:
    try:
        return cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return None


def _names_count(cert: x509.Certificate) -> int:
    count = len(list(cert.subject))
    with contextlib.suppress(x509.ExtensionNotFound):
        count += len(cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
    return count


_SEQUENCE_EXTS = {
    ExtensionOID.EXTENDED_KEY_USAGE.dotted_string,
    ExtensionOID.AUTHORITY_INFORMATION_ACCESS.dotted_string,
    ExtensionOID.SUBJECT_ALTERNATIVE_NAME.dotted_string,
    ExtensionOID.CRL_DISTRIBUTION_POINTS.dotted_string,
    ExtensionOID.CERTIFICATE_POLICIES.dotted_string,
}
# The same tables by dotted OID, for the per-certificate loop (string keys hash cheaply).
_NON_CRITICAL_BY_DOTTED = {oid.dotted_string: text for oid, text in _NON_CRITICAL.items()}
_CRITICAL_BY_DOTTED = {oid.dotted_string: oid for oid in _CRITICAL}
_NC_DOTTED = ExtensionOID.NAME_CONSTRAINTS.dotted_string
_BC_DOTTED = ExtensionOID.BASIC_CONSTRAINTS.dotted_string
_KU_DOTTED = ExtensionOID.KEY_USAGE.dotted_string
_SAN_DOTTED = ExtensionOID.SUBJECT_ALTERNATIVE_NAME.dotted_string


def _cert_problem(
    rec: CertRecord, position: str, is_ca: bool, policy: Policy
) -> ProfileProblem | None:
    problem = _cert_fault(rec, position, is_ca, policy)
    if problem is None:
        return None
    label = rec.describe()
    return ProfileProblem(problem[0], problem[2], f"{label} {problem[1]}", label)


def _cert_fault(
    rec: CertRecord, position: str, is_ca: bool, policy: Policy
) -> tuple[str, str, SubIndication] | None:
    """(check, text after the certificate's name, sub-indication) of the first fault."""
    constraint = SubIndication.CHAIN_CONSTRAINTS_FAILURE
    fmt = SubIndication.FORMAT_FAILURE
    cert = rec.cert
    relax = policy.profile_relaxations
    bits_ok = rec.__dict__.get("signature_bits_ok")  # read with the record's layout
    if not (bits_ok if bits_ok is not None else _unused_bits_ok(rec.der)):
        return (
            "certificate-signature-encoding",
            "has a signature BIT STRING that is malformed or has unused bits (X.690 §11.2), "
            "so its signature cannot be valid",
            SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE,
        )
    serial = cert.serial_number
    if "serial-number" not in relax and (serial <= 0 or (serial.bit_length() + 8) // 8 > 20):
        return (
            "certificate-serial",
            f"has serial number {serial}, which RFC 5280 §4.1.2.2 forbids (a positive "
            "integer of at most 20 octets); Policy.profile_relaxations 'serial-number' "
            "accepts this",
            fmt,
        )
    bc: x509.Extension[x509.BasicConstraints] | None = None
    ku: x509.KeyUsage | None = None
    san: x509.Extension[x509.SubjectAlternativeName] | None = None
    for dotted, ext in rec.ext_map.items():
        if ext.critical and dotted in _NON_CRITICAL_BY_DOTTED:
            return (
                "certificate-profile",
                f"marks {_NON_CRITICAL_BY_DOTTED[dotted]} critical (RFC 5280)",
                constraint,
            )
        oid = _CRITICAL_BY_DOTTED.get(dotted)
        if not ext.critical and oid is not None and _strict_critical(oid, relax):
            return (
                "certificate-profile",
                f"does not mark {_CRITICAL[oid]} critical (RFC 5280)" + _relax_hint(oid),
                constraint,
            )
        if dotted == _NC_DOTTED and not is_ca:
            return (
                "certificate-profile",
                "is an end-entity certificate with nameConstraints, which only CA "
                "certificates may carry (RFC 5280 §4.2.1.10)",
                constraint,
            )
        if dotted == _BC_DOTTED:
            bc = ext
        elif dotted == _KU_DOTTED:
            ku = ext.value
        elif dotted == _SAN_DOTTED:
            san = ext
        if dotted in _SEQUENCE_EXTS and len(list(ext.value)) == 0:
            return (
                "certificate-profile",
                f"has an empty {ext.value.__class__.__name__} extension (RFC 5280: SIZE (1..MAX))",
                fmt,
            )
    is_ca_cert = bc is not None and bc.value.ca
    if ku is not None and ku.key_cert_sign and not is_ca_cert:
        return (
            "certificate-key-usage",
            "asserts keyCertSign without basicConstraints cA (RFC 5280 §4.2.1.3)",
            constraint,
        )
    if (
        is_ca
        and bc is not None
        and not bc.critical
        and "noncritical-basic-constraints" not in relax
    ):
        return (
            "certificate-profile",
            "is a CA certificate whose basicConstraints is not marked critical (RFC 5280 "
            "§4.2.1.9); Policy.profile_relaxations 'noncritical-basic-constraints' accepts this",
            constraint,
        )
    if is_ca and ku is not None and not ku.key_cert_sign:
        return (
            "certificate-key-usage",
            "is used as a CA but its key usage lacks keyCertSign (RFC 5280 §4.2.1.3)",
            constraint,
        )
    if not rec.self_issued and rec.aki is None and "missing-aki" not in relax:
        return (
            "certificate-aki",
            f"as {position} has no authorityKeyIdentifier keyIdentifier (RFC 5280 §4.2.1.1); "
            "Policy.profile_relaxations 'missing-aki' accepts this",
            constraint,
        )
    if is_ca and rec.ski is None and "missing-ski" not in relax:
        return (
            "certificate-ski",
            f"as {position} has no subjectKeyIdentifier (RFC 5280 §4.2.1.2); "
            "Policy.profile_relaxations 'missing-ski' accepts this",
            constraint,
        )
    if not rec.subject_der or rec.subject_der == b"\x30\x00":
        if san is None or not san.critical:
            return (
                "certificate-profile",
                "has an empty subject, so it needs a critical subjectAltName (RFC 5280 §4.2.1.6)",
                constraint,
            )
        if is_ca:
            return (
                "certificate-profile",
                "is a CA certificate with an empty subject (RFC 5280 §4.1.2.6)",
                constraint,
            )
    if san is not None and "san-syntax" not in relax:
        for dns in san.value.get_values_for_type(x509.DNSName):
            if not valid_dns_name(dns) or _is_ip(dns):
                return (
                    "certificate-san",
                    f"has dNSName {dns!r} outside the preferred name syntax (RFC 5280 §4.2.1.6)",
                    fmt,
                )
    return None


def _strict_critical(oid: x509.ObjectIdentifier, relax: Sequence[str] | set[str]) -> bool:
    return not (
        oid == ExtensionOID.POLICY_CONSTRAINTS and "noncritical-policy-constraints" in relax
    )


def _relax_hint(oid: x509.ObjectIdentifier) -> str:
    if oid == ExtensionOID.POLICY_CONSTRAINTS:
        return "; Policy.profile_relaxations 'noncritical-policy-constraints' accepts this"
    return ""


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def profile_problem(
    certs: Sequence[CertRecord], anchor: TrustAnchor, policy: Policy
) -> ProfileProblem | None:
    """The first RFC 5280 profile fault on the path (signer first), or None."""
    try:
        relax = policy.profile_relaxations
        for i, rec in enumerate(certs):
            # CA certificates recur under every signer they issued: decide each once.
            memo: dict[tuple[bool, tuple[str, ...]], ProfileProblem | None]
            memo = rec.__dict__.setdefault("_profile_memo", {})
            key = (i > 0, relax)
            problem: ProfileProblem | None
            if key in memo:
                problem = memo[key]
            else:
                position = "signer certificate" if i == 0 else "intermediate CA certificate"
                problem = memo[key] = _cert_problem(rec, position, i > 0, policy)
            if problem is not None:
                return problem
        return _nc_budget(certs, anchor)
    except (ValueError, TypeError, x509.DuplicateExtension) as exc:
        return ProfileProblem(
            "certificate-profile",
            SubIndication.FORMAT_FAILURE,
            f"a certificate of the path has malformed extensions: {exc}",
            certs[0].describe(),
        )


# Process-wide: a pure function of the certificate (its fingerprint).
_NC_MEMO: Memo[str, x509.NameConstraints | None] = Memo(8192)
_UNREAD = object()  # not read yet (None: no name constraints)


def name_constraints_of(holder: CertRecord | TrustAnchor) -> x509.NameConstraints | None:
    """A certificate's name constraints (memoised by fingerprint); raises what reading
    its extensions raises when they are malformed."""
    fp = holder.fingerprint
    hit = _NC_MEMO.get(fp, _UNREAD)
    if hit is not _UNREAD:
        return hit  # type: ignore[return-value]
    found: x509.NameConstraints | None
    if isinstance(holder, CertRecord):
        ext = holder.ext_map.get(_NC_DOTTED)
        found = ext.value if ext is not None else None
    else:
        try:
            found = holder.certificate.extensions.get_extension_for_class(
                x509.NameConstraints
            ).value
        except x509.ExtensionNotFound:
            found = None
    _NC_MEMO.put(fp, found)
    return found


def _nc_budget(certs: Sequence[CertRecord], anchor: TrustAnchor) -> ProfileProblem | None:
    """Refuse paths whose name-constraint checks would take quadratic time."""
    # The signer constrains nothing below it (and may not carry the extension: _cert_fault).
    holders: list[tuple[x509.NameConstraints | None, int, CertRecord | TrustAnchor]] = [
        (name_constraints_of(c), i, c) for i, c in enumerate(certs) if i
    ]
    holders.append((name_constraints_of(anchor), len(certs), anchor))
    for nc, index, holder in holders:
        if nc is None:
            continue
        label = (
            holder.describe()
            if isinstance(holder, CertRecord)
            else f"trust anchor '{holder.subject}'"
        )
        subtrees = len(nc.permitted_subtrees or ()) + len(nc.excluded_subtrees or ())
        below = certs[:index]
        # Self-issued certificates are exempt below their issuer (RFC 5280 §6.1.3 (b)),
        # except the signer.
        checked = [c for i, c in enumerate(below) if i == 0 or not c.self_issued]
        names = sum(_names_count(c.cert) for c in below)
        if subtrees * names > _NC_BUDGET:
            return ProfileProblem(
                "name-constraints",
                SubIndication.CHAIN_CONSTRAINTS_FAILURE,
                f"{label} has {subtrees} name constraints to check against {names} names "
                "below it: more than the work limit of name-constraint checking "
                f"({_NC_BUDGET} comparisons), so the path is refused",
                label,
            )
        # The anchor's constraints of every form bind on either engine (the general engine
        # is given the anchor as a name and key); at a CA, cryptography's verifier decides
        # the other forms.
        forms = CA_FORMS if isinstance(holder, CertRecord) else FORMS
        fault = name_constraint_fault(nc, forms, label, [(c.describe(), c.cert) for c in checked])
        if fault is not None:
            return ProfileProblem(
                "name-constraints", SubIndication.CHAIN_CONSTRAINTS_FAILURE, fault[0], fault[1]
            )
    return None


def anchor_problem(
    anchor: TrustAnchor,
    policy: Policy,
    at: _dt.datetime | None,
    tolerance: _dt.timedelta,
    memo: AnchorMemo,
) -> ProfileProblem | None:
    """What the trust anchor certificate itself forbids (RFC 5937), or None.

    Applies when :attr:`Policy.trust_anchor_constraints` is on (the default) and
    the anchor issued the path (it is not itself the signer certificate). Without
    ``at``, only what does not depend on time is checked. ``memo`` (the verifier's)
    remembers what does not, per anchor and policy relaxations.
    """
    if not policy.trust_anchor_constraints:
        return None
    if at is not None:
        when = at.replace(microsecond=0)
        not_before, not_after = anchor._validity
        if when + tolerance < not_before:
            label = f"trust anchor '{anchor.subject}'"
            return ProfileProblem(
                "trust-anchor",
                SubIndication.NOT_YET_VALID,
                f"{label} is not valid before {not_before:%Y-%m-%d %H:%M:%S}Z",
                label,
            )
        if when - tolerance > not_after:
            label = f"trust anchor '{anchor.subject}'"
            return ProfileProblem(
                "trust-anchor",
                SubIndication.OUT_OF_BOUNDS_NO_POE,
                f"{label} expired on {not_after:%Y-%m-%d %H:%M:%S}Z",
                label,
            )
    key = (anchor.fingerprint, policy.profile_relaxations)
    hit = memo.get(key, _UNREAD)
    if hit is _UNREAD:
        hit = _anchor_static(anchor, policy, f"trust anchor '{anchor.subject}'")
        memo.put(key, hit)
    return hit  # type: ignore[return-value]


def _anchor_static(anchor: TrustAnchor, policy: Policy, label: str) -> ProfileProblem | None:
    """What an anchor certificate forbids whatever the time."""
    cert = anchor.certificate
    try:
        bc = _bc(cert)
        if bc is None or not bc.ca:
            return ProfileProblem(
                "trust-anchor",
                SubIndication.CHAIN_CONSTRAINTS_FAILURE,
                f"{label} is not a CA certificate (basicConstraints cA is not asserted), so it "
                "cannot issue the path; Policy.trust_anchor_constraints=False treats anchors as "
                "a bare name and key",
                label,
            )
        if not _bc_critical(cert) and "noncritical-basic-constraints" not in (
            policy.profile_relaxations
        ):
            return ProfileProblem(
                "trust-anchor",
                SubIndication.CHAIN_CONSTRAINTS_FAILURE,
                f"{label} does not mark basicConstraints critical (RFC 5280 §4.2.1.9); "
                "Policy.profile_relaxations 'noncritical-basic-constraints' accepts this",
                label,
            )
        ku = _ku(cert)
        if ku is not None and not ku.key_cert_sign:
            return ProfileProblem(
                "trust-anchor",
                SubIndication.CHAIN_CONSTRAINTS_FAILURE,
                f"{label} has a key usage without keyCertSign (RFC 5280 §4.2.1.3)",
                label,
            )
        for ext in cert.extensions:
            if (
                not ext.critical
                and ext.oid in _CRITICAL
                and _strict_critical(ext.oid, policy.profile_relaxations)
            ):
                return ProfileProblem(
                    "trust-anchor",
                    SubIndication.CHAIN_CONSTRAINTS_FAILURE,
                    f"{label} does not mark {_CRITICAL[ext.oid]} critical (RFC 5280)",
                    label,
                )
            if ext.critical and ext.oid not in _ANCHOR_UNDERSTOOD:
                return ProfileProblem(
                    "trust-anchor",
                    SubIndication.CHAIN_CONSTRAINTS_FAILURE,
                    f"{label} carries critical extension {ext.oid.dotted_string}, which "
                    "bayident does not process (RFC 5280 §4.2)",
                    label,
                )
        relax = policy.profile_relaxations
        if cert.subject != cert.issuer and "missing-aki" not in relax:
            try:
                aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
            except x509.ExtensionNotFound:
                aki = None
            if aki is None or aki.value.key_identifier is None:
                return ProfileProblem(
                    "certificate-aki",
                    SubIndication.CHAIN_CONSTRAINTS_FAILURE,
                    f"{label} is issued by another CA but has no authorityKeyIdentifier "
                    "keyIdentifier (RFC 5280 §4.2.1.1); Policy.profile_relaxations "
                    "'missing-aki' accepts this",
                    label,
                )
        if anchor.key_id is None and "missing-ski" not in relax:
            return ProfileProblem(
                "certificate-ski",
                SubIndication.CHAIN_CONSTRAINTS_FAILURE,
                f"{label} has no subjectKeyIdentifier (RFC 5280 §4.2.1.2); "
                "Policy.profile_relaxations 'missing-ski' accepts this",
                label,
            )
    except (ValueError, TypeError, x509.DuplicateExtension) as exc:
        return ProfileProblem(
            "trust-anchor",
            SubIndication.FORMAT_FAILURE,
            f"{label} has malformed extensions: {exc}",
            label,
        )
    return None


def crl_problem(crl: x509.CertificateRevocationList) -> str | None:
    """Why a CRL breaks the RFC 5280 §5.2.3 profile (CRLNumber present, non-critical)."""
    try:
        ext = crl.extensions.get_extension_for_oid(ExtensionOID.CRL_NUMBER)
    except x509.ExtensionNotFound:
        return (
            "has no CRLNumber extension (RFC 5280 §5.2.3: conforming CRL issuers MUST include it)"
        )
    except (ValueError, x509.DuplicateExtension) as exc:
        return f"has malformed extensions: {exc}"
    if ext.critical:
        return "marks CRLNumber critical (RFC 5280 §5.2.3: it is non-critical)"
    return None


# Extensions whose meaning path validation or our signer checks take into account;
# any other critical extension on the signer certificate makes it unusable (RFC 5280 §4.2).
_UNDERSTOOD_EE = {
    ExtensionOID.KEY_USAGE.dotted_string,
    ExtensionOID.BASIC_CONSTRAINTS.dotted_string,
    ExtensionOID.CERTIFICATE_POLICIES.dotted_string,
    ExtensionOID.POLICY_MAPPINGS.dotted_string,
    ExtensionOID.SUBJECT_ALTERNATIVE_NAME.dotted_string,
    ExtensionOID.ISSUER_ALTERNATIVE_NAME.dotted_string,
    ExtensionOID.NAME_CONSTRAINTS.dotted_string,
    ExtensionOID.POLICY_CONSTRAINTS.dotted_string,
    ExtensionOID.EXTENDED_KEY_USAGE.dotted_string,
    ExtensionOID.INHIBIT_ANY_POLICY.dotted_string,
    ExtensionOID.SUBJECT_KEY_IDENTIFIER.dotted_string,
    ExtensionOID.AUTHORITY_KEY_IDENTIFIER.dotted_string,
}


def ee_critical(leaf: CertRecord) -> str | None:
    """Why a critical extension makes the signer certificate unusable, or None."""
    try:
        exts = leaf.ext_map
    except (ValueError, x509.DuplicateExtension) as exc:
        return f"{leaf.describe()} has malformed extensions: {exc}"
    for oid, ext in exts.items():
        if ext.critical and oid not in _UNDERSTOOD_EE:
            return (
                f"{leaf.describe()} carries critical extension {oid}, "
                "which bayident does not process (RFC 5280 §4.2)"
            )
    return None
