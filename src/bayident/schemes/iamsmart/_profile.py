"""The decrypted iAM Smart profile: its fields mapped to :class:`IAmSmartProfile`.

The field names and shapes follow the public sample code (see ``docs/schemes/iamsmart.md``).
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict

from ..._exceptions import InvalidArgument
from ...identifiers import IdentifierKind, hkid_hash
from ...identifiers import validate as _validate_identifier
from ._common import (
    EnvelopeErrorCode,
    IAmSmartEnvelopeError,
    JsonNumber,
    _opt_obj,
    _opt_str,
    _parse_json_object,
    _req_str,
    _show,
)
from ._envelope import MAX_PROFILE_BYTES

__all__ = [
    "PROFILE_FIELDS",
    "ChineseName",
    "EnglishName",
    "IAmSmartProfile",
    "IdNo",
    "PhoneNumber",
    "parse_profile",
]


class IdNo(BaseModel):
    """``idNo``: the HKID without (``Identification``) and with only (``CheckDigit``) its check
    digit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    identification: str
    check_digit: str
    #: The validated, normalised HKID, e.g. ``A123456(3)``.
    hkid: str


class EnglishName(BaseModel):
    """``enName``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unstructured_name: str


class ChineseName(BaseModel):
    """``chName``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    chinese_name: str


class PhoneNumber(BaseModel):
    """``homeTelNumber``, ``officeTelNumber`` and ``mobileNumber``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    country_code: str | None
    subscriber_number: str


BirthDatePrecision = Literal["day", "month", "year"]


class IAmSmartProfile(BaseModel):
    """The decrypted iAM Smart profile, field names in Python style.

    Only fields the user agreed to share are present; all are optional unless
    :func:`parse_profile` was told to require them. ``residential_address`` and
    ``postal_address`` are kept as the JSON objects received, since their inner layout is
    not described in the public material.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id_no: IdNo | None = None
    prefix: str | None = None
    en_name: EnglishName | None = None
    ch_name: ChineseName | None = None
    ch_name_verified: str | None = None
    #: ``birthDate`` exactly as received.
    birth_date_raw: str | None = None
    #: ``birthDate`` as a date; a partial date is completed with 1 for month and day.
    birth_date: _dt.date | None = None
    birth_date_precision: BirthDatePrecision | None = None
    gender: str | None = None
    marital_status: str | None = None
    home_tel_number: PhoneNumber | None = None
    office_tel_number: PhoneNumber | None = None
    mobile_number: PhoneNumber | None = None
    email_address: str | None = None
    residential_address: dict[str, Any] | None = None
    postal_address: dict[str, Any] | None = None
    education_level: str | None = None
    car_owner: str | None = None

    @property
    def hkid(self) -> str | None:
        """The validated HKID, e.g. ``A123456(3)``, or None when ``idNo`` was not shared."""
        return None if self.id_no is None else self.id_no.hkid

    def hkic_hash(self) -> str:
        """``HKICHash``: Base64(SHA-256) of the HKID without its check digit.

        :raises IAmSmartEnvelopeError: ``MISSING_FIELD`` when the profile has no ``idNo``.
        """
        if self.id_no is None:
            raise IAmSmartEnvelopeError(
                EnvelopeErrorCode.MISSING_FIELD, "profile has no idNo to hash", field="idNo"
            )
        return hkid_hash(self.id_no.hkid)


PROFILE_FIELDS: Final = (
    "idNo",
    "prefix",
    "enName",
    "chName",
    "chNameVerified",
    "birthDate",
    "gender",
    "maritalStatus",
    "homeTelNumber",
    "officeTelNumber",
    "mobileNumber",
    "emailAddress",
    "residentialAddress",
    "postalAddress",
    "educationLevel",
    "carOwner",
)

_BIRTH_FORMATS: tuple[tuple[re.Pattern[str], BirthDatePrecision], ...] = (
    (re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})", re.ASCII), "day"),
    (re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", re.ASCII), "day"),
    (re.compile(r"([0-9]{4})/([0-9]{2})/([0-9]{2})", re.ASCII), "day"),
    (re.compile(r"([0-9]{4})-?([0-9]{2})", re.ASCII), "month"),
    (re.compile(r"([0-9]{4})", re.ASCII), "year"),
)


def _parse_birth_date(raw: str, today: _dt.date) -> tuple[_dt.date, BirthDatePrecision]:
    for pattern, precision in _BIRTH_FORMATS:
        match = pattern.fullmatch(raw)
        if match is None:
            continue
        parts = [int(p) for p in match.groups()] + [1, 1]
        try:
            value = _dt.date(parts[0], parts[1], parts[2])
        except ValueError:
            raise IAmSmartEnvelopeError(
                EnvelopeErrorCode.BAD_FIELD,
                f"birthDate {_show(raw)} is not a real date",
                field="birthDate",
            ) from None
        if value > today or value.year < 1900:
            raise IAmSmartEnvelopeError(
                EnvelopeErrorCode.BAD_FIELD,
                f"birthDate {_show(raw)} is outside 1900 to today",
                field="birthDate",
            )
        return value, precision
    raise IAmSmartEnvelopeError(
        EnvelopeErrorCode.BAD_FIELD,
        f"birthDate {_show(raw)} is not in a known format "
        "(YYYYMMDD, YYYY-MM-DD, YYYY/MM/DD, YYYYMM, YYYY-MM or YYYY)",
        field="birthDate",
    )


