"""warmcos.torch.find_lr: the LR range test restores all it touches; suggest()'s rules."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from warmcos.torch import RangeTestResult, find_lr
from warmcos.torch.range_test import suggest


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """Tiny models run fastest on one thread, above all on a busy machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


# -- a small model with buffers, an Adam optimizer with real state --------------------------


def make_batches(count: int = 4, seed: int = 0) -> list[tuple[Any, Any]]:
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(count * 8, 4, generator=generator)
    targets = inputs @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]]) + 0.1
    return [(inputs[i * 8 : (i + 1) * 8], targets[i * 8 : (i + 1) * 8]) for i in range(count)]


def mse(outputs: Any, targets: Any) -> Any:
    return torch.nn.functional.mse_loss(outputs, targets)


def trained_setup(*, tensor_lr: bool = False, grads: bool = True) -> tuple[Any, Any]:
    """A model with BatchNorm and dropout, and an Adam optimizer with two groups after 3 steps.

    With `grads`, the parameters keep the gradients of a 4th backward pass (as a run that
    accumulates gradients does), except the last layer's bias, whose ``.grad`` is None.
    """
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(4, 8),
        torch.nn.BatchNorm1d(8),
        torch.nn.ReLU(),
        torch.nn.Dropout(0.1),
        torch.nn.Linear(8, 1),
    )
    first = [*model[0].parameters(), *model[1].parameters()]
    lr0: Any = torch.tensor(1e-3) if tensor_lr else 1e-3
    lr1: Any = torch.tensor(2.5e-4) if tensor_lr else 2.5e-4
    optimizer = torch.optim.Adam(
        [
            {"params": first, "lr": lr0},
            {"params": list(model[4].parameters()), "lr": lr1, "betas": (0.8, 0.95)},
        ],
        foreach=False,  # tensor learning rates need the for-loop implementation
    )
    for inputs, targets in make_batches(3, seed=1):
        optimizer.zero_grad(set_to_none=True)
        mse(model(inputs), targets).backward()
        optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    if grads:
        inputs, targets = make_batches(1, seed=3)[0]
        mse(model(inputs), targets).backward()
        model[4].bias.grad = None
    model.eval()  # find_lr trains in train mode; it must put eval mode back
    return model, optimizer


def _copy_value(value: Any) -> Any:
    return value.detach().clone() if isinstance(value, torch.Tensor) else copy.deepcopy(value)


def snapshot(model: Any, optimizer: Any) -> dict[str, Any]:
    return {
        "parameters": [(name, p, p.detach().clone()) for name, p in model.named_parameters()],
        "grads": [
            (name, p.grad, None if p.grad is None else p.grad.clone())
            for name, p in model.named_parameters()
        ],
        "buffers": [(name, b.detach().clone()) for name, b in model.named_buffers()],
        "state": {
            id(p): {key: _copy_value(value) for key, value in optimizer.state[p].items()}
            for group in optimizer.param_groups
            for p in group["params"]
        },
        "groups": [
            {key: _copy_value(value) for key, value in group.items() if key != "params"}
            for group in optimizer.param_groups
        ],
        "group_params": [list(group["params"]) for group in optimizer.param_groups],
        "tensor_lrs": [
            group["lr"] if isinstance(group["lr"], torch.Tensor) else None
            for group in optimizer.param_groups
        ],
        "training": [module.training for module in model.modules()],
        "rng": torch.get_rng_state(),
    }


def assert_same(actual: Any, expected: Any, what: str) -> None:
    if isinstance(expected, torch.Tensor):
        assert isinstance(actual, torch.Tensor), what
        assert actual.dtype == expected.dtype and actual.shape == expected.shape, what
        assert torch.equal(actual, expected), what
    else:
        assert actual == expected, what


