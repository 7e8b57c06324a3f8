"""Parity of warmcos schedules with the live optax schedules (optax.schedules).

Precision: a module fixture turns on JAX's 64-bit mode
(``jax.config.update("jax_enable_x64", True)``) for the tests in this file and restores the
previous setting afterwards, so optax computes in float64 and the tolerance is 1e-12 absolute,
as for the other peers. Each optax schedule is evaluated on a whole ``jnp.arange`` of steps;
warmcos on Python ints (its scalar float64 path).

Conventions mapped explicitly in each test:
- optax's ``warmup_cosine_decay_schedule(decay_steps=...)`` INCLUDES the warm-up: it is
  warmcos' ``steps`` (the decay itself lasts ``decay_steps - warmup_steps``).
- ``join_schedules`` gives each piece its local step, like ``warmcos.join``; boundaries match.
- ``exponential_decay`` decays by ``decay_rate`` per ``transition_steps`` steps; warmcos'
  ``exponential`` takes the per-step factor ``decay_rate ** (1 / transition_steps)``.

optax options warmcos does not reproduce (for the README; ``exponent``, polynomial powers,
growth, ``end_value``, cosine interpolation and the one-cycle schedules are expressible now and
tested in tests/parity/test_cycle_shapes_peers.py and test_decay_shapes_optax_transformers.py):
- exponential_decay with ``decay_rate == 0`` (optax silently returns a constant).
- Degenerate arguments optax accepts silently: ``transition_steps <= 0`` (constant), negative
  ``transition_begin`` (treated as 0), a boundary at step 0 in piecewise schedules; warmcos
  rejects them with an error.
- Hyperparameters given as JAX arrays (traced); warmcos' are Python numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
import jax.numpy as jnp

import warmcos
from curves import assert_curves_match as _assert_curves_match
from curves import ours as _ours


@pytest.fixture(autouse=True, scope="module")
def _jax_float64() -> Iterator[None]:
    previous = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", previous)


def _peer(schedule: Callable[[jax.Array], jax.Array], n: int) -> np.ndarray:
    # vmap: some optax schedules (piecewise_interpolate_schedule) only take a scalar step.
    values = np.asarray(jax.vmap(schedule)(jnp.arange(n)))
    assert values.dtype == np.float64, "JAX 64-bit mode is off: the peer computed in float32"
    assert values.shape == (n,)
    return values


# --- warmup_cosine_decay_schedule, cosine_decay_schedule --------------------------------------

WARMUP_COSINE_GRID = [
    # (init_value, peak_value, warmup_steps, decay_steps (warm-up included), end_value)
    (0.0, 1.0, 0, 1, 0.0),
    (0.0, 1.0, 0, 10, 0.0),
    (0.0, 0.1, 5, 50, 0.0),
    (1e-4, 1e-3, 10, 100, 1e-5),
    (0.05, 0.1, 1, 2, 0.01),
    (0.01, 0.1, 9, 10, 0.01),
    (0.0, 3e-4, 20, 37, 3e-4),  # end_value == peak_value: flat after the warm-up
]


@pytest.mark.parametrize(("init", "peak", "warmup", "decay_steps", "end"), WARMUP_COSINE_GRID)
def test_warmup_cosine_decay_schedule(
    init: float, peak: float, warmup: int, decay_steps: int, end: float
) -> None:
    n = decay_steps + 10  # both hold end_value after decay_steps
    peer = _peer(
        optax.warmup_cosine_decay_schedule(
            init_value=init,
            peak_value=peak,
            warmup_steps=warmup,
            decay_steps=decay_steps,
            end_value=end,
            exponent=1.0,
        ),
        n,
    )
    # peak_value -> peak; decay_steps (which INCLUDES the warm-up in optax) -> steps;
    # end_value -> floor; warmup_steps -> warmup; init_value -> warmup_start.
    ours = _ours(
        warmcos.cosine(peak=peak, steps=decay_steps, floor=end, warmup=warmup, warmup_start=init),
        n,
    )
    _assert_curves_match(peer, ours)


@pytest.mark.parametrize(
    ("init", "decay_steps", "alpha"),
    [(1.0, 1, 0.0), (0.1, 10, 0.0), (3e-4, 100, 0.1), (0.5, 7, 1.0)],
)
def test_cosine_decay_schedule(init: float, decay_steps: int, alpha: float) -> None:
    n = decay_steps + 10
    peer = _peer(
        optax.cosine_decay_schedule(
            init_value=init, decay_steps=decay_steps, alpha=alpha, exponent=1.0
        ),
        n,
    )
    # init_value -> peak; decay_steps -> steps (no warm-up); alpha is a fraction of init_value
    # -> floor = alpha * init_value.
    ours = _ours(warmcos.cosine(peak=init, steps=decay_steps, floor=alpha * init), n)
    _assert_curves_match(peer, ours)


# --- sgdr_schedule ----------------------------------------------------------------------------

SGDR_CYCLES = [
    [{"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 0, "decay_steps": 10}],
    [
        {"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 2, "decay_steps": 10},
        {"init_value": 0.01, "peak_value": 0.05, "warmup_steps": 0, "decay_steps": 7},
        {
            "init_value": 0.0,
            "peak_value": 0.02,
            "warmup_steps": 5,
            "decay_steps": 20,
            "end_value": 1e-3,
        },
    ],
    [
        {"init_value": 1e-5, "peak_value": 1e-3, "warmup_steps": 3, "decay_steps": 4},
        {"init_value": 1e-5, "peak_value": 1e-3, "warmup_steps": 3, "decay_steps": 4},
        {"init_value": 1e-5, "peak_value": 1e-3, "warmup_steps": 3, "decay_steps": 4},
    ],
]


def _cosine_for_optax_cycle(kwargs: dict[str, float]) -> object:
    # Same mapping as test_warmup_cosine_decay_schedule (decay_steps includes the warm-up).
    return warmcos.cosine(
        peak=kwargs["peak_value"],
        steps=kwargs["decay_steps"],
        floor=kwargs.get("end_value", 0.0),
        warmup=kwargs["warmup_steps"],
        warmup_start=kwargs["init_value"],
    )


@pytest.mark.parametrize("cycles", SGDR_CYCLES, ids=lambda c: f"{len(c)}cycles")
def test_sgdr_schedule(cycles: list[dict[str, float]]) -> None:
    total = sum(c["decay_steps"] for c in cycles)
    n = total + 10
    peer = _peer(optax.sgdr_schedule(cycles), n)
    # sgdr_schedule joins warmup_cosine_decay_schedule cycles, each seeing its local step,
    # at the cumulative sums of decay_steps -> warmcos.join of the mapped cosines.
    boundaries = np.cumsum([c["decay_steps"] for c in cycles])[:-1].tolist()
    if len(cycles) == 1:
        ours_schedule = _cosine_for_optax_cycle(cycles[0])
    else:
        ours_schedule = warmcos.join([_cosine_for_optax_cycle(c) for c in cycles], boundaries)
    _assert_curves_match(peer, _ours(ours_schedule, n))


@pytest.mark.parametrize(
    ("peak", "floor", "first_cycle", "warmup", "cycle_mult", "gamma"),
    [(0.1, 0.0, 10, 0, 1.0, 1.0), (0.1, 1e-3, 8, 2, 2.0, 0.5), (1e-3, 1e-5, 5, 1, 1.5, 0.9)],
)
def test_sgdr_schedule_equals_cosine_restarts(
    peak: float, floor: float, first_cycle: int, warmup: int, cycle_mult: float, gamma: float
) -> None:
    # The same restarts written out cycle by cycle for optax: cycle k lasts L_k (warm-up
    # included; L_{k+1} = int((L_k - W) * cycle_mult) + W, warmcos' integer rule), warms up
    # from the floor over W steps to peak * gamma**k and decays to the floor.
    lengths = [first_cycle]
    while len(lengths) < 5:
        lengths.append(int((lengths[-1] - warmup) * cycle_mult) + warmup)
    cycles = [
        {
            "init_value": floor,
            "peak_value": peak * gamma**k,
            "warmup_steps": warmup,
            "decay_steps": length,
            "end_value": floor,
        }
        for k, length in enumerate(lengths)
    ]
    n = sum(lengths)
    peer = _peer(optax.sgdr_schedule(cycles), n)
    ours = warmcos.cosine_restarts(
        peak=peak,
        first_cycle=first_cycle,
        floor=floor,
        cycle_mult=cycle_mult,
        gamma=gamma,
        warmup=warmup,
    )
    _assert_curves_match(peer, _ours(ours, n))


# --- linear_schedule, polynomial_schedule(power=1) ----------------------------------------------

LINEAR_GRID = [
    # (init_value, end_value, transition_steps, transition_begin)
    (1.0, 0.0, 1, 0),
    (0.0, 0.1, 10, 0),
    (0.1, 1e-3, 25, 0),
    (1e-3, 0.1, 7, 3),
    (0.2, 0.2, 5, 2),
]


def _linear_for_optax(init: float, end: float, steps: int, begin: int) -> object:
    # init_value -> start, end_value -> end, transition_steps -> steps; a transition_begin
    # holds init_value first: join a constant with the line at that step.
    line = warmcos.linear(start=init, end=end, steps=steps)
    if begin == 0:
        return line
    return warmcos.join([warmcos.constant(init), line], [begin])


@pytest.mark.parametrize(("init", "end", "steps", "begin"), LINEAR_GRID)
def test_linear_schedule(init: float, end: float, steps: int, begin: int) -> None:
    n = begin + steps + 10
    peer = _peer(
        optax.linear_schedule(
            init_value=init, end_value=end, transition_steps=steps, transition_begin=begin
        ),
        n,
    )
    _assert_curves_match(peer, _ours(_linear_for_optax(init, end, steps, begin), n))


@pytest.mark.parametrize(("init", "end", "steps", "begin"), LINEAR_GRID)
def test_polynomial_schedule_with_power_1(init: float, end: float, steps: int, begin: int) -> None:
    n = begin + steps + 10
    peer = _peer(
        optax.polynomial_schedule(
            init_value=init, end_value=end, power=1, transition_steps=steps, transition_begin=begin
        ),
        n,
    )
    _assert_curves_match(peer, _ours(_linear_for_optax(init, end, steps, begin), n))


# --- exponential_decay ------------------------------------------------------------------------

EXPONENTIAL_GRID = [
    # (init_value, transition_steps, decay_rate, transition_begin)
    (0.1, 1, 0.9, 0),
    (0.1, 10, 0.5, 0),
    (1.0, 3, 0.1, 0),
    (3e-4, 7, 0.96, 5),
    (0.05, 4, 1.0, 2),
]


@pytest.mark.parametrize("staircase", [False, True])
@pytest.mark.parametrize(("init", "transition_steps", "rate", "begin"), EXPONENTIAL_GRID)
def test_exponential_decay(
    init: float, transition_steps: int, rate: float, begin: int, staircase: bool
) -> None:
    n = begin + 60
    peer = _peer(
        optax.exponential_decay(
            init_value=init,
            transition_steps=transition_steps,
            decay_rate=rate,
            transition_begin=begin,
            staircase=staircase,
        ),
        n,
    )
    if staircase:
        # rate ** floor(t / transition_steps) -> step(value, step_size, gamma=decay_rate).
        decay = warmcos.step(value=init, step_size=transition_steps, gamma=rate)
    else:
        # rate ** (t / transition_steps) = (rate ** (1 / transition_steps)) ** t ->
        # exponential(value, gamma = rate ** (1 / transition_steps)). The two roundings differ
        # by about t ulp relative, far below the tolerance on this grid (t < 70).
        decay = warmcos.exponential(value=init, gamma=rate ** (1 / transition_steps))
    # transition_begin holds init_value first -> join a constant with the decay at that step.
    ours = decay if begin == 0 else warmcos.join([warmcos.constant(init), decay], [begin])
    _assert_curves_match(peer, _ours(ours, n))


def test_warmup_exponential_decay_schedule() -> None:
    init, peak, warmup, transition_steps, rate = 0.0, 0.1, 5, 10, 0.5
    n = 60
    peer = _peer(
        optax.warmup_exponential_decay_schedule(
            init_value=init,
            peak_value=peak,
            warmup_steps=warmup,
            transition_steps=transition_steps,
            decay_rate=rate,
        ),
        n,
    )
    # A linear warm-up joined at warmup_steps with an exponential decay on its local step.
    ours = warmcos.join(
        [
            warmcos.linear(start=init, end=peak, steps=warmup),
            warmcos.exponential(value=peak, gamma=rate ** (1 / transition_steps)),
        ],
        [warmup],
    )
    _assert_curves_match(peer, _ours(ours, n))


# --- piecewise schedules, join_schedules --------------------------------------------------------

PIECEWISE_GRID = [
    # (init_value, boundaries_and_scales)
    (0.1, {5: 0.1}),
    (1.0, {3: 0.5, 7: 0.5, 8: 0.5}),
    (0.1, {10: 0.1, 20: 0.1, 40: 0.1}),
    (0.01, {2: 0.3, 9: 1.0, 15: 0.25}),
]


@pytest.mark.parametrize(("init", "boundaries_and_scales"), PIECEWISE_GRID)
def test_piecewise_constant_schedule(init: float, boundaries_and_scales: dict[int, float]) -> None:
    n = max(boundaries_and_scales) + 10
    peer = _peer(optax.piecewise_constant_schedule(init, boundaries_and_scales), n)
    # optax multiplies the value by each scale from its boundary on (t >= b): a join of
    # constants at the boundaries, each the running product of the scales.
    boundaries = sorted(boundaries_and_scales)
    values = [init]
    for b in boundaries:
        values.append(values[-1] * boundaries_and_scales[b])
    ours = warmcos.join([warmcos.constant(v) for v in values], boundaries)
    _assert_curves_match(peer, _ours(ours, n))
    scales = set(boundaries_and_scales.values())
    if len(scales) == 1:
        # One common scale -> multistep(value, milestones=boundaries, gamma=scale) as well.
        (gamma,) = scales
        multistep = warmcos.multistep(value=init, milestones=boundaries, gamma=gamma)
        _assert_curves_match(peer, _ours(multistep, n))


def _interpolated_pieces(
    init: float, boundaries_and_scales: dict[int, float], piece: Callable[..., object]
) -> object:
    # optax interpolates between the running products v_{i-1} and v_i of the scales over
    # [b_{i-1}, b_i) (b_0 = 0) and holds the last value: a join of one piece per interval,
    # each seeing its local step; the last piece holds its end value.
    boundaries = sorted(boundaries_and_scales)
    starts = [0, *boundaries]
    values = [init]
    for b in boundaries:
        values.append(values[-1] * boundaries_and_scales[b])
    pieces = [
        piece(values[i], values[i + 1], starts[i + 1] - starts[i]) for i in range(len(boundaries))
    ]
    return pieces[0] if len(pieces) == 1 else warmcos.join(pieces, boundaries[:-1])


@pytest.mark.parametrize(("init", "boundaries_and_scales"), PIECEWISE_GRID)
def test_piecewise_interpolate_schedule_linear(
    init: float, boundaries_and_scales: dict[int, float]
) -> None:
    n = max(boundaries_and_scales) + 10
    peer = _peer(optax.piecewise_interpolate_schedule("linear", init, boundaries_and_scales), n)
    ours = _interpolated_pieces(
        init,
        boundaries_and_scales,
        lambda start, end, steps: warmcos.linear(start=start, end=end, steps=steps),
    )
    _assert_curves_match(peer, _ours(ours, n))


@pytest.mark.parametrize(("init", "boundaries_and_scales"), PIECEWISE_GRID)
def test_piecewise_interpolate_schedule_cosine(
    init: float, boundaries_and_scales: dict[int, float]
) -> None:
    # Only non-increasing segments (scales <= 1) map: each is a half cosine from v_{i-1} down
    # to v_i -> cosine(peak=v_{i-1}, steps=b_i - b_{i-1}, floor=v_i).
    assert all(s <= 1.0 for s in boundaries_and_scales.values())
    n = max(boundaries_and_scales) + 10
    peer = _peer(optax.piecewise_interpolate_schedule("cosine", init, boundaries_and_scales), n)
    ours = _interpolated_pieces(
        init,
        boundaries_and_scales,
        lambda start, end, steps: warmcos.cosine(peak=start, steps=steps, floor=end),
    )
    _assert_curves_match(peer, _ours(ours, n))


@pytest.mark.parametrize(
    ("transition_steps", "peak", "pct_start", "pct_final"),
    [(100, 0.1, 0.3, 0.85), (40, 1e-3, 0.25, 0.5)],
)
def test_linear_onecycle_schedule(
    transition_steps: int, peak: float, pct_start: float, pct_final: float
) -> None:
    div_factor, final_div_factor = 25.0, 1e4
    n = transition_steps + 10
    peer = _peer(
        optax.linear_onecycle_schedule(
            transition_steps=transition_steps,
            peak_value=peak,
            pct_start=pct_start,
            pct_final=pct_final,
            div_factor=div_factor,
            final_div_factor=final_div_factor,
        ),
        n,
    )
    # Three straight lines: peak / div_factor -> peak over int(pct_start * T) steps, back to
    # peak / div_factor by int(pct_final * T), then to peak / div_factor / final_div_factor by
    # T (optax computes the knots as running products of the scales, as done here).
    b1, b2 = int(pct_start * transition_steps), int(pct_final * transition_steps)
    v0 = peak / div_factor
    v1 = v0 * div_factor
    v2 = v1 * (1.0 / div_factor)
    v3 = v2 * (1.0 / final_div_factor)
    ours = warmcos.join(
        [
            warmcos.linear(start=v0, end=v1, steps=b1),
            warmcos.linear(start=v1, end=v2, steps=b2 - b1),
            warmcos.linear(start=v2, end=v3, steps=transition_steps - b2),
        ],
        [b1, b2],
    )
    _assert_curves_match(peer, _ours(ours, n))


def test_join_schedules() -> None:
    n = 80
    peer = _peer(
        optax.join_schedules(
            [
                optax.constant_schedule(0.05),
                optax.linear_schedule(init_value=0.0, end_value=0.1, transition_steps=10),
                optax.cosine_decay_schedule(init_value=0.1, decay_steps=30, alpha=0.01),
            ],
            [5, 15],
        ),
        n,
    )
    # Same boundaries, each piece on its local step, in both libraries.
    ours = warmcos.join(
        [
            warmcos.constant(0.05),
            warmcos.linear(start=0.0, end=0.1, steps=10),
            warmcos.cosine(peak=0.1, steps=30, floor=0.1 * 0.01),
        ],
        [5, 15],
    )
    _assert_curves_match(peer, _ours(ours, n))
