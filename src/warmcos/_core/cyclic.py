"""Cyclical learning rates: triangles between two values (PyTorch's CyclicLR)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from . import validation as check
from .curves import Level, between
from .ops import Ops, Value
from .schedule import Schedule, set_fields
from .segments import KIND_HOLD, Segment, make, slope_kind
from .validation import Number
from .warps import BEYOND, OpsCurve, step_by_step

MODES = ("triangular", "triangular2", "exp_range")


class Triangles(OpsCurve):
    """PyTorch's ``CyclicLR`` formula, for every step (each segment is one half of a cycle).

    With ``q = t / total``, ``cycle = floor(1 + q)`` and ``x = 1 + q - cycle``, the position in
    the cycle ``f = x / r`` while ``x <= r`` (``r = up / total``), else ``(x - 1) / (r - 1)``;
    the height ``(high - low) * f`` is scaled by 1 (``"triangular"``),
    ``1 / 2**(cycle - 1)`` (``"triangular2"``) or ``gamma**t`` (``"exp_range"``) and added
    to `low`, or taken from `high` when `inverse`. Clipped to ``[low, high]``.
    """

    def __init__(
        self,
        up: float,
        down: float,
        low: float,
        high: float,
        mode: str,
        gamma: float,
        inverse: bool,
        first_half: bool,
    ) -> None:
        self.total = float(up) + float(down)
        self.ratio = float(up) / self.total
        self.low, self.high = float(low), float(high)
        self.mode, self.gamma, self.inverse = mode, float(gamma), inverse
        self.shape = "exp_range" if mode == "exp_range" else "linear"  # type: ignore[misc]
        self._first_half = first_half

    def monotone(self) -> bool:
        """Every half but the first of an ``exp_range`` cycle (``f * gamma**t`` may turn)."""
        return not (self.mode == "exp_range" and self.gamma < 1 and self._first_half)

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """PyTorch's value at `t`."""
        q = ops.minimum(t / self.total, BEYOND)  # no change below; no infinity above
        cycle = ops.floor(1.0 + q)
        x = 1.0 + q - cycle
        ratio = self.ratio
        factor = ops.where(x <= ratio, x / ratio, (x - 1.0) / (ratio - 1.0))
        height = (self.high - self.low) * factor
        if self.mode == "triangular2":
            # 1 / 2**(cycle - 1), the same power of two, without overflow past cycle 1024.
            height = height * ops.power(0.5, cycle - 1.0)
        elif self.mode == "exp_range":
            height = height * ops.power(self.gamma, t)
        value = self.high - height if self.inverse else self.low + height
        return between(ops, value, self.low, self.high)


