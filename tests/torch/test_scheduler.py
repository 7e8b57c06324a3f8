"""`warmcos.torch.LRScheduler`: param groups, steps and positions, hyperparameters, tensor LRs.

Expected values come from ``tests/reference.py`` (loop-based, written from the contract, no
warmcos code) or, where two paths of the adapter must agree, from the adapter itself compared
with ``==``: the LR at a step is a closed form, so every path to it gives the same float.

Two quantities, two names: a *step* (``last_step``, PyTorch's ``last_epoch``, the argument of
``step(epoch)``) counts optimizer updates; a *position* (``position``, the argument of ``seek``)
is where the schedule is read, ``last_step / steps_per_unit``.
"""

from __future__ import annotations

import copy
import math
import pickle
import time
import types
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import reference
import warmcos
from warmcos.torch import LRScheduler

# These tests drive the scheduler alone, without optimizer updates: PyTorch's call-order warning
# (tested in test_call_order_warning.py) does not concern them.
pytestmark = pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step:UserWarning")

ATOL = 1e-12

COSINE = warmcos.cosine(peak=0.1, steps=40, floor=0.002, warmup=8, warmup_start=0.01)
COSINE_REF = reference.cosine(peak=0.1, steps=40, floor=0.002, warmup=8, warmup_start=0.01)
RESTARTS = warmcos.cosine_restarts(
    peak=0.2, first_cycle=12, floor=0.004, cycle_mult=1.5, gamma=0.8, warmup=3
)
RESTARTS_REF = reference.cosine_restarts(
    peak=0.2, first_cycle=12, floor=0.004, cycle_mult=1.5, gamma=0.8, warmup=3
)


def _optimizer(
    lrs: Sequence[Any] = (0.1,), cls: type[torch.optim.Optimizer] = torch.optim.SGD, **kwargs: Any
) -> torch.optim.Optimizer:
    groups = [{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": lr} for lr in lrs]
    return cls(groups, **kwargs)


def _lrs(optimizer: torch.optim.Optimizer) -> list[float]:
    return [float(group["lr"]) for group in optimizer.param_groups]


def _snapshot(optimizer: torch.optim.Optimizer) -> list[dict[str, Any]]:
    """Every group's keys and non-parameter values (tensors by value and identity)."""
    out = []
    for group in optimizer.param_groups:
        entry: dict[str, Any] = {}
        for key, value in group.items():
            if key == "params":
                continue
            if isinstance(value, torch.Tensor):
                entry[key] = ("tensor", id(value), value.item())
            else:
                entry[key] = value
        out.append(entry)
    return out


def _assert_reports_optimizer(scheduler: LRScheduler) -> None:
    held = [group["lr"] for group in scheduler.optimizer.param_groups]
    last = scheduler.get_last_lr()
    assert len(last) == len(held)
    for mine, theirs in zip(last, held, strict=True):
        assert type(mine) is type(theirs)
        assert float(mine) == float(theirs)


# -- basics ------------------------------------------------------------------------------------


def test_is_a_pytorch_lr_scheduler() -> None:
    scheduler = LRScheduler(_optimizer(), COSINE)
    assert isinstance(scheduler, torch.optim.lr_scheduler.LRScheduler)


@pytest.mark.parametrize("lrs", [(0.1,), (0.1, 0.02, 0.5)])
def test_get_last_lr_equals_the_groups_right_after_construction(lrs: tuple[float, ...]) -> None:
    optimizer = _optimizer(lrs)
    scheduler = LRScheduler(optimizer, COSINE)
    _assert_reports_optimizer(scheduler)
    assert _lrs(optimizer)[0] == COSINE(0)


def test_first_update_uses_the_value_at_step_zero_then_follows_the_reference() -> None:
    optimizer = _optimizer()
    scheduler = LRScheduler(optimizer, COSINE)
    for t in range(60):
        assert optimizer.param_groups[0]["lr"] == pytest.approx(COSINE_REF(t), abs=ATOL, rel=0)
        _assert_reports_optimizer(scheduler)
        optimizer.step()
        scheduler.step()


def test_restarts_schedule_follows_the_reference_over_many_cycles() -> None:
    optimizer = _optimizer()
    scheduler = LRScheduler(optimizer, RESTARTS)
    for t in range(400):
        assert _lrs(optimizer)[0] == pytest.approx(RESTARTS_REF(t), abs=ATOL, rel=0)
        scheduler.step()


# -- param groups ------------------------------------------------------------------------------


def test_ratio_mode_keeps_every_groups_ratio_to_group_zero() -> None:
    bases = (0.1, 0.02, 0.35, 0.1)
    optimizer = _optimizer(bases)
    scheduler = LRScheduler(optimizer, RESTARTS)
    for t in range(80):
        lrs = _lrs(optimizer)
        assert lrs[0] == RESTARTS(t)  # group 0 follows the schedule exactly
        assert lrs[3] == lrs[0]
        for lr, base in zip(lrs, bases, strict=True):
            want = RESTARTS_REF(t) * base / bases[0]
            assert lr == pytest.approx(want, rel=1e-14, abs=ATOL)
        _assert_reports_optimizer(scheduler)
        scheduler.step()


def test_ratio_mode_takes_the_bases_from_initial_lr_when_groups_have_it() -> None:
    optimizer = _optimizer((0.5, 0.5))
    optimizer.param_groups[0]["initial_lr"] = 0.1
    optimizer.param_groups[1]["initial_lr"] = 0.05
    LRScheduler(optimizer, COSINE)
    assert _lrs(optimizer) == pytest.approx([COSINE(0), COSINE(0) / 2], rel=1e-15)


def test_absolute_mode_gives_every_group_the_schedule() -> None:
    optimizer = _optimizer((0.1, 0.02, 3.0))
    scheduler = LRScheduler(optimizer, COSINE, group_scaling="absolute")
    for t in range(50):
        assert _lrs(optimizer) == [COSINE(t)] * 3
        scheduler.step()


def test_a_list_of_schedules_drives_one_group_each() -> None:
    optimizer = _optimizer((0.1, 0.02))
    scheduler = LRScheduler(optimizer, [COSINE, RESTARTS])
    for t in range(60):
        want = [COSINE_REF(t), RESTARTS_REF(t)]
        assert _lrs(optimizer) == pytest.approx(want, abs=ATOL, rel=0)
        scheduler.step()


@pytest.mark.parametrize(
    ("scaling", "expected"), [("ratio", lambda v: v * 0.5), ("absolute", lambda v: v)]
)
def test_a_group_added_later_is_scheduled_from_its_next_step(
    scaling: str, expected: Callable[[float], float]
) -> None:
    optimizer = _optimizer((0.1,))
    scheduler = LRScheduler(optimizer, COSINE, group_scaling=scaling)
    for _ in range(5):
        scheduler.step()
    optimizer.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.05})
    for t in range(6, 30):
        scheduler.step()
        lrs = _lrs(optimizer)
        assert lrs[0] == COSINE(t)
        assert lrs[1] == pytest.approx(expected(COSINE_REF(t)), rel=1e-14, abs=ATOL)
        _assert_reports_optimizer(scheduler)


