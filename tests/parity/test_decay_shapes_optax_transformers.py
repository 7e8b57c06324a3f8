"""Parity of the decay shapes with the live optax schedules and Hugging Face transformers.

optax runs with JAX's 64-bit mode on for this module (restored afterwards), on a whole
``jnp.arange`` of steps; transformers through a real ``torch.optim.SGD`` with the LR read before
each ``step()``, as in ``test_optax_schedules.py`` and ``test_transformers.py``. warmcos runs on
Python ints (its scalar float64 path). Each row runs 50 random configurations (seeded).
Tolerance 1e-12 absolute for values up to 1 (relative above), as for the other peers.

Argument mappings (each test says it again):

- optax ``polynomial_schedule(init_value=I, end_value=E, power=k, transition_steps=T,
  transition_begin=B)``: ``polynomial(I, E, T, k)``, after ``B`` steps of ``I``:
  ``join([constant(I), polynomial(...)], [B])``.
- optax ``piecewise_constant_schedule(I, {b: s})``: ``piecewise_constant(sorted b, values)``
  with the values the running products ``I, I s_1, I s_1 s_2, ...`` (both switch AT ``b``).
- optax ``piecewise_interpolate_schedule(shape, I, {b: s})``: ``interpolate(knots=[0, *b],
  values=running products, shape=shape)``.
- optax ``exponential_decay(init_value=I, transition_steps=D, decay_rate=r,
  transition_begin=B, staircase=s, end_value=E)``: ``exponential(I, gamma=r, decay_steps=D,
  staircase=s, transition_begin=B, end_value=E)``; a growing optax decay without
  ``end_value`` maps to a bound above every value of the compared run.
- transformers ``get_polynomial_decay_schedule_with_warmup(W, T, lr_end=E, power=k)`` on LR
  ``v``: a warm-up ``linear(0, v, W)`` joined at ``W`` with ``polynomial(v, E, T - W, k)``
  (transformers' ``num_training_steps`` includes the warm-up).
- transformers ``get_inverse_sqrt_schedule(W, timescale=S)`` on LR ``v``:
  ``inverse_sqrt(peak=v, warmup=W, timescale=S)`` (``S=None`` defaults alike); equal to the
  last bit after the warm-up.

optax and transformers arguments warmcos refuses (for the README): a non-positive
``transition_steps`` (optax: a constant), a negative ``transition_begin`` (optax: 0), a
``decay_rate`` of 0 (optax: a constant), an ``end_value`` the schedule cannot reach (optax:
``exponential_decay(1.0, 2, 1.0, end_value=0.1)`` is 0.1 from step 0; warmcos:
``constant(0.1)``), a growing exponential without ``end_value`` (it overflows), a boundary at
step 0 (fold its scale into the first value) and negative scales or values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
import jax.numpy as jnp

import warmcos
from curves import ATOL
from curves import assert_curves_match as _assert_curves_match
from curves import ours as _ours

CONFIGS = range(50)


@pytest.fixture(autouse=True, scope="module")
def _jax_float64() -> Iterator[None]:
    previous = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", previous)


def _peer(schedule: Callable[[jax.Array], jax.Array], n: int, jit: bool = True) -> list[float]:
    run = jax.vmap(schedule)
    values = np.asarray((jax.jit(run) if jit else run)(jnp.arange(n)))
    assert values.dtype == np.float64, "JAX 64-bit mode is off: the peer computed in float32"
    return values.tolist()


def _match(peer: list[float], mine: list[float]) -> None:
    _assert_curves_match(peer, mine, atol=ATOL * max(1.0, max(abs(v) for v in mine)))


def _lr(rng: np.random.Generator) -> float:
    return float(rng.choice([0.1, 1.0, 3e-4, rng.uniform(1e-5, 1.0)]))


def _running_products(init: float, scales: list[float]) -> list[float]:
    values = [init]
    for scale in scales:
        values.append(values[-1] * scale)
    return values


# --- optax polynomial_schedule ------------------------------------------------------------------


@pytest.mark.parametrize("seed", CONFIGS)
def test_optax_polynomial_schedule(seed: int) -> None:
    rng = np.random.default_rng(seed)
    init, end = _lr(rng), float(rng.choice([0.0, _lr(rng)]))  # end above init: a rise
    steps, begin = int(rng.integers(1, 200)), int(rng.choice([0, rng.integers(1, 50)]))
    power = float(rng.choice([1.0, 2.0, 0.5, rng.uniform(0.1, 5.0)]))
    n = begin + steps + 10
    peer = _peer(
        optax.polynomial_schedule(
            init_value=init,
            end_value=end,
            power=power,
            transition_steps=steps,
            transition_begin=begin,
        ),
        n,
        jit=False,  # see test_under_jit_warmcos_reaches_the_end_value_exactly
    )
    # init_value -> start, end_value -> end, transition_steps -> steps, power -> power; the
    # transition_begin steps of init_value first -> a constant joined at begin.
    decay = warmcos.polynomial(start=init, end=end, steps=steps, power=power)
    ours = decay if begin == 0 else warmcos.join([warmcos.constant(init), decay], [begin])
    _match(peer, _ours(ours, n))


def test_optax_polynomial_schedule_documented_example() -> None:
    # optax's docstring: 1.0 -> 0.01 over 100 steps from step 5, power 2.
    peer = _peer(optax.polynomial_schedule(1.0, 0.01, 2, 100, transition_begin=5), 111)
    ours = warmcos.join([warmcos.constant(1.0), warmcos.polynomial(1.0, 0.01, 100, 2.0)], [5])
    _match(peer, _ours(ours, 111))
    shown = {0: 1.0, 5: 1.0, 6: 0.9803, 104: 0.0101, 105: 0.01, 110: 0.01}
    assert {t: round(ours(t), 4) for t in shown} == shown


def test_under_jit_warmcos_reaches_the_end_value_exactly() -> None:
    # Under jax.jit XLA divides by a constant through its reciprocal: ``1 - T / T`` can come
    # out as 5.6e-17, whose square root is 7.5e-9, so a jitted optax polynomial_schedule with
    # power < 1 may miss its end value by that much at and after the end (eager evaluation,
    # used in the parity test above, divides exactly). warmcos puts the end back at the end.
    from warmcos.optax import schedule as optax_schedule

    for steps in (3, 9387, 10_000):
        s = warmcos.polynomial(start=0.0, end=1.0, steps=steps, power=0.5)
        lr = jax.jit(optax_schedule(s, dtype=jnp.float64))
        values = np.asarray(lr(jnp.arange(steps - 2, steps + 3)))
        assert values[2:].tolist() == [1.0, 1.0, 1.0]
        assert values[:2] == pytest.approx([s(steps - 2), s(steps - 1)], rel=1e-12)


# --- optax piecewise_constant_schedule and piecewise_interpolate_schedule ---------------------


def _boundaries_and_scales(rng: np.random.Generator) -> dict[int, float]:
    count = int(rng.integers(1, 7))
    boundaries = sorted({int(b) for b in rng.integers(1, 150, size=count)})
    return {b: float(rng.choice([0.1, 0.5, 2.0, rng.uniform(0.0, 3.0)])) for b in boundaries}


@pytest.mark.parametrize("seed", CONFIGS)
def test_optax_piecewise_constant_schedule(seed: int) -> None:
    rng = np.random.default_rng(seed)
    init, scales = _lr(rng), _boundaries_and_scales(rng)
    n = max(scales) + 10
    peer = _peer(optax.piecewise_constant_schedule(init, scales), n)
    # optax multiplies by each scale from its boundary on (t >= b): warmcos' values take effect
    # AT their boundaries too; the values are the running products of the scales.
    boundaries = sorted(scales)
    values = _running_products(init, [scales[b] for b in boundaries])
    _match(peer, _ours(warmcos.piecewise_constant(boundaries, values), n))


@pytest.mark.parametrize("shape", ["linear", "cosine"])
@pytest.mark.parametrize("seed", CONFIGS)
def test_optax_piecewise_interpolate_schedule(seed: int, shape: str) -> None:
    rng = np.random.default_rng(seed)
    init, scales = _lr(rng), _boundaries_and_scales(rng)
    n = max(scales) + 10
    peer = _peer(optax.piecewise_interpolate_schedule(shape, init, scales), n)
    # Knots at step 0 and the boundaries; the knot values are the running products of the
    # scales; linear or cosine between knots (rising pieces included), then the last held.
    boundaries = sorted(scales)
    values = _running_products(init, [scales[b] for b in boundaries])
    ours = warmcos.interpolate(knots=[0, *boundaries], values=values, shape=shape)
    _match(peer, _ours(ours, n))


# --- optax exponential_decay --------------------------------------------------------------------


@pytest.mark.parametrize("seed", CONFIGS)
def test_optax_exponential_decay(seed: int) -> None:
    rng = np.random.default_rng(seed)
    init = _lr(rng)
    rate = float(rng.choice([0.5, 0.96, 2.0, rng.uniform(0.05, 0.999), rng.uniform(1.001, 3.0)]))
    steps = int(rng.integers(1, 30))
    begin = int(rng.choice([0, rng.integers(1, 30)]))
    staircase = bool(rng.integers(0, 2))
    n = begin + 150
    end_value: float | None = None
    if rng.integers(0, 2):  # a bound the run reaches
        end_value = init * (rng.uniform(0.01, 1.0) if rate < 1 else rng.uniform(1.0, 20.0))
    peer = _peer(
        optax.exponential_decay(
            init_value=init,
            transition_steps=steps,
            decay_rate=rate,
            transition_begin=begin,
            staircase=staircase,
            end_value=end_value,
        ),
        n,
    )
    # The same arguments under warmcos' names (decay_rate -> gamma, transition_steps ->
    # decay_steps). Growth without optax's end_value: a bound above every value of the run.
    bound = end_value
    if bound is None and rate > 1:
        bound = init * rate ** (n / steps + 1)
    ours = warmcos.exponential(
        init,
        gamma=rate,
        decay_steps=steps,
        staircase=staircase,
        transition_begin=begin,
        end_value=bound,
    )
    _match(peer, _ours(ours, n))


# --- transformers -------------------------------------------------------------------------------


def _stepped_lrs(make_scheduler: Callable[..., object], base_lr: float, n: int) -> list[float]:
    """LR used by each of the first ``n`` updates of a real SGD run (read before ``step()``)."""
    param = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    optimizer = torch.optim.SGD([param], lr=base_lr)
    scheduler = make_scheduler(optimizer)
    lrs = []
    for _ in range(n):
        lrs.append(optimizer.param_groups[0]["lr"])
        param.grad = torch.ones_like(param)
        optimizer.step()
        scheduler.step()  # type: ignore[attr-defined]
    return lrs


@pytest.mark.parametrize("seed", CONFIGS)
def test_transformers_polynomial_decay_schedule_with_warmup(seed: int) -> None:
    rng = np.random.default_rng(seed)
    lr = _lr(rng)
    lr_end = float(rng.choice([1e-7, 0.0, lr * rng.uniform(0, 0.99)]))
    warmup, total = int(rng.integers(0, 30)), int(rng.integers(1, 150))
    total += warmup
    power = float(rng.choice([1.0, 2.0, 0.5, rng.uniform(0.1, 5.0)]))
    n = total + 10
    peer = _stepped_lrs(
        lambda opt: transformers.get_polynomial_decay_schedule_with_warmup(
            opt, num_warmup_steps=warmup, num_training_steps=total, lr_end=lr_end, power=power
        ),
        lr,
        n,
    )
    # optimizer LR -> start; lr_end -> end; the decay lasts num_training_steps - warmup;
    # a linear warm-up from 0 over num_warmup_steps, joined there.
    decay = warmcos.polynomial(start=lr, end=lr_end, steps=total - warmup, power=power)
    ours = decay
    if warmup:
        ours = warmcos.join([warmcos.linear(0.0, lr, warmup), decay], [warmup])
    _match(peer, _ours(ours, n))


def test_transformers_polynomial_decay_hard_coded_values() -> None:
    # transformers' test_schedulers: lr 10, warm-up 2, 10 steps, power 2, lr_end 1e-7.
    peer = _stepped_lrs(
        lambda opt: transformers.get_polynomial_decay_schedule_with_warmup(
            opt, num_warmup_steps=2, num_training_steps=10, lr_end=1e-7, power=2.0
        ),
        10.0,
        10,
    )
    ours = warmcos.join(
        [warmcos.linear(0.0, 10.0, 2), warmcos.polynomial(10.0, 1e-7, 8, power=2.0)], [2]
    )
    want = [0.0, 5.0, 10.0, 7.656, 5.625, 3.906, 2.5, 1.406, 0.625, 0.156]
    assert _ours(ours, 10) == pytest.approx(want, abs=1e-2)
    _match(peer, _ours(ours, 10))


@pytest.mark.parametrize("seed", CONFIGS)
def test_transformers_inverse_sqrt_schedule(seed: int) -> None:
    rng = np.random.default_rng(seed)
    lr = _lr(rng)
    warmup = int(rng.choice([0, rng.integers(1, 100)]))
    timescale = None if rng.integers(0, 2) else int(rng.integers(1, 1000))
    n = warmup + 300
    peer = _stepped_lrs(
        lambda opt: transformers.get_inverse_sqrt_schedule(
            opt, num_warmup_steps=warmup, timescale=timescale
        ),
        lr,
        n,
    )
    # optimizer LR -> peak; num_warmup_steps -> warmup (from 0); timescale -> timescale, whose
    # default (the warm-up, or 10,000 without one) is transformers' own.
    ours = _ours(warmcos.inverse_sqrt(peak=lr, warmup=warmup, timescale=timescale), n)
    _match(peer, ours)
    # After the warm-up warmcos computes lr * (1 / sqrt((t + (S - W)) / S)), as transformers.
    assert ours[warmup:] == peer[warmup:]


def test_transformers_inverse_sqrt_hard_coded_values() -> None:
    # transformers' test_schedulers: lr 10, get_inverse_sqrt_schedule(num_warmup_steps=2).
    peer = _stepped_lrs(
        lambda opt: transformers.get_inverse_sqrt_schedule(opt, num_warmup_steps=2), 10.0, 10
    )
    ours = _ours(warmcos.inverse_sqrt(peak=10.0, warmup=2), 10)
    want = [0.0, 5.0, 10.0, 8.165, 7.071, 6.325, 5.774, 5.345, 5.0, 4.714]
    assert ours == pytest.approx(want, abs=1e-2)
    assert ours == peer