@dataclass(frozen=True, repr=False)
class Cyclic(Schedule):
    r"""Up from `low` to `high` over `step_size_up` steps, down over `step_size_down`, again.

    Smith's cyclical learning rates ("Cyclical Learning Rates for Training Neural Networks",
    WACV 2017), exactly as PyTorch's ``CyclicLR`` computes them. With ``U`` and ``D`` the two
    step sizes, cycle ``k`` (from 0) spans ``[k (U + D), (k + 1) (U + D))``; in it

    .. math::

        v(t) = \text{low} + (\text{high} - \text{low})\, f(t)\, s_k(t)

    where ``f`` goes linearly from 0 to 1 over the first ``U`` steps and back to 0 over the
    next ``D``, and ``s_k = 1`` (``"triangular"``), ``1 / 2^k`` (``"triangular2"``: the
    amplitude halves every cycle) or ``gamma^t`` (``"exp_range"``). With `inverse`,
    ``v = high - (high - low) f s_k``: PyTorch's momentum cycle, which falls while the learning
    rate rises: ``cyclic(base_momentum, max_momentum, U, inverse=True)``.

    The cycles never end (:attr:`natural_end` is None), unless ``low == high``.

    Args:
        low: The bottom of each cycle (PyTorch's ``base_lr``; ``>= 0``).
        high: The top of the first cycle (``max_lr``; ``>= low``).
        step_size_up: ``U``, the steps from `low` to the top (``> 0``).
        step_size_down: ``D``, the steps back down (``> 0``); None for ``U``.
        mode: ``"triangular"``, ``"triangular2"`` or ``"exp_range"``.
        gamma: The factor per step of ``"exp_range"``, in (0, 1]; 1 for the other modes.
        inverse: Whether to cycle down from `high` instead of up from `low`.

    Example:
        >>> import warmcos
        >>> s = warmcos.cyclic(1.0, 5.0, step_size_up=4, mode="triangular2")
        >>> [s(t) for t in (0, 2, 4, 8, 12, 16)]
        [1.0, 3.0, 5.0, 1.0, 3.0, 1.0]
    """

    name = "cyclic"

    low: Number
    high: Number
    step_size_up: Number
    step_size_down: Number | None = None
    mode: str = "triangular"
    gamma: Number = 1.0
    inverse: bool = False

    def __post_init__(self) -> None:
        where = "cyclic()"
        if not isinstance(self.inverse, bool):
            raise TypeError(
                f"{where}: `inverse` must be True or False. "
                f"Received: inverse={check.short(self.inverse)}"
            )
        set_fields(
            self,
            low=check.nonnegative(where, "low", self.low),
            high=check.nonnegative(where, "high", self.high),
            step_size_up=check.span(where, "step_size_up", self.step_size_up),
            mode=check.choice(where, "mode", self.mode, MODES),
            gamma=check.decay_factor(where, "gamma", self.gamma),
        )
        if self.step_size_down is not None:
            set_fields(
                self, step_size_down=check.span(where, "step_size_down", self.step_size_down)
            )
        check.at_most(where, "low", self.low, "high", self.high)
        if self.mode != "exp_range" and self.gamma != 1:
            raise check.fail(
                where, "gamma", 'be 1 unless mode="exp_range"', gamma=self.gamma, mode=self.mode
            )
        up, down = float(self.step_size_up), float(self.down_steps)
        total = up + down
        if not 0 < up / total < 1:
            raise check.fail(
                where,
                "step_size_down",
                "not be negligible beside `step_size_up` (their ratio must be a float < 1)",
                step_size_up=self.step_size_up,
                step_size_down=self.step_size_down,
            )
        object.__setattr__(self, "_halves", (self._triangles(True), self._triangles(False)))

    @property
    def down_steps(self) -> float:
        """``D``: `step_size_down`, or `step_size_up` when it is None."""
        size = self.step_size_up if self.step_size_down is None else self.step_size_down
        return float(size)

    @property
    def cycle_length(self) -> float:
        """``U + D`` (PyTorch's ``total_size``)."""
        return float(self.step_size_up) + self.down_steps

    def _triangles(self, first_half: bool) -> Triangles:
        return Triangles(
            float(self.step_size_up),
            self.down_steps,
            float(self.low),
            float(self.high),
            self.mode,
            float(self.gamma),
            self.inverse,
            first_half,
        )

    @property
    def natural_end(self) -> float | None:
        """0 when ``low == high`` (a constant), else None: the cycles never end."""
        return 0.0 if self.low == self.high else None

    def _segments_from(self, t: float) -> Iterator[Segment]:
        if self.natural_end == 0:
            yield make(KIND_HOLD, 0.0, math.inf, Level(float(self.low)))
            return
        total, up = self.cycle_length, float(self.step_size_up)
        first_half, second_half = self.__dict__["_halves"]
        if not t / total < BEYOND:
            yield from step_by_step(t, first_half)
            return
        cycle = math.floor(t / total)
        for _ in range(4):  # the quotient is off by at most one either way
            if cycle > 0 and cycle * total > t:
                cycle -= 1
            elif (cycle + 1) * total <= t:
                cycle += 1
        start = cycle * total if cycle else 0.0
        middle = start + up
        curve = first_half if t < middle else second_half
        if t >= middle:
            start = middle
        while True:
            end = middle if curve is first_half else (cycle + 1) * total
            if not end > start:
                end = math.nextafter(start, math.inf)  # steps too large to tell halves apart
            fast = curve.scalar()
            yield make(slope_kind(fast(start), fast(end)), start, end, curve, cycle=cycle)
            if curve is second_half:
                cycle += 1
                middle = (cycle * total) + up
                curve = first_half
            else:
                curve = second_half
            start = end

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """PyTorch's formula (see :class:`Triangles`), one expression for every step."""
        if self.natural_end == 0:
            return ops.fill(t, float(self.low))
        first_half: Triangles = self.__dict__["_halves"][0]
        return first_half.evaluate(t, ops)