def test_a_group_added_later_to_a_list_of_schedules_gets_a_clear_error() -> None:
    # One schedule per group leaves the new group without one: the error must say so, not
    # leak zip()'s "argument 2 is shorter than argument 1".
    optimizer = _optimizer((0.1, 0.02))
    scheduler = LRScheduler(optimizer, [COSINE, RESTARTS])
    optimizer.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.05})
    with pytest.raises(ValueError, match="param group"):
        scheduler.step()


def test_last_step_resumes_after_that_step_without_initial_lr() -> None:
    optimizer = _optimizer((0.1, 0.03))
    scheduler = LRScheduler(optimizer, RESTARTS, last_step=20)
    # as PyTorch's last_epoch: construction takes one step, so the first update uses step 21
    assert scheduler.last_epoch == 21
    for t in range(21, 40):
        assert _lrs(optimizer) == _fresh_lrs_at(t, (0.1, 0.03))
        scheduler.step()


# -- steps and positions: steps_per_unit, step(epoch), seek(position), closed form -----------


@pytest.mark.parametrize("steps_per_unit", [4, 2.5, 7])
def test_steps_per_unit_steps_an_epoch_schedule_per_batch(steps_per_unit: float) -> None:
    epochs = warmcos.cosine(peak=0.1, steps=6, floor=0.001, warmup=1, warmup_start=0.02)
    epochs_ref = reference.cosine(peak=0.1, steps=6, floor=0.001, warmup=1, warmup_start=0.02)
    optimizer = _optimizer()
    scheduler = LRScheduler(optimizer, epochs, steps_per_unit=steps_per_unit)
    for batch in range(60):
        t = batch / steps_per_unit
        assert scheduler.position == t
        assert _lrs(optimizer)[0] == pytest.approx(epochs_ref(t), abs=ATOL, rel=0)
        scheduler.step()


