"""One-cycle, cyclic, tanh, shaped warm-ups and the cosine's warps: values, segments, backends.

Expected values are worked out by hand in the comments (or from a closed form written out
here, independently of warmcos); the loop-based references at the end walk the phases and
cycles one by one. Property tests check, over random configurations, that the segments agree
with the values, that the values stay within the schedule's own values, and that NumPy (sorted
and shuffled steps) gives the per-step values. The backend tests evaluate a fixed set of
configurations on torch tensors, under ``jax.jit`` through ``warmcos.optax`` and, in one
subprocess, through ``warmcos.keras`` on TensorFlow (eager and inside ``tf.function``).
"""

from __future__ import annotations

import json
import math
import os
import pickle
import subprocess
import sys
import textwrap
from itertools import islice, pairwise
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import warmcos
from strategies import length_below, lr_values, peak_and_floor, wsd_specs
from warmcos._core.cyclic import Cyclic
from warmcos._core.onecycle import OneCycle
from warmcos._core.tanh import Tanh
from warmcos._core.warmup import Warmup

properties = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def spans(schedule: warmcos.Schedule, n: int = 8) -> list[tuple[Any, ...]]:
    return [(g.kind, g.shape, g.start, g.end, g.cycle) for g in islice(schedule.segments(), n)]


# -- one_cycle, by hand ------------------------------------------------------------------------


def test_one_cycle_linear_two_phases() -> None:
    # start = 25 / 25 = 1, end = 1 / 2 = 0.5. PyTorch's phase ends: 0.3 * 10 - 1 = 2 (0.3 * 10
    # is 3.0 in floats) and 10 - 1 = 9. Up by (25 - 1) / 2 = 12 per step to step 2, then down
    # by (25 - 0.5) / 7 = 3.5 per step to step 9, then held.
    s = OneCycle(peak=25.0, steps=10, final_div_factor=2.0, anneal="linear")
    assert [s(t) for t in range(12)] == [1, 13, 25, 21.5, 18, 14.5, 11, 7.5, 4, 0.5, 0.5, 0.5]
    # Step 2 belongs to the rise (PyTorch's `step <= end_step`): the boundary is just after 2.
    assert spans(s) == [
        ("warm-up", "linear", 0.0, math.nextafter(2.0, 3.0), None),
        ("decay", "linear", math.nextafter(2.0, 3.0), 9.0, None),
        ("hold", "constant", 9.0, math.inf, None),
    ]
    assert s.natural_end == 9.0
    assert (s.start_value, s.end_value) == (1.0, 0.5)


def test_one_cycle_cosine_by_hand() -> None:
    # start = 1 / 4 = 0.25, end = 0.25 / 2.5 = 0.1; ends 0.4 * 5 - 1 = 1 and 4.
    # Step 2: pct = 1/3, 0.1 + 0.9 / 2 * (cos(pi / 3) + 1) = 0.1 + 0.45 * 1.5 = 0.775;
    # step 3: pct = 2/3, 0.1 + 0.45 * (cos(2 pi / 3) + 1) = 0.1 + 0.45 * 0.5 = 0.325.
    s = OneCycle(peak=1.0, steps=5, pct_start=0.4, div_factor=4.0, final_div_factor=2.5)
    assert s.phase_ends() == (1.0, 4.0)
    assert [s(t) for t in range(6)] == pytest.approx([0.25, 1.0, 0.775, 0.325, 0.1, 0.1], abs=1e-15)
    assert s(1) == 1.0  # cos(pi) + 1 == 0 exactly: the peak itself


def test_one_cycle_three_phases_by_hand() -> None:
    # start 1, end 1 / 4; ends 0.4 * 10 - 1 = 3, 2 * 0.4 * 10 - 2 = 6 and 9: up by 8 per step
    # to 25, down by 8 to 1, then down by 0.25 per step to 0.25.
    s = OneCycle(25.0, 10, pct_start=0.4, final_div_factor=4.0, anneal="linear", three_phase=True)
    assert s.phase_ends() == (3.0, 6.0, 9.0)
    assert [s(t) for t in range(10)] == [1, 9, 17, 25, 17, 9, 1, 0.75, 0.5, 0.25]
    assert [kind for kind, *_ in spans(s)] == ["warm-up", "decay", "decay", "hold"]


def test_one_cycle_whose_first_phase_ends_before_step_0_starts_part_way_down() -> None:
    # PyTorch's first phase ends at 0.25 * 2 - 1 = -0.5: step 0 is in the decay, which runs
    # from -0.5 to 1 (1.5 steps): pct = (0 + 0.5) / 1.5 = 1/3, and linearly from 1 towards
    # 0.25: 1 + (0.25 - 1) / 3 = 0.75.
    s = OneCycle(1.0, 2, pct_start=0.25, div_factor=2.0, final_div_factor=2.0, anneal="linear")
    assert [s(0), s(1), s(5)] == [0.75, 0.25, 0.25]
    assert spans(s) == [
        ("decay", "linear", 0.0, 1.0, None),
        ("hold", "constant", 1.0, math.inf, None),
    ]


def test_one_cycle_for_momentum_falls_then_rises() -> None:
    # PyTorch's momentum: from max_momentum 0.95 down to base_momentum 0.85 at the peak of the
    # LR (step 2, as above), back up to 0.95 at step 9: linearly by 0.05 then by 0.1 / 7.
    m = OneCycle(peak=0.85, steps=10, start=0.95, end=0.95, anneal="linear")
    assert [m(t) for t in (0, 1, 2, 9, 20)] == pytest.approx([0.95, 0.9, 0.85, 0.95, 0.95])
    assert m(5.5) == pytest.approx(0.85 + 0.1 * 3.5 / 7)
    assert [kind for kind, *_ in spans(m)] == ["ramp", "rise", "hold"]


