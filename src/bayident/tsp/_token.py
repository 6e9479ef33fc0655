"""RFC 3161 time-stamp tokens: parse, and check everything but the TSA's certificate path.

A token is a CMS SignedData (parsed with bayident's own parser) whose content
is a TSTInfo. Checked here: the structure, the message imprint against what
the token should cover, the TSA's signature over its signed attributes
(content-type, message-digest, ESS signing-certificate), and the TSA
certificate's extended key usage (id-kp-timeStamping only, critical: RFC 3161
§2.3). The path of the TSA certificate to a trust anchor is validated by the
verifier, like any other.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from .. import _der as d
from .._algorithm_protection import OID_ALGORITHM_PROTECTION, algorithm_protection_problem
from .._algorithms import AlgorithmError, digest_name, mechanism_for
from .._attrs import (
    OID_CONTENT_TYPE,
    OID_MESSAGE_DIGEST,
    OID_SIGNING_CERT_V1,
    OID_SIGNING_CERT_V2,
    decode_ess_signing_certificate,
)
from .._certs import CertificateCache, CertRecord
from .._cms import CMSFormatError, SignedData, parse_signed_data
from .._result import SubIndication

__all__ = [
    "OID_CONTENT_TIMESTAMP",
    "OID_KP_TIME_STAMPING",
    "OID_SIGNATURE_TIMESTAMP",
    "OID_TST_INFO",
    "TSTInfo",
    "TokenCheck",
    "check_token",
    "parse_tst_info",
]

OID_TST_INFO = "1.2.840.113549.1.9.16.1.4"
OID_SIGNATURE_TIMESTAMP = "1.2.840.113549.1.9.16.2.14"
OID_CONTENT_TIMESTAMP = "1.2.840.113549.1.9.16.2.20"
OID_KP_TIME_STAMPING = "1.3.6.1.5.5.7.3.8"

# A token carries a TSA certificate and perhaps its chain; nothing legitimate is bigger.
MAX_TOKEN_BYTES = 256 * 1024

Kind = Literal["signature", "content", "archive"]


@dataclass(frozen=True)
class TSTInfo:
    """The fields of a TSTInfo (RFC 3161 §2.4.2) that validation uses."""

    version: int
    policy: str
    hash_oid: str
    hashed_message: bytes
    serial_number: int
    gen_time: _dt.datetime
    nonce: int | None


_GEN_TIME_FMT = (
    "GeneralizedTime must be YYYYMMDDhhmmss[.s...]Z (RFC 3161 §2.4.2: UTC, no trailing zeros)"
)


def _gen_time(raw: bytes, where: str) -> _dt.datetime:
    text = raw.decode("ascii", "replace")
    if not text.endswith("Z") or len(text) < 15 or not text[:14].isdigit():
        raise d.DERError(_GEN_TIME_FMT, where)
    frac = text[14:-1]
    micro = 0
    if frac:
        if not frac.startswith(".") or not frac[1:].isdigit() or frac.endswith("0"):
            raise d.DERError(_GEN_TIME_FMT, where)
        micro = int(frac[1:7].ljust(6, "0"))
    try:
        return _dt.datetime(
            int(text[0:4]),
            int(text[4:6]),
            int(text[6:8]),
            int(text[8:10]),
            int(text[10:12]),
            int(text[12:14]),
            micro,
            tzinfo=_dt.UTC,
        )
    except ValueError as exc:
        raise d.DERError(f"not a real date/time: {exc}", where) from None


def parse_tst_info(der: bytes) -> TSTInfo:
    """Parse a DER TSTInfo; raises :class:`bayident._der.DERError` naming the field at fault."""
    where = "TSTInfo"
    top = d.read_tlv(der, 0, len(der), where)
    if top.tag != d.SEQUENCE or top.next != len(der):
        raise d.DERError("must be one SEQUENCE", where)
    parts = d.children(der, top, where)
    if len(parts) < 5:
        raise d.DERError(f"has {len(parts)} fields, at least 5 are required", where)
    version = d.decode_integer(der, parts[0], f"{where}.version")
    if version != 1:
        raise d.DERError(f"version is {version}, RFC 3161 defines only v1", f"{where}.version")
    policy = d.decode_oid(der, parts[1], f"{where}.policy")
    mi = parts[2]
    if mi.tag != d.SEQUENCE:
        raise d.DERError("must be a SEQUENCE", f"{where}.messageImprint")
    mi_parts = d.children(der, mi, f"{where}.messageImprint")
    if len(mi_parts) != 2 or mi_parts[0].tag != d.SEQUENCE or mi_parts[1].tag != d.OCTET_STRING:
        raise d.DERError(
            "must be SEQUENCE { hashAlgorithm, hashedMessage OCTET STRING }",
            f"{where}.messageImprint",
        )
    alg = d.children(der, mi_parts[0], f"{where}.messageImprint.hashAlgorithm")
    if not alg:
        raise d.DERError("empty AlgorithmIdentifier", f"{where}.messageImprint.hashAlgorithm")
    hash_oid = d.decode_oid(der, alg[0], f"{where}.messageImprint.hashAlgorithm")
    hashed = bytes(der[mi_parts[1].start : mi_parts[1].end])
    serial = d.decode_integer(der, parts[3], f"{where}.serialNumber")
    if parts[4].tag != d.GENERALIZED_TIME:
        raise d.DERError("must be a GeneralizedTime", f"{where}.genTime")
    gen_time = _gen_time(bytes(der[parts[4].start : parts[4].end]), f"{where}.genTime")
    nonce = None
    for p in parts[5:]:
        if p.tag == d.INTEGER:
            nonce = d.decode_integer(der, p, f"{where}.nonce")
    return TSTInfo(version, policy, hash_oid, hashed, serial, gen_time, nonce)


@dataclass
class TokenCheck:
    """What was found in one token, and the first problem, if any."""

    kind: Kind
    label: str  # which attribute of which signer, for messages
    tst: TSTInfo | None = None
    hash_name: str | None = None
    imprint_ok: bool = False
    tsa_cert: CertRecord | None = None
    certificates: list[CertRecord] = field(default_factory=list)
    # (sub-indication, message) of the first problem; None while all is well.
    problem: tuple[SubIndication, str] | None = None
    warnings: list[str] = field(default_factory=list)

    def fail(self, sub: SubIndication, message: str) -> TokenCheck:
        if self.problem is None:
            self.problem = (sub, message)
        return self


def _hash(name: str, data: bytes) -> bytes:
    from .._input import new_hasher

    h = new_hasher(name)
    h.update(data)
    return bytes(h.digest())


def check_token(
    der: bytes,
    kind: Kind,
    label: str,
    imprint_of: Callable[[str], bytes | None],
    covered: str,
    policy: Any,
    at: _dt.datetime,
    certs: CertificateCache,
    extra: Sequence[CertRecord] = (),
) -> TokenCheck:
    """Check one time-stamp token except for the TSA's path.

    ``imprint_of(hash_name)`` returns the hash, with that algorithm, of what the
    token must cover (``covered`` says what that is, for messages), or None when it
    cannot be computed.
    """
    tc = TokenCheck(kind, label)
    if len(der) > MAX_TOKEN_BYTES:
        return tc.fail(
            SubIndication.FORMAT_FAILURE,
            f"the time-stamp token is {len(der)} bytes, over the limit of {MAX_TOKEN_BYTES}",
        )
    try:
        sd = parse_signed_data(
            der,
            max_depth=policy.max_asn1_depth,
            max_certificates=policy.max_certificates,
            max_signers=4,
        )
    except CMSFormatError as exc:
        return tc.fail(
            SubIndication.FORMAT_FAILURE,
            f"the time-stamp token is not a well-formed CMS SignedData: {exc.where}: {exc.reason}",
        )
    if sd.econtent_type != OID_TST_INFO or sd.econtent is None:
        return tc.fail(
            SubIndication.FORMAT_FAILURE,
            f"the time-stamp token holds content of type {sd.econtent_type}, not a TSTInfo "
            f"({OID_TST_INFO})",
        )
    if len(sd.signers) != 1:
        return tc.fail(
            SubIndication.FORMAT_FAILURE,
            f"the time-stamp token has {len(sd.signers)} signers; RFC 3161 §2.4.2 allows only "
            "the TSA's",
        )
    try:
        tst = parse_tst_info(sd.econtent)
    except d.DERError as exc:
        return tc.fail(SubIndication.FORMAT_FAILURE, f"the time-stamp token's {exc}")
    tc.tst = tst
    try:
        tc.hash_name = digest_name(tst.hash_oid)
    except AlgorithmError as exc:
        return tc.fail(SubIndication.CRYPTO_CONSTRAINTS_FAILURE, f"message imprint: {exc.reason}")
    # The imprint is compared first, whatever the policy thinks of its hash: whether it
    # matches is a fact reported on its own (TimestampInfo.imprint_ok).
    expected = imprint_of(tc.hash_name)
    if expected is None:
        tc.fail(
            SubIndication.SIGNED_DATA_NOT_FOUND,
            f"the {covered} could not be hashed with {tc.hash_name} to check the message imprint",
        )
    elif expected != tst.hashed_message:
        tc.fail(
            SubIndication.HASH_FAILURE,
            f"the message imprint ({tc.hash_name} {tst.hashed_message.hex()[:16]}…) is not the "
            f"{tc.hash_name} hash of the {covered}: the time-stamp was made for other data",
        )
    else:
        tc.imprint_ok = True
    if not policy.accepts_digest(tc.hash_name, at):
        tc.fail(
            SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
            f"the message imprint uses {tc.hash_name}, which the policy does not accept",
        )
    # The TSA's signature is checked whatever the imprint: both are reported.
    _check_tsa_signature(tc, sd, policy, at, certs, extra)
    return tc


def _check_tsa_signature(
    tc: TokenCheck,
    sd: SignedData,
    policy: Any,
    at: _dt.datetime,
    certs: CertificateCache,
    extra: Sequence[CertRecord],
) -> None:
    si = sd.signers[0]
    for i, raw in enumerate(sd.certificates):
        try:
            tc.certificates.append(certs.get(raw))
        except ValueError as exc:
            tc.warnings.append(f"certificate {i} in the time-stamp token is unreadable: {exc}")
    pool = [*tc.certificates, *extra]
    cert = None
    for c in pool:
        if (si.issuer is not None and c.issuer_der == si.issuer and c.serial == si.serial) or (
            si.subject_key_id is not None and c.ski == si.subject_key_id
        ):
            cert = c
            break
    if cert is None:
        tc.fail(
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            "the TSA certificate named by the token's signer is neither in the token nor among "
            "the certificates at hand",
        )
        return
    tc.tsa_cert = cert
    if si.signed_attrs is None or si.signed_attrs_der is None:
        tc.fail(
            SubIndication.FORMAT_FAILURE,
            "the time-stamp token has no signed attributes (RFC 3161 requires the "
            "signing-certificate attribute)",
        )
        return
    by_oid = {a.oid: a for a in si.signed_attrs}
    try:
        digest = digest_name(si.digest_algorithm.oid)
        mech = mechanism_for(si.signature_algorithm.oid)
    except AlgorithmError as exc:
        tc.fail(SubIndication.CRYPTO_CONSTRAINTS_FAILURE, f"time-stamp token: {exc.reason}")
        return
    if not policy.accepts_digest(digest, at) or not policy.accepts_signature(mech.name, at):
        tc.fail(
            SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
            f"the TSA signed with {mech.name} and {digest}, which the policy does not accept",
        )
        return
    ct = by_oid.get(OID_CONTENT_TYPE)
    if ct is None or not ct.values or ct.values[0] != d.encode_oid(OID_TST_INFO):
        tc.fail(
            SubIndication.FORMAT_FAILURE,
            "the time-stamp token's content-type attribute is missing or is not id-ct-TSTInfo",
        )
        return
    md = by_oid.get(OID_MESSAGE_DIGEST)
    assert sd.econtent is not None
    if (
        md is None
        or len(md.values) != 1
        or md.values[0][:1] != b"\x04"
        or md.values[0][2:] != _hash(digest, sd.econtent)
    ):
        tc.fail(
            SubIndication.HASH_FAILURE,
            "the time-stamp token's message-digest attribute does not match its TSTInfo",
        )
        return
    ess = by_oid.get(OID_SIGNING_CERT_V2) or by_oid.get(OID_SIGNING_CERT_V1)
    if ess is None or not ess.values:
        tc.fail(
            SubIndication.FORMAT_FAILURE,
            "the time-stamp token lacks the ESS signing-certificate attribute (RFC 3161 §2.4.1, "
            "RFC 5816)",
        )
        return
    try:
        ids = decode_ess_signing_certificate(
            ess.values[0], ess.oid == OID_SIGNING_CERT_V2, "signing-certificate"
        )
        hname = digest_name(ids[0].hash_oid)
    except (d.DERError, AlgorithmError) as exc:
        tc.fail(SubIndication.FORMAT_FAILURE, f"the token's signing-certificate attribute: {exc}")
        return
    if cert.digest(hname) != ids[0].cert_hash:
        tc.fail(
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            f"the token's signing-certificate attribute names another certificate than "
            f"{cert.describe()}",
        )
        return
    protection = [a for a in si.signed_attrs if a.oid == OID_ALGORITHM_PROTECTION]
    if protection:
        # RFC 6211 §3, as for any CMS signer: a token whose SignerInfo names other
        # algorithms than the TSA protected does not verify.
        unprotected = algorithm_protection_problem(si, protection, policy.max_asn1_depth)
        if unprotected is not None:
            tc.fail(unprotected.sub, f"time-stamp token: {unprotected.reason}")
            return
    try:
        key = cert.public_key
        params = si.signature_algorithm.parameters
        if mech.verify_with_policy is not None:
            mech.verify_with_policy(
                key, si.signature, si.signed_attrs_der, digest, params, False, policy
            )
        else:
            mech.verify(key, si.signature, si.signed_attrs_der, digest, params, False)
    except (InvalidSignature, AlgorithmError, ValueError, TypeError):
        tc.fail(
            SubIndication.SIG_CRYPTO_FAILURE,
            f"the TSA's signature on the time-stamp token does not verify with the key of "
            f"{cert.describe()}",
        )
        return
    problem = tsa_usage_problem(cert)
    if problem is not None:
        tc.fail(SubIndication.CHAIN_CONSTRAINTS_FAILURE, problem)
        return
    assert tc.tst is not None
    skew = policy.clock_skew
    if not cert.not_before - skew <= tc.tst.gen_time <= cert.not_after + skew:
        tc.fail(
            SubIndication.SIG_CONSTRAINTS_FAILURE,
            f"the token's genTime {tc.tst.gen_time:%Y-%m-%d %H:%M:%S}Z is outside the validity of "
            f"the TSA certificate {cert.describe()}",
        )


def tsa_usage_problem(cert: CertRecord) -> str | None:
    """Why ``cert`` may not sign time-stamps (RFC 3161 §2.3), or None."""
    try:
        ext = cert.cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        return (
            f"the TSA certificate {cert.describe()} has no extended key usage; RFC 3161 §2.3 "
            "requires id-kp-timeStamping"
        )
    except (ValueError, x509.DuplicateExtension) as exc:
        return f"the TSA certificate {cert.describe()} has malformed extensions: {exc}"
    usages = [u.dotted_string for u in ext.value]
    if usages != [OID_KP_TIME_STAMPING]:
        return (
            f"the extended key usage of the TSA certificate {cert.describe()} is "
            f"{', '.join(usages) or 'empty'}; RFC 3161 §2.3 requires id-kp-timeStamping alone"
        )
    if not ext.critical:
        return (
            f"the extended key usage of the TSA certificate {cert.describe()} is not critical, "
            "as RFC 3161 §2.3 requires"
        )
    return None


def sha(name: str, data: bytes) -> bytes:
    """Hash ``data`` with a policy digest name (for imprints of small data)."""
    if name.startswith("sha") and name.replace("-", "_") in hashlib.algorithms_available:
        return hashlib.new(name.replace("-", "_"), data).digest()
    return _hash(name, data)
