"""Values given at steps: piecewise-constant levels, and interpolation through knots.

Also what every stair- or cycle-shaped formula needs: the first float step at which a float
quotient such as ``t / size`` reaches a count (:func:`count_boundary`, :func:`first_step`), so
that a segment boundary lies exactly where the formula itself switches, and that whole quotient
computed alike on every backend (:func:`whole_quotient`).
"""

from __future__ import annotations

import bisect
import itertools
import math
import struct
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass

import numpy as np

from . import validation as check
from .curves import Curve, Level, ScalarCurve, between
from .ops import NUMPY, SCALAR, Ops, Value
from .schedule import Schedule, set_fields
from .segments import KIND_HOLD, KIND_LEVEL, Segment, make, slope_kind
from .validation import Number

MAX_KNOTS = 1_000_000
"""The most boundaries a ``piecewise_constant`` and knots an ``interpolate`` take."""

SHAPES = ("linear", "cosine")

_LARGEST = sys.float_info.max
_WALK = 8
"""Floats walked from a guess before bisecting (a product guess is off by an ulp or two)."""


def first_step(reached: Callable[[float], bool], guess: float) -> float:
    """The first float ``u >= 0`` with ``reached(u)``; ``inf`` when no finite float reaches it.

    `reached` must be monotone over the floats (False, then True from some step on), as
    ``lambda u: u / size >= count`` is: floating-point division by a positive number never
    decreases when its numerator grows. The search walks a few floats from `guess` and bisects
    over the bit patterns otherwise, so it costs at most about 70 calls of `reached`.

    Example:
        >>> first_step(lambda u: u / 0.1 >= 3, 0.3)  # 0.3 / 0.1 is 2.9999999999999996
        0.30000000000000004
    """
    if reached(0.0):
        return 0.0
    if not reached(_LARGEST):
        return math.inf
    low, high = 0.0, _LARGEST  # reached(low) is False, reached(high) is True
    step = min(max(guess, 0.0), _LARGEST) if guess == guess else 0.0
    for _ in range(_WALK):
        if not low < step < high:
            break
        if reached(step):
            high, step = step, math.nextafter(step, 0.0)
        else:
            low, step = step, math.nextafter(step, math.inf)
        if math.nextafter(low, math.inf) == high:
            return high
    lo, hi = _bits(low), _bits(high)
    while hi - lo > 1:
        middle = (lo + hi) // 2
        if reached(_float(middle)):
            hi = middle
        else:
            lo = middle
    return _float(hi)


def _bits(value: float) -> int:
    # The bit patterns of floats >= 0 are ordered as the floats are.
    bits: int = struct.unpack("<q", struct.pack("<d", value))[0]
    return bits


def _float(bits: int) -> float:
    value: float = struct.unpack("<d", struct.pack("<q", bits))[0]
    return value


def count_boundary(count: int, size: float, *, strictly: bool = False) -> float:
    """The first float step ``u`` with ``u / size >= count`` (``> count`` when `strictly`).

    With ``count`` whole, ``>=`` is where ``floor(u / size)`` reaches it (a new stair of a
    staircase) and ``>`` where ``ceil(u / size)`` passes it (a new cycle of Keras' cyclic
    polynomial decay). ``inf`` when no float step does.
    """
    try:
        guess = float(count) * size
    except OverflowError:
        guess = _LARGEST
    if strictly:
        return first_step(lambda u: u / size > count, guess)
    return first_step(lambda u: u / size >= count, guess)


def whole_quotient(ops: Ops, t: Value, size: float, *, ceil: bool = False) -> Value:
    """``floor(t / size)`` (``ceil`` with `ceil`): the floor of the correctly rounded quotient.

    XLA (JAX) and TensorFlow graphs may divide through the reciprocal, one unit in the last
    place off, so ``49 / 49`` can come out as 0.9999999999999999 and a stair be taken one step
    late. For a whole `size` the quotient is corrected by one product, exact for steps below
    2**53: a step that reaches ``(q + 1) * size`` is in stair ``q + 1`` (a cycle ``c`` whose
    ``(c - 1) * size`` reaches the step is cycle ``c - 1``). Where division is correctly rounded
    (Python, NumPy, PyTorch) the correction then changes nothing, since a quotient rounded below
    a whole number means the exact quotient is below it.
    """
    quotient = t / size
    whole = -ops.floor(-quotient) if ceil else ops.floor(quotient)
    if size != math.floor(size):
        return whole  # products of a fractional size round: they could disagree with IEEE
    if ceil:
        return ops.where((whole - 1.0) * size >= t, whole - 1.0, whole)
    return ops.where((whole + 1.0) * size <= t, whole + 1.0, whole)


# -- piecewise constant ---------------------------------------------------------------------------


