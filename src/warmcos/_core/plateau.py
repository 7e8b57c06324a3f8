r"""Reduce on plateau, on top of any schedule: reductions recorded as steps.

A metric that stops improving lowers the learning rate (PyTorch's ``ReduceLROnPlateau``). Here
the decision is kept apart from the value: :class:`PlateauMonitor` follows the metric and says
when to reduce, and :class:`Plateau` records each reduction as the step where it happened. The
value is then a pure function of the step again, so a checkpoint holds it as plain data and a
resumed run continues exactly.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import validation as check
from .ops import Ops, Value
from .piecewise import constant_tables
from .product import ProductCurve
from .schedule import Schedule, set_fields
from .segments import Segment, make
from .validation import Number

MAX_REDUCTIONS = 1_000_000
"""The most reductions one plateau records."""

MODES = ("min", "max")
THRESHOLD_MODES = ("rel", "abs")


def _reduction_steps(where: str, values: object) -> tuple[Number, ...]:
    """Steps ``>= 0`` in order (a step may repeat: two reductions at once), at most 1,000,000."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(
            f"{where}: `reductions` must be a list of steps. Received: "
            f"reductions={check.short(values)} of type {type(values).__name__}"
        )
    if isinstance(values, Sequence) and len(values) > MAX_REDUCTIONS:
        raise ValueError(
            f"{where}: `reductions` must hold at most {MAX_REDUCTIONS:,} steps. "
            f"Received: {len(values):,}"
        )
    steps: list[Number] = []
    for value in values:
        if len(steps) == MAX_REDUCTIONS:
            raise ValueError(
                f"{where}: `reductions` must hold at most {MAX_REDUCTIONS:,} steps. Received: more"
            )
        step = check.span(where, "reductions", value, zero=True)
        if steps and step < steps[-1]:
            raise check.fail(where, "reductions", "be in increasing order", reductions=list(values))
        steps.append(step)
    return tuple(steps)


