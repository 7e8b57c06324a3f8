"""`warmcos.torch.CosineAnnealingWarmupRestarts`: the seed's class with its defects fixed (issue 3).

The reference below is written in this file from SEED.md ("Interface 1"), stepped one update at
a time like the article's scheduler (position in cycle, cycle counter, next length
``int((L - warmup_steps) * cycle_mult) + warmup_steps``); it shares no code with warmcos. The
fixes SEED.md asks for that change values are options of the reference (`clamp_peak`,
`warmup_cycles`). Every defect listed in SEED.md has its own regression test below.

Tolerance of the parity tests: 2 ulps of `max_lr`. warmcos evaluates the same formula with a
different association (``(P - m) * (0.5 * (1 + cos))`` against the seed's
``(P - m) * (1 + cos) / 2``), which moves the last bit of about a fifth of the values.
"""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from warmcos.torch import CosineAnnealingWarmupRestarts

# These tests drive schedulers alone, without optimizer updates: PyTorch's call-order warning
# (tested in test_call_order_warning.py) does not concern them.
pytestmark = pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step:UserWarning")


def _seed_steps(
    first_cycle_steps: int,
    cycle_mult: float = 1.0,
    max_lr: float = 0.1,
    min_lr: float = 0.001,
    warmup_steps: int = 0,
    gamma: float = 1.0,
    *,
    clamp_peak: bool = False,
    warmup_cycles: str = "every",
) -> Iterator[float]:
    """The seed's LR for step 0, 1, 2, ... (position advanced one step at a time)."""
    step_in_cycle, cycle = 0, 0
    warmup = warmup_steps
    length = first_cycle_steps
    while True:
        if step_in_cycle >= length:
            step_in_cycle -= length
            cycle += 1
            decay = length - warmup
            if warmup_cycles == "first":
                warmup = 0
            length = int(decay * cycle_mult) + warmup
        peak = max_lr * gamma**cycle
        if clamp_peak:
            peak = max(peak, min_lr)
        if step_in_cycle < warmup:
            yield min_lr + (peak - min_lr) * step_in_cycle / warmup
        else:
            progress = (step_in_cycle - warmup) / (length - warmup)
            yield min_lr + (peak - min_lr) * (1 + math.cos(math.pi * progress)) / 2
        step_in_cycle += 1


def _seed_list(n: int, *args: Any, **kwargs: Any) -> list[float]:
    values = _seed_steps(*args, **kwargs)
    return [next(values) for _ in range(n)]


def _seed_at(position: float, first_cycle_steps: int, cycle_mult: float, **kwargs: Any) -> float:
    """The seed's formulas at a (possibly fractional) position, cycles walked one by one."""
    warmup = kwargs.get("warmup_steps", 0)
    max_lr, min_lr = kwargs.get("max_lr", 0.1), kwargs.get("min_lr", 0.001)
    start, length, cycle = 0, first_cycle_steps, 0
    while position >= start + length:
        start += length
        length = int((length - warmup) * cycle_mult) + warmup
        cycle += 1
    s = position - start
    peak = max_lr * kwargs.get("gamma", 1.0) ** cycle
    if s < warmup:
        return min_lr + (peak - min_lr) * s / warmup
    return min_lr + (peak - min_lr) * (1 + math.cos(math.pi * (s - warmup) / (length - warmup))) / 2


def _optimizer(lrs: tuple[Any, ...] = (0.01,), **kwargs: Any) -> torch.optim.Optimizer:
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups, **kwargs)


def _lrs(optimizer: torch.optim.Optimizer) -> list[float]:
    return [float(group["lr"]) for group in optimizer.param_groups]


def _run(scheduler: CosineAnnealingWarmupRestarts, n: int, group: int = 0) -> list[float]:
    """LR of `group` used by the first `n` updates (read before each step())."""
    out = []
    for _ in range(n):
        out.append(float(scheduler.optimizer.param_groups[group]["lr"]))
        scheduler.optimizer.step()
        scheduler.step()
    return out


def _assert_seed_close(got: list[float], want: list[float], max_lr: float) -> None:
    tolerance = 2 * math.ulp(max_lr)
    bad = [
        (t, g, w) for t, (g, w) in enumerate(zip(got, want, strict=True)) if abs(g - w) > tolerance
    ]
    assert not bad, f"{len(bad)} steps differ, first (step, got, seed): {bad[0]}"


def _snapshot(optimizer: torch.optim.Optimizer) -> list[dict[str, Any]]:
    return [
        {key: value for key, value in group.items() if key != "params"}
        for group in optimizer.param_groups
    ]


