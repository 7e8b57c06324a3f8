"""Checks of ``warmcos.keras`` on ONE Keras backend, run in a fresh interpreter.

Keras fixes its backend when it is first imported, so ``tests/keras/test_backends.py`` runs this
script once per backend, each time in a new process::

    KERAS_BACKEND=jax python tests/keras/keras_backend_checks.py check OUTDIR
    KERAS_BACKEND=jax python tests/keras/keras_backend_checks.py load FILE.keras [FILE.keras ...]

``check`` runs every check and saves two models into OUTDIR; ``load`` loads saved models in a
process that imports nothing but ``keras`` and ``warmcos.keras`` (no ``custom_objects``). Either
prints one line ``RESULT {json}`` on stdout: for ``check``, ``{"checks": {name: {"ok": bool,
"detail": ...}}}``; it exits with status 1 (and the failures on stderr) when a check failed, and
with another non-zero status if it crashed before printing.

Not a test module (no ``test_`` prefix); it imports Keras only inside ``main()``, so pytest's
doctest collection can import it without touching Keras' global state.

The float64 truth is warmcos' core on NumPy (``schedule(np.ndarray)``): the adapter must agree
with it within float32 rounding. The seed class is checked against an independent reference
written from SEED.md, and restart starts are computed here with plain integer / rational loops.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
import traceback
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

HORIZON = 2**31 - 1
RTOL = 1e-6
"""float32 rounding: the adapter computes in float64 and rounds once to float32 (2**-24)."""
ATOL = 1e-12
"""Absolute slack for values at (or underflowing to) zero, relative to a peak of about 1."""

# Every schedule kind, as spec strings (JSON-friendly; parsed with warmcos.parse).
SCHEDULES = {
    "cosine": "cosine(peak=0.0003, steps=1000, floor=1e-05, warmup=100, warmup_start=1e-06)",
    "cosine_long_fraction_warmup": "cosine(peak=1.0, steps=100000000, warmup=0.01)",
    "restarts_integer_every": (
        "cosine_restarts(peak=0.1, first_cycle=100, floor=0.001, cycle_mult=1.5, gamma=0.8,"
        " warmup=10)"
    ),
    "restarts_integer_first_max": (
        "cosine_restarts(peak=0.1, first_cycle=100, floor=0.001, cycle_mult=1.5, gamma=0.8,"
        " warmup=10, max_cycles=5, warmup_cycles='first')"
    ),
    "restarts_geometric_first": (
        "cosine_restarts(peak=0.1, first_cycle=110, floor=0.001, cycle_mult=1.5, gamma=0.7,"
        " warmup=10, warmup_cycles='first', cycle_rule='geometric')"
    ),
    "restarts_geometric_amplitude_max": (
        "cosine_restarts(peak=1.0, first_cycle=7.5, floor=0.05, cycle_mult=1.3, gamma=0.5,"
        " max_cycles=12, cycle_rule='geometric', gamma_mode='amplitude')"
    ),
    "restarts_scale_warmup_start": (
        "cosine_restarts(peak=0.1, first_cycle=50, floor=0.01, cycle_mult=2.0, gamma=0.9,"
        " warmup=5, warmup_start=0.0, max_cycles=6, gamma_mode='scale')"
    ),
    "restarts_equal_cycles": "cosine_restarts(peak=0.1, first_cycle=37, warmup=3)",
    "restarts_max_cycles_no_decay": (
        "cosine_restarts(peak=0.1, first_cycle=10, floor=0.01, max_cycles=3)"
    ),
    "restarts_peak_clamped_at_floor": (
        "cosine_restarts(peak=0.1, first_cycle=20, floor=0.02, cycle_mult=1.5, gamma=0.3)"
    ),
    "wsd_linear": "wsd(peak=0.001, steps=2000, warmup=100, decay=400, floor=1e-05)",
    "wsd_cosine": (
        "wsd(peak=0.001, steps=2000, warmup=0.05, decay=0.2, floor=1e-05, shape='cosine',"
        " warmup_start=0.0001)"
    ),
    "wsd_sqrt": "wsd(peak=0.001, steps=2000, warmup=100, decay=1500, shape='sqrt')",
    "step": "step(0.1, 30, 0.5)",
    "multistep": "multistep(0.1, [100, 250, 2000], 0.3)",
    # gamma ** t at t ~ 10**7 is wrong by ~20% if gamma or t ever passes through float32.
    "exponential_slow": "exponential(1.0, 0.9999999)",
    "exponential": "exponential(0.1, 0.99)",
    "linear": "linear(0.1, 0.001, 1500)",
    "constant": "constant(0.003)",
    "join": (
        "join([linear(0.0, 0.1, 100), cosine_restarts(peak=0.1, first_cycle=200, floor=0.001,"
        " cycle_mult=2.0)], [100])"
    ),
    "join_global_steps": (
        "join([linear(0.0, 0.1, 100), cosine(peak=0.1, steps=1900), constant(0.0005)],"
        " [100, 2000], local_steps=False)"
    ),
}

INT_STEPS = sorted(
    set(range(0, 2101))
    | {4999, 5000, 10**6, 10**6 + 1, 12_345_678, 10**7, 10**8 - 1, 10**8, 10**8 + 1}
    | {2**31 - 2, 2**31 - 1}
)
FLOAT_STEPS = sorted(
    {k / 4 for k in range(0, 4 * 2100)} | {1e6 + 0.5, 1.5e7, 1e8, 2e9, 2**31 - 1.0}
)


# --- helpers ------------------------------------------------------------------------------------


def mismatch(actual: Any, expected: Any, steps: Any, rtol: float = RTOL) -> str | None:
    """None if every value is within float32 rounding; else the worst step, both values."""
    actual = np.asarray(actual, dtype=np.float64).ravel()
    expected = np.asarray(expected, dtype=np.float64).ravel()
    steps = np.asarray(steps).ravel()
    if actual.shape != expected.shape:
        return f"shape {actual.shape} != {expected.shape}"
    if not np.all(np.isfinite(actual)):
        bad = int(np.flatnonzero(~np.isfinite(actual))[0])
        return f"non-finite value {actual[bad]!r} at step {steps[bad]!r}"
    excess = np.abs(actual - expected) - (rtol * np.abs(expected) + ATOL)
    worst = int(np.argmax(excess))
    if excess[worst] <= 0:
        return None
    rel = abs(actual[worst] - expected[worst]) / max(abs(expected[worst]), 1e-300)
    return (
        f"step {steps[worst]!r}: got {actual[worst]!r}, core {expected[worst]!r} "
        f"(relative error {rel:.2e})"
    )


def to_numpy(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):  # torch
        value = value.detach().cpu()
    return np.asarray(value)


def independent_integer_starts(first_decay: int, mult: float, warmup: int, limit: int) -> list:
    """Cycle starts of the integer rule, walked one cycle at a time (warm-up in every cycle)."""
    starts, start, decay = [0], 0, first_decay
    while start <= limit:
        start += warmup + decay
        decay = int(decay * mult)
        starts.append(start)
    return starts


def independent_geometric_starts(first_decay: int, mult: Fraction, limit: int) -> list:
    """Cycle starts of the geometric rule without warm-up, in exact rationals."""
    starts, start, decay = [Fraction(0)], Fraction(0), Fraction(first_decay)
    while start <= limit:
        start += decay
        decay *= mult
        starts.append(start)
    return starts


def seed_reference(total_step: int, lr_max: float, lr_min: float, warmth_rate: float) -> Callable:
    """SEED.md's fixed semantics of CosineAnnealingLRScheduler, written from the text."""
    warm = int(total_step * warmth_rate)

    def lr(step: float) -> float:
        if warm > 0 and step < warm:
            return lr_max * step / warm
        if step < total_step:
            x = (step - warm) / (total_step - warm)
            return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * x)) / 2
        return lr_min

    return lr


