"""The phase summary behind `warmcos show` and the plots: spans, cycles, landmarks, horizons.

Expected spans and values are worked out by hand from the contract's formulas (in comments);
the first step below 10% of the peak is also checked against a plain loop over the steps.
"""

from __future__ import annotations

import math
from itertools import islice, pairwise

import pytest

import warmcos
from warmcos._phases import (
    default_horizon,
    natural_end,
    phases,
    run_length,
    summarize,
)


def spans(schedule: warmcos.Schedule, n: int = 20) -> list[tuple[str, float, float]]:
    return [(p.kind, p.start, p.end) for p in islice(phases(schedule), n)]


def test_cosine_phases_and_landmarks() -> None:
    s = warmcos.cosine(peak=1.0, steps=100, floor=0.05, warmup=10, warmup_start=0.2)
    listed = list(phases(s))
    assert spans(s) == [("warm-up", 0, 10), ("cosine", 10, 100), ("hold", 100, math.inf)]
    assert [(p.first, p.last) for p in listed] == [(0.2, 1.0), (1.0, 0.05), (0.05, 0.05)]
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


def test_wsd_phases() -> None:
    s = warmcos.wsd(peak=1e-3, steps=1000, warmup=50, decay=0.2, shape="sqrt")
    assert spans(s) == [
        ("warm-up", 0, 50),
        ("stable", 50, 800),  # decay = 0.2 * 1000 = 200 steps, from 1000 - 200
        ("decay (sqrt)", 800, 1000),
        ("hold", 1000, math.inf),
    ]
    no_stable = warmcos.wsd(peak=1.0, steps=100, warmup=40, decay=60)
    assert [kind for kind, _, _ in spans(no_stable)] == ["warm-up", "decay (linear)", "hold"]


def test_restart_cycles_by_hand() -> None:
    # D0 = 100 - 10 = 90, D1 = int(90 * 1.5) = 135, D2 = int(135 * 1.5) = 202; each cycle adds
    # its warm-up of 10: starts 0, 100, 245, 457. Peaks 0.1 * 0.8**k, floor 0.001.
    s = warmcos.cosine_restarts(
        peak=0.1, first_cycle=100, floor=0.001, cycle_mult=1.5, gamma=0.8, warmup=10
    )
    assert spans(s, 6) == [
        ("warm-up", 0, 10),
        ("cosine", 10, 100),
        ("warm-up", 100, 110),
        ("cosine", 110, 245),
        ("warm-up", 245, 255),
        ("cosine", 255, 457),
    ]
    summary = summarize(s)
    assert summary.horizon == 457  # three cycles, no max_cycles
    assert [(c.index, c.start, c.end) for c in summary.cycles] == [
        (0, 0, 100),
        (1, 100, 245),
        (2, 245, 457),
    ]
    assert [c.peak for c in summary.cycles] == pytest.approx([0.1, 0.08, 0.064], rel=1e-15)
    assert [c.floor for c in summary.cycles] == [0.001] * 3
    # Warm-ups start at the cycle's floor (warmup_start=None).
    assert [p.first for p in summary.phases if p.kind == "warm-up"] == [0.001] * 3
    # 0.001 + 0.099 * (1 + cos(pi * (t - 10) / 90)) / 2 < 0.01  <=>  t > 10 + 72.43: step 83.
    assert summary.below == 83
    assert summary.end is None


def test_restart_peak_and_floor_match_the_schedule_in_every_gamma_mode() -> None:
    for mode in ("peak", "amplitude", "scale"):
        s = warmcos.cosine_restarts(
            peak=1.0, first_cycle=40, floor=0.2, gamma=0.5, warmup=4, gamma_mode=mode
        )
        for k in range(4):
            peak, floor = s.cycle_peak_and_floor(k)
            start, end = s.cycle_start(k), s.cycle_start(k + 1)
            assert s(start + 4) == pytest.approx(peak, rel=1e-15)  # end of the warm-up
            assert s(math.nextafter(end, 0)) == pytest.approx(floor, abs=1e-12)
    # Hand values for "scale": P_k = 1.0 * 0.5**k, F_k = 0.2 * 0.5**k.
    scale = warmcos.cosine_restarts(
        peak=1.0, first_cycle=40, floor=0.2, gamma=0.5, gamma_mode="scale"
    )
    assert scale.cycle_peak_and_floor(2) == (0.25, 0.05)


