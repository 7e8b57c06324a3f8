"""Parity with the LIVE peers in float32: Keras' cosine schedules and optax's, through our adapters.

Keras runs in a subprocess with ``KERAS_BACKEND=tensorflow`` (one process for the whole module),
so this pytest process never imports Keras or fixes its backend. The subprocess evaluates each
Keras peer, our ``warmcos.keras.LearningRateSchedule`` for the mapped arguments, and our
``warmcos.keras.CosineAnnealingLRScheduler`` (the seed's class), and prints them as JSON; the
comparisons happen here, against the float64 core and against independent references.

optax runs in-process (JAX 64-bit mode off: optax and our adapter both give float32).

Tolerance ("float32"): the peers compute in float32, so ``cos`` of a float32 argument is off by
up to a few 1e-7 absolute; allowed: ``|peer - ours| <= 1e-6 * |ours| + 4e-7 * peak``.

Argument mappings (each test says it again where it is used):

- Keras ``CosineDecay(initial_learning_rate=I, decay_steps=D, alpha=a)``:
  ``cosine(peak=I, steps=D, floor=a * I)``. Keras' ``alpha`` is a fraction of the peak.
- Keras ``CosineDecay(I, D, alpha=a, warmup_steps=W, warmup_target=P)``: Keras' ``decay_steps``
  EXCLUDES the warm-up and the warm-up runs from ``I`` up to ``P``, then decays from ``P``:
  ``cosine(peak=P, steps=W + D, floor=a * P, warmup=W, warmup_start=I)``.
- Keras ``CosineDecayRestarts(I, first_decay_steps=F, t_mul=m, m_mul=g, alpha=a)``: cycles of
  real length ``F * m**k`` (no warm-up) whose amplitude above the fixed floor ``a * I`` shrinks by
  ``g`` per cycle: ``cosine_restarts(peak=I, first_cycle=F, floor=a * I, cycle_mult=m, gamma=g,
  cycle_rule="geometric", gamma_mode="amplitude")``. Keras finds the cycle with a float32
  ``log`` and lands one cycle early exactly at some restarts (``t_mul=2`` at restart 15, step
  327670 for ``first_decay_steps=10``; ``t_mul=3`` at restart 12; ``t_mul=5`` at restart 8), and
  one cycle late 1-3 steps before some restarts past 10**6 (float32 steps): those steps are
  detected explicitly (within 3 steps of an exact restart, Keras at the floor or at the next
  peak), and ours must give the restart's peak at every exact restart.
- optax ``warmup_cosine_decay_schedule(init_value=I, peak_value=P, warmup_steps=W,
  decay_steps=D, end_value=E)``: optax's ``decay_steps`` INCLUDES the warm-up, like ``steps``:
  ``cosine(peak=P, steps=D, floor=E, warmup=W, warmup_start=I)``.
- optax ``sgdr_schedule([kwargs_k])``: one warm-up cosine per cycle, joined at the cumulative
  ``decay_steps``: ``join([cosine(...) per kwargs], cumulative decay_steps[:-1])``; when the
  cycles follow a rule (same warm-up, decay lengths ``D_0 * m**k``, peaks ``P * g**k``, warm-up
  from the floor, end at the floor) it is also ``cosine_restarts(..., max_cycles=n)``.
- The seed's ``CosineAnnealingLRScheduler(total_step, lr_max, lr_min, warmth_rate)``: SEED.md's
  fixed formulas, written independently below.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

import warmcos

RTOL = 1e-6
PEER_ATOL = 4e-7  # times the peak: a float32 peer's cosine
STEPS = list(range(0, 2001))

# Keras CosineDecay(initial_learning_rate, decay_steps, alpha)
COSINE_DECAY = [(0.1, 1000, 0.0), (1e-3, 777, 0.05), (1.0, 1, 0.5), (0.3, 1500, 1.0)]
# Keras CosineDecay(initial_learning_rate, decay_steps, alpha, warmup_steps, warmup_target)
COSINE_DECAY_WARMUP = [
    (0.0, 900, 0.0, 100, 0.1),
    (1e-5, 1000, 0.1, 250, 3e-4),
    (0.05, 500, 0.01, 1, 0.1),
    (0.2, 300, 0.0, 50, 0.1),  # a warm-up that goes DOWN from 0.2 to 0.1
]
# Keras CosineDecayRestarts(initial_learning_rate, first_decay_steps, t_mul, m_mul, alpha)
RESTARTS = [
    (1.0, 10, 2.0, 1.0, 0.0),
    (0.1, 10, 2.0, 0.8, 0.01),
    (0.1, 8, 1.5, 0.7, 0.05),
    (0.1, 7, 3.0, 0.5, 0.0),
    (1.0, 100, 1.0, 0.9, 0.1),
    (1.0, 1, 5.0, 1.0, 0.0),
    (0.5, 3, 1.25, 0.9, 0.2),
]
# The seed's CosineAnnealingLRScheduler(total_step, lr_max, lr_min, warmth_rate)
SEED = [(100, 0.1, 0.001, 0.2), (1000, 3e-4, 0.0, 0.0), (10, 1.0, 0.5, 0.7), (500, 2e-3, 0.0, 0.1)]


def restart_starts(first: float, t_mul: float, limit: float) -> list[Fraction]:
    """Keras' cycle starts, exactly: S_k = first * (1 + m + ... + m**(k-1))."""
    starts, start, length = [], Fraction(0), Fraction(first)
    while start + length < limit:
        start += length
        length *= Fraction(t_mul)
        starts.append(start)
    return starts