def assert_restored(model: Any, optimizer: Any, saved: dict[str, Any]) -> None:
    parameters = list(model.named_parameters())
    assert [name for name, _ in parameters] == [name for name, _, _ in saved["parameters"]]
    for (name, p), (_, original, value) in zip(parameters, saved["parameters"], strict=True):
        assert p is original, f"parameter {name} was replaced"
        assert_same(p.detach(), value, f"parameter {name}")
    for (name, p), (_, grad, value) in zip(parameters, saved["grads"], strict=True):
        # the same gradient tensor (whatever holds it still sees it) with the same values
        assert p.grad is grad, f"parameter {name}'s .grad was replaced"
        if value is not None:
            assert_same(p.grad, value, f"gradient of {name}")
    buffers = list(model.named_buffers())
    assert len(buffers) == len(saved["buffers"]) >= 3  # BatchNorm: mean, var, batch count
    for (name, b), (_, value) in zip(buffers, saved["buffers"], strict=True):
        assert_same(b.detach(), value, f"buffer {name}")
    for index, group in enumerate(optimizer.param_groups):
        assert all(
            p is q for p, q in zip(group["params"], saved["group_params"][index], strict=True)
        )
        assert set(group) - {"params"} == set(saved["groups"][index]), f"group {index} keys"
        for key, value in saved["groups"][index].items():
            assert_same(group[key], value, f"group {index} {key}")
        tensor_lr = saved["tensor_lrs"][index]
        if tensor_lr is not None:
            assert group["lr"] is tensor_lr, f"group {index}'s tensor lr was replaced"
        for p in group["params"]:
            state = optimizer.state[p]
            expected = saved["state"][id(p)]
            assert set(state) == set(expected) and expected, "optimizer state keys"
            for key, value in expected.items():
                assert_same(state[key], value, f"optimizer state {key}")
    assert [module.training for module in model.modules()] == saved["training"]
    assert torch.equal(torch.get_rng_state(), saved["rng"])


def continue_training(model: Any, optimizer: Any) -> list[Any]:
    """Two more real steps (train mode, fixed seed); returns the parameters afterwards."""
    model.train()
    torch.manual_seed(123)
    for inputs, targets in make_batches(2, seed=2):
        optimizer.zero_grad(set_to_none=True)
        mse(model(inputs), targets).backward()
        optimizer.step()
    return [p.detach().clone() for p in model.parameters()]


# -- state restored -------------------------------------------------------------------------


@pytest.mark.parametrize("tensor_lr", [False, True], ids=["float-lr", "tensor-lr"])
def test_find_lr_restores_model_and_optimizer_exactly(tensor_lr: bool) -> None:
    model, optimizer = trained_setup(tensor_lr=tensor_lr)
    twin_model, twin_optimizer = copy.deepcopy((model, optimizer))
    saved = snapshot(model, optimizer)

    result = find_lr(model, mse, make_batches(), optimizer, start=1e-4, end=1e-1, steps=12)

    assert result.stop_reason == "end" and len(result.lrs) == 12
    assert_restored(model, optimizer, saved)
    # The restored pair trains on exactly like an untouched copy.
    after = continue_training(model, optimizer)
    expected = continue_training(twin_model, twin_optimizer)
    for p, q in zip(after, expected, strict=True):
        assert torch.equal(p, q)


def test_tensor_lr_is_written_in_place_during_the_test() -> None:
    model, optimizer = trained_setup(tensor_lr=True)
    lr_tensor = optimizer.param_groups[0]["lr"]
    seen: list[tuple[bool, float]] = []

    def loss_fn(outputs: Any, targets: Any) -> Any:
        group_lr = optimizer.param_groups[0]["lr"]
        seen.append((group_lr is lr_tensor, float(group_lr)))
        return mse(outputs, targets)

    result = find_lr(model, loss_fn, make_batches(), optimizer, start=1e-4, end=1e-2, steps=5)
    assert all(same for same, _ in seen)
    assert [value for _, value in seen] == pytest.approx(result.lrs, rel=1e-6)  # float32 tensor
    assert optimizer.param_groups[0]["lr"] is lr_tensor
    assert float(lr_tensor) == pytest.approx(1e-3, rel=1e-7)