def test_step_epoch_is_a_step_and_position_is_in_schedule_units() -> None:
    # The regression: with steps_per_unit=10, `s.step(s.position)` used to move 5.0 to 0.5,
    # because step() took steps while `position` was in units under one word.
    epochs = warmcos.cosine(peak=0.1, steps=6, floor=0.001, warmup=1)
    optimizer = _optimizer()
    scheduler = LRScheduler(optimizer, epochs, steps_per_unit=4)
    scheduler.step(6)  # step 6 = 6 batches = 1.5 epochs
    assert (scheduler.last_step, scheduler.last_epoch, scheduler.position) == (6, 6, 1.5)
    assert _lrs(optimizer)[0] == epochs(1.5)
    scheduler.step(scheduler.last_step)  # a step, given as a step: nothing moves
    assert (scheduler.last_step, scheduler.position) == (6, 1.5)
    scheduler.seek(scheduler.position)  # a position, given as a position: nothing moves
    assert (scheduler.last_step, scheduler.position) == (6, 1.5)
    assert _lrs(optimizer)[0] == epochs(1.5)


def test_seek_jumps_to_a_position_in_schedule_units() -> None:
    epochs = warmcos.cosine(peak=0.1, steps=6, floor=0.001, warmup=1)
    epochs_ref = reference.cosine(peak=0.1, steps=6, floor=0.001, warmup=1)
    optimizer = _optimizer()
    scheduler = LRScheduler(optimizer, epochs, steps_per_unit=10)
    for position, steps in [(5.0, 50.0), (0.5, 5.0), (2.25, 22.5), (0, 0), (6, 60)]:
        scheduler.seek(position)
        assert scheduler.last_step == steps
        assert scheduler.position == position
        assert _lrs(optimizer)[0] == pytest.approx(epochs_ref(position), abs=ATOL, rel=0)
        _assert_reports_optimizer(scheduler)
        scheduler.step()  # and one step on from there is 1/10 of a unit
        assert scheduler.last_step == steps + 1
        assert scheduler.position == pytest.approx(position + 0.1, abs=1e-12, rel=0)


def test_a_one_element_tensor_is_a_step_or_a_position_too() -> None:
    optimizer, twin = _optimizer((0.1, 0.03)), _optimizer((0.1, 0.03))
    scheduler, reference_scheduler = (
        LRScheduler(optimizer, RESTARTS, steps_per_unit=2),
        LRScheduler(twin, RESTARTS, steps_per_unit=2),
    )
    scheduler.step(torch.tensor(7))
    reference_scheduler.step(7)
    assert (scheduler.last_step, _lrs(optimizer)) == (7, _lrs(twin))
    scheduler.seek(torch.tensor([2.5]))
    reference_scheduler.seek(2.5)
    assert (scheduler.last_step, _lrs(optimizer)) == (5.0, _lrs(twin))


def test_seek_with_one_step_per_unit_is_step_epoch() -> None:
    first, second = _optimizer((0.1, 0.03)), _optimizer((0.1, 0.03))
    seeking, stepping = LRScheduler(first, RESTARTS), LRScheduler(second, RESTARTS)
    for t in (3, 12.25, 0.5, 40):
        seeking.seek(t)
        stepping.step(t)
        assert seeking.state_dict() == stepping.state_dict()
        assert _lrs(first) == _lrs(second)


def test_fractional_steps_follow_the_reference() -> None:
    optimizer = _optimizer()
    scheduler = LRScheduler(optimizer, RESTARTS)
    for t in (0.5, 2.75, 3.0, 11.999, 12.0, 12.25, 29.5, 0.0, 100.125):
        scheduler.step(t)
        assert scheduler.last_step == t
        assert _lrs(optimizer)[0] == pytest.approx(RESTARTS_REF(t), abs=ATOL, rel=0)
        _assert_reports_optimizer(scheduler)


def _fresh_lrs_at(steps: float, bases: Sequence[float], **kwargs: Any) -> list[float]:
    optimizer = _optimizer(bases)
    LRScheduler(optimizer, RESTARTS, **kwargs).step(steps)
    return _lrs(optimizer)


