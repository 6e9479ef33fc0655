"""The strict JSON reader every untrusted JSON document goes through."""

from __future__ import annotations

import pytest

from bayident._json import JSONError, loads, loads_object


@pytest.mark.parametrize(
    ("raw", "problem", "words"),
    [
        (b'{"a": 1, "a": 2}', "duplicate", "doc: duplicate member name 'a'"),
        (b'{"a": NaN}', "constant", "NaN is not a JSON number"),
        (b'{"a": -Infinity}', "constant", "-Infinity is not a JSON number"),
        (b'{"a": 1', "syntax", "at character 7"),
        (b'{"a": "\xff"}', "not-utf8", "byte 7"),
        (b"[" * 70 + b"]" * 70, "too-deep", "nests deeper than 64 levels"),
        (b"[" + b"[]," * 5000 + b"[]]", "too-many-values", "JSON values"),
        (b"x" * 101, "too-large", "101 bytes, over the limit of 100"),
    ],
)
def test_refusals_name_the_problem(raw: bytes, problem: str, words: str) -> None:
    limit = 100 if problem == "too-large" else 1 << 20
    with pytest.raises(JSONError) as info:
        loads(raw, "doc", limit)
    assert info.value.problem == problem
    assert words in str(info.value)


def test_the_repeated_name_and_the_offset_are_kept() -> None:
    with pytest.raises(JSONError) as dup:
        loads(b'{"x": {"k": 1, "k": 1}}', "doc", 1000)
    assert dup.value.key == "k"
    with pytest.raises(JSONError) as bad:
        loads(b'{"x": tru}', "doc", 1000)
    assert bad.value.offset == 6


def test_brackets_inside_strings_do_not_nest() -> None:
    text = '{"a": "' + "[" * 500 + '\\"' + "{" * 500 + '"}'
    assert loads(text, "doc", 1 << 20, max_depth=2) == {"a": "[" * 500 + '"' + "{" * 500}


def test_an_object_is_required_where_asked() -> None:
    with pytest.raises(JSONError, match="must be a JSON object, not an array"):
        loads_object(b"[1]", "doc", 100)
    assert loads_object(b'{"n": 12345678901234567890}', "doc", 100) == {"n": 12345678901234567890}
