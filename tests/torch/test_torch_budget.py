"""Changing a PyTorch run's budget: `LRScheduler.change_budget` and ``on_mismatch="change_budget"``.

The references are written from the definition, not from warmcos' code: after a change at
position ``a`` from the old end ``E`` to the new end ``N``, a cosine is read at
``u = a + (t - a) * (E - a) / (N - a)`` (its rest stretched over the new remainder), so

    lr(t) = floor + (peak - floor) * (1 + cos(pi * u / E)) / 2      (no warm-up)

and it holds `floor` from ``N`` on. Runs go through real training loops: a plain loop with
``torch.save`` / ``torch.load(weights_only=True)``, PyTorch Lightning resumed with a larger
``max_steps``, and transformers' ``Trainer`` resumed with a larger ``max_steps`` or more epochs.
"""

from __future__ import annotations

import inspect
import math
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

import warmcos
from warmcos.torch import HorizonWarning, LRScheduler

pytestmark = pytest.mark.filterwarnings("error:Detected call of `lr_scheduler.step:UserWarning")

PEAK, FLOOR = 0.1, 0.002
IN_FEATURES = 4


def _cosine(steps: int) -> warmcos.Schedule:
    return warmcos.cosine(peak=PEAK, steps=steps, floor=FLOOR)


def _stretched_cosine(t: float, at: float, old_end: float, new_end: float) -> float:
    """The reference: a cosine ending at `old_end`, its rest from `at` re-timed to `new_end`."""
    if t >= new_end:
        return FLOOR
    u = t if t < at else at + (t - at) * (old_end - at) / (new_end - at)
    return FLOOR + (PEAK - FLOOR) * (1 + math.cos(math.pi * u / old_end)) / 2


