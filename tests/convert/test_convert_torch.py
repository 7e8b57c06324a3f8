"""``warmcos.convert`` of PyTorch's LR schedulers, compared with the live schedulers.

Each class runs 50 random configurations from seeded NumPy generators (a failure names its
seed), with one or two param groups. The reference is the peer itself, run independently of
``convert``'s own check: a real ``torch.optim.SGD`` with a gradient, ``optimizer.step()`` then
``scheduler.step()``, the learning rate of every group read BEFORE each step, over the whole run
(restarts and ends included: a few cycles of the endless ones). Tolerance: 1e-12 absolute for
values up to 1, relative above (as the parity tests, tests/parity/test_torch_lr_scheduler.py).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch.optim import lr_scheduler as L  # noqa: N812

import warmcos

SEEDS = range(50)
Make = Callable[[Any], Any]


def _optimizer(lrs: list[float]) -> Any:
    groups = [
        {"params": [torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))], "lr": lr}
        for lr in lrs
    ]
    return torch.optim.SGD(groups, lr=lrs[0])


def _peer(optimizer: Any, scheduler: Any, n: int) -> np.ndarray:
    """The learning rate of each group for updates ``0 .. n - 1`` of a real run."""
    out = np.empty((len(optimizer.param_groups), n))
    for t in range(n):
        out[:, t] = [group["lr"] for group in optimizer.param_groups]
        for group in optimizer.param_groups:
            group["params"][0].grad = torch.ones(1, dtype=torch.float64)
        optimizer.step()
        scheduler.step()
    return out


def _assert_close(peer: np.ndarray, schedules: list[warmcos.Schedule], n: int) -> None:
    for group, schedule in enumerate(schedules):
        ours = np.array([schedule(t) for t in range(n)])
        theirs = peer[group]
        tolerance = 1e-12 * np.maximum(1.0, np.abs(theirs))
        worst = int(np.argmax(np.abs(theirs - ours) - tolerance))
        assert abs(theirs[worst] - ours[worst]) <= tolerance[worst], (
            f"group {group}, step {worst}: peer {theirs[worst]!r}, warmcos {ours[worst]!r} "
            f"({schedule!r})"
        )


def _lrs(rng: np.random.Generator) -> list[float]:
    return [float(rng.uniform(1e-4, 1.0)) for _ in range(int(rng.integers(1, 3)))]


# -- random configurations, one generator per class ------------------------------------------------


def _step_lr(rng: np.random.Generator) -> tuple[Make, int]:
    size, gamma = int(rng.integers(1, 40)), float(rng.uniform(0.05, 1.0))
    return lambda o: L.StepLR(o, step_size=size, gamma=gamma), 5 * size + 3


def _multistep_lr(rng: np.random.Generator) -> tuple[Make, int]:
    milestones = sorted(int(m) for m in rng.integers(1, 150, size=int(rng.integers(1, 6))))
    gamma = float(rng.uniform(0.05, 1.0))  # repeated milestones (drawn twice) count twice
    return lambda o: L.MultiStepLR(o, milestones=milestones, gamma=gamma), milestones[-1] + 10


def _constant_lr(rng: np.random.Generator) -> tuple[Make, int]:
    factor, total = float(rng.uniform(0.05, 1.0)), int(rng.integers(1, 60))
    return lambda o: L.ConstantLR(o, factor=factor, total_iters=total), total + 10


def _linear_lr(rng: np.random.Generator) -> tuple[Make, int]:
    start, end = (float(x) for x in rng.uniform(0.01, 1.0, size=2))
    total = int(rng.integers(1, 100))
    return (
        lambda o: L.LinearLR(o, start_factor=start, end_factor=end, total_iters=total),
        total + 10,
    )


def _exponential_lr(rng: np.random.Generator) -> tuple[Make, int]:
    gamma = float(rng.uniform(0.9, 1.0))
    return lambda o: L.ExponentialLR(o, gamma=gamma), 300


def _polynomial_lr(rng: np.random.Generator) -> tuple[Make, int]:
    total, power = int(rng.integers(1, 120)), float(rng.uniform(0.5, 3.0))
    return lambda o: L.PolynomialLR(o, total_iters=total, power=power), total + 10


def _cosine_annealing_lr(rng: np.random.Generator) -> tuple[Make, int]:
    total, floor = int(rng.integers(1, 80)), float(rng.choice([0.0, rng.uniform(0, 1e-3)]))
    # Three periods: PyTorch's cosine goes on after T_max, and so does the conversion.
    return lambda o: L.CosineAnnealingLR(o, T_max=total, eta_min=floor), 3 * total + 2


def _warm_restarts(rng: np.random.Generator) -> tuple[Make, int]:
    first, mult = int(rng.integers(1, 25)), int(rng.integers(1, 4))
    floor = float(rng.choice([0.0, rng.uniform(0, 1e-4)]))
    n = first * sum(mult**k for k in range(4)) + 3  # four cycles and the next restart
    return lambda o: L.CosineAnnealingWarmRestarts(o, T_0=first, T_mult=mult, eta_min=floor), n


def _one_cycle_lr(rng: np.random.Generator) -> tuple[Make, int]:
    total = int(rng.integers(10, 300))
    three = bool(rng.integers(0, 2))
    pct = float(rng.uniform(0.1, 0.45 if three else 0.9))
    anneal = str(rng.choice(["cos", "linear"]))
    div, final = float(rng.uniform(2, 50)), float(rng.choice([1e4, rng.uniform(2, 1e3)]))
    peak = float(rng.uniform(0.01, 1.0))

    def make(o: Any) -> Any:
        peaks = [peak * (k + 1) for k in range(len(o.param_groups))]
        return L.OneCycleLR(
            o,
            max_lr=peaks,
            total_steps=total,
            pct_start=pct,
            anneal_strategy=anneal,
            div_factor=div,
            final_div_factor=final,
            three_phase=three,
        )

    return make, total  # steps 0 .. total - 1: PyTorch's step `total` runs past the end


def _cyclic_lr(rng: np.random.Generator) -> tuple[Make, int]:
    low = float(rng.uniform(1e-4, 0.01))
    high = float(rng.uniform(0.02, 1.0))
    up = int(rng.integers(1, 30))
    down = None if rng.integers(0, 2) else int(rng.integers(1, 30))
    mode = str(rng.choice(["triangular", "triangular2", "exp_range"]))
    gamma = float(rng.uniform(0.99, 1.0)) if mode == "exp_range" else 1.0

    def make(o: Any) -> Any:
        return L.CyclicLR(
            o, low, high, step_size_up=up, step_size_down=down, mode=mode, gamma=gamma
        )

    return make, 3 * (up + (up if down is None else down)) + 2


def _leaf(rng: np.random.Generator, multiplicative: bool = False) -> Make:
    choices = ["linear", "constant", "exponential", "step"]
    kind = str(rng.choice(choices if multiplicative else [*choices, "cosine"]))
    if kind == "linear":
        start, total = float(rng.uniform(0.01, 1.0)), int(rng.integers(1, 30))
        return lambda o: L.LinearLR(o, start_factor=start, total_iters=total)
    if kind == "constant":
        factor, total = float(rng.uniform(0.1, 1.0)), int(rng.integers(1, 30))
        return lambda o: L.ConstantLR(o, factor=factor, total_iters=total)
    if kind == "exponential":
        gamma = float(rng.uniform(0.9, 1.0))
        return lambda o: L.ExponentialLR(o, gamma=gamma)
    if kind == "step":
        size, gamma = int(rng.integers(1, 20)), float(rng.uniform(0.1, 1.0))
        return lambda o: L.StepLR(o, step_size=size, gamma=gamma)
    total = int(rng.integers(5, 60))
    return lambda o: L.CosineAnnealingLR(o, T_max=total)


def _sequential_lr(rng: np.random.Generator) -> tuple[Make, int]:
    count = int(rng.integers(2, 4))
    pieces = [_leaf(rng) for _ in range(count)]
    milestones = sorted(int(m) for m in rng.choice(np.arange(1, 120), count - 1, replace=False))

    def make(o: Any) -> Any:
        return L.SequentialLR(o, [piece(o) for piece in pieces], milestones=milestones)

    return make, milestones[-1] + 60


def _chained_scheduler(rng: np.random.Generator) -> tuple[Make, int]:
    links = [_leaf(rng, multiplicative=True) for _ in range(int(rng.integers(2, 4)))]
    return lambda o: L.ChainedScheduler([link(o) for link in links]), 120


CLASSES: dict[str, Callable[[np.random.Generator], tuple[Make, int]]] = {
    "StepLR": _step_lr,
    "MultiStepLR": _multistep_lr,
    "ConstantLR": _constant_lr,
    "LinearLR": _linear_lr,
    "ExponentialLR": _exponential_lr,
    "PolynomialLR": _polynomial_lr,
    "CosineAnnealingLR": _cosine_annealing_lr,
    "CosineAnnealingWarmRestarts": _warm_restarts,
    "OneCycleLR": _one_cycle_lr,
    "CyclicLR": _cyclic_lr,
    "SequentialLR": _sequential_lr,
    "ChainedScheduler": _chained_scheduler,
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", list(CLASSES))
def test_random_configurations_convert_to_the_live_schedulers_curve(name: str, seed: int) -> None:
    rng = np.random.default_rng([seed, len(name)])
    make, n = CLASSES[name](rng)
    lrs = _lrs(rng)
    optimizer = _optimizer(lrs)
    scheduler = make(optimizer)
    result = warmcos.conversion(scheduler)
    assert result.source == f"torch.optim.lr_scheduler.{name}"
    assert result.position == 0 and result.max_difference <= 1e-12
    assert len(result.schedules) == len(lrs)
    _assert_close(_peer(optimizer, scheduler, n), list(result.schedules), n)
    # The conversion is plain data: it prints and parses back.
    for schedule in result.schedules:
        assert warmcos.parse(repr(schedule)) == schedule


# -- stepped schedulers: the whole curve, and where they stand -----------------------------------


def _state(optimizer: Any, scheduler: Any) -> tuple[Any, Any]:
    groups = [{k: v for k, v in g.items() if k != "params"} for g in optimizer.param_groups]
    return copy.deepcopy(groups), copy.deepcopy(scheduler.state_dict())


@pytest.mark.parametrize("name", list(CLASSES))
def test_a_partially_stepped_scheduler_converts_to_its_whole_curve(name: str) -> None:
    rng = np.random.default_rng(1234)
    make, n = CLASSES[name](rng)
    lrs = [0.3, 0.05]
    fresh = warmcos.conversion(make(_optimizer(lrs)))
    optimizer = _optimizer(lrs)
    scheduler = make(optimizer)
    stepped = min(n - 1, 17)
    _peer(optimizer, scheduler, stepped)  # a real run of `stepped` updates
    before = _state(optimizer, scheduler)
    params = [g["params"][0].detach().clone() for g in optimizer.param_groups]
    result = warmcos.conversion(scheduler)
    assert result.schedules == fresh.schedules
    assert result.position == stepped
    # The user's optimizer and scheduler are untouched.
    assert _state(optimizer, scheduler) == before
    assert all(
        torch.equal(g["params"][0], p) for g, p in zip(optimizer.param_groups, params, strict=True)
    )
    # And they go on exactly as the conversion says.
    rest = _peer(optimizer, scheduler, n - stepped)
    for group, schedule in enumerate(result.schedules):
        ours = np.array([schedule(t) for t in range(stepped, n)])
        np.testing.assert_allclose(rest[group], ours, rtol=1e-12, atol=1e-12)


def test_convert_returns_one_schedule_or_one_per_group() -> None:
    optimizer = _optimizer([0.1])
    assert warmcos.convert(L.StepLR(optimizer, 10, 0.5)) == warmcos.step(0.1, 10, 0.5)
    optimizer = _optimizer([0.1, 0.01])
    converted = warmcos.convert(L.StepLR(optimizer, 10, 0.5))
    assert converted == [warmcos.step(0.1, 10, 0.5), warmcos.step(0.01, 10, 0.5)]
    with pytest.raises(ValueError, match=r"use `\.schedules`"):
        _ = warmcos.conversion(L.StepLR(_optimizer([0.1, 0.01]), 10, 0.5)).schedule


def test_documented_mappings() -> None:
    o = _optimizer([1.0])
    assert warmcos.convert(L.OneCycleLR(o, 0.1, total_steps=1000)) == warmcos.one_cycle(
        peak=0.1, steps=1000
    )
    o = _optimizer([0.1])
    chained = L.ChainedScheduler([L.StepLR(o, 3, 0.5), L.ExponentialLR(o, 0.9)])
    assert repr(warmcos.convert(chained)) == (
        "0.1 * step(value=1.0, step_size=3, gamma=0.5) * exponential(value=1.0, gamma=0.9)"
    )
    o = _optimizer([0.1])
    restarts = L.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2, eta_min=0.001)
    assert warmcos.convert(restarts) == warmcos.cosine_restarts(
        peak=0.1, first_cycle=10, floor=0.001, cycle_mult=2
    )


# -- refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda o: L.LambdaLR(o, lambda t: 0.9**t), r"LambdaLR with `lr_lambda`.*your own"),
        (lambda o: L.MultiplicativeLR(o, lambda t: 0.9), r"MultiplicativeLR.*your own function"),
        (lambda o: L.ReduceLROnPlateau(o), r"ReduceLROnPlateau.*follows a metric"),
        (lambda o: L.StepLR(o, 10, gamma=1.5), r"StepLR with gamma=1\.5"),
        (
            lambda o: L.CyclicLR(o, 0.01, 0.1, scale_fn=lambda x: 0.5, scale_mode="cycle"),
            r"CyclicLR with `scale_fn`",
        ),
        (
            lambda o: L.ChainedScheduler([L.StepLR(o, 3), L.CosineAnnealingLR(o, 10)]),
            r"ChainedScheduler with a CosineAnnealingLR inside",
        ),
    ],
)
def test_unconvertible_schedulers_are_refused_naming_class_and_option(
    make: Make, match: str
) -> None:
    with pytest.raises(ValueError, match=match) as caught:
        warmcos.convert(make(_optimizer([0.1])))
    assert "warmcos.trace" in str(caught.value)


def test_a_learning_rate_set_by_hand_is_refused_where_the_scheduler_stands() -> None:
    optimizer = _optimizer([0.1])
    scheduler = L.CosineAnnealingLR(optimizer, T_max=100)
    _peer(optimizer, scheduler, 10)
    optimizer.param_groups[0]["lr"] = 0.5  # not what step() gave
    with pytest.raises(ValueError, match=r"stands at step 10 .* not reached by step\(\) alone"):
        warmcos.convert(scheduler)


def test_an_object_no_reader_knows_is_a_type_error_pointing_to_trace() -> None:
    with pytest.raises(TypeError, match=r"no reader .*warmcos\.trace"):
        warmcos.convert(object())


def test_the_check_covers_boundaries_and_the_end() -> None:
    from warmcos._convert.convert import checked_steps
    from warmcos._convert.torch_schedulers import read

    scheduler = L.StepLR(_optimizer([0.1]), step_size=3000, gamma=0.5)
    steps = set(checked_steps(read(scheduler)).tolist())  # type: ignore[arg-type]
    assert set(range(1001)) <= steps
    assert {2999, 3000, 3001, 5999, 6000} <= steps
    assert len(steps) <= 5000
    assert math.isfinite(max(steps))
