"""A mock iAM Smart: the real envelopes, in process (``httpx.MockTransport``) or on
127.0.0.1, with enrolled users whose iAM Smart-Certs come from a mock Hongkong Post::

    iam = MockIAmSmart(clock=clock)
    user = iam.enrol("A123456(3)", "CHAN, Tai Man", zh_name="陳大文")
    headers, body = iam.profile_callback(user)              # what the service receives
    evidence = scheme_evidence("iamsmart", "profile-callback", {"headers": headers, "body": body})
    result = bayident.verify(evidence, schemes=sandbox_registry(iam.adapter()))

The HTTP API (``transport()`` / ``serve()``) answers ``/api/v1/security/getKey``,
``/auth/getToken``, ``/account/auth/profile/initiateRequest``,
``/account/signing/initiateRequest`` and ``/account/signing/ackResult``: requests must
carry valid signature headers, bodies are ``{"content": <envelope>}`` and replies
``{txID, code, message, content}`` in the shapes of the public samples: the ``getKey``
reply's ``content`` is a plain JSON object ``{secretKey, pubKey, issueAt, expiresIn}``;
callbacks carry their own RSA-wrapped content key in ``secretKey`` (``callback_keys=
"getkey"`` makes them use the getKey key instead); an HKICHash that does not match the
user is answered ``D70005``, API errors with ``D200xx`` codes (``D20009`` unknown access
token, ``D20010`` openID mismatch; ``D20000`` for an unauthenticated request, whose exact
code the samples do not show), an unreadable body with ``D30004`` and an unknown
authorisation code with ``D40004``. A hash-signing request queues the signing callback
(:meth:`pop_callback`). Authentication needs no QR page: :meth:`authorise` stands for the
user approving in the app and returns the authorisation code.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from bayident._exceptions import InvalidArgument
from bayident.identifiers import IdentifierKind, hkid_hash
from bayident.identifiers import validate as _validate_identifier
from bayident.schemes.iamsmart import (
    IAmSmartAdapter,
    IAmSmartEnvelopeError,
    IAmSmartReply,
    IAmSmartSettings,
    InMemoryNonceStore,
    SignatureEncoding,
    decrypt_content,
    encrypt_content,
    sign_request,
    verify_request_signature,
    wrap_secret_key,
)
from bayident.testing._ca import MockSigner, _generate_key
from bayident.testing._clock import Clock
from bayident.testing._schemes import MockHongkongPostCA

__all__ = ["MockIAmSmart", "MockIAmSmartServer", "MockIAmSmartUser"]


@dataclass
class MockIAmSmartUser:
    """An enrolled iAM Smart user: profile data, per-service ``openID`` and iAM Smart-Cert."""

    hkid: str
    en_name: str
    zh_name: str | None
    birth_date: str
    gender: str
    open_id: str
    certificate: MockSigner
    extra: dict[str, Any] = field(default_factory=dict)

    def profile(self, fields: Sequence[str] | None = None) -> dict[str, Any]:
        """The profile document iAM Smart shares (all fields, or ``fields``)."""
        ident, check = self.hkid[:-3], self.hkid[-2]
        doc: dict[str, Any] = {
            "idNo": {"Identification": ident, "CheckDigit": check},
            "enName": {"UnstructuredName": self.en_name},
            "birthDate": self.birth_date,
            "gender": self.gender,
        }
        if self.zh_name is not None:
            doc["chName"] = {"ChineseName": self.zh_name}
        doc.update(self.extra)
        if fields is not None:
            doc = {k: v for k, v in doc.items() if k in fields}
        return doc


class MockIAmSmart:
    """A mock iAM Smart service for one registered online service (``client_id``).

    ``signature_encoding`` is how hash-signing results are signed (match it in the
    adapter's settings: :meth:`settings` does). ``hongkong_post`` issues the users'
    iAM Smart-Certs (a new :class:`MockHongkongPostCA` by default).
    """

    def __init__(
        self,
        *,
        client_id: str = "sandbox-service",
        client_secret: str | None = None,
        clock: Clock | None = None,
        hongkong_post: MockHongkongPostCA | None = None,
        signature_encoding: SignatureEncoding = "pkcs1v15-sha256",
        base_url: str = "https://iamsmart.sandbox.test",
        service_key: rsa.RSAPrivateKey | None = None,
        callback_keys: Literal["own", "getkey"] = "own",
    ) -> None:
        if signature_encoding not in ("pkcs1v15-sha256", "pkcs1v15-sha256-prehashed"):
            raise InvalidArgument(
                "the mock signs 'pkcs1v15-sha256' or 'pkcs1v15-sha256-prehashed' results"
            )
        if callback_keys not in ("own", "getkey"):
            raise InvalidArgument("callback_keys must be 'own' or 'getkey'")
        #: "own": each callback carries a fresh content key wrapped in ``secretKey``, as
        #: the public samples receive them; "getkey": callbacks use the getKey key.
        self.callback_keys = callback_keys
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_hex(16)
        self.clock = clock
        self.hongkong_post = hongkong_post or MockHongkongPostCA(clock=clock)
        self.signature_encoding = signature_encoding
        self.base_url = base_url.rstrip("/")
        #: The AES-256-GCM content key ``getKey`` hands out.
        self.content_key = secrets.token_bytes(32)
        #: The service's RSA key pair, registered with iAM Smart for ``getKey``.
        self.service_key = service_key or _service_key()
        self.users: dict[str, MockIAmSmartUser] = {}
        self._codes: dict[str, str] = {}
        self._tokens: dict[str, str] = {}
        self._callbacks: list[tuple[dict[str, str], str]] = []
        self._nonces = InMemoryNonceStore()
        self._lock = threading.Lock()
        self.requests = 0

    # --- time and service-side settings ----------------------------------------------
    def now_ms(self) -> int:
        """The mock's clock in milliseconds."""
        now = self.clock.now() if self.clock is not None else datetime.now(UTC)
        return int(now.timestamp() * 1000)

    def settings(self, **changes: Any) -> IAmSmartSettings:
        """The service-side adapter settings that match this mock."""
        values: dict[str, Any] = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "content_key": self.content_key,
            "service_private_key": self.service_key,
            "signature_encoding": self.signature_encoding,
        }
        values.update(changes)
        return IAmSmartSettings(**values)

    def adapter(self, **changes: Any) -> IAmSmartAdapter:
        """An iAM Smart adapter configured for this mock."""
        return IAmSmartAdapter(self.settings(**changes))

    # --- users ------------------------------------------------------------------------
    def enrol(
        self,
        hkid: str,
        en_name: str,
        *,
        zh_name: str | None = None,
        birth_date: str = "19800101",
        gender: str = "M",
        **extra: Any,
    ) -> MockIAmSmartUser:
        """Enrol a user and issue their iAM Smart-Cert; ``extra`` adds profile fields."""
        check = _validate_identifier(IdentifierKind.HKID, hkid)
        if not check.valid or check.normalized is None:
            raise InvalidArgument(f"hkid: {check.reason}")
        cert = self.hongkong_post.issue_iamsmart_cert(en_name, hkid=check.normalized)
        user = MockIAmSmartUser(
            hkid=check.normalized,
            en_name=en_name,
            zh_name=zh_name,
            birth_date=birth_date,
            gender=gender,
            open_id=uuid.uuid4().hex,
            certificate=cert,
            extra=dict(extra),
        )
        with self._lock:
            self.users[user.open_id] = user
        return user

    def authorise(self, user: MockIAmSmartUser) -> str:
        """The user approves sign-in in the app: returns the authorisation code."""
        code = secrets.token_urlsafe(16)
        with self._lock:
            self._codes[code] = user.open_id
        return code

    # --- envelopes --------------------------------------------------------------------
    def _headers(self, body: str) -> dict[str, str]:
        return sign_request(
            self.client_id,
            self.client_secret,
            body,
            timestamp_ms=self.now_ms(),
            nonce=uuid.uuid4().hex,
        )

    def reply(
        self, content: Mapping[str, Any] | None, *, code: str = "D00000", message: str = "success"
    ) -> str:
        """A reply document with ``content`` encrypted under the content key."""
        sealed = None
        if content is not None:
            sealed = encrypt_content(
                self.content_key, json.dumps(content, ensure_ascii=False).encode("utf-8")
            )
        return (
            IAmSmartReply(txID=uuid.uuid4().hex, code=code, message=message, content=sealed)
            .to_json()
            .decode("utf-8")
        )

    def callback(
        self, content: Mapping[str, Any] | None, *, code: str = "D00000"
    ) -> tuple[dict[str, str], str]:
        """A signed callback (headers and body) carrying ``content``.

        With ``callback_keys="own"`` the content is encrypted under a fresh key, sent
        RSA-wrapped to the service's key in the callback's ``secretKey`` member.
        """
        if self.callback_keys == "getkey" or content is None:
            body = self.reply(content, code=code)
            return self._headers(body), body
        key = secrets.token_bytes(32)
        sealed = encrypt_content(key, json.dumps(content, ensure_ascii=False).encode("utf-8"))
        body = (
            IAmSmartReply(
                txID=uuid.uuid4().hex,
                code=code,
                message="success" if code == "D00000" else code,
                content=sealed,
                secretKey=wrap_secret_key(key, self.service_key.public_key()),
            )
            .to_json()
            .decode("utf-8")
        )
        return self._headers(body), body

    def profile_callback(
        self, user: MockIAmSmartUser, *, fields: Sequence[str] | None = None
    ) -> tuple[dict[str, str], str]:
        """The callback sharing ``user``'s profile with the service."""
        return self.callback(user.profile(fields))

    def sign_hash(
        self,
        user: MockIAmSmartUser,
        hash_code: str,
        *,
        business_id: str | None = None,
        state: str | None = None,
    ) -> dict[str, Any]:
        """The hash-signing result: the user's iAM Smart-Cert signs ``hash_code``."""
        digest = _hash_bytes(hash_code)
        key = user.certificate.private_key
        if not isinstance(key, rsa.RSAPrivateKey):
            raise InvalidArgument("the mock signs with RSA iAM Smart-Certs")
        algorithm: Any = (
            hashes.SHA256()
            if self.signature_encoding == "pkcs1v15-sha256"
            else utils.Prehashed(hashes.SHA256())
        )
        signature = key.sign(digest, padding.PKCS1v15(), algorithm)
        return {
            "businessID": business_id or uuid.uuid4().hex,
            "state": state or secrets.token_hex(8),
            "hashCode": hash_code,
            "timestamp": str(self.now_ms()),
            "signature": base64.b64encode(signature).decode("ascii"),
            "cert": base64.b64encode(
                user.certificate.certificate.public_bytes(Encoding.DER)
            ).decode("ascii"),
        }

    def pop_callback(self) -> tuple[dict[str, str], str]:
        """The oldest queued callback (headers, body), e.g. a signing result.

        :raises LookupError: none is queued.
        """
        with self._lock:
            if not self._callbacks:
                raise LookupError("no callback is queued")
            return self._callbacks.pop(0)

    # --- HTTP -------------------------------------------------------------------------
    def _error(self, status: int, message: str, code: str = "D20000") -> httpx.Response:
        doc = {"txID": uuid.uuid4().hex, "code": code, "message": message, "content": None}
        return httpx.Response(status, json=doc)

    def _open(self, request: httpx.Request) -> dict[str, Any] | httpx.Response:
        body = request.content
        try:
            verify_request_signature(
                dict(request.headers),
                body,
                client_secret=self.client_secret,
                now_ms=self.now_ms(),
                nonce_store=self._nonces,
                expected_client_id=self.client_id,
            )
        except IAmSmartEnvelopeError as exc:
            return self._error(401, f"request rejected: {exc.message}")
        try:
            doc = json.loads(body or b"{}")
            if "content" in doc:
                doc = json.loads(decrypt_content(self.content_key, doc["content"]))
        except (ValueError, IAmSmartEnvelopeError) as exc:
            return self._error(400, f"request body cannot be read: {exc}", code="D30004")
        if not isinstance(doc, dict):
            return self._error(400, "request body must be a JSON object")
        return doc

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one API request (the handler behind :meth:`transport` and :meth:`serve`)."""
        with self._lock:
            self.requests += 1
        path = request.url.path
        if request.method != "POST":
            return self._error(405, f"{request.method} is not supported")
        opened = self._open(request)
        if isinstance(opened, httpx.Response):
            return opened
        doc = opened
        if path == "/api/v1/security/getKey":
            public = self.service_key.public_key()
            # getKey is the one exchange without content encryption: ``content`` is a
            # plain object. The mock's pubKey is the key it wrapped to (the samples read
            # the member but do not say more of it).
            content = {
                "secretKey": wrap_secret_key(self.content_key, public),
                "pubKey": base64.b64encode(
                    public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
                ).decode("ascii"),
                "issueAt": self.now_ms(),
                "expiresIn": 86_400_000,
            }
            reply = IAmSmartReply(
                txID=uuid.uuid4().hex, code="D00000", message="success", content=content
            )
            return httpx.Response(
                200, content=reply.to_json(), headers={"content-type": "application/json"}
            )
        if path == "/api/v1/auth/getToken":
            with self._lock:
                open_id = self._codes.pop(str(doc.get("code")), None)
            if open_id is None or doc.get("grantType") != "authorization_code":
                return self._error(400, "unknown or used authorisation code", code="D40004")
            token = secrets.token_urlsafe(24)
            with self._lock:
                self._tokens[token] = open_id
            now = self.now_ms()
            return self._ok(
                {
                    "accessToken": token,
                    "expiresIn": 600_000,
                    "tokenType": "Bearer",
                    "issueAt": now,
                    "openID": open_id,
                    "lastModifiedDate": now,
                    "userType": "iAM Smart",
                    "scope": "eidapi_auth eidapi_formFilling eidapi_sign",
                }
            )
        user = self._user(doc)
        if isinstance(user, str):
            what = "access token does not exist" if user == "D20009" else "openID does not exist"
            return self._error(401, what, code=user)
        if path == "/api/v1/account/auth/profile/initiateRequest":
            fields = doc.get("profileFields")
            return self._ok(user.profile(fields if isinstance(fields, list) else None))
        if path == "/api/v1/account/signing/initiateRequest":
            hash_code = doc.get("hashCode")
            if not isinstance(hash_code, str):
                return self._error(400, "hashCode is required")
            if doc.get("HKICHash") != hkid_hash(user.hkid):
                return self._ok(None, code="D70005", message="inconsistent HKIC number")
            result = self.sign_hash(
                user,
                hash_code,
                business_id=str(doc.get("businessID") or uuid.uuid4().hex),
                state=str(doc.get("state") or ""),
            )
            with self._lock:
                self._callbacks.append(self.callback(result))
            return self._ok({"businessID": result["businessID"]})
        if path == "/api/v1/account/signing/ackResult":
            return self._ok({})
        return self._error(404, f"no such API: {path}", code="D20000")

    def _ok(
        self, content: Mapping[str, Any] | None, *, code: str = "D00000", message: str = "success"
    ) -> httpx.Response:
        return httpx.Response(
            200,
            content=self.reply(content, code=code, message=message).encode("utf-8"),
            headers={"content-type": "application/json"},
        )

    def _user(self, doc: Mapping[str, Any]) -> MockIAmSmartUser | str:
        """The authorised user, or the API error code: D20009 token, D20010 openID."""
        with self._lock:
            open_id = self._tokens.get(str(doc.get("accessToken")))
            if open_id is None:
                return "D20009"
            user = self.users.get(open_id)
            if open_id != doc.get("openID") or user is None:
                return "D20010"
            return user

    def transport(self) -> httpx.MockTransport:
        """An in-process transport for ``httpx.Client(transport=...)``."""
        return httpx.MockTransport(self.handle)

    def client(self) -> httpx.Client:
        """An httpx client whose requests reach this mock in process."""
        return httpx.Client(transport=self.transport(), base_url=self.base_url)

    def call(
        self, client: httpx.Client, path: str, payload: Mapping[str, Any], *, encrypt: bool = True
    ) -> httpx.Response:
        """Send a signed (and encrypted) request as a service would."""
        body_doc: Any = payload
        if encrypt:
            body_doc = {
                "content": encrypt_content(self.content_key, json.dumps(payload).encode("utf-8"))
            }
        body = json.dumps(body_doc)
        return client.post(path, content=body.encode("utf-8"), headers=self._headers(body))

    @contextmanager
    def serve(self) -> Iterator[MockIAmSmartServer]:
        """Run the API on a real HTTP server on 127.0.0.1 for the ``with`` block."""
        server = MockIAmSmartServer(self)
        try:
            yield server.start()
        finally:
            server.stop()


def _service_key() -> rsa.RSAPrivateKey:
    key = _generate_key("rsa", 2048)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def _hash_bytes(hash_code: str) -> bytes:
    text = hash_code.strip()
    if len(text) == 64:
        return bytes.fromhex(text)
    return base64.b64decode(text, validate=True)


class MockIAmSmartServer:
    """The mock's API on ``http://127.0.0.1:<port>``; use :meth:`MockIAmSmart.serve`."""

    def __init__(self, mock: MockIAmSmart) -> None:
        self.mock = mock
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> MockIAmSmartServer:
        mock = self.mock

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length > 4 * 1024 * 1024:
                    self.send_error(413)
                    return
                body = self.rfile.read(length)
                request = httpx.Request(
                    "POST",
                    f"http://127.0.0.1{self.path}",
                    headers=list(self.headers.items()),
                    content=body,
                )
                response = mock.handle(request)
                self.send_response(response.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(response.content)))
                self.end_headers()
                self.wfile.write(response.content)

            def do_GET(self) -> None:
                self.send_error(405)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="mock-iamsmart", daemon=True
        )
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:54321``."""
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        """Shut the server down."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
