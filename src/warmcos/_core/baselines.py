"""The usual alternatives to cosine: constant, linear, step, multi-step and exponential decay."""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from . import validation as check
from .curves import Curve, Level, Line, ScalarCurve
from .ops import NUMPY, Ops, Value
from .piecewise import first_step, whole_quotient
from .schedule import PiecewiseSchedule, Schedule, set_fields
from .segments import (
    KIND_DECAY,
    KIND_HOLD,
    KIND_LEVEL,
    KIND_RISE,
    KIND_STABLE,
    Segment,
    global_step,
    make,
    relocated,
    slope_kind,
    warmup_kind,
)
from .validation import Number

MAX_MILESTONES = 1_000_000
"""The most milestones a ``multistep`` takes (each a table entry, looked up per step)."""


@dataclass(frozen=True, repr=False)
class Constant(PiecewiseSchedule):
    """The same value at every step: ``v(t) = value``.

    Args:
        value: The value (``>= 0``).

    Example:
        >>> import warmcos
        >>> warmcos.constant(0.1)(12345)
        0.1
    """

    name = "constant"

    value: Number

    def __post_init__(self) -> None:
        set_fields(self, value=check.nonnegative("constant()", "value", self.value))

    def _segment_list(self) -> tuple[Segment, ...]:
        """One segment: the value, held from step 0."""
        return (make(KIND_HOLD, 0.0, math.inf, Level(float(self.value))),)


@dataclass(frozen=True, repr=False)
class Linear(PiecewiseSchedule):
    """A straight line from `start` to `end` over `steps`, then `end` held (PyTorch's LinearLR).

    ``v(t) = start + (end - start) * min(t, steps) / steps``

    Args:
        start: The value at step 0 (``>= 0``).
        end: The value from `steps` on (``>= 0``; above `start` for a ramp up).
        steps: The length of the line (``> 0``).

    Example:
        >>> import warmcos
        >>> s = warmcos.linear(start=1.0, end=0.0, steps=4)
        >>> [s(t) for t in (0, 1, 4, 9)]
        [1.0, 0.75, 0.0, 0.0]
    """

    name = "linear"

    start: Number
    end: Number
    steps: Number

    def __post_init__(self) -> None:
        where = "linear()"
        set_fields(
            self,
            start=check.nonnegative(where, "start", self.start),
            end=check.nonnegative(where, "end", self.end),
            steps=check.span(where, "steps", self.steps),
        )

    def _segment_list(self) -> tuple[Segment, ...]:
        """The line, then `end` held (exactly, not as the line's rounded end)."""
        start, end, steps = float(self.start), float(self.end), float(self.steps)
        kind = warmup_kind(start, end) if end > start else slope_kind(start, end)
        line = make(kind, 0.0, steps, Line(0.0, steps, start, end))
        return line, make(KIND_HOLD, steps, math.inf, Level(end))


