"""Piecewise composition of schedules, each piece on its own local step."""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from . import validation as check
from .ops import Ops, Value
from .schedule import MAX_DEPTH, Schedule, set_fields
from .segments import Segment, global_step, relocated
from .validation import Number

MAX_PIECES = 10_000
"""The most schedules one ``join`` takes."""

__all__ = ["MAX_DEPTH", "MAX_PIECES", "Join"]


@dataclass(frozen=True, repr=False)
class Join(Schedule):
    """Run `schedules` one after another, switching at `boundaries` (like optax's join).

    With ``b[-1] = 0``, for ``b[i - 1] <= t < b[i]`` the value is ``schedules[i](t - b[i - 1])``:
    each piece sees steps counted from its own start. The last piece runs forever. With
    ``local_steps=False`` every piece sees the global step instead, ``schedules[i](t)``: a piece
    then starts part-way through its own curve (timm's warm-up without ``warmup_prefix`` is
    ``join([linear(...), cosine_restarts(...)], [warmup_t], local_steps=False)``).

    Args:
        schedules: Two or more schedules (or one, with no boundaries).
        boundaries: ``len(schedules) - 1`` steps, strictly increasing and ``> 0``.
        local_steps: Whether each piece counts steps from its own start (the default).

    Example:
        >>> import warmcos
        >>> warm = warmcos.linear(start=0.0, end=1.0, steps=10)
        >>> decay = warmcos.cosine(peak=1.0, steps=90)
        >>> s = warmcos.join([warm, decay], boundaries=[10])
        >>> [s(t) for t in (0, 5, 10, 55, 100)]
        [0.0, 0.5, 1.0, 0.5, 0.0]
    """

    name = "join"

    schedules: Sequence[Schedule]
    boundaries: Sequence[Number]
    local_steps: bool = True

    def __post_init__(self) -> None:
        where = "join()"
        schedules: Any = self.schedules
        if isinstance(schedules, (str, bytes)) or not isinstance(schedules, Sequence):
            raise TypeError(
                f"{where}: `schedules` must be a list of schedules. "
                f"Received: schedules={check.short(schedules)} of type {type(schedules).__name__}"
            )
        for item in schedules:
            if not isinstance(item, Schedule):
                raise TypeError(
                    f"{where}: `schedules` must hold schedules only. "
                    f"Received: {check.short(item)} of type {type(item).__name__}"
                )
        if not schedules:
            raise check.fail(where, "schedules", "hold at least one schedule", schedules=[])
        if len(schedules) > MAX_PIECES:
            raise ValueError(
                f"{where}: `schedules` must hold at most {MAX_PIECES:,} schedules. "
                f"Received: {len(schedules):,}"
            )
        boundaries = check.increasing(where, "boundaries", self.boundaries, strictly_above=0)
        if len(boundaries) != len(schedules) - 1:
            raise check.fail(
                where,
                "boundaries",
                "hold len(schedules) - 1 steps",
                boundaries=list(boundaries)[:20],
                schedules=len(schedules),
            )
        if not isinstance(self.local_steps, bool):
            raise TypeError(
                f"{where}: `local_steps` must be True or False. "
                f"Received: local_steps={self.local_steps!r}"
            )
        set_fields(self, schedules=tuple(schedules), boundaries=boundaries)
        self._check_parts(where)

    def _parts(self) -> tuple[Schedule, ...]:
        return tuple(self.schedules)

    def _starts(self) -> list[float]:
        return [0.0, *(float(b) for b in self.boundaries)]

    def _offset(self, start: float) -> float:
        return start if self.local_steps else 0.0

    @property
    def natural_end(self) -> float | None:
        """Where the last piece settles, in the join's steps (None when it never does)."""
        last = self.schedules[-1].natural_end
        if last is None:
            return None
        boundary = self._starts()[-1]
        if self.local_steps:
            return global_step(last, boundary)
        return max(boundary, last)

    def _segments_from(self, t: float) -> Iterator[Segment]:
        starts = self._starts()
        ends = [*starts[1:], math.inf]
        index = bisect.bisect_right(starts, t) - 1
        begin = t
        for piece in range(index, len(starts)):
            low, high = starts[piece], ends[piece]
            offset = self._offset(low)
            local = max(begin, low) - offset
            for segment in self.schedules[piece]._segments_from(local):
                moved = relocated(segment, offset, low, high, piece)
                if moved is None:
                    if global_step(segment.start, offset) >= high:
                        break
                    continue
                yield moved
                if moved.end >= high:
                    break
            begin = high

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """Each piece's own formula on its own steps, where it holds."""
        starts = self._starts()
        offsets = starts if self.local_steps else [0.0] * len(starts)
        pieces = [
            _local(schedule, offset, ops)
            for schedule, offset in zip(self.schedules, offsets, strict=True)
        ]
        return ops.piecewise(t, starts, pieces)


def _local(schedule: Schedule, start: float, ops: Ops) -> Any:
    def piece(x: Value) -> Value:
        return schedule.evaluate(x - start, ops)

    return piece
