"""The decay shapes beyond cosine: polynomial, inverse square root, inverse time, piecewise
constant, interpolation through knots, and growth (``gamma > 1``) with bounds.

Expected values are worked out by hand in comments. The property tests draw random valid
configurations and check, for each schedule, that its description (segments) and its values
agree, that it stays within its bounds, that every backend computes the same values, that it
survives printing, parsing and plain data, and that it equals a slow reference written here from
the docstrings (exact fractions for every floor and ceiling), which shares no code with warmcos.
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Callable
from fractions import Fraction
from itertools import islice, pairwise
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import warmcos

properties = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
Spec = tuple[str, dict[str, Any]]
ULP = 2.0**-52


def build(spec: Spec) -> warmcos.Schedule:
    name, kwargs = spec
    schedule: warmcos.Schedule = getattr(warmcos, name)(**kwargs)
    return schedule


def spans(schedule: warmcos.Schedule, n: int = 12) -> list[tuple[str, str, float, float]]:
    return [(s.kind, s.shape, s.start, s.end) for s in islice(schedule.segments(), n)]


# -- polynomial, by hand ---------------------------------------------------------------------------


def test_polynomial_values_by_hand() -> None:
    s = warmcos.polynomial(start=1.0, end=0.2, steps=10, power=2.0)
    # 0.2 + 0.8 * (1 - t / 10) ** 2: t=5 -> 0.2 + 0.8 * 0.25 = 0.4; t=8 -> 0.2 + 0.8 * 0.04.
    assert s(0) == 1.0
    assert s(5) == pytest.approx(0.4, rel=1e-15)
    assert s(8) == pytest.approx(0.232, rel=1e-15)
    assert s(10) == s(11) == s(1e12) == 0.2
    # power 0.5: 1 - 3/4 = 1/4, sqrt -> 0.5.
    assert warmcos.polynomial(2.0, 0.0, steps=4, power=0.5)(3) == 1.0
    # It rises when end > start: 0.1 + (1 - 0.1) * (1 - (1 - 2/4)) = 0.55 for power 1.
    rising = warmcos.polynomial(start=0.1, end=1.0, steps=4)
    assert rising(2) == pytest.approx(0.55, rel=1e-15)
    assert spans(rising)[0][:2] == ("rise", "polynomial")


def test_polynomial_segments_and_natural_end() -> None:
    s = warmcos.polynomial(start=1.0, end=0.0, steps=100, power=0.9)
    assert spans(s) == [("decay", "polynomial", 0, 100), ("hold", "constant", 100, math.inf)]
    assert [(g.first, g.last) for g in s.segments()] == [(1.0, 0.0), (0.0, 0.0)]
    assert s.natural_end == 100
    flat = warmcos.polynomial(start=0.3, end=0.3, steps=100, power=3.0)
    assert spans(flat) == [("hold", "constant", 0, math.inf)]
    assert flat.natural_end == 0


def test_cyclic_polynomial_restarts_lower_after_each_cycle_as_keras_does() -> None:
    s = warmcos.polynomial(start=1.0, end=0.0, steps=10, power=1.0, cycle=True)
    # Cycle c = ceil(t / 10) decays over 10 c steps from step 0: at t = 10 cycle 1 ends at 0;
    # t = 15 is in cycle 2: 1 - 15/20 = 0.25; t = 20 ends it at 0; t = 21: 1 - 21/30 = 0.3.
    assert [s(t) for t in (0, 5, 10, 15, 20)] == [1.0, 0.5, 0.0, 0.25, 0.0]
    assert s(21) == pytest.approx(0.3, rel=1e-15)
    listed = list(islice(s.segments(), 3))
    # Each cycle takes over just AFTER the last step of the previous one (ceil switches there).
    assert [g.start for g in listed] == [0.0, math.nextafter(10.0, 11), math.nextafter(20.0, 21)]
    assert [g.cycle for g in listed] == [0, 1, 2]
    assert listed[1].first == pytest.approx(0.5, rel=1e-15)  # restart at 1 - 10/20
    assert s.natural_end is None
    assert s.segment_at(1e9 + 0.5).cycle == 10**8  # located directly, not walked to


def test_polynomial_peers_hard_coded_values() -> None:
    # Keras' learning_rate_schedule_test (LinearDecayTest, SqrtDecayTest): lr 0.05, 10 steps.
    lr, end = 0.05, 0.001
    assert warmcos.polynomial(lr, 0.0, 10)(5) == pytest.approx(lr * 0.5, rel=1e-6)
    assert warmcos.polynomial(lr, end, 10)(10) == pytest.approx(end, rel=1e-6)
    assert warmcos.polynomial(lr, end, 10)(5) == pytest.approx((lr + end) * 0.5, rel=1e-6)
    assert warmcos.polynomial(lr, end, 10)(15) == pytest.approx(end, rel=1e-6)
    cyclic = warmcos.polynomial(lr, end, 10, cycle=True)
    assert cyclic(15) == pytest.approx((lr - end) * 0.25 + end, rel=1e-6)
    root = warmcos.polynomial(lr, end, 10, power=0.5, cycle=True)
    assert root(15) == pytest.approx((lr - end) * 0.25**0.5 + end, rel=1e-6)
    assert warmcos.polynomial(0.001, 0.0001, 10, cycle=True)(0) == pytest.approx(0.001)
    # PyTorch's test_poly_lr: 0.05 * (1 - x / 5) ** 0.9 for x < 5, then 0.
    torch_like = warmcos.polynomial(0.05, 0.0, steps=5, power=0.9)
    want = [(1.0 - x / 5) ** 0.9 * 0.05 for x in range(5)] + [0.0] * 5
    assert [torch_like(t) for t in range(10)] == pytest.approx(want, rel=1e-12, abs=0)
    # optax's PolynomialTest.test_nonlinear: 10 + 15 * (1 - n / 10) ** 2, then 10.
    quadratic = warmcos.polynomial(25.0, 10.0, steps=10, power=2)
    want = [10.0 + 15.0 * (1.0 - n / 10) ** 2 for n in range(10)] + [10.0] * 5
    assert [quadratic(t) for t in range(15)] == pytest.approx(want, rel=1e-12)


# -- inverse square root, by hand ------------------------------------------------------------------


def test_inverse_sqrt_by_hand() -> None:
    s = warmcos.inverse_sqrt(peak=1.0, warmup=100)
    # Timescale defaults to the warm-up: peak * sqrt(100) / sqrt(t - 100 + 100) = 10 / sqrt(t).
    assert [s(t) for t in (0, 50, 100, 400, 10_000)] == [0.0, 0.5, 1.0, 0.5, 0.1]
    assert s.timescale_steps == 100
    assert spans(s) == [("warm-up", "linear", 0, 100), ("decay", "inverse_sqrt", 100, math.inf)]
    assert s.natural_end is None
    # Without warm-up the timescale is 10,000: sqrt(1e4 / (3e4 + 1e4)) = 0.5.
    cold = warmcos.inverse_sqrt(peak=2.0)
    assert (cold(0), cold(30_000)) == (2.0, 1.0)
    # A timescale of its own, and a warm-up from above: 4 * sqrt(10) / sqrt(t - 5 + 10).
    own = warmcos.inverse_sqrt(peak=4.0, warmup=5, timescale=10, warmup_start=6.0)
    assert own(0) == 6.0 and own(5) == 4.0 and own(35) == 2.0
    assert spans(own)[0][0] == "ramp"


def test_inverse_sqrt_peers_hard_coded_values() -> None:
    # transformers' test_schedulers: lr 10, get_inverse_sqrt_schedule(num_warmup_steps=2).
    s = warmcos.inverse_sqrt(peak=10.0, warmup=2)
    want = [0.0, 5.0, 10.0, 8.165, 7.071, 6.325, 5.774, 5.345, 5.0, 4.714]
    assert [s(t) for t in range(10)] == pytest.approx(want, abs=1e-2)


# -- inverse time, by hand -------------------------------------------------------------------------


def test_inverse_time_by_hand() -> None:
    s = warmcos.inverse_time(1.0, decay_steps=10, decay_rate=0.5)
    # 1 / (1 + 0.5 * t / 10): t=20 -> 1 / 2; t=60 -> 1 / 4.
    assert [s(t) for t in (0, 20, 60)] == [1.0, 0.5, 0.25]
    assert spans(s) == [("decay", "inverse_time", 0, math.inf)]
    stairs = warmcos.inverse_time(1.0, decay_steps=10, decay_rate=0.5, staircase=True)
    # floor(t / 10): t=19 -> 1 / 1.5; t=20 -> 1 / 2 (the drop takes effect at the multiple).
    assert stairs(19) == pytest.approx(1 / 1.5, rel=1e-15) and stairs(20) == 0.5
    assert spans(stairs, 3) == [
        ("level", "constant", 0, 10),
        ("level", "constant", 10, 20),
        ("level", "constant", 20, 30),
    ]
    assert stairs.segment_at(1e12).start == 1e12  # located directly
    assert warmcos.inverse_time(1.0, 10, 0.0).natural_end == 0


def test_inverse_time_peers_hard_coded_values() -> None:
    # Keras' InverseTimeDecayTest: 0.1 / (1 + i / 10 * 0.96), and with staircase i // 10.
    s = warmcos.inverse_time(0.1, 10, 0.96)
    stairs = warmcos.inverse_time(0.1, 10, 0.96, staircase=True)
    for i in range(11):
        assert s(i) == pytest.approx(0.1 / (1 + i / 10 * 0.96), rel=1e-6)
        assert stairs(i) == pytest.approx(0.1 / (1 + 0.96 * (i // 10)), rel=1e-6)


# -- piecewise constant and interpolation, by hand -------------------------------------------------


def test_piecewise_constant_by_hand() -> None:
    s = warmcos.piecewise_constant(boundaries=[100, 110, 120], values=[1.0, 0.1, 0.01, 0.001])
    assert [s(t) for t in (0, 99.9, 100, 109, 110, 120, 999)] == [
        1.0,
        1.0,
        0.1,
        0.1,
        0.01,
        0.001,
        0.001,
    ]
    assert [(g.kind, g.start, g.end, g.first) for g in s.segments()] == [
        ("level", 0, 100, 1.0),
        ("level", 100, 110, 0.1),
        ("level", 110, 120, 0.01),
        ("hold", 120, math.inf, 0.001),
    ]
    assert s.natural_end == 120
    assert warmcos.piecewise_constant([], [0.5]).natural_end == 0


def test_keras_piecewise_constant_decay_is_the_next_float_boundary() -> None:
    # Keras' PiecewiseConstantDecayTest: boundaries [100, 110, 120] switch AFTER the boundary
    # (t > b): 1.0 at 100, 0.1 at 105 and 110, 0.01 at 120, 0.001 at 999.
    s = warmcos.piecewise_constant(
        [math.nextafter(b, math.inf) for b in (100, 110, 120)], [1.0, 0.1, 0.01, 0.001]
    )
    assert [s(t) for t in (100, 105, 110, 120, 999)] == [1.0, 0.1, 0.1, 0.01, 0.001]
    # test_boundary_values: [1, 2, 3], [0.4, 0.5, 0.6, 0.7] at steps 0..4, as whole steps b + 1.
    whole = warmcos.piecewise_constant([2, 3, 4], [0.4, 0.5, 0.6, 0.7])
    assert [whole(t) for t in range(5)] == [0.4, 0.4, 0.5, 0.6, 0.7]


def test_optax_piecewise_constant_schedule_as_running_products() -> None:
    # optax's PiecewiseConstantTest.test_positive: 0.1 scaled by 2 at 3 and by 0.5 at 6.
    s = warmcos.piecewise_constant([3, 6], [0.1, 0.1 * 2.0, 0.1 * 2.0 * 0.5])
    assert [s(t) for t in range(10)] == pytest.approx([0.1] * 3 + [0.2] * 3 + [0.1] * 4)


def test_interpolate_by_hand() -> None:
    s = warmcos.interpolate(knots=[0, 10, 30], values=[0.0, 1.0, 0.5])
    # Linear: 0.05 per step up to 10, then down 0.025 per step to 30, then 0.5 held.
    assert [s(t) for t in (0, 5, 10, 20, 30, 99)] == [0.0, 0.5, 1.0, 0.75, 0.5, 0.5]
    assert spans(s) == [
        ("rise", "linear", 0, 10),
        ("decay", "linear", 10, 30),
        ("hold", "constant", 30, math.inf),
    ]
    c = warmcos.interpolate(knots=[0, 10, 30], values=[0.0, 1.0, 0.5], shape="cosine")
    # Half cosines: 1 + (0 - 1) * (1 + cos(pi / 2)) / 2 = 0.5 at t=5; 0.75 at t=20.
    assert [c(t) for t in (0, 5, 10, 20, 30)] == pytest.approx([0.0, 0.5, 1.0, 0.75, 0.5])
    assert c(2.5) == pytest.approx((1 - math.cos(math.pi / 4)) / 2, rel=1e-15)
    flat = warmcos.interpolate([0, 5, 8], [0.2, 0.2, 0.1])
    assert [g.kind for g in flat.segments()] == ["level", "decay", "hold"]
    assert warmcos.interpolate([0], [0.3]).natural_end == 0


def test_interpolate_peers_hard_coded_values() -> None:
    # optax's PiecewiseInterpolateTest: 200 scaled by 1.5 at 5 and 0.25 at 10 (linear), and 400
    # by 0.6 at 3, 1.2 at 5, 1.0 at 7 (cosine); the knot values are the running products.
    linear = warmcos.interpolate([0, 5, 10], [200.0, 300.0, 75.0])
    want = [200, 220, 240, 260, 280, 300, 255, 210, 165, 120, 75, 75, 75]
    assert [linear(t) for t in range(13)] == pytest.approx(want, abs=1e-3)
    cosine = warmcos.interpolate([0, 3, 5, 7], [400.0, 240.0, 288.0, 288.0], shape="cosine")
    want = [400.0, 360.0, 280.0, 240.0, 264.0, 288.0, 288.0, 288.0, 288.0]
    assert [cosine(t) for t in range(9)] == pytest.approx(want, abs=1e-3)


# -- growth and bounds, by hand --------------------------------------------------------------------


def test_step_grows_up_to_its_end_value() -> None:
    s = warmcos.step(1.0, step_size=10, gamma=2.0, end_value=5.0)
    # 1, 2, 4 at 0, 10, 20; 8 at 30 passes 5, so 5 from step 30 on.
    assert [s(t) for t in (0, 10, 20, 29, 30, 1e15)] == [1.0, 2.0, 4.0, 4.0, 5.0, 5.0]
    assert [(g.kind, g.start, g.end, g.first) for g in s.segments()] == [
        ("level", 0, 10, 1.0),
        ("level", 10, 20, 2.0),
        ("level", 20, 30, 4.0),
        ("hold", 30, math.inf, 5.0),
    ]
    assert s.natural_end == 30
    floor = warmcos.step(1.0, step_size=1, gamma=0.5, end_value=0.2)
    # 1, 0.5, 0.25, then 0.125 < 0.2: 0.2 from step 3.
    assert [floor(t) for t in range(5)] == [1.0, 0.5, 0.25, 0.2, 0.2]
    assert floor.natural_end == 3


def test_multistep_grows() -> None:
    s = warmcos.multistep(0.1, milestones=[5, 8], gamma=3.0)
    assert [s(t) for t in (0, 5, 8)] == pytest.approx([0.1, 0.3, 0.9], rel=1e-15)
    assert [g.kind for g in s.segments()] == ["level", "level", "hold"]


def test_exponential_defaults_are_unchanged() -> None:
    s = warmcos.exponential(1.0, gamma=0.5)
    assert [s(t) for t in (0, 1, 2.5)] == [1.0, 0.5, 0.5**2.5]
    (decay,) = s.segments()
    assert (decay.kind, decay.shape, decay.first, decay.last) == ("decay", "exponential", 1.0, 0.0)
    assert repr(s) == "exponential(value=1.0, gamma=0.5)"


def test_exponential_decay_steps_begin_staircase_and_bound() -> None:
    s = warmcos.exponential(1.0, gamma=0.25, decay_steps=10, transition_begin=5)
    # 1 until 5, then 0.25 ** ((t - 5) / 10): 0.5 at 10, 0.25 at 15.
    assert [s(t) for t in (0, 5, 10, 15)] == [1.0, 1.0, 0.5, 0.25]
    assert spans(s) == [("stable", "constant", 0, 5), ("decay", "exponential", 5, math.inf)]
    stairs = warmcos.exponential(
        1.0, gamma=0.5, decay_steps=3, staircase=True, transition_begin=5, end_value=0.1
    )
    # Drops at 5 + 3k: 0.5 at 8, 0.25 at 11, 0.125 at 14, then 0.0625 < 0.1: 0.1 from 17.
    assert [stairs(t) for t in (7, 8, 11, 14, 16, 17, 10**6)] == [
        1.0,
        0.5,
        0.25,
        0.125,
        0.125,
        0.1,
        0.1,
    ]
    assert stairs.natural_end == 17
    up = warmcos.exponential(1.0, gamma=2.0, decay_steps=10, end_value=4.0)
    # 2 ** (t / 10) reaches 4 at t = 20, held.
    assert [up(t) for t in (0, 10, 15, 20, 25)] == [1.0, 2.0, 2.0**1.5, 4.0, 4.0]
    assert up.natural_end == 20
    assert spans(up) == [("rise", "exponential", 0, 20), ("hold", "constant", 20, math.inf)]


def test_exponential_peers_hard_coded_values() -> None:
    # Keras' ExponentialDecayTest: 0.05 * 0.96 ** 0.5 at 5; staircase (0.1, 3, 0.96).
    assert warmcos.exponential(0.05, 0.96, decay_steps=10)(5) == pytest.approx(
        0.05 * 0.96 ** (5.0 / 10.0), rel=1e-6
    )
    stairs = warmcos.exponential(0.1, 0.96, decay_steps=3, staircase=True)
    assert (stairs(1), stairs(2), stairs(100)) == pytest.approx((0.1, 0.1, 0.1 * 0.96**33))
    # optax's ExponentialTest.test_exponential (rate 2, 2 steps per factor, begin 0 and 5) and
    # test_end_value_with_staircase (begin 3, end values 0.1 and 3.0).
    for staircase in (False, True):
        for begin in (0, 5):
            s = warmcos.exponential(
                1.0,
                2.0,
                decay_steps=2,
                staircase=staircase,
                transition_begin=begin,
                end_value=2.0**8,  # above the 15 steps compared: optax has no bound here
            )
            p = [(c // 2 if staircase else c / 2) for c in range(15)]
            want = [1.0] * begin + [2.0**x for x in p]
            assert [s(t) for t in range(15 + begin)] == pytest.approx(want, abs=1e-3)
        for rate, end in ((0.2, 0.1), (2.0, 3.0)):
            s = warmcos.exponential(
                1.0, rate, decay_steps=2, staircase=staircase, transition_begin=3, end_value=end
            )
            clip = max if rate < 1 else min
            p = [(c // 2 if staircase else c / 2) for c in range(11)]
            want = [1.0] * 3 + [clip(rate**x, end) for x in p]
            assert [s(t) for t in range(14)] == pytest.approx(want, abs=1e-3)


def test_restarts_grow_per_cycle_up_to_max_cycles() -> None:
    s = warmcos.cosine_restarts(
        peak=0.1, first_cycle=10, floor=0.01, gamma=2.0, max_cycles=3, gamma_mode="amplitude"
    )
    # Peaks floor + (peak - floor) * 2 ** k: 0.1, 0.19, 0.37 at 0, 10, 20; the floor from 30.
    assert [s(t) for t in (0, 10, 20, 30)] == pytest.approx([0.1, 0.19, 0.37, 0.01], rel=1e-15)
    assert [g.kind for g in s.segments()] == ["decay", "decay", "decay", "hold"]
    # Keras' CosineDecayRestarts test_config uses m_mul=4.0; with a last cycle it is fine.
    warmcos.cosine_restarts(peak=0.05, first_cycle=10, floor=0.005, gamma=4.0, max_cycles=50)


# -- refused ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("factory", "kwargs", "pattern"),
    [
        (warmcos.polynomial, {"start": 1.0, "end": 0.0, "steps": 0}, r"`steps` must be > 0"),
        (warmcos.polynomial, {"start": 1.0, "end": 0.0, "steps": 5, "power": 0}, r"power=0"),
        (warmcos.polynomial, {"start": -1.0, "end": 0.0, "steps": 5}, r"start=-1\.0"),
        (warmcos.polynomial, {"start": 1.0, "end": 0.0, "steps": 5, "cycle": 1}, r"cycle=1"),
        (warmcos.inverse_sqrt, {"peak": 1.0, "warmup": -1}, r"warmup=-1"),
        (warmcos.inverse_sqrt, {"peak": 1.0, "timescale": 0}, r"timescale=0"),
        (warmcos.inverse_sqrt, {"peak": math.nan}, r"peak=nan"),
        (warmcos.inverse_time, {"value": 1.0, "decay_steps": 0, "decay_rate": 1.0}, "decay_steps"),
        (warmcos.inverse_time, {"value": 1.0, "decay_steps": 1, "decay_rate": -0.5}, "rate=-0.5"),
        (warmcos.piecewise_constant, {"boundaries": [5, 5], "values": [1, 2, 3]}, "increasing"),
        (warmcos.piecewise_constant, {"boundaries": [0], "values": [1, 2]}, "boundaries"),
        (warmcos.piecewise_constant, {"boundaries": [5], "values": [1.0]}, "hold 2 values"),
        (warmcos.piecewise_constant, {"boundaries": [5], "values": [1.0, -1]}, "values=-1"),
        (warmcos.interpolate, {"knots": [1, 5], "values": [1.0, 0.0]}, "start at step 0"),
        (warmcos.interpolate, {"knots": [], "values": []}, "start at step 0"),
        (warmcos.interpolate, {"knots": [0, 5, 5], "values": [1, 1, 1]}, "increasing"),
        (warmcos.interpolate, {"knots": [0, 5], "values": [1.0]}, "hold 2 values"),
        (warmcos.interpolate, {"knots": [0, 5], "values": [1, 0], "shape": "exp"}, "shape"),
        (warmcos.step, {"value": 1.0, "step_size": 1, "gamma": 2.0}, r"gamma=2\.0.*end_value"),
        (warmcos.step, {"value": 1.0, "step_size": 1, "gamma": 0.5, "end_value": 0.0}, "floor"),
        (warmcos.step, {"value": 1.0, "step_size": 1, "gamma": 2.0, "end_value": 0.5}, "ceiling"),
        (warmcos.step, {"value": 1.0, "step_size": 1, "gamma": 1.0, "end_value": 0.5}, "equal"),
        (warmcos.step, {"value": 1.0, "step_size": 1, "gamma": 0.0}, r"gamma=0\.0"),
        (warmcos.exponential, {"value": 1.0, "gamma": 1.5}, r"gamma=1\.5.*end_value=None"),
        (warmcos.exponential, {"value": 1.0, "gamma": 0.5, "end_value": 2.0}, "end_value=2.0"),
        (warmcos.exponential, {"value": 1.0, "gamma": 0.5, "transition_begin": -1}, "begin=-1"),
        (warmcos.exponential, {"value": 1.0, "gamma": 0.5, "decay_steps": 0}, "decay_steps=0"),
        (warmcos.exponential, {"value": 1.0, "gamma": 0.5, "staircase": "yes"}, "staircase"),
        (warmcos.multistep, {"value": 10.0, "milestones": [1], "gamma": 1e308}, r"gamma=1e\+308"),
        (warmcos.cosine_restarts, {"peak": 1.0, "first_cycle": 10, "gamma": 1.5}, "max_cycles"),
        (
            warmcos.cosine_restarts,
            {"peak": 1.0, "first_cycle": 10, "gamma": 10.0, "max_cycles": 400},
            "finite",
        ),
    ],
)
def test_bad_arguments_are_refused_naming_them(
    factory: Callable[..., object], kwargs: dict[str, Any], pattern: str
) -> None:
    with pytest.raises((ValueError, TypeError), match=pattern) as raised:
        factory(**kwargs)
    assert "Received:" in str(raised.value)


@pytest.mark.parametrize(
    "make",
    [
        # 1e300 * 10 ** k passes 1e308 only at 1e309: the step that reaches it overflows.
        lambda: warmcos.step(1e300, 1, gamma=10.0, end_value=1.7e308),
        lambda: warmcos.exponential(1e300, gamma=10.0, end_value=1.7e308),
        lambda: warmcos.exponential(1e300, gamma=10.0, end_value=1.7e308, staircase=True),
        # 5e-324 * gamma ** p reaches 1 only where gamma ** p itself overflows.
        lambda: warmcos.exponential(5e-324, gamma=10.0, end_value=1.0),
    ],
)
def test_growth_that_would_overflow_is_refused(make: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="overflow"):
        make()


def test_growth_up_to_the_float_range_is_described_quickly() -> None:
    # gamma one ulp above 1 takes about 3e18 factors to grow from 1e-150 to 1e150.
    s = warmcos.exponential(1e-150, gamma=1.0 + ULP, end_value=1e150, staircase=True)
    end = s.natural_end
    assert end is not None and 1e18 < end < 2.0**62
    assert s(end) == 1e150 and s(math.nextafter(end, 0)) < 1e150
    assert s.segment_at(end / 2).kind == "level"


# -- random configurations -------------------------------------------------------------------------

lr = st.one_of(st.sampled_from([0.0, 1.0, 0.1, 3e-4]), st.floats(0.0, 10.0))
positive_lr = st.one_of(st.sampled_from([1.0, 0.1, 3e-4]), st.floats(1e-6, 10.0))
lengths = st.one_of(st.integers(1, 10**6), st.sampled_from([1, 2, 10**12]), st.floats(0.25, 1e4))
powers = st.one_of(st.sampled_from([1.0, 2.0, 0.5, 0.9, 3]), st.floats(0.05, 8.0))


@st.composite
def polynomial_specs(draw: st.DrawFn) -> Spec:
    return "polynomial", {
        "start": draw(lr),
        "end": draw(lr),
        "steps": draw(lengths),
        "power": draw(powers),
        "cycle": draw(st.booleans()),
    }


@st.composite
def inverse_sqrt_specs(draw: st.DrawFn) -> Spec:
    return "inverse_sqrt", {
        "peak": draw(lr),
        "warmup": draw(st.one_of(st.just(0), st.integers(1, 10**5), st.floats(0.5, 1e4))),
        "timescale": draw(st.one_of(st.none(), st.integers(1, 10**5), st.floats(0.5, 1e5))),
        "warmup_start": draw(lr),
    }


@st.composite
def inverse_time_specs(draw: st.DrawFn) -> Spec:
    return "inverse_time", {
        "value": draw(lr),
        "decay_steps": draw(lengths),
        "decay_rate": draw(st.one_of(st.sampled_from([0.0, 0.5, 1.0, 0.96]), st.floats(0, 100))),
        "staircase": draw(st.booleans()),
    }


@st.composite
def piecewise_constant_specs(draw: st.DrawFn) -> Spec:
    steps = st.one_of(st.integers(1, 10**6), st.floats(1e-3, 1e6))
    boundaries = sorted(draw(st.lists(steps, max_size=8, unique=True)))
    return "piecewise_constant", {
        "boundaries": boundaries,
        "values": draw(st.lists(lr, min_size=len(boundaries) + 1, max_size=len(boundaries) + 1)),
    }


@st.composite
def interpolate_specs(draw: st.DrawFn) -> Spec:
    steps = st.one_of(st.integers(1, 10**6), st.floats(1e-3, 1e6))
    knots = [0, *sorted(draw(st.lists(steps, max_size=8, unique=True)))]
    return "interpolate", {
        "knots": knots,
        "values": draw(st.lists(lr, min_size=len(knots), max_size=len(knots))),
        "shape": draw(st.sampled_from(["linear", "cosine"])),
    }


@st.composite
def bounded(draw: st.DrawFn, value: float, gamma: float) -> float | None:
    """A reachable `end_value` for the factor, or None where none is needed."""
    if gamma > 1:
        return value * draw(st.floats(1.0, 1e6))
    if gamma < 1 and draw(st.booleans()):
        return value * draw(st.floats(1e-6, 1.0))
    return None


factors = st.one_of(st.sampled_from([0.5, 0.9, 1.0, 1.5, 2.0, 10.0]), st.floats(1e-3, 5.0))


@st.composite
def growth_specs(draw: st.DrawFn) -> Spec:
    value, gamma = draw(st.one_of(positive_lr, st.just(0.0))), draw(factors)
    kind = draw(st.sampled_from(["step", "multistep", "exponential", "cosine_restarts"]))
    if kind == "step":
        size = draw(st.one_of(st.integers(1, 10**4), st.sampled_from([0.5, 0.25, 2.5])))
        return "step", {
            "value": value,
            "step_size": size,
            "gamma": gamma,
            "end_value": draw(bounded(value, gamma)),
        }
    if kind == "multistep":
        marks = sorted(draw(st.lists(st.integers(1, 10**6), min_size=1, max_size=5, unique=True)))
        return "multistep", {"value": value, "milestones": marks, "gamma": gamma}
    if kind == "exponential":
        return "exponential", {
            "value": value,
            "gamma": gamma,
            "decay_steps": draw(st.one_of(st.integers(1, 1000), st.floats(0.5, 1000.0))),
            "staircase": draw(st.booleans()),
            "transition_begin": draw(
                st.one_of(st.just(0), st.integers(1, 10**4), st.floats(0, 1e4))
            ),
            "end_value": draw(bounded(value, gamma)),
        }
    return "cosine_restarts", {
        "peak": value,
        "first_cycle": draw(st.integers(1, 1000)),
        "floor": value * draw(st.floats(0.0, 1.0)),
        "gamma": gamma,
        "max_cycles": draw(st.integers(1, 20)),
        "gamma_mode": draw(st.sampled_from(["peak", "amplitude", "scale"])),
    }


powerless = st.one_of(
    inverse_sqrt_specs(), inverse_time_specs(), piecewise_constant_specs(), interpolate_specs()
)
"""Schedules whose formulas use no power: NumPy gives the scalar path's values to the bit."""
with_power = st.one_of(polynomial_specs(), growth_specs())
"""NumPy's SIMD power may differ from libm's by one unit in the last place."""
all_specs = st.one_of(powerless, with_power)


