"""Warm-up, stable, decay: the schedule of modern language-model training."""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import validation as check
from .curves import Decay, HalfCosine, Level, Line
from .schedule import PiecewiseSchedule, set_fields
from .segments import KIND_DECAY, KIND_HOLD, KIND_STABLE, Segment, make, warmup_kind
from .validation import Number
from .warps import Warm

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

    The warm-up is linear by default; `warmup_shape` gives it the shape of a decay played
    backwards in time, as transformers' ``warmup_type`` does: with ``q = t / W``, it rises by
    the fraction ``q`` (``"linear"``), ``(1 - cos(pi q)) / 2`` (``"cosine"``) or
    ``1 - sqrt(1 - q)`` (``"sqrt"``, transformers' ``"1-sqrt"`` warm-up) of the way from ``s_0``
    to ``p_k``.

    transformers' ``get_wsd_schedule(num_warmup_steps=W, num_stable_steps=S, num_decay_steps=D,
    warmup_type=..., decay_type=..., min_lr_ratio=r)`` on an optimizer LR ``lr`` is
    ``wsd(peak=lr, steps=W + S + D, warmup=W, decay=D, floor=r * lr, warmup_start=r * lr,
    shape=..., warmup_shape=...)`` with ``"1-sqrt"`` spelled ``"sqrt"`` (given
    ``num_training_steps`` instead of ``num_stable_steps``, ``S = T - W - D``; given both, it
    uses ``S`` and holds ``r * lr`` after ``W + S + D``, as this does).

    Args:
        peak: The stable value (``>= floor``).
        steps: ``T``, the total length (``> 0``).
        warmup: ``W``: steps, or a float strictly between 0 and 1 as a fraction of `steps`.
        decay: ``D`` (``> 0``): steps, or a fraction of `steps`; ``W + D <= T``.
        floor: The final value (``>= 0``).
        shape: The decay's shape: ``"linear"``, ``"cosine"`` or ``"sqrt"``.
        warmup_start: The value at step 0 when ``W > 0`` (``>= 0``).
        warmup_shape: The warm-up's shape: ``"linear"``, ``"cosine"`` or ``"sqrt"``.

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
    warmup_shape: str = "linear"

    def __post_init__(self) -> None:
        where = "wsd()"
        set_fields(
            self,
            peak=check.nonnegative(where, "peak", self.peak),
            steps=check.span(where, "steps", self.steps),
            warmup=check.nonnegative(where, "warmup", self.warmup),
            decay=check.positive(where, "decay", self.decay),
            floor=check.nonnegative(where, "floor", self.floor),
            shape=check.choice(where, "shape", self.shape, SHAPES),
            warmup_start=check.nonnegative(where, "warmup_start", self.warmup_start),
            warmup_shape=check.choice(where, "warmup_shape", self.warmup_shape, SHAPES),
        )
        check.at_most(where, "floor", self.floor, "peak", self.peak)
        warmup = check.length(where, "warmup", self.warmup, "steps", self.steps)
        decay = check.length(where, "decay", self.decay, "steps", self.steps)
        if not decay > 0:  # a fraction of very few steps can round to 0
            raise check.fail(
                where, "decay", "resolve to more than 0 steps", decay=self.decay, steps=self.steps
            )
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

    def _segment_list(self) -> tuple[Segment, ...]:
        """Warm-up, stable, decay and hold, leaving out the empty ones."""
        peak, floor, total = float(self.peak), float(self.floor), float(self.steps)
        warmup, decay, start = self.warmup_steps, self.decay_steps, float(self.warmup_start)
        decay_start = total - decay
        segments = []
        if warmup > 0:
            ramp: Line | Warm = Line(0.0, warmup, start, peak)
            if self.warmup_shape != "linear":
                ramp = Warm(self.warmup_shape, 0.0, warmup, start, peak)
            segments.append(make(warmup_kind(start, peak), 0.0, warmup, ramp))
        if decay_start > warmup:
            segments.append(make(KIND_STABLE, warmup, decay_start, Level(peak)))
        if self.shape == "cosine":
            curve: HalfCosine | Decay = HalfCosine(decay_start, 0.0, decay, peak, floor)
        else:
            curve = Decay(self.shape, decay_start, decay, peak, floor)
        segments.append(make(KIND_DECAY, decay_start, total, curve))
        segments.append(make(KIND_HOLD, total, math.inf, Level(floor)))
        return tuple(segments)
