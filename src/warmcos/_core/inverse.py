"""Decays that never settle: the inverse square root and the inverse of time."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from . import validation as check
from .curves import Curve, Level, Line, ScalarCurve
from .ops import Ops, Value
from .piecewise import count_boundary, first_step, whole_quotient
from .schedule import PiecewiseSchedule, Schedule, set_fields
from .segments import KIND_DECAY, KIND_HOLD, KIND_LEVEL, Segment, make, warmup_kind
from .validation import Number

DEFAULT_TIMESCALE = 10_000
"""The timescale of an ``inverse_sqrt`` without warm-up (transformers' default)."""


class InverseSqrtCurve(Curve):
    """``peak * (1 / sqrt((t + shift) / timescale))``: `peak` at ``t = -shift + timescale``.

    transformers' ``get_inverse_sqrt_schedule``, in its order of operations.
    """

    shape = "inverse_sqrt"

    def __init__(self, peak: float, shift: float, timescale: float) -> None:
        self.peak, self.shift, self.timescale = float(peak), float(shift), float(timescale)

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The inverse square root at `t`."""
        return self.peak * (1.0 / ops.sqrt((t + self.shift) / self.timescale))

    def scalar(self) -> ScalarCurve:
        """The inverse square root at one step."""
        peak, shift, timescale, sqrt = self.peak, self.shift, self.timescale, math.sqrt
        return lambda t: peak * (1.0 / sqrt((t + shift) / timescale))

    def limit(self) -> float:
        """0: the value falls without end."""
        return 0.0


@dataclass(frozen=True, repr=False)
class InverseSqrt(PiecewiseSchedule):
    r"""Linear warm-up to `peak`, then `peak` divided by the square root of time.

    With warm-up ``W`` and timescale ``S``:

    .. math::

        v(t) = \begin{cases}
        s_0 + (p - s_0)\,t / W & t < W \\
        p\,\sqrt{S} / \sqrt{t - W + S} & t \ge W
        \end{cases}

    where ``p = peak`` and ``s_0 = warmup_start``: `peak` at the end of the warm-up, half of it
    ``3 S`` steps later, and no end (the "Noam" schedule of Vaswani et al., "Attention is all
    you need", 2017, with ``S = W``). The decay is computed as transformers'
    ``get_inverse_sqrt_schedule`` computes it, ``p * (1 / sqrt((t + (S - W)) / S))``, and equals
    it to the last bit for whole steps; its warm-up starts at 0 (``warmup_start=0``).

    Args:
        peak: The value at the end of the warm-up (``>= 0``).
        warmup: ``W``, the warm-up length in steps (``>= 0``).
        timescale: ``S`` (``> 0``); ``None`` means ``W``, or 10,000 without warm-up, as in
            transformers.
        warmup_start: The value at step 0 when ``W > 0`` (``>= 0``).

    Example:
        >>> import warmcos
        >>> s = warmcos.inverse_sqrt(peak=1.0, warmup=4)
        >>> [s(t) for t in (0, 2, 4, 16, 40)]  # timescale 4: 1 / sqrt(16 / 4), 1 / sqrt(40 / 4)
        [0.0, 0.5, 1.0, 0.5, 0.31622776601683794]
    """

    name = "inverse_sqrt"

    peak: Number
    warmup: Number = 0
    timescale: Number | None = None
    warmup_start: Number = 0.0

    def __post_init__(self) -> None:
        where = "inverse_sqrt()"
        set_fields(
            self,
            peak=check.nonnegative(where, "peak", self.peak),
            warmup=check.span(where, "warmup", self.warmup, zero=True),
            warmup_start=check.nonnegative(where, "warmup_start", self.warmup_start),
        )
        if self.timescale is not None:
            set_fields(self, timescale=check.span(where, "timescale", self.timescale))

    @property
    def timescale_steps(self) -> float:
        """``S``: `timescale`, or its default when None."""
        if self.timescale is not None:
            return float(self.timescale)
        return float(self.warmup or DEFAULT_TIMESCALE)

    @property
    def natural_end(self) -> float | None:
        """None: the value falls without end (the warm-up's end for ``peak == 0``)."""
        return float(self.warmup) if self.peak == 0 else None

    def _segment_list(self) -> tuple[Segment, ...]:
        """The warm-up (when ``W > 0``), then the endless decay."""
        peak, warmup, start = float(self.peak), float(self.warmup), float(self.warmup_start)
        timescale = self.timescale_steps
        if peak == 0:
            decay = make(KIND_HOLD, warmup, math.inf, Level(0.0))
        else:
            curve = InverseSqrtCurve(peak, timescale - warmup, timescale)
            decay = make(KIND_DECAY, warmup, math.inf, curve)
        if warmup == 0:
            return (decay,)
        ramp = make(warmup_kind(start, peak), 0.0, warmup, Line(0.0, warmup, start, peak))
        return ramp, decay


def inverse_time_value(progress: Value, value: float, rate: float) -> Value:
    """``value / (1 + rate * progress)``, in Keras' order of operations (any backend)."""
    return value / (1.0 + rate * progress)


class InverseTimeCurve(Curve):
    """``value / (1 + rate * t / size)``: Keras' ``InverseTimeDecay`` without staircase."""

    shape = "inverse_time"

    def __init__(self, value: float, size: float, rate: float) -> None:
        self.value, self.size, self.rate = float(value), float(size), float(rate)

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The decay at `t`."""
        return inverse_time_value(t / self.size, self.value, self.rate)

    def scalar(self) -> ScalarCurve:
        """The decay at one step."""
        value, size, rate = self.value, self.size, self.rate
        return lambda t: inverse_time_value(t / size, value, rate)

    def limit(self) -> float:
        """0: the value falls without end."""
        return 0.0


@dataclass(frozen=True, repr=False)
class InverseTime(Schedule):
    r"""`value` divided by a linear function of time (Keras' ``InverseTimeDecay``).

    .. math::

        v(t) = \frac{v_0}{1 + r\, p}, \qquad p = t / D \quad
        \bigl(\lfloor t / D \rfloor \text{ with staircase}\bigr)

    with ``v_0 = value``, ``D = decay_steps`` and ``r = decay_rate``: the value is halved when
    ``r p = 1``, and falls without end. With `staircase` it drops every ``D`` steps instead,
    taking effect at each multiple of ``D``.

    Args:
        value: The value at step 0 (``>= 0``).
        decay_steps: ``D``, the steps per unit of ``p`` (``> 0``; may be fractional).
        decay_rate: ``r`` (``>= 0``; 0 holds `value`).
        staircase: Whether ``p`` is whole (a drop every ``D`` steps).

    Example:
        >>> import warmcos
        >>> s = warmcos.inverse_time(1.0, decay_steps=10, decay_rate=1.0)
        >>> [s(t) for t in (0, 5, 10, 30)]
        [1.0, 0.6666666666666666, 0.5, 0.25]
        >>> stairs = warmcos.inverse_time(1.0, decay_steps=10, decay_rate=1.0, staircase=True)
        >>> [stairs(t) for t in (0, 5, 10, 30)]
        [1.0, 1.0, 0.5, 0.25]
    """

    name = "inverse_time"

    value: Number
    decay_steps: Number
    decay_rate: Number
    staircase: bool = False

    def __post_init__(self) -> None:
        where = "inverse_time()"
        set_fields(
            self,
            value=check.nonnegative(where, "value", self.value),
            decay_steps=check.span(where, "decay_steps", self.decay_steps),
            decay_rate=check.nonnegative(where, "decay_rate", self.decay_rate),
        )
        if not isinstance(self.staircase, bool):
            raise TypeError(
                f"{where}: `staircase` must be True or False. "
                f"Received: staircase={check.short(self.staircase)}"
            )

    @property
    def natural_end(self) -> float | None:
        """0 when nothing changes (``decay_rate == 0`` or ``value == 0``), else None."""
        return 0.0 if self.decay_rate == 0 or self.value == 0 else None

    def _level(self, quotient: float) -> float:
        """The level of the stair holding a step whose ``t / decay_steps`` is `quotient`."""
        drops = float(math.floor(quotient)) if quotient < math.inf else math.inf
        return float(inverse_time_value(drops, float(self.value), float(self.decay_rate)))

    def _segments_from(self, t: float) -> Iterator[Segment]:
        value, size, rate = float(self.value), float(self.decay_steps), float(self.decay_rate)
        if self.natural_end == 0:
            yield make(KIND_HOLD, 0.0, math.inf, Level(value))
            return
        if not self.staircase:
            yield make(KIND_DECAY, 0.0, math.inf, InverseTimeCurve(value, size, rate))
            return
        # Stairs: drop k holds where floor(t / D) == k; each starts where the division reaches k.
        quotient = t / size
        if quotient < math.inf:
            start = count_boundary(math.floor(quotient), size)
        else:  # past the step where the division overflows: p is infinite, the value 0
            start = first_step(lambda u: u / size == math.inf, t)
        while True:
            quotient = start / size
            level = self._level(quotient)
            end = math.inf
            if quotient < math.inf:
                end = count_boundary(math.floor(quotient) + 1, size)
            if level == 0 or end == math.inf:
                # The level has reached 0 (or no float step lies beyond): it holds.
                yield make(KIND_HOLD, start, math.inf, Level(level))
                return
            yield make(KIND_LEVEL, start, end, Level(level))
            start = end

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The formula of the class docstring."""
        size = float(self.decay_steps)
        progress = whole_quotient(ops, t, size) if self.staircase else t / size
        return inverse_time_value(progress, float(self.value), float(self.decay_rate))
