"""Parity with transformers, optax and timm for shaped warm-ups, warped cosines, one-cycle, tanh.

Each peer runs live: transformers' schedules on a real ``torch.optim.SGD`` (LR read before each
``step()``), optax's in JAX 64-bit mode (a module fixture turns it on and restores it), timm's
``CosineLRScheduler`` and ``TanhLRScheduler`` loaded from their two files (``import timm``
imports torchvision, which need not import here) and driven with ``step_update(t)``. All
float64; tolerance 1e-12 absolute (``curves.ATOL``). Random configurations come from seeded
NumPy generators, 60 per row, so a failure names its seed.

Argument mappings (said again where used):

- transformers ``get_wsd_schedule(num_warmup_steps=W, num_decay_steps=D, num_stable_steps=S
  or num_training_steps=T, warmup_type, decay_type, min_lr_ratio=r)`` on an optimizer LR
  ``lr``: ``wsd(peak=lr, steps=W + S + D, warmup=W, decay=D, floor=r * lr,
  warmup_start=r * lr, shape=decay_type, warmup_shape=warmup_type)``, with ``"1-sqrt"``
  spelled ``"sqrt"``; ``S = T - W - D`` when only ``T`` is given, and with both given
  transformers uses ``S`` and holds ``r * lr`` after ``W + S + D`` (as ``wsd`` does).
- transformers ``get_cosine_schedule_with_warmup(W, T, num_cycles=c)`` and
  ``get_cosine_with_min_lr_schedule_with_warmup(..., min_lr_rate=r)``: ``cosine(peak=lr,
  steps=T, floor=r * lr, warmup=W, waves=c)``; transformers' wave goes on after ``T``, which
  is ``after_end="periodic"`` (the default ``"hold"`` matches it up to ``T``).
- optax ``cosine_decay_schedule(init_value=I, decay_steps=D, alpha=a, exponent=n)``:
  ``cosine(peak=I, steps=D, floor=a * I, exponent=n)``; ``warmup_cosine_decay_schedule(I0, P,
  W, D, E, exponent=n)`` (``D`` includes the warm-up): ``cosine(peak=P, steps=D, floor=E,
  warmup=W, warmup_start=I0, exponent=n)``.
- optax ``cosine_onecycle_schedule(T, P, pct_start, div_factor, final_div_factor)``: a join of
  two cosine ramps at ``b = int(pct_start * T)``, through ``v0 = P / div``, ``v1 = v0 * div``
  and ``v1 * (1 / (div * final))`` (optax multiplies its scales in turn);
  ``linear_onecycle_schedule`` likewise with three linear ramps at ``int(pct_start * T)`` and
  ``int(pct_final * T)``. A ramp of no steps is left out.
- timm ``CosineLRScheduler(t_initial=T, lr_min=m, k_decay=k, warmup_t=W, warmup_lr_init=s,
  warmup_prefix=p)`` on LR ``lr``: ``warmup(cosine(peak=lr, steps=T, floor=m, k_decay=k),
  W, start=s, end=lr, prefix=p)`` (timm warms up to the base LR in both modes).
- timm ``TanhLRScheduler(t_initial=T, lb=l, ub=u, lr_min=m, warmup_t=W, warmup_lr_init=s,
  warmup_prefix=p)``: ``warmup(tanh(peak=lr, steps=T, floor=m, lower=l, upper=u), W,
  start=s, end=lr if p else None, prefix=p)`` (without prefix timm warms up to the tanh's
  value at ``W``: warmcos' default).
"""

from __future__ import annotations

import contextlib
import math
import types
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import warmcos
from curves import assert_curves_match, ours
from timm_files import timm_schedulers as load_timm_schedulers
from warmcos._core.tanh import Tanh
from warmcos._core.warmup import Warmup

SEEDS = range(60)
SHAPES = {"linear": "linear", "cosine": "cosine", "1-sqrt": "sqrt"}
"""transformers' warmup_type / decay_type -> warmcos' shape."""


def _stepped(make: Callable[[Any], Any], lr: float, n: int) -> list[float]:
    torch = pytest.importorskip("torch")
    param = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    optimizer = torch.optim.SGD([param], lr=lr)
    scheduler = make(optimizer)
    values = []
    for _ in range(n):
        values.append(optimizer.param_groups[0]["lr"])
        param.grad = torch.ones_like(param)
        optimizer.step()
        scheduler.step()
    return values


