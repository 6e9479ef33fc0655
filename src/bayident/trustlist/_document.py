"""What reading a list gives: its integrity status, the reason, and the content."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .._exceptions import BayidentError
from ._model import SignatureStatus, TrustedList

__all__ = ["DEFAULT_MAX_LIST_BYTES", "TrustListDocument", "TrustListError", "document_for"]

#: Largest list read. The biggest national lists are a few megabytes (the EU list
#: of lists is under 0.5 MB); 32 MiB leaves room without letting a hostile server
#: fill memory.
DEFAULT_MAX_LIST_BYTES = 32 * 1024 * 1024

ListFormat = Literal["etsi-xml", "bayident-json"]
SignerBindingKind = Literal["certificate", "key-only"]


class TrustListError(BayidentError, ValueError):
    """A trusted list that cannot be used, with the status and the field at fault.

    Raised by the APIs that must produce a usable list (conversion, stores);
    the readers return a :class:`TrustListDocument` instead.
    """

    def __init__(self, message: str, *, status: SignatureStatus, field: str | None = None):
        super().__init__(message)
        self.status = status
        self.field = field


@dataclass(frozen=True)
class TrustListDocument:
    """A list as read: one status, the reason for it, and what could be parsed.

    ``status`` is ``valid`` only when the signature verifies with the list's own
    signer certificate *and* the content was understood. ``trusted_list`` is
    set only then; ``content`` holds whatever could be parsed (for display),
    whatever the status, and must never be used for trust decisions.
    Whether the signer is one to trust is decided separately
    (:class:`~bayident.trustlist.TrustListValidator`).

    ``signer_certificate`` is set only when a *signed* field names that
    certificate (XAdES ``SigningCertificate(V2)``, a JWS ``x5c`` header, a
    pinned certificate); otherwise ``signer_binding`` is ``key-only`` and the
    signer is known by ``signer_spki`` alone. ``integrity`` is the outcome of
    the signature check by itself: a list whose signature verifies but whose
    version is not supported has ``integrity`` valid and ``status`` unsupported.
    """

    source: str
    format: ListFormat
    status: SignatureStatus
    reason: str
    field: str | None
    signer_certificate: x509.Certificate | None
    content: TrustedList | None
    sha256: str
    signature_verified: bool = False
    #: SubjectPublicKeyInfo (DER) of the key the signature was checked with.
    signer_spki: bytes | None = None
    #: How the signer is known once the signature verified: ``certificate`` or ``key-only``.
    signer_binding: SignerBindingKind | None = None
    #: The signature check alone (``None`` given: the same as ``status``).
    integrity: SignatureStatus | None = None

    def __post_init__(self) -> None:
        if self.integrity is None:
            object.__setattr__(self, "integrity", self.status)

    @property
    def trusted_list(self) -> TrustedList | None:
        """The content, only when the status is ``valid``."""
        return self.content if self.status is SignatureStatus.VALID else None

    @property
    def valid(self) -> bool:
        return self.status is SignatureStatus.VALID

    @property
    def signer_key_fingerprint(self) -> str | None:
        """SHA-256 of the signer's SubjectPublicKeyInfo, known even when the signer is key-only."""
        return hashlib.sha256(self.signer_spki).hexdigest() if self.signer_spki else None

    @property
    def signer_fingerprint(self) -> str | None:
        if self.signer_certificate is None:
            return None
        return hashlib.sha256(self.signer_certificate.public_bytes(Encoding.DER)).hexdigest()

    def require_valid(self) -> TrustedList:
        """The list, or :class:`TrustListError` saying why it is not valid."""
        if self.status is not SignatureStatus.VALID or self.content is None:
            raise TrustListError(
                f"{self.source}: {self.status.value}: {self.reason}",
                status=self.status,
                field=self.field,
            )
        return self.content

    def describe(self) -> str:
        where = f" [{self.field}]" if self.field else ""
        return f"{self.source}: {self.status.value}: {self.reason}{where}"


def document_for(
    source: str,
    sha256: str,
    status: SignatureStatus,
    reason: str,
    field: str | None,
    signer: x509.Certificate | None,
    content: TrustedList | None,
    verified: bool,
    binding: object | None,
    integrity: SignatureStatus | None = None,
) -> TrustListDocument:
    """An ETSI list's document: the signer certificate shown only when a signed property names it.

    ``binding`` is the :class:`~bayident.trustlist._xades.SignerBinding` found
    once the signature verified (``None`` before that).
    """
    kind = getattr(binding, "kind", None)
    spki = (
        signer.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        if signer is not None and verified
        else None
    )
    return TrustListDocument(
        source=source,
        format="etsi-xml",
        status=status,
        reason=reason,
        field=field,
        signer_certificate=signer if kind == "certificate" else None,
        content=content,
        sha256=sha256,
        signature_verified=verified,
        signer_spki=spki,
        signer_binding=kind if kind in ("certificate", "key-only") else None,
        integrity=integrity,
    )
