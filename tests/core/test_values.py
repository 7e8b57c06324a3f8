"""Hand-computed values for every schedule, at every boundary the contract names.

Each expected number is a literal. Where it is not obvious, the comment beside it gives the
tiny calculation it came from, written with ``c(floor, peak, x) = floor + (peak - floor) *
(1 + cos(pi * x)) / 2`` (the cosine half-wave at fraction ``x`` of the decay).

Every case is checked on the scalar path and, where the step fits, on the NumPy (int64 and
float64) and torch (int64 and float64) paths too, since an exact restart boundary must be
exact on every path. Warm-ups start at a non-zero value so that a wrong warm-up cannot hide.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import warmcos

TIGHT = {"rel": 1e-15, "abs": 1e-15}


def approx(x: float) -> object:
    return pytest.approx(x, **TIGHT)


def all_paths(s: warmcos.Schedule, t: float) -> dict[str, float]:
    """Value of ``s`` at ``t`` on every evaluation path that can represent ``t``."""
    out = {"scalar": s(t)}
    if isinstance(t, int) and t < 2**63:
        out["numpy-int64"] = float(s(np.array([t], dtype=np.int64))[0])
        out["torch-int64"] = float(s(torch.tensor([t], dtype=torch.int64))[0])
    if float(t) == t and float(t) < 2**63:
        out["numpy-float64"] = float(s(np.array([float(t)], dtype=np.float64))[0])
        out["torch-float64"] = float(s(torch.tensor([float(t)], dtype=torch.float64))[0])
    return out


def check(s: warmcos.Schedule, cases: list[tuple[float, float]]) -> None:
    for t, expected in cases:
        for path, got in all_paths(s, t).items():
            assert got == approx(expected), f"{s!r} at t={t!r} on the {path} path"


# cosine ---------------------------------------------------------------------------------------

COSINE = warmcos.cosine(peak=1.0, steps=108, floor=0.25, warmup=8, warmup_start=0.5)


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        (0, 0.5),  # warm-up starts at warmup_start, not at 0
        (2, 0.625),  # 0.5 + 0.5 * 2/8
        (2.5, 0.65625),  # 0.5 + 0.5 * 2.5/8 (fractional step)
        (4, 0.75),
        (7, 0.9375),  # last warm-up step: 0.5 + 0.5 * 7/8
        (8, 1.0),  # end of warm-up: the peak
        (33, 0.8901650429449552),  # c(0.25, 1, 25/100)
        (58, 0.625),  # c(0.25, 1, 1/2)
        (58.5, 0.6191097560080673),  # c(0.25, 1, 50.5/100)
        (83, 0.3598349570550447),  # c(0.25, 1, 3/4)
        (107, 0.2501850398628507),  # last step before the end: c(0.25, 1, 99/100)
        (108, 0.25),  # t == steps: floor
        (109, 0.25),
        (10**6, 0.25),
        (10**15, 0.25),
        (10**30, 0.25),  # a Python int far beyond int64
        (1e300, 0.25),
    ],
)
def test_cosine_values(t: float, expected: float) -> None:
    check(COSINE, [(t, expected)])


def test_cosine_holds_exactly_the_floor_from_the_last_step_on() -> None:
    for t in (108, 108.0, 109, 10**12, 1e300, 10**30):
        assert COSINE(t) == 0.25


def test_cosine_without_warmup_starts_at_peak() -> None:
    s = warmcos.cosine(peak=0.5, steps=4, floor=0.1)
    check(s, [(0, 0.5), (1, 0.4414213562373095), (2, 0.3), (4, 0.1), (5, 0.1)])


def test_cosine_fractional_warmup_is_a_fraction_of_steps() -> None:
    s = warmcos.cosine(peak=1.0, steps=1000, warmup=0.05, warmup_start=0.2)  # W = 50
    assert s.warmup == 0.05  # the given value is kept
    check(s, [(0, 0.2), (25, 0.6), (49, 0.984), (50, 1.0), (525, 0.5), (1000, 0.0)])
    # 0.2 + 0.8 * 49/50 = 0.984; t = 525 is half-way through the 950-step decay.


def test_cosine_float_warmup_of_one_is_a_count_not_the_whole_run() -> None:
    s = warmcos.cosine(peak=1.0, steps=11, warmup=1.0, warmup_start=0.5)  # W = 1 step
    check(s, [(0, 0.5), (0.5, 0.75), (1, 1.0), (6, 0.5), (11, 0.0)])


def test_cosine_non_whole_float_warmup_count() -> None:
    s = warmcos.cosine(peak=1.0, steps=12, warmup=2.5, warmup_start=0.5)  # W = 2.5 steps
    check(s, [(0, 0.5), (1.25, 0.75), (2, 0.9), (2.5, 1.0), (7.25, 0.5), (12, 0.0)])


# cosine_restarts: the integer rule ------------------------------------------------------------

# first_cycle=110 includes W=10, so D_0 = 100, D_1 = int(100*1.5) = 150, D_2 = int(150*1.5) = 225,
# D_3 = int(225*1.5) = int(337.5) = 337.
# Starts: 0, 110, 110+160 = 270, 270+235 = 505, 505+347 = 852.
RESTARTS = warmcos.cosine_restarts(
    peak=1.0, first_cycle=110, floor=0.25, cycle_mult=1.5, warmup=10, warmup_start=0.5
)


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        (0, 0.5),
        (5, 0.75),
        (10, 1.0),  # end of warm-up of cycle 0
        (60, 0.625),  # c(0.25, 1, 50/100)
        (109, 0.2501850398628507),  # c(0.25, 1, 99/100): last step of cycle 0
        (110, 0.5),  # restart: every cycle warms up again from warmup_start
        (112.5, 0.625),  # 0.5 + 0.5 * 2.5/10
        (115, 0.75),
        (120, 1.0),
        (195, 0.625),  # c(0.25, 1, 75/150)
        (269, 0.25008224369693294),  # c(0.25, 1, 149/150)
        (270, 0.5),  # cycle 2 starts at 270
        (280, 1.0),
        (504, 0.2500365534965109),  # c(0.25, 1, 224/225)
        (505, 0.5),  # cycle 3 starts at 505 (D_3 = 337, the truncated 337.5)
        (515, 1.0),
        (852, 0.5),  # cycle 4 starts at 505 + 10 + 337
    ],
)
def test_restarts_integer_rule_values(t: float, expected: float) -> None:
    check(RESTARTS, [(t, expected)])


def test_restarts_cycle_length_uses_a_float_product_truncated() -> None:
    # 20 * 1.15 == 23.0 in floats, while the exact rational product is a hair under 23, so the
    # contract's rule gives D_1 = 23 (not 22). D_2 = int(23 * 1.15) = int(26.45) = 26.
    # Starts: 0, 20, 43, 69.
    s = warmcos.cosine_restarts(peak=1.0, first_cycle=20, floor=0.25, cycle_mult=1.15)
    check(
        s,
        [
            (19, 0.2546168722768234),  # c(0.25, 1, 19/20)
            (20, 1.0),
            (42, 0.25349277023637595),  # c(0.25, 1, 22/23)
            (43, 1.0),
            (68, 0.25273417221322975),  # c(0.25, 1, 25/26)
            (69, 1.0),
        ],
    )


def test_restarts_warmup_start_defaults_to_the_floor() -> None:
    s = warmcos.cosine_restarts(peak=1.0, first_cycle=110, floor=0.25, cycle_mult=1.5, warmup=10)
    check(s, [(0, 0.25), (5, 0.625), (10, 1.0), (110, 0.25), (115, 0.625), (120, 1.0)])


def test_restarts_warmup_only_in_first_cycle() -> None:
    # "first": L_0 = 110, then L_1 = D_1 = 150, L_2 = D_2 = 225. Starts: 0, 110, 260, 485.
    s = warmcos.cosine_restarts(
        peak=1.0,
        first_cycle=110,
        floor=0.25,
        cycle_mult=1.5,
        warmup=10,
        warmup_start=0.5,
        warmup_cycles="first",
    )
    check(
        s,
        [
            (0, 0.5),
            (5, 0.75),
            (10, 1.0),
            (109, 0.2501850398628507),  # c(0.25, 1, 99/100)
            (110, 1.0),  # no warm-up: the restart goes straight to the peak
            (185, 0.625),  # c(0.25, 1, 75/150)
            (259, 0.25008224369693294),  # c(0.25, 1, 149/150)
            (260, 1.0),
            (484, 0.2500365534965109),  # c(0.25, 1, 224/225)
            (485, 1.0),
        ],
    )


def test_restarts_fractional_warmup_is_a_fraction_of_first_cycle() -> None:
    # warmup=0.25 of first_cycle=100 -> W = 25, D_0 = 75, D_1 = 150 (both rules for cycle_mult=2).
    # Starts: 0, 100, 275.
    cases = [
        (0, 0.5),
        (12.5, 0.75),
        (25, 1.0),
        (62.5, 0.625),  # c(0.25, 1, 37.5/75)
        (100, 0.5),
        (125, 1.0),
        (200, 0.625),  # c(0.25, 1, 75/150)
        (275, 0.5),
    ]
    for rule in ("integer", "geometric"):
        s = warmcos.cosine_restarts(
            peak=1.0,
            first_cycle=100,
            floor=0.25,
            cycle_mult=2.0,
            warmup=0.25,
            warmup_start=0.5,
            cycle_rule=rule,
        )
        assert s.warmup == 0.25
        check(s, cases)


def test_restarts_geometric_rule_has_real_cycle_lengths() -> None:
    # D_k = 10 * 1.5**k = 10, 15, 22.5, 33.75; starts 0, 10, 25, 47.5, 81.25.
    s = warmcos.cosine_restarts(
        peak=1.0, first_cycle=10, floor=0.25, cycle_mult=1.5, cycle_rule="geometric"
    )
    check(
        s,
        [
            (10, 1.0),
            (25, 1.0),
            (36.25, 0.625),  # c(0.25, 1, 11.25/22.5)
            (47, 0.25091348115256595),  # c(0.25, 1, 22/22.5): still in cycle 2
            (47.5, 1.0),
            (81, 0.25010153455770184),  # c(0.25, 1, 33.5/33.75)
            (81.25, 1.0),
        ],
    )
    # The integer rule instead truncates D_2 to 22, so cycle 3 starts at 47.
    s_int = warmcos.cosine_restarts(peak=1.0, first_cycle=10, floor=0.25, cycle_mult=1.5)
    check(s_int, [(46, 0.25381695929465026), (47, 1.0)])  # c(0.25, 1, 21/22)


def test_restarts_geometric_with_warmup_first() -> None:
    # W = 2, D_0 = 10, D_1 = 20, D_2 = 40; "first": starts 0, 12, 32, 72.
    s = warmcos.cosine_restarts(
        peak=1.0,
        first_cycle=12,
        floor=0.25,
        cycle_mult=2.0,
        warmup=2,
        warmup_start=0.5,
        warmup_cycles="first",
        cycle_rule="geometric",
    )
    check(s, [(1, 0.75), (2, 1.0), (7, 0.625), (12, 1.0), (22, 0.625), (32, 1.0), (72, 1.0)])


# cosine_restarts: gamma modes -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("gamma_mode", "cases"),
    [
        (
            # P_k = max(0.5**k, 0.2) = 1, 0.5, 0.25, 0.2, 0.2 ...; F_k = 0.2.
            "peak",
            [
                (0, 1.0),
                (5, 0.6),  # c(0.2, 1, 1/2)
                (9, 0.2195773934819386),  # c(0.2, 1, 9/10)
                (10, 0.5),
                (15, 0.35),  # c(0.2, 0.5, 1/2)
                (20, 0.25),
                (30, 0.2),  # 0.125 is clipped to the floor: a flat cycle
                (35, 0.2),
                (10**12, 0.2),
            ],
        ),
        (
            # P_k = 0.2 + 0.8 * 0.5**k = 1, 0.6, 0.4, 0.3; F_k = 0.2.
            "amplitude",
            [
                (0, 1.0),
                (10, 0.6),
                (15, 0.4),  # c(0.2, 0.6, 1/2)
                (20, 0.4),
                (30, 0.3),
                (35, 0.25),  # c(0.2, 0.3, 1/2)
                (10**12, 0.2),
            ],
        ),
        (
            # P_k = 0.5**k, F_k = 0.2 * 0.5**k.
            "scale",
            [
                (0, 1.0),
                (10, 0.5),
                (15, 0.3),  # c(0.1, 0.5, 1/2)
                (19, 0.1097886967409693),  # c(0.1, 0.5, 9/10)
                (20, 0.25),
                (29, 0.05489434837048465),  # c(0.05, 0.25, 9/10)
                (30, 0.125),
                (10**12, 0.0),  # 0.5**(10**11) underflows to 0
            ],
        ),
    ],
)
def test_restarts_gamma_modes(gamma_mode: str, cases: list[tuple[float, float]]) -> None:
    s = warmcos.cosine_restarts(
        peak=1.0, first_cycle=10, floor=0.2, gamma=0.5, gamma_mode=gamma_mode
    )
    check(s, cases)


@pytest.mark.parametrize(
    ("gamma_mode", "at_13"),
    [
        ("peak", 0.35),  # ws = F_1 = 0.2, P_1 = 0.5: 0.2 + 0.3 * 1/2
        ("amplitude", 0.4),  # ws = 0.2, P_1 = 0.6
        ("scale", 0.3),  # ws = F_1 = 0.1, P_1 = 0.5
    ],
)
def test_restarts_default_warmup_start_is_the_cycle_floor(gamma_mode: str, at_13: float) -> None:
    s = warmcos.cosine_restarts(
        peak=1.0, first_cycle=12, floor=0.2, gamma=0.5, warmup=2, gamma_mode=gamma_mode
    )
    f1 = 0.1 if gamma_mode == "scale" else 0.2
    check(
        s,
        [
            (0, 0.2),
            (1, 0.6),
            (2, 1.0),
            (12, f1),
            (13, at_13),
            (14, 0.6 if gamma_mode == "amplitude" else 0.5),
        ],
    )


# cosine_restarts: max_cycles ------------------------------------------------------------------


def test_restarts_max_cycles_holds_the_last_floor() -> None:
    # D: 10, 15, 22; starts 0, 10, 25, 47. With max_cycles=3 the value is the floor from 47 on.
    s = warmcos.cosine_restarts(peak=1.0, first_cycle=10, floor=0.25, cycle_mult=1.5, max_cycles=3)
    check(
        s,
        [
            (25, 1.0),  # the third (last) cycle still restarts
            (46, 0.25381695929465026),  # c(0.25, 1, 21/22)
            (47, 0.25),  # would be a restart without max_cycles
            (47.5, 0.25),
            (10**6, 0.25),
            (10**12, 0.25),
            (10**30, 0.25),
        ],
    )


def test_restarts_max_cycles_one_means_no_restart() -> None:
    s = warmcos.cosine_restarts(peak=1.0, first_cycle=10, floor=0.25, max_cycles=1)
    check(s, [(0, 1.0), (5, 0.625), (10, 0.25), (20, 0.25), (10**12, 0.25)])


def test_restarts_max_cycles_scale_mode_holds_f_of_last_cycle() -> None:
    # Starts 0, 12, 24. Cycle 1: P = 0.5, F = 0.1, warm-up from the given 0.6. Beyond: F_1 = 0.1.
    s = warmcos.cosine_restarts(
        peak=1.0,
        first_cycle=12,
        floor=0.2,
        gamma=0.5,
        warmup=2,
        warmup_start=0.6,
        max_cycles=2,
        gamma_mode="scale",
    )
    check(
        s,
        [
            (0, 0.6),
            (1, 0.8),
            (11, 0.2195773934819386),  # c(0.2, 1, 9/10)
            (12, 0.6),
            (13, 0.55),  # 0.6 + (0.5 - 0.6) * 1/2
            (14, 0.5),
            (23, 0.1097886967409693),  # c(0.1, 0.5, 9/10)
            (24, 0.1),
            (10**12, 0.1),
            (10**30, 0.1),
        ],
    )


# cosine_restarts: restart boundaries beyond 10**12 --------------------------------------------


def near_floor(floor: float, peak: float, decay: int) -> float:
    # c(floor, peak, (decay - 1) / decay): pi**2 / (4 decay**2) of the amplitude above the floor.
    return floor + (peak - floor) * (1 + math.cos(math.pi * (decay - 1) / decay)) / 2


@pytest.mark.parametrize(
    ("kwargs", "start", "last_decay", "k"),
    [
        # cycle_mult=1: starts at multiples of 100.
        ({"first_cycle": 100}, 10**12, 100, 10**10),
        # Integer rule, 1.5: D = 100, 150, 225, 337, 505, ... (each int(D * 1.5)); S_56 is the
        # first start beyond 10**12 and the cycle before it has D_55 = 482158841976.
        ({"first_cycle": 100, "cycle_mult": 1.5}, 1446476525765, 482158841976, 56),
        # Integer rule, 2: S_k = 100 * (2**k - 1); S_34 = 1717986918300, D_33 = 100 * 2**33.
        ({"first_cycle": 100, "cycle_mult": 2.0}, 1717986918300, 858993459200, 34),
        (
            {"first_cycle": 100, "cycle_mult": 2.0, "cycle_rule": "geometric"},
            1717986918300,
            858993459200,
            34,
        ),
        # Geometric 1.5 from D_0 = 2**30: D_k = 2**30 * 1.5**k is whole for k <= 30 and
        # S_k = 2**31 * (1.5**k - 1); S_16 = 2**15 * 3**16 - 2**31 = 1408407470080.
        (
            {"first_cycle": 2**30, "cycle_mult": 1.5, "cycle_rule": "geometric"},
            1408407470080,
            2**15 * 3**15,
            16,
        ),
    ],
)
def test_restart_boundary_is_exact_beyond_1e12(
    kwargs: dict[str, object], start: int, last_decay: int, k: int
) -> None:
    s = warmcos.cosine_restarts(peak=1.0, floor=0.25, **kwargs)
    check(s, [(start, 1.0), (start - 1, near_floor(0.25, 1.0, last_decay))])
    assert s(start - 1) < s(start)
    # The cycle index itself: with gamma=0.5 in "scale" mode the peak of cycle k is 0.5**k.
    scaled = warmcos.cosine_restarts(peak=1.0, gamma=0.5, gamma_mode="scale", **kwargs)
    check(scaled, [(start, 0.5**k)])


@pytest.mark.parametrize(
    ("warmup_cycles", "start"),
    [
        # "every": L_k = 10 + D_k with D as above, so S_56 = 1446476525765 + 56 * 10.
        ("every", 1446476526325),
        # "first": only cycle 0 is 10 longer.
        ("first", 1446476525775),
    ],
)
def test_restart_boundary_with_warmup_beyond_1e12(warmup_cycles: str, start: int) -> None:
    s = warmcos.cosine_restarts(
        peak=1.0,
        first_cycle=110,
        floor=0.25,
        cycle_mult=1.5,
        warmup=10,
        warmup_start=0.5,
        warmup_cycles=warmup_cycles,
    )
    last = near_floor(0.25, 1.0, 482158841976)
    if warmup_cycles == "every":
        check(s, [(start - 1, last), (start, 0.5), (start + 5, 0.75), (start + 10, 1.0)])
    else:
        check(s, [(start - 1, last), (start, 1.0)])


def test_restart_boundary_cycle_mult_one_with_warmup_at_1e12() -> None:
    s = warmcos.cosine_restarts(peak=1.0, first_cycle=100, floor=0.25, warmup=10, warmup_start=0.5)
    check(
        s,
        [
            (10**12 - 1, 0.2502284398678391),  # c(0.25, 1, 89/90)
            (10**12, 0.5),
            (10**12 + 5, 0.75),
            (10**12 + 10, 1.0),
            (10**12 + 55, 0.625),  # c(0.25, 1, 45/90)
            (10**12 + 2.5, 0.625),  # 0.5 + 0.5 * 2.5/10, a fractional step
        ],
    )


# the simple schedules -------------------------------------------------------------------------


def test_constant() -> None:
    check(warmcos.constant(0.375), [(0, 0.375), (2.5, 0.375), (10**12, 0.375), (10**30, 0.375)])


def test_linear() -> None:
    s = warmcos.linear(start=0.2, end=1.0, steps=8)
    check(
        s,
        [(0, 0.2), (2.5, 0.45), (4, 0.6), (7, 0.9), (8, 1.0), (9, 1.0), (10**15, 1.0)],
    )
    down = warmcos.linear(start=1.0, end=0.5, steps=4)
    check(down, [(0, 1.0), (1, 0.875), (3, 0.625), (4, 0.5), (10**12, 0.5)])


def test_step() -> None:
    s = warmcos.step(value=1.0, step_size=10, gamma=0.5)
    check(
        s,
        [
            (0, 1.0),
            (9, 1.0),
            (9.999, 1.0),
            (10, 0.5),  # a new phase takes effect at its boundary
            (19.5, 0.5),
            (20, 0.25),
            (1000, 0.5**100),
            (10**12, 0.0),  # underflows, never negative
        ],
    )
    default_gamma = warmcos.step(2.0, 5)
    check(default_gamma, [(4, 2.0), (5, 0.2), (10, 0.020000000000000004)])  # 2 * 0.1**2


def test_multistep() -> None:
    s = warmcos.multistep(value=1.0, milestones=[10, 25], gamma=0.5)
    check(
        s,
        [(0, 1.0), (9.99, 1.0), (10, 0.5), (24, 0.5), (25, 0.25), (26, 0.25), (10**12, 0.25)],
    )
    default_gamma = warmcos.multistep(2.0, [3])
    check(default_gamma, [(2, 2.0), (3, 0.2)])


def test_exponential() -> None:
    s = warmcos.exponential(value=2.0, gamma=0.5)
    check(
        s,
        [
            (0, 2.0),
            (0.5, 1.4142135623730951),  # 2 * sqrt(0.5)
            (1, 1.0),
            (2.5, 0.3535533905932738),  # 2 * 0.5**2.5
            (3, 0.25),
            (10**6, 0.0),
        ],
    )
    check(warmcos.exponential(0.5, 1.0), [(0, 0.5), (10**12, 0.5)])


WSD_CASES = {
    # peak=1, floor=0.2, steps=100, W=10, D=20: decay over [80, 100), p = (t - 80) / 20.
    "linear": [(85, 0.8), (90, 0.6), (99, 0.24)],  # 0.2 + 0.8 * (1 - p)
    "cosine": [
        (85, 0.882842712474619),  # c(0.2, 1, 1/4)
        (90, 0.6),  # c(0.2, 1, 1/2)
        (99, 0.20492466376194496),  # c(0.2, 1, 0.95)
    ],
    "sqrt": [
        (85, 0.6),  # 0.2 + 0.8 * (1 - sqrt(0.25))
        (90, 0.434314575050762),  # 0.2 + 0.8 * (1 - sqrt(0.5))
        (99, 0.22025645241528294),  # 0.2 + 0.8 * (1 - sqrt(0.95))
    ],
}


@pytest.mark.parametrize("shape", ["linear", "cosine", "sqrt"])
def test_wsd(shape: str) -> None:
    common = [
        (0, 0.6),
        (5, 0.8),  # 0.6 + 0.4 * 5/10
        (7.5, 0.9),
        (10, 1.0),  # end of warm-up
        (50, 1.0),
        (79, 1.0),
        (80, 1.0),  # decay starts at steps - D with p = 0
        (100, 0.2),
        (101, 0.2),
        (10**15, 0.2),
    ]
    s = warmcos.wsd(
        peak=1.0, steps=100, warmup=10, decay=20, floor=0.2, shape=shape, warmup_start=0.6
    )
    check(s, common + WSD_CASES[shape])
    fractional = warmcos.wsd(
        peak=1.0, steps=100, warmup=0.1, decay=0.2, floor=0.2, shape=shape, warmup_start=0.6
    )
    assert (fractional.warmup, fractional.decay) == (0.1, 0.2)
    check(fractional, common + WSD_CASES[shape])


def test_wsd_decay_of_one_float_is_one_step() -> None:
    s = warmcos.wsd(peak=1.0, steps=10, warmup=0, decay=1.0)
    check(s, [(0, 1.0), (8, 1.0), (9, 1.0), (9.5, 0.5), (10, 0.0)])


def test_wsd_without_stable_phase() -> None:
    s = warmcos.wsd(peak=1.0, steps=10, warmup=2, decay=8, warmup_start=0.5)
    check(s, [(0, 0.5), (1, 0.75), (2, 1.0), (6, 0.5), (10, 0.0)])


def test_join_each_piece_sees_its_local_step() -> None:
    s = warmcos.join(
        [
            warmcos.linear(start=0.5, end=1.0, steps=10),
            warmcos.cosine(peak=1.0, steps=100, floor=0.1),
        ],
        [10],
    )
    check(
        s,
        [
            (0, 0.5),
            (5, 0.75),
            (9.5, 0.975),
            (10, 1.0),  # cosine(0)
            (60, 0.55),  # cosine(50) = c(0.1, 1, 1/2)
            (110, 0.1),
            (10**12, 0.1),
        ],
    )


def test_join_three_pieces() -> None:
    s = warmcos.join(
        [warmcos.constant(1.0), warmcos.constant(0.5), warmcos.step(0.25, 5, 0.5)], [3, 7]
    )
    check(
        s,
        [
            (0, 1.0),
            (2.5, 1.0),
            (3, 0.5),
            (6.9, 0.5),
            (7, 0.25),  # step(0)
            (7.5, 0.25),
            (11, 0.25),  # step(4)
            (12, 0.125),  # step(5)
            (10**12, 0.0),
        ],
    )


def test_join_nested() -> None:
    inner = warmcos.join([warmcos.constant(1.0), warmcos.linear(1.0, 0.0, 10)], [2])
    s = warmcos.join([warmcos.constant(0.5), inner], [4])
    check(s, [(0, 0.5), (3, 0.5), (4, 1.0), (5, 1.0), (6, 1.0), (11, 0.5), (16, 0.0)])


# exact ends and boundaries (each was once found by the property tests) ------------------------


@pytest.mark.parametrize(
    ("s", "t", "expected"),
    [
        (warmcos.linear(1.0, 0.1, 10), 10, 0.1),  # "t >= steps: end", exactly
        (warmcos.linear(1.0, 0.1, 10), 11, 0.1),
        (warmcos.linear(1.0, 0.1, 10), 10**9, 0.1),
        (warmcos.linear(0.03, 0.3, 10), 10, 0.3),
        (warmcos.linear(1.0, 0.1, 2.5), 2.5, 0.1),
        (warmcos.cosine(peak=0.3, steps=100, floor=0.03), 100, 0.03),
        (warmcos.wsd(peak=0.3, steps=100, warmup=0, decay=20, floor=0.03), 100, 0.03),
        (warmcos.cosine_restarts(peak=0.3, first_cycle=10, floor=0.03, max_cycles=1), 10, 0.03),
    ],
)
def test_value_after_the_end_is_exactly_the_last_knot(
    s: warmcos.Schedule, t: float, expected: float
) -> None:
    for path, got in all_paths(s, t).items():
        assert got == expected, f"{s!r} at t={t!r} on the {path} path: {got!r}"


@pytest.mark.parametrize(
    ("s", "t"),
    [
        # floor + (peak - floor) * 1 rounds to 0.30000000000000004 for these knots.
        (warmcos.cosine(peak=0.3, steps=100, floor=0.03), 0),
        (warmcos.cosine(peak=0.3, steps=100, floor=0.03, warmup=10, warmup_start=0.03), 10),
        (warmcos.cosine_restarts(peak=0.3, first_cycle=100, floor=0.03), 100),
        (warmcos.wsd(peak=0.3, steps=100, warmup=0, decay=20, floor=0.03), 80),
        (warmcos.wsd(peak=0.3, steps=100, warmup=0, decay=20, floor=0.03, shape="cosine"), 80),
        (warmcos.wsd(peak=0.3, steps=100, warmup=0, decay=20, floor=0.03, shape="sqrt"), 80),
    ],
)
def test_peak_is_never_exceeded_by_rounding(s: warmcos.Schedule, t: float) -> None:
    # The contract: no value outside [min, max] of the schedule's knots, at any step.
    for path, got in all_paths(s, t).items():
        assert got <= 0.3, f"{s!r} at t={t!r} on the {path} path: {got!r}"
        assert got == approx(0.3)


@pytest.mark.parametrize("cycle_rule", ["integer", "geometric"])
@pytest.mark.parametrize(
    ("first_cycle", "cycle_mult", "start", "last_decay"),
    [
        (10, 1.0, 20, 10),
        (10, 2.0, 30, 20),  # D: 10, 20; S_2 = 30
        (100, 1.0, 10**12, 100),
        (100, 2.0, 1717986918300, 858993459200),
    ],
)
def test_one_ulp_before_a_restart_is_still_the_old_cycle(
    cycle_rule: str, first_cycle: int, cycle_mult: float, start: int, last_decay: int
) -> None:
    # "A new phase takes effect at its boundary (t >= start)": the float just below S_k is in
    # cycle k - 1, at position last_decay - ulp, so its value is (within 1e-9) the floor.
    s = warmcos.cosine_restarts(
        peak=1.0, first_cycle=first_cycle, floor=0.25, cycle_mult=cycle_mult, cycle_rule=cycle_rule
    )
    before = math.nextafter(float(start), 0.0)
    position = (last_decay - (start - before)) / last_decay  # exact: start - before is an ulp
    expected = 0.25 + 0.375 * (1 + math.cos(math.pi * position))
    check(s, [(before, expected), (start, 1.0)])
    assert s(before) < 0.25 + 1e-9


def test_restarts_with_a_one_ulp_decay() -> None:
    # first_cycle - warmup = 4.4e-16 > 0 is a valid (if silly) geometric cycle: D_0 > 0.
    s = warmcos.cosine_restarts(
        peak=1.0,
        first_cycle=2.0000000000000004,
        warmup=2.0,
        warmup_start=0.5,
        cycle_rule="geometric",
    )
    check(s, [(0, 0.5), (1, 0.75), (1.5, 0.875)])
