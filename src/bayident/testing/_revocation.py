"""Mock revocation services: an OCSP responder and a CRL publisher (the TSA: ``_tsa``).

Each service answers HTTP requests in process, through an ``httpx.MockTransport``
(:func:`mock_revocation_transport`), or over real HTTP on 127.0.0.1 from a
:class:`RevocationServer` that a test starts and stops::

    responder = MockOCSPResponder(intermediate)
    publisher = MockCRLPublisher(root)
    with RevocationServer(responder, publisher) as server:   # URLs now point at the server
        signer = intermediate.issue_signer("CHAN Tai Man", ocsp_url=responder.url)
        responder.revoke(signer.certificate, at=clock.now())
        ...

Faults are set with ``service.fault = "..."`` (``None`` to heal): ``"down"``,
``"slow"`` (answers after ``service.delay`` seconds; in process it raises a read
timeout), ``"garbage"``, ``"http-error"``, ``"wrong-key"`` (signed by a key that is
not the CA's), ``"stale"`` (thisUpdate and nextUpdate in the past) and, per
service, ``"unknown"``, ``"other-cert"``, ``"unauthorized"``, ``"try-later"``
(OCSP), ``"other-ca"``, ``"delta-only"``, ``"oversize"`` (CRL). ``requests``
counts what each service was asked.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as _dt
import hashlib
import http.server
import itertools
import secrets
import threading
import time
import urllib.parse
from collections.abc import Sequence
from typing import Any, ClassVar

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from bayident._exceptions import InvalidArgument
from bayident.testing import _der
from bayident.testing._ca import MockCA, MockSigner

__all__ = [
    "MockCRLPublisher",
    "MockOCSPResponder",
    "RevocationServer",
    "add_unsigned_attribute",
    "mock_revocation_transport",
    "ocsp_revocation_choice",
    "revocation_values_attribute",
]

_BASE = "http://revocation.sandbox.test"
_ID_RI_OCSP_RESPONSE = "1.3.6.1.5.5.7.16.2"
_REVOCATION_VALUES = "1.2.840.113549.1.9.16.2.24"
_SIGNATURE_TIMESTAMP = "1.2.840.113549.1.9.16.2.14"
_TST_INFO = "1.2.840.113549.1.9.16.1.4"
_OCSP_FAULTS = {
    None,
    "down",
    "slow",
    "garbage",
    "http-error",
    "wrong-key",
    "stale",
    "unknown",
    "other-cert",
    "unauthorized",
    "try-later",
}
_CRL_FAULTS = {
    None,
    "down",
    "slow",
    "garbage",
    "http-error",
    "wrong-key",
    "stale",
    "other-ca",
    "delta-only",
    "oversize",
}
_IDS = itertools.count(1)


class _Down(Exception):
    pass


def _now(clock: Any) -> _dt.datetime:
    when = clock.now() if clock is not None else _dt.datetime.now(_dt.UTC)
    return when.replace(microsecond=0)


def _sign_hash(key: Any) -> hashes.HashAlgorithm | None:
    if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return None
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size >= 384:
        return hashes.SHA384()
    return hashes.SHA256()


def _stranger_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


class _Service:
    """What every mock service shares: a URL, a request counter, faults and a delay."""

    kind: ClassVar[str] = "service"
    faults: ClassVar[set[str | None]] = {None}

    def __init__(self, ca: MockCA, clock: Any) -> None:
        if not isinstance(ca, MockCA):
            raise InvalidArgument(f"ca: expected a MockCA, got {type(ca).__name__}")
        self.ca = ca
        self.clock = clock if clock is not None else ca.clock
        self.path = f"/{self.kind}/{next(_IDS)}"
        self.base_url = _BASE
        self._fault: str | None = None
        self.delay = 5.0
        self.latency = 0.0
        self._lock = threading.Lock()
        self._requests = 0

    @property
    def url(self) -> str:
        """Where the service answers (the server's address once mounted on one)."""
        return self.base_url + self.path

    @property
    def fault(self) -> str | None:
        """The fault the service shows now, or None."""
        return self._fault

    @fault.setter
    def fault(self, value: str | None) -> None:
        if value not in self.faults:
            known = ", ".join(sorted(f for f in self.faults if f))
            raise InvalidArgument(f"fault: unknown {value!r}; expected None or one of {known}")
        self._fault = value

    @property
    def requests(self) -> int:
        """How many requests reached the service."""
        with self._lock:
            return self._requests

    def reset_requests(self) -> None:
        """Set the request counter back to zero."""
        with self._lock:
            self._requests = 0

    def _count(self) -> None:
        with self._lock:
            self._requests += 1

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
        """(HTTP status, content type, body) for one request; raises _Down when down."""
        raise NotImplementedError

    def _serve(self, method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
        self._count()
        fault = self._fault
        if fault == "down":
            raise _Down()
        if fault == "http-error":
            return 500, "text/plain", b"internal error"
        if fault == "garbage":
            return (
                200,
                "application/octet-stream",
                b"\x30\x82\xff\xffnot DER at all" + secrets.token_bytes(32),
            )
        return self.answer(method, path, body)


# --- OCSP ----------------------------------------------------------------------------


class MockOCSPResponder(_Service):
    """An OCSP responder (RFC 6960) for the certificates ``ca`` issues.

    ``delegated=True`` signs with a responder certificate ``ca`` issues for the purpose
    (id-kp-OCSPSigning, with id-pkix-ocsp-nocheck unless ``nocheck=False``); otherwise
    the CA signs itself. Responses are valid for ``validity`` from the clock's now.
    """

    kind = "ocsp"
    faults = _OCSP_FAULTS

    def __init__(
        self,
        ca: MockCA,
        *,
        clock: Any = None,
        validity: _dt.timedelta = _dt.timedelta(hours=1),
        delegated: bool = False,
        nocheck: bool = True,
    ) -> None:
        super().__init__(ca, clock)
        self.validity = validity
        self._revoked: dict[int, tuple[_dt.datetime, x509.ReasonFlags | None]] = {}
        self.responder: MockSigner | None = None
        if delegated:
            extra: list[Any] = [(x509.OCSPNoCheck(), False)] if nocheck else []
            self.responder = ca.issue_signer(
                f"{ca.name} OCSP Responder",
                key_type="ec",
                key_usage=("digital_signature",),
                extended_key_usage=[ExtendedKeyUsageOID.OCSP_SIGNING],
                extra_extensions=extra,
            )

    def revoke(
        self,
        cert: x509.Certificate | MockSigner | MockCA,
        *,
        at: _dt.datetime | None = None,
        reason: x509.ReasonFlags | None = None,
    ) -> None:
        """Answer "revoked at ``at``" (default now) for ``cert`` from now on."""
        serial = _serial(cert)
        self._revoked[serial] = (at or _now(self.clock), reason)

    def unrevoke(self, cert: x509.Certificate | MockSigner | MockCA) -> None:
        """Forget a revocation (as after a certificate hold is released)."""
        self._revoked.pop(_serial(cert), None)

    def response_for(
        self,
        cert: x509.Certificate | MockSigner | MockCA,
        *,
        this_update: _dt.datetime | None = None,
        next_update: _dt.datetime | None = None,
    ) -> bytes:
        """A DER OCSPResponse about ``cert`` as the responder would give it now (no fault)."""
        c = cert.certificate if isinstance(cert, MockSigner | MockCA) else cert
        issuer = self.ca.certificate
        name_hash = hashlib.sha1(issuer.subject.public_bytes()).digest()  # noqa: S324
        key_hash = _key_hash(issuer)
        return self._build(
            name_hash,
            key_hash,
            c.serial_number,
            hashes.SHA1(),  # noqa: S303 (the RFC 6960 CertID default)
            None,
            fault=None,
            this_update=this_update,
            next_update=next_update,
        )

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
        if method == "GET":
            encoded = urllib.parse.unquote(path[len(self.path) :].lstrip("/"))
            try:
                body = base64.b64decode(encoded)
            except ValueError:
                body = b""
        try:
            request = ocsp.load_der_ocsp_request(body)
        except ValueError:
            bad = ocsp.OCSPResponseBuilder.build_unsuccessful(
                ocsp.OCSPResponseStatus.MALFORMED_REQUEST
            )
            return 200, "application/ocsp-response", bad.public_bytes(serialization.Encoding.DER)
        nonce = None
        with contextlib.suppress(x509.ExtensionNotFound):
            nonce = request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
        der = self._build(
            request.issuer_name_hash,
            request.issuer_key_hash,
            request.serial_number,
            request.hash_algorithm,
            nonce,
            fault=self._fault,
        )
        return 200, "application/ocsp-response", der

    def _build(
        self,
        name_hash: bytes,
        key_hash: bytes,
        serial: int,
        algorithm: hashes.HashAlgorithm,
        nonce: bytes | None,
        *,
        fault: str | None,
        this_update: _dt.datetime | None = None,
        next_update: _dt.datetime | None = None,
    ) -> bytes:
        if fault == "try-later":
            out = ocsp.OCSPResponseBuilder.build_unsuccessful(ocsp.OCSPResponseStatus.TRY_LATER)
            return out.public_bytes(serialization.Encoding.DER)
        now = _now(self.clock)
        this_update = this_update or now
        next_update = next_update or this_update + self.validity
        if fault == "stale":
            this_update = now - 3 * self.validity
            next_update = now - 2 * self.validity
        status = ocsp.OCSPCertStatus.GOOD
        rev_time = rev_reason = None
        if serial in self._revoked:
            status = ocsp.OCSPCertStatus.REVOKED
            rev_time, rev_reason = self._revoked[serial]
        if fault == "unknown":
            status, rev_time, rev_reason = ocsp.OCSPCertStatus.UNKNOWN, None, None
        if fault == "other-cert":
            serial += 1
        if self.responder is not None:
            responder_cert, key = self.responder.certificate, self.responder.private_key
        else:
            responder_cert, key = self.ca.certificate, self.ca.private_key
        certs: list[x509.Certificate] = [responder_cert] if self.responder is not None else []
        if fault == "wrong-key":
            key = _stranger_key()
        elif fault == "unauthorized":
            # A certificate the CA issued, but not for OCSP signing.
            rogue = self.ca.issue_signer(f"{self.ca.name} Not A Responder", key_type="ec")
            responder_cert, key, certs = rogue.certificate, rogue.private_key, [rogue.certificate]
        return _ocsp_response(
            name_hash,
            key_hash,
            serial,
            algorithm.name,
            status,
            this_update,
            next_update,
            rev_time,
            rev_reason,
            responder_cert,
            key,
            certs,
            nonce,
            now,
        )


def _ocsp_response(
    name_hash: bytes,
    key_hash: bytes,
    serial: int,
    algorithm: str,
    status: ocsp.OCSPCertStatus,
    this_update: _dt.datetime,
    next_update: _dt.datetime | None,
    rev_time: _dt.datetime | None,
    rev_reason: x509.ReasonFlags | None,
    responder_cert: x509.Certificate,
    key: Any,
    certs: Sequence[x509.Certificate],
    nonce: bytes | None,
    produced_at: _dt.datetime,
) -> bytes:
    # Built with asn1crypto rather than cryptography's builder, whose producedAt is always
    # the real time: a mock clock must govern every time in the response.
    from asn1crypto import core
    from asn1crypto import ocsp as aocsp
    from asn1crypto import x509 as ax509

    if status is ocsp.OCSPCertStatus.GOOD:
        cert_status = aocsp.CertStatus(name="good", value=core.Null())
    elif status is ocsp.OCSPCertStatus.REVOKED:
        info: dict[str, Any] = {"revocation_time": rev_time}
        if rev_reason is not None:
            info["revocation_reason"] = _REASONS[rev_reason]
        cert_status = aocsp.CertStatus(name="revoked", value=aocsp.RevokedInfo(info))
    else:
        cert_status = aocsp.CertStatus(name="unknown", value=core.Null())
    single: dict[str, Any] = {
        "cert_id": {
            "hash_algorithm": {"algorithm": algorithm},
            "issuer_name_hash": name_hash,
            "issuer_key_hash": key_hash,
            "serial_number": serial,
        },
        "cert_status": cert_status,
        "this_update": this_update,
    }
    if next_update is not None:
        single["next_update"] = next_update
    data: dict[str, Any] = {
        "responder_id": aocsp.ResponderId(name="by_key", value=_key_hash(responder_cert)),
        "produced_at": produced_at,
        "responses": [single],
    }
    if nonce is not None:
        data["response_extensions"] = [{"extn_id": "nonce", "critical": False, "extn_value": nonce}]
    tbs = aocsp.ResponseData(data)
    to_sign = tbs.dump()
    if isinstance(key, ec.EllipticCurvePrivateKey):
        hash_alg = _sign_hash(key)
        assert hash_alg is not None
        signature = key.sign(to_sign, ec.ECDSA(hash_alg))
        sig_alg = f"{hash_alg.name}_ecdsa"
    elif isinstance(key, ed25519.Ed25519PrivateKey):
        signature, sig_alg = key.sign(to_sign), "ed25519"
    else:
        from cryptography.hazmat.primitives.asymmetric import padding

        signature = key.sign(to_sign, padding.PKCS1v15(), hashes.SHA256())
        sig_alg = "sha256_rsa"
    basic: dict[str, Any] = {
        "tbs_response_data": tbs,
        "signature_algorithm": {"algorithm": sig_alg},
        "signature": signature,
    }
    if certs:
        basic["certs"] = [
            ax509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in certs
        ]
    response = aocsp.OCSPResponse(
        {
            "response_status": "successful",
            "response_bytes": {
                "response_type": "basic_ocsp_response",
                "response": aocsp.BasicOCSPResponse(basic),
            },
        }
    )
    return bytes(response.dump())


# The RFC 5280 §5.3.1 reason codes by asn1crypto's names, written here rather than taken
# from the verifier: the mock responder must not share the verifier's reading of them.
_REASONS = {
    x509.ReasonFlags.unspecified: "unspecified",
    x509.ReasonFlags.key_compromise: "key_compromise",
    x509.ReasonFlags.ca_compromise: "ca_compromise",
    x509.ReasonFlags.affiliation_changed: "affiliation_changed",
    x509.ReasonFlags.superseded: "superseded",
    x509.ReasonFlags.cessation_of_operation: "cessation_of_operation",
    x509.ReasonFlags.certificate_hold: "certificate_hold",
    x509.ReasonFlags.remove_from_crl: "remove_from_crl",
    x509.ReasonFlags.privilege_withdrawn: "privilege_withdrawn",
    x509.ReasonFlags.aa_compromise: "aa_compromise",
}


def _serial(cert: x509.Certificate | MockSigner | MockCA) -> int:
    if isinstance(cert, MockSigner | MockCA):
        return cert.certificate.serial_number
    if isinstance(cert, x509.Certificate):
        return cert.serial_number
    raise InvalidArgument(f"cert: expected a certificate, got {type(cert).__name__}")


def _key_hash(cert: x509.Certificate) -> bytes:
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # The hash of the subjectPublicKey BIT STRING's value (RFC 6960 §4.1.1).
    from asn1crypto import keys

    return hashlib.sha1(keys.PublicKeyInfo.load(spki)["public_key"].contents[1:]).digest()  # noqa: S324


# --- CRL -----------------------------------------------------------------------------


class MockCRLPublisher(_Service):
    """Publishes ``ca``'s CRL (RFC 5280), valid for ``validity`` from the clock's now."""

    kind = "crl"
    faults = _CRL_FAULTS

    def __init__(
        self,
        ca: MockCA,
        *,
        clock: Any = None,
        validity: _dt.timedelta = _dt.timedelta(days=1),
        oversize_bytes: int = 32 * 1024 * 1024,
    ) -> None:
        super().__init__(ca, clock)
        self.validity = validity
        self.oversize_bytes = oversize_bytes
        self._revoked: dict[int, tuple[_dt.datetime, x509.ReasonFlags | None]] = {}
        self._number = 1

    def revoke(
        self,
        cert: x509.Certificate | MockSigner | MockCA,
        *,
        at: _dt.datetime | None = None,
        reason: x509.ReasonFlags | None = None,
    ) -> None:
        """List ``cert`` as revoked at ``at`` (default now) from now on."""
        self._revoked[_serial(cert)] = (at or _now(self.clock), reason)

    def crl(
        self,
        *,
        delta_of: int | None = None,
        this_update: _dt.datetime | None = None,
        next_update: _dt.datetime | None = None,
        signer: MockCA | None = None,
        key: Any = None,
    ) -> bytes:
        """The CRL in DER; ``delta_of`` makes a delta CRL on that base CRL number.

        ``signer`` issues it in another CA's name (and key); ``key`` signs it with
        another key under this CA's name.
        """
        now = _now(self.clock)
        this_update = this_update or now
        next_update = next_update or this_update + self.validity
        issuer = signer or self.ca
        self._number += 1
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(issuer.certificate.subject)
            .last_update(this_update)
            .next_update(next_update)
            .add_extension(x509.CRLNumber(self._number), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    issuer.certificate.public_key()  # type: ignore[arg-type]
                ),
                critical=False,
            )
        )
        if delta_of is not None:
            builder = builder.add_extension(x509.DeltaCRLIndicator(delta_of), critical=True)
        for serial, (when, reason) in self._revoked.items():
            entry = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when)
            if reason is not None:
                entry = entry.add_extension(x509.CRLReason(reason), critical=False)
            builder = builder.add_revoked_certificate(entry.build())
        signing_key = key or issuer.private_key
        crl = builder.sign(signing_key, _sign_hash(signing_key))  # type: ignore[arg-type]
        return crl.public_bytes(serialization.Encoding.DER)

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, str, bytes]:
        fault = self._fault
        if fault == "oversize":
            return 200, "application/pkix-crl", b"\x30\x84" + b"\x00" * self.oversize_bytes
        now = _now(self.clock)
        if fault == "stale":
            der = self.crl(this_update=now - 3 * self.validity, next_update=now - 2 * self.validity)
        elif fault == "wrong-key":
            der = self.crl(key=_stranger_key())
        elif fault == "other-ca":
            stranger = MockCA(f"Stranger CA {next(_IDS)}", key_type="ec", clock=self.clock)
            der = self.crl(signer=stranger)
        elif fault == "delta-only":
            der = self.crl(delta_of=self._number)
        else:
            der = self.crl()
        return 200, "application/pkix-crl", der