def steps_for(first: float, t_mul: float) -> list[int]:
    """0..2000, and 3 steps either side of every whole-step restart below 2**24 (t_mul > 1)."""
    near: set[int] = set()
    for start in restart_starts(first, t_mul, 2**24 if t_mul > 1 else 2000):
        if start.denominator == 1:
            near.update(range(max(int(start) - 3, 0), int(start) + 4))
    return sorted(set(STEPS) | near)


def keras_restarts_as_warmcos(init: float, first: int, t_mul: float, m_mul: float, alpha: float):
    # t_mul -> cycle_mult (real-valued lengths: "geometric"), m_mul -> gamma scaling the part
    # above the floor ("amplitude"), alpha -> floor = alpha * initial_learning_rate.
    return warmcos.cosine_restarts(
        peak=init,
        first_cycle=first,
        floor=alpha * init,
        cycle_mult=t_mul,
        gamma=m_mul,
        cycle_rule="geometric",
        gamma_mode="amplitude",
    )


KERAS_SCRIPT = """
    import json, sys

    import keras
    import numpy as np
    import tensorflow as tf

    import warmcos
    from warmcos.keras import CosineAnnealingLRScheduler, LearningRateSchedule

    assert keras.backend.backend() == "tensorflow"
    cases = json.loads(sys.stdin.read())
    schedules = keras.optimizers.schedules

    def scalar_map(schedule, steps):
        # CosineDecay with a warm-up branches with ops.cond: one scalar step at a time.
        steps = tf.constant(steps, dtype=tf.int64)
        return tf.function(
            lambda s: tf.map_fn(schedule, s, fn_output_signature=tf.float32)
        )(steps).numpy().tolist()

    def ours(spec, steps):
        return LearningRateSchedule(spec)(tf.constant(steps, dtype=tf.int64)).numpy().tolist()

    out = {}
    for key, case in cases.items():
        kind, args, spec, steps = case["kind"], case["args"], case["spec"], case["steps"]
        if kind == "cosine_decay":
            init, decay, alpha = args
            peer = schedules.CosineDecay(init, decay, alpha=alpha)
            values = peer(tf.constant(steps, dtype=tf.int64)).numpy().tolist()
        elif kind == "cosine_decay_warmup":
            init, decay, alpha, warmup, target = args
            peer = schedules.CosineDecay(
                init, decay, alpha=alpha, warmup_steps=warmup, warmup_target=target
            )
            values = scalar_map(peer, steps)
        elif kind == "restarts":
            init, first, t_mul, m_mul, alpha = args
            peer = schedules.CosineDecayRestarts(init, first, t_mul=t_mul, m_mul=m_mul, alpha=alpha)
            values = peer(tf.constant(steps, dtype=tf.int64)).numpy().tolist()
        elif kind == "seed":
            values = None
        out[key] = {"peer": values}
        if kind == "seed":
            lr = CosineAnnealingLRScheduler(*args)
            out[key]["ours_keras"] = lr(tf.constant(steps, dtype=tf.int64)).numpy().tolist()
        else:
            out[key]["ours_keras"] = ours(spec, steps)
    print("RESULT " + json.dumps(out))
"""


