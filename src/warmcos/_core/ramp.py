"""A ramp of any shape between two values: up (a warm-up) or down (a decay)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import validation as check
from .curves import Ease, Level
from .schedule import PiecewiseSchedule, set_fields
from .segments import KIND_DECAY, KIND_HOLD, KIND_LEVEL, Segment, make
from .validation import Number

SHAPES = ("linear", "cosine", "sqrt", "exponential")


@dataclass(frozen=True, repr=False)
class Ramp(PiecewiseSchedule):
    r"""From `start` to `end` over `steps` with a shape, then `end` held.

    With ``p = t / steps``:

    .. math::

        v(t) = \begin{cases}
        e + (s - e)\,d(p) & t < T \\
        e & t \ge T
        \end{cases}

    where ``s = start``, ``e = end``, ``T = steps`` and ``d(p) = 1 - p`` (``"linear"``),
    ``(1 + cos(pi p)) / 2`` (``"cosine"``), ``1 - sqrt(p)`` (``"sqrt"``, the "1-sqrt" of
    Hägele et al. 2024 and transformers' WSD); ``"exponential"`` is ``s (e / s)^p``, geometric
    interpolation (both ends ``> 0``). It rises when ``end > start``.

    Args:
        start: The value at step 0 (``>= 0``).
        end: The value from `steps` on (``>= 0``).
        steps: The ramp's length (``> 0``).
        shape: ``"linear"``, ``"cosine"``, ``"sqrt"`` or ``"exponential"``.

    Example:
        >>> import warmcos
        >>> s = warmcos.ramp(1.0, 0.0, steps=4, shape="cosine")
        >>> [round(s(t), 4) for t in (0, 1, 2, 4, 9)]
        [1.0, 0.8536, 0.5, 0.0, 0.0]
    """

    name = "ramp"

    start: Number
    end: Number
    steps: Number
    shape: str = "linear"

    def __post_init__(self) -> None:
        where = "ramp()"
        set_fields(
            self,
            start=check.nonnegative(where, "start", self.start),
            end=check.nonnegative(where, "end", self.end),
            steps=check.span(where, "steps", self.steps),
            shape=check.choice(where, "shape", self.shape, SHAPES),
        )
        if self.shape == "exponential" and not (self.start > 0 and self.end > 0):
            raise check.fail(
                where,
                "start",
                'be > 0, and `end` too, with shape="exponential"',
                start=self.start,
                end=self.end,
            )

    def _segment_list(self) -> tuple[Segment, ...]:
        """The ramp, then `end` held."""
        start, end, steps = float(self.start), float(self.end), float(self.steps)
        kind = "rise" if end > start else (KIND_LEVEL if end == start else KIND_DECAY)
        ramp = make(kind, 0.0, steps, Ease(self.shape, 0.0, steps, start, end))
        return ramp, make(KIND_HOLD, steps, math.inf, Level(end))