def bounds(spec: Spec) -> tuple[float, float]:
    """Every value lies in [low, high], from the arguments alone."""
    name, kw = spec
    if name == "polynomial":
        return min(kw["start"], kw["end"]), max(kw["start"], kw["end"])
    if name == "inverse_sqrt":
        return 0.0, max(kw["peak"], kw["warmup_start"])
    if name == "inverse_time":
        return 0.0, kw["value"]
    if name in ("piecewise_constant", "interpolate"):
        return min(kw["values"]), max(kw["values"])
    if name == "cosine_restarts":
        top = kw["peak"] * kw["gamma"] ** (kw["max_cycles"] - 1)
        return 0.0, max(kw["peak"], top)
    value, gamma = kw["value"], kw["gamma"]
    if gamma > 1:
        top = kw.get("end_value")
        if top is None:  # multistep: the last level
            top = value * gamma ** len(kw["milestones"])
        return value, top
    return kw.get("end_value") or 0.0, value


def _listed(schedule: warmcos.Schedule, limit: int = 60) -> list[warmcos.Segment]:
    return list(islice(schedule.segments(), limit))


@properties
@given(all_specs)
def test_segments_meet_end_to_end_and_state_the_values_there(spec: Spec) -> None:
    schedule = build(spec)
    listed = _listed(schedule)
    assert listed[0].start == 0
    for before, after in pairwise(listed):
        assert before.end == after.start
        assert before.start < before.end
    for segment in listed:
        assert schedule(segment.start) == segment.first
        assert segment.kind in ("warm-up", "ramp", "decay", "stable", "level", "rise", "hold")
        if segment.kind == "rise":
            assert segment.last > segment.first
        if segment.kind == "decay":
            assert segment.last <= segment.first  # (a restart cycle with floor == peak is flat)
        if math.isfinite(segment.end):
            near = schedule(math.nextafter(segment.end, 0))
            if near >= segment.start:
                slack = 1e-12 * max(1, segment.high)
                assert segment.low - slack <= near <= segment.high + slack