def test_one_cycle_where_pytorch_divides_by_zero_starts_at_the_peak() -> None:
    # pct_start * steps == 1: PyTorch's first phase is the single step 0 with zero length
    # (ZeroDivisionError); here step 0 takes the next phase's value, the peak.
    s = OneCycle(1.0, 10, pct_start=0.1)
    assert s(0) == 1.0
    assert s(9) == s.end_value


# -- cyclic, by hand ---------------------------------------------------------------------------


def test_cyclic_triangle_with_two_step_sizes() -> None:
    # Up 0 -> 8 over 4 steps (2 per step), down over 2 (4 per step); cycle length 6.
    s = Cyclic(0.0, 8.0, step_size_up=4, step_size_down=2)
    # (PyTorch's position 1 + t / 6 - cycle rounds: 2.000000000000001 at t=1, as in PyTorch.)
    assert [s(t) for t in range(8)] == pytest.approx([0, 2, 4, 6, 8, 4, 0, 2], abs=1e-14)
    assert s(2.5) == pytest.approx(5.0, abs=1e-14)
    assert spans(s, 3) == [
        ("rise", "linear", 0.0, 4.0, 0),
        ("decay", "linear", 4.0, 6.0, 0),
        ("rise", "linear", 6.0, 10.0, 1),
    ]
    assert s.natural_end is None
    assert s.segment_at(6000.5).start == 6000.0  # cycle 1000, located directly


def test_cyclic_triangular2_halves_the_amplitude_every_cycle() -> None:
    s = Cyclic(0.0, 8.0, step_size_up=2, mode="triangular2")
    assert [s(t) for t in range(0, 12, 2)] == [0, 8, 0, 4, 0, 2]
    # Far out the amplitude is below the smallest float: the value is `low`, not an overflow.
    assert s(4 * 2000 + 2) == 0.0


def test_cyclic_exp_range_decays_with_every_step() -> None:
    # low + (high - low) * f * gamma ** t: t=1: 8 * 0.5 * 0.5, t=2: 8 * 1 * 0.25,
    # t=3: 8 * 0.5 * 0.125.
    s = Cyclic(0.0, 8.0, step_size_up=2, mode="exp_range", gamma=0.5)
    assert [s(t) for t in range(4)] == [0.0, 2.0, 2.0, 0.5]
    rising = s.segment_at(0.5)
    assert rising.shape == "exp_range" and not rising.curve.monotone()


def test_cyclic_inverse_is_pytorchs_momentum_cycle() -> None:
    m = Cyclic(0.8, 0.9, step_size_up=1, inverse=True)
    assert [m(t) for t in (0, 1, 2)] == [0.9, 0.8, 0.9]
    assert m(0.5) == pytest.approx(0.85)
    assert [kind for kind, *_ in spans(m, 2)] == ["decay", "rise"]


def test_cyclic_with_equal_values_is_a_constant() -> None:
    s = Cyclic(0.3, 0.3, step_size_up=5)
    assert s.natural_end == 0.0
    assert spans(s) == [("hold", "constant", 0.0, math.inf, None)]
    assert s(np.arange(4.0)).tolist() == [0.3] * 4


# -- the cosine's options, by hand ---------------------------------------------------------------


def test_cosine_exponent_is_optax_s() -> None:
    # c = (1 + cos(pi t / 4)) / 2: t=1: (1 + sqrt(2) / 2) / 2 = 0.8535533905932737, squared
    # 0.7285533905932737; t=2: c = 0.5, squared 0.25. With floor 1 and peak 2 (optax: alpha =
    # 0.5): 2 * ((1 - 0.5) * 0.25 + 0.5) = 1.25.
    s = warmcos.cosine(peak=1.0, steps=4, exponent=2.0)
    assert [s(1), s(2), s(4), s(9)] == pytest.approx([0.7285533905932737, 0.25, 0, 0], abs=1e-15)
    assert warmcos.cosine(peak=2.0, steps=4, floor=1.0, exponent=2.0)(2) == pytest.approx(1.25)
    assert [kind for kind, *_ in spans(s)] == ["decay", "hold"]


def test_cosine_k_decay_is_timm_s() -> None:
    # The angle is pi t**2 / 4**2: t=2: pi / 4, (1 + cos(pi / 4)) / 2 = 0.8535533905932737;
    # t=1: pi / 16, (1 + cos(pi / 16)) / 2 = 0.9903926402016152.
    s = warmcos.cosine(peak=1.0, steps=4, k_decay=2.0)
    assert [s(1), s(2), s(4)] == pytest.approx([0.9903926402016152, 0.8535533905932737, 0.0])


def test_cosine_with_a_whole_wave_comes_back_up_and_holds_there() -> None:
    s = warmcos.cosine(peak=1.0, steps=10, waves=1.0)
    assert [s(0), s(2.5), s(5), s(10), s(99)] == pytest.approx([1.0, 0.5, 0.0, 1.0, 1.0])
    assert spans(s) == [
        ("decay", "cosine", 0.0, 5.0, 0),
        ("rise", "cosine", 5.0, 10.0, 0),
        ("hold", "constant", 10.0, math.inf, None),
    ]
    assert s.natural_end == 10.0
    # Three quarters of a wave: down over 8 steps, half-way back up at 12 (cos(3 pi / 2) = 0).
    s = warmcos.cosine(peak=1.0, steps=12, waves=0.75)
    assert [(k, a, b) for k, _, a, b, _ in spans(s)] == [
        ("decay", 0.0, 8.0),
        ("rise", 8.0, 12.0),
        ("hold", 12.0, math.inf),
    ]
    assert s(12) == pytest.approx(0.5) and s(1e9) == s(12)


