"""Horizons: where a schedule finishes, and how many steps the trainer driving it plans.

A schedule that decays onto its final value and holds it from there has a *horizon*: the step
where the decay ends (its natural end). Training far past it runs at the floor, and a trainer
that plans another number of steps than the schedule does is the usual sign of counting epochs
where steps were meant (or the reverse). :class:`~warmcos.torch.LRScheduler` compares the two and
warns with :class:`HorizonWarning`; this module reads both sides, the schedule's through its
segments only, the trainer's from the trainer itself.

**How the trainer is found.** Neither Lightning nor transformers tells a scheduler who drives
it, and neither is imported here. At its first step after construction or a checkpoint load, the
scheduler looks at ``sys.modules``: when neither ``lightning.pytorch``, ``pytorch_lightning``
nor ``transformers.trainer`` has been imported, nothing more happens. Otherwise it walks up the
call stack (at most :data:`MAX_FRAMES` frames) for a local ``self`` or ``trainer`` that is such
a trainer, or that holds one as its ``trainer`` / ``_trainer`` attribute (Lightning's loops and
modules do), and keeps the trainer only if it really drives this scheduler (it is in Lightning's
``trainer.lr_scheduler_configs``, or it is transformers' ``trainer.lr_scheduler``, possibly
wrapped by accelerate). A trainer whose plan cannot be read is skipped: the check never stops a
run.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator, Sequence
from types import FrameType
from typing import Any, NamedTuple

from .._core.budget import MAX_RETIMED_SEGMENTS
from .._core.schedule import Schedule
from .._core.segments import KIND_DECAY, KIND_HOLD, Segment

__all__ = ["HorizonWarning", "Plan", "decay_end", "planned_steps", "same_shape"]

TOLERANCE = 0.05
"""How far (a share of the larger number) the schedule's end and the plan may differ unnoticed;
also the margin past the end a scheduler is stepped before it warns (at least one step)."""

MAX_FRAMES = 64
"""How many frames up the call stack the trainer is looked for."""

_LIGHTNING = ("lightning.pytorch", "pytorch_lightning")
_TRANSFORMERS = "transformers.trainer"


class HorizonWarning(UserWarning):
    """A schedule's end and the length of the run disagree.

    Raised (as a warning) by :class:`~warmcos.torch.LRScheduler` when it is stepped past the end
    of its schedule by more than a small margin, and when the trainer driving it (Lightning's or
    transformers') plans a clearly different number of steps. Silence it with the scheduler's
    ``check_horizon=False``, or with ``warnings.filterwarnings("ignore",
    category=HorizonWarning)``.
    """


class Plan(NamedTuple):
    """What a trainer plans: `steps` calls of the scheduler's ``step()``, read from `source`."""

    steps: float
    source: str


def decay_end(schedule: Schedule) -> float | None:
    """The step where `schedule` ends a decay onto the value it then holds, else None.

    That is the schedule's natural end when the segment just before it is a ``"decay"``
    that meets the held value: a cosine, a ``wsd``, restarts with ``max_cycles``, a linear
    decay. Schedules without such an end have no horizon to overrun: those that never settle,
    constants, a warm-up into a constant (the end is a rise), and step decays (``multistep``:
    the end is a drop, and the value held after it is meant to be kept).

    Example:
        >>> import warmcos
        >>> decay_end(warmcos.cosine(peak=1.0, steps=100, warmup=10))
        100.0
        >>> decay_end(warmcos.multistep(1.0, [30, 60], 0.1)) is None
        True
    """
    end = schedule.natural_end
    if end is None or end <= 0:
        return None
    last = schedule.segment_at(math.nextafter(end, 0.0))
    held = schedule.segment_at(end).first
    if last.kind != KIND_DECAY or last.end != end or not last.first > last.last:
        return None
    return float(end) if _close(last.last, held, abs(last.first)) else None


def same_shape(old: Schedule, new: Schedule) -> bool:
    """Whether `new` is `old` with other lengths only: the same segments, values and order.

    Both must settle. Their segments up to the natural end, as (kind, shape, first value, last
    value) with consecutive pieces of one curve merged (a re-timed schedule splits a segment
    where its budget changed), must agree, values within 1e-9 relative; the steps where the
    segments begin and end may differ. So a cosine of another length (its warm-up too) has the
    same shape; another peak, floor or number of restart cycles has not.

    Example:
        >>> import warmcos
        >>> same_shape(warmcos.cosine(peak=1.0, steps=100), warmcos.cosine(peak=1.0, steps=300))
        True
        >>> same_shape(warmcos.cosine(peak=1.0, steps=100), warmcos.cosine(peak=0.5, steps=100))
        False
    """
    mine, theirs = _outline(old), _outline(new)
    if mine is None or theirs is None or len(mine) != len(theirs):
        return False
    scale = max([abs(value) for item in mine + theirs for value in item[2:]], default=0.0)
    return all(
        a[:2] == b[:2] and all(_close(x, y, scale) for x, y in zip(a[2:], b[2:], strict=True))
        for a, b in zip(mine, theirs, strict=True)
    )


def _outline(schedule: Schedule) -> list[tuple[str, str, float, float]] | None:
    """(kind, shape, first, last) of each segment to the natural end, then the held value."""
    end = schedule.natural_end
    if end is None:
        return None
    outline: list[tuple[str, str, float, float]] = []
    for count, segment in enumerate(_until(schedule, end)):
        if count == MAX_RETIMED_SEGMENTS:
            return None
        item = (segment.kind, segment.shape, segment.first, segment.last)
        previous = outline[-1] if outline else None
        if previous and previous[:2] == item[:2] and _close(previous[3], item[2], abs(item[2])):
            outline[-1] = (item[0], item[1], previous[2], item[3])  # one curve, split in two
        else:
            outline.append(item)
    held = schedule.segment_at(end).first
    outline.append((KIND_HOLD, "constant", held, held))
    return outline


def _until(schedule: Schedule, end: float) -> Iterator[Segment]:
    if end > 0:
        yield from schedule.segments(0.0, end)


def _close(a: float, b: float, scale: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12 * scale)


def planned_steps(scheduler: object) -> Plan | None:
    """How many times the trainer driving `scheduler` will step it, if a trainer is found.

    See the module docstring for how the trainer is found. Lightning: with
    ``interval="step"``, ``trainer.estimated_stepping_batches / frequency``; with
    ``interval="epoch"``, ``max_epochs / frequency`` when ``max_steps`` is not set (else
    nothing is compared); manual optimization is not compared. transformers: the trainer's
    ``state.max_steps`` (optimizer updates, as it steps the scheduler once per update).

    Returns:
        The plan, or None when no trainer drives `scheduler` or its plan is unknown.
    """
    lightning = _classes(_LIGHTNING)
    transformers = _classes((_TRANSFORMERS,))
    if not lightning and not transformers:
        return None
    try:
        trainer = _find(sys._getframe(1), lightning + transformers)
        if trainer is None:
            return None
        if isinstance(trainer, lightning):
            return _lightning_plan(trainer, scheduler)
        return _transformers_plan(trainer, scheduler)
    except Exception:  # a best-effort check: a trainer it cannot read is skipped, never fatal
        return None


def _classes(modules: Sequence[str]) -> tuple[type, ...]:
    """The ``Trainer`` classes of the `modules` already imported (nothing is imported here)."""
    found = []
    for name in modules:
        module = sys.modules.get(name)
        trainer = getattr(module, "Trainer", None) if module is not None else None
        if isinstance(trainer, type):
            found.append(trainer)
    return tuple(found)


def _find(frame: FrameType | None, classes: tuple[type, ...]) -> Any:
    """The first trainer of `classes` up the stack from `frame`, or None."""
    for _ in range(MAX_FRAMES):
        if frame is None:
            return None
        local = frame.f_locals
        for name in ("self", "trainer"):
            candidate = local.get(name)
            if candidate is None:
                continue
            if isinstance(candidate, classes):
                return candidate
            attributes = getattr(candidate, "__dict__", None)
            if isinstance(attributes, dict):
                for attribute in ("trainer", "_trainer"):
                    inner = attributes.get(attribute)
                    if isinstance(inner, classes):
                        return inner
        frame = frame.f_back
    return None


def _lightning_plan(trainer: Any, scheduler: object) -> Plan | None:
    configs = [c for c in trainer.lr_scheduler_configs if c.scheduler is scheduler]
    if not configs or not trainer.lightning_module.automatic_optimization:
        return None
    interval, frequency = configs[0].interval, configs[0].frequency
    if interval == "step":
        batches = float(trainer.estimated_stepping_batches)
        if not 0 < batches < math.inf:
            return None
        source = "Lightning Trainer: estimated_stepping_batches"
        if frequency != 1:
            source += f" / frequency ({batches:g} / {frequency})"
        else:
            source += f" ({batches:g})"
        return Plan(batches / frequency, source + ', interval="step"')
    epochs = trainer.max_epochs
    if interval != "epoch" or trainer.max_steps not in (None, -1) or not epochs or epochs < 0:
        return None
    source = f'Lightning Trainer: max_epochs ({epochs}), interval="epoch"'
    if frequency != 1:
        source += f", frequency {frequency}"
    return Plan(epochs / frequency, source)


def _transformers_plan(trainer: Any, scheduler: object) -> Plan | None:
    driven = trainer.lr_scheduler
    if driven is not scheduler and getattr(driven, "scheduler", None) is not scheduler:
        return None
    steps = trainer.state.max_steps
    if not isinstance(steps, int) or steps <= 0:
        return None
    return Plan(float(steps), f"transformers Trainer: state.max_steps ({steps})")
