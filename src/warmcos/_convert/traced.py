"""Recorded learning rates as a schedule: :class:`Traced`, and :func:`trace` that records them.

A peer's schedule that no warmcos formula reproduces exactly (a ``LambdaLR`` with the user's own
function, a callable, a schedule of a library warmcos does not read) can still be looked at:
:func:`trace` steps it (a copy of it) and records its learning rate at steps ``0 .. n - 1``, and
the :class:`Traced` table it returns is a schedule like any other. It evaluates on floats, NumPy
and torch, describes itself with segments, prints, round-trips through ``to_dict``, and the
command line and the plots show it.
"""

from __future__ import annotations

import bisect
import copy
import math
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core import validation as check
from .._core.curves import Curve, Level, ScalarCurve
from .._core.ops import NUMPY, Ops, Value
from .._core.schedule import Schedule, set_fields
from .._core.segments import (
    KIND_DECAY,
    KIND_HOLD,
    KIND_LEVEL,
    KIND_RISE,
    KIND_WARMUP,
    Segment,
    make,
)
from .._core.validation import Number

MAX_TRACED_STEPS = 1_000_000
"""The most steps one :class:`Traced` holds (and :func:`trace` records): its ``to_dict()`` data
stays within ``from_dict``'s list limit, and recording a PyTorch scheduler takes seconds."""

MAX_SOURCE_LENGTH = 1_000
"""The longest ``source`` text a :class:`Traced` keeps."""


class Recorded(Curve):
    """A stretch of recorded values: the value at step ``t`` is ``values[floor(t)]``.

    Past the table's last entry the last value holds. Monotone over the segment it describes
    (:class:`Traced` cuts its segments where the recorded values change direction).
    """

    shape = "traced"

    def __init__(self, values: np.ndarray, listed: Sequence[float]) -> None:
        self.values, self.listed = values, listed
        self.last = len(listed) - 1

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """``values[min(floor(t), n - 1)]`` on any backend: a lookup in the step table."""
        if ops is NUMPY:
            return self.evaluate_numpy(np.asarray(t, dtype=np.float64))
        steps = ops.table([float(i) for i in range(len(self.listed))])
        return ops.take(ops.table(self.listed), ops.bucket(steps, t))

    def evaluate_numpy(self, t: np.ndarray) -> np.ndarray:
        """The lookup on a float64 array (steps ``>= 0``)."""
        index = np.minimum(np.floor(t), self.last).astype(np.intp)
        return np.asarray(self.values[index], dtype=np.float64)

    def scalar(self) -> ScalarCurve:
        """The lookup for one Python-number step."""
        listed, last = self.listed, self.last

        def recorded(t: float) -> float:
            return listed[min(int(t), last)]

        return recorded


