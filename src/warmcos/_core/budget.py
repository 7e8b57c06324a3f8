"""Changing a run's budget mid-way: the rest of a schedule re-timed, without a jump."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from . import validation as check
from .curves import Curve, Level, ScalarCurve
from .ops import Ops, Piece, Value
from .schedule import Schedule, set_fields
from .segments import KIND_HOLD, KIND_LEVEL, KIND_RAMP, KIND_STABLE, KIND_WARMUP, Segment, make
from .validation import Number

MAX_RETIMED_SEGMENTS = 10_000
"""The most segments the rest of a schedule may have for its budget to be changed."""

_FIXED = (KIND_WARMUP, KIND_RAMP)
"""Segments that keep their length when the budget changes (a warm-up is not the budget)."""


@dataclass(frozen=True, repr=False)
class ChangedBudget(Schedule):
    r"""`schedule` up to step `at`, then the rest of it re-timed to end at `steps`.

    Before `at` the value is exactly ``schedule(t)``. From `at` on, the segments left of
    `schedule` (from `at` to its natural end ``E``) are laid out again between `at` and
    `steps`, each keeping its curve, so the value is continuous at `at` and reaches
    ``schedule(E)`` at `steps`, where it holds. Lengths, in this order:

    * a warm-up keeps its length (it is not part of the budget);
    * a ``"stable"`` segment (the plateau of ``wsd``) absorbs the change, so the decay after it
      keeps its length;
    * everything else is stretched (or squeezed) by one factor, so the rest of a cosine becomes
      the rest of a cosine over the new remainder. When the stable part cannot absorb a cut, it
      goes and the rest is squeezed; when even the warm-up does not fit, all is squeezed.

    A piece of the rest that holds the curve of segment ``j`` between ``T_j`` and ``T_{j+1}``
    (new steps) and ``U_j`` and ``U_{j+1}`` (old steps) reads its curve at

    .. math::

        u(t) = U_j + (t - T_j) \, \frac{U_{j+1} - U_j}{T_{j+1} - T_j}.

    Args:
        schedule: A schedule with a natural end (one that settles).
        at: The step of the change (``0 <= at <`` the natural end).
        steps: The new end (``> at``), in the schedule's own steps: longer or shorter than
            the old end.

    Example:
        >>> import warmcos
        >>> s = warmcos.cosine(peak=1.0, steps=100)
        >>> longer = warmcos.change_budget(s, at=50, steps=150)
        >>> longer(25) == s(25), longer(50) == s(50), longer(150)
        (True, True, 0.0)
        >>> longer(100) == s(75)  # half-way through the new remainder: half-way through the old
        True
    """

    name = "change_budget"

    schedule: Schedule
    at: Number
    steps: Number

    def __post_init__(self) -> None:
        where = "change_budget()"
        if not isinstance(self.schedule, Schedule):
            raise TypeError(
                f"{where}: `schedule` must be a warmcos schedule. "
                f"Received: schedule of type {type(self.schedule).__name__}"
            )
        set_fields(
            self,
            at=check.span(where, "at", self.at, zero=True),
            steps=check.span(where, "steps", self.steps),
        )
        end = self.schedule.natural_end
        if end is None:
            raise ValueError(
                f"{where}: `schedule` must settle at a natural end for its budget to change, "
                f"and {_short(self.schedule)} never does (it keeps changing): there is no "
                "remainder to re-time. Received: at={self.at!r}, steps={self.steps!r}"
            )
        if not self.at < end:
            raise check.fail(
                where,
                "at",
                f"be < the schedule's natural end {end!r} (after it the schedule only holds "
                "its last value)",
                at=self.at,
                steps=self.steps,
            )
        if not self.steps > self.at:
            raise check.fail(where, "steps", "be > `at`", at=self.at, steps=self.steps)
        rest = list(_remainder(self.schedule, float(self.at), end, where))
        object.__setattr__(self, "_plan", _plan(rest, float(self.at), float(self.steps)))
        object.__setattr__(self, "_held", self.schedule.segment_at(end).first)
        self._check_parts(where)

    def _parts(self) -> tuple[Schedule, ...]:
        return (self.schedule,)

    @property
    def natural_end(self) -> float | None:
        """`steps`: the new end."""
        return float(self.steps)

    def _pieces(self) -> list[tuple[float, float, Segment, Curve]]:
        plan: list[tuple[float, float, Segment, Curve]] = self.__dict__["_plan"]
        return plan

    def _segments_from(self, t: float) -> Iterator[Segment]:
        at = float(self.at)
        if t < at:
            for segment in self.schedule._segments_from(t):
                if segment.start >= at:
                    break
                yield _cut(segment, segment.start, min(segment.end, at))
        for start, end, original, curve in self._pieces():
            if end > t:
                yield _made(original.kind, start, end, curve, original)
        yield make(KIND_HOLD, float(self.steps), math.inf, Level(self.__dict__["_held"]))

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The schedule before `at`, each re-timed curve after it, then the held value."""
        starts: list[float] = []
        pieces: list[Piece] = []
        if float(self.at) > 0:
            starts.append(0.0)
            pieces.append(_bound_schedule(self.schedule, ops))
        for start, _, _, curve in self._pieces():
            starts.append(start)
            pieces.append(_bound_curve(curve, ops))
        held = float(self.__dict__["_held"])
        starts.append(float(self.steps))
        pieces.append(lambda x: ops.fill(x, held))
        return ops.piecewise(t, starts, pieces)