# --- transformers: get_wsd_schedule with every warmup_type and decay_type -------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_transformers_wsd_every_warmup_and_decay_type(seed: int) -> None:
    transformers = pytest.importorskip("transformers")
    rng = np.random.default_rng(seed)
    lr = float(rng.uniform(1e-5, 1))
    warmup, stable, decay = (int(x) for x in rng.integers([0, 0, 1], [60, 60, 60]))
    # Each pair of shapes once in every 9 seeds, the rest at random.
    warmup_type, decay_type = list(SHAPES)[seed % 3], list(SHAPES)[seed // 3 % 3]
    ratio = float(rng.choice([0.0, 0.1, rng.uniform(0, 1)]))
    given = seed % 4  # 0: stable steps; 1: training steps; 2: both, agreeing; 3: both, longer
    lengths: dict[str, int] = {}
    if given in (0, 2, 3):
        lengths["num_stable_steps"] = stable
    if given in (1, 2):
        lengths["num_training_steps"] = warmup + stable + decay
    if given == 3:
        lengths["num_training_steps"] = warmup + stable + decay + 7  # stable wins (a warning)
    n = warmup + stable + decay + 15

    def make(optimizer: Any) -> Any:
        return transformers.get_wsd_schedule(
            optimizer,
            num_warmup_steps=warmup,
            num_decay_steps=decay,
            warmup_type=warmup_type,
            decay_type=decay_type,
            min_lr_ratio=ratio,
            **lengths,
        )

    with pytest.warns(UserWarning) if given in (2, 3) else contextlib.nullcontext():
        peer = _stepped(make, lr, n)
    mine = warmcos.wsd(
        peak=lr,
        steps=warmup + stable + decay,
        warmup=warmup,
        decay=decay,
        floor=ratio * lr,
        warmup_start=ratio * lr,
        shape=SHAPES[decay_type],
        warmup_shape=SHAPES[warmup_type],
    )
    assert_curves_match(peer, ours(mine, n))


# --- transformers: num_cycles ---------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_transformers_cosine_num_cycles(seed: int) -> None:
    transformers = pytest.importorskip("transformers")
    rng = np.random.default_rng(100 + seed)
    lr = float(rng.uniform(1e-5, 1))
    total = int(rng.integers(2, 200))
    warmup = int(rng.integers(0, total))
    cycles = float(rng.choice([0.5, 1.0, 1.5, 2.0, 3.0, rng.uniform(0.1, 5)]))
    rate = float(rng.choice([0.0, rng.uniform(0, 1)])) if seed % 2 else None
    n = 3 * total + 1

    def make(optimizer: Any) -> Any:
        if rate is None:
            return transformers.get_cosine_schedule_with_warmup(
                optimizer, warmup, total, num_cycles=cycles
            )
        return transformers.get_cosine_with_min_lr_schedule_with_warmup(
            optimizer, warmup, total, num_cycles=cycles, min_lr_rate=rate
        )

    peer = _stepped(make, lr, n)
    shared: dict[str, Any] = dict(
        peak=lr, steps=total, floor=(rate or 0.0) * lr, warmup=warmup, waves=cycles
    )
    # transformers' wave goes on past num_training_steps: periodic; held, equal up to T.
    assert_curves_match(peer, ours(warmcos.cosine(**shared, after_end="periodic"), n))
    assert_curves_match(peer[: total + 1], ours(warmcos.cosine(**shared), total + 1))


# --- optax: exponent, and the one-cycle schedules as joins of ramps ------------------------------


@pytest.fixture
def jax_float64() -> Iterator[Any]:
    jax = pytest.importorskip("jax")
    pytest.importorskip("optax")
    previous = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", True)
    yield jax
    jax.config.update("jax_enable_x64", previous)


OPTAX_STEPS = 400
"""Every optax curve is read at steps 0 .. 399 (one shape: JAX compiles each operation once)."""


def _optax_values(jax: Any, schedule: Any, n: int = OPTAX_STEPS) -> list[float]:
    import jax.numpy as jnp

    # vmap: piecewise_interpolate_schedule only takes a scalar step.
    values = np.asarray(jax.vmap(schedule)(jnp.arange(n)))
    assert values.dtype == np.float64, "JAX 64-bit mode is off"
    return values.tolist()


def test_optax_own_exponent_values(jax_float64: Any) -> None:
    import optax

    # optax's test_with_exponent (cosine_decay_schedule): values in float32 there, rtol 1e-6.
    s = warmcos.cosine(peak=0.1, steps=100, exponent=2)
    expected = [0.1, 0.09516553580760956, 0.025, 0.0021446612663567066, 0.0]
    assert [s(t) for t in (0, 10, 50, 75, 100)] == pytest.approx(expected, rel=1e-6, abs=1e-8)
    peer = optax.cosine_decay_schedule(init_value=0.1, decay_steps=100, alpha=0.0, exponent=2)
    assert_curves_match(_optax_values(jax_float64, peer), ours(s, OPTAX_STEPS))


@pytest.mark.parametrize("seed", SEEDS)
def test_optax_cosine_exponent(seed: int, jax_float64: Any) -> None:
    import optax

    rng = np.random.default_rng(200 + seed)
    exponent = float(rng.choice([0.5, 2.0, 3.0, rng.uniform(0.1, 5)]))
    peak = float(rng.uniform(1e-4, 1))
    end = float(rng.uniform(0, peak))
    warmup = int(rng.integers(0, 50)) if seed % 2 else 0
    steps = warmup + int(rng.integers(1, 200))
    if warmup:
        init = float(rng.uniform(0, 1))
        peer = optax.warmup_cosine_decay_schedule(
            init, peak, warmup, steps, end_value=end, exponent=exponent
        )
        # decay_steps includes the warm-up: steps; end_value -> floor; init_value -> start.
        mine = warmcos.cosine(
            peak=peak, steps=steps, floor=end, warmup=warmup, warmup_start=init, exponent=exponent
        )
    else:
        alpha = end / peak
        peer = optax.cosine_decay_schedule(peak, steps, alpha=alpha, exponent=exponent)
        # alpha is a fraction of init_value: floor = alpha * peak.
        mine = warmcos.cosine(peak=peak, steps=steps, floor=alpha * peak, exponent=exponent)
    assert_curves_match(_optax_values(jax_float64, peer), ours(mine, OPTAX_STEPS))


def optax_onecycle_as_join(init: float, table: dict[int, float], shape: str) -> warmcos.Schedule:
    """optax's piecewise_interpolate_schedule(shape, init, table), as a join of ramps.

    The boundaries are the table's sorted keys after 0; the values, the running product of
    `init` and the scales (optax's ``cumprod``); interval ``i`` goes from value ``i`` to value
    ``i + 1``, an empty one is left out, and the last value is held.
    """
    bounds = sorted(table)
    values = [init]
    for bound in bounds:
        values.append(values[-1] * table[bound])
    pieces, boundaries, begin = [], [], 0
    for index, end in enumerate(bounds):
        if end > begin:
            if pieces:
                boundaries.append(begin)
            pieces.append(warmcos.ramp(values[index], values[index + 1], end - begin, shape))
        begin = end
    return warmcos.join(pieces, boundaries) if boundaries else pieces[0]


def test_optax_own_onecycle_values(jax_float64: Any) -> None:
    # optax's OneCycleTest: linear (10 steps, peak 1000, pct 0.3 / 0.7, div 10, final 100) and
    # cosine (5 steps, peak 1000, pct 0.4, div 10, final 100); init = 1000 / 10.
    linear = optax_onecycle_as_join(100.0, {3: 10.0, 7: 1 / 10.0, 10: 1 / 100.0}, "linear")
    expected = [100.0, 400.0, 700.0, 1000.0, 775.0, 550.0, 325.0, 100.0, 67.0, 34.0, 1.0, 1.0]
    assert ours(linear, 12) == pytest.approx(expected, abs=1e-9)
    cosine = optax_onecycle_as_join(100.0, {2: 10.0, 5: 1 / (10.0 * 100.0)}, "cosine")
    assert ours(cosine, 7) == pytest.approx([100.0, 550.0, 1000.0, 750.25, 250.75, 1.0, 1.0])


@pytest.mark.parametrize("seed", SEEDS)
def test_optax_onecycle_schedules(seed: int, jax_float64: Any) -> None:
    import optax

    rng = np.random.default_rng(300 + seed)
    steps = int(rng.integers(1, 300))
    peak = float(rng.uniform(1e-4, 10))
    pct_start = float(rng.uniform(0, 0.6))
    div, final = float(rng.uniform(1, 100)), float(rng.uniform(1, 1e4))
    # The tables optax builds (a later key overwrites an equal earlier one, as in optax).
    if seed % 2:
        peer = optax.cosine_onecycle_schedule(steps, peak, pct_start, div, final)
        table = {int(pct_start * steps): div, int(steps): 1.0 / (div * final)}
        mine = optax_onecycle_as_join(peak / div, table, "cosine")
    else:
        pct_final = float(rng.uniform(pct_start, 1))
        peer = optax.linear_onecycle_schedule(steps, peak, pct_start, pct_final, div, final)
        table = {
            int(pct_start * steps): div,
            int(pct_final * steps): 1.0 / div,
            steps: 1.0 / final,
        }
        mine = optax_onecycle_as_join(peak / div, table, "linear")
    assert_curves_match(_optax_values(jax_float64, peer), ours(mine, OPTAX_STEPS))


# --- timm: k_decay and the tanh schedule, with either warm-up -------------------------------------


@pytest.fixture(scope="module")
def timm_schedulers() -> Any:
    loaded = load_timm_schedulers("CosineLRScheduler", "TanhLRScheduler")
    return types.SimpleNamespace(cosine=loaded.cosine_lr, tanh=loaded.tanh_lr)


def _timm_values(cls: Any, lr: float, n: int, **kwargs: Any) -> list[float]:
    torch = pytest.importorskip("torch")
    param = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    optimizer = torch.optim.SGD([param], lr=lr)
    scheduler = cls(optimizer, t_in_epochs=False, **kwargs)
    values = []
    for t in range(n):
        scheduler.step_update(t)  # timm's step is passed in: the value for update t
        values.append(optimizer.param_groups[0]["lr"])
    return values


def _warmup_config(rng: np.random.Generator, total: int, lr: float) -> dict[str, Any]:
    prefix = bool(rng.integers(2))
    warmup = int(rng.integers(0, 25))
    if not prefix:
        warmup = min(warmup, total - 1)
    return dict(warmup_t=warmup, warmup_lr_init=float(rng.uniform(0, lr)), warmup_prefix=prefix)


@pytest.mark.parametrize("seed", SEEDS)
def test_timm_cosine_k_decay(seed: int, timm_schedulers: Any) -> None:
    rng = np.random.default_rng(400 + seed)
    lr = float(rng.uniform(1e-4, 1))
    total = int(rng.integers(2, 300))
    floor = float(rng.uniform(0, lr))
    k = float(rng.choice([0.5, 2.0, rng.uniform(0.2, 3)]))
    warm = _warmup_config(rng, total, lr)
    n = total + warm["warmup_t"] + 20
    peer = _timm_values(
        timm_schedulers.cosine, lr, n, t_initial=total, lr_min=floor, k_decay=k, **warm
    )
    # t_initial -> steps, lr_min -> floor, k_decay -> k_decay; the warm-up ends at the base LR.
    mine: warmcos.Schedule = warmcos.cosine(peak=lr, steps=total, floor=floor, k_decay=k)
    if warm["warmup_t"]:
        mine = Warmup(
            mine,
            warm["warmup_t"],
            start=warm["warmup_lr_init"],
            end=lr,
            prefix=warm["warmup_prefix"],
        )
    assert_curves_match(peer, ours(mine, n))


@pytest.mark.parametrize("seed", SEEDS)
def test_timm_tanh(seed: int, timm_schedulers: Any) -> None:
    rng = np.random.default_rng(500 + seed)
    lr = float(rng.uniform(1e-4, 1))
    total = int(rng.integers(2, 300))
    floor = float(rng.uniform(0, lr))
    lower = float(rng.choice([-7.0, rng.uniform(-10, 0)]))
    upper = float(rng.choice([3.0, rng.uniform(0.1, 10)]))
    warm = _warmup_config(rng, total, lr)
    n = total + warm["warmup_t"] + 20
    peer = _timm_values(
        timm_schedulers.tanh, lr, n, t_initial=total, lr_min=floor, lb=lower, ub=upper, **warm
    )
    # lb -> lower, ub -> upper. Without a prefix timm warms up to the tanh's value at warmup_t
    # (end=None, continuous); with one, to the base LR.
    mine: warmcos.Schedule = Tanh(peak=lr, steps=total, floor=floor, lower=lower, upper=upper)
    if warm["warmup_t"]:
        prefix = warm["warmup_prefix"]
        mine = Warmup(
            mine,
            warm["warmup_t"],
            start=warm["warmup_lr_init"],
            end=lr if prefix else None,
            prefix=prefix,
        )
    assert_curves_match(peer, ours(mine, n))


def test_timm_tanh_starts_below_the_peak_as_the_paper_s_curve() -> None:
    # Hsueh et al.'s curve at step 0 is (1 - tanh(-7)) / 2 of the way up, not the peak.
    s = Tanh(peak=1.0, steps=100)
    assert s(0) == pytest.approx((1 - math.tanh(-7.0)) / 2, abs=1e-15)
