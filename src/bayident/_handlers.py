"""Evidence handlers: how formats other than CMS plug into ``verify()``.

A handler recognises the evidence bytes it understands and turns them into
a :class:`~bayident.VerificationResult`. CMS is built in; the other formats bayident
reads (scheme envelopes, JWS, OFD) are handlers named in ``bayident._defaults``, which a
verifier loads on its first verification. A verifier asks, in order, the handlers it was
given (``Verifier(handlers=[...])``), then the built-in ones, before CMS; the first that
claims the bytes decides. Result enrichers (``Verifier(enrichers=[...])``) run on every
result after the built-in one (the scheme adapters').
"""

from __future__ import annotations

import datetime as _dt
import threading
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ._input import Content
    from ._path import PathOutcome
    from ._policy import Policy
    from ._result import Check, VerificationResult
    from ._trust import TrustStore

__all__ = [
    "EnrichmentContext",
    "EvidenceContext",
    "EvidenceHandler",
    "ResultEnricher",
    "register_evidence_handler",
    "register_result_enricher",
]


@dataclass
class EvidenceContext:
    """What a handler gets from the verifier for one verification."""

    raw: bytes
    label: str  # where the evidence came from, e.g. "file form.jws"
    content: Content | None
    at: _dt.datetime
    policy: Policy
    trust: TrustStore
    extra_certs: Sequence[bytes]
    # Validate a certificate chain (leaf DER, other certificates DER) like a CMS signer's;
    # raises ValueError when a certificate cannot be parsed.
    validate_chain: Callable[[bytes, Sequence[bytes]], PathOutcome]
    http_client: Any = None
    async_http_client: Any = None
    options: dict[str, Any] = field(default_factory=dict)
    # Build the final result with the verifier's conventions.
    make_result: Callable[..., VerificationResult] | None = None
    checks: list[Check] = field(default_factory=list)
    # The Verifier running this verification: a nested verification (a CMS inside a
    # scheme envelope) runs through it and keeps its clients, clock and caches.
    verifier: Any = None
    # The verifier's scheme registry (a bayident.schemes.SchemeRegistry).
    schemes: Any = None


class EvidenceHandler(Protocol):
    name: str

    def claims(self, raw: bytes) -> bool:
        """Whether the bytes are in this handler's format (cheap, no full parse)."""

    def verify(self, ctx: EvidenceContext) -> VerificationResult:
        """Verify; never raise for bad evidence.

        A handler may also define ``async def averify(ctx)``, used by
        :meth:`Verifier.averify` (for example to fetch a JWKS without blocking);
        otherwise ``verify`` runs in a worker thread there.
        """


# Handlers and enrichers added with the deprecated process-wide functions below; every
# verifier still asks them, after its own and before the built-in ones. Nothing in bayident
# adds to them: configuration belongs on the Verifier (``handlers=``, ``enrichers=``).
_LEGACY_HANDLERS: list[EvidenceHandler] = []
_LEGACY_ENRICHERS: list[ResultEnricher] = []
_LOCK = threading.Lock()


def register_evidence_handler(handler: EvidenceHandler, *, first: bool = False) -> None:
    """Deprecated: pass the handler to the verifier, ``Verifier(handlers=[handler])``.

    Adds ``handler`` to a process-wide list that every verifier asks after its own
    handlers and before the built-in ones (``first=True`` puts it ahead of those added
    before it). A handler whose ``name`` is already there is left where it is.
    """
    warnings.warn(
        "register_evidence_handler() changes every verifier of the process; pass the handler "
        "to the verifier instead: Verifier(handlers=[handler])",
        DeprecationWarning,
        stacklevel=2,
    )
    with _LOCK:
        if any(h.name == handler.name for h in _LEGACY_HANDLERS):
            return
        if first:
            _LEGACY_HANDLERS.insert(0, handler)
        else:
            _LEGACY_HANDLERS.append(handler)


def handler_for(raw: bytes, handlers: Sequence[EvidenceHandler]) -> EvidenceHandler | None:
    """The first of ``handlers`` that claims ``raw``, or None (the evidence is CMS)."""
    for h in handlers:
        if h.claims(raw):
            return h
    return None


@dataclass
class EnrichmentContext:
    """What a result enricher (a scheme adapter) gets after a verification."""

    at: _dt.datetime
    policy: Policy
    trust: TrustStore
    options: dict[str, Any]  # "purpose", "require_assurance" when the caller gave them
    # Per signer: (index, signer certificate DER or None, path certificates DER leaf first,
    # the trust anchor or None). For evidence handlers' results: each chain the handler
    # validated successfully through ``EvidenceContext.validate_chain``, in order.
    signers: list[tuple[int, bytes | None, list[bytes], Any]]
    # Parses certificate DER through the verifier's cache (the signers' certificates are
    # there already); None: parse afresh.
    load: Callable[[bytes], Any] | None = None
    # The scheme the evidence must belong to (Verifier.expected_scheme), or None.
    expected_scheme: str | None = None
    # The verifier's scheme registry (a bayident.schemes.SchemeRegistry).
    schemes: Any = None


ResultEnricher = Callable[["VerificationResult", EnrichmentContext], "VerificationResult"]


def register_result_enricher(enricher: ResultEnricher) -> None:
    """Deprecated: pass the enricher to the verifier, ``Verifier(enrichers=[enricher])``.

    Adds ``enricher`` to a process-wide list that every verifier runs after its own
    enrichers and the built-in ones.
    """
    warnings.warn(
        "register_result_enricher() changes every verifier of the process; pass the enricher "
        "to the verifier instead: Verifier(enrichers=[enricher])",
        DeprecationWarning,
        stacklevel=2,
    )
    with _LOCK:
        if enricher not in _LEGACY_ENRICHERS:
            _LEGACY_ENRICHERS.append(enricher)
