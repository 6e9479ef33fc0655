"""Parsed certificates, cached by their DER bytes, and their summaries."""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

from cryptography import x509
from cryptography.x509.oid import NameOID

from . import _der as d
from ._algorithms import AlgorithmError, load_public_key
from ._memo import Memo
from ._result import CertificateInfo, _build

__all__ = [
    "CertRecord",
    "CertificateCache",
    "common_name_of",
    "lock_free",
    "name_str",
    "public_key_of",
]

_T = TypeVar("_T")


class _once(Generic[_T]):
    """``functools.cached_property`` without its lock (Python 3.11 takes one per access).

    A value derived twice by racing threads is the same value, so no lock is needed;
    after the first access the instance ``__dict__`` answers without this descriptor.
    """

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> _once[_T]: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> _T: ...
    def __get__(self, obj: object | None, owner: type | None = None) -> _T | _once[_T]:
        if obj is None:
            return self
        value = self.func(obj)
        obj.__dict__[self.name] = value
        return value


_C = TypeVar("_C", bound=type)


def lock_free(cls: _C) -> _C:
    """Class decorator: the class's ``functools.cached_property`` attributes become :class:`_once`.

    The source keeps ``cached_property`` (documentation tools read it as a property);
    at run time the first read of each takes no lock.
    """
    for name, attr in list(vars(cls).items()):
        if isinstance(attr, functools.cached_property):
            setattr(cls, name, _once(attr.func))
    return cls


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


class _Name:
    """A name as parsed once: the cryptography object, its DER, its RFC 4514 string."""

    __slots__ = ("cn", "der", "name", "text")

    def __init__(self, name: x509.Name, der: bytes | None = None) -> None:
        self.name = name
        # The bytes as written in the certificate when known: re-encoding a parsed name
        # costs more than parsing it, and comparisons normalise the DER anyway (_names).
        self.der = der if der is not None else name.public_bytes()
        self.text: str | None = None
        self.cn: str | None = None

    def common_name(self) -> str:
        """The first commonName value ('' when absent or unreadable)."""
        cn = self.cn
        if cn is None:
            try:
                attrs = self.name.get_attributes_for_oid(NameOID.COMMON_NAME)
            except ValueError:
                attrs = []
            cn = self.cn = str(attrs[0].value) if attrs else ""
        return cn

    def string(self) -> str:
        text = self.text
        if text is None:
            text = self.text = name_str(self.name)
        return text


# Names recur: a certificate's issuer is its CA's subject, written byte for byte the
# same in every certificate that CA issues. Parsing, re-encoding and formatting a name
# costs more than a warm path check, so each distinct encoding is read once (keyed by
# its exact bytes, which determine all three). A pure function of those bytes, so
# process-wide.
_NAMES: Memo[bytes, _Name] = Memo(4096)


def _known_name(der: bytes, which: int) -> _Name | None:
    """The issuer (0) or subject (1) of a DER certificate, from the memo of names.

    None when the name was not met before (or the layout is unusual): callers then
    read it from their parsed certificate.
    """
    recent = _RECENT.get(der)
    if recent is not None:
        return recent[1 - which]
    fields = _tbs_fields(der)
    if fields is None:
        return None
    return _NAMES.get(fields[which])


def common_name_of(der: bytes, which: int) -> str | None:
    """The issuer's (0) or subject's (1) common name ('' when it has none), or None when
    the name was not met before (callers then read it from their parsed certificate)."""
    found = _known_name(der, which)
    return found.common_name() if found is not None else None


# The names of the last certificates read, by their DER: a signer's certificate is read
# by the path checks and then again by the scheme adapters. Process-wide: the names are
# a pure function of the DER.
_RECENT: Memo[bytes, tuple[_Name, _Name]] = Memo(64)


def _name_of(raw: bytes | None, read: Callable[[], x509.Name]) -> _Name:
    if raw is None:
        return _Name(read())
    found = _NAMES.get(raw)
    if found is None:
        found = _Name(read(), raw)
        _NAMES.put(raw, found)
    return found


def _element(der: bytes, pos: int, limit: int) -> tuple[int, int]:
    """(content start, end) of a DER element with a low tag number and a length of at most
    three octets; IndexError for anything else (the general reader then decides)."""
    lb = der[pos + 1]
    if der[pos] & 0x1F == 0x1F:
        raise IndexError(pos)
    if lb < 0x80:
        start, end = pos + 2, pos + 2 + lb
    elif lb == 0x81 and der[pos + 2] >= 0x80:
        start, end = pos + 3, pos + 3 + der[pos + 2]
    elif lb == 0x82 and der[pos + 2]:
        start, end = pos + 4, pos + 4 + ((der[pos + 2] << 8) | der[pos + 3])
    elif lb == 0x83 and der[pos + 2]:
        start = pos + 5
        end = start + ((der[pos + 2] << 16) | (der[pos + 3] << 8) | der[pos + 4])
    else:
        raise IndexError(pos)
    if end > limit:
        raise IndexError(pos)
    return start, end


