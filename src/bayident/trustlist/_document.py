"""What reading a list gives: its integrity status, the reason, and the content."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from .._exceptions import BayidentError
from ._model import SignatureStatus, TrustedList

__all__ = ["DEFAULT_MAX_LIST_BYTES", "TrustListDocument", "TrustListError"]

#: Largest list read. The biggest national lists are a few megabytes (the EU list
#: of lists is under 0.5 MB); 32 MiB leaves room without letting a hostile server
#: fill memory.
DEFAULT_MAX_LIST_BYTES = 32 * 1024 * 1024

ListFormat = Literal["etsi-xml", "bayident-json"]


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

    @property
    def trusted_list(self) -> TrustedList | None:
        """The content, only when the status is ``valid``."""
        return self.content if self.status is SignatureStatus.VALID else None

    @property
    def valid(self) -> bool:
        return self.status is SignatureStatus.VALID

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
