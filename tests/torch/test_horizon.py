"""The horizon guard of `warmcos.torch.LRScheduler`: `HorizonWarning`.

A scheduler stepped past its schedule's end by more than 5% (at least one step) warns once, with
the numbers; under PyTorch Lightning or transformers' ``Trainer`` its first step compares the
schedule's end with the trainer's planned steps. ``check_horizon=False`` turns both off. Also the
two questions the guard asks of a schedule, through its segments only: where its decay ends
(`decay_end`) and whether another schedule is it with other lengths (`same_shape`).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

import warmcos
from warmcos.torch import HorizonWarning, LRScheduler
from warmcos.torch.horizon import decay_end, planned_steps, same_shape

pytestmark = pytest.mark.filterwarnings("error:Detected call of `lr_scheduler.step:UserWarning")


def _optimizer() -> torch.optim.Optimizer:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=1.0)


def _horizon_warnings(scheduler: LRScheduler, optimizer: Any, steps: int) -> list[tuple[int, str]]:
    """Step `steps` times; (step reached, message) of each HorizonWarning."""
    caught = []
    for _ in range(steps):
        optimizer.step()
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            scheduler.step()
        caught += [(scheduler.last_step, str(w.message)) for w in record]
        assert all(w.category is HorizonWarning for w in record)
    return caught


# -- stepped past the end ---------------------------------------------------------------------


def test_the_past_the_end_warning_fires_once_past_the_margin_with_the_numbers() -> None:
    optimizer = _optimizer()
    scheduler = LRScheduler(optimizer, warmcos.cosine(peak=0.1, steps=100, floor=0.001))
    caught = _horizon_warnings(scheduler, optimizer, 105)  # to step 105: within 5%
    assert caught == []
    caught = _horizon_warnings(scheduler, optimizer, 300)
    assert [step for step, _ in caught] == [106]
    message = caught[0][1]
    assert "stepped to step 106, past its schedule's end at step 100 by 6 steps (6%)" in message
    assert "final value (0.001)" in message
    assert "steps_per_unit" in message and "check_horizon=False" in message


def test_the_margin_is_at_least_one_step() -> None:
    optimizer = _optimizer()
    scheduler = LRScheduler(optimizer, warmcos.cosine(peak=0.1, steps=10))
    assert _horizon_warnings(scheduler, optimizer, 11) == []  # step 11: one step past
    assert [step for step, _ in _horizon_warnings(scheduler, optimizer, 5)] == [12]


def test_the_end_is_counted_in_steps_with_steps_per_unit() -> None:
    # 3 epochs of 10 batches: the end is step 30, the margin 1.5 steps.
    optimizer = _optimizer()
    scheduler = LRScheduler(optimizer, warmcos.cosine(peak=0.1, steps=3), steps_per_unit=10)
    assert _horizon_warnings(scheduler, optimizer, 31) == []
    caught = _horizon_warnings(scheduler, optimizer, 1)
    assert [step for step, _ in caught] == [32]
    assert "end at step 30 (natural end 3 x steps_per_unit 10)" in caught[0][1]


def test_a_jump_past_the_end_warns_and_so_does_the_first_step_after_loading_one() -> None:
    optimizer = _optimizer()
    scheduler = LRScheduler(optimizer, warmcos.cosine(peak=0.1, steps=50))
    optimizer.step()
    with pytest.warns(
        HorizonWarning, match="stepped to step 80, past its schedule's end at step 50"
    ):
        scheduler.step(80)
    state = scheduler.state_dict()
    resumed = LRScheduler(_optimizer(), warmcos.cosine(peak=0.1, steps=50))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resumed.load_state_dict(state)  # loading is not a step of the run: no warning
    with pytest.warns(HorizonWarning, match="stepped to step 81"):
        resumed.step()


@pytest.mark.parametrize(
    "schedule",
    [
        warmcos.constant(0.1),
        warmcos.join([warmcos.linear(0.0, 0.1, 10), warmcos.constant(0.1)], [10]),  # warm-up
        warmcos.multistep(0.1, [30, 60, 80], 0.1),  # the last level is meant to be kept
        warmcos.step(0.1, step_size=10, gamma=0.5),
        warmcos.cosine_restarts(peak=0.1, first_cycle=10),
        warmcos.exponential(0.1, 0.99),
    ],
    ids=["constant", "warmup-constant", "multistep", "step", "restarts", "exponential"],
)
def test_schedules_without_a_decay_end_never_warn(schedule: warmcos.Schedule) -> None:
    optimizer = _optimizer()
    scheduler = LRScheduler(optimizer, schedule)
    assert _horizon_warnings(scheduler, optimizer, 300) == []


def test_one_schedule_per_group_warns_past_the_latest_end() -> None:
    optimizer = torch.optim.SGD(
        [{"params": [torch.nn.Parameter(torch.zeros(1))]} for _ in range(3)], lr=1.0
    )
    schedules = [
        warmcos.cosine(peak=0.1, steps=20),
        warmcos.cosine(peak=0.1, steps=40),
        warmcos.constant(0.01),
    ]
    scheduler = LRScheduler(optimizer, schedules)
    assert [step for step, _ in _horizon_warnings(scheduler, optimizer, 50)] == [43]


def test_change_budget_moves_the_end_the_warning_looks_for() -> None:
    optimizer = _optimizer()
    scheduler = LRScheduler(optimizer, warmcos.cosine(peak=0.1, steps=100))
    assert _horizon_warnings(scheduler, optimizer, 50) == []
    scheduler.change_budget(200)  # the end moves from 100 to 200: the margin to 10 steps
    assert _horizon_warnings(scheduler, optimizer, 160) == []  # to step 210
    assert [step for step, _ in _horizon_warnings(scheduler, optimizer, 10)] == [211]


# -- the switch -------------------------------------------------------------------------------


def test_check_horizon_false_turns_the_warning_off() -> None:
    optimizer = _optimizer()
    scheduler = LRScheduler(optimizer, warmcos.cosine(peak=0.1, steps=10), check_horizon=False)
    assert scheduler.check_horizon is False
    assert _horizon_warnings(scheduler, optimizer, 100) == []


def test_check_horizon_can_be_switched_during_a_run() -> None:
    optimizer = _optimizer()
    scheduler = LRScheduler(optimizer, warmcos.cosine(peak=0.1, steps=10))
    scheduler.check_horizon = False
    assert _horizon_warnings(scheduler, optimizer, 30) == []
    scheduler.check_horizon = True
    assert [step for step, _ in _horizon_warnings(scheduler, optimizer, 5)] == [31]


def test_the_warning_can_be_filtered_by_its_category() -> None:
    assert issubclass(HorizonWarning, UserWarning)
    optimizer = _optimizer()
    scheduler = LRScheduler(optimizer, warmcos.cosine(peak=0.1, steps=10))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=HorizonWarning)
        for _ in range(30):
            optimizer.step()
            scheduler.step()
    assert record == []


@pytest.mark.parametrize("value", [1, "no", None])
def test_check_horizon_must_be_a_bool(value: Any) -> None:
    optimizer = _optimizer()
    groups = [dict(group) for group in optimizer.param_groups]
    with pytest.raises(TypeError, match=r"`check_horizon` must be True or False. Received: "):
        LRScheduler(optimizer, warmcos.cosine(peak=0.1, steps=10), check_horizon=value)
    assert [dict(group) for group in optimizer.param_groups] == groups
    scheduler = LRScheduler(optimizer, warmcos.cosine(peak=0.1, steps=10))
    with pytest.raises(TypeError, match=r"`value` must be True or False"):
        scheduler.check_horizon = value
    assert scheduler.check_horizon is True


def test_the_warning_points_at_the_callers_line() -> None:
    optimizer = _optimizer()
    scheduler = LRScheduler(optimizer, warmcos.cosine(peak=0.1, steps=1))
    optimizer.step()
    with pytest.warns(HorizonWarning) as record:
        scheduler.step(5)
    assert record[0].filename == __file__


def test_pytorchs_first_step_check_still_runs_with_the_horizon_checks_off() -> None:
    # step() shares its one comparison between PyTorch's call-order check and the horizon's.
    optimizer = _optimizer()
    scheduler = LRScheduler(optimizer, warmcos.cosine(peak=0.1, steps=10), check_horizon=False)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before"):
        scheduler.step()


def test_steps_beyond_any_threshold_still_warn_once() -> None:
    optimizer = _optimizer()
    scheduler = LRScheduler(optimizer, warmcos.cosine(peak=0.1, steps=40), last_step=2**100)
    caught = _horizon_warnings(scheduler, optimizer, 3)
    assert len(caught) == 1 and f"stepped to step {float(2**100 + 2):g}" in caught[0][1]


# -- what the guard reads from a schedule -----------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "end"),
    [
        (warmcos.cosine(peak=1.0, steps=100, warmup=10, floor=0.1), 100.0),
        (warmcos.wsd(peak=1.0, steps=200, warmup=10, decay=0.1), 200.0),
        (warmcos.linear(1.0, 0.1, 50), 50.0),
        (warmcos.cosine_restarts(peak=1.0, first_cycle=10, cycle_mult=2.0, max_cycles=3), 70.0),
        (warmcos.change_budget(warmcos.cosine(peak=1.0, steps=100), at=30, steps=300), 300.0),
        (warmcos.decay_now(warmcos.constant(1.0), at=40, decay=10, floor=0.0), 50.0),
        (warmcos.constant(1.0), None),
        (warmcos.linear(0.0, 1.0, 50), None),  # a rise
        (warmcos.multistep(1.0, [10, 20], 0.5), None),  # ends with a drop
        (warmcos.cosine(peak=1.0, steps=100, floor=1.0), None),  # flat
        (warmcos.cosine_restarts(peak=1.0, first_cycle=10), None),  # never settles
    ],
)
def test_decay_end_is_where_a_decay_meets_the_held_value(
    schedule: warmcos.Schedule, end: float | None
) -> None:
    assert decay_end(schedule) == end


@pytest.mark.parametrize(
    ("old", "new", "same"),
    [
        ("cosine(peak=1.0, steps=100)", "cosine(peak=1.0, steps=300)", True),
        ("cosine(peak=1.0, steps=100, warmup=10)", "cosine(peak=1.0, steps=300, warmup=0.1)", True),
        (
            "wsd(peak=1.0, steps=100, warmup=0, decay=0.2)",
            "wsd(peak=1.0, steps=9, warmup=0, decay=3)",
            True,
        ),
        (
            "cosine_restarts(peak=1.0, first_cycle=10, max_cycles=3, gamma=0.5)",
            "cosine_restarts(peak=1.0, first_cycle=25, max_cycles=3, gamma=0.5, cycle_mult=2.0)",
            True,
        ),
        # A re-timed schedule splits a segment at its change: one curve, merged back.
        (
            "change_budget(cosine(peak=1.0, steps=100, warmup=20), at=10, steps=200)",
            "cosine(peak=1.0, steps=50, warmup=5)",
            True,
        ),
        ("cosine(peak=1.0, steps=100)", "cosine(peak=0.5, steps=100)", False),
        ("cosine(peak=1.0, steps=100)", "cosine(peak=1.0, steps=100, floor=0.1)", False),
        ("cosine(peak=1.0, steps=100)", "cosine(peak=1.0, steps=100, warmup=10)", False),
        ("cosine(peak=1.0, steps=100)", "linear(1.0, 0.0, 100)", False),
        (
            "cosine_restarts(peak=1.0, first_cycle=10, max_cycles=3)",
            "cosine_restarts(peak=1.0, first_cycle=10, max_cycles=4)",
            False,
        ),
        (
            "cosine_restarts(peak=1.0, first_cycle=10)",
            "cosine_restarts(peak=1.0, first_cycle=20)",
            False,
        ),
    ],
)
def test_same_shape_compares_segments_values_and_order_not_lengths(
    old: str, new: str, same: bool
) -> None:
    assert same_shape(warmcos.parse(old), warmcos.parse(new)) is same
    assert same_shape(warmcos.parse(new), warmcos.parse(old)) is same


def test_no_trainer_is_found_in_a_plain_loop() -> None:
    pytest.importorskip("lightning")  # imported: the stack is searched, and holds no trainer
    pytest.importorskip("transformers.trainer")
    scheduler = LRScheduler(_optimizer(), warmcos.cosine(peak=0.1, steps=10))
    assert planned_steps(scheduler) is None


# -- the trainers' plans ----------------------------------------------------------------------


def _lightning_warnings(
    tmp_path: Path,
    schedule: warmcos.Schedule,
    *,
    interval: str = "step",
    steps_per_unit: float = 1,
    check_horizon: bool = True,
    **limits: int,
) -> list[str]:
    """Fit 16 batches per epoch under `limits`; the HorizonWarnings' messages."""
    lightning = pytest.importorskip("lightning")

    class Regressor(lightning.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = torch.nn.Linear(3, 1)

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            return self.net(batch[0]).pow(2).mean()

        def configure_optimizers(self) -> dict[str, Any]:
            optimizer = torch.optim.SGD(self.parameters(), lr=1.0)
            scheduler = LRScheduler(
                optimizer, schedule, steps_per_unit=steps_per_unit, check_horizon=check_horizon
            )
            return {
                "optimizer": optimizer,
                "lr_scheduler": {"scheduler": scheduler, "interval": interval},
            }

    trainer = lightning.Trainer(
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=tmp_path,
        **limits,
    )
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.randn(64, 3)), batch_size=4
    )
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        trainer.fit(Regressor(), loader)
    return [str(w.message) for w in record if w.category is HorizonWarning]


