"""Parity with the live PyTorch schedulers: OneCycleLR, CyclicLR and CosineAnnealingLR past T_max.

Every peer curve comes from a real optimizer (``torch.optim.SGD`` with momentum on one float64
parameter, or ``Adam`` for ``betas[0]``), a real gradient, ``optimizer.step()`` then
``scheduler.step()``; the LR (and momentum) is read BEFORE each ``step()``, so index ``t`` is
the value used for update ``t`` and equals warmcos' value at step ``t``. Everything is float64
(Python floats); tolerance 1e-12 absolute (``curves.ATOL``), as for the other peers. Random
configurations come from seeded NumPy generators (60 per scheduler), so a failure names its seed.

Argument mappings (said again where used):

- ``OneCycleLR(max_lr=P, total_steps=T, pct_start, anneal_strategy, div_factor,
  final_div_factor, three_phase)``: ``one_cycle(peak=P, steps=T, ...)``, the same names.
  Momentum (``base_momentum=b, max_momentum=m``): ``one_cycle(peak=b, steps=T, start=m, end=m,
  ...)``. PyTorch allows one step more than ``total_steps`` (step ``T``), where its formula
  runs past the final value; warmcos holds the final value from step ``T - 1``.
- ``CyclicLR(base_lr=l, max_lr=h, step_size_up, step_size_down, mode, gamma)``:
  ``cyclic(low=l, high=h, ...)``, the same names; momentum (``base_momentum=b,
  max_momentum=m``): ``cyclic(low=b, high=m, ..., inverse=True)``.
- ``CosineAnnealingLR(T_max, eta_min)`` on an optimizer LR ``lr``, for every step (periodic):
  ``cosine(peak=lr, steps=T_max, floor=eta_min, after_end="periodic")``, also with
  ``eta_min > lr`` (a rising cosine); up to ``T_max`` the rising one is also
  ``ramp(lr, eta_min, T_max, shape="cosine")``.

Where warmcos is bitwise equal: CyclicLR (LR and momentum) at every step; OneCycleLR except
where PyTorch's formula rounds past the phase's own end value, which warmcos clips (at most one
unit in the last place of the larger end value).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch.optim import lr_scheduler

import warmcos
from curves import ATOL, assert_curves_match, ours
from warmcos._core.cyclic import Cyclic
from warmcos._core.onecycle import OneCycle
from warmcos.torch import LRScheduler

SEEDS = range(60)


def _sgd(lr: float, momentum: float = 0.9) -> torch.optim.Optimizer:
    param = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    return torch.optim.SGD([param], lr=lr, momentum=momentum)


def _run(
    optimizer: torch.optim.Optimizer, scheduler: Any, n: int, key: str = "momentum"
) -> tuple[list[float], list[float]]:
    """LR and `key` (momentum, or beta1 for ``betas``) of each of the first `n` updates."""
    param = optimizer.param_groups[0]["params"][0]
    lrs, momenta = [], []
    for _ in range(n):
        group = optimizer.param_groups[0]
        lrs.append(group["lr"])
        momenta.append(group["betas"][0] if key == "betas" else group[key])
        param.grad = torch.ones_like(param)
        optimizer.step()
        scheduler.step()
    return lrs, momenta


# --- PyTorch's own test values (test/optim/test_lrscheduler.py) --------------------------------


def _annealing_cos(start: float, end: float, pct: float) -> float:
    # PyTorch's test helper, as written there.
    cos_out = math.cos(math.pi * pct) + 1
    return end + (start - end) / 2.0 * cos_out


TORCH_ONE_CYCLE_CASES = {
    # test_onecycle_lr_linear_annealing (max_lr=25, final_div_factor=2, base_momentum=1,
    # max_momentum=22, total_steps=10, anneal_strategy="linear")
    "linear": (
        dict(peak=25.0, steps=10, final_div_factor=2.0, anneal="linear"),
        [1, 13, 25, 21.5, 18, 14.5, 11, 7.5, 4, 0.5],
        [22, 11.5, 1, 4, 7, 10, 13, 16, 19, 22],
    ),
    # test_onecycle_lr_linear_annealing_three_phases (pct_start=0.4, final_div_factor=4)
    "three_phases": (
        dict(
            peak=25.0,
            steps=10,
            pct_start=0.4,
            final_div_factor=4.0,
            anneal="linear",
            three_phase=True,
        ),
        [1, 9, 17, 25, 17, 9, 1, 0.75, 0.5, 0.25],
        [22, 15, 8, 1, 8, 15, 22, 22, 22, 22],
    ),
    # test_onecycle_lr_cosine_annealing
    "cosine": (
        dict(peak=25.0, steps=10, final_div_factor=2.0),
        [1, 13, 25, *(_annealing_cos(25, 0.5, k / 7.0) for k in range(1, 7)), 0.5],
        [22, 11.5, 1, *(_annealing_cos(1, 22, k / 7.0) for k in range(1, 7)), 22],
    ),
}


@pytest.mark.parametrize("case", sorted(TORCH_ONE_CYCLE_CASES))
def test_pytorchs_own_one_cycle_values(case: str) -> None:
    kwargs, lr_target, momentum_target = TORCH_ONE_CYCLE_CASES[case]
    lr = OneCycle(**kwargs)
    # base_momentum=1 at the peak, max_momentum=22 at both ends.
    extra = {k: v for k, v in kwargs.items() if k in ("pct_start", "anneal", "three_phase")}
    momentum = OneCycle(peak=1.0, steps=10, start=22.0, end=22.0, **extra)
    assert ours(lr, 10) == pytest.approx(lr_target, abs=1e-12)
    assert ours(momentum, 10) == pytest.approx(momentum_target, abs=1e-12)


TRIANGULAR2_LR = [1, 2, 3, 4, 5, 4, 3, 2, 1, 1.5, 2.0, 2.5, 3.0, 2.5, 2.0, 1.5, 1, 1.25, 1.50]
TRIANGULAR2_LR += [1.75, 2.00, 1.75]
TRIANGULAR2_MOMENTUM = [5.0, 4.0, 3.0, 2.0, 1.0, 2.0, 3.0, 4.0, 5.0, 4.5, 4.0, 3.5, 3.0, 3.5]
TRIANGULAR2_MOMENTUM += [4.0, 4.5, 5.0, 4.75, 4.5, 4.25, 4.0, 4.25]
TRIANGULAR2_UP_DOWN_LR = [1.0, 3.0, 5.0, 13 / 3, 11 / 3, 9 / 3, 7 / 3, 5 / 3, 1.0, 2.0, 3.0]
TRIANGULAR2_UP_DOWN_LR += [8 / 3, 7 / 3, 6 / 3, 5 / 3, 4 / 3, 1.0, 3 / 2, 2.0, 11 / 6, 10 / 6]
TRIANGULAR2_UP_DOWN_LR += [9 / 6, 8 / 6, 7 / 6]
TRIANGULAR2_UP_DOWN_MOMENTUM = [5.0, 3.0, 1.0, 5 / 3, 7 / 3, 3.0, 11 / 3, 13 / 3, 5.0, 4.0, 3.0]
TRIANGULAR2_UP_DOWN_MOMENTUM += [10 / 3, 11 / 3, 4.0, 13 / 3, 14 / 3, 5.0, 4.5, 4.0, 25 / 6]
TRIANGULAR2_UP_DOWN_MOMENTUM += [13 / 3, 4.5, 14 / 3, 29 / 6]
EXP_XS = [0, 0.25, 0.5, 0.75, 1, 0.75, 0.50, 0.25, 0, 0.25, 0.5, 0.75, 1]
EXP_XS_UP_DOWN = [0.0, 0.5, 1.0, 5 / 6, 4 / 6, 3 / 6, 2 / 6, 1 / 6, 0.0, 0.5, 1.0, 5 / 6, 4 / 6]

TORCH_CYCLIC_CASES = {
    # test_cycle_lr_triangular_mode_one_lr (base_lr=1, max_lr=5, step_size_up=4, momentum 1..5)
    "triangular": (
        dict(step_size_up=4),
        [1, 2, 3, 4, 5, 4, 3, 2, 1, 2, 3],
        [5, 4, 3, 2, 1, 2, 3, 4, 5, 4, 3],
    ),
    # test_cycle_lr_triangular2_mode_one_lr
    "triangular2": (
        dict(step_size_up=4, mode="triangular2"),
        TRIANGULAR2_LR,
        TRIANGULAR2_MOMENTUM,
    ),
    # test_cycle_lr_exp_range_mode_one_lr (gamma=0.9)
    "exp_range": (
        dict(step_size_up=4, mode="exp_range", gamma=0.9),
        [1 + x * 4 * 0.9**i for i, x in enumerate(EXP_XS)],
        [5 - x * 4 * 0.9**i for i, x in enumerate(EXP_XS)],
    ),
    # test_cycle_lr_triangular_mode_step_size_up_down (step_size_up=4, step_size_down=6)
    "triangular_up_down": (
        dict(step_size_up=4, step_size_down=6),
        [1.0, 2.0, 3.0, 4.0, 5.0, 13 / 3, 11 / 3, 9 / 3, 7 / 3, 5 / 3, 1.0],
        [5.0, 4.0, 3.0, 2.0, 1.0, 5 / 3, 7 / 3, 3.0, 11 / 3, 13 / 3, 5.0],
    ),
    # test_cycle_lr_triangular2_mode_step_size_up_down (step_size_up=2, step_size_down=6)
    "triangular2_up_down": (
        dict(step_size_up=2, step_size_down=6, mode="triangular2"),
        TRIANGULAR2_UP_DOWN_LR,
        TRIANGULAR2_UP_DOWN_MOMENTUM,
    ),
    # test_cycle_lr_exp_range_mode_step_size_up_down
    "exp_range_up_down": (
        dict(step_size_up=2, step_size_down=6, mode="exp_range", gamma=0.9),
        [1 + x * 4 * 0.9**i for i, x in enumerate(EXP_XS_UP_DOWN)],
        [5 - x * 4 * 0.9**i for i, x in enumerate(EXP_XS_UP_DOWN)],
    ),
}


@pytest.mark.parametrize("case", sorted(TORCH_CYCLIC_CASES))
def test_pytorchs_own_cyclic_values(case: str) -> None:
    kwargs, lr_target, momentum_target = TORCH_CYCLIC_CASES[case]
    # base_lr=1, max_lr=5; base_momentum=1, max_momentum=5 (inverse).
    lr = Cyclic(low=1.0, high=5.0, **kwargs)
    momentum = Cyclic(low=1.0, high=5.0, inverse=True, **kwargs)
    n = len(lr_target)
    assert ours(lr, n) == pytest.approx(lr_target, abs=1e-12)
    assert ours(momentum, n) == pytest.approx(momentum_target, abs=1e-12)


def test_pytorchs_own_closed_form_cosine_annealing_past_t_max() -> None:
    # test_closed_form_cos_anneal_lr: T_max=5 over 20 epochs, eta_min=1e-10, LR 0.05: the
    # closed form eta_min + (0.05 - eta_min) * (1 + cos(pi t / 5)) / 2 at every t (periodic).
    s = warmcos.cosine(peak=0.05, steps=5, floor=1e-10, after_end="periodic")
    expected = [1e-10 + (0.05 - 1e-10) * (1 + math.cos(math.pi * t / 5)) / 2 for t in range(20)]
    assert_curves_match(expected, ours(s, 20))


# --- OneCycleLR, random configurations -----------------------------------------------------------


def _one_cycle_config(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    while True:
        three = bool(rng.integers(2))
        total = int(rng.integers(1, 400))
        pct = float(rng.choice([0.3, 0.25, 0.5, rng.uniform(0, 0.5 if three else 1)]))
        if float(pct * total) - 1 != 0:  # PyTorch divides by zero there
            break
    base_momentum, max_momentum = sorted(rng.uniform(0.5, 0.99, 2).tolist())
    return dict(
        max_lr=float(rng.uniform(1e-4, 10)),
        total_steps=total,
        pct_start=pct,
        anneal_strategy=str(rng.choice(["cos", "linear"])),
        div_factor=float(rng.choice([25.0, rng.uniform(1, 100)])),
        final_div_factor=float(rng.choice([1e4, rng.uniform(1, 1e5)])),
        three_phase=three,
        base_momentum=base_momentum,
        max_momentum=max_momentum,
    )


def _one_cycle_as_warmcos(config: dict[str, Any]) -> tuple[OneCycle, OneCycle]:
    # max_lr -> peak; total_steps -> steps; anneal_strategy -> anneal; the rest by name.
    # Momentum: from max_momentum down to base_momentum at the peak and back.
    shared = dict(
        steps=config["total_steps"],
        pct_start=config["pct_start"],
        anneal=config["anneal_strategy"],
        three_phase=config["three_phase"],
    )
    lr = OneCycle(
        peak=config["max_lr"],
        div_factor=config["div_factor"],
        final_div_factor=config["final_div_factor"],
        **shared,
    )
    top = config["max_momentum"]
    momentum = OneCycle(peak=config["base_momentum"], start=top, end=top, **shared)
    return lr, momentum


@pytest.mark.parametrize("seed", SEEDS)
def test_one_cycle_lr_and_momentum(seed: int) -> None:
    config = _one_cycle_config(seed)
    optimizer = _sgd(config["max_lr"])
    peer_lr, peer_momentum = _run(
        optimizer, lr_scheduler.OneCycleLR(optimizer, **config), config["total_steps"]
    )
    lr, momentum = _one_cycle_as_warmcos(config)
    n = config["total_steps"]
    assert_curves_match(peer_lr, ours(lr, n))
    assert_curves_match(peer_momentum, ours(momentum, n))
    # Where they differ at all, warmcos gives the phase's end value and PyTorch rounded past it.
    values = {lr.start_value, float(lr.peak), lr.end_value}
    for t, (peer, mine) in enumerate(zip(peer_lr, ours(lr, n), strict=True)):
        assert peer == mine or mine in values, (t, peer, mine)


def test_one_cycle_holds_where_pytorch_runs_past_its_last_step() -> None:
    # Documented difference: PyTorch allows step total_steps (one past the last update) and
    # computes it with the last phase's formula past pct = 1; the linear one goes below the
    # final value there (0.5 - 3.5 = -3.0). It refuses further steps. warmcos holds 0.5.
    optimizer = _sgd(25.0)
    scheduler = lr_scheduler.OneCycleLR(
        optimizer, max_lr=25.0, total_steps=10, final_div_factor=2.0, anneal_strategy="linear"
    )
    _run(optimizer, scheduler, 10)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(-3.0)  # step 10
    with pytest.raises(ValueError, match="Tried to step"):
        optimizer.step()
        scheduler.step()
    s = OneCycle(peak=25.0, steps=10, final_div_factor=2.0, anneal="linear")
    assert [s(10), s(11), s(10**9)] == [0.5, 0.5, 0.5]


# --- the one line: momentum through the scheduler's hyperparameters ------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_one_cycle_momentum_in_one_line_through_lr_scheduler(seed: int) -> None:
    config = _one_cycle_config(seed)
    n = config["total_steps"]
    peer_optimizer = _sgd(config["max_lr"])
    peer = _run(peer_optimizer, lr_scheduler.OneCycleLR(peer_optimizer, **config), n)

    lr, momentum = _one_cycle_as_warmcos(config)
    optimizer = _sgd(config["max_lr"])
    scheduler = LRScheduler(optimizer, lr, hyperparameters={"momentum": momentum})
    mine = _run(optimizer, scheduler, n)
    assert_curves_match(peer[0], mine[0])
    assert_curves_match(peer[1], mine[1])


def test_one_cycle_beta1_in_one_line_with_adam() -> None:
    # PyTorch cycles Adam's beta1 (betas[0]) as it cycles SGD's momentum.
    def adam() -> torch.optim.Optimizer:
        param = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
        return torch.optim.Adam([param], lr=25.0)

    peer_optimizer = adam()
    peer_scheduler = lr_scheduler.OneCycleLR(
        peer_optimizer,
        max_lr=25.0,
        total_steps=10,
        final_div_factor=2.0,
        base_momentum=0.85,
        max_momentum=0.95,
    )
    peer = _run(peer_optimizer, peer_scheduler, 10, key="betas")
    optimizer = adam()
    scheduler = LRScheduler(
        optimizer,
        OneCycle(peak=25.0, steps=10, final_div_factor=2.0),
        hyperparameters={"betas[0]": OneCycle(peak=0.85, steps=10, start=0.95, end=0.95)},
    )
    mine = _run(optimizer, scheduler, 10, key="betas")
    assert_curves_match(peer[0], mine[0])
    assert_curves_match(peer[1], mine[1])


def test_cyclic_momentum_in_one_line_through_lr_scheduler() -> None:
    n = 100
    peer_optimizer = _sgd(0.01)
    peer = _run(
        peer_optimizer,
        lr_scheduler.CyclicLR(
            peer_optimizer, base_lr=0.01, max_lr=0.1, step_size_up=7, step_size_down=13
        ),
        n,
    )
    optimizer = _sgd(0.01)
    scheduler = LRScheduler(
        optimizer,
        Cyclic(0.01, 0.1, step_size_up=7, step_size_down=13),
        hyperparameters={"momentum": Cyclic(0.8, 0.9, 7, 13, inverse=True)},
    )
    mine = _run(optimizer, scheduler, n)
    assert peer == mine  # to the bit


# --- CyclicLR, random configurations -------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_cyclic_lr_and_momentum(seed: int) -> None:
    rng = np.random.default_rng(1000 + seed)
    base_lr, max_lr = sorted(rng.uniform(0, 5, 2).tolist())
    base_momentum, max_momentum = sorted(rng.uniform(0.5, 0.99, 2).tolist())
    mode = str(rng.choice(["triangular", "triangular2", "exp_range"]))
    up = int(rng.integers(1, 60))
    down = None if rng.integers(2) else int(rng.integers(1, 60))
    gamma = float(rng.uniform(0.95, 1.0)) if mode == "exp_range" else 1.0
    n = 500
    optimizer = _sgd(base_lr)
    scheduler = lr_scheduler.CyclicLR(
        optimizer,
        base_lr=base_lr,
        max_lr=max_lr,
        step_size_up=up,
        step_size_down=down,
        mode=mode,
        gamma=gamma,
        base_momentum=base_momentum,
        max_momentum=max_momentum,
    )
    peer_lr, peer_momentum = _run(optimizer, scheduler, n)
    # base_lr -> low, max_lr -> high, the rest by name; momentum cycles down from max_momentum.
    lr = Cyclic(base_lr, max_lr, up, down, mode=mode, gamma=gamma)
    momentum = Cyclic(base_momentum, max_momentum, up, down, mode=mode, gamma=gamma, inverse=True)
    assert ours(lr, n) == peer_lr  # to the bit
    assert ours(momentum, n) == peer_momentum


# --- CosineAnnealingLR past T_max, and rising -----------------------------------------------

MakeScheduler = Callable[[torch.optim.Optimizer], Any]


def _stepped(make: MakeScheduler, lr: float, n: int) -> list[float]:
    optimizer = _sgd(lr, momentum=0.0)
    return _run(optimizer, make(optimizer), n)[0]


def _closed_form(make: MakeScheduler, lr: float, n: int) -> list[float]:
    scheduler = make(_sgd(lr, momentum=0.0))
    values = []
    for t in range(n):
        scheduler.last_epoch = t
        values.append(float(scheduler._get_closed_form_lr()[0]))
    return values


@pytest.mark.parametrize("seed", SEEDS)
def test_cosine_annealing_lr_past_t_max_and_rising(seed: int) -> None:
    rng = np.random.default_rng(2000 + seed)
    lr = float(rng.uniform(1e-4, 1))
    t_max = int(rng.integers(1, 100))
    rising = bool(seed % 2)
    eta_min = float(rng.uniform(lr, 2 * lr) if rising else rng.uniform(0, lr))
    n = 3 * t_max + 1

    def make(optimizer: torch.optim.Optimizer) -> Any:
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=t_max, eta_min=eta_min)

    # The optimizer's LR -> peak, T_max -> steps, eta_min -> floor, continued: periodic.
    periodic = warmcos.cosine(peak=lr, steps=t_max, floor=eta_min, after_end="periodic")
    assert_curves_match(_closed_form(make, lr, n), ours(periodic, n))
    assert_curves_match(_stepped(make, lr, n), ours(periodic, n))
    if rising:
        # Up to T_max, a rising cosine is also a cosine ramp, held at eta_min afterwards.
        ramp = warmcos.ramp(lr, eta_min, t_max, shape="cosine")
        assert_curves_match(_closed_form(make, lr, t_max + 1), ours(ramp, t_max + 1))


def test_periodic_cosine_matches_the_closed_form_to_the_bit_in_its_first_period() -> None:
    make: MakeScheduler = lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=37, eta_min=0.003)  # noqa: E731
    periodic = warmcos.cosine(peak=0.1, steps=37, floor=0.003, after_end="periodic")
    assert _closed_form(make, 0.1, 2 * 37) == ours(periodic, 2 * 37)
    assert abs(ours(periodic, 1)[0] - 0.1) <= ATOL