def test_periodic_cosine_goes_on_as_pytorch_past_t_max() -> None:
    # eta_min + (base - eta_min) * (1 + cos(pi t / T)) / 2 for every t: back at the peak at 2T.
    s = warmcos.cosine(peak=1.0, steps=10, floor=0.2, after_end="periodic")
    assert [s(10), s(15), s(20), s(10**6)] == pytest.approx([0.2, 0.6, 1.0, 1.0])
    assert s.natural_end is None
    assert spans(s, 3) == [
        ("decay", "cosine", 0.0, 10.0, 0),
        ("rise", "cosine", 10.0, 20.0, 0),
        ("decay", "cosine", 20.0, 30.0, 1),
    ]
    # Half wave 10**5 (even: falling) of wave 50000, located without walking from 0.
    far = s.segment_at(10**6 + 5)
    assert (far.kind, far.start, far.end, far.cycle) == ("decay", 1e6, 1e6 + 10, 50_000)
    with_warmup = warmcos.cosine(peak=1.0, steps=12, warmup=2, after_end="periodic")
    assert [with_warmup(1), with_warmup(12), with_warmup(22)] == pytest.approx([0.5, 0.0, 1.0])


def test_a_periodic_cosine_may_rise_first_and_a_held_one_may_not() -> None:
    # CosineAnnealingLR with eta_min = 1.0 above the base LR 0.1.
    s = warmcos.cosine(peak=0.1, steps=10, floor=1.0, after_end="periodic")
    assert [s(0), s(5), s(10), s(20)] == pytest.approx([0.1, 0.55, 1.0, 0.1])
    assert [kind for kind, *_ in spans(s, 2)] == ["rise", "decay"]
    with pytest.raises(ValueError, match=r"cosine\(\): `floor` must be <= `peak`"):
        warmcos.cosine(peak=0.1, steps=10, floor=1.0)


def test_default_cosine_is_unchanged_by_the_options() -> None:
    plain = warmcos.cosine(peak=0.3, steps=100, floor=0.03, warmup=10, warmup_start=0.01)
    spelled = warmcos.cosine(
        peak=0.3, steps=100, floor=0.03, warmup=10, warmup_start=0.01, exponent=1, k_decay=1
    )
    steps = np.linspace(0, 150, 3001)
    assert np.array_equal(plain(steps), spelled(steps))
    assert repr(plain) == "cosine(peak=0.3, steps=100, floor=0.03, warmup=10, warmup_start=0.01)"
    assert plain.to_dict()["after_end"] == "hold"


# -- warm-ups, by hand -------------------------------------------------------------------------


def test_warmup_in_front_is_a_cosine_with_warmup_to_the_bit() -> None:
    s = Warmup(warmcos.cosine(peak=1.0, steps=8), steps=2)
    assert [s(t) for t in (0, 1, 2, 6, 10)] == [0.0, 0.5, 1.0, 0.5, 0.0]
    assert spans(s) == [
        ("warm-up", "linear", 0.0, 2.0, None),
        ("decay", "cosine", 2.0, 10.0, None),
        ("hold", "constant", 10.0, math.inf, None),
    ]
    assert s.natural_end == 10.0
    same = warmcos.cosine(peak=0.3, steps=100, floor=0.01, warmup=7, warmup_start=0.02)
    wrapped = Warmup(warmcos.cosine(peak=0.3, steps=93, floor=0.01), steps=7, start=0.02)
    steps = np.linspace(0, 120, 2401)
    assert np.array_equal(same(steps), wrapped(steps))
    assert [same(float(t)) for t in steps] == [wrapped(float(t)) for t in steps]


def test_warmup_over_the_schedule_is_timm_s_default() -> None:
    # The warm-up replaces the cosine's first 2 steps; at step 2 the cosine is at
    # (1 + cos(pi / 5)) / 2 = 0.9045084971874737. timm warms up to the base LR (end=1.0);
    # by default the warm-up ends where the schedule takes over (continuous).
    cosine = warmcos.cosine(peak=1.0, steps=10)
    timm = Warmup(cosine, 2, end=1.0, prefix=False)
    assert [timm(0), timm(1), timm(2)] == pytest.approx([0.0, 0.5, 0.9045084971874737])
    assert spans(timm) == [
        ("warm-up", "linear", 0.0, 2.0, None),
        ("decay", "cosine", 2.0, 10.0, None),
        ("hold", "constant", 10.0, math.inf, None),
    ]
    continuous = Warmup(cosine, 2, prefix=False)
    assert continuous(1) == pytest.approx(0.9045084971874737 / 2)
    assert continuous.target == cosine(2)


