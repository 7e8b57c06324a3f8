"""``warmcos.convert`` of Hugging Face transformers' schedules, compared with the live schedules.

transformers' schedules are ``LambdaLR`` objects whose lambda is a ``functools.partial`` of a
function of ``transformers.optimization``: convert reads the partial's keywords, never calls it.
Each schedule runs 50 random configurations (seeded NumPy generators; a failure names its seed),
built through ``get_scheduler(name, ...)`` or the ``get_*`` function, with one or two param
groups. The reference is the live scheduler on a real ``torch.optim.SGD`` (learning rates read
before each ``step()``), independently of convert's own check, over the whole run: up to
``num_training_steps`` for the cosines (transformers' wave rises again after it, the conversion
holds), and past the end for the schedules that hold. Tolerance 1e-12 absolute (values <= 1).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import warmcos

SEEDS = range(50)
Make = Callable[[Any], Any]


def _optimizer(lrs: list[float]) -> Any:
    groups = [
        {"params": [torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))], "lr": lr}
        for lr in lrs
    ]
    return torch.optim.SGD(groups, lr=lrs[0])


def _peer(optimizer: Any, scheduler: Any, n: int) -> np.ndarray:
    out = np.empty((len(optimizer.param_groups), n))
    for t in range(n):
        out[:, t] = [group["lr"] for group in optimizer.param_groups]
        for group in optimizer.param_groups:
            group["params"][0].grad = torch.ones(1, dtype=torch.float64)
        optimizer.step()
        scheduler.step()
    return out


def _missed_restarts(warmup: int, total: int, cycles: int) -> set[int]:
    """Exact restarts where transformers' float ``%`` lands just below 1 (it gives ~0 there)."""
    missed = set()
    for t in range(warmup + 1, total):
        exact = (cycles * (t - warmup)) % (total - warmup) == 0
        if exact and (float(cycles) * (float(t - warmup) / float(total - warmup))) % 1.0 > 0.5:
            missed.add(t)
    return missed


def _config(name: str, rng: np.random.Generator) -> tuple[Make, int, set[int]]:
    """A random configuration: make(optimizer), steps compared, steps left out."""
    total = int(rng.integers(2, 300))
    warmup = int(rng.integers(0, total))
    via_get_scheduler = bool(rng.integers(0, 2))
    extra: dict[str, Any] = {}
    n, skip = total + 20, set()
    if name == "constant":
        return (lambda o: transformers.get_constant_schedule(o)), 50, skip
    if name == "constant_with_warmup":
        warmup = int(rng.integers(0, 100))
        return (lambda o: transformers.get_constant_schedule_with_warmup(o, warmup)), 130, skip
    if name == "linear":
        warmup = int(rng.integers(0, total))
    elif name == "cosine":
        extra = {"num_cycles": float(rng.choice([0.5, rng.uniform(0.1, 3.0)]))}
        n = total + 1
    elif name == "cosine_with_restarts":
        cycles = int(rng.integers(1, 30))
        total = warmup + cycles * int(rng.integers(1, 12)) + int(rng.integers(0, cycles))
        extra, skip = {"num_cycles": cycles}, _missed_restarts(warmup, total, cycles)
        n = total + 10
    elif name == "polynomial":
        extra = {"lr_end": float(rng.uniform(0, 1e-4)), "power": float(rng.uniform(0.5, 3.0))}
    elif name == "inverse_sqrt":
        timescale = None if rng.integers(0, 2) else int(rng.integers(1, 500))
        extra = {"timescale": timescale}
        n = 400
    elif name == "cosine_with_min_lr":
        key = str(rng.choice(["min_lr", "min_lr_rate"]))
        extra = {key: float(rng.uniform(0, 1e-4)) if key == "min_lr" else float(rng.uniform())}
        extra["num_cycles"] = float(rng.choice([0.5, rng.uniform(0.1, 2.0)]))
        n = total + 1
    elif name == "cosine_warmup_with_min_lr":
        warmup = int(rng.integers(1, total))
        rate = None if rng.integers(0, 2) else float(rng.uniform(0, 1))
        extra = {"min_lr_rate": float(rng.uniform(0, 0.5)), "warmup_lr_rate": rate}
        n = total  # up to T - 1, where its decay ends (its wave goes on after)
    elif name == "warmup_stable_decay":
        decay = int(rng.integers(1, 100))
        extra = {
            "num_stable_steps": int(rng.integers(0, 100)),
            "num_decay_steps": decay,
            "warmup_type": str(rng.choice(["linear", "cosine", "1-sqrt"])),
            "decay_type": str(rng.choice(["linear", "cosine", "1-sqrt"])),
            "min_lr_ratio": float(rng.choice([0.0, rng.uniform(0, 0.5)])),
        }
        n = warmup + extra["num_stable_steps"] + decay + 20
        return (
            lambda o: transformers.get_scheduler(
                name, o, num_warmup_steps=warmup, scheduler_specific_kwargs=extra
            ),
            n,
            skip,
        )
    functions = {
        "linear": "get_linear_schedule_with_warmup",
        "cosine": "get_cosine_schedule_with_warmup",
        "cosine_with_restarts": "get_cosine_with_hard_restarts_schedule_with_warmup",
        "polynomial": "get_polynomial_decay_schedule_with_warmup",
        "inverse_sqrt": "get_inverse_sqrt_schedule",
        "cosine_with_min_lr": "get_cosine_with_min_lr_schedule_with_warmup",
        "cosine_warmup_with_min_lr": "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
    }
    if name == "inverse_sqrt":
        function = getattr(transformers, functions[name])
        return (lambda o: function(o, num_warmup_steps=warmup, **extra)), n, skip
    if via_get_scheduler:
        return (
            lambda o: transformers.get_scheduler(
                name,
                o,
                num_warmup_steps=warmup,
                num_training_steps=total,
                scheduler_specific_kwargs=extra,
            ),
            n,
            skip,
        )
    function = getattr(transformers, functions[name])
    return (
        lambda o: function(o, num_warmup_steps=warmup, num_training_steps=total, **extra),
        n,
        skip,
    )


