"""Parity of the decay shapes with the live PyTorch schedulers and timm's PolyLRScheduler.

As in ``test_torch_lr_scheduler.py``: every PyTorch curve comes from a real ``torch.optim.SGD``
on one parameter with ``optimizer.step()`` then ``scheduler.step()``, the LR read BEFORE each
step (index ``t`` is the LR of update ``t`` = warmcos' value at step ``t``), and from the
scheduler's closed form (``_get_closed_form_lr``). Each row runs 50 random configurations
(seeded, so a failure names a reproducible case). Tolerance: 1e-12 absolute for values up to 1,
1e-12 relative above (growth reaches a few hundred).

Argument mappings (each test says it again):

- ``PolynomialLR(total_iters=T, power=k)`` on base LR ``v``: ``polynomial(start=v, end=0,
  steps=T, power=k)``.
- ``StepLR``, ``MultiStepLR``, ``ExponentialLR`` with ``gamma > 1`` (growth): the same
  arguments; PyTorch has no bound, so warmcos' required ``end_value`` is put above every value
  of the compared run (growth without a bound would overflow, and warmcos refuses it).
- timm ``PolyLRScheduler(t_initial=T, power=k, lr_min=m, warmup_t=W, warmup_lr_init=w0,
  warmup_prefix=p)`` (one cycle, ``k_decay=1``, no noise) on base LR ``v``: a warm-up
  ``linear(w0, v, W)`` joined at ``W`` with ``polynomial(v, m, T, k)``, which sees steps
  counted from ``W`` with ``warmup_prefix=True`` (``join``'s local steps) and the global step
  otherwise (``local_steps=False``: the decay is already part-way down at ``W``).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch.optim import lr_scheduler

import warmcos
from curves import ATOL
from curves import assert_curves_match as _assert_curves_match
from curves import ours as _ours

CONFIGS = range(50)
MakeScheduler = Callable[[torch.optim.Optimizer], Any]


def _optimizer(base_lr: float) -> torch.optim.Optimizer:
    param = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    return torch.optim.SGD([param], lr=base_lr)


def _stepped_lrs(make_scheduler: MakeScheduler, base_lr: float, n: int) -> list[float]:
    """LR used by each of the first ``n`` updates of a real SGD run (read before ``step()``)."""
    optimizer = _optimizer(base_lr)
    scheduler = make_scheduler(optimizer)
    param = optimizer.param_groups[0]["params"][0]
    lrs = []
    for _ in range(n):
        lrs.append(optimizer.param_groups[0]["lr"])
        param.grad = torch.ones_like(param)
        optimizer.step()
        scheduler.step()
    return lrs


def _closed_form_lrs(make_scheduler: MakeScheduler, base_lr: float, n: int) -> list[float]:
    scheduler = make_scheduler(_optimizer(base_lr))
    lrs = []
    for t in range(n):
        scheduler.last_epoch = t
        lrs.append(float(scheduler._get_closed_form_lr()[0]))
    return lrs


def _match(peer: list[float], mine: list[float]) -> None:
    _assert_curves_match(peer, mine, atol=ATOL * max(1.0, max(abs(v) for v in mine)))


def _base_lr(rng: np.random.Generator) -> float:
    return float(rng.choice([0.1, 1.0, 3e-4, rng.uniform(1e-5, 1.0)]))


# --- PolynomialLR -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", CONFIGS)
def test_polynomial_lr(seed: int) -> None:
    rng = np.random.default_rng(seed)
    base_lr, total_iters = _base_lr(rng), int(rng.integers(1, 200))
    power = float(rng.choice([1.0, 2.0, 0.9, 0.5, rng.uniform(0.1, 5.0)]))
    n = total_iters + 10
    make = lambda opt: lr_scheduler.PolynomialLR(opt, total_iters=total_iters, power=power)  # noqa: E731
    # base LR -> start; decays to 0 -> end=0; total_iters -> steps; power -> power.
    ours = _ours(warmcos.polynomial(start=base_lr, end=0.0, steps=total_iters, power=power), n)
    _match(_stepped_lrs(make, base_lr, n), ours)
    closed = _closed_form_lrs(make, base_lr, n)
    _match(closed, ours)
    # The closed form computes base_lr * (1 - min(T, t) / T) ** power: the same operations.
    assert closed == ours


# --- StepLR, MultiStepLR, ExponentialLR with growth (gamma > 1) -----------------------------------


def _growth(rng: np.random.Generator) -> float:
    return float(rng.choice([1.5, 2.0, 1.1, rng.uniform(1.0001, 3.0)]))


@pytest.mark.parametrize("seed", CONFIGS)
def test_step_lr_growth(seed: int) -> None:
    rng = np.random.default_rng(seed)
    base_lr, gamma, step_size = _base_lr(rng), _growth(rng), int(rng.integers(1, 20))
    n = int(rng.integers(10, 100))
    top = base_lr * gamma ** (n // step_size + 1)  # above every value of the run
    make = lambda opt: lr_scheduler.StepLR(opt, step_size=step_size, gamma=gamma)  # noqa: E731
    # Same arguments; end_value=top is never reached within the n steps compared.
    ours = _ours(warmcos.step(base_lr, step_size=step_size, gamma=gamma, end_value=top), n)
    _match(_stepped_lrs(make, base_lr, n), ours)
    _match(_closed_form_lrs(make, base_lr, n), ours)


@pytest.mark.parametrize("seed", CONFIGS)
def test_multistep_lr_growth(seed: int) -> None:
    rng = np.random.default_rng(seed)
    base_lr, gamma = _base_lr(rng), _growth(rng)
    milestones = sorted({int(m) for m in rng.integers(1, 80, size=int(rng.integers(1, 6)))})
    n = 90
    make = lambda opt: lr_scheduler.MultiStepLR(opt, milestones=milestones, gamma=gamma)  # noqa: E731
    # Same arguments: a finite list of milestones bounds the growth by itself.
    ours = _ours(warmcos.multistep(base_lr, milestones=milestones, gamma=gamma), n)
    _match(_stepped_lrs(make, base_lr, n), ours)
    _match(_closed_form_lrs(make, base_lr, n), ours)


@pytest.mark.parametrize("seed", CONFIGS)
def test_exponential_lr_growth(seed: int) -> None:
    rng = np.random.default_rng(seed)
    base_lr, gamma = _base_lr(rng), float(rng.uniform(1.0001, 1.2))
    n = int(rng.integers(10, 60))
    make = lambda opt: lr_scheduler.ExponentialLR(opt, gamma=gamma)  # noqa: E731
    # Same arguments (one factor per step); end_value above every value of the run.
    ours = _ours(warmcos.exponential(base_lr, gamma=gamma, end_value=base_lr * gamma**n * 2), n)
    # The stepped form multiplies n times, the closed form takes one power: a few ulps apart.
    _match(_stepped_lrs(make, base_lr, n), ours)
    _match(_closed_form_lrs(make, base_lr, n), ours)


# --- timm PolyLRScheduler -----------------------------------------------------------------------


def _timm_poly() -> type:
    """timm's ``PolyLRScheduler`` from its two files (``import timm`` imports torchvision).

    A stand-in parent package whose path is timm's ``scheduler`` folder lets ``poly_lr.py``'s
    relative import of ``scheduler.py`` work without running any ``__init__.py`` of timm.
    """
    spec = importlib.util.find_spec("timm")  # finds the folder, imports nothing
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("timm is not installed (pip install --no-deps timm)")
    folder = Path(next(iter(spec.submodule_search_locations))) / "scheduler"
    if "_timm_scheduler" not in sys.modules:
        package = types.ModuleType("_timm_scheduler")
        package.__path__ = [str(folder)]
        sys.modules["_timm_scheduler"] = package
    try:
        module = importlib.import_module("_timm_scheduler.poly_lr")
    except Exception as error:  # a newer timm may import more than these two files
        pytest.skip(f"timm's poly_lr.py does not load on its own: {type(error).__name__}: {error}")
    return module.PolyLRScheduler  # type: ignore[no-any-return]


def _timm_lrs(base_lr: float, n: int, **kwargs: Any) -> list[float]:
    """timm's LR at epochs 0 .. n-1 through its public ``step(epoch)``, on a real optimizer."""
    optimizer = _optimizer(base_lr)
    scheduler = _timm_poly()(optimizer, t_in_epochs=True, **kwargs)
    lrs = []
    for t in range(n):
        scheduler.step(t)
        lrs.append(float(optimizer.param_groups[0]["lr"]))
    return lrs


