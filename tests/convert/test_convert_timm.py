"""timm's schedulers read as warmcos schedules, against the LIVE timm over whole runs.

timm's scheduler files are loaded by path (``timm_files``: ``import timm`` imports torchvision,
which need not import here). Each configuration drives a fresh timm scheduler on a real
``torch.optim.SGD`` with two parameter groups (different base LRs, the second sometimes with an
``lr_scale``) the way timm's training loop does, ``step_update(t)`` (or ``step(t)`` with
``t_in_epochs``) and the groups' LRs read, over its whole run: the warm-up, every cycle, its
restarts, and past its end. That curve is compared with the reading's schedules, at 1e-12
relative to the run's largest LR. The reader's own sampler is checked against the same curve,
and the user's objects are checked untouched. 50 random configurations per class, from seeded
NumPy generators, so a failure names its seed.

Argument mappings (the reader's docstring says them in full): ``CosineLRScheduler`` ->
``cosine_restarts(peak=b, first_cycle=W + T, floor=lr_min, cycle_mult=cycle_mul,
gamma=cycle_decay, max_cycles=cycle_limit, ...)`` (``cosine(...)`` for one cycle);
``TanhLRScheduler``/``PolyLRScheduler`` -> ``tanh``/``polynomial`` for one cycle,
``cosine_restarts(shape="tanh"/"polynomial", ...)`` for several; ``StepLRScheduler`` ->
``step``; ``MultiStepLRScheduler`` -> ``multistep`` at
``decay_t - 1``; each under timm's warm-up; ``PlateauLRScheduler`` -> ``plateau``.

timm finds a cycle with ``floor(log(...))`` when ``cycle_mul != 1`` and can land one cycle early
exactly at a restart (``cycle_mul=3``, cycle 5): the reading marks those steps ``unreliable``;
there timm gives the previous cycle's end, warmcos the restart's peak (checked below).
"""

from __future__ import annotations

import copy
import math
import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import warmcos
from timm_files import timm_schedulers
from warmcos._convert.reading import Reading
from warmcos._convert.timm_schedulers import read

torch = pytest.importorskip("torch")

SEEDS = range(50)
RTOL = 1e-12


@pytest.fixture(scope="module")
def timm() -> Any:
    return timm_schedulers()


def _optimizer(rng: np.random.Generator) -> Any:
    lr = float(rng.uniform(1e-4, 1))
    second: dict[str, Any] = {
        "params": [torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))],
        "lr": float(rng.uniform(lr / 2, lr)),
    }
    if rng.integers(2):
        second["lr_scale"] = float(rng.uniform(0.1, 2))
    first = {"params": [torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))]}
    return torch.optim.SGD([first, second], lr=lr)


def _bases(optimizer: Any) -> list[float]:
    return [group["lr"] for group in optimizer.param_groups]


def _live(scheduler: Any, n: int) -> np.ndarray:
    """timm's curve over steps 0 .. n - 1, as its training loop gets it: (groups, n)."""
    groups = scheduler.optimizer.param_groups
    advance = scheduler.step if scheduler.t_in_epochs else scheduler.step_update
    values = []
    for t in range(n):
        advance(t)
        values.append([group["lr"] for group in groups])
    return np.asarray(values, dtype=np.float64).T


def _warmup(rng: np.random.Generator, prefix_default: bool) -> dict[str, Any]:
    warmup = int(rng.choice([0, rng.integers(1, 30)]))
    prefix = bool(rng.integers(2)) if rng.integers(3) else prefix_default
    return dict(warmup_t=warmup, warmup_lr_init=float(rng.uniform(0, 1e-3)), warmup_prefix=prefix)


def _cycles(rng: np.random.Generator, bases: list[float]) -> dict[str, Any]:
    """cycle_mul, cycle_decay, cycle_limit and lr_min that timm and warmcos agree on."""
    mul = float(rng.choice([1.0, 2.0, 3.0, 1.5, rng.uniform(1, 3)]))
    limit = int(rng.choice([1, 1, rng.integers(2, 6)]))
    decay = float(rng.choice([1.0, rng.uniform(0.3, 1)]))
    lowest = min(bases) * decay ** (limit - 1)
    floor = float(rng.choice([0.0, rng.uniform(0, lowest)]))
    total = 40 if mul == 1 else 12
    return dict(
        t_initial=int(rng.integers(1, total)),
        cycle_mul=mul,
        cycle_decay=decay,
        cycle_limit=limit,
        lr_min=floor,
    )


