"""The one-cycle policy: up to a peak and down below the start, exactly as PyTorch's OneCycleLR."""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import validation as check
from .curves import Level, between
from .ops import Ops, Value
from .schedule import PiecewiseSchedule, set_fields
from .segments import KIND_HOLD, Segment, make, slope_kind, warmup_kind
from .validation import Number
from .warps import OpsCurve

ANNEALS = ("cos", "linear")

_DIV_FACTOR = 25.0
_FINAL_DIV_FACTOR = 1e4


class Anneal(OpsCurve):
    """PyTorch's (and optax's) interpolation from `start` to `end` over ``[origin, finish]``.

    With ``pct = (t - origin) / (finish - origin)``: ``"cos"``:
    ``end + (start - end) / 2 * (cos(pi pct) + 1)``; ``"linear"``:
    ``(end - start) * pct + start``; in that order, clipped to the two values.
    """

    def __init__(self, anneal: str, origin: float, finish: float, start: float, end: float) -> None:
        self.anneal = anneal
        self.shape = "cosine" if anneal == "cos" else "linear"  # type: ignore[misc]
        self.origin, self.length = float(origin), float(finish) - float(origin)
        self.start, self.end = float(start), float(end)

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The interpolation at `t`."""
        pct = (t - self.origin) / self.length
        start, end = self.start, self.end
        if self.anneal == "cos":
            value = end + (start - end) / 2.0 * (ops.cos(math.pi * pct) + 1)
        else:
            value = (end - start) * pct + start
        return between(ops, value, min(start, end), max(start, end))


@dataclass(frozen=True, repr=False)
class OneCycle(PiecewiseSchedule):
    r"""The 1cycle policy (Smith & Topin 2017), exactly as PyTorch's ``OneCycleLR`` computes it.

    From ``s = start`` (default ``peak / div_factor``) up to `peak`, then down to ``e = end``
    (default ``s / final_div_factor``); with `three_phase`, up to `peak`, back down to ``s``
    and then down to ``e``. With ``T = steps``, the phases end at the steps (PyTorch's
    ``end_step``)

    * two phases: ``E_1 = pct_start T - 1`` and ``E_2 = T - 1``;
    * three phases: ``E_1 = pct_start T - 1``, ``E_2 = 2 pct_start T - 2``, ``E_3 = T - 1``.

    Step ``t`` is in the first phase ``i`` with ``t <= E_i`` (a phase includes its end step),
    and moves along it by ``pct = (t - E_{i-1}) / (E_i - E_{i-1})`` (``E_0 = 0``), with the
    interpolation of `anneal` (see :class:`Anneal`). ``E_i`` need not be whole, and a phase
    ending before step 0 is skipped, so the first update may already be part-way down, just
    as in PyTorch. From ``E_last = T - 1`` on, the value there (``e``) is held (PyTorch allows
    one more step, ``T``, where its formula runs past ``e``, and refuses later ones). Where
    PyTorch divides by zero (``pct_start * T == 1``: an empty first phase), step 0 takes the
    next phase's value.

    The same call schedules momentum, which PyTorch cycles the other way: from ``max_momentum``
    down to ``base_momentum`` at the peak and back:
    ``one_cycle(peak=base_momentum, steps=T, start=max_momentum, end=max_momentum)``.

    optax's ``cosine_onecycle_schedule`` and ``linear_onecycle_schedule`` put their phase
    boundaries at ``int(pct * T)`` and count each phase from its own start: they are joins of
    ramps, ``join([ramp(s, p, b, "cosine"), ramp(p, e, T - b, "cosine")], [b])``.

    Written out rather than as a ``join`` of ramps: PyTorch's phases count from the previous
    phase's end step (fractional, possibly negative) and include their own end step, which no
    join of whole ramps reproduces to the bit.

    Args:
        peak: The value at the end of the first phase (PyTorch's ``max_lr``; ``>= 0``).
        steps: ``T``, the number of updates (PyTorch's ``total_steps``; ``>= 1``).
        pct_start: The fraction of `steps` spent rising, in [0, 1] (at most 0.5 with
            `three_phase`).
        div_factor: ``peak / start`` (``> 0``); leave at 25 when `start` is given.
        final_div_factor: ``start / end`` (``> 0``); leave at 1e4 when `end` is given.
        anneal: ``"cos"`` or ``"linear"`` (PyTorch's ``anneal_strategy``).
        three_phase: Whether to go back to `start` before the final decay.
        start: The value at step 0, or None for ``peak / div_factor``.
        end: The final value, or None for ``start / final_div_factor``.

    Example:
        >>> import warmcos
        >>> s = warmcos.one_cycle(peak=25.0, steps=10, final_div_factor=2.0, anneal="linear")
        >>> [s(t) for t in range(10)]
        [1.0, 13.0, 25.0, 21.5, 18.0, 14.5, 11.0, 7.5, 4.0, 0.5]
    """

    name = "one_cycle"

    peak: Number
    steps: Number
    pct_start: Number = 0.3
    div_factor: Number = _DIV_FACTOR
    final_div_factor: Number = _FINAL_DIV_FACTOR
    anneal: str = "cos"
    three_phase: bool = False
    start: Number | None = None
    end: Number | None = None

    def __post_init__(self) -> None:
        where = "one_cycle()"
        if not isinstance(self.three_phase, bool):
            raise TypeError(
                f"{where}: `three_phase` must be True or False. "
                f"Received: three_phase={check.short(self.three_phase)}"
            )
        set_fields(
            self,
            peak=check.nonnegative(where, "peak", self.peak),
            steps=check.span(where, "steps", self.steps),
            pct_start=check.nonnegative(where, "pct_start", self.pct_start),
            div_factor=check.positive(where, "div_factor", self.div_factor),
            final_div_factor=check.positive(where, "final_div_factor", self.final_div_factor),
            anneal=check.choice(where, "anneal", self.anneal, ANNEALS),
        )
        if self.steps < 1:
            raise check.fail(where, "steps", "be >= 1", steps=self.steps)
        limit = 0.5 if self.three_phase else 1.0
        if self.pct_start > limit:
            requirement = "be <= 0.5 with three_phase=True" if self.three_phase else "be <= 1"
            raise check.fail(where, "pct_start", requirement, pct_start=self.pct_start)
        if self.start is not None:
            set_fields(self, start=check.nonnegative(where, "start", self.start))
            if self.div_factor != _DIV_FACTOR:
                raise check.fail(
                    where,
                    "div_factor",
                    "be left out when `start` is given",
                    div_factor=self.div_factor,
                    start=self.start,
                )
        if self.end is not None:
            set_fields(self, end=check.nonnegative(where, "end", self.end))
            if self.final_div_factor != _FINAL_DIV_FACTOR:
                raise check.fail(
                    where,
                    "final_div_factor",
                    "be left out when `end` is given",
                    final_div_factor=self.final_div_factor,
                    end=self.end,
                )
        # PyTorch's arithmetic: initial_lr = max_lr / div_factor, min_lr = initial_lr / final.
        first = float(self.peak) / self.div_factor if self.start is None else float(self.start)
        last = first / self.final_div_factor if self.end is None else float(self.end)
        object.__setattr__(self, "_values", (first, last))

    @property
    def start_value(self) -> float:
        """The value at the start of the cycle (`start`, or ``peak / div_factor``)."""
        return float(self.__dict__["_values"][0])

    @property
    def end_value(self) -> float:
        """The final value (`end`, or ``start_value / final_div_factor``)."""
        return float(self.__dict__["_values"][1])

    def phase_ends(self) -> tuple[float, ...]:
        """PyTorch's ``end_step`` of each phase, as it computes them.

        Example:
            >>> import warmcos
            >>> warmcos.one_cycle(1.0, steps=100, pct_start=0.25).phase_ends()
            (24.0, 99.0)
        """
        total, pct = self.steps, self.pct_start
        first = float(pct * total) - 1
        if self.three_phase:
            return first, float(2 * pct * total) - 2, float(total - 1)
        return first, float(total - 1)

    def _segment_list(self) -> tuple[Segment, ...]:
        """Each phase over the steps it holds, then the final value held."""
        first, last, peak = self.start_value, self.end_value, float(self.peak)
        ends = self.phase_ends()
        values = (first, peak, first, last) if self.three_phase else (first, peak, last)
        segments = []
        covered = 0.0  # the steps below this are taken by an earlier phase
        origin = 0.0
        held = last
        final = len(ends) - 1
        for index, finish in enumerate(ends):
            # The phase holds the steps in (previous ends, finish]: up to just after `finish`,
            # except the last, which ends where its value at `finish` is held.
            stop = finish if index == final else math.nextafter(finish, math.inf)
            if stop > covered and finish > origin:
                curve = Anneal(self.anneal, origin, finish, values[index], values[index + 1])
                fast = curve.scalar()
                direction = warmup_kind if index == 0 else slope_kind
                kind = direction(fast(covered), fast(stop))
                segments.append(make(kind, covered, stop, curve))
                covered = stop
                if index == final:
                    held = fast(finish)  # PyTorch's own last value (linear: `last` to 1 ulp)
            origin = finish
        segments.append(make(KIND_HOLD, max(covered, ends[-1]), math.inf, Level(held)))
        return tuple(segments)
