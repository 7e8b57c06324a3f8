"""Hostile checkpoints: `LRScheduler.load_state_dict` validates everything, then assigns.

A refused checkpoint leaves the scheduler and the optimizer exactly as they were (compared in
full before and after, and by the next step against a twin that never saw the load); an
accepted one gives finite, non-negative learning rates from then on. The same holds under each
`on_mismatch` policy. Every reproducer of the "hostile input" issue is a test here, and a
property test corrupts every field in every way.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import warmcos
from warmcos.torch import LRScheduler

# These tests step schedulers without optimizer updates: PyTorch's call-order warning (tested in
# test_call_order_warning.py) does not concern them.
pytestmark = pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step:UserWarning")

RESTARTS = warmcos.cosine_restarts(
    peak=0.2, first_cycle=12, floor=0.004, cycle_mult=1.5, gamma=0.8, warmup=3
)
MOMENTUM = warmcos.linear(start=0.95, end=0.85, steps=30)
POLICIES = ["error", "adopt", "keep"]


def _scheduler(policy: str, steps: int = 7) -> LRScheduler:
    """Two groups (ratio 1/4), momentum scheduled too, `steps` steps taken."""
    optimizer = torch.optim.SGD(
        [
            {"params": [torch.nn.Parameter(torch.zeros(2))], "lr": 0.1},
            {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.025},
        ],
        momentum=0.9,
    )
    scheduler = LRScheduler(
        optimizer,
        RESTARTS,
        steps_per_unit=2,
        hyperparameters={"momentum": MOMENTUM},
        on_mismatch=policy,
    )
    for _ in range(steps):
        scheduler.step()
    return scheduler


def _checkpoint() -> dict[str, Any]:
    """A valid checkpoint of the same configuration, further on (so loading it changes things)."""
    return _scheduler("error", steps=31).state_dict()


def _everything(scheduler: LRScheduler) -> dict[str, Any]:
    """The scheduler's whole state and the optimizer's param groups, by value and identity."""
    groups = []
    for group in scheduler.optimizer.param_groups:
        entry: dict[str, Any] = {"params": [id(p) for p in group["params"]]}
        for key, value in group.items():
            if key != "params":
                is_tensor = isinstance(value, torch.Tensor)
                entry[key] = ("tensor", id(value), value.item()) if is_tensor else value
        groups.append(entry)
    return {
        "state_dict": scheduler.state_dict(),
        "last_epoch": scheduler.last_epoch,
        "step_count": scheduler._step_count,
        "last_lr": list(scheduler.get_last_lr()),
        "schedules": list(scheduler.schedules),
        "hyperparameters": dict(scheduler.hyperparameters),
        "steps_per_unit": scheduler.steps_per_unit,
        "group_scaling": scheduler.group_scaling,
        "on_mismatch": scheduler.on_mismatch,
        "base_lrs": list(scheduler.base_lrs),
        "optimizer_groups": groups,
        "optimizer_step_wrapped": hasattr(scheduler.optimizer.step, "_wrapped_by_lr_sched"),
    }


def _group_values(scheduler: LRScheduler) -> list[tuple[float, float]]:
    return [(float(g["lr"]), float(g["momentum"])) for g in scheduler.optimizer.param_groups]


def _assert_refused_and_unchanged(
    policy: str, state: Any, error: type[Exception] | tuple[type[Exception], ...], match: str
) -> None:
    scheduler, twin = _scheduler(policy), _scheduler(policy)
    before = _everything(scheduler)
    with pytest.raises(error, match=match):
        scheduler.load_state_dict(state)
    assert _everything(scheduler) == before
    # The run goes on exactly as if nothing had been tried.
    for _ in range(20):
        scheduler.step()
        twin.step()
        assert _group_values(scheduler) == _group_values(twin)
        assert scheduler.get_last_lr() == twin.get_last_lr()


def _assert_valid_from_now_on(scheduler: LRScheduler) -> None:
    """Finite, non-negative values now, over the next steps and after jumps."""

    def check() -> None:
        for lr, momentum in _group_values(scheduler):
            assert 0 <= lr < math.inf and 0 <= momentum < math.inf
        assert [float(v) for v in scheduler.get_last_lr()] == [
            float(g["lr"]) for g in scheduler.optimizer.param_groups
        ]

    check()
    for _ in range(5):
        scheduler.step()
        check()
    for steps in (0, 3, 24, 25.5, 10**6):
        scheduler.step(steps)
        check()


def _with(**changes: Any) -> dict[str, Any]:
    state = _checkpoint()
    for key, value in changes.items():
        if value is _MISSING:
            del state[key]
        else:
            state[key] = value
    return state


class _Missing:
    """Marks a field the test removes from the checkpoint."""

    def __repr__(self) -> str:
        return "<missing>"  # one id in every pytest process (xdist compares them)


_MISSING = _Missing()


# -- the reproducers, under each policy ----------------------------------------------


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (math.nan, ValueError, r"`last_step` must be finite. Received: last_step=nan"),
        (-5, ValueError, r"`last_step` must be >= 0. Received: last_step=-5"),
        ("abc", TypeError, r"`last_step` must be a real number.*Received: last_step='abc'"),
        (None, TypeError, r"`last_step` must be a real number.*Received: last_step=None"),
        (2**1100, ValueError, r"`last_step` must be finite.*an integer of about 332 digits"),
    ],
)
def test_a_bad_last_step_is_refused_and_the_run_can_continue(
    policy: str, value: Any, error: type[Exception], match: str
) -> None:
    # The regression: last_epoch was assigned NaN before the check, and every later step raised.
    _assert_refused_and_unchanged(policy, _with(last_step=value), error, match)


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        ([math.nan, 0.01], ValueError, r"`base_lrs\[0\]` must be finite and >= 0.*=nan"),
        ([0.1, math.inf], ValueError, r"`base_lrs\[1\]` must be finite and >= 0.*=inf"),
        ([-0.1, 0.01], ValueError, r"`base_lrs\[0\]` must be finite and >= 0.*=-0.1"),
        ([0.0, 0.01], ValueError, r"`base_lrs\[0\]` must be > 0 with group_scaling=.ratio"),
        ([1e-320, 0.01], ValueError, r"`base_lrs\[1\]` must keep a finite ratio"),
        ([0.1, 0.01, 0.3], ValueError, r"`base_lrs` must hold at most one value per param"),
        ([], ValueError, r"`base_lrs` must hold at least one value"),
        ([0.1, "x"], TypeError, r"`base_lrs\[1\]` must be a real number.*'x'"),
        ([True, 0.1], TypeError, r"`base_lrs\[0\]` must be a real number.*True"),
        ("0.1", TypeError, r"`base_lrs` must be a list of numbers.*'0.1'"),
        (None, TypeError, r"`base_lrs` must be a list of numbers.*None"),
    ],
)
def test_bad_base_lrs_are_refused(
    policy: str, value: Any, error: type[Exception], match: str
) -> None:
    # The regressions: NaN was written into the optimizer, a negative base gave a negative LR,
    # 0.0 raised ZeroDivisionError and a too-long list zip()'s ValueError.
    _assert_refused_and_unchanged(policy, _with(base_lrs=value), error, match)


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize(
    ("changes", "error", "match"),
    [
        ({"group_scaling": "bogus"}, ValueError, r"`group_scaling` must be one of.*'bogus'"),
        ({"group_scaling": None}, ValueError, r"`group_scaling` must be one of.*None"),
        ({"steps_per_unit": 0}, ValueError, r"`steps_per_unit` must be finite and > 0.*=0"),
        ({"steps_per_unit": -2}, ValueError, r"`steps_per_unit` must be finite and > 0.*=-2"),
        ({"steps_per_unit": math.nan}, ValueError, r"`steps_per_unit` must be finite.*nan"),
        ({"steps_per_unit": 2**1100}, ValueError, r"`steps_per_unit` must be finite.*digits"),
        ({"steps_per_unit": "2"}, TypeError, r"`steps_per_unit` must be a real number.*'2'"),
        ({"hyperparameters": 5}, TypeError, r"`hyperparameters` must be a dict.*=5 of type int"),
        ({"hyperparameters": None}, TypeError, r"`hyperparameters` must be a dict.*None"),
        ({"hyperparameters": {"momentum": "x"}}, ValueError, r"hyperparameters\['momentum'\]"),
        ({"hyperparameters": {"momentum": 5}}, TypeError, r"hyperparameters\['momentum'\]"),
        ({"hyperparameters": {3: MOMENTUM.to_dict()}}, ValueError, r"`hyperparameters`.*str"),
        ({"schedules": []}, ValueError, r"`schedules` must be a non-empty list"),
        ({"schedules": "x"}, ValueError, r"`schedules` must be a non-empty list.*'x'"),
        ({"schedules": [{"type": "bogus"}]}, ValueError, r"`schedules\[0\]` must.*'bogus'"),
        ({"schedules": [{"type": "cosine", "peak": -1, "steps": 9}]}, ValueError, r"peak"),
        ({"schedules": [None]}, TypeError, r"`schedules\[0\]` must be a warmcos schedule"),
        ({"step_count": 0}, ValueError, r"`step_count` must be a whole number >= 1.*=0"),
        ({"step_count": 2.5}, ValueError, r"`step_count` must be a whole number >= 1.*2.5"),
        ({"step_count": True}, ValueError, r"`step_count` must be a whole number >= 1.*True"),
        ({"last_step": _MISSING}, ValueError, r"not a warmcos scheduler state; missing"),
        ({"schedules": _MISSING}, ValueError, r"not a warmcos scheduler state; missing"),
        ({"_last_lr": [0.1]}, ValueError, r"unknown keys \['_last_lr'\]"),
    ],
    ids=lambda value: repr(value)[:40] if isinstance(value, dict) else None,
)
def test_bad_fields_are_refused_under_every_policy(
    policy: str, changes: dict[str, Any], error: type[Exception], match: str
) -> None:
    # The regressions: group_scaling="bogus" was stored under on_mismatch="adopt",
    # steps_per_unit=0 raised ZeroDivisionError, hyperparameters=5 an AttributeError and None a
    # bare TypeError.
    _assert_refused_and_unchanged(policy, _with(**changes), error, match)


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("state", [None, [1, 2], "state", 5], ids=repr)
def test_a_checkpoint_that_is_not_a_mapping_is_refused(policy: str, state: Any) -> None:
    _assert_refused_and_unchanged(policy, state, TypeError, r"`state_dict` must be a dict")


def test_a_checkpoint_whose_position_overflows_is_refused() -> None:
    # 1e308 steps are finite; at 0.5 steps per unit (adopted) the position is not.
    state = _with(last_step=1e308, steps_per_unit=0.5)
    _assert_refused_and_unchanged("adopt", state, ValueError, r"`last_step` must give a finite")


def test_a_checkpoint_adopted_with_hyperparameters_the_groups_lack_is_refused() -> None:
    state = _with(hyperparameters={"betas[0]": MOMENTUM.to_dict()})  # SGD has no betas
    _assert_refused_and_unchanged("adopt", state, ValueError, r"hyperparameters.*betas\[0\]")


def test_a_checkpoint_adopted_with_the_wrong_number_of_schedules_is_refused() -> None:
    state = _with(schedules=[RESTARTS.to_dict()] * 3)  # 2 param groups
    _assert_refused_and_unchanged("adopt", state, ValueError, r"`schedules` must hold one")


@pytest.mark.parametrize("policy", POLICIES)
def test_a_valid_checkpoint_is_accepted_under_every_policy(policy: str) -> None:
    scheduler = _scheduler(policy)
    state = _checkpoint()
    scheduler.load_state_dict(state)
    assert scheduler.state_dict() == state
    assert _group_values(scheduler) == _group_values(_scheduler("error", steps=31))
    _assert_valid_from_now_on(scheduler)


@pytest.mark.parametrize("policy", POLICIES)
def test_a_spec_string_in_a_checkpoint_is_read_as_its_schedule(policy: str) -> None:
    scheduler = _scheduler(policy)
    scheduler.load_state_dict(
        _with(schedules=[repr(RESTARTS)], hyperparameters={"momentum": repr(MOMENTUM)})
    )
    assert scheduler.state_dict() == _checkpoint()


# -- every field corrupted in every way -------------------------------------------------------

FIELDS = [
    "last_step",
    "step_count",
    "steps_per_unit",
    "group_scaling",
    "base_lrs",
    "schedules",
    "hyperparameters",
]

NUMBERS = st.one_of(
    st.floats(),  # NaN, infinities, subnormals, -0.0, huge and tiny
    st.integers(min_value=-(2**1100), max_value=2**1100),
    st.sampled_from([0, 1, -1, 0.0, 1e-320, 1e308, 2**1100, True, False]),
)
SCHEDULE_DATA = st.sampled_from(
    [
        RESTARTS.to_dict(),
        MOMENTUM.to_dict(),
        warmcos.cosine(peak=1e308, steps=3).to_dict(),
        {"type": "bogus"},
        {"type": "cosine"},
        {"type": "cosine", "peak": math.nan, "steps": 9},
        {"type": "cosine", "peak": 0.1, "steps": 2**1100},
        {"type": "cosine", "peak": 0.1, "steps": 9, "extra": 1},
        "cosine(peak=0.1, steps=9)",
        "cosine(peak=",
        "__import__('os')",
    ]
)
ANYTHING = st.recursive(
    st.one_of(NUMBERS, st.none(), st.text(max_size=6), SCHEDULE_DATA),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=8), st.integers()), inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["momentum", "lr", "betas[0]", "dampening", "momentum[0]"]),
            inner,
            max_size=2,
        ),
    ),
    max_leaves=6,
)
# For each field, values aimed at it (the right type, wrong values) and anything at all.
AIMED = {
    "last_step": NUMBERS,
    "step_count": NUMBERS,
    "steps_per_unit": NUMBERS,
    "group_scaling": st.sampled_from(["ratio", "absolute", "bogus", "", "RATIO", None, 1]),
    "base_lrs": st.lists(NUMBERS, max_size=4),
    "schedules": st.lists(SCHEDULE_DATA, max_size=3),
    "hyperparameters": st.dictionaries(
        st.sampled_from(["momentum", "lr", "betas[0]", "dampening", "nesterov", "x y"]),
        SCHEDULE_DATA,
        max_size=2,
    ),
    "<extra key>": ANYTHING,
}
CORRUPTION = st.sampled_from(list(AIMED)).flatmap(
    lambda field: st.tuples(st.just(field), st.one_of(AIMED[field], ANYTHING, st.just(_MISSING)))
)


@settings(max_examples=200, deadline=None)
@given(policy=st.sampled_from(POLICIES), corruptions=st.lists(CORRUPTION, min_size=1, max_size=3))
def test_any_corrupted_checkpoint_is_refused_unchanged_or_accepted_valid(
    policy: str, corruptions: list[tuple[str, Any]]
) -> None:
    state = _checkpoint()
    for field, value in corruptions:
        if value is _MISSING:
            state.pop(field, None)
        else:
            state[field] = value
    scheduler, twin = _scheduler(policy), _scheduler(policy)
    before = _everything(scheduler)
    try:
        scheduler.load_state_dict(state)
    except (ValueError, TypeError):
        assert _everything(scheduler) == before
        scheduler.step()
        twin.step()
        assert _group_values(scheduler) == _group_values(twin)
    else:
        _assert_valid_from_now_on(scheduler)


def _refused(call: Callable[[], Any]) -> bool:
    try:
        call()
    except (ValueError, TypeError):
        return True
    return False


def test_the_property_test_sees_both_outcomes() -> None:
    # A corruption that is still a valid checkpoint (a spec string for the schedule's data) is
    # accepted; a corrupt one is refused: the property test above can tell them apart.
    accepted = _scheduler("keep")
    assert not _refused(lambda: accepted.load_state_dict(_with(step_count=5)))
    refused = _scheduler("keep")
    assert _refused(lambda: refused.load_state_dict(_with(step_count=-5)))
