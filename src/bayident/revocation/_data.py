"""Revocation data as it arrives: embedded in CMS, passed by the caller, or fetched.

This module only reads and describes OCSP responses (RFC 6960) and CRLs
(RFC 5280) for reports; deciding whether they are authentic and fresh is
:mod:`._ocsp`'s and :mod:`._crl`'s.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .. import _der as d

__all__ = [
    "MAX_EMBEDDED_ITEMS",
    "NO_SUPPLIED",
    "OID_ID_RI_OCSP_RESPONSE",
    "OID_REVOCATION_VALUES",
    "Origin",
    "Supplied",
    "caller_supplied",
    "crl_summary",
    "load_crl",
    "load_ocsp",
    "ocsp_summary",
    "revocation_values",
    "split_revocation_choices",
    "wrap_basic_ocsp",
]

OID_ID_RI_OCSP_RESPONSE = "1.3.6.1.5.5.7.16.2"  # RFC 5940 §4.1, RevocationInfoChoice other
OID_ID_RI_SCVP = "1.3.6.1.5.5.7.16.4"
OID_REVOCATION_VALUES = "1.2.840.113549.1.9.16.2.24"  # CAdES id-aa-ets-revocationValues
OID_OCSP_BASIC = "1.3.6.1.5.5.7.48.1.1"

Origin = Literal["embedded", "caller"]

# A signature with a long chain carries a CRL or response per certificate; far more is hostile.
MAX_EMBEDDED_ITEMS = 64


@dataclass(frozen=True)
class Supplied:
    """Revocation data supplied with the evidence or by the caller, in DER."""

    crls: tuple[bytes, ...] = ()
    crl_origins: tuple[Origin, ...] = ()
    ocsps: tuple[bytes, ...] = ()
    ocsp_origins: tuple[Origin, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def __bool__(self) -> bool:
        return bool(self.crls or self.ocsps)


NO_SUPPLIED = Supplied()


def split_revocation_choices(items: Sequence[bytes]) -> tuple[list[bytes], list[bytes], list[str]]:
    """CRLs, OCSP responses and notes from a SignedData ``crls`` field (RFC 5652 §10.2.1).

    ``RevocationInfoChoice`` is a CertificateList, or ``[1] IMPLICIT
    OtherRevocationInfoFormat``; RFC 5940 defines id-ri-ocsp-response, whose value is
    an OCSPResponse. Other formats are noted and left aside.
    """
    crls: list[bytes] = []
    ocsps: list[bytes] = []
    notes: list[str] = []
    for i, item in enumerate(items):
        where = f"SignedData.crls[{i}]"
        if not item:
            continue
        if item[0] == d.SEQUENCE:
            crls.append(item)
            continue
        if item[0] != d.CTX1:
            # Left for CRL loading, which reports it as malformed with its position.
            crls.append(item)
            continue
        try:
            top = d.read_tlv(item, 0, len(item), where)
            parts = d.children(item, top, where)
            if len(parts) != 2:
                raise d.DERError("must be { otherRevInfoFormat OID, otherRevInfo }", where)
            oid = d.decode_oid(item, parts[0], where)
        except d.DERError:
            # Left for CRL loading too, which reports it as malformed: revocation data that
            # cannot be read must not be passed over.
            crls.append(item)
            continue
        if oid == OID_ID_RI_OCSP_RESPONSE:
            ocsps.append(bytes(item[parts[1].header_start : parts[1].next]))
        elif oid == OID_ID_RI_SCVP:
            notes.append(f"{where} is an SCVP response (not used)")
        else:
            notes.append(f"{where} has unknown revocation format {oid} (not used)")
    return crls, ocsps, notes


def wrap_basic_ocsp(basic_der: bytes) -> bytes:
    """An OCSPResponse (status successful) around a BasicOCSPResponse."""
    tlv = d.encode_tlv
    response_bytes = tlv(d.SEQUENCE, d.encode_oid(OID_OCSP_BASIC) + tlv(d.OCTET_STRING, basic_der))
    return tlv(d.SEQUENCE, b"\x0a\x01\x00" + tlv(d.CTX0, response_bytes))


def revocation_values(value: bytes, where: str) -> tuple[list[bytes], list[bytes]]:
    """CRLs and OCSP responses of a CAdES revocation-values attribute value (ETSI TS 101 733).

    ``RevocationValues ::= SEQUENCE { crlVals [0] SEQUENCE OF CertificateList OPTIONAL,
    ocspVals [1] SEQUENCE OF BasicOCSPResponse OPTIONAL, otherRevVals [2] ... OPTIONAL }``,
    explicitly tagged. Basic responses are wrapped as OCSPResponses. Raises DERError.
    """
    top = d.read_tlv(value, 0, len(value), where)
    if top.tag != d.SEQUENCE or top.next != len(value):
        raise d.DERError("must be one SEQUENCE", where)
    crls: list[bytes] = []
    ocsps: list[bytes] = []
    for part in d.children(value, top, where):
        if part.tag not in (d.CTX0, d.CTX1, 0xA2):
            raise d.DERError(f"unexpected field with tag 0x{part.tag:02x}", where)
        if part.tag == 0xA2:
            continue
        inner = d.children(value, part, where)
        if len(inner) != 1 or inner[0].tag != d.SEQUENCE:
            raise d.DERError("crlVals / ocspVals must hold one SEQUENCE OF", where)
        for item in d.children(value, inner[0], where):
            der = bytes(value[item.header_start : item.next])
            if part.tag == d.CTX0:
                crls.append(der)
            else:
                ocsps.append(wrap_basic_ocsp(der))
    return crls, ocsps


def load_crl(der: bytes) -> Any:
    """A parsed asn1crypto CertificateList, with the fields revocation checking reads.

    Raises ValueError (or TypeError/KeyError from asn1crypto) when malformed.
    """
    from asn1crypto import crl as acrl
    from asn1crypto import pem

    if pem.detect(der):
        _, _, der = pem.unarmor(der)
    parsed = acrl.CertificateList.load(bytes(der), strict=True)
    tbs = parsed["tbs_cert_list"]
    # Reading a field parses it: what revocation checking will read, read now.
    _ = (
        tbs["issuer"].hashable,
        tbs["this_update"].native,
        tbs["next_update"].native,
        tbs["crl_extensions"].native,
        parsed["signature_algorithm"]["algorithm"].dotted,
        parsed["signature"].native,
    )
    return parsed


def load_ocsp(der: bytes) -> Any:
    """A parsed asn1crypto OCSPResponse whose status is successful, with its fields read.

    Raises ValueError naming what is wrong.
    """
    from asn1crypto import ocsp

    try:
        parsed = ocsp.OCSPResponse.load(bytes(der), strict=True)
        status = parsed["response_status"].native
    except (ValueError, TypeError, KeyError) as exc:
        raise ValueError(f"not an OCSPResponse: {_clean(exc)}") from None
    if status != "successful":
        raise ValueError(f"responseStatus is {status}, not successful")
    try:
        rb = parsed["response_bytes"]
        if rb["response_type"].native != "basic_ocsp_response":
            raise ValueError(
                f"response type {rb['response_type'].dotted} is not id-pkix-ocsp-basic"
            )
        basic = rb["response"].parsed
        tbs = basic["tbs_response_data"]
        _ = (
            tbs["responder_id"].native,
            tbs["produced_at"].native,
            basic["signature_algorithm"]["algorithm"].dotted,
            basic["signature"].native,
            tbs["response_extensions"].native,
        )
        responses = tbs["responses"]
        if len(responses) == 0:
            raise ValueError("it holds no SingleResponse")
        for single in responses:
            _ = (
                single["cert_id"].native,
                single["cert_status"].name,
                single["cert_status"].native,
                single["this_update"].native,
                single["next_update"].native,
                single["single_extensions"].native,
            )
        for cert in basic["certs"] or ():
            _ = cert["tbs_certificate"]["subject"].native
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ValueError(f"malformed BasicOCSPResponse: {_clean(exc)}") from None
    return parsed


def _clean(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def single_responses(parsed_ocsp: Any) -> Iterable[Any]:
    basic = parsed_ocsp["response_bytes"]["response"].parsed
    responses: Iterable[Any] = basic["tbs_response_data"]["responses"]
    return responses


def produced_at(parsed_ocsp: Any) -> _dt.datetime | None:
    basic = parsed_ocsp["response_bytes"]["response"].parsed
    value: _dt.datetime | None = basic["tbs_response_data"]["produced_at"].native
    return value


def matching_single(parsed_ocsp: Any, cert: Any, issuer_public_key: Any) -> Any | None:
    """The SingleResponse of ``parsed_ocsp`` about ``cert`` (asn1crypto objects), or None."""
    for single in single_responses(parsed_ocsp):
        cid = single["cert_id"]
        if cid["serial_number"].native != cert.serial_number:
            continue
        algo = cid["hash_algorithm"]["algorithm"].native
        try:
            key_hash = getattr(issuer_public_key, algo)
            name_hash = getattr(cert.issuer, algo)
        except AttributeError:
            continue
        if (
            cid["issuer_key_hash"].native == key_hash
            and cid["issuer_name_hash"].native == name_hash
        ):
            return single
    return None


@dataclass(frozen=True)
class Summary:
    """What a piece of revocation data says about one certificate."""

    status: Literal["good", "revoked", "unknown"]
    revoked_at: _dt.datetime | None
    reason: str | None
    produced_at: _dt.datetime | None
    this_update: _dt.datetime | None
    next_update: _dt.datetime | None


def ocsp_summary(parsed_ocsp: Any, single: Any) -> Summary:
    status = single["cert_status"].name
    revoked_at = reason = None
    if status == "revoked":
        info = single["cert_status"].chosen
        revoked_at = info["revocation_time"].native
        reason = info["revocation_reason"].native
    return Summary(
        "good" if status == "good" else "revoked" if status == "revoked" else "unknown",
        revoked_at,
        reason,
        produced_at(parsed_ocsp),
        single["this_update"].native,
        single["next_update"].native,
    )


def crl_summary(parsed_crl: Any, serial: int) -> Summary:
    """What a CRL says about the certificate with ``serial`` (issuer matching is the caller's)."""
    tbs = parsed_crl["tbs_cert_list"]
    revoked_at = reason = None
    status: Literal["good", "revoked", "unknown"] = "good"
    for entry in tbs["revoked_certificates"]:
        if entry["user_certificate"].native == serial:
            status = "revoked"
            revoked_at = entry["revocation_date"].native
            reason = entry.crl_reason_value.native if entry.crl_reason_value else None
            break
    this_update = tbs["this_update"].native
    return Summary(status, revoked_at, reason, this_update, this_update, tbs["next_update"].native)


def is_delta(parsed_crl: Any) -> bool:
    return parsed_crl.delta_crl_indicator_value is not None


def caller_supplied(crls: tuple[bytes, ...], ocsps: tuple[bytes, ...]) -> Supplied:
    """Revocation data given by the caller (DER CRLs and OCSP responses)."""
    caller: tuple[Origin, ...] = ("caller",)
    return Supplied(
        crls=crls,
        crl_origins=caller * len(crls),
        ocsps=ocsps,
        ocsp_origins=caller * len(ocsps),
    )
