"""Trust anchors: where trust is sought, indexed for constant-time look-up."""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol, TypeAlias

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from ._certs import lock_free
from ._exceptions import InvalidArgument, TrustStoreError
from ._names import name_key

__all__ = [
    "CertificateSource",
    "TrustAnchor",
    "TrustStore",
    "TrustStoreHolder",
    "catalogue_anchors",
    "load_certificates",
    "trust_store_from_catalogue",
]

CertificateSource: TypeAlias = x509.Certificate | bytes | str | os.PathLike[str]

_PEM_MARK = b"-----BEGIN CERTIFICATE-----"


def _ski(cert: x509.Certificate) -> bytes | None:
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return None
    except (ValueError, TypeError, x509.DuplicateExtension):
        # Malformed extensions: the anchor is kept, and path validation reports it.
        return None


@lock_free
@dataclass(frozen=True, eq=False)
class TrustAnchor:
    """One trusted certificate and what is known about where it came from.

    The optional fields are filled by trust lists (service type, status,
    jurisdiction); a plain trust store leaves them empty.
    """

    certificate: x509.Certificate
    der: bytes
    source: str
    fingerprint: str = field(init=False)
    subject_der: bytes = field(init=False)
    # RFC 5280 §7.1 comparison key of the subject: how certificates find their issuer.
    subject_key: str = field(init=False)
    key_id: bytes | None = field(init=False)
    service_type: str | None = None
    jurisdiction: str | None = None
    scheme: str | None = None
    provider: str | None = None
    # Filled by trusted lists: the service's current status URI, its history as
    # (starting time, status URI) pairs oldest first, and the list's territory.
    status: str | None = None
    status_history: tuple[tuple[_dt.datetime, str], ...] = ()
    list_territory: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "fingerprint", hashlib.sha256(self.der).hexdigest())
        object.__setattr__(self, "subject_der", self.certificate.subject.public_bytes())
        object.__setattr__(self, "subject_key", name_key(self.subject_der))
        object.__setattr__(self, "key_id", _ski(self.certificate))

    @cached_property
    def recognition_key(self) -> tuple[Any, ...]:
        """What scheme recognition reads of this anchor: the certificate and its list facts
        (the same root can come from a plain store or from a list)."""
        return (
            self.fingerprint,
            self.jurisdiction,
            self.status,
            self.status_history,
            self.list_territory,
            self.scheme,
            self.service_type,
        )

    @cached_property
    def subject(self) -> str:
        """The subject as an RFC 4514 string (computed once: reports name it often)."""
        return self.certificate.subject.rfc4514_string()

    @cached_property
    def _validity(self) -> tuple[_dt.datetime, _dt.datetime]:
        # notBefore and notAfter, read once: every path decision compares them.
        return self.certificate.not_valid_before_utc, self.certificate.not_valid_after_utc

    def status_at(self, when: _dt.datetime) -> str | None:
        """The trusted-list status in force at ``when``.

        ``None`` for an anchor that did not come from a trusted list, and for
        a time before the service's first status. Without a history, the
        current status (if any) is the answer.
        """
        history = self.status_history
        if not history:
            return self.status
        if when.tzinfo is None:
            when = when.replace(tzinfo=_dt.UTC)
        found: str | None = None
        for start, status in history:
            if start > when:
                break
            found = status
        return found

    def __repr__(self) -> str:
        return f"<TrustAnchor {self.subject} sha256={self.fingerprint[:16]}… from {self.source}>"


def load_certificates(source: CertificateSource) -> list[tuple[x509.Certificate, bytes, str]]:
    """Certificates from a path (PEM bundle or DER), PEM text, raw bytes or a certificate
    object. A ``str`` holding a PEM block is the certificates; any other ``str`` is a path."""
    if isinstance(source, x509.Certificate):
        return [(source, source.public_bytes(Encoding.DER), "certificate object")]
    if isinstance(source, str) and "-----BEGIN " in source:
        # PEM text given as a str is the certificates themselves, never a file name.
        data = source.encode("ascii", "replace")
        label = "PEM text"
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise TrustStoreError(
                f"cannot read certificate file {path}: {exc.strerror or exc}"
            ) from None
        label = f"file {path.name}"
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        label = "certificate bytes"
    else:
        raise InvalidArgument(
            f"a certificate must be a path, bytes or x509.Certificate, not {type(source).__name__}"
        )
    try:
        if _PEM_MARK in data:
            certs = x509.load_pem_x509_certificates(data)
        else:
            certs = [x509.load_der_x509_certificate(data)]
    except (ValueError, x509.InvalidVersion):
        # The parser's own message is a Rust debug dump; say what the input is instead.
        raise TrustStoreError(
            f"{label} does not hold a readable X.509 certificate: {describe_bytes(data)}"
        ) from None
    return [(c, c.public_bytes(Encoding.DER), label) for c in certs]


