"""Helpers of path validation: supplied revocation data, and pyhanko-certvalidator's errors.

Parsing the CRLs and OCSP responses given for a path (once, with their RFC 5280
profile checked), and turning pyhanko-certvalidator's error messages into
EN 319 102-1 sub-indications and messages that name the certificate at fault.
pyhanko-certvalidator (the ``pkix`` extra) is imported only inside the functions that
read its errors, which run only when the general engine raised one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from cryptography import x509
from cryptography.x509.oid import ExtensionOID

from ._certs import CertRecord
from ._memo import Memo
from ._profile import crl_problem
from ._result import SubIndication
from ._trust import TrustAnchor
from .revocation._data import load_crl, load_ocsp

__all__ = [
    "culprit_record",
    "declared",
    "explain",
    "load_crls",
    "load_ocsps",
    "raise_site",
]


def _load_crls(crls: Sequence[bytes]) -> tuple[list[Any], tuple[int, str] | None]:
    """Parsed CRLs, or the index of the first malformed one and why.

    The fields every revocation check reads are parsed here, once, so that a broken
    CRL is reported as such instead of surfacing as an error deep in validation.
    Entries are left to be parsed when looked up (a CRL may list very many).
    """
    out: list[Any] = []
    for i, der in enumerate(crls):
        try:
            profile = crl_problem(x509.load_der_x509_crl(der))
            if profile is not None:
                return out, (i, f"the CRL {profile}")
            out.append(_parsed(der, load_crl))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            return out, (i, " ".join(str(exc).split()) or type(exc).__name__)
    return out, None


def _load_ocsps(ocsps: Sequence[bytes]) -> tuple[list[Any], tuple[int, str] | None]:
    """Parsed OCSP responses, or the index of the first unusable one and why."""
    out: list[Any] = []
    for i, der in enumerate(ocsps):
        try:
            out.append(_parsed(der, load_ocsp))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            return out, (i, " ".join(str(exc).split()) or type(exc).__name__)
    return out, None


# Supplied revocation data recurs with every signature that carries it: parse it once.
# Process-wide: a pure function of the DER (and the loader).
_PARSED: Memo[tuple[bytes, Any], Any] = Memo(256)


def _parsed(der: bytes, loader: Any) -> Any:
    key = (bytes(der), loader)
    hit = _PARSED.get(key)
    if hit is not None:
        return hit
    value = loader(der)
    _PARSED.put(key, value)
    return value


# Process-wide: a pure function of the certificate (its fingerprint).
_DECLARED: Memo[str, tuple[bool, bool]] = Memo(8192)
_CRL_DP = ExtensionOID.CRL_DISTRIBUTION_POINTS.dotted_string
_AIA = ExtensionOID.AUTHORITY_INFORMATION_ACCESS.dotted_string


def _declared(rec: CertRecord) -> tuple[bool, bool]:
    """Whether a certificate names a CRL distribution point and an OCSP responder (memoised)."""
    found = _DECLARED.get(rec.fingerprint)
    if found is None:
        try:
            # cryptography has parsed the extensions already (key usage, policies, ...).
            exts = rec.ext_map
            aia = exts.get(_AIA)
            has_ocsp = aia is not None and any(
                d.access_method == x509.oid.AuthorityInformationAccessOID.OCSP for d in aia.value
            )
            found = (_CRL_DP in exts, has_ocsp)
        except (ValueError, x509.DuplicateExtension):
            # Only for certificates cryptography cannot read: the general engine's reading.
            from .revocation._check import declares_revocation

            found = declares_revocation(rec.asn1)
        _DECLARED.put(rec.fingerprint, found)
    return found


def _culprit_record(exc: BaseException, certs: list[CertRecord]) -> CertRecord:
    """The certificate of ``certs`` a pyhanko-certvalidator error is about (the signer if unsure)."""
    if not getattr(exc, "is_side_validation", False):
        found = _fault_position(exc, certs)
        if found is not None:
            return found
        _, found = _name_positions(_clean(exc), certs, exc)
        if found is not None:
            return found
        if getattr(exc, "is_ee_cert", False):
            return certs[0]
    text = _clean(exc)
    for c in certs:
        cn = c.cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        if cn and str(cn[0].value) in text:
            return c
    return certs[0]


def _clean(exc: BaseException) -> str:
    msg = getattr(exc, "failure_msg", None) or str(exc) or type(exc).__name__
    return " ".join(str(msg).split())


# Where pyhanko-certvalidator raises a PathValidationError tells which RFC 5280 §6.1
# step failed: these steps are constraint checks (policies, name constraints, basic
# constraints, path length, key usage). The raise site is read from the traceback
# (module and function, and the raising frame's ``proc_state``): private structure of
# pyhanko-certvalidator, pinned in pyproject.toml and checked by
# tests/chain/test_pathtext_pyhanko.py, which names what to re-check on a new release.
_VALIDATE = "pyhanko_certvalidator.validate"
_CONSTRAINT_STEPS = frozenset(
    {
        (_VALIDATE, "process_policies"),  # §6.1.3 (f): no valid policy left
        (_VALIDATE, "_finish_policy_processing"),  # §6.1.5 (g)
        (_VALIDATE, "check_name_constraints"),  # §6.1.3 (b), (c)
        (_VALIDATE, "_prepare_next_step"),  # §6.1.4 (k), (l), (n): cA, path length, keyCertSign
        ("pyhanko_certvalidator.policy_graph", "enumerate_policy_mappings"),  # §6.1.4 (a)
    }
)
# intl_validate_path raises for an issuer name that does not chain (a general failure),
# for a policy graph over its size limit and for an unsupported critical extension.
_PATH_LOOP = (_VALIDATE, "intl_validate_path")


def raise_site(exc: BaseException) -> tuple[str, str, dict[str, Any]] | None:
    """(module, function, locals) of the pyhanko-certvalidator frame that raised ``exc``."""
    tb = exc.__traceback__
    found = None
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if isinstance(module, str) and module.startswith("pyhanko_certvalidator"):
            found = tb.tb_frame
        tb = tb.tb_next
    if found is None:
        return None
    return found.f_globals["__name__"], found.f_code.co_name, found.f_locals


def _is_constraint_failure(exc: BaseException) -> bool:
    """Whether a PathValidationError comes from an RFC 5280 §6.1 constraint check."""
    from pyhanko_certvalidator.policy_graph import PolicyGraphSizeExceeded

    site = raise_site(exc)
    if site is None:
        return False
    module, function, local = site
    if (module, function) in _CONSTRAINT_STEPS:
        return True
    if (module, function) == _PATH_LOOP:
        return isinstance(exc.__cause__, PolicyGraphSizeExceeded) or bool(
            local.get("unsupported_critical_extensions")
        )
    return False


def _fault_position(exc: BaseException, certs: list[CertRecord]) -> CertRecord | None:
    """The certificate the raising step was processing, from its ``proc_state``.

    Positions count from the anchor (RFC 5280 §6.1: 1 … n, the signer being n);
    ``certs`` runs from the signer up. None when the step did not say, or it was
    about a certificate outside ``certs`` (a CRL issuer's or OCSP responder's path).
    """
    if getattr(exc, "is_side_validation", False):
        return None
    site = raise_site(exc)
    state = site[2].get("proc_state") if site is not None else None
    if state is None or getattr(state, "is_side_validation", False):
        return None
    if getattr(state, "is_ee_cert", False):
        return certs[0]
    index = getattr(state, "index", None)
    n = len(certs)
    if isinstance(index, int) and 1 <= index < n:
        return certs[n - index]
    return None


# How pyhanko-certvalidator names a certificate by its position on the path, sometimes
# followed by the subject (which the rewritten message then names already).
_EE_POS = re.compile(r"\b(?:the )?end-entity certificate(?: Common Name: .*$)?")
_CA_POS = re.compile(r"\b(?:the )?intermediate certificate (\d+)(?: Common Name: .*$)?")


def _explain(
    exc: BaseException, certs: list[CertRecord], anchor: TrustAnchor
) -> tuple[SubIndication, str, str]:
    """Sub-indication, message naming the certificate at fault, and what it concerns."""
    from pyhanko_certvalidator import errors as perr

    raw = _clean(exc)
    text, culprit = _name_positions(raw, certs, exc)
    concerns = culprit.describe() if culprit is not None else _culprit(certs, anchor, exc)
    if culprit is None:
        # The validator did not say where (e.g. "exceeds the maximum path length"): name
        # the whole path, so the reader still knows which certificates are meant.
        text += "; path: " + " → ".join(f"certificate '{c.subject}'" for c in certs)
        text += f" → trust anchor '{anchor.subject}'"
    if isinstance(exc, perr.RevokedError):
        sub = SubIndication.REVOKED_NO_POE if exc.is_ee_cert else SubIndication.REVOKED_CA_NO_POE
    elif isinstance(exc, perr.ExpiredError):
        sub = SubIndication.OUT_OF_BOUNDS_NO_POE
        text += "; no proof of existence shows the signature was made before"
    elif isinstance(exc, perr.NotYetValidError):
        sub = SubIndication.NOT_YET_VALID
    elif isinstance(exc, perr.DisallowedAlgorithmError):
        sub = SubIndication.CRYPTO_CONSTRAINTS_FAILURE
    elif isinstance(exc, perr.InsufficientRevinfoError):
        # Revocation status unknown: a CRL that is missing, stale, out of scope or
        # not verifiable. Fresher or complete data may decide it later.
        sub = SubIndication.TRY_LATER
    elif isinstance(exc, perr.PathValidationError):
        sub = (
            SubIndication.CHAIN_CONSTRAINTS_FAILURE
            if _is_constraint_failure(exc)
            else SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE
        )
    else:
        sub = SubIndication.CERTIFICATE_CHAIN_GENERAL_FAILURE
        text = f"path could not be processed: {text}"
        concerns = certs[0].describe()
    return sub, text, concerns


def _name_positions(
    text: str, certs: list[CertRecord], exc: BaseException
) -> tuple[str, CertRecord | None]:
    """Replace "intermediate certificate 2" and the like with the certificate's own name.

    Positions count from the anchor (RFC 5280 §6.1: 1 … n, the signer being n);
    ``certs`` runs from the signer up. Only the first mention is the certificate the
    check failed on; later ones (a CRL issuer's own path) are left as written.
    """
    if getattr(exc, "is_side_validation", False):
        return text, None
    n = len(certs)
    found: list[CertRecord] = []

    def interm(m: re.Match[str]) -> str:
        i = int(m.group(1))
        if 1 <= i < n:
            found.append(certs[n - i])
            return certs[n - i].describe()
        return m.group(0)

    ee = _EE_POS.search(text)
    ca = _CA_POS.search(text)
    if ee is not None and (ca is None or ee.start() < ca.start()):
        return text[: ee.start()] + certs[0].describe() + text[ee.end() :], certs[0]
    if ca is not None:
        text = _CA_POS.sub(interm, text, count=1)
        return text, found[0] if found else None
    return text, None


def _culprit(certs: list[CertRecord], anchor: TrustAnchor, exc: BaseException) -> str:
    """Name the certificate the validator complained about, when its message names one."""
    text = _clean(exc)
    for c in certs:
        cn = c.cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        if cn and str(cn[0].value) in text:
            return c.describe()
    if getattr(exc, "is_ee_cert", False):
        return certs[0].describe()
    return f"path {' → '.join(c.subject for c in certs)} → anchor '{anchor.subject}'"


# Public names within the package.
culprit_record = _culprit_record
declared = _declared
explain = _explain
load_crls = _load_crls
load_ocsps = _load_ocsps
