"""The operations seam: the few array operations a schedule formula needs, per backend.

Each schedule writes its formula once, against :class:`Ops`. The formula is then evaluated on a
Python number (:class:`ScalarOps`, plain ``math`` in float64, no NumPy overhead), on a NumPy array
(:class:`NumpyOps`, vectorised) or, in sibling modules, on torch tensors, JAX arrays and Keras
tensors behind the same interface.

Two rules keep one formula valid on every backend:

* branches on the step go through :meth:`Ops.where` or :meth:`Ops.piecewise`, never a Python
  ``if``, so array backends (and graph tracers) can follow them;
* array backends evaluate every branch, so each piece receives its step clipped into its own
  interval and divides only by lengths known to be non-zero.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

Value = Any
"""A Python float, a NumPy array or a framework tensor, depending on the backend."""

FEW_PIECES = 8
"""Up to this many pieces, NumPy evaluates every piece on every step and selects; beyond it,
each piece only on its own steps."""

Piece = Callable[[Value], Value]


class Ops(Protocol):
    """The operations a schedule formula may use."""

    def cos(self, x: Value) -> Value:
        """Elementwise cosine."""
        ...

    def sqrt(self, x: Value) -> Value:
        """Elementwise square root."""
        ...

    def log(self, x: Value) -> Value:
        """Elementwise natural logarithm."""
        ...

    def floor(self, x: Value) -> Value:
        """Elementwise floor, as a float."""
        ...

    def rint(self, x: Value) -> Value:
        """Elementwise round to nearest integer (ties to even), as a float."""
        ...

    def abs(self, x: Value) -> Value:
        """Elementwise absolute value."""
        ...

    def where(self, condition: Value, if_true: Value, if_false: Value) -> Value:
        """Select elementwise; both branches are evaluated on array backends."""
        ...

    def minimum(self, a: Value, b: Value) -> Value:
        """Elementwise minimum."""
        ...

    def maximum(self, a: Value, b: Value) -> Value:
        """Elementwise maximum."""
        ...

    def power(self, base: float, exponent: Value) -> Value:
        """``base ** exponent`` for a Python float base."""
        ...

    def fill(self, like: Value, value: float) -> Value:
        """A float value with the shape of `like`."""
        ...

    def table(self, values: Sequence[float]) -> Value:
        """A constant lookup table, in the backend's float type."""
        ...

    def bucket(self, table: Value, t: Value) -> Value:
        """Index of the last table entry <= `t` (the table is sorted and starts <= every `t`)."""
        ...

    def count_at_most(self, table: Value, t: Value) -> Value:
        """How many table entries are <= `t`, as a float."""
        ...

    def take(self, table: Value, index: Value) -> Value:
        """Gather table entries at integer `index`."""
        ...

    def to_float(self, x: Value) -> Value:
        """Convert an integer value (such as a bucket index) to the backend's float type."""
        ...

    def upper(self, t: Value) -> float:
        """The largest step in `t` (a bound on it for graph backends), as a Python float."""
        ...

    def piecewise(self, t: Value, starts: Sequence[float], pieces: Sequence[Piece]) -> Value:
        """Apply ``pieces[i]`` on ``starts[i] <= t < starts[i + 1]`` (the last piece has no end).

        `starts` is strictly increasing with ``starts[0] == 0``. Each piece receives `t` clipped
        into its own interval, so a piece never sees a step outside the range it was written for.
        """
        ...


class ScalarOps:
    """Python floats through ``math``: the per-step path of the PyTorch scheduler."""

    cos = staticmethod(math.cos)
    sqrt = staticmethod(math.sqrt)
    log = staticmethod(math.log)

    @staticmethod
    def floor(x: float) -> float:
        """Elementwise floor, as a float."""
        return float(math.floor(x))

    @staticmethod
    def rint(x: float) -> float:
        """Round to nearest (ties to even), as a float."""
        return float(round(x))

    abs = staticmethod(abs)
    minimum = staticmethod(min)
    maximum = staticmethod(max)

    @staticmethod
    def where(condition: bool, if_true: float, if_false: float) -> float:
        """Select one value."""
        return if_true if condition else if_false

    @staticmethod
    def power(base: float, exponent: float) -> float:
        """``base ** exponent``."""
        return float(base**exponent)

    @staticmethod
    def fill(like: float, value: float) -> float:
        """The value itself."""
        return float(value)

    @staticmethod
    def table(values: Sequence[float]) -> Sequence[float]:
        """The sequence itself."""
        return values

    @staticmethod
    def bucket(table: Sequence[float], t: float) -> int:
        """Index of the last entry <= `t`."""
        return bisect.bisect_right(table, t) - 1

    @staticmethod
    def count_at_most(table: Sequence[float], t: float) -> float:
        """How many entries are <= `t`."""
        return float(bisect.bisect_right(table, t))

    @staticmethod
    def take(table: Sequence[float], index: int) -> float:
        """One entry."""
        return table[index]

    @staticmethod
    def to_float(x: float) -> float:
        """As a Python float."""
        return float(x)

    @staticmethod
    def upper(t: float) -> float:
        """The step itself."""
        return float(t)

    @staticmethod
    def piecewise(t: float, starts: Sequence[float], pieces: Sequence[Piece]) -> float:
        """Evaluate only the piece that holds `t`."""
        result: float = pieces[bisect.bisect_right(starts, t) - 1](t)
        return result


