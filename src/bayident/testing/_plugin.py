"""pytest fixtures for testing code that verifies bayident evidence.

Registered automatically (entry point ``pytest11: bayident``) when bayident is installed;
otherwise enable it with ``-p bayident.testing._plugin``. The plugin imports nothing of
bayident until a test asks for one of its fixtures, so it costs nothing at pytest start.

**One clock.** Every fixture starts at one instant, ``bayident_start``: the real time at
which the test session asked for its first bayident fixture, to the second. Certificates
are valid from one day before it, so a fixture signature verifies both with
``at=bayident_clock.now()`` and with no ``at`` at all (real time), and a test can move
``bayident_clock`` forward to see a certificate expire.

Fixtures (scope in brackets):

``bayident_start`` [session]
    The instant every fixture starts at (an aware UTC datetime).
``bayident_clock`` [function]
    A fresh :class:`~bayident.testing.MockClock` at ``bayident_start``; advance it freely.
``bayident_ca``, ``bayident_intermediate_ca`` [session], ``bayident_signer`` [function]
    A generic RSA root "Sandbox Hong Kong Root CA", an EC sub-CA "Sandbox e-Cert CA" and a
    fresh EC signer under it (its ``chain`` is ``[signer, intermediate]``).
``bayident_hkpost_ca`` [session], ``bayident_ecert_signer`` [function]
    A Hongkong Post-like hierarchy (:class:`~bayident.testing.MockHongkongPostCA`) and a
    fresh e-Cert (Personal) signer from it.
``bayident_esigntrust_ca`` [session]
    A Macau eSignTrust-like hierarchy (:class:`~bayident.testing.MockESignTrustCA`).
``bayident_gdca_sm2_ca`` [session]
    A GDCA-like SM2 hierarchy (:class:`~bayident.testing.MockGuangdongCA`); the test is
    skipped, with the reason, when the ``sm`` extra is not installed.
``bayident_iamsmart`` [session], ``bayident_iamsmart_server`` [session]
    A mock iAM Smart (:class:`~bayident.testing.MockIAmSmart`, its signing certificates
    from ``bayident_hkpost_ca``) and the same served over HTTP on 127.0.0.1.
``bayident_jwt_issuer`` [function], ``bayident_jwks_server`` [function]
    A JWT/JWS issuer (:class:`~bayident.testing.MockJWTIssuer`) and its JWKS served on
    127.0.0.1 (``bayident_jwks_server.url``).
``bayident_revocation_server`` [session]
    A :class:`~bayident.testing.RevocationServer` on 127.0.0.1 serving
    ``bayident_ocsp_responder`` (for ``bayident_intermediate_ca``),
    ``bayident_crl_publisher`` (for ``bayident_ca``) and ``bayident_tsa`` [all session]:
    issue a signer with ``ocsp_url=bayident_ocsp_responder.url`` to have it checked.
``bayident_trust_list_operator`` [session], ``bayident_trust_list_server`` [session]
    A Hong Kong trust-list operator (:class:`~bayident.testing.MockTrustListOperator`)
    and a :class:`~bayident.testing.TrustListServer` on 127.0.0.1; serve its
    ``etsi_xml()`` or ``json_jws()`` with ``server.serve(path, body)``.
``bayident_ofd_kit`` [session]
    An :class:`OFDKit`: an SM2 root, a seal maker, a seal holder, the V4 seal made for
    the holder and a :class:`~bayident.testing.MockOFDSigner` applying it (needs the
    ``sm`` extra; skips without it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from bayident.testing import (
        JWKSServer,
        MockCA,
        MockClock,
        MockCRLPublisher,
        MockESignTrustCA,
        MockGuangdongCA,
        MockHongkongPostCA,
        MockIAmSmart,
        MockIAmSmartServer,
        MockJWTIssuer,
        MockOCSPResponder,
        MockSigner,
        MockTrustListOperator,
        MockTSA,
        RevocationServer,
        TrustListServer,
    )
    from bayident.testing._ofd import MockOFDSigner, MockSealMaker
    from bayident.testing._sm2 import MockSM2CA, MockSM2Signer

__all__ = [
    "bayident_ca",
    "bayident_clock",
    "bayident_crl_publisher",
    "bayident_ecert_signer",
    "bayident_esigntrust_ca",
    "bayident_gdca_sm2_ca",
    "bayident_hkpost_ca",
    "bayident_iamsmart",
    "bayident_iamsmart_server",
    "bayident_intermediate_ca",
    "bayident_jwks_server",
    "bayident_jwt_issuer",
    "bayident_ocsp_responder",
    "bayident_ofd_kit",
    "bayident_revocation_server",
    "bayident_signer",
    "bayident_start",
    "bayident_trust_list_operator",
    "bayident_trust_list_server",
    "bayident_tsa",
]


@pytest.fixture(scope="session")
def bayident_start() -> datetime:
    """The instant every bayident fixture starts at: real time, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="session")
