"""Parity of warmcos schedules with the live PyTorch LR schedulers (torch.optim.lr_scheduler).

Every peer curve comes from a real optimizer: ``torch.optim.SGD`` on one parameter, a real
gradient, ``optimizer.step()`` then ``scheduler.step()``; we read ``param_groups[0]["lr"]``
BEFORE each ``step()``, so index ``t`` of the peer curve is the LR used for update ``t`` and
equals warmcos' value at step ``t`` (warmcos' ``step`` counts updates already applied).
Where the scheduler has a closed form (``_get_closed_form_lr``, what ``step(epoch)`` uses) we
compare with it as well. Everything is float64 (Python floats); tolerance 1e-12 absolute.

PyTorch options warmcos does not reproduce (for the README; the shapes added since, such as
``cosine(after_end="periodic")``, ``polynomial``, ``one_cycle``, ``cyclic``, growth and products,
are tested in tests/parity/test_cycle_shapes_torch.py, test_decay_shapes_torch.py and
tests/core/test_product.py):
- CosineAnnealingLR past ``T_max`` by default: torch's curve is periodic; warmcos' default holds
  ``floor`` after ``steps`` (``after_end="periodic"`` follows torch; see
  ``test_cosine_annealing_lr_is_periodic_after_t_max_but_warmcos_holds_floor``).
- CosineAnnealingWarmRestarts ``step(epoch)`` path: its cycle index comes from a float
  logarithm and lands in the wrong cycle at some exact restarts (documented below); warmcos
  gives the exact-boundary value (the one torch's own ``step()`` sequence gives).
- MultiStepLR with a repeated milestone (torch multiplies by ``gamma ** count``); warmcos'
  milestones must be strictly increasing (a ``join`` of constants can express it).
- LambdaLR / MultiplicativeLR (arbitrary callables); ReduceLROnPlateau (metric-driven, not a
  function of the step).
- The recursive (chainable) form in general: torch's ``get_lr`` multiplies the CURRENT group
  LR, so outside changes to ``group["lr"]`` are carried forward; warmcos is closed form.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

torch = pytest.importorskip("torch")
from torch.optim import lr_scheduler

import warmcos
from curves import ATOL
from curves import assert_curves_match as _assert_curves_match
from curves import ours as _ours

MakeScheduler = Callable[[torch.optim.Optimizer], lr_scheduler.LRScheduler]


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
        lr = optimizer.param_groups[0]["lr"]
        assert isinstance(lr, float)
        lrs.append(lr)
        param.grad = torch.ones_like(param)
        optimizer.step()
        scheduler.step()
    return lrs


def _closed_form_lrs(make_scheduler: MakeScheduler, base_lr: float, n: int) -> list[float]:
    """Torch's closed form (what ``step(epoch)`` uses) at epochs ``0 .. n-1``."""
    scheduler = make_scheduler(_optimizer(base_lr))
    lrs = []
    for t in range(n):
        scheduler.last_epoch = t
        lrs.append(float(scheduler._get_closed_form_lr()[0]))
    return lrs


# --- CosineAnnealingLR ------------------------------------------------------------------------

COSINE_ANNEALING_GRID = [
    # (base_lr, T_max, eta_min)
    (0.1, 1, 0.0),
    (0.1, 7, 0.0),
    (0.1, 50, 0.001),
    (3e-4, 100, 1e-5),
    (1.0, 10, 0.5),
    (0.02, 33, 0.02),  # eta_min == base_lr: flat
]


def _cosine_annealing(t_max: int, eta_min: float) -> MakeScheduler:
    return lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=t_max, eta_min=eta_min)


def _cosine_for_cosine_annealing(base_lr: float, t_max: int, eta_min: float):
    # CosineAnnealingLR's eta_max is the optimizer's LR -> peak; T_max -> steps (the floor is
    # reached at step T_max); eta_min -> floor; no warm-up.
    return warmcos.cosine(peak=base_lr, steps=t_max, floor=eta_min)


