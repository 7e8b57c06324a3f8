r"""LR noise as in timm, as a pure function of the step: the same noise on every backend.

timm multiplies its learning rate by ``1 + n`` in a range of steps, with ``n`` drawn from a
random generator seeded by ``seed + t``. Here ``n`` comes from a hash of the whole step
computed in exact integer arithmetic on float64 (products below 2**53, remainders by floor), so
Python, NumPy, PyTorch, TensorFlow graphs and ``jax.jit`` draw the same number at the same step
and a resumed run sees the same noise. It does not reproduce timm's random numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

from . import validation as check
from .curves import Curve, ScalarCurve
from .ops import SCALAR, Ops, Value
from .schedule import Schedule, set_fields
from .segments import Segment
from .validation import Number

DISTRIBUTIONS = ("normal", "uniform")

_MODULUS = 2_147_483_647.0
"""The prime ``2**31 - 1``: the hash works on remainders by it."""
_HALF = 65_536.0
"""``2**16``: a remainder splits into two halves so that every product stays below 2**53."""
_MULTIPLIER = 48_271.0
_LAST_KEY = 2.0**50
"""Steps from here on share the noise of this step (every sum stays exact below 2**53)."""


def _remainder(ops: Ops, v: Value) -> Value:
    """``v mod (2**31 - 1)`` for a whole ``0 <= v < 2**51``, exactly on every backend.

    The quotient's floor is right or one off (a backend may divide through the reciprocal);
    the two corrections put the remainder back into ``[0, modulus)``.
    """
    r = v - ops.floor(v / _MODULUS) * _MODULUS
    r = ops.where(r < 0.0, r + _MODULUS, r)
    return ops.where(r >= _MODULUS, r - _MODULUS, r)


def _product(ops: Ops, x: Value, y: Value) -> Value:
    """``x * y mod (2**31 - 1)`` for remainders `x` and `y`: each partial product < 2**47."""
    high = ops.floor(x / _HALF)
    low = x - high * _HALF
    upper = _remainder(ops, _remainder(ops, high * y) * _HALF)
    return _remainder(ops, upper + _remainder(ops, low * y))


def uniform(ops: Ops, key: Value, offsets: tuple[float, float, float, float]) -> Value:
    r"""A number in (0, 1) for each whole `key` (``0 <= key <= 2**50``), by a seeded hash.

    ``x = (key + o_0) mod p``, three rounds of ``x = (x^2 + o_i) mod p``, then
    ``x = 48271 x mod p`` and ``u = (x + 1/2) / p``, with ``p = 2**31 - 1``.
    """
    x = _remainder(ops, key + offsets[0])
    for offset in offsets[1:]:
        x = _remainder(ops, _product(ops, x, x) + offset)
    x = _product(ops, x, ops.fill(x, _MULTIPLIER))
    return (x + 0.5) / _MODULUS


# Acklam's rational approximation of the normal quantile (relative error below 1.2e-9).
_A = (-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.3577518672690,
      -30.66479806614716, 2.506628277459239)  # fmt: skip
_B = (-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
      -13.28068155288572)  # fmt: skip
_C = (-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
      4.374664141464968, 2.938163982698783)  # fmt: skip
_D = (0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416)
_TAIL = 0.02425


def _polynomial(coefficients: tuple[float, ...], x: Value) -> Value:
    value: Value = coefficients[0]
    for coefficient in coefficients[1:]:
        value = value * x + coefficient
    return value


def normal_quantile(ops: Ops, p: Value) -> Value:
    """The standard normal quantile of ``p`` in (0, 1), by Acklam's approximation."""
    q = p - 0.5
    r = q * q
    central = _polynomial(_A, r) * q / (_polynomial(_B, r) * r + 1.0)
    tail_p = ops.minimum(p, 1.0 - p)
    s = ops.sqrt(-2.0 * ops.log(ops.maximum(tail_p, 1e-300)))
    tail = _polynomial(_C, s) / (_polynomial(_D, s) * s + 1.0)  # the lower tail: negative
    tail = ops.where(p > 0.5, -tail, tail)
    return ops.where(tail_p < _TAIL, tail, central)


def _normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


class NoisyCurve(Curve):
    """A curve times ``1 + n(floor(t))``, ``n`` the step's noise (see :class:`Noisy`)."""

    shape = "noisy"

    def __init__(self, curve: Curve, noisy: Noisy) -> None:
        self.curve, self.noisy = curve, noisy

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """``curve(t) * (1 + n(t))``."""
        return self.curve.evaluate(t, ops) * (1.0 + self.noisy.noise(t, ops))

    def scalar(self) -> ScalarCurve:
        """The same operations on Python floats."""
        inner, noise = self.curve.scalar(), self.noisy.noise
        return lambda t: inner(t) * (1.0 + float(noise(t, SCALAR)))

    def limit(self) -> float:
        """The underlying curve's limit (the noise has none; its mean is about 0)."""
        return self.curve.limit()

    def monotone(self) -> bool:
        """Noise is not monotone."""
        return False


