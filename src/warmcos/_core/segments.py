"""Segments: the stretches of steps over which a schedule follows one curve.

Every schedule describes itself as a sequence of segments ``[start, end)`` that meet end to end
from step 0 (:meth:`warmcos.Schedule.segments`). The schedule's value at a step is the value of
the curve of the segment that holds the step, so the description and the values cannot
disagree: the per-step path locates the segment once and evaluates its curve until the step
leaves it.

The vocabulary, used everywhere in warmcos (summaries, charts, plots):

* a segment's **kind** is the part it plays: ``"warm-up"`` (a ramp up to a peak),
  ``"ramp"`` (a warm-up that does not rise: it starts above its peak), ``"decay"`` (going
  down to a floor), ``"stable"`` (a plateau at the peak before a decay), ``"level"`` (a
  constant stretch between two drops), ``"rise"`` (going up without being a warm-up),
  ``"hold"`` (the value kept from the schedule's natural end on);
* its **shape** is the curve's form: ``"constant"``, ``"linear"``, ``"cosine"``, ``"sqrt"``,
  ``"exponential"``, ``"polynomial"``, ``"inverse_sqrt"``, ``"inverse_time"``, ``"tanh"``,
  ``"exp_range"`` (a cyclic half cycle: a line times ``gamma ** t``) or ``"product"`` (a product
  of schedules where more than one factor changes);
* its **cycle** is the restart cycle it belongs to, and its **piece** the position of the
  ``join`` piece it comes from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .curves import Curve, ScalarCurve

KINDS = ("warm-up", "ramp", "decay", "stable", "level", "rise", "hold")
"""Every segment kind, in the order of the module docstring."""

KIND_WARMUP = "warm-up"
KIND_RAMP = "ramp"
KIND_DECAY = "decay"
KIND_STABLE = "stable"
KIND_LEVEL = "level"
KIND_RISE = "rise"
KIND_HOLD = "hold"


@dataclass(frozen=True)
class Segment:
    """One stretch ``[start, end)`` of a schedule over which it follows one curve.

    A segment is callable: ``segment(t)`` is the schedule's value at a step ``t`` inside it.

    Attributes:
        kind: The part the segment plays (see the module docstring): ``"warm-up"``, ``"ramp"``,
            ``"decay"``, ``"stable"``, ``"level"``, ``"rise"`` or ``"hold"``.
        start: The first step of the segment (a new segment takes effect at its boundary).
        end: The step where the next segment starts; ``math.inf`` for the last one.
        first: The value at `start`.
        last: The value approached at `end` (for ``end = inf``, the value held or the limit).
        cycle: The restart cycle (0-based) the segment belongs to, else None.
        piece: The ``join`` piece (0-based) the segment comes from, else None; for joins of
            joins, the outermost piece.
        curve: The formula (an internal object; ``segment(t)`` evaluates it).

    Example:
        >>> import warmcos
        >>> for s in warmcos.cosine(peak=1.0, steps=100, warmup=10).segments():
        ...     print(s.kind, s.shape, s.start, s.end, s.first, s.last)
        warm-up linear 0.0 10.0 0.0 1.0
        decay cosine 10.0 100.0 1.0 0.0
        hold constant 100.0 inf 0.0 0.0
    """

    kind: str
    start: float
    end: float
    first: float
    last: float
    curve: Curve = field(repr=False, compare=False)
    cycle: int | None = None
    piece: int | None = None
    fast: ScalarCurve = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fast", self.curve.scalar())

    @property
    def shape(self) -> str:
        """The curve's form (see the module docstring for the list)."""
        return self.curve.shape

    @property
    def low(self) -> float:
        """The smallest value over the segment (as a limit at `end` for a falling segment)."""
        return min(self.first, self.last)

    @property
    def high(self) -> float:
        """The largest value over the segment (as a limit at `end` for a rising segment)."""
        return max(self.first, self.last)

    def __call__(self, t: float) -> float:
        """The value at step `t` (``start <= t < end``)."""
        return float(self.fast(t))


def make(
    kind: str,
    start: float,
    end: float,
    curve: Curve,
    *,
    cycle: int | None = None,
    piece: int | None = None,
) -> Segment:
    """A segment whose end values are read from its own curve.

    The first value is the curve at `start`; the last, the curve at `end` (its limit for an
    endless segment). A schedule therefore never states a value its formula does not give.
    """
    segment = Segment(kind, float(start), float(end), 0.0, 0.0, curve, cycle, piece)
    fast = segment.fast
    object.__setattr__(segment, "first", float(fast(start)))
    object.__setattr__(segment, "last", curve.limit() if math.isinf(end) else float(fast(end)))
    return segment


def slope_kind(first: float, last: float, *, falling: str = KIND_DECAY) -> str:
    """The kind of a line or curve by its direction: rising, flat or falling."""
    if last > first:
        return KIND_RISE
    if last == first:
        return KIND_LEVEL
    return falling


def warmup_kind(first: float, last: float) -> str:
    """A warm-up that rises (or stays flat) is a ``"warm-up"``; one that falls, a ``"ramp"``."""
    return KIND_WARMUP if last >= first else KIND_RAMP


def global_step(local: float, offset: float) -> float:
    """The first step ``g`` with ``g - offset >= local``: where a local boundary lies globally.

    ``local + offset`` up to rounding; a join evaluates its piece at ``g - offset``, so the
    boundary is put exactly where that subtraction crosses `local`.
    """
    if offset == 0 or math.isinf(local):
        return local
    step = local + offset
    while step - offset >= local:
        earlier = math.nextafter(step, -math.inf)
        if earlier - offset < local:
            break
        step = earlier
    while step - offset < local:
        step = math.nextafter(step, math.inf)
    return step


def relocated(
    segment: Segment, offset: float, low: float, high: float, piece: int | None
) -> Segment | None:
    """`segment` of a join piece, moved `offset` steps later and cut to ``[low, high)``.

    Returns:
        The segment in the join's steps, tagged with `piece`; None when nothing of it lies in
        ``[low, high)``.
    """
    start, end = global_step(segment.start, offset), global_step(segment.end, offset)
    lo, hi = max(start, low), min(end, high)
    if lo >= hi:
        return None
    curve = segment.curve.shifted(offset)
    kind = segment.kind
    if kind == KIND_HOLD and not math.isinf(hi):
        kind = KIND_LEVEL  # a held value cut short by the next piece is one level among others
    # Read the end values from the moved curve: ``lo - offset`` may lie a little past the
    # piece's own boundary, and the stated value must be the one the join gives there.
    fast = curve.scalar()
    first = float(fast(lo))
    last = curve.limit() if math.isinf(hi) else float(fast(hi))
    return Segment(kind, lo, hi, first, last, curve, segment.cycle, piece)
