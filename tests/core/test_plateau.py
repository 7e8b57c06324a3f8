"""Reduce on plateau as recorded reductions: values by hand, the rules, and self-description.

The rules' reference is PyTorch's ``ReduceLROnPlateau`` (tests/parity/test_plateau_torch.py
runs it live); here the values are worked out by hand from ``v(t) = c_n(t) * schedule(t)``.
"""

from __future__ import annotations

import math
from itertools import islice, pairwise

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import warmcos
from warmcos._core.plateau import (
    PlateauMonitor,
    find_plateau,
    without_reductions,
)

properties = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_values_by_hand_on_a_constant() -> None:
    s = warmcos.plateau(warmcos.constant(0.1), factor=0.5, reductions=[30, 60])
    assert [s(t) for t in (0, 29.5, 30, 59, 60, 1e9)] == [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]
    assert s.natural_end == 60 and s.scale == 0.25


def test_values_by_hand_on_a_cosine_with_a_floor() -> None:
    base = warmcos.cosine(peak=1.0, steps=100)
    s = warmcos.plateau(base, factor=0.5, min_lr=0.2, reductions=[30, 60])
    # c1 = min(1, max(0.5, 0.2 / base(30))) = 0.5 (base(30) = 0.794); at 60, base(60) = 0.345:
    # max(0.25, 0.2 / 0.345 = 0.58) = 0.58 > 0.5, so c2 = min(0.5, 0.58) = 0.5 (no change).
    assert s(30) == 0.5 * base(30)
    assert s(60) == 0.5 * base(60)
    assert s(99) == 0.5 * base(99)
    # min_lr 0.5 > 0.5 * base(30) = 0.397: the reduction stops at 0.5.
    lower = warmcos.plateau(base, factor=0.5, min_lr=0.5, reductions=[30])
    assert lower(30) == base(30) * (0.5 / base(30))
    assert lower(30) == pytest.approx(0.5, rel=1e-15)


def test_a_reduction_repeated_at_one_step_counts_twice() -> None:
    s = warmcos.plateau(warmcos.constant(1.0), factor=0.5, reductions=[10, 10])
    assert s(9) == 1.0 and s(10) == 0.25
    assert [(g.start, g.end, g.first) for g in s.segments()] == [(0, 10, 1.0), (10, math.inf, 0.25)]


def test_segments_split_the_schedule_at_each_reduction() -> None:
    s = warmcos.plateau(warmcos.cosine(peak=1.0, steps=100, warmup=10), reductions=[5, 50])
    listed = [(g.kind, g.start, g.end) for g in s.segments()]
    assert listed == [
        ("warm-up", 0, 5),
        ("warm-up", 5, 10),
        ("decay", 10, 50),
        ("decay", 50, 100),
        ("hold", 100, math.inf),
    ]
    assert [(g.start, g.end) for g in s.segments(60, 70)] == [(50, 100)]


def test_prints_parses_and_round_trips() -> None:
    s = warmcos.plateau(warmcos.cosine(peak=0.1, steps=100), factor=0.5, patience=3, reductions=[7])
    assert repr(s) == (
        "plateau(schedule=cosine(peak=0.1, steps=100), factor=0.5, patience=3, reductions=[7])"
    )
    assert warmcos.parse(repr(s)) == s
    assert warmcos.from_dict(s.to_dict()) == s
    assert s.to_dict()["reductions"] == [7]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"factor": 1.0}, "`factor` must be in (0, 1)"),
        ({"factor": 0}, "`factor` must be in (0, 1)"),
        ({"patience": -1}, "`patience` must be >= 0"),
        ({"patience": 1.5}, "`patience` must be a whole number"),
        ({"mode": "minimum"}, "`mode` must be one of ['min', 'max']"),
        ({"threshold_mode": "relative"}, "`threshold_mode` must be one of"),
        ({"threshold": -1}, "`threshold` must be"),
        ({"min_lr": math.nan}, "`min_lr`"),
        ({"reductions": [5, 3]}, "`reductions` must be in increasing order"),
        ({"reductions": [-1]}, "`reductions`"),
        ({"reductions": "5"}, "`reductions` must be a list of steps"),
    ],
)
def test_bad_arguments_are_refused_naming_them(arguments: dict, message: str) -> None:
    with pytest.raises((ValueError, TypeError)) as error:
        warmcos.plateau(warmcos.constant(1.0), **arguments)
    assert message in str(error.value)
    assert str(error.value).startswith("plateau(): ")