# -- parity with the seed's formulas -----------------------------------------------------------

PARITY_CASES = [
    # first_cycle_steps, cycle_mult, max_lr, min_lr, warmup_steps, gamma
    (10, 1.0, 0.1, 0.001, 0, 1.0),
    (10, 1.0, 0.1, 0.001, 3, 1.0),
    (1, 1.0, 0.1, 0.001, 0, 1.0),
    (2, 1.0, 0.1, 0.0, 1, 1.0),
    (16, 2.0, 0.1, 0.001, 0, 0.9),
    (16, 2.0, 1.0, 0.0, 4, 0.5),
    (37, 1.3, 0.3, 0.003, 5, 0.8),
    (25, 1.5, 0.05, 0.01, 7, 0.95),
    (128, 1.5, 0.1, 0.001, 0, 1.0),
    (9, 1.7, 2.0, 0.5, 8, 0.98),
]


@pytest.mark.parametrize(("first", "mult", "max_lr", "min_lr", "warmup", "gamma"), PARITY_CASES)
def test_step_sequence_equals_the_seed_formulas(
    first: int, mult: float, max_lr: float, min_lr: float, warmup: int, gamma: float
) -> None:
    n = 600
    want = _seed_list(n, first, mult, max_lr, min_lr, warmup, gamma)
    # These cases keep every cycle's peak above min_lr, where the seed needs no fix.
    assert want == _seed_list(n, first, mult, max_lr, min_lr, warmup, gamma, clamp_peak=True)
    scheduler = CosineAnnealingWarmupRestarts(
        _optimizer(), first, mult, max_lr, min_lr, warmup, gamma
    )
    _assert_seed_close(_run(scheduler, n), want, max_lr)


def test_step_zero_is_max_lr_without_warmup_and_min_lr_with_warmup() -> None:
    optimizer = _optimizer()
    CosineAnnealingWarmupRestarts(optimizer, 10, max_lr=0.1, min_lr=0.001)
    assert _lrs(optimizer) == [0.1]
    optimizer = _optimizer()
    CosineAnnealingWarmupRestarts(optimizer, 10, max_lr=0.1, min_lr=0.001, warmup_steps=2)
    assert _lrs(optimizer) == [0.001]


def test_warmup_in_the_first_cycle_only() -> None:
    args = (20, 1.5, 0.1, 0.001, 5, 0.9)
    want = _seed_list(400, *args, warmup_cycles="first")
    scheduler = CosineAnnealingWarmupRestarts(_optimizer(), *args, warmup_cycles="first")
    got = _run(scheduler, 400)
    _assert_seed_close(got, want, 0.1)
    # cycle 1 starts right at its (decayed) peak: no second warm-up
    assert got[20] == pytest.approx(0.1 * 0.9, rel=1e-15)


def test_explicit_epochs_agree_with_the_seed_formulas_at_fractional_steps() -> None:
    # step(epoch) takes a step (PyTorch's last_epoch), possibly fractional, as the seed's does.
    kwargs = {"max_lr": 0.1, "min_lr": 0.001, "warmup_steps": 3, "gamma": 0.9}
    scheduler = CosineAnnealingWarmupRestarts(_optimizer(), 10, 1.5, **kwargs)
    for epoch in (0.5, 1.25, 2.999, 3.0, 3.5, 9.75, 10.0, 10.5, 24.25, 41.5, 7.5):
        scheduler.step(epoch)
        assert scheduler.last_step == scheduler.last_epoch == scheduler.position == epoch
        want = _seed_at(epoch, 10, 1.5, **kwargs)
        assert _lrs(scheduler.optimizer)[0] == pytest.approx(want, abs=2 * math.ulp(0.1), rel=0)


def test_cycle_attributes_follow_the_incremental_rule() -> None:
    scheduler = CosineAnnealingWarmupRestarts(_optimizer(), 10, 2.0, warmup_steps=2)
    # lengths 10, 18 (= int(8 * 2) + 2), 34: cycles start at 0, 10, 28, 62
    expected = {0: (0, 0, 10), 9: (0, 9, 10), 10: (1, 0, 18), 27: (1, 17, 18), 28: (2, 0, 34)}
    for epoch, (cycle, step_in_cycle, length) in expected.items():
        scheduler.step(epoch)
        assert (scheduler.cycle, scheduler.step_in_cycle, scheduler.cur_cycle_steps) == (
            cycle,
            step_in_cycle,
            length,
        )


# -- SEED.md defect: one LR forced on every param group -----------------------------------------


