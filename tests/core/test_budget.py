"""Changing a run's budget mid-way (`change_budget`) and decaying now (`decay_now`).

Hand values come from the definition: after the change, the rest of the old schedule is laid
out again over the new remainder, so a step ``t`` of the new schedule reads the old one at
``u = at + (t - at) * (E - at) / (steps - at)`` (uniform stretch), with warm-ups keeping their
length and a ``wsd`` plateau absorbing the change.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import warmcos
from strategies import all_specs, build

properties = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_a_longer_cosine_reads_the_rest_of_the_old_one_stretched() -> None:
    s = warmcos.cosine(peak=1.0, steps=100, floor=0.1)
    longer = warmcos.change_budget(s, at=40, steps=160)
    # u = 40 + (t - 40) * 60 / 120: t = 100 -> u = 70, t = 130 -> u = 85.
    assert [longer(t) for t in (0, 20, 39.5, 40)] == [s(t) for t in (0, 20, 39.5, 40)]
    assert longer(100) == pytest.approx(s(70), rel=1e-15)
    assert longer(130) == pytest.approx(s(85), rel=1e-15)
    assert longer(160) == 0.1 and longer(10**9) == 0.1
    assert longer.natural_end == 160


def test_a_shorter_cosine_squeezes_the_rest() -> None:
    s = warmcos.cosine(peak=1.0, steps=100)
    shorter = warmcos.change_budget(s, at=50, steps=60)
    # u = 50 + (t - 50) * 50 / 10: t = 55 -> u = 75.
    assert shorter(55) == pytest.approx(s(75), rel=1e-15)
    assert shorter(60) == 0.0


def test_a_warmup_keeps_its_length() -> None:
    s = warmcos.cosine(peak=1.0, steps=100, warmup=20)
    changed = warmcos.change_budget(s, at=10, steps=200)
    assert [(g.kind, g.start, g.end) for g in changed.segments()] == [
        ("warm-up", 0, 10),
        ("warm-up", 10, 20),  # the rest of the warm-up, unchanged
        ("decay", 20, 200),  # the cosine over 180 steps instead of 80
        ("hold", 200, math.inf),
    ]
    assert changed(15) == s(15) and changed(20) == 1.0
    assert changed(110) == pytest.approx(s(60), rel=1e-15)  # u = 20 + 90 * 80 / 180


def test_wsd_extends_or_cuts_its_stable_phase_and_keeps_the_decay() -> None:
    s = warmcos.wsd(peak=1.0, steps=100, warmup=10, decay=20)  # stable [10, 80), decay [80, 100)
    longer = warmcos.change_budget(s, at=30, steps=200)
    assert [(g.kind, g.start, g.end) for g in longer.segments()][-3:] == [
        ("stable", 30, 180),
        ("decay", 180, 200),
        ("hold", 200, math.inf),
    ]
    assert longer(190) == s(90)  # the decay, shifted by 100 steps, not stretched
    cut = warmcos.change_budget(s, at=30, steps=60)
    assert [(g.kind, g.start, g.end) for g in cut.segments()][-3:] == [
        ("stable", 30, 40),
        ("decay", 40, 60),
        ("hold", 60, math.inf),
    ]
    # Inside the decay, the rest of the decay is stretched: u = 90 + (t - 90) * 10 / 30.
    late = warmcos.change_budget(s, at=90, steps=120)
    assert late(105) == pytest.approx(s(95), rel=1e-15)


def test_a_cut_deeper_than_the_plateau_drops_it_and_squeezes_the_decay() -> None:
    s = warmcos.wsd(peak=1.0, steps=100, warmup=10, decay=20)
    cut = warmcos.change_budget(s, at=30, steps=40)  # 10 steps left, the decay alone needs 20
    kinds = [(g.kind, g.start, g.end) for g in cut.segments()]
    assert kinds[-2:] == [("decay", 30, 40), ("hold", 40, math.inf)]
    assert cut(35) == pytest.approx(s(90), rel=1e-15)


def test_restarts_change_cycle_by_cycle() -> None:
    # Cycles [0, 100) and [100, 200).
    s = warmcos.cosine_restarts(peak=1.0, first_cycle=100, max_cycles=2)
    changed = warmcos.change_budget(s, at=50, steps=350)
    cycles = [(g.cycle, g.start, g.end) for g in changed.segments() if g.cycle is not None]
    assert cycles == [(0, 0, 50), (0, 50, 150), (1, 150, 350)]
    assert changed(150) == 1.0  # the restart, moved


def test_budget_changes_that_mean_nothing_are_refused() -> None:
    endless = warmcos.cosine_restarts(peak=1.0, first_cycle=100)
    with pytest.raises(ValueError, match="never does"):
        warmcos.change_budget(endless, at=50, steps=300)
    s = warmcos.cosine(peak=1.0, steps=100)
    with pytest.raises(ValueError, match="`at` must be < the schedule's natural end 100"):
        warmcos.change_budget(s, at=100, steps=300)
    with pytest.raises(ValueError, match="`steps` must be > `at`"):
        warmcos.change_budget(s, at=50, steps=50)
    with pytest.raises(TypeError, match="`schedule` must be a warmcos schedule"):
        warmcos.change_budget("cosine(1.0, 100)", at=5, steps=300)  # type: ignore[arg-type]


def test_a_changed_budget_prints_parses_and_round_trips() -> None:
    changed = warmcos.change_budget(warmcos.wsd(1.0, 100, 10, 20), at=30, steps=200)
    assert repr(changed) == (
        "change_budget(schedule=wsd(peak=1.0, steps=100, warmup=10, decay=20), at=30, steps=200)"
    )
    assert warmcos.parse(repr(changed)) == changed
    assert warmcos.from_dict(changed.to_dict()) == changed


def test_decay_now_leaves_the_current_value_for_the_floor() -> None:
    s = warmcos.wsd(peak=1.0, steps=1000, warmup=100, decay=200, floor=0.01)
    now = warmcos.decay_now(s, at=300, decay=50, shape="cosine")
    assert now(299) == s(299) and now(300) == 1.0
    assert now(325) == pytest.approx(0.01 + 0.99 * 0.5, rel=1e-12)
    assert now(350) == 0.01 and now.natural_end == 350
    assert warmcos.parse(repr(now)) == now
    explicit = warmcos.decay_now(warmcos.constant(0.5), at=10, decay=10, floor=0.0)
    assert explicit(15) == 0.25
    with pytest.raises(ValueError, match="`floor` must be given"):
        warmcos.decay_now(warmcos.exponential(1.0, 0.9), at=10, decay=10)


# -- properties ------------------------------------------------------------------------------


@st.composite
def changes(draw: st.DrawFn) -> tuple[warmcos.Schedule, float, float]:
    schedule = build(draw(all_specs))
    end = schedule.natural_end
    assume(end is not None and end > 0)
    assert end is not None
    at = draw(st.floats(0.0, end, exclude_max=True))
    steps = draw(st.floats(at + 1e-3, at + 3 * (end - at) + 10))
    assume(steps > at)
    return schedule, at, steps


@properties
@given(changes(), st.lists(st.floats(0, 1), min_size=1, max_size=6))
def test_equal_before_continuous_at_and_settled_at_the_new_end(
    change: tuple[warmcos.Schedule, float, float], fractions: list[float]
) -> None:
    schedule, at, steps = change
    changed = warmcos.change_budget(schedule, at, steps)
    for fraction in fractions:
        t = at * fraction
        if t < at:
            assert changed(t) == schedule(t)
    # Continuous at the change: the value at `at` is the old schedule's value there.
    assert changed(at) == schedule(at)
    held = schedule(schedule.natural_end)  # type: ignore[arg-type]
    assert changed(steps) == held and changed(steps * 2 + 1) == held
    assert changed.natural_end == steps


@properties
@given(changes(), st.floats(0, 1))
def test_every_value_after_the_change_is_one_the_old_schedule_takes(
    change: tuple[warmcos.Schedule, float, float], fraction: float
) -> None:
    schedule, at, steps = change
    changed = warmcos.change_budget(schedule, at, steps)
    t = at + (steps - at) * fraction
    segment = changed.segment_at(t)
    # The re-timed curve stays between the end values of the old segment it came from.
    assert segment.low - 1e-12 <= changed(t) <= segment.high + 1e-12
    assert changed(t) == segment(t)


@settings(properties, max_examples=60)
@given(changes())
def test_round_trips_and_numpy_agree(change: tuple[warmcos.Schedule, float, float]) -> None:
    schedule, at, steps = change
    changed = warmcos.change_budget(schedule, at, steps)
    assert warmcos.from_dict(changed.to_dict()) == changed
    grid = np.linspace(0, steps * 1.2, 257)
    scalar = np.array([changed(float(t)) for t in grid])
    np.testing.assert_allclose(changed(grid), scalar, rtol=1e-15, atol=1e-300)
    np.testing.assert_allclose(changed(grid[::-1]), scalar[::-1], rtol=1e-15, atol=1e-300)
