"""Decoding the CMS attributes bayident checks: times and ESS signing-certificate."""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

from . import _der as d

__all__ = ["ESSCertId", "decode_ess_signing_certificate", "decode_time"]

OID_CONTENT_TYPE = "1.2.840.113549.1.9.3"
OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
OID_SIGNING_TIME = "1.2.840.113549.1.9.5"
OID_SIGNING_CERT_V1 = "1.2.840.113549.1.9.16.2.12"
OID_SIGNING_CERT_V2 = "1.2.840.113549.1.9.16.2.47"
OID_TIMESTAMP_TOKEN = "1.2.840.113549.1.9.16.2.14"  # noqa: S105 (an OID, not a secret)

ATTRIBUTE_NAMES = {
    OID_CONTENT_TYPE: "content-type",
    OID_MESSAGE_DIGEST: "message-digest",
    OID_SIGNING_TIME: "signing-time",
    OID_SIGNING_CERT_V1: "signing-certificate",
    OID_SIGNING_CERT_V2: "signing-certificate-v2",
    "1.2.840.113549.1.9.52": "cms-algorithm-protection",
    "1.2.840.113549.1.9.15": "smime-capabilities",
    "1.2.840.113549.1.9.16.2.11": "encryption-key-preference",
    "1.2.840.113549.1.9.16.2.15": "signature-policy-identifier",
    "1.2.840.113549.1.9.16.2.16": "commitment-type-indication",
    OID_TIMESTAMP_TOKEN: "signature-time-stamp-token",
}

# Attributes that RFC 5652 §11 and RFC 5035 allow only once, with a single value.
SINGLE_INSTANCE = {
    OID_CONTENT_TYPE,
    OID_MESSAGE_DIGEST,
    OID_SIGNING_TIME,
    OID_SIGNING_CERT_V1,
    OID_SIGNING_CERT_V2,
}


def attribute_label(oid: str) -> str:
    label = _LABELS.get(oid)
    if label is not None:
        return label
    return f"signed attribute {oid}"


# The labels of the named attributes, made once: every signature's checks name them.
_LABELS = {oid: f"signed attribute {name} ({oid})" for oid, name in ATTRIBUTE_NAMES.items()}


_UTC_RE = re.compile(rb"^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$")
_GEN_RE = re.compile(rb"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,6}))?Z$")


def decode_time(value_der: bytes, where: str) -> _dt.datetime:
    """A UTCTime or GeneralizedTime (DER forms, UTC) as an aware datetime."""
    # Fast path for the usual DER UTCTime YYMMDDHHMMSSZ (15 bytes with its header).
    if len(value_der) == 15 and value_der[:2] == b"\x17\x0d" and value_der[14] == 0x5A:
        digits = value_der[2:14]
        if digits.isdigit():
            # One int of twelve digits, split by divmod: cheaper than six slices and ints.
            n, second = divmod(int(digits), 100)
            n, minute = divmod(n, 100)
            n, hour = divmod(n, 100)
            yy, n = divmod(n, 10000)
            month, day = divmod(n, 100)
            try:
                return _dt.datetime(
                    1900 + yy if yy >= 50 else 2000 + yy,
                    month,
                    day,
                    hour,
                    minute,
                    second,
                    tzinfo=_dt.UTC,
                )
            except ValueError:
                pass  # the general path below reports it
    tlv = d.read_tlv(value_der, 0, len(value_der), where)
    raw = value_der[tlv.start : tlv.end]
    try:
        if tlv.tag == d.UTC_TIME:
            m = _UTC_RE.match(raw)
            if m is None:
                raise d.DERError("UTCTime is not YYMMDDHHMMSSZ", where)
            yy = int(m.group(1))
            year = 1900 + yy if yy >= 50 else 2000 + yy  # RFC 5280 §4.1.2.5.1
            mo, dd, hh, mi, ss = (int(g) for g in m.groups()[1:])
            return _dt.datetime(year, mo, dd, hh, mi, ss, tzinfo=_dt.UTC)
        if tlv.tag == d.GENERALIZED_TIME:
            g = _GEN_RE.match(raw)
            if g is None:
                raise d.DERError("GeneralizedTime is not YYYYMMDDHHMMSS[.f]Z", where)
            frac = g.group(7)
            micro = int(frac.decode().ljust(6, "0")) if frac else 0
            y, mo, dd, hh, mi, ss = (int(x) for x in g.groups()[:6])
            return _dt.datetime(y, mo, dd, hh, mi, ss, micro, tzinfo=_dt.UTC)
    except ValueError as exc:
        if isinstance(exc, d.DERError):
            raise
        raise d.DERError(f"not a real date/time: {exc}", where) from None
    raise d.DERError(f"expected UTCTime or GeneralizedTime, found tag 0x{tlv.tag:02x}", where)


@dataclass(frozen=True, slots=True)
class ESSCertId:
    hash_oid: str
    cert_hash: bytes
    serial: int | None
    issuer_name_der: bytes | None


_SHA256 = "2.16.840.1.101.3.4.2.1"
_SHA1 = "1.3.14.3.2.26"


def decode_ess_signing_certificate(value_der: bytes, v2: bool, where: str) -> list[ESSCertId]:
    """The ESSCertID(v2) list of a signing-certificate(-v2) attribute value."""
    top = d.read_tlv(value_der, 0, len(value_der), where)
    if top.tag != d.SEQUENCE or top.next != len(value_der):
        raise d.DERError("must be one SEQUENCE", where)
    parts = d.children(value_der, top, where)
    if not parts or parts[0].tag != d.SEQUENCE:
        raise d.DERError("certs SEQUENCE missing", where)
    out: list[ESSCertId] = []
    for i, cid in enumerate(d.children(value_der, parts[0], where)):
        w = f"{where}.certs[{i}]"
        if cid.tag != d.SEQUENCE:
            raise d.DERError("ESSCertID is not a SEQUENCE", w)
        f = d.children(value_der, cid, w)
        j = 0
        hash_oid = _SHA1
        if v2:
            hash_oid = _SHA256
            if f and f[0].tag == d.SEQUENCE:
                alg = d.children(value_der, f[0], w)
                hash_oid = d.decode_oid(value_der, alg[0], w)
                j = 1
        if j >= len(f) or f[j].tag != d.OCTET_STRING:
            raise d.DERError("certHash missing", w)
        cert_hash = bytes(value_der[f[j].start : f[j].end])
        serial = issuer = None
        if j + 1 < len(f):
            iss = d.children(value_der, f[j + 1], w)
            if len(iss) != 2:
                raise d.DERError("IssuerSerial must hold issuer and serialNumber", w)
            serial = d.decode_integer(value_der, iss[1], w)
            for gn in d.children(value_der, iss[0], w):
                if gn.tag == 0xA4:  # directoryName [4] EXPLICIT Name
                    inner = d.children(value_der, gn, w)
                    if inner:
                        issuer = bytes(value_der[inner[0].header_start : inner[0].next])
        out.append(ESSCertId(hash_oid, cert_hash, serial, issuer))
    if not out:
        raise d.DERError("lists no certificate", where)
    return out
