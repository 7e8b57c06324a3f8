"""Restart boundaries under `jax.jit`: the float just before a restart is still the old cycle.

XLA divides through a reciprocal, so ``(t - base) / length`` can round up to the next whole
cycle just before a restart (368.99999999999994 / 123 gives 3.0 under `jax.jit`); the cycle
lookup compares with the exact starts instead, on every rule.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import warmcos

jax = pytest.importorskip("jax")

from warmcos.optax import schedule as optax_schedule


@pytest.mark.parametrize(
    "schedule",
    [
        warmcos.cosine_restarts(peak=1.0, first_cycle=123, gamma=0.5, max_cycles=4),
        warmcos.cosine_restarts(peak=1.0, first_cycle=123, gamma=0.5),
        warmcos.cosine_restarts(peak=1.0, first_cycle=49, warmup=7, gamma=0.9),
        warmcos.cosine_restarts(peak=1.0, first_cycle=12.5, cycle_rule="geometric"),
    ],
    ids=repr,
)
def test_the_step_just_before_each_restart_belongs_to_the_old_cycle(
    schedule: warmcos.CosineRestarts,
) -> None:
    starts = [schedule.cycle_start(k) for k in range(1, 9)]
    steps = np.array([x for s in starts for x in (math.nextafter(s, 0.0), s)])
    with jax.enable_x64(True):
        traced = np.asarray(jax.jit(optax_schedule(schedule, dtype=np.float64))(steps))
    expected = np.array([schedule(float(t)) for t in steps])
    # Just before a restart the value is near the floor; at it, the new cycle's start.
    np.testing.assert_allclose(traced, expected, rtol=1e-12, atol=1e-12)