def test_warmup_shapes() -> None:
    flat = warmcos.constant(1.0)
    # (1 - cos(pi q)) / 2: q = 1/4: (1 - sqrt(2) / 2) / 2 = 0.14644660940672624; q = 1/2: 0.5.
    cosine = Warmup(flat, 4, shape="cosine")
    assert [cosine(1), cosine(2), cosine(4)] == pytest.approx([0.14644660940672624, 0.5, 1.0])
    # transformers' "1-sqrt": 1 - sqrt(1 - q): q = 3/4: 0.5; q = 1/4: 0.1339745962155614.
    sqrt = Warmup(flat, 4, shape="sqrt")
    assert [sqrt(1), sqrt(3)] == pytest.approx([0.1339745962155614, 0.5])
    # 0.01 * 100 ** q: q = 1/2: 0.1; q = 1/4: 0.01 * 100 ** 0.25 = 0.0316227766016838.
    geometric = Warmup(flat, 4, start=0.01, shape="exponential")
    assert [geometric(1), geometric(2)] == pytest.approx([0.0316227766016838, 0.1])
    assert [g.shape for g in islice(sqrt.segments(), 2)] == ["sqrt", "constant"]


def test_warmup_keeps_the_schedule_s_own_tags() -> None:
    restarts = Warmup(warmcos.cosine_restarts(peak=1.0, first_cycle=10), 5)
    assert [(k, a, b, c) for k, _, a, b, c in spans(restarts, 3)] == [
        ("warm-up", 0.0, 5.0, None),
        ("decay", 5.0, 15.0, 0),
        ("decay", 15.0, 25.0, 1),
    ]
    assert restarts.natural_end is None
    joined = Warmup(warmcos.parse("join([constant(1.0), constant(0.5)], [3])"), 2)
    assert [(g.start, g.piece) for g in joined.segments()] == [(0.0, None), (2.0, 0), (5.0, 1)]
    assert joined.nesting == 3 and joined.schedule_count == 4


def test_wsd_warmup_shapes_are_transformers_warmup_types() -> None:
    # warm-up 0 -> 1 over 4 steps: "sqrt": 1 - sqrt(1 - q); "cosine": (1 - cos(pi q)) / 2.
    s = warmcos.wsd(peak=1.0, steps=8, warmup=4, decay=2, warmup_shape="sqrt")
    assert [s(1), s(3), s(4), s(7)] == pytest.approx([0.1339745962155614, 0.5, 1.0, 0.5])
    assert [g.shape for g in s.segments()] == ["sqrt", "constant", "linear", "constant"]
    c = warmcos.wsd(peak=1.0, steps=8, warmup=4, decay=2, warmup_shape="cosine")
    assert c(2) == pytest.approx(0.5)
    linear = warmcos.wsd(peak=1.0, steps=8, warmup=4, decay=2)
    assert repr(linear) == "wsd(peak=1.0, steps=8, warmup=4, decay=2)"


# -- tanh, by hand -----------------------------------------------------------------------------


def test_tanh_decay_by_hand() -> None:
    # x = -7 (1 - p) + 3 p: p = 0.7 gives x = 0, tanh 0, value 0.5; p = 0: (1 - tanh(-7)) / 2.
    s = Tanh(peak=1.0, steps=10)
    assert s(0) == pytest.approx((1 - math.tanh(-7)) / 2, abs=1e-15)
    assert s(7) == pytest.approx(0.5, abs=1e-15)
    assert s(9.5) == pytest.approx((1 - math.tanh(-7 * 0.05 + 3 * 0.95)) / 2, abs=1e-15)
    assert s(10) == 0.0  # the floor from `steps` on, as timm's
    assert spans(s) == [
        ("decay", "tanh", 0.0, 10.0, None),
        ("hold", "constant", 10.0, math.inf, None),
    ]
    wide = Tanh(peak=2.0, steps=4, floor=1.0, lower=-1e308, upper=1e308)
    assert 1.0 <= wide(1) <= 2.0  # no overflow however wide the argument


# -- arguments ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: OneCycle(1.0, 10, pct_start=1.1), ValueError, r"`pct_start` must be <= 1\."),
        (
            lambda: OneCycle(1.0, 10, pct_start=0.6, three_phase=True),
            ValueError,
            r"`pct_start` must be <= 0.5 with three_phase=True",
        ),
        (lambda: OneCycle(1.0, 10, anneal="CATS"), ValueError, r"`anneal` must be one of"),
        (lambda: OneCycle(1.0, 0.5), ValueError, r"`steps` must be >= 1"),
        (
            lambda: OneCycle(1.0, 10, div_factor=10.0, start=0.5),
            ValueError,
            r"`div_factor` must be left out when `start` is given",
        ),
        (lambda: OneCycle(1.0, 10, three_phase=1), TypeError, r"`three_phase` must be True"),
        (lambda: Cyclic(1.0, 0.5, 4), ValueError, r"cyclic\(\): `low` must be <= `high`"),
        (
            lambda: Cyclic(0.1, 1.0, 4, gamma=0.9),
            ValueError,
            r'`gamma` must be 1 unless mode="exp_range"',
        ),
        (lambda: Cyclic(0.1, 1.0, 0), ValueError, r"`step_size_up` must be > 0"),
        (lambda: Cyclic(0.1, 1.0, 4, mode="CATS"), ValueError, r"`mode` must be one of"),
        (lambda: Cyclic(0.1, 1.0, 2.0**62, 1), ValueError, r"`step_size_down` must not be"),
        (lambda: Cyclic(0.1, 1.0, 4, inverse=1), TypeError, r"`inverse` must be True"),
        (
            lambda: warmcos.cosine(1.0, 10, k_decay=2.0, waves=1.0),
            ValueError,
            r"`k_decay` must be 1 unless waves=0.5",
        ),
        (lambda: warmcos.cosine(1.0, 10, exponent=0), ValueError, r"`exponent` must be > 0"),
        (lambda: warmcos.cosine(1.0, 10, after_end="loop"), ValueError, r"`after_end` must be"),
        (lambda: warmcos.cosine(1.0, 10, waves=1e-320), ValueError, r"`waves` must be at most"),
        (lambda: warmcos.cosine(1.0, 1e-300, k_decay=3.0), ValueError, r"`k_decay` must keep"),
        (lambda: warmcos.wsd(1.0, 5e-324, 0, 0.5), ValueError, r"`decay` must resolve to more"),
        (lambda: Warmup("cosine(peak=1.0, steps=10)", 2), TypeError, r"`schedule` must be"),
        (
            lambda: Warmup(warmcos.constant(1.0), 2, shape="exponential"),
            ValueError,
            r"warmup\(\): `start` must be > 0",
        ),
        (lambda: Warmup(warmcos.constant(1.0), 2, prefix="no"), TypeError, r"`prefix` must be"),
        (lambda: Warmup(warmcos.constant(1.0), 0), ValueError, r"`steps` must be > 0"),
        (lambda: Tanh(1.0, 10, lower=3.0, upper=3.0), ValueError, r"`lower` must be < `upper`"),
        (lambda: Tanh(1.0, 10, floor=2.0), ValueError, r"`floor` must be <= `peak`"),
        (
            lambda: warmcos.wsd(1.0, 10, 2, 2, warmup_shape="1-sqrt"),
            ValueError,
            r"`warmup_shape` must be one of \['linear', 'cosine', 'sqrt'\]",
        ),
    ],
)
def test_bad_arguments_are_refused_with_the_template(make: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message) as caught:
        make()
    if error is ValueError:
        assert "Received: " in str(caught.value)