def test_restored_after_the_loss_goes_nan() -> None:
    model, optimizer = trained_setup()
    saved = snapshot(model, optimizer)
    calls = 0

    def loss_fn(outputs: Any, targets: Any) -> Any:
        nonlocal calls
        calls += 1
        loss = mse(outputs, targets)
        return loss * math.nan if calls == 6 else loss

    result = find_lr(model, loss_fn, make_batches(), optimizer, start=1e-4, end=1e-1, steps=20)
    assert result.stop_reason == "non-finite loss"
    assert len(result.lrs) == len(result.losses) == len(result.smoothed) == 6
    assert math.isnan(result.losses[-1]) and math.isnan(result.smoothed[-1])
    assert all(math.isfinite(value) for value in result.smoothed[:-1])
    assert_restored(model, optimizer, saved)


def test_restored_and_reraised_after_an_exception_in_loss_fn() -> None:
    model, optimizer = trained_setup(tensor_lr=True)
    saved = snapshot(model, optimizer)
    calls = 0

    class BoomError(RuntimeError):
        pass

    def loss_fn(outputs: Any, targets: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 5:
            raise BoomError("loss_fn failed at step 5")
        return mse(outputs, targets)

    with pytest.raises(BoomError, match="step 5"):
        find_lr(model, loss_fn, make_batches(), optimizer, start=1e-3, end=1.0, steps=20)
    assert calls == 5
    assert_restored(model, optimizer, saved)


def test_restored_after_an_exception_in_the_forward_pass() -> None:
    model, optimizer = trained_setup()
    saved = snapshot(model, optimizer)
    batches = make_batches(3)
    batches.append((torch.zeros(8, 5), torch.zeros(8, 1)))  # wrong width: Linear raises
    with pytest.raises(RuntimeError):
        find_lr(model, mse, batches, optimizer, start=1e-3, end=1.0, steps=20)
    assert_restored(model, optimizer, saved)


# -- stopping -------------------------------------------------------------------------------


def lr_dependent_loss(optimizer: Any, threshold: float) -> Callable[[Any, Any], Any]:
    """A loss of 1.0 while group 0's LR is <= threshold, then 100.0 (plus 0 * the output)."""

    def loss_fn(outputs: Any, targets: Any) -> Any:
        value = 1.0 if float(optimizer.param_groups[0]["lr"]) <= threshold else 100.0
        return (outputs * 0).sum() + value

    return loss_fn


def test_stops_when_the_smoothed_loss_exceeds_diverge_times_its_minimum() -> None:
    model, optimizer = trained_setup()
    loss_fn = lr_dependent_loss(optimizer, threshold=1e-2)
    result = find_lr(
        model, loss_fn, make_batches(), optimizer, start=1e-4, end=1.0, steps=41, smoothing=0.0
    )
    assert result.stop_reason == "diverged"
    # The LR grows by 10**0.1 per step: 1e-2 is step 20, the first above it step 21.
    assert len(result.lrs) == 22
    assert result.lrs[-1] > 1e-2 >= result.lrs[-2]
    assert result.losses[-1] == 100.0


def test_smoothing_delays_divergence_but_still_stops() -> None:
    model, optimizer = trained_setup()
    loss_fn = lr_dependent_loss(optimizer, threshold=1e-2)
    result = find_lr(
        model, loss_fn, make_batches(), optimizer, start=1e-4, end=1.0, steps=41, smoothing=0.9
    )
    assert result.stop_reason == "diverged"
    assert 22 <= len(result.lrs) < 41


def test_smoothed_loss_is_the_bias_corrected_moving_average() -> None:
    model, optimizer = trained_setup()
    values = [5.0, 3.0, 4.0, 2.0, 2.5, 1.0, 1.5]
    calls = iter(values)

    def loss_fn(outputs: Any, targets: Any) -> Any:
        return (outputs * 0).sum() + next(calls)

    beta = 0.7
    result = find_lr(
        model, loss_fn, make_batches(), optimizer, steps=len(values), smoothing=beta, diverge=100
    )
    average, expected = 0.0, []
    for count, value in enumerate(values, start=1):
        average = beta * average + (1 - beta) * value
        expected.append(average / (1 - beta**count))
    assert result.losses == values
    assert result.smoothed == pytest.approx(expected, rel=1e-12)


# -- batches --------------------------------------------------------------------------------


def tagged_batches(count: int) -> list[tuple[Any, Any]]:
    """Batches whose targets carry their index in a constant column."""
    return [(torch.full((2, 4), 0.1), torch.full((2, 1), float(i))) for i in range(count)]


def batch_order_recorder() -> tuple[list[int], Callable[[Any, Any], Any]]:
    order: list[int] = []

    def loss_fn(outputs: Any, targets: Any) -> Any:
        order.append(int(targets[0, 0]))
        return (outputs * 0).sum() + 1.0

    return order, loss_fn


def test_short_batches_are_cycled() -> None:
    model, optimizer = trained_setup()
    order, loss_fn = batch_order_recorder()
    result = find_lr(model, loss_fn, tagged_batches(3), optimizer, steps=8, diverge=100)
    assert result.stop_reason == "end"
    assert order == [0, 1, 2, 0, 1, 2, 0, 1]


def test_a_one_shot_generator_is_cycled() -> None:
    model, optimizer = trained_setup()
    order, loss_fn = batch_order_recorder()

    def generate() -> Iterator[tuple[Any, Any]]:
        yield from tagged_batches(3)

    result = find_lr(model, loss_fn, generate(), optimizer, steps=8, diverge=100)
    assert result.stop_reason == "end"
    assert order == [0, 1, 2, 0, 1, 2, 0, 1]


def test_an_endless_generator_is_read_only_as_far_as_needed() -> None:
    model, optimizer = trained_setup()
    produced = 0

    def endless() -> Iterator[tuple[Any, Any]]:
        nonlocal produced
        while True:
            produced += 1
            yield tagged_batches(1)[0]

    find_lr(model, mse, endless(), optimizer, start=1e-5, end=1e-4, steps=6)
    assert produced <= 7


# -- the learning rates ---------------------------------------------------------------------


def test_lr_rises_exponentially_from_start_to_end() -> None:
    model, optimizer = trained_setup()
    written: list[float] = []

    def loss_fn(outputs: Any, targets: Any) -> Any:
        written.append(optimizer.param_groups[0]["lr"])
        return (outputs * 0).sum() + 1.0

    start, end, steps = 3e-6, 0.5, 17
    result = find_lr(
        model, loss_fn, make_batches(), optimizer, start=start, end=end, steps=steps, diverge=100
    )
    ratio = (end / start) ** (1 / (steps - 1))
    expected = [start]
    for _ in range(steps - 1):
        expected.append(expected[-1] * ratio)
    assert result.lrs[0] == start
    assert result.lrs[-1] == pytest.approx(end, rel=1e-12)
    assert result.lrs == pytest.approx(expected, rel=1e-12)
    assert written == result.lrs  # what the optimizer saw at each step


def test_every_group_keeps_its_ratio_to_group_0_during_the_test() -> None:
    model, optimizer = trained_setup()  # groups at 1e-3 and 2.5e-4: ratio 0.25
    ratios: list[float] = []

    def loss_fn(outputs: Any, targets: Any) -> Any:
        groups = optimizer.param_groups
        ratios.append(groups[1]["lr"] / groups[0]["lr"])
        return mse(outputs, targets)

    find_lr(model, loss_fn, make_batches(), optimizer, start=1e-5, end=1e-2, steps=10)
    assert len(ratios) == 10
    assert ratios == pytest.approx([0.25] * 10, rel=1e-12)
    assert [group["lr"] for group in optimizer.param_groups] == [1e-3, 2.5e-4]


def test_existing_gradients_are_restored_with_their_values_and_identity() -> None:
    # The regression: every existing .grad was set to None afterwards.
    model, optimizer = trained_setup()
    grads = dict(model.named_parameters())
    assert grads["4.bias"].grad is None
    assert all(p.grad is not None for name, p in grads.items() if name != "4.bias")
    saved = snapshot(model, optimizer)
    find_lr(model, mse, make_batches(), optimizer, start=1e-4, end=1e-1, steps=8)
    assert_restored(model, optimizer, saved)
    assert grads["4.bias"].grad is None  # None stays None


def test_gradients_of_optimizer_parameters_outside_the_model_are_restored_too() -> None:
    model, optimizer = trained_setup()
    extra = torch.nn.Parameter(torch.ones(3))
    extra.grad = torch.full((3,), 7.0)
    grad = extra.grad
    optimizer.add_param_group({"params": [extra], "lr": 1e-3})
    find_lr(model, mse, make_batches(), optimizer, start=1e-4, end=1e-1, steps=5)
    assert extra.grad is grad and torch.equal(grad, torch.full((3,), 7.0))


# -- what loss_fn returns -----------------------------------------------------------------


def test_a_loss_that_is_nan_at_once_says_the_loss_diverged_at_once() -> None:
    # The regression: "suggest(): `smoothed` must hold at least 2 finite losses".
    model, optimizer = trained_setup()
    saved = snapshot(model, optimizer)
    with pytest.raises(ValueError, match=r"find_lr\(\): the loss diverged at once.*nan at step 0"):
        find_lr(model, lambda out, y: mse(out, y) * math.nan, make_batches(), optimizer)
    assert_restored(model, optimizer, saved)


def test_a_loss_that_is_finite_once_then_infinite_also_diverged_at_once() -> None:
    model, optimizer = trained_setup()
    calls = 0

    def loss_fn(outputs: Any, targets: Any) -> Any:
        nonlocal calls
        calls += 1
        return mse(outputs, targets) * (1.0 if calls == 1 else math.inf)

    with pytest.raises(ValueError, match=r"diverged at once.*inf at step 1 \(lr=1.2e-07\)"):
        find_lr(model, loss_fn, make_batches(), optimizer)


@pytest.mark.parametrize(
    ("loss_fn", "error", "match"),
    [
        (lambda out, y: mse(out, y).item(), TypeError, r"`loss_fn` must return a scalar.*float"),
        (lambda out, y: None, TypeError, r"`loss_fn` must return a scalar.*NoneType"),
        (lambda out, y: (out - y) ** 2, TypeError, r"scalar tensor.*shape \(8, 1\)"),
        (lambda out, y: mse(out, y).detach(), ValueError, r"`loss_fn` must.*requires grad"),
    ],
    ids=["float", "None", "per-sample", "detached"],
)
def test_a_loss_fn_that_returns_no_usable_loss_gets_a_clear_error(
    loss_fn: Callable[[Any, Any], Any], error: type[Exception], match: str
) -> None:
    # The regression: a float gave `AttributeError: 'float' object has no attribute 'detach'`.
    model, optimizer = trained_setup()
    saved = snapshot(model, optimizer)
    with pytest.raises(error, match=match):
        find_lr(model, loss_fn, make_batches(), optimizer)
    assert_restored(model, optimizer, saved)


# -- refusals touch nothing -----------------------------------------------------------------


def empty_generator() -> Iterator[tuple[Any, Any]]:
    yield from ()


def _frozen(model: Any, optimizer: Any) -> tuple[Any, Any, str]:
    for p in model.parameters():
        p.requires_grad_(False)
    return model, optimizer, r"`model` must have trainable parameters"


def _no_parameters(model: Any, optimizer: Any) -> tuple[Any, Any, str]:
    return torch.nn.Identity(), optimizer, r"`model` must have trainable parameters"


def _not_in_the_optimizer(model: Any, optimizer: Any) -> tuple[Any, Any, str]:
    other = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    return model, other, r"`optimizer` must hold at least one of `model`'s trainable"


@pytest.mark.parametrize(
    "case",
    [_frozen, _no_parameters, _not_in_the_optimizer],
    ids=["frozen", "no-parameters", "not-in-the-optimizer"],
)
def test_a_model_the_optimizer_cannot_train_is_refused_before_it_is_touched(
    case: Callable[[Any, Any], tuple[Any, Any, str]],
) -> None:
    # The regression: a model without trainable parameters gave torch's RuntimeError from
    # backward(), after the test had started.
    model, optimizer = trained_setup()
    model, optimizer, match = case(model, optimizer)
    saved = snapshot(model, optimizer)
    state = {id(p): dict(optimizer.state[p]) for g in optimizer.param_groups for p in g["params"]}
    forward_calls: list[int] = []
    model.register_forward_pre_hook(lambda module, args: forward_calls.append(1))
    with pytest.raises(ValueError, match=match):
        find_lr(model, mse, make_batches(), optimizer)
    assert forward_calls == []
    for group in optimizer.param_groups:
        for p in group["params"]:  # not even reloaded: the same state tensors
            assert all(optimizer.state[p][k] is v for k, v in state[id(p)].items())
    for name, p in model.named_parameters():
        assert p.grad is dict((n, g) for n, g, _ in saved["grads"])[name]


@pytest.mark.parametrize(
    "batches",
    [
        [],
        empty_generator(),
        # shuffles (draws from torch's random state) and drops the one short batch: empty
        torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(torch.zeros(3, 4), torch.zeros(3, 1)),
            batch_size=8,
            shuffle=True,
            drop_last=True,
        ),
    ],
    ids=["empty-list", "empty-generator", "empty-shuffling-loader"],
)
def test_empty_batches_are_refused_before_anything_is_touched(batches: Any) -> None:
    # The regression: the refusal came after the snapshot, and restoring set every .grad to
    # None and reloaded the optimizer's state into new tensors.
    model, optimizer = trained_setup()
    saved = snapshot(model, optimizer)
    state = {id(p): dict(optimizer.state[p]) for g in optimizer.param_groups for p in g["params"]}
    with pytest.raises(ValueError, match=r"find_lr\(\): `batches` must yield at least one"):
        find_lr(model, mse, batches, optimizer)
    assert_restored(model, optimizer, saved)  # gradients by identity and value, RNG included
    for group in optimizer.param_groups:
        for p in group["params"]:
            assert all(optimizer.state[p][k] is v for k, v in state[id(p)].items())


