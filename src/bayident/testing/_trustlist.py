"""Mock trusted lists for tests: operators per region, signed lists, and list servers.

A :class:`MockTrustListOperator` stands for the body that publishes a region's
list (Hong Kong, Macau, Guangdong). It has a list-signing certificate and a
sandbox CA hierarchy whose certificates it lists, and produces signed ETSI
XML (:meth:`~MockTrustListOperator.etsi_xml`) and JWS JSON lists::

    from bayident.testing import MockTrustListOperator, TrustListServer

    hk = MockTrustListOperator("HK", clock=clock)
    xml = hk.etsi_xml(hk.trusted_list(sequence=3))
    with TrustListServer() as server:
        server.serve("/hk.xml", xml)
        url = server.url("/hk.xml")

:func:`mock_transport` gives the same behaviours (304, 500, slow, truncated,
wrong content type) inside ``httpx`` without a socket; :func:`hostile_etsi_xml`
turns a signed list into the classic attacks.

Every name here is a sandbox name: nothing resembles a real CA's key.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Literal

import httpx
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from bayident._exceptions import InvalidArgument
from bayident.testing._ca import KeyType, MockCA, MockSigner
from bayident.testing._clock import Clock

if TYPE_CHECKING:
    from bayident.trustlist import OtherTSLPointer, TrustedList, TrustService

__all__ = [
    "REGIONS",
    "HostileKind",
    "ListRoute",
    "MockTrustListOperator",
    "RegionProfile",
    "TrustListServer",
    "hostile_etsi_xml",
    "mock_transport",
]

_ARC = "2.16.344.8.2.2008.810.2"


@dataclass(frozen=True)
class RegionProfile:
    """What a mock operator of one region publishes."""

    code: str
    territory: str
    jurisdiction: str
    operator: str
    scheme: str
    root_name: str
    issuer_name: str
    policy_oid: str
    country: str


#: Sandbox profiles. The mutual-recognition policy OID is the public arc with a sandbox
#: suffix; every CA name is prefixed "Sandbox".
REGIONS: dict[str, RegionProfile] = {
    "HK": RegionProfile(
        code="HK",
        territory="HK",
        jurisdiction="HK",
        operator="Sandbox Hong Kong list operator",
        scheme="Sandbox Hong Kong recognised certification authorities",
        root_name="Sandbox Hongkong Post Root CA 2",
        issuer_name="Sandbox Hongkong Post e-Cert CA 2 - 15",
        policy_oid=f"{_ARC}.2018.1.1",
        country="HK",
    ),
    "MO": RegionProfile(
        code="MO",
        territory="MO",
        jurisdiction="MO",
        operator="Sandbox Macao list operator",
        scheme="Sandbox Macao accredited certification entities",
        root_name="Sandbox Macao eSignTrust Root Certification Authority",
        issuer_name="Sandbox Macao eSignTrust Qualified Certificate CA",
        policy_oid="1.3.6.1.4.1.99999.853.1",
        country="MO",
    ),
    "CN-GD": RegionProfile(
        code="CN-GD",
        territory="CN",
        jurisdiction="CN-GD",
        operator="Sandbox Guangdong list operator",
        scheme="Sandbox Guangdong electronic certification services",
        root_name="Sandbox Guangdong Root CA",
        issuer_name="Sandbox Guangdong Issuing CA",
        policy_oid=f"{_ARC}.2018.1.1",
        country="CN",
    ),
}


class MockTrustListOperator:
    """A region's list operator: a list signer and a CA hierarchy to list.

    ``signer`` signs the lists (its certificate is what relying parties pin);
    ``root`` and ``issuing_ca`` are the listed CA and its sub-CA;
    :meth:`issue_signer` makes end-entity certificates under them with the
    region's policy OID.
    """

    def __init__(
        self,
        region: str = "HK",
        *,
        clock: Clock | None = None,
        key_type: KeyType = "ec",
        signer_name: str | None = None,
    ) -> None:
        if region not in REGIONS:
            raise InvalidArgument(f"region must be one of {', '.join(REGIONS)}, not {region!r}")
        self.profile = REGIONS[region]
        self.clock = clock
        p = self.profile
        self.signer_ca = MockCA(f"Sandbox {p.code} Trust List Root", clock=clock, country=p.country)
        self.signer: MockSigner = self.signer_ca.issue_signer(
            signer_name or f"Sandbox {p.code} Trust List Signer",
            key_type=key_type,
            country=p.country,
        )
        self.root = MockCA(p.root_name, clock=clock, country=p.country, policies=["2.5.29.32.0"])
        self.issuing_ca = self.root.create_child_ca(p.issuer_name, policies=["2.5.29.32.0"])

    @property
    def signer_certificate(self) -> x509.Certificate:
        """The certificate relying parties pin for this operator's lists."""
        return self.signer.certificate

    @property
    def signing_key(self) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
        """The list-signing key (RSA or EC, the kinds ETSI XML signatures use)."""
        key = self.signer.private_key
        if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
            raise InvalidArgument("the list signer must have an RSA or EC key")
        return key

    def _now(self) -> _dt.datetime:
        if self.clock is not None:
            return self.clock.now()
        return _dt.datetime.now(_dt.UTC).replace(microsecond=0)

    def issue_signer(self, name: str, **kw: Any) -> MockSigner:
        """An end-entity certificate from the issuing CA, asserting the region's policy."""
        kw.setdefault("policies", [self.profile.policy_oid])
        kw.setdefault("country", self.profile.country)
        return self.issuing_ca.issue_signer(name, **kw)

    def service(
        self,
        *,
        ca: MockCA | None = None,
        status: str = "granted",
        since: _dt.datetime | None = None,
        service_type: str = "CA/QC",
        history: Sequence[tuple[_dt.datetime, str]] = (),
        name: str | None = None,
    ) -> TrustService:
        """A service listing ``ca`` (default the root), with an optional status history."""
        from bayident.trustlist import (
            DigitalIdentity,
            Qualification,
            ServiceHistoryEntry,
            TrustService,
        )
        from bayident.trustlist._model import CriteriaList

        ca = ca or self.root
        stype = (
            service_type
            if "://" in service_type
            else f"http://uri.etsi.org/TrstSvc/Svctype/{service_type}"
        )
        full = (
            status
            if "://" in status
            else f"http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/{status}"
        )
        ident = DigitalIdentity(certificates=(ca.cert_der,))
        start = since or (self._now() - _dt.timedelta(days=365))
        entries = tuple(
            ServiceHistoryEntry(
                service_type=stype,
                name=name or ca.name,
                status=h
                if "://" in h
                else f"http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/{h}",
                status_starting_time=when,
                identity=ident,
            )
            for when, h in history
        )
        return TrustService(
            service_type=stype,
            name=name or ca.name,
            status=full,
            status_starting_time=start,
            identity=ident,
            history=entries,
            qualifications=(
                Qualification(
                    ("http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/QCForESig",),
                    CriteriaList(
                        "all",
                        key_usage=((("nonRepudiation", True),),),
                        policy_sets=((self.profile.policy_oid,),),
                    ),
                ),
            ),
        )

    def trusted_list(
        self,
        *,
        sequence: int = 1,
        issue_date: _dt.datetime | None = None,
        next_update: _dt.datetime | Literal["default"] | None = "default",
        services: Sequence[TrustService] | None = None,
        provider: str | None = None,
        pointers: Sequence[OtherTSLPointer] = (),
        version: int = 5,
        list_of_lists: bool = False,
    ) -> TrustedList:
        """The region's list (model): one provider listing ``services`` (default: the root)."""
        from bayident.trustlist import TrustedList, TrustServiceProvider

        p = self.profile
        issued = issue_date or self._now()
        nxt = issued + _dt.timedelta(days=180) if next_update == "default" else next_update
        kind = "listofthelists" if list_of_lists else "list"
        svcs = tuple(services) if services is not None else (self.service(),)
        providers = (
            (TrustServiceProvider(provider or f"{p.root_name} operator", svcs),) if svcs else ()
        )
        return TrustedList(
            scheme_operator_name=p.operator,
            scheme_name=p.scheme,
            territory=p.territory,
            sequence_number=sequence,
            issue_date=issued,
            next_update=nxt,
            version=version,
            tsl_type=f"http://uri.etsi.org/TrstSvc/TrustedList/TSLType/{p.territory}{kind}",
            pointers=tuple(pointers),
            providers=providers,
            jurisdiction=p.jurisdiction if p.jurisdiction != p.territory else None,
        )

    def pointer_to(
        self, location: str, *, mime_type: str = "application/vnd.etsi.tsl+xml"
    ) -> OtherTSLPointer:
        """A pointer to this operator's list at ``location``, naming its signer."""
        from bayident.trustlist import OtherTSLPointer

        p = self.profile
        return OtherTSLPointer(
            location=location,
            signer_certificates=(self.signer.certificate.public_bytes(Encoding.DER),),
            territory=p.territory,
            tsl_type=f"http://uri.etsi.org/TrstSvc/TrustedList/TSLType/{p.territory}list",
            mime_type=mime_type,
            scheme_operator_name=p.operator,
        )

    def etsi_xml(self, tl: TrustedList | None = None, **list_args: Any) -> bytes:
        """The list as signed ETSI TS 119 612 XML."""
        from bayident.trustlist import to_etsi_xml

        return to_etsi_xml(
            tl if tl is not None else self.trusted_list(**list_args),
            self.signing_key,
            self.signer.certificate,
        )

    def json_jws(self, tl: TrustedList | None = None, *, x5c: bool = True, **list_args: Any) -> str:
        """The list as a compact JWS (with ``x5c`` unless told otherwise)."""
        from bayident.trustlist import sign_json_list

        return sign_json_list(
            tl if tl is not None else self.trusted_list(**list_args),
            self.signing_key,
            self.signer.certificate if x5c else None,
        )


