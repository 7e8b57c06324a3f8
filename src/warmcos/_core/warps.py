"""Curves for shaped warm-ups and warped decays: the formulas of the peers' extra options.

Each curve evaluates on any backend through :class:`~warmcos._core.ops.Ops`, and its
per-step form runs the very same operations on Python floats (:data:`~warmcos._core.ops.SCALAR`),
so the two agree to the bit wherever the backend's ``cos``, ``sqrt`` and ``power`` agree with
Python's. Each formula is written in the order of the peer it reproduces (named in its
docstring), so float64 values agree with that peer to the last bit where the operations allow.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from .curves import Curve, Ease, ScalarCurve, between
from .ops import SCALAR, Ops, Value
from .segments import Segment, make, slope_kind

WARMUP_SHAPES = ("linear", "cosine", "sqrt", "exponential")
"""The shapes of a warm-up (see :class:`Warm`)."""

BEYOND = 2.0**53
"""From this many cycles (or half waves) on, whole cycles are no longer told apart: the step
divided by the cycle length is an integer-valued float (PyTorch's cyclic position is 0)."""

_EXP_LIMIT = 700.0
"""``e ** 700`` is about 1e304: the largest power of e the tanh curve forms (no overflow)."""


def step_by_step(start: float, curve: Curve) -> Iterator[Segment]:
    """One segment per float step from `start`, for cycles shorter than the gap between steps."""
    fast = curve.scalar()
    while True:
        end = math.nextafter(start, math.inf)
        yield make(slope_kind(fast(start), fast(end)), start, end, curve)
        if end == math.inf:
            return
        start = end


class OpsCurve(Curve):
    """A curve whose per-step form is its own formula on Python floats."""

    def scalar(self) -> ScalarCurve:
        """The curve at one step: :meth:`evaluate` on Python floats (same operations)."""
        evaluate = self.evaluate
        return lambda t: float(evaluate(t, SCALAR))


class Warm(Ease):
    """A warm-up from `start` at `origin` to `end` over `length` steps, with a shape.

    A warm-up's shape is the decay of the same name played backwards in time (transformers'
    ``warmup_type``). With ``p = (t - origin) / length`` clipped to ``[0, 1]``:

    * ``"cosine"``: ``start + (end - start) * (1 - cos(pi p)) / 2``;
    * ``"sqrt"``: ``start + (end - start) * (1 - sqrt(1 - p))``, transformers' ``"1-sqrt"``
      warm-up (slow at first, steep at the end: the "1-sqrt" cooldown reversed);
    * ``"exponential"``: ``start * (end / start) ** p`` (both ends > 0).

    (A ``"linear"`` warm-up is :class:`~warmcos._core.curves.Line`.) Up or down; clipped to the
    two ends.
    """

    def _shaped(self, ops: Ops, progress: Value) -> Value:
        """The warm-up at `progress` in ``[0, 1]``, before the clip."""
        start, end = self.start, self.end
        if self.shape == "exponential":
            return start * ops.power(end / start, progress)
        if self.shape == "cosine":
            return start + (end - start) * (1.0 - ops.cos(math.pi * progress)) / 2.0
        return start + (end - start) * (1.0 - ops.sqrt(1.0 - progress))


class CosineWave(OpsCurve):
    """A cosine from `high` (at ``t = delay``) towards `low`, with the peers' warps.

    With the elapsed steps ``e = t - delay`` (capped at `length` unless `periodic`) and
    ``L = length``, the angle is

    * ``pi * e / L``, or ``pi * e**k / L**k`` with ``k = k_decay`` (PyTorch's and timm's
      order), when ``waves == 0.5``;
    * ``pi * waves * 2 * (e / L)`` otherwise (transformers' ``num_cycles``),

    When `periodic`, the elapsed steps are first reduced by whole periods (``L / waves``
    steps): exactly for whole steps, so the angle stays below one turn and every backend's
    ``cos`` is exact at any step (the first period is unchanged, to the bit).

    The value is ``low + (high - low) * (1 + cos(angle)) / 2``, or, with an `exponent`
    other than 1, optax's ``high * ((1 - a) * c**exponent + a)`` with
    ``c = (1 + cos(angle)) / 2`` and ``a = low / high`` (0 when ``high == 0``), or for a
    rising wave (`high` below `low`) the same number as ``low + (high - low) * c**exponent``.
    Clipped to the two values.

    Every half wave (``waves`` half waves per ``L`` steps) is monotone.
    """

    shape = "cosine"

    def __init__(
        self,
        delay: float,
        length: float,
        high: float,
        low: float,
        *,
        exponent: float = 1.0,
        k_decay: float = 1.0,
        waves: float = 0.5,
        periodic: bool = False,
    ) -> None:
        self.delay, self.length = float(delay), float(length)
        self.high, self.low = float(high), float(low)
        self.exponent, self.k_decay = float(exponent), float(k_decay)
        self.waves, self.periodic = float(waves), periodic
        self._scaled_length = self.length**self.k_decay
        self._frequency = math.pi * self.waves * 2.0
        self._period = self.length / self.waves
        self._ratio = self.low / self.high if self.high != 0 else 0.0

    def half_wave(self) -> float:
        """The steps from a top of the wave to the next bottom (``length / (2 * waves)``)."""
        return self.length / (2.0 * self.waves)

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The wave at `t`."""
        elapsed = t - self.delay
        if self.periodic:
            period = self._period
            elapsed = elapsed - ops.floor(ops.minimum(elapsed / period, BEYOND)) * period
        else:
            elapsed = ops.minimum(elapsed, self.length)
        if self.waves != 0.5:
            angle = self._frequency * (elapsed / self.length)
        elif self.k_decay != 1:
            scaled = ops.power(ops.maximum(elapsed, 0.0), self.k_decay)
            angle = math.pi * scaled / self._scaled_length
        else:
            angle = math.pi * elapsed / self.length
        high, low = self.high, self.low
        if self.exponent == 1:
            value = low + (high - low) * (1.0 + ops.cos(angle)) / 2.0
        elif high >= low:
            c = 0.5 * (1.0 + ops.cos(angle))
            ratio = self._ratio
            value = high * ((1.0 - ratio) * ops.power(c, self.exponent) + ratio)
        else:  # rising: optax's form would subtract numbers far larger than the value
            value = low + (high - low) * ops.power(0.5 * (1.0 + ops.cos(angle)), self.exponent)
        return between(ops, value, min(low, high), max(low, high))


def tanh_value(
    ops: Ops, progress: Value, high: Value, low: Value, lower: float, upper: float
) -> Value:
    """The tanh decay of timm at `progress` (0 to 1): ``low + (high - low) (1 - tanh(x)) / 2``.

    ``x = lower (1 - p) + upper p``, computed as ``low + (high - low) / (1 + e^(2x))`` (the same
    number; the ops seam has no ``tanh``, and this form loses no precision near 1).
    """
    x = lower * (1.0 - progress) + upper * progress
    growth = ops.power(math.e, ops.minimum(2.0 * x, _EXP_LIMIT))
    return between(ops, low + (high - low) / (1.0 + growth), low, high)


class TanhDecay(OpsCurve):
    """timm's tanh decay from about `high` to about `low` over `length` steps from `origin`.

    With ``p = (t - origin) / length`` (at most 1) and ``x = lower * (1 - p) + upper * p``,
    the value is ``low + (high - low) * (1 - tanh(x)) / 2``, computed as
    ``low + (high - low) / (1 + e**(2x))`` (the same number; the ops seam has no ``tanh``, and
    this form loses no precision where ``tanh`` is near 1). It starts a little below `high`
    (``1 - tanh(-7) / 2`` is 0.9999992) and ends a little above `low`.
    """

    shape = "tanh"

    def __init__(
        self, origin: float, length: float, high: float, low: float, lower: float, upper: float
    ) -> None:
        self.origin, self.length = float(origin), float(length)
        self.high, self.low = float(high), float(low)
        self.lower, self.upper = float(lower), float(upper)

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The tanh decay at `t`."""
        progress = ops.minimum((t - self.origin) / self.length, 1.0)
        return tanh_value(ops, progress, self.high, self.low, self.lower, self.upper)