# -- bad input: a clear error before the model is touched -----------------------------------


BAD_INPUT = [
    ({"batches": []}, ValueError, "batches"),
    ({"batches": empty_generator()}, ValueError, "batches"),
    ({"batches": 5}, TypeError, "batches"),
    ({"start": 1e-2, "end": 1e-2}, ValueError, "start"),
    ({"start": 1.0, "end": 1e-3}, ValueError, "start"),
    ({"start": 0.0}, ValueError, "start"),
    ({"start": -1e-3}, ValueError, "start"),
    ({"start": math.nan}, ValueError, "start"),
    ({"end": math.inf}, ValueError, "end"),
    ({"end": math.nan}, ValueError, "end"),
    ({"steps": 1}, ValueError, "steps"),
    ({"steps": 0}, ValueError, "steps"),
    ({"steps": 2.5}, ValueError, "steps"),
    ({"steps": math.inf}, ValueError, "steps"),
    ({"steps": "100"}, TypeError, "steps"),
    ({"smoothing": 1.0}, ValueError, "smoothing"),
    ({"smoothing": -0.1}, ValueError, "smoothing"),
    ({"smoothing": math.nan}, ValueError, "smoothing"),
    ({"diverge": 1.0}, ValueError, "diverge"),
    ({"diverge": math.inf}, ValueError, "diverge"),
    ({"rule": "fastest"}, ValueError, "rule"),
    ({"model": "not a model"}, TypeError, "model"),
    ({"optimizer": None}, TypeError, "optimizer"),
]


