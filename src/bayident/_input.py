"""Reading evidence and content: paths, bytes and streams, with size limits.

Content is hashed in chunks so a gigabyte file never sits in memory.
"""

from __future__ import annotations

import binascii
import hashlib
import io
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol, TypeAlias

from ._exceptions import InputError, InvalidArgument

__all__ = [
    "Content",
    "DecodedEvidence",
    "Evidence",
    "EvidenceFormatError",
    "decode_evidence",
    "hash_content",
    "read_content_whole",
    "read_evidence",
]


class BinaryReadable(Protocol):
    """Anything with a binary ``read(size)``: open files, BytesIO, sockets' makefile, ..."""

    def read(self, size: int = ..., /) -> bytes: ...


Evidence: TypeAlias = bytes | bytearray | memoryview | str | os.PathLike[str] | BinaryReadable
Content: TypeAlias = bytes | bytearray | memoryview | str | os.PathLike[str] | BinaryReadable

CHUNK = 1 << 20


class EvidenceFormatError(ValueError):
    """The evidence is not in any format bayident reads; ``reason`` says what was seen."""


class EvidenceTooLarge(EvidenceFormatError):
    """The evidence is larger than the policy allows."""


def _describe(obj: object) -> str:
    return f"{type(obj).__name__}"


# --- text or path ----------------------------------------------------------------------
#
# The rule for a ``str`` (a ``pathlib.Path`` is always a path), documented in
# docs/quickstart.md "Evidence, content and trust as text":
#   1. a str naming an existing file is that file;
#   2. evidence text: a PEM block, a JSON object (JWS JSON), an S/MIME message, anything
#      with a line break, a long run of base64 (base64 DER) or a compact JWS is the
#      evidence itself, as UTF-8;
#      content text: anything with white space or a line break is the content itself;
#   3. anything else is taken for the name of a file that does not exist, and refused
#      (InputError) rather than silently verified as text: pass bytes to be explicit.

# base64 DER (long: any CMS is hundreds of bytes), or a compact JWS (its protected header
# is a JSON object, so its base64url starts with "ey").
_TOKEN_TEXT = re.compile(r"[A-Za-z0-9+/=]{200,}|ey\S*\.\S*\.\S*")
_TEXT_STARTS = ("-----BEGIN", "{", "MIME-Version:", "Content-Type:")


def short(text: str, keep: int = 24) -> str:
    """A short, redacted rendering of user text for error messages (never the whole token)."""
    flat = " ".join(text.split())
    if len(flat) <= keep:
        return repr(flat)
    return f"{flat[:keep]!r}… ({len(text)} characters)"


def _existing_file(text: str) -> Path | None:
    try:
        path = Path(text)
        return path if path.is_file() else None
    except (OSError, ValueError):  # too long for a file name, NUL bytes
        return None


def text_or_path(value: str, what: str) -> bytes | Path:
    """A str given as evidence or content: its UTF-8 bytes, or the file it names."""
    path = _existing_file(value)
    if path is not None:
        return path
    stripped = value.strip()
    if what == "content":
        is_text = any(ch.isspace() for ch in value)
    else:
        is_text = (
            stripped.startswith(_TEXT_STARTS)
            or "\n" in value
            or _TOKEN_TEXT.fullmatch(stripped) is not None
        )
    if is_text:
        return value.encode("utf-8")
    raise InputError(
        f"cannot read {what} file {_short_path(value)}: no such file (a str is read as text "
        "only when it is shaped like text; pass bytes to give the text itself)"
    )


def _short_path(value: str) -> str:
    if len(value) <= 120 and "\n" not in value:
        return value
    name = value.replace("\\", "/").rsplit("/", 1)[-1]
    return f"…/{short(name)}" if "/" in value else short(value)


