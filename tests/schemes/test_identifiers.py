"""Tests of bayident.identifiers: formats, check characters, normalisation, hostile input."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bayident._exceptions import InvalidArgument
from bayident.identifiers import (
    MAX_INPUT_LENGTH,
    IdentifierCheck,
    IdentifierKind,
    hkid_check_digit,
    hkid_hash,
    validate,
)

TODAY = dt.date(2025, 6, 30)


# Reference implementations written from the definitions rather than from the module's
# tables: an HKID is valid when the weighted sum *including* the check digit (weight 1,
# A = 10) is divisible by 11; GB 11643-1999 weights are W_i = 2^(18-i) mod 11 and the check
# value is (12 - sum mod 11) mod 11, with 10 written X.
def ref_hkid_check(prefix: str, digits: str) -> str:
    values = ([36] if len(prefix) == 1 else []) + [ord(c) - 55 for c in prefix]
    values += [int(d) for d in digits]
    total = sum(w * v for w, v in zip(range(9, 1, -1), values, strict=True))
    (check,) = [c for c in range(11) if (total + c) % 11 == 0]
    return "A" if check == 10 else str(check)


def ref_ric_check(first17: str) -> str:
    total = sum(int(a) * (2 ** (17 - i) % 11) for i, a in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


# ------------------------------------------------------------------------ HKID


@pytest.mark.parametrize(
    ("value", "normalized"),
    [
        ("A123456(3)", "A123456(3)"),
        ("a123456(3)", "A123456(3)"),
        ("A1234563", "A123456(3)"),
        ("A 123456 (3)", "A123456(3)"),
        ("  A123456(3)\t", "A123456(3)"),
        ("Ａ１２３４５６（３）", "A123456(3)"),  # full-width input
        ("G123456(A)", "G123456(A)"),  # remainder 1 -> A
        ("g123456a", "G123456(A)"),
        ("A100009(0)", "A100009(0)"),  # remainder 0 -> 0
        ("AB987654(3)", "AB987654(3)"),  # two-letter prefix
        ("XY100004(A)", "XY100004(A)"),
    ],
)
def test_hkid_valid_forms(value: str, normalized: str) -> None:
    check = validate(IdentifierKind.HKID, value)
    assert check.valid, check.reason
    assert check.normalized == normalized
    assert check.reason is None
    assert check.check_verified is True
    assert check.region == "HK"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("A123456(4)", "check digit is 4, expected 3"),
        ("A123456(A)", "check digit is A, expected 3"),
        ("AB987654(2)", "check digit is 2, expected 3"),
        ("A123456", "check digit is missing"),
        ("123456(3)", "HKID must start with one or two letters"),
        ("ABC123456(3)", "HKID prefix has 3 letters, expected one or two"),
        ("A12345(3)", "HKID has 5 digits after the prefix, expected six"),
        ("A12345678", "HKID has 8 digits after the prefix, expected six"),
        ("A123456(B)", "check digit must be 0-9 or A, optionally in parentheses; got '(B)'"),
        ("A123456(3", "check digit must be 0-9 or A, optionally in parentheses; got '(3'"),
        ("A123456((3))", "check digit must be 0-9 or A, optionally in parentheses; got '((3))'"),
        ("", "value is empty"),
        ("   ", "value is empty"),
        ("A12345\u0663(3)", "unexpected character '\u0663' at position 7"),  # Arabic-Indic 3
        ("A123456-3", "unexpected character '-' at position 8"),
    ],
)
def test_hkid_invalid_with_precise_reason(value: str, reason: str) -> None:
    check = validate("HKID", value)
    assert not check.valid
    assert check.reason == reason
    assert check.normalized is None


def test_overlong_input_is_invalid_not_parsed() -> None:
    value = "A" * (MAX_INPUT_LENGTH + 1)
    for kind in IdentifierKind:
        check = validate(kind, value)
        assert not check.valid
        assert (
            check.reason
            == f"value is {MAX_INPUT_LENGTH + 1} characters long, more than the 64 allowed"
        )


def test_hkid_check_digit_function() -> None:
    assert hkid_check_digit("A123456") == "3"
    assert hkid_check_digit("g123456") == "A"
    assert hkid_check_digit("AB 987654") == "3"
    for bad in ("A12345", "A123456(3)", "123456", "", "ABC123456"):
        with pytest.raises(InvalidArgument):
            hkid_check_digit(bad)
    with pytest.raises(InvalidArgument):
        hkid_check_digit(123456)  # type: ignore[arg-type]


def test_hkid_hash_matches_definition() -> None:
    expected = base64.b64encode(hashlib.sha256(b"A123456").digest()).decode()
    assert hkid_hash("A123456") == expected
    assert hkid_hash("A123456(3)") == expected
    assert hkid_hash("a 123456 3") == expected
    assert (
        hkid_hash("AB987654(3)") == base64.b64encode(hashlib.sha256(b"AB987654").digest()).decode()
    )


@pytest.mark.parametrize("bad", ["A123456(4)", "A12345", "1234567", "", "A123456(3)x"])
def test_hkid_hash_refuses_wrong_or_malformed(bad: str) -> None:
    with pytest.raises(InvalidArgument):
        hkid_hash(bad)


def test_hkid_hash_refuses_non_str() -> None:
    with pytest.raises(InvalidArgument):
        hkid_hash(b"A123456")  # type: ignore[arg-type]


@pytest.mark.interop
@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI not installed")
def test_hkid_hash_matches_openssl() -> None:
    digest = subprocess.run(
        ["openssl", "dgst", "-sha256", "-binary"], input=b"A123456", capture_output=True, check=True
    ).stdout
    assert hkid_hash("A123456(3)") == base64.b64encode(digest).decode()


hkid_prefixes = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=2)
six_digits = st.text(alphabet="0123456789", min_size=6, max_size=6)


@given(prefix=hkid_prefixes, digits=six_digits, form=st.integers(0, 3))
def test_hkid_computed_check_digit_always_validates(prefix: str, digits: str, form: int) -> None:
    check_digit = hkid_check_digit(prefix + digits)
    assert check_digit == ref_hkid_check(prefix, digits)
    typed = [
        f"{prefix}{digits}({check_digit})",
        f"{prefix}{digits}{check_digit}".lower(),
        f"{prefix} {digits} ({check_digit})",
        f"{prefix}{digits}{check_digit}",
    ][form]
    result = validate("hkid", typed)
    assert result.valid, result.reason
    assert result.normalized == f"{prefix}{digits}({check_digit})"


@given(prefix=hkid_prefixes, digits=six_digits, data=st.data())
def test_hkid_wrong_check_digit_is_named(prefix: str, digits: str, data: st.DataObject) -> None:
    right = ref_hkid_check(prefix, digits)
    wrong = data.draw(st.sampled_from([c for c in "0123456789A" if c != right]))
    result = validate("HKID", f"{prefix}{digits}({wrong})")
    assert not result.valid
    assert result.reason == f"check digit is {wrong}, expected {right}"


@given(prefix=hkid_prefixes, digits=six_digits, position=st.integers(0, 5), delta=st.integers(1, 9))
def test_hkid_single_digit_change_invalidates(
    prefix: str, digits: str, position: int, delta: int
) -> None:
    # Weights 2..7 on the digits are units mod 11, so every substitution changes the sum.
    check_digit = ref_hkid_check(prefix, digits)
    changed = list(digits)
    changed[position] = str((int(changed[position]) + delta) % 10)
    result = validate("HKID", f"{prefix}{''.join(changed)}({check_digit})")
    assert not result.valid
    assert result.reason is not None
    assert result.reason.startswith("check digit is")


# ---------------------------------------------------------------------- CN_RIC


@pytest.mark.parametrize(
    ("value", "normalized", "birth", "region"),
    [
        # The worked example of GB 11643-1999.
        ("11010519491231002X", "11010519491231002X", dt.date(1949, 12, 31), None),
        ("11010519491231002x", "11010519491231002X", dt.date(1949, 12, 31), None),
        ("110105 19491231 002X", "11010519491231002X", dt.date(1949, 12, 31), None),
        ("810000199001011230", "810000199001011230", dt.date(1990, 1, 1), "HK"),
        ("820000198512314564", "820000198512314564", dt.date(1985, 12, 31), "MO"),
        ("830000200002297890", "830000200002297890", dt.date(2000, 2, 29), "TW"),
    ],
)
def test_cn_ric_valid(value: str, normalized: str, birth: dt.date, region: str | None) -> None:
    check = validate(IdentifierKind.CN_RIC, value, today=TODAY)
    assert check.valid, check.reason
    assert check.normalized == normalized
    assert check.birth_date == birth
    assert check.region == region
    assert check.check_verified
    if region is not None:
        assert check.notes
        assert "residence permit" in check.notes[0]
        assert check.notes[0].startswith(f"address code {value[:6]}")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("110105194912310021", "check character is 1, expected X"),
        ("11010519491231002", "number has 17 characters, expected 18"),
        ("11010519491231002X1", "number has 19 characters, expected 18"),
        (
            "110105491231002",
            "15-digit first-generation numbers have no check character and are not accepted",
        ),
        ("1101051949123100AX", "character at position 17 is 'A', expected a digit"),
        ("11010519491231002Y", "check character is 'Y', expected a digit or X"),
        ("11010519490230002X", "date of birth 19490230 (positions 7-14) is not a real date"),
        ("110105189912310020", "date of birth 18991231 (positions 7-14) is before 1900"),
        ("110105202507010020", "date of birth 20250701 (positions 7-14) is in the future"),
        (
            "990105194912310020",
            "address code 990105 (positions 1-6): province-level code 99 "
            "is not used in resident identity numbers",
        ),
        (
            "811234199001011230",
            "address code 811234 (positions 1-6): residence permits of Hong Kong residents "
            "use 810000",
        ),
        ("11010519491231002(X)", "number has 20 characters, expected 18"),
    ],
)
def test_cn_ric_invalid_with_precise_reason(value: str, reason: str) -> None:
    check = validate("CN_RIC", value, today=TODAY)
    assert not check.valid
    assert check.reason == reason


def test_cn_ric_today_defaults_to_the_clock() -> None:
    future = (dt.date.today() + dt.timedelta(days=2)).strftime("%Y%m%d")
    first17 = f"110105{future}002"
    check = validate("CN_RIC", first17 + ref_ric_check(first17))
    assert not check.valid
    assert check.reason is not None
    assert "is in the future" in check.reason


provinces = st.sampled_from(
    ["11", "12", "31", "32", "44", "46", "50", "51", "54", "65", "81", "82", "83"]
)


@st.composite
def ric_first17(draw: st.DrawFn) -> str:
    province = draw(provinces)
    rest = "0000" if province in ("81", "82", "83") else draw(st.from_regex(r"\A[0-9]{4}\Z"))
    birth = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY))
    sequence = draw(st.from_regex(r"\A[0-9]{3}\Z"))
    return f"{province}{rest}{birth:%Y%m%d}{sequence}"


@given(first17=ric_first17())
def test_cn_ric_computed_check_always_validates(first17: str) -> None:
    value = first17 + ref_ric_check(first17)
    check = validate("CN_RIC", value.lower(), today=TODAY)
    assert check.valid, check.reason
    assert check.normalized == value
    assert check.birth_date == dt.date(int(first17[6:10]), int(first17[10:12]), int(first17[12:14]))


@given(first17=ric_first17(), position=st.integers(0, 17), data=st.data())
def test_cn_ric_any_single_character_change_invalidates(
    first17: str, position: int, data: st.DataObject
) -> None:
    # MOD 11-2 detects every single substitution, so no change can yield a valid number.
    value = first17 + ref_ric_check(first17)
    alphabet = "0123456789X" if position == 17 else "0123456789"
    replacement = data.draw(st.sampled_from([c for c in alphabet if c != value[position]]))
    changed = value[:position] + replacement + value[position + 1 :]
    check = validate("CN_RIC", changed, today=TODAY)
    assert not check.valid
    assert check.reason is not None


# --------------------------------------------------------------- travel permit


@pytest.mark.parametrize(
    ("value", "normalized", "region", "lifetime_note"),
    [
        ("H1234567800", "H1234567800", "HK", "lifetime number 12345678, renewal count 00"),
        ("m0123456701", "M0123456701", "MO", "lifetime number 01234567, renewal count 01"),
        ("H12345678", "H12345678", "HK", None),
        ("M 1234 5678", "M12345678", "MO", None),
    ],
)
def test_travel_permit_valid(
    value: str, normalized: str, region: str, lifetime_note: str | None
) -> None:
    check = validate("HK_MO_TRAVEL_PERMIT", value)
    assert check.valid, check.reason
    assert check.normalized == normalized
    assert check.region == region
    assert check.check_verified is False
    assert "this document has no check character" in check.notes
    assert (lifetime_note in check.notes) if lifetime_note else len(check.notes) == 1


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("X12345678", "number must start with H (Hong Kong) or M (Macau), got 'X'"),
        ("12345678", "number must start with H (Hong Kong) or M (Macau), got '1'"),
        ("H123456789", "number has 9 digits after the letter, expected 8 or 10"),
        ("H1234567", "number has 7 digits after the letter, expected 8 or 10"),
        # The older letter-and-digits layout is not confirmed by a public source: rejected.
        ("HA123456", "H or M must be followed by digits only"),
        ("H(12345678)", "H or M must be followed by digits only"),
    ],
)
def test_travel_permit_invalid(value: str, reason: str) -> None:
    check = validate(IdentifierKind.HK_MO_TRAVEL_PERMIT, value)
    assert not check.valid
    assert check.reason == reason


# ---------------------------------------------------------------------- MO_BIR


@pytest.mark.parametrize(
    ("value", "normalized"),
    [
        ("1234567(8)", "1234567(8)"),
        ("1/234567/8", "1234567(8)"),
        ("12345678", "1234567(8)"),
        ("5234567(0)", "5234567(0)"),
        ("7 234567 (9)", "7234567(9)"),
    ],
)
def test_mo_bir_valid_format(value: str, normalized: str) -> None:
    check = validate("MO_BIR", value)
    assert check.valid, check.reason
    assert check.normalized == normalized
    assert check.region == "MO"
    assert check.check_verified is False
    assert any("not the check character" in note for note in check.notes)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1234567(A)", "check character is 'A', expected a digit"),
        ("123456(8)", "expected seven digits and a check digit, as 1234567(8) or 1/234567/8"),
        ("1/234567(8)", "expected seven digits and a check digit, as 1234567(8) or 1/234567/8"),
        ("1234567", "expected seven digits and a check digit, as 1234567(8) or 1/234567/8"),
    ],
)
def test_mo_bir_invalid(value: str, reason: str) -> None:
    check = validate("MO_BIR", value)
    assert not check.valid
    assert check.reason == reason


# ------------------------------------------------------------- API contract


def test_unknown_kind_and_wrong_types_raise_invalid_argument() -> None:
    with pytest.raises(InvalidArgument, match="unknown identifier kind 'PASSPORT'"):
        validate("PASSPORT", "A123456(3)")
    with pytest.raises(InvalidArgument, match="kind must be a str"):
        validate(3, "A123456(3)")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="value must be a str"):
        validate("HKID", b"A123456(3)")  # type: ignore[arg-type]
    with pytest.raises(TypeError):  # InvalidArgument is also a TypeError
        validate("HKID", None)  # type: ignore[arg-type]


def test_kind_names_are_case_insensitive() -> None:
    assert validate(" cn_ric ", "11010519491231002X", today=TODAY).kind is IdentifierKind.CN_RIC


def test_check_model_is_frozen_and_consistent() -> None:
    check = validate("HKID", "A123456(3)")
    with pytest.raises(ValidationError):
        check.valid = False  # type: ignore[misc]
    with pytest.raises(ValidationError):
        IdentifierCheck(kind=IdentifierKind.HKID, valid=True, normalized="x", reason="bad")
    with pytest.raises(ValidationError):
        IdentifierCheck(kind=IdentifierKind.HKID, valid=False, normalized="x", reason="bad")
    assert hash(check) == hash(validate("HKID", "a1234563"))


@settings(max_examples=300)
@given(kind=st.sampled_from(list(IdentifierKind)), value=st.text(max_size=80))
def test_arbitrary_text_never_raises_and_reasons_are_consistent(
    kind: IdentifierKind, value: str
) -> None:
    check = validate(kind, value, today=TODAY)
    assert check.valid == (check.reason is None)
    assert (check.normalized is not None) == check.valid
    if check.valid:
        assert check.normalized is not None
        assert check.normalized.isascii()
        # A normalised value validates to itself.
        assert validate(kind, check.normalized, today=TODAY).normalized == check.normalized


def test_mo_bir_first_digit_rule_is_an_opt_in_heuristic() -> None:
    # No public source gives the "first digit 1, 5 or 7" rule: off unless asked for.
    plain = validate("MO_BIR", "3234567(8)")
    assert plain.valid
    assert any("no public source" in note for note in plain.notes)
    strict = validate("MO_BIR", "3234567(8)", bir_first_digit_heuristic=True)
    assert not strict.valid
    assert strict.reason is not None
    assert "heuristic with no public source" in strict.reason
    assert validate("MO_BIR", "5234567(8)", bir_first_digit_heuristic=True).valid
