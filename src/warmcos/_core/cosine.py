"""Linear warm-up, then half a cosine to a floor, then the floor held."""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import validation as check
from .ops import Ops, Value
from .schedule import Phases, PiecewiseSchedule, set_fields
from .validation import Number


def between(ops: Ops, value: Value, low: Value, high: Value) -> Value:
    """`value` clipped to ``[low, high]``.

    A formula such as ``low + (high - low) * 1`` can round one unit past `high` (with
    ``low=0.03, high=0.3`` it gives 0.30000000000000004); the clip keeps every value within the
    schedule's own knots and changes nothing else.
    """
    return ops.minimum(ops.maximum(value, low), high)


def warmup_ramp(ops: Ops, t: Value, start: Value, peak: Value, length: Value) -> Value:
    """Linear warm-up: ``start + (peak - start) * t / length`` (`length` > 0).

    Evaluated in exactly that order, as the seed and PyTorch write it, so the float64 results
    agree with theirs to the last bit (up to the clip of :func:`between`).
    """
    value = start + (peak - start) * t / length
    return between(ops, value, ops.minimum(start, peak), ops.maximum(start, peak))


def half_cosine(ops: Ops, elapsed: Value, length: Value, high: Value, low: Value) -> Value:
    """Half a cosine wave from `high` at ``elapsed = 0`` to `low` at ``elapsed = length``.

    ``low + (high - low) * (1 + cos(pi * elapsed / length)) / 2``, in that order of evaluation
    (the one PyTorch's ``CosineAnnealingLR`` and the seed use), clipped to ``[low, high]``.
    """
    return between(
        ops, low + (high - low) * (1.0 + ops.cos(math.pi * elapsed / length)) / 2.0, low, high
    )


@dataclass(frozen=True, repr=False)
class Cosine(PiecewiseSchedule):
    r"""Linear warm-up from `warmup_start` to `peak`, half a cosine to `floor`, then `floor` held.

    With warm-up length ``W`` and total ``T = steps`` (warm-up included):

    .. math::

        v(t) = \begin{cases}
        s_0 + (p - s_0)\,t / W & t < W \\
        f + (p - f)\,\bigl(1 + \cos(\pi (t - W) / (T - W))\bigr) / 2 & W \le t < T \\
        f & t \ge T
        \end{cases}

    where ``p = peak``, ``f = floor`` and ``s_0 = warmup_start``. The floor is reached exactly at
    ``t = T`` and held afterwards (never periodic). The curve is continuous when
    ``warmup_start`` meets ``peak`` at ``W``, which it always does. Cosine annealing is from
    Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts" (ICLR 2017).

    Args:
        peak: The value at the end of warm-up (``>= floor``, ``>= 0``).
        steps: ``T``, where the floor is reached, warm-up included (``> 0``; may be fractional).
        floor: The final value (``>= 0``).
        warmup: ``W``, the warm-up length in steps (``0 <= W < T``); a float strictly between 0
            and 1 is a fraction of `steps` (``warmup=0.05`` is 5% of `steps`).
        warmup_start: The value at step 0 when ``W > 0`` (``>= 0``).

    Example:
        >>> import warmcos
        >>> s = warmcos.cosine(peak=1.0, steps=12, floor=0.1, warmup=2, warmup_start=0.2)
        >>> [round(s(t), 3) for t in (0, 1, 2, 7, 12, 20)]
        [0.2, 0.6, 1.0, 0.55, 0.1, 0.1]
    """

    name = "cosine"

    peak: Number
    steps: Number
    floor: Number = 0.0
    warmup: Number = 0
    warmup_start: Number = 0.0

    def __post_init__(self) -> None:
        where = "cosine()"
        set_fields(
            self,
            peak=check.nonnegative(where, "peak", self.peak),
            steps=check.positive(where, "steps", self.steps),
            floor=check.nonnegative(where, "floor", self.floor),
            warmup=check.nonnegative(where, "warmup", self.warmup),
            warmup_start=check.nonnegative(where, "warmup_start", self.warmup_start),
        )
        check.at_most(where, "floor", self.floor, "peak", self.peak)
        warmup_steps = check.length(where, "warmup", self.warmup, "steps", self.steps)
        if warmup_steps >= self.steps:
            raise check.fail(where, "warmup", "be < `steps`", warmup=self.warmup, steps=self.steps)
        object.__setattr__(self, "_warmup_steps", warmup_steps)

    @property
    def warmup_steps(self) -> float:
        """The warm-up length in steps (`warmup` resolved when given as a fraction)."""
        return float(self.__dict__["_warmup_steps"])

    def phases(self, ops: Ops) -> Phases:
        """Warm-up (when ``W > 0``), cosine, then the floor held."""
        peak, floor, total = float(self.peak), float(self.floor), float(self.steps)
        warmup, start = self.warmup_steps, float(self.warmup_start)
        decay = total - warmup

        def warming(x: Value) -> Value:
            return warmup_ramp(ops, x, start, peak, warmup)

        def annealing(x: Value) -> Value:
            return half_cosine(ops, x - warmup, decay, peak, floor)

        def holding(x: Value) -> Value:
            return ops.fill(x, floor)

        if warmup > 0:
            return (0.0, warmup, total), (warming, annealing, holding)
        return (0.0, total), (annealing, holding)