# --- building evidence with revocation data and time-stamps -----------------------------


def add_unsigned_attribute(
    cms: bytes, oid: str, values: Sequence[bytes], *, signer_index: int = 0
) -> bytes:
    """``cms`` with the unsigned attribute ``oid`` (DER values) added to one signer.

    Only that SignerInfo and the lengths around it change, so every signature stays valid.
    Raises :class:`bayident.InvalidArgument` when ``cms`` is not a DER CMS SignedData.
    """
    try:
        return _add_unsigned_attribute(cms, oid, values, signer_index)
    except InvalidArgument:
        raise
    except (ValueError, IndexError, TypeError) as exc:  # _der's DERError is a ValueError
        raise InvalidArgument(f"cms: not a DER CMS SignedData with signers ({exc})") from None


def _add_unsigned_attribute(
    cms: bytes, oid: str, values: Sequence[bytes], signer_index: int
) -> bytes:
    from bayident import _der as d

    def parts(buf: bytes, tlv: Any) -> list[bytes]:
        return [buf[c.header_start : c.next] for c in d.children(buf, tlv, "cms", 0, 64)]

    top = d.read_tlv(cms, 0, len(cms), "ContentInfo")
    info = parts(cms, top)
    wrapper = d.read_tlv(info[1], 0, len(info[1]), "content")
    signed_data_der = parts(info[1], wrapper)[0]
    sd_tlv = d.read_tlv(signed_data_der, 0, len(signed_data_der), "SignedData")
    sd_parts = parts(signed_data_der, sd_tlv)
    set_tlv = d.read_tlv(sd_parts[-1], 0, len(sd_parts[-1]), "signerInfos")
    signers = parts(sd_parts[-1], set_tlv)
    if not 0 <= signer_index < len(signers):
        raise InvalidArgument(f"signer_index: the signature has {len(signers)} signer(s)")
    si = signers[signer_index]
    si_parts = parts(si, d.read_tlv(si, 0, len(si), "SignerInfo"))
    attrs: list[bytes] = []
    if si_parts[-1][0] == 0xA1:
        old = si_parts.pop()
        attrs = parts(old, d.read_tlv(old, 0, len(old), "unsignedAttrs"))
    attrs.append(_der.sequence(_der.oid(oid), _der.set_of(*values)))
    si_parts.append(_der.implicit(1, _der.set_of(*attrs)))
    signers[signer_index] = _der.sequence(*si_parts)
    sd_parts[-1] = _der.set_of(*signers, der_sorted=False)
    signed = _der.sequence(*sd_parts)
    return _der.sequence(info[0], _der.explicit(0, signed))