@dataclass(frozen=True, repr=False)
class Plateau(Schedule):
    r"""`schedule`, lowered by `factor` at each recorded reduction (``ReduceLROnPlateau``).

    With the reductions at steps ``r_1 <= r_2 <= ...`` and ``n(t)`` of them at or before ``t``:

    .. math::

        v(t) = c_{n(t)}\, \text{schedule}(t), \qquad c_0 = 1, \qquad
        c_i = \min\bigl(c_{i-1},\ \max(c_{i-1} f,\ m / \text{schedule}(r_i))\bigr)

    so each reduction multiplies the value by ``f = factor`` without taking it below
    ``m = min_lr`` (nor raising a value already below it), as PyTorch does to a group's LR. On a
    constant schedule this is PyTorch's value exactly (up to rounding of the running product).

    The other arguments are the rules by which a :class:`PlateauMonitor` decides when to reduce,
    fed with a metric by an adapter (``warmcos.torch.LRScheduler.report``, the Keras callback
    ``warmcos.keras.ReduceOnPlateau``): a metric is better than the best so far when it is below
    ``best * (1 - threshold)`` (``mode="min"``, ``threshold_mode="rel"``), below
    ``best - threshold`` (``"abs"``), or above ``best * (1 + threshold)`` / ``best + threshold``
    with ``mode="max"``. After more than `patience` reports without improvement the value is
    reduced, unless that would change it by no more than `eps`; then `cooldown` reports pass
    before bad ones count again. The value depends only on `schedule`, `factor`, `min_lr` and
    `reductions`.

    Args:
        schedule: Any schedule.
        factor: ``f`` in (0, 1).
        patience: Reports without improvement tolerated before a reduction (a whole number).
        mode: ``"min"`` (a loss) or ``"max"`` (an accuracy).
        threshold: How much better counts as better (``>= 0``).
        threshold_mode: ``"rel"`` or ``"abs"``.
        cooldown: Reports after a reduction before bad reports count again.
        min_lr: ``m``, the value a reduction stops at (``>= 0``), in the schedule's units.
        eps: A reduction that changes the value by no more than this is skipped.
        reductions: The steps of the reductions so far, in order.

    Example:
        >>> import warmcos
        >>> s = warmcos.plateau(warmcos.constant(0.1), factor=0.5, reductions=[30, 60])
        >>> s(0), s(30), s(59), s(60)
        (0.1, 0.05, 0.05, 0.025)
    """

    name = "plateau"

    schedule: Schedule
    factor: Number = 0.1
    patience: int = 10
    mode: str = "min"
    threshold: Number = 1e-4
    threshold_mode: str = "rel"
    cooldown: int = 0
    min_lr: Number = 0.0
    eps: Number = 1e-8
    reductions: Sequence[Number] = ()

    def __post_init__(self) -> None:
        where = "plateau()"
        if not isinstance(self.schedule, Schedule):
            raise TypeError(
                f"{where}: `schedule` must be a schedule. Received: "
                f"schedule={check.short(self.schedule)} of type {type(self.schedule).__name__}"
            )
        factor = check.number(where, "factor", self.factor)
        if not 0 < factor < 1:
            raise check.fail(where, "factor", "be in (0, 1)", factor=self.factor)
        set_fields(
            self,
            factor=factor,
            patience=check.whole(where, "patience", self.patience, minimum=0),
            mode=check.choice(where, "mode", self.mode, MODES),
            threshold=check.nonnegative(where, "threshold", self.threshold),
            threshold_mode=check.choice(
                where, "threshold_mode", self.threshold_mode, THRESHOLD_MODES
            ),
            cooldown=check.whole(where, "cooldown", self.cooldown, minimum=0),
            min_lr=check.nonnegative(where, "min_lr", self.min_lr),
            eps=check.nonnegative(where, "eps", self.eps),
            reductions=_reduction_steps(where, self.reductions),
        )
        self._check_parts(where)
        starts = [float(r) for r in self.reductions]
        object.__setattr__(self, "_starts", starts)
        object.__setattr__(self, "_knots", [0.0, *starts])  # step 0, then each reduction
        object.__setattr__(self, "_scales", self._running_scales(starts))

    def _parts(self) -> tuple[Schedule, ...]:
        return (self.schedule,)

    def _running_scales(self, starts: Sequence[float]) -> list[float]:
        """``[c_0, c_1, ...]``: the factor in force after each reduction."""
        scales = [1.0]
        factor, floor = float(self.factor), float(self.min_lr)
        for start in starts:
            previous = scales[-1]
            base = float(self.schedule(start))
            lowered = previous * factor
            if base > 0:
                lowered = max(lowered, floor / base)
            scales.append(min(previous, lowered))
        return scales

    @property
    def scale(self) -> float:
        """The factor in force after the last reduction (1 without reductions)."""
        scales: list[float] = self.__dict__["_scales"]
        return scales[-1]

    @property
    def natural_end(self) -> float | None:
        """The schedule's own, or the last reduction if later."""
        end = self.schedule.natural_end
        starts: list[float] = self.__dict__["_starts"]
        if end is None or not starts:
            return end
        return max(end, starts[-1])

    def _segments_from(self, t: float) -> Iterator[Segment]:
        starts: list[float] = self.__dict__["_starts"]
        scales: list[float] = self.__dict__["_scales"]
        index = bisect.bisect_right(starts, t)  # the reductions made by step t
        # The first segment starts at the schedule's, or at the last reduction up to t.
        begin = starts[index - 1] if index else 0.0
        for segment in self.schedule._segments_from(t):
            start = max(segment.start, begin)
            while True:
                # The next reduction inside this segment splits it.
                following = starts[index] if index < len(starts) else math.inf
                end = min(segment.end, following)
                if end > start:
                    yield self._scaled(segment, start, end, scales[index])
                if following >= segment.end:
                    break
                start = following
                index = bisect.bisect_right(starts, following)
            if math.isinf(segment.end):
                return

    @staticmethod
    def _scaled(segment: Segment, start: float, end: float, scale: float) -> Segment:
        curve = segment.curve if scale == 1.0 else ProductCurve([segment.curve], scale)
        return make(segment.kind, start, end, curve, cycle=segment.cycle, piece=segment.piece)

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """``scale[n(t)] * schedule(t)``: the number of reductions so far looked up in a table."""
        value = self.schedule.evaluate(t, ops)
        if not self.reductions:
            return value
        knots, scales = constant_tables(self, ops, "_knots", "_scales")
        return ops.take(scales, ops.bucket(knots, t)) * value

    # -- recording -------------------------------------------------------------------------

    def reduced_at(self, step: float) -> Plateau:
        """This plateau with one more reduction at `step`, or itself if that changes too little.

        A reduction is skipped, as PyTorch skips it, when it would lower the value at `step`
        by no more than `eps` (the value is already at ``min_lr``, say).

        Raises:
            ValueError: `step` is before the last recorded reduction.
        """
        where = "plateau().reduced_at()"
        step = check.span(where, "step", step, zero=True)
        starts: list[float] = self.__dict__["_starts"]
        if starts and step < starts[-1]:
            raise check.fail(where, "step", "be >= the last reduction", step=step, last=starts[-1])
        candidate = self.with_reductions([*self.reductions, step])
        if float(self(step)) - float(candidate(step)) <= float(self.eps):
            return self
        return candidate

    def with_reductions(self, reductions: Sequence[Number]) -> Plateau:
        """The same plateau with these reductions."""
        data = {field: getattr(self, field) for field in _FIELDS}
        data["reductions"] = tuple(reductions)
        return Plateau(**data)


