"""What a peer's scheduler reads as: warmcos schedules, where the peer stands, and a sampler.

Each peer library has one reader module in this package (``torch_schedulers``,
``transformers_schedules``, ``timm_schedulers``, ``keras_schedules``, ``seed``). A reader module
exposes ``read(obj) -> Reading | None``: ``None`` when ``obj`` is not one of its library's
objects (decided from ``type(obj).__module__`` and the class name, without importing the
library), a :class:`Reading` when it is, or a ``ValueError`` naming the class and the option
when it is one of its objects but cannot be converted exactly (pointing to ``warmcos.trace``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .._core.schedule import Schedule

Sampler = Callable[[np.ndarray], np.ndarray]
"""Learning rates of the peer at integer steps ``(n,)``, shape ``(groups, n)``, in float64.

A sampler never disturbs the user's objects: it steps a copy (a PyTorch scheduler on a deep copy of
its optimizer), or calls a pure function (a Keras schedule, a transformers lambda)."""


@dataclass(frozen=True)
class Reading:
    """A peer's scheduler read as warmcos schedules, before it is checked.

    Attributes:
        source: The peer's qualified class name, e.g. ``"torch.optim.lr_scheduler.OneCycleLR"``.
        schedules: One warmcos schedule per parameter group (one for a schedule without groups),
            each giving the absolute learning rate at step ``t`` (``t = 0`` is the peer's start).
        position: The step the peer stands at (PyTorch's ``last_epoch``; 0 for a pure function).
        sample: The peer's own learning rates at given steps, see :data:`Sampler`.
        horizon: The last step worth checking (the peer's planned end, or a few cycles), or
            ``None`` to let the checker choose from the schedules' segments.
        current: The peer's learning rates where it stands (one per group), checked against
            the schedules at `position`; ``None`` when the peer holds no such state.
        unreliable: Where the peer departs from its own formula by its own rounding, or
            ``None``: a function of integer steps ``(n,)`` giving a boolean mask ``(n,)``. A
            peer that finds the cycle with a floating-point logarithm (timm's and Keras'
            geometric restarts) can land one cycle early exactly at a restart, where warmcos
            gives the restart's peak; the checker leaves those steps out and says how many.
    """

    source: str
    schedules: tuple[Schedule, ...]
    position: float
    sample: Sampler
    horizon: float | None = None
    current: tuple[float, ...] | None = None
    unreliable: Callable[[np.ndarray], np.ndarray] | None = None


def geometric_start(first: float, mul: float, cycle: int) -> Fraction:
    """Where cycle `cycle` of geometric restarts starts, exactly: ``T (c^k - 1) / (c - 1)``.

    timm's and Keras' restarts (first length ``T = first``, growth ``c = mul``) find the cycle
    of a step with a floating-point logarithm; this exact start tells where they slip.
    """
    if mul == 1:
        return Fraction(first) * cycle
    ratio = Fraction(mul)
    return Fraction(first) * (ratio**cycle - 1) / (ratio - 1)
