"""timm's LR noise as a pure function of the step: range, bounds, distribution, description.

timm draws from torch's generator; warmcos hashes the step instead, so the checks here are the
properties timm's noise has (its range, its bound, its distribution's moments) and the ones it
lacks (the same number on every backend, hence exact resume).
"""

from __future__ import annotations

import math
import statistics
from itertools import islice, pairwise

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import warmcos
from warmcos._core.noise import normal_quantile, uniform
from warmcos._core.ops import NUMPY, SCALAR

properties = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
STEPS = np.arange(0, 200_000, dtype=np.float64)


def test_the_range_and_the_whole_step() -> None:
    base = warmcos.cosine(peak=1.0, steps=100)
    s = warmcos.noisy(base, start=10, end=20, pct=0.1, seed=3)
    assert [s(t) for t in (0, 9.99, 20, 50)] == [base(t) for t in (0, 9.99, 20, 50)]
    inside = [s(t) / base(t) - 1 for t in range(10, 20)]
    assert all(-0.1 < n < 0.1 for n in inside) and len(set(inside)) == 10
    # One draw per whole step: the factor is the same across a step.
    assert s(12.75) / base(12.75) == pytest.approx(s(12) / base(12), rel=1e-15)
    open_ended = warmcos.noisy(base, start=10)
    assert open_ended(10**9) == 0.0 and open_ended.natural_end is None


def test_uniform_noise_moments_and_independence() -> None:
    s = warmcos.noisy(warmcos.constant(1.0), pct=0.5, distribution="uniform")
    n = s(STEPS) - 1
    assert abs(n.mean()) < 0.005 and n.min() > -0.5 and n.max() < 0.5
    assert n.std() == pytest.approx(0.5 / math.sqrt(3), rel=0.01)
    assert abs(np.corrcoef(n[:-1], n[1:])[0, 1]) < 0.01
    counts, _ = np.histogram(n, bins=10, range=(-0.5, 0.5))
    assert counts.min() > 0.95 * len(n) / 10  # flat


@pytest.mark.parametrize(("pct", "std"), [(0.67, 1.0), (0.2, 0.05), (0.9, 0.3), (0.5, 2.0)])
def test_normal_noise_is_the_truncated_normal(pct: float, std: float) -> None:
    s = warmcos.noisy(warmcos.constant(1.0), pct=pct, std=std, seed=11)
    n = s(STEPS) - 1
    # Truncated to (-a, a) in units of std: variance std^2 (1 - 2 a phi(a) / (2 Phi(a) - 1)).
    a, normal = pct / std, statistics.NormalDist()
    variance = std**2 * (1 - 2 * a * normal.pdf(a) / (2 * normal.cdf(a) - 1))
    assert n.std() == pytest.approx(math.sqrt(variance), rel=0.01)
    assert abs(n.mean()) < 0.01 * pct and np.abs(n).max() <= pct
    assert abs(np.corrcoef(n[:-1], n[1:])[0, 1]) < 0.01


def test_seeds_give_other_noise() -> None:
    draws = [warmcos.noisy(warmcos.constant(1.0), seed=seed)(STEPS[:1000]) for seed in (0, 1, 42)]
    for a, b in pairwise(draws):
        assert abs(np.corrcoef(a, b)[0, 1]) < 0.1


def test_the_hash_is_exact_integer_arithmetic_on_every_backend() -> None:
    offsets = (5.0, 7.0, 11.0, 13.0)
    keys = np.array([0, 1, 2, 12345, 2**31 - 2, 2**31, 2**40 + 7, 2**50], dtype=np.float64)
    on_numpy = uniform(NUMPY, keys, offsets)
    assert [uniform(SCALAR, float(k), offsets) for k in keys] == on_numpy.tolist()
    assert uniform(NUMPY, torch.tensor(keys).numpy(), offsets).tolist() == on_numpy.tolist()
    assert np.all((on_numpy > 0) & (on_numpy < 1))


def test_the_normal_quantile_is_within_its_approximation() -> None:
    p = np.concatenate([np.linspace(1e-9, 1 - 1e-9, 20001), [0.02425, 0.5, 0.97575]])
    reference = np.array([statistics.NormalDist().inv_cdf(x) for x in p])
    np.testing.assert_allclose(normal_quantile(NUMPY, p), reference, rtol=1.2e-8, atol=1e-9)
    assert [normal_quantile(SCALAR, float(x)) for x in p[:50]] == pytest.approx(
        normal_quantile(NUMPY, p[:50]).tolist(), rel=1e-14
    )