_FIELDS = (
    "schedule",
    "factor",
    "patience",
    "mode",
    "threshold",
    "threshold_mode",
    "cooldown",
    "min_lr",
    "eps",
    "reductions",
)


# -- the decision ------------------------------------------------------------------------------


@dataclass
class PlateauMonitor:
    """Follows a metric by a plateau's rules and says when to reduce (PyTorch's bookkeeping).

    Its state is three numbers, kept as plain data in checkpoints (:meth:`state_dict`).

    Attributes:
        best: The best metric so far (``inf`` for ``mode="min"`` before any report).
        bad_reports: Reports since the last improvement (PyTorch's ``num_bad_epochs``).
        cooldown_left: Reports still to pass in cooldown.

    Example:
        >>> import warmcos
        >>> from warmcos._core.plateau import PlateauMonitor
        >>> rules = warmcos.plateau(warmcos.constant(1.0), patience=1)
        >>> monitor = PlateauMonitor.start(rules)
        >>> [monitor.report(rules, loss) for loss in (1.0, 1.0, 1.0, 0.5)]
        [False, False, True, False]
    """

    best: float
    bad_reports: int = 0
    cooldown_left: int = 0

    @classmethod
    def start(cls, rules: Plateau) -> PlateauMonitor:
        """The state before any report."""
        return cls(best=math.inf if rules.mode == "min" else -math.inf)

    def better(self, rules: Plateau, metric: float) -> bool:
        """Whether `metric` improves on the best so far by the rules' threshold."""
        threshold, best = float(rules.threshold), self.best
        if rules.mode == "min":
            bound = best * (1.0 - threshold) if rules.threshold_mode == "rel" else best - threshold
            return metric < bound
        bound = best * (threshold + 1.0) if rules.threshold_mode == "rel" else best + threshold
        return metric > bound

    def report(self, rules: Plateau, metric: object) -> bool:
        """Take one report of the metric; True when the value should be reduced now.

        Raises:
            TypeError: `metric` is not a real number (a tensor with one value is accepted).
            ValueError: `metric` is NaN (the state is left unchanged).
        """
        value = metric_value(metric)
        if self.better(rules, value):
            self.best, self.bad_reports = value, 0
        else:
            self.bad_reports += 1
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.bad_reports = 0
        if self.bad_reports > int(rules.patience):
            self.cooldown_left, self.bad_reports = int(rules.cooldown), 0
            return True
        return False

    def state_dict(self) -> dict[str, float | int]:
        """The state as plain data."""
        return {
            "best": self.best,
            "bad_reports": self.bad_reports,
            "cooldown_left": self.cooldown_left,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any], where: str) -> PlateauMonitor:
        """Rebuild from :meth:`state_dict`, checking every field (errors name the bad one)."""
        if not isinstance(state, Mapping) or set(state) != {
            "best",
            "bad_reports",
            "cooldown_left",
        }:
            raise ValueError(
                f"{where}: the plateau state must be a mapping with `best`, `bad_reports` and "
                f"`cooldown_left`. Received: {check.short(state)}"
            )
        best = state["best"]
        if isinstance(best, bool) or not isinstance(best, (int, float)) or best != best:
            raise check.fail(where, "best", "be a number (inf allowed), not NaN", best=best)
        return cls(
            best=float(best),
            bad_reports=check.whole(where, "bad_reports", state["bad_reports"], minimum=0),
            cooldown_left=check.whole(where, "cooldown_left", state["cooldown_left"], minimum=0),
        )