def test_lightning_max_steps_longer_than_the_schedule_warns(tmp_path: Path) -> None:
    caught = _lightning_warnings(tmp_path, warmcos.cosine(peak=0.1, steps=20), max_steps=40)
    assert len(caught) == 2  # the plan, at the first step; then past the end, at step 22
    assert caught[0].startswith(
        "LRScheduler: the schedule ends at step 20, but the trainer plans 40 scheduler steps "
        '(Lightning Trainer: estimated_stepping_batches (40), interval="step"); they differ by 50%'
    )
    assert "the last 20 steps would run at the schedule's final value 0" in caught[0]
    assert "stepped to step 22, past its schedule's end at step 20" in caught[1]


def test_lightning_max_steps_shorter_than_the_schedule_warns(tmp_path: Path) -> None:
    caught = _lightning_warnings(tmp_path, warmcos.cosine(peak=0.1, steps=80), max_steps=40)
    assert len(caught) == 1
    assert "ends at step 80, but the trainer plans 40 scheduler steps" in caught[0]
    assert "the run would stop 40 steps before the schedule's end, at 0.05" in caught[0]


def test_lightning_matching_plans_do_not_warn(tmp_path: Path) -> None:
    # Within 5%: 39 steps planned for 40 (a last partial batch, say) is no mistake.
    assert _lightning_warnings(tmp_path, warmcos.cosine(peak=0.1, steps=40), max_steps=40) == []
    assert _lightning_warnings(tmp_path, warmcos.cosine(peak=0.1, steps=39), max_steps=40) == []