EXAMPLES = [
    OneCycle(0.1, 1000),
    OneCycle(25.0, 10, pct_start=0.4, final_div_factor=4.0, anneal="linear", three_phase=True),
    OneCycle(0.85, 1000, start=0.95, end=0.95),
    Cyclic(0.001, 0.1, 2000),
    Cyclic(0.8, 0.9, 100, 300, mode="exp_range", gamma=0.999, inverse=True),
    Cyclic(0.1, 1.0, 2.5, mode="triangular2"),
    Tanh(0.1, 1000, floor=0.001, lower=-6.0, upper=4.0),
    warmcos.cosine(1.0, 100, warmup=10, exponent=2.0),
    warmcos.cosine(1.0, 100, k_decay=0.5),
    warmcos.cosine(1.0, 100, warmup=0.1, waves=2.5),
    warmcos.cosine(0.1, 100, floor=1.0, after_end="periodic"),
    warmcos.wsd(1.0, 100, 10, 20, shape="sqrt", warmup_shape="cosine"),
    Warmup(warmcos.cosine(1.0, 90), 10, start=0.1, shape="sqrt"),
    Warmup(Cyclic(0.1, 1.0, 5), 3, end=0.5, prefix=False),
    Warmup(Warmup(Tanh(1.0, 50), 5, 0.1, shape="cosine"), 2, start=0.01, shape="exponential"),
]


@pytest.mark.parametrize("schedule", EXAMPLES, ids=repr)
def test_prints_parses_and_round_trips(schedule: warmcos.Schedule) -> None:
    assert warmcos.parse(repr(schedule)) == schedule
    data = json.loads(json.dumps(schedule.to_dict()))
    assert warmcos.from_dict(data) == schedule
    assert pickle.loads(pickle.dumps(schedule)) == schedule
    steps = np.linspace(0, 2500, 501)
    assert np.array_equal(warmcos.from_dict(data)(steps), schedule(steps))


@pytest.mark.parametrize("schedule", EXAMPLES, ids=repr)
def test_giant_steps_give_values_within_range_at_once(schedule: warmcos.Schedule) -> None:
    low, high = value_range(schedule)
    giant = [10**10, 10**15, 2**53 + 1, 1e18, 1e300]
    for t in giant:
        segment = schedule.segment_at(t)  # located directly, not walked to
        assert segment.start <= t < segment.end
        assert low <= schedule(t) == segment(t) <= high
    values = schedule(np.array(giant, dtype=np.float64))
    assert np.all((values >= low) & (values <= high))


# -- properties ---------------------------------------------------------------------------------

Spec = tuple[str, dict[str, Any]]

span_lengths = st.one_of(st.integers(1, 10**4), st.floats(0.25, 1e4))


@st.composite
def one_cycle_specs(draw: st.DrawFn) -> Spec:
    three = draw(st.booleans())
    kwargs: dict[str, Any] = {
        "peak": draw(lr_values),
        "steps": draw(st.one_of(st.integers(1, 10**5), st.floats(1.0, 1e5))),
        "pct_start": draw(st.floats(0.0, 0.5 if three else 1.0)),
        "anneal": draw(st.sampled_from(["cos", "linear"])),
        "three_phase": three,
    }
    if draw(st.booleans()):
        kwargs["div_factor"] = draw(st.floats(0.5, 1e3))
        kwargs["final_div_factor"] = draw(st.floats(0.5, 1e5))
    else:
        kwargs["start"], kwargs["end"] = draw(lr_values), draw(lr_values)
    return "one_cycle", kwargs