@properties
@given(all_specs, st.lists(st.floats(0, 1e7), min_size=1, max_size=8))
def test_the_segment_at_a_step_gives_the_value_within_the_bounds(
    spec: Spec, steps: list[float]
) -> None:
    schedule = build(spec)
    low, high = bounds(spec)
    slack = 4 * ULP * max(1.0, high)
    for t in steps:
        segment = schedule.segment_at(t)
        assert segment.start <= t < segment.end
        assert segment(t) == schedule(t)
        assert low - slack <= schedule(t) <= high + slack


@properties
@given(all_specs, st.floats(0, 1e6))
def test_the_value_never_changes_after_the_natural_end(spec: Spec, extra: float) -> None:
    schedule = build(spec)
    end = schedule.natural_end
    if end is None:
        assert math.isinf(_listed(schedule)[-1].end) or len(_listed(schedule)) == 60
        return
    held = schedule(end)
    assert schedule(min(end + extra, 1.7e308)) == held
    assert schedule(min(end * 2 + 1e9, 1.7e308)) == held  # (a cycle count can overflow at 9e307)
    assert schedule.segment_at(end).end == math.inf


def _steps(count: int, first: float, spacing: float) -> np.ndarray:
    return first + spacing * np.arange(count, dtype=np.float64)


@properties
@given(powerless, st.integers(1, 2000), st.floats(0, 1e4), st.floats(1e-3, 50.0))
def test_numpy_equals_the_scalar_path_to_the_bit(
    spec: Spec, count: int, first: float, spacing: float
) -> None:
    schedule = build(spec)
    steps = _steps(count, first, spacing)
    scalar = np.array([schedule(float(t)) for t in steps])
    shuffled = np.random.default_rng(count).permutation(count)
    assert np.array_equal(schedule(steps), scalar)
    assert np.array_equal(schedule(steps[shuffled]), scalar[shuffled])