def test_lightning_epoch_schedule_stepped_per_batch_needs_steps_per_unit(tmp_path: Path) -> None:
    epochs = warmcos.cosine(peak=0.1, steps=3)  # written in epochs
    # Stepped per batch without steps_per_unit: the classic epochs-vs-steps confusion.
    caught = _lightning_warnings(tmp_path, epochs, max_epochs=3)
    assert "ends at step 3, but the trainer plans 48 scheduler steps" in caught[0]
    # With steps_per_unit = batches per epoch, or stepped per epoch, the plans agree.
    assert _lightning_warnings(tmp_path, epochs, max_epochs=3, steps_per_unit=16) == []
    assert _lightning_warnings(tmp_path, epochs, max_epochs=3, interval="epoch") == []
    caught = _lightning_warnings(tmp_path, epochs, max_epochs=6, interval="epoch")
    assert (
        'plans 6 scheduler steps (Lightning Trainer: max_epochs (6), interval="epoch")'
        in (caught[0])
    )


def test_lightning_check_is_off_with_check_horizon_false(tmp_path: Path) -> None:
    schedule = warmcos.cosine(peak=0.1, steps=10)
    assert _lightning_warnings(tmp_path, schedule, max_steps=40, check_horizon=False) == []


def _transformers_warnings(
    tmp_path: Path,
    schedule: warmcos.Schedule,
    max_steps: int,
    *,
    save_steps: int | None = None,
    resume: Path | None = None,
    **options: Any,
) -> list[str]:
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("accelerate")

    class Tiny(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = torch.nn.Linear(3, 1)

        def forward(self, x: torch.Tensor, labels: torch.Tensor) -> dict[str, Any]:
            return {"loss": (self.net(x) - labels).pow(2).mean()}

    model = Tiny()
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    scheduler = LRScheduler(optimizer, schedule, **options)
    x = torch.randn(32, 3)
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path),
        max_steps=max_steps,
        per_device_train_batch_size=4,
        report_to="none",
        use_cpu=True,
        save_strategy="no" if save_steps is None else "steps",
        save_steps=save_steps or 500,
        logging_strategy="no",
        disable_tqdm=True,
    )
    trainer = transformers.Trainer(
        model=model,
        args=args,
        train_dataset=[{"x": x[i], "labels": x[i, :1]} for i in range(len(x))],
        optimizers=(optimizer, scheduler),
    )
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        trainer.train(resume_from_checkpoint=None if resume is None else str(resume))
    return [str(w.message) for w in record if w.category is HorizonWarning]