def _phone(document: Mapping[str, Any], key: str) -> PhoneNumber | None:
    obj = _opt_obj(document, key, key)
    if obj is None:
        return None
    return PhoneNumber(
        country_code=_opt_str(obj, "CountryCode", f"{key}.CountryCode", max_length=8),
        subscriber_number=_req_str(
            obj, "SubscriberNumber", f"{key}.SubscriberNumber", max_length=32
        ),
    )


def _no_huge_numbers(value: object, path: str, depth: int = 0) -> None:
    if isinstance(value, JsonNumber):
        raise IAmSmartEnvelopeError(
            EnvelopeErrorCode.BAD_FIELD,
            f"{path} holds a JSON number of {value.digits} digits",
            field=path,
        )
    if isinstance(value, dict):
        for key, item in value.items():
            _no_huge_numbers(item, f"{path}.{key}", depth + 1)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _no_huge_numbers(item, f"{path}[{i}]", depth + 1)


def _address(document: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    obj = _opt_obj(document, key, key)
    if obj is not None:
        _no_huge_numbers(obj, key)
    return obj


def parse_profile(
    decrypted_json: bytes | str,
    *,
    required: Iterable[str] = ("idNo", "enName"),
    max_size: int = MAX_PROFILE_BYTES,
    today: _dt.date | None = None,
) -> IAmSmartProfile:
    """Map a decrypted iAM Smart profile document to :class:`IAmSmartProfile`.

    ``idNo`` is checked with :mod:`bayident.identifiers`: a wrong HKID check digit is
    rejected. ``birthDate`` is read as ``YYYYMMDD`` (the samples' form) and, tolerantly,
    ``YYYY-MM-DD``, ``YYYY/MM/DD``, ``YYYYMM``, ``YYYY-MM`` or ``YYYY``; a JSON number of
    those digits is accepted too. Fields that are not profile fields are ignored.

    :param required: top-level profile fields (as named in the JSON) that must be present.
    :param today: the date a birth date may not exceed (default: the local date today).

    :raises IAmSmartEnvelopeError: ``TOO_LARGE``, ``BAD_JSON``, ``DUPLICATE_KEY``,
        ``MISSING_FIELD``, ``BAD_FIELD`` or ``INVALID_HKID``, naming the field.
    :raises InvalidArgument: ``required`` names an unknown field.
    """
    if isinstance(required, str) or not isinstance(required, Iterable):
        raise InvalidArgument("required must be a collection of field names")
    required_fields = tuple(required)
    for name in required_fields:
        if name not in PROFILE_FIELDS:
            raise InvalidArgument(
                f"unknown profile field {name!r}; expected one of {', '.join(PROFILE_FIELDS)}"
            )
    document = _parse_json_object(decrypted_json, "profile", max_size)
    for name in required_fields:
        if document.get(name) is None:
            state = "null" if name in document else "missing"
            raise IAmSmartEnvelopeError(
                EnvelopeErrorCode.MISSING_FIELD, f"required field {name} is {state}", field=name
            )

    id_no: IdNo | None = None
    id_obj = _opt_obj(document, "idNo", "idNo")
    if id_obj is not None:
        identification = _req_str(id_obj, "Identification", "idNo.Identification", max_length=16)
        check_digit = _req_str(id_obj, "CheckDigit", "idNo.CheckDigit", max_length=4)
        check = _validate_identifier(
            IdentifierKind.HKID, f"{identification.strip()}({check_digit.strip()})"
        )
        if not check.valid or check.normalized is None:
            raise IAmSmartEnvelopeError(
                EnvelopeErrorCode.INVALID_HKID, f"idNo: {check.reason}", field="idNo"
            )
        id_no = IdNo(identification=identification, check_digit=check_digit, hkid=check.normalized)

    en_obj = _opt_obj(document, "enName", "enName")
    ch_obj = _opt_obj(document, "chName", "chName")

    birth_raw_value = document.get("birthDate")
    birth_raw: str | None
    if isinstance(birth_raw_value, int) and not isinstance(birth_raw_value, bool):
        birth_raw = str(birth_raw_value)
    else:
        birth_raw = _opt_str(document, "birthDate", "birthDate", max_length=32)
    birth_date: _dt.date | None = None
    precision: BirthDatePrecision | None = None
    if birth_raw is not None:
        birth_date, precision = _parse_birth_date(
            birth_raw.strip(), today if today is not None else _dt.date.today()
        )

    return IAmSmartProfile(
        id_no=id_no,
        prefix=_opt_str(document, "prefix", "prefix", max_length=32),
        en_name=None
        if en_obj is None
        else EnglishName(
            unstructured_name=_req_str(en_obj, "UnstructuredName", "enName.UnstructuredName")
        ),
        ch_name=None
        if ch_obj is None
        else ChineseName(chinese_name=_req_str(ch_obj, "ChineseName", "chName.ChineseName")),
        ch_name_verified=_opt_str(document, "chNameVerified", "chNameVerified", max_length=16),
        birth_date_raw=birth_raw,
        birth_date=birth_date,
        birth_date_precision=precision,
        gender=_opt_str(document, "gender", "gender", max_length=16),
        marital_status=_opt_str(document, "maritalStatus", "maritalStatus", max_length=16),
        home_tel_number=_phone(document, "homeTelNumber"),
        office_tel_number=_phone(document, "officeTelNumber"),
        mobile_number=_phone(document, "mobileNumber"),
        email_address=_opt_str(document, "emailAddress", "emailAddress", max_length=320),
        residential_address=_address(document, "residentialAddress"),
        postal_address=_address(document, "postalAddress"),
        education_level=_opt_str(document, "educationLevel", "educationLevel", max_length=16),
        car_owner=_opt_str(document, "carOwner", "carOwner", max_length=16),
    )