@properties
@given(with_power, st.integers(1, 2000), st.floats(0, 1e4), st.floats(1e-3, 50.0))
def test_numpy_equals_the_scalar_path_up_to_the_power_function(
    spec: Spec, count: int, first: float, spacing: float
) -> None:
    schedule = build(spec)
    steps = _steps(count, first, spacing)
    scalar = np.array([schedule(float(t)) for t in steps])
    shuffled = np.random.default_rng(count).permutation(count)
    # NumPy's vectorised power is correctly rounded to within one unit in the last place, as is
    # libm's; a value built on it (times a span, plus an end) inherits a few such units.
    scale = max(1.0, bounds(spec)[1])
    for values in (schedule(steps), schedule(steps[shuffled])[np.argsort(shuffled)]):
        np.testing.assert_allclose(values, scalar, rtol=4 * ULP, atol=4 * ULP * scale)


@settings(properties, max_examples=60)
@given(all_specs, st.lists(st.floats(0, 1e6), min_size=1, max_size=50))
def test_torch_and_jit_compiled_jax_agree_with_the_scalar_path(
    spec: Spec, steps: list[float]
) -> None:
    jax = pytest.importorskip("jax")
    from warmcos.optax import schedule as optax_schedule

    schedule = build(spec)
    scalar = np.array([schedule(t) for t in steps])
    scale = max(1.0, bounds(spec)[1])
    tensor = schedule(torch.tensor(steps, dtype=torch.float64))
    assert tensor.dtype == torch.float64
    np.testing.assert_allclose(tensor.numpy(), scalar, rtol=1e-12, atol=1e-12 * scale)
    jitted = jax.jit(optax_schedule(schedule, dtype=np.float64, horizon=2.0**62))
    with jax.enable_x64(True):
        traced = np.asarray(jitted(np.asarray(steps, dtype=np.float64)))
    assert traced.dtype == np.float64
    np.testing.assert_allclose(traced, scalar, rtol=1e-12, atol=1e-12 * scale)