def read_evidence(evidence: Evidence, limit: int) -> tuple[bytes, str]:
    """The evidence bytes and a label saying where they came from."""
    if isinstance(evidence, (bytes, bytearray, memoryview)):
        data = bytes(evidence)
        if len(data) > limit:
            raise EvidenceTooLarge(
                f"evidence is {len(data)} bytes, over the policy limit of {limit} bytes "
                "(Policy.max_evidence_bytes)"
            )
        return data, "evidence bytes"
    if isinstance(evidence, str):
        given = text_or_path(evidence, "evidence")
        if isinstance(given, bytes):
            return read_evidence(given, limit)[0], "evidence text"
        evidence = given
    if isinstance(evidence, os.PathLike):
        path = Path(evidence)
        try:
            with path.open("rb") as fh:
                data = fh.read(limit + 1)
        except OSError as exc:
            raise InputError(f"cannot read evidence file {path}: {exc.strerror or exc}") from None
        if len(data) > limit:
            raise EvidenceTooLarge(
                f"evidence file {path.name} is over the policy limit of {limit} bytes "
                "(Policy.max_evidence_bytes)"
            )
        return data, f"file {path.name}"
    if isinstance(evidence, io.TextIOBase):
        raise InvalidArgument("evidence stream must be opened in binary mode ('rb')")
    if hasattr(evidence, "read"):
        try:
            chunk = evidence.read(limit + 1)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read evidence stream: {exc}") from None
        if isinstance(chunk, str):
            raise InvalidArgument("evidence stream must be opened in binary mode ('rb')")
        if len(chunk) > limit:
            raise EvidenceTooLarge(
                f"evidence stream is over the policy limit of {limit} bytes "
                "(Policy.max_evidence_bytes)"
            )
        return bytes(chunk), "evidence stream"
    raise InvalidArgument(
        f"evidence must be bytes, a path or a binary file object, not {_describe(evidence)}"
    )


@dataclass(frozen=True, slots=True)
class DecodedEvidence:
    format: str  # 'der', 'pem', 'base64', 'smime'
    der: bytes
    smime_content: bytes | None = None


_PEM_RE = re.compile(rb"-----BEGIN ([A-Z0-9 ]{1,40})-----\r?\n(.*?)-----END \1-----", re.DOTALL)
_PEM_LABELS = {b"PKCS7", b"CMS", b"SIGNED DATA", b"PKCS #7 SIGNED DATA"}
_B64_CHARS = re.compile(rb"^[A-Za-z0-9+/=\s]+$")


def _b64(text: bytes, what: str) -> bytes:
    compact = b"".join(text.split())
    try:
        return binascii.a2b_base64(compact, strict_mode=True)
    except binascii.Error as exc:
        raise EvidenceFormatError(f"{what} is not valid base64 ({exc})") from None


def decode_evidence(data: bytes) -> DecodedEvidence:
    """Detect DER, PEM, base64 or S/MIME ``multipart/signed`` and return the CMS DER."""
    if not data:
        raise EvidenceFormatError("evidence is empty (0 bytes)")
    if data[0] == 0x30:
        return DecodedEvidence("der", data)
    head = data[:4096].lstrip()
    if head.startswith(b"-----BEGIN"):
        m = _PEM_RE.search(data)
        if m is None:
            raise EvidenceFormatError("PEM block has no matching END line")
        label = m.group(1)
        if label not in _PEM_LABELS:
            raise EvidenceFormatError(
                f"PEM block is labelled {label.decode()!r}; expected CMS or PKCS7"
            )
        body = m.group(2)
        if b":" in body.split(b"\n", 1)[0]:
            raise EvidenceFormatError("PEM headers (RFC 1421 encryption) are not supported")
        return DecodedEvidence("pem", _b64(body, "PEM body"))
    if _looks_like_mime(head):
        return _decode_smime(data)
    if _B64_CHARS.match(data):
        der = _b64(data, "evidence")
        if not der or der[0] != 0x30:
            raise EvidenceFormatError("base64 evidence does not decode to an ASN.1 SEQUENCE")
        return DecodedEvidence("base64", der)
    raise EvidenceFormatError(
        "evidence is not DER, PEM, base64 or S/MIME (first byte "
        f"0x{data[0]:02x}); is it the signature file?"
    )


_HEADER_LINE = re.compile(rb"^[A-Za-z0-9-]{1,76}:")


