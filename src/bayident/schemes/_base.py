"""The scheme-adapter protocol, the registry of adapters and the scheme-evidence envelope.

A *scheme adapter* is a plug-in that knows one identity or e-signature scheme of the Bay
Area. It plays one or both of two roles:

* an **evidence adapter** (:class:`EvidenceAdapter`) verifies evidence that is not a plain
  signature: an iAM Smart callback, a Guangdong or Macao identity token. ``verify()`` hands
  it the evidence when the bytes are a *scheme-evidence envelope* (see
  :func:`scheme_evidence`) naming its scheme;
* a **certificate adapter** (:class:`CertificateAdapter`) recognises the certificates its
  scheme issues (Hongkong Post e-Cert, eSignTrust, GDCA…) and maps a verified signer's
  certificate to an :class:`~bayident.Identity`.

Adapters live in a :class:`SchemeRegistry`, which a :class:`~bayident.Verifier` is given
(``Verifier(schemes=registry)``) or, given none, takes from
:func:`bayident.schemes.default_registry`. Third-party adapters are found through the
``bayident.schemes`` entry-point group, loaded the first time a registry is consulted
(normally the first ``verify()``).
"""

from __future__ import annotations

import importlib.metadata
import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

from cryptography import x509
from cryptography.x509.oid import ExtensionOID, NameOID

from .._certs import common_name_of, lock_free
from .._exceptions import BayidentError, InvalidArgument
from .._json import JSONError, loads_object
from .._memo import Memo
from .._result import Indication, SubIndication, VerificationResult

if TYPE_CHECKING:
    from .._handlers import EvidenceContext
    from .._identity import Identity
    from .._trust import TrustAnchor
    from ._recognition import Recognizer

__all__ = [
    "ENTRY_POINT_GROUP",
    "EVIDENCE_MARKER",
    "MAX_SCHEME_EVIDENCE_BYTES",
    "CertificateAdapter",
    "CertificateView",
    "EvidenceAdapter",
    "ProfileError",
    "ProfileMatch",
    "SchemeAdapter",
    "SchemeEvidence",
    "SchemeFailure",
    "SchemeRegistry",
    "parse_scheme_evidence",
    "scheme_evidence",
]

#: The entry-point group third-party scheme adapters are published under.
ENTRY_POINT_GROUP: Final = "bayident.schemes"
#: The member that marks a JSON document as a scheme-evidence envelope.
EVIDENCE_MARKER: Final = "bayident-scheme"
#: Largest scheme-evidence envelope read (the verifier's own evidence limit applies first).
MAX_SCHEME_EVIDENCE_BYTES: Final = 4 * 1024 * 1024
_MAX_NAME = 64


# --------------------------------------------------------------------------- failures


class SchemeFailure(BayidentError):
    """A check an adapter made did not pass; turned into a non-passing result.

    ``check`` is the name of the check, ``sub_indication`` the EN 319 102-1 reason (its
    indication follows from it), ``message`` a sentence naming the field at fault and
    ``concerns`` that field.
    """

    def __init__(
        self,
        check: str,
        sub_indication: SubIndication,
        message: str,
        concerns: str | None = None,
    ) -> None:
        super().__init__(message)
        self.check = check
        self.sub_indication = sub_indication
        self.message = message
        self.concerns = concerns

    @property
    def indication(self) -> Indication:
        """FAILED for the sub-indications EN 319 102-1 files under TOTAL-FAILED."""
        from .._result import SUB_INDICATION_SPLIT

        allowed = SUB_INDICATION_SPLIT[self.sub_indication]
        return (
            Indication.INDETERMINATE if Indication.INDETERMINATE in allowed else Indication.FAILED
        )


