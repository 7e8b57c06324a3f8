"""Polynomial decay: from a start to an end value along ``(1 - t / steps) ** power``."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from . import validation as check
from .curves import Curve, Level, ScalarCurve, between
from .ops import Ops, Value
from .piecewise import count_boundary, first_step, whole_quotient
from .schedule import Schedule, set_fields
from .segments import KIND_HOLD, Segment, make, slope_kind
from .validation import Number


def polynomial_left(ops: Ops, t: Value, length: Value, power: float, k_decay: float = 1.0) -> Value:
    """The part of a polynomial decay still to go: ``(1 - min(t, length) / length) ** power``.

    With ``k = k_decay`` other than 1 the fraction is timm's ``min(t, length)**k / length**k``;
    a power of 1 skips the power, which is exact.
    """
    if k_decay == 1:
        remaining = 1.0 - ops.minimum(t, length) / length
    else:
        scaled = length**k_decay if isinstance(length, float) else ops.power(length, k_decay)
        remaining = 1.0 - ops.power(ops.minimum(t, length), k_decay) / scaled
    # XLA divides by a constant through its reciprocal, so ``1 - length / length`` can come out
    # a little off 0 (either side): the end is put back at the end. Where division is correctly
    # rounded this changes no value.
    remaining = ops.where(t < length, ops.maximum(remaining, 0.0), 0.0)
    if power != 1:
        remaining = ops.power(remaining, power)
    return remaining


def polynomial_value(
    ops: Ops,
    t: Value,
    length: Value,
    start: float,
    end: float,
    power: float,
    k_decay: float = 1.0,
) -> Value:
    """``(start - end) * polynomial_left(t) + end``, clipped to the ends.

    The order of operations of Keras' ``PolynomialDecay``, optax's ``polynomial_schedule`` and
    timm's ``PolyLRScheduler`` (PyTorch's ``PolynomialLR`` is the case ``end = 0``).
    """
    value = (start - end) * polynomial_left(ops, t, length, power, k_decay) + end
    return between(ops, value, min(start, end), max(start, end))


class PolynomialCurve(Curve):
    """From `start` at step 0 to `end` at `length`: :func:`polynomial_value`."""

    shape = "polynomial"

    def __init__(
        self, length: float, start: float, end: float, power: float, k_decay: float = 1.0
    ) -> None:
        self.length, self.start, self.end = float(length), float(start), float(end)
        self.power, self.k_decay = float(power), float(k_decay)

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The polynomial at `t`."""
        return polynomial_value(ops, t, self.length, self.start, self.end, self.power, self.k_decay)

    def scalar(self) -> ScalarCurve:
        """The polynomial at one step (the same operations on Python floats)."""
        length, start, end, power = self.length, self.start, self.end, self.power
        span, low, high = start - end, min(start, end), max(start, end)
        k = self.k_decay
        scaled = length**k

        def polynomial(t: float) -> float:
            if k == 1:
                remaining = 1.0 - (t if t < length else length) / length
            else:
                remaining = 1.0 - (t if t < length else length) ** k / scaled
            if power != 1:
                remaining = (remaining if remaining > 0.0 else 0.0) ** power
            value = span * remaining + end
            return high if value > high else (low if value < low else value)

        return polynomial

    def limit(self) -> float:
        """`end`, held from `length` on (`start` for an endless decay)."""
        return self.end if math.isfinite(self.length) else self.start


