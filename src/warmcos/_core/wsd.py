"""Warm-up, stable, decay: the schedule of modern language-model training."""

from __future__ import annotations

from dataclasses import dataclass

from . import validation as check
from .cosine import between, half_cosine, warmup_ramp
from .ops import Ops, Value
from .schedule import Phases, PiecewiseSchedule, set_fields
from .validation import Number

SHAPES = ("linear", "cosine", "sqrt")


@dataclass(frozen=True, repr=False)
class WSD(PiecewiseSchedule):
    r"""Warm-up to `peak`, hold it, then decay to `floor` over the last `decay` steps.

    With warm-up ``W``, decay ``D``, total ``T = steps`` and decay progress
    ``p = (t - (T - D)) / D``:

    .. math::

        v(t) = \begin{cases}
        s_0 + (p_k - s_0)\, t / W & t < W \\
        p_k & W \le t < T - D \\
        f + (p_k - f)\, d(p) & T - D \le t < T \\
        f & t \ge T
        \end{cases}

    with ``d(p) = 1 - p`` (``"linear"``), ``(1 + cos(pi p)) / 2`` (``"cosine"``) or
    ``1 - sqrt(p)`` (``"sqrt"``, the "1-sqrt" cooldown of Hägele et al. 2024), ``p_k = peak``,
    ``f = floor`` and ``s_0 = warmup_start``. See Hu et al., "MiniCPM" (2024).

    Args:
        peak: The stable value (``>= floor``).
        steps: ``T``, the total length (``> 0``).
        warmup: ``W``: steps, or a float strictly between 0 and 1 as a fraction of `steps`.
        decay: ``D`` (``> 0``): steps, or a fraction of `steps`; ``W + D <= T``.
        floor: The final value (``>= 0``).
        shape: The decay's shape: ``"linear"``, ``"cosine"`` or ``"sqrt"``.
        warmup_start: The value at step 0 when ``W > 0`` (``>= 0``).

    Example:
        >>> import warmcos
        >>> s = warmcos.wsd(peak=1.0, steps=10, warmup=2, decay=4)
        >>> [s(t) for t in (0, 1, 2, 5, 6, 8, 10)]
        [0.0, 0.5, 1.0, 1.0, 1.0, 0.5, 0.0]
    """

    name = "wsd"

    peak: Number
    steps: Number
    warmup: Number
    decay: Number
    floor: Number = 0.0
    shape: str = "linear"
    warmup_start: Number = 0.0

    def __post_init__(self) -> None:
        where = "wsd()"
        set_fields(
            self,
            peak=check.nonnegative(where, "peak", self.peak),
            steps=check.positive(where, "steps", self.steps),
            warmup=check.nonnegative(where, "warmup", self.warmup),
            decay=check.positive(where, "decay", self.decay),
            floor=check.nonnegative(where, "floor", self.floor),
            shape=check.choice(where, "shape", self.shape, SHAPES),
            warmup_start=check.nonnegative(where, "warmup_start", self.warmup_start),
        )
        check.at_most(where, "floor", self.floor, "peak", self.peak)
        warmup = check.length(where, "warmup", self.warmup, "steps", self.steps)
        decay = check.length(where, "decay", self.decay, "steps", self.steps)
        if warmup + decay > self.steps:
            raise check.fail(
                where,
                "warmup + decay",
                "be <= `steps`",
                warmup=self.warmup,
                decay=self.decay,
                steps=self.steps,
            )
        object.__setattr__(self, "_lengths", (warmup, decay))

    @property
    def warmup_steps(self) -> float:
        """The warm-up length in steps (`warmup` resolved when given as a fraction)."""
        return float(self.__dict__["_lengths"][0])

    @property
    def decay_steps(self) -> float:
        """The decay length in steps (`decay` resolved when given as a fraction)."""
        return float(self.__dict__["_lengths"][1])

    def _decayed(self, ops: Ops, elapsed: Value, length: float, peak: float, floor: float) -> Value:
        if self.shape == "cosine":
            return half_cosine(ops, elapsed, length, peak, floor)
        progress = elapsed / length
        if self.shape == "sqrt":
            return between(ops, floor + (peak - floor) * (1.0 - ops.sqrt(progress)), floor, peak)
        return between(ops, floor + (peak - floor) * (1.0 - progress), floor, peak)

    def phases(self, ops: Ops) -> Phases:
        """Warm-up, stable, decay and hold, dropping the empty ones."""
        peak, floor, total = float(self.peak), float(self.floor), float(self.steps)
        warmup, decay, start = self.warmup_steps, self.decay_steps, float(self.warmup_start)
        decay_start = total - decay

        def warming(x: Value) -> Value:
            return warmup_ramp(ops, x, start, peak, warmup)

        def stable(x: Value) -> Value:
            return ops.fill(x, peak)

        def decaying(x: Value) -> Value:
            return self._decayed(ops, x - decay_start, decay, peak, floor)

        def holding(x: Value) -> Value:
            return ops.fill(x, floor)

        starts = [0.0, warmup, decay_start, total]
        pieces = [warming, stable, decaying, holding]
        # Drop empty phases so every piece keeps a non-empty interval.
        keep = [i for i in range(4) if i == 3 or starts[i] < starts[i + 1]]
        return tuple(starts[i] for i in keep), tuple(pieces[i] for i in keep)
