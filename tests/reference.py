"""Slow, loop-based reference schedules written straight from the contract (issue 2).

Nothing here imports or copies warmcos. Every factory returns a plain callable ``f(t) -> float``
that takes a Python int or float step. The code favours obviousness over speed: restart cycles
are found by walking them one at a time with exact ``fractions.Fraction`` arithmetic, step
decays count boundaries exactly, and ``join`` walks its pieces in order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction

Ref = Callable[[float], float]


def resolve_length(value: float, total: float) -> float:
    """A float strictly between 0 and 1 is ``value * total``; anything else is a step count."""
    if isinstance(value, float) and 0.0 < value < 1.0:
        return value * total
    return value


def cosine(
    peak: float, steps: float, floor: float = 0.0, warmup: float = 0, warmup_start: float = 0.0
) -> Ref:
    w = resolve_length(warmup, steps)

    def f(t: float) -> float:
        if t < w:
            return warmup_start + (peak - warmup_start) * (t / w)
        if t < steps:
            x = (t - w) / (steps - w)
            return floor + (peak - floor) * (1.0 + math.cos(math.pi * x)) / 2.0
        return floor

    return f


class CosineRestarts:
    """Cosine with warm restarts; cycles are walked one by one with exact rationals."""

    def __init__(
        self,
        peak: float,
        first_cycle: float,
        floor: float = 0.0,
        cycle_mult: float = 1.0,
        gamma: float = 1.0,
        warmup: float = 0,
        warmup_start: float | None = None,
        max_cycles: int | None = None,
        *,
        warmup_cycles: str = "every",
        cycle_rule: str = "integer",
        gamma_mode: str = "peak",
    ) -> None:
        self.peak = peak
        self.floor = floor
        self.cycle_mult = cycle_mult
        self.gamma = gamma
        self.warmup_start = warmup_start
        self.max_cycles = max_cycles
        self.warmup_cycles = warmup_cycles
        self.cycle_rule = cycle_rule
        self.gamma_mode = gamma_mode
        self.w = Fraction(resolve_length(warmup, first_cycle))
        self.d0 = Fraction(first_cycle) - self.w
        if cycle_rule == "integer":
            assert self.w.denominator == 1 and self.d0.denominator == 1

    def warmup_of(self, k: int) -> Fraction:
        if k == 0 or self.warmup_cycles == "every":
            return self.w
        return Fraction(0)

    def next_decay(self, d: Fraction) -> Fraction:
        if self.cycle_rule == "integer":
            # The contract: D_{k+1} = int(D_k * cycle_mult), a Python float product, truncated.
            return Fraction(int(int(d) * self.cycle_mult))
        return d * Fraction(self.cycle_mult)

    def cycles(self, n: int) -> list[tuple[int, Fraction, Fraction, Fraction]]:
        """The first ``n`` cycles as ``(k, start, warmup_k, decay_k)`` (ignores max_cycles)."""
        out = []
        start, d = Fraction(0), self.d0
        for k in range(n):
            wk = self.warmup_of(k)
            out.append((k, start, wk, d))
            start += wk + d
            d = self.next_decay(d)
        return out

    def find_cycle(self, t: Fraction) -> tuple[int, Fraction, Fraction, Fraction] | None:
        """``(k, start, warmup_k, decay_k)`` of the cycle holding ``t``; None past max_cycles."""
        k, start, d = 0, Fraction(0), self.d0
        while True:
            if self.max_cycles is not None and k >= self.max_cycles:
                return None
            wk = self.warmup_of(k)
            length = wk + d
            if t < start + length:
                return k, start, wk, d
            nd = self.next_decay(d)
            if nd == d and k >= 1:
                # From cycle k on every cycle has this same length: skip whole cycles at once.
                n = int((t - start) // length)
                if self.max_cycles is not None:
                    n = min(n, self.max_cycles - k)
                k += n
                start += n * length
                continue
            start += length
            k += 1
            d = nd

    def peak_floor(self, k: int) -> tuple[float, float]:
        g = self.gamma**k
        if self.gamma_mode == "peak":
            return max(self.peak * g, self.floor), self.floor
        if self.gamma_mode == "amplitude":
            return self.floor + (self.peak - self.floor) * g, self.floor
        assert self.gamma_mode == "scale"
        return self.peak * g, self.floor * g

    def __call__(self, t: float) -> float:
        exact_t = Fraction(t)
        found = self.find_cycle(exact_t)
        if found is None:
            assert self.max_cycles is not None
            return self.peak_floor(self.max_cycles - 1)[1]
        k, start, wk, d = found
        p, fl = self.peak_floor(k)
        ws = fl if self.warmup_start is None else self.warmup_start
        s = exact_t - start
        if s < wk:
            return ws + (p - ws) * float(s / wk)
        x = float((s - wk) / d)
        return fl + (p - fl) * (1.0 + math.cos(math.pi * x)) / 2.0


def cosine_restarts(*args: object, **kwargs: object) -> CosineRestarts:
    return CosineRestarts(*args, **kwargs)  # type: ignore[arg-type]


def constant(value: float) -> Ref:
    return lambda t: value


def linear(start: float, end: float, steps: float) -> Ref:
    def f(t: float) -> float:
        if t >= steps:
            return end
        return start + (end - start) * (t / steps)

    return f


def step(value: float, step_size: float, gamma: float = 0.1) -> Ref:
    def f(t: float) -> float:
        # floor(t / step_size) on exact rationals, so a float quotient cannot round up early.
        k = int(Fraction(t) // Fraction(step_size))
        return value * gamma**k

    return f


def multistep(value: float, milestones: Sequence[float], gamma: float = 0.1) -> Ref:
    def f(t: float) -> float:
        passed = 0
        for m in milestones:
            if m <= t:
                passed += 1
        return value * gamma**passed

    return f


def exponential(value: float, gamma: float) -> Ref:
    return lambda t: value * gamma**t


def wsd(
    peak: float,
    steps: float,
    warmup: float,
    decay: float,
    floor: float = 0.0,
    shape: str = "linear",
    warmup_start: float = 0.0,
) -> Ref:
    w = resolve_length(warmup, steps)
    d = resolve_length(decay, steps)
    decay_start = steps - d

    def f(t: float) -> float:
        if t < w:
            return warmup_start + (peak - warmup_start) * (t / w)
        if t < decay_start:
            return peak
        if t < steps:
            p = (t - decay_start) / d
            if shape == "linear":
                return floor + (peak - floor) * (1.0 - p)
            if shape == "cosine":
                return floor + (peak - floor) * (1.0 + math.cos(math.pi * p)) / 2.0
            assert shape == "sqrt"
            return floor + (peak - floor) * (1.0 - math.sqrt(p))
        return floor

    return f


def join(schedules: Sequence[Ref], boundaries: Sequence[float]) -> Ref:
    def f(t: float) -> float:
        offset: float = 0
        for piece, b in zip(schedules[:-1], boundaries, strict=True):
            if t < b:
                return piece(t - offset)
            offset = b
        return schedules[-1](t - offset)

    return f


FACTORIES: dict[str, Callable[..., Ref]] = {
    "cosine": cosine,
    "cosine_restarts": cosine_restarts,
    "constant": constant,
    "linear": linear,
    "step": step,
    "multistep": multistep,
    "exponential": exponential,
    "wsd": wsd,
    "join": join,
}