# --- the checks ---------------------------------------------------------------------------------


class Checks:
    def __init__(self, outdir: Path) -> None:
        import keras

        import warmcos
        from warmcos.keras import CosineAnnealingLRScheduler, LearningRateSchedule

        self.keras = keras
        self.warmcos = warmcos
        self.LRS = LearningRateSchedule
        self.Seed = CosineAnnealingLRScheduler
        self.backend = keras.backend.backend()
        self.outdir = outdir
        self.schedules = {name: warmcos.parse(spec) for name, spec in SCHEDULES.items()}

    # Step tensors of each dtype the backend allows.
    def step_tensors(self, values: list, kind: str) -> dict[str, Any]:
        ops = self.keras.ops
        out: dict[str, Any] = {}
        if kind == "int":
            array = np.asarray(values, dtype=np.int64)
            out["int32"] = ops.convert_to_tensor(array.astype(np.int32), dtype="int32")
            if self.backend == "jax":
                import jax
                import jax.numpy as jnp

                # Without JAX's 64-bit mode an int64 array silently becomes int32: build it
                # in 64-bit mode (the adapter evaluates in that mode too).
                with jax.enable_x64(True):
                    out["int64"] = jnp.asarray(array, dtype=jnp.int64)
            else:
                out["int64"] = ops.convert_to_tensor(array, dtype="int64")
        else:
            array = np.asarray(values, dtype=np.float64)
            out["float32"] = ops.convert_to_tensor(array.astype(np.float32), dtype="float32")
            if self.backend != "jax":
                out["float64"] = ops.convert_to_tensor(array, dtype="float64")
        return out

    def core_at(
        self, schedule: Any, tensor: Any, steps_per_unit: float = 1, horizon: float = HORIZON
    ) -> np.ndarray:
        steps = to_numpy(tensor).astype(np.float64)  # the exact step value the adapter saw
        # Documented: positions past the horizon (default 2**31 - 1) read as the horizon; the
        # float32 step nearest to 2**31 - 1 is 2**31, one past it.
        return schedule(np.minimum(steps / steps_per_unit, horizon))

    def compare_grid(self, evaluate: Callable[[Any, Any], Any]) -> dict[str, Any]:
        failures, dtypes = [], set()
        for name, schedule in self.schedules.items():
            lr = self.LRS(schedule)
            for kind, values in (("int", INT_STEPS), ("float", FLOAT_STEPS)):
                for dtype, tensor in self.step_tensors(values, kind).items():
                    dtypes.add(dtype)
                    try:
                        result = to_numpy(evaluate(lr, tensor))
                    except Exception as exc:  # report each schedule, then go on
                        failures.append(f"{name} [{dtype}]: {type(exc).__name__}: {exc}"[:600])
                        continue
                    if result.dtype != np.float32:
                        failures.append(f"{name} [{dtype}]: result dtype {result.dtype}")
                    bad = mismatch(result, self.core_at(schedule, tensor), to_numpy(tensor))
                    if bad:
                        failures.append(f"{name} [{dtype}]: {bad}")
        assert not failures, "\n".join(failures)
        return {"dtypes": sorted(dtypes), "schedules": len(self.schedules)}

    def check_values_eager(self) -> dict[str, Any]:
        """(a) Every schedule kind at int and float step tensors vs the float64 core."""
        detail = self.compare_grid(lambda lr, step: lr(step))
        # Python numbers and a scalar tensor work too.
        s = self.schedules["restarts_integer_every"]
        lr = self.LRS(s)
        for step in (0, 245, 7.5, 10**8):
            bad = mismatch(to_numpy(lr(step)), [s(step)], [step])
            assert bad is None, f"python step {step!r}: {bad}"
        return detail

    def check_values_steps_per_unit_and_horizon(self) -> dict[str, Any]:
        """(a) lr(step) == schedule(min(step / steps_per_unit, horizon))."""
        s = self.schedules["restarts_integer_every"]
        failures = []
        for units, horizon in ((10, HORIZON), (2.5, HORIZON), (1, 1000), (4, 777.5)):
            lr = self.LRS(s, steps_per_unit=units, horizon=horizon)
            for dtype, tensor in self.step_tensors(INT_STEPS, "int").items():
                want = self.core_at(s, tensor, units, horizon)
                bad = mismatch(to_numpy(lr(tensor)), want, INT_STEPS)
                if bad:
                    failures.append(f"steps_per_unit={units}, horizon={horizon} [{dtype}]: {bad}")
        assert not failures, "\n".join(failures)
        return {}

    def check_restart_boundaries_1e8(self) -> dict[str, Any]:
        """(b) Restarts land exactly on their integer step near 10**8 (cycle_mult=1.5)."""
        warmcos, failures, checked = self.warmcos, [], []
        cases = []
        # Integer rule, no warm-up: value(S) = P_k, value(S - 1) = the floor (within rounding).
        integer = warmcos.cosine_restarts(
            peak=1.0, first_cycle=100, floor=0.01, cycle_mult=1.5, gamma=0.9
        )
        starts = independent_integer_starts(100, 1.5, 0, 3 * 10**8)
        cases.append(("integer", integer, starts, 0, lambda k: max(0.9**k, 0.01), 0.01))
        # Integer rule, warm-up in every cycle: value(S) = floor, value(S + W/2) = midway.
        warm = warmcos.cosine_restarts(
            peak=1.0, first_cycle=1000, floor=0.01, cycle_mult=1.5, gamma=0.9, warmup=10
        )
        starts_w = independent_integer_starts(990, 1.5, 10, 3 * 10**8)
        cases.append(("integer_warmup", warm, starts_w, 10, lambda k: max(0.9**k, 0.01), 0.01))
        # Geometric rule: D_k = 2**20 * 1.5**k is a whole number for k <= 20.
        geometric = warmcos.cosine_restarts(
            peak=1.0,
            first_cycle=2**20,
            floor=0.05,
            cycle_mult=1.5,
            gamma=0.7,
            cycle_rule="geometric",
            gamma_mode="amplitude",
        )
        starts_g = independent_geometric_starts(2**20, Fraction(3, 2), 3 * 10**8)
        assert all(s.denominator == 1 for s in starts_g)
        starts_g = [int(s) for s in starts_g]
        cases.append(("geometric", geometric, starts_g, 0, lambda k: 0.05 + 0.95 * 0.7**k, 0.05))
        for label, s, starts, warmup, peak_of, floor in cases:
            lr = self.LRS(s)
            near = [(k, start) for k, start in enumerate(starts) if 10**7 <= start <= 2**31 - 1]
            assert any(abs(start - 10**8) < 5 * 10**7 for _, start in near), (label, near)
            for k, start in near:
                probe = [start - 1, start, start + 1] + ([start + warmup // 2] if warmup else [])
                for dtype, tensor in self.step_tensors(probe, "int").items():
                    got = to_numpy(lr(tensor)).astype(np.float64)
                    at_start = peak_of(k) if not warmup else floor
                    expected = [floor, at_start]
                    if warmup:
                        expected.append(None)
                        expected.append(floor + (peak_of(k) - floor) / 2)
                    for step, value, want in zip(probe, got, expected, strict=False):
                        if want is not None and abs(value - want) > RTOL * want:
                            failures.append(
                                f"{label} [{dtype}] cycle {k} start {start}: step {step} gave "
                                f"{value!r}, expected {want!r}"
                            )
                    bad = mismatch(got, self.core_at(s, tensor), probe)
                    if bad:
                        failures.append(f"{label} [{dtype}] vs core: {bad}")
                checked.append(f"{label}:{start}")
        assert not failures, "\n".join(failures)
        return {"starts": checked}

    def check_values_compiled(self) -> dict[str, Any]:
        """(c) Inside tf.function(jit_compile=True) on TF, jax.jit on JAX."""
        if self.backend == "tensorflow":
            import tensorflow as tf

            def evaluate(lr: Any, step: Any) -> Any:
                return tf.function(lambda x: lr(x), jit_compile=True)(step)

            graph = self.compare_grid(lambda lr, step: tf.function(lambda x: lr(x))(step))
            detail = self.compare_grid(evaluate)
            return {"compiler": "tf.function(jit_compile=True) and tf.function", **graph, **detail}
        if self.backend == "jax":
            import jax

            return {
                "compiler": "jax.jit",
                **self.compare_grid(lambda lr, step: jax.jit(lambda x: lr(x))(step)),
            }
        return {"skipped": "torch backend: no graph compiler exercised here (model.fit eager)"}

    def _fit_model(self, learning_rate: Any, jit: bool | str) -> tuple[Any, int]:
        keras = self.keras
        rng = np.random.default_rng(0)
        x = rng.normal(size=(96, 8)).astype("float32")
        y = (x @ rng.normal(size=(8, 1))).astype("float32")
        model = keras.Sequential(
            [keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(1)]
        )
        model.compile(
            optimizer=keras.optimizers.AdamW(learning_rate=learning_rate),
            loss="mse",
            jit_compile=jit,
        )
        model.fit(x, y, batch_size=16, epochs=3, verbose=0, shuffle=False)
        return model, 3 * (96 // 16)

    def jit_compile(self) -> bool:
        # The torch backend's jit_compile means torch.compile, which Keras calls experimental.
        return self.backend in ("tensorflow", "jax")

    def check_fit(self) -> dict[str, Any]:
        """(d) model.fit, then the optimizer's LR read back after N steps equals schedule(N)."""
        s = self.warmcos.cosine_restarts(
            peak=0.01, first_cycle=6, floor=1e-4, cycle_mult=1.5, gamma=0.7, warmup=2
        )
        model, n = self._fit_model(self.LRS(s), self.jit_compile())
        optimizer = model.optimizer
        assert int(to_numpy(optimizer.iterations)) == n, to_numpy(optimizer.iterations)
        read = float(to_numpy(optimizer.learning_rate))
        assert abs(read - s(n)) <= RTOL * s(n), (read, s(n))
        return {"steps": n, "lr": read, "core": s(n), "jit_compile": self.jit_compile()}

    def check_fit_applies_schedule_each_step(self) -> dict[str, Any]:
        """(d) The compiled train step really uses schedule(k) at update k.

        A bias-free Dense(1) from weight 0 on inputs of 1 with the loss mean(y_pred) has
        gradient 1, so plain SGD leaves the weight at -sum_{k<N} lr(k).
        """
        keras = self.keras
        s = self.warmcos.cosine_restarts(
            peak=0.1, first_cycle=5, floor=0.01, cycle_mult=2.0, gamma=0.5, warmup=1
        )
        model = keras.Sequential(
            [keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")]
        )
        model.compile(
            optimizer=keras.optimizers.SGD(learning_rate=self.LRS(s)),
            loss=lambda y_true, y_pred: keras.ops.squeeze(y_pred, -1),
            jit_compile=self.jit_compile(),
        )
        seen: list[tuple[int, float]] = []

        class Record(keras.callbacks.Callback):
            def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
                optimizer = self.model.optimizer
                seen.append(
                    (int(to_numpy(optimizer.iterations)), float(to_numpy(optimizer.learning_rate)))
                )

        x = np.ones((40, 1), dtype="float32")
        model.fit(x, x, batch_size=4, epochs=2, verbose=0, shuffle=False, callbacks=[Record()])
        n = 20
        weight = float(to_numpy(model.layers[0].kernel)[0, 0])
        expected = -sum(s(k) for k in range(n))
        assert abs(weight - expected) <= 1e-5 * abs(expected), (weight, expected)
        assert [k for k, _ in seen] == list(range(n)), seen
        bad = mismatch([v for _, v in seen], [s(k) for k in range(n)], list(range(n)))
        assert bad is None, bad
        return {"weight": weight, "expected": expected}

    def check_save(self) -> dict[str, Any]:
        """(e, saving side) model.save of models using both classes; load runs elsewhere."""
        lrs_schedule = self.schedules["restarts_scale_warmup_start"]
        lrs = self.LRS(lrs_schedule, steps_per_unit=4)
        seed = self.Seed(total_step=500, lr_max=0.01, lr_min=1e-4, warmth_rate=0.1)
        saved = {}
        for name, learning_rate in (("lrs", lrs), ("seed", seed)):
            model, n = self._fit_model(learning_rate, self.jit_compile())
            path = self.outdir / f"{name}.keras"
            model.save(path)
            saved[name] = {
                "path": str(path),
                "class": type(learning_rate).__name__,
                "config": learning_rate.get_config(),
                "schedule": repr(learning_rate.schedule),
                "iterations": n,
                "values": [float(to_numpy(learning_rate(t))) for t in PROBE_STEPS],
            }
        return saved

    def check_config_round_trip(self) -> dict[str, Any]:
        """(f) get_config/from_config and JSON serialisation for every schedule kind."""
        keras, failures = self.keras, []
        objects = [(name, self.LRS(s)) for name, s in self.schedules.items()]
        objects.append(("steps_per_unit_horizon", self.LRS(self.schedules["cosine"], 2.5, 10**6)))
        objects.append(("from_spec_string", self.LRS(SCHEDULES["join"])))
        objects.append(("from_dict", self.LRS(self.schedules["wsd_sqrt"].to_dict())))
        objects.append(("seed", self.Seed(1000, 0.1, 0.001, 0.05)))
        objects.append(("seed_defaults", self.Seed(10, 1.0)))
        probe = self.step_tensors(INT_STEPS[::7], "int")["int32"]
        for name, lr in objects:
            config = lr.get_config()
            copies = {
                "from_config": type(lr).from_config(config),
                "json_config": type(lr).from_config(json.loads(json.dumps(config))),
                "serialize": keras.saving.deserialize_keras_object(
                    json.loads(json.dumps(keras.saving.serialize_keras_object(lr)))
                ),
            }
            for how, copy in copies.items():
                if type(copy) is not type(lr):
                    failures.append(f"{name} {how}: type {type(copy).__name__}")
                    continue
                if copy.schedule != lr.schedule or copy.get_config() != config:
                    failures.append(f"{name} {how}: {copy.get_config()} != {config}")
                if not np.array_equal(to_numpy(copy(probe)), to_numpy(lr(probe))):
                    failures.append(f"{name} {how}: different values")
        assert not failures, "\n".join(failures)
        return {"objects": len(objects)}

    def check_seed_semantics(self) -> dict[str, Any]:
        """(g) The seed class against SEED.md's fixed semantics (independent reference)."""
        failures = []
        cases = [
            (100, 0.1, 0.001, 0.2),
            (1000, 3e-4, 0.0, 0.0),  # no warm-up: step 0 is lr_max
            (10, 1.0, 0.5, 0.7),  # 10 * 0.7 = 7.000000000000001 -> W = 7
            (100, 0.1, 0.0, 0.29),  # 100 * 0.29 = 28.999999999999996 -> W = 28
            (1, 0.1, 0.01, 0.5),  # W = 0, T = 1
            (7, 1e-3, 1e-3, 0.5),  # flat
            (100_000, 2e-3, 2e-5, 0.01),
        ]
        for total, lr_max, lr_min, rate in cases:
            lr = self.Seed(total, lr_max, lr_min, rate)
            ref = seed_reference(total, lr_max, lr_min, rate)
            # Fixed-length step arrays (every integer up to 2T for T <= 300, else a sample):
            # JAX compiles each eager op once per shape.
            grid = np.linspace(0, 2 * total, 601)
            ints = [*np.round(grid).astype(int).tolist(), total - 1, total, 3 * total]
            floats = (grid + 0.25).tolist()
            for kind, values in (("int", ints), ("float", floats)):
                for dtype, tensor in self.step_tensors(values, kind).items():
                    steps = to_numpy(tensor).astype(np.float64)
                    want = [ref(float(t)) for t in steps]
                    bad = mismatch(to_numpy(lr(tensor)), want, steps)
                    if bad:
                        failures.append(f"{(total, lr_max, lr_min, rate)} [{dtype}]: {bad}")
            at_total = float(to_numpy(lr(total)))
            if at_total != np.float32(lr_min):
                failures.append(f"{(total, lr_max, lr_min, rate)}: lr(total_step)={at_total}")
            if rate == 0 and float(to_numpy(lr(0))) != np.float32(lr_max):
                failures.append(f"{(total, lr_max, lr_min, rate)}: lr(0) is not lr_max")
        assert not failures, "\n".join(failures)
        return {"cases": len(cases)}

    def check_seed_validation(self) -> dict[str, Any]:
        """(g) Bad arguments: ValueError/TypeError naming the argument and the value."""
        bad_calls = [
            (dict(total_step=0, lr_max=0.1), ValueError, "total_step", "0"),
            (dict(total_step=-5, lr_max=0.1), ValueError, "total_step", "-5"),
            (dict(total_step=10.5, lr_max=0.1), ValueError, "total_step", "10.5"),
            (dict(total_step="100", lr_max=0.1), TypeError, "total_step", "'100'"),
            (dict(total_step=None, lr_max=0.1), TypeError, "total_step", "None"),
            (dict(total_step=True, lr_max=0.1), TypeError, "total_step", "True"),
            (dict(total_step=100, lr_max=0.1, warmth_rate=1), ValueError, "warmth_rate", "1"),
            (dict(total_step=100, lr_max=0.1, warmth_rate=1.5), ValueError, "warmth_rate", "1.5"),
            (dict(total_step=100, lr_max=0.1, warmth_rate=-0.1), ValueError, "warmth_rate", "-0.1"),
            (
                dict(total_step=100, lr_max=0.1, warmth_rate=float("nan")),
                ValueError,
                "warmth_rate",
                "nan",
            ),
            (dict(total_step=9, lr_max=0.1, warmth_rate="0.1"), TypeError, "warmth_rate", "'0.1'"),
            (dict(total_step=100, lr_max=0.1, lr_min=0.2), ValueError, "lr_min", "0.2"),
            (dict(total_step=100, lr_max=-0.1), ValueError, "lr_max", "-0.1"),
            (dict(total_step=100, lr_max=0.1, lr_min=-0.01), ValueError, "lr_min", "-0.01"),
            (dict(total_step=100, lr_max=float("inf")), ValueError, "lr_max", "inf"),
            (dict(total_step=100, lr_max=None), TypeError, "lr_max", "None"),
        ]
        failures = []
        for kwargs, error, name, shown in bad_calls:
            try:
                self.Seed(**kwargs)
            except (ValueError, TypeError) as exc:
                message = str(exc)
                if type(exc) is not error:
                    failures.append(f"{kwargs}: {type(exc).__name__} ({message}), want {error}")
                elif f"`{name}`" not in message or f"{name}={shown}" not in message:
                    failures.append(f"{kwargs}: message does not name {name}={shown}: {message}")
            else:
                failures.append(f"{kwargs}: accepted")
        # The general class refuses bad arguments the same way.
        for kwargs, error, name in [
            (dict(schedule=0.1), TypeError, "schedule"),
            (dict(schedule="cosine(peak=1.0, steps=10)", steps_per_unit=0), ValueError, "steps_"),
            (dict(schedule="cosine(peak=1.0, steps=10)", horizon=-1), ValueError, "horizon"),
            (dict(schedule="cosine(peak=1.0, steps=10)", steps_per_unit="2"), TypeError, "steps_"),
        ]:
            try:
                self.LRS(**kwargs)
            except (ValueError, TypeError) as exc:
                if type(exc) is not error or f"`{name}" not in str(exc):
                    failures.append(f"{kwargs}: {type(exc).__name__}: {exc}")
            else:
                failures.append(f"{kwargs}: accepted")
        assert not failures, "\n".join(failures)
        return {"calls": len(bad_calls)}


PROBE_STEPS = [0, 1, 5, 39, 40, 41, 123, 440, 499, 500, 501, 10**6]
CHECK_NAMES = [
    "values_eager",
    "values_steps_per_unit_and_horizon",
    "restart_boundaries_1e8",
    "values_compiled",
    "fit",
    "fit_applies_schedule_each_step",
    "save",
    "config_round_trip",
    "seed_semantics",
    "seed_validation",
]


def run_checks(outdir: Path) -> dict[str, Any]:
    checks = Checks(outdir)
    results: dict[str, Any] = {}
    for name in CHECK_NAMES:
        began = time.perf_counter()
        try:
            detail = getattr(checks, f"check_{name}")()
            results[name] = {"ok": True, "detail": detail}
        except Exception as exc:  # report every check, not just the first failure
            text = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-6)}"
            results[name] = {"ok": False, "detail": text}
        results[name]["seconds"] = round(time.perf_counter() - began, 2)
    return {"backend": checks.backend, "checks": results}


def load_models(paths: list[str]) -> dict[str, Any]:
    """Load saved models with no custom_objects: only `import warmcos.keras` registers them."""
    import keras

    import warmcos.keras  # noqa: F401  (registers the classes; nothing else is needed)

    loaded = {}
    for path in paths:
        model = keras.models.load_model(path)
        learning_rate = model.optimizer._learning_rate
        loaded[path] = {
            "class": type(learning_rate).__name__,
            "module": type(learning_rate).__module__,
            "config": learning_rate.get_config(),
            "schedule": repr(learning_rate.schedule),
            "iterations": int(to_numpy(model.optimizer.iterations)),
            "values": [float(to_numpy(learning_rate(t))) for t in PROBE_STEPS],
        }
    return {"backend": keras.backend.backend(), "loaded": loaded}


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("check", "load"):
        print(__doc__, file=sys.stderr)
        return 2
    if "KERAS_BACKEND" not in os.environ:
        print("set KERAS_BACKEND (tensorflow, jax or torch)", file=sys.stderr)
        return 2
    if argv[0] == "load":
        print("RESULT " + json.dumps(load_models(argv[1:])))
        return 0
    result = run_checks(Path(argv[1]))
    print("RESULT " + json.dumps(result))
    failed = {name: r["detail"] for name, r in result["checks"].items() if not r["ok"]}
    for name, detail in failed.items():
        print(f"FAILED {name}: {detail}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
