"""Deciding whether to use a list: trusted signer, freshness and no rollback.

A list whose signature is intact is not yet a list to rely on: its signer
must be one the relying party expects (pinned, or named by a pointer in a
list already accepted), it must be current (``NextUpdate`` not passed, beyond
a grace period), and it must not be older than a list already accepted
(``TSLSequenceNumber`` never goes down: TS 119 612 §5.3.2).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_der_public_key,
    load_pem_public_key,
)

from .._exceptions import InvalidArgument
from ._document import TrustListDocument
from ._model import OtherTSLPointer, TrustedList

__all__ = [
    "DEFAULT_GRACE",
    "ListAcceptance",
    "SignerSpec",
    "TrustListValidator",
    "list_key",
    "pointers_to",
    "signers_from_pointers",
]

#: How long after ``NextUpdate`` a list is still used, with a warning: operators often
#: publish the next list hours late, and refusing every signature then helps nobody.
DEFAULT_GRACE = _dt.timedelta(hours=24)

#: A pinned signer: a certificate, its DER, or a public key (PEM, DER or an object).
SignerSpec = x509.Certificate | bytes | Any


def _spki_of(spec: SignerSpec) -> bytes:
    if isinstance(spec, x509.Certificate):
        return spec.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    if isinstance(spec, (bytes, bytearray)):
        data = bytes(spec)
        if b"-----BEGIN CERTIFICATE" in data:
            return _spki_of(x509.load_pem_x509_certificate(data))
        if b"-----BEGIN" in data:
            key = load_pem_public_key(data)
            return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        try:
            return _spki_of(x509.load_der_x509_certificate(data))
        except ValueError:
            key = load_der_public_key(data)
            return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    if hasattr(spec, "public_bytes"):
        out: bytes = spec.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        return out
    raise InvalidArgument(
        f"a signer must be a certificate, DER/PEM bytes or a public key, not {type(spec).__name__}"
    )


def list_key(tl: TrustedList) -> str:
    """The identity of a list across versions, for rollback checks: territory and type."""
    return f"{tl.territory or '-'}|{tl.tsl_type}"


def pointers_to(
    lotl: TrustedList, *, territory: str | None = None, location: str | None = None
) -> list[OtherTSLPointer]:
    """The pointers of ``lotl`` to the list of ``territory`` or at ``location``."""
    out = []
    for p in lotl.pointers:
        at_location = location is not None and p.location == location
        for_territory = territory is not None and (p.territory or "").upper() == territory.upper()
        if at_location or for_territory:
            out.append(p)
    return out


def signers_from_pointers(pointers: Iterable[OtherTSLPointer]) -> list[x509.Certificate]:
    """The certificates the pointers allow to sign the lists they point to."""
    seen: set[bytes] = set()
    out = []
    for p in pointers:
        for c in p.x509_signers():
            der = c.public_bytes(Encoding.DER)
            if der not in seen:
                seen.add(der)
                out.append(c)
    return out


@dataclass(frozen=True)
class ListAcceptance:
    """Whether a list may be relied on, and why."""

    accepted: bool
    reason: str
    document: TrustListDocument
    signer_trusted: bool
    warnings: tuple[str, ...] = ()

    @property
    def trusted_list(self) -> TrustedList | None:
        """The list, only when accepted."""
        return self.document.trusted_list if self.accepted else None


@dataclass
class _Seen:
    sequence: int
    sha256: str


@dataclass
class TrustListValidator:
    """Accepts or refuses lists, remembering the last sequence number accepted for each.

    ``grace`` is how long past ``NextUpdate`` a list is still accepted (with a
    warning); ``clock`` gives "now" (an aware datetime); ``accept_closed``
    allows lists without ``NextUpdate`` (a closed scheme, TS 119 612 §5.3.15).
    ``state`` (list key → ``(sequence number, sha256)``) restores what an
    earlier run accepted, so that rollback is caught across restarts.
    """

    grace: _dt.timedelta = DEFAULT_GRACE
    clock: Callable[[], _dt.datetime] | None = None
    clock_skew: _dt.timedelta = _dt.timedelta(minutes=5)
    accept_closed: bool = False
    state: dict[str, tuple[int, str]] = field(default_factory=dict)
    _seen: dict[str, _Seen] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.grace < _dt.timedelta(0):
            raise InvalidArgument("grace must not be negative")
        for k, (seq, sha) in self.state.items():
            self._seen[k] = _Seen(int(seq), str(sha))

    def _now(self) -> _dt.datetime:
        now = self.clock() if self.clock is not None else _dt.datetime.now(_dt.UTC)
        if now.tzinfo is None:
            raise InvalidArgument("the clock must return timezone-aware datetimes")
        return now

    def snapshot(self) -> dict[str, tuple[int, str]]:
        """What has been accepted, for persistence (see ``state``)."""
        with self._lock:
            return {k: (v.sequence, v.sha256) for k, v in self._seen.items()}

    def last_sequence(self, key: str) -> int | None:
        seen = self._seen.get(key)
        return seen.sequence if seen else None

    def accept(
        self,
        document: TrustListDocument,
        *,
        signers: Iterable[SignerSpec] = (),
        at: _dt.datetime | None = None,
        key: str | None = None,
        commit: bool = True,
        check_freshness: bool = True,
    ) -> ListAcceptance:
        """Decide on ``document``; when accepted (and ``commit``), remember its sequence number.

        ``signers`` are the certificates or keys allowed to sign this list:
        pinned ones, or those of a pointer (:func:`signers_from_pointers`).
        Empty means no signer is trusted, so nothing is accepted.
        """

        def no(reason: str, trusted: bool = False) -> ListAcceptance:
            return ListAcceptance(False, reason, document, trusted)

        if not document.valid or document.trusted_list is None:
            return no(f"the list is not intact: {document.status.value}: {document.reason}")
        tl = document.trusted_list
        allowed = {_spki_of(s) for s in signers}
        if not allowed:
            return no("no signer is trusted for this list (pin one, or reach it by a pointer)")
        if document.signer_spki is None or document.signer_spki not in allowed:
            who = (
                f"'{document.signer_certificate.subject.rfc4514_string()}'"
                if document.signer_certificate is not None
                else "an unnamed key"
            )
            return no(
                f"the list is signed by {who}, which is not among the {len(allowed)} trusted "
                "signer(s) for it"
            )
        now = (at or self._now()).astimezone(_dt.UTC)
        warnings: list[str] = []
        if check_freshness:
            if tl.issue_date > now + self.clock_skew:
                return no(
                    f"ListIssueDateTime {tl.issue_date.isoformat()} is in the future "
                    f"(now {now.isoformat()})",
                    True,
                )
            if tl.next_update is None:
                if not self.accept_closed:
                    return no(
                        "the list has no NextUpdate: the scheme is closed (TS 119 612 §5.3.15)",
                        True,
                    )
                warnings.append("the list has no NextUpdate: the scheme is closed")
            elif now > tl.next_update + self.grace:
                return no(
                    f"the list is out of date: NextUpdate was {tl.next_update.isoformat()}, more "
                    f"than the grace of {self.grace} before {now.isoformat()}",
                    True,
                )
            elif now > tl.next_update:
                warnings.append(
                    f"the list is past its NextUpdate ({tl.next_update.isoformat()}); used within "
                    f"the grace of {self.grace}"
                )
        k = key or list_key(tl)
        with self._lock:
            seen = self._seen.get(k)
            if seen is not None:
                if tl.sequence_number < seen.sequence:
                    return no(
                        f"rollback refused: TSLSequenceNumber {tl.sequence_number} is lower than "
                        f"{seen.sequence}, the last accepted for {k}",
                        True,
                    )
                if tl.sequence_number == seen.sequence and document.sha256 != seen.sha256:
                    return no(
                        f"TSLSequenceNumber {tl.sequence_number} was already accepted for {k} "
                        "with different content; a changed list must have a new sequence number",
                        True,
                    )
            if commit:
                self._seen[k] = _Seen(tl.sequence_number, document.sha256)
        return ListAcceptance(
            True,
            f"signed by a trusted signer; sequence number {tl.sequence_number}",
            document,
            True,
            tuple(warnings),
        )


def fingerprint(cert: x509.Certificate) -> str:
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()


def state_from_json(data: Mapping[str, Any]) -> dict[str, tuple[int, str]]:
    """Validator state from its JSON form (``{key: [sequence, sha256]}``), ignoring bad entries."""
    out: dict[str, tuple[int, str]] = {}
    for k, v in data.items():
        if (
            isinstance(k, str)
            and isinstance(v, list)
            and len(v) == 2
            and isinstance(v[0], int)
            and isinstance(v[1], str)
        ):
            out[k] = (v[0], v[1])
    return out
