"""Exact cycle boundaries for cosine annealing with warm restarts.

Peers find the cycle of step ``t`` as ``floor(log(...) / log(cycle_mult))``; the logarithm rounds,
so at some exact restart boundaries they land one cycle early (they give the floor where the
peak belongs). Here the cycle starts are computed exactly, once, and looked up:

* the *integer* rule (the seed tutorial's): decay lengths ``D[k + 1] = int(D[k] * cycle_mult)``,
  plain integers, so the starts are exact integers;
* the *geometric* rule (timm, Keras, fairseq): ``D[k] = D[0] * cycle_mult ** k``, summed in exact
  rational arithmetic from the given floats. A start that lies within the rounding of its inputs
  of an integer is put on that integer, because the float inputs stand for decimal values
  (``1.1`` is not exactly 11/10): with ``first_cycle=10, cycle_mult=1.1`` cycle 2 starts at step
  21, not at 21.000000000000002.

When the lengths stop changing (``cycle_mult == 1``, or the integer rule truncating back to the
same length) every later cycle is identical and the start of cycle ``k`` is arithmetic: nothing
more is tabulated. Otherwise lengths grow at least geometrically and the table grows with the
logarithm of the largest step asked for.
"""

from __future__ import annotations

import math
import threading
from fractions import Fraction
from typing import Any

from .ops import SCALAR, Ops, Value

MAX_TABULATED_CYCLES = 20_000
"""Refuse to tabulate more cycles than this (only reachable with ``cycle_mult`` barely above 1).

Each cycle costs a few microseconds of exact arithmetic once, so the limit bounds the time a
far-away step can cost (about 0.2 s). Cycles of a constant length are never tabulated: their
starts are arithmetic."""

_BEYOND = float(2**62)
"""Starts past this are not tabulated: the schedule is not meant to run that long."""

_MAX_DENOMINATOR = 1 << 1024
"""Past this, the geometric rule's exact fractions are rounded back to floats (see `_extend`)."""

_TAIL_TERMS = 2
"""Past the table a start is one product and one sum of inputs: snap within that rounding."""


def snap(value: Fraction, terms: int) -> float:
    """`value` as a float, put on the nearest integer when within the rounding of its inputs.

    A sum of `terms` products of float inputs carries a relative error of about
    ``terms * 2**-52``; within 4 times that of an integer, the integer is meant.
    """
    nearest = round(value)
    tolerance = 4 * (terms + 2) * 2.0**-52 * max(1, abs(nearest))
    if abs(value - nearest) <= tolerance:
        return float(nearest)
    return float(value)