@dataclass(frozen=True, repr=False)
class Polynomial(Schedule):
    r"""From `start` to `end` along a power of the steps left, then `end` held.

    .. math::

        v(t) = \begin{cases}
        e + (s - e)\,(1 - t^{q} / T^{q})^{k} & t < T \\
        e & t \ge T
        \end{cases}

    with ``s = start``, ``e = end``, ``T = steps``, ``k = power`` and ``q = k_decay`` (timm's;
    1 by default, when the fraction is ``t / T``): ``power=1`` is a straight
    line, ``power > 1`` falls fast then flattens, ``power < 1`` holds near `start` longer. It
    rises when ``end > start``. This is PyTorch's ``PolynomialLR`` (``end = 0``), Keras'
    ``PolynomialDecay``, optax's ``polynomial_schedule``, timm's ``PolyLRScheduler`` and, after
    a warm-up, transformers' ``get_polynomial_decay_schedule_with_warmup`` (a ``join`` with a
    ``linear`` warm-up gives the warm-ups and offsets of these peers).

    With ``cycle=True`` the decay restarts instead of holding, as in Keras'
    ``PolynomialDecay(cycle=True)``: step ``t`` lies in cycle ``c = max(1, ceil(t / T))``, which
    decays over ``c * T`` steps from step 0, ``v(t) = e + (s - e) (1 - t / (c T))^k``. So cycle
    ``c`` takes over just after step ``(c - 1) T`` (where cycle ``c - 1`` reached `end`), from
    ``e + (s - e) / c^k``; it never settles. (For ``T < 1`` the quotient ``t / T`` overflows
    past ``t = T * 1.8e308``; Keras' formula then gives `start`, which is held there.)

    Args:
        start: The value at step 0 (``>= 0``).
        end: The value reached at `steps` (``>= 0``).
        steps: ``T``, the length of the decay (``> 0``; may be fractional).
        power: ``k``, the power (``> 0``).
        cycle: Whether the decay restarts after `steps` (Keras' ``cycle``).
        k_decay: ``q``, timm's ``k_decay`` (``> 0``): below 1 the decay starts faster.

    Example:
        >>> import warmcos
        >>> s = warmcos.polynomial(start=1.0, end=0.0, steps=4, power=2.0)
        >>> [s(t) for t in (0, 1, 2, 4, 9)]
        [1.0, 0.5625, 0.25, 0.0, 0.0]
        >>> c = warmcos.polynomial(start=1.0, end=0.0, steps=4, cycle=True)
        >>> [c(t) for t in (0, 2, 4, 5, 8)]  # cycle 2: 1 - 5 / 8 at step 5
        [1.0, 0.5, 0.0, 0.375, 0.0]
    """

    name = "polynomial"

    start: Number
    end: Number
    steps: Number
    power: Number = 1.0
    cycle: bool = False
    k_decay: Number = 1.0

    def __post_init__(self) -> None:
        where = "polynomial()"
        set_fields(
            self,
            start=check.nonnegative(where, "start", self.start),
            end=check.nonnegative(where, "end", self.end),
            steps=check.span(where, "steps", self.steps),
            power=check.positive(where, "power", self.power),
            k_decay=check.positive(where, "k_decay", self.k_decay),
        )
        if self.k_decay != 1 and not math.isfinite(float(self.steps) ** float(self.k_decay)):
            raise check.fail(
                where,
                "k_decay",
                "keep steps**k_decay finite",
                steps=self.steps,
                k_decay=self.k_decay,
            )
        if not isinstance(self.cycle, bool):
            raise TypeError(
                f"{where}: `cycle` must be True or False. Received: cycle={check.short(self.cycle)}"
            )
        size = float(self.steps)
        # Where ``t / steps`` overflows (only for steps < 1): the cycle count is infinite there
        # and Keras' formula gives `start` from then on.
        object.__setattr__(self, "_overflow", first_step(lambda u: u / size == math.inf, 0.0))

    @property
    def natural_end(self) -> float | None:
        """`steps`; with `cycle` None, as it never settles; 0 when ``start == end``."""
        if self.start == self.end:
            return 0.0
        if not self.cycle:
            return float(self.steps)
        overflow: float = self.__dict__["_overflow"]
        return overflow if math.isfinite(overflow) else None

    def _cycle(self, number: float) -> PolynomialCurve:
        """Cycle `number` (1-based): the decay over ``number * steps`` steps from step 0."""
        start, end = float(self.start), float(self.end)
        length = float(self.steps) * number
        return PolynomialCurve(length, start, end, float(self.power), float(self.k_decay))

    def _segments_from(self, t: float) -> Iterator[Segment]:
        start, end, size = float(self.start), float(self.end), float(self.steps)
        if not self.cycle or start == end:
            if start != end and t < size:
                curve = PolynomialCurve(size, start, end, float(self.power), float(self.k_decay))
                yield make(slope_kind(start, end), 0.0, size, curve)
            yield make(KIND_HOLD, 0.0 if start == end else size, math.inf, Level(end))
            return
        overflow: float = self.__dict__["_overflow"]
        begin = min(t, overflow)
        if 0 < begin < overflow:
            # Where the cycle of t takes over: just after the previous cycle's last step.
            previous = max(math.ceil(t / size), 1) - 1
            begin = count_boundary(previous, size, strictly=True) if previous else 0.0
        while begin < overflow:
            number = float(max(math.ceil(begin / size), 1))
            stop = min(count_boundary(int(number), size, strictly=True), overflow)
            curve = self._cycle(number)
            kind = slope_kind(curve.scalar()(begin), end)
            yield make(kind, begin, stop, curve, cycle=int(number) - 1)
            if stop == math.inf:
                return  # no float step lies past this cycle
            begin = stop
        # Past the overflow every cycle count is infinite: the formula gives `start`, held.
        yield make(KIND_HOLD, overflow, math.inf, Level(self._cycle(math.inf).scalar()(0.0)))

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The formula of the class docstring."""
        start, end, size = float(self.start), float(self.end), float(self.steps)
        power, k = float(self.power), float(self.k_decay)
        if not self.cycle:
            return polynomial_value(ops, t, size, start, end, power, k)
        # Keras' cycle length: steps * ceil(t / steps), at least one cycle (at step 0, and
        # where the quotient underflows to 0).
        cycles = ops.maximum(whole_quotient(ops, t, size, ceil=True), 1.0)
        return polynomial_value(ops, t, cycles * size, start, end, power, k)
