"""Piecewise composition of schedules, each piece on its own local step."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from . import validation as check
from .ops import Ops, Value
from .schedule import Schedule, set_fields
from .validation import Number


@dataclass(frozen=True, repr=False)
class Join(Schedule):
    """Run `schedules` one after another, switching at `boundaries` (like optax's join).

    With ``b[-1] = 0``, for ``b[i - 1] <= t < b[i]`` the value is ``schedules[i](t - b[i - 1])``:
    each piece sees steps counted from its own start. The last piece runs forever.

    Args:
        schedules: Two or more schedules (or one, with no boundaries).
        boundaries: ``len(schedules) - 1`` steps, strictly increasing and ``> 0``.

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

    def __post_init__(self) -> None:
        where = "join()"
        schedules: Any = self.schedules
        if isinstance(schedules, (str, bytes)) or not isinstance(schedules, Sequence):
            raise TypeError(
                f"{where}: `schedules` must be a list of schedules. "
                f"Received: schedules={schedules!r} of type {type(schedules).__name__}"
            )
        for item in schedules:
            if not isinstance(item, Schedule):
                raise TypeError(
                    f"{where}: `schedules` must hold schedules only. "
                    f"Received: {item!r} of type {type(item).__name__}"
                )
        if not schedules:
            raise check.fail(where, "schedules", "hold at least one schedule", schedules=[])
        boundaries = check.increasing(where, "boundaries", self.boundaries, strictly_above=0)
        if len(boundaries) != len(schedules) - 1:
            raise check.fail(
                where,
                "boundaries",
                "hold len(schedules) - 1 steps",
                boundaries=list(boundaries),
                schedules=len(schedules),
            )
        set_fields(self, schedules=tuple(schedules), boundaries=boundaries)

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The formula of the class docstring."""
        starts = [0.0, *(float(b) for b in self.boundaries)]
        pieces = [
            _local(schedule, start, ops)
            for schedule, start in zip(self.schedules, starts, strict=True)
        ]
        return ops.piecewise(t, starts, pieces)


def _local(schedule: Schedule, start: float, ops: Ops) -> Any:
    def piece(x: Value) -> Value:
        return schedule.evaluate(x - start, ops)

    return piece