def metric_value(metric: object) -> float:
    """A reported metric as a float: a number, or anything with one value (``.item()``)."""
    value: Any = metric
    if hasattr(value, "item") and not isinstance(value, (int, float)):
        try:
            value = value.item()
        except (ValueError, RuntimeError) as error:
            raise TypeError(
                f"the metric must be a single number. Received: {check.short(metric)} ({error})"
            ) from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(
            f"the metric must be a real number. Received: {check.short(metric)} "
            f"of type {type(metric).__name__}"
        )
    number = float(value)
    if number != number:
        raise ValueError("the metric must be a number, not NaN: the plateau state is unchanged")
    return number


# -- recording through an adapter -------------------------------------------------------------


def find_plateau(schedule: Schedule, where: str) -> Plateau:
    """`schedule` as a :class:`Plateau`, or a ValueError saying how to write one.

    The plateau must be the outermost schedule, so that its reductions are recorded at the
    adapter's own steps: ``plateau(warmup(cosine(...), 100))``, not the other way round (where
    the warm-up would shift the plateau's steps).
    """
    if isinstance(schedule, Plateau):
        return schedule
    raise ValueError(
        f"{where}: reporting a metric needs the schedule to be a plateau, outermost: "
        f"plateau(<your schedule>, factor=0.5, patience=5). Received: {check.short(schedule)}"
    )


def report_metric(
    schedules: Sequence[Schedule],
    monitor: PlateauMonitor | None,
    metric: object,
    position: float,
    where: str,
) -> tuple[list[Schedule], PlateauMonitor]:
    """One report of a metric to plateau schedules, computed without changing anything.

    The rules are those of the first schedule's plateau (each schedule must be one, outermost);
    on a reduction, each records it at `position` (see :meth:`Plateau.reduced_at`). Adapters
    call this, then apply both results, so that a refused report changes nothing.

    Args:
        schedules: The plateau schedules (one, or one per param group).
        monitor: The bookkeeping so far, or None before the first report.
        metric: The reported value (a number or a one-value tensor).
        position: Where the schedules are read now.
        where: The caller, for error messages.

    Returns:
        The schedules (the same objects where nothing changed) and the new bookkeeping.
    """
    plateaus = [find_plateau(schedule, where) for schedule in schedules]
    trial = dataclasses.replace(monitor or PlateauMonitor.start(plateaus[0]))
    if not trial.report(plateaus[0], metric):
        return list(schedules), trial
    return [plateau.reduced_at(position) for plateau in plateaus], trial


def without_reductions(data: object) -> object:
    """``to_dict()`` data with every plateau's `reductions` left out.

    Reductions are a run's progress, not its configuration: adapters compare configurations
    (a checkpoint against the scheduler loading it) on this form.
    """
    if isinstance(data, Mapping):
        return {
            key: without_reductions(value)
            for key, value in data.items()
            if not (key == "reductions" and data.get("type") == Plateau.name)
        }
    if isinstance(data, list):
        return [without_reductions(value) for value in data]
    return data