# --- hostile variants -------------------------------------------------------------------

HostileKind = Literal[
    "second-list",
    "moved-list",
    "reference-elsewhere",
    "two-signatures",
    "signature-moved",
    "wrong-namespace",
    "wrong-root",
    "unknown-version",
    "external-entity",
    "entity-bomb",
    "not-well-formed",
]

_TSL = "http://uri.etsi.org/02231/v2#"
_DS = "http://www.w3.org/2000/09/xmldsig#"


def hostile_etsi_xml(signed: bytes, kind: HostileKind) -> bytes:
    """A hostile variant of a signed list, for tests that it is never trusted.

    Raises :class:`bayident.InvalidArgument` when ``signed`` is not a list it
    can transform (not XML, no ``TrustServiceStatusList`` parts, no signature).

    ``second-list``: an unsigned forged list appended inside the signed one;
    ``moved-list``: the signed list moved under a forged root whose reference
    points at it; ``reference-elsewhere``: the signature's root reference
    redirected to a sub-element; ``two-signatures``: the signature doubled;
    ``signature-moved``: the signature pushed down into SchemeInformation;
    ``wrong-namespace`` / ``wrong-root`` / ``unknown-version``: the obvious;
    ``external-entity`` / ``entity-bomb``: DTD attacks; ``not-well-formed``:
    the document cut short.
    """
    if not isinstance(signed, (bytes, bytearray)):
        raise InvalidArgument(f"signed must be bytes, not {type(signed).__name__}")
    try:
        return _hostile_etsi_xml(bytes(signed), kind)
    except InvalidArgument:
        raise
    except Exception as exc:  # whatever the input breaks in lxml or in the edits below
        raise InvalidArgument(
            f"cannot make a {kind!r} variant of this input: {type(exc).__name__}: {exc}"
        ) from None


