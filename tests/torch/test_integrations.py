"""warmcos.torch.LRScheduler inside real training loops: plain PyTorch, Lightning, transformers'
Trainer, accelerate, and DDP with two processes (gloo) including a checkpoint resume.

Every test reads the learning rate the optimizer holds right before an update (``step`` updates
already applied) and checks it equals the schedule's value at ``step``, for every update of a
run that crosses the schedule's phases (warm-up, decay, restarts, the held floor). Frameworks
that are not installed are skipped (``pytest.importorskip``); CPU only, nothing downloaded.
"""

from __future__ import annotations

import gc
import inspect
import os
import socket
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
import warmcos
from warmcos.torch import LRScheduler

# Real training loops call optimizer.step() before scheduler.step(): PyTorch's call-order
# warning must never fire here (it would if warmcos' bookkeeping miscounted).
pytestmark = pytest.mark.filterwarnings("error:Detected call of `lr_scheduler.step:UserWarning")

IN_FEATURES = 6

# Warm-up from a non-zero start, a decay to a non-zero floor, then 10 steps held at the floor.
COSINE = warmcos.cosine(peak=0.05, steps=30, floor=0.004, warmup=6, warmup_start=0.001)
# Cycles of 10, 14 and 20 steps (integer cycle_mult rule: decays 8, 12, 18), each warming up 2.
RESTARTS = warmcos.cosine_restarts(
    peak=0.08, first_cycle=10, floor=0.002, cycle_mult=1.5, gamma=0.7, warmup=2
)


def _mlp(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Linear(IN_FEATURES, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1)
    )


def _regression_data(count: int, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(count, IN_FEATURES, generator=generator)
    w = torch.randn(IN_FEATURES, 1, generator=generator)
    y = torch.sin(x @ w) + 0.01 * torch.randn(count, 1, generator=generator)
    return x, y


def _assert_follows(lrs: list[float], schedule: Any, steps: list[int] | None = None) -> None:
    """``lrs[i]`` is the LR of update ``steps[i]`` (default ``i``); group 0 follows exactly."""
    steps = list(range(len(lrs))) if steps is None else steps
    expected = [schedule(step) for step in steps]
    assert lrs == expected, [
        (step, got, want)
        for step, got, want in zip(steps, lrs, expected, strict=True)
        if got != want
    ][:5]


# -- a plain PyTorch training loop ------------------------------------------------------------


def test_plain_training_loop_uses_the_schedule_at_every_update() -> None:
    model = _mlp()
    head, body = list(model[2].parameters()), list(model[0].parameters())
    # Two groups: the head at 4x the body's LR. The initial LRs only set the ratio (ratio mode).
    optimizer = torch.optim.AdamW(
        [{"params": body, "lr": 1.0}, {"params": head, "lr": 4.0}], weight_decay=0.01
    )
    scheduler = LRScheduler(optimizer, COSINE)
    x, y = _regression_data(256)
    losses, body_lrs, head_lrs = [], [], []
    for step in range(40):
        batch = slice((step * 32) % 256, (step * 32) % 256 + 32)
        body_lrs.append(optimizer.param_groups[0]["lr"])
        head_lrs.append(optimizer.param_groups[1]["lr"])
        assert scheduler.get_last_lr() == [body_lrs[-1], head_lrs[-1]]
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x[batch]), y[batch])
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    _assert_follows(body_lrs, COSINE)
    for step, lr in enumerate(head_lrs):
        assert lr == pytest.approx(4.0 * COSINE(step), rel=1e-15, abs=0.0)
    assert head_lrs[-1] == pytest.approx(4.0 * 0.004, rel=1e-15)
    assert sum(losses[-8:]) < sum(losses[:8])  # it really trained


def test_plain_loop_with_steps_per_unit_follows_an_epoch_schedule() -> None:
    # A schedule written in epochs, stepped once per batch: position = batches / batches_per_epoch.
    batches_per_epoch = 8
    epochs = warmcos.multistep(value=0.1, milestones=[2, 3], gamma=0.5)
    model = _mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = LRScheduler(optimizer, epochs, steps_per_unit=batches_per_epoch)
    x, y = _regression_data(64)
    lrs = []
    for step in range(5 * batches_per_epoch):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(model(x[step % 8 :: 8]), y[step % 8 :: 8]).backward()
        optimizer.step()
        scheduler.step()
    expected = [epochs(step / batches_per_epoch) for step in range(len(lrs))]
    assert lrs == expected
    assert lrs[2 * batches_per_epoch - 1 : 2 * batches_per_epoch + 1] == [0.1, 0.05]


