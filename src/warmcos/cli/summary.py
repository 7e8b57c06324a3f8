"""What ``warmcos show`` reports about a schedule, read from the schedule's own segments.

Nothing here knows a schedule class: the cycles, peak, floor, first step below a threshold and
default horizon all come from :meth:`warmcos.Schedule.segments` and
:attr:`warmcos.Schedule.natural_end`, so a new schedule type is summarised, charted and
plotted without a change here. Each segment's curve is monotone, which is what
:func:`first_below` relies on to find the first step below a threshold by bisection.

Example:
    >>> import warmcos
    >>> from warmcos.cli.summary import summarize
    >>> summary = summarize(warmcos.cosine(peak=1.0, steps=100, warmup=10))
    >>> [(s.kind, s.start, s.end) for s in summary.segments]
    [('warm-up', 0.0, 10.0), ('decay', 10.0, 100.0), ('hold', 100.0, inf)]
    >>> summary.below  # the first step under 10% of the peak
    82
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import islice

import numpy as np

from .. import Schedule, Segment

MAX_SEGMENTS = 10_000
"""Summaries, charts and plots look at most this many segments (a step decay has endless)."""

RESTART_CYCLES = 3
"""The default horizon of a schedule that restarts forever: this many cycles."""

MAX_LEVELS = 21
"""The default horizon of endless drops: at most this many levels (at least 4) ..."""

VISIBLE = 0.01
"""... until the value is below this fraction of its peak (also for an endless decay)."""

MARGIN = 0.1
"""The default horizon runs this fraction past a natural end, so the held value shows."""

FALLBACK_HORIZON = 100.0
"""The default horizon of a schedule that is constant from the start."""


@dataclass(frozen=True)
class Cycle:
    """One restart cycle.

    Attributes:
        index: The cycle number (0-based) within its restart schedule.
        piece: The ``join`` piece holding the restarts, or None.
        start: The step the cycle starts at (its restart).
        end: The step the next cycle starts at.
        peak: The cycle's peak: where its decay starts.
        floor: Where the cycle's decay ends.
    """

    index: int
    piece: int | None
    start: float
    end: float
    peak: float
    floor: float


@dataclass(frozen=True)
class Summary:
    """A schedule's segments and landmarks over ``[0, horizon]``.

    Attributes:
        horizon: The last step considered.
        segments: The segments starting before `horizon` (at most :data:`MAX_SEGMENTS`).
        truncated: True when more segments start before `horizon` than are listed.
        cycles: The restart cycles starting before `horizon`.
        peak: The largest value over ``[0, horizon]``.
        peak_step: The first step at which `peak` is reached.
        floor: The smallest value from the peak to `horizon` (possibly only approached, as the
            end of a restart cycle's cosine).
        floor_step: The first step at which `floor` is reached or approached.
        fraction: The threshold of `below`, as a fraction of `peak`.
        below: The first whole step after the peak where the value is below
            ``fraction * peak``, or None when it stays above up to `horizon`.
        end: The natural end (:attr:`warmcos.Schedule.natural_end`).
    """

    horizon: float
    segments: tuple[Segment, ...]
    truncated: bool
    cycles: tuple[Cycle, ...]
    peak: float
    peak_step: float
    floor: float
    floor_step: float
    fraction: float
    below: int | None
    end: float | None


def run_length(schedule: Schedule) -> float:
    """The length of the run the schedule describes, without the margin of the horizon.

    The natural end; for a schedule that never settles, :data:`RESTART_CYCLES` restart cycles,
    or drops until the value is below :data:`VISIBLE` of its peak (at least 4 and at most
    :data:`MAX_LEVELS` levels), or an endless decay down to that fraction of its range.
    Used to convert steps to epochs when a run is said to last so many epochs.

    Example:
        >>> import warmcos
        >>> run_length(warmcos.cosine(peak=3e-4, steps=10_000, warmup=500))
        10000.0
        >>> run_length(warmcos.step(1.0, step_size=10, gamma=0.1))
        40.0
    """
    end = schedule.natural_end
    if end is not None:
        return end
    return _open_length(schedule)


def _open_length(schedule: Schedule) -> float:
    top = 0.0
    first_cycle: dict[int | None, int] = {}
    last = 0.0
    for count, segment in enumerate(islice(schedule.segments(), MAX_SEGMENTS)):
        if segment.cycle is not None:
            first = first_cycle.setdefault(segment.piece, segment.cycle)
            if segment.cycle - first >= RESTART_CYCLES:
                return segment.start
        if math.isinf(segment.end):
            return _endless_decay(segment)
        top = max(top, segment.high)
        last = segment.end
        fallen = segment.high < VISIBLE * top
        if segment.cycle is None and ((fallen and count >= 3) or count + 1 >= MAX_LEVELS):
            return segment.end
    return last


def _endless_decay(segment: Segment) -> float:
    """The first whole step where an endless segment is within 1% of its range from its limit."""
    limit = segment.last
    if segment.first == limit:
        return segment.start
    target = limit + VISIBLE * (segment.first - limit)
    base = math.floor(segment.start)
    low, high = base, base + 1
    while segment(high) > target:
        low, high = high, base + 2 * (high - base) + 1
        if high > 2**62:
            return float(high)
    while high - low > 1:
        middle = (low + high) // 2
        if segment(middle) > target:
            low = middle
        else:
            high = middle
    return float(high)


def default_horizon(schedule: Schedule) -> float:
    """The steps a plot or table shows by default: a bit past the natural end.

    The natural end plus 10% when the schedule settles; otherwise :func:`run_length` (three
    restart cycles, or until the value has fallen below 1% of its peak). Rounded up to a whole
    step.

    Example:
        >>> import warmcos
        >>> default_horizon(warmcos.cosine(peak=3e-4, steps=10_000, warmup=500))
        11000.0
        >>> default_horizon(warmcos.cosine_restarts(peak=0.1, first_cycle=100, cycle_mult=2.0))
        700.0
    """
    length = run_length(schedule)
    if length <= 0:
        return FALLBACK_HORIZON
    total = length + MARGIN * length if schedule.natural_end is not None else length
    return float(math.ceil(total * (1 - 1e-12)))  # 100 * 1.1 rounds up to 110.00000000000001


def listed_segments(schedule: Schedule, horizon: float) -> tuple[list[Segment], bool]:
    """The segments that start before `horizon` (at least one), and whether more were cut off.

    At most :data:`MAX_SEGMENTS` are listed.
    """
    listed: list[Segment] = []
    for segment in islice(schedule.segments(), MAX_SEGMENTS + 1):
        if segment.start >= horizon and listed:
            return listed, False
        if len(listed) == MAX_SEGMENTS:
            return listed, True
        listed.append(segment)
    return listed, False


def first_below(
    schedule: Schedule, threshold: float, after: float, horizon: float, listed: Sequence[Segment]
) -> int | None:
    """The first whole step ``t >= after``, ``t <= horizon``, with ``schedule(t) < threshold``.

    Args:
        schedule: The schedule.
        threshold: The value to fall below.
        after: Where to start looking (the peak's step).
        horizon: The last step to look at.
        listed: The schedule's segments in order, covering the horizon.

    Returns:
        The step, or None when the value stays at or above `threshold`.
    """
    for segment in listed:
        lo = math.ceil(max(segment.start, after))
        hi = math.floor(horizon)
        if segment.end < math.inf:
            hi = min(math.ceil(segment.end) - 1, hi)
        if lo > hi:
            continue
        if not segment.curve.monotone():
            found = _scan(schedule, threshold, lo, hi)
            if found is not None:
                return found
        elif segment.first > segment.last:
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
    """Linear search in chunks, for a segment whose curve is not monotone."""
    chunk = 1 << 16
    for begin in range(lo, hi + 1, chunk):
        steps = np.arange(begin, min(begin + chunk, hi + 1))
        hits = np.flatnonzero(schedule(steps) < threshold)
        if hits.size:
            return int(steps[hits[0]])
    return None


def summarize(schedule: Schedule, horizon: float | None = None, fraction: float = 0.1) -> Summary:
    """The segments, cycles, peak, floor after the peak and the first step below `fraction` of it.

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
    listed, truncated = listed_segments(schedule, horizon)

    # The values over each segment, cut at the horizon, and the value at the horizon itself
    # (where a new segment may start).
    spans = []
    for segment in listed:
        first, last, end = segment.first, segment.last, segment.end
        if not segment.curve.monotone():
            first = last = schedule(segment.start)
        if end > horizon:
            last, end = schedule(horizon), horizon
        spans.append((segment.start, end, first, last))
    at_horizon = schedule(horizon)
    spans.append((horizon, horizon, at_horizon, at_horizon))
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
        segments=tuple(listed),
        truncated=truncated,
        cycles=tuple(cycles(listed)),
        peak=peak,
        peak_step=peak_step,
        floor=floor,
        floor_step=floor_step,
        fraction=fraction,
        below=below,
        end=schedule.natural_end,
    )


def cycles(listed: Sequence[Segment]) -> Iterator[Cycle]:
    """The restart cycles of the segments: each cycle's span, its peak and its floor.

    A cycle's peak is where its decay starts (a warm-up may start above it) and its floor is
    where its last segment ends.
    """
    current: Cycle | None = None
    for segment in listed:
        if segment.cycle is None:
            continue
        peak = segment.first if segment.kind == "decay" else segment.high
        if current is not None and (current.index, current.piece) == (segment.cycle, segment.piece):
            if segment.kind == "decay":
                current = replace(current, peak=segment.first)
            current = replace(current, end=segment.end, floor=segment.last)
            continue
        if current is not None:
            yield current
        current = Cycle(
            segment.cycle, segment.piece, segment.start, segment.end, peak, segment.last
        )
    if current is not None:
        yield current


def restarts(listed: Sequence[Segment]) -> list[float]:
    """The steps where a restart cycle after the first begins (where the value jumps back up)."""
    return [c.start for c in cycles(listed) if c.index > 0]
