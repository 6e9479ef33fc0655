"""Certificates the strict X.509 parser refuses, read leniently with asn1crypto.

Real signatures carry certificates that pyca/cryptography's strict parser refuses:
illegal characters in a UserNotice explicitText, a DEFAULT value (cA FALSE) encoded
explicitly, a BER length. Dropping them drops the signer with them, although its
signature can be checked perfectly well. asn1crypto reads such certificates; this
module builds a :class:`CertRecord` from what it reads, remembering why the strict
parse failed so the verifier can report it and the policy decide what it costs
(``Policy.accept_lenient_certificates``).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from typing import Any

from cryptography import x509

from ._certs import _KU_FIELDS, CertRecord
from ._result import CertificateInfo, _build

__all__ = ["LenientCertRecord", "lenient_record"]


class LenientCertRecord(CertRecord):
    """A certificate read by asn1crypto after the strict parser refused it.

    ``cert`` is a cryptography object for the DER re-encoding when the strict parser
    accepts that (usable for the signature key, but not for checking the issuer's
    signature, which covers the original bytes), otherwise ``None``.
    """

    def __init__(self, der: bytes, parsed: Any, problem: str) -> None:
        self.der = der
        self.problem = problem
        self.parsed = parsed
        self.fingerprint = hashlib.sha256(der).hexdigest()
        tbs = parsed["tbs_certificate"]
        self.subject_der = tbs["subject"].dump()
        self.issuer_der = tbs["issuer"].dump()
        self.cert = None  # type: ignore[assignment]
        self.repaired: CertRecord | None = None

    def _read(self) -> None:
        """Derive every value the verifier reads now, so a broken field fails here."""
        parsed = self.parsed
        values = self.__dict__  # the base class's cached properties read from here first
        values["spki_der"] = parsed["tbs_certificate"]["subject_public_key_info"].dump()
        ski = parsed.key_identifier
        values["ski"] = bytes(ski) if ski is not None else None
        aki = parsed.authority_key_identifier
        values["aki"] = bytes(aki) if aki is not None else None
        values["serial"] = int(parsed.serial_number)
        ku = parsed.key_usage_value
        if ku is None:
            values["key_usage"] = None
        else:
            asserted = set(ku.native)
            values["key_usage"] = tuple(
                f
                for f in _KU_FIELDS
                if ("non_repudiation" if f == "content_commitment" else f) in asserted
            )
        cp = parsed.certificate_policies_value
        values["policies"] = () if cp is None else tuple(p["policy_identifier"].dotted for p in cp)
        values["not_before"] = parsed.not_valid_before.astimezone(_dt.UTC)
        values["not_after"] = parsed.not_valid_after.astimezone(_dt.UTC)
        values["subject"] = _name(parsed.subject)
        values["issuer"] = _name(parsed.issuer)
        values["label"] = f"certificate '{values['subject']}' (serial 0x{values['serial']:x})"

    @property
    def info(self) -> CertificateInfo:
        return _build(
            CertificateInfo,
            {
                "subject": self.subject,
                "issuer": self.issuer,
                "serial_number": format(self.serial, "x"),
                "fingerprint_sha256": self.fingerprint,
                "not_before": self.not_before,
                "not_after": self.not_after,
                "public_key": self.key_description,
                "policies": self.policies,
                "key_usage": self.key_usage or (),
            },
        )


def _name(name: Any) -> str:
    try:
        text: str = name.human_friendly
    except Exception:  # asn1crypto raises various errors on odd string types
        return "<unprintable name>"
    return text


def lenient_record(der: bytes, problem: str) -> LenientCertRecord | None:
    """A record for ``der`` read by asn1crypto, or ``None`` when it is no certificate at all."""
    from asn1crypto import x509 as ax509

    try:
        parsed = ax509.Certificate.load(der)
        rec = LenientCertRecord(der, parsed, problem)
        rec._read()
    except Exception:  # asn1crypto signals bad encodings with many exception types
        return None
    try:
        # The DER re-encoding, when the strict parser reads it: what path validation uses
        # if the policy accepts lenient certificates. The issuer signed the original bytes,
        # so its signature verifies only when the re-encoding changed nothing it covers.
        fixed = parsed.dump(force=True)
        repaired_cert = x509.load_der_x509_certificate(fixed)
        repaired_cert.subject.public_bytes()
        repaired_cert.issuer.public_bytes()
        repaired_cert.extensions  # noqa: B018
        rec.repaired = CertRecord(fixed, repaired_cert)
    except Exception:  # the strict parser refuses the re-encoding too
        rec.repaired = None
    return rec
