"""Electronic seals and seal signatures: GB/T 38540-2020 (V4) and GM/T 0031-2014 (V1).

Decoding only; what they prove is decided in :mod:`bayident.ofd._verify`. The layouts
(both standards, as the signed files in the field encode them)::

    SESeal (V4)        ::= SEQUENCE { esealInfo SES_SealInfo, cert OCTET STRING,
                                      signAlgID OBJECT IDENTIFIER, signedValue BIT STRING }
    SESeal (V1)        ::= SEQUENCE { esealInfo SES_SealInfo,
                                      signInfo SEQUENCE { cert OCTET STRING,
                                                          signatureAlgorithm OBJECT IDENTIFIER,
                                                          signData BIT STRING } }
    SES_SealInfo       ::= SEQUENCE { header SEQUENCE { ID IA5String ("ES"), version INTEGER,
                                                        Vid IA5String },
                                      esID IA5String, property SES_ESPropertyInfo,
                                      picture SEQUENCE { type IA5String, data OCTET STRING,
                                                         width INTEGER, height INTEGER },
                                      extDatas ExtensionDatas OPTIONAL }
    SES_ESPropertyInfo ::= SEQUENCE { type INTEGER, name UTF8String,
                                      certListType INTEGER,          -- V4 only: 1 certs, 2 digests
                                      certList SEQUENCE OF ...,      -- OCTET STRING certificates,
                                                                     -- or {type, value} digests
                                      createDate, validStart, validEnd }  -- V4 GeneralizedTime,
                                                                          -- V1 UTCTime
    TBS_Sign (V4)      ::= SEQUENCE { version INTEGER (4), eseal SESeal,
                                      timeInfo GeneralizedTime, dataHash BIT STRING,
                                      propertyInfo IA5String, extDatas [0] OPTIONAL }
    SES_Signature (V4) ::= SEQUENCE { toSign TBS_Sign, cert OCTET STRING,
                                      signatureAlgID OBJECT IDENTIFIER, signature BIT STRING,
                                      timeStamp [0] BIT STRING OPTIONAL }
    TBS_Sign (V1)      ::= SEQUENCE { version INTEGER (1), eseal SESeal, timeInfo BIT STRING,
                                      dataHash BIT STRING, propertyInfo IA5String,
                                      cert OCTET STRING, signatureAlgorithm OBJECT IDENTIFIER }
    SES_Signature (V1) ::= SEQUENCE { toSign TBS_Sign, signature BIT STRING }

The seal maker signs DER(SES_SealInfo) in V4 and DER(SEQUENCE { SES_SealInfo, cert,
signatureAlgorithm }) in V1; the signer signs DER(TBS_Sign) in both.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from .. import _der as d
from .._exceptions import BayidentError

__all__ = ["SESFormatError", "Seal", "SealSignature", "parse_seal", "parse_seal_signature"]

_IA5 = 0x16
_UTF8 = 0x0C
_PRINTABLE = 0x13
_GENERALIZED = 0x18
_UTC = 0x17
_OCTETS = 0x04
_BITS = 0x03
_SEQ = 0x30
_INT = 0x02
_OID = 0x06
_MAX_DEPTH = 24
_CST = _dt.timezone(_dt.timedelta(hours=8), "UTC+08:00")


class SESFormatError(BayidentError, ValueError):
    """The signed value or seal does not decode; ``where`` names the field at fault."""

    def __init__(self, message: str, where: str) -> None:
        self.where = where
        self.reason = message
        super().__init__(f"{where}: {message}")


@dataclass
class Seal:
    """An electronic seal (``SESeal``) as decoded, with the bytes its maker signed."""

    version: int  # 4 (GB/T 38540) or 1 (GM/T 0031), from the layout
    header_version: int
    vendor: str
    seal_id: str
    seal_type: int
    name: str
    cert_list_type: int  # 1: certificates, 2: certificate digests
    certs: list[bytes]
    cert_digests: list[tuple[str, bytes]]
    created: _dt.datetime | None
    valid_start: _dt.datetime
    valid_end: _dt.datetime
    picture_type: str
    picture_size: tuple[int, int]
    maker_cert: bytes
    algorithm: str
    signature: bytes
    signed_bytes: bytes  # what the maker's signature covers
    der: bytes  # the whole SESeal


@dataclass
class SealSignature:
    """A seal signature (``SES_Signature``) as decoded."""

    version: int  # 4 or 1, from the layout
    tbs_version: int
    seal: Seal
    time_info: _dt.datetime | None
    time_text: str
    data_hash: bytes
    property_info: str
    signer_cert: bytes
    algorithm: str
    signature: bytes
    tbs: bytes  # DER of TBS_Sign, what the signature covers
    timestamp: bytes | None = None
    notes: list[str] = field(default_factory=list)


def _kids(buf: bytes, tlv: d.TLV, where: str, depth: int) -> list[d.TLV]:
    if tlv.tag != _SEQ:
        raise SESFormatError(f"expected a SEQUENCE, found tag 0x{tlv.tag:02x}", where)
    return d.children(buf, tlv, where, depth, _MAX_DEPTH)


def _want(tlv: d.TLV, tag: int, what: str, where: str) -> None:
    if tlv.tag != tag:
        raise SESFormatError(f"expected {what}, found tag 0x{tlv.tag:02x}", where)


def _string(buf: bytes, tlv: d.TLV, tags: tuple[int, ...], where: str) -> str:
    if tlv.tag not in tags:
        raise SESFormatError(f"expected a string, found tag 0x{tlv.tag:02x}", where)
    raw = bytes(buf[tlv.start : tlv.end])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030", "replace")


def _int(buf: bytes, tlv: d.TLV, where: str) -> int:
    try:
        return d.decode_integer(buf, tlv, where)
    except d.DERError as exc:
        raise SESFormatError(str(exc).split(": ", 1)[-1], where) from None


def _bits(buf: bytes, tlv: d.TLV, where: str) -> bytes:
    _want(tlv, _BITS, "a BIT STRING", where)
    if tlv.end <= tlv.start or buf[tlv.start] != 0:
        raise SESFormatError("a BIT STRING with unused bits or no content", where)
    return bytes(buf[tlv.start + 1 : tlv.end])


def _octets(buf: bytes, tlv: d.TLV, where: str) -> bytes:
    _want(tlv, _OCTETS, "an OCTET STRING", where)
    return bytes(buf[tlv.start : tlv.end])


def _oid(buf: bytes, tlv: d.TLV, where: str) -> str:
    try:
        return d.decode_oid(buf, tlv, where)
    except d.DERError as exc:
        raise SESFormatError(str(exc).split(": ", 1)[-1], where) from None


def _whole(buf: bytes, tlv: d.TLV) -> bytes:
    return bytes(buf[tlv.header_start : tlv.next])


def parse_time(text: str, *, generalized: bool, where: str) -> _dt.datetime:
    """A GeneralizedTime or UTCTime value (``Z`` or an offset, seconds optional)."""
    s = text.strip()
    zone: _dt.tzinfo = _dt.UTC
    if s.endswith("Z"):
        s = s[:-1]
    elif len(s) > 5 and s[-5] in "+-":
        sign = 1 if s[-5] == "+" else -1
        try:
            zone = _dt.timezone(sign * _dt.timedelta(hours=int(s[-4:-2]), minutes=int(s[-2:])))
        except ValueError:
            raise SESFormatError(f"unreadable time {text!r}", where) from None
        s = s[:-5]
    frac = ""
    if "." in s:
        s, frac = s.split(".", 1)
    # Read by hand: strptime costs more than the rest of the seal's decoding.
    if not (s.isascii() and s.isdigit()) or (frac and not (frac.isascii() and frac.isdigit())):
        raise SESFormatError(f"unreadable time {text!r}", where)
    if not generalized:
        if len(s) not in (10, 12):
            raise SESFormatError(f"unreadable time {text!r}", where)
        year = int(s[:2])
        s = str(year + (2000 if year < 50 else 1900)) + s[2:]  # RFC 5280 §4.1.2.5.1
    if len(s) not in (12, 14):
        raise SESFormatError(f"unreadable time {text!r}", where)
    try:
        value = _dt.datetime(
            int(s[:4]),
            int(s[4:6]),
            int(s[6:8]),
            int(s[8:10]),
            int(s[10:12]),
            int(s[12:14]) if len(s) == 14 else 0,
            int((frac + "000000")[:6]) if frac else 0,
            tzinfo=zone,
        )
    except ValueError:
        raise SESFormatError(f"unreadable time {text!r}", where) from None
    return value.astimezone(_dt.UTC)


def parse_local_time(text: str) -> _dt.datetime | None:
    """A time written as local (Beijing) time, in the spellings OFD producers use.

    ``SignatureDateTime`` and V1 ``timeInfo`` carry no zone; producers write China
    Standard Time (UTC+08:00), as V4 files show by pairing it with a UTC ``timeInfo``.
    Returns None when unreadable (it is a claim, reported, never relied on).
    """
    s = text.strip()
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y%m%d%H%M%S", "%Y-%m-%dT%H:%M:%S"):
        try:
            return _dt.datetime.strptime(s, fmt).replace(tzinfo=_CST).astimezone(_dt.UTC)
        except ValueError:
            continue
    try:
        return parse_time(s, generalized=True, where="time")
    except SESFormatError:
        return None


def _time(buf: bytes, tlv: d.TLV, where: str) -> _dt.datetime:
    if tlv.tag not in (_GENERALIZED, _UTC):
        raise SESFormatError(f"expected a time, found tag 0x{tlv.tag:02x}", where)
    text = bytes(buf[tlv.start : tlv.end]).decode("ascii", "replace")
    return parse_time(text, generalized=tlv.tag == _GENERALIZED, where=where)


def _seal_info(buf: bytes, tlv: d.TLV, depth: int) -> dict[str, object]:
    w = "SES_SealInfo"
    kids = _kids(buf, tlv, w, depth)
    if len(kids) < 4:
        raise SESFormatError(f"has {len(kids)} fields, expected at least 4", w)
    header = _kids(buf, kids[0], f"{w}.header", depth + 1)
    if len(header) != 3:
        raise SESFormatError("expected {ID, version, Vid}", f"{w}.header")
    ident = _string(buf, header[0], (_IA5, _PRINTABLE, _UTF8), f"{w}.header.ID")
    if ident != "ES":
        raise SESFormatError(f"ID is {ident!r}, not 'ES'", f"{w}.header.ID")
    out: dict[str, object] = {
        "header_version": _int(buf, header[1], f"{w}.header.version"),
        "vendor": _string(buf, header[2], (_IA5, _PRINTABLE, _UTF8), f"{w}.header.Vid"),
        "seal_id": _string(buf, kids[1], (_IA5, _PRINTABLE, _UTF8), f"{w}.esID"),
    }
    pw = f"{w}.property"
    prop = _kids(buf, kids[2], pw, depth + 1)
    if len(prop) < 6:
        raise SESFormatError(f"has {len(prop)} fields, expected at least 6", pw)
    out["seal_type"] = _int(buf, prop[0], f"{pw}.type")
    out["name"] = _string(buf, prop[1], (_UTF8, _IA5, _PRINTABLE), f"{pw}.name")
    i = 2
    list_type = 1
    if prop[2].tag == _INT:  # V4: certListType before certList
        list_type = _int(buf, prop[2], f"{pw}.certListType")
        i = 3
    if len(prop) < i + 4:
        raise SESFormatError("is missing its dates", pw)
    certs: list[bytes] = []
    digests: list[tuple[str, bytes]] = []
    lw = f"{pw}.certList"
    for j, item in enumerate(_kids(buf, prop[i], lw, depth + 2)):
        if list_type == 2:
            pair = _kids(buf, item, f"{lw}[{j}]", depth + 3)
            if len(pair) != 2:
                raise SESFormatError("expected {type, value}", f"{lw}[{j}]")
            digests.append(
                (
                    _string(buf, pair[0], (_PRINTABLE, _IA5, _UTF8), f"{lw}[{j}].type"),
                    _octets(buf, pair[1], f"{lw}[{j}].value"),
                )
            )
        elif list_type == 1:
            certs.append(_octets(buf, item, f"{lw}[{j}]"))
        else:
            raise SESFormatError(f"certListType {list_type} is neither 1 nor 2", f"{pw}")
    out["cert_list_type"] = list_type
    out["certs"] = certs
    out["cert_digests"] = digests
    out["created"] = _time(buf, prop[i + 1], f"{pw}.createDate")
    out["valid_start"] = _time(buf, prop[i + 2], f"{pw}.validStart")
    out["valid_end"] = _time(buf, prop[i + 3], f"{pw}.validEnd")
    picw = f"{w}.picture"
    pic = _kids(buf, kids[3], picw, depth + 1)
    if len(pic) < 2:
        raise SESFormatError("expected {type, data, width, height}", picw)
    out["picture_type"] = _string(buf, pic[0], (_IA5, _PRINTABLE, _UTF8), f"{picw}.type")
    _want(pic[1], _OCTETS, "an OCTET STRING", f"{picw}.data")
    size = (0, 0)
    if len(pic) >= 4:
        size = (_int(buf, pic[2], f"{picw}.width"), _int(buf, pic[3], f"{picw}.height"))
    out["picture_size"] = size
    return out


def _seal(buf: bytes, tlv: d.TLV, depth: int) -> Seal:
    w = "SESeal"
    kids = _kids(buf, tlv, w, depth)
    info = _seal_info(buf, kids[0], depth + 1) if kids else None
    if info is None:
        raise SESFormatError("is empty", w)
    if len(kids) == 4:  # V4
        cert = _octets(buf, kids[1], f"{w}.cert")
        alg = _oid(buf, kids[2], f"{w}.signAlgID")
        sig = _bits(buf, kids[3], f"{w}.signedValue")
        signed = _whole(buf, kids[0])
        version = 4
    elif len(kids) == 2:  # V1
        sw = f"{w}.signInfo"
        si = _kids(buf, kids[1], sw, depth + 1)
        if len(si) != 3:
            raise SESFormatError("expected {cert, signatureAlgorithm, signData}", sw)
        cert = _octets(buf, si[0], f"{sw}.cert")
        alg = _oid(buf, si[1], f"{sw}.signatureAlgorithm")
        sig = _bits(buf, si[2], f"{sw}.signData")
        body = _whole(buf, kids[0]) + _whole(buf, si[0]) + _whole(buf, si[1])
        signed = b"\x30" + d.encode_length(len(body)) + body
        version = 1
    else:
        raise SESFormatError(f"has {len(kids)} fields; V4 has 4 and V1 has 2", w)
    return Seal(
        version=version,
        maker_cert=cert,
        algorithm=alg,
        signature=sig,
        signed_bytes=signed,
        der=_whole(buf, tlv),
        **info,  # type: ignore[arg-type]
    )


def _top(buf: bytes, what: str) -> d.TLV:
    try:
        top = d.read_tlv(buf, 0, len(buf), what, 0, _MAX_DEPTH)
    except d.DERError as exc:
        raise SESFormatError(str(exc).split(": ", 1)[-1], what) from None
    if top.next != len(buf):
        raise SESFormatError(f"{len(buf) - top.next} bytes follow the structure", what)
    return top


def parse_seal(der: bytes) -> Seal:
    """Decode a ``SESeal`` (V4 or V1); raise :class:`SESFormatError` naming the field."""
    try:
        return _seal(der, _top(der, "SESeal"), 0)
    except d.DERError as exc:
        raise SESFormatError(str(exc).split(": ", 1)[-1], exc.where or "SESeal") from None


def parse_seal_signature(der: bytes) -> SealSignature:
    """Decode a ``SES_Signature`` (V4 or V1); raise :class:`SESFormatError` naming the field."""
    try:
        return _signature(der)
    except d.DERError as exc:
        raise SESFormatError(str(exc).split(": ", 1)[-1], exc.where or "SES_Signature") from None
    except RecursionError:
        raise SESFormatError("nested too deeply", "SES_Signature") from None


def _signature(buf: bytes) -> SealSignature:
    w = "SES_Signature"
    top = _top(buf, w)
    kids = _kids(buf, top, w, 0)
    if not kids:
        raise SESFormatError("is empty", w)
    tw = "TBS_Sign"
    tbs = _kids(buf, kids[0], tw, 1)
    if len(tbs) < 5:
        raise SESFormatError(f"has {len(tbs)} fields, expected at least 5", tw)
    tbs_version = _int(buf, tbs[0], f"{tw}.version")
    seal = _seal(buf, tbs[1], 2)
    data_hash = _bits(buf, tbs[3], f"{tw}.dataHash")
    prop = _string(buf, tbs[4], (_IA5, _UTF8, _PRINTABLE), f"{tw}.propertyInfo")
    timestamp = None
    notes: list[str] = []
    if len(kids) >= 4:  # V4: certificate and algorithm outside TBS_Sign
        if tbs[2].tag != _GENERALIZED:
            raise SESFormatError("expected a GeneralizedTime (V4)", f"{tw}.timeInfo")
        time_text = bytes(buf[tbs[2].start : tbs[2].end]).decode("ascii", "replace")
        time_info: _dt.datetime | None = _time(buf, tbs[2], f"{tw}.timeInfo")
        for extra in tbs[5:]:
            if extra.tag not in (0xA0, 0x30):
                raise SESFormatError(f"unexpected field tag 0x{extra.tag:02x}", tw)
        cert = _octets(buf, kids[1], f"{w}.cert")
        alg = _oid(buf, kids[2], f"{w}.signatureAlgID")
        sig = _bits(buf, kids[3], f"{w}.signature")
        for extra in kids[4:]:
            if extra.tag == 0x80:  # [0] IMPLICIT BIT STRING
                raw = bytes(buf[extra.start : extra.end])
                timestamp = raw[1:] if raw[:1] == b"\x00" else raw
            elif extra.tag == 0xA0:  # [0] EXPLICIT
                inner = d.children(buf, extra, f"{w}.timeStamp", 1, _MAX_DEPTH)
                if len(inner) != 1:
                    raise SESFormatError("expected one BIT STRING", f"{w}.timeStamp")
                timestamp = _bits(buf, inner[0], f"{w}.timeStamp")
            else:
                raise SESFormatError(f"unexpected field tag 0x{extra.tag:02x}", w)
        version = 4
    elif len(kids) == 2:  # V1: certificate and algorithm inside TBS_Sign
        if len(tbs) != 7:
            raise SESFormatError(f"has {len(tbs)} fields; V1 has 7", tw)
        raw_time = _bits(buf, tbs[2], f"{tw}.timeInfo")
        time_text = raw_time.decode("ascii", "replace")
        time_info = parse_local_time(time_text)
        if time_info is None:
            notes.append(f"timeInfo {time_text!r} is not a time this reader knows")
        cert = _octets(buf, tbs[5], f"{tw}.cert")
        alg = _oid(buf, tbs[6], f"{tw}.signatureAlgorithm")
        sig = _bits(buf, kids[1], f"{w}.signature")
        version = 1
    else:
        raise SESFormatError(f"has {len(kids)} fields; V4 has 4 or 5 and V1 has 2", w)
    return SealSignature(
        version=version,
        tbs_version=tbs_version,
        seal=seal,
        time_info=time_info,
        time_text=time_text,
        data_hash=data_hash,
        property_info=prop,
        signer_cert=cert,
        algorithm=alg,
        signature=sig,
        tbs=_whole(buf, kids[0]),
        timestamp=timestamp,
        notes=notes,
    )
