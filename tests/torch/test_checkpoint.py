"""Checkpoints of the PyTorch adapter: plain data, weights_only loading, exact resume (issue 3).

A resumed run must give exactly (``==``) the learning rates and hyperparameters of a run that was
never interrupted, including when the checkpoint goes through ``torch.save`` /
``torch.load(weights_only=True)`` and the resume happens in a new Python process.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

import warmcos
from warmcos.torch import CosineAnnealingWarmupRestarts, LRScheduler

RESTARTS = warmcos.cosine_restarts(
    peak=0.2, first_cycle=12, floor=0.004, cycle_mult=1.5, gamma=0.8, warmup=3
)
BETA1 = warmcos.linear(start=0.85, end=0.95, steps=30)

# Most tests step schedulers without optimizer updates: PyTorch's call-order warning (tested in
# test_call_order_warning.py) does not concern them.
pytestmark = pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step:UserWarning")

# The runs of the resume tests, as source: executed here for the uninterrupted run and in new
# processes for save and resume, so all three build exactly the same objects.
RUNS = textwrap.dedent(
    """
    import torch
    import warmcos
    from warmcos.torch import CosineAnnealingWarmupRestarts, LRScheduler

    TOTAL = 60
    SAVE_AT = [0, 1, 2, 11, 12, 13, 29, 47]


    def build(name):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 1))
        if name == "lrscheduler":
            optimizer = torch.optim.AdamW(
                [
                    {"params": model[0].parameters(), "lr": 0.1},
                    {"params": model[1].parameters(), "lr": 0.025},
                ],
                betas=(0.9, 0.99),
            )
            schedule = warmcos.cosine_restarts(
                peak=0.2, first_cycle=5, floor=0.004, cycle_mult=1.5, gamma=0.8, warmup=1
            )
            scheduler = LRScheduler(
                optimizer,
                schedule,
                steps_per_unit=3,
                hyperparameters={
                    "betas[0]": warmcos.linear(start=0.85, end=0.95, steps=20),
                    "weight_decay": warmcos.cosine(peak=0.1, steps=20, floor=0.01),
                },
            )
        else:
            optimizer = torch.optim.SGD(
                [
                    {"params": model[0].parameters(), "lr": 0.01},
                    {"params": model[1].parameters(), "lr": 0.002},
                ],
                momentum=0.9,
            )
            scheduler = CosineAnnealingWarmupRestarts(
                optimizer, 10, cycle_mult=1.5, max_lr=0.1, min_lr=0.001, warmup_steps=3, gamma=0.9
            )
        return model, optimizer, scheduler


    def train_step(model, optimizer, scheduler, step):
        inputs = torch.linspace(-1, 1, 6).reshape(2, 3) * (1 + step % 5)
        loss = model(inputs).square().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()


    def record(model, optimizer):
        groups = [
            [float(g["lr"]), float(g["betas"][0]) if "betas" in g else None,
             float(g["weight_decay"])]
            for g in optimizer.param_groups
        ]
        params = [p.detach().flatten().tolist() for p in model.parameters()]
        return {"groups": groups, "params": params}


    def run(name, start, end, model, optimizer, scheduler):
        out = []
        for step in range(start, end):
            out.append(record(model, optimizer))
            train_step(model, optimizer, scheduler, step)
        return out
    """
)

SAVE = textwrap.dedent(
    """
    import sys, torch
    from runs import SAVE_AT, build, train_step
    directory = sys.argv[1]
    for name in ["lrscheduler", "seed"]:
        model, optimizer, scheduler = build(name)
        for step in range(max(SAVE_AT) + 1):
            if step in SAVE_AT:
                torch.save(
                    {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                     "scheduler": scheduler.state_dict()},
                    f"{directory}/{name}-{step}.pt",
                )
            train_step(model, optimizer, scheduler, step)
    """
)

RESUME = textwrap.dedent(
    """
    import json, sys, torch
    from runs import SAVE_AT, TOTAL, build, run
    directory = sys.argv[1]
    results = {}
    for name in ["lrscheduler", "seed"]:
        for step in SAVE_AT:
            model, optimizer, scheduler = build(name)
            checkpoint = torch.load(f"{directory}/{name}-{step}.pt", weights_only=True)
            model.load_state_dict(checkpoint["model"])
            optimizer.load_state_dict(checkpoint["optimizer"])
            scheduler.load_state_dict(checkpoint["scheduler"])
            results[f"{name}-{step}"] = run(name, step, TOTAL, model, optimizer, scheduler)
    print(json.dumps(results))
    """
)


def _optimizer(lrs: tuple[Any, ...] = (0.1, 0.025), **kwargs: Any) -> torch.optim.Optimizer:
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups, **kwargs)


def _lrs(optimizer: torch.optim.Optimizer) -> list[float]:
    return [float(group["lr"]) for group in optimizer.param_groups]


def _assert_plain(value: Any, path: str = "state") -> None:
    """Only None, bool, int, float, str, and lists / dicts (str keys) of them."""
    if value is None or type(value) in (bool, int, float, str):
        return
    if type(value) in (list, tuple):
        for i, item in enumerate(value):
            _assert_plain(item, f"{path}[{i}]")
        return
    assert type(value) is dict, f"{path} is a {type(value).__name__}"
    for key, item in value.items():
        assert type(key) is str, f"{path} has a key of type {type(key).__name__}"
        _assert_plain(item, f"{path}[{key!r}]")


def _schedulers() -> dict[str, LRScheduler]:
    tensor_lr = torch.optim.Adam(
        [torch.nn.Parameter(torch.zeros(1))], lr=torch.tensor(0.05), betas=(0.9, 0.99)
    )
    return {
        "ratio": LRScheduler(_optimizer(), RESTARTS),
        "absolute": LRScheduler(_optimizer(), RESTARTS, group_scaling="absolute"),
        "list": LRScheduler(_optimizer(), [RESTARTS, warmcos.cosine(peak=0.1, steps=50)]),
        "per_batch": LRScheduler(_optimizer(), RESTARTS, steps_per_unit=7),
        "tensor_lr_and_betas": LRScheduler(
            tensor_lr, RESTARTS, hyperparameters={"betas[0]": BETA1}
        ),
        "momentum": LRScheduler(
            _optimizer(momentum=0.9), RESTARTS, hyperparameters={"momentum": BETA1}
        ),
        "seed": CosineAnnealingWarmupRestarts(_optimizer(), 10, 1.5, 0.1, 0.001, 2, 0.9),
    }


@pytest.mark.parametrize("name", list(_schedulers()))
@pytest.mark.parametrize("moves", [[], [None] * 9, [None, 40, None, 3.5, None]])
def test_state_dict_is_plain_data_that_weights_only_loading_accepts(
    name: str, moves: list[float | None], tmp_path: Path
) -> None:
    scheduler = _schedulers()[name]
    for move in moves:
        scheduler.step(move)
    state = scheduler.state_dict()
    _assert_plain(state)
    json.dumps(state)
    path = tmp_path / "scheduler.pt"
    torch.save(state, path)
    assert torch.load(path, weights_only=True) == state


@pytest.mark.parametrize("name", list(_schedulers()))
@pytest.mark.parametrize("k", [0, 1, 3, 11, 12, 13, 29, 30, 31])
def test_resume_at_any_step_equals_the_uninterrupted_run(name: str, k: int, tmp_path: Path) -> None:
    def values(scheduler: LRScheduler) -> list[Any]:
        out = []
        for group in scheduler.optimizer.param_groups:
            out.append(
                [float(group["lr"]), group.get("momentum"), *map(float, group.get("betas", ()))]
            )
        return out

    uninterrupted = _schedulers()[name]
    original = _schedulers()[name]
    for _ in range(k):
        original.step()
    path = tmp_path / "scheduler.pt"
    torch.save(original.state_dict(), path)

    resumed = _schedulers()[name]
    resumed.step()  # a resumed scheduler may have moved already; the checkpoint decides
    resumed.load_state_dict(torch.load(path, weights_only=True))
    for _ in range(k):
        uninterrupted.step()
    for _ in range(40):
        assert values(resumed) == values(uninterrupted)
        assert [float(lr) for lr in resumed.get_last_lr()] == [
            float(lr) for lr in uninterrupted.get_last_lr()
        ]
        assert resumed.last_epoch == uninterrupted.last_epoch
        resumed.step()
        uninterrupted.step()


def test_resume_in_a_new_process_equals_the_uninterrupted_run(tmp_path: Path) -> None:
    (tmp_path / "runs.py").write_text(RUNS)
    env_path = str(tmp_path)
    for script in (SAVE,):
        done = subprocess.run(
            [sys.executable, "-c", script, env_path],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
    resumed = subprocess.run(
        [sys.executable, "-c", RESUME, env_path],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    results = json.loads(resumed.stdout)

    runs: dict[str, Any] = {"__name__": "runs"}
    exec(compile(RUNS, "runs.py", "exec"), runs)
    for name in ("lrscheduler", "seed"):
        model, optimizer, scheduler = runs["build"](name)
        uninterrupted = runs["run"](name, 0, runs["TOTAL"], model, optimizer, scheduler)
        lrs = {round(row["groups"][0][0], 12) for row in uninterrupted}
        assert len(lrs) > 20  # the schedule really moves over the run
        for step in runs["SAVE_AT"]:
            assert results[f"{name}-{step}"] == uninterrupted[step:], (name, step)


# -- load_state_dict ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(_schedulers()))
def test_load_state_dict_writes_the_lr_into_the_optimizer_at_once(name: str) -> None:
    original = _schedulers()[name]
    original.step(17)
    fresh = _schedulers()[name]
    before = _lrs(fresh.optimizer)
    fresh.load_state_dict(original.state_dict())
    assert _lrs(fresh.optimizer) == _lrs(original.optimizer) != before
    assert [float(v) for v in fresh.get_last_lr()] == _lrs(fresh.optimizer)


@pytest.mark.parametrize(
    ("other", "differing"),
    [
        (lambda o: LRScheduler(o, warmcos.cosine(peak=0.2, steps=50)), "schedules"),
        (lambda o: LRScheduler(o, RESTARTS, steps_per_unit=2), "steps_per_unit"),
        (lambda o: LRScheduler(o, RESTARTS, group_scaling="absolute"), "group_scaling"),
        (
            lambda o: LRScheduler(o, RESTARTS, hyperparameters={"momentum": BETA1}),
            "hyperparameters",
        ),
        (lambda o: CosineAnnealingWarmupRestarts(o, 10, 1.5, 0.1, 0.001, 2), "schedules"),
    ],
)
def test_a_checkpoint_of_a_differently_configured_scheduler_is_refused_unless_adopted(
    other: Any, differing: str
) -> None:
    source = other(_optimizer(momentum=0.9))
    source.step(23)
    state = source.state_dict()

    optimizer = _optimizer(momentum=0.9)
    target = LRScheduler(optimizer, RESTARTS)
    target.step(5)
    lrs, before = _lrs(optimizer), target.state_dict()
    with pytest.raises(ValueError, match=rf"(?s){differing}.*on_mismatch='adopt'"):
        target.load_state_dict(state)
    assert _lrs(optimizer) == lrs
    assert target.state_dict() == before

    optimizer = _optimizer(momentum=0.9)
    target = LRScheduler(optimizer, RESTARTS, on_mismatch="adopt")
    target.step(5)
    target.load_state_dict(state)
    assert target.state_dict() == state
    assert _lrs(optimizer) == _lrs(source.optimizer)
    for _ in range(30):
        target.step()
        source.step()
        assert _lrs(optimizer) == _lrs(source.optimizer)
        assert [g.get("momentum") for g in optimizer.param_groups] == [
            g.get("momentum") for g in source.optimizer.param_groups
        ]


def test_on_mismatch_is_the_one_switch_load_state_dict_takes_no_adopt_argument() -> None:
    # `adopt=` duplicated `on_mismatch`; one policy has one switch, set in the constructor.
    _, old = _cosine_run(100)
    _, new = _cosine_run(200)
    assert list(inspect.signature(new.load_state_dict).parameters) == ["state_dict"]
    with pytest.raises(TypeError, match="adopt"):
        new.load_state_dict(old.state_dict(), adopt=True)  # type: ignore[call-arg]


def test_state_dict_is_the_progress_plus_the_configuration() -> None:
    optimizer = _optimizer(momentum=0.9)
    scheduler = LRScheduler(
        optimizer, RESTARTS, steps_per_unit=4, hyperparameters={"momentum": BETA1}
    )
    for _ in range(6):
        scheduler.step()
    assert scheduler.state_dict() == {
        "last_step": 6,
        "step_count": 7,  # PyTorch's count of step() calls, the one at construction included
        "base_lrs": [0.1, 0.025],
        "steps_per_unit": 4,
        "group_scaling": "ratio",
        "schedules": [RESTARTS.to_dict()],
        "hyperparameters": {"momentum": BETA1.to_dict()},
    }


def test_a_state_that_is_not_a_warmcos_scheduler_state_is_refused() -> None:
    optimizer = _optimizer()
    torch_scheduler = torch.optim.lr_scheduler.StepLR(_optimizer(), step_size=3)
    scheduler = LRScheduler(optimizer, RESTARTS)
    with pytest.raises(ValueError, match="not a warmcos scheduler state"):
        scheduler.load_state_dict(torch_scheduler.state_dict())


def _cosine_run(steps: int, **options: Any) -> tuple[torch.optim.Optimizer, LRScheduler]:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    return optimizer, LRScheduler(optimizer, warmcos.cosine(peak=0.1, steps=steps), **options)


def test_on_mismatch_keep_takes_only_the_progress_from_a_checkpoint() -> None:
    # Extending a run: the checkpoint's schedule ends at 100, the new one at 200.
    _, old = _cosine_run(100)
    for _ in range(10):
        old.step()
    optimizer, longer = _cosine_run(200, on_mismatch="keep")
    longer.load_state_dict(old.state_dict())
    assert longer.schedules == [warmcos.cosine(peak=0.1, steps=200)]
    assert longer.last_epoch == 10
    assert optimizer.param_groups[0]["lr"] == warmcos.cosine(peak=0.1, steps=200)(10)


def test_on_mismatch_adopt_takes_the_checkpoint_configuration_without_an_argument() -> None:
    # Trainers call load_state_dict(state) with no options: the constructor decides.
    _, old = _cosine_run(100)
    for _ in range(10):
        old.step()
    optimizer, resumed = _cosine_run(200, on_mismatch="adopt")
    resumed.load_state_dict(old.state_dict())
    assert resumed.schedules == [warmcos.cosine(peak=0.1, steps=100)]
    assert optimizer.param_groups[0]["lr"] == warmcos.cosine(peak=0.1, steps=100)(10)


def test_on_mismatch_rejects_an_unknown_policy_before_touching_the_optimizer() -> None:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(
        ValueError, match=r"`on_mismatch` must be one of .*Received: on_mismatch='x'"
    ):
        LRScheduler(optimizer, warmcos.cosine(peak=0.1, steps=10), on_mismatch="x")
    assert "initial_lr" not in optimizer.param_groups[0]
