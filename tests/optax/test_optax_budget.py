"""``warmcos.optax.change_budget``: a changed budget as a jittable optax schedule.

The float64 truth is the core's ``warmcos.change_budget`` on NumPy; the adapter returns float32
and must agree within float32 rounding, under ``jax.jit`` and inside optax optimizers, for
longer and shorter budgets of schedules with warm-ups, plateaus and restart cycles.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
import jax.numpy as jnp

import warmcos
from warmcos.optax import OptaxSchedule, change_budget, schedule

RTOL, ATOL = 1e-6, 1e-12

CASES = [
    # (old schedule, at, new end)
    ("cosine(peak=0.1, steps=100, floor=0.001, warmup=10)", 40, 250),
    ("cosine(peak=0.1, steps=100, floor=0.001, warmup=10)", 5, 60),  # inside the warm-up
    ("cosine(peak=0.1, steps=100, floor=0.001, warmup=10)", 70, 80),  # shorter
    ("wsd(peak=0.01, steps=200, warmup=20, decay=0.2, floor=1e-05)", 50, 400),
    ("wsd(peak=0.01, steps=200, warmup=20, decay=0.2, floor=1e-05)", 50, 90),  # cut the plateau
    ("cosine_restarts(peak=0.1, first_cycle=30, cycle_mult=2.0, gamma=0.5, max_cycles=3)", 45, 300),
    ("linear(0.1, 0.001, 120)", 33.5, 77.25),
]
STEPS = np.concatenate([np.arange(0, 420), np.arange(0, 420, 0.25)[1::4], [10**6]])


def assert_close(actual: Any, expected: Any) -> None:
    actual = np.asarray(actual, dtype=np.float64).ravel()
    expected = np.asarray(expected, dtype=np.float64).ravel()
    excess = np.abs(actual - expected) - (RTOL * np.abs(expected) + ATOL)
    worst = int(np.argmax(excess))
    assert excess[worst] <= 0, (worst, actual[worst], expected[worst])


@pytest.fixture(autouse=True)
def _x64_off() -> Iterator[None]:
    previous = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", False)
    yield
    jax.config.update("jax_enable_x64", previous)


@pytest.mark.parametrize(("spec", "at", "steps"), CASES)
def test_jitted_values_equal_the_core_change_budget(spec: str, at: float, steps: float) -> None:
    old = warmcos.parse(spec)
    truth = warmcos.change_budget(old, at=at, steps=steps)
    lr = jax.jit(change_budget(old, at, steps))
    out = lr(jnp.asarray(STEPS, dtype=jnp.float32))
    assert out.dtype == jnp.float32
    assert_close(out, truth(STEPS))
    integers = np.arange(0, 420, dtype=np.int32)
    assert_close(lr(jnp.asarray(integers)), truth(integers))
    # Before `at`: the old schedule; at `at`: no jump; from `steps` on: the old final value.
    before = integers[integers < at]
    assert_close(lr(jnp.asarray(before)), old(before))
    assert_close(lr(jnp.float32(at)), [old(at)])
    assert_close(lr(jnp.float32(steps + 7)), [old(old.natural_end)])


def test_starting_from_an_optax_schedule_keeps_its_options() -> None:
    epochs = warmcos.cosine(peak=0.1, steps=10, warmup=1)  # written in epochs of 8 steps
    lr = schedule(epochs, steps_per_unit=8, dtype=jnp.bfloat16, horizon=10**6)
    changed = change_budget(lr, at=4, steps=16)
    assert isinstance(changed, OptaxSchedule)
    assert changed.schedule == warmcos.change_budget(epochs, at=4, steps=16)
    assert (changed.steps_per_unit, changed.dtype, changed.horizon) == (8, jnp.bfloat16, 10**6)
    assert jax.jit(changed)(jnp.arange(4)).dtype == jnp.bfloat16
    # ... unless given again; a spec string or dict starts from schedule()'s defaults.
    wider = change_budget(lr, at=4, steps=16, dtype=jnp.float32)
    steps = np.arange(0, 200)
    assert_close(jax.jit(wider)(jnp.asarray(steps)), changed.schedule(steps / 8))
    from_spec = change_budget(repr(epochs), 4, 16)
    assert (from_spec.steps_per_unit, from_spec.dtype) == (1, jnp.float32)
    assert change_budget(epochs.to_dict(), 4, 16).schedule == changed.schedule


def test_a_concrete_array_position_is_accepted() -> None:
    old = warmcos.cosine(peak=1.0, steps=100)
    count = jnp.asarray(40, dtype=jnp.int32)  # an optimizer's update count, say
    assert change_budget(old, count, np.float64(200)).schedule == warmcos.change_budget(
        old, at=40, steps=200
    )


def test_inside_an_optax_optimizer_every_update_uses_the_changed_schedule() -> None:
    # SGD on loss(w) = w has gradient 1: after N updates w = -sum_{k<N} lr(k).
    old = warmcos.cosine(peak=0.1, steps=40, floor=0.001, warmup=4)
    truth = warmcos.change_budget(old, at=20, steps=80)
    optimizer = optax.inject_hyperparams(optax.sgd)(learning_rate=change_budget(old, 20, 80))
    params = jnp.zeros(())
    state = optimizer.init(params)

    @jax.jit
    def update(params: Any, state: Any) -> Any:
        grads = jax.grad(lambda w: w)(params)
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    used = []
    for _ in range(90):
        params, state = update(params, state)
        used.append(float(state.hyperparams["learning_rate"]))
    assert_close(used, [truth(k) for k in range(90)])
    assert float(params) == pytest.approx(-sum(truth(k) for k in range(90)), rel=1e-5)


def test_a_running_optax_state_continues_with_the_changed_schedule() -> None:
    # Rebuild the transformation with the changed schedule: the state (its count) carries over.
    old = warmcos.cosine(peak=0.1, steps=40, floor=0.001)
    first = optax.scale_by_schedule(schedule(old))
    state = first.init(jnp.zeros(()))
    used = []
    for _ in range(25):
        updates, state = first.update(jnp.ones(()), state)
        used.append(float(updates))
    changed = optax.scale_by_schedule(change_budget(schedule(old), at=25, steps=100))
    for _ in range(80):
        updates, state = changed.update(jnp.ones(()), state)
        used.append(float(updates))
    truth = warmcos.change_budget(old, at=25, steps=100)
    assert_close(used, [truth(k) for k in range(105)])
    assert used[25] == pytest.approx(old(25), rel=RTOL)  # no jump


@pytest.mark.parametrize(
    ("arguments", "error", "match"),
    [
        (("cosine(peak=1.0, steps=100)", 100, 200), ValueError, r"`at` must be < the schedule's"),
        (("cosine(peak=1.0, steps=100)", 50, 50), ValueError, r"`steps` must be > `at`"),
        (("cosine(peak=1.0, steps=100)", -1, 50), ValueError, r"`at` must be >= 0"),
        (("cosine(peak=1.0, steps=100)", "50", 80), TypeError, r"`at` must be a real number"),
        (("cosine_restarts(peak=1.0, first_cycle=10)", 5, 50), ValueError, r"natural end"),
        ((optax.constant_schedule(0.1), 5, 50), TypeError, r"schedule"),
    ],
)
def test_bad_arguments_are_refused_naming_them(
    arguments: tuple[Any, ...], error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        change_budget(*arguments)


def test_options_are_checked() -> None:
    old = warmcos.cosine(peak=1.0, steps=100)
    with pytest.raises(ValueError, match=r"`steps_per_unit` must be > 0"):
        change_budget(old, 10, 200, steps_per_unit=0)
    with pytest.raises(ValueError, match=r"`horizon` must be > 0"):
        change_budget(schedule(old), 10, 200, horizon=-1)


def test_a_traced_position_is_refused() -> None:
    old = warmcos.cosine(peak=1.0, steps=100)

    @jax.jit
    def inside(at: Any) -> Any:
        return change_budget(old, at, 200)(10)

    with pytest.raises(TypeError, match=r"`at` must be a concrete number.*Received: at traced"):
        inside(jnp.asarray(5))
