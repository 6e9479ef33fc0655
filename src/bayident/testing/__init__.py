"""Mock issuers and signature builders for testing code that uses bayident.

As light as trustme: a :class:`MockCA` issues sub-CAs and :class:`MockSigner` certificates,
and a signer makes detached CMS signatures::

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

Builders for unusual and hostile evidence (SignedData piece by piece, attributes, merged
JWS signatures, hostile trusted lists, damaged seals) are in :mod:`bayident.testing.hostile`;
their names still resolve here for tests written before that module existed.

The pytest fixtures ``bayident_clock``, ``bayident_ca``, ``bayident_intermediate_ca`` and
``bayident_signer`` come from :mod:`bayident.testing._plugin`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes

if TYPE_CHECKING:
    from bayident.testing._ca import KeyType, MockCA, MockSigner
    from bayident.testing._clock import Clock, MockClock
    from bayident.testing._cms import (
        Attribute as Attribute,
    )
    from bayident.testing._cms import (
        SignerSpec as SignerSpec,
    )
    from bayident.testing._cms import (
        SigningKey as SigningKey,
    )
    from bayident.testing._cms import (
        build_signed_data as build_signed_data,
    )
    from bayident.testing._cms import (
        content_type_attribute as content_type_attribute,
    )
    from bayident.testing._cms import (
        message_digest_attribute as message_digest_attribute,
    )
    from bayident.testing._cms import (
        signing_certificate_v1_attribute as signing_certificate_v1_attribute,
    )
    from bayident.testing._cms import (
        signing_certificate_v2_attribute as signing_certificate_v2_attribute,
    )
    from bayident.testing._cms import (
        signing_time_attribute as signing_time_attribute,
    )
    from bayident.testing._jwt import IssuerKeyType, JWKSServer, MockJWTIssuer
    from bayident.testing._jwt import merge_signatures as merge_signatures
    from bayident.testing._ofd import (
        OFD_FAULTS as OFD_FAULTS,
    )
    from bayident.testing._ofd import (
        SEAL_FAULTS as SEAL_FAULTS,
    )
    from bayident.testing._ofd import (
        MockOFDSigner,
        MockSealMaker,
        blank_ofd,
    )
    from bayident.testing._revocation import (
        MockCRLPublisher,
        MockOCSPResponder,
        RevocationServer,
        mock_revocation_transport,
    )
    from bayident.testing._revocation import (
        add_unsigned_attribute as add_unsigned_attribute,
    )
    from bayident.testing._revocation import (
        ocsp_revocation_choice as ocsp_revocation_choice,
    )
    from bayident.testing._revocation import (
        revocation_values_attribute as revocation_values_attribute,
    )
    from bayident.testing._schemes import (
        MUTUAL_RECOGNITION_POLICY,
        MockDigiSignCA,
        MockESignTrustCA,
        MockGuangdongCA,
        MockHongkongPostCA,
        SandboxProtectedHKID,
        listed_trust_store,
        sandbox_recognition_policy,
        sandbox_registry,
    )
    from bayident.testing._schemes_iamsmart import (
        MockIAmSmart,
        MockIAmSmartServer,
        MockIAmSmartUser,
    )
    from bayident.testing._schemes_tokens import MockGuangdongIdP, MockMacaoOneAccount
    from bayident.testing._sm2 import MockSM2CA, MockSM2Signer, issue_sm2_ca, issue_sm2_signer
    from bayident.testing._trustlist import (
        REGIONS,
        ListRoute,
        MockTrustListOperator,
        RegionProfile,
        TrustListServer,
        mock_transport,
    )
    from bayident.testing._trustlist import (
        hostile_etsi_xml as hostile_etsi_xml,
    )
    from bayident.testing._tsa import MockTSA

_NAMES = {
    "KeyType": "bayident.testing._ca",
    "MockCA": "bayident.testing._ca",
    "MockSigner": "bayident.testing._ca",
    "Clock": "bayident.testing._clock",
    "MockClock": "bayident.testing._clock",
    "Attribute": "bayident.testing._cms",
    "SignerSpec": "bayident.testing._cms",
    "SigningKey": "bayident.testing._cms",
    "build_signed_data": "bayident.testing._cms",
    "content_type_attribute": "bayident.testing._cms",
    "message_digest_attribute": "bayident.testing._cms",
    "signing_certificate_v1_attribute": "bayident.testing._cms",
    "signing_certificate_v2_attribute": "bayident.testing._cms",
    "signing_time_attribute": "bayident.testing._cms",
    "IssuerKeyType": "bayident.testing._jwt",
    "JWKSServer": "bayident.testing._jwt",
    "MockJWTIssuer": "bayident.testing._jwt",
    "merge_signatures": "bayident.testing._jwt",
    "OFD_FAULTS": "bayident.testing._ofd",
    "SEAL_FAULTS": "bayident.testing._ofd",
    "MockOFDSigner": "bayident.testing._ofd",
    "MockSealMaker": "bayident.testing._ofd",
    "blank_ofd": "bayident.testing._ofd",
    "MockCRLPublisher": "bayident.testing._revocation",
    "MockOCSPResponder": "bayident.testing._revocation",
    "MockTSA": "bayident.testing._tsa",
    "RevocationServer": "bayident.testing._revocation",
    "add_unsigned_attribute": "bayident.testing._revocation",
    "mock_revocation_transport": "bayident.testing._revocation",
    "ocsp_revocation_choice": "bayident.testing._revocation",
    "revocation_values_attribute": "bayident.testing._revocation",
    "MUTUAL_RECOGNITION_POLICY": "bayident.testing._schemes",
    "MockDigiSignCA": "bayident.testing._schemes",
    "MockESignTrustCA": "bayident.testing._schemes",
    "MockGuangdongCA": "bayident.testing._schemes",
    "MockHongkongPostCA": "bayident.testing._schemes",
    "SandboxProtectedHKID": "bayident.testing._schemes",
    "listed_trust_store": "bayident.testing._schemes",
    "sandbox_recognition_policy": "bayident.testing._schemes",
    "sandbox_registry": "bayident.testing._schemes",
    "MockIAmSmart": "bayident.testing._schemes_iamsmart",
    "MockIAmSmartServer": "bayident.testing._schemes_iamsmart",
    "MockIAmSmartUser": "bayident.testing._schemes_iamsmart",
    "MockGuangdongIdP": "bayident.testing._schemes_tokens",
    "MockMacaoOneAccount": "bayident.testing._schemes_tokens",
    "MockSM2CA": "bayident.testing._sm2",
    "MockSM2Signer": "bayident.testing._sm2",
    "issue_sm2_ca": "bayident.testing._sm2",
    "issue_sm2_signer": "bayident.testing._sm2",
    "REGIONS": "bayident.testing._trustlist",
    "ListRoute": "bayident.testing._trustlist",
    "MockTrustListOperator": "bayident.testing._trustlist",
    "RegionProfile": "bayident.testing._trustlist",
    "TrustListServer": "bayident.testing._trustlist",
    "hostile_etsi_xml": "bayident.testing._trustlist",
    "mock_transport": "bayident.testing._trustlist",
}
__getattr__, __dir__ = lazy_attributes(__name__, _NAMES, globals())

__all__ = [
    "MUTUAL_RECOGNITION_POLICY",
    "REGIONS",
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
    "TrustListServer",
    "blank_ofd",
    "issue_sm2_ca",
    "issue_sm2_signer",
    "listed_trust_store",
    "mock_revocation_transport",
    "mock_transport",
    "sandbox_recognition_policy",
    "sandbox_registry",
]
