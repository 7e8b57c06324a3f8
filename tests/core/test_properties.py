"""Property tests over random VALID arguments (per the contract of issue 2).

A schedule is drawn as a *spec*, ``(name, kwargs)``, and built twice: once with warmcos and once
with the loop-based references in ``tests/reference.py``, which share no code with the library.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import reference
import warmcos
from strategies import (
    Spec,
    all_specs,
    build,
    cosine_specs,
    huge_steps,
    moderate_steps,
    restarts_specs,
    steps_for_arrays,
    wsd_specs,
)

# A local settings object rather than a global profile, so other test modules are unaffected.
moderate = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# helpers --------------------------------------------------------------------------------------


def bounds(spec: Spec) -> tuple[float, float]:
    """[min, max] of the spec's knots (0 below where gamma can shrink values towards it)."""
    name, kw = spec
    if name == "join":
        parts = [bounds(child) for child in kw["schedules"]]
        return min(p[0] for p in parts), max(p[1] for p in parts)
    if name in ("cosine", "wsd"):
        knots = [kw["peak"], kw["floor"], kw["warmup_start"]]
    elif name == "cosine_restarts":
        knots = [kw["peak"], kw["floor"]]
        if kw["warmup_start"] is not None:
            knots.append(kw["warmup_start"])
        if kw["gamma_mode"] == "scale":
            knots.append(0.0)  # F_k = floor * gamma**k
    elif name == "linear":
        knots = [kw["start"], kw["end"]]
    elif name == "constant":
        knots = [kw["value"]]
    else:  # step, multistep, exponential: value * gamma**n
        knots = [kw["value"], 0.0]
    return min(knots), max(knots)


def scale_of(spec: Spec) -> float:
    return max(1.0, abs(bounds(spec)[1]))


def fraction_is_ambiguous(kw: dict[str, Any]) -> bool:
    """Whether a fractional warm-up resolves differently as a float product and exactly.

    The contract says a fraction resolves to "exactly fraction * total"; when the float product
    and the exact rational product differ, restart boundaries after cycle 0 move by an ulp, so
    tests that land exactly on such a boundary skip these cases.
    """
    w, total = kw["warmup"], kw["first_cycle"]
    if not (isinstance(w, float) and 0.0 < w < 1.0):
        return False
    return Fraction(w) * Fraction(total) != Fraction(w * total)


def boundary_steps(spec: Spec, offset: float = 0) -> list[float]:
    """Phase boundaries of ``spec`` and their neighbours (one step, one ulp)."""
    name, kw = spec
    points: list[float] = []
    if name == "cosine":
        w = reference.resolve_length(kw["warmup"], kw["steps"])
        points = [w, kw["steps"]]
    elif name == "wsd":
        w = reference.resolve_length(kw["warmup"], kw["steps"])
        d = reference.resolve_length(kw["decay"], kw["steps"])
        points = [w, kw["steps"] - d, kw["steps"]]
    elif name == "linear":
        points = [kw["steps"]]
    elif name == "step":
        points = [kw["step_size"] * k for k in range(1, 4)]
    elif name == "multistep":
        points = list(kw["milestones"])
    elif name == "cosine_restarts":
        ref = reference.CosineRestarts(**kw)
        for _, start, wk, _ in ref.cycles(0 if fraction_is_ambiguous(kw) else 6):
            for exact in (start, start + wk):
                if Fraction(float(exact)) == exact:  # only boundaries a float can hit exactly
                    points.append(float(exact))
    elif name == "join":
        prev = 0
        for child, b in zip(kw["schedules"], [*kw["boundaries"], None], strict=True):
            points.extend(boundary_steps(child, offset + prev))
            if b is not None:
                points.append(b)
                prev = b
    out = []
    for p in points:
        p = p + offset
        out += [p, p + 1, p - 1, p + 0.5, float(np.nextafter(p, 0)), float(np.nextafter(p, 2 * p))]
    return [p for p in out if p >= 0]


def close(a: float, b: float, scale: float, tol: float = 1e-12) -> bool:
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol * scale)


# bounds and finiteness ------------------------------------------------------------------------