@dataclass(frozen=True, repr=False)
class Step(Schedule):
    """Multiply by `gamma` every `step_size` steps (PyTorch's StepLR), up to a bound.

    ``v(t) = value * gamma ** floor(t / step_size)``, and with `end_value` never past it: the
    value holds at `end_value` from the first drop that reaches it.

    Args:
        value: The value at step 0 (``>= 0``).
        step_size: Steps between drops (``> 0``; may be fractional).
        gamma: The factor applied at each drop (``> 0``): below 1 a decay, above 1 growth
            (which needs `end_value`).
        end_value: A bound the value never passes, or None: for a decay a floor in
            ``(0, value]``, for growth a ceiling ``>= value``.

    Example:
        >>> import warmcos
        >>> s = warmcos.step(1.0, step_size=10, gamma=0.5)
        >>> [s(t) for t in (0, 9, 10, 25)]
        [1.0, 1.0, 0.5, 0.25]
        >>> up = warmcos.step(1.0, step_size=10, gamma=2.0, end_value=5.0)
        >>> [up(t) for t in (0, 10, 20, 30, 99)]
        [1.0, 2.0, 4.0, 5.0, 5.0]
    """

    name = "step"

    value: Number
    step_size: Number
    gamma: Number = 0.1
    end_value: Number | None = None

    def __post_init__(self) -> None:
        where = "step()"
        set_fields(
            self,
            value=check.nonnegative(where, "value", self.value),
            step_size=check.span(where, "step_size", self.step_size),
            gamma=check.positive(where, "gamma", self.gamma),
        )
        bound = _bound(where, self.value, self.gamma, self.end_value)
        set_fields(self, end_value=bound)
        settle = None if bound is None else _settle_drops(where, self.value, self.gamma, bound)
        object.__setattr__(self, "_settle", settle)

    @property
    def natural_end(self) -> float | None:
        """Where the value reaches `end_value`; 0 when nothing changes; else None."""
        settle: int | None = self.__dict__["_settle"]
        if self._constant():
            return 0.0
        return None if settle is None else _first_step_of(settle, float(self.step_size))

    def _constant(self) -> bool:
        return self.gamma == 1 or self.value == 0 or self.__dict__["_settle"] == 0

    def _level(self, drops: float) -> float:
        level = float(self.value) * float(float(self.gamma) ** drops)
        return _clipped(level, self.gamma, self.end_value)

    def _first_zero_level(self, zero: int) -> int:
        """The first drop whose level has underflowed to 0, given one such drop `zero`."""
        low = 0  # levels fall with the drops: bisect for the first that is 0
        while low < zero:
            middle = (low + zero) // 2
            if self._level(float(middle)) == 0:
                zero = middle
            else:
                low = middle + 1
        return zero

    def _segments_from(self, t: float) -> Iterator[Segment]:
        if self._constant():
            yield make(KIND_HOLD, 0.0, math.inf, Level(float(self.value)))
            return
        settle: int | None = self.__dict__["_settle"]
        size = float(self.step_size)
        quotient = t / size
        if settle is not None and not quotient < settle:
            drops = settle  # the bound is reached: held from its drop on
        elif not quotient < 2.0**62 and self._level(quotient) != 0:
            # Past 2**62 drops with gamma within 1e-16 of 1: no float step tells levels apart.
            yield make(KIND_HOLD, t, math.inf, Level(self._level(quotient)))
            return
        else:
            drops = math.floor(quotient) if quotient < 2.0**62 else 2**62
            if self._level(float(drops)) == 0:
                drops = self._first_zero_level(drops)
        start = _first_step_of(drops, size)
        while True:
            level = self._level(float(drops))
            end = _first_step_of(drops + 1, size)
            if drops == settle or level == 0 or not end < math.inf:
                # The bound or 0 is reached (or no float step lies beyond): the level holds.
                yield make(KIND_HOLD, start, math.inf, Level(level))
                return
            yield make(KIND_LEVEL, start, end, Level(level))
            drops, start = drops + 1, end

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The formula of the class docstring."""
        if self._constant():
            return ops.fill(t, float(self.value))  # (0 * gamma ** drops could overflow to nan)
        drops = whole_quotient(ops, t, float(self.step_size))
        settle: int | None = self.__dict__["_settle"]
        if settle is not None:
            drops = ops.minimum(drops, float(settle))  # no power past the bound: no overflow
        level = float(self.value) * ops.power(float(self.gamma), drops)
        return _clip(ops, level, self.gamma, self.end_value)


@dataclass(frozen=True, repr=False)
class MultiStep(Schedule):
    """Multiply by `gamma` at each milestone (PyTorch's MultiStepLR).

    ``v(t) = value * gamma ** #{m in milestones : m <= t}``

    Args:
        value: The value at step 0 (``>= 0``).
        milestones: The steps of the drops, strictly increasing and ``> 0``.
        gamma: The factor applied at each milestone (``> 0``; above 1 the value grows, and must
            stay finite).

    Example:
        >>> import warmcos
        >>> s = warmcos.multistep(1.0, milestones=[3, 5], gamma=0.1)
        >>> [round(s(t), 12) for t in (0, 3, 4, 5)]
        [1.0, 0.1, 0.1, 0.01]
    """

    name = "multistep"

    value: Number
    milestones: Sequence[Number]
    gamma: Number = 0.1

    def __post_init__(self) -> None:
        where = "multistep()"
        set_fields(
            self,
            value=check.nonnegative(where, "value", self.value),
            milestones=check.increasing(
                where, "milestones", self.milestones, strictly_above=0, at_most=MAX_MILESTONES
            ),
            gamma=check.positive(where, "gamma", self.gamma),
        )
        object.__setattr__(self, "_marks", [float(m) for m in self.milestones])
        if self.gamma > 1:
            drops = len(self.milestones)
            if not math.isfinite(_power(float(self.gamma), drops) * float(self.value or 1)):
                raise check.fail(
                    where,
                    "gamma",
                    f"keep `value * gamma ** {drops:,}` (the last level) finite",
                    gamma=self.gamma,
                    value=self.value,
                )

    @property
    def natural_end(self) -> float | None:
        """The last milestone (0 without milestones)."""
        return self.__dict__["_marks"][-1] if self.milestones else 0.0

    def _level(self, drops: int) -> float:
        return float(self.value) * float(float(self.gamma) ** float(drops))

    def _segments_from(self, t: float) -> Iterator[Segment]:
        marks: list[float] = self.__dict__["_marks"]
        drops = bisect.bisect_right(marks, t)
        for index in range(drops, len(marks)):
            start = marks[index - 1] if index else 0.0
            yield make(KIND_LEVEL, start, marks[index], Level(self._level(index)))
        start = marks[-1] if marks else 0.0
        yield make(KIND_HOLD, start, math.inf, Level(self._level(len(marks))))

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The formula of the class docstring."""
        if ops is NUMPY:
            table = self.__dict__.get("_table")
            if table is None:
                table = self.__dict__.setdefault("_table", np.asarray(self.__dict__["_marks"]))
        else:
            table = ops.table(self.__dict__["_marks"])
        passed = ops.count_at_most(table, t)
        return float(self.value) * ops.power(float(self.gamma), passed)


class Compound(Curve):
    """``value * gamma ** (t / size)`` up to `settle`, clipped at `bound` (Keras' order).

    From `settle` on (the first step whose value reaches `bound`) the value is `bound`; the
    power is never taken past it, so a growing value cannot overflow.
    """

    shape = "exponential"

    def __init__(
        self, value: float, gamma: float, size: float, bound: float | None, settle: float
    ) -> None:
        self.value, self.gamma, self.size = float(value), float(gamma), float(size)
        self.bound, self.settle = bound, float(settle)

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The exponential at `t`."""
        if self.bound is not None:
            t = ops.minimum(t, self.settle)
        level = self.value * ops.power(self.gamma, t / self.size)
        return _clip(ops, level, self.gamma, self.bound)

    def scalar(self) -> ScalarCurve:
        """The exponential at one step."""
        value, gamma, size, bound, settle = (
            self.value,
            self.gamma,
            self.size,
            self.bound,
            self.settle,
        )
        if bound is None:
            return lambda t: value * float(gamma ** float(t / size))

        def bounded(t: float) -> float:
            level = value * float(gamma ** float((t if t < settle else settle) / size))
            return _clipped(level, gamma, bound)

        return bounded

    def limit(self) -> float:
        """The bound; without one, 0 for a decay (the value itself when constant)."""
        if self.bound is not None:
            return self.bound
        return 0.0 if self.gamma < 1 else self.value


@dataclass(frozen=True, repr=False)
class Exponential(Schedule):
    r"""Multiply by `gamma` every `decay_steps` steps, continuously (PyTorch's ExponentialLR).

    With ``p = (t - B) / D``, or ``floor((t - B) / D)`` with `staircase`:

    .. math::

        v(t) = \begin{cases}
        v_0 & t < B \\
        v_0\, \gamma^{p} & t \ge B
        \end{cases}

    never past `end_value`, where it holds from the first step that reaches it; ``v_0 = value``,
    ``D = decay_steps`` and ``B = transition_begin``. Keras' ``ExponentialDecay`` and optax's
    ``exponential_decay`` (``decay_rate`` is `gamma`, optax's ``transition_steps`` is `D`);
    PyTorch's ``ExponentialLR`` is ``D = 1``.

    Args:
        value: The value up to `transition_begin` (``>= 0``).
        gamma: The factor per `decay_steps` steps (``> 0``): below 1 a decay, above 1 growth
            (which needs `end_value`).
        decay_steps: ``D``, the steps over which the value is multiplied by `gamma` once
            (``> 0``; may be fractional).
        staircase: Whether the value changes only every `decay_steps` steps (whole ``p``).
        transition_begin: ``B``, the steps `value` is held before the decay starts (``>= 0``).
        end_value: A bound the value never passes, or None: for a decay a floor in
            ``(0, value]``, for growth a ceiling ``>= value``.

    Example:
        >>> import warmcos
        >>> s = warmcos.exponential(1.0, gamma=0.5)
        >>> [s(t) for t in (0, 1, 2.5)]
        [1.0, 0.5, 0.1767766952966369]
        >>> up = warmcos.exponential(1.0, gamma=2.0, decay_steps=10, end_value=3.0)
        >>> [up(t) for t in (0, 10, 15, 20)]
        [1.0, 2.0, 2.8284271247461903, 3.0]
    """

    name = "exponential"

    value: Number
    gamma: Number
    decay_steps: Number = 1
    staircase: bool = False
    transition_begin: Number = 0
    end_value: Number | None = None

    def __post_init__(self) -> None:
        where = "exponential()"
        set_fields(
            self,
            value=check.nonnegative(where, "value", self.value),
            gamma=check.positive(where, "gamma", self.gamma),
            decay_steps=check.span(where, "decay_steps", self.decay_steps),
            transition_begin=check.span(
                where, "transition_begin", self.transition_begin, zero=True
            ),
        )
        if not isinstance(self.staircase, bool):
            raise TypeError(
                f"{where}: `staircase` must be True or False. "
                f"Received: staircase={check.short(self.staircase)}"
            )
        bound = _bound(where, self.value, self.gamma, self.end_value)
        set_fields(self, end_value=bound)
        value, gamma, size = float(self.value), float(self.gamma), float(self.decay_steps)
        settle = math.inf
        if bound is not None:
            drops = _settle_drops(where, self.value, self.gamma, bound)  # whole factors
            limit = float(bound)
            if drops and not self.staircase:
                settle = first_step(
                    lambda u: _passes(_compound(value, gamma, u / size), gamma, limit), drops * size
                )
                if not math.isfinite(_compound(value, gamma, settle / size)):
                    raise _overflows(where, self.gamma, limit)
        if self.staircase:
            # The stairs are a step decay on the steps counted from `transition_begin`.
            object.__setattr__(self, "_stairs", Step(value, size, gamma, bound))
        object.__setattr__(self, "_curve", Compound(value, gamma, size, bound, settle))

    @property
    def natural_end(self) -> float | None:
        """Where the value reaches `end_value`; 0 when nothing changes; else None."""
        if self._constant():
            return 0.0
        local = self._local_end()
        if local is None:
            return None
        return global_step(local, float(self.transition_begin))

    def _constant(self) -> bool:
        return self.gamma == 1 or self.value == 0 or self.end_value == self.value

    def _local_end(self) -> float | None:
        """The natural end counted from `transition_begin`."""
        stairs: Step | None = self.__dict__.get("_stairs")
        if stairs is not None:
            return stairs.natural_end
        curve: Compound = self.__dict__["_curve"]
        return curve.settle if math.isfinite(curve.settle) else None

    def _decay_from(self, t: float) -> Iterator[Segment]:
        """The segments from `transition_begin` on, on steps counted from there."""
        stairs: Step | None = self.__dict__.get("_stairs")
        if stairs is not None:
            yield from stairs._segments_from(t)
            return
        curve: Compound = self.__dict__["_curve"]
        kind = KIND_RISE if self.gamma > 1 else KIND_DECAY
        yield make(kind, 0.0, curve.settle, curve)
        if math.isfinite(curve.settle):
            yield make(KIND_HOLD, curve.settle, math.inf, Level(float(self.end_value or 0.0)))

    def _segments_from(self, t: float) -> Iterator[Segment]:
        value = float(self.value)
        if self._constant():
            yield make(KIND_HOLD, 0.0, math.inf, Level(value))
            return
        begin = float(self.transition_begin)
        if begin == 0:
            for segment in self._decay_from(t):
                if segment.end > t:
                    yield segment
            return
        if t < begin:
            yield make(KIND_STABLE if self.gamma < 1 else KIND_LEVEL, 0.0, begin, Level(value))
        for segment in self._decay_from(max(t, begin) - begin):
            moved = relocated(segment, begin, begin, math.inf, None)
            if moved is not None and moved.end > t:
                yield moved

    def _decay(self, t: Value, ops: Ops) -> Value:
        stairs: Step | None = self.__dict__.get("_stairs")
        if stairs is not None:
            return stairs.evaluate(t, ops)
        curve: Compound = self.__dict__["_curve"]
        return curve.evaluate(t, ops)

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The formula of the class docstring."""
        if self._constant():
            return ops.fill(t, float(self.value))  # (0 * gamma ** p could overflow to nan)
        begin = float(self.transition_begin)
        if begin == 0:
            return self._decay(t, ops)
        held = float(self.value)
        return ops.piecewise(
            t, [0.0, begin], [lambda x: ops.fill(x, held), lambda x: self._decay(x - begin, ops)]
        )


def _power(gamma: float, drops: float) -> float:
    """``gamma ** drops``, ``inf`` where Python would raise on the overflow."""
    try:
        return float(gamma**drops)
    except OverflowError:
        return math.inf


def _compound(value: float, gamma: float, exponent: float) -> float:
    """``value * gamma ** exponent`` (``inf`` on overflow)."""
    return value * _power(gamma, exponent)


def _passes(level: float, gamma: Number, bound: float) -> bool:
    """Whether `level` has reached `bound`, from below for growth and from above for a decay."""
    return level >= bound if gamma > 1 else level <= bound


def _clipped(level: float, gamma: Number, bound: Number | None) -> float:
    """`level`, never past `bound` (a ceiling for growth, a floor for a decay)."""
    if bound is None:
        return level
    if gamma > 1:
        return min(level, float(bound))
    return max(level, float(bound))


def _clip(ops: Ops, level: Value, gamma: Number, bound: Number | None) -> Value:
    """:func:`_clipped` on `ops`."""
    if bound is None:
        return level
    if gamma > 1:
        return ops.minimum(level, float(bound))
    return ops.maximum(level, float(bound))


def _bound(where: str, value: Number, gamma: Number, end_value: object) -> Number | None:
    """Check `end_value`: growth needs one, and it must be reachable from `value`."""
    if end_value is None:
        if gamma > 1 and value > 0:
            raise check.fail(
                where,
                "gamma",
                "be <= 1 without `end_value` (growth needs a bound to stop at)",
                gamma=gamma,
                end_value=None,
            )
        return None
    bound = check.nonnegative(where, "end_value", end_value)
    if gamma < 1 and value > 0 and not 0 < bound <= value:
        raise check.fail(
            where,
            "end_value",
            "be in (0, `value`] when `gamma` < 1 (a floor the decay reaches)",
            end_value=end_value,
            value=value,
            gamma=gamma,
        )
    if gamma > 1 and value > 0 and bound < value:
        raise check.fail(
            where,
            "end_value",
            "be >= `value` when `gamma` > 1 (a ceiling the growth reaches)",
            end_value=end_value,
            value=value,
            gamma=gamma,
        )
    if (gamma == 1 or value == 0) and bound != value:
        raise check.fail(
            where,
            "end_value",
            "equal `value` when the value cannot move (`gamma` == 1 or `value` == 0)",
            end_value=end_value,
            value=value,
            gamma=gamma,
        )
    return bound


def _settle_drops(where: str, value: Number, gamma: Number, bound: Number) -> int:
    """The first whole number of factors ``k`` with ``value * gamma ** k`` at `bound` or past it.

    Raises:
        ValueError: That level overflows (growth to a bound within a factor of the float range).
    """
    start, factor, end = float(value), float(gamma), float(bound)

    def reached(drops: int) -> bool:
        return _passes(_compound(start, factor, float(drops)), factor, end)

    if reached(0):
        return 0
    estimate = (math.log(end) - math.log(start)) / math.log(factor)
    high = max(1, math.ceil(min(estimate, 2.0**64)))
    while not reached(high):
        high *= 2
    low = 0  # not reached
    while high - low > 1:
        middle = (low + high) // 2
        if reached(middle):
            high = middle
        else:
            low = middle
    if not math.isfinite(_compound(start, factor, float(high))):
        raise _overflows(where, gamma, bound)
    return high


def _overflows(where: str, gamma: Number, bound: Number) -> ValueError:
    return check.fail(
        where,
        "end_value",
        "be reachable without overflow (the first level past it, at most `end_value * gamma`, "
        "must be a finite float)",
        end_value=bound,
        gamma=gamma,
    )


def _first_step_of(drops: int, size: float) -> float:
    """The first float step ``t`` with ``floor(t / size) >= drops`` (``inf`` past float range).

    ``drops * size`` is that step up to rounding; the division the formula makes may round the
    other way, so the boundary is moved to where the formula itself switches.
    """
    try:
        candidate = drops * size
    except OverflowError:
        return math.inf
    if not candidate < math.inf:
        return math.inf
    while candidate > 0 and math.floor(math.nextafter(candidate, 0.0) / size) >= drops:
        candidate = math.nextafter(candidate, 0.0)
    while math.floor(candidate / size) < drops:
        candidate = math.nextafter(candidate, math.inf)
    return candidate