@dataclass(frozen=True, repr=False)
class Traced(Schedule):
    """Learning rates recorded at steps ``0 .. n - 1``, held after the last one.

    ``v(t) = values[floor(t)]`` for ``t < n`` and ``values[n - 1]`` from ``n - 1`` on (the
    natural end is where the last run of equal values starts). Made by :func:`warmcos.trace`
    from any object that has learning rates; it reproduces the peer at whole steps only.

    Segments: one per run of steps over which the recorded values keep one direction (kind
    ``"warm-up"`` for a rise from step 0, ``"rise"``, ``"decay"``, or ``"level"`` for equal
    values; shape ``"traced"``, ``"constant"`` for a level), then the ``"hold"``.

    Args:
        values: The recorded values: 1 to 1,000,000 finite numbers ``>= 0``.
        source: What was recorded (for example ``"torch.optim.lr_scheduler.LambdaLR"``), or
            None.

    Example:
        >>> import warmcos
        >>> s = warmcos.Traced([0.0, 0.5, 1.0, 0.75, 0.5])
        >>> s(1), s(1.5), s(3), s(100)
        (0.5, 0.5, 0.75, 0.5)
        >>> [(g.kind, g.start, g.end) for g in s.segments()]
        [('warm-up', 0.0, 2.0), ('decay', 2.0, 4.0), ('hold', 4.0, inf)]
    """

    name = "traced"

    values: Sequence[Number]
    source: str | None = None

    def __post_init__(self) -> None:
        where = "traced()"
        table = _table(where, self.values)
        if self.source is not None:
            if not isinstance(self.source, str):
                raise TypeError(
                    f"{where}: `source` must be a str or None. Received: "
                    f"source={check.short(self.source)} of type {type(self.source).__name__}"
                )
            if len(self.source) > MAX_SOURCE_LENGTH:
                raise check.fail(
                    where,
                    "source",
                    f"be at most {MAX_SOURCE_LENGTH:,} characters",
                    source=self.source,
                )
        listed = table.tolist()
        set_fields(self, values=tuple(listed))
        object.__setattr__(self, "_recorded", Recorded(table, listed))
        object.__setattr__(self, "_runs", _runs(table))

    @property
    def natural_end(self) -> float | None:
        """Where the last run of equal values starts (0 for a single value)."""
        starts, _ = self.__dict__["_runs"]
        return float(starts[-1])

    def _segments_from(self, t: float) -> Iterator[Segment]:
        starts, signs = self.__dict__["_runs"]
        recorded: Recorded = self.__dict__["_recorded"]
        last = len(starts) - 1
        for index in range(max(bisect.bisect_right(starts, t) - 1, 0), last):
            start, end, sign = starts[index], starts[index + 1], signs[index]
            if sign == 0:
                yield make(KIND_LEVEL, start, end, Level(recorded.listed[start]))
            elif sign > 0:
                yield make(KIND_WARMUP if start == 0 else KIND_RISE, start, end, recorded)
            else:
                yield make(KIND_DECAY, start, end, recorded)
        yield make(KIND_HOLD, starts[last], math.inf, Level(recorded.listed[starts[last]]))

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The recorded value at ``floor(t)`` (the last one past the end)."""
        recorded: Recorded = self.__dict__["_recorded"]
        return recorded.evaluate(t, ops)


def _table(where: str, values: object) -> np.ndarray:
    """`values` as a float64 array: 1 to MAX_TRACED_STEPS finite real numbers ``>= 0``."""
    if isinstance(values, np.ndarray):
        if values.ndim != 1 or values.dtype == np.bool_ or values.dtype.kind not in "iuf":
            raise TypeError(
                f"{where}: `values` must be a list of numbers. Received: an array of dtype "
                f"{values.dtype} and shape {values.shape}"
            )
        if not 1 <= values.size <= MAX_TRACED_STEPS:
            raise _count(where, values.size)
        items: Sequence[Any] = values.tolist()
    elif isinstance(values, (list, tuple)):
        items = values
    else:
        raise TypeError(
            f"{where}: `values` must be a list of numbers. Received: values="
            f"{check.short(values)} of type {type(values).__name__}"
        )
    if not 1 <= len(items) <= MAX_TRACED_STEPS:
        raise _count(where, len(items))
    if not isinstance(values, np.ndarray):
        for item in items:
            if type(item) is not float and (
                isinstance(item, bool) or not isinstance(item, (int, float, np.number))
            ):
                raise TypeError(
                    f"{where}: `values` must be a list of numbers. Received: an item "
                    f"{check.short(item)} of type {type(item).__name__}"
                )
    try:
        table = np.asarray(items, dtype=np.float64)
    except (OverflowError, TypeError, ValueError):
        raise check.fail(where, "values", "be finite numbers", values=items) from None
    bad = ~(np.isfinite(table) & (table >= 0))
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        raise check.fail(
            where, "values", "be finite numbers >= 0", **{f"values[{index}]": items[index]}
        )
    return table


def _count(where: str, count: int) -> ValueError:
    return check.fail(where, "values", f"hold 1 to {MAX_TRACED_STEPS:,} values", values=count)


def _runs(table: np.ndarray) -> tuple[list[int], list[int]]:
    """The steps where a run of one direction starts (the last: the hold), and each direction.

    A run covers the steps ``[start, next start)`` and the values there and at the next start
    all go one way (``+1`` up, ``-1`` down, ``0`` equal), so each run's curve is monotone.
    """
    if table.size == 1:
        return [0], []
    signs = np.sign(np.diff(table)).astype(np.int64)
    changes = np.flatnonzero(signs[1:] != signs[:-1]) + 1
    starts = [0, *changes.tolist()]
    directions = signs[starts].tolist()
    if directions[-1] == 0:  # the trailing equal values are the hold
        directions.pop()
        return starts, directions
    return [*starts, table.size - 1], directions


# -- recording --------------------------------------------------------------------------------


def trace(obj: object, steps: int, *, group: int = 0) -> Traced:
    """Record the learning rates of anything that has them, as a :class:`Traced` schedule.

    * A PyTorch scheduler (``torch.optim.lr_scheduler``, transformers' ``LambdaLR``, the seed's
      class, ``warmcos.torch.LRScheduler``) or a timm scheduler: a copy of it and of its
      optimizer (the parameters and optimizer state are not copied) is stepped ``steps - 1``
      times; value ``k`` is the learning rate of param group `group` ``k`` steps after where
      the scheduler stands (step ``k`` for a new one). The user's objects are not touched.
    * A Keras ``LearningRateSchedule``, an optax schedule, a warmcos schedule or any callable
      of the step: called at steps ``0 .. steps - 1`` (on the whole array at once when it
      accepts one, else step by step). Keras is imported only for a Keras object.

    Args:
        obj: The object to record.
        steps: How many steps to record (1 to 1,000,000).
        group: The param group to record, for a scheduler.

    Returns:
        The recorded schedule; its ``source`` names the object's class.

    Raises:
        ValueError: `steps` out of range, a learning rate that is not a finite number ``>= 0``,
            or a scheduler that fails while stepping (the message says at which step).
        TypeError: `obj` has no learning rates this function can read.

    Example:
        >>> import warmcos
        >>> s = warmcos.trace(lambda t: 0.1 * 0.5 ** (t // 2), 6)
        >>> s.values
        (0.1, 0.1, 0.05, 0.05, 0.025, 0.025)
    """
    where = "trace()"
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise TypeError(
            f"{where}: `steps` must be an int. Received: steps={check.short(steps)} "
            f"of type {type(steps).__name__}"
        )
    if not 1 <= steps <= MAX_TRACED_STEPS:
        raise check.fail(where, "steps", f"be in [1, {MAX_TRACED_STEPS:,}]", steps=steps)
    count = int(steps)
    source = qualified_name(obj)
    if _is_scheduler(obj):
        values = _stepped(where, obj, count, group)
    elif callable(obj):
        values = _called(where, obj, count)
    else:
        raise TypeError(
            f"{where}: `obj` must be a scheduler with an optimizer, a schedule or a callable of "
            f"the step. Received: an object of type {source}"
        )
    return Traced(values, source=source[:MAX_SOURCE_LENGTH])


def qualified_name(obj: object) -> str:
    """``module.Class`` of `obj` (``module.function`` for a function)."""
    kind = obj if isinstance(obj, type) else type(obj)
    if callable(obj) and hasattr(obj, "__qualname__") and not isinstance(obj, type):
        kind = obj  # type: ignore[assignment]
    module = getattr(kind, "__module__", None) or ""
    name = getattr(kind, "__qualname__", None) or type(obj).__name__
    return f"{module}.{name}" if module else str(name)


def _is_scheduler(obj: object) -> bool:
    optimizer = getattr(obj, "optimizer", None)
    return (
        optimizer is not None
        and hasattr(optimizer, "param_groups")
        and (hasattr(obj, "step") or hasattr(obj, "step_update"))
    )


def detached_copy(optimizer: Any, scheduler: Any) -> tuple[Any, Any]:
    """Deep copies of `optimizer` and `scheduler`, without copying parameters or their state.

    Each parameter is replaced by a one-element stand-in and the optimizer's per-parameter
    state by an empty one, so a copy costs the size of the configuration, not of the model;
    stepping the copies changes nothing the user holds.
    """
    import torch

    memo: dict[int, Any] = {}
    for group in optimizer.param_groups:
        for param in group["params"]:
            memo[id(param)] = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    state = getattr(optimizer, "state", None)
    if state is not None:
        memo[id(state)] = defaultdict(dict)
    copied = copy.deepcopy((optimizer, scheduler), memo)
    return copied[0], copied[1]


def _stepped(where: str, scheduler: Any, count: int, group: int) -> list[float]:
    optimizer = scheduler.optimizer
    groups = optimizer.param_groups
    if not (isinstance(group, int) and 0 <= group < len(groups)):
        raise check.fail(
            where, "group", f"be a param group index in [0, {len(groups) - 1}]", group=group
        )
    optimizer, scheduler = detached_copy(optimizer, scheduler)
    field = getattr(scheduler, "param_group_field", "lr")
    timm = type(scheduler).__module__.startswith("timm")
    epochs = bool(getattr(scheduler, "t_in_epochs", True))
    values = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's "step() before optimizer.step()" warning
        for index in range(count):
            if index:
                try:
                    if timm:
                        (scheduler.step if epochs else scheduler.step_update)(index)
                    else:
                        scheduler.step()
                except Exception as error:  # the peer's own failure, said with the step
                    raise ValueError(
                        f"{where}: {type(scheduler).__name__}.step() failed at step {index}: "
                        f"{error}"
                    ) from None
            values.append(_float(optimizer.param_groups[group][field]))
    return values


def _called(where: str, function: Callable[..., Any], count: int) -> list[float]:
    steps = np.arange(count)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            whole = np.asarray(function(steps), dtype=np.float64)
        if whole.shape == (count,):
            listed: list[float] = whole.tolist()
            return listed
    except Exception:  # a function of one step only: call it step by step below
        pass
    values = []
    for step in range(count):
        try:
            values.append(_float(function(step)))
        except Exception as error:
            raise ValueError(
                f"{where}: calling the schedule failed at step {step}: {error}"
            ) from None
    return values


def _float(value: Any) -> float:
    if hasattr(value, "item"):
        value = value.item()
    return float(value)
