"""The operations seam on traced array namespaces: ``jax.numpy`` and ``keras.ops``.

Both spell the needed operations as NumPy does, so one class serves them; only building a
constant and casting differ. Traced steps have no concrete maximum, so the restart table is
built up to a fixed `horizon` instead of up to the largest step. Adapters evaluate in float64
(exact cycle lookup for integer steps up to 2**53) and cast the result to the optimizer's float
type afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .ops import Piece, Value, select_pieces

DEFAULT_HORIZON = float(2**31 - 1)
"""The largest step a traced schedule evaluates exactly (JAX counts steps in int32)."""


class NamespaceOps:
    """Operations from an array namespace with NumPy's names.

    Args:
        xp: The namespace (``jax.numpy`` or ``keras.ops``).
        constant: Builds a float64 constant array from Python floats.
        cast: Casts a value to float64.
        horizon: The largest step the restart table must cover.
    """

    def __init__(
        self,
        xp: Any,
        constant: Callable[[Sequence[float]], Value],
        cast: Callable[[Value], Value],
        horizon: float = DEFAULT_HORIZON,
    ) -> None:
        self.xp = xp
        self._constant = constant
        self._cast = cast
        self.horizon = horizon

    def cos(self, x: Value) -> Value:
        """Elementwise cosine."""
        return self.xp.cos(x)

    def sqrt(self, x: Value) -> Value:
        """Elementwise square root."""
        return self.xp.sqrt(x)

    def log(self, x: Value) -> Value:
        """Elementwise natural logarithm."""
        return self.xp.log(x)

    def floor(self, x: Value) -> Value:
        """Elementwise floor."""
        return self.xp.floor(x)

    def rint(self, x: Value) -> Value:
        """Round half to even."""
        return self.xp.round(x)

    def abs(self, x: Value) -> Value:
        """Elementwise absolute value."""
        return self.xp.abs(x)

    def where(self, condition: Value, if_true: Value, if_false: Value) -> Value:
        """Select elementwise (Python numbers become float64, not the namespace's default)."""
        return self.xp.where(condition, self._as_float(if_true), self._as_float(if_false))

    def _as_float(self, value: Value) -> Value:
        return self._cast(value) if isinstance(value, (int, float)) else value

    def minimum(self, a: Value, b: Value) -> Value:
        """Elementwise minimum."""
        return self.xp.minimum(a, b)

    def maximum(self, a: Value, b: Value) -> Value:
        """Elementwise maximum."""
        return self.xp.maximum(a, b)

    def power(self, base: float, exponent: Value) -> Value:
        """``base ** exponent`` in float64."""
        return self.xp.power(base, self._cast(exponent))

    def fill(self, like: Value, value: float) -> Value:
        """A float64 value shaped like `like`."""
        return self._cast(self.xp.full_like(like, value))

    def table(self, values: Sequence[float]) -> Value:
        """A float64 constant."""
        return self._constant(values)

    def bucket(self, table: Value, t: Value) -> Value:
        """Index of the last entry <= each `t`."""
        return self._count(table, t) - 1

    def count_at_most(self, table: Value, t: Value) -> Value:
        """How many entries are <= each `t`."""
        return self._cast(self._count(table, t))

    def _count(self, table: Value, t: Value) -> Value:
        # TensorFlow's searchsorted takes 1-D values only: flatten, then restore the shape.
        flat = self.xp.reshape(t, (-1,))
        return self.xp.reshape(self.xp.searchsorted(table, flat, side="right"), self.xp.shape(t))

    def take(self, table: Value, index: Value) -> Value:
        """Gather entries."""
        return self.xp.take(table, index)

    def to_float(self, x: Value) -> Value:
        """As float64."""
        return self._cast(x)

    def upper(self, t: Value) -> float:
        """The horizon: traced steps have no concrete maximum."""
        return self.horizon

    def piecewise(self, t: Value, starts: Sequence[float], pieces: Sequence[Piece]) -> Value:
        """Evaluate every piece on its clipped steps and select."""
        return select_pieces(self, t, starts, pieces, self._clip)

    def _clip(self, x: Value, low: float | None, high: float | None) -> Value:
        if low is not None:
            x = self.xp.maximum(x, low)
        if high is not None:
            x = self.xp.minimum(x, high)
        return x


def evaluate_traced(schedule: Any, step: Value, ops: Any, steps_per_unit: float) -> Value:
    """The schedule at a traced `step` (any int or float dtype), in float64.

    The position is ``step / steps_per_unit``, clipped to ``[0, horizon]``: a traced step cannot
    raise an error, so a negative step reads as 0 (as the first update), and a step past the
    horizon reads as the horizon.
    """
    t = ops.to_float(step)
    if steps_per_unit != 1:
        t = t / float(steps_per_unit)
    t = ops.minimum(ops.maximum(t, 0.0), ops.horizon)
    return schedule.evaluate(t, ops)
