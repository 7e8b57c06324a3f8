"""timm's cycles of every shape, live: cosine with ``k_decay``, polynomial, tanh.

timm's ``CosineLRScheduler``, ``PolyLRScheduler`` and ``TanhLRScheduler`` share one cycle rule
(``cycle_mul``, ``cycle_decay``, ``cycle_limit``) over the decay of their shape. The mapping,
on a base LR ``lr`` (timm's files loaded by path: ``tests/timm_files.py``):

``cosine_restarts(peak=lr, first_cycle=t_initial, floor=lr_min, cycle_mult=cycle_mul,
gamma=cycle_decay, max_cycles=cycle_limit, cycle_rule="geometric", shape=..., k_decay=k,
power=p, lower=lb, upper=ub)`` with shape ``"cosine"``, ``"polynomial"`` or ``"tanh"``, behind
``warmup(..., W, start=warmup_lr_init, end=lr, prefix=warmup_prefix)`` when ``warmup_t = W``
(``end=None`` for the tanh without a prefix: timm warms it up to its own value at ``W``).
timm's cycle count is ``floor(log(...))``, which for a fractional ``cycle_mul`` can round across
an exact restart (the migration guide, "What cannot be expressed"); these grids use
``cycle_mul = 1`` or 2, where it does not.
Random configurations from seeded NumPy generators, 60 per shape.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import warmcos
from curves import assert_curves_match
from timm_files import timm_schedulers

SEEDS = range(60)
STEPS = 400


def _optimizer(lr: float) -> torch.optim.Optimizer:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)


def _config(rng: np.random.Generator) -> dict:
    return {
        "t_initial": int(rng.integers(5, 60)),
        "lr_min": float(rng.choice([0.0, 1e-4, 0.01])),
        "cycle_mul": float(rng.choice([1.0, 2.0])),
        "cycle_decay": float(rng.choice([1.0, 0.5, rng.uniform(0.3, 1.0)])),
        "cycle_limit": int(rng.integers(1, 6)),
        "warmup_t": int(rng.choice([0, 0, int(rng.integers(1, 5))])),
        "warmup_lr_init": float(rng.choice([0.0, 1e-3])),
        "warmup_prefix": bool(rng.integers(0, 2)),
    }


def _ours(lr: float, shape: str, config: dict, extra: dict) -> warmcos.Schedule:
    schedule = warmcos.cosine_restarts(
        peak=lr,
        first_cycle=config["t_initial"],
        floor=config["lr_min"],
        cycle_mult=config["cycle_mul"],
        gamma=config["cycle_decay"],
        max_cycles=config["cycle_limit"],
        cycle_rule="geometric",
        warmup_cycles="first",
        shape=shape,
        **extra,
    )
    if not config["warmup_t"]:
        return schedule
    return warmcos.warmup(
        schedule,
        config["warmup_t"],
        start=config["warmup_lr_init"],
        # timm's tanh without a prefix warms up to its own value where the warm-up ends.
        end=None if shape == "tanh" and not config["warmup_prefix"] else lr,
        prefix=config["warmup_prefix"],
    )


def _peer_values(scheduler: object) -> list[float]:
    values = []
    for t in range(STEPS):
        scheduler.step(t)  # type: ignore[attr-defined]
        values.append(scheduler.optimizer.param_groups[0]["lr"])  # type: ignore[attr-defined]
    return values


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", ["cosine", "polynomial", "tanh"])
def test_timm_cycles_of_each_shape(shape: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    timm = timm_schedulers("CosineLRScheduler", "PolyLRScheduler", "TanhLRScheduler")
    config, lr = _config(rng), float(rng.choice([0.1, 1.0]))
    if config["cycle_decay"] ** (config["cycle_limit"] - 1) * lr < config["lr_min"]:
        config["cycle_decay"] = 1.0  # timm lets a peak fall below lr_min; warmcos clamps it
    extra: dict = {}
    if shape == "cosine":
        extra["k_decay"] = float(rng.choice([1.0, 0.5, 2.0, rng.uniform(0.2, 3)]))
        peer_class = timm.cosine_lr
    elif shape == "polynomial":
        extra["k_decay"] = float(rng.choice([1.0, 0.5, rng.uniform(0.2, 3)]))
        extra["power"] = float(rng.choice([0.5, 1.0, 2.0, rng.uniform(0.3, 4)]))
        peer_class = timm.poly_lr
    else:
        extra["lower"], extra["upper"] = float(rng.uniform(-8, -2)), float(rng.uniform(1, 5))
        peer_class = timm.tanh_lr
    peer_args = {"lb": extra["lower"], "ub": extra["upper"]} if shape == "tanh" else {}
    if shape != "tanh":
        peer_args["k_decay"] = extra["k_decay"]
    if shape == "polynomial":
        peer_args["power"] = extra["power"]
    peer = peer_class(_optimizer(lr), t_in_epochs=True, **config, **peer_args)
    ours = _ours(lr, shape, config, extra)
    assert_curves_match(_peer_values(peer), [ours(t) for t in range(STEPS)])


def test_shape_options_are_refused_where_they_mean_nothing() -> None:
    base = {"peak": 1.0, "first_cycle": 10}
    for arguments, message in (
        ({"shape": "tanh", "k_decay": 2.0}, '`k_decay` must be 1 with shape="tanh"'),
        ({"power": 2.0}, '`power` must be 1 unless shape="polynomial"'),
        ({"lower": -3.0}, "`lower` must keep its default"),
        ({"shape": "tanh", "lower": 3.0, "upper": 1.0}, "`lower` must be < `upper`"),
        ({"shape": "sine"}, "`shape` must be one of"),
        ({"k_decay": 0}, "`k_decay` must be > 0"),
    ):
        with pytest.raises(ValueError, match=r"^cosine_restarts\(\): ") as error:
            warmcos.cosine_restarts(**base, **arguments)
        assert message in str(error.value)


@pytest.mark.parametrize(
    "spec",
    [
        "cosine_restarts(peak=1.0, first_cycle=20, cycle_mult=2.0, shape='polynomial', power=2.0,"
        " k_decay=0.5, gamma=0.5, max_cycles=3)",
        "cosine_restarts(peak=1.0, first_cycle=20, warmup=3, shape='tanh', lower=-5.0, upper=2.0)",
        "cosine_restarts(peak=1.0, first_cycle=20, floor=0.1, k_decay=1.5)",
    ],
)
def test_shaped_cycles_describe_themselves_and_agree_on_every_backend(spec: str) -> None:
    schedule = warmcos.parse(spec)
    assert warmcos.parse(repr(schedule)) == schedule
    steps = np.arange(0, 300, 0.25)
    scalar = np.array([schedule(float(t)) for t in steps])
    np.testing.assert_allclose(schedule(steps), scalar, rtol=1e-14, atol=1e-15)
    tensor = schedule(torch.tensor(steps)).numpy()
    np.testing.assert_allclose(tensor, scalar, rtol=1e-13, atol=1e-15)
    for segment in schedule.segments(0, 300):
        assert schedule(segment.start) == segment.first
        middle = (segment.start + min(segment.end, 300)) / 2
        assert segment(middle) == schedule(middle)
        if segment.kind == "decay":
            assert segment.shape == schedule.shape
