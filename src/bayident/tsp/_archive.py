"""Archive time-stamps v3 (ETSI EN 319 122-1 §5.5.3, CAdES-A / B-LTA).

An archive-time-stamp-v3 is an unsigned attribute of the signer whose token carries, as
an unsigned attribute of its own SignerInfo, an ats-hash-index-v3: the hashes of the
certificates, revocation data and unsigned attribute values the time-stamp covers. Its
message imprint is the hash of the concatenation of

1. the DER of the eContentType OBJECT IDENTIFIER,
2. the hash of the signed content (eContent, or the detached content),
3. the DER of the SignerInfo fields version, sid, digestAlgorithm, signedAttrs,
   signatureAlgorithm and signature (not the unsigned attributes),
4. the DER of the ats-hash-index-v3 value,

all hashed with the token's imprint algorithm. Each hash in the index must still match
an element of the SignedData: an index entry nothing matches means an element was
altered or removed after the time-stamp. A copied or broken archive time-stamp is
reported; a valid one is a proof of existence of everything it covers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import _der as d
from .._algorithms import AlgorithmError, digest_name
from .._cms import AlgorithmId, CMSFormatError, SignedData, SignerInfo, parse_signed_data
from .._result import SubIndication
from ._token import TokenCheck, check_token, sha

__all__ = [
    "OID_ARCHIVE_TIMESTAMP_V3",
    "OID_ATS_HASH_INDEX_V3",
    "archive_imprint_source",
    "archive_tokens",
]

OID_ARCHIVE_TIMESTAMP_V3 = "0.4.0.1733.2.4"
# EN 319 122-1 ats-hash-index-v3, and the ats-hash-index of ETSI TS 101 733 before it.
OID_ATS_HASH_INDEX_V3 = "0.4.0.19122.1.5"
OID_ATS_HASH_INDEX = "0.4.0.1733.2.5"
_SHA256 = "2.16.840.1.101.3.4.2.1"


class ArchiveProblem(Exception):
    """Why an archive time-stamp's covered data cannot be rebuilt; the message says."""


def _alg_der(alg: AlgorithmId) -> bytes:
    body = d.encode_oid(alg.oid) + (alg.parameters or b"")
    return d.encode_tlv(0x30, body)


