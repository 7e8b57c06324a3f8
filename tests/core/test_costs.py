"""Bounded costs: inputs that used to hang or rebuild tables are now limited at the input.

Each test reproduces an input that took seconds to minutes (or hung) and checks the clear error
or the now-obvious cost. The time bounds are generous guards against a regression to the old
behaviour, not benchmarks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import islice

import numpy as np
import pytest

import warmcos
from warmcos._core.baselines import MAX_MILESTONES
from warmcos._core.cycles import MAX_TABULATED_CYCLES
from warmcos._core.join import MAX_DEPTH, MAX_PIECES


@contextmanager
def within(seconds: float) -> Iterator[None]:
    start = time.perf_counter()
    yield
    elapsed = time.perf_counter() - start
    assert elapsed < seconds, f"took {elapsed:.2f} s (bound {seconds} s)"


def slow_growth(**extra: object) -> warmcos.Schedule:
    return warmcos.cosine_restarts(
        peak=1.0, first_cycle=1, cycle_mult=1.0000001, cycle_rule="geometric", **extra
    )


def test_a_step_beyond_the_tabulated_cycles_is_refused_quickly() -> None:
    s = slow_growth()  # used to take 186 s and 356 MB at step 1e12
    with within(5), pytest.raises(ValueError, match=f"beyond cycle {MAX_TABULATED_CYCLES}"):
        s(1e12)
    # Refused means unchanged: nearer steps still work, and the same far step fails again.
    assert 0.0 <= s(1e3) <= 1.0
    with pytest.raises(ValueError, match="cycle_mult"):
        s(np.array([0.0, 1e12]))


def test_too_many_slowly_growing_cycles_are_refused_at_construction() -> None:
    with within(5), pytest.raises(ValueError, match="`max_cycles` must be at most 20,000"):
        slow_growth(max_cycles=10**7)  # the constructor alone used to take 139 s


def test_many_cycles_of_a_constant_length_cost_nothing() -> None:
    with within(1):
        s = warmcos.cosine_restarts(peak=1.0, first_cycle=3, max_cycles=10**9)
        assert s.natural_end == 3 * 10**9
        # One step into the last cycle of 3: (1 + cos(pi / 3)) / 2 = 0.75.
        assert s(3 * 10**9 - 2) == pytest.approx(0.75, rel=1e-12)


def test_a_multistep_lookup_is_not_a_rebuild_per_call() -> None:
    milestones = list(range(1, MAX_MILESTONES + 1))
    s = warmcos.multistep(1.0, milestones, gamma=0.999999)
    with within(2):  # used to cost 0.1 s per call
        values = [s(float(t) + 0.5) for t in range(0, MAX_MILESTONES, 997)]
    assert values[1] == pytest.approx(0.999999**997, rel=1e-12)
    with within(2):
        s(np.arange(0.0, 1e6, 7.0))
    with pytest.raises(ValueError, match="at most 1,000,000 items"):
        warmcos.multistep(1.0, [*milestones, MAX_MILESTONES + 1])


def test_a_join_over_unsorted_arrays_costs_one_formula_per_step() -> None:
    pieces = [warmcos.linear(1.0, 0.5, 10) for _ in range(MAX_PIECES)]
    s = warmcos.join(pieces, [10 * i for i in range(1, MAX_PIECES)])
    steps = np.random.default_rng(0).uniform(0, 10 * MAX_PIECES, 200_000)
    with within(5):  # used to cost pieces x steps
        values = s(steps)
    expected = 1.0 - 0.05 * (steps % 10)
    # Each piece starts on its own local step (t - 10 i), so only rounding separates them.
    np.testing.assert_allclose(values, expected, rtol=1e-9)
    with pytest.raises(ValueError, match="at most 10,000 schedules"):
        warmcos.join([*pieces, pieces[0]], [10 * i for i in range(1, MAX_PIECES + 1)])


def test_deep_joins_are_refused_before_repr_pickle_or_evaluation_recurse() -> None:
    s: warmcos.Schedule = warmcos.constant(1.0)
    for _ in range(MAX_DEPTH - 1):
        s = warmcos.join([s, warmcos.constant(0.5)], [1.0])
    assert warmcos.parse(repr(s)) == s
    assert warmcos.from_dict(s.to_dict()) == s
    with pytest.raises(ValueError, match="nested at most 32 deep"):
        warmcos.join([s, warmcos.constant(0.5)], [1.0])


@pytest.mark.parametrize(
    "call",
    [
        lambda: warmcos.cosine_restarts(peak=1.0, first_cycle=10)(10**400),
        lambda: warmcos.cosine(peak=1.0, steps=10)(10**400),
        lambda: warmcos.step(1.0, step_size=1)(10**400),
        lambda: warmcos.cosine(peak=1.0, steps=10).segment_at(10**400),
    ],
)
def test_a_step_too_large_for_a_float_is_a_value_error(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="the step must be finite"):
        call()


def test_summaries_walk_no_segment_by_segment_to_a_far_boundary() -> None:
    s = warmcos.join([warmcos.constant(1.0), warmcos.step(1.0, 0.001)], [100000.0], False)
    with within(2):  # `warmcos show` of this used to hang
        listed = list(islice(s.segments(), 10))
    assert [segment.kind for segment in listed] == ["level", "hold"]
