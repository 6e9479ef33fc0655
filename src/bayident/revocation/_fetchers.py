"""What one validation's revocation check obtained, by certificate: served data and failures.

The check (:mod:`._pathcheck`) records, per certificate, each OCSP response and
CRL it fetched or took from the supplied data, and each fetch that failed; this
is how a result says where each status came from and what was tried.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Recorder", "Served"]


@dataclass
class Served:
    """One piece of revocation data handed to the validator for a certificate, or a failure."""

    kind: Literal["ocsp", "crl"]
    origin: Literal["fetched", "embedded", "caller"]
    url: str | None
    parsed: Any = None
    from_cache: bool = False
    error: str | None = None
    cache_key: Hashable | None = None
    for_issuer: Any = None  # the issuer Name of the certificate it was fetched for


@dataclass
class Recorder:
    """What the fetchers of one validation served, by certificate (SHA-256 of its DER)."""

    by_cert: dict[bytes, list[Served]] = field(default_factory=dict)

    def add(self, cert: Any, served: Served) -> None:
        self.by_cert.setdefault(cert.sha256, []).append(served)

    def for_cert(self, cert: Any) -> list[Served]:
        return self.by_cert.get(cert.sha256, [])

    def all(self) -> Iterable[Served]:
        for items in self.by_cert.values():
            yield from items
