"""A hyperbolic-tangent decay (timm's ``TanhLRScheduler``), then the floor held."""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import validation as check
from .curves import Level
from .schedule import PiecewiseSchedule, set_fields
from .segments import KIND_DECAY, KIND_HOLD, Segment, make
from .validation import Number
from .warps import TanhDecay


@dataclass(frozen=True, repr=False)
class Tanh(PiecewiseSchedule):
    r"""From about `peak` down to about `floor` along a tanh over `steps`, then `floor` held.

    With ``p = t / T`` and ``x = l (1 - p) + u p`` (``l = lower``, ``u = upper``):

    .. math::

        v(t) = \begin{cases}
        f + (p_k - f)\,\bigl(1 - \tanh(x)\bigr) / 2 & t < T \\
        f & t \ge T
        \end{cases}

    (Hsueh et al., "Stochastic Gradient Descent with Hyperbolic-Tangent Decay", WACV 2019;
    timm's ``TanhLRScheduler``, one cycle). The curve starts a little below `peak` and ends a
    little above `floor` (with the defaults, at 0.9999992 and 0.0025 of the way from `floor`
    to `peak`), then drops to `floor` at ``T``, as timm's does. A warm-up in front is
    :func:`warmcos.warmup` (timm's ``warmup_prefix=False`` warms up to the tanh's value at the
    end of the warm-up: ``warmup(tanh(...), W, start, prefix=False)``).

    Args:
        peak: The value the tanh falls from (``>= floor``).
        steps: ``T``, where `floor` takes over (``> 0``).
        floor: The value held from ``T`` (``>= 0``).
        lower: ``l``, the tanh's argument at step 0 (timm's ``lb``).
        upper: ``u``, the tanh's argument at ``T`` (timm's ``ub``; ``> lower``).

    Example:
        >>> import warmcos
        >>> s = warmcos.tanh(peak=1.0, steps=10)
        >>> [round(s(t), 4) for t in (0, 7, 10)]
        [1.0, 0.5, 0.0]
    """

    name = "tanh"

    peak: Number
    steps: Number
    floor: Number = 0.0
    lower: Number = -7.0
    upper: Number = 3.0

    def __post_init__(self) -> None:
        where = "tanh()"
        set_fields(
            self,
            peak=check.nonnegative(where, "peak", self.peak),
            steps=check.span(where, "steps", self.steps),
            floor=check.nonnegative(where, "floor", self.floor),
            lower=check.number(where, "lower", self.lower),
            upper=check.number(where, "upper", self.upper),
        )
        check.at_most(where, "floor", self.floor, "peak", self.peak)
        check.less(where, "lower", self.lower, "upper", self.upper)

    def _segment_list(self) -> tuple[Segment, ...]:
        """The tanh, then the floor held."""
        peak, floor, steps = float(self.peak), float(self.floor), float(self.steps)
        curve = TanhDecay(0.0, steps, peak, floor, float(self.lower), float(self.upper))
        decay = make(KIND_DECAY, 0.0, steps, curve)
        return decay, make(KIND_HOLD, steps, math.inf, Level(floor))