def _run_length(config: dict[str, Any]) -> int:
    cycles = config.get("cycle_limit", 1)
    mul = config.get("cycle_mul", 1.0)
    first = config.get("t_initial", 0)
    length = first * cycles if mul == 1 else first * (mul**cycles - 1) / (mul - 1)
    return int(config.get("warmup_t", 0) + length) + 25


def _check(reading: Reading, peer: np.ndarray, seed: int) -> None:
    """The reading's schedules against timm's curve, at every step of the run."""
    steps = np.arange(peer.shape[1])
    ours = np.stack([s(steps.astype(np.float64)) for s in reading.schedules])
    scale = max(float(np.abs(peer).max()), 1e-300)
    unreliable = (
        reading.unreliable(steps) if reading.unreliable else np.zeros(steps.size, dtype=bool)
    )
    diff = np.abs(peer - ours)[:, ~unreliable]
    assert diff.size == 0 or diff.max() <= RTOL * scale, (
        f"seed {seed}: {reading.schedules[0]!r}: max |timm - warmcos| = {diff.max():.3e} at "
        f"step {int(steps[~unreliable][np.argmax(diff.max(axis=0))])}"
    )
    # Where timm's logarithm slips, it is one cycle early: still falling in the previous
    # cycle (at its end), while warmcos starts the next: a restart's peak, or after the last
    # cycle the floor (where the two may agree).
    for t in steps[unreliable]:
        assert np.all(peer[:, t] <= peer[:, t - 1]), (seed, int(t))
    assert unreliable.sum() <= 2, seed


