"""Seal signatures (``Type="Seal"``): GB/T 38540-2020 V4 and GM/T 0031-2014 V1.

What binds what: the signer's SM2 signature covers DER(TBS_Sign), which holds the seal
and ``dataHash`` = SM3 of Signature.xml as stored (whose References digest the signed
package files). The seal maker's signature covers the seal's information, including
the list of certificates allowed to use the seal: in V4 the signer's certificate sits
outside TBS_Sign, so that list is the only thing tying the signer to the seal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._certs import CertRecord
from .._handlers import EvidenceContext
from .._result import SubIndication
from ..sm import sm3
from ..tsp._token import check_token, sha
from ._common import (
    CERTS,
    OUT,
    SigState,
    fmt_time,
    key_usage,
    load_cert,
    validate_path,
    verify_signature,
)
from ._ses import Seal, SealSignature, SESFormatError, parse_seal_signature
from ._zip import ZipFormatError

if TYPE_CHECKING:
    from ._verify import Package, SignatureFile

__all__ = ["seal_details", "verify_seal_signature"]

# GM/T 0031 names 1 and 2; field seals also use other values (the tax bureaus' use 3).
_SEAL_TYPES = {1: "organisation seal (单位印章)", 2: "personal seal (个人印章)"}
_DIGESTS = {"sm3": "sm3", "sha256": "sha256", "sha-256": "sha256", "sha1": "sha1"}


def seal_details(seal: Seal, maker: CertRecord | None) -> dict[str, Any]:
    """The seal as a report shows it: name, type, ID, validity, maker."""
    return {
        "name": seal.name,
        "type": seal.seal_type,
        "type_name": _SEAL_TYPES.get(seal.seal_type, f"type {seal.seal_type}"),
        "seal_id": seal.seal_id,
        "format": "GB/T 38540-2020 (V4)" if seal.version == 4 else "GM/T 0031-2014 (V1)",
        "header_version": seal.header_version,
        "vendor": seal.vendor,
        "created": seal.created,
        "valid_from": seal.valid_start,
        "valid_until": seal.valid_end,
        "picture": {"type": seal.picture_type, "size": list(seal.picture_size)},
        "maker": maker.subject if maker is not None else None,
        "certificates_listed": len(seal.certs) or len(seal.cert_digests),
    }


def verify_seal_signature(
    ctx: EvidenceContext, pkg: Package, s: SigState, sf: SignatureFile, value: bytes
) -> None:
    """Check one seal signature and record every step in ``s``."""
    where = f"/{sf.signed_value}"
    try:
        ses = parse_seal_signature(value)
    except SESFormatError as exc:
        s.fail(
            "signed-value",
            SubIndication.FORMAT_FAILURE,
            f"SignedValue is not a GB/T 38540 or GM/T 0031 SES_Signature: {exc.reason}",
            f"{where} {exc.where}",
        )
        return
    seal = ses.seal
    fmt = "GB/T 38540-2020 V4" if ses.version == 4 else "GM/T 0031-2014 V1"
    s.details["format"] = fmt
    s.signing_time = ses.time_info
    s.add(
        "signed-value",
        OUT.PASSED,
        f"{fmt} SES_Signature (TBS_Sign version {ses.tbs_version}) with the seal "
        f"'{seal.name}' (esID {seal.seal_id})",
        where,
    )
    for note in ses.notes:
        s.warnings.append(f"{s.label}: {note}")
    if ses.tbs_version != seal.header_version:
        # GB/T 38540: TBS_Sign.version is the seal's version; a mismatch is a sign of a
        # signer that mixes layouts, worth telling but not a reason to refuse.
        s.add(
            "signed-value-version",
            OUT.WARNING,
            f"TBS_Sign.version is {ses.tbs_version} but the seal's header says "
            f"{seal.header_version}",
            f"{where} TBS_Sign.version",
        )
        s.warnings.append(f"{s.label}: TBS_Sign and seal versions differ")
    _data_hash(s, sf, ses)
    signer = load_cert(s, ses.signer_cert, "signer-certificate", "signer's certificate")
    maker = load_cert(s, seal.maker_cert, "seal-maker-certificate", "seal maker's certificate")
    s.details["seal"] = seal_details(seal, maker)
    s.cert = signer
    s.algorithm = "sm2"
    s.digest = "sm3"
    if signer is not None:
        verify_signature(
            ctx, s, "signature", signer, ses.algorithm, ses.signature, ses.tbs, "TBS_Sign", where
        )
    _seal_file(pkg, s, sf, seal)
    if maker is not None:
        verify_signature(
            ctx,
            s,
            "seal-signature",
            maker,
            seal.algorithm,
            seal.signature,
            seal.signed_bytes,
            "seal information" if seal.version == 4 else "seal information, cert and algorithm",
            f"{where} SESeal",
        )
    if signer is not None:
        _cert_list(s, seal, signer, where)
        key_usage(ctx, s, signer, "key-usage")
    if ses.timestamp is not None:
        _timestamp(ctx, s, ses, where)
    # The seal's certList names who may use it, not their CAs: the paths are built from
    # the two certificates and the caller's extra certificates only.
    others = [seal.maker_cert, ses.signer_cert]
    if signer is not None:
        s.path = validate_path(ctx, s, signer, others, role="signer")
    if maker is not None:
        validate_path(ctx, s, maker, others, prefix="seal-maker-", role="seal maker")
    # After the paths: like a certificate's expiry, the seal's only matters once the
    # chains are established (a missing chain is the first thing to report).
    _validity(ctx, s, seal, signer, ses, where)
    who = signer.subject if signer is not None else "an unreadable certificate"
    s.summary = f"seal '{seal.name}' ({seal.seal_id}) applied by {who}"


def _data_hash(s: SigState, sf: SignatureFile, ses: SealSignature) -> None:
    where = f"/{sf.path}"
    if sm3(sf.raw) != ses.data_hash:
        s.fail(
            "data-hash",
            SubIndication.HASH_FAILURE,
            "TBS_Sign.dataHash is not the SM3 of Signature.xml as stored: Signature.xml was "
            "changed after signing, or the signed value belongs to another document",
            where,
        )
    else:
        s.add("data-hash", OUT.PASSED, "TBS_Sign.dataHash is the SM3 of Signature.xml", where)
    prop = ses.property_info.strip()
    if prop and prop.lstrip("/") != sf.path:
        s.add(
            "property-info",
            OUT.WARNING,
            f"TBS_Sign.propertyInfo names {prop!r}, not this Signature.xml",
            where,
        )
        s.warnings.append(f"{s.label}: propertyInfo names {prop!r}, not /{sf.path}")


def _seal_file(pkg: Package, s: SigState, sf: SignatureFile, seal: Seal) -> None:
    if sf.seal_file is None:
        return
    concerns = f"/{sf.seal_file}"
    try:
        stored = pkg.read(sf.seal_file)
    except KeyError:
        s.fail(
            "seal-file",
            SubIndication.SIGNED_DATA_NOT_FOUND,
            "the seal file named in Signature.xml is not in the package",
            concerns,
        )
        return
    except ZipFormatError as exc:
        s.fail("seal-file", SubIndication.FORMAT_FAILURE, exc.reason, concerns)
        return
    if stored != seal.der:
        s.fail(
            "seal-file",
            SubIndication.HASH_FAILURE,
            "the seal file in the package is not the seal inside the signed value",
            concerns,
        )
    else:
        s.add(
            "seal-file", OUT.PASSED, "the seal file is the seal inside the signed value", concerns
        )


def _cert_list(s: SigState, seal: Seal, signer: CertRecord, where: str) -> None:
    concerns = f"{where} SESeal certList"
    if seal.cert_list_type == 1:
        listed = signer.der in seal.certs
        how = f"among the {len(seal.certs)} certificate(s)"
    else:
        listed = False
        for kind, value in seal.cert_digests:
            name = _DIGESTS.get(kind.strip().lower().replace(" ", ""))
            if name is None:
                continue
            got = sm3(signer.der) if name == "sm3" else sha(name, signer.der)
            if got == value:
                listed = True
                break
        how = f"among the {len(seal.cert_digests)} certificate digest(s)"
    if listed:
        s.add(
            "seal-certificate-list",
            OUT.PASSED,
            f"the signer's certificate is {how} the seal maker allowed to use the seal",
            concerns,
        )
        return
    s.fail(
        "seal-certificate-list",
        SubIndication.SIG_CONSTRAINTS_FAILURE,
        f"the signer {signer.describe()} is not {how} the seal '{seal.name}' lists: the seal "
        "maker did not allow this signer to use the seal (GB/T 38540)",
        concerns,
    )


def _timestamp(ctx: EvidenceContext, s: SigState, ses: SealSignature, where: str) -> None:
    assert ses.timestamp is not None
    concerns = f"{where} SES_Signature.timeStamp"
    tc = check_token(
        ses.timestamp,
        "signature",
        f"{s.label} time-stamp",
        lambda name: sm3(ses.signature) if name == "sm3" else sha(name, ses.signature),
        "signature value",
        ctx.policy,
        ctx.at,
        CERTS,
    )
    if tc.problem is not None or tc.tst is None or tc.tsa_cert is None:
        _sub, msg = tc.problem or (SubIndication.FORMAT_FAILURE, "unreadable time-stamp")
        # An unusable time-stamp proves nothing: it is reported, not held against the seal.
        s.add("time-stamp", OUT.WARNING, f"the time-stamp is not used ({msg})", concerns)
        s.warnings.append(f"{s.label}: time-stamp not used: {msg}")
        return
    try:
        outcome = ctx.validate_chain(tc.tsa_cert.der, [c.der for c in tc.certificates])
    except ValueError as exc:
        s.add("time-stamp", OUT.WARNING, f"the TSA path cannot be read: {exc}", concerns)
        return
    if not outcome.ok:
        s.add("time-stamp", OUT.WARNING, f"the TSA path fails: {outcome.message}", concerns)
        return
    s.poe = tc.tst.gen_time
    s.details["time_stamp"] = {"gen_time": tc.tst.gen_time, "tsa": tc.tsa_cert.subject}
    s.add(
        "time-stamp",
        OUT.PASSED,
        f"RFC 3161 time-stamp by {tc.tsa_cert.subject} proves the signature existed at "
        f"{fmt_time(tc.tst.gen_time)}",
        concerns,
    )


def _validity(
    ctx: EvidenceContext,
    s: SigState,
    seal: Seal,
    signer: CertRecord | None,
    ses: SealSignature,
    where: str,
) -> None:
    concerns = f"{where} SESeal validStart/validEnd"
    span = f"{fmt_time(seal.valid_start)} to {fmt_time(seal.valid_end)}"
    skew = ctx.policy.clock_skew
    when = s.poe or ctx.at
    basis = "the time-stamp" if s.poe is not None else "the validation time"
    if seal.valid_start - skew <= when <= seal.valid_end + skew:
        s.add(
            "seal-validity",
            OUT.PASSED,
            f"the seal is valid from {span}, which covers {basis} {fmt_time(when)}",
            concerns,
        )
    elif when < seal.valid_start:
        s.fail(
            "seal-validity",
            SubIndication.NOT_YET_VALID,
            f"the seal is valid only from {fmt_time(seal.valid_start)}, after {basis} "
            f"{fmt_time(when)}",
            concerns,
        )
    else:
        s.fail(
            "seal-validity",
            SubIndication.OUT_OF_BOUNDS_NO_POE,
            f"the seal expired at {fmt_time(seal.valid_end)}, before {basis} {fmt_time(when)}, "
            "and no proof of existence (time-stamp) places the signature inside its validity",
            concerns,
        )
    claimed = ses.time_info
    if claimed is None:
        return
    tconcerns = f"{where} TBS_Sign.timeInfo"
    if not seal.valid_start - skew <= claimed <= seal.valid_end + skew:
        s.add(
            "signing-time",
            OUT.WARNING,
            f"the claimed signing time {fmt_time(claimed)} lies outside the seal's validity "
            f"({span})",
            tconcerns,
        )
        s.warnings.append(f"{s.label}: claimed signing time outside the seal's validity")
    elif signer is not None and not (
        signer.not_before - skew <= claimed <= signer.not_after + skew
    ):
        s.add(
            "signing-time",
            OUT.WARNING,
            f"the claimed signing time {fmt_time(claimed)} lies outside the validity of "
            f"{signer.describe()}",
            tconcerns,
        )
    elif claimed > ctx.at + skew:
        s.add(
            "signing-time",
            OUT.WARNING,
            f"the claimed signing time {fmt_time(claimed)} is after the validation time",
            tconcerns,
        )
    else:
        s.add(
            "signing-time",
            OUT.PASSED,
            f"claimed signing time {fmt_time(claimed)} (a claim by the signer, not a proof)",
            tconcerns,
        )