# -- PyTorch Lightning ------------------------------------------------------------------------


def _lightning_fit(
    tmp_path: Path,
    schedule: Any,
    max_steps: int,
    *,
    accumulate_grad_batches: int = 1,
    ckpt_path: Path | None = None,
    save_to: Path | None = None,
) -> tuple[list[tuple[int, int, float]], Any]:
    """Fit a tiny regressor; return (global_step, batch_idx, LR) at each training batch start."""
    lightning = pytest.importorskip("lightning")

    class Regressor(lightning.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = _mlp()

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            x, y = batch
            return torch.nn.functional.mse_loss(self.net(x), y)

        def configure_optimizers(self) -> dict[str, Any]:
            optimizer = torch.optim.SGD(self.parameters(), lr=1.0, momentum=0.9)
            scheduler = LRScheduler(optimizer, schedule)
            return {
                "optimizer": optimizer,
                "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
            }

    records: list[tuple[int, int, float]] = []

    class RecordLR(lightning.Callback):
        def on_train_batch_start(
            self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int
        ) -> None:
            lr = trainer.optimizers[0].param_groups[0]["lr"]
            records.append((trainer.global_step, batch_idx, lr))

    x, y = _regression_data(64)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x, y), batch_size=4, shuffle=False
    )
    trainer = lightning.Trainer(
        accelerator="cpu",
        devices=1,
        max_steps=max_steps,
        accumulate_grad_batches=accumulate_grad_batches,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[RecordLR()],
        default_root_dir=tmp_path,
    )
    model = Regressor()
    options: dict[str, Any] = {}
    if ckpt_path is not None and "weights_only" in inspect.signature(trainer.fit).parameters:
        # Lightning >= 2.6: the whole checkpoint, scheduler state included, is plain data.
        options["weights_only"] = True
    trainer.fit(model, loader, ckpt_path=ckpt_path, **options)
    if save_to is not None:
        trainer.save_checkpoint(save_to)
    return records, trainer


def test_lightning_trainer_steps_the_scheduler_once_per_optimizer_step(tmp_path: Path) -> None:
    # 16 batches per epoch: 46 steps cross two restarts and three epoch boundaries.
    records, trainer = _lightning_fit(tmp_path, RESTARTS, max_steps=46)
    assert trainer.global_step == 46
    assert [step for step, _, _ in records] == list(range(46))
    _assert_follows([lr for _, _, lr in records], RESTARTS)
    scheduler = trainer.lr_scheduler_configs[0].scheduler
    assert isinstance(scheduler, LRScheduler)
    assert scheduler.last_epoch == 46


def test_lightning_gradient_accumulation_steps_per_update_not_per_batch(tmp_path: Path) -> None:
    records, trainer = _lightning_fit(tmp_path, COSINE, max_steps=20, accumulate_grad_batches=2)
    assert trainer.global_step == 20
    assert len(records) == 40
    # Both micro-batches of update k train at schedule(k).
    assert [step for step, _, _ in records] == [batch // 2 for batch in range(40)]
    _assert_follows([lr for _, _, lr in records], COSINE, [batch // 2 for batch in range(40)])


def test_lightning_resume_from_checkpoint_continues_the_schedule(tmp_path: Path) -> None:
    full, _ = _lightning_fit(tmp_path / "full", RESTARTS, max_steps=40)
    checkpoint = tmp_path / "at16.ckpt"
    first, _ = _lightning_fit(tmp_path / "first", RESTARTS, max_steps=16, save_to=checkpoint)
    rest, trainer = _lightning_fit(tmp_path / "rest", RESTARTS, max_steps=40, ckpt_path=checkpoint)
    assert [step for step, _, _ in rest] == list(range(16, 40))
    # (Lightning restarts batch_idx differently after a resume: compare steps and LRs.)
    assert [(step, lr) for step, _, lr in first + rest] == [(step, lr) for step, _, lr in full]
    _assert_follows([lr for _, _, lr in full], RESTARTS)
    assert trainer.lr_scheduler_configs[0].scheduler.last_epoch == 40


# -- transformers' Trainer --------------------------------------------------------------------


class _TinyRegressor(torch.nn.Module):
    """A model transformers' Trainer accepts: keyword inputs, returns ``{"loss": ...}``."""

    def __init__(self) -> None:
        super().__init__()
        self.net = _mlp()

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> dict[str, Any]:
        out = self.net(x)
        if labels is None:
            return {"logits": out}
        return {"loss": torch.nn.functional.mse_loss(out, labels), "logits": out}


def _transformers_train(
    tmp_path: Path,
    schedule: Any,
    max_steps: int,
    *,
    gradient_accumulation_steps: int = 1,
    save_steps: int | None = None,
    resume: Path | None = None,
) -> tuple[list[tuple[int, float, float]], Any]:
    """Train with ``optimizers=(optimizer, scheduler)``; return (step, optimizer LR, its LR)."""
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("accelerate")  # transformers' Trainer needs it

    records: list[tuple[int, float, float]] = []

    class RecordLR(transformers.TrainerCallback):
        def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            optimizer, scheduler = kwargs["optimizer"], kwargs["lr_scheduler"]
            lr = optimizer.param_groups[0]["lr"]
            records.append((state.global_step, lr, scheduler.get_last_lr()[0]))

    x, y = _regression_data(64)
    dataset = [{"x": x[i], "labels": y[i]} for i in range(len(x))]
    model = _TinyRegressor()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1.0)
    scheduler = LRScheduler(optimizer, schedule)
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path),
        max_steps=max_steps,
        per_device_train_batch_size=4,
        gradient_accumulation_steps=gradient_accumulation_steps,
        report_to="none",
        use_cpu=True,
        save_strategy="no" if save_steps is None else "steps",
        save_steps=save_steps or 500,
        logging_strategy="no",
        disable_tqdm=True,
        dataloader_num_workers=0,
        seed=0,
    )
    trainer = transformers.Trainer(
        model=model,
        args=args,
        train_dataset=dataset,
        optimizers=(optimizer, scheduler),
        callbacks=[RecordLR()],
    )
    trainer.train(resume_from_checkpoint=None if resume is None else str(resume))
    return records, trainer


