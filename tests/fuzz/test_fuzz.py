"""Mutation fuzzing of every parser of foreign input, briefly on each test run.

Seeds are valid CMS, SM2 CMS and JWS signatures, ETSI and JSON trusted lists,
iAM Smart replies and profiles and identity numbers made by the test kit;
hypothesis mutates them (bit flips, interesting bytes, insertions, deletions,
duplications, truncations) and each mutant goes through the public entry
point. Asserted for every mutant: no exception other than a
:class:`bayident.BayidentError` escapes, and nothing passes with a meaning
(signer, algorithms, signed attributes, list content) other than its seed's.

``BAYIDENT_FUZZ_EXAMPLES`` sets the mutants per target (default 40, a few
seconds in all); ``bench/fuzz/run.py`` runs longer campaigns and the
exhaustive single-byte sweep.
"""

from __future__ import annotations

import os

import pytest
from _corpus import OPERATIONS, Tally, Target, mutate, targets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("BAYIDENT_FUZZ_EXAMPLES", "40"))
NAMES = (
    "cms",
    "sm2-cms",
    "jws",
    "etsi-list",
    "json-list",
    "iamsmart-reply",
    "iamsmart-profile",
    "identifiers",
)

pytestmark = pytest.mark.fuzz

operations = st.lists(
    st.tuples(
        st.sampled_from(OPERATIONS),
        st.integers(0, 1 << 20),
        st.integers(1, 64),
        st.integers(0, 255),
    ),
    min_size=1,
    max_size=4,
)


@pytest.fixture(scope="module")
def by_name() -> dict[str, Target]:
    return {t.name: t for t in targets()}


def test_every_target_is_fuzzed(by_name: dict[str, Target]) -> None:
    assert set(by_name) == set(NAMES)
    for t in by_name.values():
        assert t.seeds
        if t.has_pass:
            assert all(o.verdict == "passed" for o in t.expected), t.name


@pytest.mark.parametrize("name", NAMES)
def test_mutants_never_escape_and_never_falsely_pass(name: str, by_name: dict[str, Target]) -> None:
    target = by_name[name]
    tally = Tally()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(index=st.integers(0, len(target.seeds) - 1), ops=operations)
    def run(index: int, ops: list[tuple[str, int, int, int]]) -> None:
        data = mutate(target.seeds[index], ops)
        if data == target.seeds[index]:
            return
        outcome = tally.record(target, index, data)
        assert outcome.verdict != "escaped", outcome.error
        assert not tally.false_passed, tally.false_passed

    run()
    assert tally.tried > 0
