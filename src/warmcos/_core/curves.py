"""The elementary curves every schedule is made of, each written once for every backend.

A schedule cuts the steps into segments (see :mod:`warmcos._core.segments`); over one segment
its value follows one of these curves. A curve evaluates on any backend through
:class:`~warmcos._core.ops.Ops` and also builds a plain-Python function of a float step, the
per-step path of the training loop. Both evaluate the same operations in the same order, so the
two agree to the last bit.

The order of operations is the one PyTorch and the seed tutorial use (for example
``low + (high - low) * (1 + cos(pi * elapsed / length)) / 2``), so float64 results agree with
theirs to the last bit, up to the clip of :func:`between`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import ClassVar

import numpy as np

from .ops import NUMPY, Ops, Value

ScalarCurve = Callable[[float], float]
"""A curve as a function of one Python-number step."""


def between(ops: Ops, value: Value, low: Value, high: Value) -> Value:
    """`value` clipped to ``[low, high]``.

    A formula such as ``low + (high - low) * 1`` can round one unit past `high` (with
    ``low=0.03, high=0.3`` it gives 0.30000000000000004); the clip keeps every value within the
    curve's own end values and changes nothing else.
    """
    return ops.minimum(ops.maximum(value, low), high)


def ramp_value(ops: Ops, elapsed: Value, start: Value, end: Value, length: Value) -> Value:
    """A straight line: ``start + (end - start) * elapsed / length``, clipped to its ends."""
    value = start + (end - start) * elapsed / length
    return between(ops, value, ops.minimum(start, end), ops.maximum(start, end))


def half_cosine(ops: Ops, elapsed: Value, length: Value, high: Value, low: Value) -> Value:
    """Half a cosine wave from `high` at ``elapsed = 0`` to `low` at ``elapsed = length``.

    ``low + (high - low) * (1 + cos(pi * elapsed / length)) / 2``, clipped to ``[low, high]``.
    """
    return between(
        ops, low + (high - low) * (1.0 + ops.cos(math.pi * elapsed / length)) / 2.0, low, high
    )


def shaped_decay(
    ops: Ops, shape: str, elapsed: Value, length: float, high: float, low: float
) -> Value:
    """A decay from `high` to `low` over `length` steps, by `shape`.

    ``low + (high - low) * d(p)`` with ``p = elapsed / length`` and ``d(p) = 1 - p``
    (``"linear"``), ``1 - sqrt(p)`` (``"sqrt"``) or, for ``"cosine"``, :func:`half_cosine`.
    """
    if shape == "cosine":
        return half_cosine(ops, elapsed, length, high, low)
    progress = elapsed / length
    if shape == "sqrt":
        return between(ops, low + (high - low) * (1.0 - ops.sqrt(progress)), low, high)
    return between(ops, low + (high - low) * (1.0 - progress), low, high)


class Curve(ABC):
    """One formula of the step, valid over one segment.

    Attributes:
        shape: What the curve looks like (the list is in :mod:`warmcos._core.segments`).
    """

    shape: ClassVar[str]

    @abstractmethod
    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The curve at step(s) `t` on `ops`."""

    @abstractmethod
    def scalar(self) -> ScalarCurve:
        """The curve as a plain function of one Python-number step (same operations)."""

    def evaluate_numpy(self, t: np.ndarray) -> np.ndarray:
        """The curve on a float64 array (a new array; `t` is left as it is)."""
        return np.asarray(self.evaluate(t, NUMPY), dtype=np.float64)

    def limit(self) -> float:
        """The value approached as the step grows without bound (for a segment with no end)."""
        return float(self.scalar()(0.0))

    def monotone(self) -> bool:
        """Whether the curve is monotone over its segment (every curve here is)."""
        return True

    def shifted(self, offset: float) -> Curve:
        """This curve, read at ``t - offset``: the same curve starting `offset` steps later."""
        if offset == 0:
            return self
        return Shifted(self, offset)