def test_defect_param_groups_keep_their_own_learning_rates() -> None:
    optimizer = _optimizer((0.01, 0.001, 0.05))
    scheduler = CosineAnnealingWarmupRestarts(optimizer, 12, 1.5, 0.1, 0.001, 3, 0.9)
    want = _seed_list(100, 12, 1.5, 0.1, 0.001, 3, 0.9)
    for t in range(100):
        lrs = _lrs(optimizer)
        assert lrs[0] == pytest.approx(want[t], abs=2 * math.ulp(0.1), rel=0)
        assert lrs[1] == pytest.approx(want[t] / 10, rel=1e-14)
        assert lrs[2] == pytest.approx(want[t] * 5, rel=1e-14)
        scheduler.step()


def test_defect_per_group_max_lr_and_min_lr_lists() -> None:
    optimizer = _optimizer((0.01, 0.01))
    scheduler = CosineAnnealingWarmupRestarts(
        optimizer, 12, 1.5, max_lr=[0.1, 0.02], min_lr=[0.001, 0.0005], warmup_steps=3, gamma=0.9
    )
    want0 = _seed_list(100, 12, 1.5, 0.1, 0.001, 3, 0.9)
    want1 = _seed_list(100, 12, 1.5, 0.02, 0.0005, 3, 0.9)
    got = [_lrs(optimizer)]
    for _ in range(99):
        scheduler.step()
        got.append(_lrs(optimizer))
    _assert_seed_close([g[0] for g in got], want0, 0.1)
    _assert_seed_close([g[1] for g in got], want1, 0.02)


def test_defect_a_group_added_later_is_scheduled() -> None:
    optimizer = _optimizer((0.01,))
    scheduler = CosineAnnealingWarmupRestarts(optimizer, 10, max_lr=0.1, min_lr=0.001)
    scheduler.step()
    optimizer.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.002})
    want = _seed_list(30, 10, 1.0, 0.1, 0.001)
    for t in range(2, 30):
        scheduler.step()
        lrs = _lrs(optimizer)
        assert lrs[1] == pytest.approx(want[t] * 0.2, rel=1e-14)


def test_defect_a_group_added_later_with_per_group_max_lr_gets_a_clear_error() -> None:
    # With one max_lr per group, a new group has none: a clear error is fine, zip()'s
    # "argument 2 is shorter than argument 1" is not.
    optimizer = _optimizer((0.01, 0.01))
    scheduler = CosineAnnealingWarmupRestarts(optimizer, 10, max_lr=[0.1, 0.2])
    optimizer.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.002})
    with pytest.raises(ValueError, match="param group"):
        scheduler.step()


# -- SEED.md defect: warmup_steps=0 never trains at the peak; get_last_lr() disagrees -----------


@pytest.mark.parametrize("lrs", [(0.01,), (0.01, 0.03)])
def test_defect_warmup_zero_trains_at_the_peak_and_get_last_lr_matches_the_groups(
    lrs: tuple[float, ...],
) -> None:
    optimizer = _optimizer(lrs)
    scheduler = CosineAnnealingWarmupRestarts(optimizer, 10, max_lr=0.1, min_lr=0.001)
    assert _lrs(optimizer)[0] == 0.1
    assert scheduler.get_last_lr() == _lrs(optimizer)


# -- SEED.md defect: the explicit-epoch path disagrees with the incremental one -----------------


@pytest.mark.parametrize(
    ("first", "mult", "warmup"),
    [(10, 1.0, 0), (10, 1.5, 0), (10, 1.5, 3), (7, 2.0, 2), (16, 1.3, 5), (128, 1.5, 0)],
)
def test_defect_explicit_epoch_equals_incremental_path(
    first: int, mult: float, warmup: int
) -> None:
    n = 1200
    incremental = CosineAnnealingWarmupRestarts(
        _optimizer(), first, mult, 0.1, 0.001, warmup, gamma=0.9
    )
    stepped = _run(incremental, n)
    explicit = CosineAnnealingWarmupRestarts(
        _optimizer(), first, mult, 0.1, 0.001, warmup, gamma=0.9
    )
    # forwards, then in a scrambled order (jumps back and forth)
    for t in [*range(n), *((t * 7919) % n for t in range(n))]:
        explicit.step(t)
        assert _lrs(explicit.optimizer)[0] == stepped[t], t