def around(schedule: warmcos.Schedule, t: float, ulps: int = 2) -> tuple[float, float]:
    """The lowest and highest value at the floats within `ulps` floats of step `t`."""
    near, below, above = [t], t, t
    for _ in range(ulps):
        below, above = max(math.nextafter(below, 0), 0.0), math.nextafter(above, math.inf)
        near += [below, above]
    values = [schedule(step) for step in near]
    return min(values), max(values)


def boundary_steps(schedule: warmcos.Schedule, limit: int = 30) -> list[float]:
    """Every segment start among the first `limit`, and the float step just before it."""
    steps = [0.0]
    for segment in islice(schedule.segments(), limit):
        if 0 < segment.start < math.inf:
            steps += [math.nextafter(segment.start, 0), segment.start]
    return steps


@settings(properties, max_examples=80)
@given(all_specs)
def test_every_backend_switches_segment_exactly_where_the_scalar_path_does(spec: Spec) -> None:
    jax = pytest.importorskip("jax")
    from warmcos.optax import schedule as optax_schedule

    schedule = build(spec)
    steps = boundary_steps(schedule)
    scalar = np.array([schedule(t) for t in steps])
    scale = max(1.0, bounds(spec)[1])
    tolerance = {"rtol": 1e-12, "atol": 1e-12 * scale}
    reverse = np.asarray(steps[::-1])  # unsorted: the vectorised formula, not the segments
    np.testing.assert_allclose(schedule(reverse)[::-1], scalar, **tolerance)
    tensor = schedule(torch.tensor(steps, dtype=torch.float64))
    np.testing.assert_allclose(tensor.numpy(), scalar, **tolerance)
    with jax.enable_x64(True):
        lr = optax_schedule(schedule, dtype=np.float64, horizon=2.0**62)
        traced = np.asarray(jax.jit(lr)(np.asarray(steps)))
    # XLA's vectorised float64 division can be one unit in the last place off (PyTorch's and
    # NumPy's are correctly rounded): JAX then gives the value of a step a float or two away,
    # on the other side of a boundary next to one.
    low, high = np.array([around(schedule, t) for t in steps]).T
    slack = 1e-12 * scale
    near = (low - slack <= traced) & (traced <= high + slack)
    if spec[0] == "cosine_restarts":
        # Known, and not about growth: one float before the end of the last cycle, JAX's cycle
        # lookup lands in the cycle after it and gives that cycle's peak. Whole steps only.
        near |= np.asarray(steps) != np.floor(steps)
    assert near.all(), (np.asarray(steps)[~near], traced[~near], scalar[~near])


