"""Configuration tools build `warmcos.torch.LRScheduler` from text: LightningCLI and Hydra.

The schedule (and each per-group schedule, and each `hyperparameters` value) may be a spec
string or a ``to_dict()`` mapping, so a YAML file can say
``schedule: "cosine(peak=0.1, steps=100)"``. Each test builds a real scheduler through the tool,
runs a few optimizer steps (no real training) and checks the learning rates against the schedule
itself. Tools that are not installed are skipped.
"""

# No `from __future__ import annotations`: LightningCLI reads the hints of the model class
# defined inside a test, and only evaluated annotations make them readable there.

import textwrap
import typing
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

import warmcos
from warmcos.torch import LRScheduler

SPEC = "cosine(peak=0.1, steps=10, warmup=2)"
COSINE = warmcos.parse(SPEC)
MOMENTUM_SPEC = "linear(start=0.95, end=0.85, steps=10)"
MOMENTUM = warmcos.parse(MOMENTUM_SPEC)
TRAINER = """
trainer:
  accelerator: cpu
  devices: 1
  max_steps: {max_steps}
  logger: false
  enable_checkpointing: false
  enable_progress_bar: false
  enable_model_summary: false
"""


def test_the_constructors_type_hints_resolve_for_configuration_tools() -> None:
    # jsonargparse (LightningCLI) and similar tools read the hints at run time.
    hints = typing.get_type_hints(LRScheduler.__init__)
    assert str in typing.get_args(hints["schedule"])
    assert hints["steps_per_unit"] is float


# -- LightningCLI ------------------------------------------------------------------------------


def _lightning_cli(tmp_path: Path, config: str, **model: Any) -> Any:
    """Run LightningCLI on a YAML `config` with a tiny model; return the fitted model."""
    lightning = pytest.importorskip("lightning")
    pytest.importorskip("jsonargparse")
    from lightning.pytorch.cli import LightningCLI, LRSchedulerCallable, OptimizerCallable

    class Regressor(lightning.LightningModule):
        """Two param groups (weight at the optimizer's LR, bias at half of it)."""

        def __init__(
            self,
            optimizer: OptimizerCallable | None = None,
            scheduler: LRSchedulerCallable | None = None,
            batches_per_epoch: int = 1,
        ) -> None:
            super().__init__()
            self.make_optimizer, self.make_scheduler = optimizer, scheduler
            self.batches_per_epoch = batches_per_epoch
            torch.manual_seed(0)
            self.net = torch.nn.Linear(2, 1)
            self.seen: list[list[tuple[float, float | None]]] = []

        def configure_optimizers(self) -> Any:
            # Used when the model gets its optimizer and scheduler injected; LightningCLI
            # replaces it when the config has top-level `optimizer` and `lr_scheduler` keys.
            assert self.make_optimizer is not None and self.make_scheduler is not None
            optimizer = self.make_optimizer(
                [{"params": [self.net.weight]}, {"params": [self.net.bias]}]
            )
            optimizer.param_groups[1]["lr"] *= 0.5
            scheduler = self.make_scheduler(optimizer)
            return {
                "optimizer": optimizer,
                "lr_scheduler": {"scheduler": scheduler, "interval": "step"},
            }

        def training_step(self, batch: Any, batch_idx: int) -> Any:
            groups = self.trainer.optimizers[0].param_groups
            self.seen.append([(g["lr"], g.get("momentum")) for g in groups])
            inputs, targets = batch
            return torch.nn.functional.mse_loss(self.net(inputs), targets)

        def train_dataloader(self) -> Any:
            generator = torch.Generator().manual_seed(1)
            count = 4 * self.batches_per_epoch
            data = torch.utils.data.TensorDataset(
                torch.randn(count, 2, generator=generator),
                torch.randn(count, 1, generator=generator),
            )
            return torch.utils.data.DataLoader(data, batch_size=4)

    path = tmp_path / "config.yaml"
    path.write_text(textwrap.dedent(config))
    cli = LightningCLI(
        Regressor,
        args=["--config", str(path)],
        run=False,
        save_config_callback=None,
        trainer_defaults={"default_root_dir": str(tmp_path)},
    )
    cli.trainer.fit(cli.model)
    return cli.model


def test_lightning_cli_lr_scheduler_key_builds_the_scheduler_from_a_spec(tmp_path: Path) -> None:
    # LightningCLI's own `lr_scheduler:` key: it passes the optimizer and steps once per epoch
    # (one batch per epoch here, so once per optimizer step).
    config = (
        TRAINER.format(max_steps=5)
        + f"""
optimizer:
  class_path: torch.optim.SGD
  init_args:
    lr: 1.0
lr_scheduler:
  class_path: warmcos.torch.LRScheduler
  init_args:
    schedule: "{SPEC}"
"""
    )
    model = _lightning_cli(tmp_path, config)
    assert [lr for ((lr, _),) in model.seen] == [COSINE(t) for t in range(5)]
    scheduler = model.trainer.lr_scheduler_configs[0].scheduler
    assert isinstance(scheduler, LRScheduler) and scheduler.schedules == [COSINE]