class Retimed(Curve):
    """`inner` read at ``u = origin + (t - start) * ratio``: a curve stretched in time."""

    def __init__(self, inner: Curve, start: float, origin: float, ratio: float) -> None:
        self.inner, self.start, self.origin, self.ratio = inner, start, origin, ratio
        self.shape = inner.shape  # type: ignore[misc]

    def _u(self, t: Value) -> Value:
        return self.origin + (t - self.start) * self.ratio

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """`inner` at ``u(t)``."""
        return self.inner.evaluate(self._u(t), ops)

    def scalar(self) -> ScalarCurve:
        """`inner` at ``u(t)``, for one step."""
        inner, start, origin, ratio = self.inner.scalar(), self.start, self.origin, self.ratio
        return lambda t: inner(origin + (t - start) * ratio)

    def limit(self) -> float:
        """The inner curve's limit."""
        return self.inner.limit()

    def monotone(self) -> bool:
        """As monotone as the inner curve (time is stretched, not folded)."""
        return self.inner.monotone()


def decay_now(
    schedule: Schedule,
    at: float,
    decay: float,
    floor: float | None = None,
    shape: str = "linear",
) -> Schedule:
    """From step `at`, leave the schedule's current value and reach `floor` over `decay` steps.

    The "decay now" of warm-up-stable-decay training, for any schedule: ``schedule(t)`` before
    `at`, then a :func:`~warmcos.ramp` of `shape` from ``schedule(at)`` to `floor`, then
    `floor` held. The result is a plain ``join``, so it prints, parses and round-trips.

    Args:
        schedule: Any schedule.
        at: The step the decay starts (``> 0``).
        decay: The decay's length in steps (``> 0``).
        floor: The value reached; None for the schedule's own final value (it must settle).
        shape: ``"linear"``, ``"cosine"``, ``"sqrt"`` or ``"exponential"``.

    Example:
        >>> import warmcos
        >>> s = warmcos.decay_now(warmcos.constant(1.0), at=10, decay=4, floor=0.0)
        >>> [s(t) for t in (9, 10, 12, 14, 99)]
        [1.0, 1.0, 0.5, 0.0, 0.0]
    """
    from .join import Join
    from .ramp import Ramp

    where = "decay_now()"
    if not isinstance(schedule, Schedule):
        raise TypeError(
            f"{where}: `schedule` must be a warmcos schedule. "
            f"Received: schedule of type {type(schedule).__name__}"
        )
    at = float(check.positive(where, "at", at))
    decay = float(check.span(where, "decay", decay))
    if floor is None:
        end = schedule.natural_end
        if end is None:
            raise ValueError(
                f"{where}: `floor` must be given for {_short(schedule)}, which never settles "
                "at a final value. Received: floor=None"
            )
        floor = schedule.segment_at(end).first
    floor = float(check.nonnegative(where, "floor", floor))
    return Join([schedule, Ramp(schedule(at), floor, decay, shape)], [at])


