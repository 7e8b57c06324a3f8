"""Arithmetic on schedules: a schedule times a number, and the product of schedules."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from . import validation as check
from .curves import Curve, ScalarCurve
from .ops import Ops, Value
from .schedule import Schedule, set_fields
from .segments import KIND_HOLD, Segment, make, slope_kind
from .validation import Number

MAX_FACTORS = 64
"""The most schedules one product multiplies."""


class ProductCurve(Curve):
    """The product of curves (and a constant factor), each read at the same step."""

    def __init__(self, curves: Sequence[Curve], factor: float = 1.0) -> None:
        self.curves, self.factor = tuple(curves), float(factor)
        shapes = {curve.shape for curve in self.curves if curve.shape != "constant"}
        self.shape = shapes.pop() if len(shapes) == 1 else ("product" if shapes else "constant")  # type: ignore[misc]

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """``factor * curve_1(t) * curve_2(t) * ...``, multiplied in that order."""
        value: Value = self.factor
        for curve in self.curves:
            value = value * curve.evaluate(t, ops)
        return value

    def scalar(self) -> ScalarCurve:
        """The product at one step, multiplied in the same order."""
        parts, factor = [curve.scalar() for curve in self.curves], self.factor

        def product(t: float) -> float:
            value = factor
            for part in parts:
                value = value * part(t)
            return value

        return product

    def limit(self) -> float:
        """The product of the limits."""
        value = self.factor
        for curve in self.curves:
            value = value * curve.limit()
        return value

    def monotone(self) -> bool:
        """Monotone when at most one factor changes (a scaled curve); otherwise not promised."""
        changing = [curve for curve in self.curves if curve.shape != "constant"]
        return len(changing) <= 1 and all(curve.monotone() for curve in changing)


@dataclass(frozen=True, repr=False)
class Scaled(Schedule):
    """`schedule` times a number: ``v(t) = factor * schedule(t)``; written ``factor * s``.

    Args:
        factor: A finite number ``>= 0``.
        schedule: Any schedule.

    Example:
        >>> import warmcos
        >>> s = 0.5 * warmcos.cosine(peak=1.0, steps=100)
        >>> s, s(0), s(50)
        (0.5 * cosine(peak=1.0, steps=100), 0.5, 0.25)
    """

    name = "scaled"

    factor: Number
    schedule: Schedule

    def __post_init__(self) -> None:
        where = "scaled()"
        set_fields(self, factor=check.nonnegative(where, "factor", self.factor))
        _check_schedules(where, "schedule", [self.schedule])
        self._check_parts(where)

    def _parts(self) -> tuple[Schedule, ...]:
        return (self.schedule,)

    @property
    def natural_end(self) -> float | None:
        """The scaled schedule's (0 when the factor is 0)."""
        return 0.0 if self.factor == 0 else self.schedule.natural_end

    def _segments_from(self, t: float) -> Iterator[Segment]:
        if self.factor == 0:
            yield make(KIND_HOLD, 0.0, math.inf, ProductCurve([], 0.0))
            return
        for segment in self.schedule._segments_from(t):
            curve = ProductCurve([segment.curve], float(self.factor))
            yield make(
                segment.kind,
                segment.start,
                segment.end,
                curve,
                cycle=segment.cycle,
                piece=segment.piece,
            )

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """``factor * schedule(t)``."""
        return float(self.factor) * self.schedule.evaluate(t, ops)

    def __repr__(self) -> str:
        """``factor * schedule``, as :func:`warmcos.parse` reads it."""
        inner = repr(self.schedule)
        if isinstance(self.schedule, Scaled):
            inner = f"({inner})"  # c1 * (c2 * s): not (c1 * c2) * s, which rounds differently
        return f"{self.factor!r} * {inner}"