def _cases() -> dict[str, dict[str, Any]]:
    cases: dict[str, dict[str, Any]] = {}
    for args in COSINE_DECAY:
        init, decay, alpha = args
        # CosineDecay(I, D, alpha) == cosine(peak=I, steps=D, floor=alpha * I)
        spec = warmcos.cosine(peak=init, steps=decay, floor=alpha * init)
        cases[f"cosine_decay{args}"] = dict(kind="cosine_decay", args=args, spec=spec)
    for args in COSINE_DECAY_WARMUP:
        init, decay, alpha, warmup, target = args
        # Keras' decay_steps excludes the warm-up: steps = W + D; the decay starts from the
        # warm-up target P, so the floor is alpha * P; the warm-up starts at I.
        spec = warmcos.cosine(
            peak=target,
            steps=warmup + decay,
            floor=alpha * target,
            warmup=warmup,
            warmup_start=init,
        )
        cases[f"cosine_decay_warmup{args}"] = dict(kind="cosine_decay_warmup", args=args, spec=spec)
    for args in RESTARTS:
        spec = keras_restarts_as_warmcos(*args)
        cases[f"restarts{args}"] = dict(
            kind="restarts", args=args, spec=spec, steps=steps_for(args[1], args[2])
        )
    for args in SEED:
        cases[f"seed{args}"] = dict(
            kind="seed", args=args, spec=None, steps=list(range(0, 2 * args[0] + 2))
        )
    for case in cases.values():
        case.setdefault("steps", STEPS)
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def keras_curves() -> dict[str, Any]:
    payload = {
        key: dict(case, spec=None if case["spec"] is None else repr(case["spec"]))
        for key, case in CASES.items()
    }
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(KERAS_SCRIPT)],
        input=json.dumps(payload),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-4000:]
    result: dict[str, Any] = json.loads(lines[-1][len("RESULT ") :])
    return result


def assert_float32_parity(peer: Any, ours: Any, steps: Any, peak: float) -> None:
    peer, ours = np.asarray(peer, np.float64), np.asarray(ours, np.float64)
    excess = np.abs(peer - ours) - (RTOL * np.abs(ours) + PEER_ATOL * peak)
    worst = int(np.argmax(excess))
    assert excess[worst] <= 0, (
        f"step {steps[worst]}: peer {peer[worst]!r}, warmcos {ours[worst]!r} "
        f"(|diff| {abs(peer[worst] - ours[worst]):.2e})"
    )


def assert_adapter_matches_core(adapter: Any, core: Any, steps: Any) -> None:
    adapter, core = np.asarray(adapter, np.float64), np.asarray(core, np.float64)
    excess = np.abs(adapter - core) - (RTOL * np.abs(core) + 1e-12)
    worst = int(np.argmax(excess))
    assert excess[worst] <= 0, (steps[worst], adapter[worst], core[worst])


def _keys(kind: str) -> list[str]:
    return [key for key, case in CASES.items() if case["kind"] == kind]


@pytest.mark.slow
@pytest.mark.parametrize("key", _keys("cosine_decay") + _keys("cosine_decay_warmup"))
def test_keras_cosine_decay(keras_curves: dict[str, Any], key: str) -> None:
    case, got = CASES[key], keras_curves[key]
    steps = np.asarray(case["steps"], dtype=np.float64)
    core = case["spec"](steps)
    peak = case["spec"].peak
    assert_float32_parity(got["peer"], core, case["steps"], peak)
    assert_float32_parity(got["peer"], got["ours_keras"], case["steps"], peak)
    assert_adapter_matches_core(got["ours_keras"], core, case["steps"])