def _case_id(override: dict[str, Any]) -> str:
    return ",".join(
        f"{key}={'generator' if isinstance(value, Iterator) else repr(value)}"
        for key, value in override.items()
    )


@pytest.mark.parametrize(
    "override, error, name", BAD_INPUT, ids=[_case_id(o) for o, _, _ in BAD_INPUT]
)
def test_bad_input_raises_before_the_model_is_touched(
    override: dict[str, Any], error: type[Exception], name: str
) -> None:
    model, optimizer = trained_setup()
    saved = snapshot(model, optimizer)
    forward_calls: list[int] = []
    model.register_forward_pre_hook(lambda module, args: forward_calls.append(1))

    def loss_fn(outputs: Any, targets: Any) -> Any:
        raise AssertionError("loss_fn must not be called")

    arguments: dict[str, Any] = {
        "model": model,
        "loss_fn": loss_fn,
        "batches": make_batches(),
        "optimizer": optimizer,
        **override,
    }
    positional = [arguments.pop(key) for key in ("model", "loss_fn", "batches", "optimizer")]
    with pytest.raises(error, match=f"find_lr\\(\\): `{name}`"):
        find_lr(*positional, **arguments)
    assert forward_calls == []
    assert_restored(model, optimizer, saved)


# -- suggest() on hand-made curves ----------------------------------------------------------