class ProfileError(BayidentError, ValueError):
    """A certificate claimed by a scheme lacks what the scheme's profile requires."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# --------------------------------------------------------------------- certificates


# CA certificates recur under every new signer: parse each once (bounded; certificates
# are immutable) and remember its common name. _CA_CNS is keyed by id() of a certificate
# and holds the certificate, so an entry is used only for that very object. All three are
# process-wide: pure functions of the certificates.
_CA_CERTS: Memo[bytes, x509.Certificate] = Memo(1024)
_CA_CNS: Memo[int, tuple[x509.Certificate, str]] = Memo(1024)
# Trust anchors' common names, by anchor fingerprint.
_ANCHOR_CNS: Memo[str, str] = Memo(1024)


def _ca_certificate(der: bytes) -> x509.Certificate:
    cert = _CA_CERTS.get(der)
    if cert is None:
        cert = x509.load_der_x509_certificate(der)
        _CA_CNS.put(id(cert), (cert, _cn(cert.subject)))
        _CA_CERTS.put(der, cert)
    return cert


def _ca_cn(cert: x509.Certificate) -> str:
    hit = _CA_CNS.get(id(cert))
    return hit[1] if hit is not None and hit[0] is cert else _cn(cert.subject)


def _extension(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> x509.Extension[Any] | None:
    """The certificate's extension ``oid``, or None when absent or unreadable.

    A scan rather than ``get_extension_for_oid``, whose miss builds an exception with the
    OID's name: most signer certificates lack most of the extensions asked about here.
    """
    try:
        for ext in cert.extensions:
            if ext.oid == oid:
                found: x509.Extension[Any] = ext
                return found
    except ValueError:
        return None
    return None


def _cn(name: x509.Name) -> str:
    try:
        attrs = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    except ValueError:
        return ""
    return str(attrs[0].value) if attrs else ""


@lock_free
@dataclass(frozen=True)
class CertificateView:
    """A verified signer's certificate with its validated path, as adapters see it.

    ``issuers`` are the CA certificates above the signer in the validated path, nearest
    first, without the trust anchor; ``anchor`` is the anchor the path ended at. Every
    accessor tolerates malformed extensions (a certificate the path validator accepted
    may still carry an extension :mod:`cryptography` cannot decode) and then returns an
    empty value.
    """

    certificate: x509.Certificate
    der: bytes
    issuers: tuple[x509.Certificate, ...] = ()
    anchor: TrustAnchor | None = None

    @classmethod
    def from_der(
        cls,
        leaf_der: bytes,
        path_ders: Sequence[bytes] = (),
        anchor: TrustAnchor | None = None,
        *,
        load: Callable[[bytes], x509.Certificate] | None = None,
    ) -> CertificateView:
        """From DER: the signer, then the path leaf first (the leaf may be repeated).

        ``load`` parses DER, e.g. from a cache that already holds the certificate.
        """
        cert = load(leaf_der) if load is not None else x509.load_der_x509_certificate(leaf_der)
        above = [_ca_certificate(d) for d in path_ders if d != leaf_der]
        return cls(certificate=cert, der=leaf_der, issuers=tuple(above), anchor=anchor)

    @cached_property
    def subject(self) -> str:
        """The subject as an RFC 4514 string."""
        try:
            return self.certificate.subject.rfc4514_string()
        except ValueError:
            return ""

    @cached_property
    def subject_cn(self) -> str:
        """The subject common name ('' when absent)."""
        return _cn(self.certificate.subject)

    @cached_property
    def issuer_cn(self) -> str:
        """The issuer's common name, as written in the certificate."""
        # The issuer name is its CA's, met before: read from the memo of parsed names.
        cn = common_name_of(self.der, 0)
        return cn if cn is not None else _cn(self.certificate.issuer)

    @cached_property
    def anchor_cn(self) -> str:
        """The trust anchor's common name ('' without an anchor)."""
        if self.anchor is None:
            return ""
        cn = _ANCHOR_CNS.get(self.anchor.fingerprint)
        if cn is None:
            cn = _cn(self.anchor.certificate.subject)
            _ANCHOR_CNS.put(self.anchor.fingerprint, cn)
        return cn

    @cached_property
    def ca_names(self) -> tuple[str, ...]:
        """Common names of every CA in the path, nearest first, the anchor last."""
        names = [self.issuer_cn, *(_ca_cn(c) for c in self.issuers)]
        if self.anchor is not None:
            names.append(self.anchor_cn)
        out: list[str] = []
        for n in names:
            if n and n not in out:
                out.append(n)
        return tuple(out)

    @cached_property
    def policies(self) -> tuple[str, ...]:
        """The certificate-policy OIDs the signer certificate asserts."""
        ext = _extension(self.certificate, ExtensionOID.CERTIFICATE_POLICIES)
        if ext is None:
            return ()
        value = ext.value
        if not isinstance(value, x509.CertificatePolicies):
            return ()
        return tuple(p.policy_identifier.dotted_string for p in value)

    def subject_values(self, oid: str) -> tuple[str, ...]:
        """Values of a subject attribute, by dotted OID, in order."""
        try:
            attrs = self.certificate.subject.get_attributes_for_oid(x509.ObjectIdentifier(oid))
        except ValueError:
            return ()
        return tuple(str(a.value) for a in attrs)

    @cached_property
    def emails(self) -> tuple[str, ...]:
        """rfc822Name entries of SubjectAlternativeName, then subject emailAddress values."""
        out: list[str] = []
        ext = _extension(self.certificate, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
        if ext is not None and isinstance(ext.value, x509.SubjectAlternativeName):
            out.extend(ext.value.get_values_for_type(x509.RFC822Name))
        out.extend(self.subject_values(NameOID.EMAIL_ADDRESS.dotted_string))
        return tuple(out)

    def extension_value(self, oid: str) -> bytes | None:
        """The raw DER value of a non-standard extension, or None."""
        try:
            wanted = x509.ObjectIdentifier(oid)
        except ValueError:
            return None
        ext = _extension(self.certificate, wanted)
        if ext is None:
            return None
        value = ext.value
        if isinstance(value, x509.UnrecognizedExtension):
            return value.value
        return None


@dataclass(frozen=True)
class ProfileMatch:
    """A certificate adapter's claim on a certificate, and why it claims it.

    ``markers`` are the facts that matched (an issuer name, a policy arc), each a phrase
    for the result's checks; ``certificate_type`` the type within the scheme
    ('personal', 'qualified'…) when the profile tells.
    """

    adapter: str
    scheme: str
    certificate_type: str | None
    markers: tuple[str, ...]
    details: Mapping[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------------ protocols


@runtime_checkable
class SchemeAdapter(Protocol):
    """What every scheme adapter has: its name, its scheme and the scheme's jurisdiction."""

    #: Unique adapter name; reported in ``VerificationResult.adapter``.
    name: str
    #: The scheme, e.g. ``'iamsmart'``; reported in ``Identity.scheme``.
    scheme: str
    #: ``'HK'``, ``'MO'`` or ``'CN-GD'``.
    jurisdiction: str


@runtime_checkable
class EvidenceAdapter(SchemeAdapter, Protocol):
    """Verifies scheme evidence: the payload of a scheme-evidence envelope."""

    #: The evidence types the adapter reads, e.g. ``('signing-result', 'profile-callback')``.
    evidence_types: tuple[str, ...]

    def verify_evidence(self, evidence: SchemeEvidence, ctx: EvidenceContext) -> VerificationResult:
        """Verify; never raise for bad evidence (raise :class:`SchemeFailure` or return)."""
        ...


@runtime_checkable
class CertificateAdapter(SchemeAdapter, Protocol):
    """Recognises its scheme's certificates and maps them to an Identity."""

    def match_certificate(self, view: CertificateView) -> ProfileMatch | None:
        """A claim on the certificate, or None when it is not this scheme's."""
        ...

    def certificate_identity(self, view: CertificateView, match: ProfileMatch) -> Identity:
        """The identity the certificate states; :class:`ProfileError` when fields are missing."""
        ...


# -------------------------------------------------------------- scheme-evidence envelope


@dataclass(frozen=True)
class SchemeEvidence:
    """A parsed scheme-evidence envelope: which scheme, which type, and its data."""

    scheme: str
    type: str
    data: Mapping[str, Any]
    size: int


def scheme_evidence(scheme: str, evidence_type: str, data: Mapping[str, Any]) -> bytes:
    """Wrap scheme evidence for :func:`bayident.verify`.

    The envelope is the JSON object ``{"bayident-scheme": scheme, "type": evidence_type,
    "data": data}``, UTF-8. ``verify()`` recognises it and hands ``data`` to the adapter registered
    for ``scheme``; an unknown scheme gives a non-passing result that says so.
    """
    for what, value in (("scheme", scheme), ("evidence_type", evidence_type)):
        if not isinstance(value, str) or not 0 < len(value) <= _MAX_NAME:
            raise InvalidArgument(
                f"{what} must be a non-empty str of at most {_MAX_NAME} characters"
            )
    if not isinstance(data, Mapping):
        raise InvalidArgument(f"data must be a mapping, not {type(data).__name__}")
    doc = {EVIDENCE_MARKER: scheme, "type": evidence_type, "data": dict(data)}
    try:
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"data must be JSON-serialisable: {exc}") from None


_WS = b" \t\r\n"
_MARKER_BYTES = b'"' + EVIDENCE_MARKER.encode("ascii") + b'"'


def looks_like_scheme_evidence(raw: bytes) -> bool:
    """Cheap detection: a JSON object that mentions the envelope marker."""
    if raw[:1] not in (b"{", b" ", b"\t", b"\r", b"\n"):
        return False
    if raw.lstrip(_WS)[:1] != b"{":
        return False
    return _MARKER_BYTES in raw


def parse_json_object(raw: bytes | str, what: str, max_size: int) -> dict[str, Any]:
    """A JSON object, strictly: UTF-8, no duplicate keys, no NaN, bounded size and depth.

    :raises SchemeFailure: FORMAT_FAILURE naming ``what``.
    """
    try:
        return loads_object(raw, what, max_size)
    except JSONError as exc:
        raise SchemeFailure(
            "scheme-evidence", SubIndication.FORMAT_FAILURE, str(exc), what
        ) from None


def parse_scheme_evidence(raw: bytes, max_size: int = MAX_SCHEME_EVIDENCE_BYTES) -> SchemeEvidence:
    """Parse a scheme-evidence envelope.

    :raises SchemeFailure: FORMAT_FAILURE naming the member at fault.
    """
    doc = parse_json_object(raw, "scheme evidence", max_size)
    unknown = sorted(set(doc) - {EVIDENCE_MARKER, "type", "data"})
    if unknown:
        raise SchemeFailure(
            "scheme-evidence",
            SubIndication.FORMAT_FAILURE,
            f"scheme evidence has unknown member(s) {', '.join(repr(u[:40]) for u in unknown)}; "
            f"expected {EVIDENCE_MARKER!r}, 'type' and 'data'",
            "scheme evidence",
        )
    values: dict[str, str] = {}
    for name in (EVIDENCE_MARKER, "type"):
        value = doc.get(name)
        if not isinstance(value, str) or not 0 < len(value) <= _MAX_NAME:
            raise SchemeFailure(
                "scheme-evidence",
                SubIndication.FORMAT_FAILURE,
                f"scheme evidence member {name!r} must be a non-empty string of at most "
                f"{_MAX_NAME} characters",
                name,
            )
        values[name] = value
    data = doc.get("data")
    if not isinstance(data, dict):
        raise SchemeFailure(
            "scheme-evidence",
            SubIndication.FORMAT_FAILURE,
            "scheme evidence member 'data' must be a JSON object",
            "data",
        )
    return SchemeEvidence(
        scheme=values[EVIDENCE_MARKER], type=values["type"], data=data, size=len(raw)
    )


# -------------------------------------------------------------------------- registry


class SchemeRegistry:
    """The scheme adapters ``verify()`` consults, and the recognition policy.

    ``adapters`` are registered in order. With ``entry_points=True`` the adapters published
    under the ``bayident.schemes`` entry-point group are loaded the first time the registry
    is consulted; an entry point may name an adapter instance, an adapter class (made with
    no arguments) or a function returning adapters. A plug-in that fails to load, or whose
    name is taken, is skipped and listed in :attr:`load_errors`, never raised at
    ``verify()`` time.
    """

    def __init__(
        self,
        adapters: Iterable[SchemeAdapter] = (),
        *,
        recognizer: Recognizer | None = None,
        entry_points: bool = False,
    ) -> None:
        self._lock = threading.RLock()
        self._adapters: dict[str, SchemeAdapter] = {}
        self._recognizer = recognizer
        self._want_entry_points = entry_points
        self._entry_points_loaded = not entry_points
        self._version = 0
        self._cert_adapters: tuple[int, tuple[CertificateAdapter, ...]] | None = None
        # What identify_certificate found, by certificate, path, anchor facts and this
        # registry's version: the registry's own, as its adapters decide it.
        self._identified: Memo[tuple[Any, ...], Any] = Memo(2048)
        self.load_errors: list[str] = []
        for adapter in adapters:
            self.register(adapter)

    def clear_caches(self) -> None:
        """Forget the certificate identifications remembered (``Verifier.clear_caches``)."""
        self._identified.clear()

    # --- registration -----------------------------------------------------------------
    def register(self, adapter: SchemeAdapter, *, replace: bool = False) -> None:
        """Add an adapter; ``replace=True`` swaps out one of the same name (e.g. to configure it).

        :raises InvalidArgument: not an adapter, or the name is taken and ``replace`` is False.
        """
        if not isinstance(adapter, SchemeAdapter):
            raise InvalidArgument(
                f"{type(adapter).__name__} is not a scheme adapter: it needs name, scheme and "
                "jurisdiction attributes"
            )
        if not isinstance(adapter, EvidenceAdapter | CertificateAdapter):
            raise InvalidArgument(
                f"adapter {adapter.name!r} is neither an evidence adapter (evidence_types, "
                "verify_evidence) nor a certificate adapter (match_certificate, "
                "certificate_identity)"
            )
        for attr in ("name", "scheme", "jurisdiction"):
            value = getattr(adapter, attr)
            if not isinstance(value, str) or not 0 < len(value) <= _MAX_NAME:
                raise InvalidArgument(f"adapter {attr} must be a non-empty str")
        with self._lock:
            if adapter.name in self._adapters and not replace:
                raise InvalidArgument(
                    f"an adapter named {adapter.name!r} is already registered; pass replace=True "
                    "to configure it"
                )
            self._adapters[adapter.name] = adapter
            self._version += 1

    @property
    def version(self) -> int:
        """Changes whenever an adapter is registered or removed (for caches)."""
        return self._version

    def unregister(self, name: str) -> None:
        """Remove the adapter called ``name`` (no error if absent)."""
        with self._lock:
            if self._adapters.pop(name, None) is not None:
                self._version += 1

    def copy(self) -> SchemeRegistry:
        """An independent registry with the same adapters and recognition policy."""
        self._load_entry_points()
        with self._lock:
            clone = SchemeRegistry(self._adapters.values(), recognizer=self._recognizer)
            clone.load_errors = list(self.load_errors)
        return clone

    # --- look-up ----------------------------------------------------------------------
    def adapters(self) -> tuple[SchemeAdapter, ...]:
        """Every adapter, in registration order (plug-ins loaded first if not yet)."""
        self._load_entry_points()
        with self._lock:
            return tuple(self._adapters.values())

    def get(self, name: str) -> SchemeAdapter | None:
        """The adapter called ``name``."""
        self._load_entry_points()
        with self._lock:
            return self._adapters.get(name)

    def evidence_adapter(self, scheme: str) -> EvidenceAdapter | None:
        """The evidence adapter for ``scheme`` (matched on adapter name, then scheme)."""
        adapters = self.adapters()
        for a in adapters:
            if a.name == scheme and isinstance(a, EvidenceAdapter):
                return a
        for a in adapters:
            if a.scheme == scheme and isinstance(a, EvidenceAdapter):
                return a
        return None

    def certificate_adapters(self) -> tuple[CertificateAdapter, ...]:
        """The certificate adapters, in registration order."""
        # isinstance() against a runtime-checkable protocol inspects every member, and
        # this runs on every verification: remember the answer per registry version
        # (once plug-ins are loaded, which changes the version).
        cached = self._cert_adapters
        if cached is not None and self._entry_points_loaded and cached[0] == self._version:
            return cached[1]
        adapters = self.adapters()
        found = tuple(a for a in adapters if isinstance(a, CertificateAdapter))
        self._cert_adapters = (self._version, found)
        return found

    def schemes(self) -> tuple[str, ...]:
        """Names of the registered adapters."""
        return tuple(a.name for a in self.adapters())

    # --- recognition ------------------------------------------------------------------
    @property
    def recognizer(self) -> Recognizer:
        """The recognition policy applied when ``verify()`` is given a purpose or assurance."""
        with self._lock:
            if self._recognizer is None:
                from ._recognition import Recognizer

                self._recognizer = Recognizer.default()
            return self._recognizer

    @recognizer.setter
    def recognizer(self, value: Recognizer) -> None:
        from ._recognition import Recognizer

        if not isinstance(value, Recognizer):
            raise InvalidArgument(f"recognizer must be a Recognizer, not {type(value).__name__}")
        with self._lock:
            self._recognizer = value

    # --- plug-ins ---------------------------------------------------------------------
    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        with self._lock:
            if self._entry_points_loaded:
                return
            self._entry_points_loaded = True
            try:
                found = list(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))
            except Exception as exc:  # a broken installation must not break verify()
                self.load_errors.append(f"cannot list entry points: {exc}")
                return
            for ep in found:
                self._load_one(ep.name, ep.load)

    def _load_one(self, label: str, load: Callable[[], object]) -> None:
        try:
            obj = load()
            if isinstance(obj, type):
                obj = obj()
            if isinstance(obj, SchemeAdapter):
                items: list[object] = [obj]
            elif callable(obj):
                produced = obj()
                items = [produced] if isinstance(produced, SchemeAdapter) else list(produced)
            else:
                raise TypeError(f"{type(obj).__name__} is not an adapter")
            for item in items:
                if not isinstance(item, SchemeAdapter):
                    raise TypeError(f"{type(item).__name__} is not an adapter")
                self.register(item)
        except Exception as exc:  # a faulty plug-in is reported, not raised into verify()
            self.load_errors.append(f"plug-in {label!r} skipped: {exc}")
