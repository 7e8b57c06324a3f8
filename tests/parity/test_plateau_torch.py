"""Reduce on plateau against PyTorch's live ``ReduceLROnPlateau``, and exact resume.

Mapping: ``ReduceLROnPlateau(opt, mode, factor, patience, threshold, threshold_mode, cooldown,
min_lr, eps)`` on an optimizer with LR ``lr`` is ``warmcos.torch.LRScheduler(opt,
plateau(constant(lr), factor=..., patience=..., mode=..., threshold=..., threshold_mode=...,
cooldown=..., min_lr=..., eps=...))`` with ``scheduler.report(metric)`` where PyTorch's is
``scheduler.step(metric)`` (and ``scheduler.step()`` per update, as for any schedule).
Random configurations from seeded NumPy generators, 60 of them, so a failure names its seed.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch

import warmcos
from warmcos.torch import LRScheduler

SEEDS = range(60)


def _config(rng: np.random.Generator) -> dict:
    return {
        "mode": str(rng.choice(["min", "max"])),
        "factor": float(rng.choice([0.1, 0.5, rng.uniform(0.05, 0.95)])),
        "patience": int(rng.integers(0, 5)),
        "threshold": float(rng.choice([0.0, 1e-4, 0.01, rng.uniform(0, 0.1)])),
        "threshold_mode": str(rng.choice(["rel", "abs"])),
        "cooldown": int(rng.integers(0, 4)),
        "min_lr": float(rng.choice([0.0, 1e-3, 0.02])),
        "eps": float(rng.choice([1e-8, 1e-3])),
    }


def _metrics(rng: np.random.Generator, n: int) -> list[float]:
    """A noisy trend with repeated values (plateaus), rounded so that ties happen."""
    trend = np.cumsum(rng.choice([-0.05, 0.0, 0.0, 0.01], size=n)) + 2.0
    return [round(float(x), 2) for x in trend + rng.normal(0, 0.01, size=n)]


def _optimizer(lrs: list[float]) -> torch.optim.Optimizer:
    params = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs]
    return torch.optim.SGD(params, lr=lrs[0])


@pytest.mark.parametrize("seed", SEEDS)
def test_learning_rates_equal_pytorchs_reduce_on_plateau(seed: int) -> None:
    rng = np.random.default_rng(seed)
    config, lr = _config(rng), float(rng.choice([0.1, 1.0, rng.uniform(0.01, 1)]))
    # Two groups keep their ratio only without a floor and with a small `eps` (PyTorch floors
    # each group, and skips each group's small change, on its own; warmcos applies both to the
    # schedule's value, group 0's, and keeps the ratio).
    lrs = [lr]
    if config["min_lr"] == 0 and seed % 2:
        lrs, config["eps"] = [lr, lr * 0.25], 0.0
    peer_optimizer, our_optimizer = _optimizer(lrs), _optimizer(lrs)
    peer = torch.optim.lr_scheduler.ReduceLROnPlateau(peer_optimizer, **config)
    ours = LRScheduler(our_optimizer, warmcos.plateau(warmcos.constant(lr), **config))
    reductions = 0
    for metric in _metrics(rng, 80):
        peer_optimizer.step()
        peer.step(metric)
        our_optimizer.step()
        ours.step()
        reductions += ours.report(metric)
        expected = [group["lr"] for group in peer_optimizer.param_groups]
        got = [group["lr"] for group in our_optimizer.param_groups]
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)
    assert len(ours.schedules[0].reductions) == reductions


def test_patience_and_cooldown_by_hand() -> None:
    """Factor 0.1, patience 2, cooldown 1 on a flat, then better, then flat loss."""
    optimizer = _optimizer([0.05])
    scheduler = LRScheduler(
        optimizer, warmcos.plateau(warmcos.constant(0.05), factor=0.1, patience=2, cooldown=1)
    )
    seen = []
    for loss in [10, 10, 10, 10, 10, 10, 10, 10, 9, 9, 9, 9]:
        optimizer.step()
        scheduler.step()
        scheduler.report(loss)
        seen.append(optimizer.param_groups[0]["lr"])
    # Reports 1-4: best 10, then bad 1, 2, 3 > patience: reduce (cooldown 1). Report 5: bad,
    # forgiven in cooldown; 6-8: bad 1, 2, 3: reduce. Report 9: 9 is better (cooldown ends);
    # 10-12: bad 1, 2, 3: reduce.
    assert seen == pytest.approx(
        [0.05, 0.05, 0.05, 0.005, 0.005, 0.005, 0.005, 5e-4, 5e-4, 5e-4, 5e-4, 5e-5],
        rel=1e-12,
    )


@pytest.mark.parametrize("seed", range(10))
def test_a_run_resumed_from_a_checkpoint_continues_exactly(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    config = _config(rng)
    base = warmcos.cosine(peak=0.1, steps=200, warmup=10)
    metrics = _metrics(rng, 40)
    stop = int(rng.integers(1, 39))

    def run(checkpoint_at: int | None) -> list[float]:
        optimizer = _optimizer([0.1, 0.01])
        scheduler = LRScheduler(optimizer, warmcos.plateau(base, **config))
        seen = []
        for epoch, metric in enumerate(metrics):
            if epoch == checkpoint_at:
                buffer = io.BytesIO()
                torch.save(scheduler.state_dict(), buffer)
                buffer.seek(0)
                optimizer = _optimizer([0.1, 0.01])
                scheduler = LRScheduler(optimizer, warmcos.plateau(base, **config))
                scheduler.load_state_dict(torch.load(buffer, weights_only=True))
            for _ in range(5):  # five updates per epoch, one report
                optimizer.step()
                scheduler.step()
                seen.append(optimizer.param_groups[1]["lr"])
            scheduler.report(metric)
            seen.append(optimizer.param_groups[1]["lr"])
        return seen

    assert run(stop) == run(None)


def test_the_reduction_applies_to_the_next_update_and_is_recorded_at_the_position() -> None:
    optimizer = _optimizer([1.0])
    scheduler = LRScheduler(
        optimizer,
        warmcos.plateau(warmcos.cosine(peak=1.0, steps=100), factor=0.5, patience=0),
        steps_per_unit=10,
    )
    for _ in range(25):
        optimizer.step()
        scheduler.step()
    assert scheduler.report(1.0) is False  # the first report sets the best
    assert scheduler.report(1.0) is True  # no improvement, patience 0
    assert scheduler.schedules[0].reductions == (2.5,)
    assert optimizer.param_groups[0]["lr"] == 0.5 * warmcos.cosine(peak=1.0, steps=100)(2.5)
    assert scheduler.get_last_lr() == [optimizer.param_groups[0]["lr"]]
    assert scheduler.state_dict()["plateau"] == {"best": 1.0, "bad_reports": 0, "cooldown_left": 0}


def test_bad_reports_change_nothing() -> None:
    optimizer = _optimizer([1.0])
    scheduler = LRScheduler(optimizer, warmcos.plateau(warmcos.constant(1.0), patience=0))
    scheduler.report(1.0)
    before = (scheduler.state_dict(), optimizer.param_groups[0]["lr"])
    for bad, error in (("x", TypeError), (float("nan"), ValueError), (torch.ones(3), TypeError)):
        with pytest.raises(error):
            scheduler.report(bad)
        assert (scheduler.state_dict(), optimizer.param_groups[0]["lr"]) == before
    plain = LRScheduler(_optimizer([1.0]), warmcos.constant(1.0))
    with pytest.raises(ValueError, match=r"LRScheduler.report\(\): .*plateau, outermost"):
        plain.report(1.0)


def test_a_checkpoint_with_reductions_loads_into_a_fresh_scheduler_and_bad_state_is_refused() -> (
    None
):
    rules = warmcos.plateau(warmcos.constant(1.0), patience=0, factor=0.5)
    optimizer = _optimizer([1.0])
    scheduler = LRScheduler(optimizer, rules)
    for _ in range(3):
        optimizer.step()
        scheduler.step()
        scheduler.report(1.0)
    state = scheduler.state_dict()
    assert state["schedules"][0]["reductions"] == [2, 3]
    fresh_optimizer = _optimizer([1.0])
    fresh = LRScheduler(fresh_optimizer, rules)  # no reductions: the same configuration
    fresh.load_state_dict(state)
    assert fresh_optimizer.param_groups[0]["lr"] == 0.25
    assert fresh.schedules[0].reductions == (2, 3)
    broken = {**state, "plateau": {"best": "low", "bad_reports": 0, "cooldown_left": 0}}
    other = LRScheduler(_optimizer([1.0]), rules)
    before = other.state_dict()
    with pytest.raises(ValueError, match="`best`"):
        other.load_state_dict(broken)
    assert other.state_dict() == before


@pytest.mark.filterwarnings("ignore:PlateauLRScheduler is deprecated:FutureWarning")
@pytest.mark.parametrize("seed", range(30))
def test_timms_plateau_scheduler_with_its_warm_up(seed: int) -> None:
    """timm's ``PlateauLRScheduler(decay_rate=f, patience_t=p, cooldown_t=c, lr_min=m,
    warmup_t=W, warmup_lr_init=s, threshold=h, mode=...)`` stepped ``step(epoch + 1, metric)``
    is ``plateau(warmup(constant(lr), W, start=s), factor=f, patience=p, cooldown=c,
    min_lr=m, threshold=h, mode=...)`` stepped once per epoch, reporting each metric after
    the warm-up (timm reports none during it)."""
    from timm_files import timm_schedulers

    timm = timm_schedulers("PlateauLRScheduler").plateau_lr
    rng = np.random.default_rng(300 + seed)
    lr = float(rng.choice([0.1, 1.0]))
    warmup = int(rng.choice([0, 3, 5]))
    init = float(rng.choice([0.0, 1e-3]))
    rules = {
        "factor": float(rng.choice([0.1, 0.5])),
        "patience": int(rng.integers(0, 4)),
        "cooldown": int(rng.integers(0, 3)),
        "min_lr": float(rng.choice([0.0, 1e-3])),
        "threshold": float(rng.choice([1e-4, 0.01])),
        "mode": str(rng.choice(["min", "max"])),
    }
    peer_optimizer, our_optimizer = _optimizer([lr]), _optimizer([lr])
    peer = timm(
        peer_optimizer,
        decay_rate=rules["factor"],
        patience_t=rules["patience"],
        cooldown_t=rules["cooldown"],
        lr_min=rules["min_lr"],
        threshold=rules["threshold"],
        mode=rules["mode"],
        warmup_t=warmup,
        warmup_lr_init=init,
    )
    base = warmcos.constant(lr)
    if warmup:
        base = warmcos.warmup(base, warmup, start=init)
    ours = LRScheduler(our_optimizer, warmcos.plateau(base, **rules))
    assert our_optimizer.param_groups[0]["lr"] == peer_optimizer.param_groups[0]["lr"]
    for epoch, metric in enumerate(_metrics(rng, 60)):
        peer_optimizer.step()
        peer.step(epoch + 1, metric)
        our_optimizer.step()
        ours.step()
        if epoch + 1 > warmup:
            ours.report(metric)
        assert our_optimizer.param_groups[0]["lr"] == pytest.approx(
            peer_optimizer.param_groups[0]["lr"], rel=1e-12, abs=1e-15
        ), epoch


# PyTorch's own cases (test/optim/test_lrscheduler.py, test_reduce_lr_on_plateau1-8): two param
# groups at 0.5, one report per epoch after `optimizer.step()`, the LR checked after each report.
PYTORCH_CASES = [
    ({"threshold_mode": "abs", "threshold": 0.01, "patience": 5, "cooldown": 5},
     [10 - i * 0.0167 for i in range(20)], 10, [[0.5] * 20]),
    ({"patience": 5, "cooldown": 0, "threshold_mode": "abs", "threshold": 0.1},
     [10 - i * 0.0165 for i in range(22)], 22,
     [[0.5] * 6 + [0.05] * 7 + [0.005] * 7 + [0.0005] * 2]),
    ({"mode": "max", "patience": 5, "cooldown": 5, "threshold_mode": "abs"},
     [-0.8] * 2 + [-0.234] * 20, 22, [[0.5] * (2 + 6) + [0.05] * (5 + 6) + [0.005] * 4]),
    ({"mode": "max", "patience": 3, "threshold_mode": "rel", "threshold": 0.1},
     [1.5 * (1.025**i) for i in range(20)], 20, [[0.5] * 20]),
    ({"mode": "max", "threshold_mode": "rel", "threshold": 0.1, "patience": 5, "cooldown": 5},
     [1.5 * (1.005**i) for i in range(20)], 20, [[0.5] * 6 + [0.05] * (5 + 6) + [0.005] * 4]),
    ({"threshold_mode": "rel", "threshold": 0.1},
     [1.5 * (0.85**i) for i in range(20)], 20, [[0.5] * 20]),
    ({"threshold_mode": "rel", "threshold": 0.1, "patience": 5, "cooldown": 5},
     [1] * 7 + [0.6] + [0.5] * 12, 20, [[0.5] * 6 + [0.05] * (5 + 6) + [0.005] * 4]),
    ({"mode": "max", "threshold_mode": "rel", "min_lr": [0.4, 0.3], "threshold": 0.1,
      "patience": 5, "cooldown": 5},
     [1.5 * (1.005**i) for i in range(20)], 20, [[0.5] * 6 + [0.4] * 14, [0.5] * 6 + [0.3] * 14]),
]  # fmt: skip


@pytest.mark.parametrize(("rules", "metrics", "epochs", "targets"), PYTORCH_CASES)
def test_pytorchs_own_reduce_on_plateau_cases(
    rules: dict, metrics: list[float], epochs: int, targets: list[list[float]]
) -> None:
    rules = dict(rules)
    floors = rules.pop("min_lr", [0.0, 0.0])  # PyTorch's per-group min_lr: a plateau per group
    optimizer = _optimizer([0.5, 0.5])
    schedules = [warmcos.plateau(warmcos.constant(0.5), **rules, min_lr=m) for m in floors]
    scheduler = LRScheduler(optimizer, schedules)
    for epoch in range(epochs):
        optimizer.step()
        scheduler.step()
        scheduler.report(metrics[epoch])
        for group, target in zip(optimizer.param_groups, targets * 2, strict=False):
            assert group["lr"] == pytest.approx(target[epoch], rel=1e-12), epoch
