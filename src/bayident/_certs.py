"""Parsed certificates, cached by their DER bytes, and their summaries."""

from __future__ import annotations

import datetime as _dt
import hashlib
import threading
from collections import OrderedDict
from functools import cached_property
from typing import Any

from cryptography import x509

from . import _der as d
from ._algorithms import AlgorithmError, load_public_key
from ._result import CertificateInfo, _fast

__all__ = ["CertRecord", "CertificateCache", "name_str"]

_KU_FIELDS = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
)


def name_str(name: x509.Name) -> str:
    try:
        return name.rfc4514_string()
    except ValueError:
        return "<unprintable name>"


def _spki_fast(der: bytes) -> bytes | None:
    """SubjectPublicKeyInfo read straight from a DER certificate; None to use the full parser."""
    try:
        cert = d.read_der(der, 0, len(der), "certificate")
        tbs = d.read_der(der, cert.start, cert.end, "tbsCertificate")
        pos, end = tbs.start, tbs.end
        if pos < end and der[pos] == d.CTX0:  # [0] version
            pos = d.read_der(der, pos, end, "version").next
        for _ in range(5):  # serialNumber, signature, issuer, validity, subject
            pos = d.read_der(der, pos, end, "tbsCertificate").next
        if pos >= end or der[pos] != d.SEQUENCE:
            return None
        return der[pos : d.read_der(der, pos, end, "subjectPublicKeyInfo").next]
    except d.DERError:
        return None


class CertRecord:
    """One certificate: the cryptography object plus values derived once."""

    __slots__ = ("__dict__", "cert", "der", "fingerprint", "issuer_der", "subject_der")

    def __init__(self, der: bytes, cert: x509.Certificate) -> None:
        self.der = der
        self.cert = cert
        self.fingerprint = hashlib.sha256(der).hexdigest()
        self.subject_der = cert.subject.public_bytes()
        self.issuer_der = cert.issuer.public_bytes()

    @cached_property
    def spki_der(self) -> bytes:
        """SubjectPublicKeyInfo DER, read from the TBS so unknown key types still work."""
        fast = _spki_fast(self.der)
        if fast is not None:
            return fast
        tbs = self.cert.tbs_certificate_bytes
        top = d.read_tlv(tbs, 0, len(tbs), "tbsCertificate")
        fields = d.children(tbs, top, "tbsCertificate")
        i = 1 if fields and fields[0].tag == d.CTX0 else 0
        spki = fields[i + 5]
        return bytes(tbs[spki.header_start : spki.next])

    @cached_property
    def public_key(self) -> Any:
        """The public key, or raises AlgorithmError when no backend can load it."""
        return load_public_key(self.spki_der)

    @cached_property
    def key_description(self) -> str:
        from ._algorithms import describe_key

        try:
            return describe_key(self.public_key)
        except AlgorithmError as exc:
            return exc.reason

    @cached_property
    def ski(self) -> bytes | None:
        try:
            return self.cert.extensions.get_extension_for_class(
                x509.SubjectKeyIdentifier
            ).value.digest
        except (x509.ExtensionNotFound, ValueError):
            return None

    @cached_property
    def aki(self) -> bytes | None:
        try:
            return self.cert.extensions.get_extension_for_class(
                x509.AuthorityKeyIdentifier
            ).value.key_identifier
        except (x509.ExtensionNotFound, ValueError):
            return None

    @cached_property
    def serial(self) -> int:
        return self.cert.serial_number

    @cached_property
    def subject_key(self) -> str:
        """Subject comparison key per RFC 5280 §7.1, for path building."""
        from ._names import name_key

        return name_key(self.subject_der)

    @cached_property
    def issuer_key(self) -> str:
        """Issuer comparison key per RFC 5280 §7.1, for path building."""
        from ._names import name_key

        return name_key(self.issuer_der)

    @property
    def name_keys(self) -> tuple[str, str]:
        """(subject, issuer) comparison keys; each is prepared only when first needed."""
        return self.subject_key, self.issuer_key

    @cached_property
    def self_issued(self) -> bool:
        return self.subject_der == self.issuer_der

    @cached_property
    def key_usage(self) -> tuple[str, ...] | None:
        """Asserted key usages, or ``None`` when the extension is absent."""
        try:
            ku = self.cert.extensions.get_extension_for_class(x509.KeyUsage).value
        except x509.ExtensionNotFound:
            return None
        out = [f for f in _KU_FIELDS if getattr(ku, f)]
        if ku.key_agreement:
            out += [f for f in ("encipher_only", "decipher_only") if getattr(ku, f)]
        return tuple(out)

    @cached_property
    def policies(self) -> tuple[str, ...]:
        try:
            ext = self.cert.extensions.get_extension_for_class(x509.CertificatePolicies)
        except x509.ExtensionNotFound:
            return ()
        return tuple(p.policy_identifier.dotted_string for p in ext.value)

    @cached_property
    def not_before(self) -> _dt.datetime:
        return self.cert.not_valid_before_utc

    @cached_property
    def not_after(self) -> _dt.datetime:
        return self.cert.not_valid_after_utc

    @cached_property
    def subject(self) -> str:
        return name_str(self.cert.subject)

    @cached_property
    def issuer(self) -> str:
        return name_str(self.cert.issuer)

    @cached_property
    def info(self) -> CertificateInfo:
        # Built without validation: every value comes from the parsed certificate.
        return _fast(
            CertificateInfo,
            {
                "subject": self.subject,
                "issuer": self.issuer,
                "serial_number": format(self.cert.serial_number, "x"),
                "fingerprint_sha256": self.fingerprint,
                "not_before": self.not_before,
                "not_after": self.not_after,
                "public_key": self.key_description,
                "policies": self.policies,
                "key_usage": self.key_usage or (),
            },
        )

    def digest(self, name: str) -> bytes:
        """Digest of the DER with a policy digest name ('sha256', 'sha1', ...), remembered."""
        cache = self.__dict__.setdefault("_digests", {})
        value: bytes | None = cache.get(name)
        if value is None:
            value = hashlib.new(name.replace("-", "_"), self.der).digest()
            cache[name] = value
        return value

    @cached_property
    def label(self) -> str:
        return f"certificate '{self.subject}' (serial 0x{self.cert.serial_number:x})"

    def describe(self) -> str:
        return self.label

    @cached_property
    def asn1(self) -> Any:
        from asn1crypto import x509 as ax509

        return ax509.Certificate.load(self.der)


class CertificateCache:
    """Parsed certificates keyed by DER; bounded, thread-safe."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._items: OrderedDict[bytes, CertRecord] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, der: bytes) -> CertRecord:
        """The record for ``der``; raises ValueError when it is not a certificate."""
        rec = self._items.get(der)
        if rec is not None:
            return rec
        try:
            cert = x509.load_der_x509_certificate(der)
            # Touch what every path needs so a malformed certificate fails here, once,
            # rather than later in the middle of a check.
            cert.subject.public_bytes()
            cert.issuer.public_bytes()
            cert.extensions  # noqa: B018
            rec = CertRecord(der, cert)
        except ValueError:
            raise
        except Exception as exc:  # cryptography's InvalidVersion, DuplicateExtension, ...
            raise ValueError(f"{type(exc).__name__}: {exc}") from None
        with self._lock:
            self._items[der] = rec
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return rec