@dataclass(frozen=True, repr=False)
class Product(Schedule):
    """The product of schedules: ``v(t) = s_1(t) * s_2(t) * ...``; written ``a * b``.

    PyTorch's ``ChainedScheduler`` multiplies its schedulers' factors the same way: with a
    base LR ``lr``, ``ChainedScheduler([StepLR(step_size=10, gamma=0.5), ExponentialLR(0.9)])``
    is ``lr * step(1.0, 10, 0.5) * exponential(1.0, 0.9)``. The segments of a product are
    where none of its factors changes formula; the value settles when every factor has.

    Args:
        schedules: Two or more schedules (at most :data:`MAX_FACTORS`).

    Example:
        >>> import warmcos
        >>> s = warmcos.step(1.0, step_size=10, gamma=0.5) * warmcos.linear(1.0, 0.0, 40)
        >>> s
        step(value=1.0, step_size=10, gamma=0.5) * linear(start=1.0, end=0.0, steps=40)
        >>> s(0), s(10), s(20)
        (1.0, 0.375, 0.125)
    """

    name = "product"

    schedules: Sequence[Schedule]

    def __post_init__(self) -> None:
        where = "product()"
        schedules: Any = self.schedules
        if isinstance(schedules, (str, bytes)) or not isinstance(schedules, Sequence):
            raise TypeError(
                f"{where}: `schedules` must be a list of schedules. Received: "
                f"{check.short(schedules)} of type {type(schedules).__name__}"
            )
        _check_schedules(where, "schedules", schedules)
        # A product of products is one flat product, multiplied left to right.
        schedules = [part for item in schedules for part in _factors(item)]
        if not 2 <= len(schedules) <= MAX_FACTORS:
            raise check.fail(
                where, "schedules", f"hold 2 to {MAX_FACTORS} schedules", schedules=len(schedules)
            )
        set_fields(self, schedules=tuple(schedules))
        self._check_parts(where)

    def _parts(self) -> tuple[Schedule, ...]:
        return tuple(self.schedules)

    @property
    def natural_end(self) -> float | None:
        """Where the last factor settles (None when one never does)."""
        ends = [schedule.natural_end for schedule in self.schedules]
        if any(end is None for end in ends):
            return None
        return max(end for end in ends if end is not None)

    def _segments_from(self, t: float) -> Iterator[Segment]:
        streams = [schedule._segments_from(t) for schedule in self.schedules]
        current = [next(stream) for stream in streams]
        start = max(segment.start for segment in current)
        while True:
            end = min(segment.end for segment in current)
            curve = ProductCurve([segment.curve for segment in current])
            fast = curve.scalar()
            first = float(fast(start))
            last = curve.limit() if math.isinf(end) else float(fast(end))
            if math.isinf(end):
                kind = KIND_HOLD if curve.shape == "constant" else slope_kind(first, last)
            else:
                kind = _kind(current, first, last)
            yield make(kind, start, end, curve)
            if math.isinf(end):
                return
            current = [
                next(s) if g.end == end else g for s, g in zip(streams, current, strict=True)
            ]
            start = end

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """Each factor's own formula, multiplied in order."""
        value = self.schedules[0].evaluate(t, ops)
        for schedule in self.schedules[1:]:
            value = value * schedule.evaluate(t, ops)
        return value

    def __repr__(self) -> str:
        """``a * b * ...``, as :func:`warmcos.parse` reads it."""
        return " * ".join(_operand(schedule) for schedule in self.schedules)


def _factors(schedule: Schedule) -> Sequence[Schedule]:
    return schedule.schedules if isinstance(schedule, Product) else (schedule,)


def _operand(schedule: Schedule) -> str:
    text = repr(schedule)
    return f"({text})" if isinstance(schedule, Scaled) else text


def _kind(current: Sequence[Segment], first: float, last: float) -> str:
    """A product segment plays the part of its one changing factor, or goes by its slope."""
    changing = [segment for segment in current if segment.curve.shape != "constant"]
    if len(changing) == 1:
        return changing[0].kind
    return slope_kind(first, last)


def _check_schedules(where: str, name: str, items: Sequence[object]) -> None:
    for item in items:
        if not isinstance(item, Schedule):
            raise TypeError(
                f"{where}: `{name}` must hold schedules only. "
                f"Received: {check.short(item)} of type {type(item).__name__}"
            )


def multiply(left: object, right: object) -> Schedule:
    """``left * right`` for schedules and numbers (the operator of :class:`~warmcos.Schedule`).

    A number times a schedule scales it; schedules multiply into one flat product.
    """
    numbers = (int, float)
    if isinstance(left, Schedule) and isinstance(right, Schedule):
        # A number in front of either side is kept in front: c * (a * b), printed c * a * b.
        if isinstance(left, Scaled):
            return Scaled(left.factor, multiply(left.schedule, right))
        if isinstance(right, Scaled):
            return Scaled(right.factor, multiply(left, right.schedule))
        return Product([left, right])
    if isinstance(left, numbers) and not isinstance(left, bool) and isinstance(right, Schedule):
        return Scaled(left, right)
    if isinstance(right, numbers) and not isinstance(right, bool) and isinstance(left, Schedule):
        return Scaled(right, left)
    raise TypeError(
        "a schedule can be multiplied by a number or by another schedule. Received: "
        f"{type(left).__name__} * {type(right).__name__}"
    )
