"""The LR range test: raise the learning rate exponentially over a short run, watch the loss.

From Leslie N. Smith, "Cyclical Learning Rates for Training Neural Networks" (WACV 2017).

:func:`find_lr` runs it on a PyTorch model and restores the model, the optimizer and torch's
random state afterwards, whatever happened during the run. :class:`RangeTestResult` holds the
curve and the suggested peak learning rate for a warm-up + cosine schedule.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from .._core import validation as check

__all__ = ["RULES", "RangeTestResult", "find_lr", "suggest"]

RULES = ("valley", "steepest", "minimum")
"""The suggestion rules: see :func:`suggest`."""


@dataclass(frozen=True)
class RangeTestResult:
    """The curve of an LR range test.

    Attributes:
        lrs: Group 0's learning rate at each step taken.
        losses: The raw loss at each step (possibly NaN or inf at the last one).
        smoothed: The bias-corrected exponential moving average of the loss.
        suggestion: The suggested peak learning rate, by `rule`.
        rule: The rule that made `suggestion` (one of :data:`RULES`).
        stop_reason: ``"end"`` when every step ran, else why the test stopped early
            (``"non-finite loss"`` or ``"diverged"``).
    """

    lrs: list[float]
    losses: list[float]
    smoothed: list[float]
    suggestion: float
    rule: str
    stop_reason: str = "end"
    _extra: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def suggest(self, rule: str) -> float:
        """The suggestion by another rule, from the same curve."""
        return suggest(self.lrs, self.smoothed, rule)

    def plot(self, path: str | None = None) -> Any:
        """Loss against learning rate (log x axis), with the suggestion marked.

        Drawn by :func:`warmcos.plotting.range_test_figure` (matplotlib's Agg canvas, no
        ``pyplot``); needs ``pip install 'warmcos[plot]'``.

        Args:
            path: Where to save the figure (PNG, SVG or PDF by extension, written atomically);
                None to only return it.

        Returns:
            The matplotlib ``Figure``.
        """
        from ..plotting import range_test_figure, save

        figure = range_test_figure(self)
        if path is not None:
            save(figure, path)
        return figure


def suggest(lrs: Sequence[float], smoothed: Sequence[float], rule: str = "valley") -> float:
    """Suggest a peak learning rate from a range test's smoothed loss curve.

    The *descent* is the final stretch of falling loss that ends at the lowest smoothed loss: it
    begins after the last point still within a tenth of the way down from the starting plateau
    (the median of the first tenth of the curve).

    * ``"valley"``: the middle of the descent, in log scale: well inside the region where
      training makes progress, away from both the flat start and the blow-up.
    * ``"steepest"``: where the smoothed loss falls fastest against ``log(lr)`` in the descent.
    * ``"minimum"``: one tenth of the learning rate at the lowest smoothed loss.

    Args:
        lrs: Learning rates, increasing.
        smoothed: The smoothed loss at each learning rate (non-finite values are ignored).
        rule: One of :data:`RULES`.

    Returns:
        The suggested learning rate.

    Raises:
        ValueError: Fewer than 2 finite points, or an unknown rule.

    Example:
        >>> lrs = [10.0**e for e in range(-6, 1)]
        >>> loss = [2.0, 2.0, 1.9, 1.0, 0.8, 0.9, 5.0]
        >>> suggest(lrs, loss, "minimum"), round(suggest(lrs, loss, "valley"), 6)
        (0.001, 0.003162)
    """
    check.choice("suggest()", "rule", rule, RULES)
    points = [(lr, loss) for lr, loss in zip(lrs, smoothed, strict=True) if math.isfinite(loss)]
    if len(points) < 2:
        raise check.fail(
            "suggest()", "smoothed", "hold at least 2 finite losses", points=len(points)
        )
    rates = np.array([lr for lr, _ in points])
    losses = np.array([loss for _, loss in points])
    lowest = int(np.argmin(losses))
    if rule == "minimum":
        return float(rates[lowest] / 10)
    first = _descent_start(losses, lowest)
    if rule == "steepest" and lowest > first:
        slopes = np.gradient(losses, np.log(rates))[first : lowest + 1]
        return float(rates[first + int(np.argmin(slopes))])
    return float(math.exp((math.log(rates[first]) + math.log(rates[lowest])) / 2))


def _descent_start(losses: np.ndarray, lowest: int) -> int:
    """Where the final descent into the minimum begins.

    The index after the last point before the minimum that is still within a tenth of the way
    from the starting plateau (the median of the first tenth of the curve) to the minimum: a
    noisy dip on the plateau does not count as the descent.
    """
    plateau = float(np.median(losses[: max(3, len(losses) // 10)]))
    threshold = plateau - 0.1 * (plateau - float(losses[lowest]))
    above = np.nonzero(losses[:lowest] > threshold)[0]
    return int(above[-1]) + 1 if above.size else 0


def find_lr(
    model: torch.nn.Module,
    loss_fn: Callable[[Any, Any], torch.Tensor],
    batches: Iterable[tuple[Any, Any]],
    optimizer: torch.optim.Optimizer,
    *,
    start: float = 1e-7,
    end: float = 10.0,
    steps: int = 100,
    smoothing: float = 0.98,
    diverge: float = 4.0,
    rule: str = "valley",
) -> RangeTestResult:
    """Run an LR range test, then restore the model and the optimizer exactly.

    At step ``i`` (of ``n = steps``) group 0's learning rate is
    ``start * (end / start) ** (i / (n - 1))``; every other group keeps its ratio to group 0.
    Each step trains on one batch: ``loss_fn(model(inputs), targets)``, backward,
    ``optimizer.step()``. `batches` is cycled when shorter than `steps`. The loss is smoothed
    by a bias-corrected exponential moving average (weight `smoothing`), and the test stops
    early when the loss is NaN or infinite, or the smoothed loss exceeds `diverge` times its
    minimum.

    Afterwards every parameter and buffer of `model`, every parameter's ``.grad`` (the same
    tensor with the same values, or None), the optimizer's state and hyperparameters (every
    group's learning rate included), the model's training mode and torch's CPU random state are
    restored to what they were, also when the loss went NaN or `loss_fn` raised (the exception
    is re-raised after restoring).

    Args:
        model: The model to probe (with at least one trainable parameter in `optimizer`).
        loss_fn: ``loss_fn(outputs, targets) -> scalar tensor``.
        batches: Yields ``(inputs, targets)``; a one-shot iterator is cached to be cycled.
        optimizer: The optimizer to train with (its learning rates are overridden).
        start: The first learning rate (``> 0``).
        end: The last learning rate (``> start``).
        steps: The number of steps (``>= 2``).
        smoothing: The moving-average weight, in [0, 1).
        diverge: Stop when the smoothed loss exceeds this multiple of its minimum (``> 1``).
        rule: The suggestion rule (see :func:`suggest`).

    Returns:
        The curve and the suggestion.

    Raises:
        ValueError, TypeError: Bad arguments, a model without trainable parameters in
            `optimizer`, or empty `batches`: before the model is touched. Also, after
            restoring: `loss_fn` returned something other than a scalar tensor that depends on
            the parameters, or the loss diverged at once (fewer than 2 finite losses).
    """
    where = "find_lr()"
    low = check.positive(where, "start", start)
    high = check.positive(where, "end", end)
    check.less(where, "start", low, "end", high)
    count = check.whole(where, "steps", steps, minimum=2)
    beta = check.number(where, "smoothing", smoothing)
    if not 0 <= beta < 1:
        raise check.fail(where, "smoothing", "be in [0, 1)", smoothing=smoothing)
    factor = check.number(where, "diverge", diverge)
    if factor <= 1:
        raise check.fail(where, "diverge", "be > 1", diverge=diverge)
    check.choice(where, "rule", rule, RULES)
    if not isinstance(model, torch.nn.Module):
        raise TypeError(
            f"{where}: `model` must be a torch.nn.Module. Received: {type(model).__name__}"
        )
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"{where}: `optimizer` must be a torch.optim.Optimizer. "
            f"Received: {type(optimizer).__name__}"
        )
    _check_trainable(where, model, optimizer)
    # Iterating `batches` (a shuffling DataLoader) draws from torch's random state: take it
    # first, and put it back if `batches` is refused.
    rng = torch.get_rng_state()
    try:
        stream = _cycled(batches, where)
    except BaseException:
        torch.set_rng_state(rng)
        raise
    saved = _Snapshot(model, optimizer, rng)
    try:
        lrs, losses, smoothed, reason = _run(
            model, loss_fn, stream, optimizer, low, high, count, beta, factor
        )
    finally:
        saved.restore()
    if sum(math.isfinite(value) for value in smoothed) < 2:
        raise ValueError(
            f"{where}: the loss diverged at once: it was {losses[-1]} at step {len(losses) - 1} "
            f"(lr={lrs[-1]:.3g}), before 2 finite losses made a curve. Lower `start` "
            f"(received start={start!r}), or check the model and `loss_fn`"
        )
    return RangeTestResult(
        lrs=lrs,
        losses=losses,
        smoothed=smoothed,
        suggestion=suggest(lrs, smoothed, rule),
        rule=rule,
        stop_reason=reason,
    )


def _check_trainable(where: str, model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> None:
    """Refuse a model that the optimizer cannot train (before anything is touched)."""
    trainable = {id(p) for p in model.parameters() if p.requires_grad}
    if not trainable:
        raise ValueError(
            f"{where}: `model` must have trainable parameters (requires_grad=True). "
            f"Received: a {type(model).__name__} with none"
        )
    held = (id(p) for group in optimizer.param_groups for p in group["params"])
    if trainable.isdisjoint(held):
        raise ValueError(
            f"{where}: `optimizer` must hold at least one of `model`'s trainable parameters. "
            f"Received: a {type(optimizer).__name__} optimizer holding none of them"
        )


def _run(
    model: torch.nn.Module,
    loss_fn: Callable[[Any, Any], torch.Tensor],
    stream: Iterator[tuple[Any, Any]],
    optimizer: torch.optim.Optimizer,
    low: float,
    high: float,
    count: int,
    beta: float,
    factor: float,
) -> tuple[list[float], list[float], list[float], str]:
    groups = optimizer.param_groups
    reference = float(groups[0]["lr"])
    ratios = [float(group["lr"]) / reference if reference > 0 else 1.0 for group in groups]
    lrs: list[float] = []
    losses: list[float] = []
    smoothed: list[float] = []
    average, best = 0.0, math.inf
    model.train()
    for index in range(count):
        lr = low * (high / low) ** (index / (count - 1))
        for group, ratio in zip(groups, ratios, strict=True):
            if isinstance(group["lr"], torch.Tensor):
                group["lr"].fill_(lr * ratio)
            else:
                group["lr"] = lr * ratio
        inputs, targets = next(stream)
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(inputs), targets)
        value = _loss_value(loss)
        lrs.append(lr)
        losses.append(value)
        if not math.isfinite(value):
            smoothed.append(math.nan)
            return lrs, losses, smoothed, "non-finite loss"
        if not loss.requires_grad:
            raise ValueError(
                "find_lr(): `loss_fn` must return a loss computed from the model's outputs "
                "(a tensor that requires grad). Received: a tensor without grad"
            )
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
        average = beta * average + (1 - beta) * value
        current = average / (1 - beta ** (index + 1))
        smoothed.append(current)
        best = min(best, current)
        # `factor` times the minimum, measured from it (so a negative loss works too).
        if index > 0 and current > best + (factor - 1) * abs(best):
            return lrs, losses, smoothed, "diverged"
    return lrs, losses, smoothed, "end"


def _loss_value(loss: object) -> float:
    """The loss as a float, refusing anything but a one-element tensor."""
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        shape = f" of shape {tuple(loss.shape)}" if isinstance(loss, torch.Tensor) else ""
        raise TypeError(
            "find_lr(): `loss_fn` must return a scalar tensor (one element, for backward()). "
            f"Received: {type(loss).__name__}{shape}"
        )
    return float(loss.detach())


def _cycled(batches: Iterable[tuple[Any, Any]], where: str) -> Iterator[tuple[Any, Any]]:
    """Cycle `batches`, checking first that it yields at least one batch."""
    if isinstance(batches, Iterator):
        seen = list(itertools.islice(batches, 1))
        if not seen:
            raise check.fail(
                where, "batches", "yield at least one (inputs, targets) batch", batches="empty"
            )
        return itertools.cycle(itertools.chain(seen, batches))
    if not isinstance(batches, Iterable):
        raise TypeError(
            f"{where}: `batches` must be an iterable of (inputs, targets). "
            f"Received: {type(batches).__name__}"
        )
    if next(iter(batches), None) is None:
        raise check.fail(
            where, "batches", "yield at least one (inputs, targets) batch", batches="empty"
        )
    return itertools.chain.from_iterable(itertools.repeat(batches))


class _Snapshot:
    """Copies of everything the range test changes, to put back afterwards."""

    def __init__(
        self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, rng: torch.Tensor
    ) -> None:
        self.model, self.optimizer = model, optimizer
        self.model_state = {
            key: value.detach().clone() for key, value in model.state_dict().items()
        }
        # Non-persistent buffers are missing from state_dict(): copy every buffer by object.
        self.buffers = [(buffer, buffer.detach().clone()) for buffer in model.buffers()]
        # Every gradient the test replaces: the tensor itself (put back, so whatever holds it
        # still sees the parameter's gradient) and its values.
        parameters = {id(p): p for p in model.parameters()}
        for group in optimizer.param_groups:
            parameters.update((id(p), p) for p in group["params"])
        self.grads = [
            (p, p.grad, None if p.grad is None else p.grad.detach().clone())
            for p in parameters.values()
        ]
        self.optimizer_state = copy.deepcopy(optimizer.state_dict())
        self.group_values = [
            {key: _copy(value) for key, value in group.items() if key != "params"}
            for group in optimizer.param_groups
        ]
        # Tensor hyperparameters are put back into the same tensor objects, so a compiled or
        # capturable optimizer step keeps seeing the tensors it was built with.
        self.group_tensors = [
            {key: value for key, value in group.items() if isinstance(value, torch.Tensor)}
            for group in optimizer.param_groups
        ]
        self.training = [module.training for module in model.modules()]
        self.rng = rng

    def restore(self) -> None:
        with torch.no_grad():
            self.model.load_state_dict(self.model_state)
            for buffer, value in self.buffers:
                buffer.copy_(value)
        self.optimizer.load_state_dict(self.optimizer_state)
        groups = self.optimizer.param_groups
        for group, values, tensors in zip(
            groups, self.group_values, self.group_tensors, strict=True
        ):
            for key, value in values.items():
                if key in tensors:
                    with torch.no_grad():
                        tensors[key].copy_(value)
                    group[key] = tensors[key]
                else:
                    group[key] = value
        for parameter, grad, saved in self.grads:
            if grad is not None and saved is not None:
                with torch.no_grad():
                    grad.copy_(saved)
            parameter.grad = grad
        for module, training in zip(self.model.modules(), self.training, strict=True):
            module.training = training
        torch.set_rng_state(self.rng)


def _copy(value: Any) -> Any:
    return value.clone() if isinstance(value, torch.Tensor) else copy.deepcopy(value)