_PEM_KINDS = {
    b"PRIVATE KEY": "a private key",
    b"RSA PRIVATE KEY": "a private key",
    b"EC PRIVATE KEY": "a private key",
    b"ENCRYPTED PRIVATE KEY": "an encrypted private key",
    b"PUBLIC KEY": "a public key, not a certificate",
    b"CERTIFICATE REQUEST": "a certificate signing request",
    b"X509 CRL": "a certificate revocation list",
    b"PKCS7": "a PKCS #7 / CMS structure",
    b"CMS": "a CMS structure",
}


def describe_bytes(data: bytes) -> str:
    """A short description of bytes that are not a certificate, for error messages."""
    if not data.strip():
        return "it is empty"
    if b"-----BEGIN " in data:
        label = data.split(b"-----BEGIN ", 1)[1].split(b"-----", 1)[0].strip()
        if label == b"CERTIFICATE":
            return "a PEM CERTIFICATE block whose content is not a valid certificate"
        kind = _PEM_KINDS.get(label)
        shown = label.decode("ascii", "replace")[:40]
        return f"it is {kind} (PEM '{shown}')" if kind else f"it is a PEM '{shown}' block"
    if data[:1] == b"\x30":
        return "DER that is not a valid X.509 certificate (damaged, or another structure)"
    if data.lstrip()[:1] in (b"{", b"<"):
        return "it is JSON or XML text, not a certificate"
    return "it is neither PEM nor DER"


class TrustStoreHolder(Protocol):
    """Something that keeps a current trust store and replaces it now and then.

    :class:`bayident.trustlist.TrustListManager` is one: each refresh gives it a new
    store. A :class:`~bayident.Verifier` built on a holder takes its current store at
    the start of each verification.
    """

    @property
    def store(self) -> TrustStore:
        """The trust store to use now."""
        ...


