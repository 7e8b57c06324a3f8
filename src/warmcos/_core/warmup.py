"""A warm-up of any shape in front of any schedule."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from . import validation as check
from .curves import Curve, Line
from .ops import Ops, Value
from .schedule import Schedule, set_fields
from .segments import Segment, global_step, make, relocated, warmup_kind
from .validation import Number
from .warps import WARMUP_SHAPES, Warm


@dataclass(frozen=True, repr=False)
class Warmup(Schedule):
    r"""A warm-up from `start` over `steps` steps, then `schedule`.

    With ``W = steps``, the warm-up's end value ``e`` and its shape ``w(q)`` (below):

    .. math::

        v(t) = \begin{cases}
        s + (e - s)\, w(t / W) & t < W \\
        \text{schedule}(t - W) & t \ge W \text{ (prefix)} \\
        \text{schedule}(t) & t \ge W \text{ (overlap)}
        \end{cases}

    ``prefix=True`` puts the warm-up in front of the schedule, which starts at its own step 0
    when the warm-up ends (optax's and timm's ``warmup_prefix=True``). ``prefix=False`` lays the
    warm-up over the schedule's first `steps` steps, which it replaces (timm's default): the
    schedule keeps its own steps and takes over part-way through.

    The warm-up ends at `end`, by default where the schedule takes over (``schedule(0)`` with
    a prefix, ``schedule(W)`` without), so the curve is continuous. timm's cosine warms up to
    the base LR even without a prefix: pass ``end=peak`` for that.

    Its shape is a decay played backwards in time (transformers' ``warmup_type``): it covers
    the fraction ``w(q)`` of the way from `start` to `end`, where ``w(q) = q`` (``"linear"``),
    ``(1 - cos(pi q)) / 2`` (``"cosine"``), ``1 - sqrt(1 - q)`` (``"sqrt"``: transformers'
    ``"1-sqrt"``, slow at first) or, for ``"exponential"``, ``s (e / s)^q`` (both ends > 0).

    Written out rather than as a ``join``, so that the schedule's own segments keep their tags
    (restart cycles, join pieces) and the warm-up's segment is labelled as one.

    Args:
        schedule: Any schedule (its spec string or data are not accepted here; parse first).
        steps: ``W``, the warm-up's length (``> 0``).
        start: The value at step 0 (``>= 0``).
        end: The value the warm-up reaches at ``W`` (``>= 0``), or None (see above).
        shape: ``"linear"``, ``"cosine"``, ``"sqrt"`` or ``"exponential"``.
        prefix: Whether the schedule starts after the warm-up (True) or under it (False).

    Example:
        >>> import warmcos
        >>> s = warmcos.warmup(warmcos.cosine(peak=1.0, steps=8), steps=2)
        >>> [s(t) for t in (0, 1, 2, 6, 10)]
        [0.0, 0.5, 1.0, 0.5, 0.0]
        >>> timm = warmcos.warmup(warmcos.cosine(peak=1.0, steps=10), 2, end=1.0, prefix=False)
        >>> [round(timm(t), 4) for t in (0, 1, 2, 10)]
        [0.0, 0.5, 0.9045, 0.0]
    """

    name = "warmup"

    schedule: Schedule
    steps: Number
    start: Number = 0.0
    end: Number | None = None
    shape: str = "linear"
    prefix: bool = True

    def __post_init__(self) -> None:
        where = "warmup()"
        if not isinstance(self.schedule, Schedule):
            raise TypeError(
                f"{where}: `schedule` must be a warmcos schedule. "
                f"Received: schedule={check.short(self.schedule)} "
                f"of type {type(self.schedule).__name__}"
            )
        if not isinstance(self.prefix, bool):
            raise TypeError(
                f"{where}: `prefix` must be True or False. "
                f"Received: prefix={check.short(self.prefix)}"
            )
        set_fields(
            self,
            steps=check.span(where, "steps", self.steps),
            start=check.nonnegative(where, "start", self.start),
            shape=check.choice(where, "shape", self.shape, WARMUP_SHAPES),
        )
        if self.end is not None:
            set_fields(self, end=check.nonnegative(where, "end", self.end))
            target = float(self.end)
        else:
            target = float(self.schedule(0.0 if self.prefix else float(self.steps)))
        if self.shape == "exponential" and not (self.start > 0 and target > 0):
            raise check.fail(
                where,
                "start",
                'be > 0, and the value the warm-up reaches too, with shape="exponential"',
                start=self.start,
                end=target,
            )
        object.__setattr__(self, "_target", target)
        self._check_parts(where)

    def _parts(self) -> tuple[Schedule, ...]:
        return (self.schedule,)

    @property
    def target(self) -> float:
        """The value the warm-up reaches: `end`, or the schedule's value where it takes over."""
        return float(self.__dict__["_target"])

    def _offset(self) -> float:
        return float(self.steps) if self.prefix else 0.0

    def _ramp(self) -> Curve:
        curve = self.__dict__.get("_curve")
        if curve is None:
            steps, start = float(self.steps), float(self.start)
            if self.shape == "linear":
                curve = Line(0.0, steps, start, self.target)
            else:
                curve = Warm(self.shape, 0.0, steps, start, self.target)
            self.__dict__["_curve"] = curve
        return curve

    @property
    def natural_end(self) -> float | None:
        """Where the schedule settles, in this schedule's steps (None when it never does)."""
        end = self.schedule.natural_end
        if end is None:
            return None
        if self.prefix:
            return global_step(end, self._offset())
        return max(float(self.steps), end)

    def _segments_from(self, t: float) -> Iterator[Segment]:
        steps, offset = float(self.steps), self._offset()
        if t < steps:
            start = float(self.start)
            yield make(warmup_kind(start, self.target), 0.0, steps, self._ramp())
        for segment in self.schedule._segments_from(max(t, steps) - offset):
            moved = relocated(segment, offset, steps, math.inf, segment.piece)
            if moved is not None:
                yield moved

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The warm-up's curve, then the schedule on its own steps."""
        ramp, schedule, offset = self._ramp(), self.schedule, self._offset()

        def warming(x: Value) -> Value:
            return ramp.evaluate(x, ops)

        def following(x: Value) -> Value:
            return schedule.evaluate(x - offset if offset else x, ops)

        pieces: list[Any] = [warming, following]
        return ops.piecewise(t, [0.0, float(self.steps)], pieces)