class NumpyOps:
    """Vectorised float64 NumPy: no Python loop over steps."""

    cos = staticmethod(np.cos)
    sqrt = staticmethod(np.sqrt)
    log = staticmethod(np.log)
    floor = staticmethod(np.floor)
    rint = staticmethod(np.rint)
    abs = staticmethod(np.abs)
    where = staticmethod(np.where)

    @staticmethod
    def minimum(a: Value, b: Value) -> Value:
        """Elementwise minimum."""
        return np.minimum(a, b)

    @staticmethod
    def maximum(a: Value, b: Value) -> Value:
        """Elementwise maximum."""
        return np.maximum(a, b)

    @staticmethod
    def power(base: float, exponent: Value) -> Value:
        """``base ** exponent`` in float64."""
        return np.power(np.float64(base), exponent)

    @staticmethod
    def fill(like: Value, value: float) -> Value:
        """A float64 array of `value` shaped like `like`."""
        return np.full(np.shape(like), value, dtype=np.float64)

    @staticmethod
    def table(values: Sequence[float]) -> Value:
        """A float64 array."""
        return np.asarray(values, dtype=np.float64)

    @staticmethod
    def bucket(table: Value, t: Value) -> Value:
        """Index of the last entry <= each `t`."""
        return np.searchsorted(table, t, side="right") - 1

    @staticmethod
    def count_at_most(table: Value, t: Value) -> Value:
        """How many entries are <= each `t`."""
        return np.searchsorted(table, t, side="right").astype(np.float64)

    @staticmethod
    def take(table: Value, index: Value) -> Value:
        """Gather entries."""
        return table[index]

    @staticmethod
    def to_float(x: Value) -> Value:
        """As float64."""
        return np.asarray(x, dtype=np.float64)

    @staticmethod
    def upper(t: Value) -> float:
        """The largest step (0 for no steps)."""
        return float(t.max()) if t.size else 0.0

    @staticmethod
    def piecewise(t: Value, starts: Sequence[float], pieces: Sequence[Piece]) -> Value:
        """Evaluate each piece on the steps it holds (all pieces on all steps when few)."""
        if len(pieces) <= FEW_PIECES:
            return select_pieces(NUMPY, t, starts, pieces, np.clip)
        # Many pieces: group the steps by piece, so the cost is one formula per step.
        steps = np.asarray(t, dtype=np.float64)
        flat = steps.reshape(-1)
        which = np.searchsorted(np.asarray(starts, dtype=np.float64), flat, side="right") - 1
        order = np.argsort(which, kind="stable")
        bounds = np.searchsorted(which[order], np.arange(len(pieces) + 1), side="left")
        out = np.empty(flat.size, dtype=np.float64)
        for index in np.flatnonzero(np.diff(bounds)).tolist():
            chosen = order[bounds[index] : bounds[index + 1]]
            out[chosen] = pieces[index](flat[chosen])
        return out.reshape(steps.shape)


def select_pieces(
    ops: Ops,
    t: Value,
    starts: Sequence[float],
    pieces: Sequence[Piece],
    clip: Callable[[Value, float | None, float | None], Value],
) -> Value:
    """Evaluate every piece on its steps clipped into its interval, then select per step.

    The array-backend implementation of :meth:`Ops.piecewise`.
    """
    result = pieces[-1](clip(t, starts[-1], None))
    for index in range(len(pieces) - 2, -1, -1):
        inside = clip(t, starts[index], starts[index + 1])
        result = ops.where(t < starts[index + 1], pieces[index](inside), result)
    return result


SCALAR = ScalarOps()
NUMPY = NumpyOps()
