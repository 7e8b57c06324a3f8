"""PyTorch's safety net, kept: a warning when `scheduler.step()` comes before `optimizer.step()`.

Ported from PyTorch's own ``test_old_pattern_warning*`` and ``test_new_pattern_no_warning*``
(test/optim/test_lrscheduler.py), for warmcos' `LRScheduler` and the seed's class, and checked
against PyTorch itself: the same category and the same message as a PyTorch scheduler gives for
the same calls.
"""

from __future__ import annotations

import types
import warnings
from collections.abc import Callable
from typing import Any

import pytest

torch = pytest.importorskip("torch")

import warmcos
from warmcos.torch import CosineAnnealingWarmupRestarts, LRScheduler

EPOCHS = 35
SCHEDULE = warmcos.cosine(peak=0.05, steps=30, floor=0.001, warmup=3)


def _optimizer() -> torch.optim.Optimizer:
    return torch.optim.SGD(
        [
            {"params": [torch.nn.Parameter(torch.randn(2, 2))], "lr": 0.05},
            {"params": [torch.nn.Parameter(torch.randn(2, 2))], "lr": 0.5},
        ],
        lr=0.05,
    )


# Each maker builds a scheduler on an optimizer, resuming after step `last_step` (-1: a start).
Maker = Callable[[torch.optim.Optimizer, int], Any]
MAKERS: dict[str, Maker] = {
    # check_horizon=False: 35 steps run past SCHEDULE's end, and the horizon warning
    # (tests/torch/test_horizon.py) is not PyTorch's; only the call-order warnings are compared.
    "LRScheduler": lambda opt, last: LRScheduler(
        opt, SCHEDULE, last_step=last, check_horizon=False
    ),
    "seed": lambda opt, last: CosineAnnealingWarmupRestarts(opt, 10, last_epoch=last),
    # The reference: PyTorch's own behaviour (it needs `initial_lr` to resume).
    "torch StepLR": lambda opt, last: torch.optim.lr_scheduler.StepLR(
        opt, step_size=3, gamma=0.1, last_epoch=last
    ),
}
RESUME = [-1, 10]  # torch's tests: a fresh start, and resuming with last_epoch=10


def _build(name: str, last: int) -> tuple[torch.optim.Optimizer, Any]:
    optimizer = _optimizer()
    if last != -1:
        for group in optimizer.param_groups:
            group["initial_lr"] = group["lr"]  # PyTorch's StepLR needs it to resume
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scheduler = MAKERS[name](optimizer, last)
    assert [str(w.message) for w in caught] == [], "construction must not warn"
    return optimizer, scheduler


def _override_step(optimizer: torch.optim.Optimizer) -> None:
    """Emulate a user who replaces `optimizer.step` after the scheduler was created."""
    old_step = optimizer.step

    def new_step(self: Any, *args: Any, **kwargs: Any) -> Any:
        return old_step(*args, **kwargs)

    optimizer.step = types.MethodType(new_step, optimizer)  # type: ignore[method-assign]


def _run(name: str, last: int, *, old_pattern: bool, overridden: bool) -> list[tuple[type, str]]:
    """The warnings (category, message) of 35 training steps in one order or the other."""
    optimizer, scheduler = _build(name, last)
    if overridden:
        _override_step(optimizer)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(EPOCHS):
            if old_pattern:
                scheduler.step()
                optimizer.step()
            else:
                optimizer.step()
                scheduler.step()
    return [(w.category, str(w.message)) for w in caught]


@pytest.mark.parametrize("last", RESUME, ids=["start", "resuming"])
@pytest.mark.parametrize("name", ["LRScheduler", "seed"])
def test_old_pattern_warning(name: str, last: int) -> None:
    caught = _run(name, last, old_pattern=True, overridden=False)
    assert len(caught) == 1  # once, at the first step() (as PyTorch)
    category, message = caught[0]
    assert category is UserWarning
    assert "Detected call of `lr_scheduler.step()` before `optimizer.step()`" in message
    assert "how-to-adjust-learning-rate" in message


@pytest.mark.parametrize("last", RESUME, ids=["start", "resuming"])
@pytest.mark.parametrize("name", ["LRScheduler", "seed"])
def test_old_pattern_warning_with_overridden_optim_step(name: str, last: int) -> None:
    caught = _run(name, last, old_pattern=True, overridden=True)
    assert len(caught) == 1
    category, message = caught[0]
    assert category is UserWarning
    assert "`optimizer.step()` has been overridden" in message


@pytest.mark.parametrize("last", RESUME, ids=["start", "resuming"])
@pytest.mark.parametrize("name", ["LRScheduler", "seed"])
def test_new_pattern_no_warning(name: str, last: int) -> None:
    assert _run(name, last, old_pattern=False, overridden=False) == []


@pytest.mark.parametrize("name", ["LRScheduler", "seed"])
def test_new_pattern_no_warning_with_an_explicit_step(name: str) -> None:
    # PyTorch's `*_with_arg` variants: jumping with step(epoch) in the right order is fine too.
    optimizer, scheduler = _build(name, -1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for epoch in range(1, EPOCHS):
            optimizer.step()
            scheduler.step(epoch)
    assert [str(w.message) for w in caught] == []


@pytest.mark.parametrize("name", ["LRScheduler", "seed"])
def test_new_pattern_with_overridden_optim_step_warns_that_it_was_overridden(name: str) -> None:
    caught = _run(name, -1, old_pattern=False, overridden=True)
    assert [message for _, message in caught] == [
        message for _, message in _run("torch StepLR", -1, old_pattern=False, overridden=True)
    ]
    assert len(caught) == 1 and "`optimizer.step()` has been overridden" in caught[0][1]


@pytest.mark.parametrize("overridden", [False, True], ids=["plain", "overridden-step"])
@pytest.mark.parametrize("old_pattern", [True, False], ids=["old-pattern", "new-pattern"])
@pytest.mark.parametrize("last", RESUME, ids=["start", "resuming"])
@pytest.mark.parametrize("name", ["LRScheduler", "seed"])
def test_same_warnings_as_pytorch_itself(
    name: str, last: int, old_pattern: bool, overridden: bool
) -> None:
    ours = _run(name, last, old_pattern=old_pattern, overridden=overridden)
    theirs = _run("torch StepLR", last, old_pattern=old_pattern, overridden=overridden)
    assert ours == theirs


def test_loading_a_checkpoint_does_not_warn_and_keeps_the_count() -> None:
    # load_state_dict writes the values without a user step: no warning, and the checkpoint's
    # step count (PyTorch's _step_count) decides what the next step() checks.
    optimizer, source = _build("LRScheduler", -1)
    optimizer.step()
    source.step()
    state = source.state_dict()
    optimizer, fresh = _build("LRScheduler", -1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fresh.load_state_dict(state)
        fresh.step()  # the checkpoint had seen an optimizer step: no warning now
    assert [str(w.message) for w in caught] == []
    assert fresh.state_dict()["step_count"] == state["step_count"] + 1


def test_the_warning_points_at_the_callers_line() -> None:
    _, scheduler = _build("LRScheduler", -1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scheduler.step()
    assert len(caught) == 1
    assert caught[0].filename == __file__
