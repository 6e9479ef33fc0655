"""Scheme adapters: the identity and e-signature schemes of Hong Kong, Macau and Guangdong.

Each scheme is a plug-in. *Certificate adapters* recognise the certificates a scheme's CAs
issue and turn a verified signer into an :class:`~bayident.Identity`; *evidence adapters*
verify evidence that is not a plain signature (iAM Smart callbacks, identity tokens)::

    import bayident
    from bayident.schemes import scheme_evidence

    result = bayident.verify(cms, content=form, trust=store)       # an e-Cert signature
    result.identity.scheme                                          # 'hkpost-ecert'

    token = scheme_evidence("gd-uia", "id-token", {"token": jwt})  # a Guangdong token
    result = bayident.verify(token, purpose="authenticate", require_assurance="substantial")
    result.recognition.rule                                         # the rule that decided

Built in: ``hkpost-ecert``, ``digisign``, ``esigntrust``, ``gdca``, ``netca``
(certificates), ``iamsmart``, ``gd-uia``, ``mo-one-account`` (evidence). Third-party
adapters are published under the ``bayident.schemes`` entry-point group and loaded on
first use. Configure adapters and the recognition policy on a :class:`SchemeRegistry`,
and give it to the verifiers that should use it (``Verifier(schemes=registry)``); a
verifier given none uses :func:`default_registry`.
See ``docs/schemes/index.md``.
"""

from __future__ import annotations

from .._trust import catalogue_anchors, trust_store_from_catalogue
from .._verify_as import averify_as, verify_as
from ._base import (
    ENTRY_POINT_GROUP,
    EVIDENCE_MARKER,
    MAX_SCHEME_EVIDENCE_BYTES,
    CertificateAdapter,
    CertificateView,
    EvidenceAdapter,
    ProfileError,
    ProfileMatch,
    SchemeAdapter,
    SchemeEvidence,
    SchemeFailure,
    SchemeRegistry,
    parse_scheme_evidence,
    scheme_evidence,
)
from ._builtin import builtin_adapters, default_registry
from ._certprofile import CertificateProfile, ProfileAdapter
from ._dispatch import EVIDENCE_FORMAT, apply_recognition, identify_certificate
from ._hkid import HKIDMatch, identity_matches_hkid
from ._recognition import (
    CROSS_BORDER_2023,
    CertificateRecognitionPolicy,
    IdentityRule,
    RecognitionOutcome,
    Recognizer,
    default_identity_rules,
    iamsmart_without_binding_rule,
)
from ._roots import (
    ROOT_CATALOGUE,
    CatalogueRoot,
    catalogue_root,
    impersonated_root,
    pinned_fingerprint,
)
from ._tokens import TokenAdapter, TokenProfile
from .digisign import DigiSignAdapter
from .esigntrust import ESignTrustAdapter
from .guangdong import GuangdongIdentityAdapter
from .guangdong_ca import GuangdongCAAdapter
from .hkpost import HongkongPostAdapter
from .iamsmart import IAmSmartAdapter
from .macao import MacaoOneAccountAdapter

__all__ = [
    "CROSS_BORDER_2023",
    "ENTRY_POINT_GROUP",
    "EVIDENCE_FORMAT",
    "EVIDENCE_MARKER",
    "MAX_SCHEME_EVIDENCE_BYTES",
    "ROOT_CATALOGUE",
    "CatalogueRoot",
    "CertificateAdapter",
    "CertificateProfile",
    "CertificateRecognitionPolicy",
    "CertificateView",
    "DigiSignAdapter",
    "ESignTrustAdapter",
    "EvidenceAdapter",
    "GuangdongCAAdapter",
    "GuangdongIdentityAdapter",
    "HKIDMatch",
    "HongkongPostAdapter",
    "IAmSmartAdapter",
    "IdentityRule",
    "MacaoOneAccountAdapter",
    "ProfileAdapter",
    "ProfileError",
    "ProfileMatch",
    "RecognitionOutcome",
    "Recognizer",
    "SchemeAdapter",
    "SchemeEvidence",
    "SchemeFailure",
    "SchemeRegistry",
    "TokenAdapter",
    "TokenProfile",
    "apply_recognition",
    "averify_as",
    "builtin_adapters",
    "catalogue_anchors",
    "catalogue_root",
    "default_identity_rules",
    "default_registry",
    "iamsmart_without_binding_rule",
    "identify_certificate",
    "identity_matches_hkid",
    "impersonated_root",
    "parse_scheme_evidence",
    "pinned_fingerprint",
    "scheme_evidence",
    "trust_store_from_catalogue",
    "verify_as",
]