def test_transformers_max_steps_unlike_the_schedule_warns(tmp_path: Path) -> None:
    caught = _transformers_warnings(tmp_path, warmcos.cosine(peak=0.1, steps=100), max_steps=30)
    assert len(caught) == 1
    assert caught[0].startswith(
        "LRScheduler: the schedule ends at step 100, but the trainer plans 30 scheduler steps "
        "(transformers Trainer: state.max_steps (30))"
    )
    caught = _transformers_warnings(tmp_path, warmcos.cosine(peak=0.1, steps=10), max_steps=30)
    assert [message.split(",")[0] for message in caught] == [
        "LRScheduler: the schedule ends at step 10",
        "LRScheduler was stepped to step 12",
    ]


def test_transformers_matching_plan_does_not_warn(tmp_path: Path) -> None:
    schedule = warmcos.cosine(peak=0.1, steps=30, warmup=3)
    assert _transformers_warnings(tmp_path, schedule, max_steps=30) == []
    schedule = warmcos.cosine(peak=0.1, steps=10)
    assert _transformers_warnings(tmp_path, schedule, max_steps=30, check_horizon=False) == []


def test_a_scheduler_the_trainer_does_not_drive_is_not_compared(tmp_path: Path) -> None:
    # A second scheduler stepped inside the run (a callback's, say) is not the trainer's.
    transformers = pytest.importorskip("transformers")
    other_optimizer = _optimizer()
    other = LRScheduler(other_optimizer, warmcos.cosine(peak=0.1, steps=1000))
    plans = []

    class StepOther(transformers.TrainerCallback):
        def on_step_end(self, *args: Any, **kwargs: Any) -> None:
            plans.append(planned_steps(other))

    transformers_args = transformers.TrainingArguments(
        output_dir=str(tmp_path),
        max_steps=3,
        per_device_train_batch_size=2,
        report_to="none",
        use_cpu=True,
        save_strategy="no",
        logging_strategy="no",
        disable_tqdm=True,
    )

    class Tiny(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = torch.nn.Linear(2, 1)

        def forward(self, x: torch.Tensor) -> dict[str, Any]:
            return {"loss": self.net(x).pow(2).mean()}

    trainer = transformers.Trainer(
        model=Tiny(),
        args=transformers_args,
        train_dataset=[{"x": torch.ones(2)} for _ in range(8)],
        callbacks=[StepOther()],
    )
    trainer.train()
    assert plans == [None, None, None]


def test_a_resume_that_adopts_a_shorter_schedule_than_planned_warns(tmp_path: Path) -> None:
    # Resumed with max_steps=40, but the scheduler adopts the checkpoint's 20-step cosine: the
    # comparison runs again at the first step after the load.
    first = _transformers_warnings(tmp_path, warmcos.cosine(peak=0.1, steps=20), 20, save_steps=10)
    assert first == []
    caught = _transformers_warnings(
        tmp_path,
        warmcos.cosine(peak=0.1, steps=40),
        40,
        resume=tmp_path / "checkpoint-10",
        on_mismatch="adopt",
    )
    assert caught[0].startswith(
        "LRScheduler: the schedule ends at step 20, but the trainer plans 40"
    )