def test_transformers_trainer_uses_the_schedule_at_every_update(tmp_path: Path) -> None:
    records, trainer = _transformers_train(tmp_path, COSINE, max_steps=40)
    assert trainer.state.global_step == 40
    assert [step for step, _, _ in records] == list(range(40))
    _assert_follows([lr for _, lr, _ in records], COSINE)
    assert [lr for _, _, lr in records] == [lr for _, lr, _ in records]


def test_transformers_trainer_gradient_accumulation(tmp_path: Path) -> None:
    records, trainer = _transformers_train(
        tmp_path, RESTARTS, max_steps=30, gradient_accumulation_steps=2
    )
    assert trainer.state.global_step == 30
    # on_step_begin runs once per update (before its first micro-batch).
    assert [step for step, _, _ in records] == list(range(30))
    _assert_follows([lr for _, lr, _ in records], RESTARTS)


def test_transformers_trainer_resume_from_checkpoint(tmp_path: Path) -> None:
    # The scheduler's state goes through torch.save / torch.load(weights_only=True) in Trainer.
    full, _ = _transformers_train(tmp_path / "full", RESTARTS, max_steps=36)
    first, _ = _transformers_train(tmp_path / "run", RESTARTS, max_steps=36, save_steps=20)
    checkpoint = tmp_path / "run" / "checkpoint-20"
    assert (checkpoint / "scheduler.pt").is_file()
    rest, trainer = _transformers_train(tmp_path / "run", RESTARTS, max_steps=36, resume=checkpoint)
    assert [step for step, _, _ in rest] == list(range(20, 36))
    assert rest == first[20:] == full[20:]
    assert trainer.state.global_step == 36
    _assert_follows([lr for _, lr, _ in full], RESTARTS)


# -- accelerate -------------------------------------------------------------------------------


