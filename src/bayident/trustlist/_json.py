"""The bayident JSON trust list: a small format for operators without XML tooling.

A list is a JSON object (schema: ``docs/trustlist.schema.json``, described in
``docs/trustlists.md``) carried as the payload of a compact JWS. The signer is
named by ``x5c`` (its certificate first) or is a key the relying party pinned.
Parsing is strict: duplicate keys, unknown keys, wrong types and oversized
input are refused with the JSON path of the field at fault.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError

from .._exceptions import InvalidArgument
from .._json import JSONError, loads
from ..jose._algs import key_mismatch
from ..jose._algs import lookup as lookup_algorithm
from ..jose._b64 import B64Error, b64url_decode, std_b64_decode
from ..jose._parse import JWSFormatError, parse_jws
from ._document import DEFAULT_MAX_LIST_BYTES, TrustListDocument
from ._model import (
    CriteriaList,
    DigitalIdentity,
    OtherTSLPointer,
    Qualification,
    ServiceHistoryEntry,
    SignatureStatus,
    TrustedList,
    TrustService,
    TrustServiceProvider,
)
from ._xades import load_certificate

__all__ = [
    "FORMAT_NAME",
    "JWS_ALGORITHMS",
    "JWS_TYPE",
    "JsonTrustList",
    "from_etsi",
    "json_schema",
    "read_json_list",
    "sign_json_list",
    "to_json",
    "to_trusted_list",
]

FORMAT_NAME = "bayident-trust-list"
JWS_TYPE = "bayident-trust-list+jws"
#: Signature algorithms accepted; "none" and the HMAC family never are.
JWS_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)

_SVCTYPE = "http://uri.etsi.org/TrstSvc/Svctype/"
_SVCSTATUS = "http://uri.etsi.org/TrstSvc/TrustedList/Svcstatus/"
_TSLTYPE = "http://uri.etsi.org/TrstSvc/TrustedList/TSLType/"

_S = SignatureStatus
_STRICT = ConfigDict(extra="forbid", frozen=True)

PublicKey = CertificatePublicKeyTypes


# --- the document model (what the JSON Schema is generated from) ------------------------


class JsonCriteria(BaseModel):
    """Conditions a certificate meets for a qualification to apply."""

    model_config = _STRICT

    assert_: Literal["all", "atLeastOne", "none"] = Field(default="all", alias="assert")
    key_usage: tuple[dict[StrictStr, StrictBool], ...] = Field(
        default=(), description="Each object: key-usage bits (e.g. nonRepudiation) and their value."
    )
    policy_sets: tuple[tuple[StrictStr, ...], ...] = Field(
        default=(), description="Each array: certificate-policy OIDs that must all be present."
    )
    extended_key_usages: tuple[tuple[StrictStr, ...], ...] = ()
    nested: tuple[JsonCriteria, ...] = ()
    description: StrictStr | None = None


class JsonQualification(BaseModel):
    model_config = _STRICT

    qualifiers: tuple[StrictStr, ...] = Field(
        description="Qualifier URIs, e.g. http://uri.etsi.org/TrstSvc/TrustedList/SvcInfoExt/QCForESig."
    )
    criteria: JsonCriteria


class JsonHistory(BaseModel):
    model_config = _STRICT

    type: StrictStr = Field(description="Service type URI, or its short form (e.g. CA/QC).")
    name: StrictStr
    status: StrictStr = Field(description="Status URI, or its short form (e.g. granted).")
    status_starting_time: _dt.datetime
    certificates: tuple[StrictStr, ...] = Field(default=(), description="Base64 DER certificates.")
    subject_names: tuple[StrictStr, ...] = ()
    skis: tuple[StrictStr, ...] = Field(default=(), description="Base64 subject key identifiers.")
    qualifications: tuple[JsonQualification, ...] = ()
    additional_information: tuple[StrictStr, ...] = ()


class JsonService(JsonHistory):
    history: tuple[JsonHistory, ...] = ()
    supply_points: tuple[StrictStr, ...] = ()


class JsonProvider(BaseModel):
    model_config = _STRICT

    name: StrictStr = Field(min_length=1)
    trade_names: tuple[StrictStr, ...] = ()
    information_uris: tuple[StrictStr, ...] = ()
    services: tuple[JsonService, ...] = ()


class JsonPointer(BaseModel):
    model_config = _STRICT

    location: StrictStr = Field(min_length=1)
    territory: StrictStr | None = None
    type: Literal["generic", "list-of-lists"] | None = None
    tsl_type: StrictStr | None = Field(
        default=None, description="Overrides 'type' with a full URI."
    )
    mime_type: StrictStr | None = None
    scheme_operator: StrictStr | None = None
    signer_certificates: tuple[StrictStr, ...] = Field(
        default=(), description="Base64 DER certificates allowed to sign the list pointed to."
    )


class JsonTrustList(BaseModel):
    """A bayident JSON trust list (format version 1)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="bayident JSON trust list",
        json_schema_extra={"$id": "https://bayident.readthedocs.io/trustlist.schema.json"},
    )

    format: Literal["bayident-trust-list"]
    format_version: Literal[1]
    scheme_operator: StrictStr = Field(min_length=1)
    scheme_name: StrictStr = ""
    territory: StrictStr = Field(
        min_length=2, description="ISO 3166-1 alpha-2 code (HK, MO, CN) or EU."
    )
    jurisdiction: StrictStr | None = Field(
        default=None, description="A finer jurisdiction, e.g. CN-GD (ISO 3166-2)."
    )
    sequence_number: StrictInt = Field(ge=1)
    issue_date: _dt.datetime
    next_update: _dt.datetime | None = Field(
        description="When the next list is due; null for a closed list."
    )
    type: Literal["generic", "list-of-lists"] = "generic"
    tsl_type: StrictStr | None = Field(
        default=None, description="Overrides 'type' with a full URI."
    )
    tsl_version: Literal[5, 6] = Field(
        default=5, description="TSLVersionIdentifier used when converted to ETSI XML."
    )
    information_uris: tuple[StrictStr, ...] = ()
    distribution_points: tuple[StrictStr, ...] = ()
    pointers: tuple[JsonPointer, ...] = ()
    providers: tuple[JsonProvider, ...] = ()


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the list format (published as ``docs/trustlist.schema.json``)."""
    schema = JsonTrustList.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


# --- strict JSON ------------------------------------------------------------------------


class _Bad(Exception):
    def __init__(self, status: SignatureStatus, reason: str, field: str | None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.field = field


def _strict_loads(data: bytes, what: str) -> Any:
    # The document's size was bounded when it was read; the reader bounds its depth and
    # its number of values (memory near the input size).
    try:
        return loads(data, what, len(data))
    except JSONError as exc:
        raise _Bad(_S.MALFORMED, str(exc), f"{what}.{exc.key}" if exc.key else what) from None


# --- model conversion -------------------------------------------------------------------


def _full(value: str, prefix: str) -> str:
    return value if "://" in value else prefix + value


def _short(value: str, prefix: str) -> str:
    return value.removeprefix(prefix)


def _der_list(values: Iterable[str], where: str) -> tuple[bytes, ...]:
    out = []
    for i, v in enumerate(values):
        try:
            out.append(base64.b64decode("".join(v.split()), validate=True))
        except (binascii.Error, ValueError):
            raise _Bad(_S.MALFORMED, "not valid base64", f"{where}[{i}]") from None
    return tuple(out)


def _utc(when: _dt.datetime, where: str) -> _dt.datetime:
    if when.tzinfo is None:
        raise _Bad(_S.MALFORMED, "a date-time needs an offset (e.g. Z)", where)
    return when.astimezone(_dt.UTC)


def _criteria_model(c: JsonCriteria) -> CriteriaList:
    return CriteriaList(
        assert_=c.assert_,
        key_usage=tuple(tuple(ku.items()) for ku in c.key_usage),
        policy_sets=c.policy_sets,
        extended_key_usages=c.extended_key_usages,
        nested=tuple(_criteria_model(n) for n in c.nested),
        description=c.description,
    )


def _quals(qs: tuple[JsonQualification, ...]) -> tuple[Qualification, ...]:
    return tuple(Qualification(q.qualifiers, _criteria_model(q.criteria)) for q in qs)


def _identity(h: JsonHistory, where: str) -> DigitalIdentity:
    return DigitalIdentity(
        certificates=_der_list(h.certificates, f"{where}.certificates"),
        subject_names=h.subject_names,
        skis=_der_list(h.skis, f"{where}.skis"),
    )


def _tsl_type(kind: str | None, explicit: str | None, territory: str | None) -> str | None:
    if explicit:
        return explicit
    if kind is None or not territory:
        return None
    prefix = "EU" if territory == "EU" else territory
    if territory == "EU":
        return _TSLTYPE + ("EUlistofthelists" if kind == "list-of-lists" else "EUgeneric")
    return _TSLTYPE + prefix + ("listofthelists" if kind == "list-of-lists" else "list")


def to_trusted_list(doc: JsonTrustList) -> TrustedList:
    """The model of a validated JSON list."""
    providers = []
    for i, p in enumerate(doc.providers):
        services = []
        for j, s in enumerate(p.services):
            where = f"providers[{i}].services[{j}]"
            history = tuple(
                ServiceHistoryEntry(
                    service_type=_full(h.type, _SVCTYPE),
                    name=h.name,
                    status=_full(h.status, _SVCSTATUS),
                    status_starting_time=_utc(
                        h.status_starting_time, f"{where}.history[{k}].status_starting_time"
                    ),
                    identity=_identity(h, f"{where}.history[{k}]"),
                    qualifications=_quals(h.qualifications),
                    additional_information=h.additional_information,
                )
                for k, h in enumerate(s.history)
            )
            services.append(
                TrustService(
                    service_type=_full(s.type, _SVCTYPE),
                    name=s.name,
                    status=_full(s.status, _SVCSTATUS),
                    status_starting_time=_utc(
                        s.status_starting_time, f"{where}.status_starting_time"
                    ),
                    identity=_identity(s, where),
                    history=history,
                    qualifications=_quals(s.qualifications),
                    additional_information=s.additional_information,
                    supply_points=s.supply_points,
                )
            )
        providers.append(
            TrustServiceProvider(
                name=p.name,
                services=tuple(services),
                trade_names=p.trade_names,
                information_uris=p.information_uris,
            )
        )
    pointers = tuple(
        OtherTSLPointer(
            location=ptr.location,
            signer_certificates=_der_list(
                ptr.signer_certificates, f"pointers[{i}].signer_certificates"
            ),
            territory=ptr.territory,
            tsl_type=_tsl_type(ptr.type, ptr.tsl_type, ptr.territory),
            mime_type=ptr.mime_type,
            scheme_operator_name=ptr.scheme_operator,
        )
        for i, ptr in enumerate(doc.pointers)
    )
    tsl_type = _tsl_type(doc.type, doc.tsl_type, doc.territory)
    assert tsl_type is not None
    return TrustedList(
        scheme_operator_name=doc.scheme_operator,
        scheme_name=doc.scheme_name,
        territory=doc.territory,
        sequence_number=doc.sequence_number,
        issue_date=_utc(doc.issue_date, "issue_date"),
        next_update=_utc(doc.next_update, "next_update") if doc.next_update else None,
        version=doc.tsl_version,
        tsl_type=tsl_type,
        pointers=pointers,
        providers=tuple(providers),
        information_uris=doc.information_uris,
        distribution_points=doc.distribution_points,
        jurisdiction=doc.jurisdiction,
    )


def _b64(der: bytes) -> str:
    return base64.b64encode(der).decode()


def _criteria_json(c: CriteriaList) -> dict[str, Any]:
    out: dict[str, Any] = {"assert": c.assert_}
    if c.key_usage:
        out["key_usage"] = [dict(bits) for bits in c.key_usage]
    if c.policy_sets:
        out["policy_sets"] = [list(ps) for ps in c.policy_sets]
    if c.extended_key_usages:
        out["extended_key_usages"] = [list(e) for e in c.extended_key_usages]
    if c.nested:
        out["nested"] = [_criteria_json(n) for n in c.nested]
    if c.description:
        out["description"] = c.description
    return out


def _time(when: _dt.datetime) -> str:
    return when.astimezone(_dt.UTC).isoformat().replace("+00:00", "Z")


def _entry_json(
    stype: str,
    name: str,
    status: str,
    start: _dt.datetime,
    ident: DigitalIdentity,
    quals: tuple[Qualification, ...],
    extra: tuple[str, ...],
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": _short(stype, _SVCTYPE),
        "name": name,
        "status": _short(status, _SVCSTATUS),
        "status_starting_time": _time(start),
    }
    if ident.certificates:
        out["certificates"] = [_b64(c) for c in ident.certificates]
    if ident.subject_names:
        out["subject_names"] = list(ident.subject_names)
    if ident.skis:
        out["skis"] = [_b64(s) for s in ident.skis]
    if quals:
        out["qualifications"] = [
            {"qualifiers": list(q.qualifiers), "criteria": _criteria_json(q.criteria)}
            for q in quals
        ]
    if extra:
        out["additional_information"] = list(extra)
    return out


def from_etsi(tl: TrustedList) -> dict[str, Any]:
    """The list as a bayident JSON document (a ``dict`` ready for :func:`json.dumps`).

    Versions 3 and 4 become 5 (the JSON format knows 5 and 6 only); the
    ``tsl_type`` is kept whenever the short ``type`` would not restore it.
    """
    out: dict[str, Any] = {
        "format": FORMAT_NAME,
        "format_version": 1,
        "scheme_operator": tl.scheme_operator_name,
        "scheme_name": tl.scheme_name,
        "territory": tl.territory,
        "sequence_number": tl.sequence_number,
        "issue_date": _time(tl.issue_date),
        "next_update": _time(tl.next_update) if tl.next_update else None,
        "type": tl.kind,
        "tsl_version": tl.version if tl.version in (5, 6) else 5,
    }
    if tl.jurisdiction:
        out["jurisdiction"] = tl.jurisdiction
    if _tsl_type(tl.kind, None, tl.territory) != tl.tsl_type:
        out["tsl_type"] = tl.tsl_type
    if tl.information_uris:
        out["information_uris"] = list(tl.information_uris)
    if tl.distribution_points:
        out["distribution_points"] = list(tl.distribution_points)
    if tl.pointers:
        ptrs = []
        for p in tl.pointers:
            ptr: dict[str, Any] = {"location": p.location}
            if p.territory:
                ptr["territory"] = p.territory
            if p.tsl_type:
                kind = "list-of-lists" if p.is_list_of_lists else "generic"
                if _tsl_type(kind, None, p.territory) == p.tsl_type:
                    ptr["type"] = kind
                else:
                    ptr["tsl_type"] = p.tsl_type
            if p.mime_type:
                ptr["mime_type"] = p.mime_type
            if p.scheme_operator_name:
                ptr["scheme_operator"] = p.scheme_operator_name
            if p.signer_certificates:
                ptr["signer_certificates"] = [_b64(c) for c in p.signer_certificates]
            ptrs.append(ptr)
        out["pointers"] = ptrs
    providers = []
    for prov in tl.providers:
        pj: dict[str, Any] = {"name": prov.name}
        if prov.trade_names:
            pj["trade_names"] = list(prov.trade_names)
        if prov.information_uris:
            pj["information_uris"] = list(prov.information_uris)
        services = []
        for s in prov.services:
            sj = _entry_json(
                s.service_type,
                s.name,
                s.status,
                s.status_starting_time,
                s.identity,
                s.qualifications,
                s.additional_information,
            )
            if s.supply_points:
                sj["supply_points"] = list(s.supply_points)
            if s.history:
                sj["history"] = [
                    _entry_json(
                        h.service_type,
                        h.name,
                        h.status,
                        h.status_starting_time,
                        h.identity,
                        h.qualifications,
                        h.additional_information,
                    )
                    for h in s.history
                ]
            services.append(sj)
        pj["services"] = services
        providers.append(pj)
    out["providers"] = providers
    return out


def to_json(tl: TrustedList) -> bytes:
    """The list as bayident JSON bytes (UTF-8, keys in a stable order)."""
    return json.dumps(from_etsi(tl), ensure_ascii=False, indent=2).encode("utf-8")


# --- JWS --------------------------------------------------------------------------------


def _alg_for(key: Any) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        return "RS256"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return {256: "ES256", 384: "ES384", 521: "ES512"}.get(key.curve.key_size, "")
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "EdDSA"
    return ""


def sign_json_list(
    tl: TrustedList | dict[str, Any],
    signing_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey,
    cert: x509.Certificate | None = None,
    *,
    chain: Sequence[x509.Certificate] = (),
    kid: str | None = None,
) -> str:
    """The list as a compact JWS signed by ``signing_key``.

    With ``cert`` the header carries ``x5c`` (``cert`` then ``chain``), so
    anyone can check integrity; without it, only holders of the pinned public
    key can. ``kid`` names the key for relying parties with several.
    """
    import jwt

    alg = _alg_for(signing_key)
    if not alg:
        raise InvalidArgument(
            "signing_key must be an RSA, EC (P-256/P-384/P-521) or Ed25519 private key"
        )
    if cert is not None and cert.public_key().public_bytes(
        Encoding.DER, PublicFormat.SubjectPublicKeyInfo
    ) != signing_key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo):
        raise InvalidArgument("cert does not hold the public key of signing_key")
    body = from_etsi(tl) if isinstance(tl, TrustedList) else tl
    payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers: dict[str, Any] = {"typ": JWS_TYPE, "cty": "json"}
    if cert is not None:
        headers["x5c"] = [_b64(c.public_bytes(Encoding.DER)) for c in (cert, *chain)]
    if kid is not None:
        headers["kid"] = kid
    token: str = jwt.api_jws.PyJWS().encode(payload, signing_key, algorithm=alg, headers=headers)
    return token


def _key_kind(key: Any) -> str:
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    return type(key).__name__


def _spki(key: Any) -> bytes:
    return bytes(key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo))


def read_json_list(
    data: bytes | str,
    *,
    source: str = "trusted list",
    keys: Iterable[PublicKey | x509.Certificate] = (),
    max_bytes: int = DEFAULT_MAX_LIST_BYTES,
) -> TrustListDocument:
    """Read a bayident JSON list (a compact JWS, or bare JSON which is ``missing`` a signature).

    Integrity is checked with the ``x5c`` certificate; a JWS without ``x5c``
    is checked against ``keys`` (pinned public keys or certificates) and is
    ``unsupported`` without them. Never raises for bad input.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise InvalidArgument(f"data must be bytes or str, not {type(data).__name__}")
    raw = bytes(data)
    digest = hashlib.sha256(raw).hexdigest()

    def done(
        status: SignatureStatus,
        reason: str,
        field: str | None = None,
        signer: x509.Certificate | None = None,
        content: TrustedList | None = None,
        verified: bool = False,
        spki: bytes | None = None,
    ) -> TrustListDocument:
        return TrustListDocument(
            source=source,
            format="bayident-json",
            status=status,
            reason=reason,
            field=field,
            signer_certificate=signer,
            content=content,
            sha256=digest,
            signature_verified=verified,
            signer_spki=spki,
            # The compact JWS header is protected, so an x5c signer is named by a signed field.
            signer_binding=("certificate" if signer is not None else "key-only")
            if verified
            else None,
        )

    if len(raw) > max_bytes:
        return done(
            _S.MALFORMED,
            f"the list is {len(raw)} bytes, over the limit of {max_bytes} bytes",
            "document",
        )
    text = raw.strip()
    if not text:
        return done(_S.MALFORMED, "the document is empty", "document")
    try:
        if text.startswith(b"{"):
            content = _content(text)
            return done(
                _S.MISSING,
                "the JSON list is not signed (a bayident list is the payload of a compact JWS)",
                "document",
                content=content,
            )
        signer, payload, verified_by, spki = _verify_jws(text, list(keys))
    except _Bad as bad:
        return done(bad.status, bad.reason, bad.field)
    try:
        content = _content(payload)
    except _Bad as bad:
        return done(bad.status, bad.reason, bad.field, signer=signer, verified=True, spki=spki)
    return done(
        _S.VALID,
        f"JWS verifies with {verified_by}",
        signer=signer,
        content=content,
        verified=True,
        spki=spki,
    )


