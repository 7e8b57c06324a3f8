"""What a schedule does where: its phases, cycles, natural end and a default horizon.

The core evaluates schedules but does not describe them, so this module reads the public fields
of the schedule classes (and :meth:`~warmcos.CosineRestarts.cycle_start`) and lists the phases:
stretches of steps ``[start, end)`` over which one formula applies. The value is monotone within
a phase (each phase is a ramp, half a cosine, a decay or a constant), which is what
:func:`first_below` relies on to find the first step below a threshold by bisection.

Example:
    >>> import warmcos
    >>> from warmcos._phases import phases, summarize
    >>> s = warmcos.cosine(peak=1.0, steps=100, warmup=10)
    >>> for p in phases(s):
    ...     print(p.kind, p.start, p.end, p.first, p.last)
    warm-up 0.0 10.0 0.0 1.0
    cosine 10.0 100.0 1.0 0.0
    hold 100.0 inf 0.0 0.0
    >>> summarize(s).below  # the first step under 10% of the peak
    82
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import islice

from . import (
    WSD,
    Constant,
    Cosine,
    CosineRestarts,
    Exponential,
    Join,
    Linear,
    MultiStep,
    Schedule,
    Step,
)

WARMUP = "warm-up"
"""The kind of a linear ramp up to the peak (also a rising ``linear`` schedule)."""

MAX_PHASES = 10_000
"""Summaries list at most this many phases (a step schedule over 10**9 steps has 10**9)."""

RESTART_CYCLES = 3
"""The default horizon of restarts without ``max_cycles``: this many cycles."""

MARGIN = 0.1
"""The default horizon runs this fraction past a natural end, so the held value shows."""

FALLBACK_HORIZON = 100.0
"""The default horizon of a schedule that is constant from the start."""


@dataclass(frozen=True)
class Phase:
    """One stretch ``[start, end)`` of a schedule with a single formula.

    Attributes:
        kind: What the phase does: ``"warm-up"``, ``"cosine"``, ``"stable"``,
            ``"decay (linear)"`` (or ``cosine``/``sqrt``), ``"linear"``, ``"level"``,
            ``"exponential"``, ``"constant"`` or ``"hold"`` (the value held after the end).
        start: The first step of the phase (a new phase takes effect at its boundary).
        end: The step where the next phase starts; ``math.inf`` for the last one.
        first: The value at `start`.
        last: The value approached at `end` (for ``end = inf``, the value held or the limit).
        cycle: The restart cycle (0-based) of a ``cosine_restarts`` phase, else None.
        piece: The index of the ``join`` piece the phase comes from, else None.
        monotone: Whether the value is monotone over the phase (False only for schedule types
            this module does not know).
    """

    kind: str
    start: float
    end: float
    first: float
    last: float
    cycle: int | None = None
    piece: int | None = None
    monotone: bool = True

    @property
    def low(self) -> float:
        """The smallest value over the phase (as a limit at `end` for a falling phase)."""
        return min(self.first, self.last)

    @property
    def high(self) -> float:
        """The largest value over the phase (as a limit at `end` for a rising phase)."""
        return max(self.first, self.last)


@dataclass(frozen=True)
class Cycle:
    """One cycle of a restart schedule.

    Attributes:
        index: The cycle number (0-based) within its ``cosine_restarts``.
        piece: The ``join`` piece holding the restarts, or None.
        start: The step the cycle starts at (its restart).
        end: The step the next cycle starts at.
        peak: The cycle's peak.
        floor: The value the cycle's cosine ends at.
    """

    index: int
    piece: int | None
    start: float
    end: float
    peak: float
    floor: float


@dataclass(frozen=True)
class Summary:
    """A schedule's phases and landmarks over ``[0, horizon]``.

    Attributes:
        horizon: The last step considered.
        phases: The phases starting before `horizon` (at most :data:`MAX_PHASES`), unclipped.
        truncated: True when more phases start before `horizon` than are listed.
        cycles: The restart cycles starting before `horizon`.
        peak: The largest value over ``[0, horizon]``.
        peak_step: The first step at which `peak` is reached.
        floor: The smallest value from the peak to `horizon` (possibly only approached, as the
            end of a restart cycle's cosine).
        floor_step: The first step at which `floor` is reached or approached.
        fraction: The threshold of `below`, as a fraction of `peak`.
        below: The first whole step after the peak where the value is below
            ``fraction * peak``, or None when it stays above up to `horizon`.
        end: The natural end (see :func:`natural_end`).
    """

    horizon: float
    phases: tuple[Phase, ...]
    truncated: bool
    cycles: tuple[Cycle, ...]
    peak: float
    peak_step: float
    floor: float
    floor_step: float
    fraction: float
    below: int | None
    end: float | None


def phases(schedule: Schedule) -> Iterator[Phase]:
    """The phases of `schedule`, in order from step 0.

    Endless for schedules that never settle (``step``, restarts without ``max_cycles``); take
    what you need with :func:`itertools.islice` or stop at a horizon.

    Args:
        schedule: Any warmcos schedule.

    Yields:
        Each :class:`Phase`; consecutive phases meet (``next.start == previous.end``).

    Example:
        >>> import warmcos
        >>> s = warmcos.multistep(1.0, milestones=[10, 20], gamma=0.5)
        >>> [(p.kind, p.start, p.end, p.first) for p in phases(s)]
        [('level', 0.0, 10.0, 1.0), ('level', 10.0, 20.0, 0.5), ('hold', 20.0, inf, 0.25)]
    """
    if isinstance(schedule, Cosine):
        yield from _cosine_phases(schedule)
    elif isinstance(schedule, WSD):
        yield from _wsd_phases(schedule)
    elif isinstance(schedule, CosineRestarts):
        yield from _restart_phases(schedule)
    elif isinstance(schedule, Linear):
        start, end, steps = float(schedule.start), float(schedule.end), float(schedule.steps)
        yield Phase(WARMUP if end > start else "linear", 0.0, steps, start, end)
        yield Phase("hold", steps, math.inf, end, end)
    elif isinstance(schedule, Constant):
        value = float(schedule.value)
        yield Phase("constant", 0.0, math.inf, value, value)
    elif isinstance(schedule, Step):
        yield from _step_phases(schedule)
    elif isinstance(schedule, MultiStep):
        yield from _multistep_phases(schedule)
    elif isinstance(schedule, Exponential):
        value, gamma = float(schedule.value), float(schedule.gamma)
        if gamma == 1 or value == 0:
            yield Phase("constant", 0.0, math.inf, value, value)
        else:
            yield Phase("exponential", 0.0, math.inf, value, 0.0)
    elif isinstance(schedule, Join):
        yield from _join_phases(schedule)
    else:
        # A schedule type added after this module: one phase, nothing assumed about its shape.
        value = schedule(0)
        yield Phase("curve", 0.0, math.inf, value, value, monotone=False)


def _cosine_phases(s: Cosine) -> Iterator[Phase]:
    peak, floor, steps = float(s.peak), float(s.floor), float(s.steps)
    warmup = s.warmup_steps
    if warmup > 0:
        yield Phase(WARMUP, 0.0, warmup, float(s.warmup_start), peak)
    yield Phase("cosine", warmup, steps, peak, floor)
    yield Phase("hold", steps, math.inf, floor, floor)


def _wsd_phases(s: WSD) -> Iterator[Phase]:
    peak, floor, steps = float(s.peak), float(s.floor), float(s.steps)
    warmup, decay_start = s.warmup_steps, steps - s.decay_steps
    if warmup > 0:
        yield Phase(WARMUP, 0.0, warmup, float(s.warmup_start), peak)
    if decay_start > warmup:
        yield Phase("stable", warmup, decay_start, peak, peak)
    yield Phase(f"decay ({s.shape})", decay_start, steps, peak, floor)
    yield Phase("hold", steps, math.inf, floor, floor)


def _restart_phases(s: CosineRestarts) -> Iterator[Phase]:
    cycle = 0
    while s.max_cycles is None or cycle < s.max_cycles:
        start, end = s.cycle_start(cycle), s.cycle_start(cycle + 1)
        warmup = s.cycle_warmup(cycle)
        peak, floor = s.cycle_peak_and_floor(cycle)
        if warmup > 0:
            ramp_from = floor if s.warmup_start is None else float(s.warmup_start)
            yield Phase(WARMUP, start, start + warmup, ramp_from, peak, cycle=cycle)
        yield Phase("cosine", start + warmup, end, peak, floor, cycle=cycle)
        if math.isinf(end):  # cycles past 2**62 steps: nothing more to list
            return
        cycle += 1
    _, last_floor = s.cycle_peak_and_floor(cycle - 1)
    yield Phase("hold", s.cycle_start(cycle), math.inf, last_floor, last_floor)


def _drops(gamma: float) -> int:
    """How many drops of `gamma` take a value below 1% of itself (between 3 and 20)."""
    return min(20, max(3, math.ceil(math.log(0.01) / math.log(gamma))))


def _step_phases(s: Step) -> Iterator[Phase]:
    value, size, gamma = float(s.value), float(s.step_size), float(s.gamma)
    if gamma == 1 or value == 0:
        yield Phase("constant", 0.0, math.inf, value, value)
        return
    drop = 0
    while True:
        level = value * gamma ** float(drop)
        yield Phase("level", drop * size, (drop + 1) * size, level, level)
        drop += 1


def _multistep_phases(s: MultiStep) -> Iterator[Phase]:
    value, gamma = float(s.value), float(s.gamma)
    starts = [0.0, *(float(m) for m in s.milestones)]
    ends = [*starts[1:], math.inf]
    for drop, (start, end) in enumerate(zip(starts, ends, strict=True)):
        level = value * gamma ** float(drop)
        yield Phase("hold" if math.isinf(end) else "level", start, end, level, level)


def _join_phases(s: Join) -> Iterator[Phase]:
    starts = [0.0, *(float(b) for b in s.boundaries)]
    ends = [*starts[1:], math.inf]
    for index, (piece, start, end) in enumerate(zip(s.schedules, starts, ends, strict=True)):
        offset = start if s.local_steps else 0.0
        for phase in phases(piece):
            lo, hi = max(phase.start + offset, start), min(phase.end + offset, end)
            if lo >= end:
                break
            if lo >= hi:
                continue
            # Cut at a boundary inside the phase: the phase's formula still holds there.
            first = phase.first if lo == phase.start + offset else piece(lo - offset)
            last = phase.last if hi == phase.end + offset else piece(hi - offset)
            yield replace(phase, start=lo, end=hi, first=first, last=last, piece=index)


def natural_end(schedule: Schedule) -> float | None:
    """The step from which the value never changes again, or None when it keeps changing.

    ``steps`` for cosine, wsd and linear; the last milestone for multistep; the end of the last
    cycle for restarts with ``max_cycles``; 0 for a constant.

    Example:
        >>> import warmcos
        >>> natural_end(warmcos.cosine_restarts(peak=1.0, first_cycle=10, max_cycles=3))
        30.0
        >>> natural_end(warmcos.exponential(1.0, gamma=0.99)) is None
        True
    """
    if isinstance(schedule, (Cosine, WSD, Linear)):
        return float(schedule.steps)
    if isinstance(schedule, MultiStep):
        return float(schedule.milestones[-1]) if schedule.milestones else 0.0
    if isinstance(schedule, (Step, Exponential)):
        constant = schedule.gamma == 1 or schedule.value == 0
        return 0.0 if constant else None
    if isinstance(schedule, Constant):
        return 0.0
    if isinstance(schedule, CosineRestarts):
        return None if schedule.max_cycles is None else schedule.cycle_start(schedule.max_cycles)
    if isinstance(schedule, Join):
        boundary = float(schedule.boundaries[-1]) if schedule.boundaries else 0.0
        last = natural_end(schedule.schedules[-1])
        if last is None:
            return None
        return boundary + last if schedule.local_steps else max(boundary, last)
    return None


def _extent(schedule: Schedule) -> tuple[float, bool]:
    """The steps worth showing, and whether the value holds from there on (so add a margin)."""
    if isinstance(schedule, (Cosine, WSD, Linear)):
        return float(schedule.steps), True
    if isinstance(schedule, MultiStep):
        marks = [0.0, *(float(m) for m in schedule.milestones)]
        # One more level's worth of steps (at least 10%), so the last drop is clearly visible.
        return marks[-1] + max(marks[-1] - marks[-2], MARGIN * marks[-1]), False
    if isinstance(schedule, Step):
        if schedule.gamma == 1 or schedule.value == 0:
            return 0.0, True
        return (_drops(float(schedule.gamma)) + 1) * float(schedule.step_size), False
    if isinstance(schedule, Exponential):
        if schedule.gamma == 1 or schedule.value == 0:
            return 0.0, True
        # Down to 1% of the start.
        return float(math.ceil(math.log(0.01) / math.log(float(schedule.gamma)))), False
    if isinstance(schedule, CosineRestarts):
        if schedule.max_cycles is not None:
            return schedule.cycle_start(schedule.max_cycles), True
        for cycles in range(RESTART_CYCLES, 0, -1):
            end = schedule.cycle_start(cycles)
            if math.isfinite(end):
                return end, False
    if isinstance(schedule, Join):
        boundary = float(schedule.boundaries[-1]) if schedule.boundaries else 0.0
        length, holds = _extent(schedule.schedules[-1])
        if schedule.local_steps:
            return boundary + length, holds
        if length > boundary:
            return length, holds
        return boundary, True
    return 0.0, True


def default_horizon(schedule: Schedule) -> float:
    """The steps a plot or table shows by default: a bit past the natural end.

    The natural end (:func:`natural_end`) plus 10% when the value holds from there; three
    cycles for restarts without ``max_cycles``; for multistep one more level after the last
    milestone; for step and exponential decay, until the value is below 1% of its start (for
    step decay, 3 to 20 drops). Rounded up to a whole step.

    Example:
        >>> import warmcos
        >>> default_horizon(warmcos.cosine(peak=3e-4, steps=10_000, warmup=500))
        11000.0
        >>> default_horizon(warmcos.cosine_restarts(peak=0.1, first_cycle=100, cycle_mult=2.0))
        700.0
    """
    length, holds = run_length(schedule), _extent(schedule)[1]
    if length <= 0:
        return FALLBACK_HORIZON
    total = length + MARGIN * length if holds else length
    return float(math.ceil(total * (1 - 1e-12)))  # 100 * 1.1 rounds up to 110.00000000000001


def run_length(schedule: Schedule) -> float:
    """The length of the run the schedule describes, without the margin of the horizon.

    Used to convert steps to epochs when a run is said to last so many epochs.

    Example:
        >>> import warmcos
        >>> run_length(warmcos.cosine(peak=3e-4, steps=10_000, warmup=500))
        10000.0
    """
    return _extent(schedule)[0]


def first_below(
    schedule: Schedule, threshold: float, after: float, horizon: float, listed: Sequence[Phase]
) -> int | None:
    """The first whole step ``t >= after``, ``t <= horizon``, with ``schedule(t) < threshold``.

    Args:
        schedule: The schedule.
        threshold: The value to fall below.
        after: Where to start looking (the peak's step).
        horizon: The last step to look at.
        listed: The phases of `schedule` in order (from :func:`phases`), covering the horizon.

    Returns:
        The step, or None when the value stays at or above `threshold`.
    """
    for phase in listed:
        lo = math.ceil(max(phase.start, after))
        hi = min(math.ceil(phase.end) - 1, math.floor(horizon)) if phase.end < math.inf else None
        hi = math.floor(horizon) if hi is None else hi
        if lo > hi:
            continue
        if not phase.monotone:
            found = _scan(schedule, threshold, lo, hi)
            if found is not None:
                return found
        elif phase.first > phase.last:
            if schedule(hi) < threshold:
                # Falling: bisect for the first step below.
                while lo < hi:
                    middle = (lo + hi) // 2
                    if schedule(middle) < threshold:
                        hi = middle
                    else:
                        lo = middle + 1
                return lo
        elif schedule(lo) < threshold:
            return lo
    return None


def _scan(schedule: Schedule, threshold: float, lo: int, hi: int) -> int | None:
    """Linear search in chunks, for phases of unknown shape."""
    import numpy as np

    chunk = 1 << 16
    for begin in range(lo, hi + 1, chunk):
        steps = np.arange(begin, min(begin + chunk, hi + 1))
        hits = np.flatnonzero(schedule(steps) < threshold)
        if hits.size:
            return int(steps[hits[0]])
    return None


def summarize(schedule: Schedule, horizon: float | None = None, fraction: float = 0.1) -> Summary:
    """The phases, cycles, peak, floor after the peak and the first step below `fraction` of it.

    Args:
        schedule: Any warmcos schedule.
        horizon: The last step considered; default :func:`default_horizon`.
        fraction: The threshold for :attr:`Summary.below`, as a fraction of the peak.

    Returns:
        The :class:`Summary`.

    Example:
        >>> import warmcos
        >>> s = warmcos.cosine_restarts(peak=1.0, first_cycle=100, gamma=0.5, max_cycles=2)
        >>> summary = summarize(s)
        >>> [(c.index, c.start, c.end, c.peak, c.floor) for c in summary.cycles]
        [(0, 0.0, 100.0, 1.0, 0.0), (1, 100.0, 200.0, 0.5, 0.0)]
        >>> summary.peak, summary.peak_step, summary.below, summary.end
        (1.0, 0.0, 80, 200.0)
    """
    if horizon is None:
        horizon = default_horizon(schedule)
    listed: list[Phase] = []
    truncated = False
    for phase in islice(phases(schedule), MAX_PHASES + 1):
        if phase.start >= horizon and listed:
            break
        if len(listed) == MAX_PHASES:
            truncated = True
            break
        listed.append(phase)

    # The values over each phase, cut at the horizon.
    spans = []
    for phase in listed:
        first, last, end = phase.first, phase.last, phase.end
        if not phase.monotone:
            first = last = schedule(phase.start)
        if end > horizon:
            last, end = schedule(horizon), horizon
        spans.append((phase.start, end, first, last))
    peak, peak_step = -math.inf, 0.0
    for start, end, first, last in spans:
        if max(first, last) > peak:
            peak, peak_step = max(first, last), start if first >= last else end
    floor, floor_step = peak, peak_step
    for start, end, first, last in spans:
        if end > peak_step and min(first, last) < floor:
            floor, floor_step = min(first, last), start if first <= last else end

    below = first_below(schedule, fraction * peak, peak_step, horizon, listed)
    return Summary(
        horizon=horizon,
        phases=tuple(listed),
        truncated=truncated,
        cycles=tuple(_cycles(listed)),
        peak=peak,
        peak_step=peak_step,
        floor=floor,
        floor_step=floor_step,
        fraction=fraction,
        below=below,
        end=natural_end(schedule),
    )


def _cycles(listed: Sequence[Phase]) -> Iterator[Cycle]:
    current: Cycle | None = None
    for phase in listed:
        if phase.cycle is None:
            continue
        if current is not None and (current.index, current.piece) == (phase.cycle, phase.piece):
            # The cycle's floor is where its cosine ends, not a lower warm-up start.
            current = replace(
                current, end=phase.end, peak=max(current.peak, phase.high), floor=phase.last
            )
            continue
        if current is not None:
            yield current
        current = Cycle(phase.cycle, phase.piece, phase.start, phase.end, phase.high, phase.last)
    if current is not None:
        yield current


def restarts(listed: Sequence[Phase]) -> list[float]:
    """The steps where a restart cycle after the first begins (where the value jumps back up)."""
    return [c.start for c in _cycles(listed) if c.index > 0]