@pytest.mark.parametrize("restart", [5, 7])
def test_defect_cycle_mult_1_5_restarts_5_and_7_start_at_the_peak(restart: int) -> None:
    first, mult = 128, 1.5
    start, length = 0, first
    for _ in range(restart):
        start, length = start + length, int(length * mult)
    assert start == {5: 1688, 7: 4118}[restart]
    # the seed's explicit path: cycle from a float logarithm, lands one cycle short here
    assert int(math.log(start / first * (mult - 1) + 1, mult)) == restart - 1
    scheduler = CosineAnnealingWarmupRestarts(_optimizer(), first, mult, 0.1, 0.001, gamma=0.9)
    scheduler.step(start)
    assert (scheduler.cycle, scheduler.step_in_cycle, scheduler.cur_cycle_steps) == (
        restart,
        0,
        length,
    )
    assert _lrs(scheduler.optimizer)[0] == pytest.approx(0.1 * 0.9**restart, rel=1e-15)
    scheduler.step(start - 1)  # last step of the previous cycle: near the floor
    assert scheduler.cycle == restart - 1
    assert _lrs(scheduler.optimizer)[0] < 0.0011


def test_defect_moving_back_into_the_first_cycle_resets_the_cycle() -> None:
    scheduler = CosineAnnealingWarmupRestarts(_optimizer(), 10, 1.5, 0.1, 0.001, 2, 0.5)
    want = _seed_list(10, 10, 1.5, 0.1, 0.001, 2, 0.5)
    scheduler.step(500)
    assert scheduler.cycle > 3
    scheduler.step(3)
    assert (scheduler.cycle, scheduler.step_in_cycle, scheduler.cur_cycle_steps) == (0, 3, 10)
    assert _lrs(scheduler.optimizer)[0] == pytest.approx(want[3], abs=2 * math.ulp(0.1), rel=0)


# -- SEED.md defect: resuming with last_epoch; load_state_dict --------------------------------


@pytest.mark.parametrize("last_epoch", [0, 4, 9, 10, 33])
def test_defect_resume_with_last_epoch_needs_no_initial_lr_and_is_right_at_once(
    last_epoch: int,
) -> None:
    args = (10, 1.5, 0.1, 0.001, 3, 0.9)
    want = _seed_list(last_epoch + 40, *args)
    optimizer = _optimizer((0.01, 0.002))
    assert all("initial_lr" not in group for group in optimizer.param_groups)
    scheduler = CosineAnnealingWarmupRestarts(optimizer, *args, last_epoch=last_epoch)
    # as in PyTorch: construction takes one step, to last_epoch + 1
    got = _run(scheduler, 30)
    _assert_seed_close(got, want[last_epoch + 1 : last_epoch + 31], 0.1)
    assert scheduler.get_last_lr() == _lrs(optimizer)
    fresh = CosineAnnealingWarmupRestarts(_optimizer((0.01, 0.002)), *args)
    fresh.step(last_epoch + 31)
    assert _lrs(fresh.optimizer) == _lrs(optimizer)  # group 1 keeps its ratio too


def test_defect_load_state_dict_writes_the_lr_back() -> None:
    args = (10, 1.5, 0.1, 0.001, 3, 0.9)
    first = CosineAnnealingWarmupRestarts(_optimizer((0.01, 0.002)), *args)
    for _ in range(17):
        first.step()
    state = first.state_dict()
    optimizer = _optimizer((0.01, 0.002))
    second = CosineAnnealingWarmupRestarts(optimizer, *args)
    second.load_state_dict(state)
    assert _lrs(optimizer) == _lrs(first.optimizer)
    assert second.get_last_lr() == _lrs(optimizer)
    assert _run(second, 20) == _run(first, 20)


# -- SEED.md defect: no validation, and an assert that python -O strips ----------------------

INVALID = [
    ({"min_lr": 0.2, "max_lr": 0.1}, ValueError, "min_lr.*0.2.*max_lr.*0.1"),
    ({"gamma": 0.0}, ValueError, "gamma.*0.0"),
    ({"gamma": -0.5}, ValueError, "gamma.*-0.5"),
    ({"gamma": 1.5}, ValueError, "gamma.*1.5"),
    ({"cycle_mult": 0.5}, ValueError, "cycle_mult.*0.5"),
    ({"cycle_mult": 0.0}, ValueError, "cycle_mult.*0.0"),
    ({"first_cycle_steps": -10}, ValueError, "first_cycle_steps.*-10"),
    ({"first_cycle_steps": 0}, ValueError, "first_cycle_steps.*0"),
    ({"warmup_steps": -1}, ValueError, "warmup_steps.*-1"),
    ({"warmup_steps": 10}, ValueError, "warmup_steps.*10.*first_cycle_steps.*10"),
    ({"warmup_steps": 12}, ValueError, "warmup_steps.*12"),
    ({"max_lr": -0.1, "min_lr": -0.2}, ValueError, "_lr.*-0."),
    ({"min_lr": -0.001}, ValueError, "min_lr.*-0.001"),
    ({"max_lr": math.nan}, ValueError, "max_lr.*nan"),
    ({"max_lr": [0.1]}, ValueError, r"max_lr.*\[0.1\]"),
    ({"max_lr": [0.1, 0.2], "min_lr": [0.0, 0.3]}, ValueError, "min_lr.*0.3.*max_lr.*0.2"),
    ({"first_cycle_steps": 2.5}, ValueError, "first_cycle_steps.*2.5"),
    ({"first_cycle_steps": "10"}, TypeError, "first_cycle_steps.*'10'"),
    ({"max_lr": None}, TypeError, "max_lr.*None"),
    ({"warmup_cycles": "never"}, ValueError, "warmup_cycles.*'never'"),
    ({"last_epoch": -3}, ValueError, "last_epoch.*-3"),
    ({"last_epoch": 2**1100}, ValueError, "last_epoch.*finite.*about 332 digits"),
    ({"last_epoch": math.nan}, ValueError, "last_epoch.*finite.*nan"),
]