@st.composite
def cyclic_specs(draw: st.DrawFn) -> Spec:
    high, low = draw(peak_and_floor())
    mode = draw(st.sampled_from(["triangular", "triangular2", "exp_range"]))
    return "cyclic", {
        "low": low,
        "high": high,
        "step_size_up": draw(span_lengths),
        "step_size_down": draw(st.one_of(st.none(), span_lengths)),
        "mode": mode,
        "gamma": draw(st.floats(0.9, 1.0)) if mode == "exp_range" else 1.0,
        "inverse": draw(st.booleans()),
    }


@st.composite
def cosine_option_specs(draw: st.DrawFn) -> Spec:
    steps = draw(st.one_of(st.integers(1, 10**5), st.floats(1.0, 1e5)))
    after_end = draw(st.sampled_from(["hold", "periodic"]))
    peak, floor = draw(peak_and_floor())
    if after_end == "periodic" and draw(st.booleans()):
        peak, floor = floor, peak  # a rising wave
    waves = draw(st.one_of(st.just(0.5), st.floats(0.1, 10.0)))
    warped = waves == 0.5 and after_end == "hold"
    kwargs = {
        "peak": peak,
        "steps": steps,
        "floor": floor,
        "warmup": draw(length_below(steps)),
        "warmup_start": draw(lr_values),
        "exponent": draw(st.one_of(st.just(1.0), st.floats(0.1, 5.0))),
        "k_decay": draw(st.one_of(st.just(1.0), st.floats(0.2, 3.0))) if warped else 1.0,
        "waves": waves,
        "after_end": after_end,
    }
    return "cosine", kwargs


@st.composite
def tanh_specs(draw: st.DrawFn) -> Spec:
    peak, floor = draw(peak_and_floor())
    lower = draw(st.floats(-10.0, 5.0))
    return "tanh", {
        "peak": peak,
        "steps": draw(span_lengths),
        "floor": floor,
        "lower": lower,
        "upper": lower + draw(st.floats(0.1, 10.0)),
    }


@st.composite
def wsd_shape_specs(draw: st.DrawFn) -> Spec:
    name, kwargs = draw(wsd_specs())
    return name, {**kwargs, "warmup_shape": draw(st.sampled_from(["linear", "cosine", "sqrt"]))}


leaf_specs = st.one_of(
    one_cycle_specs(), cyclic_specs(), cosine_option_specs(), tanh_specs(), wsd_shape_specs()
)


@st.composite
def warmup_specs(draw: st.DrawFn) -> Spec:
    return "warmup", {
        "schedule": draw(leaf_specs),
        "steps": draw(span_lengths),
        "start": draw(lr_values),
        "end": draw(st.one_of(st.none(), lr_values)),
        "shape": draw(st.sampled_from(["linear", "cosine", "sqrt", "exponential"])),
        "prefix": draw(st.booleans()),
    }


all_specs = st.one_of(leaf_specs, warmup_specs())
FACTORIES = {"one_cycle": OneCycle, "cyclic": Cyclic, "tanh": Tanh, "warmup": Warmup}


def build(spec: Spec) -> warmcos.Schedule:
    name, kwargs = spec
    if name == "warmup":
        kwargs = {**kwargs, "schedule": build(kwargs["schedule"])}
        schedule = kwargs["schedule"]
        target = kwargs["end"]
        if target is None:
            target = schedule(0.0 if kwargs["prefix"] else float(kwargs["steps"]))
        if kwargs["shape"] == "exponential":
            assume(kwargs["start"] > 0 and target > 0)
    factory = FACTORIES.get(name) or getattr(warmcos, name)
    return factory(**kwargs)  # type: ignore[no-any-return]


def uses_power(schedule: warmcos.Schedule) -> bool:
    """Whether a curve raises to a power of the step, where NumPy's ``power`` may differ from
    libm's (Python's) by one unit in the last place."""
    text = repr(schedule)
    return any(word in text for word in ("exponent=", "k_decay=", "exp_range", "tanh(", "expon"))


def value_range(schedule: warmcos.Schedule) -> tuple[float, float]:
    """The smallest and largest value the schedule may take, from its arguments."""
    if isinstance(schedule, OneCycle):
        values = [schedule.start_value, float(schedule.peak), schedule.end_value]
    elif isinstance(schedule, Cyclic):
        values = [float(schedule.low), float(schedule.high)]
    elif isinstance(schedule, Tanh):
        values = [float(schedule.floor), float(schedule.peak)]
    elif isinstance(schedule, Warmup):
        low, high = value_range(schedule.schedule)
        values = [low, high, float(schedule.start), schedule.target]
    else:
        values = [float(getattr(schedule, name)) for name in ("peak", "floor", "warmup_start")]
    return min(values), max(values)


def slack(schedule: warmcos.Schedule, t: float) -> float:
    """How far a value may stray past a stated segment end value, by rounding, near step `t`.

    1e-12 of the values' scale; for a cyclic schedule, also PyTorch's position
    ``1 + t / total - cycle``, which carries the rounding of ``t / total`` (a few units of it),
    divided by the shorter half's share of the cycle.
    """
    allowed = 1e-12 * max(1.0, value_range(schedule)[1])
    inner = schedule.schedule if isinstance(schedule, Warmup) else schedule
    if isinstance(inner, Cyclic):
        total = inner.cycle_length
        ratio = float(inner.step_size_up) / total
        position = 4 * math.ulp(max(1.0, t / total))
        allowed += position * (float(inner.high) - float(inner.low)) / min(ratio, 1 - ratio)
    return allowed