def ocsp_revocation_choice(ocsp_response: bytes) -> bytes:
    """An OCSP response as a SignedData ``crls`` element (RFC 5940 id-ri-ocsp-response)."""
    return _der.implicit(1, _der.sequence(_der.oid(_ID_RI_OCSP_RESPONSE), ocsp_response))


def revocation_values_attribute(
    crls: Sequence[bytes] = (), ocsp_responses: Sequence[bytes] = ()
) -> tuple[str, list[bytes]]:
    """The CAdES revocation-values unsigned attribute (OID and DER value)."""
    from asn1crypto import ocsp as aocsp

    parts = []
    if crls:
        parts.append(_der.explicit(0, _der.sequence(*crls)))
    if ocsp_responses:
        basics = [
            aocsp.OCSPResponse.load(r)["response_bytes"]["response"].contents
            for r in ocsp_responses
        ]
        parts.append(_der.explicit(1, _der.sequence(*basics)))
    return _REVOCATION_VALUES, [_der.sequence(*parts)]


# --- transport and server ------------------------------------------------------------


def _route(services: Sequence[_Service], url: str) -> tuple[_Service | None, str]:
    path = urllib.parse.urlsplit(url).path
    for service in services:
        if path == service.path or path.startswith(service.path + "/"):
            return service, path
    return None, path