def _looks_like_mime(head: bytes) -> bool:
    first = head.split(b"\n", 1)[0]
    return bool(_HEADER_LINE.match(first)) and b"multipart/signed" in head.lower()


def _headers_and_body(part: bytes) -> tuple[dict[str, str], bytes]:
    sep = re.search(rb"\r?\n\r?\n", part)
    if sep is None:
        return _parse_headers(part), b""
    return _parse_headers(part[: sep.start()]), part[sep.end() :]


def _parse_headers(raw: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    last = None
    for line in raw.decode("latin-1").splitlines():
        if line[:1] in (" ", "\t") and last is not None:
            headers[last] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if not sep:
            continue
        last = name.strip().lower()
        headers[last] = value.strip()
    return headers


def _param(header: str, name: str) -> str | None:
    m = re.search(rf'{name}\s*=\s*("([^"]*)"|[^;\s]+)', header, re.IGNORECASE)
    if m is None:
        return None
    return m.group(2) if m.group(2) is not None else m.group(1)


def _decode_smime(data: bytes) -> DecodedEvidence:
    headers, body = _headers_and_body(data)
    ctype = headers.get("content-type", "")
    if "multipart/signed" not in ctype.lower():
        raise EvidenceFormatError("MIME message is not multipart/signed")
    boundary = _param(ctype, "boundary")
    if not boundary:
        raise EvidenceFormatError("multipart/signed has no boundary parameter")
    delim = re.compile(
        rb"(?:^|\r?\n)--" + re.escape(boundary.encode("latin-1")) + rb"(--)?[ \t]*(?:\r?\n|$)"
    )
    marks = list(delim.finditer(body))
    if len(marks) < 3 or marks[-1].group(1) is None:
        raise EvidenceFormatError(
            "multipart/signed must hold exactly two parts and a closing boundary"
        )
    if len(marks) != 3:
        raise EvidenceFormatError(f"multipart/signed holds {len(marks) - 1} parts, expected 2")
    signed_part = body[marks[0].end() : marks[1].start()]
    sig_part = body[marks[1].end() : marks[2].start()]
    sig_headers, sig_body = _headers_and_body(sig_part)
    sig_type = sig_headers.get("content-type", "").lower()
    if "pkcs7-signature" not in sig_type:
        raise EvidenceFormatError(
            f"second part is {sig_type or 'untyped'}, expected application/pkcs7-signature"
        )
    encoding = sig_headers.get("content-transfer-encoding", "base64").lower()
    der = _b64(sig_body, "S/MIME signature part") if encoding == "base64" else sig_body
    # S/MIME signs the first part in canonical form: CRLF line endings (RFC 8551 §3.1.1).
    canonical = re.sub(rb"(?<!\r)\n", b"\r\n", signed_part)
    return DecodedEvidence("smime", der, canonical)


# --- content -----------------------------------------------------------------


def _opener(content: Content) -> Callable[[], IO[bytes]] | None:
    if isinstance(content, (str, os.PathLike)):
        path = Path(content)

        def open_path() -> IO[bytes]:
            try:
                return path.open("rb")
            except OSError as exc:
                raise InputError(
                    f"cannot read content file {path}: {exc.strerror or exc}"
                ) from None

        return open_path
    return None


def _chunks(content: Content) -> Iterable[bytes]:
    if isinstance(content, str):
        content = text_or_path(content, "content")
    if isinstance(content, (bytes, bytearray, memoryview)):
        yield bytes(content) if isinstance(content, memoryview) else content  # type: ignore[misc]
        return
    opener = _opener(content)
    if opener is not None:
        with opener() as fh:
            while chunk := fh.read(CHUNK):
                yield chunk
        return
    if isinstance(content, io.TextIOBase):
        raise InvalidArgument("content stream must be opened in binary mode ('rb')")
    if hasattr(content, "read"):
        try:
            while chunk := content.read(CHUNK):
                if isinstance(chunk, str):
                    raise InvalidArgument("content stream must be opened in binary mode ('rb')")
                yield chunk
        except (OSError, ValueError) as exc:
            if isinstance(exc, InvalidArgument):
                raise
            raise InputError(f"cannot read content stream: {exc}") from None
        return
    raise InvalidArgument(
        f"content must be bytes, a path or a binary file object, not {_describe(content)}"
    )


def hash_content(content: Content, hashers: dict[str, Any]) -> dict[str, bytes]:
    """Feed the content once through every hasher; return name → digest."""
    if type(content) is bytes:
        # Already in memory: each hasher takes it in one call, no generator between.
        for h in hashers.values():
            h.update(content)
        return {name: h.digest() for name, h in hashers.items()}
    for chunk in _chunks(content):
        for h in hashers.values():
            h.update(chunk)
    return {name: h.digest() for name, h in hashers.items()}


def read_content_whole(content: Content, limit: int) -> bytes | None:
    """The whole content, or ``None`` when it is over ``limit`` bytes."""
    buf = io.BytesIO()
    for chunk in _chunks(content):
        buf.write(chunk)
        if buf.tell() > limit:
            return None
    return buf.getvalue()


def new_hasher(name: str) -> Any:
    """A hashlib-style object for a digest name used in policies ('sha256', 'sha3-256', 'sm3')."""
    if name == "sm3":
        from .sm._sm3 import SM3Hash  # the one SM3 entry point

        return SM3Hash()
    if name == "shake256":
        return _Shake256_512()
    make = _HASHLIB.get(name)
    if make is not None:
        return make()
    return hashlib.new(name.replace("-", "_"))


# hashlib's named constructors: a warm verification makes its hasher without the look-up
# ``hashlib.new`` does by name.
_HASHLIB: dict[str, Callable[[], Any]] = {
    "sha1": hashlib.sha1,
    "sha224": hashlib.sha224,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
    "sha3-224": hashlib.sha3_224,
    "sha3-256": hashlib.sha3_256,
    "sha3-384": hashlib.sha3_384,
    "sha3-512": hashlib.sha3_512,
}


class _Shake256_512:
    """SHAKE256 with the 512-bit output RFC 8419 fixes for Ed448 content digests."""

    def __init__(self) -> None:
        self._h = hashlib.shake_256()

    def update(self, data: bytes) -> None:
        self._h.update(data)

    def digest(self) -> bytes:
        return self._h.digest(64)


def parse_content_digest(value: object) -> tuple[str, bytes]:
    """``content_digest=`` as (digest name, digest bytes).

    Accepts ``"ALG:HEX"`` (``"sha256:9f86d0..."``) or a ``(name, bytes)`` pair. The name
    must be a digest bayident knows and the bytes its length; anything else is a
    programmer error (:class:`bayident.InvalidArgument`). Whether the policy accepts the
    algorithm is decided with the signature, like any digest algorithm.
    """
    from ._algorithms import DIGEST_SIZES

    if isinstance(value, str):
        name, sep, hex_part = value.partition(":")
        if not sep:
            raise InvalidArgument("content_digest must be 'ALG:HEX', e.g. 'sha256:9f86d0...'")
        try:
            digest = bytes.fromhex(hex_part.strip())
        except ValueError:
            raise InvalidArgument(
                "content_digest: the digest after ':' is not hexadecimal"
            ) from None
    elif (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], (bytes, bytearray, memoryview))
    ):
        name, digest = value[0], bytes(value[1])
    else:
        raise InvalidArgument(
            f"content_digest must be 'ALG:HEX' or a (name, bytes) pair, not {type(value).__name__}"
        )
    name = name.strip().lower().replace("_", "-")
    if name.startswith("sha-"):
        name = "sha" + name[4:]  # SHA-256 as written in specifications
    size = DIGEST_SIZES.get(name)
    if size is None:
        raise InvalidArgument(
            f"content_digest: unknown digest algorithm {name!r}; expected one of "
            f"{', '.join(sorted(DIGEST_SIZES))}"
        )
    if len(digest) != size:
        raise InvalidArgument(
            f"content_digest: a {name} digest has {size} bytes, this one has {len(digest)}"
        )
    return name, digest
