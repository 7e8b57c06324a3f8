"""Composite schedules (products, ramps, budget changes, plateaus, noise) everywhere.

Each is evaluated through its own vectorised formula on these backends and must give the
per-step values (the scalar path reads the segments).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import warmcos

torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax")

from warmcos.optax import schedule as optax_schedule

COSINE = warmcos.cosine(peak=1.0, steps=100, warmup=10, floor=0.05)
SCHEDULES = [
    0.5 * COSINE,
    warmcos.step(1.0, 7, 0.5) * warmcos.linear(1.0, 0.2, 60),
    warmcos.ramp(0.1, 1.0, 40, shape="cosine"),
    warmcos.ramp(1.0, 0.01, 40, shape="exponential"),
    warmcos.change_budget(COSINE, at=30, steps=250),
    warmcos.change_budget(warmcos.wsd(1.0, 100, 10, 20), at=40, steps=60),
    warmcos.decay_now(COSINE, at=50, decay=30, shape="sqrt"),
    warmcos.plateau(COSINE, factor=0.5, reductions=[12.5, 40, 40, 120]),
    warmcos.noisy(COSINE, start=5, end=150, pct=0.5, std=0.4, seed=7),
    warmcos.noisy(COSINE, start=20, distribution="uniform"),
]
STEPS = np.concatenate([np.arange(0, 300, dtype=np.float64), [12.5, 49.75, 249.999]])


@pytest.mark.parametrize("schedule", SCHEDULES, ids=repr)
def test_torch_tensors_and_jitted_optax_give_the_per_step_values(
    schedule: warmcos.Schedule,
) -> None:
    expected = np.array([schedule(float(t)) for t in STEPS])
    on_torch = schedule(torch.tensor(STEPS, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(on_torch, expected, rtol=1e-12, atol=1e-15)
    with jax.enable_x64(True):
        traced = np.asarray(jax.jit(optax_schedule(schedule, dtype=np.float64))(STEPS))
    np.testing.assert_allclose(traced, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("schedule", SCHEDULES, ids=repr)
def test_spec_files_and_the_cli_read_them(schedule: warmcos.Schedule, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from warmcos.cli.app import app

    spec_file = tmp_path / "schedule.json"
    spec_file.write_text(json.dumps(schedule.to_dict()), encoding="utf-8")
    for spec in (repr(schedule), str(spec_file)):
        result = CliRunner().invoke(app, ["table", spec, "--at", "0,30,75"])
        assert result.exit_code == 0, result.stderr
        rows = result.stdout.strip().splitlines()[1:]
        assert [float(row.split(",")[1]) for row in rows] == [schedule(t) for t in (0, 30, 75)]
    shown = CliRunner().invoke(app, ["show", str(spec_file)])
    assert shown.exit_code == 0, shown.stderr
    assert "".join(repr(schedule).split()) in "".join(shown.stdout.split())  # (wrapped lines)
    pytest.importorskip("matplotlib")
    picture = tmp_path / "schedule.png"
    plotted = CliRunner().invoke(app, ["plot", str(spec_file), "-o", str(picture)])
    assert plotted.exit_code == 0, plotted.stderr
    assert picture.read_bytes().startswith(b"\x89PNG")


KERAS_CHECK = """
import json, sys
import keras
import numpy as np
import warmcos
from warmcos.keras import LearningRateSchedule

specs, steps = json.loads(sys.stdin.read())
backend = keras.backend.backend()
if backend == "tensorflow":
    import tensorflow as tf
    compiled = lambda f: tf.function(f, jit_compile=True)
    step = lambda s: tf.constant(s, tf.float64)
elif backend == "jax":
    import jax
    compiled, step = jax.jit, lambda s: jax.numpy.asarray(s, dtype="float32")
else:
    import torch
    compiled, step = (lambda f: f), lambda s: torch.tensor(s, dtype=torch.float64)
out = []
for spec in specs:
    lr = LearningRateSchedule(warmcos.parse(spec))
    graph = compiled(lambda t: lr(t))
    out.append([float(keras.ops.convert_to_numpy(graph(step(s)))) for s in steps])
print(json.dumps(out))
"""


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_keras_on_each_backend_gives_the_values_in_float32(backend: str) -> None:
    """TensorFlow under XLA, JAX under jit, torch eager on tensors: each in its own process."""
    import os
    import subprocess
    import sys

    pytest.importorskip("keras")
    steps = [0.0, 12.5, 30.0, 49.75, 75.0, 149.0, 260.0]
    environment = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", KERAS_CHECK],
        input=json.dumps([[repr(s) for s in SCHEDULES], steps]),
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for schedule, values in zip(SCHEDULES, json.loads(done.stdout), strict=True):
        expected = [schedule(t) for t in steps]
        np.testing.assert_allclose(values, expected, rtol=2e-6, atol=1e-7)