class Level(Curve):
    """A constant value."""

    shape = "constant"

    def __init__(self, value: float) -> None:
        self.value = float(value)

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """`value`, shaped like `t`."""
        return ops.fill(t, self.value)

    def scalar(self) -> ScalarCurve:
        """``lambda t: value``."""
        value = self.value
        return lambda t: value

    def evaluate_numpy(self, t: np.ndarray) -> np.ndarray:
        """`value`, shaped like `t`."""
        return np.full(t.shape, self.value, dtype=np.float64)

    def shifted(self, offset: float) -> Curve:
        """A constant does not move."""
        return self


class Line(Curve):
    """A straight line from `start` at step `origin` to `end` at ``origin + length``.

    ``start + (end - start) * (t - origin) / length``, clipped to its two ends.
    """

    shape = "linear"

    def __init__(self, origin: float, length: float, start: float, end: float) -> None:
        self.origin, self.length = float(origin), float(length)
        self.start, self.end = float(start), float(end)

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The line at `t`."""
        return ramp_value(ops, t - self.origin, self.start, self.end, self.length)

    def scalar(self) -> ScalarCurve:
        """The line at one step."""
        origin, length, start, rise = self.origin, self.length, self.start, self.end - self.start
        low, high = min(self.start, self.end), max(self.start, self.end)

        def line(t: float) -> float:
            value = start + rise * (t - origin) / length
            return high if value > high else (low if value < low else value)

        return line


class HalfCosine(Curve):
    """Half a cosine from `high` to `low` over `length` steps, starting at ``origin + delay``.

    ``low + (high - low) * (1 + cos(pi * e / length)) / 2`` with the elapsed steps
    ``e = min((t - origin) - delay, length)``, clipped to ``[low, high]``. The elapsed steps are
    counted as ``(t - origin) - delay`` (a cycle's start, then its warm-up), the order in which
    the seed and the peers count them; the cap at `length` keeps a step that rounds past the
    cycle's end at the floor.
    """

    shape = "cosine"

    def __init__(self, origin: float, delay: float, length: float, high: float, low: float) -> None:
        self.origin, self.delay, self.length = float(origin), float(delay), float(length)
        self.high, self.low = float(high), float(low)

    def _elapsed(self, t: Value) -> Value:
        elapsed = t if self.origin == 0 else t - self.origin
        return elapsed if self.delay == 0 else elapsed - self.delay

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The cosine at `t`."""
        elapsed = ops.minimum(self._elapsed(t), self.length)
        return half_cosine(ops, elapsed, self.length, self.high, self.low)

    def scalar(self) -> ScalarCurve:
        """The cosine at one step."""
        origin, delay, length = self.origin, self.delay, self.length
        high, low = self.high, self.low
        span, cos, pi = high - low, math.cos, math.pi

        # Subtracting 0.0 changes no bit; skipping it saves time on the per-step path.
        if origin == 0 and delay == 0:

            def cosine(t: float) -> float:
                e = t if t < length else length
                value = low + span * (1.0 + cos(pi * e / length)) / 2.0
                return high if value > high else (low if value < low else value)

        elif origin == 0:

            def cosine(t: float) -> float:
                e = t - delay
                if e > length:
                    e = length
                value = low + span * (1.0 + cos(pi * e / length)) / 2.0
                return high if value > high else (low if value < low else value)

        else:

            def cosine(t: float) -> float:
                e = (t - origin) - delay
                if e > length:
                    e = length
                value = low + span * (1.0 + cos(pi * e / length)) / 2.0
                return high if value > high else (low if value < low else value)

        return cosine

    def evaluate_numpy(self, t: np.ndarray) -> np.ndarray:
        """The cosine on an array, in place on one temporary (same operations, same bits)."""
        x = np.subtract(t, self.origin) if self.origin != 0 else np.array(t, dtype=np.float64)
        if self.delay != 0:
            x -= self.delay
        np.minimum(x, self.length, out=x)
        x *= math.pi
        x /= self.length
        np.cos(x, out=x)
        x += 1.0
        x *= self.high - self.low
        x /= 2.0
        x += self.low
        return np.clip(x, self.low, self.high, out=x)


class Decay(Curve):
    """A decay from `high` to `low` over `length` steps from `origin`, with a shape.

    ``low + (high - low) * d(p)`` with ``p = (t - origin) / length``, where ``d(p) = 1 - p``
    (``"linear"``) or ``1 - sqrt(p)`` (``"sqrt"``); see :func:`shaped_decay`.
    """

    def __init__(self, shape: str, origin: float, length: float, high: float, low: float) -> None:
        self.shape = shape  # type: ignore[misc]
        self.origin, self.length = float(origin), float(length)
        self.high, self.low = float(high), float(low)

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The decay at `t`."""
        return shaped_decay(ops, self.shape, t - self.origin, self.length, self.high, self.low)

    def scalar(self) -> ScalarCurve:
        """The decay at one step."""
        origin, length, high, low, sqrt = self.origin, self.length, self.high, self.low, math.sqrt
        span, root = high - low, self.shape == "sqrt"

        def decay(t: float) -> float:
            progress = (t - origin) / length
            value = low + span * (1.0 - (sqrt(progress) if root else progress))
            return high if value > high else (low if value < low else value)

        return decay


class Ease(Curve):
    """From `start` at `origin` to `end` over `length` steps, with a shape.

    With ``p = (t - origin) / length``: ``"linear"``: ``end + (start - end) * (1 - p)``;
    ``"cosine"``: ``end + (start - end) * (1 + cos(pi * p)) / 2``; ``"sqrt"`` (transformers'
    "1-sqrt"): ``end + (start - end) * (1 - sqrt(p))``; ``"exponential"``:
    ``start * (end / start) ** p`` (both ends > 0). Up or down; clipped to the two ends.
    """

    def __init__(self, shape: str, origin: float, length: float, start: float, end: float) -> None:
        self.shape = shape  # type: ignore[misc]
        self.origin, self.length = float(origin), float(length)
        self.start, self.end = float(start), float(end)

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The ramp at `t`."""
        progress = ops.minimum(ops.maximum((t - self.origin) / self.length, 0.0), 1.0)
        start, end = self.start, self.end
        return between(ops, self._shaped(ops, progress), min(start, end), max(start, end))

    def _shaped(self, ops: Ops, progress: Value) -> Value:
        """The value at `progress` in ``[0, 1]``, before the clip."""
        start, end = self.start, self.end
        if self.shape == "exponential":
            return start * ops.power(end / start, progress)
        if self.shape == "cosine":
            return end + (start - end) * (1.0 + ops.cos(math.pi * progress)) / 2.0
        if self.shape == "sqrt":
            return end + (start - end) * (1.0 - ops.sqrt(progress))
        return end + (start - end) * (1.0 - progress)

    def scalar(self) -> ScalarCurve:
        """The ramp at one step (the same operations on Python floats)."""
        from .ops import SCALAR

        return lambda t: float(self.evaluate(t, SCALAR))


class Geometric(Curve):
    """``value * gamma ** t``: a factor `gamma` per step, continuously in `t`."""

    shape = "exponential"

    def __init__(self, value: float, gamma: float) -> None:
        self.value, self.gamma = float(value), float(gamma)

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The exponential at `t`."""
        return self.value * ops.power(self.gamma, t)

    def scalar(self) -> ScalarCurve:
        """The exponential at one step."""
        value, gamma = self.value, self.gamma
        return lambda t: value * float(gamma ** float(t))

    def limit(self) -> float:
        """0 for a decay (``gamma < 1``), else the value itself."""
        return 0.0 if self.gamma < 1 else self.value


class Shifted(Curve):
    """`inner` read at ``t - offset`` (a piece of a join, on its own local steps)."""

    def __init__(self, inner: Curve, offset: float) -> None:
        self.inner, self.offset = inner, float(offset)
        self.shape = inner.shape  # type: ignore[misc]

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """`inner` at ``t - offset``."""
        return self.inner.evaluate(t - self.offset, ops)

    def scalar(self) -> ScalarCurve:
        """`inner` at ``t - offset``, for one step."""
        inner, offset = self.inner.scalar(), self.offset
        return lambda t: inner(t - offset)

    def evaluate_numpy(self, t: np.ndarray) -> np.ndarray:
        """`inner` at ``t - offset``, on an array."""
        return self.inner.evaluate_numpy(t - self.offset)

    def limit(self) -> float:
        """The inner curve's limit."""
        return self.inner.limit()

    def shifted(self, offset: float) -> Curve:
        """One shift by the sum (steps are subtracted in the same order as nested shifts)."""
        return Shifted(self, offset)
