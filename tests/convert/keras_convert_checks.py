"""Run Keras for tests/convert/test_convert_keras.py: ``python keras_convert_checks.py IN OUT DIR``.

Run with ``KERAS_BACKEND=tensorflow`` set before Keras is imported (this process's only job).
``IN`` is a JSON list of cases ``{"class_name", "config", "n"}``; for each, the LIVE Keras
schedule is built from the config with its learning rates as float64 NumPy numbers (so Keras
computes in float64) and evaluated at steps ``0 .. n - 1``. A few cases are also read as objects
by ``warmcos._convert.keras_schedules.read`` (and ``warmcos.convert`` when it exists), and one is
saved inside a tiny compiled model as ``DIR/m.keras``. ``OUT`` receives the results as JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

import warmcos
from warmcos._convert.keras_schedules import read


def live(class_name: str, config: dict[str, Any]) -> Any:
    """The schedule, every number as a float64 NumPy number.

    Keras casts a Python number hyperparameter through float32 (``ops.cast`` of a Python
    float), so a run in float64 needs them all as float64 numbers.
    """
    fields: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, list):
            value = [np.float64(v) for v in value]
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            value = np.float64(value)
        fields[key] = value
    return getattr(keras.optimizers.schedules, class_name)(**fields)


def values(schedule: Any, n: int) -> list[float]:
    steps = np.arange(n, dtype=np.float64)
    if isinstance(schedule, keras.optimizers.schedules.CosineDecay) and schedule.warmup_target:
        # Its warm-up branch (ops.cond) takes one step at a time: traced once, called per step.
        one = tf.function(schedule, input_signature=[tf.TensorSpec([], tf.float64)])
        return [float(one(tf.constant(t))) for t in steps]
    out = np.asarray(schedule(steps), dtype=np.float64)
    assert out.dtype == np.float64 and out.shape == steps.shape
    return out.tolist()


def main(source: str, target: str, folder: str) -> None:
    cases = json.loads(Path(source).read_text())
    results: dict[str, Any] = {"peers": [], "objects": []}
    for case in cases:
        peer = live(case["class_name"], case["config"])
        results["peers"].append(values(peer, case["n"]))
        if case.get("as_object"):
            obj = getattr(keras.optimizers.schedules, case["class_name"])(**case["config"])
            reading = read(obj)
            assert reading is not None
            sampled = reading.sample(np.arange(case["n"]))
            converted = None
            if hasattr(warmcos, "convert"):
                converted = repr(warmcos.convert(obj))
            results["objects"].append(
                {
                    "schedules": [repr(s) for s in reading.schedules],
                    "source": reading.source,
                    "sampled": sampled.tolist(),
                    "converted": converted,
                    "config": obj.get_config() | {"name": obj.name},
                    "serialized": keras.saving.serialize_keras_object(obj),
                }
            )
    # A saved model whose optimizer's learning rate is a Keras schedule.
    saved = cases[0]
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    schedule = getattr(keras.optimizers.schedules, saved["class_name"])(**saved["config"])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=schedule), loss="mse")
    model.fit(np.ones((4, 3)), np.ones((4, 2)), epochs=1, verbose=0)
    model.save(Path(folder) / "m.keras")
    Path(target).write_text(json.dumps(results, default=float))


if __name__ == "__main__":
    main(*sys.argv[1:4])
