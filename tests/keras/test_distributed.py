"""warmcos schedules in data-parallel training on 2 CPU devices, each framework in a subprocess.

- TensorFlow: ``tf.distribute.MirroredStrategy`` over 2 logical CPU devices (configured before
  anything else touches TensorFlow), Keras on the TF backend. ``model.fit`` with
  ``warmcos.keras.LearningRateSchedule``: after N steps the optimizer's LR equals schedule(N), and
  a bias-free Dense(1) trained on the loss mean(y_pred) (total gradient 1 after the all-reduce)
  ends at weight -sum_{k<N} schedule(k), so every mirrored update used the right LR. A custom
  loop through ``strategy.run`` reads the LR inside each replica: both replicas see schedule(k).
- JAX: 2 host CPU devices (``XLA_FLAGS=--xla_force_host_platform_device_count=2``), an
  ``optax.inject_hyperparams(optax.sgd)`` update whose learning rate is
  ``warmcos.optax.schedule``, run under ``jax.pmap`` and under ``jax.shard_map`` on a 2-device
  mesh: each device's recorded learning rate equals the other's and the float64 core.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from typing import Any

import pytest

import warmcos

pytestmark = pytest.mark.slow

# Changes at every step (warm-up, restarts, decaying peaks), so an off-by-one shows.
SPEC = (
    "cosine_restarts(peak=0.1, first_cycle=5, floor=0.01, cycle_mult=2.0, gamma=0.5, warmup=1,"
    " cycle_rule='geometric')"
)
SCHEDULE = warmcos.parse(SPEC)
RTOL = 1e-6  # float32 rounding of a float64 value


def _run(code: str, **env: str) -> dict[str, Any]:
    full_env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", **env)
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), SPEC],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, f"exit {done.returncode}\n{done.stderr[-4000:]}"
    result: dict[str, Any] = json.loads(lines[-1][len("RESULT ") :])
    return result


TF_MIRRORED = """
    import json, sys

    import tensorflow as tf

    # Two logical CPU devices: must happen before anything initialises TensorFlow's devices.
    (cpu,) = tf.config.list_physical_devices("CPU")
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
    )

    import keras
    import numpy as np

    import warmcos
    from warmcos.keras import LearningRateSchedule

    assert keras.backend.backend() == "tensorflow"
    schedule = warmcos.parse(sys.argv[1])
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert strategy.num_replicas_in_sync == 2
    result = {"replicas": strategy.num_replicas_in_sync}

    # 1. model.fit: a small MLP, and the gradient-1 probe.
    with strategy.scope():
        mlp = keras.Sequential(
            [keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)]
        )
        mlp.compile(optimizer=keras.optimizers.AdamW(LearningRateSchedule(schedule)), loss="mse")
        probe = keras.Sequential(
            [keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")]
        )
        probe.compile(
            optimizer=keras.optimizers.SGD(LearningRateSchedule(schedule)),
            # Per-sample values: Keras then averages and divides by the replica count.
            loss=lambda y_true, y_pred: keras.ops.squeeze(y_pred, -1),
        )
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    mlp.fit(x, x[:, :1], batch_size=8, epochs=3, verbose=0, shuffle=False)  # 24 steps
    ones = np.ones((48, 1), dtype="float32")
    probe.fit(ones, ones, batch_size=8, epochs=2, verbose=0, shuffle=False)  # 12 steps
    result["mlp_iterations"] = int(mlp.optimizer.iterations.numpy())
    result["mlp_lr"] = float(mlp.optimizer.learning_rate.numpy())
    result["probe_iterations"] = int(probe.optimizer.iterations.numpy())
    result["probe_weight"] = float(probe.layers[0].kernel.numpy()[0, 0])

    # 2. A custom loop: the LR each replica computes at each step.
    with strategy.scope():
        weight = tf.Variable(0.0)
        optimizer = keras.optimizers.SGD(LearningRateSchedule(schedule))
        optimizer.build([weight])

    @tf.function
    def train_step():
        def replica_step():
            lr = optimizer.learning_rate  # schedule(iterations), in this replica
            optimizer.apply_gradients([(tf.constant(0.5), weight)])  # all-reduced: 1.0
            return lr

        return strategy.experimental_local_results(strategy.run(replica_step))

    per_step = []
    for _ in range(12):
        per_step.append([float(v.numpy()) for v in train_step()])
    result["loop_lrs"] = per_step
    result["loop_weight"] = float(weight.numpy())
    print("RESULT " + json.dumps(result))
"""


def test_mirrored_strategy_fit_and_replicas_follow_the_schedule() -> None:
    r = _run(TF_MIRRORED, KERAS_BACKEND="tensorflow")
    assert r["replicas"] == 2
    assert r["mlp_iterations"] == 24
    assert abs(r["mlp_lr"] - SCHEDULE(24)) <= RTOL * SCHEDULE(24), (r["mlp_lr"], SCHEDULE(24))
    assert r["probe_iterations"] == 12
    expected = -sum(SCHEDULE(k) for k in range(12))
    assert abs(r["probe_weight"] - expected) <= 1e-5 * abs(expected), (r["probe_weight"], expected)
    assert len(r["loop_lrs"]) == 12
    for k, lrs in enumerate(r["loop_lrs"]):
        assert len(lrs) == 2 and lrs[0] == lrs[1], (k, lrs)
        assert abs(lrs[0] - SCHEDULE(k)) <= RTOL * SCHEDULE(k), (k, lrs, SCHEDULE(k))
    assert abs(r["loop_weight"] - expected) <= 1e-5 * abs(expected), (r["loop_weight"], expected)


JAX_TWO_DEVICES = """
    import json, sys

    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax
    from jax.sharding import NamedSharding, PartitionSpec as P

    import warmcos
    from warmcos.optax import schedule as optax_schedule

    assert jax.device_count() == 2, jax.devices()
    schedule = warmcos.parse(sys.argv[1])
    optimizer = optax.inject_hyperparams(optax.sgd)(learning_rate=optax_schedule(schedule))
    steps = 12
    result = {"devices": jax.device_count()}

    def pmap_grads(params, x):
        # Per-device mean, averaged across devices: gradient mean(x) = 1 for inputs of 1.
        return jax.lax.pmean(jax.grad(lambda p: jnp.mean(p["w"] * x))(params), "d")

    def shard_map_grads(params, x):
        # The global mean; shard_map sums the gradient of a replicated input across devices
        # itself, so no pmean of the gradient here: again 1.
        return jax.grad(lambda p: jax.lax.pmean(jnp.mean(p["w"] * x), "d"))(params)

    def update(params, state, x, grads_of):
        grads = grads_of(params, x)
        updates, state = optimizer.update(grads, state, params)
        # The learning rate inject_hyperparams used for this update: schedule(count).
        return optax.apply_updates(params, updates), state, state.hyperparams["learning_rate"]

    # 1. pmap: params and optimizer state replicated on both devices.
    params = {"w": jnp.zeros(())}
    state = optimizer.init(params)
    mesh = jax.make_mesh((2,), ("d",))
    per_device = NamedSharding(mesh, P("d"))  # leading axis: one entry per device

    def replicate(tree):
        return jax.tree.map(lambda v: jax.device_put(jnp.stack([v, v]), per_device), tree)

    p_params, p_state = replicate(params), replicate(state)
    batch = jax.device_put(jnp.ones((2, 4)), per_device)
    step = jax.pmap(lambda p, s, x: update(p, s, x, pmap_grads), axis_name="d")
    lrs = []
    for _ in range(steps):
        p_params, p_state, lr = step(p_params, p_state, batch)
        lrs.append(np.asarray(lr).tolist())
    result["pmap_lrs"] = lrs
    result["pmap_weights"] = np.asarray(p_params["w"]).tolist()

    # 2. shard_map on a 2-device mesh: the batch split across devices, each device returns
    # the learning rate it computed.
    sharded = jax.jit(
        jax.shard_map(
            lambda p, s, x: jax.tree.map(
                lambda v: v[None], update(p, s, x, shard_map_grads)
            ),
            mesh=mesh,
            in_specs=(P(), P(), P("d")),
            out_specs=P("d"),
        )
    )
    params, state = {"w": jnp.zeros(())}, optimizer.init({"w": jnp.zeros(())})
    x = jax.device_put(jnp.ones(8), NamedSharding(mesh, P("d")))
    lrs = []
    for _ in range(steps):
        params_d, state_d, lr = sharded(params, state, x)
        lrs.append(np.asarray(lr).tolist())
        # Both devices hold the same replicated result: keep device 0's.
        params, state = jax.tree.map(lambda v: jnp.asarray(np.asarray(v)[0]), (params_d, state_d))
    result["shard_map_lrs"] = lrs
    result["shard_map_weight"] = float(params["w"])
    print("RESULT " + json.dumps(result))
"""


def test_jax_two_devices_pmap_and_shard_map_see_the_same_lr() -> None:
    r = _run(JAX_TWO_DEVICES, XLA_FLAGS="--xla_force_host_platform_device_count=2")
    assert r["devices"] == 2
    expected = -sum(SCHEDULE(k) for k in range(12))
    for how in ("pmap", "shard_map"):
        lrs = r[f"{how}_lrs"]
        assert len(lrs) == 12, how
        for k, per_device in enumerate(lrs):
            assert len(per_device) == 2 and per_device[0] == per_device[1], (how, k, per_device)
            want = SCHEDULE(k)
            assert abs(per_device[0] - want) <= RTOL * want, (how, k, per_device, want)
    for w in [*r["pmap_weights"], r["shard_map_weight"]]:
        assert abs(w - expected) <= 1e-5 * abs(expected), (r, expected)