def _layout(der: bytes) -> tuple[bytes, bytes, bytes, bool] | None:
    """(issuer, subject, subjectPublicKeyInfo, signature bits whole) in one pass.

    The last is whether the signature BIT STRING is the certificate's last element and
    has no unused bits (X.690 §11.2). None for any other layout or encoding: callers
    then use the general DER reader, which names what is wrong.
    """
    try:
        n = len(der)
        c_start, c_end = _element(der, 0, n)
        if der[0] != 0x30 or c_end != n:
            return None
        t_start, t_end = _element(der, c_start, c_end)
        pos = t_start
        if der[pos] == 0xA0:  # [0] version
            pos = _element(der, pos, t_end)[1]
        pos = _element(der, pos, t_end)[1]  # serialNumber
        pos = _element(der, pos, t_end)[1]  # signature
        issuer_at = pos
        pos = _element(der, pos, t_end)[1]
        issuer = der[issuer_at:pos]
        pos = _element(der, pos, t_end)[1]  # validity
        subject_at = pos
        pos = _element(der, pos, t_end)[1]
        subject = der[subject_at:pos]
        if pos >= t_end or der[pos] != 0x30 or issuer[:1] != b"\x30" or subject[:1] != b"\x30":
            return None
        spki = der[pos : _element(der, pos, t_end)[1]]
        alg_end = _element(der, t_end, c_end)[1]  # signatureAlgorithm
        b_start, b_end = _element(der, alg_end, c_end)
        bits_ok = der[alg_end] == 0x03 and b_end == c_end and b_end > b_start and not der[b_start]
        return issuer, subject, spki, bits_ok
    except IndexError:
        return None


def _tbs_fields(der: bytes) -> tuple[bytes, bytes, bytes] | None:
    """(issuer, subject, subjectPublicKeyInfo) DER read straight from a certificate.

    None when the layout is not the expected one: callers then use the full parser.
    """
    try:
        cert = d.read_der(der, 0, len(der), "certificate")
        tbs = d.read_der(der, cert.start, cert.end, "tbsCertificate")
        pos, end = tbs.start, tbs.end
        if pos < end and der[pos] == d.CTX0:  # [0] version
            pos = d.read_der(der, pos, end, "version").next
        pos = d.read_der(der, pos, end, "serialNumber").next
        pos = d.read_der(der, pos, end, "signature").next
        issuer_end = d.read_der(der, pos, end, "issuer").next
        issuer = der[pos:issuer_end]
        pos = d.read_der(der, issuer_end, end, "validity").next
        subject_end = d.read_der(der, pos, end, "subject").next
        subject = der[pos:subject_end]
        pos = subject_end
        if pos >= end or der[pos] != d.SEQUENCE or issuer[:1] != b"\x30" or subject[:1] != b"\x30":
            return None
        return issuer, subject, der[pos : d.read_der(der, pos, end, "subjectPublicKeyInfo").next]
    except (d.DERError, IndexError):
        return None


def _spki_fast(der: bytes) -> bytes | None:
    """SubjectPublicKeyInfo read straight from a DER certificate; None to use the full parser."""
    fields = _tbs_fields(der)
    return fields[2] if fields is not None else None


# A signer's key is loaded for the policy's key check and again for its description;
# the few most recent are kept so the second use does not parse it again (process-wide:
# a pure function of the SubjectPublicKeyInfo DER).
_KEYS: Memo[bytes, Any] = Memo(64)


def public_key_of(spki_der: bytes) -> Any:
    """The public key of a SubjectPublicKeyInfo; raises AlgorithmError like load_public_key."""
    key = _KEYS.get(spki_der)
    if key is None:
        key = load_public_key(spki_der)
        _KEYS.put(spki_der, key)
    return key


