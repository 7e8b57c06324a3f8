"""Schedules describe themselves: segments, their kinds and end values, the natural end.

Expected spans and values are worked out by hand from the formulas (in comments). The property
tests check, over random configurations of every schedule type, that the description and the
values cannot disagree: each segment's stated end values are the schedule's values there.
"""

from __future__ import annotations

import math
from itertools import islice, pairwise

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import warmcos
from strategies import all_specs, build
from warmcos._core.join import MAX_DEPTH

properties = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def spans(schedule: warmcos.Schedule, n: int = 20) -> list[tuple[str, str, float, float]]:
    return [(s.kind, s.shape, s.start, s.end) for s in islice(schedule.segments(), n)]


# -- by hand ---------------------------------------------------------------------------------


def test_cosine_segments_with_their_end_values() -> None:
    s = warmcos.cosine(peak=1.0, steps=100, floor=0.05, warmup=10, warmup_start=0.2)
    assert spans(s) == [
        ("warm-up", "linear", 0, 10),
        ("decay", "cosine", 10, 100),
        ("hold", "constant", 100, math.inf),
    ]
    assert [(g.first, g.last) for g in s.segments()] == [(0.2, 1.0), (1.0, 0.05), (0.05, 0.05)]
    assert s.natural_end == 100


def test_wsd_segments_name_the_decay_shape() -> None:
    s = warmcos.wsd(peak=1e-3, steps=1000, warmup=50, decay=0.2, shape="sqrt")
    assert spans(s) == [
        ("warm-up", "linear", 0, 50),
        ("stable", "constant", 50, 800),  # decay = 0.2 * 1000 = 200 steps, from 1000 - 200
        ("decay", "sqrt", 800, 1000),
        ("hold", "constant", 1000, math.inf),
    ]
    no_stable = warmcos.wsd(peak=1.0, steps=100, warmup=40, decay=60)
    assert [kind for kind, *_ in spans(no_stable)] == ["warm-up", "decay", "hold"]


def test_restart_cycles_by_hand() -> None:
    # D0 = 100 - 10 = 90, D1 = int(90 * 1.5) = 135, D2 = int(135 * 1.5) = 202; each cycle adds
    # its warm-up of 10: starts 0, 100, 245, 457. Peaks 0.1 * 0.8**k, floor 0.001.
    s = warmcos.cosine_restarts(
        peak=0.1, first_cycle=100, floor=0.001, cycle_mult=1.5, gamma=0.8, warmup=10
    )
    listed = list(islice(s.segments(), 6))
    assert [(g.kind, g.start, g.end, g.cycle) for g in listed] == [
        ("warm-up", 0, 10, 0),
        ("decay", 10, 100, 0),
        ("warm-up", 100, 110, 1),
        ("decay", 110, 245, 1),
        ("warm-up", 245, 255, 2),
        ("decay", 255, 457, 2),
    ]
    # Warm-ups start at the cycle's floor (warmup_start=None) and reach the cycle's peak.
    assert [g.first for g in listed[::2]] == [0.001] * 3
    assert [g.last for g in listed[::2]] == pytest.approx([0.1, 0.08, 0.064], rel=1e-15)
    assert s.natural_end is None


def test_a_warmup_that_starts_above_the_peak_is_a_ramp_and_the_peak_is_the_cycle_peak() -> None:
    # The example: warm-up from 0.5 down to the cycle peak 0.1.
    s = warmcos.cosine_restarts(peak=0.1, first_cycle=10, warmup=2, warmup_start=0.5, max_cycles=2)
    listed = list(s.segments())
    assert [(g.kind, g.start, g.end, g.first, g.last, g.cycle) for g in listed] == [
        ("ramp", 0, 2, 0.5, 0.1, 0),
        ("decay", 2, 10, 0.1, 0.0, 0),
        ("ramp", 10, 12, 0.5, 0.1, 1),
        ("decay", 12, 20, 0.1, 0.0, 1),
        ("hold", 20, math.inf, 0.0, 0.0, None),
    ]
    assert s.natural_end == 20


def test_restarts_with_max_cycles_hold_and_warm_up_first_only() -> None:
    s = warmcos.cosine_restarts(
        peak=1.0, first_cycle=30, warmup=10, max_cycles=3, warmup_cycles="first"
    )
    # Cycle 0: warm-up 10 + cosine 20; cycles 1 and 2: no warm-up, cosine 20 each.
    assert [(k, a, b) for k, _, a, b in spans(s)] == [
        ("warm-up", 0, 10),
        ("decay", 10, 30),
        ("decay", 30, 50),
        ("decay", 50, 70),
        ("hold", 70, math.inf),
    ]
    assert s.natural_end == 70