def _optimizer(lrs: tuple[float, ...] = (1.0,)) -> torch.optim.Optimizer:
    groups = [{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups, momentum=0.9)


def _steps(optimizer: torch.optim.Optimizer, scheduler: LRScheduler, count: int) -> list[float]:
    """`count` updates; the LR of group 0 before each."""
    lrs = []
    for _ in range(count):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


@pytest.fixture(autouse=True)
def _no_horizon_warning() -> Iterator[None]:
    """Every run here is as long as its (changed) schedule: the horizon checks stay silent."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", HorizonWarning)
        yield


# -- LRScheduler.change_budget ----------------------------------------------------------------


def test_change_budget_continues_the_cosine_over_the_new_remainder_to_its_floor() -> None:
    optimizer = _optimizer()
    scheduler = LRScheduler(optimizer, _cosine(100))
    before = _steps(optimizer, scheduler, 40)
    scheduler.change_budget(200)
    after = _steps(optimizer, scheduler, 170)  # steps 40..209: past 200 it holds the floor
    lrs = before + after
    assert lrs[:40] == [_cosine(100)(t) for t in range(40)]
    assert lrs[40] == _cosine(100)(40)  # no jump: the change writes nothing
    for t, lr in enumerate(lrs):
        assert lr == pytest.approx(_stretched_cosine(t, 40, 100, 200), rel=1e-12), t
    assert lrs[199] > FLOOR and lrs[200:] == [FLOOR] * 10
    assert optimizer.param_groups[0]["lr"] == FLOOR
    assert scheduler.schedules[0].natural_end == 200


def test_change_budget_writes_nothing_and_the_next_step_follows_the_new_schedule() -> None:
    optimizer = _optimizer((1.0, 3.0))
    scheduler = LRScheduler(optimizer, _cosine(100))
    _steps(optimizer, scheduler, 30)
    groups = [dict(group) for group in optimizer.param_groups]
    last = scheduler.get_last_lr()
    scheduler.change_budget(60)  # shorter: the rest of the cosine squeezed into 30 steps
    assert [dict(group) for group in optimizer.param_groups] == groups
    assert scheduler.get_last_lr() == last and scheduler.last_step == 30
    optimizer.step()
    scheduler.step()
    expected = _stretched_cosine(31, 30, 100, 60)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(expected, rel=1e-12)
    assert optimizer.param_groups[1]["lr"] == pytest.approx(3 * expected, rel=1e-12)


def test_change_budget_at_a_later_position_leaves_the_values_until_then() -> None:
    optimizer = _optimizer()
    scheduler = LRScheduler(optimizer, _cosine(100))
    _steps(optimizer, scheduler, 20)
    scheduler.change_budget(150, at=50)
    lrs = _steps(optimizer, scheduler, 131)  # steps 20..150
    assert lrs[:31] == [_cosine(100)(t) for t in range(20, 51)]
    for t, lr in enumerate(lrs, start=20):
        assert lr == pytest.approx(_stretched_cosine(t, 50, 100, 150), rel=1e-12), t


def test_change_budget_is_in_schedule_units_with_steps_per_unit() -> None:
    # A cosine over 10 epochs of 4 batches, changed after 12 batches (epoch 3) to 20 epochs.
    optimizer = _optimizer()
    scheduler = LRScheduler(optimizer, _cosine(10), steps_per_unit=4)
    _steps(optimizer, scheduler, 12)
    assert scheduler.position == 3
    scheduler.change_budget(20)
    lrs = _steps(optimizer, scheduler, 70)  # batches 12..81, epochs 3..20.25
    for batch, lr in enumerate(lrs, start=12):
        assert lr == pytest.approx(_stretched_cosine(batch / 4, 3, 10, 20), rel=1e-12), batch
    assert lrs[-1] == FLOOR


def test_change_budget_keeps_a_warmup_and_lets_a_wsd_plateau_absorb_the_change() -> None:
    wsd = warmcos.wsd(peak=PEAK, steps=100, warmup=10, decay=20, floor=FLOOR)
    optimizer = _optimizer()
    scheduler = LRScheduler(optimizer, wsd)
    _steps(optimizer, scheduler, 5)  # inside the warm-up
    scheduler.change_budget(300)
    lrs = _steps(optimizer, scheduler, 296)  # steps 5..300
    assert lrs[:6] == [wsd(t) for t in range(5, 11)]  # the warm-up keeps its length
    assert set(lrs[5:276]) == {PEAK}  # the plateau runs to 280 instead of 80
    # The decay keeps its 20 steps: step 280 + k reads the old decay at 80 + k.
    assert lrs[275:] == pytest.approx([wsd(80 + k) for k in range(21)], rel=1e-12)


def test_change_budget_changes_the_hyperparameter_schedules_that_end_later() -> None:
    momentum = warmcos.cosine(peak=0.95, steps=100, floor=0.85)  # ends after the change
    over = warmcos.linear(0.0, 0.01, 10)  # weight decay: already over at the change
    forever = warmcos.cosine_restarts(peak=0.99, first_cycle=10, floor=0.9)  # never settles
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(2))], lr=1.0)
    scheduler = LRScheduler(
        optimizer,
        _cosine(100),
        hyperparameters={"betas[0]": momentum, "weight_decay": over, "betas[1]": forever},
    )
    _steps(optimizer, scheduler, 40)
    scheduler.change_budget(200)
    kept = {key: item[2] for key, item in scheduler.hyperparameters.items()}
    assert kept["weight_decay"] is over and kept["betas[1]"] is forever
    assert kept["betas[0]"] == warmcos.change_budget(momentum, at=40, steps=200)
    _steps(optimizer, scheduler, 60)  # to step 100: u = 40 + 60 * 60 / 160
    assert optimizer.param_groups[0]["betas"][0] == pytest.approx(momentum(62.5), rel=1e-12)


def test_change_budget_changes_one_schedule_per_group() -> None:
    first, second = _cosine(100), warmcos.wsd(peak=0.05, steps=80, warmup=0, decay=10)
    optimizer = _optimizer((1.0, 1.0))
    scheduler = LRScheduler(optimizer, [first, second])
    _steps(optimizer, scheduler, 20)
    scheduler.change_budget(120)
    assert scheduler.schedules == [
        warmcos.change_budget(first, at=20, steps=120),
        warmcos.change_budget(second, at=20, steps=120),
    ]


def _snapshot(optimizer: torch.optim.Optimizer, scheduler: LRScheduler) -> Any:
    return (scheduler.state_dict(), [dict(group) for group in optimizer.param_groups])


@pytest.mark.parametrize(
    ("schedule", "arguments", "error", "match"),
    [
        (_cosine(100), {"steps": 20}, ValueError, r"`steps` must be > `at`.*steps=20, at=40"),
        (_cosine(100), {"steps": 40}, ValueError, r"`steps` must be > `at`"),
        (_cosine(100), {"steps": 300, "at": 10}, ValueError, r"`at` must be >= the current "),
        (_cosine(100), {"steps": -5}, ValueError, r"`steps` must be > 0. Received: steps=-5"),
        (_cosine(100), {"steps": "200"}, TypeError, r"`steps` must be a real number"),
        (_cosine(100), {"steps": 200, "at": math.nan}, ValueError, r"`at` must be finite"),
        (_cosine(30), {"steps": 200}, ValueError, r"`schedule` ends at 30.*Received: at=40"),
        (
            warmcos.cosine_restarts(peak=0.1, first_cycle=10),
            {"steps": 200},
            ValueError,
            r"`at` must be before the natural end .*`schedule` never settles",
        ),
    ],
)
def test_a_refused_change_changes_nothing(
    schedule: warmcos.Schedule, arguments: dict[str, Any], error: type, match: str
) -> None:
    optimizer = _optimizer()
    scheduler = LRScheduler(optimizer, schedule)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HorizonWarning)  # the 30-step cosine is over at 40
        _steps(optimizer, scheduler, 40)
    before = _snapshot(optimizer, scheduler)
    with pytest.raises(error, match=rf"^LRScheduler.change_budget\(\): (?s:.*){match}"):
        scheduler.change_budget(**arguments)
    assert _snapshot(optimizer, scheduler) == before


def test_a_refused_group_schedule_is_named_and_no_group_changes() -> None:
    optimizer = _optimizer((1.0, 1.0))
    forever = warmcos.step(0.1, step_size=10, gamma=0.5)
    scheduler = LRScheduler(optimizer, [_cosine(100), forever])
    _steps(optimizer, scheduler, 5)
    before = _snapshot(optimizer, scheduler)
    with pytest.raises(ValueError, match=r"`schedules\[1\]` never settles"):
        scheduler.change_budget(200)
    assert _snapshot(optimizer, scheduler) == before


def test_a_change_nested_deeper_than_the_core_allows_is_refused_and_changes_nothing() -> None:
    # Each change nests the schedule once more; the core bounds the depth (so that every
    # checkpoint loads again), and the refusal names the schedule and leaves the run as it was.
    optimizer = _optimizer()
    scheduler = LRScheduler(optimizer, _cosine(10**6))
    for count in range(1, 1000):
        _steps(optimizer, scheduler, 1)
        before = _snapshot(optimizer, scheduler)
        try:
            scheduler.change_budget(10**6 + count)
        except ValueError as error:
            assert re.match(
                r"LRScheduler.change_budget\(\): the budget of `schedule` cannot "
                r"change\. .*nested at most \d+ deep",
                str(error),
            ), error
            break
    else:
        pytest.fail("no depth limit")
    assert _snapshot(optimizer, scheduler) == before
    LRScheduler(_optimizer(), _cosine(10**6), on_mismatch="adopt").load_state_dict(before[0])


def test_a_checkpoint_after_change_budget_resumes_exactly(tmp_path: Path) -> None:
    optimizer = _optimizer()
    scheduler = LRScheduler(optimizer, _cosine(100))
    _steps(optimizer, scheduler, 40)
    scheduler.change_budget(200)
    _steps(optimizer, scheduler, 20)
    torch.save(scheduler.state_dict(), tmp_path / "scheduler.pt")
    rest = _steps(optimizer, scheduler, 150)

    state = torch.load(tmp_path / "scheduler.pt", weights_only=True)
    assert state["schedules"] == [warmcos.change_budget(_cosine(100), 40, 200).to_dict()]
    optimizer = _optimizer()
    # Made with the changed schedule, as a run resumed from its own config would be.
    resumed = LRScheduler(optimizer, warmcos.from_dict(state["schedules"][0]))
    resumed.load_state_dict(state)
    assert _steps(optimizer, resumed, 150) == rest


# -- on_mismatch="change_budget": a run resumed with another total ----------------------------


def _train(
    optimizer: torch.optim.Optimizer, scheduler: LRScheduler, steps: range, model: Any = None
) -> list[float]:
    """A plain training loop over `steps`; the LR of each update."""
    model = model or torch.nn.Linear(IN_FEATURES, 1)
    lrs = []
    for step in steps:
        generator = torch.Generator().manual_seed(step)
        x = torch.randn(8, IN_FEATURES, generator=generator)
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(model(x), x.sum(dim=1, keepdim=True)).backward()
        optimizer.step()
        scheduler.step()
    return lrs


def test_a_plain_loop_resumed_with_a_larger_total_continues_without_a_jump(
    tmp_path: Path,
) -> None:
    torch.manual_seed(0)
    model = torch.nn.Linear(IN_FEATURES, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1.0)
    scheduler = LRScheduler(optimizer, _cosine(100))  # planned for 100 steps
    before = _train(optimizer, scheduler, range(40), model)
    lr_at_save = optimizer.param_groups[0]["lr"]  # what update 40 would have used
    torch.save(
        {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "sched": scheduler.state_dict(),
        },
        tmp_path / "checkpoint.pt",
    )

    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    model = torch.nn.Linear(IN_FEATURES, 1)
    model.load_state_dict(checkpoint["model"])
    optimizer = torch.optim.AdamW(model.parameters(), lr=1.0)
    optimizer.load_state_dict(checkpoint["optimizer"])
    # The resumed job is configured for 200 steps, as its config now says.
    resumed = LRScheduler(optimizer, _cosine(200), on_mismatch="change_budget")
    resumed.load_state_dict(checkpoint["sched"])
    assert optimizer.param_groups[0]["lr"] == lr_at_save == _cosine(100)(40)
    after = _train(optimizer, resumed, range(40, 200), model)

    assert before == [_cosine(100)(t) for t in range(40)]
    assert after[0] == lr_at_save  # the resume step: no jump
    for t, lr in enumerate(before + after):
        assert lr == pytest.approx(_stretched_cosine(t, 40, 100, 200), rel=1e-12), t
    steps = [b - a for a, b in zip(before + after, (before + after)[1:], strict=False)]
    assert max(abs(d) for d in steps) < 0.005  # a smooth curve, at most a planned step's size
    assert optimizer.param_groups[0]["lr"] == FLOOR  # at step 200, the floor
    assert resumed.schedules == [warmcos.change_budget(_cosine(100), at=40, steps=200)]


def _checkpoint_at(steps: int, schedule: warmcos.Schedule, **options: Any) -> dict[str, Any]:
    optimizer = _optimizer()
    scheduler = LRScheduler(optimizer, schedule, **options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HorizonWarning)
        _steps(optimizer, scheduler, steps)
    return scheduler.state_dict()


def _resume(
    state: dict[str, Any], schedule: Any, **options: Any
) -> tuple[torch.optim.Optimizer, LRScheduler]:
    optimizer = _optimizer()
    scheduler = LRScheduler(optimizer, schedule, on_mismatch="change_budget", **options)
    scheduler.load_state_dict(state)
    return optimizer, scheduler


def test_resuming_with_a_shorter_total_squeezes_the_rest() -> None:
    optimizer, scheduler = _resume(_checkpoint_at(40, _cosine(100)), _cosine(70))
    lrs = _steps(optimizer, scheduler, 31)  # steps 40..70
    for t, lr in enumerate(lrs, start=40):
        assert lr == pytest.approx(_stretched_cosine(t, 40, 100, 70), rel=1e-12), t


def test_resuming_a_wsd_with_more_steps_extends_the_plateau() -> None:
    def wsd(steps: int) -> warmcos.Schedule:
        return warmcos.wsd(peak=PEAK, steps=steps, warmup=0.05, decay=0.2, floor=FLOOR)

    optimizer, scheduler = _resume(_checkpoint_at(30, wsd(100)), wsd(300))
    assert scheduler.schedules == [warmcos.change_budget(wsd(100), at=30, steps=300)]
    lrs = _steps(optimizer, scheduler, 271)  # steps 30..300
    # The old decay (the last 20 steps of 100) keeps its length: it now starts at 280.
    assert set(lrs[:250]) == {PEAK}
    assert lrs[250:] == pytest.approx([wsd(100)(80 + k) for k in range(21)], rel=1e-12)


def test_a_resumed_run_resumed_again_with_its_own_total_is_a_plain_resume() -> None:
    first = _checkpoint_at(40, _cosine(100))
    optimizer, scheduler = _resume(first, _cosine(200))
    _steps(optimizer, scheduler, 30)
    second = scheduler.state_dict()  # a ChangedBudget ending at 200
    optimizer, again = _resume(second, _cosine(200))  # the same job config again
    assert again.schedules == scheduler.schedules  # taken as it is, not re-timed once more
    # ... and with yet another total, the changed schedule is re-timed again.
    optimizer, longer = _resume(second, _cosine(400))
    changed = warmcos.change_budget(_cosine(100), at=40, steps=200)
    assert longer.schedules == [warmcos.change_budget(changed, at=70, steps=400)]
    assert optimizer.param_groups[0]["lr"] == changed(70)


def test_change_budget_policy_with_the_same_configuration_is_a_plain_resume() -> None:
    state = _checkpoint_at(40, _cosine(100))
    optimizer, scheduler = _resume(state, _cosine(100))
    assert scheduler.schedules == [_cosine(100)]
    assert _steps(optimizer, scheduler, 60) == [_cosine(100)(t) for t in range(40, 100)]


def test_change_budget_policy_re_times_the_hyperparameter_schedules_too() -> None:
    def momentum(steps: int) -> warmcos.Schedule:
        return warmcos.cosine(peak=0.95, steps=steps, floor=0.85)

    state = _checkpoint_at(40, _cosine(100), hyperparameters={"momentum": momentum(100)})
    optimizer, scheduler = _resume(state, _cosine(200), hyperparameters={"momentum": momentum(200)})
    assert scheduler.hyperparameters["momentum"][2] == warmcos.change_budget(
        momentum(100), at=40, steps=200
    )
    assert optimizer.param_groups[0]["momentum"] == momentum(100)(40)


def test_change_budget_policy_works_in_schedule_units() -> None:
    state = _checkpoint_at(12, _cosine(10), steps_per_unit=4)  # epoch 3 of 10
    optimizer, scheduler = _resume(state, _cosine(20), steps_per_unit=4)
    lrs = _steps(optimizer, scheduler, 69)  # batches 12..80
    for batch, lr in enumerate(lrs, start=12):
        assert lr == pytest.approx(_stretched_cosine(batch / 4, 3, 10, 20), rel=1e-12), batch


@pytest.mark.parametrize(
    ("checkpoint", "here", "options", "match"),
    [
        # Another peak: which one to follow is unclear.
        (
            _cosine(100),
            warmcos.cosine(peak=0.2, steps=200, floor=FLOOR),
            {},
            r"`schedule` must be "
            r"the checkpoint's schedule with other lengths only.*peak=0.2",
        ),
        # Another kind of schedule.
        (
            _cosine(100),
            warmcos.wsd(peak=PEAK, steps=200, warmup=0, decay=0.2, floor=FLOOR),
            {},
            r"other lengths only",
        ),
        # Restarts that never settle have no budget.
        (
            warmcos.cosine_restarts(peak=0.1, first_cycle=30),
            warmcos.cosine_restarts(peak=0.1, first_cycle=60),
            {},
            r"`schedule` must settle at a natural end",
        ),
        # The checkpoint's schedule is over: nothing left to re-time.
        (_cosine(30), _cosine(200), {}, r"position 40 must be before the end 30.0"),
        # The new total ends before the checkpoint.
        (_cosine(100), _cosine(35), {}, r"must end after the checkpoint's position 40.*end 35"),
        # Another steps_per_unit or group scaling is more than a budget.
        (_cosine(100), _cosine(200), {"steps_per_unit": 2}, r"`steps_per_unit` must be this"),
        (
            _cosine(100),
            _cosine(200),
            {"hyperparameters": {"momentum": _cosine(200)}},
            r"`hyperparameters` must schedule the keys this scheduler does \(\['momentum'\]\)",
        ),
    ],
)
def test_change_budget_policy_refuses_what_is_not_a_budget_and_changes_nothing(
    checkpoint: warmcos.Schedule, here: warmcos.Schedule, options: dict[str, Any], match: str
) -> None:
    state = _checkpoint_at(40, checkpoint)
    optimizer = _optimizer()
    scheduler = LRScheduler(optimizer, here, on_mismatch="change_budget", **options)
    before = _snapshot(optimizer, scheduler)
    with pytest.raises(ValueError, match=rf"^LRScheduler.load_state_dict\(\): (?s:.*){match}"):
        scheduler.load_state_dict(state)
    assert _snapshot(optimizer, scheduler) == before


def test_the_refusal_of_a_differing_checkpoint_names_the_change_budget_policy() -> None:
    state = _checkpoint_at(40, _cosine(100))
    scheduler = LRScheduler(_optimizer(), _cosine(200))
    with pytest.raises(ValueError, match=r"on_mismatch='change_budget' to continue the checkpoint"):
        scheduler.load_state_dict(state)


# -- PyTorch Lightning: resume with a larger max_steps ----------------------------------------


def _data(count: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(count, IN_FEATURES, generator=generator)
    return x, torch.sin(x.sum(dim=1, keepdim=True))


def _lightning_fit(
    root: Path, max_steps: int, *, ckpt_path: Path | None = None, every: int | None = None
) -> tuple[list[tuple[int, float]], Any]:
    """Fit with a cosine planned for `max_steps`; (global_step, LR) at each batch start."""
    lightning = pytest.importorskip("lightning")

    class Regressor(lightning.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            torch.manual_seed(0)
            self.net = torch.nn.Linear(IN_FEATURES, 1)

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            x, y = batch
            return torch.nn.functional.mse_loss(self.net(x), y)

        def configure_optimizers(self) -> dict[str, Any]:
            optimizer = torch.optim.SGD(self.parameters(), lr=1.0, momentum=0.9)
            # The job's config: a cosine over the trainer's max_steps.
            scheduler = LRScheduler(
                optimizer, _cosine(self.trainer.max_steps), on_mismatch="change_budget"
            )
            return {
                "optimizer": optimizer,
                "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
            }

    records: list[tuple[int, float]] = []

    class RecordLR(lightning.Callback):
        def on_train_batch_start(self, trainer: Any, *args: Any) -> None:
            records.append((trainer.global_step, trainer.optimizers[0].param_groups[0]["lr"]))

    callbacks: list[Any] = [RecordLR()]
    if every is not None:
        callbacks.append(
            lightning.pytorch.callbacks.ModelCheckpoint(
                dirpath=root, every_n_train_steps=every, save_top_k=-1, filename="{step}"
            )
        )
    trainer = lightning.Trainer(
        accelerator="cpu",
        devices=1,
        max_steps=max_steps,
        logger=False,
        enable_checkpointing=every is not None,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=callbacks,
        default_root_dir=root,
    )
    x, y = _data()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=4)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*(mid-epoch|num_workers|does not have many)")
        options: dict[str, Any] = {}
        if ckpt_path is not None and "weights_only" in inspect.signature(trainer.fit).parameters:
            options["weights_only"] = True  # Lightning >= 2.6: the checkpoint is plain data
        trainer.fit(Regressor(), loader, ckpt_path=ckpt_path, **options)
    return records, trainer


def test_lightning_resume_with_a_larger_max_steps_continues_without_a_jump(
    tmp_path: Path,
) -> None:
    # A run planned for 40 steps writes a checkpoint at step 16 (its job is then stopped) ...
    first, _ = _lightning_fit(tmp_path / "first", 40, every=16)
    checkpoint = tmp_path / "first" / "step=16.ckpt"
    assert checkpoint.is_file()
    # ... and is resumed with max_steps=80 and a scheduler built for 80.
    rest, trainer = _lightning_fit(tmp_path / "rest", 80, ckpt_path=checkpoint)

    assert [step for step, _ in first] == list(range(40))
    assert [lr for _, lr in first] == [_cosine(40)(t) for t in range(40)]
    assert [step for step, _ in rest] == list(range(16, 80))
    assert rest[0][1] == first[16][1]  # the resume step uses what the first run used there
    for step, lr in rest:
        assert lr == pytest.approx(_stretched_cosine(step, 16, 40, 80), rel=1e-12), step
    scheduler = trainer.lr_scheduler_configs[0].scheduler
    assert scheduler.schedules == [warmcos.change_budget(_cosine(40), at=16, steps=80)]
    assert scheduler.last_step == 80
    assert trainer.optimizers[0].param_groups[0]["lr"] == FLOOR


# -- transformers' Trainer: resume with a larger max_steps, or more epochs --------------------


class _TinyRegressor(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = torch.nn.Linear(IN_FEATURES, 1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> dict[str, Any]:
        out = self.net(x)
        if labels is None:
            return {"logits": out}
        return {"loss": torch.nn.functional.mse_loss(out, labels), "logits": out}


def _transformers_train(
    output: Path,
    *,
    max_steps: int = -1,
    epochs: float = 1,
    save_steps: int | None = None,
    resume: Path | None = None,
    create_scheduler: bool = False,
) -> tuple[list[tuple[int, float]], Any]:
    """Train 16 batches per epoch with a cosine over the planned steps; (step, LR) per update.

    The scheduler is passed in ``optimizers=`` (built for `max_steps`), or, with
    `create_scheduler`, built by the trainer's ``create_scheduler`` for the steps it plans.
    """
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("accelerate")

    records: list[tuple[int, float]] = []

    class RecordLR(transformers.TrainerCallback):
        def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            records.append((state.global_step, kwargs["optimizer"].param_groups[0]["lr"]))

    class WarmcosTrainer(transformers.Trainer):
        def create_scheduler(self, num_training_steps: int, optimizer: Any = None) -> Any:
            if self.lr_scheduler is None:
                self.lr_scheduler = LRScheduler(
                    optimizer or self.optimizer,
                    _cosine(num_training_steps),
                    on_mismatch="change_budget",
                )
            return self.lr_scheduler

    x, y = _data()
    model = _TinyRegressor()
    optimizers: Any = (None, None)
    if not create_scheduler:
        optimizer = torch.optim.AdamW(model.parameters(), lr=1.0)
        optimizers = (
            optimizer,
            LRScheduler(optimizer, _cosine(max_steps), on_mismatch="change_budget"),
        )
    args = transformers.TrainingArguments(
        output_dir=str(output),
        max_steps=max_steps,
        num_train_epochs=epochs,
        learning_rate=1.0,
        per_device_train_batch_size=4,
        report_to="none",
        use_cpu=True,
        save_strategy="no" if save_steps is None else "steps",
        save_steps=save_steps or 500,
        logging_strategy="no",
        disable_tqdm=True,
        dataloader_num_workers=0,
        seed=0,
    )
    trainer = (WarmcosTrainer if create_scheduler else transformers.Trainer)(
        model=model,
        args=args,
        train_dataset=[{"x": x[i], "labels": y[i]} for i in range(len(x))],
        optimizers=optimizers,
        callbacks=[RecordLR()],
    )
    trainer.train(resume_from_checkpoint=None if resume is None else str(resume))
    return records, trainer


def test_transformers_resume_with_a_larger_max_steps_continues_without_a_jump(
    tmp_path: Path,
) -> None:
    first, _ = _transformers_train(tmp_path, max_steps=36, save_steps=20)
    checkpoint = tmp_path / "checkpoint-20"
    assert (checkpoint / "scheduler.pt").is_file()
    rest, trainer = _transformers_train(tmp_path, max_steps=60, resume=checkpoint)

    assert [lr for _, lr in first] == [_cosine(36)(t) for t in range(36)]
    assert [step for step, _ in rest] == list(range(20, 60))
    assert rest[0] == first[20]  # the resume step: the LR the first run used there
    for step, lr in rest:
        assert lr == pytest.approx(_stretched_cosine(step, 20, 36, 60), rel=1e-12), step
    assert trainer.lr_scheduler.schedules == [warmcos.change_budget(_cosine(36), 20, 60)]
    assert trainer.optimizer.param_groups[0]["lr"] == FLOOR


def test_transformers_resume_with_more_epochs_through_create_scheduler(tmp_path: Path) -> None:
    # 16 updates per epoch: 2 epochs plan 32 steps, 4 epochs 64; the checkpoint is at step 24.
    first, _ = _transformers_train(tmp_path, epochs=2, save_steps=24, create_scheduler=True)
    checkpoint = tmp_path / "checkpoint-24"
    rest, trainer = _transformers_train(
        tmp_path, epochs=4, resume=checkpoint, create_scheduler=True
    )

    assert [lr for _, lr in first] == [_cosine(32)(t) for t in range(32)]
    assert [step for step, _ in rest] == list(range(24, 64))
    assert rest[0] == first[24]
    for step, lr in rest:
        assert lr == pytest.approx(_stretched_cosine(step, 24, 32, 64), rel=1e-12), step
    assert trainer.lr_scheduler.schedules[0].natural_end == 64
