"""``warmcos.trace``: the learning rates of anything that has them, as a ``Traced`` schedule.

The references are the peers themselves (a PyTorch scheduler stepped on a real optimizer, an
optax schedule called on each step, a Python function), compared value by value. ``Traced``
must keep the schedule contract every schedule keeps (tests/core/test_segments.py): segments
meet end to end, state the values there, give the schedule's value at every step, and the value
never changes after the natural end; it evaluates alike on floats, NumPy and torch, prints,
parses back and round-trips through ``to_dict``.
"""

from __future__ import annotations

import copy
import json
import math
import pickle
from itertools import pairwise
from typing import Any

import numpy as np
import pytest

import warmcos
from warmcos._convert.traced import MAX_TRACED_STEPS

torch = pytest.importorskip("torch")


def _optimizer(lrs: list[float]) -> Any:
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups, lr=lrs[0])


def _peer(optimizer: Any, scheduler: Any, n: int, group: int = 0) -> list[float]:
    lrs = []
    for _ in range(n):
        lrs.append(optimizer.param_groups[group]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


def _assert_contract(schedule: warmcos.Schedule) -> None:
    listed = list(schedule.segments())
    assert listed[0].start == 0 and math.isinf(listed[-1].end)
    for before, after in pairwise(listed):
        assert before.end == after.start and before.start < before.end
    for segment in listed:
        assert schedule(segment.start) == segment.first
        if math.isfinite(segment.end):
            near = schedule(math.nextafter(segment.end, 0))
            assert segment.low <= near <= segment.high
    steps = np.concatenate([np.arange(0, 60, 0.25), [1e6, 1e12]])
    for t in steps.tolist():
        segment = schedule.segment_at(t)
        assert segment.start <= t < segment.end
        assert segment(t) == schedule(t)
    end = schedule.natural_end
    assert end is not None
    assert schedule(end + 12345.5) == schedule(end) == schedule(1e300)
    scalar = np.array([schedule(t) for t in steps.tolist()])
    assert np.array_equal(schedule(steps), scalar)
    assert np.array_equal(schedule(steps[::-1]), scalar[::-1])  # the vectorised path
    assert torch.equal(schedule(torch.from_numpy(steps)), torch.from_numpy(scalar))


def test_trace_of_a_torch_scheduler_records_it_in_a_copy() -> None:
    optimizer = _optimizer([0.1, 0.02])
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: 1 / (1 + t) ** 0.5)
    state = copy.deepcopy(scheduler.state_dict())
    traced = warmcos.trace(scheduler, 50)
    assert scheduler.state_dict() == state
    assert [g["lr"] for g in optimizer.param_groups] == [0.1, 0.02]
    assert traced.source == "torch.optim.lr_scheduler.LambdaLR"
    assert list(traced.values) == _peer(optimizer, scheduler, 50)
    second = warmcos.trace(scheduler, 10, group=1)  # from where the scheduler stands now
    assert list(second.values) == _peer(optimizer, scheduler, 10, group=1)
    _assert_contract(traced)


def test_trace_of_optax_and_of_plain_callables() -> None:
    optax = pytest.importorskip("optax")
    schedule = optax.warmup_cosine_decay_schedule(0.0, 1e-3, 10, 100, 1e-5)
    traced = warmcos.trace(schedule, 120)
    # One call on all the steps (float32): the same values as step by step, within float32.
    assert list(traced.values) == np.asarray(schedule(np.arange(120)), np.float64).tolist()
    expected = [float(schedule(t)) for t in range(120)]
    np.testing.assert_allclose(traced.values, expected, rtol=1e-5, atol=1e-10)
    assert [(g.kind, g.start, g.end) for g in traced.segments()] == [
        ("warm-up", 0, 10),
        ("decay", 10, 100),
        ("hold", 100, math.inf),
    ]
    _assert_contract(traced)

    def stairs(step: int) -> float:  # a function of one Python step only
        return 0.1 if step < 10 else 0.01

    assert warmcos.trace(stairs, 20).values == (0.1,) * 10 + (0.01,) * 10
    vectorised = warmcos.trace(lambda t: 0.5**t, 5)
    assert vectorised.values == (1.0, 0.5, 0.25, 0.125, 0.0625)
    assert warmcos.trace(warmcos.cosine(1.0, 10), 11).values == tuple(
        warmcos.cosine(1.0, 10)(t) for t in range(11)
    )


@pytest.mark.slow
def test_trace_of_a_keras_schedule() -> None:
    keras = pytest.importorskip("keras")
    schedule = keras.optimizers.schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    traced = warmcos.trace(schedule, 30)
    expected = (1.0,) * 11 + (0.5,) * 10 + (0.1,) * 9  # Keras switches just after a boundary
    np.testing.assert_allclose(traced.values, expected, rtol=1e-7)  # float32


def test_traced_is_a_schedule_like_any_other() -> None:
    values = [0.0, 0.2, 0.4, 0.4, 0.4, 0.3, 0.1, 0.1, 0.5, 0.2, 0.2]
    traced = warmcos.Traced(values, source="by hand")
    assert [(g.kind, g.shape, g.start, g.end, g.first, g.last) for g in traced.segments()] == [
        ("warm-up", "traced", 0, 2, 0.0, 0.4),
        ("level", "constant", 2, 4, 0.4, 0.4),
        ("decay", "traced", 4, 6, 0.4, 0.1),
        ("level", "constant", 6, 7, 0.1, 0.1),
        ("rise", "traced", 7, 8, 0.1, 0.5),
        ("decay", "traced", 8, 9, 0.5, 0.2),
        ("hold", "constant", 9, math.inf, 0.2, 0.2),
    ]
    assert traced.natural_end == 9
    assert traced(2.5) == 0.4 and traced(7.99) == 0.1 and traced(1e9) == 0.2
    _assert_contract(traced)
    assert warmcos.parse(repr(traced)) == traced
    assert warmcos.from_dict(json.loads(json.dumps(traced.to_dict()))) == traced
    assert pickle.loads(pickle.dumps(traced)) == traced
    assert warmcos.Traced([0.3]).natural_end == 0 and warmcos.Traced([0.3])(5) == 0.3


@pytest.mark.parametrize(
    ("values", "error", "match"),
    [
        ([], ValueError, "hold 1 to 1,000,000 values"),
        ([0.1, -0.1], ValueError, r"values\[1\]=-0\.1"),
        ([0.1, math.nan], ValueError, "finite numbers >= 0"),
        ([0.1, True], TypeError, "list of numbers"),
        ("0.1", TypeError, "list of numbers"),
        ([0.1, 10**400], ValueError, "finite"),
    ],
)
def test_traced_refuses_what_is_not_a_list_of_learning_rates(
    values: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        warmcos.Traced(values)


def test_trace_bounds_its_steps() -> None:
    with pytest.raises(ValueError, match=r"`steps` must be in \[1, 1,000,000\]"):
        warmcos.trace(lambda t: 0.1, MAX_TRACED_STEPS + 1)
    with pytest.raises(ValueError, match="`steps` must be in"):
        warmcos.trace(lambda t: 0.1, 0)
    with pytest.raises(TypeError, match="`steps` must be an int"):
        warmcos.trace(lambda t: 0.1, 10.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="`obj` must be a scheduler"):
        warmcos.trace(42, 10)
    with pytest.raises(ValueError, match="failed at step 3"):
        warmcos.trace(lambda t: [0.1, 0.1, 0.1][t], 5)
