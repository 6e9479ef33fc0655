"""Mock issuers and signature builders for testing code that uses bayident.

As light as trustme: a :class:`MockCA` issues sub-CAs and :class:`MockSigner` certificates,
a signer makes detached CMS signatures, and :func:`build_signed_data` with
:class:`SignerSpec` builds any SignedData, including hostile ones::

    from bayident.testing import MockCA, MockClock

    clock = MockClock(datetime(2026, 1, 1, tzinfo=UTC))
    root = MockCA("Sandbox Hong Kong Root CA", clock=clock)
    signer = root.create_child_ca("Sandbox e-Cert CA").issue_signer("CHAN Tai Man")
    cms = signer.sign_detached_cms(b"content")

SM2 (Guangdong) PKIs and GB/T 35275 signatures come from :class:`MockSM2CA`, which needs
the ``sm`` extra. Sealed OFD documents come from :class:`MockSealMaker` and
:class:`MockOFDSigner` (the ``sm`` extra too).

Every scheme of :mod:`bayident.schemes` has a mock issuer: :class:`MockHongkongPostCA`,
:class:`MockDigiSignCA`, :class:`MockESignTrustCA`, :class:`MockGuangdongCA`,
:class:`MockIAmSmart`, :class:`MockGuangdongIdP` and :class:`MockMacaoOneAccount`; use
them with :func:`sandbox_registry` (see ``docs/schemes/index.md``).

The pytest fixtures ``bayident_clock``, ``bayident_ca``, ``bayident_intermediate_ca`` and
``bayident_signer`` come from :mod:`bayident.testing._plugin`.
"""

from __future__ import annotations

from bayident.testing._ca import KeyType, MockCA, MockSigner
from bayident.testing._clock import Clock, MockClock
from bayident.testing._cms import (
    Attribute,
    SignerSpec,
    SigningKey,
    build_signed_data,
    content_type_attribute,
    message_digest_attribute,
    signing_certificate_v1_attribute,
    signing_certificate_v2_attribute,
    signing_time_attribute,
)
from bayident.testing._jwt import IssuerKeyType, JWKSServer, MockJWTIssuer, merge_signatures
from bayident.testing._ofd import OFD_FAULTS, SEAL_FAULTS, MockOFDSigner, MockSealMaker, blank_ofd
from bayident.testing._revocation import (
    MockCRLPublisher,
    MockOCSPResponder,
    MockTSA,
    RevocationServer,
    add_unsigned_attribute,
    mock_revocation_transport,
    ocsp_revocation_choice,
    revocation_values_attribute,
)
from bayident.testing._schemes import (
    MUTUAL_RECOGNITION_POLICY,
    MockDigiSignCA,
    MockESignTrustCA,
    MockGuangdongCA,
    MockHongkongPostCA,
    SandboxProtectedHKID,
    listed_trust_store,
    sandbox_registry,
)
from bayident.testing._schemes_iamsmart import MockIAmSmart, MockIAmSmartServer, MockIAmSmartUser
from bayident.testing._schemes_tokens import MockGuangdongIdP, MockMacaoOneAccount
from bayident.testing._sm2 import MockSM2CA, MockSM2Signer, issue_sm2_ca, issue_sm2_signer
from bayident.testing._trustlist import (
    REGIONS,
    ListRoute,
    MockTrustListOperator,
    RegionProfile,
    TrustListServer,
    hostile_etsi_xml,
    mock_transport,
)

__all__ = [
    "MUTUAL_RECOGNITION_POLICY",
    "OFD_FAULTS",
    "REGIONS",
    "SEAL_FAULTS",
    "Attribute",
    "Clock",
    "IssuerKeyType",
    "JWKSServer",
    "KeyType",
    "ListRoute",
    "MockCA",
    "MockCRLPublisher",
    "MockClock",
    "MockDigiSignCA",
    "MockESignTrustCA",
    "MockGuangdongCA",
    "MockGuangdongIdP",
    "MockHongkongPostCA",
    "MockIAmSmart",
    "MockIAmSmartServer",
    "MockIAmSmartUser",
    "MockJWTIssuer",
    "MockMacaoOneAccount",
    "MockOCSPResponder",
    "MockOFDSigner",
    "MockSM2CA",
    "MockSM2Signer",
    "MockSealMaker",
    "MockSigner",
    "MockTSA",
    "MockTrustListOperator",
    "RegionProfile",
    "RevocationServer",
    "SandboxProtectedHKID",
    "SignerSpec",
    "SigningKey",
    "TrustListServer",
    "add_unsigned_attribute",
    "blank_ofd",
    "build_signed_data",
    "content_type_attribute",
    "hostile_etsi_xml",
    "issue_sm2_ca",
    "issue_sm2_signer",
    "listed_trust_store",
    "merge_signatures",
    "message_digest_attribute",
    "mock_revocation_transport",
    "mock_transport",
    "ocsp_revocation_choice",
    "revocation_values_attribute",
    "sandbox_registry",
    "signing_certificate_v1_attribute",
    "signing_certificate_v2_attribute",
    "signing_time_attribute",
]
