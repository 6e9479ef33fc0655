"""The start of a verification: the job that travels along the data path.

The data path, one module per stage, each importing only those before it::

    _job → _intake → _pathstep → _timestep → _outcome → _verifier

A :class:`Job` is made from the caller's arguments (time, policy, trust) by
:meth:`VerifierBase._new_job`; every later stage reads it and adds to it; the last turns it
into a :class:`~bayident.VerificationResult`. The argument coercions here (CRLs, extra
certificates, purpose) are shared by every door that starts a job.
"""

from __future__ import annotations

import datetime as _dt
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from ._certs import CertificateCache, CertRecord
from ._defaults import builtin_enrichers, builtin_handlers, default_schemes
from ._exceptions import InputError, InvalidArgument, TrustStoreError
from ._handlers import _LEGACY_ENRICHERS, _LEGACY_HANDLERS, EvidenceContext, EvidenceHandler
from ._input import Content
from ._policy import Policy
from ._result import (
    Check,
    CheckOutcome,
    Indication,
    SignerReport,
    SubIndication,
    VerificationResult,
    _build,
)
from ._signer_state import FAILED_SUBS as _FAILED
from ._signer_state import SignerState as _SignerState
from ._signer_state import make_check as _check
from ._trust import CertificateSource, TrustStore, TrustStoreHolder, load_certificates
from .revocation._data import NO_SUPPLIED, Supplied

if TYPE_CHECKING:
    import httpx
    from cryptography import x509

    from ._cms import SignedData
    from ._handlers import ResultEnricher
    from .schemes import SchemeRegistry

__all__ = [
    "Job",
    "TrustArg",
    "VerifierBase",
    "certificate_ders",
    "coerce_crls",
    "extra_certificates",
    "iter_sources",
    "options_for",
]

_OUT = CheckOutcome

TrustArg = TrustStore | TrustStoreHolder | Sequence[CertificateSource] | None