def test_too_many_reductions_are_refused_before_reading_them() -> None:
    with pytest.raises(ValueError, match="at most 1,000,000"):
        warmcos.plateau(warmcos.constant(1.0), reductions=range(2_000_000))


def test_monitor_follows_pytorchs_rules_by_hand() -> None:
    rules = warmcos.plateau(warmcos.constant(1.0), patience=2, cooldown=1)
    monitor = PlateauMonitor.start(rules)
    # best 1.0, then 3 reports without improvement: the third exceeds patience 2.
    decisions = [monitor.report(rules, x) for x in (1.0, 1.0, 1.0, 1.0)]
    assert decisions == [False, False, False, True]
    # cooldown 1: the next bad report is forgiven, then patience counts again.
    assert [monitor.report(rules, x) for x in (1.0, 1.0, 1.0, 1.0)] == [False, False, False, True]
    # relative threshold 1e-4: 0.99995 is not better than 1.0 by 1e-4, 0.9998 is.
    fresh = PlateauMonitor.start(rules)
    fresh.report(rules, 1.0)
    assert not fresh.better(rules, 0.99995) and fresh.better(rules, 0.9998)
    maximising = warmcos.plateau(warmcos.constant(1.0), mode="max", threshold_mode="abs")
    up = PlateauMonitor.start(maximising)
    up.report(maximising, 0.5)
    assert up.better(maximising, 0.5002) and not up.better(maximising, 0.50005)


def test_monitor_refuses_nan_and_non_numbers_without_changing() -> None:
    rules = warmcos.plateau(warmcos.constant(1.0))
    monitor = PlateauMonitor.start(rules)
    with pytest.raises(ValueError, match="NaN"):
        monitor.report(rules, math.nan)
    with pytest.raises(TypeError, match="real number"):
        monitor.report(rules, "0.5")
    with pytest.raises(TypeError, match="single number"):
        monitor.report(rules, torch.ones(2))
    assert monitor == PlateauMonitor.start(rules)
    assert monitor.report(rules, torch.tensor(0.5)) is False and monitor.best == 0.5


def test_monitor_state_round_trips_and_bad_state_is_named() -> None:
    rules = warmcos.plateau(warmcos.constant(1.0))
    monitor = PlateauMonitor.start(rules)
    monitor.report(rules, 2.0)
    assert PlateauMonitor.from_state(monitor.state_dict(), "x") == monitor
    with pytest.raises(ValueError, match="`bad_reports` must be >= 0"):
        PlateauMonitor.from_state({"best": 1.0, "bad_reports": -1, "cooldown_left": 0}, "x")
    with pytest.raises(ValueError, match="`best`"):
        PlateauMonitor.from_state({"best": math.nan, "bad_reports": 0, "cooldown_left": 0}, "x")
    with pytest.raises(ValueError, match="mapping with `best`"):
        PlateauMonitor.from_state({"best": 1.0}, "x")


def test_recording_needs_the_plateau_outermost() -> None:
    outer = warmcos.plateau(warmcos.warmup(warmcos.cosine(peak=1.0, steps=100), 10), factor=0.5)
    recorded = find_plateau(outer, "here").reduced_at(40)
    assert recorded.reductions == (40,)
    assert recorded(39) == outer(39) and recorded(40) == 0.5 * outer(40)
    inner = warmcos.warmup(warmcos.plateau(warmcos.cosine(peak=1.0, steps=100)), 10)
    with pytest.raises(ValueError, match="plateau, outermost"):
        find_plateau(inner, "here")
    with pytest.raises(ValueError, match="plateau, outermost"):
        find_plateau(warmcos.cosine(peak=1.0, steps=10), "here")


