"""Hostile steps for ``warmcos.optax``: a Python or NumPy step gets the core's checks.

Such a step is concrete, so a negative, NaN or infinite step (or one that is not a real number)
raises as the core does, instead of the clamp that a JAX array step, traced or not, keeps.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

import warmcos
from warmcos.optax import schedule as optax_schedule

SCHEDULE = warmcos.cosine(peak=1.0, steps=100, warmup=10, warmup_start=0.25)
WHERE = "warmcos.optax.schedule()(step)"


@pytest.mark.parametrize(
    ("step", "error"),
    [
        (-1, ValueError),
        (float("nan"), ValueError),
        (float("inf"), ValueError),
        (10**400, ValueError),
        (np.float32(-0.5), ValueError),
        (np.array([0, -3]), ValueError),
        ([0.0, float("nan")], ValueError),
        ("abc", TypeError),
        (None, TypeError),
        (True, TypeError),
    ],
    ids=repr,
)
def test_a_bad_python_or_numpy_step_raises(step: Any, error: type) -> None:
    lr = optax_schedule(SCHEDULE)
    with pytest.raises(error) as info:
        lr(step)
    assert type(info.value) is error
    assert str(info.value).startswith(f"{WHERE}: the step") and len(str(info.value)) < 200


def test_good_python_and_numpy_steps_equal_the_core() -> None:
    lr = optax_schedule(SCHEDULE, horizon=1000)
    for step in (0, 5, 10, 55.5, np.int32(99), 10**6, 1e300):
        assert float(lr(step)) == np.float32(SCHEDULE(min(float(step), 1000.0))), step
    steps = np.array([0, 10, 55, 2000])
    got = np.asarray(lr(steps))
    assert got.tolist() == np.float32(SCHEDULE(np.minimum(steps, 1000.0))).tolist()


def test_jax_array_steps_keep_the_documented_clamp() -> None:
    lr = optax_schedule(SCHEDULE)
    at_zero = np.float32(SCHEDULE(0))
    assert float(lr(jnp.asarray(-5.0))) == at_zero
    assert float(jax.jit(lr)(-5)) == at_zero  # a Python number becomes a tracer under jit