def _listed(schedule: warmcos.Schedule, limit: int = 40) -> list[warmcos.Segment]:
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
        assert segment.low <= segment.high
        if math.isfinite(segment.end) and segment.curve.monotone():
            near = schedule(math.nextafter(segment.end, 0))
            if near >= segment.start:
                allowed = slack(schedule, segment.end)
                assert segment.low - allowed <= near <= segment.high + allowed
    if schedule.natural_end is None:
        assert all(math.isfinite(segment.end) for segment in listed)


@properties
@given(all_specs, st.lists(st.floats(0, 1e7), min_size=1, max_size=8))
def test_the_segment_at_a_step_gives_the_schedules_value(spec: Spec, steps: list[float]) -> None:
    schedule = build(spec)
    low, high = value_range(schedule)
    for t in steps:
        segment = schedule.segment_at(t)
        assert segment.start <= t < segment.end
        assert segment(t) == schedule(t)
        assert low <= schedule(t) <= high
        if segment.curve.monotone():
            assert segment.low - slack(schedule, t) <= schedule(t)
            assert schedule(t) <= segment.high + slack(schedule, t)


@properties
@given(all_specs, st.floats(0, 1e6))
def test_the_value_never_changes_after_the_natural_end(spec: Spec, extra: float) -> None:
    schedule = build(spec)
    end = schedule.natural_end
    if end is None:
        return
    held = schedule(end)
    assert schedule(end + extra) == held
    assert schedule(end * 2 + 1e9) == held
    assert schedule.segment_at(end).end == math.inf


@properties
@given(all_specs, st.integers(1, 2000), st.floats(0, 1e4), st.floats(1e-3, 50.0))
def test_numpy_on_sorted_and_shuffled_steps_equals_the_scalar_path(
    spec: Spec, count: int, first: float, spacing: float
) -> None:
    schedule = build(spec)
    steps = first + spacing * np.arange(count, dtype=np.float64)
    scalar = np.array([schedule(float(t)) for t in steps])
    shuffled = np.random.default_rng(count).permutation(count)
    sorted_values, shuffled_values = schedule(steps), schedule(steps[shuffled])
    if uses_power(schedule):
        # NumPy's power differs from libm's by one unit in the last place at some arguments;
        # a value near one end of a wide range turns that into a few units of the range.
        atol = 4e-15 * max(1e-300, value_range(schedule)[1])
        np.testing.assert_allclose(sorted_values, scalar, rtol=4e-15, atol=atol)
        np.testing.assert_allclose(shuffled_values, scalar[shuffled], rtol=4e-15, atol=atol)
    else:
        assert np.array_equal(sorted_values, scalar)
        assert np.array_equal(shuffled_values, scalar[shuffled])


@properties
@given(all_specs)
def test_random_configurations_print_parse_and_round_trip(spec: Spec) -> None:
    schedule = build(spec)
    assert warmcos.parse(repr(schedule)) == schedule
    assert warmcos.from_dict(json.loads(json.dumps(schedule.to_dict()))) == schedule


# -- loop-based references ----------------------------------------------------------------------


def reference_one_cycle(
    peak: float,
    steps: float,
    pct_start: float,
    start: float,
    end: float,
    linear: bool,
    three_phase: bool,
) -> Any:
    """PyTorch's phases as its documentation states them, walked in order for each step."""
    if three_phase:
        phases = [
            (float(pct_start * steps) - 1, start, peak),
            (float(2 * pct_start * steps) - 2, peak, start),
            (steps - 1.0, start, end),
        ]
    else:
        phases = [(float(pct_start * steps) - 1, start, peak), (steps - 1.0, peak, end)]

    def f(t: float) -> float:
        if t > steps - 1:
            return end
        previous = 0.0
        for number, (finish, a, b) in enumerate(phases):
            if t <= finish or number == len(phases) - 1:
                pct = (t - previous) / (finish - previous)
                if linear:
                    return a + (b - a) * pct
                return b + (a - b) * (1 + math.cos(math.pi * pct)) / 2
            previous = finish
        raise AssertionError

    return f


def reference_cyclic(
    low: float, high: float, up: float, down: float, mode: str, gamma: float, inverse: bool
) -> Any:
    """Walk the cycles one at a time, then interpolate within the cycle."""

    def f(t: float) -> float:
        cycle = 0
        while (cycle + 1) * (up + down) <= t:  # a product per cycle: no sum of roundings
            cycle += 1
        inside = t - cycle * (up + down)
        fraction = inside / up if inside <= up else 1 - (inside - up) / down
        scale = {"triangular": 1.0, "triangular2": 0.5**cycle, "exp_range": gamma**t}[mode]
        height = (high - low) * fraction * scale
        return high - height if inverse else low + height

    return f


@settings(properties, max_examples=100)
@given(one_cycle_specs(), st.lists(st.integers(0, 2 * 10**5), min_size=1, max_size=20))
def test_one_cycle_matches_the_loop_reference(spec: Spec, steps: list[int]) -> None:
    schedule = build(spec)
    assert isinstance(schedule, OneCycle)
    assume(float(schedule.pct_start * schedule.steps) != 1)  # PyTorch divides by zero there
    ref = reference_one_cycle(
        float(schedule.peak),
        float(schedule.steps),
        float(schedule.pct_start),
        schedule.start_value,
        schedule.end_value,
        schedule.anneal == "linear",
        schedule.three_phase,
    )
    scale = max(1.0, *value_range(schedule))
    for t in [0, *steps]:
        assert schedule(t) == pytest.approx(ref(float(t)), abs=1e-12 * scale)


