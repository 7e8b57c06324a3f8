"""Cosine annealing with warm restarts (SGDR), in the seed's form and the peers' variants."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

from . import validation as check
from .curves import Curve, HalfCosine, Level, Line, between, half_cosine, ramp_value
from .cycles import MAX_TABULATED_CYCLES, CycleTable
from .ops import SCALAR, Ops, Value
from .polynomial import polynomial_left
from .schedule import Schedule, set_fields
from .segments import KIND_DECAY, KIND_HOLD, Segment, global_step, make, warmup_kind
from .validation import Number
from .warps import OpsCurve, tanh_value

WARMUP_CYCLES = ("every", "first")
CYCLE_RULES = ("integer", "geometric")
GAMMA_MODES = ("peak", "amplitude", "scale")
CYCLE_SHAPES = ("cosine", "polynomial", "tanh")


class CycleDecay(OpsCurve):
    """One cycle's decay of a shaped :class:`CosineRestarts` (see its ``cycle_decay``).

    The elapsed steps are counted as :class:`~warmcos._core.curves.HalfCosine` counts them,
    ``min((t - origin) - delay, length)``, the order the schedule's own formula uses.
    """

    def __init__(
        self,
        schedule: CosineRestarts,
        origin: float,
        delay: float,
        length: float,
        high: float,
        low: float,
    ) -> None:
        self.schedule, self.origin, self.delay = schedule, float(origin), float(delay)
        self.length, self.high, self.low = float(length), float(high), float(low)
        self.shape = schedule.shape  # type: ignore[misc]

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The cycle's decay at `t`."""
        elapsed = ops.minimum(ops.maximum((t - self.origin) - self.delay, 0.0), self.length)
        return self.schedule.cycle_decay(ops, elapsed, self.length, self.high, self.low)