def test_accelerate_prepared_scheduler_steps_only_on_real_updates() -> None:
    accelerate = pytest.importorskip("accelerate")
    model = _mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    scheduler = LRScheduler(optimizer, COSINE)
    accelerator = accelerate.Accelerator(cpu=True, gradient_accumulation_steps=2)
    try:
        model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)
        x, y = _regression_data(80)
        lrs = []
        for batch in range(80):
            with accelerator.accumulate(model):
                lrs.append(optimizer.param_groups[0]["lr"])
                loss = torch.nn.functional.mse_loss(
                    model(x[batch : batch + 1]), y[batch : batch + 1]
                )
                accelerator.backward(loss)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
    finally:
        accelerator.free_memory()
        accelerate.state.AcceleratorState._reset_state(reset_partial_state=True)
        accelerate.state.GradientState._reset_state()
    # Two micro-batches per update: both train at schedule(update).
    _assert_follows(lrs, COSINE, [batch // 2 for batch in range(80)])


# -- DDP, two processes, gloo -----------------------------------------------------------------

DDP_STEPS = 40
DDP_RESUME_AT = 17  # in cycle 1's decay (cycle 1 spans steps 10..23)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ddp_parts(seed: int) -> tuple[Any, torch.optim.Optimizer, LRScheduler]:
    from torch.nn.parallel import DistributedDataParallel

    model = DistributedDataParallel(_mlp(seed))
    optimizer = torch.optim.AdamW(
        [
            {"params": model.module[0].parameters(), "lr": 1.0},
            {"params": model.module[2].parameters(), "lr": 0.5},
        ],
        weight_decay=0.01,
    )
    return model, optimizer, LRScheduler(optimizer, RESTARTS)


def _ddp_train(
    rank: int, model: Any, optimizer: Any, scheduler: Any, steps: range
) -> list[list[float]]:
    lrs = []
    for step in steps:
        # Each rank's batch depends only on (rank, step): a resumed run sees the same data.
        generator = torch.Generator().manual_seed(1000 * rank + step)
        x = torch.randn(8, IN_FEATURES, generator=generator)
        y = torch.sin(x.sum(dim=1, keepdim=True))
        lrs.append([group["lr"] for group in optimizer.param_groups])
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        optimizer.step()
        scheduler.step()
    return lrs


def _ddp_runs(rank: int, workdir: str) -> dict[str, Any]:
    import torch.distributed as dist

    # The uninterrupted run.
    model, optimizer, scheduler = _ddp_parts(seed=0)
    full_lrs = _ddp_train(rank, model, optimizer, scheduler, range(DDP_STEPS))
    full_weights = {k: v.clone() for k, v in model.module.state_dict().items()}

    # The interrupted run: rank 0 writes a checkpoint after DDP_RESUME_AT updates ...
    model, optimizer, scheduler = _ddp_parts(seed=0)
    before = _ddp_train(rank, model, optimizer, scheduler, range(DDP_RESUME_AT))
    checkpoint = os.path.join(workdir, "checkpoint.pt")
    if rank == 0:
        torch.save(
            {
                "model": model.module.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
            },
            checkpoint,
        )
    dist.barrier()
    # ... and every rank resumes from it into fresh objects (other initial weights).
    model, optimizer, scheduler = _ddp_parts(seed=123)
    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    model.module.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    after = _ddp_train(rank, model, optimizer, scheduler, range(DDP_RESUME_AT, DDP_STEPS))
    return {
        "full_lrs": full_lrs,
        "full_weights": full_weights,
        "resumed_lrs": before + after,
        "resumed_weights": {k: v.clone() for k, v in model.module.state_dict().items()},
    }


def _ddp_worker(rank: int, world_size: int, port: int, workdir: str) -> None:
    import torch.distributed as dist

    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    try:
        results = _ddp_runs(rank, workdir)
        torch.save(results, os.path.join(workdir, f"rank{rank}.pt"))
        # Every DDP object is gone (gloo can abort at exit if work is still referenced);
        # leave together.
        gc.collect()
        dist.barrier()
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_ddp_two_ranks_agree_and_resume_exactly(tmp_path: Path) -> None:
    import torch.distributed as dist
    import torch.multiprocessing as mp

    if not dist.is_available() or not dist.is_gloo_available():
        pytest.skip("torch.distributed with gloo is not available")
    mp.spawn(_ddp_worker, args=(2, _free_port(), str(tmp_path)), nprocs=2, join=True)
    results = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(2)]

    # Every rank sees the same LRs at every step, and they follow the schedule (group 1 at 0.5x).
    assert results[0]["full_lrs"] == results[1]["full_lrs"]
    lrs = results[0]["full_lrs"]
    assert len(lrs) == DDP_STEPS
    _assert_follows([lr for lr, _ in lrs], RESTARTS)
    for step, (_, head) in enumerate(lrs):
        assert head == pytest.approx(0.5 * RESTARTS(step), rel=1e-15, abs=0.0)

    # Resuming from rank 0's checkpoint: the same LRs and bit-identical weights on both ranks.
    for result in results:
        assert result["resumed_lrs"] == lrs
        assert result["full_weights"].keys() == result["resumed_weights"].keys()
        for name, weight in result["full_weights"].items():
            assert torch.equal(weight, result["resumed_weights"][name]), name
            assert torch.equal(weight, results[0]["full_weights"][name]), name
