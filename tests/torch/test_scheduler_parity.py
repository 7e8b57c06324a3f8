"""Parity through the adapter: warmcos.torch.LRScheduler drives an optimizer exactly like
PyTorch's and transformers' own schedulers.

test_parity_torch.py and test_parity_transformers.py compare the core schedules' VALUES with
the peers. Here both sides are real schedulers driving real optimizers: SGD over one parameter
per param group, a real gradient, ``optimizer.step()`` then ``scheduler.step()``. We read every
group's ``lr`` BEFORE each update, so row ``t`` holds the LRs of update ``t``. Tolerance:
1e-12 absolute, everything float64.

Mapping conventions:
- PyTorch's and transformers' schedulers scale each group's own base LR (the optimizer's LR
  when the scheduler is made). warmcos schedules are absolute LR values, so they are written
  for group 0's base LR (``warmcos.step(value=base_lr, ...)``) and ``group_scaling="ratio"``
  (the default) gives the other groups the same factor on their own base LR.
- Where a peer has an ABSOLUTE part that is not scaled per group (CosineAnnealingLR's
  ``eta_min``), ratio mode cannot match with several groups; one warmcos schedule per group can.
- Compared over the range where both are defined: up to ``T_max`` / ``num_training_steps``
  for the single-cycle cosines (the peers rise again after it, warmcos holds the floor).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

torch = pytest.importorskip("torch")
from torch.optim import lr_scheduler

import warmcos
from warmcos.torch import LRScheduler

# These tests drive schedulers alone, without optimizer updates: PyTorch's call-order warning
# (tested in test_call_order_warning.py) does not concern them.
pytestmark = pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step:UserWarning")

ATOL = 1e-12
BASE_LRS = (0.1, 0.025)  # two param groups, group 1 at a quarter of group 0

MakeScheduler = Callable[[torch.optim.Optimizer], Any]


def _optimizer(base_lrs: Sequence[float]) -> torch.optim.Optimizer:
    groups = [
        {"params": [torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))], "lr": lr}
        for lr in base_lrs
    ]
    return torch.optim.SGD(groups, lr=base_lrs[0])


def _run(
    make_scheduler: MakeScheduler, base_lrs: Sequence[float], n: int, *, per_step: int = 1
) -> list[list[float]]:
    """Each group's LR before each of ``n`` updates; ``scheduler.step()`` every ``per_step``."""
    optimizer = _optimizer(base_lrs)
    scheduler = make_scheduler(optimizer)
    rows = []
    for update in range(n):
        rows.append([group["lr"] for group in optimizer.param_groups])
        assert all(isinstance(lr, float) for lr in rows[-1])
        for group in optimizer.param_groups:
            for param in group["params"]:
                param.grad = torch.ones_like(param)
        optimizer.step()
        if (update + 1) % per_step == 0:
            scheduler.step()
    return rows


def _warmcos(schedule: Any, base_lrs: Sequence[float], n: int, **kwargs: Any) -> list[list[float]]:
    return _run(lambda opt: LRScheduler(opt, schedule, **kwargs), base_lrs, n)


def _assert_rows_match(peer: list[list[float]], ours: list[list[float]]) -> None:
    assert len(peer) == len(ours)
    worst, where = 0.0, None
    for t, (peer_row, our_row) in enumerate(zip(peer, ours, strict=True)):
        for group, (p, o) in enumerate(zip(peer_row, our_row, strict=True)):
            if abs(p - o) > worst:
                worst, where = abs(p - o), (t, group, p, o)
    assert worst <= ATOL, f"max |peer - warmcos| = {worst:.3e} at (step, group, peer, ours)={where}"


# -- PyTorch ---------------------------------------------------------------------------------


def test_cosine_annealing_lr_two_groups_ratio_mode() -> None:
    t_max = 50
    peer = _run(lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=t_max), BASE_LRS, t_max + 1)
    # eta_max (group 0's LR) -> peak; T_max -> steps; eta_min=0 -> floor=0; no warm-up.
    ours = _warmcos(warmcos.cosine(peak=BASE_LRS[0], steps=t_max), BASE_LRS, t_max + 1)
    _assert_rows_match(peer, ours)


def test_cosine_annealing_lr_with_eta_min_one_schedule_per_group() -> None:
    # eta_min is absolute: every group decays from its OWN base LR to the SAME eta_min, so the
    # groups' ratio changes over time and needs one warmcos schedule per group.
    t_max, eta_min = 40, 0.002
    peer = _run(
        lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=t_max, eta_min=eta_min),
        BASE_LRS,
        t_max + 1,
    )
    schedules = [warmcos.cosine(peak=lr, steps=t_max, floor=eta_min) for lr in BASE_LRS]
    ours = _warmcos(schedules, BASE_LRS, t_max + 1)
    _assert_rows_match(peer, ours)


