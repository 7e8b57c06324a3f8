"""Linear warm-up, then a cosine to a floor, then the floor held (or the wave continued)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from . import validation as check
from .curves import Curve, HalfCosine, Level, Line
from .ops import Ops, Piece, Value
from .schedule import PiecewiseSchedule, set_fields
from .segments import (
    KIND_DECAY,
    KIND_HOLD,
    Segment,
    global_step,
    make,
    slope_kind,
    warmup_kind,
)
from .validation import Number
from .warps import BEYOND, CosineWave, step_by_step

AFTER_END = ("hold", "periodic")


@dataclass(frozen=True, repr=False)
class Cosine(PiecewiseSchedule):
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

    The peers' variations of the cosine part, each off by default (with ``e = t - W`` and
    ``L = T - W``):

    * `exponent` (optax): ``f + (p - f) c^n`` with ``c = (1 + cos(pi e / L)) / 2``, computed as
      optax does, ``p ((1 - a) c^n + a)`` with ``a = f / p``;
    * `k_decay` (timm, Zhang & Li 2020): the angle is ``pi e^k / L^k``;
    * `waves` (transformers' ``num_cycles``): the angle is ``2 pi waves e / L``, so ``L`` steps
      hold `waves` waves (0.5: half a wave, from `peak` down to `floor`; 1: down and back up);
    * `after_end`: ``"hold"`` keeps the value reached at ``T``; ``"periodic"`` lets the wave go
      on for ever (PyTorch's ``CosineAnnealingLR`` past ``T_max``, transformers' cosines past
      ``num_training_steps``). A periodic cosine may also rise first (``floor > peak``:
      ``CosineAnnealingLR`` with ``eta_min`` above the base LR).

    Args:
        peak: The value at the end of warm-up (``>= 0``; ``>= floor`` unless periodic).
        steps: ``T``, where the floor is reached, warm-up included (``> 0``; may be fractional).
        floor: The final value, the bottom of the wave (``>= 0``).
        warmup: ``W``, the warm-up length in steps (``0 <= W < T``); a float strictly between 0
            and 1 is a fraction of `steps` (``warmup=0.05`` is 5% of `steps`).
        warmup_start: The value at step 0 when ``W > 0`` (``>= 0``).
        exponent: The power of the cosine's factor (``> 0``).
        k_decay: The power of the elapsed steps in the angle (``> 0``); other than 1 only with
            ``waves=0.5`` and ``after_end="hold"`` (as timm has it).
        waves: The number of waves over ``L`` steps (``> 0``).
        after_end: ``"hold"`` or ``"periodic"``.

    Example:
        >>> import warmcos
        >>> s = warmcos.cosine(peak=1.0, steps=12, floor=0.1, warmup=2, warmup_start=0.2)
        >>> [round(s(t), 3) for t in (0, 1, 2, 7, 12, 20)]
        [0.2, 0.6, 1.0, 0.55, 0.1, 0.1]
        >>> wave = warmcos.cosine(peak=1.0, steps=10, after_end="periodic")
        >>> [wave(t) for t in (0, 10, 20, 30)]
        [1.0, 0.0, 1.0, 0.0]
    """

    name = "cosine"

    peak: Number
    steps: Number
    floor: Number = 0.0
    warmup: Number = 0
    warmup_start: Number = 0.0
    exponent: Number = 1.0
    k_decay: Number = 1.0
    waves: Number = 0.5
    after_end: str = "hold"

    def __post_init__(self) -> None:
        where = "cosine()"
        set_fields(
            self,
            peak=check.nonnegative(where, "peak", self.peak),
            steps=check.span(where, "steps", self.steps),
            floor=check.nonnegative(where, "floor", self.floor),
            warmup=check.nonnegative(where, "warmup", self.warmup),
            warmup_start=check.nonnegative(where, "warmup_start", self.warmup_start),
            exponent=check.positive(where, "exponent", self.exponent),
            k_decay=check.positive(where, "k_decay", self.k_decay),
            waves=check.positive(where, "waves", self.waves),
            after_end=check.choice(where, "after_end", self.after_end, AFTER_END),
        )
        if self.after_end == "hold":
            check.at_most(where, "floor", self.floor, "peak", self.peak)
        warmup_steps = check.length(where, "warmup", self.warmup, "steps", self.steps)
        if warmup_steps >= self.steps:
            raise check.fail(where, "warmup", "be < `steps`", warmup=self.warmup, steps=self.steps)
        if self.k_decay != 1 and (self.waves != 0.5 or self.after_end != "hold"):
            raise check.fail(
                where,
                "k_decay",
                'be 1 unless waves=0.5 and after_end="hold"',
                k_decay=self.k_decay,
                waves=self.waves,
                after_end=self.after_end,
            )
        if self.k_decay != 1:
            try:
                scaled = (float(self.steps) - warmup_steps) ** float(self.k_decay)
            except OverflowError:
                scaled = math.inf
            if not 0 < scaled < math.inf:
                raise check.fail(
                    where,
                    "k_decay",
                    "keep (steps - warmup) ** k_decay a float > 0",
                    k_decay=self.k_decay,
                    steps=self.steps,
                    warmup=self.warmup,
                )
        half_wave = (float(self.steps) - warmup_steps) / (2.0 * float(self.waves))
        if not 0 < half_wave < math.inf or self.waves > 2.0**52:
            raise check.fail(
                where,
                "waves",
                "be at most 2**52 and leave each half wave a length of steps > 0",
                waves=self.waves,
                steps=self.steps,
            )
        object.__setattr__(self, "_warmup_steps", warmup_steps)

    @property
    def warmup_steps(self) -> float:
        """The warm-up length in steps (`warmup` resolved when given as a fraction)."""
        return float(self.__dict__["_warmup_steps"])

    def _waving(self) -> bool:
        """Whether the cosine part is more (or less) than one half wave, or goes on for ever."""
        return self.waves != 0.5 or self.after_end == "periodic"

    def _curve(self) -> Curve:
        """The cosine part: PyTorch's half cosine, or the warped wave when an option asks."""
        curve = self.__dict__.get("_cosine")
        if curve is None:
            peak, floor, total = float(self.peak), float(self.floor), float(self.steps)
            warmup = self.warmup_steps
            if self._waving() or self.exponent != 1 or self.k_decay != 1:
                curve = CosineWave(
                    warmup,
                    total - warmup,
                    peak,
                    floor,
                    exponent=float(self.exponent),
                    k_decay=float(self.k_decay),
                    waves=float(self.waves),
                    periodic=self.after_end == "periodic",
                )
            else:
                curve = HalfCosine(0.0, warmup, total - warmup, peak, floor)
            self.__dict__["_cosine"] = curve
        return curve

    def _warmup_segment(self) -> Segment:
        peak, start, warmup = float(self.peak), float(self.warmup_start), self.warmup_steps
        return make(warmup_kind(start, peak), 0.0, warmup, Line(0.0, warmup, start, peak))

    def _held(self) -> Level:
        """The value held from `steps` on: the cosine's value there."""
        return Level(self._curve().scalar()(float(self.steps)))

    def _segment_list(self) -> tuple[Segment, ...]:
        """Warm-up (when ``W > 0``), the cosine, then its last value held."""
        total, warmup = float(self.steps), self.warmup_steps
        cosine = make(KIND_DECAY, warmup, total, self._curve())
        held = Level(float(self.floor)) if isinstance(self._curve(), HalfCosine) else self._held()
        hold = make(KIND_HOLD, total, math.inf, held)
        if warmup > 0:
            return self._warmup_segment(), cosine, hold
        return cosine, hold

    # -- more than half a wave, or a wave without end: segments made as they are asked for ----

    @property
    def natural_end(self) -> float | None:
        """`steps`, or None for a periodic cosine (it never settles)."""
        if self.after_end == "periodic":
            return None
        return float(self.steps)

    def _segments_from(self, t: float) -> Iterator[Segment]:
        if not self._waving():
            yield from super()._segments_from(t)
            return
        warmup, total = self.warmup_steps, float(self.steps)
        periodic = self.after_end == "periodic"
        if not periodic and t >= total:
            yield make(KIND_HOLD, total, math.inf, self._held())
            return
        if t < warmup:
            yield self._warmup_segment()
        curve = self._curve()
        fast = curve.scalar()
        half = (total - warmup) / (2.0 * float(self.waves))
        if not (max(t, warmup) - warmup) / half < BEYOND:  # periodic and far out
            yield from step_by_step(t, curve)
            return
        index = _half_wave_at(max(t, warmup) - warmup, half)
        start = global_step(index * half, warmup)
        while True:
            # Where ``t - warmup`` (what the curve computes) reaches the next half wave.
            end = global_step((index + 1) * half, warmup)
            if not end > start:
                end = math.nextafter(start, math.inf)  # steps too large to tell half waves apart
            if not periodic and end >= total:
                end = total
            kind = slope_kind(fast(start), fast(end))
            yield make(kind, start, end, curve, cycle=index // 2)
            if not periodic and end == total:
                yield make(KIND_HOLD, total, math.inf, self._held())
                return
            start, index = end, index + 1

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The warm-up, the cosine part, then (unless periodic) the value held."""
        if not self._waving():
            return super().evaluate(t, ops)
        starts: list[float] = []
        pieces: list[Piece] = []
        warmup = self.warmup_steps
        if warmup > 0:
            ramp = self._warmup_segment().curve
            starts.append(0.0)
            pieces.append(_bound(ramp, ops))
        starts.append(warmup)
        pieces.append(_bound(self._curve(), ops))
        if self.after_end == "hold":
            starts.append(float(self.steps))
            pieces.append(_bound(self._held(), ops))
        return ops.piecewise(t, starts, pieces)


def _half_wave_at(elapsed: float, half: float) -> int:
    """The index ``j`` of the half wave with ``j * half <= elapsed < (j + 1) * half``."""
    index = math.floor(elapsed / half)
    for _ in range(4):  # the quotient is off by at most one either way
        if index > 0 and index * half > elapsed:
            index -= 1
        elif (index + 1) * half <= elapsed:
            index += 1
    return index


def _bound(curve: Curve, ops: Ops) -> Piece:
    def piece(x: Value) -> Value:
        return curve.evaluate(x, ops)

    return piece