@settings(max_examples=60, deadline=None)
@given(
    moves=st.lists(
        st.one_of(
            st.none(),
            st.integers(0, 200),
            st.integers(0, 800).map(lambda q: q / 4),
            st.floats(0, 200, allow_nan=False, allow_infinity=False),
        ),
        min_size=1,
        max_size=25,
    ),
    steps_per_unit=st.sampled_from([1, 3, 2.5]),
)
def test_any_path_to_a_step_gives_identical_values(
    moves: list[float | None], steps_per_unit: float
) -> None:
    bases = (0.1, 0.03)
    optimizer = _optimizer(bases)
    scheduler = LRScheduler(optimizer, RESTARTS, steps_per_unit=steps_per_unit)
    steps: float = 0
    for move in moves:
        if move is None:
            scheduler.step()
            steps += 1
        else:
            scheduler.step(move)
            steps = move
        assert scheduler.last_step == scheduler.last_epoch == steps
        assert scheduler.position == steps / steps_per_unit
        assert _lrs(optimizer) == _fresh_lrs_at(steps, bases, steps_per_unit=steps_per_unit)
        _assert_reports_optimizer(scheduler)


def test_the_lr_at_a_step_never_depends_on_how_many_steps_were_taken() -> None:
    optimizer = _optimizer((0.1, 0.03))
    scheduler = LRScheduler(optimizer, RESTARTS)
    for _ in range(1000):
        scheduler.step()
    scheduler.step(5)
    assert _lrs(optimizer) == _fresh_lrs_at(5, (0.1, 0.03))
    for _ in range(3):
        scheduler.step()
    assert _lrs(optimizer) == _fresh_lrs_at(8, (0.1, 0.03))


def test_outside_changes_to_group_lr_do_not_carry_forward() -> None:
    optimizer = _optimizer((0.1, 0.03))
    scheduler = LRScheduler(optimizer, RESTARTS)
    for group in optimizer.param_groups:
        group["lr"] = 123.0
    scheduler.step()
    assert _lrs(optimizer) == _fresh_lrs_at(1, (0.1, 0.03))


# -- copies ----------------------------------------------------------------------------------

COPY_CASES = {
    "one value": lambda: LRScheduler(_optimizer((0.1, 0.1)), RESTARTS),
    "ratios": lambda: LRScheduler(_optimizer((0.1, 0.03)), RESTARTS),
    "one schedule per group": lambda: LRScheduler(_optimizer((0.1, 0.03)), [COSINE, RESTARTS]),
    "tensor lrs": lambda: LRScheduler(
        _optimizer((torch.tensor(0.1), torch.tensor(0.03)), torch.optim.Adam), RESTARTS
    ),
}


@pytest.mark.parametrize("case", list(COPY_CASES))
def test_a_deep_copy_with_its_optimizer_drives_only_the_copied_groups(case: str) -> None:
    # step() caches how to write into the groups' dicts: a copy must not write into the
    # original's.
    original = COPY_CASES[case]()
    for _ in range(3):
        original.step()
    before = _lrs(original.optimizer)
    optimizer, scheduler = copy.deepcopy((original.optimizer, original))
    assert scheduler.optimizer is optimizer
    twin = COPY_CASES[case]()
    for _ in range(3):
        twin.step()
    for _ in range(20):
        scheduler.step()
        twin.step()
        assert _lrs(optimizer) == _lrs(twin.optimizer)
        assert [float(v) for v in scheduler.get_last_lr()] == _lrs(optimizer)
    assert _lrs(original.optimizer) == before


@pytest.mark.parametrize("case", list(COPY_CASES))
def test_a_pickled_scheduler_resumes_exactly(case: str) -> None:
    original, twin = COPY_CASES[case](), COPY_CASES[case]()
    for _ in range(5):
        original.step()
        twin.step()
    restored = pickle.loads(pickle.dumps(original))
    for _ in range(20):
        restored.step()
        twin.step()
        assert _lrs(restored.optimizer) == _lrs(twin.optimizer)


@pytest.mark.parametrize("case", list(COPY_CASES))
def test_the_groups_replaced_by_optimizer_load_state_dict_are_the_ones_written(case: str) -> None:
    # Optimizer.load_state_dict() puts new param-group dicts in a new list: step() must write
    # into those, not into the dicts it saw before.
    scheduler, twin = COPY_CASES[case](), COPY_CASES[case]()
    for _ in range(4):
        scheduler.step()
        twin.step()
    old_groups = scheduler.optimizer.param_groups
    scheduler.optimizer.load_state_dict(scheduler.optimizer.state_dict())
    assert scheduler.optimizer.param_groups is not old_groups
    for _ in range(10):
        scheduler.step()
        twin.step()
        assert _lrs(scheduler.optimizer) == _lrs(twin.optimizer)
        assert [float(v) for v in scheduler.get_last_lr()] == _lrs(scheduler.optimizer)


# -- schedules given as spec strings or dicts -------------------------------------------------

COSINE_SPEC = "cosine(peak=0.1, steps=40, floor=0.002, warmup=8, warmup_start=0.01)"


