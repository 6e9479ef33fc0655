"""Evidence handlers: how formats other than CMS plug into ``verify()``.

A handler recognises the evidence bytes it understands and turns them into
a :class:`~bayident.VerificationResult`. CMS is built in; detached JWS and
scheme adapters register here. Handlers are tried in registration order
before CMS (a handler registered with ``first=True`` goes ahead of those
registered before it); the first that claims the bytes decides.
"""

from __future__ import annotations

import datetime as _dt
import threading
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


_HANDLERS: list[EvidenceHandler] = []
_LOCK = threading.Lock()


def register_evidence_handler(handler: EvidenceHandler, *, first: bool = False) -> None:
    """Add a handler (for example a scheme adapter).

    Handlers are asked in order whether they claim the evidence bytes, and the first
    that does decides. A handler is added after those registered before it, or, with
    ``first=True``, ahead of them: for a format whose detection is more specific than
    an earlier handler's (one that would otherwise claim its bytes too). A handler whose
    ``name`` is already registered is left where it is.
    """
    with _LOCK:
        if any(h.name == handler.name for h in _HANDLERS):
            return
        if first:
            _HANDLERS.insert(0, handler)
        else:
            _HANDLERS.append(handler)


# The formats and adapters bayident ships, loaded the first time a verification asks for a
# handler or an enricher rather than as a side effect of ``import bayident`` (which stays
# cheap: a pytest plugin or a CLI start pays only for what it uses).
_BUILTIN_MODULES = ("bayident.jose", "bayident.ofd", "bayident.schemes")
_builtins_loaded = False


def _load_builtins() -> None:
    global _builtins_loaded
    if _builtins_loaded:
        return
    import importlib

    for name in _BUILTIN_MODULES:
        importlib.import_module(name)  # registers its handlers and enrichers
    _builtins_loaded = True


def handler_for(raw: bytes) -> EvidenceHandler | None:
    _load_builtins()
    for h in list(_HANDLERS):
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


ResultEnricher = Callable[["VerificationResult", EnrichmentContext], "VerificationResult"]
_ENRICHERS: list[ResultEnricher] = []


def register_result_enricher(enricher: ResultEnricher) -> None:
    """Run ``enricher`` on every result ``verify()`` produces (e.g. to attach an Identity).

    It returns the result to pass on: the same one, or a copy with more filled in. It
    must never turn a non-PASSED result into PASSED.
    """
    with _LOCK:
        if enricher not in _ENRICHERS:
            _ENRICHERS.append(enricher)


def result_enrichers() -> tuple[ResultEnricher, ...]:
    _load_builtins()
    return tuple(_ENRICHERS)