def mock_revocation_transport(
    *services: _Service, asynchronous: bool = False
) -> httpx.MockTransport:
    """An ``httpx.MockTransport`` answering for ``services`` by URL path.

    For an ``httpx.AsyncClient`` pass ``asynchronous=True``: each answer then waits
    ``service.latency`` seconds with ``asyncio.sleep`` (``time.sleep`` otherwise), so
    concurrent verifications overlap as they would over a network.
    """

    def respond(request: httpx.Request) -> tuple[_Service | None, str, bytes]:
        service, path = _route(services, str(request.url))
        return service, path, request.content

    def result(service: _Service, method: str, path: str, body: bytes) -> httpx.Response:
        if service.fault == "slow":
            service._count()
            raise httpx.ReadTimeout("the mock service is slow")
        try:
            status, ctype, payload = service._serve(method, path, body)
        except _Down:
            raise httpx.ConnectError("the mock service is down") from None
        return httpx.Response(status, headers={"Content-Type": ctype}, content=payload)

    if asynchronous:

        async def ahandler(request: httpx.Request) -> httpx.Response:
            service, path, body = respond(request)
            if service is None:
                return httpx.Response(404)
            if service.latency:
                await asyncio.sleep(service.latency)
            return result(service, request.method, path, body)

        return httpx.MockTransport(ahandler)

    def handler(request: httpx.Request) -> httpx.Response:
        service, path, body = respond(request)
        if service is None:
            return httpx.Response(404)
        if service.latency:
            time.sleep(service.latency)
        return result(service, request.method, path, body)

    return httpx.MockTransport(handler)


class RevocationServer:
    """A real HTTP server on 127.0.0.1 (a free port) answering for mock services.

    Use it as a context manager; services given to it (or :meth:`mount`-ed) get URLs on
    this server, so issue certificates naming them after starting it.
    """

    def __init__(self, *services: _Service) -> None:
        self._services: list[_Service] = []
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""
        self._pending = list(services)

    def mount(self, *services: _Service) -> None:
        """Serve these too; their ``url`` now points at this server."""
        for service in services:
            service.base_url = self.base_url
            self._services.append(service)

    def __enter__(self) -> RevocationServer:
        services = self._services

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(min(length, 1 << 20)) if length else b""
                service, path = _route(services, self.path)
                if service is None:
                    self.send_error(404)
                    return
                if service.fault == "slow":
                    service._count()
                    time.sleep(service.delay)
                    self.close_connection = True
                    return
                if service.latency:
                    time.sleep(service.latency)
                try:
                    status, ctype, payload = service._serve(method, path, body)
                except _Down:
                    self.close_connection = True
                    return
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(payload)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}"
        self.mount(*self._pending)
        self._thread = threading.Thread(
            target=server.serve_forever, name="bayident-revocation-server", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for service in self._services:
            service.base_url = _BASE
