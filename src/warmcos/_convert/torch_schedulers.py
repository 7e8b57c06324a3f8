"""PyTorch's LR schedulers (``torch.optim.lr_scheduler``) read as warmcos schedules.

Each scheduler is read from its own attributes, one schedule per param group, with the group's
base learning rate ``b`` (``scheduler.base_lrs``: the group's ``initial_lr``). The mappings are
those of the parity tests (``tests/parity/test_torch_lr_scheduler.py``,
``test_decay_shapes_torch.py``, ``test_cycle_shapes_torch.py``):

* ``StepLR(step_size, gamma)``: ``step(b, step_size, gamma)``;
* ``MultiStepLR(milestones, gamma)``: ``multistep(b, milestones, gamma)`` (with a repeated
  milestone, ``piecewise_constant`` of the values ``b * gamma ** count``);
* ``ConstantLR(factor, total_iters)``: ``join([constant(b * factor), constant(b)],
  [total_iters])``;
* ``LinearLR(start_factor, end_factor, total_iters)``: ``linear(b * start_factor,
  b * end_factor, total_iters)``;
* ``ExponentialLR(gamma)``: ``exponential(b, gamma)``;
* ``PolynomialLR(total_iters, power)``: ``polynomial(b, 0.0, total_iters, power)``;
* ``CosineAnnealingLR(T_max, eta_min)``: ``cosine(peak=b, steps=T_max, floor=eta_min,
  after_end="periodic")`` (PyTorch's cosine goes on after ``T_max``; drop ``after_end`` to
  hold ``eta_min`` there);
* ``CosineAnnealingWarmRestarts(T_0, T_mult, eta_min)``: ``cosine_restarts(peak=b,
  first_cycle=T_0, floor=eta_min, cycle_mult=T_mult)``;
* ``OneCycleLR``: ``one_cycle(peak=max_lr, steps=total_steps, pct_start, div_factor,
  final_div_factor, anneal=anneal_strategy, three_phase)`` (or ``start``/``end`` when the
  group's ``initial_lr``/``min_lr`` are not those factors' quotients); checked up to step
  ``total_steps - 1``, where PyTorch's own last step runs past the final value;
* ``CyclicLR(base_lr, max_lr, step_size_up, step_size_down, mode, gamma)``: ``cyclic(base_lr,
  max_lr, step_size_up, step_size_down, mode, gamma)``;
* ``SequentialLR(schedulers, milestones)``: ``join([...], milestones)``, each piece on its own
  local steps;
* ``ChainedScheduler([...])``: ``b * s_1 * s_2 * ...``, each ``s_i`` the scheduler's own
  schedule with base 1 (only for the multiplicative schedulers above).

``OneCycleLR`` and ``CyclicLR`` also cycle momentum; the learning rate is what is converted
(``warmcos.torch.LRScheduler``'s ``hyperparameters`` cycle momentum with the same schedules:
``one_cycle(base_momentum, T, start=max_momentum, end=max_momentum)``,
``cyclic(base_momentum, max_momentum, ..., inverse=True)``).

The sampler builds a fresh scheduler of the same class, with the arguments read, on an
optimizer with one stand-in parameter per group and the groups' base learning rates, and
steps it: the user's optimizer and scheduler are never touched.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from functools import reduce
from typing import Any

import numpy as np

from .._core.baselines import Constant, Exponential, Linear, MultiStep, Step
from .._core.cosine import Cosine
from .._core.cyclic import Cyclic
from .._core.join import Join
from .._core.onecycle import OneCycle
from .._core.piecewise import PiecewiseConstant
from .._core.polynomial import Polynomial
from .._core.restarts import CosineRestarts
from .._core.schedule import Schedule
from .reading import Reading, Sampler

MODULE = "torch.optim.lr_scheduler"

LEAVES = (
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "PolynomialLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "OneCycleLR",
    "CyclicLR",
    "LambdaLR",
)
"""The schedulers read from their own attributes (``LambdaLR``: transformers' lambdas only)."""

COMBINERS = ("SequentialLR", "ChainedScheduler")
"""The schedulers made of others, read through their parts."""

MULTIPLICATIVE = (
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "PolynomialLR",
)
"""The schedulers whose step multiplies the current learning rate: a chain is their product."""

Maker = Callable[[Any], Any]
"""Builds a fresh scheduler on a given optimizer."""

RESTART_CYCLES = 3
"""How many cycles of ``CyclicLR`` a check covers."""


def read(obj: object) -> Reading | None:
    """Read a PyTorch scheduler (None for anything else).

    Raises:
        ValueError: A PyTorch scheduler warmcos cannot express exactly (``LambdaLR`` with the
            user's own function, ``MultiplicativeLR``, ``ReduceLROnPlateau``, an option such
            as a custom ``scale_fn``), naming the class and the option.
    """
    kind = type(obj)
    if not kind.__module__.startswith(MODULE):
        return None
    _check_known(obj)
    groups = obj.optimizer.param_groups  # type: ignore[attr-defined]
    bases = _bases(kind.__name__, groups)
    schedules = group_schedules(obj, bases)
    limit = step_limit(obj)
    return Reading(
        source=f"{MODULE}.{kind.__name__}",
        schedules=tuple(schedules),
        position=float(position(obj)),
        sample=stepping_sampler(maker(obj), bases),
        horizon=None if math.isinf(limit) else limit - 1,
        current=tuple(_float(group["lr"]) for group in groups),
    )


def position(scheduler: Any) -> int:
    """The step a scheduler stands at (a ``ChainedScheduler``'s: its first link's)."""
    if hasattr(scheduler, "last_epoch"):
        return int(scheduler.last_epoch)
    return position(scheduler._schedulers[0])


def refused(name: str, option: str, why: str) -> ValueError:
    """The error for a scheduler that cannot be converted exactly."""
    return ValueError(
        f"convert(): {name} with {option} cannot be converted exactly: {why}. "
        "`warmcos.trace(scheduler, steps)` records its learning rates instead"
    )


def _bases(name: str, groups: list[dict[str, Any]]) -> list[float]:
    bases = []
    for index, group in enumerate(groups):
        if "initial_lr" not in group:
            raise refused(
                name,
                f"param group {index} added after the scheduler",
                "the scheduler does not schedule it (it has no `initial_lr`)",
            )
        bases.append(_float(group["initial_lr"]))
    return bases


def group_schedules(scheduler: Any, bases: list[float]) -> list[Schedule]:
    """One schedule per param group, from group base learning rates `bases`."""
    name = type(scheduler).__name__
    if name == "SequentialLR":
        pieces = [group_schedules(child, bases) for child in scheduler._schedulers]
        milestones = [int(m) for m in scheduler._milestones]
        option = f"milestones={milestones!r}"
        return [
            _joined(name, option, [p[g] for p in pieces], milestones) for g in range(len(bases))
        ]
    if name == "ChainedScheduler":
        return [_chain(scheduler, base) for base in bases]
    if name in ("OneCycleLR", "CyclicLR"):
        return [_per_group(scheduler, index) for index in range(len(bases))]
    if name not in LEAVES:
        raise _unknown(name)
    return [leaf(scheduler, base, index) for index, base in enumerate(bases)]


def _check_known(scheduler: Any) -> None:
    """Refuse a scheduler warmcos has no mapping for, before reading anything of it."""
    name = type(scheduler).__name__
    if name in ("SequentialLR", "ChainedScheduler"):
        for child in scheduler._schedulers:
            _check_known(child)
    elif name not in LEAVES:
        raise _unknown(name)


def _unknown(name: str) -> ValueError:
    if name == "ReduceLROnPlateau":
        return refused(name, "a metric", "it follows a metric, not the step")
    if name == "MultiplicativeLR":
        return refused(name, "`lr_lambda`", "its factors come from your own function")
    return refused(name, "its own `get_lr`", "warmcos has no reader for this scheduler")


def leaf(scheduler: Any, base: float, group: int = 0) -> Schedule:
    """The schedule of a scheduler without children, for a group of base learning rate `base`."""
    name = type(scheduler).__name__
    if name == "StepLR":
        gamma = float(scheduler.gamma)
        return _built(name, f"gamma={gamma!r}", lambda: Step(base, scheduler.step_size, gamma))
    if name == "MultiStepLR":
        return _multistep(scheduler, base)
    if name == "ConstantLR":
        factor, total = float(scheduler.factor), scheduler.total_iters
        if factor == 1.0:
            return Constant(base)
        return _built(
            name,
            f"total_iters={total!r}",
            lambda: Join([Constant(base * factor), Constant(base)], [total]),
        )
    if name == "LinearLR":
        start, end = base * scheduler.start_factor, base * scheduler.end_factor
        total = scheduler.total_iters
        return _built(name, f"total_iters={total!r}", lambda: Linear(start, end, total))
    if name == "ExponentialLR":
        gamma = float(scheduler.gamma)
        return _built(name, f"gamma={gamma!r}", lambda: Exponential(base, gamma))
    if name == "PolynomialLR":
        total, power = scheduler.total_iters, float(scheduler.power)
        return _built(name, f"total_iters={total!r}", lambda: Polynomial(base, 0.0, total, power))
    if name == "CosineAnnealingLR":
        total, floor = scheduler.T_max, float(scheduler.eta_min)
        return _built(
            name,
            f"T_max={total!r}, eta_min={floor!r}",
            lambda: Cosine(peak=base, steps=total, floor=floor, after_end="periodic"),
        )
    if name == "CosineAnnealingWarmRestarts":
        first, mult, floor = scheduler.T_0, scheduler.T_mult, float(scheduler.eta_min)
        return _built(
            name,
            f"T_0={first!r}, T_mult={mult!r}, eta_min={floor!r}",
            lambda: CosineRestarts(peak=base, first_cycle=first, floor=floor, cycle_mult=mult),
        )
    if name in ("OneCycleLR", "CyclicLR"):
        return _per_group(scheduler, group)
    if name == "LambdaLR":
        from .transformers_schedules import lambda_schedule

        return lambda_schedule(scheduler.lr_lambdas[group], base, group)
    raise _unknown(name)


def _built(name: str, option: str, build: Callable[[], Schedule]) -> Schedule:
    """`build()`, its refusal turned into the conversion's error naming the class and option."""
    try:
        return build()
    except (TypeError, ValueError) as error:
        raise refused(name, option, str(error)) from None


def _multistep(scheduler: Any, base: float) -> Schedule:
    counts = scheduler.milestones  # a Counter: a milestone given twice counts twice
    gamma = float(scheduler.gamma)
    milestones = sorted(counts)
    option = f"milestones={milestones!r}, gamma={gamma!r}"
    if all(counts[m] == 1 for m in milestones):
        return _built("MultiStepLR", option, lambda: MultiStep(base, milestones, gamma))
    values, drops = [base], 0
    for milestone in milestones:
        drops += counts[milestone]
        values.append(base * gamma**drops)
    return _built("MultiStepLR", option, lambda: PiecewiseConstant(milestones, values))


def _joined(name: str, option: str, pieces: list[Schedule], milestones: list[int]) -> Schedule:
    return _built(name, option, lambda: Join(pieces, milestones))


def _chain(scheduler: Any, base: float) -> Schedule:
    factors = []
    for child in scheduler._schedulers:
        name = type(child).__name__
        if name not in MULTIPLICATIVE:
            raise refused(
                "ChainedScheduler",
                f"a {name} inside",
                f"only {', '.join(MULTIPLICATIVE)} multiply the learning rate, so that a "
                "chain of them is a product",
            )
        factors.append(leaf(child, 1.0))
    product = reduce(lambda a, b: a * b, factors)
    return product if base == 1.0 else base * product


def _per_group(scheduler: Any, index: int) -> Schedule:
    name = type(scheduler).__name__
    if name == "OneCycleLR":
        return _one_cycle(scheduler, scheduler.optimizer.param_groups[index])
    if scheduler._scale_fn_custom is not None:
        raise refused(name, "`scale_fn`", "its amplitude comes from your own function")
    up, down = _cycle_sizes(scheduler)
    low, high = _float(scheduler.base_lrs[index]), _float(scheduler.max_lrs[index])
    mode = scheduler.mode
    gamma = float(scheduler.gamma) if mode == "exp_range" else 1.0
    return _built(
        name,
        f"mode={mode!r}, gamma={scheduler.gamma!r}",
        lambda: Cyclic(low, high, up, down if down != up else None, mode=mode, gamma=gamma),
    )


def _cycle_sizes(scheduler: Any) -> tuple[float, float]:
    """``step_size_up`` and ``step_size_down`` from CyclicLR's ``total_size`` and ``step_ratio``."""
    total, ratio = float(scheduler.total_size), float(scheduler.step_ratio)
    guess = ratio * total
    for up in (float(round(guess)), guess):
        down = total - up
        if up > 0 and down > 0 and up + down == total and up / (up + down) == ratio:
            return _whole(up), _whole(down)
    raise refused(
        "CyclicLR",
        f"total_size={total!r}, step_ratio={ratio!r}",
        "its step sizes cannot be recovered exactly",
    )


def _one_cycle(scheduler: Any, group: dict[str, Any]) -> Schedule:
    name = "OneCycleLR"
    total = int(scheduler.total_steps)
    phases = scheduler._schedule_phases
    anneal = getattr(scheduler, "_anneal_func_type", None)
    if anneal is None:  # older PyTorch kept the function itself
        function = getattr(scheduler, "anneal_func", None)
        anneal = "linear" if "linear" in getattr(function, "__name__", "") else "cos"
    pct = _pct_start(float(phases[0]["end_step"]), total)
    peak, start, end = _float(group["max_lr"]), _float(group["initial_lr"]), _float(group["min_lr"])
    shared: dict[str, Any] = dict(
        peak=peak, steps=total, pct_start=pct, anneal=anneal, three_phase=len(phases) == 3
    )
    option = f"total_steps={total!r}, pct_start={pct!r}"
    if start > 0 and end > 0:
        div, final = peak / start, start / end
        if peak / div == start and start / final == end:
            return _built(
                name, option, lambda: OneCycle(**shared, div_factor=div, final_div_factor=final)
            )
    return _built(name, option, lambda: OneCycle(**shared, start=start, end=end))


def _pct_start(end_step: float, total: int) -> float:
    """The ``pct_start`` with ``float(pct_start * total) - 1 == end_step``, as PyTorch stores it."""
    guess = (end_step + 1.0) / total
    candidates = [guess]
    up = down = guess
    for _ in range(8):
        up, down = math.nextafter(up, math.inf), math.nextafter(down, -math.inf)
        candidates += [up, down]
    for pct in candidates:
        if float(pct * total) - 1 == end_step:
            return pct
    raise refused("OneCycleLR", f"end_step={end_step!r}", "its pct_start cannot be recovered")


def _whole(value: float) -> float:
    return int(value) if value == math.floor(value) and abs(value) < 2**53 else value


def step_limit(scheduler: Any) -> float:
    """The last step PyTorch lets the scheduler reach (``total_steps`` for OneCycleLR), or inf."""
    name = type(scheduler).__name__
    if name == "OneCycleLR":
        return float(scheduler.total_steps)
    if name == "SequentialLR":
        last = step_limit(scheduler._schedulers[-1])
        return last + scheduler._milestones[-1] if scheduler._milestones else last
    if name == "ChainedScheduler":
        return min(step_limit(child) for child in scheduler._schedulers)
    return math.inf


# -- rebuilding and sampling --------------------------------------------------------------------


def maker(scheduler: Any) -> Maker:
    """A function building a fresh scheduler like `scheduler` (at step 0) on an optimizer."""
    from torch.optim import lr_scheduler

    name = type(scheduler).__name__
    cls = getattr(lr_scheduler, name)
    if name == "SequentialLR":
        children = [maker(child) for child in scheduler._schedulers]
        milestones = list(scheduler._milestones)
        return lambda opt: cls(opt, [make(opt) for make in children], milestones)
    if name == "ChainedScheduler":
        links = [maker(child) for child in scheduler._schedulers]
        return lambda opt: cls([make(opt) for make in links])
    arguments = _arguments(scheduler, name)
    if name == "OneCycleLR":
        return _one_cycle_maker(cls, scheduler, arguments)
    return lambda opt: cls(opt, **arguments)


def _arguments(scheduler: Any, name: str) -> dict[str, Any]:
    if name == "StepLR":
        return dict(step_size=scheduler.step_size, gamma=scheduler.gamma)
    if name == "MultiStepLR":
        return dict(milestones=list(scheduler.milestones.elements()), gamma=scheduler.gamma)
    if name == "ConstantLR":
        return dict(factor=scheduler.factor, total_iters=scheduler.total_iters)
    if name == "LinearLR":
        return dict(
            start_factor=scheduler.start_factor,
            end_factor=scheduler.end_factor,
            total_iters=scheduler.total_iters,
        )
    if name == "ExponentialLR":
        return dict(gamma=scheduler.gamma)
    if name == "PolynomialLR":
        return dict(total_iters=scheduler.total_iters, power=scheduler.power)
    if name == "CosineAnnealingLR":
        return dict(T_max=scheduler.T_max, eta_min=scheduler.eta_min)
    if name == "CosineAnnealingWarmRestarts":
        return dict(T_0=scheduler.T_0, T_mult=scheduler.T_mult, eta_min=scheduler.eta_min)
    if name == "CyclicLR":
        up, down = _cycle_sizes(scheduler)
        return dict(
            base_lr=[_float(lr) for lr in scheduler.base_lrs],
            max_lr=[_float(lr) for lr in scheduler.max_lrs],
            step_size_up=up,
            step_size_down=down,
            mode=scheduler.mode,
            gamma=scheduler.gamma,
            cycle_momentum=False,
        )
    if name == "LambdaLR":
        return dict(lr_lambda=list(scheduler.lr_lambdas))
    if name == "OneCycleLR":
        return {}
    raise _unknown(name)


def _one_cycle_maker(cls: Any, scheduler: Any, arguments: dict[str, Any]) -> Maker:
    groups = [
        {key: _float(group[key]) for key in ("max_lr", "initial_lr", "min_lr")}
        for group in scheduler.optimizer.param_groups
    ]
    phases = scheduler._schedule_phases
    total = int(scheduler.total_steps)
    pct = _pct_start(float(phases[0]["end_step"]), total)
    anneal = getattr(scheduler, "_anneal_func_type", "cos")

    def make(optimizer: Any) -> Any:
        first = groups[0]
        built = cls(
            optimizer,
            max_lr=[group["max_lr"] for group in groups],
            total_steps=total,
            pct_start=pct,
            anneal_strategy=anneal,
            cycle_momentum=False,
            div_factor=first["max_lr"] / first["initial_lr"] if first["initial_lr"] else 25.0,
            final_div_factor=first["initial_lr"] / first["min_lr"] if first["min_lr"] else 1e4,
            three_phase=len(phases) == 3,
        )
        # Each group's own start and end, as the user's scheduler holds them.
        for target, group in zip(optimizer.param_groups, groups, strict=True):
            target.update(group)
            target["lr"] = group["initial_lr"]
        return built

    return make


def stepping_sampler(make: Maker, bases: list[float]) -> Sampler:
    """A sampler stepping a fresh scheduler built by `make` on a stand-in optimizer.

    The optimizer has one one-element parameter per group, with learning rate ``bases[g]``;
    the scheduler is stepped with ``step()`` from step 0 to the largest step asked for.
    """

    def sample(steps: np.ndarray) -> np.ndarray:
        optimizer = stand_in_optimizer(bases)
        out = np.empty((len(bases), steps.size), dtype=np.float64)
        wanted = steps.tolist()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyTorch's "step() before optimizer.step()"
            scheduler = make(optimizer)
            index, step = 0, 0
            while index < len(wanted):
                while wanted[index] > step:
                    scheduler.step()
                    step += 1
                out[:, index] = [_float(group["lr"]) for group in optimizer.param_groups]
                index += 1
        return out

    return sample


def stand_in_optimizer(bases: list[float]) -> Any:
    """``torch.optim.SGD`` with one float64 stand-in parameter per group, lr ``bases[g]``."""
    import torch

    groups = [
        {"params": [torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))], "lr": base}
        for base in bases
    ]
    return torch.optim.SGD(groups, lr=bases[0] if bases else 0.0)


def _float(value: Any) -> float:
    if hasattr(value, "item"):
        value = value.item()
    return float(value)