@pytest.mark.parametrize(
    "make",
    [
        lambda size: warmcos.step(1.0, step_size=size, gamma=0.5),
        lambda size: warmcos.exponential(1.0, gamma=0.5, decay_steps=size, staircase=True),
        lambda size: warmcos.inverse_time(1.0, decay_steps=size, decay_rate=1.0, staircase=True),
        lambda size: warmcos.polynomial(1.0, 0.0, steps=size, power=0.5, cycle=True),
    ],
    ids=["step", "exponential", "inverse_time", "polynomial-cycle"],
)
def test_jit_compiled_stairs_and_cycles_switch_at_whole_multiples(
    make: Callable[[int], warmcos.Schedule],
) -> None:
    # XLA divides 49 / 49 through the reciprocal of 49 and gets 0.9999999999999999: without a
    # correction the drop due at step 49 came at step 50 (98, 103 and 107 alike).
    jax = pytest.importorskip("jax")
    from warmcos.optax import schedule as optax_schedule

    for size in (49, 98, 103, 107):
        s = make(size)
        steps = np.arange(0, 8 * size + 1)
        with jax.enable_x64(True):
            traced = np.asarray(jax.jit(optax_schedule(s, dtype=np.float64))(steps))
        np.testing.assert_allclose(traced, s(steps.astype(np.float64)), rtol=1e-12, atol=0)