def test_a_reduction_that_changes_too_little_is_skipped() -> None:
    s = warmcos.plateau(warmcos.constant(1.0), factor=0.5, min_lr=0.5, reductions=[10])
    assert s.reduced_at(20) is s  # already at min_lr: the change would be 0 <= eps
    tiny = warmcos.plateau(warmcos.constant(1e-9), factor=0.5)
    assert tiny.reduced_at(0) is tiny  # 0.5e-9 <= eps = 1e-8, as PyTorch skips it
    with pytest.raises(ValueError, match="`step` must be >= the last reduction"):
        s.reduced_at(5)


def test_reductions_are_not_configuration() -> None:
    s = warmcos.plateau(warmcos.cosine(peak=1.0, steps=10), reductions=[3])
    data = warmcos.warmup(s, 2).to_dict()
    assert without_reductions(data) == without_reductions(
        warmcos.warmup(s.with_reductions([]), 2).to_dict()
    )
    assert "reductions" not in str(without_reductions(data))


# -- properties ---------------------------------------------------------------------------------

bases = st.sampled_from(
    [
        "constant(0.1)",
        "cosine(peak=1.0, steps=100, warmup=10)",
        "cosine_restarts(peak=0.5, first_cycle=30, cycle_mult=2.0)",
        "step(1.0, step_size=7, gamma=0.5)",
        "linear(start=0.0, end=1.0, steps=50)",
        "polynomial(start=1.0, end=0.01, steps=80, power=2.0)",
    ]
)


@st.composite
def plateau_specs(draw: st.DrawFn) -> warmcos.Schedule:
    steps = draw(
        st.lists(st.one_of(st.integers(0, 300), st.floats(0, 300)), max_size=6).map(sorted)
    )
    return warmcos.plateau(
        warmcos.parse(draw(bases)),
        factor=draw(st.floats(0.01, 0.99)),
        min_lr=draw(st.sampled_from([0.0, 1e-3, 0.05])),
        reductions=steps,
    )


@properties
@given(plateau_specs(), st.lists(st.floats(0, 1e4), min_size=1, max_size=10))
def test_segments_describe_the_values(schedule: warmcos.Plateau, steps: list[float]) -> None:
    listed = list(islice(schedule.segments(), 40))
    assert listed[0].start == 0
    for before, after in pairwise(listed):
        assert before.end == after.start and before.start < before.end
    for segment in listed:
        assert schedule(segment.start) == segment.first
    for t in steps:
        segment = schedule.segment_at(t)
        assert segment.start <= t < segment.end and segment(t) == schedule(t)
        assert 0 <= schedule(t) <= schedule.schedule(t)  # never above the schedule


@properties
@given(plateau_specs())
def test_numpy_and_torch_equal_the_scalar_path(schedule: warmcos.Plateau) -> None:
    steps = np.concatenate([np.arange(0, 400, 0.5), [float(r) for r in schedule.reductions]])
    scalar = np.array([schedule(float(t)) for t in steps])
    # Equal but for the power function (polynomial): NumPy's and torch's may differ by an ulp.
    np.testing.assert_allclose(schedule(steps), scalar, rtol=1e-15, atol=0)
    np.testing.assert_allclose(schedule(torch.tensor(steps)).numpy(), scalar, rtol=1e-14, atol=0)


@properties
@given(plateau_specs(), st.floats(0, 1e6))
def test_the_value_never_changes_after_the_natural_end(
    schedule: warmcos.Plateau, extra: float
) -> None:
    end = schedule.natural_end
    if end is None:
        return
    assert schedule(end + extra) == schedule(end)
