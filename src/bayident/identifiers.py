"""Format and check-character validation of Hong Kong, Macau and Mainland identity numbers.

Every function here is pure: no I/O, no clock unless ``today`` is left to default.
:func:`validate` never raises for a bad *value*; it returns an :class:`IdentifierCheck`
whose ``reason`` names what is wrong. It raises :class:`~bayident._exceptions.InvalidArgument`
only for programmer errors (unknown kind, value that is not a ``str``).

Sources of each rule are in ``docs/identifiers.md``.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, model_validator

from ._exceptions import InvalidArgument

__all__ = [
    "MAX_INPUT_LENGTH",
    "IdentifierCheck",
    "IdentifierKind",
    "hkid_check_digit",
    "hkid_hash",
    "validate",
]

#: Inputs longer than this are rejected before any parsing (no identifier here exceeds 20).
MAX_INPUT_LENGTH = 64


class IdentifierKind(StrEnum):
    """The identity numbers :func:`validate` knows."""

    #: Hong Kong Identity Card number, e.g. ``A123456(3)``.
    HKID = "HKID"
    #: Mainland resident identity number (GB 11643-1999), also used by the
    #: residence permits of Hong Kong, Macau and Taiwan residents.
    CN_RIC = "CN_RIC"
    #: Mainland Travel Permit for Hong Kong and Macau Residents (回乡证).
    HK_MO_TRAVEL_PERMIT = "HK_MO_TRAVEL_PERMIT"
    #: Macau Resident Identity Card (BIR) number.
    MO_BIR = "MO_BIR"
    #: Mainland unified social credit code of an organisation (统一社会信用代码, GB 32100-2015).
    CN_USCC = "CN_USCC"


class IdentifierCheck(BaseModel):
    """The outcome of :func:`validate`.

    ``valid`` is true exactly when ``reason`` is ``None``. ``normalized`` is set only for
    valid values, so that an invalid number is never used by mistake in its canonical form.
    ``check_verified`` says whether a check character was recomputed and compared: it is
    false for kinds that have no public check algorithm (``MO_BIR``) or none at all
    (``HK_MO_TRAVEL_PERMIT``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: IdentifierKind
    valid: bool
    normalized: str | None
    reason: str | None
    #: ``"HK"``, ``"MO"`` or ``"TW"`` when the number itself says where the holder
    #: resides (residence-permit address codes, travel-permit letter, Macau BIR).
    region: str | None = None
    #: Date of birth carried by the number (``CN_RIC`` only).
    birth_date: _dt.date | None = None
    check_verified: bool = False
    #: Facts worth showing to a person, e.g. that a check character was not verified.
    notes: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> IdentifierCheck:
        if self.valid != (self.reason is None):
            raise ValueError("valid must be true exactly when reason is None")
        if not self.valid and self.normalized is not None:
            raise ValueError("an invalid identifier has no normalized form")
        return self


# Full-width forms (U+FF01..U+FF5E) map to ASCII by a fixed offset; Chinese input
# methods produce them for digits, letters and parentheses. U+3000 is the
# ideographic space.
_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_SPACES = re.compile(r"[ \t]+")


def _coerce_kind(kind: str | IdentifierKind) -> IdentifierKind:
    if isinstance(kind, IdentifierKind):
        return kind
    if not isinstance(kind, str):
        raise InvalidArgument(f"kind must be a str or IdentifierKind, not {type(kind).__name__}")
    try:
        return IdentifierKind(kind.strip().upper())
    except ValueError:
        known = ", ".join(k.value for k in IdentifierKind)
        raise InvalidArgument(
            f"unknown identifier kind {kind!r}; expected one of {known}"
        ) from None


def _clean(value: str) -> tuple[str, str | None]:
    """Return the compact upper-case form of ``value``, or a reason it cannot be read."""
    if len(value) > MAX_INPUT_LENGTH:
        return (
            "",
            f"value is {len(value)} characters long, more than the {MAX_INPUT_LENGTH} allowed",
        )
    compact = _SPACES.sub("", value.translate(_FULLWIDTH).strip())
    if not compact:
        return "", "value is empty"
    for position, char in enumerate(compact, start=1):
        # Checked one by one (not str.isalnum) because Python calls many non-ASCII
        # characters digits or letters.
        if not ("0" <= char <= "9" or "A" <= char <= "Z" or "a" <= char <= "z" or char in "()/"):
            return "", f"unexpected character {char!r} at position {position}"
    return compact.upper(), None


def _invalid(kind: IdentifierKind, reason: str) -> IdentifierCheck:
    return IdentifierCheck(kind=kind, valid=False, normalized=None, reason=reason)


# --------------------------------------------------------------------------- HKID

_HKID_BODY = re.compile(r"([A-Z]{1,2})([0-9]{6})", re.ASCII)
_HKID_SPACE_VALUE = 36  # the value of the empty first position of a one-letter prefix


def _hkid_expected(prefix: str, digits: str) -> str:
    values = [_HKID_SPACE_VALUE] if len(prefix) == 1 else []
    values += [ord(letter) - ord("A") + 10 for letter in prefix]
    values += [int(d) for d in digits]
    total = sum(weight * v for weight, v in zip(range(9, 1, -1), values, strict=True))
    remainder = total % 11
    if remainder == 0:
        return "0"
    if remainder == 1:
        return "A"
    return str(11 - remainder)


def _split_hkid(compact: str) -> tuple[str, str, str | None] | str:
    """Split a cleaned HKID into prefix, six digits and check digit (None if absent).

    Returns a reason string when the layout is wrong.
    """
    match = re.match(r"([A-Z]*)([0-9]*)(.*)", compact, re.ASCII | re.DOTALL)
    assert match is not None  # every group may be empty, so this always matches
    prefix, digits, rest = match.groups()
    if not prefix:
        return "HKID must start with one or two letters"
    if len(prefix) > 2:
        return f"HKID prefix has {len(prefix)} letters, expected one or two"
    if rest == "" and len(digits) == 6:
        return prefix, digits, None
    if rest == "" and len(digits) == 7:
        return prefix, digits[:6], digits[6]
    if len(digits) != 6:
        return f"HKID has {len(digits)} digits after the prefix, expected six"
    if rest in ("A", "(A)") or re.fullmatch(r"\([0-9]\)", rest, re.ASCII):
        return prefix, digits, rest.strip("()")
    return f"check digit must be 0-9 or A, optionally in parentheses; got {rest!r}"


def _validate_hkid(compact: str) -> IdentifierCheck:
    kind = IdentifierKind.HKID
    parts = _split_hkid(compact)
    if isinstance(parts, str):
        return _invalid(kind, parts)
    prefix, digits, given = parts
    if given is None:
        return _invalid(kind, "check digit is missing")
    expected = _hkid_expected(prefix, digits)
    if given != expected:
        return _invalid(kind, f"check digit is {given}, expected {expected}")
    return IdentifierCheck(
        kind=kind,
        valid=True,
        normalized=f"{prefix}{digits}({given})",
        reason=None,
        region="HK",
        check_verified=True,
    )


def hkid_check_digit(prefix_and_digits: str) -> str:
    """Return the check digit (``"0"``-``"9"`` or ``"A"``) of an HKID without it.

    ``hkid_check_digit("A123456") == "3"``. Lower case and spaces are accepted.

    :raises InvalidArgument: ``prefix_and_digits`` is not a str of one or two letters and
        six digits.
    """
    if not isinstance(prefix_and_digits, str):
        raise InvalidArgument(
            f"prefix_and_digits must be a str, not {type(prefix_and_digits).__name__}"
        )
    compact, reason = _clean(prefix_and_digits)
    if reason is not None:
        raise InvalidArgument(f"expected one or two letters and six digits: {reason}")
    match = _HKID_BODY.fullmatch(compact)
    if match is None:
        raise InvalidArgument(
            f"expected one or two letters and six digits, e.g. 'A123456'; got {compact!r}"
        )
    return _hkid_expected(match.group(1), match.group(2))


def hkid_hash(hkid: str) -> str:
    """Return ``Base64(SHA-256(prefix and six digits))``, the iAM Smart ``HKICHash``.

    The hash covers the HKID *without* its check digit, upper case, e.g. ``"A123456"``.
    ``hkid`` may be given with or without the check digit; when present it must be right,
    so that a mistyped number is never hashed silently.

    :raises InvalidArgument: ``hkid`` is not a str, is malformed, or has a wrong check digit.
    """
    if not isinstance(hkid, str):
        raise InvalidArgument(f"hkid must be a str, not {type(hkid).__name__}")
    compact, reason = _clean(hkid)
    if reason is not None:
        raise InvalidArgument(f"not an HKID: {reason}")
    parts = _split_hkid(compact)
    if isinstance(parts, str):
        raise InvalidArgument(f"not an HKID: {parts}")
    prefix, digits, given = parts
    if given is not None:
        expected = _hkid_expected(prefix, digits)
        if given != expected:
            raise InvalidArgument(f"not a valid HKID: check digit is {given}, expected {expected}")
    digest = hashlib.sha256(f"{prefix}{digits}".encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


# ------------------------------------------------------------------------- CN_RIC

_RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RIC_CHECK = "10X98765432"  # indexed by the weighted sum mod 11 (ISO 7064 MOD 11-2)
# Province-level codes of GB/T 2260 used in resident identity numbers; 81, 82 and 83
# are the residence permits of Hong Kong, Macau and Taiwan residents (2018).
_RIC_PROVINCES = frozenset(
    {
        *(11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46),
        *(50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 81, 82, 83),
    }
)
_PERMIT_REGIONS = {
    "81": ("HK", "Hong Kong"),
    "82": ("MO", "Macau"),
    "83": ("TW", "Taiwan"),
}
_EARLIEST_BIRTH = _dt.date(1900, 1, 1)


def _ric_check_character(first17: str) -> str:
    total = sum(w * int(d) for w, d in zip(_RIC_WEIGHTS, first17, strict=True))
    return _RIC_CHECK[total % 11]


def _validate_cn_ric(compact: str, today: _dt.date) -> IdentifierCheck:
    kind = IdentifierKind.CN_RIC
    if len(compact) == 15 and compact.isascii() and compact.isdigit():
        return _invalid(
            kind, "15-digit first-generation numbers have no check character and are not accepted"
        )
    if len(compact) != 18:
        return _invalid(kind, f"number has {len(compact)} characters, expected 18")
    for position, char in enumerate(compact[:17], start=1):
        if not "0" <= char <= "9":
            return _invalid(kind, f"character at position {position} is {char!r}, expected a digit")
    given = compact[17]
    if given not in "0123456789X":
        return _invalid(kind, f"check character is {given!r}, expected a digit or X")
    address = compact[:6]
    province = int(address[:2])
    if province not in _RIC_PROVINCES:
        return _invalid(
            kind,
            f"address code {address} (positions 1-6): province-level code {address[:2]} "
            "is not used in resident identity numbers",
        )
    region: str | None = None
    notes: tuple[str, ...] = ()
    if address[:2] in _PERMIT_REGIONS:
        region, place = _PERMIT_REGIONS[address[:2]]
        if address[2:] != "0000":
            return _invalid(
                kind,
                f"address code {address} (positions 1-6): residence permits of {place} "
                f"residents use {address[:2]}0000",
            )
        notes = (f"address code {address}: residence permit of a {place} resident",)
    raw_date = compact[6:14]
    try:
        birth = _dt.date(int(raw_date[:4]), int(raw_date[4:6]), int(raw_date[6:]))
    except ValueError:
        return _invalid(kind, f"date of birth {raw_date} (positions 7-14) is not a real date")
    if birth < _EARLIEST_BIRTH:
        return _invalid(kind, f"date of birth {raw_date} (positions 7-14) is before 1900")
    if birth > today:
        return _invalid(kind, f"date of birth {raw_date} (positions 7-14) is in the future")
    expected = _ric_check_character(compact[:17])
    if given != expected:
        return _invalid(kind, f"check character is {given}, expected {expected}")
    return IdentifierCheck(
        kind=kind,
        valid=True,
        normalized=compact,
        reason=None,
        region=region,
        birth_date=birth,
        check_verified=True,
        notes=notes,
    )


# -------------------------------------------------------------- Travel permit

_PERMIT_LETTERS = {"H": "HK", "M": "MO"}


def _validate_travel_permit(compact: str) -> IdentifierCheck:
    kind = IdentifierKind.HK_MO_TRAVEL_PERMIT
    letter, digits = compact[0], compact[1:]
    if letter not in _PERMIT_LETTERS:
        return _invalid(kind, f"number must start with H (Hong Kong) or M (Macau), got {letter!r}")
    if not re.fullmatch(r"[0-9]*", digits, re.ASCII):
        return _invalid(kind, "H or M must be followed by digits only")
    if len(digits) not in (8, 10):
        return _invalid(kind, f"number has {len(digits)} digits after the letter, expected 8 or 10")
    notes = ["this document has no check character"]
    if len(digits) == 10:
        notes.append(f"lifetime number {digits[:8]}, renewal count {digits[8:]}")
    return IdentifierCheck(
        kind=kind,
        valid=True,
        normalized=compact,
        reason=None,
        region=_PERMIT_LETTERS[letter],
        notes=tuple(notes),
    )


# ------------------------------------------------------------------------- MO_BIR

_BIR_FORMS = (
    re.compile(r"([0-9])([0-9]{6})\(([0-9A-Z])\)", re.ASCII),  # 1234567(8), smart card
    re.compile(r"([0-9])/([0-9]{6})/([0-9A-Z])", re.ASCII),  # 1/234567/8, older cards
    re.compile(r"([0-9])([0-9]{6})([0-9A-Z])", re.ASCII),  # 12345678, as typed
)
_BIR_NOTE = (
    "no public check-character algorithm is known for the Macau BIR: "
    "only the format was checked, not the check character"
)


_BIR_HEURISTIC_NOTE = (
    "first digit not checked: the rule that it is 1, 5 or 7 has no public source "
    "(validate(..., bir_first_digit_heuristic=True) applies it)"
)


def _validate_mo_bir(compact: str, first_digit_heuristic: bool = False) -> IdentifierCheck:
    kind = IdentifierKind.MO_BIR
    for form in _BIR_FORMS:
        match = form.fullmatch(compact)
        if match is not None:
            break
    else:
        return _invalid(
            kind, "expected seven digits and a check digit, as 1234567(8) or 1/234567/8"
        )
    first, rest, check = match.groups()
    # An often-quoted rule with no public source: opt-in only, and said so when it refuses.
    if first_digit_heuristic and first not in "157":
        return _invalid(
            kind, f"first digit is {first}, expected 1, 5 or 7 (a heuristic with no public source)"
        )
    if not check.isdigit():
        return _invalid(kind, f"check character is {check!r}, expected a digit")
    return IdentifierCheck(
        kind=kind,
        valid=True,
        normalized=f"{first}{rest}({check})",
        reason=None,
        region="MO",
        check_verified=False,
        notes=(_BIR_NOTE,) if first_digit_heuristic else (_BIR_NOTE, _BIR_HEURISTIC_NOTE),
    )


# ------------------------------------------------------------------------ CN_USCC

# GB 32100-2015: the code uses the digits and 21 upper-case letters, I, O, Z, S and V left out
# so that they cannot be mistaken for 1, 0, 2, 5 and U; each character's value is its index.
_USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES = {c: i for i, c in enumerate(_USCC_CHARSET)}
# Weight of position i (from 1) is 3^(i-1) mod 31.
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
# GB 11714-1997 organisation code, carried in positions 9-17.
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _uscc_check_character(first17: str) -> str:
    total = sum(_USCC_VALUES[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    value = 31 - total % 31
    return _USCC_CHARSET[0 if value == 31 else value]


def _org_code_check(body8: str) -> str:
    total = sum(
        (int(c) if c.isdigit() else ord(c) - ord("A") + 10) * w
        for c, w in zip(body8, _ORG_CODE_WEIGHTS, strict=True)
    )
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def _validate_cn_uscc(compact: str) -> IdentifierCheck:
    kind = IdentifierKind.CN_USCC
    if len(compact) != 18:
        return _invalid(kind, f"code has {len(compact)} characters, expected 18")
    for position, char in enumerate(compact, start=1):
        if char not in _USCC_VALUES:
            return _invalid(
                kind,
                f"character {char!r} at position {position} is not in the GB 32100 character "
                "set (digits and letters other than I, O, Z, S, V)",
            )
    division = compact[2:8]
    if not division.isdigit():
        return _invalid(
            kind,
            f"administrative division code {division} (positions 3-8) must be six digits",
        )
    expected = _uscc_check_character(compact[:17])
    if compact[17] != expected:
        return _invalid(kind, f"check character is {compact[17]}, expected {expected}")
    notes: list[str] = []
    org = compact[8:17]
    if all(c.isdigit() or "A" <= c <= "Z" for c in org[:8]) and _org_code_check(org[:8]) == org[8]:
        notes.append(f"embedded organisation code {org[:8]}-{org[8]} (GB 11714) is consistent")
    else:
        notes.append(
            f"positions 9-17 ({org}) are not a GB 11714 organisation code with a matching "
            "check character; GB 32100 does not require one for every registration"
        )
    return IdentifierCheck(
        kind=kind,
        valid=True,
        normalized=compact,
        reason=None,
        check_verified=True,
        notes=tuple(notes),
    )


# ---------------------------------------------------------------------- validate


def validate(
    kind: str | IdentifierKind,
    value: str,
    *,
    today: _dt.date | None = None,
    bir_first_digit_heuristic: bool = False,
) -> IdentifierCheck:
    """Check the format and check character of an identity number.

    :param kind: an :class:`IdentifierKind` or its name, case-insensitive (``"hkid"``).
    :param value: the number as typed: lower case, spaces, full-width characters and a check
        digit without parentheses are accepted and normalised.
    :param today: the date against which a date of birth may not be in the future
        (default: the local date today).
    :param bir_first_digit_heuristic: also require a Macau BIR to start with 1, 5 or 7, a
        rule often quoted but without a public source (off by default).

    :returns: An :class:`IdentifierCheck`; ``reason`` names the fault when ``valid`` is false.

    :raises InvalidArgument: unknown ``kind``, or ``value`` is not a ``str``.
    """
    resolved = _coerce_kind(kind)
    if not isinstance(value, str):
        raise InvalidArgument(f"value must be a str, not {type(value).__name__}")
    compact, reason = _clean(value)
    if reason is not None:
        return _invalid(resolved, reason)
    if resolved is IdentifierKind.HKID:
        return _validate_hkid(compact)
    if resolved is IdentifierKind.CN_RIC:
        return _validate_cn_ric(compact, today if today is not None else _dt.date.today())
    if resolved is IdentifierKind.HK_MO_TRAVEL_PERMIT:
        return _validate_travel_permit(compact)
    if resolved is IdentifierKind.CN_USCC:
        return _validate_cn_uscc(compact)
    return _validate_mo_bir(compact, bir_first_digit_heuristic)
