"""Parse CMS SignedData (RFC 5652) into plain records, without judging it.

Judgement (digests, signatures, chains) happens in the verifier; this module
only says what the bytes contain, or precisely why they cannot be read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import _der as d
from ._canonical import DER_CACHE
from ._der import DERError
from ._memo import Memo

__all__ = [
    "OID_DATA",
    "OID_SIGNED_DATA",
    "AlgorithmId",
    "Attribute",
    "CMSFormatError",
    "SignedData",
    "SignerInfo",
    "parse_signed_data",
]

OID_DATA = "1.2.840.113549.1.7.1"
OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
# GM/T 0010 and GB/T 35275 content types (Mainland SM2 signed data).
OID_GM_DATA = "1.2.156.10197.6.1.4.2.1"
OID_GM_SIGNED_DATA = "1.2.156.10197.6.1.4.2.2"
SIGNED_DATA_OIDS = frozenset({OID_SIGNED_DATA, OID_GM_SIGNED_DATA})


class CMSFormatError(ValueError):
    """The evidence is not a well-formed CMS SignedData; ``where`` names the element."""

    def __init__(self, message: str, where: str) -> None:
        self.where = where
        self.reason = message
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True, slots=True)  # shared between parses (see _alg_at), so immutable
class AlgorithmId:
    oid: str
    parameters: bytes | None  # DER of the parameters, None when absent

    @property
    def has_null_or_no_params(self) -> bool:
        return self.parameters is None or self.parameters == b"\x05\x00"


@dataclass(slots=True)  # not frozen: frozen __init__ costs ~1 µs a field on the hot path
class Attribute:
    oid: str
    values: tuple[bytes, ...]  # DER of each AttributeValue


@dataclass(slots=True)  # not frozen: frozen __init__ costs ~1 µs a field on the hot path
class SignerInfo:
    index: int
    version: int
    issuer: bytes | None  # DER of the issuer Name when sid is IssuerAndSerialNumber
    serial: int | None
    subject_key_id: bytes | None
    digest_algorithm: AlgorithmId
    signed_attrs: tuple[Attribute, ...] | None
    signed_attrs_der: bytes | None  # re-tagged as SET OF, the bytes the signature covers
    signature_algorithm: AlgorithmId
    signature: bytes
    unsigned_attrs: tuple[Attribute, ...] = ()
    # True when the parser saw that signed_attrs_der is already DER, so the signature
    # input needs no re-encoding (see _attributes_fast); False: not known, to be checked.
    signed_attrs_is_der: bool = False


@dataclass(slots=True)  # not frozen: frozen __init__ costs ~1 µs a field on the hot path
class SignedData:
    content_type: str
    version: int
    digest_algorithms: tuple[AlgorithmId, ...]
    econtent_type: str
    econtent: bytes | None
    certificates: tuple[bytes, ...]
    other_certificate_formats: int
    crls: tuple[bytes, ...]
    signers: tuple[SignerInfo, ...]
    notes: tuple[str, ...] = field(default=())


def _alg(buf: bytes, tlv: d.TLV, where: str, depth: int, max_depth: int) -> AlgorithmId:
    if tlv[0] == d.SEQUENCE:
        # Fast path: a known OID with no, NULL or short parameters.
        end = tlv[2]
        tag, o_start, o_end = _short_tlv(buf, tlv[1], end)
        if tag == d.OID:
            oid = d.OID_CACHE.get(buf[o_start:o_end])
            if oid is not None:
                if o_end == end:
                    return AlgorithmId(oid, None)
                tag, _, p_end = _short_tlv(buf, o_end, end)
                if tag >= 0 and p_end == end:
                    return AlgorithmId(oid, buf[o_end:end])
    return _alg_general(buf, tlv, where, depth, max_depth)


# AlgorithmIdentifier encodings recur in every signature: each is read once. Process-wide:
# a pure function of the bytes. A Memo rather than a table that stops growing, so that
# evidence full of odd encodings cannot keep the usual ones out for good.
_ALGS: Memo[bytes, AlgorithmId] = Memo(256)


def _alg_at(buf: bytes, pos: int, start: int, end: int) -> AlgorithmId:
    """The AlgorithmIdentifier SEQUENCE at ``pos`` (content ``start``..``end``), via the cache.

    The records are shared between parses: nothing changes an AlgorithmId once read.
    """
    raw = buf[pos:end]
    alg = _ALGS.get(raw)
    if alg is None:
        alg = _alg(buf, d.TLV(d.SEQUENCE, start, end, end, pos), "", 0, 32)
        _ALGS.put(raw, alg)
    return alg


# digestAlgorithms SET contents -> the algorithms, likewise.
_DIGEST_SETS: Memo[bytes, tuple[AlgorithmId, ...]] = Memo(256)


def _alg_general(buf: bytes, tlv: d.TLV, where: str, depth: int, max_depth: int) -> AlgorithmId:
    if tlv.tag != d.SEQUENCE:
        raise DERError("expected an AlgorithmIdentifier SEQUENCE", where)
    parts = d.children(buf, tlv, where, depth, max_depth)
    if not parts or len(parts) > 2:
        raise DERError("AlgorithmIdentifier must hold an OID and optional parameters", where)
    oid = d.decode_oid(buf, parts[0], where)
    params = bytes(buf[parts[1].header_start : parts[1].next]) if len(parts) == 2 else None
    return AlgorithmId(oid, params)


# The common-case DER header reader, bound to a module name: it runs for every element
# of every SignerInfo on the warm path.
_short_tlv = d.short_header


def _attributes_fast(buf: bytes, tlv: d.TLV) -> tuple[tuple[Attribute, ...], bool] | None:
    """The common, well-formed case of :func:`_attributes` in one tight loop, or ``None``.

    Also says whether the attributes are DER as they stand, which is what
    :func:`bayident._canonical.signed_attributes_der` would otherwise establish on every
    verification: attributes in ascending order of their encodings, and each one either
    made of primitive values (neither BOOLEAN nor constructed) in ascending order, or
    already known to be DER (an entry of ``DER_CACHE`` mapping it to itself). Lengths are
    minimal because :func:`_short_tlv` reads no other form. ``False`` only means "not
    known": the verifier then re-encodes.
    """
    out = []
    pos, end = tlv[1], tlv[2]
    oid_cache = d.OID_CACHE
    known = DER_CACHE
    is_der = True
    previous = b""
    while pos < end:
        # Attribute ::= SEQUENCE { type OID, values SET }. Elements under 128 bytes (nearly
        # every attribute of a signature) are read inline; _short_tlv reads the others.
        if pos + 2 <= end and buf[pos] == 0x30 and buf[pos + 1] < 0x80:
            a_start = pos + 2
            a_end = a_start + buf[pos + 1]
            if a_end > end:
                return None
        else:
            tag, a_start, a_end = _short_tlv(buf, pos, end)
            if tag != 0x30:
                return None
        if a_start + 2 <= a_end and buf[a_start] == 0x06 and buf[a_start + 1] < 0x80:
            o_start = a_start + 2
            o_end = o_start + buf[a_start + 1]
            if o_end > a_end:
                return None
        else:
            tag, o_start, o_end = _short_tlv(buf, a_start, a_end)
            if tag != 0x06:
                return None
        oid = oid_cache.get(buf[o_start:o_end])
        if oid is None:
            return None
        if o_end + 2 <= a_end and buf[o_end] == 0x31 and buf[o_end + 1] < 0x80:
            v_start = o_end + 2
            v_end = v_start + buf[o_end + 1]
        else:
            tag, v_start, v_end = _short_tlv(buf, o_end, a_end)
            if tag != 0x31:
                return None
        if v_end != a_end:
            return None
        values: list[bytes] = []
        plain = True
        q = v_start
        while q < v_end:
            if q + 2 <= v_end and buf[q + 1] < 0x80 and buf[q] & 0x1F != 0x1F:
                tag = buf[q]
                stop = q + 2 + buf[q + 1]
                if stop > v_end:
                    return None
            else:
                tag, _, stop = _short_tlv(buf, q, v_end)
                if tag < 0:
                    return None
            value = buf[q:stop]
            if tag & 0x20 or tag == 0x01 or (values and value < values[-1]):
                plain = False  # constructed, BOOLEAN or out of order: DER not established here
            values.append(value)
            q = stop
        if is_der:
            raw = buf[pos:a_end]
            if raw < previous or not (plain or known.get(raw) == raw):
                is_der = False
            previous = raw
        out.append(Attribute(oid, tuple(values)))
        pos = a_end
    return tuple(out), is_der


def _attributes(
    buf: bytes, tlv: d.TLV, where: str, depth: int, max_depth: int
) -> tuple[Attribute, ...]:
    fast = _attributes_fast(buf, tlv)
    if fast is not None:
        return fast[0]
    out = []
    children = d.children
    for i, a in enumerate(children(buf, tlv, where, depth, max_depth)):
        # The element path is built only when something is wrong: this loop is hot.
        try:
            if a[0] != d.SEQUENCE:
                raise DERError("attribute is not a SEQUENCE", "")
            parts = children(buf, a, "", depth + 1, max_depth)
            if len(parts) != 2 or parts[1][0] != d.SET:
                raise DERError("attribute must be SEQUENCE { type OID, values SET }", "")
            oid = d.decode_oid(buf, parts[0], "")
            values = tuple(
                [buf[v[4] : v[3]] for v in children(buf, parts[1], "", depth + 2, max_depth)]
            )
        except DERError as exc:
            raise DERError(exc.args[0].split(": ", 1)[-1], f"{where}[{i}]") from None
        out.append(Attribute(oid, values))
    return tuple(out)


def _signer_fast(buf: bytes, start: int, end: int, index: int) -> SignerInfo | None:
    """The usual SignerInfo layout in one pass, or ``None`` to use :func:`_signer`.

    Elements under 128 bytes (version, sid, serial, algorithms) are read inline, the
    others with :func:`_short_tlv`.
    """
    if start + 3 > end or buf[start] != d.INTEGER or buf[start + 1] != 1 or buf[start + 2] > 0x7F:
        return None
    version = buf[start + 2]
    v_end = start + 3
    if v_end + 2 <= end and buf[v_end + 1] < 0x80:
        tag = buf[v_end]
        sid_start = v_end + 2
        sid_end = sid_start + buf[v_end + 1]
        if sid_end > end:
            return None
    else:
        tag, sid_start, sid_end = _short_tlv(buf, v_end, end)
    issuer = serial = ski = None
    if tag == d.SEQUENCE:
        # IssuerAndSerialNumber: the Name starts where the SEQUENCE's content does.
        if sid_start + 2 <= sid_end and buf[sid_start] == d.SEQUENCE and buf[sid_start + 1] < 0x80:
            n_end = sid_start + 2 + buf[sid_start + 1]
        else:
            tag, _, n_end = _short_tlv(buf, sid_start, sid_end)
            if tag != d.SEQUENCE:
                return None
        if n_end + 2 <= sid_end and buf[n_end] == d.INTEGER and buf[n_end + 1] < 0x80:
            i_start = n_end + 2
            i_end = i_start + buf[n_end + 1]
        else:
            tag, i_start, i_end = _short_tlv(buf, n_end, sid_end)
            if tag != d.INTEGER:
                return None
        if i_end != sid_end:
            return None
        issuer = buf[sid_start:n_end]
        raw = buf[i_start:i_end]
        if not raw or (
            len(raw) > 1
            and ((raw[0] == 0 and raw[1] < 0x80) or (raw[0] == 0xFF and raw[1] >= 0x80))
        ):
            return None  # not a minimal INTEGER: the general reader says so
        serial = int.from_bytes(raw, "big", signed=True)
    elif tag == d.CTX0_PRIM:
        ski = buf[sid_start:sid_end]
    else:
        return None
    pos = sid_end
    if pos + 2 <= end and buf[pos] == d.SEQUENCE and buf[pos + 1] < 0x80:
        a_start = pos + 2
        a_end = a_start + buf[pos + 1]
        if a_end > end:
            return None
    else:
        tag, a_start, a_end = _short_tlv(buf, pos, end)
        if tag != d.SEQUENCE:
            return None
    digest_alg = _alg_at(buf, pos, a_start, a_end)
    pos = a_end
    tag, x_start, x_end = _short_tlv(buf, pos, end)
    signed_attrs = signed_der = None
    is_der = False
    if tag == d.CTX0:
        read = _attributes_fast(buf, d.TLV(tag, x_start, x_end, x_end, pos))
        if read is None:
            return None
        signed_attrs, is_der = read
        # The signature covers the EXPLICIT SET OF encoding (RFC 5652 §5.4).
        signed_der = b"\x31" + buf[pos + 1 : x_end]
        pos = x_end
        tag, x_start, x_end = _short_tlv(buf, pos, end)
    if tag != d.SEQUENCE:
        return None
    sig_alg = _alg_at(buf, pos, x_start, x_end)
    pos = x_end
    tag, o_start, o_end = _short_tlv(buf, pos, end)
    if tag != d.OCTET_STRING or o_end != end:
        return None  # unsigned attributes, or anything else: the general reader
    return SignerInfo(
        index,
        version,
        issuer,
        serial,
        ski,
        digest_alg,
        signed_attrs,
        signed_der,
        sig_alg,
        buf[o_start:o_end],
        (),
        is_der,
    )


def _signer(buf: bytes, tlv: d.TLV, index: int, depth: int, max_depth: int) -> SignerInfo:
    where = f"SignerInfo[{index}]"
    if tlv.tag != d.SEQUENCE:
        raise DERError("expected a SEQUENCE", where)
    parts = d.children(buf, tlv, where, depth, max_depth)
    if len(parts) < 5:
        raise DERError(f"has {len(parts)} fields, at least 5 are required", where)
    version = d.decode_integer(buf, parts[0], f"{where}.version")
    sid = parts[1]
    issuer = serial = ski = None
    if sid.tag == d.SEQUENCE:
        ias = d.children(buf, sid, f"{where}.sid", depth + 1, max_depth)
        if len(ias) != 2 or ias[0].tag != d.SEQUENCE:
            raise DERError(
                "IssuerAndSerialNumber must be SEQUENCE { Name, INTEGER }", f"{where}.sid"
            )
        issuer = bytes(buf[ias[0].header_start : ias[0].next])
        serial = d.decode_integer(buf, ias[1], f"{where}.sid.serialNumber")
    elif sid.tag == d.CTX0_PRIM:
        ski = bytes(buf[sid.start : sid.end])
    else:
        raise DERError(f"unknown SignerIdentifier choice (tag 0x{sid.tag:02x})", f"{where}.sid")
    digest_alg = _alg(buf, parts[2], f"{where}.digestAlgorithm", depth + 1, max_depth)
    i = 3
    signed_attrs = signed_der = None
    is_der = False
    if parts[i].tag == d.CTX0:
        x = parts[i]
        read = _attributes_fast(buf, x)
        if read is None:
            signed_attrs = _attributes(buf, x, f"{where}.signedAttrs", depth + 1, max_depth)
        else:
            signed_attrs, is_der = read
            # DER also needs the minimal length form, which this reader did not require.
            _, x_start, x_end = _short_tlv(buf, x.header_start, x.next)
            is_der = is_der and x_start == x.start and x_end == x.end
        # The signature covers the EXPLICIT SET OF encoding (RFC 5652 §5.4).
        signed_der = b"\x31" + bytes(buf[parts[i].header_start + 1 : parts[i].next])
        i += 1
    if len(parts) < i + 2:
        raise DERError("missing signatureAlgorithm or signature", where)
    sig_alg = _alg(buf, parts[i], f"{where}.signatureAlgorithm", depth + 1, max_depth)
    sig_tlv = parts[i + 1]
    if sig_tlv.tag != d.OCTET_STRING:
        raise DERError("signature must be an OCTET STRING", f"{where}.signature")
    signature = bytes(buf[sig_tlv.start : sig_tlv.end])
    i += 2
    unsigned: tuple[Attribute, ...] = ()
    if i < len(parts) and parts[i].tag == d.CTX1:
        unsigned = _attributes(buf, parts[i], f"{where}.unsignedAttrs", depth + 1, max_depth)
        i += 1
    if i != len(parts):
        raise DERError("unexpected trailing fields", where)
    return SignerInfo(
        index,
        version,
        issuer,
        serial,
        ski,
        digest_alg,
        signed_attrs,
        signed_der,
        sig_alg,
        signature,
        unsigned,
        is_der,
    )


def _octets(buf: bytes, tlv: d.TLV, where: str, depth: int, max_depth: int) -> bytes:
    """An OCTET STRING, joining the pieces of a BER constructed one."""
    if tlv.tag == d.OCTET_STRING:
        return bytes(buf[tlv.start : tlv.end])
    if tlv.tag == d.OCTET_STRING_CONSTRUCTED:
        return b"".join(
            _octets(buf, c, where, depth + 1, max_depth)
            for c in d.children(buf, tlv, where, depth, max_depth)
        )
    raise DERError(f"expected an OCTET STRING, found tag 0x{tlv.tag:02x}", where)


def parse_signed_data(
    buf: bytes, *, max_depth: int = 32, max_certificates: int = 64, max_signers: int = 32
) -> SignedData:
    """Parse a ContentInfo holding SignedData; raise :class:`CMSFormatError` if it is not one."""
    try:
        fast = _parse_fast(buf, max_certificates, max_signers)
    except DERError:
        fast = None  # the general parser below says precisely what is wrong
    if fast is not None:
        return fast
    try:
        return _parse(buf, max_depth, max_certificates, max_signers)
    except DERError as exc:
        raise CMSFormatError(str(exc).split(": ", 1)[-1], exc.where or "ContentInfo") from None
    except RecursionError:
        raise CMSFormatError("structure nested too deeply", "ContentInfo") from None


def _parse_fast(buf: bytes, max_certificates: int, max_signers: int) -> SignedData | None:
    """The common DER layout of a SignedData in one pass, or ``None`` to use :func:`_parse`.

    Verifying a signature spends much of its pure-Python time walking this structure.
    This reads the usual shape (definite short lengths, a detached or attached
    OCTET STRING content, certificates as SEQUENCEs, no CRLs) with plain offsets;
    anything else, and anything wrong, is left to the general parser, which also
    explains errors. It never accepts what the general parser would refuse.
    """
    end = len(buf)
    tag, ci_start, ci_end = _short_tlv(buf, 0, end)
    if tag != d.SEQUENCE or ci_end != end:
        return None
    tag, o_start, o_end = _short_tlv(buf, ci_start, ci_end)
    if tag != d.OID:
        return None
    ctype = d.OID_CACHE.get(buf[o_start:o_end])
    if ctype not in SIGNED_DATA_OIDS:
        return None
    tag, x_start, x_end = _short_tlv(buf, o_end, ci_end)
    if tag != d.CTX0 or x_end != ci_end:
        return None
    tag, sd_start, sd_end = _short_tlv(buf, x_start, x_end)
    if tag != d.SEQUENCE or sd_end != x_end:
        return None
    # version
    if (
        sd_start + 3 > sd_end
        or buf[sd_start] != d.INTEGER
        or buf[sd_start + 1] != 1
        or buf[sd_start + 2] > 0x7F
    ):
        return None
    version = buf[sd_start + 2]
    v_end = sd_start + 3
    # digestAlgorithms: the same SET in every signature of a producer, read once.
    tag, da_start, da_end = _short_tlv(buf, v_end, sd_end)
    if tag != d.SET:
        return None
    da_raw = buf[da_start:da_end]
    digest_algs = _DIGEST_SETS.get(da_raw)
    if digest_algs is None:
        algs = []
        pos = da_start
        while pos < da_end:
            tag, a_start, a_end = _short_tlv(buf, pos, da_end)
            if tag != d.SEQUENCE:
                return None
            algs.append(_alg_at(buf, pos, a_start, a_end))
            pos = a_end
        digest_algs = tuple(algs)
        _DIGEST_SETS.put(da_raw, digest_algs)
    # encapContentInfo
    if da_end + 2 <= sd_end and buf[da_end] == d.SEQUENCE and buf[da_end + 1] < 0x80:
        e_start = da_end + 2
        e_end = e_start + buf[da_end + 1]
        if e_end > sd_end:
            return None
    else:
        tag, e_start, e_end = _short_tlv(buf, da_end, sd_end)
        if tag != d.SEQUENCE:
            return None
    if e_start + 2 <= e_end and buf[e_start] == d.OID and buf[e_start + 1] < 0x80:
        et_start = e_start + 2
        et_end = et_start + buf[e_start + 1]
        if et_end > e_end:
            return None
    else:
        tag, et_start, et_end = _short_tlv(buf, e_start, e_end)
        if tag != d.OID:
            return None
    etype = d.OID_CACHE.get(buf[et_start:et_end])
    if etype is None:
        return None
    econtent = None
    if et_end != e_end:
        tag, w_start, w_end = _short_tlv(buf, et_end, e_end)
        if tag != d.CTX0 or w_end != e_end:
            return None
        tag, c_start, c_end = _short_tlv(buf, w_start, w_end)
        if tag != d.OCTET_STRING or c_end != w_end:
            return None
        econtent = buf[c_start:c_end]
    pos = e_end
    # certificates
    certs: list[bytes] = []
    tag, c_start, c_end = _short_tlv(buf, pos, sd_end)
    if tag == d.CTX0:
        q = c_start
        while q < c_end:
            tag, _, stop = _short_tlv(buf, q, c_end)
            if tag != d.SEQUENCE or len(certs) >= max_certificates:
                return None
            certs.append(buf[q:stop])
            q = stop
        pos = c_end
        tag, c_start, c_end = _short_tlv(buf, pos, sd_end)
    # signerInfos: no CRLs here (the general parser reads them), and nothing after.
    if tag != d.SET or c_end != sd_end:
        return None
    signers: list[SignerInfo] = []
    q = c_start
    while q < c_end:
        tag, s_start, s_end = _short_tlv(buf, q, c_end)
        if tag != d.SEQUENCE or len(signers) >= max_signers:
            return None
        si = _signer_fast(buf, s_start, s_end, len(signers))
        if si is None:
            si = _signer(buf, d.TLV(tag, s_start, s_end, s_end, q), len(signers), 4, 32)
        signers.append(si)
        q = s_end
    return SignedData(
        ctype, version, digest_algs, etype, econtent, tuple(certs), 0, (), tuple(signers)
    )


def _parse(buf: bytes, max_depth: int, max_certificates: int, max_signers: int) -> SignedData:
    top = d.read_tlv(buf, 0, len(buf), "ContentInfo", 0, max_depth)
    if top.tag != d.SEQUENCE:
        raise DERError("not an ASN.1 SEQUENCE", "ContentInfo")
    padding = len(buf) - top.next
    if padding and buf.count(0, top.next) != padding:
        raise DERError(f"{padding} unexpected bytes after the end", "ContentInfo")
    ci = d.children(buf, top, "ContentInfo", 0, max_depth)
    if len(ci) != 2 or ci[1].tag != d.CTX0:
        raise DERError("must be SEQUENCE { contentType, [0] content }", "ContentInfo")
    ctype = d.decode_oid(buf, ci[0], "ContentInfo.contentType")
    if ctype not in SIGNED_DATA_OIDS:
        raise DERError(f"content type {ctype} is not signedData", "ContentInfo.contentType")
    inner = d.children(buf, ci[1], "ContentInfo.content", 1, max_depth)
    if len(inner) != 1 or inner[0].tag != d.SEQUENCE:
        raise DERError("must hold exactly one SignedData SEQUENCE", "ContentInfo.content")
    sd = d.children(buf, inner[0], "SignedData", 2, max_depth)
    if len(sd) < 4:
        raise DERError(f"has {len(sd)} fields, at least 4 are required", "SignedData")
    version = d.decode_integer(buf, sd[0], "SignedData.version")
    if sd[1].tag != d.SET:
        raise DERError("digestAlgorithms must be a SET", "SignedData.digestAlgorithms")
    digest_algs = tuple(
        _alg(buf, t, f"SignedData.digestAlgorithms[{i}]", 4, max_depth)
        for i, t in enumerate(d.children(buf, sd[1], "SignedData.digestAlgorithms", 3, max_depth))
    )
    if sd[2].tag != d.SEQUENCE:
        raise DERError("must be a SEQUENCE", "SignedData.encapContentInfo")
    eci = d.children(buf, sd[2], "SignedData.encapContentInfo", 3, max_depth)
    if not eci or len(eci) > 2:
        raise DERError(
            "must be SEQUENCE { eContentType, [0] eContent OPTIONAL }",
            "SignedData.encapContentInfo",
        )
    etype = d.decode_oid(buf, eci[0], "SignedData.encapContentInfo.eContentType")
    econtent = None
    if len(eci) == 2:
        if eci[1].tag != d.CTX0:
            raise DERError("eContent must be [0] EXPLICIT", "SignedData.encapContentInfo.eContent")
        wrapped = d.children(buf, eci[1], "SignedData.encapContentInfo.eContent", 4, max_depth)
        if len(wrapped) != 1:
            raise DERError("must hold one OCTET STRING", "SignedData.encapContentInfo.eContent")
        econtent = _octets(buf, wrapped[0], "SignedData.encapContentInfo.eContent", 5, max_depth)
    i = 3
    certs: list[bytes] = []
    other = 0
    crls: list[bytes] = []
    if i < len(sd) and sd[i].tag == d.CTX0:
        for c in d.children(buf, sd[i], "SignedData.certificates", 3, max_depth):
            if c.tag == d.SEQUENCE:
                if len(certs) >= max_certificates:
                    raise DERError(
                        f"more than {max_certificates} certificates", "SignedData.certificates"
                    )
                certs.append(bytes(buf[c.header_start : c.next]))
            else:
                other += 1  # attribute certificates and other formats are not used here
        i += 1
    if i < len(sd) and sd[i].tag == d.CTX1:
        crls = [
            bytes(buf[c.header_start : c.next])
            for c in d.children(buf, sd[i], "SignedData.crls", 3, max_depth)
        ]
        i += 1
    if i != len(sd) - 1 or sd[i].tag != d.SET:
        raise DERError("signerInfos SET not found where expected", "SignedData.signerInfos")
    signer_tlvs = d.children(buf, sd[i], "SignedData.signerInfos", 3, max_depth)
    if len(signer_tlvs) > max_signers:
        raise DERError(
            f"{len(signer_tlvs)} signers, more than the limit of {max_signers}",
            "SignedData.signerInfos",
        )
    signers = tuple(_signer(buf, t, n, 4, max_depth) for n, t in enumerate(signer_tlvs))
    # Some producers pad the file with zero bytes (a fixed-size buffer written whole);
    # they carry nothing, so they are ignored, and said to be there. Anything else after
    # the ContentInfo stays an error (above).
    notes = (
        (f"{padding} zero bytes of padding after the ContentInfo were ignored",) if padding else ()
    )
    return SignedData(
        ctype,
        version,
        digest_algs,
        etype,
        econtent,
        tuple(certs),
        other,
        tuple(crls),
        signers,
        notes,
    )