@pytest.mark.parametrize(
    ("schedule", "groups"),
    [
        (f'"{SPEC}"', lambda t: [COSINE(t), COSINE(t) * 0.5]),
        ("{type: cosine, peak: 0.1, steps: 10, warmup: 2}", lambda t: [COSINE(t), COSINE(t) * 0.5]),
        (
            f'["{SPEC}", {{type: linear, start: 0.2, end: 0.0, steps: 10}}]',
            lambda t: [COSINE(t), warmcos.linear(start=0.2, end=0.0, steps=10)(t)],
        ),
    ],
    ids=["spec", "mapping", "per-group-list"],
)
def test_lightning_cli_injects_a_scheduler_built_with_the_optimizer(
    tmp_path: Path, schedule: str, groups: Any
) -> None:
    # The model takes `scheduler: LRSchedulerCallable` and builds it with its optimizer,
    # stepping per optimizer step: 2 batches per epoch, 5 steps cross an epoch boundary.
    config = (
        TRAINER.format(max_steps=5)
        + f"""
model:
  batches_per_epoch: 2
  optimizer:
    class_path: torch.optim.SGD
    init_args:
      lr: 1.0
      momentum: 0.9
  scheduler:
    class_path: warmcos.torch.LRScheduler
    init_args:
      schedule: {schedule}
      hyperparameters:
        momentum: "{MOMENTUM_SPEC}"
"""
    )
    model = _lightning_cli(tmp_path, config)
    assert len(model.seen) == 5
    for t, seen in enumerate(model.seen):
        assert [lr for lr, _ in seen] == pytest.approx(groups(t), rel=1e-15, abs=0)
        assert [momentum for _, momentum in seen] == [MOMENTUM(t)] * 2


# -- Hydra -------------------------------------------------------------------------------------


def _two_groups(**defaults: Any) -> torch.optim.Optimizer:
    return torch.optim.SGD(
        [
            {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 1.0},
            {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.5},
        ],
        **defaults,
    )


def _hydra(text: str) -> Any:
    pytest.importorskip("hydra")
    from omegaconf import OmegaConf

    return OmegaConf.create(textwrap.dedent(text))


def _follow(
    optimizer: torch.optim.Optimizer, scheduler: Any, expected: Any, steps: int = 4
) -> None:
    for t in range(steps):
        assert [g["lr"] for g in optimizer.param_groups] == pytest.approx(
            expected(t), rel=1e-15, abs=0
        )
        optimizer.step()
        scheduler.step()


def test_hydra_partial_config_builds_the_scheduler_when_given_the_optimizer() -> None:
    from hydra.utils import instantiate

    config = _hydra(f"""
        _target_: warmcos.torch.LRScheduler
        _partial_: true
        schedule: {{type: cosine, peak: 0.1, steps: 10, warmup: 2}}
        hyperparameters:
          momentum: "{MOMENTUM_SPEC}"
    """)
    optimizer = _two_groups(momentum=0.9)
    scheduler = instantiate(config)(optimizer)
    assert isinstance(scheduler, LRScheduler)
    assert scheduler.schedules == [COSINE]
    _follow(optimizer, scheduler, lambda t: [COSINE(t), COSINE(t) * 0.5])
    assert [g["momentum"] for g in optimizer.param_groups] == [MOMENTUM(4)] * 2


def test_hydra_config_with_the_optimizer_passed_in_and_nested_schedules() -> None:
    from hydra.utils import instantiate

    # Hydra hands nested mappings and lists over as DictConfig and ListConfig objects.
    config = _hydra(f"""
        _target_: warmcos.torch.LRScheduler
        schedule:
          - "{SPEC}"
          - type: join
            schedules:
              - {{type: constant, value: 0.2}}
              - {{type: linear, start: 0.2, end: 0.0, steps: 5}}
            boundaries: [2]
        steps_per_unit: 1
    """)
    optimizer = _two_groups()
    scheduler = instantiate(config, optimizer=optimizer)
    second = warmcos.join(
        [warmcos.constant(value=0.2), warmcos.linear(start=0.2, end=0.0, steps=5)], [2]
    )
    assert scheduler.schedules == [COSINE, second]
    _follow(optimizer, scheduler, lambda t: [COSINE(t), second(t)], steps=6)