@moderate
@given(spec=all_specs, ts=st.lists(huge_steps, min_size=1, max_size=8))
def test_values_stay_within_the_knots_at_any_step(spec: Spec, ts: list[float]) -> None:
    s = build(spec)
    lo, hi = bounds(spec)
    for t in ts + boundary_steps(spec):
        v = s(t)
        assert math.isfinite(v)
        assert lo <= v <= hi, (t, v, lo, hi)
    arr = s(np.array([float(t) for t in ts]))
    assert np.all(np.isfinite(arr))
    assert np.all((lo <= arr) & (arr <= hi))


# monotonicity inside a cosine phase ------------------------------------------------------------


@moderate
@given(spec=cosine_specs(), u=st.floats(0.0, 2.0), v=st.floats(0.0, 2.0))
def test_cosine_non_increasing_after_warmup(spec: Spec, u: float, v: float) -> None:
    s = build(spec)
    kw = spec[1]
    w = reference.resolve_length(kw["warmup"], kw["steps"])
    t1, t2 = sorted([w + u * (kw["steps"] - w), w + v * (kw["steps"] - w)])
    # Inside the phase: a relative 1e-12 past W, where an ulp in resolving or subtracting W
    # (continuous there, warm-up ends at the peak) cannot put t1 back in the warm-up.
    assume(t1 >= w + (w + 1) * 1e-12)
    assert s(t1) >= s(t2)


@moderate
@given(spec=restarts_specs(), k=st.integers(0, 5), u=st.floats(0.0, 1.0), v=st.floats(0.0, 1.0))
def test_restarts_non_increasing_inside_a_cycle_decay(
    spec: Spec, k: int, u: float, v: float
) -> None:
    s = build(spec)
    ref = reference.CosineRestarts(**spec[1])
    _, start, wk, d = ref.cycles(k + 1)[k]
    lo, hi = start + wk, start + wk + d
    t1, t2 = sorted(float(lo + Fraction(x) * d) for x in (u, v))
    # Stay a relative 1e-12 inside the decay phase: an ulp in resolving a fractional warm-up
    # (float product or exact rational) or in t - S_k cannot then move t1 into the warm-up
    # (continuous there) or t2 into the next cycle.
    margin = (hi + 1) / 10**12
    assume(lo + margin <= Fraction(t1) and Fraction(t2) < hi - margin)
    assume(spec[1]["max_cycles"] is None or k < spec[1]["max_cycles"])
    assert s(t1) >= s(t2)


@moderate
@given(spec=wsd_specs(), t1=moderate_steps, t2=moderate_steps)
def test_wsd_non_increasing_after_warmup(spec: Spec, t1: float, t2: float) -> None:
    s = build(spec)
    kw = spec[1]
    w = reference.resolve_length(kw["warmup"], kw["steps"])
    t1, t2 = sorted([t1, t2])
    assume(t1 >= w + (w + 1) * 1e-12)
    assert s(t1) >= s(t2)


# continuity where promised ------------------------------------------------------------------


@moderate
@given(spec=cosine_specs(max_steps=10**5))
def test_cosine_continuous_at_end_of_warmup_and_reaches_floor(spec: Spec) -> None:
    s = build(spec)
    kw = spec[1]
    peak, floor, ws, steps = kw["peak"], kw["floor"], kw["warmup_start"], kw["steps"]
    w = reference.resolve_length(kw["warmup"], steps)
    scale = max(1.0, peak, ws)
    assert s(w) == pytest.approx(peak, rel=1e-15, abs=1e-15 * scale)
    if w > 0:
        delta = w * 1e-9
        assert abs(s(w - delta) - s(w)) <= abs(peak - ws) * 1e-9 + 1e-13 * scale
    delta = (steps - w) * 1e-7
    assert abs(s(w + delta) - peak) <= (peak - floor) * 1e-12 + 1e-13 * scale
    assert s(steps) == floor
    assert abs(s(steps - delta) - floor) <= (peak - floor) * 1e-12 + 1e-13 * scale


