"""bayident: verify Hong Kong, Macau and Guangdong e-signatures and identities.

Start with :func:`verify`::

    import bayident
    result = bayident.verify("form.pdf.p7s", content="form.pdf", trust=["root.pem"])
    if result.passed:
        ...
    print(result.explain())
"""

from __future__ import annotations

from ._exceptions import BayidentError, InputError, InvalidArgument, PolicyError, TrustStoreError
from ._identity import Assurance, AssuranceLevel, Identity, IdentityIdentifier, Recognition
from ._policy import Policy
from ._result import (
    CertificateInfo,
    Check,
    CheckOutcome,
    Indication,
    RevocationInfo,
    SignerReport,
    SubIndication,
    TimestampInfo,
    VerificationResult,
)
from ._trust import TrustAnchor, TrustStore
from ._verifier import Verifier, averify, verify

__version__ = "0.1.0"

__all__ = [
    "Assurance",
    "AssuranceLevel",
    "BayidentError",
    "CertificateInfo",
    "Check",
    "CheckOutcome",
    "Identity",
    "IdentityIdentifier",
    "Indication",
    "InputError",
    "InvalidArgument",
    "Policy",
    "PolicyError",
    "Recognition",
    "RevocationInfo",
    "SignerReport",
    "SubIndication",
    "TimestampInfo",
    "TrustAnchor",
    "TrustStore",
    "TrustStoreError",
    "VerificationResult",
    "Verifier",
    "__version__",
    "averify",
    "verify",
]

from . import jose as _jose  # noqa: F401  # registers the JWS evidence handler
from . import ofd as _ofd  # noqa: F401  # registers the OFD evidence handler
from . import schemes as _schemes  # noqa: F401  # registers the scheme adapters