NAMES = [
    "constant",
    "constant_with_warmup",
    "linear",
    "cosine",
    "cosine_with_restarts",
    "polynomial",
    "inverse_sqrt",
    "cosine_with_min_lr",
    "cosine_warmup_with_min_lr",
    "warmup_stable_decay",
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", NAMES)
def test_random_configurations_convert_to_the_live_schedules_curve(name: str, seed: int) -> None:
    rng = np.random.default_rng([seed, len(name), 7])
    make, n, skip = _config(name, rng)
    lrs = [float(rng.uniform(1e-4, 1.0)) for _ in range(int(rng.integers(1, 3)))]
    optimizer = _optimizer(lrs)
    scheduler = make(optimizer)
    result = warmcos.conversion(scheduler)
    assert result.source.startswith("transformers.get_")
    assert result.position == 0 and result.max_difference <= 1e-12
    peer = _peer(optimizer, scheduler, n)
    for group, schedule in enumerate(result.schedules):
        for t in range(n):
            if t in skip:
                # At a missed exact restart transformers gives ~0; warmcos restarts at the peak.
                assert peer[group, t] < 1e-12 * lrs[group]
                continue
            assert abs(schedule(t) - peer[group, t]) <= 1e-12, (group, t, schedule)
        assert warmcos.parse(repr(schedule)) == schedule


def test_the_readme_mappings() -> None:
    o = _optimizer([0.1])
    cosine = transformers.get_cosine_schedule_with_warmup(o, 100, 1000)
    assert warmcos.convert(cosine) == warmcos.cosine(peak=0.1, steps=1000, warmup=100)
    o = _optimizer([1e-3])
    wsd = transformers.get_wsd_schedule(o, 10, 20, num_stable_steps=70)
    assert warmcos.convert(wsd) == warmcos.wsd(
        peak=1e-3, steps=100, warmup=10, decay=20, shape="cosine"
    )


def test_a_stepped_schedule_converts_to_its_whole_curve_and_says_where_it_stands() -> None:
    optimizer = _optimizer([0.1, 0.02])
    scheduler = transformers.get_linear_schedule_with_warmup(optimizer, 10, 100)
    _peer(optimizer, scheduler, 25)
    state = copy.deepcopy(scheduler.state_dict())
    groups = copy.deepcopy([g["lr"] for g in optimizer.param_groups])
    result = warmcos.conversion(scheduler)
    assert result.position == 25
    assert result.schedules == (
        warmcos.wsd(peak=0.1, steps=100, warmup=10, decay=90),
        warmcos.wsd(peak=0.02, steps=100, warmup=10, decay=90),
    )
    assert scheduler.state_dict() == state
    assert [g["lr"] for g in optimizer.param_groups] == groups


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (
            lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda step: 1 / (step + 1)),
            r"LambdaLR with `lr_lambda`.*your own function",
        ),
        (
            lambda o: transformers.get_scheduler("reduce_lr_on_plateau", o),
            r"ReduceLROnPlateau .*follows a metric",
        ),
        (
            lambda o: transformers.get_wsd_schedule(
                o, 10, 20, num_stable_steps=5, decay_type="cosine", num_cycles=1.0
            ),
            r"_get_wsd_scheduler_lambda with .*num_cycles=1\.0.*num_cycles != 0\.5",
        ),
        (
            lambda o: transformers.get_cosine_with_min_lr_schedule_with_warmup_lr_rate(
                o, 0, 100, min_lr_rate=0.1
            ),
            r"num_warmup_steps=0.*never reaches the peak",
        ),
    ],
)
def test_unconvertible_schedules_are_refused_naming_the_function_and_option(
    make: Make, match: str
) -> None:
    with pytest.raises(ValueError, match=match) as caught:
        warmcos.convert(make(_optimizer([0.1])))
    assert "warmcos.trace" in str(caught.value)
