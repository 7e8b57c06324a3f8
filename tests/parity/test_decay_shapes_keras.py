"""Parity of the decay shapes with the LIVE Keras schedules, in float32 (TensorFlow backend).

Keras runs in one subprocess with ``KERAS_BACKEND=tensorflow`` for the whole module, so this
pytest process never imports Keras or fixes its backend. The subprocess evaluates each Keras
peer on int64 step tensors, and our ``warmcos.keras.LearningRateSchedule`` of the mapped
schedule inside ``tf.function`` (the traced float64 path, cast to float32), and prints both as
JSON; the comparisons happen here against warmcos' float64 core. Each row runs 50 random
configurations (seeded); every argument is a float32 number, so both sides start from the same
values.

Tolerance ("float32"): ``|peer - ours| <= 1e-6 |ours| + 4e-7 * scale + s(t)``, where ``s(t)`` is
how much our own curve moves when the step moves by float32 rounding (``t (1 +- 2**-22)``):
Keras computes ``t / decay_steps`` in float32, and near the end of a polynomial decay with
power < 1, or far along an exponential, that rounding shows. The curve is the segment's own
formula, so the allowance never reaches across a jump (a stair, a cycle, a boundary).

Argument mappings (each case says it again):

- ``PolynomialDecay(I, D, end_learning_rate=E, power=k, cycle=c)``:
  ``polynomial(start=I, end=E, steps=D, power=k, cycle=c)``.
- ``InverseTimeDecay(I, D, decay_rate=r, staircase=s)``: ``inverse_time(I, D, r, s)``.
- ``PiecewiseConstantDecay(boundaries=b, values=v)``: Keras switches just AFTER each boundary
  (``t > b``): ``piecewise_constant([math.nextafter(b, inf) for b in b], v)``, exact for every
  step (``b + 1`` for whole steps; for ``b = 0`` write 1, since the subnormal next float is
  flushed to 0 by TensorFlow and XLA).
- ``ExponentialDecay(I, D, decay_rate=r, staircase=s)``: ``exponential(I, gamma=r,
  decay_steps=D, staircase=s)``; growing (``r > 1``, which Keras leaves unbounded) with an
  ``end_value`` above every value of the run.
- ``CosineDecayRestarts(I, F, t_mul=m, m_mul=g > 1, alpha=a)`` (growing cycles):
  ``cosine_restarts(peak=I, first_cycle=F, floor=a * I, cycle_mult=m, gamma=g,
  cycle_rule="geometric", gamma_mode="amplitude", max_cycles=n)`` with ``n`` past the run
  (growth needs a last cycle).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from typing import Any

import numpy as np
import pytest

import warmcos

RTOL = 1e-6
PEER_ATOL = 4e-7
WOBBLE = 2.0**-22
CONFIGS = range(50)


def f32(value: float) -> float:
    return float(np.float32(value))


def _lr(rng: np.random.Generator) -> float:
    return f32(rng.choice([0.1, 1.0, 3e-4, rng.uniform(1e-5, 1.0)]))


def _polynomial(seed: int, cycle: bool) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    init, end = _lr(rng), f32(rng.choice([0.0, 1e-4, rng.uniform(0, 0.5)]))
    steps = int(rng.integers(1, 300))
    power = f32(rng.choice([1.0, 2.0, 0.5, rng.uniform(0.1, 5.0)]))
    # PolynomialDecay(I, D, E, k, cycle) == polynomial(start=I, end=E, steps=D, power=k, cycle)
    spec = warmcos.polynomial(start=init, end=end, steps=steps, power=power, cycle=cycle)
    return {
        "kind": "PolynomialDecay",
        "args": [init, steps, end, power, cycle],
        "spec": spec,
        "steps": list(range(steps * (4 if cycle else 1) + 20)),
        "scale": max(init, end),
    }


def _inverse_time(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    init, steps = _lr(rng), int(rng.integers(1, 100))
    rate, staircase = f32(rng.choice([0.5, 0.96, rng.uniform(0, 10)])), bool(rng.integers(0, 2))
    # InverseTimeDecay(I, D, r, staircase) == inverse_time(I, D, r, staircase)
    spec = warmcos.inverse_time(init, decay_steps=steps, decay_rate=rate, staircase=staircase)
    return {
        "kind": "InverseTimeDecay",
        "args": [init, steps, rate, staircase],
        "spec": spec,
        "steps": list(range(1000)),
        "scale": init,
    }


def _piecewise(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    boundaries = sorted({int(b) for b in rng.integers(1, 400, size=int(rng.integers(1, 8)))})
    values = [_lr(rng) for _ in range(len(boundaries) + 1)]
    # Keras switches after a boundary: the next float is warmcos' boundary (b + 1 on whole
    # steps). Not 0 here: its next float, 5e-324, is subnormal, which TensorFlow and XLA flush
    # to 0 (for whole steps write 1).
    spec = warmcos.piecewise_constant([math.nextafter(b, math.inf) for b in boundaries], values)
    return {
        "kind": "PiecewiseConstantDecay",
        "args": [boundaries, values],
        "spec": spec,
        "steps": list(range(max(boundaries) + 20)),
        "scale": max(values),
    }


def _exponential(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    init, steps = _lr(rng), int(rng.integers(1, 50))
    rate = f32(rng.choice([0.5, 0.96, rng.uniform(0.05, 1.0), rng.uniform(1.0, 2.0), 1.5]))
    staircase = bool(rng.integers(0, 2))
    n = int(rng.integers(50, 500))
    bound = None if rate <= 1 else init * rate ** (n / steps + 1)  # above every value of the run
    # ExponentialDecay(I, D, r, staircase) == exponential(I, gamma=r, decay_steps=D, staircase)
    spec = warmcos.exponential(
        init, gamma=rate, decay_steps=steps, staircase=staircase, end_value=bound
    )
    return {
        "kind": "ExponentialDecay",
        "args": [init, steps, rate, staircase],
        "spec": spec,
        "steps": list(range(n)),
        "scale": max(init, bound or 0.0),
    }


def _restarts(seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    init, first = _lr(rng), int(rng.integers(5, 60))
    t_mul = f32(rng.choice([1.0, 2.0]))
    m_mul, alpha = f32(rng.uniform(1.01, 2.0)), f32(rng.choice([0.0, rng.uniform(0, 0.5)]))
    cycles = 8
    steps = first * cycles if t_mul == 1 else first * (2**cycles - 1)
    # t_mul -> cycle_mult (geometric lengths), m_mul -> gamma scaling the part above the floor
    # ("amplitude"), alpha -> floor = alpha * I; a last cycle past the run (growth needs one).
    spec = warmcos.cosine_restarts(
        peak=init,
        first_cycle=first,
        floor=alpha * init,
        cycle_mult=t_mul,
        gamma=m_mul,
        cycle_rule="geometric",
        gamma_mode="amplitude",
        max_cycles=cycles + 1,
    )
    return {
        "kind": "CosineDecayRestarts",
        "args": [init, first, t_mul, m_mul, alpha],
        "spec": spec,
        "steps": list(range(steps)),
        "scale": init * m_mul**cycles,
    }


def _cases() -> dict[str, dict[str, Any]]:
    cases: dict[str, dict[str, Any]] = {}
    for seed in CONFIGS:
        cases[f"polynomial-{seed}"] = _polynomial(seed, cycle=False)
        cases[f"polynomial-cycle-{seed}"] = _polynomial(seed, cycle=True)
        cases[f"inverse_time-{seed}"] = _inverse_time(seed)
        cases[f"piecewise_constant-{seed}"] = _piecewise(seed)
        cases[f"exponential-{seed}"] = _exponential(seed)
        cases[f"restarts-{seed}"] = _restarts(seed)
    return cases


CASES = _cases()

KERAS_SCRIPT = """
    import json, sys

    import keras
    import tensorflow as tf

    from warmcos.keras import LearningRateSchedule

    assert keras.backend.backend() == "tensorflow"
    schedules = keras.optimizers.schedules
    cases = json.loads(sys.stdin.read())

    def peer(kind, args):
        if kind == "PolynomialDecay":
            init, steps, end, power, cycle = args
            return schedules.PolynomialDecay(init, steps, end, power=power, cycle=cycle)
        if kind == "InverseTimeDecay":
            init, steps, rate, staircase = args
            return schedules.InverseTimeDecay(init, steps, rate, staircase=staircase)
        if kind == "PiecewiseConstantDecay":
            return schedules.PiecewiseConstantDecay(*args)
        if kind == "ExponentialDecay":
            init, steps, rate, staircase = args
            return schedules.ExponentialDecay(init, steps, rate, staircase=staircase)
        init, first, t_mul, m_mul, alpha = args
        return schedules.CosineDecayRestarts(init, first, t_mul=t_mul, m_mul=m_mul, alpha=alpha)

    out = {}
    for key, case in cases.items():
        steps = tf.constant(case["steps"], dtype=tf.int64)
        theirs = peer(case["kind"], case["args"])(steps).numpy().tolist()
        ours = tf.function(LearningRateSchedule(case["spec"]))(steps).numpy().tolist()
        out[key] = {"peer": theirs, "ours_keras": ours}
    print("RESULT " + json.dumps(out))