@pytest.mark.parametrize(
    "given",
    [COSINE_SPEC, COSINE.to_dict(), types.MappingProxyType(COSINE.to_dict())],
    ids=["spec", "dict", "mapping"],
)
def test_a_spec_string_or_dict_gives_the_same_run_as_the_schedule(given: Any) -> None:
    optimizer, twin = _optimizer((0.1, 0.03)), _optimizer((0.1, 0.03))
    scheduler, reference_scheduler = LRScheduler(optimizer, given), LRScheduler(twin, COSINE)
    assert scheduler.schedules == [COSINE]
    assert scheduler.state_dict() == reference_scheduler.state_dict()
    for t in range(50):
        assert _lrs(optimizer)[0] == pytest.approx(COSINE_REF(t), abs=ATOL, rel=0)
        assert _lrs(optimizer) == _lrs(twin)
        scheduler.step()
        reference_scheduler.step()


def test_each_item_of_a_per_group_list_may_be_a_spec_or_a_dict() -> None:
    optimizer = _optimizer((0.1, 0.02, 0.5))
    scheduler = LRScheduler(optimizer, [COSINE_SPEC, RESTARTS.to_dict(), COSINE])
    assert scheduler.schedules == [COSINE, RESTARTS, COSINE]
    for t in range(30):
        want = [COSINE_REF(t), RESTARTS_REF(t), COSINE_REF(t)]
        assert _lrs(optimizer) == pytest.approx(want, abs=ATOL, rel=0)
        scheduler.step()


def test_hyperparameter_schedules_may_be_specs_or_dicts() -> None:
    momentum = warmcos.linear(start=0.95, end=0.85, steps=10)
    decay = warmcos.cosine(peak=0.1, steps=20, floor=0.01)
    optimizer = _optimizer((0.1, 0.01), momentum=0.9)
    scheduler = LRScheduler(
        optimizer,
        COSINE,
        hyperparameters={"momentum": repr(momentum), "weight_decay": decay.to_dict()},
    )
    assert {key: item[2] for key, item in scheduler.hyperparameters.items()} == {
        "momentum": momentum,
        "weight_decay": decay,
    }
    for t in range(25):
        for group in optimizer.param_groups:
            assert (group["momentum"], group["weight_decay"]) == (momentum(t), decay(t))
        scheduler.step()


# -- other hyperparameters ---------------------------------------------------------------------


def test_momentum_is_scheduled_in_every_group() -> None:
    momentum = warmcos.linear(start=0.95, end=0.85, steps=10)
    momentum_ref = reference.linear(start=0.95, end=0.85, steps=10)
    optimizer = _optimizer((0.1, 0.01), momentum=0.9)
    scheduler = LRScheduler(optimizer, COSINE, hyperparameters={"momentum": momentum})
    for t in range(15):
        for group in optimizer.param_groups:
            assert group["momentum"] == pytest.approx(momentum_ref(t), abs=ATOL, rel=0)
        scheduler.step()


def test_betas_item_and_weight_decay_are_scheduled_and_betas_stays_a_tuple() -> None:
    beta1 = warmcos.cosine(peak=0.95, steps=20, floor=0.85)
    beta1_ref = reference.cosine(peak=0.95, steps=20, floor=0.85)
    decay = warmcos.linear(start=0.0, end=0.1, steps=10)
    decay_ref = reference.linear(start=0.0, end=0.1, steps=10)
    optimizer = _optimizer((0.1, 0.01), torch.optim.AdamW, betas=(0.9, 0.99))
    scheduler = LRScheduler(
        optimizer, COSINE, hyperparameters={"betas[0]": beta1, "weight_decay": decay}
    )
    optimizer.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.02})
    scheduler.step(0)
    for t in range(25):
        for group in optimizer.param_groups:
            assert isinstance(group["betas"], tuple)
            assert group["betas"][0] == pytest.approx(beta1_ref(t), abs=ATOL, rel=0)
            assert group["betas"][1] == 0.99
            assert group["weight_decay"] == pytest.approx(decay_ref(t), abs=ATOL, rel=0)
        scheduler.step()


def test_tensor_betas_item_is_updated_in_place() -> None:
    beta1 = warmcos.linear(start=0.9, end=0.8, steps=10)
    optimizer = _optimizer((0.1,), torch.optim.Adam, betas=(torch.tensor(0.9), torch.tensor(0.99)))
    item = optimizer.param_groups[0]["betas"][0]
    scheduler = LRScheduler(optimizer, COSINE, hyperparameters={"betas[0]": beta1})
    for t in range(12):
        assert optimizer.param_groups[0]["betas"][0] is item
        assert item.item() == pytest.approx(beta1(t), abs=1e-7)
        scheduler.step()


