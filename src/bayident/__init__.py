"""bayident: verify Hong Kong, Macau and Guangdong e-signatures and identities.

Start with :func:`verify`::

    import bayident
    result = bayident.verify("form.pdf.p7s", content="form.pdf", trust=["root.pem"])
    if result.passed:
        ...
    print(result.explain())
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._exceptions import (
    BayidentError,
    InputError,
    InvalidArgument,
    MissingExtraError,
    PolicyError,
    ResultError,
    TrustStoreError,
)
from ._lazy import lazy_attributes

__version__ = "0.1.0"

if TYPE_CHECKING:
    from ._identity import (
        Assurance,
        AssuranceLevel,
        ConsentRecord,
        Identity,
        IdentityBinding,
        IdentityIdentifier,
        Recognition,
    )
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

_NAMES = {
    "Assurance": "._identity",
    "AssuranceLevel": "._identity",
    "ConsentRecord": "._identity",
    "Identity": "._identity",
    "IdentityBinding": "._identity",
    "IdentityIdentifier": "._identity",
    "Recognition": "._identity",
    "Policy": "._policy",
    "CertificateInfo": "._result",
    "Check": "._result",
    "CheckOutcome": "._result",
    "Indication": "._result",
    "RevocationInfo": "._result",
    "SignerReport": "._result",
    "SubIndication": "._result",
    "TimestampInfo": "._result",
    "VerificationResult": "._result",
    "TrustAnchor": "._trust",
    "TrustStore": "._trust",
    "Verifier": "._verifier",
    "averify": "._verifier",
    "verify": "._verifier",
}
__getattr__, __dir__ = lazy_attributes(__name__, _NAMES, globals())

__all__ = [
    "Assurance",
    "AssuranceLevel",
    "BayidentError",
    "CertificateInfo",
    "Check",
    "CheckOutcome",
    "ConsentRecord",
    "Identity",
    "IdentityBinding",
    "IdentityIdentifier",
    "Indication",
    "InputError",
    "InvalidArgument",
    "MissingExtraError",
    "Policy",
    "PolicyError",
    "Recognition",
    "ResultError",
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