@pytest.mark.parametrize(("base_lr", "t_max", "eta_min"), COSINE_ANNEALING_GRID)
def test_cosine_annealing_lr_step_sequence(base_lr: float, t_max: int, eta_min: float) -> None:
    # Torch's step() uses a recursive update; compare on [0, T_max] only (see the test below).
    n = t_max + 1
    peer = _stepped_lrs(_cosine_annealing(t_max, eta_min), base_lr, n)
    ours = _ours(_cosine_for_cosine_annealing(base_lr, t_max, eta_min), n)
    _assert_curves_match(peer, ours)


@pytest.mark.parametrize(("base_lr", "t_max", "eta_min"), COSINE_ANNEALING_GRID)
def test_cosine_annealing_lr_closed_form(base_lr: float, t_max: int, eta_min: float) -> None:
    n = t_max + 1
    peer = _closed_form_lrs(_cosine_annealing(t_max, eta_min), base_lr, n)
    ours = _ours(_cosine_for_cosine_annealing(base_lr, t_max, eta_min), n)
    _assert_curves_match(peer, ours)


def test_cosine_annealing_lr_is_periodic_after_t_max_but_warmcos_holds_floor() -> None:
    # Documented difference: torch's CosineAnnealingLR keeps following the cosine after T_max
    # (its curve is periodic with period 2 * T_max, back at the base LR at 2 * T_max), while
    # warmcos' cosine holds `floor` after `steps` ("after the end a schedule holds its last
    # value; it never becomes periodic by accident").
    base_lr, t_max, eta_min = 0.1, 10, 0.001
    n = 2 * t_max + 1
    peer_steps = _stepped_lrs(_cosine_annealing(t_max, eta_min), base_lr, n)
    peer_closed = _closed_form_lrs(_cosine_annealing(t_max, eta_min), base_lr, n)
    ours = _ours(_cosine_for_cosine_annealing(base_lr, t_max, eta_min), n)
    _assert_curves_match(peer_steps[: t_max + 1], ours[: t_max + 1])
    assert ours[t_max:] == [eta_min] * (t_max + 1)
    for peer in (peer_steps, peer_closed):
        assert all(p > eta_min + 1e-6 for p in peer[t_max + 1 :])
        assert peer[2 * t_max] == pytest.approx(base_lr, abs=ATOL)


# --- CosineAnnealingWarmRestarts --------------------------------------------------------------

WARM_RESTARTS_GRID = [
    # (base_lr, T_0, T_mult, eta_min, number of steps compared)
    (0.1, 1, 1, 0.0, 10),
    (0.1, 5, 1, 0.001, 23),
    (0.1, 3, 2, 0.0, 3 + 6 + 12 + 24 + 5),
    (0.05, 4, 3, 1e-4, 4 + 12 + 36 + 10),
    (1.0, 1, 2, 0.0, 1 + 2 + 4 + 8 + 16 + 32 + 3),
    (0.3, 2, 5, 0.3, 2 + 10 + 50),  # eta_min == base_lr: flat
]


@pytest.mark.parametrize("cycle_rule", ["integer", "geometric"])
@pytest.mark.parametrize(("base_lr", "t_0", "t_mult", "eta_min", "n"), WARM_RESTARTS_GRID)
def test_cosine_annealing_warm_restarts_step_sequence(
    base_lr: float, t_0: int, t_mult: int, eta_min: float, n: int, cycle_rule: str
) -> None:
    peer = _stepped_lrs(
        lambda opt: lr_scheduler.CosineAnnealingWarmRestarts(
            opt, T_0=t_0, T_mult=t_mult, eta_min=eta_min
        ),
        base_lr,
        n,
    )
    # eta_max (the optimizer's LR) -> peak; T_0 (first cycle, torch has no warm-up) ->
    # first_cycle with warmup=0; T_mult -> cycle_mult (an integer, so the integer and the
    # geometric cycle rules give the same cycle lengths T_0 * T_mult**k); eta_min -> floor.
    # Torch has no peak decay (gamma=1) and no end (max_cycles=None).
    ours = _ours(
        warmcos.cosine_restarts(
            peak=base_lr,
            first_cycle=t_0,
            floor=eta_min,
            cycle_mult=t_mult,
            warmup=0,
            cycle_rule=cycle_rule,
        ),
        n,
    )
    _assert_curves_match(peer, ours)