@moderate
@given(spec=restarts_specs(), k=st.integers(0, 5), u=st.floats(0.0, 0.999))
def test_restarts_continuous_inside_a_cycle(spec: Spec, k: int, u: float) -> None:
    kw = spec[1]
    assume(kw["max_cycles"] is None or k < kw["max_cycles"])
    s = build(spec)
    ref = reference.CosineRestarts(**kw)
    _, start, wk, d = ref.cycles(k + 1)[k]
    length = wk + d
    t = float(start + Fraction(u) * length)
    delta = float(length) * 1e-9
    assume(start <= Fraction(t) and Fraction(t) + Fraction(delta) < start + length)
    p, f = ref.peak_floor(k)
    ws = f if kw["warmup_start"] is None else kw["warmup_start"]
    slope = max(abs(p - ws) / float(wk) if wk else 0.0, (p - f) * math.pi / (2 * float(d)))
    scale = max(1.0, p, ws)
    assert abs(s(t + delta) - s(t)) <= slope * delta * 1.01 + 1e-12 * scale


# the library against the loop-based references -----------------------------------------------


@moderate
@given(spec=all_specs, ts=st.lists(moderate_steps, min_size=1, max_size=10))
def test_library_matches_reference(spec: Spec, ts: list[float]) -> None:
    s = build(spec)
    ref = build(spec, lib=False)
    scale = scale_of(spec)
    for t in ts + boundary_steps(spec):
        assert close(s(t), ref(t), scale), (t, s(t), ref(t))


@moderate
@given(spec=restarts_specs(), k=st.integers(0, 40))
def test_restarts_match_reference_at_each_cycle_start(spec: Spec, k: int) -> None:
    assume(not fraction_is_ambiguous(spec[1]))
    s = build(spec)
    ref = build(spec, lib=False)
    _, start, wk, _ = ref.cycles(k + 1)[k]
    assume(start <= 2 * 10**12)  # exact cycle indices are promised up to (at least) 10**12
    scale = scale_of(spec)
    for exact in (start, start + wk, start + wk / 2):
        t = float(exact)
        if Fraction(t) == exact:
            assert close(s(t), ref(t), scale), (t, s(t), ref(t))


@pytest.mark.parametrize("cycle_rule", ["integer", "geometric"])
@pytest.mark.parametrize("cycle_mult", [1.0, 1.5, 2.0, 3.0])
@pytest.mark.parametrize("warmup_cycles", ["every", "first"])
def test_restarts_match_reference_at_every_start_up_to_1e12(
    cycle_rule: str, cycle_mult: float, warmup_cycles: str
) -> None:
    kw: dict[str, Any] = {
        "peak": 1.0,
        "first_cycle": 64,
        "floor": 0.25,
        "cycle_mult": cycle_mult,
        "warmup": 8,
        "warmup_start": 0.5,
        "warmup_cycles": warmup_cycles,
        "cycle_rule": cycle_rule,
    }
    s = warmcos.cosine_restarts(**kw)
    ref = reference.CosineRestarts(**kw)
    n = 200 if cycle_mult == 1.0 else 120
    for _, start, wk, _d in ref.cycles(n):
        if start > 2 * 10**12:  # exact cycle indices are promised up to (at least) 10**12
            break
        for exact in (start - 1, start, start + wk, start + wk + 1):
            if Fraction(float(exact)) != exact or exact < 0:
                continue
            for t in (int(exact), float(exact)) if exact.denominator == 1 else (float(exact),):
                assert close(s(t), ref(t), 1.0), (t, s(t), ref(t))


# the scalar, NumPy and torch paths agree -------------------------------------------------------