def test_baselines() -> None:
    assert [(k, a, b) for k, _, a, b in spans(warmcos.multistep(0.1, [30, 60, 90]))] == [
        ("level", 0, 30),
        ("level", 30, 60),
        ("level", 60, 90),
        ("hold", 90, math.inf),
    ]
    assert warmcos.multistep(0.1, [30, 60, 90]).natural_end == 90
    halving = warmcos.step(1.0, step_size=10, gamma=0.5)
    assert [g.first for g in islice(halving.segments(), 3)] == [1.0, 0.5, 0.25]
    assert halving.natural_end is None
    assert spans(warmcos.linear(0.0, 1.0, 10)) == [
        ("warm-up", "linear", 0, 10),
        ("hold", "constant", 10, math.inf),
    ]
    assert spans(warmcos.linear(1.0, 0.5, 10))[0][:2] == ("decay", "linear")
    assert spans(warmcos.constant(0.1)) == [("hold", "constant", 0, math.inf)]
    assert warmcos.constant(0.1).natural_end == 0
    (decay,) = warmcos.exponential(1.0, gamma=0.99).segments()
    assert (decay.kind, decay.shape, decay.first, decay.last) == ("decay", "exponential", 1.0, 0.0)


def test_step_decay_holds_once_its_level_underflows_to_zero() -> None:
    # 1e-3 ** k underflows to 0 from k = 108 (1e-324 < smallest subnormal).
    s = warmcos.step(1.0, step_size=1, gamma=1e-3)
    *levels, hold = list(islice(s.segments(), 200))
    assert hold.kind == "hold" and hold.first == 0.0 and hold.end == math.inf
    assert all(level.first > 0 for level in levels)
    assert s(hold.start) == 0.0 and s(math.nextafter(hold.start, 0)) > 0


def test_join_shifts_and_cuts_its_pieces() -> None:
    local = warmcos.parse("join([linear(0.0, 0.1, 100), cosine(0.1, 900)], [100])")
    assert [(k, a, b) for k, _, a, b in spans(local)] == [
        ("warm-up", 0, 100),
        ("decay", 100, 1000),
        ("hold", 1000, math.inf),
    ]
    assert [g.piece for g in local.segments()] == [0, 1, 1]
    assert local.natural_end == 1000

    # Global steps: the cosine piece enters at its own step 50, halfway down.
    overlay = warmcos.join(
        [warmcos.constant(1.0), warmcos.cosine(1.0, 100)], [50], local_steps=False
    )
    listed = list(overlay.segments())
    assert [(g.kind, g.start, g.end) for g in listed] == [
        ("level", 0, 50),  # the constant's hold, cut short by the next piece
        ("decay", 50, 100),
        ("hold", 100, math.inf),
    ]
    assert listed[1].first == pytest.approx(0.5, abs=1e-15)
    assert overlay.natural_end == 100


def test_a_join_boundary_is_where_the_join_switches_even_when_the_sum_rounds() -> None:
    # 0.1 + 0.2 = 0.30000000000000004, but the piece starting at local step 0.1 of a piece
    # that starts at 0.2 takes over where (t - 0.2) >= 0.1 first holds.
    inner = warmcos.join([warmcos.constant(1.0), warmcos.constant(0.5)], [0.1])
    outer = warmcos.join([warmcos.constant(2.0), inner], [0.2])
    boundary = [g.start for g in outer.segments()][2]
    assert outer(boundary) == 0.5
    assert outer(math.nextafter(boundary, 0)) == 1.0


def test_segments_window_and_segment_at() -> None:
    s = warmcos.step(1.0, step_size=10, gamma=0.5)
    assert [(g.start, g.end) for g in s.segments(15, 30)] == [(10, 20), (20, 30)]
    assert s.segment_at(25)(25) == s(25)
    slow = warmcos.step(1.0, step_size=10, gamma=0.9)
    assert slow.segment_at(1e4).start == 1e4  # located directly, not walked to
    assert s.segment_at(1e6).start == 10750  # 0.5 ** 1075 is the first level that is 0
    with pytest.raises(ValueError, match="`stop` must be > `start`"):
        list(s.segments(10, 5))
    with pytest.raises(ValueError, match="step must be finite"):
        s.segment_at(float("nan"))


def test_a_join_of_constant_and_a_fast_step_decay_is_described_at_once() -> None:
    # Used to hang: the description walked 10**8 drops before the boundary.
    s = warmcos.join([warmcos.constant(1.0), warmcos.step(1.0, 0.001)], [100000.0], False)
    listed = list(islice(s.segments(), 5))
    assert listed[0].end == 100000.0 and listed[-1].kind == "hold"