@pytest.mark.parametrize(
    ("t_mult", "restart"),
    [
        # T_0=1: restarts at S_k = (T_mult**k - 1) / (T_mult - 1); torch's step(epoch) computes
        # k = int(log(epoch * (T_mult - 1) / T_0 + 1, T_mult)) and math.log(243, 3) and
        # math.log(1000, 10) are just below 5 and 3.
        (3, 121),
        (10, 111),
    ],
)
def test_warm_restarts_explicit_epoch_path_misses_exact_restart_but_warmcos_does_not(
    t_mult: int, restart: int
) -> None:
    # Documented difference: at these exact restarts torch's explicit-epoch path lands at the
    # END of the previous cycle (eta_min) while its own step() sequence (and warmcos) restart
    # at the peak.
    base_lr, eta_min = 0.1, 0.001
    optimizer = _optimizer(base_lr)
    scheduler = lr_scheduler.CosineAnnealingWarmRestarts(
        optimizer, T_0=1, T_mult=t_mult, eta_min=eta_min
    )
    scheduler.step(restart)  # the explicit-epoch path
    assert optimizer.param_groups[0]["lr"] == pytest.approx(eta_min, abs=ATOL)

    stepped = _stepped_lrs(
        lambda opt: lr_scheduler.CosineAnnealingWarmRestarts(
            opt, T_0=1, T_mult=t_mult, eta_min=eta_min
        ),
        base_lr,
        restart + 1,
    )
    assert stepped[restart] == pytest.approx(base_lr, abs=ATOL)
    ours = warmcos.cosine_restarts(peak=base_lr, first_cycle=1, floor=eta_min, cycle_mult=t_mult)
    assert ours(restart) == pytest.approx(base_lr, abs=ATOL)


# --- StepLR, MultiStepLR, ExponentialLR ---------------------------------------------------------


@pytest.mark.parametrize(
    ("base_lr", "step_size", "gamma", "n"),
    [(0.1, 1, 0.1, 8), (0.1, 3, 0.5, 20), (1.0, 7, 0.9, 50), (0.01, 10, 1.0, 30)],
)
def test_step_lr(base_lr: float, step_size: int, gamma: float, n: int) -> None:
    make = lambda opt: lr_scheduler.StepLR(opt, step_size=step_size, gamma=gamma)  # noqa: E731
    # StepLR: base LR -> value, step_size -> step_size, gamma -> gamma (same meaning).
    ours = _ours(warmcos.step(value=base_lr, step_size=step_size, gamma=gamma), n)
    _assert_curves_match(_stepped_lrs(make, base_lr, n), ours)
    _assert_curves_match(_closed_form_lrs(make, base_lr, n), ours)


@pytest.mark.parametrize(
    ("base_lr", "milestones", "gamma", "n"),
    [(0.1, [1], 0.1, 5), (0.1, [3, 7, 8], 0.5, 15), (1.0, [10, 20, 40], 0.1, 50)],
)
def test_multistep_lr(base_lr: float, milestones: list[int], gamma: float, n: int) -> None:
    make = lambda opt: lr_scheduler.MultiStepLR(opt, milestones=milestones, gamma=gamma)  # noqa: E731
    # MultiStepLR: base LR -> value; milestones and gamma keep their meaning (the decay takes
    # effect AT the milestone in both).
    ours = _ours(warmcos.multistep(value=base_lr, milestones=milestones, gamma=gamma), n)
    _assert_curves_match(_stepped_lrs(make, base_lr, n), ours)
    _assert_curves_match(_closed_form_lrs(make, base_lr, n), ours)