# Half-decade LRs from 1e-6 to 1: a flat start near 3.0, a descent from 10**-3 (the first point
# below 3.0 - 0.1 * (3.0 - 0.9) = 2.79) to the minimum 0.9 at 10**-1.5, then a blow-up.
CURVE_LRS = [10.0 ** (-6 + 0.5 * i) for i in range(13)]
CURVE = [3.0, 3.02, 2.98, 3.0, 2.9, 2.85, 1.6, 1.1, 1.0, 0.9, 1.3, 3.0, 9.0]


def test_minimum_rule_is_a_tenth_of_the_lowest_loss_lr() -> None:
    assert suggest(CURVE_LRS, CURVE, "minimum") == pytest.approx(10.0**-2.5, rel=1e-12)


def test_valley_rule_is_the_log_middle_of_the_descent() -> None:
    # From 10**-3 (descent start) to 10**-1.5 (the minimum): the middle is 10**-2.25.
    assert suggest(CURVE_LRS, CURVE, "valley") == pytest.approx(10.0**-2.25, rel=1e-12)
    assert suggest(CURVE_LRS, CURVE) == suggest(CURVE_LRS, CURVE, "valley")


def test_steepest_rule_is_the_fastest_fall_in_the_descent() -> None:
    # Central differences: at 10**-3 (2.85 -> 1.1) the fall is largest.
    assert suggest(CURVE_LRS, CURVE, "steepest") == CURVE_LRS[6]


