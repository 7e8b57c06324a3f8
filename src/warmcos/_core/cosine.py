"""Linear warm-up, then half a cosine to a floor, then the floor held."""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import validation as check
from .ops import Ops, Value
from .schedule import Schedule, set_fields
from .validation import Number


def warmup_ramp(t: Value, start: Value, peak: Value, length: Value) -> Value:
    """Linear warm-up: ``start + (peak - start) * t / length`` (`length` > 0)."""
    return start + (peak - start) * (t / length)


def half_cosine(ops: Ops, progress: Value, high: Value, low: Value) -> Value:
    """Half a cosine wave from `high` at ``progress = 0`` to `low` at ``progress = 1``.

    ``low + (high - low) * (1 + cos(pi * progress)) / 2``
    """
    return low + (high - low) * (0.5 * (1.0 + ops.cos(math.pi * progress)))


@dataclass(frozen=True, repr=False)
class Cosine(Schedule):
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

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The formula of the class docstring."""
        peak, floor, total = float(self.peak), float(self.floor), float(self.steps)
        warmup = self.warmup_steps
        decay = total - warmup

        def warming(x: Value) -> Value:
            return warmup_ramp(x, float(self.warmup_start), peak, warmup)

        def annealing(x: Value) -> Value:
            return half_cosine(ops, (x - warmup) / decay, peak, floor)

        def holding(x: Value) -> Value:
            return ops.fill(x, floor)

        if warmup > 0:
            return ops.piecewise(t, (0.0, warmup, total), (warming, annealing, holding))
        return ops.piecewise(t, (0.0, total), (annealing, holding))