@pytest.mark.parametrize(("base_lr", "gamma"), [(0.1, 0.9), (1.0, 0.5), (0.01, 1.0), (0.3, 0.999)])
def test_exponential_lr(base_lr: float, gamma: float) -> None:
    n = 60
    make = lambda opt: lr_scheduler.ExponentialLR(opt, gamma=gamma)  # noqa: E731
    # ExponentialLR: base LR -> value, gamma -> gamma (one factor per step).
    ours = _ours(warmcos.exponential(value=base_lr, gamma=gamma), n)
    _assert_curves_match(_stepped_lrs(make, base_lr, n), ours)
    _assert_curves_match(_closed_form_lrs(make, base_lr, n), ours)


# --- LinearLR, ConstantLR, PolynomialLR(power=1) --------------------------------------------------


@pytest.mark.parametrize(
    ("base_lr", "start_factor", "end_factor", "total_iters"),
    [
        (0.1, 1 / 3, 1.0, 5),  # torch's defaults: a warm-up
        (0.1, 1.0, 0.0, 10),  # decay to zero
        (0.05, 0.5, 0.1, 7),
        (1.0, 0.01, 1.0, 1),
        (0.2, 0.25, 0.25, 4),  # flat
    ],
)
def test_linear_lr(
    base_lr: float, start_factor: float, end_factor: float, total_iters: int
) -> None:
    n = total_iters + 6
    make = lambda opt: lr_scheduler.LinearLR(  # noqa: E731
        opt, start_factor=start_factor, end_factor=end_factor, total_iters=total_iters
    )
    # LinearLR multiplies the base LR by a factor going linearly from start_factor to
    # end_factor over total_iters steps, then holds: start = base_lr * start_factor,
    # end = base_lr * end_factor, steps = total_iters.
    ours = _ours(
        warmcos.linear(start=base_lr * start_factor, end=base_lr * end_factor, steps=total_iters),
        n,
    )
    _assert_curves_match(_stepped_lrs(make, base_lr, n), ours)
    _assert_curves_match(_closed_form_lrs(make, base_lr, n), ours)


@pytest.mark.parametrize(
    ("base_lr", "factor", "total_iters"), [(0.1, 1 / 3, 5), (0.5, 0.5, 1), (0.01, 1.0, 3)]
)
def test_constant_lr(base_lr: float, factor: float, total_iters: int) -> None:
    n = total_iters + 5
    make = lambda opt: lr_scheduler.ConstantLR(  # noqa: E731
        opt, factor=factor, total_iters=total_iters
    )
    # ConstantLR: base_lr * factor before total_iters, base_lr from total_iters on.
    ours = _ours(
        warmcos.join(
            [warmcos.constant(base_lr * factor), warmcos.constant(base_lr)], [total_iters]
        ),
        n,
    )
    _assert_curves_match(_stepped_lrs(make, base_lr, n), ours)
    _assert_curves_match(_closed_form_lrs(make, base_lr, n), ours)


@pytest.mark.parametrize(("base_lr", "total_iters"), [(0.1, 1), (0.1, 5), (2.0, 40)])
def test_polynomial_lr_with_power_1(base_lr: float, total_iters: int) -> None:
    n = total_iters + 5
    make = lambda opt: lr_scheduler.PolynomialLR(  # noqa: E731
        opt, total_iters=total_iters, power=1.0
    )
    # PolynomialLR(power=1): straight line from the base LR to 0 over total_iters, then 0.
    ours = _ours(warmcos.linear(start=base_lr, end=0.0, steps=total_iters), n)
    _assert_curves_match(_stepped_lrs(make, base_lr, n), ours)
    _assert_curves_match(_closed_form_lrs(make, base_lr, n), ours)