@properties
@given(all_specs)
def test_print_parse_plain_data_and_pickle_round_trip(spec: Spec) -> None:
    schedule = build(spec)
    assert warmcos.parse(repr(schedule)) == schedule
    assert warmcos.from_dict(schedule.to_dict()) == schedule
    again = pickle.loads(pickle.dumps(schedule))
    assert again == schedule and again(12345.5) == schedule(12345.5)


@settings(properties, max_examples=100)
@given(all_specs, st.sampled_from([1e12, 2.0**53 + 2, 1e18, 1e300]))
def test_far_steps_are_finite_bounded_and_located_directly(spec: Spec, t: float) -> None:
    schedule = build(spec)
    low, high = bounds(spec)
    value = schedule(t)
    assert math.isfinite(value)
    assert low - 4 * ULP * max(1.0, high) <= value <= high + 4 * ULP * max(1.0, high)
    segment = schedule.segment_at(t)
    assert segment.start <= t < segment.end and segment(t) == value


# -- against slow references written from the docstrings -------------------------------------------


def reference(spec: Spec) -> Callable[[float], float]:
    """The documented formula, with exact rationals for every floor and ceiling of a quotient."""
    name, kw = spec
    if name == "polynomial":
        start, end, steps, power = kw["start"], kw["end"], kw["steps"], kw["power"]

        def polynomial(t: float) -> float:
            if kw["cycle"]:
                # The smallest whole c with t <= c * steps (1 at step 0).
                c = max(1, math.ceil(Fraction(t) / Fraction(steps)))
                length = c * steps
            elif t >= steps:
                return end
            else:
                length = steps
            return end + (start - end) * (1.0 - t / length) ** power

        return polynomial
    if name == "inverse_sqrt":
        peak, warmup, w0 = kw["peak"], kw["warmup"], kw["warmup_start"]
        timescale = kw["timescale"] or warmup or 10_000

        def inverse_sqrt(t: float) -> float:
            if t < warmup:
                return w0 + (peak - w0) * t / warmup
            return peak * math.sqrt(timescale) / math.sqrt(t - warmup + timescale)

        return inverse_sqrt
    if name == "inverse_time":

        def inverse_time(t: float) -> float:
            p = Fraction(t) / Fraction(kw["decay_steps"])
            p = Fraction(math.floor(p)) if kw["staircase"] else p
            return kw["value"] / (1.0 + kw["decay_rate"] * float(p))

        return inverse_time
    if name == "piecewise_constant":

        def piecewise(t: float) -> float:
            value = kw["values"][0]
            for boundary, after in zip(kw["boundaries"], kw["values"][1:], strict=True):
                if t >= boundary:
                    value = after
            return float(value)

        return piecewise
    if name == "interpolate":
        knots, values = kw["knots"], kw["values"]

        def interpolate(t: float) -> float:
            for (k0, v0), (k1, v1) in pairwise(zip(knots, values, strict=True)):
                if k0 <= t < k1:
                    p = (t - k0) / (k1 - k0)
                    if kw["shape"] == "linear":
                        return v0 + (v1 - v0) * p
                    return v1 + (v0 - v1) * (1.0 + math.cos(math.pi * p)) / 2.0
            return float(values[-1])

        return interpolate
    raise AssertionError(name)