@dataclass
class Job:
    at: _dt.datetime
    policy: Policy
    trust: TrustStore
    checks: list[Check]
    warnings: list[str]
    evidence_format: str | None = None
    sd: SignedData | None = None
    content: Content | None = None
    content_label: str = ""
    signers: list[_SignerState] = field(default_factory=list)
    pool: list[CertRecord] = field(default_factory=list)
    # Counter-signatures seen so far (bayident._countersign), for their indices and limit.
    counter_count: int = 0
    # The evidence itself, when it is a bare RFC 3161 time-stamp token.
    token_der: bytes | None = None
    # The (digest name, digest) the caller gave instead of the content.
    given_digest: tuple[str, bytes] | None = None
    # Certificates only a lenient parse could read (bayident._lenient), for signer look-up.
    lenient: list[CertRecord] = field(default_factory=list)
    need_digests: set[str] = field(default_factory=set)
    need_whole: bool = False
    crls: tuple[bytes, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    supplied: Supplied = NO_SUPPLIED
    # Validation at a time in the past: revocation data produced since may vouch for it.
    retroactive: bool = False
    # No validation time was given: clock skew applies to validity periods.
    at_is_now: bool = False
    early: VerificationResult | None = None
    delegate: tuple[EvidenceHandler, EvidenceContext] | None = None
    # Chains an evidence handler validated successfully: (leaf DER, path DERs, anchor).
    chains: list[tuple[bytes, list[bytes], Any]] = field(default_factory=list)
    # An evidence handler claimed the evidence (raw bytes, label); the verifier hands it
    # an EvidenceContext and sets ``delegate``.
    handoff: tuple[EvidenceHandler, bytes, str] | None = None


class VerifierBase:
    """What every stage of a verification reads from the :class:`~bayident.Verifier`:
    its configuration (trust, policy, clock, HTTP clients, JWKS, expected scheme) and the
    certificate cache. Each stage is a class deriving from the one before it; the Verifier is the last.
    """

    policy: Policy
    http_client: httpx.Client | None
    async_http_client: httpx.AsyncClient | None
    jwks: Any
    # The scheme every verification's evidence must belong to (schemes.verify_as), or None.
    expected_scheme: str | None
    # The scheme registry given to the Verifier, or None for the built-in default one.
    _schemes: SchemeRegistry | None
    # Evidence handlers and result enrichers given to the Verifier (before the built-ins).
    _handlers: tuple[EvidenceHandler, ...]
    _enrichers: tuple[ResultEnricher, ...]
    _clock: Callable[[], _dt.datetime]
    _certs: CertificateCache
    _lock: threading.Lock

    @property
    def schemes(self) -> SchemeRegistry:
        """The scheme registry: its adapters give identities, its recognizer decides.

        The one given as ``Verifier(schemes=...)``, else the built-in default registry
        (:func:`bayident.schemes.default_registry`, created on first use).
        """
        registry = self._schemes
        if registry is None:
            registry = default_schemes()
        return registry

    def _evidence_handlers(self) -> tuple[EvidenceHandler, ...]:
        """The handlers asked, in order: the verifier's own, then the built-in ones."""
        if _LEGACY_HANDLERS:
            return (*self._handlers, *_LEGACY_HANDLERS, *builtin_handlers())
        if self._handlers:
            return (*self._handlers, *builtin_handlers())
        return builtin_handlers()

    def _result_enrichers(self) -> tuple[ResultEnricher, ...]:
        """The enrichers run, in order: the built-in ones (the scheme adapters'), then the
        verifier's own."""
        if _LEGACY_ENRICHERS or self._enrichers:
            return (*builtin_enrichers(), *self._enrichers, *_LEGACY_ENRICHERS)
        return builtin_enrichers()

    @property
    def trust(self) -> TrustStore:
        """The trust store a verification starting now uses.

        For a trust-list manager, its current store (it changes with each refresh).
        """
        source = self._trust_source
        if isinstance(source, TrustStore):
            return source
        return TrustStore.coerce(source)

    @trust.setter
    def trust(self, trust: TrustArg) -> None:
        self._trust_source: TrustStore | TrustStoreHolder
        if not isinstance(trust, TrustStore) and isinstance(
            getattr(trust, "store", None), TrustStore
        ):
            # Kept as given, so the refreshes of a trust-list manager are followed.
            self._trust_source = cast(TrustStoreHolder, trust)
        else:
            self._trust_source = TrustStore.coerce(trust)

    def _new_job(self, at: _dt.datetime | None, policy: Policy | None) -> Job:
        """A job for one verification, after checking the time and policy arguments."""
        given = at is not None
        if at is None:
            at = self._clock()
        elif not isinstance(at, _dt.datetime):
            raise InvalidArgument(f"at must be a datetime, not {type(at).__name__}")
        if at.tzinfo is None or at.utcoffset() is None:
            raise InvalidArgument("at must be timezone-aware (e.g. datetime(..., tzinfo=UTC))")
        if policy is not None and not isinstance(policy, Policy):
            raise InvalidArgument(f"policy must be a bayident.Policy, not {type(policy).__name__}")
        pol = policy or self.policy
        job = Job(at=at.astimezone(_dt.UTC), policy=pol, trust=self.trust, checks=[], warnings=[])
        job.at_is_now = not given
        if given:
            # Validation at a time in the past: revocation data produced since may vouch for it.
            job.retroactive = job.at < self._clock() - pol.clock_skew
        return job

    def _load_certificate(self, der: bytes) -> x509.Certificate:
        return self._certs.get(der).cert

    def _result(
        self,
        job: Job,
        ind: Indication,
        sub: SubIndication | None,
        message: str,
        signers: Sequence[SignerReport] = (),
        adapter: str | None = None,
    ) -> VerificationResult:
        """The result of ``job`` with the given decision and signer reports."""
        return _build(
            VerificationResult,
            {
                "indication": ind,
                "sub_indication": sub,
                "message": message,
                "evidence_format": job.evidence_format,
                "signers": tuple(signers),
                "checks": tuple(job.checks),
                "warnings": tuple(job.warnings),
                "validation_time": job.at,
                "trust_sources": (job.trust.describe(),),
                "timestamps": (),
                "adapter": adapter,
                "identity": None,
                "recognition": None,
            },
        )

    def _early(
        self, job: Job, name: str, sub: SubIndication, message: str, concerns: str | None = None
    ) -> Job:
        """End ``job`` before its signers are checked: ``job.early`` is the result."""
        ind = Indication.FAILED if sub in _FAILED else Indication.INDETERMINATE
        outcome = _OUT.FAILED if ind is Indication.FAILED else _OUT.INDETERMINATE
        job.checks.append(_check(name, outcome, message, concerns))
        job.early = self._result(job, ind, sub, message)
        return job


_PURPOSES = {"sign", "authenticate"}
_ASSURANCE = {"low", "substantial", "high"}


def options_for(purpose: str | None, require_assurance: str | None) -> dict[str, Any]:
    """The ``purpose`` and ``require_assurance`` options for the scheme adapters, checked."""
    if purpose is not None and purpose not in _PURPOSES:
        raise InvalidArgument(f"purpose must be 'sign' or 'authenticate', not {purpose!r}")
    if require_assurance is not None and require_assurance not in _ASSURANCE:
        raise InvalidArgument(
            f"require_assurance must be 'low', 'substantial' or 'high', not {require_assurance!r}"
        )
    out: dict[str, Any] = {}
    if purpose is not None:
        out["purpose"] = purpose
    if require_assurance is not None:
        out["require_assurance"] = require_assurance
    return out


def certificate_ders(source: Any) -> list[tuple[None, bytes, str]]:
    """(None, DER, label) per certificate; DER bytes are passed on without a parse here."""
    if isinstance(source, bytes) and source[:1] == b"\x30":
        # The certificate cache parses (and checks) it once; re-encoding it here would be
        # a second parse for nothing.
        return [(None, source, "certificate bytes")]
    return [(None, der, label) for _, der, label in load_certificates(source)]


def extra_certificates(
    extra_certs: Iterable[CertificateSource], job: Job
) -> list[tuple[bytes, str]]:
    """(DER, label) of each extra certificate; one that does not parse is reported and
    ignored, as extra certificates often come with the evidence from the same sender."""
    out: list[tuple[bytes, str]] = []
    for i, src in enumerate(iter_sources(extra_certs, "extra_certs")):
        try:
            out.extend((der, label) for _, der, label in load_certificates(src))
        except TrustStoreError as exc:
            if isinstance(src, os.PathLike) or (isinstance(src, str) and "-----BEGIN " not in src):
                raise  # a file of the caller's that cannot be read: the caller's to fix
            job.checks.append(
                _check(
                    "certificate-parse",
                    _OUT.WARNING,
                    f"extra certificate {i} cannot be used and is ignored: {exc}",
                    f"extra_certs[{i}]",
                )
            )
            job.warnings.append(f"extra certificate {i} is malformed and was ignored")
    return out


def iter_sources(value: object, name: str) -> list[Any]:
    """``value`` (one source or an iterable of them) as a list; ``name`` is the argument's."""
    if isinstance(value, (bytes, bytearray, str, os.PathLike)):
        return [value]
    if not isinstance(value, Iterable):
        raise InvalidArgument(
            f"{name} must be a list of paths or bytes, not {type(value).__name__}"
        )
    return list(value)


def coerce_crls(crls: object, name: str = "crls") -> tuple[bytes, ...]:
    """CRLs (or OCSP responses) as DER bytes, from bytes or paths."""
    if crls is None:
        return ()
    what = "an OCSP response" if name == "ocsp_responses" else "a CRL"
    out = []
    for item in iter_sources(crls, name):
        if isinstance(item, (bytes, bytearray, memoryview)):
            out.append(bytes(item))
        elif isinstance(item, (str, os.PathLike)):
            try:
                with open(item, "rb") as fh:
                    out.append(fh.read())
            except OSError as exc:
                kind = "OCSP response" if name == "ocsp_responses" else "CRL"
                raise InputError(f"cannot read {kind} file {item}: {exc.strerror or exc}") from None
        else:
            raise InvalidArgument(f"{what} must be DER bytes or a path, not {type(item).__name__}")
    return tuple(out)
