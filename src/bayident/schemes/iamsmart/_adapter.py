"""iAM Smart as a scheme adapter: profile callbacks and hash-signing results to an Identity.

Evidence types (the ``type`` of a scheme-evidence envelope with scheme ``iamsmart``):

``profile-callback``
    ``{"headers": {...}, "body": "<exact body>", "openID"?: "..."}``: a callback iAM Smart
    sent the service. The signature headers are checked (HMAC, timestamp window, nonce
    replay), the reply envelope read, its content decrypted and the profile mapped.
``profile-reply``
    ``{"body": "<reply>", "openID"?: "..."}``: a reply the service fetched itself over TLS
    (no signature headers); decrypted and mapped the same way.

    Both profile types take an optional ``binding``: the relying party's record of the
    account's binding to a Guangdong unified identity (see :mod:`.._binding`).
``signing-result``
    ``{"result": {businessID, state, hashCode, timestamp, signature, cert}, "request":
    {hashCode, HKICHash, businessID?, state?}, "signer": {"hkid": ...} or {"profile":
    ...}, "chain"?: [...]}``: the outcome of a hash-signing request. The signature is
    verified over the hash with the iAM Smart-Cert, the certificate's path to a Hongkong
    Post root in the trust store, and ``HKICHash`` against the signed-in person's HKID.
``signing-callback``
    the same, with the result delivered as a signed, encrypted callback
    (``headers`` and ``body`` instead of ``result``).

``docs/schemes/iamsmart.md`` documents every setting of :class:`IAmSmartSettings`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, utils
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

from ..._exceptions import InputError, InvalidArgument
from ..._handlers import EvidenceContext
from ..._identity import Assurance, AssuranceLevel, Identity, IdentityIdentifier
from ..._result import (
    Check,
    CheckOutcome,
    Indication,
    SignerReport,
    SubIndication,
    VerificationResult,
)
from ...identifiers import IdentifierKind, hkid_hash
from ...identifiers import validate as _validate_identifier
from .._base import SchemeEvidence, SchemeFailure, parse_json_object
from .._binding import attach_binding
from .._dispatch import EVIDENCE_FORMAT, apply_recognition, identify_certificate
from .._fields import b64_field, certificate_field, fail, obj_field, opt_str, req_str
from .._roots import impersonated_root
from ._common import EnvelopeErrorCode, IAmSmartEnvelopeError
from ._envelope import (
    DEFAULT_UNWRAP_PADDINGS,
    DEFAULT_WINDOW_MS,
    MAX_PROFILE_BYTES,
    InMemoryNonceStore,
    NonceStore,
    PaddingName,
    decrypt_content,
    unwrap_secret_key,
    verify_request_signature,
)
from ._outcome import reply_failure
from ._profile import IAmSmartProfile, parse_profile
from ._reply import parse_reply

__all__ = ["EVIDENCE_TYPES", "IAmSmartAdapter", "IAmSmartSettings", "SignatureEncoding"]

SignatureEncoding = Literal["pkcs1v15-sha256", "pkcs1v15-sha256-prehashed", "cms"]
HashCodeEncoding = Literal["auto", "hex", "base64"]

EVIDENCE_TYPES = ("profile-callback", "profile-reply", "signing-result", "signing-callback")
_MAX_CERT_CHARS = 24 * 1024
_MAX_SIGNATURE_CHARS = 64 * 1024
_HEX64 = re.compile(r"[0-9a-fA-F]{64}", re.ASCII)


@dataclass
class IAmSmartSettings:
    """How the iAM Smart adapter checks evidence; the defaults follow the public samples.

    Transport (callbacks): ``client_id`` (pins the ``clientID`` header), ``client_secret``
    (the HMAC key), ``content_key`` (the 32-byte key from ``getKey``, or a function
    returning the current one), ``service_private_key`` (the service's RSA key registered
    with iAM Smart: a callback that carries its own wrapped ``secretKey`` is decrypted
    with that key, unwrapped with this one, as the public samples do; without it the
    ``getKey`` key is used), ``unwrap_paddings``, ``nonce_store``, ``window_ms``,
    ``url_encode_signature``, ``extra_codes`` (meanings for codes outside the public
    table), ``required_profile_fields``.

    Signing: ``signature_encoding`` — ``"pkcs1v15-sha256"`` (SHA-256withRSA over the hash
    bytes, as the public sample verifies), ``"pkcs1v15-sha256-prehashed"`` (the hash is the
    digest inside the PKCS#1 v1.5 DigestInfo) or ``"cms"`` (a detached CMS SignedData over
    the document; needs ``content``); ``hash_code_encoding`` of ``hashCode``;
    ``root_patterns`` (the trust anchor's name must contain one: Hongkong Post issues the
    iAM Smart-Cert); ``certificate_adapter`` (the certificate adapter that must claim the
    certificate) and ``certificate_types`` (its accepted types; empty: any).

    Assurance: ``authentication_assurance`` and ``signing_assurance`` on the common scale.
    """

    client_id: str | None = None
    client_secret: str | bytes | None = None
    content_key: bytes | Callable[[], bytes] | None = None
    service_private_key: RSAPrivateKey | None = None
    unwrap_paddings: tuple[PaddingName, ...] = DEFAULT_UNWRAP_PADDINGS
    nonce_store: NonceStore = field(default_factory=InMemoryNonceStore)
    window_ms: int = DEFAULT_WINDOW_MS
    url_encode_signature: bool = True
    extra_codes: Mapping[str, str] | None = None
    required_profile_fields: tuple[str, ...] = ("idNo", "enName")
    signature_encoding: SignatureEncoding = "pkcs1v15-sha256"
    hash_code_encoding: HashCodeEncoding = "auto"
    root_patterns: tuple[str, ...] = ("Hongkong Post Root CA",)
    certificate_adapter: str = "hkpost-ecert"
    certificate_types: tuple[str, ...] = ()
    authentication_assurance: AssuranceLevel = AssuranceLevel.SUBSTANTIAL
    signing_assurance: AssuranceLevel = AssuranceLevel.SUBSTANTIAL

    def __post_init__(self) -> None:
        if self.signature_encoding not in ("pkcs1v15-sha256", "pkcs1v15-sha256-prehashed", "cms"):
            raise InvalidArgument(f"unknown signature_encoding {self.signature_encoding!r}")
        if self.hash_code_encoding not in ("auto", "hex", "base64"):
            raise InvalidArgument(f"unknown hash_code_encoding {self.hash_code_encoding!r}")
        if self.service_private_key is not None and not isinstance(
            self.service_private_key, RSAPrivateKey
        ):
            raise InvalidArgument("service_private_key must be an RSA private key")
        if not isinstance(self.nonce_store, NonceStore):
            raise InvalidArgument("nonce_store must implement NonceStore.add_if_absent")
        if (
            isinstance(self.window_ms, bool)
            or not isinstance(self.window_ms, int)
            or self.window_ms < 0
        ):
            raise InvalidArgument("window_ms must be a non-negative int")
        self.authentication_assurance = AssuranceLevel(self.authentication_assurance)
        self.signing_assurance = AssuranceLevel(self.signing_assurance)


# EnvelopeErrorCode -> (check name, sub-indication)
_ENVELOPE_FAULTS: dict[EnvelopeErrorCode, tuple[str, SubIndication]] = {
    EnvelopeErrorCode.SIGNATURE_MISMATCH: ("request-signature", SubIndication.SIG_CRYPTO_FAILURE),
    EnvelopeErrorCode.MISSING_HEADER: ("request-signature", SubIndication.FORMAT_FAILURE),
    EnvelopeErrorCode.DUPLICATE_HEADER: ("request-signature", SubIndication.FORMAT_FAILURE),
    EnvelopeErrorCode.BAD_HEADER: ("request-signature", SubIndication.FORMAT_FAILURE),
    EnvelopeErrorCode.UNSUPPORTED_SIGNATURE_METHOD: (
        "request-signature",
        SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
    ),
    EnvelopeErrorCode.CLIENT_ID_MISMATCH: (
        "request-signature",
        SubIndication.SIG_CONSTRAINTS_FAILURE,
    ),
    EnvelopeErrorCode.STALE_TIMESTAMP: ("request-freshness", SubIndication.SIG_CONSTRAINTS_FAILURE),
    EnvelopeErrorCode.FUTURE_TIMESTAMP: (
        "request-freshness",
        SubIndication.SIG_CONSTRAINTS_FAILURE,
    ),
    EnvelopeErrorCode.REPLAYED_NONCE: ("request-freshness", SubIndication.SIG_CONSTRAINTS_FAILURE),
    EnvelopeErrorCode.NONCE_STORE_FULL: ("request-freshness", SubIndication.TRY_LATER),
    EnvelopeErrorCode.TAG_MISMATCH: ("content-envelope", SubIndication.SIG_CRYPTO_FAILURE),
    EnvelopeErrorCode.TRUNCATED: ("content-envelope", SubIndication.FORMAT_FAILURE),
    EnvelopeErrorCode.BAD_IV_LENGTH: ("content-envelope", SubIndication.FORMAT_FAILURE),
    EnvelopeErrorCode.BAD_BASE64: ("content-envelope", SubIndication.FORMAT_FAILURE),
    EnvelopeErrorCode.KEY_UNWRAP_FAILED: ("content-key", SubIndication.FORMAT_FAILURE),
    EnvelopeErrorCode.UNKNOWN_CODE: ("reply-code", SubIndication.FORMAT_FAILURE),
    EnvelopeErrorCode.INVALID_HKID: ("profile", SubIndication.FORMAT_FAILURE),
}


def _envelope_failure(exc: IAmSmartEnvelopeError, stage: str) -> SchemeFailure:
    check, sub = _ENVELOPE_FAULTS.get(exc.code, (stage, SubIndication.FORMAT_FAILURE))
    return SchemeFailure(check, sub, f"{exc.code.value}: {exc.message}", exc.field or stage)


def _passed(ctx: EvidenceContext, name: str, message: str, concerns: str | None = None) -> None:
    ctx.checks.append(
        Check(name=name, outcome=CheckOutcome.PASSED, message=message, concerns=concerns)
    )


class IAmSmartAdapter:
    """The iAM Smart evidence adapter (scheme ``iamsmart``, jurisdiction HK)."""

    name = "iamsmart"
    scheme = "iamsmart"
    jurisdiction = "HK"
    evidence_types = EVIDENCE_TYPES
    default_purpose = "authenticate"

    def __init__(self, settings: IAmSmartSettings | None = None) -> None:
        if settings is not None and not isinstance(settings, IAmSmartSettings):
            raise InvalidArgument("settings must be IAmSmartSettings")
        self.settings = settings or IAmSmartSettings()

    def __repr__(self) -> str:
        return "IAmSmartAdapter()"

    # --- dispatch ---------------------------------------------------------------------
    def verify_evidence(self, evidence: SchemeEvidence, ctx: EvidenceContext) -> VerificationResult:
        """Verify one piece of iAM Smart evidence; see the module docstring for the types."""
        data = evidence.data
        if evidence.type in ("profile-callback", "profile-reply"):
            return self._profile_evidence(evidence.type, data, ctx)
        return self._signing_evidence(evidence.type, data, ctx)

    # --- transport --------------------------------------------------------------------
    def _key(self) -> bytes:
        key = self.settings.content_key
        if key is None:
            raise fail(
                "configuration",
                SubIndication.SIGNATURE_POLICY_NOT_AVAILABLE,
                "the iAM Smart adapter has no content key: set IAmSmartSettings.content_key "
                "to the key from /security/getKey",
                "IAmSmartSettings.content_key",
            )
        value = key() if callable(key) else key
        if not isinstance(value, bytes | bytearray) or len(value) != 32:
            raise fail(
                "configuration",
                SubIndication.SIGNATURE_POLICY_NOT_AVAILABLE,
                "IAmSmartSettings.content_key must be 32 bytes (AES-256)",
                "IAmSmartSettings.content_key",
            )
        return bytes(value)

    def _content_key_for(self, wrapped: str | None, ctx: EvidenceContext) -> tuple[bytes, str]:
        """The callback's own ``secretKey`` unwrapped when possible, else the getKey key."""
        s = self.settings
        if wrapped is None or s.service_private_key is None:
            return self._key(), "the getKey content key"
        try:
            key = unwrap_secret_key(wrapped, s.service_private_key, paddings=s.unwrap_paddings)
        except IAmSmartEnvelopeError as exc:
            raise _envelope_failure(exc, "content-key") from None
        _passed(
            ctx,
            "content-key",
            "the callback's secretKey unwraps with the service's RSA key",
            "secretKey",
        )
        return key, "the callback's own secretKey"

    def _open(
        self, data: Mapping[str, Any], ctx: EvidenceContext, *, signed: bool
    ) -> tuple[bytes, str]:
        """Check the headers (when ``signed``), read the reply, decrypt its content."""
        s = self.settings
        body = req_str(data, "body", "body", max_length=4 * 1024 * 1024)
        if signed:
            headers = obj_field(data, "headers", "headers")
            assert headers is not None
            if s.client_secret is None:
                raise fail(
                    "configuration",
                    SubIndication.SIGNATURE_POLICY_NOT_AVAILABLE,
                    "the iAM Smart adapter has no client secret to check callback signatures: "
                    "set IAmSmartSettings.client_secret",
                    "IAmSmartSettings.client_secret",
                )
            try:
                verified = verify_request_signature(
                    headers,
                    body,
                    client_secret=s.client_secret,
                    now_ms=int(ctx.at.timestamp() * 1000),
                    nonce_store=s.nonce_store,
                    window_ms=s.window_ms,
                    expected_client_id=s.client_id,
                    url_encode_signature=s.url_encode_signature,
                )
            except IAmSmartEnvelopeError as exc:
                raise _envelope_failure(exc, "request-signature") from None
            _passed(
                ctx,
                "request-signature",
                f"HMAC-SHA256 signature of client {verified.client_id!r} verifies; timestamp "
                f"within {s.window_ms} ms; nonce not seen before",
                "headers",
            )
        try:
            reply = parse_reply(body, extra_codes=s.extra_codes)
        except IAmSmartEnvelopeError as exc:
            raise _envelope_failure(exc, "reply") from None
        if not reply.is_success:
            raise reply_failure(reply, "callback" if signed else "reply")
        if not isinstance(reply.content, str):
            raise fail(
                "reply",
                SubIndication.FORMAT_FAILURE,
                f"reply {reply.txID[:64]!r} has code D00000 but "
                + ("no content" if reply.content is None else "a plain JSON object as content")
                + ": only a getKey reply carries unencrypted content",
                "content",
            )
        key, source = self._content_key_for(reply.secretKey, ctx)
        try:
            plaintext = decrypt_content(key, reply.content)
        except IAmSmartEnvelopeError as exc:
            failure = _envelope_failure(exc, "content-envelope")
            if (
                exc.code is EnvelopeErrorCode.TAG_MISMATCH
                and reply.secretKey is not None
                and s.service_private_key is None
            ):
                failure.message += (
                    "; the callback carries its own secretKey: set "
                    "IAmSmartSettings.service_private_key to decrypt with it"
                )
            raise failure from None
        _passed(
            ctx,
            "content-envelope",
            f"reply {reply.txID[:64]!r} (code D00000) decrypts and authenticates under "
            f"AES-256-GCM with {source}",
            "content",
        )
        return plaintext, reply.txID

    # --- profile ----------------------------------------------------------------------
    def _parse_profile(
        self, document: bytes | str, *, required: tuple[str, ...], path: str
    ) -> IAmSmartProfile:
        try:
            return parse_profile(document, required=required)
        except IAmSmartEnvelopeError as exc:
            failure = _envelope_failure(exc, "profile")
            failure.message = f"{path}: {failure.message}"
            raise failure from None

    def _profile_identity(
        self, profile: IAmSmartProfile, open_id: str | None, evidence: str, level: AssuranceLevel
    ) -> Identity:
        identifiers: list[IdentityIdentifier] = []
        if profile.hkid is not None:
            identifiers.append(
                IdentityIdentifier(
                    kind="HKID",
                    value=profile.hkid,
                    verified_by="iAM Smart profile idNo (check digit verified)",
                )
            )
            identifiers.append(
                IdentityIdentifier(
                    kind="HKIC_HASH",
                    value=profile.hkic_hash(),
                    protected=True,
                    verified_by="computed from the iAM Smart profile idNo",
                )
            )
        if open_id:
            identifiers.append(
                IdentityIdentifier(
                    kind="IAMSMART_OPENID",
                    value=open_id,
                    verified_by="getToken reply, as given by the service",
                )
            )
        dob = profile.birth_date if profile.birth_date_precision == "day" else None
        return Identity(
            scheme=self.scheme,
            adapter=self.name,
            jurisdiction=self.jurisdiction,
            subject_type="person",
            identifiers=tuple(identifiers),
            name_en=profile.en_name.unstructured_name if profile.en_name else None,
            name_zh=profile.ch_name.chinese_name if profile.ch_name else None,
            date_of_birth=dob,
            assurance=Assurance(
                scheme_level="iAM Smart",
                level=level,
                basis="iAM Smart profile: identity data from the Government's records of the "
                "HKID holder; mapping documented in docs/schemes/iamsmart.md",
            ),
            evidence=evidence,
        )

    def _profile_evidence(
        self, kind: str, data: Mapping[str, Any], ctx: EvidenceContext
    ) -> VerificationResult:
        open_id = opt_str(data, "openID", "openID", max_length=256)
        plaintext, tx_id = self._open(data, ctx, signed=kind == "profile-callback")
        profile = self._parse_profile(
            plaintext, required=self.settings.required_profile_fields, path="profile"
        )
        _passed(
            ctx,
            "profile",
            "profile fields are well formed"
            + (f"; HKID {profile.hkid} has a valid check digit" if profile.hkid else ""),
            "profile",
        )
        identity = self._profile_identity(
            profile,
            open_id,
            f"iAM Smart profile from reply {tx_id[:64]!r}",
            self.settings.authentication_assurance,
        )
        identity = attach_binding(identity, data, "an iAM Smart profile")
        assert ctx.make_result is not None
        result = ctx.make_result(
            Indication.PASSED,
            None,
            f"iAM Smart profile of {identity.name_en or identity.name_zh or 'the user'} verified",
            evidence_format=EVIDENCE_FORMAT,
            adapter=self.name,
        ).model_copy(update={"identity": identity})
        return apply_recognition(
            result, options=ctx.options, at=ctx.at, registry=ctx.schemes, purpose="authenticate"
        )

    # --- signing ----------------------------------------------------------------------
    def _hash_bytes(self, value: str, path: str) -> bytes:
        enc = self.settings.hash_code_encoding
        text = value.strip()
        if enc == "hex" or (enc == "auto" and _HEX64.fullmatch(text)):
            try:
                raw = bytes.fromhex(text)
            except ValueError:
                raise fail(
                    "hash-code", SubIndication.FORMAT_FAILURE, f"{path} is not hexadecimal", path
                ) from None
        else:
            raw = b64_field(text, path, check="hash-code")
        if len(raw) != 32:
            raise fail(
                "hash-code",
                SubIndication.FORMAT_FAILURE,
                f"{path} decodes to {len(raw)} bytes, expected 32 for SHA-256",
                path,
            )
        return raw

    def _signer_hkid(
        self, data: Mapping[str, Any]
    ) -> tuple[str, IAmSmartProfile | None, str | None]:
        signer = obj_field(data, "signer", "signer", required=False)
        if signer is None:
            raise fail(
                "hkic-hash",
                SubIndication.SIG_CONSTRAINTS_FAILURE,
                "the HKICHash binding cannot be checked: the signed-in person (signer.hkid or "
                "signer.profile) was not given",
                "signer",
            )
        open_id = opt_str(signer, "openID", "signer.openID", max_length=256)
        profile: IAmSmartProfile | None = None
        raw_profile = signer.get("profile")
        if raw_profile is not None:
            if isinstance(raw_profile, dict):
                raw_profile = json.dumps(raw_profile, ensure_ascii=False)
            if not isinstance(raw_profile, str):
                raise fail(
                    "signer",
                    SubIndication.FORMAT_FAILURE,
                    "signer.profile must be the decrypted profile (an object or JSON text)",
                    "signer.profile",
                )
            profile = self._parse_profile(
                raw_profile.encode("utf-8"), required=("idNo",), path="signer.profile"
            )
            assert profile.hkid is not None
            return profile.hkid, profile, open_id
        hkid = req_str(signer, "hkid", "signer.hkid", max_length=32, check="signer")
        check = _validate_identifier(IdentifierKind.HKID, hkid)
        if not check.valid or check.normalized is None:
            raise fail(
                "signer",
                SubIndication.FORMAT_FAILURE,
                f"signer.hkid is not a valid HKID: {check.reason}",
                "signer.hkid",
            )
        return check.normalized, None, open_id

    def _document_hash(self, ctx: EvidenceContext, expected: bytes, *, keep: bool) -> bytes | None:
        """Check SHA-256 of the content against the signed hash; return the content if ``keep``."""
        if ctx.content is None:
            ctx.checks.append(
                Check(
                    name="document-hash",
                    outcome=CheckOutcome.SKIPPED,
                    message="no content given: the signature is checked over the hashCode the "
                    "service sent, not against a document",
                    concerns="content",
                )
            )
            return None
        from ..._input import hash_content, read_content_whole

        whole: bytes | None = None
        if keep:
            whole = read_content_whole(ctx.content, ctx.policy.max_in_memory_content_bytes)
            if whole is None:
                raise fail(
                    "document-hash",
                    SubIndication.SIGNED_DATA_NOT_FOUND,
                    "the content is over Policy.max_in_memory_content_bytes, which a CMS "
                    "signing result needs in memory",
                    "content",
                )
            actual = hashlib.sha256(whole).digest()
        else:
            actual = hash_content(ctx.content, {"sha256": hashlib.sha256()})["sha256"]
        if actual != expected:
            raise fail(
                "document-hash",
                SubIndication.HASH_FAILURE,
                "the SHA-256 of the content is not the hashCode that was signed: the document "
                "differs from the one signed",
                "hashCode",
            )
        _passed(ctx, "document-hash", "the SHA-256 of the content equals hashCode", "hashCode")
        return whole

    def _signing_evidence(
        self, kind: str, data: Mapping[str, Any], ctx: EvidenceContext
    ) -> VerificationResult:
        s = self.settings
        if kind == "signing-callback":
            plaintext, _tx = self._open(data, ctx, signed=True)
            result_obj = parse_json_object(plaintext, "signing result", MAX_PROFILE_BYTES)
        else:
            given = obj_field(data, "result", "result")
            assert given is not None
            result_obj = given
        request = obj_field(data, "request", "request")
        assert request is not None

        # Fields.
        hash_code = req_str(result_obj, "hashCode", "result.hashCode", max_length=128)
        signature_b64 = req_str(
            result_obj, "signature", "result.signature", max_length=_MAX_SIGNATURE_CHARS
        )
        cert_text = req_str(result_obj, "cert", "result.cert", max_length=_MAX_CERT_CHARS)
        business_id = opt_str(result_obj, "businessID", "result.businessID", max_length=256)
        requested_hash = req_str(request, "hashCode", "request.hashCode", max_length=128)
        hkic_hash_sent = req_str(request, "HKICHash", "request.HKICHash", max_length=64)
        for name in ("businessID", "state"):
            sent = opt_str(request, name, f"request.{name}", max_length=256)
            got = opt_str(result_obj, name, f"result.{name}", max_length=256)
            if sent is not None and got != sent:
                raise fail(
                    "signing-request",
                    SubIndication.SIG_CONSTRAINTS_FAILURE,
                    f"result.{name} is {str(got)[:64]!r}, not the {sent[:64]!r} of the request: "
                    "the result answers another request",
                    f"result.{name}",
                )
        signed_hash = self._hash_bytes(hash_code, "result.hashCode")
        if signed_hash != self._hash_bytes(requested_hash, "request.hashCode"):
            raise fail(
                "hash-code",
                SubIndication.HASH_FAILURE,
                "result.hashCode is not the hashCode the service asked to sign",
                "result.hashCode",
            )
        _passed(ctx, "hash-code", "the signed hashCode is the one the service sent", "hashCode")
        signature = b64_field(signature_b64, "result.signature", check="signature")
        cert_der, cert = certificate_field(cert_text, "result.cert")
        document = self._document_hash(ctx, signed_hash, keep=s.signature_encoding == "cms")

        # HKICHash binding to the signed-in person.
        hkid, profile, open_id = self._signer_hkid(data)
        if hkid_hash(hkid) != hkic_hash_sent.strip():
            raise fail(
                "hkic-hash",
                SubIndication.SIG_CONSTRAINTS_FAILURE,
                "request.HKICHash is not Base64(SHA-256) of the signed-in person's HKID without "
                "check digit: the signature was requested for another person",
                "request.HKICHash",
            )
        _passed(
            ctx,
            "hkic-hash",
            "request.HKICHash is the hash of the signed-in person's HKID",
            "request.HKICHash",
        )

        # The certificate's path and scheme.
        chain_ders: list[bytes] = []
        raw_chain = data.get("chain")
        if raw_chain is not None:
            if not isinstance(raw_chain, list) or len(raw_chain) > 8:
                raise fail(
                    "certificate",
                    SubIndication.FORMAT_FAILURE,
                    "chain must be a list of at most 8 certificates",
                    "chain",
                )
            for i, item in enumerate(raw_chain):
                if not isinstance(item, str) or len(item) > _MAX_CERT_CHARS:
                    raise fail(
                        "certificate",
                        SubIndication.FORMAT_FAILURE,
                        f"chain[{i}] must be a certificate string",
                        f"chain[{i}]",
                    )
                chain_ders.append(certificate_field(item, f"chain[{i}]")[0])
        try:
            outcome = ctx.validate_chain(cert_der, chain_ders)
        except ValueError as exc:
            raise fail(
                "certificate",
                SubIndication.FORMAT_FAILURE,
                f"result.cert cannot be used: {exc}",
                "result.cert",
            ) from None
        if not outcome.ok:
            assert outcome.sub_indication is not None
            raise SchemeFailure(
                "certificate-path", outcome.sub_indication, outcome.message, outcome.concerns
            )
        _passed(ctx, "certificate-path", outcome.message, "result.cert")
        anchor = outcome.anchor
        anchor_cn = anchor.certificate.subject.rfc4514_string() if anchor is not None else ""
        if not any(p.casefold() in anchor_cn.casefold() for p in s.root_patterns):
            raise fail(
                "certificate-scheme",
                SubIndication.CHAIN_CONSTRAINTS_FAILURE,
                f"the iAM Smart-Cert must chain to a Hongkong Post root; this one chains to "
                f"'{anchor_cn or 'no anchor'}' (IAmSmartSettings.root_patterns: "
                f"{', '.join(s.root_patterns)})",
                "result.cert",
            )
        impostor = (
            impersonated_root(anchor.certificate, anchor.fingerprint)
            if anchor is not None
            else None
        )
        if impostor is not None:
            raise fail(
                "certificate-scheme",
                SubIndication.CHAIN_CONSTRAINTS_FAILURE,
                impostor,
                "result.cert",
            )
        found = identify_certificate(ctx.schemes, cert_der, [c.der for c in outcome.chain], anchor)
        if found.claimed_by != (s.certificate_adapter,) or found.identity is None:
            what = (
                f"a {' and '.join(found.claimed_by)} certificate"
                if found.claimed_by
                else "not recognised by any certificate adapter"
            )
            raise fail(
                "certificate-scheme",
                SubIndication.CHAIN_CONSTRAINTS_FAILURE,
                f"the certificate in the signing result is {what}, not a Hongkong Post "
                f"iAM Smart-Cert (adapter {s.certificate_adapter!r})"
                + (f": {found.problem}" if found.problem else ""),
                "result.cert",
            )
        cert_identity = found.identity
        ctype = found.match.certificate_type if found.match else None
        if s.certificate_types and ctype not in s.certificate_types:
            raise fail(
                "certificate-scheme",
                SubIndication.CHAIN_CONSTRAINTS_FAILURE,
                f"the certificate is a Hongkong Post certificate of type '{ctype or 'unclassified'}', "
                f"not one of {', '.join(s.certificate_types)} (IAmSmartSettings.certificate_types)",
                "result.cert",
            )
        self._key_usage(cert)
        _passed(
            ctx,
            "certificate-scheme",
            f"the certificate is a Hongkong Post certificate of type '{ctype or 'unclassified'}' "
            f"under '{anchor_cn}'",
            "result.cert",
        )

        # The signature.
        algorithm = self._verify_signature(ctx, signature, signed_hash, cert, cert_der, document)

        # The identity.
        identifiers = [
            IdentityIdentifier(
                kind="HKID",
                value=hkid,
                verified_by="the signed-in person's HKID, bound to the signature by the "
                "HKICHash of the signing request",
            ),
            IdentityIdentifier(
                kind="HKIC_HASH",
                value=hkic_hash_sent.strip(),
                protected=True,
                verified_by="signing request",
            ),
        ]
        if open_id:
            identifiers.append(
                IdentityIdentifier(
                    kind="IAMSMART_OPENID", value=open_id, verified_by="signer.openID"
                )
            )
        identifiers.extend(
            i for i in cert_identity.identifiers if i.kind not in ("HKID", "HKIC_HASH")
        )
        identity = Identity(
            scheme=self.scheme,
            adapter=self.name,
            jurisdiction=self.jurisdiction,
            subject_type="person",
            identifiers=tuple(identifiers),
            name_en=(profile.en_name.unstructured_name if profile and profile.en_name else None)
            or cert_identity.name_en,
            name_zh=(profile.ch_name.chinese_name if profile and profile.ch_name else None)
            or cert_identity.name_zh,
            date_of_birth=profile.birth_date
            if profile and profile.birth_date_precision == "day"
            else None,
            assurance=Assurance(
                scheme_level="iAM Smart+ signing",
                level=s.signing_assurance,
                basis="signature with an iAM Smart-Cert issued by Hongkong Post, a recognised CA "
                "under Cap. 553, bound to the signed-in person by HKICHash; mapping documented "
                "in docs/schemes/iamsmart.md",
            ),
            evidence="iAM Smart signing result"
            + (f" for businessID {business_id[:64]!r}" if business_id else "")
            + f": {algorithm} signature with certificate '{found.view.subject}'",
        )
        from ..._certs import CertRecord

        chain_info = [r.info for r in outcome.chain]
        anchor_info = (
            CertRecord(anchor.der, anchor.certificate).info if anchor is not None else None
        )
        report = SignerReport(
            index=0,
            indication=Indication.PASSED,
            message=f"{algorithm} signature over the hash verifies with the iAM Smart-Cert",
            certificate=CertRecord(cert_der, cert).info,
            chain=tuple(chain_info) + ((anchor_info,) if anchor_info is not None else ()),
            trust_anchor=anchor_info,
            anchors_considered=outcome.anchors_considered,
            digest_algorithm="sha256",
            signature_algorithm=algorithm,
        )
        assert ctx.make_result is not None
        result = ctx.make_result(
            Indication.PASSED,
            None,
            f"iAM Smart signature by {identity.name_en or identity.name_zh or hkid} verified",
            [report],
            evidence_format=EVIDENCE_FORMAT,
            adapter=self.name,
        ).model_copy(update={"identity": identity})
        opts = ctx.options
        return apply_recognition(
            result, options=opts, at=ctx.at, registry=ctx.schemes, view=found.view, purpose="sign"
        )

    @staticmethod
    def _key_usage(cert: Any) -> None:
        from cryptography import x509

        try:
            ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        except x509.ExtensionNotFound:
            return
        except ValueError as exc:
            raise fail(
                "key-usage",
                SubIndication.FORMAT_FAILURE,
                f"KeyUsage cannot be read: {exc}",
                "result.cert",
            ) from None
        if not (ku.digital_signature or ku.content_commitment):
            raise fail(
                "key-usage",
                SubIndication.CHAIN_CONSTRAINTS_FAILURE,
                "the certificate's key usage allows neither digitalSignature nor "
                "nonRepudiation: its key may not sign (RFC 5280 §4.2.1.3)",
                "result.cert",
            )

    def _verify_signature(
        self,
        ctx: EvidenceContext,
        signature: bytes,
        signed_hash: bytes,
        cert: Any,
        cert_der: bytes,
        document: bytes | None,
    ) -> str:
        enc = self.settings.signature_encoding
        if enc == "cms":
            return self._verify_cms(ctx, signature, cert_der, document)
        try:
            key = cert.public_key()
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise fail(
                "signature",
                SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
                f"the certificate's key cannot be used: {exc}",
                "result.cert",
            ) from None
        if not isinstance(key, RSAPublicKey):
            raise fail(
                "signature",
                SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
                f"signature_encoding {enc!r} needs an RSA key; the certificate has "
                f"{type(key).__name__}",
                "result.cert",
            )
        algorithm: Any = (
            hashes.SHA256() if enc == "pkcs1v15-sha256" else utils.Prehashed(hashes.SHA256())
        )
        try:
            key.verify(signature, signed_hash, padding.PKCS1v15(), algorithm)
        except InvalidSignature:
            raise fail(
                "signature",
                SubIndication.SIG_CRYPTO_FAILURE,
                f"result.signature does not verify with the iAM Smart-Cert's key "
                f"(signature_encoding {enc!r})",
                "result.signature",
            ) from None
        name = (
            "SHA256withRSA"
            if enc == "pkcs1v15-sha256"
            else "RSA PKCS#1 v1.5 over the SHA-256 digest"
        )
        _passed(
            ctx,
            "signature",
            f"{name} signature verifies with the iAM Smart-Cert's key",
            "result.signature",
        )
        return name

    def _verify_cms(
        self, ctx: EvidenceContext, signature: bytes, cert_der: bytes, document: bytes | None
    ) -> str:
        if document is None:
            raise fail(
                "signature",
                SubIndication.SIGNED_DATA_NOT_FOUND,
                "signature_encoding 'cms' needs the signed document: pass content=...",
                "content",
            )
        # Through the caller's verifier (its clients, clock, caches and scheme registry),
        # with its extra certificates; the scheme expected is the envelope's, not the CMS's.
        outer = ctx.verifier
        if outer is None:
            why = "the CMS needs the verifier running the envelope (EvidenceContext.verifier)"
            raise fail("signature", SubIndication.POLICY_PROCESSING_ERROR, why, "result.signature")
        try:
            nested = outer.derive(expected_scheme=None).verify(
                signature,
                content=document,
                at=ctx.at,
                policy=ctx.policy,
                extra_certs=[*ctx.extra_certs, cert_der],
            )
        except (InputError, InvalidArgument) as exc:
            raise fail(
                "signature",
                SubIndication.FORMAT_FAILURE,
                f"result.signature: {exc}",
                "result.signature",
            ) from None
        if not nested.passed:
            raise SchemeFailure(
                "signature",
                nested.sub_indication or SubIndication.FORMAT_FAILURE,
                f"result.signature (CMS): {nested.message}",
                "result.signature",
            )
        fp = hashlib.sha256(cert_der).hexdigest()
        if (
            not nested.signers
            or nested.signers[0].certificate is None
            or nested.signers[0].certificate.fingerprint_sha256 != fp
        ):
            raise fail(
                "signature",
                SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
                "the CMS signature in result.signature is not made with result.cert",
                "result.signature",
            )
        _passed(
            ctx,
            "signature",
            "CMS signature over the document verifies with the iAM Smart-Cert",
            "result.signature",
        )
        return "CMS"
