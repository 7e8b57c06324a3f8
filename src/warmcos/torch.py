"""PyTorch adapter: drive an optimizer's param groups with any warmcos schedule.

:class:`LRScheduler` is a real ``torch.optim.lr_scheduler.LRScheduler``, so PyTorch Lightning,
transformers' ``Trainer`` and accelerate accept it. It only does bookkeeping (the position, the
param groups, checkpoints); every value comes from the schedule's closed form, so the LR at step
``t`` never depends on how it was reached.

:class:`CosineAnnealingWarmupRestarts` is the seed tutorial's class, drop-in, with its defects
fixed (see its docstring).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler as _TorchLRScheduler

from ._core import validation as check
from ._core.restarts import CosineRestarts
from ._core.schedule import Schedule, from_dict
from .range_test import RangeTestResult, find_lr

__all__ = ["CosineAnnealingWarmupRestarts", "LRScheduler", "RangeTestResult", "find_lr"]

GROUP_SCALINGS = ("ratio", "absolute")
MISMATCH_POLICIES = ("error", "adopt", "keep")
_KEY = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:\[(?P<index>\d+)\])?$")


class LRScheduler(_TorchLRScheduler):
    """Set an optimizer's learning rates (and optionally other hyperparameters) from schedules.

    The position is ``t = step / steps_per_unit``, where ``step`` counts :meth:`step` calls since
    the start (``last_epoch``, as in PyTorch). Group ``i``'s learning rate at position ``t`` is:

    * ``group_scaling="ratio"`` (default): ``schedule(t) * base_lr[i] / base_lr[0]``, where
      ``base_lr[i]`` is group ``i``'s learning rate when the scheduler was created. Group 0
      follows the schedule exactly and every other group keeps its ratio to group 0, so
      layer-wise learning rates survive;
    * ``group_scaling="absolute"``: ``schedule(t)`` for every group;
    * a list of schedules, one per group: ``schedules[i](t)`` for group ``i``.

    Groups added later with ``add_param_group`` join at their next :meth:`step`, with their own
    learning rate as their base.

    Args:
        optimizer: The optimizer to drive.
        schedule: A warmcos schedule (in absolute LR values), or one schedule per param group.
        steps_per_unit: How many :meth:`step` calls make one unit of the schedule: a schedule
            written in epochs and stepped once per batch uses the number of batches per epoch.
        last_step: ``-1`` to start; ``N`` to resume after step ``N`` (the first update then uses
            the value at step ``N + 1``, as PyTorch's ``last_epoch``).
        group_scaling: ``"ratio"`` or ``"absolute"`` (ignored with one schedule per group).
        hyperparameters: More param-group keys to schedule, each with its schedule in absolute
            values, applied to every group: ``{"momentum": ..., "betas[0]": ...,
            "weight_decay": ...}``.
        on_mismatch: What :meth:`load_state_dict` does with a checkpoint from a differently
            configured scheduler: ``"error"`` (default), ``"adopt"`` its configuration, or
            ``"keep"`` this one and take only its progress.

    Raises:
        TypeError, ValueError: Bad arguments, before the optimizer is touched.

    Example:
        >>> import torch, warmcos
        >>> from warmcos.torch import LRScheduler
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        >>> scheduler = LRScheduler(opt, warmcos.cosine(peak=0.1, steps=4, warmup=2))
        >>> lrs = []
        >>> for _ in range(5):
        ...     lrs.append(round(opt.param_groups[0]["lr"], 4))
        ...     opt.step()
        ...     scheduler.step()
        >>> lrs
        [0.0, 0.05, 0.1, 0.05, 0.0]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedule: Schedule | Sequence[Schedule],
        *,
        steps_per_unit: float = 1,
        last_step: int = -1,
        group_scaling: str = "ratio",
        hyperparameters: Mapping[str, Schedule] | None = None,
        on_mismatch: str = "error",
    ) -> None:
        where = f"{type(self).__name__}()"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{where}: `optimizer` must be a torch.optim.Optimizer. "
                f"Received: optimizer of type {type(optimizer).__name__}"
            )
        groups = optimizer.param_groups
        self.schedules = _schedules(where, schedule, len(groups))
        self.steps_per_unit = check.positive(where, "steps_per_unit", steps_per_unit)
        self.group_scaling = check.choice(where, "group_scaling", group_scaling, GROUP_SCALINGS)
        self.on_mismatch = check.choice(where, "on_mismatch", on_mismatch, MISMATCH_POLICIES)
        if check.number(where, "last_step", last_step) < -1:
            raise check.fail(where, "last_step", "be >= -1", last_step=last_step)
        self.hyperparameters = _hyperparameters(where, hyperparameters, groups)
        bases = [float(_scalar(group.get("initial_lr", group["lr"]))) for group in groups]
        if self._uses_ratio() and not bases[0] > 0:
            raise check.fail(
                where,
                "optimizer.param_groups[0]['lr']",
                'be > 0 with group_scaling="ratio" (the other groups keep their ratio to it)',
                lr=bases[0],
            )
        # Resuming needs no `initial_lr`: with ratios only the groups' proportions matter, and
        # the current learning rates carry them.
        for group in groups:
            group.setdefault("initial_lr", _copy(group["lr"]))
        super().__init__(optimizer, last_epoch=last_step)

    # -- the position and the values ---------------------------------------------------------

    @property
    def position(self) -> float:
        """The schedule position ``t = last_epoch / steps_per_unit`` of the current values."""
        if self.steps_per_unit == 1:
            return self.last_epoch
        return self.last_epoch / self.steps_per_unit

    def _uses_ratio(self) -> bool:
        return len(self.schedules) == 1 and self.group_scaling == "ratio"

    def _sync_groups(self) -> None:
        """Take in groups added since the last step, and cache each group's factor."""
        groups = self.optimizer.param_groups
        if len(groups) == self.__dict__.get("_synced_groups"):
            return
        if len(self.schedules) > 1 and len(groups) != len(self.schedules):
            raise ValueError(
                f"{type(self).__name__}: the optimizer has {len(groups)} param groups but the "
                f"scheduler has {len(self.schedules)} schedules, one per group. A group added "
                "with `add_param_group` needs its own schedule: create the scheduler again "
                "with one schedule per group"
            )
        for group in groups[len(self.base_lrs) :]:
            # A group added with `add_param_group` after the scheduler was made.
            group.setdefault("initial_lr", _copy(group["lr"]))
            self.base_lrs.append(_copy(group["initial_lr"]))
        if self._uses_ratio():
            reference = float(_scalar(self.base_lrs[0]))
            self._factors = [float(_scalar(base)) / reference for base in self.base_lrs]
        else:
            self._factors = [1.0] * len(groups)
        self._uniform = all(factor == 1.0 for factor in self._factors)
        self._tensor_lrs = any(isinstance(group["lr"], torch.Tensor) for group in groups)
        self._synced_groups = len(groups)

    def get_lr(self) -> list[float | torch.Tensor]:
        """The learning rate of every group at the current position (closed form)."""
        self._sync_groups()
        t = self.position
        if len(self.schedules) > 1:
            return [schedule(t) for schedule in self.schedules]
        value = self.schedules[0](t)
        if self._uniform:
            return [value] * len(self._factors)
        return [value * factor for factor in self._factors]

    def _get_closed_form_lr(self) -> list[float | torch.Tensor]:
        return self.get_lr()

    def step(self, position: float | None = None) -> None:
        """Advance one step, or jump to an explicit `position` (in steps, may be fractional).

        ``step(k)`` gives exactly the values that ``k`` calls of ``step()`` from the start give.
        """
        if position is None:
            self.last_epoch += 1
        else:
            where = f"{type(self).__name__}.step()"
            self.last_epoch = check.nonnegative(where, "position", _scalar(position))  # type: ignore[assignment]
        self._step_count += 1
        self._apply()

    def _apply(self) -> None:
        groups = self.optimizer.param_groups
        lrs = self.get_lr()
        if self._tensor_lrs:
            for group, lr in zip(groups, lrs, strict=True):
                _write(group, "lr", None, lr)
            self._last_lr = [_copy(group["lr"]) for group in groups]
        else:
            for group, lr in zip(groups, lrs, strict=True):
                group["lr"] = lr
            self._last_lr = lrs
        if self.hyperparameters:
            t = self.position
            for name, index, schedule in self.hyperparameters.values():
                value = schedule(t)
                for group in groups:
                    _write(group, name, index, value)

    # -- checkpoints -------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Progress plus configuration, as plain Python data (``weights_only=True`` loads it)."""
        return {
            "last_step": self.last_epoch,
            "step_count": int(self._step_count),
            "steps_per_unit": self.steps_per_unit,
            "group_scaling": self.group_scaling,
            "base_lrs": [float(_scalar(base)) for base in self.base_lrs],
            "schedules": [schedule.to_dict() for schedule in self.schedules],
            "hyperparameters": {
                key: schedule.to_dict() for key, (_, _, schedule) in self.hyperparameters.items()
            },
        }

    def load_state_dict(self, state_dict: dict[str, Any], *, adopt: bool | None = None) -> None:
        """Resume from :meth:`state_dict` and write the resumed values into the optimizer.

        A checkpoint written by a differently configured scheduler (another schedule,
        ``steps_per_unit``, ``group_scaling`` or ``hyperparameters``) is refused, because loading
        it would silently change the run. The scheduler's `on_mismatch` decides otherwise
        (trainers call ``load_state_dict(state)`` with no options): ``"adopt"`` takes the
        checkpoint's configuration, ``"keep"`` keeps this scheduler's and takes only the
        checkpoint's progress (to extend a run with a longer schedule, say).

        Args:
            state_dict: What :meth:`state_dict` returned (possibly through ``torch.save`` and
                ``torch.load(..., weights_only=True)``).
            adopt: True takes the checkpoint's configuration (as ``on_mismatch="adopt"``);
                None (default) follows `on_mismatch`.

        Raises:
            ValueError: The configurations differ and neither `adopt` nor `on_mismatch` allows it.
        """
        policy = "adopt" if adopt else self.on_mismatch
        where = f"{type(self).__name__}.load_state_dict()"
        missing = {"last_step", "schedules", "base_lrs"} - set(state_dict)
        if missing:
            raise ValueError(f"{where}: not a warmcos scheduler state; missing {sorted(missing)}")
        schedules = [from_dict(data) for data in state_dict["schedules"]]
        hyperparameters = {
            key: from_dict(data) for key, data in state_dict.get("hyperparameters", {}).items()
        }
        mine = {
            "schedules": self.schedules,
            "steps_per_unit": self.steps_per_unit,
            "group_scaling": self.group_scaling,
            "hyperparameters": {key: item[2] for key, item in self.hyperparameters.items()},
        }
        theirs = {
            "schedules": schedules,
            "steps_per_unit": state_dict.get("steps_per_unit", 1),
            "group_scaling": state_dict.get("group_scaling", "ratio"),
            "hyperparameters": hyperparameters,
        }
        differing = [name for name in mine if mine[name] != theirs[name]]
        if differing and policy == "error":
            details = "; ".join(
                f"{n}: checkpoint {theirs[n]!r}, here {mine[n]!r}" for n in differing
            )
            raise ValueError(
                f"{where}: the checkpoint was written by a differently configured scheduler "
                f"({details}). Pass adopt=True (or create the scheduler with "
                "on_mismatch='adopt') to take the checkpoint's configuration, or "
                "on_mismatch='keep' to keep this one and take only the progress"
            )
        if differing and policy == "adopt":
            self.schedules = schedules
            self.steps_per_unit = theirs["steps_per_unit"]
            self.group_scaling = theirs["group_scaling"]
            groups = self.optimizer.param_groups
            self.hyperparameters = _hyperparameters(where, hyperparameters, groups)
        self.last_epoch = state_dict["last_step"]
        self._step_count = int(state_dict.get("step_count", 1))
        self.base_lrs = list(state_dict["base_lrs"])
        self.__dict__.pop("_synced_groups", None)
        self._apply()


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
    ``warmup_steps=0`` step 0 trains at `max_lr`; ``step(epoch)`` agrees with ``step()`` at
    every position, cycle boundaries are exact; resuming with `last_epoch` works and
    ``load_state_dict`` writes the LRs back; every argument is validated with a clear error;
    the peak never decays below `min_lr`; tensor learning rates stay tensors (updated in
    place).

    Args:
        optimizer: The optimizer.
        first_cycle_steps: The first cycle's length in steps, warm-up included.
        cycle_mult: Growth factor of the cycles' decay part (``>= 1``).
        max_lr: The first cycle's peak, or one per param group.
        min_lr: The floor, or one per param group.
        warmup_steps: Linear warm-up from `min_lr` at the start of every cycle.
        gamma: Decay of the peak per cycle, in (0, 1].
        last_epoch: ``-1`` to start, ``N`` to resume after step ``N``.
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
        if check.number(where, "last_epoch", last_epoch) < -1:
            raise check.fail(where, "last_epoch", "be >= -1", last_epoch=last_epoch)
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


