"""Identity numbers in the private certificate extensions of Mainland CAs (GM/T 0015).

Mainland CAs put a holder's identity numbers in private extensions rather than in the
subject (GM/T 0015-2012, "digital certificate format based on SM2"):

========================  ==========================  ===================================
SM2 certificates          RSA certificates            content
========================  ==========================  ===================================
1.2.156.10260.4.1.1       1.2.86.11.7.1               personal identity number
                                                      (IdentifyCode: resident ID card,
                                                      officer's card or passport)
1.2.156.10260.4.1.3       1.2.86.11.7.3               business registration number
1.2.156.10260.4.1.4       1.2.86.11.7.4               organisation code / unified social
                                                      credit code
1.2.156.10260.4.1.5       1.2.86.11.7.5               taxpayer identification number
1.2.156.10260.4.1.1.1,                                identity numbers added by
1.2.156.10260.4.1.1.2                                 GM/T 0015-2023
1.2.156.10260.4.4                                     unified social credit code
                                                      (GM/T 0015-2023)
========================  ==========================  ===================================

Sources: GM/T 0015-2012 and -2023 as listed by the xipki project's certificate-profile
documentation; the RSA arc from Mainland cloud-CA integration samples. The standard
gives ``IdentifyCode ::= CHOICE { residenterCardNumber [0] PrintableString,
militaryOfficerCardNumber [1] UTF8String, passportNumber [2] PrintableString }`` and
plain ``PrintableString`` values for the others; certificates in the wild also carry
UTF8String, IA5String or BMPString values, explicitly tagged CHOICEs, and bare ASCII
text without a DER header. All of these are read. A number whose kind has a public check
character (resident identity number, unified social credit code, organisation code,
15-digit business registration number) must pass it, or the certificate is refused
with the extension named; numbers without a public check (passport, officer's card,
taxpayer number) are kept as stated, marked so. See ``docs/schemes/guangdong-ca.md``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from .. import _der as d
from .._identity import IdentityIdentifier
from ..identifiers import IdentifierKind
from ..identifiers import validate as _validate_identifier
from ._base import ProfileError

if TYPE_CHECKING:
    from ._base import CertificateView

__all__ = [
    "GMT0015_EXTENSIONS",
    "GMT0015Field",
    "encode_identify_code",
    "encode_string",
    "gmt0015_identifiers",
    "read_identity_value",
]


@dataclass(frozen=True)
class GMT0015Field:
    """One identity extension: its OID, what it holds and the edition that defines it."""

    oid: str
    role: str  # "person", "registration", "organisation", "tax", "uscc"
    label: str
    source: str


def _fields() -> tuple[GMT0015Field, ...]:
    sm2 = "GM/T 0015-2012 (SM2 certificates)"
    rsa = "Mainland RSA certificate practice (arc 1.2.86.11.7)"
    new = "GM/T 0015-2023"
    return (
        GMT0015Field("1.2.156.10260.4.1.1", "person", "IdentifyCode", sm2),
        GMT0015Field("1.2.156.10260.4.1.3", "registration", "ICRegistrationNumber", sm2),
        GMT0015Field("1.2.156.10260.4.1.4", "organisation", "OrganizationCode", sm2),
        GMT0015Field("1.2.156.10260.4.1.5", "tax", "TaxationNumber", sm2),
        GMT0015Field("1.2.156.10260.4.1.1.1", "person", "identity number (2023)", new),
        GMT0015Field("1.2.156.10260.4.1.1.2", "person", "identity number (2023)", new),
        GMT0015Field("1.2.156.10260.4.4", "uscc", "unified social credit code", new),
        GMT0015Field("1.2.86.11.7.1", "person", "identity card number", rsa),
        GMT0015Field("1.2.86.11.7.3", "registration", "business registration number", rsa),
        GMT0015Field("1.2.86.11.7.4", "organisation", "organisation code", rsa),
        GMT0015Field("1.2.86.11.7.5", "tax", "taxpayer identification number", rsa),
    )


#: Every identity extension read, in the order they are read.
GMT0015_EXTENSIONS: Final = _fields()

# DER string types accepted as values.
_STRING_TAGS = {0x13: "ascii", 0x0C: "utf-8", 0x16: "ascii", 0x14: "latin-1", 0x1E: "utf-16-be"}
# IdentifyCode CHOICE alternatives by tag number.
_CHOICE = {0: "resident", 1: "officer", 2: "passport"}
_MAX_VALUE = 256


def _tlv(data: bytes) -> tuple[int, bytes] | None:
    """One DER TLV spanning all of ``data``: (tag byte, content), or None."""
    if not data or data[0] & 0x1F == 0x1F:
        return None  # high tag numbers are none of the forms read here
    try:
        tlv = d.read_whole(data, "identity value")
    except d.DERError:
        return None
    return data[0], data[tlv.start :]


def _text(tag: int, content: bytes) -> str | None:
    encoding = _STRING_TAGS.get(tag)
    if encoding is None:
        return None
    try:
        return content.decode(encoding)
    except UnicodeDecodeError:
        return None


def read_identity_value(der: bytes) -> tuple[str, str | None] | None:
    """The text of an identity extension value and, for an IdentifyCode, its alternative.

    Returns ``(text, alternative)`` with ``alternative`` one of ``"resident"``,
    ``"officer"``, ``"passport"`` or None (a plain string), or None when the value is
    none of the forms described in the module docstring.
    """
    if not der or len(der) > _MAX_VALUE:
        return None
    tlv = _tlv(der)
    if tlv is not None:
        tag, content = tlv
        text = _text(tag, content)
        if text is not None:
            return text, None
        if tag & 0xC0 == 0x80 and (tag & 0x1F) in _CHOICE:
            choice = _CHOICE[tag & 0x1F]
            if tag & 0x20:  # explicitly tagged: a string inside
                inner = _tlv(content)
                text = _text(*inner) if inner is not None else None
            else:  # implicitly tagged: the string's own content
                text = _text(0x0C if choice == "officer" else 0x13, content)
            return (text, choice) if text is not None else None
    # Bare text without a DER header, as some RSA-era certificates carry it.
    if all(0x20 < b < 0x7F for b in der):
        return der.decode("ascii"), None
    return None


def _org_code_valid(value: str) -> bool:
    """GB 11714 organisation code: eight characters and a check character."""
    if len(value) != 9 or not value[:8].isascii() or not value[:8].isalnum():
        return False
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c, 36) * w for c, w in zip(value[:8].upper(), weights, strict=True))
    check = 11 - total % 11
    expected = "X" if check == 10 else "0" if check == 11 else str(check)
    return value[8].upper() == expected


def _registration_number_valid(value: str) -> bool:
    """15-digit business registration number: ISO 7064 MOD 11,10 check digit."""
    if len(value) != 15 or not value.isascii() or not value.isdigit():
        return False
    product = 10
    for digit in value[:14]:
        total = (product + int(digit)) % 10 or 10
        product = (2 * total) % 11
    return (product + int(value[14])) % 10 == 1


def _refuse(field: GMT0015Field, text: str, why: str) -> ProfileError:
    return ProfileError(
        f"extension {field.oid} ({field.label}, {field.source}) holds {text[:40]!r}, {why}",
        f"extension.{field.oid}",
    )


def _validated(kind: str, text: str) -> str | None:
    check = _validate_identifier(kind, text[:64])
    return check.normalized if check.valid else None


def _identifier(field: GMT0015Field, text: str, choice: str | None) -> IdentityIdentifier:
    by = f"certificate extension {field.oid} ({field.source})"
    value = text.strip()
    if field.role == "person":
        if choice in ("officer", "passport"):
            kind = "CN_OFFICER_CARD" if choice == "officer" else "PASSPORT"
            return IdentityIdentifier(
                kind=kind, value=value, verified_by=f"{by}; no public check character"
            )
        norm = _validated(IdentifierKind.CN_RIC, value)
        if norm is None:
            raise _refuse(field, value, "not a resident identity number with a valid check")
        return IdentityIdentifier(kind="CN_RIC", value=norm, verified_by=by)
    norm = _validated(IdentifierKind.CN_USCC, value)
    if norm is not None:
        return IdentityIdentifier(kind="CN_USCC", value=norm, verified_by=by)
    if field.role == "uscc":
        raise _refuse(field, value, "not a unified social credit code with a valid check")
    if field.role == "organisation":
        if _org_code_valid(value):
            return IdentityIdentifier(kind="CN_ORG_CODE", value=value.upper(), verified_by=by)
        raise _refuse(field, value, "neither a unified social credit code nor a GB 11714 code")
    if field.role == "registration":
        if _registration_number_valid(value):
            return IdentityIdentifier(kind="CN_BRN", value=value, verified_by=by)
        raise _refuse(
            field, value, "neither a unified social credit code nor a valid 15-digit number"
        )
    # Taxpayer numbers (15, 18 or 20 characters) have no public check of their own.
    if not (value.isascii() and value.isalnum() and 15 <= len(value) <= 20):
        raise _refuse(field, value, "not a taxpayer identification number of 15-20 characters")
    return IdentityIdentifier(
        kind="CN_TIN", value=value.upper(), verified_by=f"{by}; no public check character"
    )


def gmt0015_identifiers(
    view: CertificateView, fields: Iterable[GMT0015Field] = GMT0015_EXTENSIONS
) -> list[IdentityIdentifier]:
    """The identity numbers of the GM/T 0015 extensions the certificate carries.

    :raises ProfileError: an extension is malformed or fails its check character.
    """
    out: list[IdentityIdentifier] = []
    for field in fields:
        der = view.extension_value(field.oid)
        if der is None:
            continue
        read = read_identity_value(der)
        if read is None or not read[0].strip():
            raise ProfileError(
                f"extension {field.oid} ({field.label}) is not a string or IdentifyCode value",
                f"extension.{field.oid}",
            )
        ident = _identifier(field, *read)
        if not any(i.kind == ident.kind and i.value == ident.value for i in out):
            out.append(ident)
    return out


# ------------------------------------------------------------------- encoding


def encode_string(value: str, *, tag: int = 0x13) -> bytes:
    """A DER string (PrintableString by default) as GM/T 0015 gives the plain values."""
    if tag not in _STRING_TAGS:
        raise ValueError(f"tag {tag:#x} is not a string type")
    encoding = _STRING_TAGS[tag]
    return d.encode_tlv(tag, value.encode(encoding))


def encode_identify_code(value: str, alternative: str = "resident") -> bytes:
    """An IdentifyCode CHOICE, implicitly tagged as GM/T 0015 writes it."""
    number = {v: k for k, v in _CHOICE.items()}.get(alternative)
    if number is None:
        raise ValueError("alternative must be 'resident', 'officer' or 'passport'")
    encoding = "utf-8" if alternative == "officer" else "ascii"
    return d.encode_tlv(0x80 | number, value.encode(encoding))