def _convert_and_compare(
    seed: int, make: Callable[[Any], Any], rng: np.random.Generator, n: int
) -> Reading:
    """Build the scheduler twice: one read (and left as it was), one driven live."""
    optimizer = _optimizer(rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = make(optimizer)
        twin_optimizer = copy.deepcopy(optimizer)
        twin = make(twin_optimizer)
    before = (copy.deepcopy(scheduler.__dict__.get("base_values")), _bases(optimizer))
    reading = read(scheduler)
    assert reading is not None
    assert len(reading.schedules) == 2
    peer = _live(twin, n)
    _check(reading, peer, seed)
    # The reader's sampler is timm itself, on a copy: the same curve, the user's untouched.
    sampled = reading.sample(np.arange(n))
    np.testing.assert_array_equal(sampled, peer)
    assert (scheduler.__dict__.get("base_values"), _bases(optimizer)) == before
    if hasattr(warmcos, "convert"):  # the public entry point, with its own check
        converted = warmcos.convert(scheduler)
        expected = list(reading.schedules)
        assert converted == expected or converted == expected[0]
    return reading


# --- CosineLRScheduler ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_cosine_every_option_matches_timm(seed: int, timm: Any) -> None:
    rng = np.random.default_rng(1000 + seed)
    probe = _bases(_optimizer(np.random.default_rng(1000 + seed)))
    config = {**_cycles(rng, probe), **_warmup(rng, prefix_default=False)}
    if seed % 5 == 4:
        config["k_decay"] = float(rng.choice([0.5, 2.0, rng.uniform(0.2, 3)]))
    t_in_epochs = bool(rng.integers(2))
    rng = np.random.default_rng(1000 + seed)  # the optimizer from the same draws as the probe

    def make(optimizer: Any) -> Any:
        return timm.cosine_lr(optimizer, t_in_epochs=t_in_epochs, **config)

    _convert_and_compare(seed, make, rng, _run_length(config))


def test_cosine_restart_slip_is_marked_and_warmcos_gives_the_peak(timm: Any) -> None:
    # cycle_mul=3: timm's log(243, 3) is 4.999..., so at the start of cycle 5 (step
    # 10 * (3**5 - 1) / 2 = 1210) timm gives the end of cycle 4.
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = timm.cosine_lr(
        optimizer, t_initial=10, lr_min=0.001, cycle_mul=3.0, cycle_limit=7, t_in_epochs=False
    )
    reading = read(scheduler)
    assert reading is not None and reading.unreliable is not None
    steps = np.arange(1300)
    assert np.flatnonzero(reading.unreliable(steps)).tolist() == [1210]
    peer = reading.sample(np.asarray([1209, 1210, 1211]))[0]
    schedule = reading.schedules[0]
    assert peer[1] == pytest.approx(0.001, abs=1e-12)  # timm: the floor, one cycle early
    assert schedule(1210) == pytest.approx(0.1)  # warmcos: the restart's peak
    assert schedule(1209) == pytest.approx(peer[0], abs=1e-15)
    assert schedule(1211) == pytest.approx(peer[2], abs=1e-15)


def test_cosine_default_is_one_cycle_with_the_readme_spec(timm: Any) -> None:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = timm.cosine_lr(
        optimizer, t_initial=100, lr_min=1e-4, warmup_t=5, warmup_lr_init=1e-5, warmup_prefix=True
    )
    reading = read(scheduler)
    assert reading is not None
    assert reading.source == "timm.scheduler.cosine_lr.CosineLRScheduler"
    assert reading.schedules == (
        warmcos.cosine(peak=0.1, steps=105, floor=1e-4, warmup=5, warmup_start=1e-5),
    )
    assert reading.position == 0


# --- TanhLRScheduler, PolyLRScheduler -------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_tanh_every_option_matches_timm(seed: int, timm: Any) -> None:
    rng = np.random.default_rng(2000 + seed)
    probe = _bases(_optimizer(np.random.default_rng(2000 + seed)))
    config = {**_cycles(rng, probe), **_warmup(rng, prefix_default=False)}
    config["lb"] = float(rng.choice([-7.0, rng.uniform(-10, 0)]))
    config["ub"] = float(rng.choice([3.0, rng.uniform(0.1, 10)]))
    rng = np.random.default_rng(2000 + seed)

    def make(optimizer: Any) -> Any:
        return timm.tanh_lr(optimizer, t_in_epochs=False, **config)

    _convert_and_compare(seed, make, rng, _run_length(config))


@pytest.mark.parametrize("seed", SEEDS)
def test_poly_every_option_matches_timm(seed: int, timm: Any) -> None:
    rng = np.random.default_rng(3000 + seed)
    probe = _bases(_optimizer(np.random.default_rng(3000 + seed)))
    config = {**_cycles(rng, probe), **_warmup(rng, prefix_default=False)}
    config["power"] = float(rng.choice([0.5, 1.0, 2.0, rng.uniform(0.2, 4)]))
    if seed % 5 == 4:
        config["k_decay"] = float(rng.choice([0.5, 2.0, rng.uniform(0.2, 3)]))
    rng = np.random.default_rng(3000 + seed)

    def make(optimizer: Any) -> Any:
        return timm.poly_lr(optimizer, t_in_epochs=True, **config)

    _convert_and_compare(seed, make, rng, _run_length(config))


# --- StepLRScheduler, MultiStepLRScheduler --------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_step_matches_timm(seed: int, timm: Any) -> None:
    rng = np.random.default_rng(4000 + seed)
    decay_t = int(rng.integers(1, 30)) if seed % 4 else float(rng.uniform(0.5, 30))
    config = dict(decay_t=decay_t, decay_rate=float(rng.uniform(0.1, 1)))
    config.update(_warmup(rng, prefix_default=True))
    n = int(config["warmup_t"] + 6 * decay_t) + 10

    def make(optimizer: Any) -> Any:
        return timm.step_lr(optimizer, t_in_epochs=bool(seed % 2), **config)

    _convert_and_compare(seed, make, rng, n)


@pytest.mark.parametrize("seed", SEEDS)
def test_multistep_matches_timm_at_its_milestone_minus_one(seed: int, timm: Any) -> None:
    rng = np.random.default_rng(5000 + seed)
    milestones = sorted(
        {int(m) for m in rng.integers(0 if seed % 3 else 1, 80, rng.integers(0, 6))}
    )
    config = dict(decay_t=milestones, decay_rate=float(rng.uniform(0.1, 1)))
    config.update(_warmup(rng, prefix_default=True))
    n = config["warmup_t"] + 100

    def make(optimizer: Any) -> Any:
        return timm.multistep_lr(optimizer, t_in_epochs=False, **config)

    _convert_and_compare(seed, make, rng, n)


def test_multistep_milestone_applies_one_step_early(timm: Any) -> None:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = timm.multistep_lr(optimizer, decay_t=[1, 10], decay_rate=0.5, t_in_epochs=False)
    reading = read(scheduler)
    assert reading is not None
    assert reading.schedules == (warmcos.multistep(0.5, [9], 0.5),)


# --- PlateauLRScheduler ---------------------------------------------------------------------------


def _plateau(timm: Any, optimizer: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return timm.plateau_lr(optimizer, **kwargs)


@pytest.mark.parametrize("seed", SEEDS)
def test_plateau_before_any_reduction_matches_timm(seed: int, timm: Any) -> None:
    rng = np.random.default_rng(6000 + seed)
    config = dict(
        decay_rate=float(rng.uniform(0.05, 0.9)),
        patience_t=int(rng.integers(0, 10)),
        cooldown_t=int(rng.integers(0, 5)),
        mode=str(rng.choice(["min", "max"])),
        lr_min=float(rng.choice([0.0, rng.uniform(0, 1e-4)])),
        warmup_t=int(rng.choice([0, rng.integers(1, 20)])),
        warmup_lr_init=float(rng.uniform(0, 1e-3)),
    )
    optimizer = _optimizer(rng)
    twin_optimizer = copy.deepcopy(optimizer)
    scheduler = _plateau(timm, optimizer, **config)
    twin = _plateau(timm, twin_optimizer, **config)
    reading = read(scheduler)
    assert reading is not None
    n = config["warmup_t"] + 30
    # timm's loop: epoch 0 uses the LR as built, then step(epoch) before each later epoch.
    live = [[g["lr"] for g in twin_optimizer.param_groups]]
    for epoch in range(1, n):
        twin.step(epoch)
        live.append([g["lr"] for g in twin_optimizer.param_groups])
    peer = np.asarray(live).T
    _check(reading, peer, seed)
    np.testing.assert_array_equal(reading.sample(np.arange(n)), peer)
    inner = scheduler.lr_scheduler
    for schedule in reading.schedules:
        assert isinstance(schedule, warmcos.Plateau)
        assert (schedule.factor, schedule.patience, schedule.cooldown, schedule.mode) == (
            inner.factor,
            inner.patience,
            inner.cooldown,
            inner.mode,
        )
        assert schedule.reductions == ()


def test_plateau_after_a_reduction_is_refused(timm: Any) -> None:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = _plateau(timm, optimizer, decay_rate=0.5, patience_t=0, mode="min")
    for epoch, metric in enumerate([1.0, 2.0, 3.0], start=1):
        scheduler.step(epoch, metric)
    assert optimizer.param_groups[0]["lr"] < 0.1
    with pytest.raises(ValueError, match=r"PlateauLRScheduler.*no reduction.*warmcos\.trace"):
        read(scheduler)


# --- refusals and what is not timm's --------------------------------------------------------------


def _sgd() -> Any:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    [
        ("cosine_lr", dict(t_initial=10, noise_range_t=(2, 8)), r"`noise_range_t`.*random"),
        ("step_lr", dict(decay_t=10, noise_range_t=5), r"StepLRScheduler: `noise_range_t`"),
        (
            "cosine_lr",
            dict(t_initial=10, lr_min=0.05, cycle_decay=0.5, cycle_limit=3),
            r"`cycle_decay` must keep every cycle's peak.*>= lr_min",
        ),
        (
            "cosine_lr",
            dict(t_initial=10, cycle_mul=0.5, cycle_limit=3),
            r"`cycle_mul` must be >= 1",
        ),
        ("multistep_lr", dict(decay_t=[30, 10]), r"`decay_t` must be sorted"),
        ("multistep_lr", dict(decay_t=[10, 10]), r"`decay_t` must hold each milestone once"),
    ],
)
def test_unconvertible_options_are_refused_naming_class_and_option(
    timm: Any, cls: str, kwargs: dict[str, Any], message: str
) -> None:
    scheduler = getattr(timm, cls)(_sgd(), **kwargs)
    with pytest.raises(ValueError, match=message) as error:
        read(scheduler)
    assert f"timm.scheduler.{cls}." in str(error.value)
    assert "warmcos.trace" in str(error.value)


def test_unbounded_tanh_cycles_are_shaped_restarts(timm: Any) -> None:
    scheduler = timm.tanh_lr(_sgd(), t_initial=10, cycle_limit=10**9, lb=-6.0, ub=4.0)
    reading = read(scheduler)
    assert reading is not None
    assert reading.schedules[0] == warmcos.cosine_restarts(
        peak=0.1,
        first_cycle=10.0,
        max_cycles=10**9,
        cycle_rule="geometric",
        shape="tanh",
        lower=-6.0,
        upper=4.0,
    )
    peer = reading.sample(np.arange(0, 10**4, 7))
    ours = reading.schedules[0](np.arange(0, 10**4, 7).astype(np.float64))
    np.testing.assert_allclose(peer[0], ours, rtol=0, atol=1e-13)


def test_other_objects_are_not_timm_s() -> None:
    assert read(object()) is None
    assert read(torch.optim.lr_scheduler.StepLR(_sgd(), 10)) is None
    # timm's class name from another module, and timm's module with another class name.
    lookalike = type("CosineLRScheduler", (), {"__module__": "mylib.schedulers"})
    assert read(lookalike()) is None
    other = type("WarmupScheduler", (), {"__module__": "timm.scheduler.cosine_lr"})
    assert read(other()) is None


def test_reading_imports_no_timm(timm: Any) -> None:
    read(timm.cosine_lr(_sgd(), t_initial=10))
    assert "timm" not in sys.modules
    assert math.isfinite(_run_length(dict(t_initial=3)))
