"""Hypothesis strategies shared by the property tests: random valid schedule configurations.

A spec is ``(name, kwargs)``; :func:`build` makes the warmcos schedule (or, with ``lib=False``,
the independent reference from ``reference.py``).
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st

import reference
import warmcos

Spec = tuple[str, dict[str, Any]]

# strategies -----------------------------------------------------------------------------------

lr_values = st.one_of(
    st.sampled_from([0.0, 1.0, 0.5, 0.1, 3e-4, 1e-6]),
    st.floats(min_value=0.0, max_value=10.0, allow_nan=False, allow_infinity=False),
)
gammas = st.one_of(st.sampled_from([1.0, 0.5, 0.1, 0.9]), st.floats(min_value=1e-3, max_value=1.0))


@st.composite
def peak_and_floor(draw: st.DrawFn) -> tuple[float, float]:
    a, b = draw(lr_values), draw(lr_values)
    return max(a, b), min(a, b)


@st.composite
def length_below(draw: st.DrawFn, total: float, whole: bool = False) -> float:
    """A valid warm-up for a run of ``total`` steps: resolves to ``0 <= W < total``."""
    options: list[st.SearchStrategy[float]] = [st.just(0)]
    if total >= 2:
        options.append(st.integers(min_value=0, max_value=math.ceil(total) - 1))
    fraction = st.floats(min_value=0.01, max_value=0.99)
    if not whole:
        options.append(fraction)
        if total > 1:
            options.append(st.floats(min_value=1.0, max_value=total, exclude_max=True))
    value = draw(st.one_of(*options))
    if whole and total >= 2 and draw(st.booleans()):
        # A fraction is allowed by the integer rule only if fraction * total is whole.
        f = draw(st.sampled_from([0.5, 0.25, 0.75, 0.125, 0.1, 0.2, 0.05]))
        if (f * total).is_integer() and 0 < f * total < total:
            value = f
    resolved = reference.resolve_length(value, total)
    assert 0 <= resolved < total
    return value


@st.composite
def cosine_specs(draw: st.DrawFn, max_steps: int = 10**6) -> Spec:
    peak, floor = draw(peak_and_floor())
    steps = draw(st.one_of(st.integers(1, max_steps), st.sampled_from([1, 2, 10**12])))
    kwargs = {
        "peak": peak,
        "steps": steps,
        "floor": floor,
        "warmup": draw(length_below(steps)),
        "warmup_start": draw(lr_values),
    }
    return "cosine", kwargs


@st.composite
def restarts_specs(draw: st.DrawFn) -> Spec:
    peak, floor = draw(peak_and_floor())
    rule = draw(st.sampled_from(["integer", "geometric"]))
    if rule == "integer":
        first_cycle = draw(st.integers(1, 1000))
        warmup = draw(length_below(first_cycle, whole=True))
        cycle_mult = draw(
            st.one_of(st.sampled_from([1.0, 1.5, 2.0, 1.15, 3.0]), st.floats(1.0, 3.0))
        )
    else:
        first_cycle = draw(st.one_of(st.integers(1, 1000), st.floats(1.0, 1000.0)))
        warmup = draw(length_below(first_cycle))
        # The reference walks cycles with exact rationals; keep the growth away from 1 + tiny.
        cycle_mult = draw(
            st.one_of(st.sampled_from([1.0, 1.25, 1.5, 2.0, 3.0]), st.floats(1.05, 3.0))
        )
    kwargs = {
        "peak": peak,
        "first_cycle": first_cycle,
        "floor": floor,
        "cycle_mult": cycle_mult,
        "gamma": draw(gammas),
        "warmup": warmup,
        "warmup_start": draw(st.one_of(st.none(), lr_values)),
        "max_cycles": draw(st.one_of(st.none(), st.integers(1, 20))),
        "warmup_cycles": draw(st.sampled_from(["every", "first"])),
        "cycle_rule": rule,
        "gamma_mode": draw(st.sampled_from(["peak", "amplitude", "scale"])),
    }
    return "cosine_restarts", kwargs


@st.composite
def wsd_specs(draw: st.DrawFn) -> Spec:
    peak, floor = draw(peak_and_floor())
    steps = draw(st.integers(1, 10**6))
    decay = draw(
        st.one_of(
            st.integers(1, steps),
            st.floats(min_value=0.01, max_value=0.99),
            st.floats(min_value=1.0, max_value=float(steps)),
        )
    )
    room = steps - reference.resolve_length(decay, steps)
    if isinstance(decay, float) and decay < 1:
        room *= 1 - 1e-9  # keep W + D <= steps whether D is resolved in floats or exactly
    warmup: float = 0
    kind = draw(st.sampled_from(["zero", "int", "fraction", "count"]))
    if kind == "int" and room >= 1:
        warmup = draw(st.integers(0, math.floor(room)))
    elif kind == "fraction" and room / steps > 0.02:
        warmup = draw(st.floats(min_value=0.01, max_value=room / steps * (1 - 1e-9)))
    elif kind == "count" and room > 1.001:
        warmup = draw(st.floats(min_value=1.0, max_value=room * (1 - 1e-9)))
    resolved = reference.resolve_length(warmup, steps) + reference.resolve_length(decay, steps)
    if resolved > steps:
        warmup = 0
    kwargs = {
        "peak": peak,
        "steps": steps,
        "warmup": warmup,
        "decay": decay,
        "floor": floor,
        "shape": draw(st.sampled_from(["linear", "cosine", "sqrt"])),
        "warmup_start": draw(lr_values),
    }
    return "wsd", kwargs


@st.composite
def simple_specs(draw: st.DrawFn) -> Spec:
    kind = draw(st.sampled_from(["constant", "linear", "step", "multistep", "exponential"]))
    value = draw(lr_values)
    if kind == "constant":
        return "constant", {"value": value}
    if kind == "linear":
        steps = draw(st.one_of(st.integers(1, 10**6), st.just(2.5)))
        return "linear", {"start": value, "end": draw(lr_values), "steps": steps}
    if kind == "step":
        step_size = draw(st.one_of(st.integers(1, 10**4), st.sampled_from([0.5, 0.25, 2.5])))
        return "step", {"value": value, "step_size": step_size, "gamma": draw(gammas)}
    if kind == "multistep":
        ms = draw(st.lists(st.integers(1, 10**6), min_size=1, max_size=5, unique=True))
        return "multistep", {"value": value, "milestones": sorted(ms), "gamma": draw(gammas)}
    return "exponential", {"value": value, "gamma": draw(gammas)}


leaf_specs = st.one_of(cosine_specs(), restarts_specs(), wsd_specs(), simple_specs())


@st.composite
def join_specs(draw: st.DrawFn, children: st.SearchStrategy[Spec]) -> Spec:
    pieces = draw(st.lists(children, min_size=1, max_size=3))
    bounds = draw(
        st.lists(
            st.integers(1, 10**5), min_size=len(pieces) - 1, max_size=len(pieces) - 1, unique=True
        )
    )
    return "join", {"schedules": pieces, "boundaries": sorted(bounds)}


all_specs = st.one_of(leaf_specs, join_specs(st.one_of(leaf_specs, join_specs(leaf_specs))))

moderate_steps = st.one_of(
    st.integers(0, 10**6),
    st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_infinity=False),
)
huge_steps = st.one_of(
    st.integers(0, 10**18),
    st.floats(min_value=0.0, max_value=1e300, allow_nan=False, allow_infinity=False),
    st.sampled_from([10**12, 10**15, 2**53, 2**53 + 1, 1e18, 1e300]),
)
steps_for_arrays = st.one_of(
    st.integers(0, 10**15),
    st.floats(min_value=0.0, max_value=1e15, allow_nan=False, allow_infinity=False),
)


# building -------------------------------------------------------------------------------------


def build(spec: Spec, lib: bool = True) -> Any:
    name, kwargs = spec
    factories = vars(warmcos) if lib else reference.FACTORIES
    if name == "join":
        pieces = [build(child, lib) for child in kwargs["schedules"]]
        return factories["join"](pieces, list(kwargs["boundaries"]))
    return factories[name](**kwargs)