def test_scalar_numpy_and_torch_agree() -> None:
    s = warmcos.noisy(warmcos.cosine(peak=1.0, steps=1000, warmup=50), start=5, end=900)
    t = np.concatenate([np.arange(0, 1000, 0.5), [5, 899.99, 900]])
    scalar = np.array([s(float(x)) for x in t])
    np.testing.assert_allclose(s(t), scalar, rtol=1e-14, atol=0)
    np.testing.assert_allclose(s(torch.tensor(t)).numpy(), scalar, rtol=1e-14, atol=0)


def test_segments_split_at_the_range_and_say_noisy() -> None:
    s = warmcos.noisy(warmcos.cosine(peak=1.0, steps=100, warmup=10), start=5, end=50)
    listed = [(g.kind, g.shape, g.start, g.end) for g in s.segments()]
    assert listed == [
        ("warm-up", "linear", 0, 5),
        ("warm-up", "noisy", 5, 10),
        ("decay", "noisy", 10, 50),
        ("decay", "cosine", 50, 100),
        ("hold", "constant", 100, math.inf),
    ]
    assert s.natural_end == 100
    assert [(g.start, g.end) for g in s.segments(30, 60)] == [(10, 50), (50, 100)]


def test_prints_parses_round_trips_and_refuses_bad_arguments() -> None:
    s = warmcos.noisy(warmcos.constant(0.1), start=3, end=9, pct=0.2, seed=-5)
    assert repr(s) == "noisy(schedule=constant(value=0.1), start=3, end=9, pct=0.2, seed=-5)"
    assert warmcos.parse(repr(s)) == s and warmcos.from_dict(s.to_dict()) == s
    base = warmcos.constant(1.0)
    for arguments, message in (
        ({"pct": 1.0}, "`pct` must be in (0, 1)"),
        ({"pct": 0}, "`pct` must be in (0, 1)"),
        ({"std": 0}, "`std` must be > 0"),
        ({"start": 5, "end": 5}, "`start` must be < `end`"),
        ({"start": -1}, "`start`"),
        ({"seed": 1.5}, "`seed` must be an int"),
        ({"seed": 2**70}, "`seed` must be within"),
        ({"distribution": "gauss"}, "`distribution` must be one of"),
    ):
        with pytest.raises((ValueError, TypeError), match=r"^noisy\(\): ") as error:
            warmcos.noisy(base, **arguments)
        assert message in str(error.value)


@st.composite
def noisy_schedules(draw: st.DrawFn) -> warmcos.Noisy:
    base = warmcos.parse(
        draw(
            st.sampled_from(
                [
                    "cosine(peak=1.0, steps=100, warmup=10)",
                    "cosine_restarts(peak=0.5, first_cycle=30)",
                    "step(1.0, step_size=7, gamma=0.5)",
                    "constant(0.3)",
                ]
            )
        )
    )
    start = draw(st.one_of(st.integers(0, 200), st.floats(0, 200)))
    end = draw(st.one_of(st.none(), st.floats(start + 0.5, start + 500)))
    return warmcos.noisy(
        base,
        start=start,
        end=end,
        pct=draw(st.floats(0.01, 0.99)),
        std=draw(st.floats(0.05, 3.0)),
        seed=draw(st.integers(-(2**40), 2**40)),
        distribution=draw(st.sampled_from(["normal", "uniform"])),
    )


@properties
@given(noisy_schedules(), st.lists(st.floats(0, 1e4), min_size=1, max_size=10))
def test_segments_describe_the_values_and_the_bound_holds(
    schedule: warmcos.Noisy, steps: list[float]
) -> None:
    listed = list(islice(schedule.segments(), 40))
    assert listed[0].start == 0
    for before, after in pairwise(listed):
        assert before.end == after.start and before.start < before.end
    for segment in listed:
        assert schedule(segment.start) == segment.first
    pct = schedule.pct
    for t in steps:
        segment = schedule.segment_at(t)
        assert segment.start <= t < segment.end and segment(t) == schedule(t)
        base = schedule.schedule(t)
        assert base * (1 - pct) <= schedule(t) <= base * (1 + pct)