def test_a_dip_on_the_plateau_is_not_the_descent() -> None:
    dipped = list(CURVE)
    dipped[2] = 2.0  # one noisy low point before the real descent
    assert suggest(CURVE_LRS, dipped, "valley") == pytest.approx(10.0**-2.25, rel=1e-12)


def test_non_finite_points_are_ignored() -> None:
    lrs = [*CURVE_LRS, 3.0, 10.0]
    assert suggest(lrs, [*CURVE, math.inf, math.nan], "valley") == suggest(
        CURVE_LRS, CURVE, "valley"
    )


def test_a_curve_that_only_falls_suggests_inside_it() -> None:
    lrs = [10.0**e for e in np.linspace(-5, -1, 9)]
    falling = [3.0, 2.9, 2.6, 2.2, 1.8, 1.5, 1.3, 1.2, 1.15]
    for rule in ("valley", "steepest", "minimum"):
        assert lrs[0] / 10 <= suggest(lrs, falling, rule) <= lrs[-1]


@pytest.mark.parametrize(
    "lrs, losses, match",
    [
        ([1e-3], [1.0], "smoothed"),
        ([1e-3, 1e-2], [math.nan, 1.0], "smoothed"),
        ([1e-3, 1e-2, 1e-1], [1.0, 0.5, 2.0], None),
    ],
)
def test_suggest_needs_two_finite_points(lrs: list[float], losses: list[float], match: Any) -> None:
    if match is None:
        assert suggest(lrs, losses, "minimum") == pytest.approx(1e-3)
    else:
        with pytest.raises(ValueError, match=match):
            suggest(lrs, losses)