def _schedules(where: str, schedule: object, count: int) -> list[Schedule]:
    if isinstance(schedule, Schedule):
        return [schedule]
    if isinstance(schedule, Sequence) and not isinstance(schedule, (str, bytes)):
        items = list(schedule)
        if all(isinstance(item, Schedule) for item in items) and len(items) == count:
            return items
        raise check.fail(
            where,
            "schedule",
            f"be a schedule or a list of one schedule per param group ({count})",
            schedule=items,
        )
    raise TypeError(
        f"{where}: `schedule` must be a warmcos schedule or a list of them. "
        f"Received: schedule={schedule!r} of type {type(schedule).__name__}"
    )


def _hyperparameters(
    where: str, hyperparameters: Mapping[str, Schedule] | None, groups: list[dict[str, Any]]
) -> dict[str, tuple[str, int | None, Schedule]]:
    if hyperparameters is None:
        return {}
    if not isinstance(hyperparameters, Mapping):
        raise TypeError(
            f"{where}: `hyperparameters` must map param-group keys to schedules. "
            f"Received: hyperparameters of type {type(hyperparameters).__name__}"
        )
    parsed: dict[str, tuple[str, int | None, Schedule]] = {}
    for key, schedule in hyperparameters.items():
        match = _KEY.match(key) if isinstance(key, str) else None
        if match is None or match["name"] == "lr":
            raise check.fail(
                where,
                "hyperparameters",
                "have keys like 'momentum', 'weight_decay' or 'betas[0]' (not 'lr': that is "
                "`schedule`)",
                key=key,
            )
        if not isinstance(schedule, Schedule):
            raise TypeError(
                f"{where}: `hyperparameters[{key!r}]` must be a warmcos schedule. "
                f"Received: {schedule!r} of type {type(schedule).__name__}"
            )
        name, index = match["name"], None if match["index"] is None else int(match["index"])
        for number, group in enumerate(groups):
            value = group.get(name)
            if index is not None:
                inside = isinstance(value, (tuple, list)) and index < len(value)
                value = value[index] if inside else None  # type: ignore[index]
            if not _is_numeric(value):
                raise check.fail(
                    where,
                    "hyperparameters",
                    "name a number that every param group holds (use 'betas[0]' for an item "
                    "of a tuple)",
                    key=key,
                    group=number,
                    value=value,
                )
        parsed[key] = (name, index, schedule)
    return parsed


def _per_group(where: str, name: str, value: object, count: int) -> list[float]:
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        values = [check.nonnegative(where, name, item) for item in value]
        if len(values) != count:
            raise check.fail(
                where, name, f"hold one value per param group ({count})", **{name: list(value)}
            )
        return [float(item) for item in values]
    return [float(check.nonnegative(where, name, value))]


def _is_numeric(value: object) -> bool:
    if isinstance(value, torch.Tensor):
        return value.is_floating_point() and value.numel() == 1
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _scalar(value: Any) -> Any:
    return value.item() if isinstance(value, torch.Tensor) else value


def _copy(value: Any) -> Any:
    return value.clone() if isinstance(value, torch.Tensor) else value


def _write(group: dict[str, Any], name: str, index: int | None, value: Any) -> None:
    current = group[name]
    if index is not None:
        items = list(current)
        item = items[index]
        if isinstance(item, torch.Tensor):
            item.fill_(value)
            return
        items[index] = value
        group[name] = type(current)(items)
    elif isinstance(current, torch.Tensor):
        # In place, so a compiled or capturable optimizer step sees the same tensor.
        current.fill_(value)
    else:
        group[name] = value
