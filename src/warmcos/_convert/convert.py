"""Convert a peer's scheduler to warmcos: find its reader, then check the reading, not trust it.

:func:`conversion` asks each reader module in turn (:data:`READERS`, imported only when asked,
so ``import warmcos`` imports no framework) whether the object is one of its library's. The
first that recognises it returns a :class:`~warmcos._convert.reading.Reading`; the reading is
then checked against the peer itself: the peer's own learning rates at chosen whole steps
(every step of the start, each segment boundary and its neighbours, spread steps up to the
end, and the step the peer stands at) must agree with the warmcos schedules within
:data:`TOLERANCE`, or the conversion is refused with the largest difference found.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice

import numpy as np

from .._core.schedule import Schedule
from .reading import Reading

READERS = (
    "seed",
    "transformers_schedules",
    "torch_schedulers",
    "timm_schedulers",
    "keras_schedules",
)
"""The reader modules of this package, in the order they are asked (the seed's class and
transformers' ``LambdaLR`` are PyTorch schedulers too, so they come first)."""

TOLERANCE = 1e-12
"""The largest relative difference accepted between the peer and its conversion."""

FLOOR = 0.05
"""Values below this fraction of the largest value are compared relative to that fraction
instead: below 5% of the peak the tolerance is ``5e-14`` of the peak, absolute (a curve ending
at 0 may end at 1e-17 in the peer's arithmetic, and a steep cosine near its floor turns a few
units in the last place of its phase into more of its value)."""

MAX_CHECKED_STEPS = 5_000
"""The most steps one check compares."""

DENSE_STEPS = 1_000
"""Every step up to this one is compared."""

MAX_HORIZON = 100_000
"""The last step a check reaches: a stepped peer is stepped up to it, one step at a time."""

SPREAD = 500
"""How many steps spread evenly up to the horizon are compared."""

_SEGMENTS = 2_000
"""The most segments per schedule whose boundaries are compared."""


@dataclass(frozen=True)
class Conversion:
    """A peer's scheduler converted to warmcos schedules, and how well they were checked.

    Attributes:
        source: The peer's qualified class name, e.g. ``"torch.optim.lr_scheduler.OneCycleLR"``.
        schedules: One warmcos schedule per parameter group (one for a peer without groups),
            each giving the absolute learning rate at step ``t`` from the peer's step 0.
        position: The step the peer stands at (PyTorch's ``last_epoch``; 0 for a pure
            function): a stepped scheduler converts to its whole curve, and says where it is.
        max_difference: The largest relative difference found between the peer and the
            schedules over the checked steps (at most :data:`TOLERANCE`).
        checked_steps: How many whole steps were compared.
        skipped_steps: How many chosen steps were left out because the peer departs from its
            own formula there by its own rounding (a restart a floating-point logarithm or
            ``%`` misses, documented by its reader); 0 for most peers.
    """

    source: str
    schedules: tuple[Schedule, ...]
    position: float
    max_difference: float
    checked_steps: int
    skipped_steps: int = 0

    @property
    def schedule(self) -> Schedule:
        """The schedule, when every group has the same one.

        Raises:
            ValueError: The groups' learning rates differ (PyTorch groups with different
                base learning rates do, even when their curves have the same shape); use
                :attr:`schedules`.
        """
        first = self.schedules[0]
        if any(other != first for other in self.schedules[1:]):
            raise ValueError(
                f"conversion(): the {len(self.schedules)} param groups of {self.source} have "
                "different learning rates; use `.schedules` (one schedule per group)"
            )
        return first


def conversion(obj: object) -> Conversion:
    """Convert a peer's scheduler to warmcos, check it against the peer, say where it stands.

    Reads PyTorch schedulers (``StepLR``, ``MultiStepLR``, ``ConstantLR``, ``LinearLR``,
    ``ExponentialLR``, ``PolynomialLR``, ``CosineAnnealingLR``, ``CosineAnnealingWarmRestarts``,
    ``OneCycleLR``, ``CyclicLR``, ``SequentialLR``, ``ChainedScheduler``), transformers'
    schedules (``get_scheduler`` and ``get_*_schedule_with_warmup``), the seed's
    ``CosineAnnealingWarmupRestarts`` (the tutorial's class and warmcos' drop-in), and timm's and
    Keras' schedules where their readers are installed. The peer is sampled in a copy (the
    user's optimizer and scheduler are not touched) at up to :data:`MAX_CHECKED_STEPS` whole
    steps up to its end (at most :data:`MAX_HORIZON`): every step up to
    :data:`DENSE_STEPS`, every segment boundary and its neighbours, spread steps, its end and
    its current position.

    Args:
        obj: The peer's scheduler or schedule (a warmcos schedule converts to itself).

    Returns:
        The :class:`Conversion`.

    Raises:
        ValueError: `obj` is a known kind of object but not exactly expressible (the message
            names the class and the option, and points to :func:`warmcos.trace`), or its
            conversion differs from it by more than :data:`TOLERANCE` (relative) somewhere.
        TypeError: No reader recognises `obj`.

    Example:
        >>> import torch, warmcos
        >>> optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        >>> scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.5)
        >>> warmcos.conversion(scheduler).schedule
        step(value=0.1, step_size=30, gamma=0.5)
    """
    if isinstance(obj, Schedule):
        return Conversion("warmcos", (obj,), 0.0, 0.0, 0)
    reading = read(obj)
    if reading is None:
        raise TypeError(
            f"convert(): no reader for objects of type {_type_name(obj)}. warmcos converts "
            "PyTorch, transformers, timm and Keras schedules and the seed's "
            "CosineAnnealingWarmupRestarts; `warmcos.trace(obj, steps)` records any object "
            "that has learning rates"
        )
    return checked(reading)


def checked(reading: Reading) -> Conversion:
    """The :class:`Conversion` of a reading, once :func:`check` has compared it with its peer.

    For readings made without an object (a Keras config, a saved ``.keras`` model).
    """
    difference, count, skipped = check(reading)
    return Conversion(
        reading.source, reading.schedules, reading.position, difference, count, skipped
    )


def convert(obj: object) -> Schedule | list[Schedule]:
    """The warmcos schedule that gives the same learning rates as a peer's scheduler.

    :func:`conversion` does the work and the checks; this returns its schedule, or, when the
    peer's param groups have different learning rates, the list of one schedule per group.

    Args:
        obj: The peer's scheduler or schedule (see :func:`conversion` for what is read).

    Returns:
        A :class:`~warmcos.Schedule`, or a list of them, one per param group, when they differ.

    Raises:
        ValueError: Not exactly expressible, or off by more than 1e-12 (relative) somewhere.
        TypeError: No reader recognises `obj`.

    Example:
        >>> import torch, warmcos
        >>> optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        >>> warmcos.convert(torch.optim.lr_scheduler.OneCycleLR(optimizer, 0.1, total_steps=100))
        one_cycle(peak=0.1, steps=100)
    """
    result = conversion(obj)
    first = result.schedules[0]
    if any(other != first for other in result.schedules[1:]):
        return list(result.schedules)
    return first


def read(obj: object) -> Reading | None:
    """The first reading of `obj` by a reader module, or None when none recognises it."""
    for name in READERS:
        try:
            module = importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError as error:
            if error.name == f"{__package__}.{name}":
                continue  # a reader not installed (yet)
            raise
        reading: Reading | None = module.read(obj)
        if reading is not None:
            return reading
    return None


def check(reading: Reading) -> tuple[float, int, int]:
    """Compare a reading with its peer.

    Returns:
        The largest relative difference, the number of steps compared and the number left out
        (where the reading says the peer is unreliable).

    Raises:
        ValueError: A difference above :data:`TOLERANCE`, or where the peer stands.
    """
    steps = checked_steps(reading)
    skipped = 0
    if reading.unreliable is not None:
        keep = ~np.asarray(reading.unreliable(steps), dtype=bool)
        skipped = int(steps.size - np.count_nonzero(keep))
        steps = steps[keep]
    if not steps.size:
        raise ValueError(f"convert(): no step of {reading.source} could be checked")
    peer = np.asarray(reading.sample(steps), dtype=np.float64)
    groups = len(reading.schedules)
    if peer.shape != (groups, steps.size):
        raise ValueError(
            f"convert(): the sampler of {reading.source} returned shape {peer.shape}, "
            f"expected {(groups, steps.size)}"
        )
    ours = np.stack([schedule(steps.astype(np.float64)) for schedule in reading.schedules])
    worst, where = _worst(peer, ours)
    if worst > TOLERANCE:
        group, index = where
        _refuse(reading, worst, group, int(steps[index]), peer[where], ours[where])
    within = reading.horizon is None or reading.position <= reading.horizon
    if reading.current is not None and within:
        position = reading.position
        here = np.asarray(reading.current, dtype=np.float64)[:, None]
        theirs = np.asarray([[s(position)] for s in reading.schedules], dtype=np.float64)
        scale = np.maximum(
            np.abs(peer).max(axis=1, keepdims=True), np.abs(ours).max(axis=1, keepdims=True)
        )
        off, (group, _) = _worst(here, theirs, scale)
        if off > TOLERANCE:
            raise ValueError(
                f"convert(): {_short_source(reading)} stands at step {_step(position)} with "
                f"learning rate {float(here[group, 0])!r} in param group {group}, but its "
                f"curve from step 0 gives {float(theirs[group, 0])!r} there (relative "
                f"difference {off:.3g}): it was not reached by step() alone (a jump with "
                "step(epoch), a learning rate set by hand, a changed setting). "
                "`warmcos.trace(obj, steps)` records what it does from here"
            )
        worst = max(worst, off)
    return worst, int(steps.size), skipped


def checked_steps(reading: Reading) -> np.ndarray:
    """The whole steps a check compares, sorted (see :func:`conversion`)."""
    position = reading.position
    if reading.horizon is None:
        top = math.floor(min(_default_horizon(reading.schedules), MAX_HORIZON))
        if position < MAX_HORIZON:
            top = max(top, math.floor(position) + 1)  # the peer's own steps around where it is
    else:
        top = math.floor(min(max(reading.horizon, 0.0), MAX_HORIZON))
    wanted: list[int] = list(range(min(top, DENSE_STEPS) + 1))
    wanted += [top, top - 1, math.floor(position), math.floor(position) + 1]
    for schedule in reading.schedules:
        for segment in islice(schedule.segments(0, top + 1), _SEGMENTS):
            for bound in (segment.start, segment.end):
                if math.isfinite(bound):
                    low = math.floor(bound)
                    wanted += [low - 1, low, low + 1, low + 2]
    wanted += np.linspace(0, top, SPREAD).astype(np.int64).tolist()
    chosen: dict[int, None] = {}
    for step in wanted:
        if 0 <= step <= top:
            chosen.setdefault(step, None)
            if len(chosen) == MAX_CHECKED_STEPS:
                break
    return np.asarray(sorted(chosen), dtype=np.int64)


def _default_horizon(schedules: Sequence[Schedule]) -> float:
    """A bit past the natural end, or the end of a few restart cycles or 64 segments."""
    horizon = 0.0
    for schedule in schedules:
        end = schedule.natural_end
        if end is not None:
            horizon = max(horizon, math.ceil(end * 1.1) + 2)
            continue
        reach = float(DENSE_STEPS)
        for segment in islice(schedule.segments(), 64):
            if (segment.cycle is not None and segment.cycle >= 4) or math.isinf(segment.end):
                break
            reach = max(reach, segment.end)
        horizon = max(horizon, reach)
    return horizon


def _worst(
    peer: np.ndarray, ours: np.ndarray, scale: np.ndarray | None = None
) -> tuple[float, tuple[int, int]]:
    """The largest relative difference and where it is (group, index)."""
    if scale is None:
        scale = np.maximum(
            np.abs(peer).max(axis=1, keepdims=True), np.abs(ours).max(axis=1, keepdims=True)
        )
    floor = np.maximum(FLOOR * scale, 1e-300)
    with np.errstate(invalid="ignore", over="ignore"):
        relative = np.abs(peer - ours) / np.maximum(np.maximum(np.abs(peer), np.abs(ours)), floor)
    relative = np.where(np.isnan(relative), np.inf, relative)
    relative = np.where(peer == ours, 0.0, relative)  # inf == inf is no difference
    flat = int(np.argmax(relative))
    where = np.unravel_index(flat, relative.shape)
    return float(relative[where]), (int(where[0]), int(where[1]))


def _refuse(
    reading: Reading, worst: float, group: int, step: int, peer: float, ours: float
) -> None:
    in_group = f" in param group {group}" if len(reading.schedules) > 1 else ""
    raise ValueError(
        f"convert(): the warmcos schedule for {_short_source(reading)} differs from it by "
        f"{worst:.3g} (relative) at step {step}{in_group}: peer {float(peer)!r}, warmcos "
        f"{float(ours)!r} ({reading.schedules[group]!r}). `warmcos.trace(obj, steps)` records "
        "the peer's own values"
    )


def _short_source(reading: Reading) -> str:
    return reading.source.rsplit(".", 1)[-1]


def _step(value: float) -> str:
    return str(int(value)) if value == math.floor(value) else repr(value)


def _type_name(obj: object) -> str:
    kind = type(obj)
    return f"{kind.__module__}.{kind.__qualname__}"
