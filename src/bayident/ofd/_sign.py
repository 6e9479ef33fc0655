"""Digital signatures (``Type="Sign"``) and GM/T 0099 integrity protection.

A ``Type="Sign"`` SignedValue is either a GB/T 35275 SignedData (the signer's
certificate inside, over Signature.xml) or a bare SM2 signature, DER
``SEQUENCE { r, s }`` over Signature.xml, which names no certificate: the caller then
supplies candidates with ``extra_certs``. GM/T 0099 protects the package's list of
files: ``/OFDEntries.xml`` lists them and a GB/T 35275 SignedData (named by its
``SignedValueLoc``) signs the SM3 of ``OFDEntries.xml``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import _der as d
from .._algorithms import AlgorithmError, digest_name
from .._certs import CertRecord
from .._cms import CMSFormatError, SignedData, parse_signed_data
from .._handlers import EvidenceContext
from .._result import SubIndication
from ..sm import sm3
from ..tsp._token import sha
from ._common import CERTS, OUT, SigState, key_usage, validate_path, verify_signature
from ._xml import OFDFormatError, child, children, is_element, resolve, text_of

if TYPE_CHECKING:
    from ._verify import Package, SignatureFile

__all__ = ["verify_digital_signature", "verify_integrity"]

_SM3_WITH_SM2 = "1.2.156.10197.1.501"
_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"


def _bare_sm2(value: bytes) -> bool:
    """Whether ``value`` is exactly DER ``SEQUENCE { INTEGER, INTEGER }``."""
    try:
        top = d.read_tlv(value, 0, len(value), "signature")
        if top.tag != 0x30 or top.next != len(value):
            return False
        kids = d.children(value, top, "signature")
    except d.DERError:
        return False
    return len(kids) == 2 and all(k.tag == 0x02 for k in kids)


def verify_digital_signature(
    ctx: EvidenceContext, s: SigState, sf: SignatureFile, value: bytes
) -> None:
    """A ``Type="Sign"`` signature over Signature.xml."""
    where = f"/{sf.signed_value}"
    s.algorithm, s.digest = "sm2", "sm3"
    if _bare_sm2(value):
        s.details["format"] = "bare SM2 signature (GB/T 35276 DER r, s)"
        s.add(
            "signed-value",
            OUT.PASSED,
            "SignedValue is a bare SM2 signature over Signature.xml; it names no certificate",
            where,
        )
        _bare(ctx, s, sf, value, where)
        return
    try:
        sd = parse_signed_data(
            value,
            max_depth=ctx.policy.max_asn1_depth,
            max_certificates=ctx.policy.max_certificates,
            max_signers=4,
        )
    except CMSFormatError as exc:
        s.fail(
            "signed-value",
            SubIndication.FORMAT_FAILURE,
            f"SignedValue is neither a GB/T 35275 SignedData nor a DER SM2 signature: {exc.reason}",
            f"{where} {exc.where}",
        )
        return
    s.details["format"] = "GB/T 35275 SignedData"
    s.add("signed-value", OUT.PASSED, "SignedValue is a SignedData", where)
    content = sf.raw
    if sd.econtent is not None and sd.econtent not in (sf.raw, sm3(sf.raw)):
        s.fail(
            "data-hash",
            SubIndication.HASH_FAILURE,
            "the SignedData's content is neither Signature.xml nor its SM3 digest",
            where,
        )
        return
    if sd.econtent is not None:
        content = sd.econtent
    signer = signed_data(ctx, s, sd, content, "Signature.xml", where)
    if signer is not None:
        s.summary = f"digital signature by {signer.subject}"


def _bare(ctx: EvidenceContext, s: SigState, sf: SignatureFile, value: bytes, where: str) -> None:
    candidates: list[CertRecord] = []
    for der in ctx.extra_certs:
        try:
            candidates.append(CERTS.get(der))
        except ValueError:
            continue
    if not candidates:
        s.fail(
            "signer-certificate",
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            "the bare SM2 signature names no certificate and none was supplied: pass the "
            "signer's certificate with extra_certs",
            where,
        )
        return
    found = None
    algorithm = _SM3_WITH_SM2
    undecided = None
    for cert in candidates:
        probe = SigState(s.index, s.kind, s.label)
        if verify_signature(
            ctx, probe, "signature", cert, algorithm, value, sf.raw, "Signature.xml", where
        ):
            found = cert
            s.checks.extend(probe.checks)
            s.warnings.extend(probe.warnings)
            break
        if probe.failed is None and undecided is None:
            undecided = cert  # e.g. no SM2 backend: say so rather than "does not verify"
    if found is None:
        if undecided is not None or len(candidates) == 1:
            cert = undecided or candidates[0]
            verify_signature(
                ctx, s, "signature", cert, algorithm, value, sf.raw, "Signature.xml", where
            )
        else:
            s.fail(
                "signature",
                SubIndication.SIG_CRYPTO_FAILURE,
                f"the SM2 signature over Signature.xml verifies with none of the "
                f"{len(candidates)} supplied certificates",
                where,
            )
        return
    s.cert = found
    key_usage(ctx, s, found, "key-usage")
    s.path = validate_path(ctx, s, found, list(ctx.extra_certs), role="signer")
    s.summary = f"digital signature by {found.subject}"


def signed_data(
    ctx: EvidenceContext,
    s: SigState,
    sd: SignedData,
    content: bytes,
    what: str,
    where: str,
) -> CertRecord | None:
    """Check a SignedData's one signer over ``content``; validate its path."""
    if len(sd.signers) != 1:
        s.fail(
            "signed-value",
            SubIndication.FORMAT_FAILURE,
            f"the SignedData has {len(sd.signers)} signers; one is expected",
            where,
        )
        return None
    si = sd.signers[0]
    pool: list[CertRecord] = []
    for der in (*sd.certificates, *ctx.extra_certs):
        try:
            pool.append(CERTS.get(der))
        except ValueError:
            continue
    cert = None
    for c in pool:
        if (si.issuer is not None and c.issuer_der == si.issuer and c.serial == si.serial) or (
            si.subject_key_id is not None and c.ski == si.subject_key_id
        ):
            cert = c
            break
    if cert is None:
        s.fail(
            "signer-certificate",
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            "the certificate the SignedData's signer names is neither in it nor supplied",
            where,
        )
        return None
    s.cert = cert
    try:
        digest = digest_name(si.digest_algorithm.oid)
    except AlgorithmError as exc:
        s.fail("signature", SubIndication.CRYPTO_CONSTRAINTS_FAILURE, exc.reason, where)
        return None
    s.digest = digest
    data = content
    covered = what
    if si.signed_attrs is not None and si.signed_attrs_der is not None:
        md = next((a for a in si.signed_attrs if a.oid == _MESSAGE_DIGEST), None)
        want = sm3(content) if digest == "sm3" else sha(digest, content)
        got = None
        if md is not None and md.values:
            raw = md.values[0]
            try:
                tlv = d.read_tlv(raw, 0, len(raw), "messageDigest")
                got = bytes(raw[tlv.start : tlv.end]) if tlv.tag == 0x04 else None
            except d.DERError:
                got = None
        if got != want:
            s.fail(
                "message-digest",
                SubIndication.HASH_FAILURE,
                f"the messageDigest attribute is not the {digest} of the {what}",
                where,
            )
            return cert
        s.add("message-digest", OUT.PASSED, f"messageDigest matches the {what}", where)
        data = si.signed_attrs_der
        covered = "signed attributes"
    algorithm = si.signature_algorithm.oid
    if algorithm in ("1.2.156.10197.1.301", "1.2.156.10197.1.301.1"):
        algorithm = _SM3_WITH_SM2
    verify_signature(ctx, s, "signature", cert, algorithm, si.signature, data, covered, where)
    key_usage(ctx, s, cert, "key-usage")
    s.path = validate_path(ctx, s, cert, [*sd.certificates, *ctx.extra_certs], role="signer")
    return cert