@dataclass(frozen=True, repr=False)
class Noisy(Schedule):
    r"""`schedule` with timm's LR noise: ``v(t) = schedule(t) * (1 + n(floor(t)))`` in a range.

    For ``start <= t < end`` (``end=None``: no end), ``n`` is a number in ``(-pct, pct)``
    drawn for the whole step ``k = floor(t)``: with ``distribution="normal"``, a normal
    variable of standard deviation ``std`` truncated to ``(-pct, pct)`` (timm redraws until
    ``|n| < pct``); with ``"uniform"``, ``n = (2u - 1) pct``. The draw is a hash of ``k`` and
    `seed` (:func:`uniform`, then for the normal case the truncated quantile
    ``std * Phi^{-1}(Phi(-a) + u (Phi(a) - Phi(-a)))`` with ``a = pct / std``), so it is the same
    on every backend and after a resume. Outside the range the value is the schedule's.

    timm's ``noise_range_t=(s, e)``, ``noise_pct``, ``noise_std``, ``noise_seed`` and
    ``noise_type`` are `start`, `end`, `pct`, `std`, `seed` and `distribution` (a single
    ``noise_range_t=s`` is ``start=s``); the numbers differ from timm's draws.

    Args:
        schedule: Any schedule.
        start: The first step with noise (``>= 0``).
        end: The step where the noise stops (``> start``), or None.
        pct: The bound on ``|n|``, in (0, 1).
        std: The normal distribution's standard deviation (``> 0``).
        seed: A whole number.
        distribution: ``"normal"`` or ``"uniform"``.

    Example:
        >>> import warmcos
        >>> s = warmcos.noisy(warmcos.constant(1.0), start=10, end=20, pct=0.1)
        >>> s(9), s(20), 0.9 < s(10) < 1.1, s(10) == s(10.5), s(10) != s(11)
        (1.0, 1.0, True, True, True)
    """

    name = "noisy"

    schedule: Schedule
    start: Number = 0
    end: Number | None = None
    pct: Number = 0.67
    std: Number = 1.0
    seed: int = 42
    distribution: str = "normal"

    def __post_init__(self) -> None:
        where = "noisy()"
        if not isinstance(self.schedule, Schedule):
            raise TypeError(
                f"{where}: `schedule` must be a schedule. Received: "
                f"schedule={check.short(self.schedule)} of type {type(self.schedule).__name__}"
            )
        start = check.span(where, "start", self.start, zero=True)
        end = None if self.end is None else check.span(where, "end", self.end)
        if end is not None:
            check.less(where, "start", start, "end", end)
        pct = check.number(where, "pct", self.pct)
        if not 0 < pct < 1:
            raise check.fail(where, "pct", "be in (0, 1)", pct=self.pct)
        seed = self.seed
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(
                f"{where}: `seed` must be an int. Received: seed={check.short(seed)} of type "
                f"{type(seed).__name__}"
            )
        if abs(seed) > 2**63:
            raise check.fail(where, "seed", "be within +-2**63", seed=seed)
        set_fields(
            self,
            start=start,
            end=end,
            pct=pct,
            std=check.positive(where, "std", self.std),
            distribution=check.choice(where, "distribution", self.distribution, DISTRIBUTIONS),
        )
        self._check_parts(where)
        modulus = int(_MODULUS)
        offsets = tuple(float((seed * a + b) % modulus) for a, b in _SEEDING)
        object.__setattr__(self, "_offsets", offsets)
        a = float(pct) / float(self.std)
        low, high = _normal_cdf(-a), _normal_cdf(a)
        object.__setattr__(self, "_cdf", (low, high - low))

    def _parts(self) -> tuple[Schedule, ...]:
        return (self.schedule,)

    def noise(self, t: Value, ops: Ops) -> Value:
        """``n(floor(t))`` at step(s) `t`, ignoring the range (see the class docstring)."""
        key = ops.minimum(ops.floor(t), _LAST_KEY)
        u = uniform(ops, key, self.__dict__["_offsets"])
        pct = float(self.pct)
        if self.distribution == "uniform":
            return (2.0 * u - 1.0) * pct
        low, width = self.__dict__["_cdf"]
        drawn = float(self.std) * normal_quantile(ops, low + u * width)
        return ops.minimum(ops.maximum(drawn, -pct), pct)

    def _inside(self, t: Value, ops: Ops) -> Value:
        inside = t >= float(self.start)
        if self.end is not None:
            inside = inside & (t < float(self.end))
        return inside

    @property
    def natural_end(self) -> float | None:
        """The schedule's end or the noise's, whichever is later (None with endless noise)."""
        end = self.schedule.natural_end
        if self.end is None or end is None:
            return None
        return max(end, float(self.end))

    def _segments_from(self, t: float) -> Iterator[Segment]:
        first, last = float(self.start), math.inf if self.end is None else float(self.end)
        for segment in self.schedule._segments_from(t):
            cuts = [segment.start, *(c for c in (first, last) if segment.start < c < segment.end)]
            cuts.append(segment.end)
            for low, high in pairwise(cuts):
                if high <= t:
                    continue
                yield self._piece(segment, low, high, first <= low < last)
            if math.isinf(segment.end):
                return

    def _piece(self, segment: Segment, low: float, high: float, noisy: bool) -> Segment:
        curve = NoisyCurve(segment.curve, self) if noisy else segment.curve
        fast = curve.scalar()
        if math.isinf(high):
            approached = curve.limit()
        else:  # the value just before the end: its own step's noise, not the next one's
            approached = float(fast(math.nextafter(high, -math.inf)))
            if not noisy:
                approached = float(fast(high))
        return Segment(
            segment.kind,
            low,
            high,
            float(fast(low)),
            approached,
            curve,
            segment.cycle,
            segment.piece,
        )

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """``schedule(t) * (1 + n(t))`` inside the range, ``schedule(t)`` outside."""
        value = self.schedule.evaluate(t, ops)
        noisy = value * (1.0 + self.noise(t, ops))
        return ops.where(self._inside(t, ops), noisy, value)


_SEEDING = ((1_103_515_245, 12_345), (69_069, 1), (1_664_525, 1_013_904_223), (22_695_477, 1))
"""``(a, b)`` per offset: ``o_i = (seed * a + b) mod p``."""
