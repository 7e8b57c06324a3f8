"""The PyTorch scheduler: drive an optimizer's param groups with any warmcos schedule.

:class:`LRScheduler` is a real ``torch.optim.lr_scheduler.LRScheduler``, so PyTorch Lightning,
transformers' ``Trainer`` and accelerate accept it. It only does bookkeeping (the step, the param
groups, checkpoints); every value comes from the schedule's closed form, so the LR at a
step never depends on how it was reached.

Two quantities, two names, everywhere in this module:

* the **step**: how far the run is, in optimizer updates: ``last_step`` (PyTorch's
  ``last_epoch``, the same number), the constructor's ``last_step``, and `epoch` in
  ``step(epoch)`` (PyTorch's name for it);
* the **position**: where the schedule is read, in the schedule's own units (epochs, say):
  ``position = last_step / steps_per_unit``, and the argument of ``seek(position)``.

(A checkpoint's ``step_count`` is neither: it is PyTorch's count of ``step()`` calls, which only
the call-order warning reads.)

A budget (``change_budget(steps)``, ``on_mismatch="change_budget"``) is a position: the new end,
in schedule units.
"""

from __future__ import annotations

import math
import numbers
import re
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import torch
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler as _TorchLRScheduler

from .._core import validation as check
from .._core.budget import ChangedBudget
from .._core.plateau import PlateauMonitor, report_metric, without_reductions
from .._core.schedule import Schedule
from .._core.spec import as_schedule
from .horizon import TOLERANCE, HorizonWarning, decay_end, planned_steps, same_shape

__all__ = ["LRScheduler", "ScheduleLike"]

ScheduleLike = Schedule | str | Mapping[str, Any]
"""A schedule, its spec string (``"cosine(peak=0.1, steps=100)"``) or its ``to_dict()`` data."""

GROUP_SCALINGS = ("ratio", "absolute")
MISMATCH_POLICIES = ("error", "adopt", "keep", "change_budget")
_KEY = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:\[(?P<index>\d+)\])?$")
_STATE_KEYS = (
    "plateau",
    "last_step",
    "step_count",
    "steps_per_unit",
    "group_scaling",
    "base_lrs",
    "schedules",
    "hyperparameters",
)
_REQUIRED_KEYS = ("last_step", "schedules", "base_lrs")

# How step() writes the learning rates, chosen when the param groups are (re)read: one value
# for every group, one value times each group's ratio, one schedule per group, tensor LRs.
_SAME, _RATIO, _EACH, _TENSORS = "same", "ratio", "each", "tensors"
_NEVER = sys.maxsize
"""What step() compares each step with when no horizon check is due: no run gets there."""
_UNROLLED = 256
"""Up to this many param groups, ratio mode writes them with generated straight-line code."""

# PyTorch's own warnings (torch/optim/lr_scheduler.py), word for word: users search for them.
_OVERRIDDEN_STEP = (
    "Seems like `optimizer.step()` has been overridden after learning rate scheduler "
    "initialization. Please, make sure to call `optimizer.step()` before "
    "`lr_scheduler.step()`. See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
)
_STEP_BEFORE_OPTIMIZER = (
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. "
    "In PyTorch 1.1.0 and later, you should call them in the opposite order: "
    "`optimizer.step()` before `lr_scheduler.step()`.  Failure to do this "
    "will result in PyTorch skipping the first value of the learning rate schedule. "
    "See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
)

Hyperparameters = dict[str, tuple[str, int | None, Schedule]]
"""Parsed `hyperparameters`: key -> (param-group key, tuple index or None, schedule)."""


class _Loaded(NamedTuple):
    """A checkpoint read and checked by :meth:`LRScheduler.load_state_dict`, not yet applied."""

    last_step: int | float
    step_count: int
    steps_per_unit: int | float
    group_scaling: str
    base_lrs: list[float]
    schedules: list[Schedule]
    hyperparameters: dict[str, Schedule]
    plateau: dict[str, Any] | None


