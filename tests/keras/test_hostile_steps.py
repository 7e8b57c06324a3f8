"""Hostile steps and configs for ``warmcos.keras``, on each Keras backend in its own process.

A concrete step (a Python number, NumPy data, an eager tensor or variable) gets the core's checks:
NaN returned NaN silently, a negative step read as 0 and inf as the horizon, and 1e300 or "abc"
gave the backend's own errors. A traced step keeps the documented clamp. ``from_config`` with
numbers too large for a float raised OverflowError. Keras fixes its backend on first import, so
each backend runs the checks below in a fresh interpreter (as ``test_backends.py`` does) and
prints one JSON line: each check's name and ``"ok"`` or what went wrong.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

CHECKS = r"""
import json, math, sys
import numpy as np
import keras
import warmcos
from warmcos.keras import CosineAnnealingLRScheduler, LearningRateSchedule

backend = keras.backend.backend()
schedule = warmcos.cosine(peak=1.0, steps=100, warmup=10, warmup_start=0.25)
lr = LearningRateSchedule(schedule, horizon=1000)
results = {}


def check(name, body):
    try:
        body()
        results[name] = "ok"
    except Exception as error:  # report every check, then go on
        results[name] = f"{type(error).__name__}: {error}"[:500]


def refuses(call, error, *fragments):
    try:
        call()
    except Exception as raised:
        assert type(raised) is error, f"{type(raised).__name__}: {raised}"
        message = str(raised)
        assert len(message) < 300, message
        for fragment in fragments:
            assert fragment in message, message
        return
    raise AssertionError(f"no error from {call}")


def value(x):
    return float(keras.ops.convert_to_numpy(x))


def bad_steps():
    tensor = keras.ops.convert_to_tensor
    cases = [
        (float("nan"), ValueError), (-1, ValueError), (float("inf"), ValueError),
        (10**400, ValueError), (np.float64(-2.0), ValueError),
        (np.array([0.0, np.nan]), ValueError),
        (tensor(-5.0), ValueError), (tensor([1.0, float("nan")]), ValueError),
        (keras.Variable(-3.0, trainable=False), ValueError),
        ("abc", TypeError), (None, TypeError), (True, TypeError),
    ]
    for step, error in cases:
        refuses(lambda: lr(step), error, "LearningRateSchedule(): the step")
    seed = CosineAnnealingLRScheduler(total_step=100, lr_max=0.1)
    refuses(lambda: seed(float("nan")), ValueError, "CosineAnnealingLRScheduler(): the step")


def good_steps():
    for step in (0, 5, 10, 55, 99.5, np.int64(100), np.float32(7.0)):
        assert value(lr(step)) == np.float32(schedule(float(step))), step
    assert value(lr(1e300)) == np.float32(schedule(1000))  # past the horizon: the horizon
    steps = np.array([0, 10, 55, 2000])
    got = keras.ops.convert_to_numpy(lr(steps))
    assert got.dtype == np.float32 and got.shape == (4,)
    assert got.tolist() == np.float32(schedule(np.minimum(steps, 1000.0))).tolist()
    counter = keras.Variable(55, dtype="int32", trainable=False)
    assert value(lr(counter)) == np.float32(schedule(55))
    assert value(lr(keras.ops.convert_to_tensor(55.0))) == np.float32(schedule(55))


def traced_steps_clamp():
    at_zero = np.float32(schedule(0))
    if backend == "tensorflow":
        import tensorflow as tf

        assert float(tf.function(lambda x: lr(x))(tf.constant(-5.0))) == at_zero
        assert float(tf.function(lambda x: lr(x))(tf.constant(-5))) == at_zero
    elif backend == "jax":
        import jax
        import jax.numpy as jnp

        assert float(jax.jit(lambda x: lr(x))(jnp.float32(-5.0))) == at_zero


def configs():
    huge = 10**400
    ours, seed = LearningRateSchedule, CosineAnnealingLRScheduler
    cases = [
        (ours, {"schedule": {"type": "cosine", "peak": huge, "steps": 10}}, "peak"),
        (ours, {"schedule": "cosine(peak=1.0, steps=10)", "horizon": huge}, "horizon"),
        (ours, {"schedule": "constant(1.0)", "steps_per_unit": huge}, "steps_per_unit"),
        (ours, {"schedule": "cosine(peak=0x" + "f" * 400 + ", steps=10)"}, "peak"),
        (seed, {"total_step": huge, "lr_max": 0.1}, "total_step"),
        (seed, {"total_step": 100, "lr_max": huge}, "lr_max"),
        (seed, {"total_step": 100, "lr_max": 0.1, "lr_min": -huge}, "lr_min"),
    ]
    for cls, config, name in cases:
        refuses(lambda: cls.from_config(config), ValueError, f"`{name}`")
    refuses(
        lambda: LearningRateSchedule.from_config({"schedule": "constant(" + "-" * 5000 + "1)"}),
        ValueError, "parse()",
    )
    piece = {"type": "constant", "value": 1.0}
    for _ in range(8):  # ten pieces that are one dict, 8 deep: 10**8 schedules
        piece = {"type": "join", "schedules": [piece] * 10, "boundaries": list(range(1, 10))}
    refuses(lambda: LearningRateSchedule.from_config({"schedule": piece}), ValueError, "at most")


check("bad_steps", bad_steps)
check("good_steps", good_steps)
check("traced_steps_clamp", traced_steps_clamp)
check("configs", configs)
print(json.dumps({"backend": backend, **results}))
"""


@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_concrete_steps_and_configs_are_checked(backend: str) -> None:
    pytest.importorskip("keras")
    pytest.importorskip({"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}[backend])
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("XLA_FLAGS", None)
    done = subprocess.run(
        [sys.executable, "-c", CHECKS], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3_000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert results.pop("backend") == backend
    failed = {name: outcome for name, outcome in results.items() if outcome != "ok"}
    assert not failed, failed