def test_joins_nested_deeper_than_the_limit_are_refused() -> None:
    s: warmcos.Schedule = warmcos.constant(1.0)
    for _ in range(MAX_DEPTH - 1):
        s = warmcos.join([warmcos.constant(0.5), s], [1.0])
    assert s.nesting == MAX_DEPTH
    assert s(10**6) == 1.0
    with pytest.raises(ValueError, match=f"nested at most {MAX_DEPTH} deep"):
        warmcos.join([warmcos.constant(0.5), s], [1.0])


# -- the description agrees with the values, for every schedule type -----------------------------


def _listed(schedule: warmcos.Schedule, limit: int = 60) -> list[warmcos.Segment]:
    return list(islice(schedule.segments(), limit))


@properties
@given(all_specs)
def test_segments_meet_end_to_end_and_state_the_values_there(spec: object) -> None:
    schedule = build(spec)  # type: ignore[arg-type]
    listed = _listed(schedule)
    assert listed[0].start == 0
    for before, after in pairwise(listed):
        assert before.end == after.start
        assert before.start < before.end
    for segment in listed:
        # The stated first value is the schedule's value at the segment's start, to the bit.
        assert schedule(segment.start) == segment.first
        assert segment.low <= segment.high
        if math.isfinite(segment.end):
            # The last value is what the curve reaches at the end: the step just before it is
            # between the two stated values.
            near = schedule(math.nextafter(segment.end, 0))
            if near >= segment.start:
                assert segment.low - 1e-12 * max(1, segment.high) <= near
                assert near <= segment.high + 1e-12 * max(1, segment.high)


@properties
@given(all_specs, st.lists(st.floats(0, 1e7), min_size=1, max_size=8))
def test_the_segment_at_a_step_gives_the_schedules_value(spec: object, steps: list[float]) -> None:
    schedule = build(spec)  # type: ignore[arg-type]
    for t in steps:
        segment = schedule.segment_at(t)
        assert segment.start <= t < segment.end
        assert segment(t) == schedule(t)
        assert segment.low - 1e-12 <= schedule(t) <= segment.high + 1e-12


@properties
@given(all_specs, st.floats(0, 1e6))
def test_the_value_never_changes_after_the_natural_end(spec: object, extra: float) -> None:
    schedule = build(spec)  # type: ignore[arg-type]
    end = schedule.natural_end
    if end is None:
        # Never settles by design; only a decay whose level underflows to 0 ends in a hold.
        last = _listed(schedule)[-1]
        assert math.isfinite(last.end) or last.kind != "hold" or last.first == 0
        return
    held = schedule(end)
    assert schedule(end + extra) == held
    assert schedule(end * 2 + 1e9) == held
    assert schedule.segment_at(end).end == math.inf


@settings(properties, max_examples=60)
@given(all_specs, st.floats(0, 3000), st.integers(1, 50))
def test_a_window_of_segments_is_a_slice_of_all_of_them(
    spec: object, start: float, span: int
) -> None:
    schedule = build(spec)  # type: ignore[arg-type]
    window = list(islice(schedule.segments(start, start + span), 40))
    assert window[0].start <= start < window[0].end
    everything = [g for g in schedule.segments(0, start + span) if g.end > start]
    assert window == everything[: len(window)]


@properties
@given(all_specs, st.integers(1, 2000), st.floats(0, 1e4), st.floats(1e-3, 50.0))
def test_numpy_on_sorted_and_shuffled_steps_equals_the_scalar_path(
    spec: object, count: int, first: float, spacing: float
) -> None:
    schedule = build(spec)  # type: ignore[arg-type]
    steps = first + spacing * np.arange(count, dtype=np.float64)
    scalar = np.array([schedule(float(t)) for t in steps])
    sorted_values = schedule(steps)
    shuffled = np.random.default_rng(count).permutation(count)
    shuffled_values = schedule(steps[shuffled])
    # Sorted steps go segment by segment, through the very curves of the scalar path.
    np.testing.assert_allclose(sorted_values, scalar, rtol=1e-15, atol=1e-300)
    # Shuffled steps take the vectorised formula, where NumPy's SIMD power may differ from
    # libm's by one unit in the last place (gamma ** k); a warm-up ramp from far above the peak
    # can turn that into a few units of its start value.
    scale = max(1.0, float(np.max(np.abs(scalar))))
    np.testing.assert_allclose(shuffled_values, scalar[shuffled], rtol=1e-15, atol=4e-15 * scale)


def test_numpy_path_visits_each_segment_once_on_a_long_sorted_run() -> None:
    s = warmcos.cosine_restarts(peak=0.1, first_cycle=100, cycle_mult=1.5, gamma=0.8, warmup=10)
    steps = np.arange(10**6, dtype=np.float64)
    values = s(steps)
    sample = np.arange(0, 10**6, 997)
    assert np.array_equal(values[sample], [s(float(t)) for t in sample])