@pytest.mark.parametrize(("kwargs", "error", "match"), INVALID)
def test_defect_invalid_arguments_raise_before_the_optimizer_is_touched(
    kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    optimizer = _optimizer((0.01, 0.002))
    before = _snapshot(optimizer)
    arguments = {"first_cycle_steps": 10, **kwargs}
    with pytest.raises(error, match=match):
        CosineAnnealingWarmupRestarts(optimizer, **arguments)
    assert _snapshot(optimizer) == before
    assert not hasattr(optimizer.step, "_wrapped_by_lr_sched")


def test_defect_validation_survives_python_dash_o() -> None:
    cases = [kwargs for kwargs, error, _ in INVALID if error is ValueError]
    script = textwrap.dedent(
        f"""
        import math, sys, torch
        from warmcos.torch import CosineAnnealingWarmupRestarts
        nan = math.nan
        assert False, "asserts must be stripped"
        print("optimize", sys.flags.optimize)
        for kwargs in {cases!r}:
            optimizer = torch.optim.SGD(
                [{{"params": [torch.nn.Parameter(torch.zeros(1))]}} for _ in range(2)], lr=0.01
            )
            try:
                CosineAnnealingWarmupRestarts(optimizer, **{{"first_cycle_steps": 10, **kwargs}})
            except Exception as exc:
                print(type(exc).__name__)
            else:
                print("accepted")
        """
    )
    result = subprocess.run(
        [sys.executable, "-O", "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split()
    assert lines[:2] == ["optimize", "1"]
    assert lines[2:] == ["ValueError"] * len(cases)


# -- SEED.md defect: the decayed peak falls below min_lr ----------------------------------------


@pytest.mark.parametrize("warmup", [0, 3])
def test_defect_the_decayed_peak_never_falls_below_min_lr(warmup: int) -> None:
    max_lr, min_lr, gamma = 0.1, 0.01, 0.5  # from cycle 4 on, max_lr * gamma**c < min_lr
    n = 200
    scheduler = CosineAnnealingWarmupRestarts(_optimizer(), 10, 1.0, max_lr, min_lr, warmup, gamma)
    got = _run(scheduler, n)
    assert min(got) >= min_lr
    # the seed's clamp-free curve really does dip below min_lr here
    assert min(_seed_list(n, 10, 1.0, max_lr, min_lr, warmup, gamma)) < min_lr
    want = _seed_list(n, 10, 1.0, max_lr, min_lr, warmup, gamma, clamp_peak=True)
    _assert_seed_close(got, want, max_lr)
    for cycle in range(n // 10):
        assert got[cycle * 10 + warmup] == pytest.approx(max(max_lr * gamma**cycle, min_lr))
        ramp = got[cycle * 10 : cycle * 10 + warmup + 1]
        assert ramp == sorted(ramp)  # warm-up never ramps downwards
    assert got[-10:] == [min_lr] * 10


# -- SEED.md defect: a tensor LR is replaced by a Python float ---------------------------------


def test_defect_a_tensor_lr_stays_the_same_tensor() -> None:
    lr = torch.tensor(0.01)
    optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = CosineAnnealingWarmupRestarts(optimizer, 10, 1.5, 0.1, 0.001, 3, 0.9)
    want = _seed_list(60, 10, 1.5, 0.1, 0.001, 3, 0.9)
    for t in range(60):
        assert optimizer.param_groups[0]["lr"] is lr
        assert lr.item() == pytest.approx(want[t], rel=1e-6)
        assert isinstance(scheduler.get_last_lr()[0], torch.Tensor)
        scheduler.step()
