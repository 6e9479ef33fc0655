"""Pivot lists: how the EU list of lists announces a change of its signers.

The list of lists names, in ``SchemeInformationURI``, the *pivot* lists
published each time its signer certificates changed. Starting from the
certificates published in the Official Journal, a relying party walks the
pivots oldest first: each must be signed by a certificate it already trusts,
and its pointer to itself names the certificates trusted from then on. The
current list must then be signed by one of those.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography import x509

from ._document import TrustListDocument
from ._model import PIVOT_URL_PATTERN, TrustedList, is_pivot_url
from ._validate import SignerSpec, _spki_of

__all__ = ["PIVOT_URL_PATTERN", "PivotOutcome", "is_pivot_url", "resolve_pivots"]


@dataclass(frozen=True)
class PivotOutcome:
    """The signers trusted after walking the pivots, or why the walk stopped."""

    signers: tuple[SignerSpec, ...]
    ok: bool
    reason: str
    walked: tuple[str, ...] = ()


def _self_pointer_signers(tl: TrustedList, url: str | None) -> list[x509.Certificate]:
    for p in tl.pointers:
        if p.is_list_of_lists and (
            url is None or p.location == url or (p.territory or "") == tl.territory
        ):
            return p.x509_signers()
    return []


def resolve_pivots(
    pinned: Sequence[SignerSpec],
    pivots: Iterable[TrustListDocument],
    *,
    lotl_url: str | None = None,
) -> PivotOutcome:
    """Walk ``pivots`` (in any order; sorted by sequence number) from the ``pinned`` signers.

    Each pivot must have a valid signature by a currently trusted signer; its
    pointer to the list of lists then replaces the trusted signers. Returns
    the signers to check the current list of lists against.
    """
    trusted: list[SignerSpec] = list(pinned)
    docs = list(pivots)
    for d in docs:
        if not d.valid or d.trusted_list is None:
            return PivotOutcome(tuple(trusted), False, f"pivot {d.describe()}")
    ordered = sorted(docs, key=lambda d: d.trusted_list.sequence_number if d.trusted_list else 0)
    walked: list[str] = []
    for d in ordered:
        tl = d.trusted_list
        assert tl is not None
        if d.signer_spki is None or d.signer_spki not in {_spki_of(c) for c in trusted}:
            who = (
                d.signer_certificate.subject.rfc4514_string()
                if d.signer_certificate is not None
                else "an unnamed key"
            )
            return PivotOutcome(
                tuple(trusted),
                False,
                f"pivot {d.source} (#{tl.sequence_number}) is signed by '{who}', not by a signer "
                "trusted at that point",
                tuple(walked),
            )
        nxt = _self_pointer_signers(tl, lotl_url)
        if not nxt:
            return PivotOutcome(
                tuple(trusted),
                False,
                f"pivot {d.source} (#{tl.sequence_number}) has no pointer to the list of lists "
                "naming its next signers",
                tuple(walked),
            )
        trusted = list(nxt)
        walked.append(d.source)
    return PivotOutcome(tuple(trusted), True, f"{len(walked)} pivot(s) walked", tuple(walked))