def _bayident_session_clock(bayident_start: datetime) -> MockClock:
    # The session-wide mocks share one clock that never moves, so no test's clock changes
    # what another test's certificates say.
    from bayident.testing import MockClock

    return MockClock(bayident_start)


@pytest.fixture
def bayident_clock(bayident_start: datetime) -> MockClock:
    """A fresh mock clock at :func:`bayident_start` for each test."""
    from bayident.testing import MockClock

    return MockClock(bayident_start)


# --- generic PKI ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def bayident_ca(_bayident_session_clock: MockClock) -> MockCA:
    """A session-wide RSA root CA."""
    from bayident.testing import MockCA

    return MockCA("Sandbox Hong Kong Root CA", clock=_bayident_session_clock)


@pytest.fixture(scope="session")
def bayident_intermediate_ca(bayident_ca: MockCA) -> MockCA:
    """A session-wide EC sub-CA of :func:`bayident_ca`."""
    return bayident_ca.create_child_ca("Sandbox e-Cert CA", key_type="ec", path_length=0)


@pytest.fixture
def bayident_signer(bayident_intermediate_ca: MockCA) -> MockSigner:
    """A fresh EC signer issued by :func:`bayident_intermediate_ca`."""
    return bayident_intermediate_ca.issue_signer("Sandbox Signer")


# --- scheme issuers --------------------------------------------------------------------


@pytest.fixture(scope="session")
def bayident_hkpost_ca(_bayident_session_clock: MockClock) -> MockHongkongPostCA:
    """A Hongkong Post-like root with its e-Cert and iAM Smart-Cert issuing CAs."""
    from bayident.testing import MockHongkongPostCA

    return MockHongkongPostCA(clock=_bayident_session_clock)


@pytest.fixture
def bayident_ecert_signer(bayident_hkpost_ca: MockHongkongPostCA) -> MockSigner:
    """A fresh e-Cert (Personal) signer, "CHAN Tai Man"."""
    return bayident_hkpost_ca.issue_personal("CHAN Tai Man", srn="0012345678")


@pytest.fixture(scope="session")
def bayident_esigntrust_ca(_bayident_session_clock: MockClock) -> MockESignTrustCA:
    """A Macau eSignTrust-like root with its qualified and normalised issuing CAs."""
    from bayident.testing import MockESignTrustCA

    return MockESignTrustCA(clock=_bayident_session_clock)


@pytest.fixture(scope="session")
def bayident_gdca_sm2_ca(_bayident_session_clock: MockClock) -> MockGuangdongCA:
    """A GDCA-like SM2 root and issuing CA; skips the test without the ``sm`` extra."""
    from bayident import BayidentError
    from bayident.testing import MockGuangdongCA

    try:
        return MockGuangdongCA(algorithm="sm2", clock=_bayident_session_clock)
    except (BayidentError, ImportError) as exc:
        pytest.skip(f"an SM2 CA needs the sm extra (pip install 'bayident[sm]'): {exc}")


@pytest.fixture(scope="session")
def bayident_iamsmart(
    _bayident_session_clock: MockClock, bayident_hkpost_ca: MockHongkongPostCA
) -> MockIAmSmart:
    """A mock iAM Smart whose signing certificates come from :func:`bayident_hkpost_ca`."""
    from bayident.testing import MockIAmSmart

    return MockIAmSmart(clock=_bayident_session_clock, hongkong_post=bayident_hkpost_ca)