def _integer(value: int) -> bytes:
    size = max(1, (value.bit_length() + 8) // 8)
    return d.encode_tlv(0x02, value.to_bytes(size, "big", signed=True))


def signer_fields_der(si: SignerInfo) -> bytes:
    """DER of version, sid, digestAlgorithm, signedAttrs, signatureAlgorithm and signature."""
    if si.issuer is not None:
        sid = d.encode_tlv(0x30, si.issuer + _integer(si.serial or 0))
    else:
        sid = d.encode_tlv(0x80, si.subject_key_id or b"")
    out = _integer(si.version) + sid + _alg_der(si.digest_algorithm)
    if si.signed_attrs_der is not None:
        from .._canonical import to_der

        out += b"\xa0" + to_der(si.signed_attrs_der)[1:]
    return out + _alg_der(si.signature_algorithm) + d.encode_tlv(0x04, si.signature)


def _hash_index(value: bytes) -> tuple[str, list[bytes], list[bytes], list[bytes]]:
    """(hash name, certificate, CRL and unsigned-attribute-value hashes) of ATSHashIndexV3."""
    where = "ats-hash-index-v3"
    top = d.read_tlv(value, 0, len(value), where)
    if top.tag != d.SEQUENCE or top.next != len(value):
        raise d.DERError("must be one SEQUENCE", where)
    parts = d.children(value, top, where)
    hash_oid = _SHA256
    if parts and parts[0].tag == d.SEQUENCE and len(parts) == 4:
        alg = d.children(value, parts[0], where)
        hash_oid = d.decode_oid(value, alg[0], where)
        parts = parts[1:]
    if len(parts) != 3 or any(p.tag != d.SEQUENCE for p in parts):
        raise d.DERError(
            "must hold certificatesHashIndex, crlsHashIndex and unsignedAttrValuesHashIndex",
            where,
        )
    lists = []
    for p in parts:
        items = []
        for h in d.children(value, p, where):
            if h.tag != d.OCTET_STRING:
                raise d.DERError("hash index entries must be OCTET STRINGs", where)
            items.append(bytes(value[h.start : h.end]))
        lists.append(items)
    try:
        name = digest_name(hash_oid)
    except AlgorithmError as exc:
        raise d.DERError(f"hash index algorithm: {exc.reason}", where) from None
    return name, lists[0], lists[1], lists[2]


def _index_value(token: bytes, max_depth: int) -> tuple[str, bytes]:
    """(index attribute OID, its value) from the token's SignerInfo."""
    try:
        tsd = parse_signed_data(token, max_depth=max_depth, max_signers=4)
    except CMSFormatError as exc:
        raise ArchiveProblem(f"the token is not a CMS SignedData: {exc.reason}") from None
    if len(tsd.signers) != 1:
        raise ArchiveProblem("the token must have exactly one signer")
    for a in tsd.signers[0].unsigned_attrs:
        if a.oid in (OID_ATS_HASH_INDEX_V3, OID_ATS_HASH_INDEX) and len(a.values) == 1:
            return a.oid, a.values[0]
    raise ArchiveProblem(
        "the token's SignerInfo carries no ats-hash-index-v3 (EN 319 122-1 §5.5.3)"
    )


def _attribute_der(oid: str, values: tuple[bytes, ...]) -> bytes:
    return d.encode_tlv(0x30, d.encode_oid(oid) + d.encode_tlv(0x31, b"".join(values)))


def archive_imprint_source(
    token: bytes,
    sd: SignedData,
    si: SignerInfo,
    content_hash: Callable[[str], bytes | None],
    max_depth: int,
) -> tuple[Callable[[str], bytes | None], list[str]]:
    """The ``imprint_of`` for :func:`check_token`, and what the hash index lists in vain.

    Raises :class:`ArchiveProblem` when the index is missing or malformed. The imprint
    covers the index itself; an index entry that no element of the signature matches
    any more (a certificate, CRL or unsigned attribute altered or removed after the
    time-stamp) is returned as a finding, for the verifier to report.
    """
    index_oid, index = _index_value(token, max_depth)
    try:
        hname, cert_hashes, crl_hashes, attr_hashes = _hash_index(index)
    except d.DERError as exc:
        raise ArchiveProblem(str(exc)) from None
    present_certs = {sha(hname, c) for c in sd.certificates}
    present_crls = {sha(hname, c) for c in sd.crls}
    if index_oid == OID_ATS_HASH_INDEX_V3:
        # EN 319 122-1: each attribute value, after its attribute type.
        present_attrs = {
            sha(hname, d.encode_oid(a.oid) + bytes(v)) for a in si.unsigned_attrs for v in a.values
        }
    else:
        # ETSI TS 101 733 ats-hash-index: each whole Attribute.
        present_attrs = {sha(hname, _attribute_der(a.oid, a.values)) for a in si.unsigned_attrs}
    findings = []
    for what, listed, present in (
        ("certificatesHashIndex", cert_hashes, present_certs),
        ("crlsHashIndex", crl_hashes, present_crls),
        ("unsignedAttrValuesHashIndex", attr_hashes, present_attrs),
    ):
        missing = [h for h in listed if h not in present]
        if missing:
            findings.append(
                f"{what} lists {len(missing)} element(s) the signature does not hold (first "
                f"{missing[0].hex()[:16]}…): altered or removed after the archive time-stamp, "
                "or kept elsewhere by the producer; they are not covered"
            )
    fields = signer_fields_der(si)
    ctype = d.encode_oid(sd.econtent_type)

    def imprint_of(name: str) -> bytes | None:
        signed = content_hash(name)
        if signed is None:
            return None
        return sha(name, ctype + signed + fields + index)

    return imprint_of, findings


def archive_tokens(
    certs: Any, job: Any, si: SignerInfo, content_hash: Callable[[str], bytes | None]
) -> list[TokenCheck]:
    """Check the signer's archive-time-stamp-v3 tokens, all but their TSA paths."""
    out: list[TokenCheck] = []
    for attr in si.unsigned_attrs:
        if attr.oid != OID_ARCHIVE_TIMESTAMP_V3:
            continue
        for j, value in enumerate(attr.values):
            label = f"SignerInfo[{si.index}].unsignedAttrs archive-time-stamp-v3[{j}]"
            try:
                imprint_of, findings = archive_imprint_source(
                    value, job.sd, si, content_hash, job.policy.max_asn1_depth
                )
            except ArchiveProblem as exc:
                broken = TokenCheck("archive", label)
                broken.fail(SubIndication.FORMAT_FAILURE, f"archive time-stamp: {exc}")
                out.append(broken)
                continue
            tc = check_token(
                value,
                "archive",
                label,
                imprint_of,
                "signature, its content and the validation data the hash index lists",
                job.policy,
                job.at,
                certs,
                job.pool,
            )
            tc.warnings.extend(findings)
            out.append(tc)
    return out