class TrustStore:
    """A set of trust anchors, indexed by subject, key identifier and SHA-256 fingerprint.

    Build one with :meth:`from_files`, :meth:`from_directory`,
    :meth:`from_pem_bundle` or :meth:`from_certificates`; add more with
    :meth:`add`. Look-ups cost the same whatever the number of anchors.
    Safe to share between threads.
    """

    def __init__(self, anchors: Iterable[TrustAnchor] = (), *, name: str = "trust store") -> None:
        self.name = name
        self._by_fp: dict[str, TrustAnchor] = {}
        self._by_subject: dict[bytes, list[TrustAnchor]] = {}
        self._by_subject_key: dict[str, list[TrustAnchor]] = {}
        self._by_key_id: dict[bytes, list[TrustAnchor]] = {}
        self._lock = threading.Lock()
        self._version = 0
        for a in anchors:
            self._add(a)

    # --- building ----------------------------------------------------------
    @classmethod
    def from_certificates(
        cls, sources: Iterable[CertificateSource], *, name: str = "trust store"
    ) -> TrustStore:
        """Anchors from paths, DER/PEM bytes or certificate objects."""
        store = cls(name=name)
        for s in sources:
            store.add(s)
        return store

    @classmethod
    def from_catalogue(cls, *names: str) -> TrustStore:
        """The named real roots of the Bay Area root catalogue (opt-in; see
        :func:`bayident.schemes.trust_store_from_catalogue`)."""
        return trust_store_from_catalogue(*names)

    @classmethod
    def from_files(cls, *paths: str | os.PathLike[str]) -> TrustStore:
        """Anchors from files, each PEM (one or many certificates) or DER."""
        return cls.from_certificates(
            paths, name=", ".join(Path(p).name for p in paths) or "trust store"
        )

    @classmethod
    def from_pem_bundle(cls, bundle: bytes | str | os.PathLike[str]) -> TrustStore:
        """Anchors from one PEM bundle, given as bytes or a path."""
        return cls.from_certificates([bundle], name="PEM bundle")

    @classmethod
    def from_directory(cls, directory: str | os.PathLike[str]) -> TrustStore:
        """Anchors from every ``.pem``, ``.crt``, ``.cer`` and ``.der`` file in a directory."""
        d = Path(directory)
        if not d.is_dir():
            raise TrustStoreError(f"{d} is not a directory")
        files = sorted(
            p
            for p in d.iterdir()
            if p.suffix.lower() in {".pem", ".crt", ".cer", ".der"} and p.is_file()
        )
        if not files:
            raise TrustStoreError(f"no certificate files (.pem, .crt, .cer, .der) in {d}")
        return cls.from_certificates(files, name=f"directory {d.name}")

    @classmethod
    def coerce(
        cls, trust: TrustStore | TrustStoreHolder | Iterable[CertificateSource] | None
    ) -> TrustStore:
        """A TrustStore from what ``verify(trust=...)`` accepts."""
        if trust is None:
            return cls(name="empty trust store")
        if isinstance(trust, TrustStore):
            return trust
        # A trust-list manager (bayident.trustlist.TrustListManager) replaces its store on
        # each refresh; taking its current store per call follows the refreshes.
        current = getattr(trust, "store", None)
        if isinstance(current, TrustStore):
            return current
        if isinstance(trust, (bytes, str, os.PathLike, x509.Certificate)):
            return cls.from_certificates([trust])
        if not isinstance(trust, Iterable):
            raise InvalidArgument(
                "trust must be a TrustStore or a list of certificate paths, bytes or "
                f"x509.Certificate objects, not {type(trust).__name__}"
            )
        return cls.from_certificates(trust)

    def add(self, source: CertificateSource | TrustAnchor) -> None:
        """Add anchors (a bundle adds each of its certificates)."""
        if isinstance(source, TrustAnchor):
            self._add(source)
            return
        for cert, der, label in load_certificates(source):
            try:
                anchor = TrustAnchor(cert, der, label)
            except (ValueError, TypeError, KeyError) as exc:
                raise TrustStoreError(
                    f"{label}: the certificate cannot serve as a trust anchor: {exc}"
                ) from None
            self._add(anchor)

    def _add(self, anchor: TrustAnchor) -> None:
        with self._lock:
            if anchor.fingerprint in self._by_fp:
                return
            self._by_fp[anchor.fingerprint] = anchor
            self._by_subject.setdefault(anchor.subject_der, []).append(anchor)
            self._by_subject_key.setdefault(anchor.subject_key, []).append(anchor)
            if anchor.key_id is not None:
                self._by_key_id.setdefault(anchor.key_id, []).append(anchor)
            self._version += 1

    # --- looking up --------------------------------------------------------
    @property
    def version(self) -> int:
        """Changes whenever anchors are added, so caches know to forget."""
        return self._version

    def by_fingerprint(self, sha256_hex: str) -> TrustAnchor | None:
        return self._by_fp.get(sha256_hex.lower())

    def by_subject(self, subject_der: bytes) -> tuple[TrustAnchor, ...]:
        return tuple(self._by_subject.get(subject_der, ()))

    def by_subject_key(self, key: str) -> tuple[TrustAnchor, ...]:
        """Anchors whose subject matches under RFC 5280 §7.1 (see ``_names.name_key``)."""
        return tuple(self._by_subject_key.get(key, ()))

    def by_key_id(self, key_id: bytes) -> tuple[TrustAnchor, ...]:
        return tuple(self._by_key_id.get(key_id, ()))

    def __len__(self) -> int:
        return len(self._by_fp)

    def __iter__(self) -> Iterator[TrustAnchor]:
        return iter(list(self._by_fp.values()))

    def __contains__(self, cert: object) -> bool:
        if isinstance(cert, x509.Certificate):
            return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest() in self._by_fp
        return False

    def describe(self) -> str:
        return f"{self.name} ({len(self)} anchor{'s' if len(self) != 1 else ''})"

    def __repr__(self) -> str:
        return f"<TrustStore {self.describe()}>"


def catalogue_anchors(*names: str) -> list[TrustAnchor]:
    """Trust anchors for the named roots of the Bay Area root catalogue, each checked
    against its catalogued fingerprint (``docs/schemes/roots.md``).

    :raises InvalidArgument: no name given, an unknown name, or a root whose certificate
        is not shipped (its fingerprint lacks a second source).
    """
    # The catalogue is data of bayident.schemes, whose package imports the adapters: read
    # only when asked for.
    from .schemes._roots import catalogue_certificate

    if not names:
        raise InvalidArgument("name at least one catalogued root: none is trusted by default")
    anchors: list[TrustAnchor] = []
    for name in names:
        root, cert, der = catalogue_certificate(name)
        anchors.append(
            TrustAnchor(
                certificate=cert,
                der=der,
                source=f"bayident root catalogue ({'; '.join(root.sources)})",
                jurisdiction=root.jurisdiction,
                provider=root.operator,
            )
        )
    return anchors


def trust_store_from_catalogue(*names: str) -> TrustStore:
    """A trust store of the named catalogued roots (see :func:`catalogue_anchors`)."""
    return TrustStore(catalogue_anchors(*names), name=f"root catalogue: {', '.join(names)}")