def verify_integrity(ctx: EvidenceContext, pkg: Package, s: SigState) -> None:
    """GM/T 0099: the file list in /OFDEntries.xml and its signature."""
    where = "/OFDEntries.xml"
    raw = pkg.read("OFDEntries.xml")
    root = pkg.xml("OFDEntries.xml")
    s.details.update({"type": "integrity", "format": "GM/T 0099 integrity protection"})
    if not is_element(root, "DocEntries"):
        raise OFDFormatError("the root element is not ofd:DocEntries", where)
    loc = text_of(child(root, "SignedValueLoc"))
    if loc is None:
        raise OFDFormatError("no SignedValueLoc", where)
    value_path = resolve("OFDEntries.xml", loc, where)
    listed: list[str] = []
    file_list = child(root, "FileList")
    for f in children(file_list, "File") if file_list is not None else ():
        fl = f.get("FileLoc")
        if not fl:
            raise OFDFormatError("a File without FileLoc", where)
        listed.append(resolve("OFDEntries.xml", fl, where))
    s.details["protected_files"] = [f"/{p}" for p in listed]
    present = set(pkg.zip.names()) - {"OFDEntries.xml", value_path}
    extra = sorted(present - set(listed))
    missing = sorted(set(listed) - present)
    if extra or missing:
        parts = []
        if extra:
            parts.append("not listed: " + ", ".join(f"/{p}" for p in extra[:5]))
        if missing:
            parts.append("listed but absent: " + ", ".join(f"/{p}" for p in missing[:5]))
        s.fail(
            "integrity-file-list",
            SubIndication.HASH_FAILURE,
            "the package's files are not the protected list (" + "; ".join(parts) + ")",
            where,
        )
    else:
        s.add(
            "integrity-file-list",
            OUT.PASSED,
            f"the package holds exactly the {len(listed)} files OFDEntries.xml lists "
            "(GM/T 0099 protects the list of files, not their contents)",
            where,
        )
    vwhere = f"/{value_path}"
    try:
        value = pkg.read(value_path)
    except KeyError:
        s.fail(
            "signed-value",
            SubIndication.FORMAT_FAILURE,
            "the signed value named by SignedValueLoc is not in the package",
            vwhere,
        )
        return
    try:
        sd = parse_signed_data(
            value,
            max_depth=ctx.policy.max_asn1_depth,
            max_certificates=ctx.policy.max_certificates,
            max_signers=4,
        )
    except CMSFormatError as exc:
        s.fail(
            "signed-value",
            SubIndication.FORMAT_FAILURE,
            f"the signed value is not a GB/T 35275 SignedData: {exc.reason}",
            f"{vwhere} {exc.where}",
        )
        return
    digest = sm3(raw)
    content = sd.econtent if sd.econtent is not None else digest
    if content not in (digest, raw):
        s.fail(
            "integrity-digest",
            SubIndication.HASH_FAILURE,
            "the signed content is not the SM3 of OFDEntries.xml: the list was changed",
            vwhere,
        )
    else:
        s.add(
            "integrity-digest",
            OUT.PASSED,
            "the signed content is the SM3 of OFDEntries.xml",
            vwhere,
        )
    signer = signed_data(ctx, s, sd, content, "OFDEntries.xml digest", vwhere)
    if signer is not None:
        s.summary = f"GM/T 0099 integrity protection of {len(listed)} files by {signer.subject}"
