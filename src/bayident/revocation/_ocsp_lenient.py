"""OCSP responses cryptography refuses for a DER detail, read with asn1crypto instead.

cryptography's OCSP parser rejects some encodings that BER allows and that
responders in the field (and test responders) produce, such as GeneralizedTime
with fractional seconds. Such a response is not hostile: its signature still
covers the exact bytes, and everything else is checked as for any response. This
adapter exposes the fields the evaluation reads, with cryptography's names.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509 import ocsp

__all__ = ["lenient_response"]

_STATUS = {
    "good": ocsp.OCSPCertStatus.GOOD,
    "revoked": ocsp.OCSPCertStatus.REVOKED,
    "unknown": ocsp.OCSPCertStatus.UNKNOWN,
}
_HASHES: dict[str, hashes.HashAlgorithm] = {
    "sha1": hashes.SHA1(),  # noqa: S303 - RFC 6960 CertIDs are mostly SHA-1
    "sha224": hashes.SHA224(),
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}
_REASONS = {flag.name: flag for flag in x509.ReasonFlags}


@dataclass(frozen=True)
class _Extension:
    oid: x509.ObjectIdentifier
    critical: bool


def _utc(value: Any) -> _dt.datetime | None:
    if value is None:
        return None
    when: _dt.datetime = value
    return when.astimezone(_dt.UTC)


def _extensions(items: Any) -> list[_Extension]:
    return [
        _Extension(x509.ObjectIdentifier(e["extn_id"].dotted), bool(e["critical"].native))
        for e in items or ()
    ]


class _Single:
    def __init__(self, single: Any) -> None:
        cid = single["cert_id"]
        self.serial_number: int = cid["serial_number"].native
        name = cid["hash_algorithm"]["algorithm"].native
        algorithm = _HASHES.get(name)
        if algorithm is None:
            raise ValueError(f"unsupported CertID hash algorithm {name}")
        self.hash_algorithm = algorithm
        self.issuer_name_hash: bytes = cid["issuer_name_hash"].native
        self.issuer_key_hash: bytes = cid["issuer_key_hash"].native
        status = single["cert_status"]
        self.certificate_status = _STATUS[status.name]
        self.this_update_utc = _utc(single["this_update"].native)
        self.next_update_utc = _utc(single["next_update"].native)
        self.revocation_time_utc: _dt.datetime | None = None
        self.revocation_reason: x509.ReasonFlags | None = None
        if status.name == "revoked":
            info = status.chosen
            self.revocation_time_utc = _utc(info["revocation_time"].native)
            reason = info["revocation_reason"].native
            self.revocation_reason = _REASONS.get(reason) if reason else None
        self.extensions = _extensions(single["single_extensions"])


class _Response:
    def __init__(self, parsed: Any) -> None:
        basic = parsed["response_bytes"]["response"].parsed
        tbs = basic["tbs_response_data"]
        self.response_status = ocsp.OCSPResponseStatus.SUCCESSFUL
        self.responses = [_Single(s) for s in tbs["responses"]]
        self.produced_at_utc = _utc(tbs["produced_at"].native)
        self.extensions = _extensions(tbs["response_extensions"])
        self.certificates = [x509.load_der_x509_certificate(c.dump()) for c in basic["certs"] or ()]
        responder = tbs["responder_id"]
        self.responder_key_hash: bytes | None = None
        # The responder's Name as DER (cryptography offers no loader for a bare Name).
        self.responder_name_der: bytes | None = None
        if responder.name == "by_key":
            self.responder_key_hash = responder.native
        else:
            self.responder_name_der = responder.chosen.dump()
        self.signature: bytes = basic["signature"].native
        self.tbs_response_bytes: bytes = tbs.dump()
        self.signature_algorithm_oid = x509.ObjectIdentifier(
            basic["signature_algorithm"]["algorithm"].dotted
        )

    @property
    def single_extensions(self) -> list[_Extension]:
        if len(self.responses) != 1:
            raise ValueError("more than one SingleResponse")
        return self.responses[0].extensions


def lenient_response(der: bytes) -> Any:
    """The response read with asn1crypto (successful ones only), or raises ValueError."""
    from ._data import load_ocsp

    try:
        return _Response(load_ocsp(der))
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(" ".join(str(exc).split()) or type(exc).__name__) from None