def test_restarts_with_max_cycles_hold_and_warm_up_first_only() -> None:
    s = warmcos.cosine_restarts(
        peak=1.0, first_cycle=30, warmup=10, max_cycles=3, warmup_cycles="first"
    )
    # Cycle 0: warm-up 10 + cosine 20; cycles 1 and 2: no warm-up, cosine 20 each.
    assert spans(s) == [
        ("warm-up", 0, 10),
        ("cosine", 10, 30),
        ("cosine", 30, 50),
        ("cosine", 50, 70),
        ("hold", 70, math.inf),
    ]
    assert natural_end(s) == 70
    assert default_horizon(s) == 77  # 10% past the end, so the hold shows
    assert run_length(s) == 70


def test_baselines() -> None:
    assert spans(warmcos.multistep(0.1, milestones=[30, 60, 90])) == [
        ("level", 0, 30),
        ("level", 30, 60),
        ("level", 60, 90),
        ("hold", 90, math.inf),
    ]
    assert [p.first for p in islice(phases(warmcos.step(1.0, step_size=10, gamma=0.5)), 3)] == [
        1.0,
        0.5,
        0.25,
    ]
    assert spans(warmcos.linear(0.0, 1.0, 10)) == [("warm-up", 0, 10), ("hold", 10, math.inf)]
    assert spans(warmcos.linear(1.0, 0.5, 10))[0][0] == "linear"
    assert spans(warmcos.constant(0.1)) == [("constant", 0, math.inf)]
    (decay,) = phases(warmcos.exponential(1.0, gamma=0.99))
    assert (decay.kind, decay.first, decay.last) == ("exponential", 1.0, 0.0)


def test_join_shifts_and_cuts_its_pieces() -> None:
    local = warmcos.parse("join([linear(0.0, 0.1, 100), cosine(0.1, 900)], [100])")
    assert spans(local) == [("warm-up", 0, 100), ("cosine", 100, 1000), ("hold", 1000, math.inf)]
    assert [p.piece for p in phases(local)] == [0, 1, 1]
    assert natural_end(local) == 1000 and default_horizon(local) == 1100

    # Global steps: the cosine piece enters at its own step 50, halfway down.
    overlay = warmcos.join(
        [warmcos.constant(1.0), warmcos.cosine(1.0, 100)], [50], local_steps=False
    )
    listed = list(phases(overlay))
    assert [(p.kind, p.start, p.end) for p in listed] == [
        ("constant", 0, 50),
        ("cosine", 50, 100),
        ("hold", 100, math.inf),
    ]
    assert listed[1].first == pytest.approx(0.5, abs=1e-15)
    assert natural_end(overlay) == 100


def test_default_horizons() -> None:
    assert default_horizon(warmcos.cosine(peak=3e-4, steps=10_000, warmup=500)) == 11_000
    assert default_horizon(warmcos.multistep(0.1, [30, 60, 90])) == 120  # one more level
    assert default_horizon(warmcos.step(0.1, step_size=30, gamma=0.1)) == 120  # 3 drops + 1
    # 0.99**t < 0.01 from t = ceil(ln 0.01 / ln 0.99) = 459.
    assert default_horizon(warmcos.exponential(1.0, gamma=0.99)) == 459
    assert default_horizon(warmcos.constant(0.1)) == 100
    restarts = warmcos.cosine_restarts(peak=0.1, first_cycle=100, cycle_mult=2.0)
    assert default_horizon(restarts) == 700  # 100 + 200 + 400


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
def test_phases_agree_with_the_schedule(schedule: warmcos.Schedule) -> None:
    """Each phase starts at the schedule's value, ends near it, and is monotone in between."""
    horizon = default_horizon(schedule)
    listed = [p for p in islice(phases(schedule), 200) if p.start < horizon]
    for before, after in pairwise(listed):
        assert before.end == after.start
    for phase in listed:
        assert schedule(phase.start) == pytest.approx(phase.first, rel=1e-12, abs=1e-15)
        end = min(phase.end, horizon)
        inside = [phase.start + (end - phase.start) * i / 16 for i in range(16)]
        values = [schedule(t) for t in inside]
        assert all(phase.low - 1e-15 <= v <= phase.high + 1e-15 for v in values)
        assert values == sorted(values) or values == sorted(values, reverse=True)
        if phase.end < math.inf:
            near_end = schedule(math.nextafter(phase.end, 0))
            assert near_end == pytest.approx(phase.last, rel=1e-6, abs=1e-9)


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