@pytest.mark.slow
@pytest.mark.parametrize("key", _keys("restarts"))
def test_keras_cosine_decay_restarts(keras_curves: dict[str, Any], key: str) -> None:
    case, got = CASES[key], keras_curves[key]
    init, first, t_mul, m_mul, alpha = case["args"]
    spec, steps = case["spec"], case["steps"]
    core = spec(np.asarray(steps, dtype=np.float64))
    peer = np.asarray(got["peer"], np.float64)
    floor = alpha * init
    # Restarts at whole steps, walked exactly: cycle k >= 1 starts at S_k with peak P_k.
    position = {step: index for index, step in enumerate(steps)}
    restarts = {
        int(start): floor + (init - floor) * m_mul ** (k + 1)
        for k, start in enumerate(restart_starts(first, t_mul, steps[-1] + 1))
        if start.denominator == 1
    }
    tolerance = RTOL * np.abs(core) + PEER_ATOL * init
    off = np.flatnonzero(np.abs(peer - core) > tolerance)
    starts = np.asarray(sorted(restarts))
    early = []
    for index in off:
        step, value = steps[index], peer[index]
        # The only allowed disagreement: Keras' float32 log puts a step next to an exact
        # restart in the wrong cycle. One cycle early it gives the previous cycle's end (the
        # floor); one cycle late, the start of the next cycle (about its peak).
        nearest = int(starts[np.argmin(np.abs(starts - step))]) if len(starts) else -99
        assert abs(step - nearest) <= 3, f"step {step}: Keras {value!r}, warmcos {core[index]!r}"
        next_peak = restarts[nearest]
        if step >= nearest:
            assert abs(value - floor) <= 1e-3 * (init - floor), (step, value, "not the floor")
            early.append(step)
        else:
            assert abs(value - next_peak) <= 1e-3 * next_peak, (step, value, "not the next peak")
    for step, peak in restarts.items():
        value = core[position[step]]
        assert abs(value - peak) <= RTOL * peak, (step, value, peak)
    if t_mul in (2.0, 3.0, 5.0):
        # Known: restart 15 (t_mul=2), 12 (t_mul=3) and 8 (t_mul=5) land one cycle early in
        # Keras, exactly on the restart step, where warmcos gives the restart's peak.
        assert any(step in restarts for step in early), "Keras hit every exact restart"
    keep = np.setdiff1d(np.arange(len(steps)), off)
    assert_float32_parity(peer[keep], core[keep], [steps[i] for i in keep], init)
    assert_adapter_matches_core(got["ours_keras"], core, steps)


def seed_reference(total_step: int, lr_max: float, lr_min: float, warmth_rate: float):
    """SEED.md's fixed CosineAnnealingLRScheduler, from the text (shares no code with warmcos)."""
    warm = int(total_step * warmth_rate)

    def lr(step: int) -> float:
        if warm > 0 and step < warm:
            return lr_max * step / warm
        if step < total_step:
            return (
                lr_min
                + (lr_max - lr_min)
                * (1 + math.cos(math.pi * (step - warm) / (total_step - warm)))
                / 2
            )
        return lr_min

    return lr


def article_formula(total_step: int, lr_max: float, lr_min: float, warmth_rate: float):
    """The article's ORIGINAL formula (SEED.md), defects included, to show what changed."""
    warm = int(total_step * warmth_rate) or 1

    def lr(step: int) -> float:
        if step < warm:
            return lr_max * step / warm
        return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * (step - warm) / total_step)) / 2

    return lr


@pytest.mark.slow
@pytest.mark.parametrize("key", _keys("seed"))
def test_seed_keras_class_follows_the_fixed_seed_formulas(
    keras_curves: dict[str, Any], key: str
) -> None:
    case, got = CASES[key], keras_curves[key]
    total, lr_max, lr_min, rate = case["args"]
    ref = seed_reference(*case["args"])
    want = [ref(t) for t in case["steps"]]
    assert_adapter_matches_core(got["ours_keras"], want, case["steps"])
    ours = got["ours_keras"]
    assert ours[total] == np.float32(lr_min)  # reached exactly at total_step ...
    assert ours[-1] == np.float32(lr_min)  # ... and held
    article = article_formula(*case["args"])
    if rate == 0:
        assert ours[0] == np.float32(lr_max) and article(0) == 0.0  # article: lr 0 at step 0
    if rate > 0 and lr_max > lr_min:
        # The article measures the cosine against total_step: lr_min is missed at total_step.
        assert article(total) > lr_min + 1e-3 * (lr_max - lr_min)


# --- optax, in-process ----------------------------------------------------------------------


@pytest.fixture
def _jax_float32() -> Iterator[Any]:
    jax = pytest.importorskip("jax")
    pytest.importorskip("optax")
    previous = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", False)
    yield jax
    jax.config.update("jax_enable_x64", previous)


