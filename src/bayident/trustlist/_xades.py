"""Who signed a trusted list: the XAdES signed properties against the ``KeyInfo`` certificate.

In published lists ``ds:KeyInfo`` is not covered by any signature reference:
anyone can replace the certificate there with one carrying the same public
key and other names or dates, and the signature still verifies. What binds a
certificate to the signature is the XAdES ``SigningCertificate`` (or
``SigningCertificateV2``) property inside the *signed* ``SignedProperties``
(ETSI EN 319 132-1 §5.2.2): the certificate's digest and issuer-serial.

So the ``KeyInfo`` certificate is reported as the signer only when a signed
property names it; a digest, issuer or serial that names another certificate
makes the list ``invalid``; without a signed binding the signer is known by its
key only, and no unsigned certificate field is shown as its identity.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from ._model import SignatureStatus

__all__ = ["BindingError", "SignerBinding", "check_signer_binding", "load_certificate"]

_S = SignatureStatus
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
#: XAdES 1.3.2 (EN 319 132) and the older 1.1.1 namespace some archived lists use.
_XADES_NAMESPACES = ("http://uri.etsi.org/01903/v1.3.2#", "http://uri.etsi.org/01903/v1.1.1#")

#: XML Signature digest method URIs (RFC 6931) and the hashlib names they stand for.
_DIGESTS = {
    "http://www.w3.org/2000/09/xmldsig#sha1": "sha1",
    "http://www.w3.org/2001/04/xmldsig-more#sha224": "sha224",
    "http://www.w3.org/2001/04/xmlenc#sha256": "sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
    "http://www.w3.org/2007/05/xmldsig-more#sha3-224": "sha3_224",
    "http://www.w3.org/2007/05/xmldsig-more#sha3-256": "sha3_256",
    "http://www.w3.org/2007/05/xmldsig-more#sha3-384": "sha3_384",
    "http://www.w3.org/2007/05/xmldsig-more#sha3-512": "sha3_512",
}

_SP = "ds:Signature/ds:Object/xades:QualifyingProperties/xades:SignedProperties"
_SSP = f"{_SP}/xades:SignedSignatureProperties"


class BindingError(Exception):
    """The signed properties contradict the ``KeyInfo`` certificate, or cannot be read."""

    def __init__(self, status: SignatureStatus, reason: str, field: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.field = field


@dataclass(frozen=True)
class SignerBinding:
    """How the signer is known: by a certificate a signed property names, or by its key only."""

    kind: Literal["certificate", "key-only"]
    detail: str


def load_certificate(der: bytes) -> x509.Certificate:
    """A certificate whose fields used for display and checks are all readable.

    cryptography parses lazily and raises ``ValueError`` or ``InvalidVersion``
    (not a ``ValueError``) only when a field is first read; reading them here
    turns every such failure into one ``ValueError`` the callers handle.
    """
    try:
        cert = x509.load_der_x509_certificate(der)
        cert.subject.rfc4514_string()
        cert.issuer.rfc4514_string()
        cert.public_key()
        _ = (cert.serial_number, cert.not_valid_before_utc, cert.not_valid_after_utc)
    except ValueError:
        raise
    except Exception as exc:  # InvalidVersion, UnsupportedAlgorithm, ...
        raise ValueError(f"{type(exc).__name__}: {exc}") from None
    return cert


def _local(el: Any) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _xades_children(el: Any, name: str) -> list[Any]:
    return [c for ns in _XADES_NAMESPACES for c in el.findall(f"{{{ns}}}{name}")]


def _one(el: Any, name: str, where: str) -> Any | None:
    found = _xades_children(el, name)
    if len(found) > 1:
        raise BindingError(_S.INVALID, f"{where} has {len(found)} {name} elements", where)
    return found[0] if found else None


def check_signer_binding(signed: Iterable[Any], cert: x509.Certificate) -> SignerBinding:
    """Check the signed XAdES properties against ``cert``; raises :class:`BindingError`.

    ``signed`` are the elements the verified references yielded (signxml's
    copies, so nothing unsigned is read).
    """
    props = [
        el for el in signed if _local(el) == "SignedProperties" and _ns(el) in _XADES_NAMESPACES
    ]
    if not props:
        return SignerBinding(
            "key-only",
            "no signed XAdES SignedProperties names the KeyInfo certificate; the signer is "
            "known by its public key only",
        )
    if len(props) > 1:
        raise BindingError(
            _S.INVALID, f"{len(props)} SignedProperties are signed; one is expected", _SP
        )
    ssp = _one(props[0], "SignedSignatureProperties", _SP)
    if ssp is None:
        return SignerBinding(
            "key-only",
            "the signed properties hold no SignedSignatureProperties; the signer is known by "
            "its public key only",
        )
    checked: list[str] = []
    v1 = _one(ssp, "SigningCertificate", _SSP)
    v2 = _one(ssp, "SigningCertificateV2", _SSP)
    if v1 is not None:
        checked.append(_check_cert_refs(v1, cert, f"{_SSP}/xades:SigningCertificate", v2=False))
    if v2 is not None:
        checked.append(_check_cert_refs(v2, cert, f"{_SSP}/xades:SigningCertificateV2", v2=True))
    _check_signing_time(_one(ssp, "SigningTime", _SSP), cert)
    if not checked:
        return SignerBinding(
            "key-only",
            "the signed properties hold no SigningCertificate(V2); the signer is known by its "
            "public key only",
        )
    return SignerBinding("certificate", "; ".join(checked))


def _ns(el: Any) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _check_cert_refs(holder: Any, cert: x509.Certificate, where: str, *, v2: bool) -> str:
    refs = _xades_children(holder, "Cert")
    if not refs:
        raise BindingError(_S.INVALID, f"{where} holds no Cert", where)
    der = cert.public_bytes(Encoding.DER)
    digests_seen: list[str] = []
    for i, ref in enumerate(refs):
        cwhere = f"{where}/xades:Cert[{i + 1}]"
        name, value = _cert_digest(ref, cwhere)
        digests_seen.append(name)
        if hashlib.new(name, der).digest() != value:
            continue
        if v2:
            _check_issuer_serial_v2(ref, cert, cwhere)
        else:
            _check_issuer_serial_v1(ref, cert, cwhere)
        return f"{where.rsplit('/', 1)[-1]} names the KeyInfo certificate ({name} digest)"
    raise BindingError(
        _S.INVALID,
        f"the KeyInfo certificate '{cert.subject.rfc4514_string()}' is not the one the signed "
        f"{where.rsplit('/', 1)[-1]} names (no {'/'.join(sorted(set(digests_seen)))} digest of "
        f"its {len(refs)} Cert entr{'y' if len(refs) == 1 else 'ies'} matches): the KeyInfo "
        "certificate was replaced after signing",
        where,
    )


def _cert_digest(ref: Any, where: str) -> tuple[str, bytes]:
    cd = _one(ref, "CertDigest", where)
    if cd is None:
        raise BindingError(_S.MALFORMED, f"{where} has no CertDigest", where)
    method = cd.find(f"{{{DS_NS}}}DigestMethod")
    value = cd.find(f"{{{DS_NS}}}DigestValue")
    if method is None or value is None:
        raise BindingError(
            _S.MALFORMED, f"{where}/xades:CertDigest lacks DigestMethod or DigestValue", where
        )
    uri = method.get("Algorithm") or ""
    name = _DIGESTS.get(uri)
    if name is None:
        raise BindingError(
            _S.UNSUPPORTED, f"{where}: digest method {uri[:80]!r} is not supported", where
        )
    try:
        digest = base64.b64decode("".join((value.text or "").split()), validate=True)
    except (binascii.Error, ValueError):
        raise BindingError(
            _S.MALFORMED, f"{where}/xades:CertDigest/ds:DigestValue is not base64", where
        ) from None
    return name, digest


def _check_serial(text: str | None, cert: x509.Certificate, where: str) -> None:
    raw = (text or "").strip()
    try:
        serial = int(raw)
    except ValueError:
        raise BindingError(
            _S.MALFORMED, f"{where}: X509SerialNumber {raw[:40]!r} is not a number", where
        ) from None
    if serial != cert.serial_number:
        raise BindingError(
            _S.INVALID,
            f"{where}: the signed serial number {serial} is not the KeyInfo certificate's "
            f"({cert.serial_number})",
            where,
        )


def _check_issuer_serial_v1(ref: Any, cert: x509.Certificate, where: str) -> None:
    iss = _one(ref, "IssuerSerial", where)
    if iss is None:
        raise BindingError(_S.MALFORMED, f"{where} has no IssuerSerial", where)
    iwhere = f"{where}/xades:IssuerSerial"
    name_el = iss.find(f"{{{DS_NS}}}X509IssuerName")
    serial_el = iss.find(f"{{{DS_NS}}}X509SerialNumber")
    if name_el is None or serial_el is None:
        raise BindingError(
            _S.MALFORMED, f"{iwhere} lacks X509IssuerName or X509SerialNumber", iwhere
        )
    _check_serial(serial_el.text, cert, iwhere)
    from ._dn import DNSyntaxError, name_matches

    text = (name_el.text or "").strip()
    try:
        same = name_matches(text, cert.issuer)
    except DNSyntaxError as exc:
        raise BindingError(
            _S.MALFORMED, f"{iwhere}: X509IssuerName {text[:80]!r} cannot be read: {exc}", iwhere
        ) from None
    if not same:
        raise BindingError(
            _S.INVALID,
            f"{iwhere}: the signed issuer {text[:120]!r} is not the KeyInfo certificate's "
            f"issuer '{cert.issuer.rfc4514_string()}'",
            iwhere,
        )


def _check_issuer_serial_v2(ref: Any, cert: x509.Certificate, where: str) -> None:
    el = _one(ref, "IssuerSerialV2", where)
    if el is None:
        return  # optional in SigningCertificateV2 (EN 319 132-1 §5.2.2.2)
    iwhere = f"{where}/xades:IssuerSerialV2"
    from asn1crypto import tsp
    from asn1crypto import x509 as a509

    try:
        der = base64.b64decode("".join((el.text or "").split()), validate=True)
        parsed = tsp.IssuerSerial.load(der, strict=True)
        serial = parsed["serial_number"].native
        names = [gn.chosen for gn in parsed["issuer"] if gn.name == "directory_name"]
        ours = a509.Name.load(cert.issuer.public_bytes())
        same_issuer = any(n == ours for n in names)
    except Exception as exc:  # asn1crypto parses lazily and raises many types
        raise BindingError(
            _S.MALFORMED, f"{iwhere} is not a DER IssuerSerial: {type(exc).__name__}", iwhere
        ) from None
    if serial != cert.serial_number:
        raise BindingError(
            _S.INVALID,
            f"{iwhere}: the signed serial number {serial} is not the KeyInfo certificate's "
            f"({cert.serial_number})",
            iwhere,
        )
    if not same_issuer:
        raise BindingError(
            _S.INVALID,
            f"{iwhere}: the signed issuer is not the KeyInfo certificate's issuer "
            f"'{cert.issuer.rfc4514_string()}'",
            iwhere,
        )


def _check_signing_time(el: Any | None, cert: x509.Certificate) -> None:
    if el is None:
        return
    where = f"{_SSP}/xades:SigningTime"
    text = (el.text or "").strip()
    try:
        when = _dt.datetime.fromisoformat(text)
    except ValueError:
        raise BindingError(
            _S.MALFORMED, f"SigningTime {text[:40]!r} is not an xs:dateTime", where
        ) from None
    when = when.replace(tzinfo=_dt.UTC) if when.tzinfo is None else when.astimezone(_dt.UTC)
    if not cert.not_valid_before_utc <= when <= cert.not_valid_after_utc:
        raise BindingError(
            _S.INVALID,
            f"the signed SigningTime {when.isoformat()} is outside the validity of the KeyInfo "
            f"certificate ({cert.not_valid_before_utc.isoformat()} to "
            f"{cert.not_valid_after_utc.isoformat()})",
            where,
        )
