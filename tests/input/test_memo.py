"""The one memo class every cache is built on: bounds, eviction, threads."""

from __future__ import annotations

import threading

import pytest

from bayident import InvalidArgument
from bayident._memo import Memo


def test_get_put_and_default() -> None:
    m: Memo[str, int | None] = Memo(4)
    assert m.get("a") is None
    assert m.get("a", -1) == -1
    m.put("a", None)  # None is a value, told apart from a miss by the default
    assert m.get("a", -1) is None
    assert "a" in m
    assert len(m) == 1


def test_oldest_written_entry_goes_first() -> None:
    m: Memo[int, int] = Memo(3)
    for i in range(3):
        m.put(i, i)
    m.put(0, 10)  # rewriting refreshes: 1 is now the oldest
    m.put(3, 3)
    assert m.get(1) is None
    assert [m.get(k) for k in (0, 2, 3)] == [10, 2, 3]
    assert len(m) == 3 == m.size


def test_get_or_make_makes_once_and_remembers_none() -> None:
    calls: list[str] = []

    def make() -> str | None:
        calls.append("x")
        return None

    m: Memo[str, str | None] = Memo(2)
    assert m.get_or_make("k", make) is None
    assert m.get_or_make("k", make) is None
    assert calls == ["x"]


def test_discard_and_clear() -> None:
    m: Memo[str, int] = Memo(2)
    m.put("a", 1)
    m.put("b", 2)
    m.discard("a")
    m.discard("missing")
    assert m.get("a") is None
    assert m.get("b") == 2
    m.clear()
    assert len(m) == 0
    assert m.get("b") is None


@pytest.mark.parametrize("size", [0, -1, True, 2.5, "3"])
def test_size_must_be_a_positive_int(size: object) -> None:
    with pytest.raises(InvalidArgument, match="at least one entry"):
        Memo(size)  # type: ignore[arg-type]


def test_concurrent_writers_keep_the_bound() -> None:
    m: Memo[tuple[int, int], int] = Memo(50)
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(2000):
                m.put((t, i), i)
                m.get((t, i - 1))
                if i % 7 == 0:
                    m.discard((t, i - 3))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert len(m) <= 50