@pytest.mark.parametrize("seed", CONFIGS)
def test_timm_poly_lr_scheduler(seed: int) -> None:
    rng = np.random.default_rng(seed)
    base_lr, t_initial = _base_lr(rng), int(rng.integers(1, 150))
    power = float(rng.choice([0.5, 1.0, 2.0, rng.uniform(0.1, 4.0)]))  # timm's default: 0.5
    lr_min = float(rng.choice([0.0, base_lr * rng.uniform(0, 1)]))
    warmup_t = int(rng.choice([0, rng.integers(1, 40)]))
    warmup_lr_init = float(rng.choice([0.0, base_lr * rng.uniform(0, 1)]))
    prefix = bool(rng.integers(0, 2))
    n = warmup_t + t_initial + 20
    peer = _timm_lrs(
        base_lr,
        n,
        t_initial=t_initial,
        power=power,
        lr_min=lr_min,
        warmup_t=warmup_t,
        warmup_lr_init=warmup_lr_init,
        warmup_prefix=prefix,
    )
    # base LR -> start, lr_min -> end, t_initial -> steps, power -> power; the warm-up from
    # warmup_lr_init to the base LR over warmup_t steps is a linear piece joined at warmup_t,
    # the decay on steps counted from there (warmup_prefix) or on the global step.
    decay = warmcos.polynomial(start=base_lr, end=lr_min, steps=t_initial, power=power)
    if warmup_t == 0:
        schedule: warmcos.Schedule = decay
    else:
        warm = warmcos.linear(start=warmup_lr_init, end=base_lr, steps=warmup_t)
        schedule = warmcos.join([warm, decay], [warmup_t], local_steps=prefix)
    _match(peer, _ours(schedule, n))


def test_timm_poly_lr_scheduler_documented_example() -> None:
    # timm's default power 0.5: 0.1 * sqrt(1 - t / 10) at t = 0, 5, 9; lr_min from t = 10.
    peer = _timm_lrs(0.1, 12, t_initial=10)
    ours = _ours(warmcos.polynomial(start=0.1, end=0.0, steps=10, power=0.5), 12)
    _match(peer, ours)
    assert ours[5] == pytest.approx(0.1 * 0.5**0.5, rel=1e-15)