class LRScheduler(_TorchLRScheduler):
    """Set an optimizer's learning rates (and optionally other hyperparameters) from schedules.

    **Steps and positions.** The *step* ``last_step`` (PyTorch's ``last_epoch``, the same number)
    says how many optimizer updates the run has made: :meth:`step` adds one, ``step(epoch)``
    jumps to step `epoch`. The schedule is read at the *position* ``t = last_step /
    steps_per_unit``, in the schedule's own units (epochs, say); :meth:`seek` jumps to a
    position. Group ``i``'s learning rate at position ``t`` is:

    * ``group_scaling="ratio"`` (default): ``schedule(t) * base_lr[i] / base_lr[0]``, where
      ``base_lr[i]`` is group ``i``'s learning rate when the scheduler was created. Group 0
      follows the schedule exactly and every other group keeps its ratio to group 0, so
      layer-wise learning rates survive;
    * ``group_scaling="absolute"``: ``schedule(t)`` for every group;
    * a list of schedules, one per group: ``schedules[i](t)`` for group ``i``.

    Groups added later with ``add_param_group`` join at their next :meth:`step`, with their own
    learning rate as their base.

    Like PyTorch's schedulers, it warns (``UserWarning``) when :meth:`step` is called before the
    optimizer's first ``step()``, since the first value of the schedule is then skipped.

    **The horizon.** A schedule that decays onto its final value and holds it has an end (see
    :func:`~warmcos.torch.horizon.decay_end`; with one schedule per group, the latest end). The
    scheduler warns once, with :class:`~warmcos.torch.HorizonWarning` and the numbers, when it
    is stepped past that end (``natural_end * steps_per_unit`` steps) by more than 5% of it (at
    least one step): training then goes on at the floor, the usual sign of a schedule written
    in epochs but stepped per batch (see `steps_per_unit`), or of a run longer than planned (see
    :meth:`change_budget`). Under PyTorch Lightning or transformers' ``Trainer``, found without
    importing either (see :mod:`warmcos.torch.horizon`), its first step after construction or
    :meth:`load_state_dict` also compares that end with the number of steps the trainer plans
    (``estimated_stepping_batches`` with ``interval="step"``, ``max_epochs`` with
    ``interval="epoch"``, ``state.max_steps``) and warns when they differ by more than 5%.
    ``check_horizon=False`` turns both checks off. The per-step cost is one integer
    comparison, shared with PyTorch's first-step check.

    Args:
        optimizer: The optimizer to drive.
        schedule: A warmcos schedule (in absolute LR values), its spec string
            (``"cosine(peak=0.1, steps=100)"``) or its ``to_dict()`` data; or a list of them,
            one per param group. Strings and dicts let configuration files (LightningCLI,
            Hydra) build the scheduler.
        steps_per_unit: How many :meth:`step` calls make one unit of the schedule: a schedule
            written in epochs and stepped once per batch uses the number of batches per epoch.
        last_step: The step to resume after: ``-1`` to start; ``N`` to resume after step
            ``N`` (the first update then uses the value at step ``N + 1``, as PyTorch's
            ``last_epoch``).
        group_scaling: ``"ratio"`` or ``"absolute"`` (ignored with one schedule per group).
        hyperparameters: More param-group keys to schedule, each with its schedule (or spec
            string, or dict) in absolute values, applied to every group: ``{"momentum": ...,
            "betas[0]": ..., "weight_decay": ...}``.
        on_mismatch: What :meth:`load_state_dict` does with a checkpoint from a differently
            configured scheduler: ``"error"`` (default), ``"adopt"`` its configuration,
            ``"keep"`` this one and take only its progress, or ``"change_budget"``: continue the
            checkpoint's schedules from its position, re-timed to end where this scheduler's
            end (to resume with a larger ``max_steps``; see :meth:`load_state_dict`).
        check_horizon: Warn when the run outlasts the schedule or the trainer plans another
            length (see above); False turns these checks off (also settable later).

    Raises:
        TypeError, ValueError: Bad arguments, before the optimizer is touched.

    Example:
        >>> import torch
        >>> from warmcos.torch import LRScheduler
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        >>> scheduler = LRScheduler(opt, "cosine(peak=0.1, steps=4, warmup=2)")
        >>> lrs = []
        >>> for _ in range(5):
        ...     lrs.append(round(opt.param_groups[0]["lr"], 4))
        ...     opt.step()
        ...     scheduler.step()
        >>> lrs
        [0.0, 0.05, 0.1, 0.05, 0.0]
    """

    # What get_last_lr() returns, None after a step until it is asked for: step() only writes
    # the groups (PyTorch's attribute, widened by None, hence the ignore).
    _last_lr: list[float | torch.Tensor] | None  # type: ignore[assignment]

    def __init__(
        self,
        optimizer: Optimizer,
        schedule: ScheduleLike | Sequence[ScheduleLike],
        *,
        steps_per_unit: float = 1,
        last_step: int = -1,
        group_scaling: str = "ratio",
        hyperparameters: Mapping[str, ScheduleLike] | None = None,
        on_mismatch: str = "error",
        check_horizon: bool = True,
    ) -> None:
        where = f"{type(self).__name__}()"
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"{where}: `optimizer` must be a torch.optim.Optimizer. "
                f"Received: optimizer of type {type(optimizer).__name__}"
            )
        groups = optimizer.param_groups
        schedules = _schedules(where, schedule, len(groups))
        spu = check.positive(where, "steps_per_unit", steps_per_unit)
        scaling = check.choice(where, "group_scaling", group_scaling, GROUP_SCALINGS)
        policy = check.choice(where, "on_mismatch", on_mismatch, MISMATCH_POLICIES)
        horizon = _flag(where, "check_horizon", check_horizon)
        start = _steps(where, "last_step", last_step, minimum=-1)
        parsed = _hyperparameters(where, hyperparameters, groups)
        ratio = len(schedules) == 1 and scaling == "ratio"
        bases, names = [_group_base(group) for group in groups], _base_names(groups, 0)
        factors = _factors(where, names, bases, ratio=ratio)
        # The constructor takes the first step (as PyTorch's): it must work, or nothing starts.
        _position(where, "last_step", start + 1, spu, last_step)
        _check_lrs(where, names, bases, _lrs_at(start + 1, spu, schedules, factors))
        self.schedules = schedules
        self.steps_per_unit = spu
        self.group_scaling = scaling
        self.on_mismatch = policy
        self.hyperparameters = parsed
        self._groups: list[dict[str, Any]] | None = None  # the list the caches below describe
        # step() compares each step with `_check_after` (see _threshold); the constructor's own
        # first step checks nothing (_arm_horizon, below, decides what the next steps check).
        self._check_horizon, self._check_after = horizon, _NEVER
        self._trainer_pending = self._end_pending = False
        self._plateau: PlateauMonitor | None = None  # set by the first report()
        # Resuming needs no `initial_lr`: with ratios only the groups' proportions matter, and
        # the current learning rates carry them.
        for group in groups:
            group.setdefault("initial_lr", _copy(group["lr"]))
        super().__init__(optimizer, last_epoch=start)  # type: ignore[arg-type]
        self._arm_horizon(trainer=True)

    def __getstate__(self) -> dict[str, Any]:
        """For copy and pickle: without the caches bound to the param groups' dicts.

        A copy (``copy.deepcopy`` of the scheduler with its optimizer, say) has other dicts;
        its next step reads the groups again instead of writing into the original's.
        """
        state = self.__dict__.copy()
        state.pop("_write_ratios", None)
        state["_groups"] = None
        return state

    # -- steps and positions -----------------------------------------------------------------

    @property
    def last_step(self) -> int | float:
        """The step: optimizer updates made so far (PyTorch's ``last_epoch``, the same number)."""
        return self.last_epoch

    @property
    def position(self) -> float:
        """Where the schedule is read, in its units: ``last_step / steps_per_unit``."""
        if self.steps_per_unit == 1:
            return self.last_epoch
        return self.last_epoch / self.steps_per_unit

    def step(self, epoch: float | None = None) -> None:
        """Advance one step, or jump to step `epoch`.

        Args:
            epoch: None (the usual call) to advance one step; or the step to jump to, as
                PyTorch's ``last_epoch`` (the name is PyTorch's): a number of optimizer updates,
                not of schedule units, possibly fractional, ``>= 0``. ``step(k)`` gives exactly the
                values that ``k`` calls of ``step()`` from the start give. To jump to a
                position in schedule units, use :meth:`seek`.

        Raises:
            TypeError, ValueError: A bad `epoch`; nothing changes.
        """
        steps: int | float
        if epoch is None:
            steps = self.last_epoch + 1
        else:
            steps = self._checked_step(f"{type(self).__name__}.step()", "epoch", epoch)
        # The per-step path, written out (it runs at every training step). What can fail
        # (a bad `epoch`, a bad group added since the last step) fails before any change.
        groups = self.optimizer.param_groups
        if groups is not self._groups or len(groups) != self._group_count:
            self._sync_groups()
        if steps > self._check_after:
            # Rare: the first step (PyTorch's call-order check, the trainer comparison) or a
            # step past the schedule's end. One int comparison otherwise (see _threshold).
            self._rare_step(steps)
        self._step_count += 1
        # PyTorch types `last_epoch` as an int; a jump may land between steps.
        self.last_epoch = steps  # type: ignore[assignment]
        spu = self.steps_per_unit
        t = steps if spu == 1 else steps / spu
        mode = self._mode
        if mode is _SAME:
            value = self.schedules[0](t)
            for group in groups:
                group["lr"] = value
            self._last_value, self._last_lr = value, None
        elif mode is _RATIO:
            value = self.schedules[0](t)
            self._write_ratios(value)
            self._last_value, self._last_lr = value, None
        else:
            self._write_lrs(t)
        if self.hyperparameters:
            self._write_hyperparameters(t)

    def seek(self, position: float) -> None:
        """Jump to a position in schedule units: step ``position * steps_per_unit``.

        With ``steps_per_unit == 1`` this is ``step(position)``. Otherwise the position read
        back is ``position`` up to the rounding of that product (exact when it is a whole
        number of steps).

        Raises:
            TypeError, ValueError: A bad `position`; nothing changes.
        """
        where = f"{type(self).__name__}.seek()"
        checked = _steps(where, "position", _scalar(position), minimum=0)
        steps = checked if self.steps_per_unit == 1 else checked * self.steps_per_unit
        if not math.isfinite(steps):
            raise _refused(
                where, "position", "give a finite step (position * steps_per_unit)", position
            )
        self.step(steps)

    def _checked_step(self, where: str, name: str, value: object) -> int | float:
        """A step to jump to: a finite number >= 0 (or one-element tensor) at a finite position."""
        steps = _steps(where, name, _scalar(value), minimum=0)
        _position(where, name, steps, self.steps_per_unit, value)
        return steps

    # -- reduce on plateau -------------------------------------------------------------------

    def report(self, metric: object) -> bool:
        """Report a metric (a validation loss, say) to the schedule's ``plateau``.

        PyTorch's ``ReduceLROnPlateau.step(metric)``, on top of any schedule: the learning-rate
        schedule (each, with one per group) must hold one :class:`warmcos.Plateau`, whose
        rules (`mode`, `patience`, `threshold`, `cooldown`, ...) decide from the reports when
        to reduce. A reduction is recorded in the plateau as the current :attr:`position` and
        written into the optimizer at once, so the next update uses it; the schedule stays a
        pure function of the step, :meth:`state_dict` holds the reductions and the metric's
        bookkeeping, and a resumed run continues exactly. Report as often as you evaluate
        (once per epoch, usually), independently of :meth:`step`.

        Args:
            metric: A real number or a one-element tensor; NaN is refused.

        Returns:
            Whether this report reduced the learning rate (a reduction that would change it by
            no more than the plateau's `eps`, at `min_lr` say, is skipped, as PyTorch skips it).

        Raises:
            TypeError, ValueError: A bad metric, or a schedule without exactly one plateau;
                nothing changes.

        Example:
            >>> import torch, warmcos
            >>> from warmcos.torch import LRScheduler
            >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
            >>> rules = warmcos.plateau(warmcos.constant(0.1), factor=0.5, patience=1)
            >>> scheduler = LRScheduler(opt, rules)
            >>> for loss in (1.0, 0.9, 0.9, 0.9):
            ...     opt.step()
            ...     scheduler.step()
            ...     reduced = scheduler.report(loss)
            >>> reduced, opt.param_groups[0]["lr"], scheduler.schedules[0].reductions
            (True, 0.05, (4,))
        """
        where = f"{type(self).__name__}.report()"
        schedules, trial = report_metric(
            self.schedules, self._plateau, metric, self.position, where
        )
        # Everything is computed: from here on nothing can fail.
        self._plateau = trial
        reduced = any(new is not old for new, old in zip(schedules, self.schedules, strict=True))
        if reduced:
            self.schedules = schedules
            self._write_lrs(self.position)
            self._arm_horizon(trainer=self._trainer_pending)
        return reduced

    # -- changing the budget -----------------------------------------------------------------

    def change_budget(self, steps: float, *, at: float | None = None) -> None:
        """Give the run another length from now on, without a jump in the learning rate.

        Each learning-rate schedule becomes ``warmcos.change_budget(schedule, at, steps)``: the
        same up to `at`, then the rest of it re-timed to end at `steps` (a warm-up keeps its
        length, a ``wsd`` plateau absorbs the change, the rest is stretched or squeezed), so
        it still ends at its floor. So does each hyperparameter schedule whose natural end lies
        after `at`; the others (those that never settle, or are already over) stay as they are.

        Nothing is written into the optimizer: at `at` the new schedules give the old values,
        so the learning rates the groups hold stay right and the next :meth:`step` continues
        from them. :meth:`state_dict` then holds the changed schedules: resuming from it (into
        a scheduler made with them, or with ``on_mismatch="adopt"``) is exact.

        Args:
            steps: The new end, in schedule units (a position, as ``natural_end``): ``> at``.
            at: The position of the change, in schedule units: None (default) for the current
                :attr:`position`; a later position to change the budget from there (an
                earlier one would change values already used, and is refused).

        Raises:
            TypeError, ValueError: A bad `steps` or `at`, or a learning-rate schedule that
                does not end after `at` (one that never settles, or one already over); nothing
                changes.

        Example:
            >>> import torch, warmcos
            >>> from warmcos.torch import LRScheduler
            >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
            >>> scheduler = LRScheduler(opt, warmcos.cosine(peak=1.0, steps=100))
            >>> for _ in range(50):
            ...     opt.step()
            ...     scheduler.step()
            >>> scheduler.change_budget(150)  # the second half of the cosine over 100 steps
            >>> opt.step()
            >>> scheduler.step()
            >>> opt.param_groups[0]["lr"] == warmcos.cosine(peak=1.0, steps=100)(50.5)
            True
            >>> scheduler.schedules[0].natural_end
            150.0
        """
        where = f"{type(self).__name__}.change_budget()"
        position = self.position
        if at is None:
            start: float = position
        else:
            start = check.span(where, "at", at, zero=True)
            if start < position:
                raise check.fail(
                    where,
                    "at",
                    f"be >= the current position {position!r} (a change before it would "
                    "change learning rates already used, and make the next one jump)",
                    at=at,
                )
        end = check.span(where, "steps", steps)
        if not end > start:
            raise check.fail(where, "steps", "be > `at`", steps=steps, at=start)
        many = len(self.schedules) > 1
        schedules = []
        for index, schedule in enumerate(self.schedules):
            name = f"schedules[{index}]" if many else "schedule"
            ends = schedule.natural_end
            if ends is None or not start < ends:
                what = "never settles" if ends is None else f"ends at {ends!r}"
                raise ValueError(
                    f"{where}: `at` must be before the natural end of every learning-rate "
                    f"schedule, and `{name}` {what} (after its end a schedule only holds its "
                    f"last value: there is nothing to re-time). Received: at={start!r}, "
                    f"{name}={check.short(schedule)}"
                )
            schedules.append(_changed(where, name, schedule, start, end))
        hyperparameters: Hyperparameters = {}
        for key, (field, item, kept) in self.hyperparameters.items():
            ends = kept.natural_end
            if ends is not None and start < ends:
                kept = _changed(where, f"hyperparameters[{key!r}]", kept, start, end)
            hyperparameters[key] = (field, item, kept)
        # Everything is checked: from here on nothing can fail.
        self.schedules, self.hyperparameters = schedules, hyperparameters
        self._arm_horizon(trainer=self._trainer_pending)

    # -- the horizon -------------------------------------------------------------------------

    @property
    def check_horizon(self) -> bool:
        """Whether the horizon checks run (see the class docstring); settable."""
        return self._check_horizon

    @check_horizon.setter
    def check_horizon(self, value: bool) -> None:
        self._check_horizon = _flag(f"{type(self).__name__}.check_horizon", "value", value)
        self._arm_horizon(trainer=value)

    def _arm_horizon(self, *, trainer: bool) -> None:
        """Decide which checks the next steps make, and what step() compares each step with."""
        ends = [decay_end(schedule) for schedule in self.schedules]
        # In schedule units; inf when no learning-rate schedule ends on a decay.
        self._horizon = max((end for end in ends if end is not None), default=math.inf)
        active = self._check_horizon and self._horizon != math.inf
        self._trainer_pending, self._end_pending = active and trainer, active
        self._check_after = self._threshold(first=self._step_count == 1)

    def _threshold(self, *, first: bool) -> int:
        """The step beyond which step() takes its rare path (`_check_after`).

        -1 while a first-step check is due: PyTorch's call-order check (`first`: the next step
        is the first, ``_step_count == 1``) or the trainer comparison; else the last step before
        the past-the-end warning, or :data:`_NEVER` when nothing is left to check. Always an
        int: CPython compares an int step with an int several times faster than with a float,
        and this comparison runs at every step.
        """
        if first or self._trainer_pending:
            return -1
        if not self._end_pending:
            return _NEVER
        limit = self._past_end_limit()
        return math.floor(limit) if limit < _NEVER else _NEVER

    def _rare_step(self, steps: float) -> None:
        """step()'s rare path; every state change comes before the warnings (errors, maybe)."""
        first, trainer = self._step_count == 1, self._trainer_pending
        past = self._end_pending and steps > self._past_end_limit()
        self._trainer_pending, self._end_pending = False, self._end_pending and not past
        self._check_after = self._threshold(first=False)
        if first:
            _warn_if_called_before_the_optimizer(self.optimizer, stacklevel=3)
        if trainer:
            self._compare_with_trainer()
        if past:
            self._warn_past_end(steps)

    def _horizon_steps(self) -> float:
        """The schedules' end, in steps."""
        return self._horizon * self.steps_per_unit

    def _past_end_limit(self) -> float:
        """The step past which the scheduler warns: the end plus 5% of it, at least one step."""
        end = self._horizon_steps()
        return end + max(1.0, TOLERANCE * end)

    def _ends_text(self) -> str:
        end = self._horizon_steps()
        if self.steps_per_unit == 1:
            return f"step {end:g}"
        units, spu = self._horizon, self.steps_per_unit
        return f"step {end:g} (natural end {units:g} x steps_per_unit {spu:g})"

    def _warn_past_end(self, steps: float) -> None:
        end, value = self._horizon_steps(), self.schedules[0](steps / self.steps_per_unit)
        warnings.warn(
            f"{type(self).__name__} was stepped to step {steps:g}, past its schedule's end at "
            f"{self._ends_text()} by {steps - end:g} steps ({(steps - end) / end:.0%}): the "
            f"learning rate stays at its final value ({value:g}) from there. A schedule written "
            "in epochs but stepped per batch needs steps_per_unit (batches per epoch); a run "
            "longer than planned, change_budget(). check_horizon=False turns this check off",
            HorizonWarning,
            stacklevel=4,
        )

    def _compare_with_trainer(self) -> None:
        plan = planned_steps(self)
        if plan is None:
            return
        end, planned = self._horizon_steps(), plan.steps
        if abs(end - planned) <= TOLERANCE * max(end, planned):
            return
        if end < planned:
            after = (
                f"the last {planned - end:g} steps would run at the schedule's final value "
                f"{self.schedules[0](self._horizon):g}"
            )
        else:
            after = (
                f"the run would stop {end - planned:g} steps before the schedule's end, at "
                f"{self.schedules[0](planned / self.steps_per_unit):g} instead of its floor"
            )
        warnings.warn(
            f"{type(self).__name__}: the schedule ends at {self._ends_text()}, but the trainer "
            f"plans {planned:g} scheduler steps ({plan.source}); they differ by "
            f"{abs(end - planned) / planned:.0%}, and {after}. Build the schedule for "
            f"{planned:g} steps (or set steps_per_unit to the steps per schedule unit), or "
            "pass check_horizon=False to turn this check off",
            HorizonWarning,
            stacklevel=4,
        )

    # -- the values --------------------------------------------------------------------------

    def _uses_ratio(self) -> bool:
        return len(self.schedules) == 1 and self.group_scaling == "ratio"

    def _sync_groups(self) -> None:
        """Read the param groups again: take in added groups, choose how step() writes."""
        where = f"{type(self).__name__}.step()"
        groups = self.optimizer.param_groups
        if len(self.schedules) > 1 and len(groups) != len(self.schedules):
            raise ValueError(
                f"{type(self).__name__}: the optimizer has {len(groups)} param groups but the "
                f"scheduler has {len(self.schedules)} schedules, one per group. A group added "
                "with `add_param_group` needs its own schedule: create the scheduler again "
                "with one schedule per group"
            )
        added = groups[len(self.base_lrs) :]
        bases = [_float(base) for base in self.base_lrs] + [_group_base(g) for g in added]
        names = [f"base_lrs[{i}]" for i in range(len(self.base_lrs))]
        names += _base_names(groups, len(self.base_lrs))
        factors = _factors(where, names, bases, ratio=self._uses_ratio())
        for group in added:  # groups added with `add_param_group` after the scheduler was made
            group.setdefault("initial_lr", _copy(group["lr"]))
            self.base_lrs.append(_copy(group["initial_lr"]))
        self._factors = factors
        if any(isinstance(group["lr"], torch.Tensor) for group in groups):
            self._mode = _TENSORS
        elif len(self.schedules) > 1:
            self._mode = _EACH
        elif all(factor == 1.0 for factor in factors):
            self._mode = _SAME
        else:
            self._mode = _RATIO
            self._write_ratios = _ratio_writer(groups, factors)
        self._groups, self._group_count = groups, len(groups)

    def _write_lrs(self, t: float) -> None:
        """step()'s path for one schedule per group and for tensor learning rates."""
        values = self._values(t)
        groups = self.optimizer.param_groups
        if self._mode is _TENSORS:
            for group, lr in zip(groups, values, strict=True):
                _write(group, "lr", None, lr)
            self._last_lr = [_copy(group["lr"]) for group in groups]
        else:
            for group, lr in zip(groups, values, strict=True):
                group["lr"] = lr
            self._last_lr = list(values)

    def _write_hyperparameters(self, t: float) -> None:
        groups = self.optimizer.param_groups
        for name, index, schedule in self.hyperparameters.values():
            value = schedule(t)
            for group in groups:
                _write(group, name, index, value)

    def _values(self, t: float) -> list[float]:
        if len(self.schedules) > 1:
            return [schedule(t) for schedule in self.schedules]
        value = self.schedules[0](t)
        return [value * factor for factor in self._factors]

    def get_lr(self) -> list[float | torch.Tensor]:
        """The learning rate of every group at the current position (closed form)."""
        groups = self.optimizer.param_groups
        if groups is not self._groups or len(groups) != self._group_count:
            self._sync_groups()
        return list(self._values(self.position))

    def get_last_lr(self) -> list[float | torch.Tensor]:
        """The learning rates the last :meth:`step` wrote, one per group (as PyTorch's).

        Tensor learning rates are reported as copies, as PyTorch does.
        """
        lrs = self._last_lr
        if lrs is None:
            # Built when asked for: step() itself only writes the groups.
            value = self._last_value
            if self._mode is _SAME:
                lrs = [value] * self._group_count
            else:
                lrs = [value * factor for factor in self._factors]
            self._last_lr = lrs
        return lrs

    # -- checkpoints -------------------------------------------------------------------------

    @staticmethod
    def _config(
        schedules: Sequence[Schedule],
        steps_per_unit: float,
        group_scaling: str,
        hyperparameters: Mapping[str, Schedule],
    ) -> dict[str, Any]:
        """The configuration part of a checkpoint, as plain data (the one place it is built)."""
        return {
            "steps_per_unit": steps_per_unit,
            "group_scaling": group_scaling,
            "schedules": [schedule.to_dict() for schedule in schedules],
            "hyperparameters": {key: item.to_dict() for key, item in hyperparameters.items()},
        }

    def _own_config(self) -> dict[str, Any]:
        hyperparameters = {key: item[2] for key, item in self.hyperparameters.items()}
        return self._config(
            self.schedules, self.steps_per_unit, self.group_scaling, hyperparameters
        )

    def state_dict(self) -> dict[str, Any]:
        """Progress plus configuration, as plain Python data (``weights_only=True`` loads it).

        Keys: ``last_step`` (the step), ``step_count`` (PyTorch's count of ``step()`` calls,
        construction included; the call-order warning reads it), ``base_lrs``, and the
        configuration:
        ``steps_per_unit``, ``group_scaling``, ``schedules``, ``hyperparameters``; after a
        :meth:`report`, ``plateau`` (the metric's best so far, bad reports and cooldown left).
        The reductions a plateau made are in its schedule's ``reductions``.
        """
        return {
            "last_step": self.last_epoch,
            "step_count": int(self._step_count),
            "base_lrs": [_float(base) for base in self.base_lrs],
            **self._own_config(),
            **({"plateau": self._plateau.state_dict()} if self._plateau is not None else {}),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Resume from :meth:`state_dict` and write the resumed values into the optimizer.

        Everything is checked before anything changes: a refused checkpoint leaves the
        scheduler and the optimizer exactly as they were, and an accepted one gives finite,
        non-negative learning rates.

        A checkpoint written by a differently configured scheduler (another schedule,
        ``steps_per_unit``, ``group_scaling`` or ``hyperparameters``) is refused, because loading
        it would silently change the run. The scheduler's `on_mismatch` (trainers call
        ``load_state_dict(state)`` with no options, so the constructor decides) allows it:
        ``"adopt"`` takes the checkpoint's configuration, ``"keep"`` keeps this scheduler's and
        takes only the checkpoint's progress (the learning rate then jumps to this schedule's
        value at the checkpoint's step), and ``"change_budget"`` continues the checkpoint's
        schedules without a jump, each re-timed to end where this scheduler's ends.

        **on_mismatch="change_budget"**, to resume a run with another total (a larger
        ``max_steps``): the checkpoint's ``steps_per_unit`` and ``group_scaling`` must be this
        scheduler's, and so must the number of schedules and the hyperparameter keys. Each
        checkpoint schedule ``old`` is paired with this scheduler's ``new`` (the same group,
        the same hyperparameter) and:

        * equal to ``new``: it is taken as it is;
        * else both must settle, and ``new`` must be ``old`` with other lengths only
          (:func:`~warmcos.torch.horizon.same_shape`: the same segments, values and order;
          another peak, floor or cycle count is refused, since only one of the two could be
          followed). Then ``old`` is taken as it is if it already ends where ``new`` ends (a
          resumed run resumed again), and otherwise becomes ``warmcos.change_budget(old,
          at=position, steps=new.natural_end)``, where the checkpoint's position must lie
          before both ends.

        So ``new`` gives only its end: the values come from ``old``, continued from the
        checkpoint's step, and the scheduler then holds (and saves) the re-timed schedules.

        Args:
            state_dict: What :meth:`state_dict` returned (possibly through ``torch.save`` and
                ``torch.load(..., weights_only=True)``).

        Raises:
            TypeError, ValueError: A malformed checkpoint (the message names the field), or a
                differently configured one that `on_mismatch` does not allow.
        """
        where = f"{type(self).__name__}.load_state_dict()"
        loaded = _read_checkpoint(where, state_dict)
        mine = self._own_config()
        theirs = self._config(
            loaded.schedules, loaded.steps_per_unit, loaded.group_scaling, loaded.hyperparameters
        )
        # A plateau's reductions are progress, not configuration (see report()).
        differing = [
            name
            for name in mine
            if without_reductions(mine[name]) != without_reductions(theirs[name])
        ]
        if differing and self.on_mismatch == "error":
            details = "; ".join(
                f"{name}: checkpoint {theirs[name]!r}, here {mine[name]!r}" for name in differing
            )
            raise ValueError(
                f"{where}: the checkpoint was written by a differently configured scheduler "
                f"({details}). Create the scheduler with on_mismatch='adopt' to take the "
                "checkpoint's configuration, on_mismatch='keep' to keep this one and take "
                "only the progress, or on_mismatch='change_budget' to continue the checkpoint's "
                "schedule re-timed to end where this one ends"
            )
        groups = self.optimizer.param_groups
        if differing and self.on_mismatch == "change_budget":
            schedules, hyperparameters = self._rebudgeted(where, loaded, mine, theirs)
            spu, scaling = self.steps_per_unit, self.group_scaling
        elif differing and self.on_mismatch == "adopt":
            schedules, spu, scaling = loaded.schedules, loaded.steps_per_unit, loaded.group_scaling
            if len(schedules) not in (1, len(groups)):
                raise _refused(
                    where,
                    "schedules",
                    f"hold one schedule or one per param group ({len(groups)})",
                    state_dict["schedules"],
                )
            hyperparameters = _hyperparameters(where, loaded.hyperparameters, groups)
        elif differing:  # "keep": this configuration, the checkpoint's progress only
            schedules, spu, scaling = self.schedules, self.steps_per_unit, self.group_scaling
            hyperparameters = self.hyperparameters
        else:  # the same configuration: the checkpoint's schedules carry its reductions
            schedules, spu, scaling = loaded.schedules, self.steps_per_unit, self.group_scaling
            hyperparameters = self.hyperparameters
        if len(loaded.base_lrs) > len(groups):
            raise _refused(
                where,
                "base_lrs",
                f"hold at most one value per param group ({len(groups)})",
                state_dict["base_lrs"],
            )
        ratio = len(schedules) == 1 and scaling == "ratio"
        added = [_group_base(group) for group in groups[len(loaded.base_lrs) :]]
        names = [f"base_lrs[{i}]" for i in range(len(loaded.base_lrs))]
        names += _base_names(groups, len(loaded.base_lrs))
        factors = _factors(where, names, loaded.base_lrs + added, ratio=ratio)
        _position(where, "last_step", loaded.last_step, spu, loaded.last_step)
        lrs = _lrs_at(loaded.last_step, spu, schedules, factors)
        _check_lrs(where, names, loaded.base_lrs + added, lrs)
        # Everything is checked: from here on nothing can fail.
        self.schedules, self.steps_per_unit, self.group_scaling = schedules, spu, scaling
        self.hyperparameters = hyperparameters
        self.base_lrs = list(loaded.base_lrs)
        if loaded.plateau is not None:
            self._plateau = PlateauMonitor.from_state(loaded.plateau, where)
        else:
            self._plateau = None
        self._groups = None  # read the groups again: the factors may have changed
        # Write the values with step() as PyTorch's first step does: with the count at 0, so it
        # is not the user's step and no call-order warning applies.
        self._step_count = 0
        self._check_after = _NEVER  # (loading is not a step of the run)
        self.step(loaded.last_step)
        self._step_count = loaded.step_count
        self._arm_horizon(trainer=True)

    def _rebudgeted(
        self,
        where: str,
        loaded: _Loaded,
        mine: dict[str, Any],
        theirs: dict[str, Any],
    ) -> tuple[list[Schedule], Hyperparameters]:
        """The checkpoint's schedules continued to this scheduler's ends (``"change_budget"``)."""
        policy = "on_mismatch='change_budget'"
        for name in ("steps_per_unit", "group_scaling"):
            if mine[name] != theirs[name]:
                raise ValueError(
                    f"{where}: with {policy}, the checkpoint's `{name}` must be this "
                    f"scheduler's ({mine[name]!r}): only the budget may change. Received: "
                    f"{name}={theirs[name]!r}. Use on_mismatch='adopt' or 'keep' instead"
                )
        if len(loaded.schedules) != len(self.schedules):
            raise ValueError(
                f"{where}: with {policy}, the checkpoint must hold as many schedules as this "
                f"scheduler ({len(self.schedules)}). Received: {len(loaded.schedules)} schedules"
            )
        if set(loaded.hyperparameters) != set(self.hyperparameters):
            raise ValueError(
                f"{where}: with {policy}, the checkpoint's `hyperparameters` must schedule the "
                f"keys this scheduler does ({sorted(self.hyperparameters)}). Received: "
                f"{sorted(loaded.hyperparameters)}"
            )
        _position(where, "last_step", loaded.last_step, self.steps_per_unit, loaded.last_step)
        spu = self.steps_per_unit
        position = loaded.last_step if spu == 1 else loaded.last_step / spu  # as `position`
        many = len(self.schedules) > 1
        schedules = [
            _continued(where, f"schedules[{i}]" if many else "schedule", old, new, position)
            for i, (old, new) in enumerate(zip(loaded.schedules, self.schedules, strict=True))
        ]
        hyperparameters: Hyperparameters = {}
        for key, (field, index, new) in self.hyperparameters.items():
            old = loaded.hyperparameters[key]
            name = f"hyperparameters[{key!r}]"
            hyperparameters[key] = (field, index, _continued(where, name, old, new, position))
        return schedules, hyperparameters


def _continued(where: str, name: str, old: Schedule, new: Schedule, position: float) -> Schedule:
    """The checkpoint's schedule `old` continued to end where `new` ends (see load_state_dict)."""
    if old.to_dict() == new.to_dict():
        return old
    old_end, new_end = old.natural_end, new.natural_end
    received = f"checkpoint {check.short(old)}, here {check.short(new)}"
    if old_end is None or new_end is None:
        raise ValueError(
            f"{where}: with on_mismatch='change_budget', `{name}` must settle at a natural end, "
            f"in the checkpoint and here, for its budget to change. Received: {received}"
        )
    if not same_shape(old, new):
        raise ValueError(
            f"{where}: with on_mismatch='change_budget', `{name}` must be the checkpoint's "
            "schedule with other lengths only (the same segments, values and order): "
            "else which one to follow is unclear. Use on_mismatch='adopt' or 'keep'. "
            f"Received: {received}"
        )
    if old_end == new_end:
        return old
    if not position < old_end:
        raise ValueError(
            f"{where}: with on_mismatch='change_budget', the checkpoint's position "
            f"{position!r} must be before the end {old_end!r} of its `{name}`: that schedule "
            "is over, and there is nothing left to re-time (on_mismatch='keep' follows this "
            f"scheduler's schedule from there). Received: {received}"
        )
    if not new_end > position:
        raise ValueError(
            f"{where}: with on_mismatch='change_budget', `{name}` here must end after the "
            f"checkpoint's position {position!r}. Received: natural end {new_end!r}; {received}"
        )
    return _changed(where, name, old, position, new_end)