def _remainder(schedule: Schedule, at: float, end: float, where: str) -> Iterator[Segment]:
    for count, segment in enumerate(schedule.segments(at, end)):
        if count == MAX_RETIMED_SEGMENTS:
            raise ValueError(
                f"{where}: the rest of `schedule` after `at` must have at most "
                f"{MAX_RETIMED_SEGMENTS:,} segments to be re-timed. Received: at={at!r}, "
                f"natural end {end!r}"
            )
        yield _cut(segment, max(segment.start, at), min(segment.end, end))


def _plan(rest: list[Segment], at: float, steps: float) -> list[tuple[float, float, Segment, Any]]:
    """New (start, end) of each segment of the rest, with its re-timed curve."""
    old = [segment.end - segment.start for segment in rest]
    budget = steps - at
    fixed = [s.kind in _FIXED for s in rest]
    stable = [s.kind == KIND_STABLE for s in rest]
    fixed_length = sum(n for n, f in zip(old, fixed, strict=True) if f)
    stable_length = sum(n for n, p in zip(old, stable, strict=True) if p)
    other_length = sum(old) - fixed_length - stable_length
    absorbed = budget - fixed_length - other_length
    if stable_length > 0 and absorbed > 0:
        # The plateau takes the change: extended, or cut down to what the decay leaves.
        factor = absorbed / stable_length
        new = [n * factor if p else n for n, p in zip(old, stable, strict=True)]
    else:
        # A plateau that cannot absorb the cut goes, where its going makes no jump; the rest
        # (warm-ups aside) is squeezed by one factor.
        gone = [
            p and (i + 1 == len(rest) or rest[i].last == rest[i + 1].first)
            for i, p in enumerate(stable)
        ]
        squeezed = sum(n for n, f, g in zip(old, fixed, gone, strict=True) if not (f or g))
        if budget > fixed_length and squeezed > 0:
            factor = (budget - fixed_length) / squeezed
            new = [
                n if f else (0.0 if g else n * factor)
                for n, f, g in zip(old, fixed, gone, strict=True)
            ]
        else:
            factor = budget / sum(old)
            new = [n * factor for n in old]
    plan = []
    start = at
    kept = [(n, s) for n, s in zip(new, rest, strict=True) if n > 0]
    for index, (length, segment) in enumerate(kept):
        end = steps if index == len(kept) - 1 else start + length
        if end <= start:
            continue
        ratio = (segment.end - segment.start) / (end - start)
        plan.append((start, end, segment, Retimed(segment.curve, start, segment.start, ratio)))
        start = end
    return plan


def _cut(segment: Segment, start: float, end: float) -> Segment:
    """`segment` restricted to ``[start, end)``, its end values read from its curve."""
    if start == segment.start and end == segment.end:
        return segment
    kind = KIND_LEVEL if segment.kind == KIND_HOLD and math.isfinite(end) else segment.kind
    return _made(kind, start, end, segment.curve, segment)


def _made(kind: str, start: float, end: float, curve: Curve, like: Segment) -> Segment:
    return make(kind, start, end, curve, cycle=like.cycle, piece=like.piece)


def _bound_schedule(schedule: Schedule, ops: Ops) -> Piece:
    return lambda x: schedule.evaluate(x, ops)


def _bound_curve(curve: Curve, ops: Ops) -> Piece:
    return lambda x: curve.evaluate(x, ops)


def _short(schedule: Schedule) -> str:
    text = repr(schedule)
    return text if len(text) <= 80 else text[:77] + "..."