class CertRecord:
    """One certificate: the cryptography object plus values derived once."""

    __slots__ = ("__dict__", "cert", "der", "fingerprint", "issuer_der", "subject_der")

    def __init__(self, der: bytes, cert: x509.Certificate) -> None:
        self.der = der
        self.cert = cert
        self.fingerprint = hashlib.sha256(der).hexdigest()
        layout = _layout(der)
        fields: tuple[bytes, bytes, bytes] | None
        if layout is not None:
            fields = layout[:3]
            self.__dict__["signature_bits_ok"] = layout[3]
        else:
            fields = _tbs_fields(der)
        issuer = _name_of(fields[0] if fields else None, lambda: cert.issuer)
        subject = _name_of(fields[1] if fields else None, lambda: cert.subject)
        self.__dict__["_names"] = (subject, issuer)
        _RECENT.put(der, (subject, issuer))
        if fields is not None:
            self.__dict__["spki_der"] = fields[2]
        self.subject_der = subject.der
        self.issuer_der = issuer.der

    @_once
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

    @_once
    def signature_oid(self) -> str:
        """The dotted OID of the certificate's signature algorithm."""
        return self.cert.signature_algorithm_oid.dotted_string

    @_once
    def public_key(self) -> Any:
        """The public key, or raises AlgorithmError when no backend can load it."""
        return public_key_of(self.spki_der)

    @_once
    def ext_map(self) -> dict[str, x509.Extension[Any]]:
        """The extensions by dotted OID, read once (cryptography refuses duplicates).

        Raises what ``cert.extensions`` raises for malformed extensions.
        """
        return {e.oid.dotted_string: e for e in self.cert.extensions}

    @_once
    def key_description(self) -> str:
        from ._algorithms import describe_key

        try:
            return describe_key(self.public_key)
        except AlgorithmError as exc:
            return exc.reason

    @_once
    def ski(self) -> bytes | None:
        try:
            ext = self.ext_map.get("2.5.29.14")
        except ValueError:
            return None
        return ext.value.digest if ext is not None else None

    @_once
    def aki(self) -> bytes | None:
        try:
            ext = self.ext_map.get("2.5.29.35")
        except ValueError:
            return None
        return ext.value.key_identifier if ext is not None else None

    @_once
    def serial(self) -> int:
        return self.cert.serial_number

    @_once
    def subject_key(self) -> str:
        """Subject comparison key per RFC 5280 §7.1, for path building."""
        from ._names import name_key

        return name_key(self.subject_der)

    @_once
    def issuer_key(self) -> str:
        """Issuer comparison key per RFC 5280 §7.1, for path building."""
        from ._names import name_key

        return name_key(self.issuer_der)

    @property
    def name_keys(self) -> tuple[str, str]:
        """(subject, issuer) comparison keys; each is prepared only when first needed."""
        return self.subject_key, self.issuer_key

    @_once
    def self_issued(self) -> bool:
        return self.subject_der == self.issuer_der

    @_once
    def key_usage(self) -> tuple[str, ...] | None:
        """Asserted key usages, or ``None`` when the extension is absent."""
        ext = self.ext_map.get("2.5.29.15")
        if ext is None:
            return None
        ku = ext.value
        out = [f for f in _KU_FIELDS if getattr(ku, f)]
        if ku.key_agreement:
            out += [f for f in ("encipher_only", "decipher_only") if getattr(ku, f)]
        return tuple(out)

    @_once
    def policies(self) -> tuple[str, ...]:
        ext = self.ext_map.get("2.5.29.32")
        if ext is None:
            return ()
        return tuple(p.policy_identifier.dotted_string for p in ext.value)

    @_once
    def not_before(self) -> _dt.datetime:
        return self.cert.not_valid_before_utc

    @_once
    def not_after(self) -> _dt.datetime:
        return self.cert.not_valid_after_utc

    @_once
    def subject(self) -> str:
        names: tuple[_Name, _Name] | None = self.__dict__.get("_names")
        return names[0].string() if names is not None else name_str(self.cert.subject)

    @_once
    def issuer(self) -> str:
        names: tuple[_Name, _Name] | None = self.__dict__.get("_names")
        return names[1].string() if names is not None else name_str(self.cert.issuer)

    @property
    def subject_name(self) -> x509.Name:
        """The subject as a cryptography ``Name``, parsed once per distinct encoding."""
        names: tuple[_Name, _Name] | None = self.__dict__.get("_names")
        return names[0].name if names is not None else self.cert.subject

    @property
    def issuer_name(self) -> x509.Name:
        """The issuer as a cryptography ``Name``, parsed once per distinct encoding."""
        names: tuple[_Name, _Name] | None = self.__dict__.get("_names")
        return names[1].name if names is not None else self.cert.issuer

    @_once
    def info(self) -> CertificateInfo:
        return _build(
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

    @_once
    def label(self) -> str:
        return f"certificate '{self.subject}' (serial 0x{self.cert.serial_number:x})"

    def describe(self) -> str:
        return self.label

    @_once
    def asn1(self) -> Any:
        from asn1crypto import x509 as ax509

        return ax509.Certificate.load(self.der)


class CertificateCache:
    """Parsed certificates keyed by DER; bounded, thread-safe."""

    def __init__(self, size: int = 4096) -> None:
        self._items: Memo[bytes, CertRecord] = Memo(size)

    def clear(self) -> None:
        """Forget every parsed certificate."""
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, der: bytes) -> CertRecord:
        """The record for ``der``; raises ValueError when it is not a certificate."""
        rec = self._items.get(der)
        if rec is not None:
            return rec
        try:
            cert = x509.load_der_x509_certificate(der)
            # Touch what every path needs so a malformed certificate fails here, once,
            # rather than later in the middle of a check (the record reads both names).
            rec = CertRecord(der, cert)
            cert.extensions  # noqa: B018
        except ValueError:
            raise
        except Exception as exc:  # cryptography's InvalidVersion, DuplicateExtension, ...
            raise ValueError(f"{type(exc).__name__}: {exc}") from None
        self._items.put(der, rec)
        return rec