def test_cosine_annealing_lr_with_eta_min_one_group() -> None:
    base_lr, t_max, eta_min = 3e-4, 100, 1e-5
    peer = _run(
        lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=t_max, eta_min=eta_min),
        [base_lr],
        t_max + 1,
    )
    ours = _warmcos(warmcos.cosine(peak=base_lr, steps=t_max, floor=eta_min), [base_lr], t_max + 1)
    _assert_rows_match(peer, ours)


@pytest.mark.parametrize(
    ("t_0", "t_mult", "n"),
    [(10, 1, 47), (3, 2, 3 + 6 + 12 + 24 + 48 + 5), (4, 3, 4 + 12 + 36 + 9)],
)
def test_cosine_annealing_warm_restarts_two_groups(t_0: int, t_mult: int, n: int) -> None:
    peer = _run(
        lambda opt: lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=t_0, T_mult=t_mult),
        BASE_LRS,
        n,
    )
    # eta_max -> peak; T_0 -> first_cycle (no warm-up); integer T_mult -> cycle_mult with the
    # integer cycle rule (cycle k lasts T_0 * T_mult**k); eta_min=0 -> floor; gamma=1.
    schedule = warmcos.cosine_restarts(
        peak=BASE_LRS[0], first_cycle=t_0, cycle_mult=t_mult, cycle_rule="integer"
    )
    _assert_rows_match(peer, _warmcos(schedule, BASE_LRS, n))


def test_cosine_annealing_warm_restarts_with_eta_min_one_group() -> None:
    base_lr, eta_min, n = 0.05, 1e-3, 2 + 4 + 8 + 16 + 32 + 7
    peer = _run(
        lambda opt: lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=eta_min),
        [base_lr],
        n,
    )
    schedule = warmcos.cosine_restarts(peak=base_lr, first_cycle=2, floor=eta_min, cycle_mult=2)
    _assert_rows_match(peer, _warmcos(schedule, [base_lr], n))


def test_step_lr_two_groups() -> None:
    n = 60
    peer = _run(lambda opt: lr_scheduler.StepLR(opt, step_size=7, gamma=0.5), BASE_LRS, n)
    # StepLR multiplies the base LR by gamma every step_size steps -> step(value=base LR).
    ours = _warmcos(warmcos.step(value=BASE_LRS[0], step_size=7, gamma=0.5), BASE_LRS, n)
    _assert_rows_match(peer, ours)


def test_step_lr_per_epoch_equals_warmcos_per_batch_with_steps_per_unit() -> None:
    # PyTorch: StepLR in epochs, stepped once per epoch of 6 batches. warmcos: the same schedule
    # in epochs, stepped once per batch with steps_per_unit=6.
    batches, epochs = 6, 12
    peer = _run(
        lambda opt: lr_scheduler.StepLR(opt, step_size=3, gamma=0.2),
        BASE_LRS,
        batches * epochs,
        per_step=batches,
    )
    ours = _warmcos(
        warmcos.step(value=BASE_LRS[0], step_size=3, gamma=0.2),
        BASE_LRS,
        batches * epochs,
        steps_per_unit=batches,
    )
    _assert_rows_match(peer, ours)


def test_multistep_lr_two_groups() -> None:
    milestones, n = [10, 25, 26, 40], 55
    peer = _run(
        lambda opt: lr_scheduler.MultiStepLR(opt, milestones=milestones, gamma=0.3), BASE_LRS, n
    )
    # milestones and gamma map one to one; value = base LR.
    ours = _warmcos(
        warmcos.multistep(value=BASE_LRS[0], milestones=milestones, gamma=0.3), BASE_LRS, n
    )
    _assert_rows_match(peer, ours)


def test_linear_lr_two_groups() -> None:
    n = 40
    peer = _run(
        lambda opt: lr_scheduler.LinearLR(opt, start_factor=0.25, end_factor=0.9, total_iters=20),
        BASE_LRS,
        n,
    )
    # start_factor * base LR -> start; end_factor * base LR -> end; total_iters -> steps.
    schedule = warmcos.linear(start=0.25 * BASE_LRS[0], end=0.9 * BASE_LRS[0], steps=20)
    _assert_rows_match(peer, _warmcos(schedule, BASE_LRS, n))


def test_exponential_lr_two_groups() -> None:
    n = 100
    peer = _run(lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.95), BASE_LRS, n)
    ours = _warmcos(warmcos.exponential(value=BASE_LRS[0], gamma=0.95), BASE_LRS, n)
    _assert_rows_match(peer, ours)


