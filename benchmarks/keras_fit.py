"""Steps per second of Keras ``model.fit`` with a constant LR, Keras' CosineDecay and warmcos.

Run from a clone with warmcos, keras and the backends installed:

    python benchmarks/keras_fit.py                      # tensorflow, jax and torch
    python benchmarks/keras_fit.py --backends jax --repeat 3

Keras fixes its backend at import, so each backend runs in its own subprocess
(``KERAS_BACKEND=<backend> python benchmarks/keras_fit.py --worker``), which prints its timings
as JSON; this process prints one table. Per backend, the same small MLP (32 -> 256 -> 256 -> 10,
AdamW, batch 64, synthetic data) is trained with each learning rate:

- ``constant``: ``AdamW(learning_rate=1e-3)``, the baseline;
- ``keras CosineDecay``: Keras' own warm-up + cosine;
- ``warmcos``: ``warmcos.keras.LearningRateSchedule`` of the same warm-up + cosine, and of a
  ``cosine_restarts`` (its cycle lookup is the costlier formula).

Each model is compiled with Keras' default ``jit_compile="auto"`` (XLA on JAX; on a CPU-only
machine Keras turns XLA off for TensorFlow, and torch runs eagerly) and fitted once untimed
(tracing/compilation); then ``--repeat`` rounds time one ``fit`` of ``--epochs`` epochs per
configuration, in turn, so that slow drifts of the machine hit every configuration alike. Steps
per second come from the fastest round; the ratio column is that rate over the constant-LR rate
of the same backend (1.00 = as fast; the target for warmcos is >= 0.98). Each framework runs on
``--threads`` CPU threads (default 1, which keeps timings steady on a shared machine). Absolute
rates depend on the machine and its load; compare ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any

BACKENDS = ("tensorflow", "jax", "torch")
PEAK = 1e-3
STEPS = 10**6  # long, so every timed step is in the cosine part
WARMUP = 1_000
BATCH = 64


def worker(steps_per_epoch: int, epochs: int, repeat: int) -> dict[str, Any]:
    """Run in a subprocess with KERAS_BACKEND set: time each configuration."""
    import keras
    import numpy as np

    import warmcos
    from warmcos.keras import LearningRateSchedule

    configs = {
        "constant": lambda: PEAK,
        "keras CosineDecay": lambda: keras.optimizers.schedules.CosineDecay(
            0.0, STEPS - WARMUP, warmup_target=PEAK, warmup_steps=WARMUP
        ),
        "warmcos cosine": lambda: LearningRateSchedule(
            warmcos.cosine(peak=PEAK, steps=STEPS, warmup=WARMUP)
        ),
        "warmcos cosine_restarts": lambda: LearningRateSchedule(
            warmcos.cosine_restarts(
                peak=PEAK, first_cycle=10_000, floor=1e-5, cycle_mult=1.5, gamma=0.9, warmup=100
            )
        ),
    }
    rng = np.random.default_rng(0)
    x = rng.normal(size=(steps_per_epoch * BATCH, 32)).astype("float32")
    y = rng.integers(0, 10, size=(steps_per_epoch * BATCH,))
    models = {}
    for name, learning_rate in configs.items():
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [
                keras.Input((32,)),
                keras.layers.Dense(256, activation="relu"),
                keras.layers.Dense(256, activation="relu"),
                keras.layers.Dense(10),
            ]
        )
        model.compile(
            optimizer=keras.optimizers.AdamW(learning_rate=learning_rate()),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)  # compile, untimed
        models[name] = model
    seconds: dict[str, list[float]] = {name: [] for name in configs}
    for _ in range(repeat):
        for name, model in models.items():
            began = time.perf_counter()
            model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0)
            seconds[name].append(time.perf_counter() - began)
    steps = steps_per_epoch * epochs
    return {
        "backend": keras.backend.backend(),
        "jit_compile": str(models["constant"].jit_compile),
        "steps": steps,
        "steps_per_second": {name: steps / min(times) for name, times in seconds.items()},
        "all_seconds": seconds,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--steps-per-epoch", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="CPU threads per backend (default 1: steadier timings on a shared machine; 0 leaves "
        "each framework's default)",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        result = worker(args.steps_per_epoch, args.epochs, args.repeat)
        print("RESULT " + json.dumps(result))
        return 0

    rows = []
    for backend in args.backends:
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
        if args.threads:
            threads = str(args.threads)
            env.update(
                OMP_NUM_THREADS=threads,
                TF_NUM_INTRAOP_THREADS=threads,
                TF_NUM_INTEROP_THREADS=threads,
                XLA_FLAGS="--xla_cpu_multi_thread_eigen=false "
                f"intra_op_parallelism_threads={threads}",
            )
        command = [
            sys.executable,
            __file__,
            "--worker",
            f"--steps-per-epoch={args.steps_per_epoch}",
            f"--epochs={args.epochs}",
            f"--repeat={args.repeat}",
        ]
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        if done.returncode != 0 or not lines:
            print(f"{backend}: failed\n{done.stderr[-3000:]}", file=sys.stderr)
            return 1
        rows.append(json.loads(lines[-1][len("RESULT ") :]))

    print(
        f"model.fit, MLP 32-256-256-10, AdamW, batch {BATCH}, "
        f"{args.steps_per_epoch * args.epochs} steps per timed fit, best of {args.repeat}, "
        f"threads: {args.threads or 'default'}"
    )
    header = (
        f"{'backend':<11} {'jit_compile':<11} {'learning rate':<24} {'steps/s':>9} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        base = row["steps_per_second"]["constant"]
        for name, rate in row["steps_per_second"].items():
            print(
                f"{row['backend']:<11} {row['jit_compile']:<11} {name:<24} "
                f"{rate:>9.0f} {rate / base:>6.3f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
