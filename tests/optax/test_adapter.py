"""``warmcos.optax.schedule``: a warmcos schedule as an optax schedule, in-process with JAX.

The float64 truth is warmcos' core on NumPy; the adapter returns float32 and must agree within
float32 rounding (relative 1e-6, 1e-12 absolute at zero), eagerly, under ``jax.jit``, under
``jax.vmap`` and inside ``optax.inject_hyperparams``, for every schedule kind, with int32 and
float32 steps. JAX's global 64-bit mode is left off (the default, what optax users run), except
in the one test that turns it on and restores it.

Documented behaviour pinned here: a traced step cannot raise, so a NEGATIVE step reads as step 0
(the core raises ``ValueError`` instead), and a step past ``horizon`` (default 2**31 - 1) reads
as the horizon.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
import jax.numpy as jnp
from keras_backend_checks import SCHEDULES, independent_geometric_starts

import warmcos
from warmcos.optax import schedule as optax_schedule

RTOL = 1e-6
ATOL = 1e-12
HORIZON = 2**31 - 1

INT_STEPS = np.asarray(
    sorted(
        set(range(0, 2101))
        | {4999, 5000, 10**6, 10**6 + 1, 12_345_678, 10**8 - 1, 10**8, 10**8 + 1}
        | {2**31 - 2, 2**31 - 1}
    ),
    dtype=np.int32,
)
FLOAT_STEPS = np.concatenate([np.arange(0, 2100, 0.25), [1e6 + 0.5, 1.5e7, 1e8, 2e9]]).astype(
    np.float32
)


def assert_close(actual: Any, expected: Any, steps: Any) -> None:
    """Within float32 rounding of the float64 core; the message names the worst step."""
    actual = np.asarray(actual, dtype=np.float64).ravel()
    expected = np.asarray(expected, dtype=np.float64).ravel()
    assert actual.shape == expected.shape
    assert np.all(np.isfinite(actual))
    excess = np.abs(actual - expected) - (RTOL * np.abs(expected) + ATOL)
    worst = int(np.argmax(excess))
    assert excess[worst] <= 0, (
        f"step {np.asarray(steps).ravel()[worst]!r}: got {actual[worst]!r}, "
        f"core {expected[worst]!r}"
    )


def core(schedule: warmcos.Schedule, steps: Any, steps_per_unit: float = 1) -> np.ndarray:
    t = np.asarray(steps, dtype=np.float64) / steps_per_unit
    return schedule(np.minimum(t, HORIZON))


@pytest.fixture(autouse=True)
def _x64_off() -> Iterator[None]:
    # Another test module may leave JAX's 64-bit mode on; these tests run with it off.
    previous = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", False)
    yield
    jax.config.update("jax_enable_x64", previous)


KINDS = list(SCHEDULES)


@pytest.mark.parametrize("name", KINDS)
def test_every_kind_matches_the_core_eagerly(name: str) -> None:
    s = warmcos.parse(SCHEDULES[name])
    lr = optax_schedule(s)
    for steps in (INT_STEPS, FLOAT_STEPS):
        out = lr(jnp.asarray(steps))
        assert out.dtype == jnp.float32 and out.shape == steps.shape
        assert_close(out, core(s, steps), steps)


@pytest.mark.parametrize("name", KINDS)
def test_every_kind_matches_the_core_under_jit(name: str) -> None:
    s = warmcos.parse(SCHEDULES[name])
    lr = jax.jit(optax_schedule(s))
    for steps in (INT_STEPS, FLOAT_STEPS):
        assert_close(lr(jnp.asarray(steps)), core(s, steps), steps)
    # Scalar int32 steps, as optax passes its count.
    for step in (0, 1, 99, 100, 245, 10**8):
        assert_close(lr(jnp.int32(step)), [s(step)], [step])


@pytest.mark.parametrize(
    "name", ["restarts_integer_every", "restarts_geometric_first", "wsd_sqrt", "join"]
)
def test_vmap_over_scalar_steps(name: str) -> None:
    s = warmcos.parse(SCHEDULES[name])
    lr = optax_schedule(s)
    steps = jnp.asarray(INT_STEPS[:3000])
    out = jax.jit(jax.vmap(lr))(steps)
    assert out.shape == steps.shape
    assert_close(out, core(s, np.asarray(steps)), np.asarray(steps))
    # vmap of a function that calls the schedule on a per-example offset step.
    offsets = jax.vmap(lambda k: lr(k + 7))(jnp.arange(50))
    assert_close(offsets, core(s, np.arange(50) + 7), np.arange(50) + 7)


def test_inject_hyperparams_records_the_core_lr_each_step() -> None:
    s = warmcos.cosine_restarts(
        peak=1e-2, first_cycle=20, floor=1e-4, cycle_mult=1.5, gamma=0.7, warmup=4
    )
    optimizer = optax.inject_hyperparams(optax.adamw)(
        learning_rate=optax_schedule(s), weight_decay=1e-4
    )
    params = {"w": jnp.zeros(3)}
    state = optimizer.init(params)

    @jax.jit
    def step(params: Any, state: Any) -> tuple[Any, Any]:
        grads = jax.grad(lambda p: jnp.sum((p["w"] - 1.0) ** 2))(params)
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    recorded = []
    for _ in range(80):
        params, state = step(params, state)
        # inject_hyperparams stores the value it used for this update: schedule(count).
        recorded.append(float(state.hyperparams["learning_rate"]))
    assert int(state.count) == 80
    assert_close(recorded, [s(k) for k in range(80)], range(80))


def test_adamw_training_loop_equals_optax_native_schedule() -> None:
    """A real adamw loop: warmcos' cosine vs optax's own warm-up cosine, same trajectory.

    optax's ``warmup_cosine_decay_schedule(init, peak, W, decay_steps, end)`` counts the warm-up
    inside ``decay_steps``, as warmcos' ``steps`` does: ``cosine(peak, steps=decay_steps,
    floor=end, warmup=W, warmup_start=init)``.
    """
    theirs = optax.warmup_cosine_decay_schedule(
        init_value=1e-3, peak_value=0.3, warmup_steps=20, decay_steps=150, end_value=1e-3
    )
    ours = optax_schedule(
        warmcos.cosine(peak=0.3, steps=150, floor=1e-3, warmup=20, warmup_start=1e-3)
    )
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(size=(64, 5)), dtype=jnp.float32)
    y = x @ jnp.arange(1.0, 6.0)

    def train(learning_rate: Callable[[Any], Any]) -> tuple[Any, list[float]]:
        optimizer = optax.adamw(learning_rate=learning_rate, weight_decay=1e-4)
        params = {"w": jnp.zeros(5), "b": jnp.zeros(())}
        state = optimizer.init(params)

        def loss_fn(p: Any) -> Any:
            return jnp.mean((x @ p["w"] + p["b"] - y) ** 2)

        @jax.jit
        def step(params: Any, state: Any) -> tuple[Any, Any, Any]:
            loss, grads = jax.value_and_grad(loss_fn)(params)
            updates, state = optimizer.update(grads, state, params)
            return optax.apply_updates(params, updates), state, loss

        losses = []
        for _ in range(200):
            params, state, loss = step(params, state)
            losses.append(float(loss))
        return params, losses

    params_theirs, losses_theirs = train(theirs)
    params_ours, losses_ours = train(ours)
    assert losses_ours[-1] < 1e-2 * losses_ours[0]
    np.testing.assert_allclose(losses_ours, losses_theirs, rtol=1e-4, atol=1e-6)
    for key in params_ours:
        np.testing.assert_allclose(params_ours[key], params_theirs[key], rtol=1e-4, atol=1e-5)


def test_restart_boundaries_are_exact_near_1e8_with_int32_steps() -> None:
    """Cycle starts walked independently (integers / exact rationals), cycle_mult=1.5."""
    integer = warmcos.cosine_restarts(
        peak=1.0, first_cycle=100, floor=0.01, cycle_mult=1.5, gamma=0.9
    )
    starts, start, decay = [0], 0, 100
    while start <= HORIZON:
        start += decay
        decay = int(decay * 1.5)
        starts.append(start)
    geometric = warmcos.cosine_restarts(
        peak=1.0,
        first_cycle=2**20,
        floor=0.05,
        cycle_mult=1.5,
        gamma=0.7,
        cycle_rule="geometric",
        gamma_mode="amplitude",
    )
    starts_g = [int(s) for s in independent_geometric_starts(2**20, Fraction(3, 2), HORIZON)]
    cases = [
        (integer, starts, lambda k: max(0.9**k, 0.01), 0.01),
        (geometric, starts_g, lambda k: 0.05 + 0.95 * 0.7**k, 0.05),
    ]
    for s, cycle_starts, peak_of, floor in cases:
        lr = jax.jit(optax_schedule(s))
        near = [(k, b) for k, b in enumerate(cycle_starts) if 10**7 <= b <= HORIZON]
        assert any(abs(b - 10**8) < 5 * 10**7 for _, b in near)
        for k, b in near:
            got = np.asarray(lr(jnp.asarray([b - 1, b, b + 1], dtype=jnp.int32)), np.float64)
            assert abs(got[0] - floor) <= RTOL * floor, (s, k, b, got)  # end of cycle k - 1
            assert abs(got[1] - peak_of(k)) <= RTOL * peak_of(k), (s, k, b, got)  # restart
            assert_close(got, core(s, [b - 1, b, b + 1]), [b - 1, b, b + 1])


def test_negative_steps_read_as_step_zero() -> None:
    """Documented: a traced step cannot raise, so negative steps clamp to 0 (the core raises)."""
    s = warmcos.cosine(peak=1e-3, steps=100, warmup=10, warmup_start=1e-5)
    lr = optax_schedule(s)
    negatives = jnp.asarray([-1, -7, -(10**6), -(2**31)], dtype=jnp.int32)
    assert np.all(np.asarray(lr(negatives)) == np.float32(s(0)))
    assert float(jax.jit(lr)(jnp.float32(-0.5))) == np.float32(s(0))
    with pytest.raises(ValueError, match="step"):
        s(-1)


def test_steps_past_the_horizon_read_as_the_horizon() -> None:
    s = warmcos.parse(SCHEDULES["restarts_integer_every"])
    lr = optax_schedule(s, horizon=1000)
    steps = np.asarray([0, 999, 1000, 1001, 5000, 2**31 - 1], dtype=np.int32)
    assert_close(lr(jnp.asarray(steps)), s(np.minimum(steps, 1000).astype(float)), steps)
    # Default horizon: the largest int32 step; +inf reads as it too.
    assert_close(optax_schedule(s)(jnp.float32(np.inf)), [s(HORIZON)], [np.inf])


@pytest.mark.parametrize("units", [10, 2.5, 0.5])
def test_steps_per_unit(units: float) -> None:
    """A schedule written in epochs: lr(step) = schedule(step / steps_per_unit)."""
    s = warmcos.cosine_restarts(peak=0.1, first_cycle=10, floor=0.001, cycle_mult=2.0, warmup=1)
    lr = jax.jit(optax_schedule(s, steps_per_unit=units))
    steps = np.arange(0, 2000, dtype=np.int32)
    assert_close(lr(jnp.asarray(steps)), core(s, steps, units), steps)
    # Restarts land on the optimizer step where step / units is the cycle start.
    assert math.isclose(float(lr(jnp.int32(round(10 * units)))), 0.001, rel_tol=RTOL)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.bfloat16, jnp.float16])
def test_dtype_of_the_result(dtype: Any) -> None:
    s = warmcos.cosine(peak=1e-3, steps=100)
    out = jax.jit(optax_schedule(s, dtype=dtype))(jnp.arange(5))
    assert out.dtype == dtype
    np.testing.assert_allclose(np.asarray(out, np.float64), s(np.arange(5.0)), rtol=1e-2)


def test_global_x64_mode_still_returns_float32() -> None:
    jax.config.update("jax_enable_x64", True)  # the autouse fixture restores it
    s = warmcos.parse(SCHEDULES["restarts_geometric_first"])
    lr = jax.jit(optax_schedule(s))
    steps = jnp.asarray(INT_STEPS, dtype=jnp.int64)
    out = lr(steps)
    assert out.dtype == jnp.float32
    assert_close(out, core(s, INT_STEPS), INT_STEPS)


BAD_ARGUMENTS = [
    (dict(schedule=42), TypeError, "schedule"),
    (dict(schedule=None), TypeError, "schedule"),
    (dict(schedule=optax.constant_schedule(0.1)), TypeError, "schedule"),
    (dict(steps_per_unit=0), ValueError, "steps_per_unit"),
    (dict(steps_per_unit=-2), ValueError, "steps_per_unit"),
    (dict(steps_per_unit=float("nan")), ValueError, "steps_per_unit"),
    (dict(steps_per_unit="2"), TypeError, "steps_per_unit"),
    (dict(steps_per_unit=True), TypeError, "steps_per_unit"),
    (dict(horizon=0), ValueError, "horizon"),
    (dict(horizon=float("inf")), ValueError, "horizon"),
    (dict(horizon=None), TypeError, "horizon"),
]


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    BAD_ARGUMENTS,
    # Functions print with their address: name them instead, so every process sees the same ids.
    ids=[re.sub(r" at 0x[0-9a-f]+", "", str(k)) for k, _, _ in BAD_ARGUMENTS],
)
def test_bad_arguments_name_the_argument(kwargs: dict[str, Any], error: type, name: str) -> None:
    arguments = {"schedule": warmcos.cosine(peak=1.0, steps=10), **kwargs}
    s = arguments.pop("schedule")
    with pytest.raises(error) as info:
        optax_schedule(s, **arguments)
    message = str(info.value)
    assert f"`{name}`" in message and f"{name}=" in message, message
    assert type(info.value) is error


def test_a_spec_string_or_dict_is_accepted_like_the_keras_adapter() -> None:
    s = warmcos.cosine(peak=1.0, steps=10, warmup=2)
    steps = jnp.arange(12)
    expected = np.asarray(optax_schedule(s)(steps))
    np.testing.assert_array_equal(np.asarray(optax_schedule(repr(s))(steps)), expected)
    np.testing.assert_array_equal(np.asarray(optax_schedule(s.to_dict())(steps)), expected)


def test_steps_per_unit_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        optax_schedule(warmcos.cosine(peak=1.0, steps=10), 2)  # type: ignore[misc]


@pytest.mark.slow
def test_tracing_a_slowly_growing_geometric_restart_schedule_is_quick() -> None:
    """The traced table covers the whole default horizon (2**31 - 1) at the first trace.

    The core evaluates ``s(10_000)`` of this schedule in well under a second; the adapter must
    not take minutes to trace it for a short run (20 s budget, in a subprocess).
    """
    code = textwrap.dedent(
        """
        import jax, warmcos
        from warmcos.optax import schedule
        s = warmcos.cosine_restarts(
            peak=1.0, first_cycle=10, cycle_mult=1.001, cycle_rule="geometric"
        )
        s(10_000)
        print(float(jax.jit(schedule(s))(100)))
        """
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=20
        )
    except subprocess.TimeoutExpired:
        pytest.fail("tracing warmcos.optax.schedule(cosine_restarts(cycle_mult=1.001)) > 20 s")
    assert done.returncode == 0, done.stderr[-2000:]
