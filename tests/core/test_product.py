"""Arithmetic on schedules: `c * s`, `s * c` and `a * b` (PyTorch's ChainedScheduler)."""

from __future__ import annotations

import math
from itertools import islice, pairwise

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import warmcos
from strategies import all_specs, build

properties = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_a_number_scales_a_schedule_on_either_side() -> None:
    s = warmcos.cosine(peak=1.0, steps=100)
    assert (0.5 * s)(50) == 0.25 and (s * 0.5)(50) == 0.25
    assert 0.5 * s == s * 0.5 == warmcos.Scaled(0.5, s)
    assert repr(0.5 * s) == "0.5 * cosine(peak=1.0, steps=100)"
    assert (0.5 * s).natural_end == 100 and (0 * s).natural_end == 0


def test_the_product_of_schedules_by_hand() -> None:
    # step halves at 10 and 20; the line falls from 1 to 0 over 40 steps.
    s = warmcos.step(1.0, step_size=10, gamma=0.5) * warmcos.linear(1.0, 0.0, 40)
    assert [s(t) for t in (0, 5, 10, 30, 40, 99)] == [1.0, 0.875, 0.375, 0.03125, 0.0, 0.0]
    listed = list(islice(s.segments(), 6))
    assert [(g.kind, g.start, g.end) for g in listed] == [
        ("decay", 0, 10),
        ("decay", 10, 20),
        ("decay", 20, 30),
        ("decay", 30, 40),
        ("level", 40, 50),  # 0 times the step's levels, which go on changing
        ("level", 50, 60),
    ]
    assert s.natural_end is None  # the step decay never settles


def test_products_print_parse_and_round_trip() -> None:
    s = 0.1 * warmcos.step(1.0, 10, 0.5) * warmcos.exponential(1.0, 0.9)
    assert repr(s) == (
        "0.1 * step(value=1.0, step_size=10, gamma=0.5) * exponential(value=1.0, gamma=0.9)"
    )
    assert warmcos.parse(repr(s)) == s
    assert warmcos.parse("0.1 * step(1.0, 10, 0.5) * exponential(1.0, 0.9)") == s
    assert warmcos.from_dict(s.to_dict()) == s
    assert s.to_dict()["type"] == "scaled" and s.to_dict()["schedule"]["type"] == "product"
    nested = 2 * (0.5 * warmcos.constant(1.0))
    assert repr(nested) == "2 * (0.5 * constant(value=1.0))"
    assert warmcos.parse(repr(nested)) == nested


@pytest.mark.parametrize(
    "text",
    ["2 * 3", "cosine(1.0, 10) * 'x'", "cosine(1.0, 10) * None", "cosine(1.0, 10) * -1"],
)
def test_products_of_anything_else_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        warmcos.parse(text)


def test_multiplying_by_something_else_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="multiplied by a number or by another schedule"):
        warmcos.constant(1.0) * "x"  # type: ignore[operator]
    with pytest.raises(ValueError, match="`factor` must be >= 0"):
        -1.0 * warmcos.constant(1.0)


@pytest.mark.parametrize(
    ("pieces", "ours"),
    [
        # ChainedScheduler multiplies each scheduler's factor into the LR.
        (
            lambda o: [
                torch_lr.StepLR(o, step_size=3, gamma=0.5),
                torch_lr.ExponentialLR(o, gamma=0.9),
            ],
            0.05 * warmcos.step(1.0, 3, 0.5) * warmcos.exponential(1.0, 0.9),
        ),
        (
            lambda o: [
                torch_lr.MultiStepLR(o, milestones=[2, 5], gamma=0.1),
                torch_lr.ExponentialLR(o, gamma=0.8),
            ],
            0.05 * warmcos.multistep(1.0, [2, 5], 0.1) * warmcos.exponential(1.0, 0.8),
        ),
    ],
    ids=["step-exp", "multistep-exp"],
)
def test_chained_scheduler_parity(pieces: object, ours: warmcos.Schedule) -> None:
    torch = pytest.importorskip("torch")
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.05)
    chained = torch_lr.ChainedScheduler(pieces(optimizer))  # type: ignore[operator]
    for step in range(12):
        assert optimizer.param_groups[0]["lr"] == pytest.approx(ours(step), rel=1e-12)
        optimizer.step()
        chained.step()


try:
    from torch.optim import lr_scheduler as torch_lr
except ImportError:  # pragma: no cover - torch is a test dependency
    torch_lr = None  # type: ignore[assignment]


# -- properties ------------------------------------------------------------------------------


@st.composite
def products(draw: st.DrawFn) -> warmcos.Schedule:
    factors = [build(draw(all_specs)) for _ in range(draw(st.integers(2, 3)))]
    product = factors[0]
    for factor in factors[1:]:
        product = product * factor
    if draw(st.booleans()):
        product = draw(st.floats(0.0, 3.0)) * product
    return product


@properties
@given(products(), st.lists(st.floats(0, 1e6), min_size=1, max_size=6))
def test_a_product_is_the_product_of_its_factors_and_describes_itself(
    product: warmcos.Schedule, steps: list[float]
) -> None:
    scale, inner = (
        (product.factor, product.schedule)
        if isinstance(product, warmcos.Scaled)
        else (1.0, product)
    )
    assert isinstance(inner, warmcos.Product)
    for t in steps:
        expected = math.prod(s(t) for s in inner.schedules)
        assert product(t) == pytest.approx(scale * expected, rel=1e-15, abs=1e-300)
        segment = product.segment_at(t)
        assert segment.start <= t < segment.end and segment(t) == product(t)
    listed = list(islice(product.segments(), 40))
    assert listed[0].start == 0
    for before, after in pairwise(listed):
        assert before.end == after.start
    for segment in listed:
        assert product(segment.start) == segment.first


@properties
@given(products())
def test_products_round_trip_and_numpy_agrees(product: warmcos.Schedule) -> None:
    assert warmcos.from_dict(product.to_dict()) == product
    assert warmcos.parse(repr(product)) == product
    grid = np.linspace(0, 2e4, 301)
    scalar = np.array([product(float(t)) for t in grid])
    # Exact but for NumPy's SIMD power, one unit in the last place off libm's (gamma ** t).
    np.testing.assert_allclose(product(grid), scalar, rtol=1e-15, atol=1e-300)