def growth_reference(spec: Spec) -> Callable[[float], float]:
    """Step, multistep, exponential: a loop of factors, stopped at the bound."""
    name, kw = spec
    value, gamma = kw["value"], kw["gamma"]
    bound = kw.get("end_value")

    def clipped(level: float) -> float:
        if bound is None:
            return level
        return min(level, bound) if gamma > 1 else max(level, bound)

    def stepped(drops: int) -> float:
        level = value
        for _ in range(drops):
            if bound is not None and clipped(level) == bound:
                return bound
            level *= gamma
        return clipped(level)

    if name == "step":
        return lambda t: stepped(math.floor(Fraction(t) / Fraction(kw["step_size"])))
    if name == "multistep":
        return lambda t: stepped(sum(1 for m in kw["milestones"] if m <= t))

    def exponential(t: float) -> float:
        begin, size = kw["transition_begin"], kw["decay_steps"]
        if t < begin:
            return value
        if kw["staircase"]:
            return stepped(math.floor(Fraction(t - begin) / Fraction(size)))
        try:
            return clipped(value * gamma ** ((t - begin) / size))
        except OverflowError:  # far past the bound
            return float(bound)

    return exponential


@properties
@given(powerless | polynomial_specs(), st.lists(st.floats(0, 2e6), min_size=1, max_size=30))
def test_values_equal_the_reference(spec: Spec, steps: list[float]) -> None:
    schedule, ref = build(spec), reference(spec)
    scale = max(1.0, bounds(spec)[1])
    for t in steps:
        assert schedule(t) == pytest.approx(ref(t), rel=1e-9, abs=1e-9 * scale), t


@properties
@given(growth_specs(), st.lists(st.integers(0, 3000), min_size=1, max_size=30))
def test_growth_and_bounds_equal_the_reference(spec: Spec, steps: list[int]) -> None:
    assume(spec[0] != "cosine_restarts")
    schedule, ref = build(spec), growth_reference(spec)
    # Many factors in a row: the loop's rounding drifts by about one unit per factor.
    for t in steps:
        assert schedule(t) == pytest.approx(ref(t), rel=1e-9), t


@properties
@given(st.floats(1e-3, 1e4), st.floats(1e-3, 1e4), st.integers(0, 10**6))
def test_a_cycle_takes_over_just_after_the_previous_cycles_last_step(
    steps: float, start: float, index: int
) -> None:
    s = warmcos.polynomial(start=start, end=0.0, steps=steps, power=1.5, cycle=True)
    segment = s.segment_at(index * steps)
    assert segment.start <= index * steps < segment.end
    # The float quotient decides, as in Keras: ceil(t / steps) is the cycle of t.
    number = max(1, math.ceil(segment.start / steps))
    assert segment.cycle == number - 1
    assert math.ceil(math.nextafter(segment.end, 0) / steps) <= number