def _hostile_etsi_xml(signed: bytes, kind: HostileKind) -> bytes:
    import copy

    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(signed, parser)
    sig = root.find(f"{{{_DS}}}Signature")
    if kind == "not-well-formed":
        return signed[: len(signed) // 2]
    if kind == "external-entity":
        body = signed.split(b"?>", 1)[1] if signed.startswith(b"<?xml") else signed
        return (
            b'<?xml version="1.0" encoding="UTF-8"?>\n'
            b'<!DOCTYPE TrustServiceStatusList [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
            + body.replace(b"<TSLSequenceNumber>", b"<TSLSequenceNumber>&xxe;", 1)
        )
    if kind == "entity-bomb":
        ents = b'<!ENTITY a0 "lol">' + b"".join(
            b'<!ENTITY a%d "&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;&a%d;">'
            % ((i,) + (i - 1,) * 10)
            for i in range(1, 10)
        )
        body = signed.split(b"?>", 1)[1] if signed.startswith(b"<?xml") else signed
        return (
            b'<?xml version="1.0"?>\n<!DOCTYPE TrustServiceStatusList ['
            + ents
            + b"]>\n"
            + body.replace(b"<SchemeName>", b"<SchemeName>&a9;", 1)
        )
    if kind == "wrong-namespace":
        return signed.replace(
            f'xmlns="{_TSL}"'.encode(), b'xmlns="http://example.org/not-etsi#"', 1
        )
    if kind == "wrong-root":
        return b'<?xml version="1.0"?><Envelope xmlns="http://example.org/"><Body/></Envelope>'
    if kind == "unknown-version":
        # Re-signing is the test's business; here only the number changes (the digest breaks).
        return signed.replace(b"<TSLVersionIdentifier>5<", b"<TSLVersionIdentifier>99<", 1).replace(
            b"<TSLVersionIdentifier>6<", b"<TSLVersionIdentifier>99<", 1
        )
    if sig is None:
        raise InvalidArgument("the list has no ds:Signature to attack")
    if kind == "second-list":
        forged = copy.deepcopy(root)
        forged.remove(forged.find(f"{{{_DS}}}Signature"))
        forged.set("Id", "forged")
        root.find(f"{{{_TSL}}}SchemeInformation").append(forged)
    elif kind == "moved-list":
        forged = copy.deepcopy(root)
        forged.remove(forged.find(f"{{{_DS}}}Signature"))
        original_id = root.get("Id") or "signed-list"
        root.set("Id", original_id)
        forged.set("Id", "forged-root")
        original = copy.deepcopy(root)
        moved_sig = original.find(f"{{{_DS}}}Signature")
        original.remove(moved_sig)
        holder = forged.find(f"{{{_TSL}}}SchemeInformation")
        holder.append(original)
        forged.append(moved_sig)
        for ref in moved_sig.iter(f"{{{_DS}}}Reference"):
            if ref.get("URI") in ("", f"#{original_id}"):
                ref.set("URI", f"#{original_id}")
        root = forged
    elif kind == "reference-elsewhere":
        si = root.find(f"{{{_TSL}}}SchemeInformation")
        si.set("Id", "scheme-info")
        for ref in sig.iter(f"{{{_DS}}}Reference"):
            if ref.get("URI") == "" or ref.get("URI") == f"#{root.get('Id')}":
                ref.set("URI", "#scheme-info")
    elif kind == "two-signatures":
        root.append(copy.deepcopy(sig))
    elif kind == "signature-moved":
        root.remove(sig)
        root.find(f"{{{_TSL}}}SchemeInformation").append(sig)
    else:
        raise InvalidArgument(f"unknown hostile kind {kind!r}")
    out: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return out


# --- serving lists ----------------------------------------------------------------------


@dataclass
class ListRoute:
    """How a path is served: body, type, status, validators, and misbehaviour.

    ``delay`` seconds pass before the answer (a slow server); ``truncate_at``
    sends only that many bytes of the body while announcing all of them.
    ETag and Last-Modified default to the body's digest and a fixed date, so
    conditional requests get 304.
    """

    body: bytes
    content_type: str = "application/vnd.etsi.tsl+xml"
    status: int = 200
    etag: str | None = None
    last_modified: str | None = "Wed, 01 Jan 2025 00:00:00 GMT"
    delay: float = 0.0
    truncate_at: int | None = None
    hits: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        if self.etag is None:
            self.etag = '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'

    def not_modified(self, headers: Mapping[str, str]) -> bool:
        inm = headers.get("if-none-match")
        if inm is not None:
            return inm == self.etag
        ims = headers.get("if-modified-since")
        return ims is not None and self.last_modified is not None and ims == self.last_modified


class TrustListServer:
    """A real HTTP server on 127.0.0.1 (a free port) serving :class:`ListRoute` objects.

    Use as a context manager; :attr:`requests` records each request's path
    and headers.
    """

    def __init__(self) -> None:
        self.routes: dict[str, ListRoute] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return  # quiet tests

            def do_GET(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                with server._lock:
                    server.requests.append((self.path, headers))
                    route = server.routes.get(self.path)
                    if route is not None:
                        route.hits += 1
                if route is None:
                    self._plain(404, b"not found")
                    return
                if route.delay:
                    time.sleep(route.delay)
                if route.status != 200:
                    self._plain(route.status, b"server error")
                    return
                if route.not_modified(headers):
                    self.send_response(304)
                    self.send_header("ETag", route.etag or "")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                if route.etag:
                    self.send_header("ETag", route.etag)
                if route.last_modified:
                    self.send_header("Last-Modified", route.last_modified)
                self.end_headers()
                if route.truncate_at is not None:
                    self.wfile.write(route.body[: route.truncate_at])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(route.body)

            def _plain(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False

            def handle_error(self, request: Any, client_address: Any) -> None:
                # A client that hangs up early (a refused content type, a timeout) is expected.
                return

        self._httpd = Server(("127.0.0.1", 0), Handler)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, body: bytes | str, **route: Any) -> ListRoute:
        """Serve ``body`` at ``path`` (see :class:`ListRoute` for the options)."""
        data = body.encode() if isinstance(body, str) else body
        r = ListRoute(data, **route)
        with self._lock:
            self.routes[path] = r
        return r

    def start(self) -> TrustListServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="bayident-trustlist-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> TrustListServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def mock_transport(routes: Mapping[str, ListRoute]) -> httpx.MockTransport:
    """An ``httpx`` transport answering like :class:`TrustListServer`, without a socket.

    Keys are full URLs or paths. A route with ``delay`` raises
    ``httpx.ReadTimeout`` (what a client with a shorter timeout sees).
    """

    def handler(request: httpx.Request) -> httpx.Response:
        route = routes.get(str(request.url)) or routes.get(request.url.path)
        if route is None:
            return httpx.Response(404, content=b"not found", headers={"content-type": "text/plain"})
        route.hits += 1
        if route.delay:
            raise httpx.ReadTimeout("the mock server is slow", request=request)
        if route.status != 200:
            return httpx.Response(
                route.status, content=b"server error", headers={"content-type": "text/plain"}
            )
        headers = {k.lower(): v for k, v in request.headers.items()}
        if route.not_modified(headers):
            return httpx.Response(304, headers={"etag": route.etag or ""})
        body = route.body if route.truncate_at is None else route.body[: route.truncate_at]
        out = {"content-type": route.content_type, "content-length": str(len(route.body))}
        if route.etag:
            out["etag"] = route.etag
        if route.last_modified:
            out["last-modified"] = route.last_modified
        return httpx.Response(200, headers=out, content=body)

    return httpx.MockTransport(handler)