@moderate
@given(spec=all_specs, ts=st.lists(steps_for_arrays, min_size=1, max_size=12))
def test_scalar_numpy_and_torch_paths_agree(spec: Spec, ts: list[float]) -> None:
    s = build(spec)
    ts = ts + [t for t in boundary_steps(spec) if t <= 1e15]
    scalar = [s(t) for t in ts]
    as_float = s(np.array([float(t) for t in ts], dtype=np.float64))
    assert_paths_agree(s, as_float, scalar)
    ints = [t for t in ts if isinstance(t, int)]
    if ints:
        as_int = s(np.array(ints, dtype=np.int64))
        assert_paths_agree(s, as_int, [s(t) for t in ints])
        as_tensor_int = s(torch.tensor(ints, dtype=torch.int64))
        assert as_tensor_int.dtype == torch.float64
        expected = [s(t) for t in ints]
        np.testing.assert_allclose(
            as_tensor_int.numpy(), expected, rtol=1e-15, atol=1e-15 * max(1.0, *map(abs, expected))
        )
    grid = np.array([float(t) for t in ts], dtype=np.float64)
    square = np.resize(grid, (2, len(ts)))
    assert_paths_agree(s, s(square).ravel(), np.resize(np.array(scalar), (2, len(ts))).ravel())
    tensor = s(torch.tensor(grid, dtype=torch.float64))
    assert tensor.dtype == torch.float64
    # torch's vectorised sqrt/cos/pow may differ from libm's by an ulp: compare on the scale of
    # the schedule's values.
    scale = max(1.0, *map(abs, scalar))
    np.testing.assert_allclose(tensor.numpy(), scalar, rtol=1e-15, atol=1e-15 * scale)


def takes_a_power(s: warmcos.Schedule) -> bool:
    """Whether `s` evaluates ``gamma ** k``: NumPy's vectorised ``pow`` is not libm's.

    Python's ``float ** float`` is libm's (correctly rounded here); NumPy's SIMD ``np.power``
    may differ from it by one unit in the last place. Everything else is bit-identical.
    """
    if isinstance(s, warmcos.Join):
        return any(takes_a_power(piece) for piece in s.schedules)
    return isinstance(s, (warmcos.Step, warmcos.MultiStep, warmcos.Exponential)) or (
        isinstance(s, warmcos.CosineRestarts) and s.gamma != 1
    )


def assert_paths_agree(s: warmcos.Schedule, array: object, scalar: object) -> None:
    got, expected = np.asarray(array, dtype=np.float64), np.asarray(scalar, dtype=np.float64)
    if takes_a_power(s):
        # One unit in the last place of gamma**k, carried through a few more roundings.
        np.testing.assert_allclose(got, expected, rtol=1e-15, atol=0)
    else:
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(
    ("s", "t"),
    [
        (warmcos.step(1.0, 1), 2),  # gamma**k: 0.1**2
        (warmcos.multistep(1.0, [1, 2]), 2),
        (warmcos.exponential(1.0, 0.1), 2),
        (warmcos.exponential(1.0, 0.5), 0.3),  # gamma**t with a fractional t
        (warmcos.cosine_restarts(peak=1.0, first_cycle=10, gamma=0.1), 20),
        (warmcos.cosine(peak=0.3, steps=100, floor=0.03), 0),  # the peak
        (warmcos.linear(1.0, 0.1, 10), 10),  # the end
    ],
    ids=repr,
)
def test_scalar_and_numpy_paths_agree(s: warmcos.Schedule, t: float) -> None:
    expected = s(t)
    assert_paths_agree(s, s(np.array([t])), [expected])
    assert_paths_agree(s, s(np.array([float(t)])), [expected])
    assert float(s(torch.tensor([float(t)], dtype=torch.float64))[0]) == pytest.approx(
        expected, rel=1e-15, abs=1e-15
    )


# serialisation round trips --------------------------------------------------------------------


@moderate
@given(spec=all_specs)
def test_to_dict_from_dict_json_and_parse_round_trip(spec: Spec) -> None:
    s = build(spec)
    d = s.to_dict()
    assert d["type"] == spec[0]
    assert warmcos.from_dict(d) == s
    text = json.dumps(d, allow_nan=False)
    again = warmcos.from_dict(json.loads(text))
    assert again == s
    assert hash(again) == hash(s)
    parsed = warmcos.parse(repr(s))
    assert parsed == s
    assert repr(parsed) == repr(s)
    assert eval(repr(s), dict(vars(warmcos))) == s  # repr is the factory call
    for t in (0, 1, 7.5, 1000, 10**9):
        assert again(t) == s(t) == parsed(t)
