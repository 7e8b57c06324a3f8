"""One training run of the demo model under one schedule, and the LR range test that picks the peak.

Everything is seeded: the initial weights come from ``config.seed`` and the batches from a
``torch.Generator`` seeded with it, so two runs with the same configuration on the same machine
give the same numbers, and every schedule of one comparison starts from the same weights and sees
the same batches. The learning rate is driven by :class:`warmcos.torch.LRScheduler`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.nn import functional

from warmcos import Schedule
from warmcos.torch import LRScheduler, RangeTestResult, find_lr

from .data import Corpus, batches, evaluation_windows
from .model import CharTransformer, parameter_groups


@dataclass(frozen=True)
class TrainConfig:
    """The settings shared by every run of a comparison.

    Attributes:
        steps: Optimizer updates per run.
        seed: Seeds the initial weights and the batches.
        threads: Torch's intra-op CPU threads during the run.
        batch_size: Windows per batch.
        context: Characters per window (and the model's context).
        evaluations: How many times the validation loss is measured, evenly spaced over the
            run, the last after the final step.
        eval_windows: Validation windows of the final evaluation (fixed, evenly spaced over the
            text); the evaluations before it use a quarter of them, for speed.
        weight_decay: AdamW's decoupled weight decay on the weight matrices.
        clip: The gradients' global norm is clipped to this.
    """

    steps: int = 800
    seed: int = 0
    threads: int = 2
    batch_size: int = 32
    context: int = 64
    evaluations: int = 8
    eval_windows: int = 1024
    weight_decay: float = 0.1
    clip: float = 1.0


@dataclass
class RunResult:
    """What one training run measured.

    Attributes:
        name: The schedule's short name.
        schedule: The schedule's spec string (``repr``).
        lrs: The learning rate used at each step.
        eval_steps: The steps after which the validation loss was measured.
        eval_losses: The validation loss (nats per character) at each of `eval_steps`; NaN
            once training diverged.
        train_seconds: Time spent in training steps (evaluation excluded).
    """

    name: str
    schedule: str
    lrs: list[float] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)
    eval_losses: list[float] = field(default_factory=list)
    train_seconds: float = 0.0

    @property
    def final_loss(self) -> float:
        """The validation loss after the last step (nats per character); NaN if it diverged."""
        return self.eval_losses[-1] if self.eval_losses else math.nan

    @property
    def steps_per_second(self) -> float:
        """Training steps per second of training time."""
        return len(self.lrs) / self.train_seconds if self.train_seconds > 0 else math.nan


def character_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The mean cross-entropy per character, in nats."""
    return functional.cross_entropy(logits.flatten(0, 1), targets.flatten())


def build(corpus: Corpus, config: TrainConfig) -> tuple[CharTransformer, torch.optim.AdamW]:
    """The model (initialized from ``config.seed``) and its AdamW optimizer.

    The optimizer's learning rate is a placeholder: the scheduler writes the schedule's values.
    """
    model = CharTransformer(len(corpus.vocab), context=config.context, seed=config.seed)
    optimizer = torch.optim.AdamW(
        parameter_groups(model, config.weight_decay), lr=1e-3, betas=(0.9, 0.99)
    )
    return model, optimizer


@contextmanager
def _threads(count: int) -> Iterator[None]:
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def evaluate(model: torch.nn.Module, corpus: Corpus, config: TrainConfig, windows: int) -> float:
    """The validation loss over `windows` fixed windows, in nats per character."""
    inputs, targets = evaluation_windows(corpus.validation, count=windows, context=config.context)
    total = 0.0
    model.eval()
    with torch.no_grad():
        for start in range(0, len(inputs), 256):
            chunk = slice(start, start + 256)
            logits = model(inputs[chunk])
            total += float(character_loss(logits, targets[chunk])) * len(logits)
    model.train()
    return total / len(inputs)


def train(
    name: str,
    schedule: Schedule,
    corpus: Corpus,
    config: TrainConfig,
    progress: Callable[[int, float], None] | None = None,
) -> RunResult:
    """Train a fresh model for ``config.steps`` steps with `schedule` driving the learning rate.

    Args:
        name: The schedule's short name, for the result.
        schedule: The learning rate at each step (absolute values).
        corpus: The text.
        config: The run's settings.
        progress: Called after each step with the step count and the training loss.

    Returns:
        The learning rates used and the validation losses. A run whose training loss becomes
        NaN or infinite stops there, with a NaN validation loss at the remaining evaluations.
    """
    result = RunResult(name, repr(schedule))
    model, optimizer = build(corpus, config)
    scheduler = LRScheduler(optimizer, schedule)
    stream = batches(
        corpus.train, batch_size=config.batch_size, context=config.context, seed=config.seed
    )
    checkpoints = {
        round(k * config.steps / config.evaluations) for k in range(1, config.evaluations + 1)
    }
    with _threads(config.threads):
        for step in range(1, config.steps + 1):
            began = time.perf_counter()
            result.lrs.append(float(optimizer.param_groups[0]["lr"]))
            inputs, targets = next(stream)
            loss = character_loss(model(inputs), targets)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip)
            optimizer.step()
            scheduler.step()
            value = float(loss.detach())
            result.train_seconds += time.perf_counter() - began
            if progress is not None:
                progress(step, value)
            if not math.isfinite(value):
                for later in sorted(checkpoints):
                    if later >= step:
                        result.eval_steps.append(later)
                        result.eval_losses.append(math.nan)
                break
            if step in checkpoints:
                result.eval_steps.append(step)
                final = step == config.steps
                windows = config.eval_windows if final else max(1, config.eval_windows // 4)
                result.eval_losses.append(evaluate(model, corpus, config, windows))
    return result


def range_test(corpus: Corpus, config: TrainConfig, **options: Any) -> RangeTestResult:
    """The LR range test (:func:`warmcos.torch.find_lr`) on the demo model, seeded like a run.

    It probes the same initial weights and batches as the training runs of `config`; `options`
    go to :func:`~warmcos.torch.find_lr` (its defaults otherwise: 100 steps from 1e-7 to 10).
    """
    model, optimizer = build(corpus, config)
    stream = batches(
        corpus.train, batch_size=config.batch_size, context=config.context, seed=config.seed
    )
    with _threads(config.threads):
        return find_lr(model, character_loss, stream, optimizer, **options)