@settings(properties, max_examples=100)
@given(cyclic_specs(), st.lists(st.integers(0, 2000), min_size=1, max_size=20))
def test_cyclic_matches_the_loop_reference(spec: Spec, steps: list[int]) -> None:
    schedule = build(spec)
    assert isinstance(schedule, Cyclic)
    ref = reference_cyclic(
        float(schedule.low),
        float(schedule.high),
        float(schedule.step_size_up),
        schedule.down_steps,
        schedule.mode,
        float(schedule.gamma),
        schedule.inverse,
    )
    for t in [0, *steps]:
        assert schedule(t) == pytest.approx(ref(float(t)), abs=slack(schedule, t))


# -- backends -----------------------------------------------------------------------------------

BACKEND_STEPS = np.concatenate([np.arange(0, 3001, 3.0), [0.5, 7.25, 1e5 + 0.5, 2.0**31 - 1]])
FAR = BACKEND_STEPS > 1e4
"""Far steps: XLA (JAX, TensorFlow) divides float64 by a constant to within one unit in the
last place, not correctly rounded; PyTorch's cyclic position ``1 + t / total - cycle`` (kept
for bitwise parity with PyTorch) is a difference of large numbers there, so those steps are
compared to float32 precision on the graph backends."""


def _assert_close(
    got: Any, want: np.ndarray, rtol: float, atol: float, what: str, far_rtol: float = 0.0
) -> None:
    got = np.asarray(got, dtype=np.float64)
    allowed = np.where(FAR, np.maximum(rtol, far_rtol), rtol) * np.abs(want) + atol
    excess = np.abs(got - want) - allowed
    worst = int(np.argmax(excess))
    where = f"{what}: step {BACKEND_STEPS[worst]}"
    assert excess[worst] <= 0, f"{where}: {got[worst]!r} vs {want[worst]!r}"


@pytest.mark.parametrize("schedule", EXAMPLES, ids=repr)
def test_torch_tensors_give_the_core_values(schedule: warmcos.Schedule) -> None:
    torch = pytest.importorskip("torch")
    want = np.array([schedule(float(t)) for t in BACKEND_STEPS])
    got = schedule(torch.tensor(BACKEND_STEPS, dtype=torch.float64))
    assert got.dtype == torch.float64
    _assert_close(got.numpy(), want, 1e-12, 1e-300, "torch")
    ints = schedule(torch.arange(0, 300))
    assert np.allclose(ints.numpy(), [schedule(t) for t in range(300)], rtol=1e-12, atol=0)


@pytest.mark.parametrize("schedule", EXAMPLES, ids=repr)
def test_optax_under_jit_gives_the_core_values(schedule: warmcos.Schedule) -> None:
    jax = pytest.importorskip("jax")
    pytest.importorskip("optax")
    import jax.numpy as jnp

    from warmcos.optax import schedule as optax_schedule

    want = np.array([schedule(float(t)) for t in BACKEND_STEPS])
    lr = jax.jit(optax_schedule(schedule, dtype=jnp.float64))
    with jax.enable_x64(True):
        got = np.asarray(lr(jnp.asarray(BACKEND_STEPS, dtype=jnp.float64)))
    _assert_close(got, want, 1e-12, 1e-300, "optax", far_rtol=1e-6)
    assert float(jax.jit(optax_schedule(schedule))(5)) == pytest.approx(schedule(5), rel=1e-6)


KERAS_SCRIPT = """
    import json, sys

    import keras
    import tensorflow as tf

    import warmcos
    from warmcos._core import cyclic, onecycle, tanh, warmup  # registers their spec names
    from warmcos.keras import LearningRateSchedule

    assert keras.backend.backend() == "tensorflow"
    specs, steps = json.loads(sys.stdin.read())
    out = {}
    for spec in specs:
        lr = LearningRateSchedule(spec)
        traced = tf.function(lambda s, lr=lr: lr(s))
        out[spec] = {
            "eager": lr(tf.constant(steps, dtype=tf.float64)).numpy().tolist(),
            "traced": traced(tf.constant(steps, dtype=tf.float64)).numpy().tolist(),
            "traced_int": traced(tf.constant([int(s) for s in steps], dtype=tf.int64))
            .numpy()
            .tolist(),
        }
    print("RESULT " + json.dumps(out))
"""


@pytest.fixture(scope="module")
def keras_values() -> dict[str, Any]:
    pytest.importorskip("tensorflow")
    payload = [[repr(s) for s in EXAMPLES], BACKEND_STEPS.tolist()]
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KERAS_SCRIPT)],
        input=json.dumps(payload),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-4000:]
    result: dict[str, Any] = json.loads(lines[-1][len("RESULT ") :])
    return result


@pytest.mark.slow
@pytest.mark.parametrize("schedule", EXAMPLES, ids=repr)
def test_keras_tensorflow_gives_the_core_values_in_float32(
    keras_values: dict[str, Any], schedule: warmcos.Schedule
) -> None:
    got = keras_values[repr(schedule)]
    want = np.array([schedule(float(t)) for t in BACKEND_STEPS])
    whole = np.array([schedule(float(int(t))) for t in BACKEND_STEPS])
    # float32 results of a float64 formula: within float32 rounding of the core's value.
    _assert_close(got["eager"], want, 1e-6, 1e-12, "keras eager")
    _assert_close(got["traced"], want, 1e-6, 1e-12, "keras tf.function")
    _assert_close(got["traced_int"], whole, 1e-6, 1e-12, "keras tf.function, int64 steps")