def _flag(where: str, name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(
            f"{where}: `{name}` must be True or False. "
            f"Received: {name}={check.short(value)} of type {type(value).__name__}"
        )
    return value


def _changed(where: str, name: str, schedule: Schedule, at: float, steps: float) -> Schedule:
    """``change_budget(schedule, at, steps)``, its refusals (nested too deep, say) naming `name`."""
    try:
        return ChangedBudget(schedule, at, steps)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: the budget of `{name}` cannot change. {error}") from None


def _steps(where: str, name: str, value: object, *, minimum: int) -> int | float:
    """Check a number of steps: finite, real, >= `minimum`; an int stays an int (PyTorch's).

    A huge int is refused as not finite (``ValueError``), never with an ``OverflowError``.
    """
    number = _real(where, name, value)
    if not math.isfinite(number):
        raise _refused(where, name, "be finite", value)
    if number < minimum:
        raise _refused(where, name, f"be >= {minimum}", value)
    return int(value) if isinstance(value, numbers.Integral) else number


def _position(where: str, name: str, steps: float, steps_per_unit: float, shown: object) -> None:
    """Check that `steps` steps give a finite schedule position."""
    if not math.isfinite(float(steps) / steps_per_unit):
        raise _refused(where, name, "give a finite position (steps / steps_per_unit)", shown)


def _real(where: str, name: str, value: object) -> float:
    """`value` as a float, refusing what is not a real number (TypeError); a huge int is inf."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{where}: `{name}` must be a real number (int or float). "
            f"Received: {name}={check.short(value)} of type {type(value).__name__}"
        )
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _warn_if_called_before_the_optimizer(optimizer: Optimizer, *, stacklevel: int) -> None:
    """PyTorch's check on the first step(): was ``optimizer.step()`` called before it?

    `stacklevel` counts from this function's caller, which names the user's line.
    """
    if not hasattr(optimizer.step, "_wrapped_by_lr_sched"):
        warnings.warn(_OVERRIDDEN_STEP, UserWarning, stacklevel=stacklevel + 1)
    elif not getattr(optimizer, "_opt_called", False):
        warnings.warn(_STEP_BEFORE_OPTIMIZER, UserWarning, stacklevel=stacklevel + 1)


def _read_checkpoint(where: str, state: object) -> _Loaded:
    """Check every field of a checkpoint on its own (not yet against the optimizer)."""
    if not isinstance(state, Mapping):
        raise TypeError(
            f"{where}: `state_dict` must be a dict from LRScheduler.state_dict(). "
            f"Received: {check.short(state)} of type {type(state).__name__}"
        )
    missing = [key for key in _REQUIRED_KEYS if key not in state]
    if missing:
        raise ValueError(f"{where}: not a warmcos scheduler state; missing {missing}")
    unknown = sorted(str(key) for key in state if key not in _STATE_KEYS)
    if unknown:
        raise ValueError(
            f"{where}: not a warmcos scheduler state; unknown keys {unknown} "
            f"(allowed: {list(_STATE_KEYS)})"
        )
    last_step = _steps(where, "last_step", state["last_step"], minimum=0)
    count = state.get("step_count", 1)
    if isinstance(count, bool) or not isinstance(count, numbers.Integral) or count < 1:
        raise _refused(where, "step_count", "be a whole number >= 1", count)
    spu = state.get("steps_per_unit", 1)
    if not 0 < _real(where, "steps_per_unit", spu) < math.inf:
        raise _refused(where, "steps_per_unit", "be finite and > 0", spu)
    scaling = state.get("group_scaling", "ratio")
    if not isinstance(scaling, str) or scaling not in GROUP_SCALINGS:
        raise _refused(where, "group_scaling", f"be one of {list(GROUP_SCALINGS)}", scaling)
    bases = _number_list(where, "base_lrs", state["base_lrs"])
    items = state["schedules"]
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Sequence) or not items:
        raise _refused(where, "schedules", "be a non-empty list of schedule data", items)
    schedules = [_schedule(where, f"schedules[{i}]", item) for i, item in enumerate(items)]
    data = state.get("hyperparameters", {})
    if not isinstance(data, Mapping):
        raise TypeError(
            f"{where}: `hyperparameters` must be a dict of param-group keys to schedule data. "
            f"Received: hyperparameters={check.short(data)} of type {type(data).__name__}"
        )
    hyperparameters = {}
    for key, item in data.items():
        if not isinstance(key, str):
            raise ValueError(
                f"{where}: `hyperparameters` must have str keys (param-group keys). "
                f"Received: key={check.short(key)}"
            )
        hyperparameters[key] = _schedule(where, f"hyperparameters[{key!r}]", item)
    plateau = state.get("plateau")
    if plateau is not None:
        PlateauMonitor.from_state(plateau, f"{where}: `plateau`")  # checked now, applied later
    return _Loaded(
        plateau=dict(plateau) if plateau is not None else None,
        last_step=last_step,
        step_count=int(count),
        steps_per_unit=int(spu) if isinstance(spu, numbers.Integral) else float(spu),
        group_scaling=scaling,
        base_lrs=bases,
        schedules=schedules,
        hyperparameters=hyperparameters,
    )


def _number_list(where: str, name: str, value: object) -> list[float]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise TypeError(
            f"{where}: `{name}` must be a list of numbers. "
            f"Received: {name}={check.short(value)} of type {type(value).__name__}"
        )
    if not value:
        raise _refused(where, name, "hold at least one value", value)
    return [_real(where, f"{name}[{index}]", item) for index, item in enumerate(value)]


def _schedule(where: str, name: str, value: object) -> Schedule:
    """`value` as a schedule (a schedule, its spec string or its data), errors naming `name`."""
    try:
        return as_schedule(_plain(value), where)
    except TypeError:
        raise TypeError(
            f"{where}: `{name}` must be a warmcos schedule, its spec string or its to_dict() "
            f"data. Received: {name}={check.short(value)} of type {type(value).__name__}"
        ) from None
    except (ValueError, OverflowError) as error:
        # OverflowError: a schedule argument too large for a float (an int of 400 digits).
        reason = error if isinstance(error, ValueError) else "a number is too large for a float"
        raise ValueError(f"{where}: `{name}` must describe a valid schedule. {reason}") from None


def _plain(value: object) -> object:
    """Mappings and lists (OmegaConf's DictConfig and ListConfig, say) as dicts and lists."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [_plain(item) for item in value]
    return value


def _schedules(where: str, schedule: object, count: int) -> list[Schedule]:
    if isinstance(schedule, (Schedule, str, Mapping)):
        return [_schedule(where, "schedule", schedule)]
    if isinstance(schedule, Sequence) and not isinstance(schedule, bytes):
        items = list(schedule)
        if len(items) != count:
            raise _refused(
                where,
                "schedule",
                f"be a schedule or a list of one schedule per param group ({count})",
                items,
            )
        return [_schedule(where, f"schedule[{i}]", item) for i, item in enumerate(items)]
    raise TypeError(
        f"{where}: `schedule` must be a warmcos schedule (or its spec string or to_dict() "
        f"data) or a list of them. Received: schedule={check.short(schedule)} "
        f"of type {type(schedule).__name__}"
    )


def _hyperparameters(
    where: str,
    hyperparameters: Mapping[str, object] | None,
    groups: list[dict[str, Any]],
) -> Hyperparameters:
    """Parse and check `hyperparameters` against the param groups (which it does not change)."""
    if hyperparameters is None:
        return {}
    if not isinstance(hyperparameters, Mapping):
        raise TypeError(
            f"{where}: `hyperparameters` must map param-group keys to schedules. "
            f"Received: hyperparameters={check.short(hyperparameters)} "
            f"of type {type(hyperparameters).__name__}"
        )
    parsed: Hyperparameters = {}
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
        checked = _schedule(where, f"hyperparameters[{key!r}]", schedule)
        field, index = match["name"], None if match["index"] is None else int(match["index"])
        for number, group in enumerate(groups):
            value = group.get(field)
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
        parsed[key] = (field, index, checked)
    return parsed


def _factors(where: str, names: list[str], bases: list[float], *, ratio: bool) -> list[float]:
    """Each group's factor on the schedule's value: its base over group 0's, or 1.

    Every base (named in errors by `names`) must be finite and ``>= 0``; with ratios, group 0's
    must be ``> 0`` and every factor finite.
    """
    for name, base in zip(names, bases, strict=True):
        if not 0 <= base < math.inf:
            raise _refused(where, name, "be finite and >= 0 (a learning rate)", base)
    if not ratio:
        return [1.0] * len(bases)
    reference = bases[0]
    if not reference > 0:
        raise _refused(
            where,
            names[0],
            'be > 0 with group_scaling="ratio" (the other groups keep their ratio to it)',
            reference,
        )
    factors = [base / reference for base in bases]
    for name, base, factor in zip(names, bases, factors, strict=True):
        if not math.isfinite(factor):
            raise _refused(where, name, f"keep a finite ratio to {names[0]}={reference!r}", base)
    return factors


def _base_names(groups: list[dict[str, Any]], first: int) -> list[str]:
    """How errors name the bases of ``groups[first:]``: the key each base is read from."""
    return [
        f"optimizer.param_groups[{index}]['{'initial_lr' if 'initial_lr' in group else 'lr'}']"
        for index, group in enumerate(groups[first:], start=first)
    ]


def _ratio_writer(groups: list[dict[str, Any]], factors: list[float]) -> Callable[[float], None]:
    """``write(value)``: set each group's ``"lr"`` to ``value * factor``.

    Up to :data:`_UNROLLED` groups the function is generated as straight-line code, one line per
    group, with the groups and factors bound as default arguments (the fastest variables to
    read): a Python loop costs as much again as the writes themselves (1.3 us against 1.05 us
    at 64 groups, where writing one float per group takes 0.9 us). Only generated names enter
    the source; the values are bound, never printed into it.
    """
    pairs = tuple(zip(groups, factors, strict=True))
    if len(pairs) > _UNROLLED:

        def write(value: float) -> None:
            for group, factor in pairs:
                group["lr"] = value * factor

        return write
    bound: dict[str, Any] = {}
    for index, (group, factor) in enumerate(pairs):
        bound[f"group{index}"], bound[f"factor{index}"] = group, factor
    defaults = ", ".join(f"{name}={name}" for name in bound)
    lines = "".join(f"    group{i}['lr'] = value * factor{i}\n" for i in range(len(pairs)))
    namespace: dict[str, Any] = dict(bound)
    exec(compile(f"def write(value, {defaults}):\n{lines}", "<ratio writer>", "exec"), namespace)
    return namespace["write"]  # type: ignore[no-any-return]


def _lrs_at(
    steps: int | float, steps_per_unit: float, schedules: list[Schedule], factors: list[float]
) -> list[float]:
    """The learning rates after `steps` steps, computed without writing them anywhere."""
    t = steps if steps_per_unit == 1 else steps / steps_per_unit
    if len(schedules) > 1:
        return [schedule(t) for schedule in schedules]
    value = schedules[0](t)
    return [value * factor for factor in factors]


def _check_lrs(where: str, names: list[str], bases: list[float], lrs: list[float]) -> None:
    """Refuse learning rates that are not finite and >= 0 (a huge ratio times the schedule)."""
    for name, base, lr in zip(names, bases, lrs, strict=False):
        if not 0 <= lr < math.inf:
            raise _refused(where, name, f"give a finite learning rate (it gives {lr})", base)


def _refused(where: str, name: str, requirement: str, value: object) -> ValueError:
    """The ValueError of the project's template, quoting `value` shortly."""
    return ValueError(
        f"{where}: `{name}` must {requirement}. Received: {name}={check.short(value)}"
    )


def _per_group(where: str, name: str, value: object, count: int) -> list[float]:
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        values = [check.nonnegative(where, name, item) for item in value]
        if len(values) != count:
            raise check.fail(
                where, name, f"hold one value per param group ({count})", **{name: list(value)}
            )
        return [float(item) for item in values]
    return [float(check.nonnegative(where, name, value))]


def _group_base(group: Mapping[str, Any]) -> float:
    """A group's base learning rate: its ``initial_lr`` when it has one, else its ``lr``."""
    return _float(group.get("initial_lr", group["lr"]))


def _float(value: Any) -> float:
    return float(value.item() if isinstance(value, torch.Tensor) else value)


def _is_numeric(value: object) -> bool:
    if isinstance(value, torch.Tensor):
        return value.is_floating_point() and value.numel() == 1
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _scalar(value: Any) -> Any:
    """A one-element tensor as its Python number; anything else as it is."""
    is_one = isinstance(value, torch.Tensor) and value.numel() == 1
    return value.item() if is_one else value


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
