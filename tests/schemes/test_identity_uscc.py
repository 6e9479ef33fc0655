"""CN_USCC: the unified social credit code (统一社会信用代码) and its GB 32100-2015 check."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bayident.identifiers import IdentifierKind, validate

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def ref_check(first17: str) -> str:
    # From the definition: C18 = 31 - (sum of C_i * 3^(i-1) mod 31) mod 31, 31 written 0.
    total = sum(CHARSET.index(c) * 3**i for i, c in enumerate(first17))
    return CHARSET[(31 - total % 31) % 31]


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",  # the example of GB 32100-2015 guides
        "9144030071526726XG",
        "914403001922038216",
        "91440300708461136T",
        "91110000802100433B",
    ],
)
def test_published_codes_are_valid(code: str) -> None:
    check = validate("CN_USCC", code)
    assert check.valid
    assert check.normalized == code
    assert check.check_verified
    assert check.kind is IdentifierKind.CN_USCC
    assert ref_check(code[:17]) == code[17]
    assert any("GB 11714" in n for n in check.notes)


def test_normalisation() -> None:
    assert validate("cn_uscc", " 91350100m000100y43 ").normalized == "91350100M000100Y43"
    assert validate("CN_USCC", "９１３５０１００Ｍ０００１００Ｙ４３").valid  # full-width input


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("91350100M000100Y44", "check character is 4, expected 3"),
        ("91350100M000100Y4", "code has 17 characters, expected 18"),
        ("91350100M0001I0Y43", "character 'I' at position 14 is not in the GB 32100 character set"),
        ("9135010OM000100Y43", "character 'O'"),
        (
            "91A50100M000100Y43",
            "administrative division code A50100 (positions 3-8) must be six digits",
        ),
        ("", "value is empty"),
    ],
)
def test_invalid_codes(value: str, reason: str) -> None:
    check = validate("CN_USCC", value)
    assert not check.valid
    assert check.normalized is None
    assert check.reason is not None
    assert reason in check.reason


def _text(alphabet: str, size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=size, max_size=size)


# Positions 3-8 (the region code) are digits: drawn as such, not filtered for (a random
# 17-character body has them all digits about once in a thousand draws).
_BODIES = st.tuples(_text(CHARSET, 2), _text("0123456789", 6), _text(CHARSET, 9)).map("".join)


@given(body=_BODIES)
def test_the_check_character_detects_every_single_substitution(body: str) -> None:
    code = body + ref_check(body)
    assert validate("CN_USCC", code).valid
    for i in range(18):
        for c in "0AY":
            if c != code[i]:
                changed = code[:i] + c + code[i + 1 :]
                if changed[2:8].isdigit():
                    assert not validate("CN_USCC", changed).valid