def _levels(where: str, name: str, values: object, count: int) -> tuple[Number, ...]:
    """`values`: exactly `count` finite numbers ``>= 0`` (no more than that is ever read)."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(
            f"{where}: `{name}` must be a list of numbers. "
            f"Received: {name}={check.short(values)} of type {type(values).__name__}"
        )
    if isinstance(values, Sized) and len(values) != count:
        raise check.fail(where, name, f"hold {count:,} values", **{name: values})
    items = list(itertools.islice(values, count + 1))
    if len(items) != count:
        raise check.fail(where, name, f"hold {count:,} values", **{name: items})
    return tuple(check.nonnegative(where, name, value) for value in items)


@dataclass(frozen=True, repr=False)
class PiecewiseConstant(Schedule):
    """`values[i]` from boundary ``i - 1`` (step 0 for the first) up to boundary ``i``.

    ``v(t) = values[i]`` for ``boundaries[i - 1] <= t < boundaries[i]``, and ``values[-1]`` from
    the last boundary on. Each value takes effect AT its boundary.

    Keras' ``PiecewiseConstantDecay`` switches just AFTER a boundary (``t > b``): it is this
    schedule with each boundary at the next float, ``math.nextafter(b, math.inf)`` (``b + 1``
    for whole steps). optax's ``piecewise_constant_schedule(init, {b: scale})`` switches at
    the boundary; its values are the running products ``init * scale * ...``.

    Args:
        boundaries: Strictly increasing steps ``> 0`` (at most 1,000,000).
        values: ``len(boundaries) + 1`` values ``>= 0``.

    Example:
        >>> import warmcos
        >>> s = warmcos.piecewise_constant(boundaries=[10, 20], values=[1.0, 0.5, 0.1])
        >>> [s(t) for t in (0, 9.5, 10, 19, 20, 1000)]
        [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]
    """

    name = "piecewise_constant"

    boundaries: Sequence[Number]
    values: Sequence[Number]

    def __post_init__(self) -> None:
        where = "piecewise_constant()"
        boundaries = check.increasing(
            where, "boundaries", self.boundaries, strictly_above=0, at_most=MAX_KNOTS
        )
        values = _levels(where, "values", self.values, len(boundaries) + 1)
        set_fields(self, boundaries=boundaries, values=values)
        object.__setattr__(self, "_starts", [0.0, *(float(b) for b in boundaries)])
        object.__setattr__(self, "_levels", [float(v) for v in values])

    @property
    def natural_end(self) -> float | None:
        """The last boundary (0 without boundaries)."""
        starts: list[float] = self.__dict__["_starts"]
        return starts[-1]

    def _segments_from(self, t: float) -> Iterator[Segment]:
        starts: list[float] = self.__dict__["_starts"]
        levels: list[float] = self.__dict__["_levels"]
        last = len(starts) - 1
        for index in range(bisect.bisect_right(starts, t) - 1, last):
            yield make(KIND_LEVEL, starts[index], starts[index + 1], Level(levels[index]))
        yield make(KIND_HOLD, starts[last], math.inf, Level(levels[last]))

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The value of the last boundary (or step 0) at or before each step: a table lookup."""
        starts, levels = constant_tables(self, ops, "_starts", "_levels")
        return ops.take(levels, ops.bucket(starts, t))


def constant_tables(schedule: Schedule, ops: Ops, *names: str) -> list[Value]:
    """The lists `names` of the schedule as constant tables of `ops` (NumPy's built once)."""
    if ops is not NUMPY:
        return [ops.table(schedule.__dict__[name]) for name in names]
    tables = []
    for name in names:
        table = schedule.__dict__.get(name + "_table")
        if table is None:
            table = np.asarray(schedule.__dict__[name], dtype=np.float64)
            schedule.__dict__[name + "_table"] = table
        tables.append(table)
    return tables


# -- interpolation through knots ------------------------------------------------------------------


def interpolated(
    ops: Ops, shape: str, elapsed: Value, length: Value, start: Value, end: Value
) -> Value:
    """From `start` to `end` over `length`, `elapsed` steps in, in optax's order of operations.

    With ``p = elapsed / length``: ``"linear"``: ``(end - start) * p + start``;
    ``"cosine"``: ``end + (start - end) / 2 * (cos(pi * p) + 1)``; clipped to the two ends.
    """
    progress = elapsed / length
    if shape == "cosine":
        value = end + (start - end) / 2.0 * (ops.cos(math.pi * progress) + 1.0)
    else:
        value = (end - start) * progress + start
    return between(ops, value, ops.minimum(start, end), ops.maximum(start, end))