"""


@pytest.fixture(scope="module")
def keras_curves() -> dict[str, Any]:
    pytest.importorskip("tensorflow")
    payload = {key: dict(case, spec=repr(case["spec"])) for key, case in CASES.items()}
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KERAS_SCRIPT)],
        input=json.dumps(payload),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-4000:]
    result: dict[str, Any] = json.loads(lines[-1][len("RESULT ") :])
    return result


def wobble(schedule: warmcos.Schedule, t: float) -> float:
    """How far the segment's own curve moves when `t` moves by float32 rounding."""
    segment = schedule.segment_at(t)
    value = segment(t)
    moved = [segment.fast(t * (1 + WOBBLE)), segment.fast(max(t * (1 - WOBBLE), 0.0))]
    return max(abs(v - value) for v in moved)


def assert_float32_parity(case: dict[str, Any], peer: list[float]) -> None:
    schedule, steps = case["spec"], case["steps"]
    core = np.array([schedule(t) for t in steps])
    allowed = RTOL * np.abs(core) + PEER_ATOL * case["scale"]
    allowed += np.array([wobble(schedule, t) for t in steps])
    excess = np.abs(np.asarray(peer, dtype=np.float64) - core) - allowed
    worst = int(np.argmax(excess))
    assert excess[worst] <= 0, (
        f"step {steps[worst]}: Keras {peer[worst]!r}, warmcos {core[worst]!r} "
        f"(|diff| {abs(peer[worst] - core[worst]):.2e}, allowed {allowed[worst]:.2e})"
    )