def test_sequential_lr_hands_over_to_warmcos_at_its_milestone() -> None:
    # torch's SequentialLR calls the next scheduler's step(0) at the milestone: warmcos'
    # step(position) jumps there, so a warmcos cosine can replace CosineAnnealingLR after a
    # torch LinearLR warm-up. Compared up to milestone + T_max (the peer is periodic after).
    warmup, t_max = 5, 20

    def peer_scheduler(opt: torch.optim.Optimizer) -> Any:
        return lr_scheduler.SequentialLR(
            opt,
            [
                lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=warmup),
                lr_scheduler.CosineAnnealingLR(opt, T_max=t_max),
            ],
            milestones=[warmup],
        )

    def our_scheduler(opt: torch.optim.Optimizer) -> Any:
        return lr_scheduler.SequentialLR(
            opt,
            [
                lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=warmup),
                LRScheduler(opt, warmcos.cosine(peak=BASE_LRS[0], steps=t_max)),
            ],
            milestones=[warmup],
        )

    n = warmup + t_max + 1
    _assert_rows_match(_run(peer_scheduler, BASE_LRS, n), _run(our_scheduler, BASE_LRS, n))


# -- transformers ----------------------------------------------------------------------------


@pytest.fixture
def transformers() -> Any:
    return pytest.importorskip("transformers")


def test_transformers_cosine_with_warmup_two_groups(transformers: Any) -> None:
    warmup, total = 10, 60
    peer = _run(
        lambda opt: transformers.get_cosine_schedule_with_warmup(
            opt, num_warmup_steps=warmup, num_training_steps=total
        ),
        BASE_LRS,
        total + 1,
    )
    # The optimizer's LR -> peak; num_warmup_steps -> warmup (from 0: warmup_start=0);
    # num_training_steps (warm-up included) -> steps; floor 0. Compared up to num_training_steps.
    schedule = warmcos.cosine(peak=BASE_LRS[0], steps=total, warmup=warmup)
    _assert_rows_match(peer, _warmcos(schedule, BASE_LRS, total + 1))


def test_transformers_cosine_with_min_lr_rate_two_groups(transformers: Any) -> None:
    warmup, total, rate = 7, 45, 0.1
    peer = _run(
        lambda opt: transformers.get_cosine_with_min_lr_schedule_with_warmup(
            opt, num_warmup_steps=warmup, num_training_steps=total, min_lr_rate=rate
        ),
        BASE_LRS,
        total + 1,
    )
    # min_lr_rate is relative to each group's LR -> floor = rate * group 0's LR (ratio mode
    # scales it per group like the peer).
    schedule = warmcos.cosine(
        peak=BASE_LRS[0], steps=total, warmup=warmup, floor=rate * BASE_LRS[0]
    )
    _assert_rows_match(peer, _warmcos(schedule, BASE_LRS, total + 1))


def test_transformers_cosine_with_absolute_min_lr_one_group(transformers: Any) -> None:
    base_lr, warmup, total, min_lr = 3e-4, 20, 200, 3e-5
    peer = _run(
        lambda opt: transformers.get_cosine_with_min_lr_schedule_with_warmup(
            opt, num_warmup_steps=warmup, num_training_steps=total, min_lr=min_lr
        ),
        [base_lr],
        total + 1,
    )
    # min_lr is turned into min_lr_rate = min_lr / optimizer.defaults["lr"] -> floor = min_lr.
    schedule = warmcos.cosine(peak=base_lr, steps=total, warmup=warmup, floor=min_lr)
    _assert_rows_match(peer, _warmcos(schedule, [base_lr], total + 1))


@pytest.mark.parametrize(
    ("decay_type", "shape"), [("linear", "linear"), ("cosine", "cosine"), ("1-sqrt", "sqrt")]
)
def test_transformers_wsd_two_groups(transformers: Any, decay_type: str, shape: str) -> None:
    warmup, stable, decay, ratio = 8, 25, 12, 0.05
    total = warmup + stable + decay
    n = total + 10  # both hold min_lr_ratio * LR after the end
    peer = _run(
        lambda opt: transformers.get_wsd_schedule(
            opt,
            num_warmup_steps=warmup,
            num_decay_steps=decay,
            num_training_steps=total,
            min_lr_ratio=ratio,
            decay_type=decay_type,
        ),
        BASE_LRS,
        n,
    )
    # num_warmup_steps -> warmup; num_decay_steps -> decay; num_training_steps -> steps;
    # min_lr_ratio * LR -> floor AND warmup_start (transformers warms up from the minimum);
    # decay_type "1-sqrt" -> shape "sqrt".
    floor = ratio * BASE_LRS[0]
    schedule = warmcos.wsd(
        peak=BASE_LRS[0],
        steps=total,
        warmup=warmup,
        decay=decay,
        floor=floor,
        shape=shape,
        warmup_start=floor,
    )
    _assert_rows_match(peer, _warmcos(schedule, BASE_LRS, n))