@pytest.mark.parametrize(
    ("key", "value", "error", "match"),
    [
        ("lr", COSINE, ValueError, "hyperparameters.*'lr'"),
        ("momentumm", COSINE, ValueError, "hyperparameters.*momentumm"),
        ("betas[2]", COSINE, ValueError, r"hyperparameters.*betas\[2\]"),
        ("betas[x]", COSINE, ValueError, r"hyperparameters.*betas\[x\]"),
        # a tuple-valued key needs an index: a float in place of the tuple breaks Adam.step()
        ("betas", COSINE, ValueError, "hyperparameters.*betas"),
        ("weight_decay", 0.01, TypeError, "weight_decay.*0.01"),
    ],
)
def test_bad_hyperparameters_are_refused_before_the_optimizer_is_touched(
    key: str, value: Any, error: type[Exception], match: str
) -> None:
    optimizer = _optimizer((0.1, 0.01), torch.optim.Adam)
    before = _snapshot(optimizer)
    with pytest.raises(error, match=match):
        LRScheduler(optimizer, COSINE, hyperparameters={key: value})
    assert _snapshot(optimizer) == before


def test_a_hyperparameter_only_some_groups_have_is_refused() -> None:
    optimizer = _optimizer((0.1,), torch.optim.SGD, momentum=0.9)
    optimizer.param_groups[0].pop("momentum")
    optimizer.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "momentum": 0.9})
    optimizer.param_groups[1].pop("momentum")
    before = _snapshot(optimizer)
    with pytest.raises(ValueError, match="momentum"):
        LRScheduler(optimizer, COSINE, hyperparameters={"momentum": COSINE})
    assert _snapshot(optimizer) == before


# -- tensor learning rates ---------------------------------------------------------------------


def test_tensor_lr_is_updated_in_place_and_stays_a_tensor() -> None:
    lr0, lr1 = torch.tensor(0.1), torch.tensor(0.05)
    optimizer = _optimizer((lr0, lr1), torch.optim.Adam)
    scheduler = LRScheduler(optimizer, RESTARTS)
    for t in range(40):
        held = [group["lr"] for group in optimizer.param_groups]
        assert held[0] is lr0
        assert held[1] is lr1
        assert lr0.item() == pytest.approx(RESTARTS_REF(t), rel=1e-6)
        assert lr1.item() == pytest.approx(RESTARTS_REF(t) / 2, rel=1e-6)
        last = scheduler.get_last_lr()
        assert all(isinstance(item, torch.Tensor) for item in last)
        assert [item.item() for item in last] == [lr0.item(), lr1.item()]
        # get_last_lr() hands out copies: changing them must not change the optimizer
        assert last[0] is not lr0
        scheduler.step()


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")
def test_compiled_optimizer_step_is_not_recompiled_as_the_lr_changes() -> None:
    dynamo = pytest.importorskip("torch._dynamo")
    from torch._dynamo.utils import counters

    started = time.perf_counter()
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    twin = torch.nn.Linear(4, 1)
    twin.load_state_dict(model.state_dict())
    schedule = warmcos.cosine_restarts(
        peak=0.01, first_cycle=20, floor=1e-4, cycle_mult=1.5, warmup=5
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=torch.tensor(0.01))
    eager = torch.optim.Adam(twin.parameters(), lr=torch.tensor(0.01))
    lr = optimizer.param_groups[0]["lr"]
    scheduler = LRScheduler(optimizer, schedule)
    eager_scheduler = LRScheduler(eager, schedule)

    @torch.compile
    def compiled_step() -> None:
        optimizer.step()

    dynamo.reset()
    counters.clear()
    try:
        for p, q in zip(model.parameters(), twin.parameters(), strict=True):
            p.grad = torch.ones_like(p)
            q.grad = torch.ones_like(q)
        compiled_step()
    except Exception as exc:  # no C++ compiler, unsupported platform, ...
        pytest.skip(f"torch.compile does not work on this machine: {type(exc).__name__}: {exc}")
    eager.step()
    scheduler.step()
    eager_scheduler.step()

    def compile_counts() -> tuple[int, int]:
        return counters["stats"]["unique_graphs"], counters["frames"]["total"]

    after_first = compile_counts()
    assert after_first[0] >= 1
    values = set()
    for _ in range(199):
        compiled_step()
        eager.step()
        scheduler.step()
        eager_scheduler.step()
        values.add(lr.item())
    assert optimizer.param_groups[0]["lr"] is lr
    assert len(values) > 100  # the LR really changed along the way
    assert compile_counts() == after_first
    # The compiled step saw every new LR: it trained exactly like the eager twin.
    for p, q in zip(model.parameters(), twin.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)
    assert time.perf_counter() - started < 120