def assert_adapter_matches_core(case: dict[str, Any], ours: list[float]) -> None:
    """Our Keras adapter (float64 inside, float32 out) within float32 rounding of the core."""
    schedule, steps = case["spec"], case["steps"]
    core = np.array([schedule(t) for t in steps])
    excess = np.abs(np.asarray(ours) - core) - (RTOL * np.abs(core) + 1e-12)
    worst = int(np.argmax(excess))
    assert excess[worst] <= 0, (steps[worst], ours[worst], core[worst])


@pytest.mark.slow
@pytest.mark.parametrize("key", list(CASES))
def test_keras_schedule(keras_curves: dict[str, Any], key: str) -> None:
    case, got = CASES[key], keras_curves[key]
    assert_float32_parity(case, got["peer"])
    assert_adapter_matches_core(case, got["ours_keras"])


def test_the_keras_boundary_mapping_is_exact_between_whole_steps() -> None:
    # Keras' PiecewiseConstantDecay([10], [1.0, 0.5]) gives 1.0 at t <= 10 and 0.5 after, for
    # fractional steps too (the comparison t > 10): so does the next-float boundary.
    s = warmcos.piecewise_constant([math.nextafter(10.0, math.inf)], [1.0, 0.5])
    assert [s(t) for t in (9.5, 10.0, math.nextafter(10.0, math.inf), 10.5)] == [
        1.0,
        1.0,
        0.5,
        0.5,
    ]