@pytest.fixture(scope="session")
def bayident_iamsmart_server(bayident_iamsmart: MockIAmSmart) -> Iterator[MockIAmSmartServer]:
    """:func:`bayident_iamsmart` served over HTTP on 127.0.0.1 (``.url``)."""
    from bayident.testing import MockIAmSmartServer

    server = MockIAmSmartServer(bayident_iamsmart).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def bayident_jwt_issuer(bayident_clock: MockClock) -> MockJWTIssuer:
    """A fresh ES256 JWT/JWS issuer on :func:`bayident_clock`."""
    from bayident.testing import MockJWTIssuer

    return MockJWTIssuer(clock=bayident_clock)


@pytest.fixture
def bayident_jwks_server(bayident_jwt_issuer: MockJWTIssuer) -> Iterator[JWKSServer]:
    """The JWKS of :func:`bayident_jwt_issuer` served on 127.0.0.1 (``.url``)."""
    with bayident_jwt_issuer.serve() as server:
        yield server


# --- revocation and time-stamps ----------------------------------------------------------


@pytest.fixture(scope="session")
def bayident_ocsp_responder(bayident_intermediate_ca: MockCA) -> MockOCSPResponder:
    """An OCSP responder for :func:`bayident_intermediate_ca`'s certificates."""
    from bayident.testing import MockOCSPResponder

    return MockOCSPResponder(bayident_intermediate_ca)


@pytest.fixture(scope="session")
def bayident_crl_publisher(bayident_ca: MockCA) -> MockCRLPublisher:
    """A CRL publisher for :func:`bayident_ca`'s certificates."""
    from bayident.testing import MockCRLPublisher

    return MockCRLPublisher(bayident_ca)


@pytest.fixture(scope="session")
def bayident_tsa(bayident_ca: MockCA) -> MockTSA:
    """An RFC 3161 time-stamping authority certified by :func:`bayident_ca`."""
    from bayident.testing import MockTSA

    return MockTSA(bayident_ca)


@pytest.fixture(scope="session")
def bayident_revocation_server(
    bayident_ocsp_responder: MockOCSPResponder,
    bayident_crl_publisher: MockCRLPublisher,
    bayident_tsa: MockTSA,
) -> Iterator[RevocationServer]:
    """The OCSP responder, CRL publisher and TSA served on 127.0.0.1."""
    from bayident.testing import RevocationServer

    with RevocationServer(bayident_ocsp_responder, bayident_crl_publisher, bayident_tsa) as server:
        yield server


# --- trust lists -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def bayident_trust_list_operator(_bayident_session_clock: MockClock) -> MockTrustListOperator:
    """A Hong Kong trust-list operator: services, ETSI XML and JSON (JWS) lists."""
    from bayident.testing import MockTrustListOperator

    return MockTrustListOperator("HK", clock=_bayident_session_clock)


@pytest.fixture(scope="session")
def bayident_trust_list_server() -> Iterator[TrustListServer]:
    """A trust-list HTTP server on 127.0.0.1 (``serve(path, body)``, ``url(path)``)."""
    from bayident.testing import TrustListServer

    with TrustListServer() as server:
        yield server


# --- OFD electronic seals ----------------------------------------------------------------


@dataclass(frozen=True)
class OFDKit:
    """A sandbox for sealed OFD documents: trust ``ca``, sign with ``ofd_signer``."""

    ca: MockSM2CA
    maker: MockSealMaker
    holder: MockSM2Signer
    seal: bytes
    ofd_signer: MockOFDSigner


@pytest.fixture(scope="session")
def bayident_ofd_kit(_bayident_session_clock: MockClock) -> OFDKit:
    """An SM2 root, a seal maker and a seal holder with a V4 seal (needs the ``sm`` extra)."""
    from bayident.sm import sm_available

    if not sm_available():
        pytest.skip("sealed OFD documents need the 'sm' extra: pip install 'bayident[sm]'")
    from bayident.testing._ofd import MockOFDSigner, MockSealMaker
    from bayident.testing._sm2 import MockSM2CA

    ca = MockSM2CA("Sandbox Seal Root CA", clock=_bayident_session_clock)
    maker = MockSealMaker(ca.issue_signer("Sandbox Seal Maker"))
    holder = ca.issue_signer("Sandbox Trading Ltd", organization="Sandbox Trading Ltd")
    seal = maker.make_seal("Sandbox Trading Ltd 公章", holders=[holder])
    return OFDKit(ca, maker, holder, seal, MockOFDSigner(holder, seal))