@dataclass(frozen=True, repr=False)
class CosineRestarts(Schedule):
    r"""Cosine annealing with warm-up and warm restarts (Loshchilov & Hutter, SGDR, ICLR 2017).

    The steps are cut into cycles. Cycle ``k`` starts at ``S[k]``, warms up linearly for
    ``W[k]`` steps from ``warmup_start`` (default: the cycle's floor) to its peak ``P[k]``, then
    follows half a cosine down to its floor ``F[k]`` over ``D[k]`` steps; at ``S[k + 1]`` the
    next cycle starts from its warm-up (or from its peak when it has none). With
    ``s = t - S[k]``:

    .. math::

        v(t) = \begin{cases}
        w + (P_k - w)\, s / W_k & s < W_k \\
        F_k + (P_k - F_k)\,\bigl(1 + \cos(\pi (s - W_k) / D_k)\bigr) / 2 & \text{otherwise}
        \end{cases}

    Cycle lengths. ``first_cycle`` is the length of cycle 0 *including* its warm-up ``W``, so
    ``D[0] = first_cycle - W``. Then, by `cycle_rule`:

    * ``"integer"`` (the seed's rule): ``D[k + 1] = int(D[k] * cycle_mult)``, i.e. the next cycle
      is ``int((L - W) * cycle_mult) + W`` steps long; lengths and starts are whole steps.
    * ``"geometric"`` (timm, Keras ``CosineDecayRestarts``, fairseq, optax's SGDR):
      ``D[k] = D[0] * cycle_mult ** k``, real-valued. (PyTorch's ``CosineAnnealingWarmRestarts``
      takes an integer ``T_mult``, where both rules agree.)

    ``S[0] = 0`` and ``S[k + 1] = S[k] + W[k] + D[k]``, computed exactly (no logarithm): the cycle
    of a step on a restart boundary is always the new one, for steps beyond 10**12.

    Warm-up, by `warmup_cycles`: ``"every"`` cycle warms up for ``W`` steps (the seed), or only
    the ``"first"`` (timm, fairseq, transformers' hard restarts), so ``W[k] = 0`` for ``k >= 1``.

    Decay per cycle, by `gamma_mode`, with ``g = gamma ** k``:

    * ``"peak"`` (the seed, timm): ``P[k] = max(peak * g, floor)``, ``F[k] = floor``;
    * ``"amplitude"`` (Keras' ``m_mul``, whose floor ``alpha`` stays put):
      ``P[k] = floor + (peak - floor) * g``, ``F[k] = floor``;
    * ``"scale"`` (fairseq's ``lr_shrink``): ``P[k] = peak * g``, ``F[k] = floor * g``.

    After `max_cycles` cycles (``t >= S[max_cycles]``) the value holds at ``F[max_cycles - 1]``,
    where the last cycle ended (``floor`` in the first two modes).

    Args:
        peak: The peak of cycle 0 (``>= floor``).
        first_cycle: The length of cycle 0, warm-up included (``> warmup``).
        floor: The value each cosine ends at (``>= 0``).
        cycle_mult: The growth factor of the cycle lengths (``>= 1``; a float).
        gamma: The factor per cycle (``> 0``): below 1 the cycles decay, above 1 they grow
            (Keras' ``m_mul > 1``), which needs `max_cycles`.
        warmup: ``W``: a count of steps, or a float strictly between 0 and 1 as a fraction of
            `first_cycle`.
        warmup_start: Where each warm-up starts; ``None`` means the cycle's floor ``F[k]``.
        max_cycles: The number of cycles before the value is held (``>= 1``), or ``None``.
        warmup_cycles: ``"every"`` or ``"first"``.
        cycle_rule: ``"integer"`` (needs whole `first_cycle` and ``W``) or ``"geometric"``.
        gamma_mode: ``"peak"``, ``"amplitude"`` or ``"scale"``.

    Example:
        >>> import warmcos
        >>> s = warmcos.cosine_restarts(peak=1.0, first_cycle=10, cycle_mult=2.0, floor=0.0)
        >>> [s(t) for t in (0, 5, 10, 20, 30)]
        [1.0, 0.5, 1.0, 0.5, 1.0]
    """

    name = "cosine_restarts"

    peak: Number
    first_cycle: Number
    floor: Number = 0.0
    cycle_mult: Number = 1.0
    gamma: Number = 1.0
    warmup: Number = 0
    warmup_start: Number | None = None
    max_cycles: int | None = None
    warmup_cycles: str = "every"
    cycle_rule: str = "integer"
    gamma_mode: str = "peak"
    shape: str = "cosine"
    k_decay: Number = 1.0
    power: Number = 1.0
    lower: Number = -7.0
    upper: Number = 3.0

    def __post_init__(self) -> None:
        where = "cosine_restarts()"
        set_fields(
            self,
            peak=check.nonnegative(where, "peak", self.peak),
            first_cycle=check.span(where, "first_cycle", self.first_cycle),
            floor=check.nonnegative(where, "floor", self.floor),
            cycle_mult=check.number(where, "cycle_mult", self.cycle_mult),
            gamma=check.positive(where, "gamma", self.gamma),
            warmup=check.nonnegative(where, "warmup", self.warmup),
            warmup_cycles=check.choice(where, "warmup_cycles", self.warmup_cycles, WARMUP_CYCLES),
            cycle_rule=check.choice(where, "cycle_rule", self.cycle_rule, CYCLE_RULES),
            gamma_mode=check.choice(where, "gamma_mode", self.gamma_mode, GAMMA_MODES),
            shape=check.choice(where, "shape", self.shape, CYCLE_SHAPES),
            k_decay=check.positive(where, "k_decay", self.k_decay),
            power=check.positive(where, "power", self.power),
            lower=check.number(where, "lower", self.lower),
            upper=check.number(where, "upper", self.upper),
        )
        if self.k_decay != 1 and self.shape == "tanh":
            raise check.fail(where, "k_decay", 'be 1 with shape="tanh"', k_decay=self.k_decay)
        if self.power != 1 and self.shape != "polynomial":
            raise check.fail(
                where, "power", 'be 1 unless shape="polynomial"', power=self.power, shape=self.shape
            )
        if (self.lower, self.upper) != (-7.0, 3.0) and self.shape != "tanh":
            raise check.fail(
                where, "lower", 'keep its default unless shape="tanh"', lower=self.lower
            )
        if self.shape == "tanh":
            check.less(where, "lower", self.lower, "upper", self.upper)
        if self.warmup_start is not None:
            set_fields(
                self, warmup_start=check.nonnegative(where, "warmup_start", self.warmup_start)
            )
        if self.max_cycles is not None:
            set_fields(
                self, max_cycles=check.whole(where, "max_cycles", self.max_cycles, minimum=1)
            )
        check.at_most(where, "floor", self.floor, "peak", self.peak)
        if self.gamma > 1:
            self._check_growth(where)
        if self.cycle_mult < 1:
            raise check.fail(where, "cycle_mult", "be >= 1", cycle_mult=self.cycle_mult)
        warmup = check.length(where, "warmup", self.warmup, "first_cycle", self.first_cycle)
        if warmup >= self.first_cycle:
            raise check.fail(
                where,
                "warmup",
                "be < `first_cycle`",
                warmup=self.warmup,
                first_cycle=self.first_cycle,
            )
        integer_rule = self.cycle_rule == "integer"
        if integer_rule:
            check.whole(where, "first_cycle", self.first_cycle, minimum=1)
            if warmup != math.floor(warmup):
                raise check.fail(
                    where,
                    "warmup",
                    'be whole steps with cycle_rule="integer"',
                    warmup=self.warmup,
                    first_cycle=self.first_cycle,
                )
        later_warmup = warmup if self.warmup_cycles == "every" else 0.0
        cycles = CycleTable(
            Fraction(self.first_cycle) - Fraction(warmup),
            warmup,
            later_warmup,
            float(self.cycle_mult),
            integer_rule,
        )
        end = math.inf
        if self.max_cycles is not None:
            try:
                end = cycles.start_of(self.max_cycles)
            except ValueError:
                raise check.fail(
                    where,
                    "max_cycles",
                    f"be at most {MAX_TABULATED_CYCLES:,} when `cycle_mult` grows the cycles "
                    "this slowly (each cycle would be tabulated); use cycle_mult=1 or a larger "
                    "one",
                    max_cycles=self.max_cycles,
                    cycle_mult=self.cycle_mult,
                ) from None
        object.__setattr__(self, "_cycles", cycles)
        object.__setattr__(self, "_end", end)

    def _check_growth(self, where: str) -> None:
        """Peaks that grow every cycle (``gamma > 1``) need a last cycle, and must stay finite.

        The array formula reads the cycle after the last (where the value is held), so that one
        is checked too.
        """
        if self.max_cycles is None:
            raise check.fail(
                where,
                "gamma",
                "be <= 1 without `max_cycles` (peaks that grow every cycle need a last cycle)",
                gamma=self.gamma,
                max_cycles=None,
            )
        try:
            values = self._peak_and_floor(SCALAR, float(self.max_cycles))
        except OverflowError:
            values = (math.inf, math.inf)
        if not all(math.isfinite(value) for value in values):
            raise check.fail(
                where,
                "gamma",
                "keep the peaks finite up to cycle `max_cycles` (`peak * gamma ** max_cycles` "
                "overflows)",
                gamma=self.gamma,
                max_cycles=self.max_cycles,
                peak=self.peak,
            )

    @property
    def warmup_steps(self) -> float:
        """The warm-up length of cycle 0 in steps (`warmup` resolved when given as a fraction)."""
        cycles: CycleTable = self.__dict__["_cycles"]
        return cycles.warmup

    def cycle_start(self, cycle: int) -> float:
        """The step at which cycle `cycle` (0-based) starts: ``S[cycle]``, exact.

        Example:
            >>> import warmcos
            >>> s = warmcos.cosine_restarts(peak=1.0, first_cycle=10, cycle_mult=1.5, warmup=2)
            >>> [s.cycle_start(k) for k in range(4)]
            [0.0, 10.0, 24.0, 44.0]
        """
        cycle = check.whole("cycle_start()", "cycle", cycle, minimum=0)
        cycles: CycleTable = self.__dict__["_cycles"]
        return cycles.start_of(cycle)

    def cycle_at(self, t: float) -> int:
        """The 0-based cycle that step `t` lies in (the last cycle for ``t >= S[max_cycles]``).

        Example:
            >>> import warmcos
            >>> s = warmcos.cosine_restarts(peak=1.0, first_cycle=10, cycle_mult=2.0)
            >>> [s.cycle_at(t) for t in (0, 9, 10, 29.5, 30)]
            [0, 0, 1, 1, 2]
        """
        t = check.nonnegative("cycle_at()", "t", t)
        cycles: CycleTable = self.__dict__["_cycles"]
        end: float = self.__dict__["_end"]
        if t >= end:
            return int(self.max_cycles or 1) - 1
        cycle, _, _ = cycles.locate(t, SCALAR, float(t))
        return int(cycle)

    def cycle_peak_and_floor(self, cycle: int) -> tuple[float, float]:
        """``P[cycle]`` and ``F[cycle]``, by `gamma_mode` (the formulas of the class docstring).

        Example:
            >>> import warmcos
            >>> s = warmcos.cosine_restarts(peak=1.0, first_cycle=10, floor=0.1, gamma=0.5)
            >>> s.cycle_peak_and_floor(2)
            (0.25, 0.1)
        """
        where = "cycle_peak_and_floor()"
        cycle = check.whole(where, "cycle", cycle, minimum=0)
        if self.max_cycles is not None and cycle >= self.max_cycles:
            # Past the last cycle a growing peak could overflow: there is no such cycle.
            raise check.fail(where, "cycle", f"be < max_cycles={self.max_cycles}", cycle=cycle)
        peak, floor = self._peak_and_floor(SCALAR, float(cycle))
        return float(peak), float(floor)

    def cycle_warmup(self, cycle: int) -> float:
        """``W[cycle]``: the warm-up length of cycle `cycle`, by `warmup_cycles`."""
        cycle = check.whole("cycle_warmup()", "cycle", cycle, minimum=0)
        cycles: CycleTable = self.__dict__["_cycles"]
        return cycles.warmup if cycle == 0 else cycles.later_warmup

    @property
    def natural_end(self) -> float | None:
        """Where the last cycle ends, ``S[max_cycles]`` (None without `max_cycles`)."""
        end: float = self.__dict__["_end"]
        return None if math.isinf(end) else end

    def _segments_from(self, t: float) -> Iterator[Segment]:
        cycles: CycleTable = self.__dict__["_cycles"]
        end: float = self.__dict__["_end"]
        cycle = 0 if t >= end else int(cycles.locate(t, SCALAR, t)[0])
        while t < end:
            start, decay, following = cycles.cycle(cycle)
            following = min(following, end)
            peak, floor = self._peak_and_floor(SCALAR, float(cycle))
            warmup = self.cycle_warmup(cycle)
            cosine_start = start
            if warmup > 0:
                cosine_start = global_step(warmup, start)
                ramp_from = floor if self.warmup_start is None else float(self.warmup_start)
                ramp = Line(start, cycles.warmup, ramp_from, peak)
                if t < cosine_start:
                    kind = warmup_kind(ramp_from, peak)
                    yield make(kind, start, cosine_start, ramp, cycle=cycle)
            curve: Curve = HalfCosine(start, warmup, decay, peak, floor)
            if self._plain_cosine is False:
                curve = CycleDecay(self, start, warmup, decay, peak, floor)
            yield make(KIND_DECAY, cosine_start, following, curve, cycle=cycle)
            if math.isinf(following):
                return
            t, cycle = following, cycle + 1
        last = (self.max_cycles or 1) - 1
        _, last_floor = self._peak_and_floor(SCALAR, float(last))
        yield make(KIND_HOLD, end, math.inf, Level(float(last_floor)))

    @property
    def _plain_cosine(self) -> bool:
        return self.shape == "cosine" and self.k_decay == 1

    def cycle_decay(
        self, ops: Ops, elapsed: Value, length: Value, high: Value, low: Value
    ) -> Value:
        """A cycle's decay from `high` to `low`, `elapsed` of its `length` steps in, by `shape`.

        With ``q = k_decay`` and ``p = e^q / D^q`` (timm's order of operations):
        ``"cosine"``: ``low + (high - low) (1 + cos(pi p)) / 2``; ``"polynomial"``:
        ``low + (high - low) (1 - p)^power``; ``"tanh"``: timm's
        ``low + (high - low) (1 - tanh(lower (1 - e / D) + upper e / D)) / 2``.
        """
        if self._plain_cosine:
            return half_cosine(ops, elapsed, length, high, low)
        k = float(self.k_decay)
        if self.shape == "tanh":
            return tanh_value(
                ops, elapsed / length, high, low, float(self.lower), float(self.upper)
            )
        if self.shape == "polynomial":
            left = polynomial_left(ops, elapsed, length, float(self.power), k)
            return between(ops, low + (high - low) * left, low, high)
        fraction = ops.power(elapsed, k) / ops.power(length, k)
        value = low + (high - low) * (1.0 + ops.cos(math.pi * fraction)) / 2.0
        return between(ops, value, low, high)

    def _peak_and_floor(self, ops: Ops, cycle: Value) -> tuple[Value, Value]:
        peak, floor = float(self.peak), float(self.floor)
        if self.gamma == 1:
            return peak, floor
        decay = ops.power(float(self.gamma), cycle)
        if self.gamma_mode == "peak":
            return ops.maximum(peak * decay, floor), floor
        if self.gamma_mode == "amplitude":
            return floor + (peak - floor) * decay, floor
        return peak * decay, floor * decay

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The formula of the class docstring."""
        cycles: CycleTable = self.__dict__["_cycles"]
        end: float = self.__dict__["_end"]
        inside = t if end == math.inf else ops.minimum(t, end)
        cycle, start, decay = cycles.locate(inside, ops, ops.upper(inside))
        peak, floor = self._peak_and_floor(ops, cycle)
        position = ops.maximum(inside - start, 0.0)
        first_warmup, later_warmup = cycles.warmup, cycles.later_warmup
        warmup: Value = first_warmup
        if later_warmup != first_warmup:
            warmup = ops.where(cycle < 0.5, first_warmup, later_warmup)
        elapsed = ops.minimum(ops.maximum(position - warmup, 0.0), decay)
        value = self.cycle_decay(ops, elapsed, decay, peak, floor)
        if first_warmup > 0:
            ramp_from = floor if self.warmup_start is None else float(self.warmup_start)
            # Later cycles without warm-up never take this branch; `first_warmup` > 0 keeps the
            # unused ramp finite on array backends.
            ramp = ramp_value(ops, ops.minimum(position, warmup), ramp_from, peak, first_warmup)
            value = ops.where(position < warmup, ramp, value)
        if end == math.inf:
            return value
        last_cycle = ops.fill(t, (self.max_cycles or 1) - 1.0)
        _, last_floor = self._peak_and_floor(ops, last_cycle)
        return ops.where(t >= end, last_floor, value)
