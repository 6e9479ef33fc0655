"""The OFD evidence handler: recognises a package cheaply, verifies it on demand.

The engine (and lxml, which it parses XML with) is imported at the first OFD verified,
so ``import bayident`` stays light and works without the extras.
"""

from __future__ import annotations

from .._handlers import EvidenceContext
from .._result import Check, CheckOutcome, Indication, SubIndication, VerificationResult, _build

__all__ = ["HANDLER", "OFDHandler"]

_INSTALL = "pip install 'bayident[sm]'"


class OFDHandler:
    """OFD packages (GB/T 33190) with electronic seals and signatures, for ``verify()``."""

    name = "ofd"

    def claims(self, raw: bytes) -> bool:
        """A ZIP (``PK\\x03\\x04``) that names an ``OFD.xml``."""
        return raw[:4] == b"PK\x03\x04" and b"OFD.xml" in raw

    def verify(self, ctx: EvidenceContext) -> VerificationResult:
        """Verify every signature in the package; never raises for bad evidence."""
        try:
            from ._verify import Run
        except ImportError as exc:
            return _unavailable(ctx, exc)
        return Run(ctx).run()


def _unavailable(ctx: EvidenceContext, exc: ImportError) -> VerificationResult:
    # OFD needs lxml (hardened XML) and tongsuopy (SM2), both in the 'sm' extra; without
    # them nothing can be decided, as for any SM2 signature without the extra.
    message = (
        f"OFD documents need the optional 'sm' extra: {_INSTALL} ({type(exc).__name__}: {exc})"
    )
    ctx.checks.append(
        _build(
            Check,
            {
                "name": "ofd-container",
                "outcome": CheckOutcome.INDETERMINATE,
                "message": message,
                "concerns": "evidence",
                "signer": None,
            },
        )
    )
    make = ctx.make_result
    assert make is not None
    return make(
        Indication.INDETERMINATE,
        SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
        message,
        (),
        evidence_format="ofd",
    )


HANDLER = OFDHandler()
