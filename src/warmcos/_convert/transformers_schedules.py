"""Hugging Face transformers' schedules read as warmcos schedules.

``transformers.get_scheduler(name, ...)`` and the ``get_*_schedule_with_warmup`` functions return
a PyTorch ``LambdaLR`` whose lambda is a ``functools.partial`` of a function of
``transformers.optimization``. The lambda is read, never called: its function's name says which
schedule it is and its keywords give the arguments. With ``b`` the group's base learning rate
(the optimizer's ``lr``), ``W = num_warmup_steps`` and ``T = num_training_steps`` (the mappings
of ``tests/parity/test_transformers.py``, ``test_decay_shapes_optax_transformers.py`` and
``test_cycle_shapes_peers.py``):

* constant: ``constant(b)``; constant with warm-up: ``linear(0.0, b, W)``;
* linear: ``wsd(peak=b, steps=T, warmup=W, decay=T - W)``;
* cosine (``num_cycles=c``, and ``min_lr``/``min_lr_rate=r`` for cosine_with_min_lr):
  ``cosine(peak=b, steps=T, floor=r * b, warmup=W, waves=c)``;
* cosine_with_restarts (hard restarts, ``num_cycles=n``): ``cosine_restarts(peak=b,
  first_cycle=W + (T - W) / n, warmup=W, warmup_start=0.0, warmup_cycles="first",
  cycle_rule="geometric", max_cycles=n)``;
* polynomial (``lr_end=E``, ``power=k``, ``lr_init=I``): ``join([linear(0.0, b, W),
  polynomial(b, E * b / I, T - W, k)], [W])``;
* inverse_sqrt (``timescale=S``): ``inverse_sqrt(b, warmup=W, timescale=S)``;
* cosine_warmup_with_min_lr (``warmup_lr_rate=a``, ``1 / W`` when None; needs ``W >= 1``):
  ``cosine(peak=b, steps=T - 1, floor=r * b, warmup=W - 1, warmup_start=a * b, waves=c)``
  (with ``W = 1`` and ``a`` given, step 0 is ``a * b`` and the cosine without warm-up runs on
  from step 1: a ``join`` with ``local_steps=False``);
* warmup_stable_decay (``num_stable_steps=S``, ``num_decay_steps=D``, ``min_lr_ratio=r``):
  ``wsd(peak=b, steps=W + S + D, warmup=W, decay=D, floor=r * b, warmup_start=r * b,
  shape=decay_type, warmup_shape=warmup_type)`` (``"1-sqrt"`` is ``"sqrt"``).

transformers' cosines go on past ``T`` (the wave rises again); the conversions hold their value
from ``T`` on (training ends there), and the check covers steps ``0 .. T``. Hard restarts:
where transformers' float ``%`` lands just below an exact restart (from ``num_cycles >= 22``),
warmcos restarts at the peak; those steps are left out of the check. ``reduce_lr_on_plateau``
(a ``ReduceLROnPlateau``) and ``greedy`` follow a metric: refused.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from .._core.baselines import Constant, Linear
from .._core.cosine import Cosine
from .._core.inverse import InverseSqrt
from .._core.join import Join
from .._core.polynomial import Polynomial
from .._core.restarts import CosineRestarts
from .._core.schedule import Schedule
from .._core.wsd import WSD
from . import torch_schedulers
from .reading import Reading
from .torch_schedulers import refused

MODULE = "transformers.optimization"

SHAPES = {"linear": "linear", "cosine": "cosine", "1-sqrt": "sqrt"}
"""transformers' ``warmup_type``/``decay_type`` -> warmcos' shape."""


def read(obj: object) -> Reading | None:
    """Read a transformers schedule: a ``LambdaLR`` of transformers' lambdas (None otherwise).

    Raises:
        ValueError: A transformers object that is not a function of the step (``GreedyLR``,
            ``AdafactorSchedule``), or a lambda of ``transformers.optimization`` with arguments
            warmcos cannot express, naming the function and the argument.
    """
    kind = type(obj)
    if kind.__module__.startswith("transformers"):
        raise refused(
            f"transformers' {kind.__name__}",
            "its own step()",
            "it is not a function of the step",
        )
    if not (kind.__module__.startswith(torch_schedulers.MODULE) and kind.__name__ == "LambdaLR"):
        return None
    lambdas = list(obj.lr_lambdas)  # type: ignore[attr-defined]
    if not any(is_transformers(function) for function in lambdas):
        return None
    groups = obj.optimizer.param_groups  # type: ignore[attr-defined]
    bases = [torch_schedulers._float(group.get("initial_lr", group["lr"])) for group in groups]
    pairs = enumerate(zip(lambdas, bases, strict=True))
    schedules = [lambda_schedule(function, base, i) for i, (function, base) in pairs]
    horizons = [_horizon(function) for function in lambdas]
    known = [h for h in horizons if h is not None]
    excluded: set[int] = set()
    for function in lambdas:
        excluded |= _missed_restarts(function)
    return Reading(
        source=f"transformers.{PUBLIC.get(_function_name(lambdas[0]), 'LambdaLR')}",
        schedules=tuple(schedules),
        position=float(obj.last_epoch),  # type: ignore[attr-defined]
        sample=torch_schedulers.stepping_sampler(torch_schedulers.maker(obj), bases),
        horizon=max(known) if known and len(known) == len(horizons) else None,
        current=tuple(torch_schedulers._float(group["lr"]) for group in groups),
        unreliable=_mask(excluded),
    )


def is_transformers(function: object) -> bool:
    """Whether `function` is a lambda of ``transformers.optimization`` (a partial of one)."""
    inner = function.func if isinstance(function, functools.partial) else function
    return getattr(inner, "__module__", None) == MODULE


def _function_name(function: object) -> str:
    inner = function.func if isinstance(function, functools.partial) else function
    return str(getattr(inner, "__name__", type(function).__name__))


def lambda_schedule(function: object, base: float, group: int = 0) -> Schedule:
    """The schedule of one ``LambdaLR`` lambda on a group of base learning rate `base`.

    Raises:
        ValueError: Not one of transformers' lambdas (the user's own function), or one with
            arguments warmcos cannot express.
    """
    if not is_transformers(function):
        name = getattr(function, "__qualname__", type(function).__name__)
        raise refused(
            "torch.optim.lr_scheduler.LambdaLR",
            f"`lr_lambda` {name!s} (param group {group})",
            "it is your own function, which a warmcos schedule cannot read",
        )
    name = _function_name(function)
    if not isinstance(function, functools.partial):
        if name == "_get_constant_lambda":
            return Constant(base)
        raise _unknown(name)
    if function.args:
        raise refused(f"transformers' {name}", "positional arguments", "only keywords are read")
    build = _BUILDERS.get(name)
    if build is None:
        raise _unknown(name)
    arguments = dict(function.keywords)
    try:
        return build(base, arguments)
    except (TypeError, ValueError, KeyError) as error:
        raise refused(f"transformers' {name}", _arguments_text(arguments), str(error)) from None


def _unknown(name: str) -> ValueError:
    return refused(f"transformers' {name}", "this lambda", "warmcos does not know this function")


def _arguments_text(arguments: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in arguments.items())


def _constant_with_warmup(base: float, a: dict[str, Any]) -> Schedule:
    warmup = a["num_warmup_steps"]
    return Constant(base) if warmup == 0 else Linear(0.0, base, warmup)


def _linear(base: float, a: dict[str, Any]) -> Schedule:
    warmup, total = a["num_warmup_steps"], a["num_training_steps"]
    return WSD(peak=base, steps=total, warmup=warmup, decay=total - warmup)


def _cosine(base: float, a: dict[str, Any]) -> Schedule:
    rate = float(a.get("min_lr_rate", 0.0))
    return Cosine(
        peak=base,
        steps=a["num_training_steps"],
        floor=rate * base,
        warmup=a["num_warmup_steps"],
        waves=a.get("num_cycles", 0.5),
    )


def _hard_restarts(base: float, a: dict[str, Any]) -> Schedule:
    warmup, total, cycles = a["num_warmup_steps"], a["num_training_steps"], a["num_cycles"]
    length = (total - warmup) / cycles
    first = warmup + (int(length) if length == int(length) else length)
    return CosineRestarts(
        peak=base,
        first_cycle=first,
        floor=0.0,
        warmup=warmup,
        warmup_start=0.0,
        warmup_cycles="first",
        cycle_rule="geometric",
        max_cycles=cycles,
    )


def _polynomial(base: float, a: dict[str, Any]) -> Schedule:
    warmup, total = a["num_warmup_steps"], a["num_training_steps"]
    end, power, initial = float(a["lr_end"]), float(a["power"]), float(a["lr_init"])
    # transformers divides by the optimizer's default lr; LambdaLR multiplies by the group's.
    start, end = (base, end) if base == initial else (base, end * base / initial)
    decay = Polynomial(start, end, total - warmup, power)
    return decay if warmup == 0 else Join([Linear(0.0, base, warmup), decay], [warmup])


def _inverse_sqrt(base: float, a: dict[str, Any]) -> Schedule:
    return InverseSqrt(base, warmup=a["num_warmup_steps"], timescale=a["timescale"])


def _cosine_warmup_with_min_lr(base: float, a: dict[str, Any]) -> Schedule:
    warmup, total = a["num_warmup_steps"], a["num_training_steps"]
    if warmup < 1:
        raise ValueError(
            "with num_warmup_steps=0 its decay starts one step in and never reaches the peak"
        )
    rate = a.get("warmup_lr_rate")
    start = 1.0 / warmup if rate is None else float(rate)
    floor, waves = float(a.get("min_lr_rate", 0.0)) * base, a.get("num_cycles", 0.5)
    if warmup == 1 and rate is not None:
        # Step 0 is warmup_lr_rate * lr; the decay runs from step 1 as if it had started at 0.
        decay = Cosine(peak=base, steps=total - 1, floor=floor, waves=waves)
        return Join([Constant(start * base), decay], [1], local_steps=False)
    return Cosine(
        peak=base,
        steps=total - 1,
        floor=floor,
        warmup=warmup - 1,
        warmup_start=start * base,
        waves=waves,
    )


def _wsd(base: float, a: dict[str, Any]) -> Schedule:
    warmup, stable, decay = a["num_warmup_steps"], a["num_stable_steps"], a["num_decay_steps"]
    ratio = float(a["min_lr_ratio"])
    decay_type, warmup_type = a["decay_type"], a["warmup_type"]
    if decay_type == "cosine" and a.get("num_cycles", 0.5) != 0.5:
        raise ValueError("a cosine decay of num_cycles != 0.5 is not a wsd shape")
    return WSD(
        peak=base,
        steps=warmup + stable + decay,
        warmup=warmup,
        decay=decay,
        floor=ratio * base,
        warmup_start=ratio * base,
        shape=SHAPES[decay_type],
        warmup_shape=SHAPES[warmup_type],
    )


_BUILDERS: dict[str, Callable[[float, dict[str, Any]], Schedule]] = {
    "_get_constant_schedule_with_warmup_lr_lambda": _constant_with_warmup,
    "_get_linear_schedule_with_warmup_lr_lambda": _linear,
    "_get_cosine_schedule_with_warmup_lr_lambda": _cosine,
    "_get_cosine_with_hard_restarts_schedule_with_warmup_lr_lambda": _hard_restarts,
    "_get_polynomial_decay_schedule_with_warmup_lr_lambda": _polynomial,
    "_get_inverse_sqrt_schedule_lr_lambda": _inverse_sqrt,
    "_get_cosine_with_min_lr_schedule_with_warmup_lr_rate_lambda": _cosine_warmup_with_min_lr,
    "_get_wsd_scheduler_lambda": _wsd,
}
"""Each lambda of ``transformers.optimization`` by name -> its warmcos schedule."""

PUBLIC = {
    "_get_constant_lambda": "get_constant_schedule",
    "_get_constant_schedule_with_warmup_lr_lambda": "get_constant_schedule_with_warmup",
    "_get_linear_schedule_with_warmup_lr_lambda": "get_linear_schedule_with_warmup",
    "_get_cosine_schedule_with_warmup_lr_lambda": "get_cosine_schedule_with_warmup",
    "_get_cosine_with_hard_restarts_schedule_with_warmup_lr_lambda": (
        "get_cosine_with_hard_restarts_schedule_with_warmup"
    ),
    "_get_polynomial_decay_schedule_with_warmup_lr_lambda": (
        "get_polynomial_decay_schedule_with_warmup"
    ),
    "_get_inverse_sqrt_schedule_lr_lambda": "get_inverse_sqrt_schedule",
    "_get_cosine_with_min_lr_schedule_with_warmup_lr_rate_lambda": (
        "get_cosine_with_min_lr_schedule_with_warmup_lr_rate"
    ),
    "_get_wsd_scheduler_lambda": "get_wsd_schedule",
}
"""The public function that makes each lambda (the cosine lambda also serves
``get_cosine_with_min_lr_schedule_with_warmup``)."""

_PERIODIC = (
    "_get_cosine_schedule_with_warmup_lr_lambda",
    "_get_cosine_with_min_lr_schedule_with_warmup_lr_rate_lambda",
)


def _horizon(function: object) -> float | None:
    """The last step checked: ``T`` for the cosines whose wave goes on after it."""
    name = _function_name(function)
    if name in _PERIODIC and isinstance(function, functools.partial):
        total = function.keywords.get("num_training_steps")
        if isinstance(total, (int, float)):
            return float(total) - (1.0 if "lr_rate" in name else 0.0)
    return None


def _mask(steps: set[int]) -> Callable[[np.ndarray], np.ndarray] | None:
    """The steps in `steps` as a mask over integer steps, or None for no steps."""
    if not steps:
        return None
    listed = np.asarray(sorted(steps), dtype=np.int64)
    return lambda candidates: np.isin(candidates, listed)


def _missed_restarts(function: object) -> set[int]:
    """Exact hard restarts where transformers' float ``%`` lands just below the restart."""
    name = "_get_cosine_with_hard_restarts_schedule_with_warmup_lr_lambda"
    if _function_name(function) != name or not isinstance(function, functools.partial):
        return set()
    a = function.keywords
    warmup, total, cycles = a["num_warmup_steps"], a["num_training_steps"], a["num_cycles"]
    decay = total - warmup
    missed = set()
    for t in range(warmup + 1, total):
        if (cycles * (t - warmup)) % decay == 0:
            progress = float(t - warmup) / float(max(1, decay))
            if (float(cycles) * progress) % 1.0 > 0.5:
                missed.add(t)
    return missed