def _content(payload: bytes) -> TrustedList:
    obj = _strict_loads(payload, "payload")
    if not isinstance(obj, dict):
        raise _Bad(_S.MALFORMED, "the list must be a JSON object", "payload")
    if obj.get("format") != FORMAT_NAME:
        raise _Bad(_S.MALFORMED, f"'format' must be {FORMAT_NAME!r}", "payload.format")
    if "format_version" in obj and obj["format_version"] != 1:
        raise _Bad(
            _S.UNSUPPORTED,
            f"format_version {str(obj['format_version'])[:20]} is not supported (1)",
            "payload.format_version",
        )
    try:
        doc = JsonTrustList.model_validate(obj)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise _Bad(_S.MALFORMED, f"{loc}: {err['msg']}", f"payload.{loc}") from None
    return to_trusted_list(doc)


def _verify_jws(
    token: bytes, keys: list[PublicKey | x509.Certificate]
) -> tuple[x509.Certificate | None, bytes, str, bytes]:
    # The structure, the header's JSON and the signature check are bayident.jose's: one
    # JWS verifier for evidence and lists. What is particular to lists is here: compact
    # only, no extensions, and the key is the x5c certificate or one the caller pinned.
    try:
        parsed = parse_jws(token, limit=len(token), max_signatures=1)
    except JWSFormatError as exc:
        raise _Bad(_S.MALFORMED, exc.message, _jws_field(exc.concerns)) from None
    part = parsed.signatures[0]
    if parsed.serialization != "compact" or parsed.payload is None:
        raise _Bad(_S.MALFORMED, "a bayident list is the payload of a compact JWS", "payload")
    try:
        payload = b64url_decode(parsed.payload, "the JWS payload")
    except B64Error as exc:
        raise _Bad(_S.MALFORMED, str(exc), "payload") from None
    if not part.signature:
        raise _Bad(_S.MALFORMED, "the JWS signature is empty", "signature")
    header = part.protected
    alg = header.get("alg")
    if not isinstance(alg, str):
        raise _Bad(_S.MALFORMED, "the JWS header has no 'alg'", "header.alg")
    if alg not in JWS_ALGORITHMS:
        raise _Bad(
            _S.UNSUPPORTED,
            f"JWS algorithm {alg[:20]!r} is not accepted ({', '.join(sorted(JWS_ALGORITHMS))})",
            "header.alg",
        )
    jose_alg = lookup_algorithm(alg)
    if "crit" in header:
        raise _Bad(_S.UNSUPPORTED, "JWS 'crit' extensions are not supported", "header.crit")
    if header.get("b64") is not None:
        raise _Bad(_S.UNSUPPORTED, "unencoded JWS payloads (b64) are not supported", "header.b64")

    signer: x509.Certificate | None = None
    candidates: list[tuple[Any, str]] = []
    x5c = header.get("x5c")
    if x5c is not None:
        if not isinstance(x5c, list) or not x5c or not all(isinstance(c, str) for c in x5c):
            raise _Bad(
                _S.MALFORMED, "'x5c' must be a non-empty array of base64 strings", "header.x5c"
            )
        try:
            signer = load_certificate(std_b64_decode(x5c[0], "x5c[0]"))
            # cryptography parses lazily: read what is used now, so damage shows up here.
            candidate = (
                signer.public_key(),
                f"the x5c certificate '{signer.subject.rfc4514_string()}'",
            )
        except (B64Error, ValueError, UnsupportedAlgorithm) as exc:
            raise _Bad(
                _S.MALFORMED, f"x5c[0] is not a usable certificate: {exc}", "header.x5c[0]"
            ) from None
        candidates.append(candidate)
    else:
        for k in keys:
            if isinstance(k, x509.Certificate):
                candidates.append(
                    (k.public_key(), f"the pinned certificate '{k.subject.rfc4514_string()}'")
                )
            else:
                candidates.append((k, "a pinned key"))
        if not candidates:
            raise _Bad(
                _S.UNSUPPORTED,
                "the JWS has no 'x5c' certificate; its integrity can only be checked with a "
                "pinned key",
                "header.x5c",
            )
    signing_input = part.protected_b64 + b"." + parsed.payload
    last = "no key"
    for key, label in candidates:
        if key_mismatch(jose_alg, key) is not None:
            last = f"{label} holds a {_key_kind(key)} key, which cannot check {alg} signatures"
            continue
        try:
            good = jose_alg.verify(key, signing_input, part.signature)
        except (ValueError, TypeError) as exc:
            last = f"{label} cannot verify {alg}: {exc}"
            continue
        if not good:
            last = f"the signature does not verify with {label}"
            continue
        spki = _spki(key)
        if signer is None:
            # Verified with a pinned key: name its certificate when one was given.
            for k in keys:
                if isinstance(k, x509.Certificate) and _spki(k.public_key()) == spki:
                    signer = k
        return signer, payload, label, spki
    raise _Bad(_S.INVALID, last, "signature")


def _jws_field(concerns: str) -> str:
    # bayident.jose names the protected header and signature of a compact JWS "JWS.protected"
    # and "JWS.signature"; a list's fields are named from the document.
    if concerns.endswith(".protected"):
        return "header"
    if concerns.endswith(".signature"):
        return "signature"
    return "document"
