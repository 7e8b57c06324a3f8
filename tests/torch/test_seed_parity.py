"""Parity of warmcos with the formulas of the project's seed article (see SEED.md).

The references below are written in this file from SEED.md's description, loop-based and
stepped one update at a time like the article's schedulers; they share no code with warmcos.
Everything is float64 (Python floats); tolerance 1e-12 absolute.

Seed options warmcos cannot express, or deliberately changes (for the README):
- PyTorch ``CosineAnnealingWarmupRestarts`` with ``gamma < 1`` once ``max_lr * gamma**c`` falls
  below ``min_lr``: the seed warms up DOWNWARDS and its cosine dips below ``min_lr``; warmcos
  clamps the cycle peak at the floor (``gamma_mode="peak"``), so such cycles sit at ``min_lr``.
- Its ``step(epoch)`` path (cycle length ``first_cycle_steps * cycle_mult**n`` from a float
  logarithm, warm-up included in the product): warmcos only has the incremental rule
  (``cycle_rule="integer"``) and the geometric one, both with exact boundaries.
- Its step 0 with ``warmup_steps=0`` (the seed sets ``min_lr`` on construction): warmcos gives
  ``max_lr``, which is what the seed's own formulas give.
- Keras ``CosineAnnealingLRScheduler`` as published (cosine over ``total_step`` instead of
  ``total_step - warm_step``, ``warm_step = 1`` when ``warmth_rate == 0``, periodic after the
  end): warmcos implements the fixed semantics of SEED.md ("Ours (fixed semantics)").
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

import warmcos
from curves import ATOL
from curves import assert_curves_match as _assert_curves_match
from curves import ours as _ours


def _seed_restarts_reference(
    *,
    first_cycle_steps: int,
    cycle_mult: float,
    max_lr: float,
    min_lr: float,
    warmup_steps: int,
    gamma: float,
) -> Iterator[float]:
    """The seed's CosineAnnealingWarmupRestarts, one update at a time (SEED.md, Interface 1).

    Yields the LR of update 0, 1, 2, ... Within a cycle of length ``L`` at position ``s`` with
    peak ``P = max_lr * gamma**c``: linear warm-up from ``min_lr`` over ``warmup_steps``, then
    half a cosine down to ``min_lr`` over ``L - warmup_steps``. The next cycle's length is
    ``int((L - warmup_steps) * cycle_mult) + warmup_steps``. Nothing is clamped.
    """
    cycle, length, position = 0, first_cycle_steps, 0
    while True:
        peak = max_lr * gamma**cycle
        if position < warmup_steps:
            yield min_lr + (peak - min_lr) * position / warmup_steps
        else:
            progress = (position - warmup_steps) / (length - warmup_steps)
            yield min_lr + (peak - min_lr) * (1 + math.cos(math.pi * progress)) / 2
        position += 1
        if position >= length:
            position -= length
            cycle += 1
            length = int((length - warmup_steps) * cycle_mult) + warmup_steps


def _seed_cycle_lengths(first_cycle_steps: int, cycle_mult: float, warmup_steps: int, count: int):
    lengths = [first_cycle_steps]
    while len(lengths) < count:
        lengths.append(int((lengths[-1] - warmup_steps) * cycle_mult) + warmup_steps)
    return lengths


RESTARTS_GRID = [
    # (first_cycle_steps, cycle_mult, max_lr, min_lr, warmup_steps, gamma, cycles compared)
    (10, 1.0, 0.1, 0.001, 0, 1.0, 4),
    (10, 1.0, 0.1, 0.001, 3, 1.0, 4),
    (1, 1.0, 0.1, 0.0, 0, 1.0, 8),
    (2, 2.0, 0.1, 0.0, 1, 0.5, 6),
    (5, 2.0, 1.0, 1e-3, 0, 0.8, 6),
    (8, 1.5, 0.1, 1e-4, 0, 0.9, 7),
    (8, 1.5, 0.1, 1e-4, 2, 0.9, 7),
    (13, 1.5, 3e-4, 1e-6, 4, 0.7, 7),
    (20, 1.25, 0.05, 0.0, 5, 1.0, 6),
    (7, 3.0, 0.01, 0.001, 6, 0.95, 4),  # warm-up of all but one step of the first cycle
    (10, 1.7, 0.1, 0.1 * 0.9**5, 2, 0.9, 6),  # the last cycle's peak is exactly min_lr
]


@pytest.mark.parametrize(
    ("first_cycle", "cycle_mult", "max_lr", "min_lr", "warmup", "gamma", "cycles"), RESTARTS_GRID
)
def test_cosine_restarts_equals_seed_formulas(
    first_cycle: int,
    cycle_mult: float,
    max_lr: float,
    min_lr: float,
    warmup: int,
    gamma: float,
    cycles: int,
) -> None:
    # On this grid the seed's decayed peak max_lr * gamma**c stays >= min_lr in every compared
    # cycle, so warmcos' clamp (peak never below the floor) does not act.
    assert max_lr * gamma ** (cycles - 1) >= min_lr
    n = sum(_seed_cycle_lengths(first_cycle, cycle_mult, warmup, cycles))
    reference = _seed_restarts_reference(
        first_cycle_steps=first_cycle,
        cycle_mult=cycle_mult,
        max_lr=max_lr,
        min_lr=min_lr,
        warmup_steps=warmup,
        gamma=gamma,
    )
    seed = [next(reference) for _ in range(n)]
    # max_lr -> peak, first_cycle_steps (warm-up included) -> first_cycle, min_lr -> floor,
    # warmup_steps -> warmup (every cycle, from the floor: warmup_cycles="every",
    # warmup_start=None), cycle_mult with the seed's truncating rule (cycle_rule="integer"),
    # gamma on the peak (gamma_mode="peak").
    ours = _ours(
        warmcos.cosine_restarts(
            peak=max_lr,
            first_cycle=first_cycle,
            floor=min_lr,
            cycle_mult=cycle_mult,
            gamma=gamma,
            warmup=warmup,
        ),
        n,
    )
    _assert_curves_match(seed, ours)
    if warmup == 0:
        # Step 0 is the peak when there is no warm-up (the seed's code set min_lr there).
        assert ours[0] == pytest.approx(max_lr, abs=ATOL)
    else:
        assert ours[0] == pytest.approx(min_lr, abs=ATOL)


def test_cosine_restarts_restart_steps_follow_the_seed_cycle_lengths() -> None:
    # Every restart of the seed's incremental rule is a peak in warmcos, e.g. cycle_mult=1.5
    # at the 5th and 7th restart, where the seed's own log-based step(epoch) path went wrong.
    first_cycle, cycle_mult, warmup, max_lr, min_lr = 8, 1.5, 0, 0.1, 0.001
    lengths = _seed_cycle_lengths(first_cycle, cycle_mult, warmup, 12)
    ours = warmcos.cosine_restarts(
        peak=max_lr, first_cycle=first_cycle, floor=min_lr, cycle_mult=cycle_mult
    )
    start = 0
    for length in lengths:
        assert ours(start) == pytest.approx(max_lr, abs=ATOL)
        assert ours(start + length - 1) < ours(start + length - 2) < max_lr
        start += length


def test_cosine_restarts_clamps_the_peak_where_the_seed_goes_below_min_lr() -> None:
    # The seed multiplies the peak by gamma every cycle without a clamp: once
    # max_lr * gamma**c < min_lr its warm-up ramps DOWN and its cosine dips below min_lr.
    # warmcos (gamma_mode="peak") clamps the cycle peak at the floor: such cycles hold min_lr.
    first_cycle, cycle_mult, max_lr, min_lr, warmup, gamma = 6, 1.5, 0.1, 0.02, 2, 0.5
    lengths = _seed_cycle_lengths(first_cycle, cycle_mult, warmup, 5)
    n = sum(lengths)
    reference = _seed_restarts_reference(
        first_cycle_steps=first_cycle,
        cycle_mult=cycle_mult,
        max_lr=max_lr,
        min_lr=min_lr,
        warmup_steps=warmup,
        gamma=gamma,
    )
    seed = [next(reference) for _ in range(n)]
    ours = _ours(
        warmcos.cosine_restarts(
            peak=max_lr,
            first_cycle=first_cycle,
            floor=min_lr,
            cycle_mult=cycle_mult,
            gamma=gamma,
            warmup=warmup,
        ),
        n,
    )
    # Cycles 0..2 have peaks 0.1, 0.05, 0.025 >= min_lr: identical. Cycles 3 and 4 have
    # 0.0125 and 0.00625 < min_lr: the seed goes below min_lr, warmcos holds min_lr.
    clamped_from = sum(lengths[:3])
    assert max_lr * gamma**2 >= min_lr > max_lr * gamma**3
    _assert_curves_match(seed[:clamped_from], ours[:clamped_from])
    assert min(seed[clamped_from:]) < min_lr - 1e-3
    assert ours[clamped_from:] == pytest.approx([min_lr] * (n - clamped_from), abs=ATOL)
    assert min(ours) >= min_lr


# --- Keras CosineAnnealingLRScheduler, fixed semantics -------------------------------------------


def _seed_keras_fixed_reference(
    step: int, *, total_step: int, lr_max: float, lr_min: float, warmth_rate: float
) -> float:
    """SEED.md "Ours (fixed semantics)" for the Keras scheduler."""
    warm = int(total_step * warmth_rate)
    if warm > 0 and step < warm:
        return lr_max * step / warm
    if step < total_step:
        progress = (step - warm) / (total_step - warm)
        return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * progress)) / 2
    return lr_min


@pytest.mark.parametrize(
    ("total_step", "lr_max", "lr_min", "warmth_rate"),
    [
        (1, 0.1, 0.0, 0.0),
        (10, 0.1, 0.0, 0.0),
        (100, 1e-3, 1e-5, 0.2),
        (37, 0.1, 0.01, 0.1),  # int(3.7) = 3 warm-up steps
        (50, 0.1, 0.0, 0.01),  # int(0.5) = 0: no warm-up
        (20, 0.5, 0.5, 0.5),  # lr_min == lr_max
        (1000, 3e-4, 0.0, 0.999),
    ],
)
def test_cosine_equals_seed_keras_fixed_semantics(
    total_step: int, lr_max: float, lr_min: float, warmth_rate: float
) -> None:
    n = total_step + 10
    seed = [
        _seed_keras_fixed_reference(
            t, total_step=total_step, lr_max=lr_max, lr_min=lr_min, warmth_rate=warmth_rate
        )
        for t in range(n)
    ]
    # lr_max -> peak, total_step -> steps, lr_min -> floor, warm-up of int(total_step *
    # warmth_rate) steps from 0 (an int, so it is a step count, not a fraction).
    ours = _ours(
        warmcos.cosine(
            peak=lr_max,
            steps=total_step,
            floor=lr_min,
            warmup=int(total_step * warmth_rate),
            warmup_start=0.0,
        ),
        n,
    )
    _assert_curves_match(seed, ours)
    if int(total_step * warmth_rate) == 0:
        assert ours[0] == pytest.approx(lr_max, abs=ATOL)  # the article gave 0 here
    assert ours[total_step] == lr_min


def test_cosine_with_fractional_warmup_is_not_the_seed_int_truncation() -> None:
    # The seed truncates total_step * warmth_rate; warmcos resolves a fraction 0 < w < 1
    # EXACTLY (not rounded), so passing warmth_rate itself gives a different curve when the
    # product is not whole. Map with warmup=int(total_step * warmth_rate), as above.
    total_step, lr_max, warmth_rate = 37, 0.1, 0.1
    truncated = warmcos.cosine(peak=lr_max, steps=total_step, warmup=int(total_step * warmth_rate))
    fractional = warmcos.cosine(peak=lr_max, steps=total_step, warmup=warmth_rate)
    assert truncated(3) == pytest.approx(lr_max, abs=ATOL)
    assert fractional(3) == pytest.approx(lr_max * 3 / 3.7, abs=ATOL)