# -- input errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"schedule": "cosine"}, ValueError, "`schedule` must describe a valid.*'cosine'"),
        ({"schedule": "cosine(peak=-1, steps=5)"}, ValueError, "`schedule` must.*peak"),
        ({"schedule": {"type": "bogus"}}, ValueError, "`schedule` must.*'bogus'"),
        ({"schedule": {"type": "cosine", "peak": math.nan, "steps": 9}}, ValueError, "peak.*nan"),
        ({"schedule": 0.1}, TypeError, "schedule.*0.1"),
        ({"schedule": None}, TypeError, "schedule.*None"),
        ({"schedule": [COSINE]}, ValueError, "schedule.*one schedule per param group"),
        ({"schedule": [COSINE, COSINE, COSINE]}, ValueError, "schedule"),
        ({"schedule": [COSINE, "x"]}, ValueError, r"`schedule\[1\]` must.*'x'"),
        ({"schedule": [COSINE, 0.1]}, TypeError, r"`schedule\[1\]` must.*0.1"),
        ({"steps_per_unit": 0}, ValueError, "steps_per_unit.*0"),
        ({"steps_per_unit": -2}, ValueError, "steps_per_unit.*-2"),
        ({"steps_per_unit": math.nan}, ValueError, "steps_per_unit.*nan"),
        ({"steps_per_unit": "4"}, TypeError, "steps_per_unit.*'4'"),
        ({"last_step": -2}, ValueError, "last_step.*-2"),
        ({"last_step": None}, TypeError, "last_step.*None"),
        ({"last_step": math.nan}, ValueError, "last_step.*finite.*nan"),
        ({"last_step": 2**1100}, ValueError, "last_step.*finite.*about 332 digits"),
        ({"last_step": 1e308, "steps_per_unit": 0.5}, ValueError, "last_step.*finite position"),
        ({"group_scaling": "relative"}, ValueError, "group_scaling.*'relative'"),
        ({"hyperparameters": [("momentum", COSINE)]}, TypeError, "hyperparameters"),
        ({"hyperparameters": 5}, TypeError, "hyperparameters=5"),
        ({"hyperparameters": {"momentum": "x"}}, ValueError, r"hyperparameters\['momentum'\]"),
        ({"hyperparameters": {"momentum": None}}, TypeError, r"hyperparameters\['momentum'\]"),
    ],
)
def test_bad_arguments_are_refused_before_the_optimizer_is_touched(
    kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    optimizer = _optimizer((0.1, 0.02), momentum=0.9)
    before = _snapshot(optimizer)
    arguments = {"schedule": COSINE, **kwargs}
    with pytest.raises(error, match=match):
        LRScheduler(optimizer, **arguments)
    assert _snapshot(optimizer) == before
    assert not hasattr(optimizer.step, "_wrapped_by_lr_sched")


def test_a_non_optimizer_is_refused() -> None:
    with pytest.raises(TypeError, match=r"optimizer.*list"):
        LRScheduler([], COSINE)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("lrs", "scaling", "match"),
    [
        ((math.nan, 0.02), "ratio", r"param_groups\[0\]\['lr'\]` must be finite.*nan"),
        ((math.nan, 0.02), "absolute", r"param_groups\[0\]\['lr'\]` must be finite.*nan"),
        ((0.1, math.inf), "ratio", r"param_groups\[1\]\['lr'\]` must be finite.*inf"),
        ((0.1, math.inf), "absolute", r"param_groups\[1\]\['lr'\]` must be finite.*inf"),
        ((1e-320, 0.02), "ratio", r"param_groups\[1\]\['lr'\]` must keep a finite ratio"),
    ],
)
def test_bad_group_lrs_are_refused_before_the_optimizer_is_touched(
    lrs: tuple[float, ...], scaling: str, match: str
) -> None:
    optimizer = _optimizer(lrs)
    before = _snapshot(optimizer)
    with pytest.raises(ValueError, match=match):
        LRScheduler(optimizer, COSINE, group_scaling=scaling)
    assert _snapshot(optimizer) == before
    assert not hasattr(optimizer.step, "_wrapped_by_lr_sched")