def test_suggest_rejects_an_unknown_rule() -> None:
    with pytest.raises(ValueError, match="rule"):
        suggest(CURVE_LRS, CURVE, "fastest")


def test_result_suggest_uses_the_same_curve() -> None:
    model, optimizer = trained_setup()
    result = find_lr(model, mse, make_batches(), optimizer, start=1e-4, end=10.0, steps=30)
    assert result.suggestion == suggest(result.lrs, result.smoothed, "valley")
    for rule in ("valley", "steepest", "minimum"):
        assert result.suggest(rule) == suggest(result.lrs, result.smoothed, rule)
    other = find_lr(
        model, mse, make_batches(), optimizer, start=1e-4, end=10.0, steps=30, rule="minimum"
    )
    assert other.rule == "minimum" and other.suggestion == result.suggest("minimum")
    assert other.lrs == result.lrs and other.losses == result.losses  # restored: same run


def test_plot_marks_the_suggestion_and_saves(tmp_path: Any) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    result = RangeTestResult(
        lrs=CURVE_LRS,
        losses=CURVE,
        smoothed=CURVE,
        suggestion=suggest(CURVE_LRS, CURVE),
        rule="valley",
        stop_reason="diverged",
    )
    path = tmp_path / "range.png"
    figure = result.plot(str(path))
    try:
        axes = figure.axes[0]
        assert axes.get_xscale() == "log"
        vertical = [line for line in axes.get_lines() if len(set(line.get_xdata())) == 1]
        assert [line.get_xdata()[0] for line in vertical] == [result.suggestion]
        assert path.stat().st_size > 1000
    finally:
        plt.close(figure)


class _CountsCalls(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = torch.nn.Linear(2, 1)
        self.register_buffer("calls", torch.zeros(()), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return self.lin(x)


def test_non_persistent_buffers_are_restored_too() -> None:
    model = _CountsCalls()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    batch = [(torch.ones(4, 2), torch.zeros(4, 1))]
    find_lr(model, torch.nn.functional.mse_loss, batch, optimizer, steps=5)
    assert model.calls.item() == 0.0


def test_a_negative_loss_is_not_taken_for_divergence() -> None:
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    batch = [(torch.ones(4, 2), torch.zeros(4, 1))]
    result = find_lr(model, lambda out, _: out.sum() * 0 - 1.0, batch, optimizer, steps=50)
    assert result.stop_reason == "end" and len(result.lrs) == 50


def test_torch_random_state_is_restored_with_a_shuffling_data_loader() -> None:
    from torch.utils.data import DataLoader, TensorDataset

    data = TensorDataset(torch.randn(32, 2), torch.randn(32, 1))
    loader = DataLoader(data, batch_size=8, shuffle=True)
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    state = torch.get_rng_state()
    find_lr(model, torch.nn.functional.mse_loss, loader, optimizer, steps=5)
    assert torch.equal(state, torch.get_rng_state())