class CycleTable:
    """Starts and decay lengths of the cycles of a restart schedule.

    Cycle ``k`` starts at ``S[k]``, warms up for ``W[k]`` (``W[0] = warmup``; later cycles
    ``warmup`` or 0) and then decays for ``D[k]``; ``S[k + 1] = S[k] + W[k] + D[k]``.

    Args:
        first_decay: ``D[0]``, the decay length of cycle 0 (> 0); exact (a Fraction) so that
            cycle 1 starts exactly at ``warmup + first_decay``, the given first cycle length.
        warmup: The warm-up length of cycle 0.
        later_warmup: The warm-up length of every later cycle.
        cycle_mult: The growth factor (>= 1).
        integer_rule: True for ``D[k + 1] = int(D[k] * cycle_mult)``; False for the geometric rule.
    """

    def __init__(
        self,
        first_decay: Fraction,
        warmup: float,
        later_warmup: float,
        cycle_mult: float,
        integer_rule: bool,
    ) -> None:
        self.warmup = warmup
        self.later_warmup = later_warmup
        self.cycle_mult = cycle_mult
        self.integer_rule = integer_rule
        self._lock = threading.Lock()
        self._starts: list[float] = [0.0]
        self._decays: list[float] = [float(first_decay)]
        self._exact_start = Fraction(0)
        self._exact_decay: Fraction | int = (
            int(first_decay) if integer_rule else Fraction(first_decay)
        )
        self._tail_length: float | None = None
        self._exact_tail = Fraction(0)
        self._arrays: dict[tuple[str, int], Any] = {}
        self._extend(0.0)

    def _warmup_of(self, index: int) -> float:
        return self.warmup if index == 0 else self.later_warmup

    def _next_decay(self, decay: Fraction | int) -> Fraction | int:
        if self.integer_rule:
            return int(int(decay) * self.cycle_mult)
        return decay * Fraction(self.cycle_mult)

    def _extend(self, horizon: float) -> None:
        """Tabulate cycles until one starts beyond `horizon` or the cycles repeat."""
        if self._tail_length is not None or self._starts[-1] > horizon:
            return
        with self._lock:
            starts, decays = list(self._starts), list(self._decays)
            exact_start, exact_decay = self._exact_start, self._exact_decay
            tail_length: float | None = None
            while tail_length is None and horizon >= starts[-1] < _BEYOND:
                index = len(starts) - 1
                if index >= MAX_TABULATED_CYCLES:
                    raise ValueError(
                        f"cosine_restarts(): step {horizon!r} lies beyond cycle "
                        f"{MAX_TABULATED_CYCLES}, and `cycle_mult`={self.cycle_mult!r} grows the "
                        "cycles too slowly to tabulate them; use cycle_mult=1 or a larger one"
                    )
                warmup = self._warmup_of(index)
                exact_start += Fraction(warmup) + exact_decay
                next_decay = self._next_decay(exact_decay)
                if isinstance(next_decay, Fraction) and next_decay.denominator > _MAX_DENOMINATOR:
                    # Powers of a decimal `cycle_mult` grow ever longer fractions, and after a
                    # few hundred cycles no start is meant to be an integer any more: go on in
                    # float precision, rounding each term once.
                    next_decay = Fraction(float(next_decay))
                    exact_start = Fraction(float(exact_start))
                if self.integer_rule:
                    start = float(exact_start)
                else:
                    start = snap(exact_start, index + 1)
                    if start - starts[index] - warmup <= 0:
                        # Never snap a cycle away: keep its decay part non-empty.
                        start = float(exact_start)
                    # The cosine must reach the floor exactly where the next cycle starts.
                    decays[index] = max(start - starts[index] - warmup, math.ulp(start))
                starts.append(start)
                decays.append(float(next_decay))
                if next_decay == exact_decay and self._warmup_of(index + 1) == warmup:
                    self._exact_tail = Fraction(warmup) + next_decay
                    tail_length = float(self._exact_tail)
                exact_decay = next_decay
            self._starts, self._decays = starts, decays
            self._exact_start, self._exact_decay = exact_start, exact_decay
            self._tail_length = tail_length
            self._arrays = {}

    def start_of(self, cycle: int) -> float:
        """``S[cycle]``, exactly (``inf`` when it lies past 2**62)."""
        while self._tail_length is None and len(self._starts) <= cycle:
            if self._starts[-1] >= _BEYOND:
                return math.inf
            self._extend(self._starts[-1] * 2 + 1)
        last = len(self._starts) - 1
        if cycle <= last or self._tail_length is None:
            return self._starts[min(cycle, last)]
        exact = self._exact_start + (cycle - last) * self._exact_tail
        return float(exact) if self.integer_rule else snap(exact, _TAIL_TERMS)

    def cycle(self, cycle: int) -> tuple[float, float, float]:
        """``S[cycle]``, ``D[cycle]`` and ``S[cycle + 1]``, exactly as :meth:`locate` sees them.

        Past the table (where every cycle is alike) the starts are the ones :meth:`locate`
        computes, so a step lies in cycle ``k`` here exactly when :meth:`locate` says so.
        ``S[cycle + 1]`` is ``inf`` past 2**62 steps.
        """
        self.start_of(cycle + 1)  # extends the table as far as it goes
        last = len(self._starts) - 1
        if self._tail_length is None or cycle < last:
            if cycle + 1 <= last:
                return self._starts[cycle], self._decays[cycle], self._starts[cycle + 1]
            return self._starts[min(cycle, last)], self._decays[min(cycle, last)], math.inf
        base = self._starts[last]
        start = float(self._tail_start(SCALAR, base, float(cycle - last)))
        following = float(self._tail_start(SCALAR, base, float(cycle + 1 - last)))
        return start, self._decays[last], following

    def locate(self, t: Value, ops: Ops, horizon: float) -> tuple[Value, Value, Value]:
        """The cycle index ``k`` (as a float), the start ``S[k]`` and ``D[k]`` for step(s) `t`.

        Args:
            t: Steps, each ``<= horizon``.
            ops: The backend.
            horizon: The largest step in `t`; the table is extended to cover it.
        """
        self._extend(horizon)
        starts = self._cached(ops, "starts", self._starts)
        decays = self._cached(ops, "decays", self._decays)
        index = ops.bucket(starts, t)
        start = ops.take(starts, index)
        decay = ops.take(decays, index)
        cycle = ops.to_float(index)
        if self._tail_length is None:
            return cycle, start, decay
        # Past the last tabulated start every cycle has length `tail`: count them.
        tail, last = self._tail_length, len(self._starts) - 1
        base = self._starts[last]
        whole = ops.floor(ops.maximum(t - base, 0.0) / tail)
        # The division may be one cycle off either way: real-valued lengths have snapped starts,
        # and XLA divides through a reciprocal (368.99999999999994 / 123 gives 3.0 under
        # `jax.jit`). Compare with the starts themselves, which are exact.
        whole = ops.where(t >= self._tail_start(ops, base, whole + 1.0), whole + 1.0, whole)
        whole = ops.where(t < self._tail_start(ops, base, whole), whole - 1.0, whole)
        whole = ops.maximum(whole, 0.0)
        extra = ops.where(cycle >= last, whole, 0.0)
        tail_start = self._tail_start(ops, base, extra)
        return cycle + extra, ops.where(cycle >= last, tail_start, start), decay

    def _tail_start(self, ops: Ops, base: float, extra: Value) -> Value:
        """The start of the cycle `extra` cycles after the last tabulated one."""
        start = base + extra * self._tail_length
        if self.integer_rule:
            return start
        nearest = ops.rint(start)
        tolerance = 4 * (_TAIL_TERMS + 2) * 2.0**-52 * ops.maximum(ops.abs(nearest), 1.0)
        return ops.where(ops.abs(start - nearest) <= tolerance, nearest, start)

    def _cached(self, ops: Ops, key: str, values: list[float]) -> Value:
        # Only the NumPy tables are cached: torch tables depend on the step's device and dtype.
        if ops.__class__.__name__ != "NumpyOps":
            return ops.table(values)
        arrays = self._arrays
        table = arrays.get((key, len(values)))
        if table is None:
            table = ops.table(values)
            arrays[(key, len(values))] = table
        return table
