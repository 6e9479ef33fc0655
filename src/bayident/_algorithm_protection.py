"""RFC 6211: the cms-algorithm-protection signed attribute, held against its SignerInfo.

A SignerInfo's digestAlgorithm and signatureAlgorithm lie outside what its signature
covers, so whoever holds a signature can change them (another hash, other RSASSA-PSS
parameters) without touching the signature value. The cms-algorithm-protection attribute
(1.2.840.113549.1.9.52) puts a copy of both under the signature. RFC 6211 §3: when it is
present, each copy is compared with the SignerInfo's field and, if they are not the same,
signature verification fails.

"The same" is judged on the encodings, each brought to DER without knowledge of the
algorithm's parameter syntax, with absent parameters equal to NULL ones (hash algorithm
identifiers are written both ways, RFC 5754 §2). So an identifier that spells out a field at
its DEFAULT value (RSASSA-PSS ``trailerField 1``) where the protected copy leaves it out is
not the identifier the signer protected. BouncyCastle's CMS verifier, used by the EU DSS
validator and most Java tools, compares the same way: a signature they refuse for this is
not one bayident accepts.
"""

from __future__ import annotations

from typing import NamedTuple

from . import _der as d
from ._attrs import attribute_label
from ._canonical import to_der
from ._cms import AlgorithmId, Attribute, SignerInfo
from ._result import SubIndication

__all__ = ["OID_ALGORITHM_PROTECTION", "ProtectionProblem", "algorithm_protection_problem"]

OID_ALGORITHM_PROTECTION = "1.2.840.113549.1.9.52"
_LABEL = attribute_label(OID_ALGORITHM_PROTECTION)
_NULL = b"\x05\x00"
# Parameters shown in a reason, at most this many bytes of each (as hex).
_SHOWN = 64


class ProtectionProblem(NamedTuple):
    """Why the attribute does not protect the SignerInfo's algorithms."""

    sub: SubIndication  # FORMAT_FAILURE: malformed; SIG_CRYPTO_FAILURE: a mismatch
    reason: str


def _malformed(why: str) -> ProtectionProblem:
    return ProtectionProblem(
        SubIndication.FORMAT_FAILURE,
        f"{_LABEL} is not a CMSAlgorithmProtection (RFC 6211 §2): {why}",
    )


def _algorithm(buf: bytes, tlv: d.TLV, where: str, max_depth: int) -> AlgorithmId:
    """An AlgorithmIdentifier whose contents are those of ``tlv`` (any tag)."""
    parts = d.children(buf, tlv, where, 0, max_depth)
    if not parts or len(parts) > 2:
        raise d.DERError("an AlgorithmIdentifier holds an OID and optional parameters", where)
    oid = d.decode_oid(buf, parts[0], where)
    params = bytes(buf[parts[1].header_start : parts[1].next]) if len(parts) == 2 else None
    return AlgorithmId(oid, params)


def _normal(params: bytes | None, max_depth: int) -> bytes | None:
    """Parameters as compared: None when absent or NULL, else their DER."""
    if params is None or params == _NULL:
        return None
    try:
        return to_der(params, max_depth)
    except d.DERError:
        return params  # compared as stored; malformed parameters are reported elsewhere


def _show(params: bytes | None) -> str:
    if params is None:
        return "none"
    shown = params[:_SHOWN].hex()
    return shown + ("…" if len(params) > _SHOWN else "") + f" ({len(params)} bytes)"


def _difference(
    field: str, used: AlgorithmId, protected: AlgorithmId, max_depth: int
) -> ProtectionProblem | None:
    if used.oid != protected.oid:
        detail = f"it names {used.oid}, the protected copy {protected.oid}"
    elif _normal(used.parameters, max_depth) != _normal(protected.parameters, max_depth):
        detail = (
            f"both name {used.oid}, with other parameters: {_show(used.parameters)} in the "
            f"SignerInfo, {_show(protected.parameters)} protected"
        )
    else:
        return None
    return ProtectionProblem(
        SubIndication.SIG_CRYPTO_FAILURE,
        f"the SignerInfo's {field} is not the one the signer protected in {_LABEL} "
        f"({detail}); the signature does not cover that field, and RFC 6211 §3 fails a "
        "signature whose protected copy differs",
    )


def algorithm_protection_problem(
    si: SignerInfo, attrs: list[Attribute], max_depth: int
) -> ProtectionProblem | None:
    """Why the cms-algorithm-protection attributes ``attrs`` of ``si`` fail, or None."""
    values = sum(len(a.values) for a in attrs)
    if len(attrs) != 1 or values != 1:
        return ProtectionProblem(
            SubIndication.FORMAT_FAILURE,
            f"{_LABEL} appears {len(attrs)} times with {values} value(s); RFC 6211 §2 allows "
            "one attribute with one value",
        )
    raw = attrs[0].values[0]
    where = _LABEL
    try:
        top = d.read_tlv(raw, 0, len(raw), where, 0, max_depth)
        if top.tag != d.SEQUENCE or top.next != len(raw):
            return _malformed("not one SEQUENCE")
        parts = d.children(raw, top, where, 0, max_depth)
        if not parts or parts[0].tag != d.SEQUENCE:
            return _malformed("its digestAlgorithm is missing")
        digest = _algorithm(raw, parts[0], f"{where}.digestAlgorithm", max_depth)
        signature: AlgorithmId | None = None
        mac = False
        for p in parts[1:]:
            # [1] IMPLICIT SignatureAlgorithmIdentifier, [2] IMPLICIT MAC algorithm; once each.
            if p.tag == 0xA1 and signature is None and not mac:
                signature = _algorithm(raw, p, f"{where}.signatureAlgorithm", max_depth)
            elif p.tag == 0xA2 and not mac:
                mac = True
            else:
                return _malformed(f"unexpected element with tag 0x{p.tag:02x}")
    except d.DERError as exc:
        return _malformed(str(exc))
    if mac:
        return _malformed("it names a macAlgorithm, which only authenticated data has")
    if signature is None:
        return _malformed("it has no signatureAlgorithm, which signed data requires")
    problem = _difference("digestAlgorithm", si.digest_algorithm, digest, max_depth)
    if problem is None:
        problem = _difference("signatureAlgorithm", si.signature_algorithm, signature, max_depth)
    return problem