def test_a_huge_last_step_is_a_value_error_and_leaves_the_optimizer_untouched() -> None:
    # The regression: `last_step=2**1100` raised OverflowError after touching the optimizer.
    optimizer = _optimizer((0.1, 0.02))
    before = _snapshot(optimizer)
    with pytest.raises(ValueError, match=r"`last_step` must be finite"):
        LRScheduler(optimizer, COSINE, last_step=2**1100)
    assert _snapshot(optimizer) == before
    assert not hasattr(optimizer.step, "_wrapped_by_lr_sched")
    # A large but finite last_step is fine (it is held at the schedule's end).
    scheduler = LRScheduler(optimizer, COSINE, last_step=2**1000)
    assert scheduler.last_step == 2**1000 + 1
    assert _lrs(optimizer)[0] == COSINE(40)


def test_ratio_mode_refuses_a_zero_lr_in_group_zero() -> None:
    optimizer = _optimizer((0.0, 0.02))
    before = _snapshot(optimizer)
    with pytest.raises(ValueError, match=r"param_groups\[0\]\['lr'\].*0\.0"):
        LRScheduler(optimizer, COSINE)
    assert _snapshot(optimizer) == before
    LRScheduler(optimizer, COSINE, group_scaling="absolute")  # fine without ratios


BAD_JUMPS = [
    (-1, ValueError, r"-1"),
    (-0.5, ValueError, r"-0.5"),
    (math.nan, ValueError, r"finite.*nan"),
    (math.inf, ValueError, r"finite.*inf"),
    (2**1100, ValueError, r"finite.*an integer of about 332 digits"),
    ("3", TypeError, r"'3'"),
    (True, TypeError, r"True"),
    ([3], TypeError, r"\[3\]"),
]


@pytest.mark.parametrize(("method", "name"), [("step", "epoch"), ("seek", "position")])
@pytest.mark.parametrize(("value", "error", "match"), BAD_JUMPS)
def test_a_bad_jump_is_refused_by_name_and_changes_nothing(
    method: str, name: str, value: Any, error: type[Exception], match: str
) -> None:
    optimizer = _optimizer((0.1, 0.02))
    scheduler = LRScheduler(optimizer, RESTARTS, steps_per_unit=2)
    scheduler.step(7)
    lrs, state, last = _lrs(optimizer), scheduler.state_dict(), scheduler.get_last_lr()
    with pytest.raises(error, match=rf"\.{method}\(\): `{name}`.*{match}"):
        getattr(scheduler, method)(value)
    # step_count (in state_dict) included: a refused jump is not counted as a step() call
    assert scheduler.state_dict() == state
    assert _lrs(optimizer) == lrs
    assert scheduler.get_last_lr() == last
    _assert_reports_optimizer(scheduler)


def test_a_jump_whose_position_overflows_is_refused() -> None:
    # step(): 1e308 steps are finite, 1e308 / 0.5 units are not.
    optimizer = _optimizer((0.1, 0.02))
    scheduler = LRScheduler(optimizer, RESTARTS, steps_per_unit=0.5)
    state = scheduler.state_dict()
    with pytest.raises(ValueError, match=r"`epoch` must give a finite position"):
        scheduler.step(1e308)
    assert scheduler.state_dict() == state
    # seek(): 1e308 units are finite, 1e308 * 4 steps are not.
    scheduler = LRScheduler(optimizer, RESTARTS, steps_per_unit=4)
    state = scheduler.state_dict()
    with pytest.raises(ValueError, match=r"`position` must give a finite step.*1e\+308"):
        scheduler.seek(1e308)
    assert scheduler.state_dict() == state


def test_a_failing_step_changes_nothing() -> None:
    # A group added to a one-schedule-per-group scheduler fails at the next step(): the step
    # must not be half taken (counted, or its step moved) when it fails.
    optimizer = _optimizer((0.1, 0.02))
    scheduler = LRScheduler(optimizer, [COSINE, RESTARTS])
    scheduler.step()
    state, lrs = scheduler.state_dict(), _lrs(optimizer)
    optimizer.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.05})
    with pytest.raises(ValueError, match="param group"):
        scheduler.step()
    assert scheduler.state_dict() == state
    assert _lrs(optimizer)[:2] == lrs


def test_a_group_added_later_with_a_bad_lr_is_refused_at_the_next_step() -> None:
    optimizer = _optimizer((0.1,))
    scheduler = LRScheduler(optimizer, COSINE)
    scheduler.step()
    state = scheduler.state_dict()
    optimizer.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": math.nan})
    with pytest.raises(ValueError, match=r"param_groups\[1\]\['lr'\]` must be finite.*nan"):
        scheduler.step()
    assert scheduler.state_dict() == state
    assert "initial_lr" not in optimizer.param_groups[1]