WARMUP_COSINE = [
    # (init_value, peak_value, warmup_steps, decay_steps (warm-up included), end_value)
    (0.0, 1.0, 0, 1000, 0.0),
    (1e-5, 1e-3, 100, 1000, 1e-5),
    (0.0, 0.1, 5, 50, 0.0),
    (0.05, 0.1, 1, 2, 0.01),
    (0.0, 3e-4, 20, 37, 3e-4),
]


@pytest.mark.parametrize(("init", "peak", "warmup", "decay", "end"), WARMUP_COSINE)
def test_optax_warmup_cosine_decay_schedule(
    _jax_float32: Any, init: float, peak: float, warmup: int, decay: int, end: float
) -> None:
    import jax.numpy as jnp
    import optax

    from warmcos.optax import schedule

    theirs = optax.warmup_cosine_decay_schedule(
        init_value=init, peak_value=peak, warmup_steps=warmup, decay_steps=decay, end_value=end
    )
    # optax's decay_steps includes the warm-up, as warmcos' steps does.
    spec = warmcos.cosine(peak=peak, steps=decay, floor=end, warmup=warmup, warmup_start=init)
    steps = jnp.arange(decay + 200)
    peer = np.asarray(_jax_float32.jit(theirs)(steps))
    ours = np.asarray(_jax_float32.jit(schedule(spec))(steps))
    assert peer.dtype == ours.dtype == np.float32
    scale = max(peak, init)
    assert_float32_parity(peer, ours, np.asarray(steps), scale)
    assert_adapter_matches_core(ours, spec(np.asarray(steps, np.float64)), np.asarray(steps))


SGDR = [
    # (peak, floor, warmup, first decay D_0, cycle_mult, gamma, cycles)
    (0.1, 0.001, 10, 80, 1.5, 0.8, 4),
    (1.0, 0.0, 0, 50, 1.0, 1.0, 5),
    (3e-4, 3e-6, 5, 64, 2.0, 0.5, 4),
]


@pytest.mark.parametrize(("peak", "floor", "warmup", "d0", "mult", "gamma", "n"), SGDR)
def test_optax_sgdr_schedule(
    _jax_float32: Any,
    peak: float,
    floor: float,
    warmup: int,
    d0: int,
    mult: float,
    gamma: float,
    n: int,
) -> None:
    import jax.numpy as jnp
    import optax

    from warmcos.optax import schedule

    decays = [round(d0 * mult**k) for k in range(n)]
    assert all(d == d0 * mult**k for k, d in enumerate(decays))  # whole steps
    cycles = [
        dict(
            init_value=floor,
            peak_value=peak * gamma**k,
            warmup_steps=warmup,
            decay_steps=warmup + decays[k],  # optax: warm-up included
            end_value=floor,
        )
        for k in range(n)
    ]
    theirs = optax.sgdr_schedule(cycles)
    lengths = [c["decay_steps"] for c in cycles]
    boundaries = np.cumsum(lengths)[:-1].tolist()
    # The general mapping: one warmcos cosine per optax cycle, joined at cumulative lengths.
    joined = warmcos.join(
        [
            warmcos.cosine(
                peak=c["peak_value"],
                steps=c["decay_steps"],
                floor=c["end_value"],
                warmup=c["warmup_steps"],
                warmup_start=c["init_value"],
            )
            for c in cycles
        ],
        boundaries,
    )
    # The same cycles by rule: first_cycle includes the warm-up; peaks peak * gamma**k stay
    # above the floor here, so gamma_mode="peak"; after n cycles hold the floor.
    restarts = warmcos.cosine_restarts(
        peak=peak,
        first_cycle=warmup + d0,
        floor=floor,
        cycle_mult=mult,
        gamma=gamma,
        warmup=warmup,
        max_cycles=n,
    )
    steps = jnp.arange(sum(lengths) + 100)
    peer = np.asarray(_jax_float32.jit(theirs)(steps))
    for spec in (joined, restarts):
        ours = np.asarray(_jax_float32.jit(schedule(spec))(steps))
        assert_float32_parity(peer, ours, np.asarray(steps), peak)
        assert_adapter_matches_core(ours, spec(np.asarray(steps, np.float64)), np.asarray(steps))
