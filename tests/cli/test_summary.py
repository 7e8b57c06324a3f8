"""What `warmcos show` and the plots report: landmarks, cycles and horizons, from segments.

Expected values are worked out by hand from the formulas (in comments); the first step below 10%
of the peak is also checked against a plain loop over the steps. A schedule type the summary has
never heard of is summarised from its segments alone.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

import warmcos
from warmcos._core.curves import HalfCosine, Line
from warmcos._core.ops import Ops, Value
from warmcos._core.schedule import Schedule
from warmcos._core.segments import Segment, make
from warmcos.cli.summary import default_horizon, run_length, summarize
from warmcos.cli.text import chart, summary_lines


def test_cosine_landmarks() -> None:
    s = warmcos.cosine(peak=1.0, steps=100, floor=0.05, warmup=10, warmup_start=0.2)
    summary = summarize(s)
    assert (summary.peak, summary.peak_step) == (1.0, 10)
    assert (summary.floor, summary.floor_step) == (0.05, 100)
    # 0.05 + 0.95 * (1 + cos(pi * (t - 10) / 90)) / 2 < 0.1  <=>  cos(...) < -0.8947
    # <=>  (t - 10) / 90 > 0.85270  <=>  t > 86.74: step 87 (the warm-up starts above 0.1).
    assert summary.below == 87
    assert summary.end == 100
    assert summary.horizon == 110


def test_warmup_from_zero_is_not_the_fall_below_ten_percent() -> None:
    # The warm-up starts at 0 < 10% of the peak; the fall comes after the peak:
    # (1 + cos(pi * (t - 10) / 90)) / 2 < 0.1  <=>  t > 10 + 90 * acos(-0.8) / pi = 81.57.
    assert summarize(warmcos.cosine(peak=1.0, steps=100, warmup=10)).below == 82


def test_restart_cycles_by_hand() -> None:
    # D0 = 90, D1 = int(90 * 1.5) = 135, D2 = 202; starts 0, 100, 245, 457 (warm-ups of 10).
    s = warmcos.cosine_restarts(
        peak=0.1, first_cycle=100, floor=0.001, cycle_mult=1.5, gamma=0.8, warmup=10
    )
    summary = summarize(s)
    assert summary.horizon == 457  # three cycles, no max_cycles
    assert [(c.index, c.start, c.end) for c in summary.cycles] == [
        (0, 0, 100),
        (1, 100, 245),
        (2, 245, 457),
    ]
    assert [c.peak for c in summary.cycles] == pytest.approx([0.1, 0.08, 0.064], rel=1e-15)
    assert [c.floor for c in summary.cycles] == [0.001] * 3
    # 0.001 + 0.099 * (1 + cos(pi * (t - 10) / 90)) / 2 < 0.01  <=>  t > 10 + 72.43: step 83.
    assert summary.below == 83
    assert summary.end is None


def test_cycle_peaks_are_the_schedules_even_when_the_warmup_starts_above() -> None:
    s = warmcos.cosine_restarts(peak=0.1, first_cycle=10, warmup=2, warmup_start=0.5, max_cycles=2)
    cycles = summarize(s).cycles
    assert [(c.peak, c.floor) for c in cycles] == [s.cycle_peak_and_floor(k) for k in (0, 1)]
    assert [c.peak for c in cycles] == [0.1, 0.1]


def test_restart_peak_and_floor_match_the_schedule_in_every_gamma_mode() -> None:
    for mode in ("peak", "amplitude", "scale"):
        s = warmcos.cosine_restarts(
            peak=1.0, first_cycle=40, floor=0.2, gamma=0.5, warmup=4, gamma_mode=mode
        )
        cycles = summarize(s, horizon=160).cycles
        assert [(c.peak, c.floor) for c in cycles] == [s.cycle_peak_and_floor(k) for k in range(4)]
    # Hand values for "scale": P_k = 1.0 * 0.5**k, F_k = 0.2 * 0.5**k.
    scale = warmcos.cosine_restarts(
        peak=1.0, first_cycle=40, floor=0.2, gamma=0.5, gamma_mode="scale"
    )
    assert scale.cycle_peak_and_floor(2) == (0.25, 0.05)


def test_restarts_with_max_cycles_default_horizon() -> None:
    s = warmcos.cosine_restarts(
        peak=1.0, first_cycle=30, warmup=10, max_cycles=3, warmup_cycles="first"
    )
    assert default_horizon(s) == 77  # 10% past the end at 70, so the hold shows
    assert run_length(s) == 70


def test_default_horizons() -> None:
    assert default_horizon(warmcos.cosine(peak=3e-4, steps=10_000, warmup=500)) == 11_000
    assert default_horizon(warmcos.multistep(0.1, [30, 60, 90])) == 99  # 10% past the end
    # 0.1, 0.01, 0.001, then 1e-4 < 1% of the peak: four levels of 30 steps.
    assert default_horizon(warmcos.step(0.1, step_size=30, gamma=0.1)) == 120
    # Halving: 0.5**7 < 1% from the 8th level, 8 levels of 10 steps.
    assert default_horizon(warmcos.step(1.0, step_size=10, gamma=0.5)) == 80
    # Slow drops stop at 21 levels: 0.99**20 is still 82%.
    assert default_horizon(warmcos.step(1.0, step_size=5, gamma=0.99)) == 105
    # 0.99**t <= 0.01 from t = ceil(ln 0.01 / ln 0.99) = 459.
    assert default_horizon(warmcos.exponential(1.0, gamma=0.99)) == 459
    assert default_horizon(warmcos.constant(0.1)) == 100
    restarts = warmcos.cosine_restarts(peak=0.1, first_cycle=100, cycle_mult=2.0)
    assert default_horizon(restarts) == 700  # 100 + 200 + 400
    # Restarts that start later, inside a join on global steps: three of their own cycles.
    late = warmcos.join(
        [warmcos.constant(0.1), warmcos.cosine_restarts(0.1, 100)], [250], local_steps=False
    )
    assert default_horizon(late) == 500  # cycles 2, 3 and 4 of the restarts: 250 to 500


@pytest.mark.parametrize(
    "schedule",
    [
        warmcos.join(
            [warmcos.constant(1.0), warmcos.step(1.0, 0.001)], [100000.0], local_steps=False
        ),
        warmcos.cosine_restarts(peak=1.0, first_cycle=1, warmup=0),
        warmcos.step(1.0, step_size=1e-9, gamma=0.999999),
    ],
    ids=repr,
)
def test_summaries_of_schedules_with_endless_segments_are_quick(schedule: Schedule) -> None:
    summary = summarize(schedule, horizon=10**7)
    assert len(summary.segments) <= 10_000
    assert summary.segments[0].start == 0


class Triangle(Schedule):
    """A schedule type the summary code has never seen: up, down, then the floor held."""

    def __init__(self, top: float, half: float) -> None:
        self.top, self.half = top, half

    @property
    def natural_end(self) -> float | None:
        return 2 * self.half

    def _segments_from(self, t: float) -> Iterator[Segment]:
        half, top = self.half, self.top
        listed = [
            make("warm-up", 0.0, half, Line(0.0, half, 0.0, top)),
            make("decay", half, 2 * half, HalfCosine(half, 0.0, half, top, 0.0)),
            make("hold", 2 * half, math.inf, Line(0.0, 1.0, 0.0, 0.0)),
        ]
        return iter([s for s in listed if s.end > t])

    def evaluate(self, t: Value, ops: Ops) -> Value:
        raise NotImplementedError  # the scalar path reads the segments


Triangle.name = "triangle"  # set after the class statement: not a registered spec name


def test_a_new_schedule_type_is_summarised_and_charted_from_its_segments_alone() -> None:
    s = Triangle(top=2.0, half=50.0)
    summary = summarize(s)
    assert summary.horizon == 110
    assert (summary.peak, summary.peak_step) == (2.0, 50)
    # 2 * (1 + cos(pi * (t - 50) / 50)) / 2 < 0.2  <=>  t > 50 + 50 * acos(-0.8) / pi = 89.76.
    assert summary.below == 90
    lines = summary_lines("triangle", summary)
    assert any("warm-up  linear  [0, 50)" in line for line in lines)
    assert any("decay    cosine  [50, 100)" in line for line in lines)
    assert len(chart([("*", warmcos.linear(2.0, 2.0, 10))], 110)) == 18


SCHEDULES = [
    warmcos.cosine(peak=1.0, steps=100, floor=0.05, warmup=10, warmup_start=0.2),
    warmcos.cosine(peak=3e-4, steps=10_000, warmup=500),
    warmcos.wsd(peak=1.0, steps=300, warmup=30, decay=0.3, shape="cosine"),
    warmcos.cosine_restarts(peak=1.0, first_cycle=50, cycle_mult=2.0, gamma=0.7, warmup=5),
    warmcos.cosine_restarts(
        peak=1.0, first_cycle=37.5, cycle_mult=1.3, cycle_rule="geometric", floor=0.01
    ),
    warmcos.multistep(1.0, [30, 60], gamma=0.3),
    warmcos.step(1.0, step_size=7, gamma=0.5),
    warmcos.exponential(1.0, gamma=0.99),
    warmcos.linear(1.0, 0.02, 70),
    warmcos.parse("join([linear(0.0, 1.0, 20), cosine_restarts(1.0, 60, max_cycles=2)], [20])"),
]


@pytest.mark.parametrize("schedule", SCHEDULES, ids=repr)
def test_the_summary_agrees_with_the_schedule(schedule: warmcos.Schedule) -> None:
    """Cycles, peak and floor are the schedule's values at the steps the summary names."""
    summary = summarize(schedule)
    assert summary.peak == max(schedule(s.start) for s in summary.segments) or any(
        s.last == summary.peak for s in summary.segments
    )
    for cycle in summary.cycles:
        assert schedule(cycle.start) in {s.first for s in summary.segments}
    values = [schedule(float(t)) for t in range(int(summary.horizon) + 1)]
    assert summary.floor <= min(values[math.ceil(summary.peak_step) :]) + 1e-12


@pytest.mark.parametrize("schedule", SCHEDULES, ids=repr)
def test_first_step_below_ten_percent_matches_a_loop(schedule: warmcos.Schedule) -> None:
    summary = summarize(schedule)
    horizon = int(summary.horizon)
    values = [schedule(t) for t in range(horizon + 1)]
    peak = max(values)
    assert summary.peak == pytest.approx(peak, rel=1e-12)
    peak_step = values.index(peak)
    expected = next((t for t in range(peak_step, horizon + 1) if values[t] < 0.1 * peak), None)
    assert summary.below == expected