class Interpolation(Curve):
    """From `start` at `origin` to `end` at `stop`, by :func:`interpolated`."""

    def __init__(self, shape: str, origin: float, stop: float, start: float, end: float) -> None:
        self.shape = shape  # type: ignore[misc]
        self.origin, self.length = float(origin), float(stop) - float(origin)
        self.start, self.end = float(start), float(end)

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The interpolation at `t`."""
        return interpolated(ops, self.shape, t - self.origin, self.length, self.start, self.end)

    def scalar(self) -> ScalarCurve:
        """The interpolation at one step (the same operations on Python floats)."""
        shape, origin, length, start, end = (
            self.shape,
            self.origin,
            self.length,
            self.start,
            self.end,
        )
        return lambda t: float(interpolated(SCALAR, shape, t - origin, length, start, end))


def _knots(where: str, values: object) -> tuple[Number, ...]:
    """Strictly increasing steps from step 0: at least one, at most :data:`MAX_KNOTS`."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(
            f"{where}: `knots` must be a list of steps. "
            f"Received: knots={check.short(values)} of type {type(values).__name__}"
        )
    items = iter(values)
    first = next(items, None)
    if first is None:
        raise check.fail(where, "knots", "start at step 0", knots=[])
    if check.number(where, "knots", first) != 0:
        raise check.fail(where, "knots", "start at step 0", knots=values)
    rest = check.increasing(where, "knots", items, strictly_above=0, at_most=MAX_KNOTS - 1)
    return (first, *rest)


@dataclass(frozen=True, repr=False)
class Interpolate(Schedule):
    r"""Through ``(knots[i], values[i])``, linearly or along half cosines, then the last value held.

    Between knots ``k_i <= t < k_{i + 1}``, with ``p = (t - k_i) / (k_{i + 1} - k_i)``:

    .. math::

        v(t) = \begin{cases}
        v_i + (v_{i + 1} - v_i)\, p & \text{shape="linear"} \\
        v_{i + 1} + (v_i - v_{i + 1})\, \bigl(1 + \cos(\pi p)\bigr) / 2 & \text{shape="cosine"}
        \end{cases}

    and ``values[-1]`` from the last knot on. Pieces may rise or fall (a cosine warm-up, then a
    cosine decay). optax's ``piecewise_interpolate_schedule(shape, init, {b: scale})`` is this
    schedule with the knots step 0 and its boundaries, and the values the running products of
    its scales (``init``, ``init * scale_1``, ...).

    Args:
        knots: Strictly increasing steps, the first 0 (at most 1,000,000).
        values: One value ``>= 0`` per knot.
        shape: ``"linear"`` or ``"cosine"``, for every piece.

    Example:
        >>> import warmcos
        >>> s = warmcos.interpolate(knots=[0, 10, 30], values=[0.0, 1.0, 0.5])
        >>> [s(t) for t in (0, 5, 10, 20, 30, 99)]
        [0.0, 0.5, 1.0, 0.75, 0.5, 0.5]
    """

    name = "interpolate"

    knots: Sequence[Number]
    values: Sequence[Number]
    shape: str = "linear"

    def __post_init__(self) -> None:
        where = "interpolate()"
        knots = _knots(where, self.knots)
        values = _levels(where, "values", self.values, len(knots))
        shape = check.choice(where, "shape", self.shape, SHAPES)
        set_fields(self, knots=knots, values=values, shape=shape)
        starts = [float(k) for k in knots]
        levels = [float(v) for v in values]
        # The pieces as tables: piece i runs from _origins[i] to _stops[i], _firsts[i] to _lasts[i].
        for name, table in (
            ("_origins", starts[:-1]),
            ("_stops", starts[1:]),
            ("_firsts", levels[:-1]),
            ("_lasts", levels[1:]),
        ):
            object.__setattr__(self, name, table)

    @property
    def natural_end(self) -> float | None:
        """The last knot."""
        return float(self.knots[-1])

    def _segments_from(self, t: float) -> Iterator[Segment]:
        origins: list[float] = self.__dict__["_origins"]
        stops: list[float] = self.__dict__["_stops"]
        firsts: list[float] = self.__dict__["_firsts"]
        lasts: list[float] = self.__dict__["_lasts"]
        for index in range(max(bisect.bisect_right(origins, t) - 1, 0), len(origins)):
            origin, stop, first, last = origins[index], stops[index], firsts[index], lasts[index]
            if t >= stop:
                continue  # only past the last knot
            curve: Curve = Level(first)
            if first != last:
                curve = Interpolation(self.shape, origin, stop, first, last)
            yield make(slope_kind(first, last), origin, stop, curve)
        yield make(KIND_HOLD, float(self.knots[-1]), math.inf, Level(float(self.values[-1])))

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The piece of each step, gathered from tables of the pieces (one formula per step)."""
        if len(self.knots) == 1:
            return ops.fill(t, float(self.values[0]))
        origins, stops, firsts, lasts = constant_tables(
            self, ops, "_origins", "_stops", "_firsts", "_lasts"
        )
        index = ops.bucket(origins, t)
        origin, first = ops.take(origins, index), ops.take(firsts, index)
        length = ops.take(stops, index) - origin
        # A flat piece gives its value exactly by the same formula, as its Level does.
        shaped = interpolated(ops, self.shape, t - origin, length, first, ops.take(lasts, index))
        return ops.where(t >= float(self.knots[-1]), float(self.values[-1]), shaped)
