"""The seed tutorial's ``CosineAnnealingWarmupRestarts``, drop-in, with its defects fixed."""

from __future__ import annotations

from collections.abc import Sequence

from torch.optim import Optimizer

from .._core import validation as check
from .._core.restarts import CosineRestarts
from .scheduler import LRScheduler, _per_group, _scalar, _steps

__all__ = ["CosineAnnealingWarmupRestarts"]


class CosineAnnealingWarmupRestarts(LRScheduler):
    """The seed tutorial's scheduler, drop-in: cosine annealing with warm-up and warm restarts.

    Same signature and, for one param group and valid arguments, the same ``step()`` sequence
    as the seed's formulas: in a cycle of length ``L`` at position ``s`` with peak ``P``,
    ``min_lr + (P - min_lr) * s / warmup_steps`` during warm-up, then
    ``min_lr + (P - min_lr) * (1 + cos(pi * (s - warmup_steps) / (L - warmup_steps))) / 2``;
    the next cycle is ``int((L - warmup_steps) * cycle_mult) + warmup_steps`` long and cycle
    ``c`` peaks at ``max(max_lr * gamma ** c, min_lr)``. It is
    :class:`LRScheduler` driving :func:`warmcos.cosine_restarts`.

    Param groups: with one `max_lr` and `min_lr`, group 0 follows the schedule and every other
    group keeps its ratio to group 0's learning rate (when group 0's learning rate is 0 there is
    no ratio, and every group follows the schedule as is); with a list of `max_lr` (and/or
    `min_lr`), one value per group, each group has its own schedule.

    Fixed defects of the seed: param groups keep their own learning rates (ratios, or a list of
    `max_lr`/`min_lr` per group; groups added later are scheduled too, in ratio mode); with
    ``warmup_steps=0`` step 0 trains at `max_lr`; ``step(epoch)`` (`epoch` is a step, as
    PyTorch's ``last_epoch``, possibly fractional) agrees with ``step()`` at every step, cycle
    boundaries are exact; resuming with `last_epoch` works and ``load_state_dict`` writes the
    LRs back; every argument is validated with a clear error; the peak never decays below
    `min_lr`; tensor learning rates stay tensors (updated in place).

    Args:
        optimizer: The optimizer.
        first_cycle_steps: The first cycle's length in steps, warm-up included.
        cycle_mult: Growth factor of the cycles' decay part (``>= 1``).
        max_lr: The first cycle's peak, or one per param group.
        min_lr: The floor, or one per param group.
        warmup_steps: Linear warm-up from `min_lr` at the start of every cycle.
        gamma: Decay of the peak per cycle, in (0, 1].
        last_epoch: ``-1`` to start, ``N`` to resume after step ``N`` (PyTorch's name; it is
            :attr:`last_step`).
        warmup_cycles: ``"every"`` (the seed) or ``"first"`` (warm up before the first cycle
            only).

    Example:
        >>> import torch
        >>> from warmcos.torch import CosineAnnealingWarmupRestarts
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        >>> s = CosineAnnealingWarmupRestarts(opt, first_cycle_steps=4, max_lr=0.1, min_lr=0.0)
        >>> lrs = []
        >>> for _ in range(6):
        ...     lrs.append(round(s.get_last_lr()[0], 3))
        ...     opt.step()
        ...     s.step()
        >>> lrs
        [0.1, 0.085, 0.05, 0.015, 0.1, 0.085]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        first_cycle_steps: int,
        cycle_mult: float = 1.0,
        max_lr: float | Sequence[float] = 0.1,
        min_lr: float | Sequence[float] = 0.001,
        warmup_steps: int = 0,
        gamma: float = 1.0,
        last_epoch: int = -1,
        *,
        warmup_cycles: str = "every",
    ) -> None:
        where = "CosineAnnealingWarmupRestarts()"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{where}: `optimizer` must be a torch.optim.Optimizer. "
                f"Received: optimizer of type {type(optimizer).__name__}"
            )
        count = len(optimizer.param_groups)
        _steps(where, "last_epoch", last_epoch, minimum=-1)
        first = check.whole(where, "first_cycle_steps", first_cycle_steps, minimum=1)
        warmup = check.whole(where, "warmup_steps", warmup_steps, minimum=0)
        check.less(where, "warmup_steps", warmup, "first_cycle_steps", first)
        mult = check.number(where, "cycle_mult", cycle_mult)
        if mult < 1:
            raise check.fail(where, "cycle_mult", "be >= 1", cycle_mult=cycle_mult)
        peaks = _per_group(where, "max_lr", max_lr, count)
        floors = _per_group(where, "min_lr", min_lr, count)
        per_group = len(peaks) > 1 or len(floors) > 1
        if per_group:
            peaks, floors = peaks * (count // len(peaks)), floors * (count // len(floors))
        for peak, floor in zip(peaks, floors, strict=True):
            check.at_most(where, "min_lr", floor, "max_lr", peak)
        self.first_cycle_steps = first
        self.cycle_mult = mult
        self.warmup_steps = warmup
        self.gamma = check.decay_factor(where, "gamma", gamma)
        schedules = [
            CosineRestarts(
                peak=peak,
                first_cycle=first,
                floor=floor,
                cycle_mult=mult,
                gamma=self.gamma,
                warmup=warmup,
                warmup_cycles=warmup_cycles,
            )
            for peak, floor in zip(peaks, floors, strict=True)
        ]
        # One schedule: every group follows it in proportion to its own learning rate, unless
        # group 0's learning rate is 0 and gives no proportion (then all follow it as is, as
        # documented).
        reference = optimizer.param_groups[0] if optimizer.param_groups else {"lr": 0.0}
        base = float(_scalar(reference.get("initial_lr", reference["lr"])))
        super().__init__(
            optimizer,
            schedules if per_group else schedules[0],
            last_step=last_epoch,
            group_scaling="ratio" if base > 0 else "absolute",
        )

    @property
    def cycle(self) -> int:
        """The current cycle, 0-based (as the seed's ``cycle`` attribute)."""
        return self._restarts.cycle_at(self.position)

    @property
    def step_in_cycle(self) -> float:
        """Steps since the current cycle started (as the seed's ``step_in_cycle``)."""
        return self.position - self._restarts.cycle_start(self.cycle)

    @property
    def cur_cycle_steps(self) -> float:
        """The current cycle's length (as the seed's ``cur_cycle_steps``)."""
        cycle = self.cycle
        return self._restarts.cycle_start(cycle + 1) - self._restarts.cycle_start(cycle)

    @property
    def _restarts(self) -> CosineRestarts:
        schedule = self.schedules[0]
        if not isinstance(schedule, CosineRestarts):
            raise TypeError("CosineAnnealingWarmupRestarts drives cosine_restarts schedules only")
        return schedule
