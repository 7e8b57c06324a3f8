r"""timm's schedulers (``timm.scheduler``) read as warmcos schedules, without importing timm.

A timm scheduler is recognised by its class name and the file it comes from (the last part of
``type(obj).__module__``: ``cosine_lr`` for ``CosineLRScheduler``), so one loaded from timm's
files by path reads too; timm itself is never imported (it imports torchvision). Its values are a
pure function of the step ``t`` the training loop passes in (``step(t)`` with
``t_in_epochs=True``, ``step_update(t)`` otherwise), so the schedules here are in that unit.

Each parameter group ``i`` has its own base LR ``b = base_values[i]`` (the group's
``initial_lr``) and optionally an ``lr_scale`` ``s`` that timm multiplies in last
(``s * schedule``). With ``W = warmup_t``, ``w = warmup_lr_init``, ``T = t_initial``,
``m = lr_min``, ``c = cycle_mul``, ``g = cycle_decay``, ``n = cycle_limit``:

- ``CosineLRScheduler``: with ``warmup_prefix``, ``cosine_restarts(peak=b, first_cycle=W + T,
  floor=m, cycle_mult=c, gamma=g, warmup=W, warmup_start=w, max_cycles=n,
  warmup_cycles="first", cycle_rule="geometric")``; without, the same cycles with no warm-up
  under ``warmup(..., W, start=w, end=b, prefix=False)`` (timm warms up to ``b`` in both modes).
  One cycle is ``cosine(peak=b, steps=W + T, floor=m, warmup=W, warmup_start=w, k_decay=k)``
  (or ``cosine(peak=b, steps=T, floor=m, k_decay=k)`` under the warm-up); several with
  ``k_decay=k`` add ``shape="cosine", k_decay=k`` to ``cosine_restarts``.
- ``TanhLRScheduler(lb, ub)``: ``tanh(peak=b, steps=T, floor=m, lower=lb, upper=ub)`` for one
  cycle, ``cosine_restarts(..., shape="tanh", lower=lb, upper=ub)`` for several, the warm-up
  as for the cosine but to ``b if prefix else None``: without a prefix timm warms up to the
  tanh's value at ``W``.
- ``PolyLRScheduler(power=p, k_decay=k)``: ``polynomial(b, m, T, p, k_decay=k)`` for one cycle,
  ``cosine_restarts(..., shape="polynomial", power=p, k_decay=k)`` for several, the warm-up as
  for the cosine.
- Where ``cosine_restarts`` has no ``shape`` (an older core), several cycles of these shapes are
  a ``join`` of single ones, cycle ``j`` of length ``T c^j`` from peak ``b g^j``.
- ``StepLRScheduler(decay_t=d, decay_rate=r)``: ``step(b, d, r)`` under the warm-up (to ``b``;
  timm's default ``warmup_prefix=True``).
- ``MultiStepLRScheduler(decay_t=[d...], decay_rate=r)``: timm applies milestone ``d`` at
  ``t = d - 1`` (its ``bisect_right(decay_t, t + 1)``), so ``multistep(b r^z, [d - 1 ...], r)``
  where the ``z`` milestones ``d <= 1`` apply from step 0, under the warm-up.
- ``PlateauLRScheduler(decay_rate=f, patience_t, threshold, cooldown_t, mode, lr_min=m)``:
  ``plateau(warmup(constant(b), W, start=w, prefix=False), factor=f, patience=patience_t,
  mode=mode, threshold=threshold, cooldown=cooldown_t, min_lr=m)`` read from its PyTorch
  ``ReduceLROnPlateau``, converted only before any reduction (timm does not record their steps).

Refused (``ValueError`` naming the class and the option): LR noise (``noise_range_t``: timm
draws its own random numbers), a peak that ``cycle_decay`` takes below ``lr_min`` (timm then
rises to ``lr_min``), ``cycle_mul < 1``, ``cycle_limit < 1``, unsorted or repeated
``decay_t`` (after its ``- 1``), and a plateau that has reduced.
"""

from __future__ import annotations

import copy
import itertools
import math
import types
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._core import validation as check
from .._core.baselines import Constant, MultiStep, Step
from .._core.cosine import Cosine
from .._core.plateau import Plateau
from .._core.polynomial import Polynomial
from .._core.product import Scaled
from .._core.restarts import CosineRestarts
from .._core.schedule import Schedule
from .._core.tanh import Tanh
from .._core.warmup import Warmup
from .reading import Reading, geometric_start

FILES = {
    "CosineLRScheduler": "cosine_lr",
    "TanhLRScheduler": "tanh_lr",
    "PolyLRScheduler": "poly_lr",
    "StepLRScheduler": "step_lr",
    "MultiStepLRScheduler": "multistep_lr",
    "PlateauLRScheduler": "plateau_lr",
}
"""timm's scheduler classes and the module file each lives in."""

SHOWN_CYCLES = 4
"""The cycles a reading's horizon covers when the peer has more."""

TRACE = "record its values with warmcos.trace(scheduler, steps) instead"


def read(obj: object) -> Reading | None:
    """Read a timm scheduler as warmcos schedules, one per parameter group.

    Args:
        obj: Any object.

    Returns:
        ``None`` when `obj` is not one of timm's schedulers, else its :class:`Reading`.

    Raises:
        ValueError: It is timm's, but uses an option warmcos does not reproduce exactly.
    """
    cls = type(obj)
    name = cls.__name__
    file = FILES.get(name)
    if file is None or cls.__module__.rsplit(".", 1)[-1] != file:
        return None
    source = f"timm.scheduler.{file}.{name}"
    scheduler: Any = obj
    noise = getattr(scheduler, "noise_range_t", None)
    if noise is not None:
        raise check.fail(
            source,
            "noise_range_t",
            "be None to convert exactly (timm's LR noise draws its own random numbers, which "
            f"warmcos does not reproduce); {TRACE}",
            noise_range_t=noise,
        )
    if name == "PlateauLRScheduler":
        return _plateau(scheduler, source)
    readers: dict[str, Callable[[Any, str, float], Schedule]] = {
        "CosineLRScheduler": _cosine,
        "TanhLRScheduler": _tanh,
        "PolyLRScheduler": _poly,
        "StepLRScheduler": _step,
        "MultiStepLRScheduler": _multistep,
    }
    schedules = tuple(
        _scaled(readers[name](scheduler, source, float(base)), group)
        for base, group in zip(scheduler.base_values, scheduler.optimizer.param_groups, strict=True)
    )
    return Reading(
        source=source,
        schedules=schedules,
        position=0.0,  # timm keeps no count: the training loop passes the step in
        sample=_stepper(scheduler),
        horizon=_horizon(scheduler, name),
        unreliable=_slips(scheduler) if name in _CYCLING else None,
    )


_CYCLING = ("CosineLRScheduler", "TanhLRScheduler", "PolyLRScheduler")


def _scaled(schedule: Schedule, group: Any) -> Schedule:
    """The schedule times the group's ``lr_scale``, which timm multiplies in last."""
    scale = group.get("lr_scale") if isinstance(group, dict) else None
    return schedule if scale is None or scale == 1 else Scaled(float(scale), schedule)


def _warmed(scheduler: Any, schedule: Schedule, end: float | None) -> Schedule:
    """`schedule` under timm's linear warm-up from ``warmup_lr_init`` (to `end`)."""
    steps = scheduler.warmup_t
    if not steps:
        return schedule
    return Warmup(
        schedule,
        steps,
        start=float(scheduler.warmup_lr_init),
        end=end,
        prefix=bool(scheduler.warmup_prefix),
    )


def _cycles(scheduler: Any, source: str, base: float) -> tuple[int, float, float]:
    """The checked ``cycle_limit``, ``cycle_mul`` and ``cycle_decay`` of a timm scheduler."""
    mul = float(getattr(scheduler, "cycle_mul", getattr(scheduler, "t_mul", 1.0)))
    decay = float(getattr(scheduler, "cycle_decay", getattr(scheduler, "decay_rate", 1.0)))
    raw_limit = scheduler.cycle_limit
    if mul < 1:
        raise check.fail(source, "cycle_mul", f"be >= 1 (shrinking cycles); {TRACE}", cycle_mul=mul)
    if raw_limit < 1:
        raise check.fail(
            source, "cycle_limit", f"be >= 1 to convert; {TRACE}", cycle_limit=raw_limit
        )
    limit = math.ceil(raw_limit) if math.isfinite(raw_limit) else raw_limit
    floor = float(scheduler.lr_min)
    if decay < 1 and floor > 0:
        # The last cycle's peak is the lowest; timm lets it fall below lr_min and rises to it.
        lowest = base * decay ** (limit - 1) if math.isfinite(limit) else 0.0
        if lowest < floor:
            raise check.fail(
                source,
                "cycle_decay",
                "keep every cycle's peak (base LR * cycle_decay ** cycle) >= lr_min to convert "
                f"(timm then rises to lr_min, warmcos stops at it); {TRACE}",
                cycle_decay=decay,
                cycle_limit=raw_limit,
                lr_min=floor,
                base_lr=base,
            )
    if base < floor:
        raise check.fail(source, "lr_min", f"be <= the base LR to convert; {TRACE}", lr_min=floor)
    return limit, mul, decay


def _restarts(
    scheduler: Any, source: str, base: float, end: float | None, **shape: Any
) -> Schedule:
    """The cycles as ``cosine_restarts`` (of `shape`), the warm-up in front or over them."""
    limit, mul, decay = _cycles(scheduler, source, base)
    shared: dict[str, Any] = dict(
        peak=base,
        floor=float(scheduler.lr_min),
        cycle_mult=mul,
        gamma=decay,
        max_cycles=limit if math.isfinite(limit) else None,
        cycle_rule="geometric",
        **shape,
    )
    warmup, first = scheduler.warmup_t, scheduler.t_initial
    if warmup and scheduler.warmup_prefix:
        return CosineRestarts(
            first_cycle=warmup + first,
            warmup=warmup,
            warmup_start=float(scheduler.warmup_lr_init),
            warmup_cycles="first",
            **shared,
        )
    return _warmed(scheduler, CosineRestarts(first_cycle=first, **shared), end)


def _cosine(scheduler: Any, source: str, base: float) -> Schedule:
    floor, k = float(scheduler.lr_min), float(getattr(scheduler, "k_decay", 1.0))
    warmup, start = scheduler.warmup_t, float(scheduler.warmup_lr_init)
    limit, _, _ = _cycles(scheduler, source, base)
    if limit == 1:
        if warmup and scheduler.warmup_prefix:
            return Cosine(
                peak=base,
                steps=warmup + scheduler.t_initial,
                floor=floor,
                warmup=warmup,
                warmup_start=start,
                k_decay=k,
            )
        cosine = Cosine(peak=base, steps=scheduler.t_initial, floor=floor, k_decay=k)
        return _warmed(scheduler, cosine, base)
    if k == 1:
        return _restarts(scheduler, source, base, base)
    return _restarts(scheduler, source, base, base, shape="cosine", k_decay=k)


def _tanh(scheduler: Any, source: str, base: float) -> Schedule:
    floor, lower, upper = float(scheduler.lr_min), float(scheduler.lb), float(scheduler.ub)
    # Without a prefix timm warms up to the tanh's value at the warm-up's end.
    end = base if scheduler.warmup_prefix else None
    limit, _, _ = _cycles(scheduler, source, base)
    if limit != 1:
        return _restarts(scheduler, source, base, end, shape="tanh", lower=lower, upper=upper)
    one = Tanh(peak=base, steps=float(scheduler.t_initial), floor=floor, lower=lower, upper=upper)
    return _warmed(scheduler, one, end)


def _poly(scheduler: Any, source: str, base: float) -> Schedule:
    k = float(getattr(scheduler, "k_decay", 1.0))
    floor, power = float(scheduler.lr_min), float(scheduler.power)
    limit, _, _ = _cycles(scheduler, source, base)
    if limit != 1:
        return _restarts(scheduler, source, base, base, shape="polynomial", power=power, k_decay=k)
    one = Polynomial(base, floor, float(scheduler.t_initial), power, k_decay=k)
    return _warmed(scheduler, one, base)


def _step(scheduler: Any, source: str, base: float) -> Schedule:
    schedule = Step(base, scheduler.decay_t, float(scheduler.decay_rate))
    return _warmed(scheduler, schedule, base)


def _multistep(scheduler: Any, source: str, base: float) -> Schedule:
    milestones: Sequence[float] = list(scheduler.decay_t)
    if any(b < a for a, b in itertools.pairwise(milestones)):
        raise check.fail(
            source,
            "decay_t",
            f"be sorted to convert (timm's bisect assumes it is); {TRACE}",
            decay_t=milestones,
        )
    rate = float(scheduler.decay_rate)
    # timm applies milestone d at t = d - 1: those at or below 1 apply from step 0.
    early = sum(1 for d in milestones if d <= 1)
    later = [d - 1 for d in milestones if d > 1]
    if len(set(later)) < len(later):
        raise check.fail(
            source,
            "decay_t",
            f"hold each milestone once to convert; {TRACE}",
            decay_t=milestones,
        )
    schedule = MultiStep(base * rate**early, later, rate)
    return _warmed(scheduler, schedule, base)


def _plateau(scheduler: Any, source: str) -> Reading:
    inner = scheduler.lr_scheduler
    warmup, start = scheduler.warmup_t, float(scheduler.warmup_lr_init)
    groups = scheduler.optimizer.param_groups
    schedules = []
    for index, (base, group) in enumerate(zip(scheduler.base_values, groups, strict=True)):
        scale = group.get("lr_scale", 1.0) if isinstance(group, dict) else 1.0
        if getattr(inner, "last_epoch", 0) > 0 and group["lr"] != base * scale:
            raise check.fail(
                source,
                "lr_scheduler",
                "have made no reduction yet to convert (timm records no step of its "
                f"reductions); {TRACE}",
                group=index,
                lr=group["lr"],
                base_lr=base * scale,
            )
        level: Schedule = Constant(float(base))
        if warmup:
            level = Warmup(level, warmup, start=start, end=float(base), prefix=False)
        schedules.append(
            Plateau(
                _scaled(level, group),
                factor=float(inner.factor),
                patience=int(inner.patience),
                mode=inner.mode,
                threshold=float(inner.threshold),
                threshold_mode=inner.threshold_mode,
                cooldown=int(inner.cooldown),
                min_lr=float(inner.min_lrs[index]),
                eps=float(inner.eps),
            )
        )
    return Reading(
        source=source,
        schedules=tuple(schedules),
        position=0.0,
        sample=_plateau_stepper(scheduler),
        horizon=float(warmup) + 10.0,
    )


# -- sampling the peer -------------------------------------------------------------------------


def _copy(scheduler: Any) -> Any:
    """A deep copy of `scheduler` whose optimizer is a stand-in holding copies of its groups.

    The model's parameters are never copied (they may be large) and the user's objects are
    never touched: the copy's bookkeeping writes into the stand-in's groups.
    """
    groups = [
        {key: copy.deepcopy(value) for key, value in group.items() if key != "params"}
        for group in scheduler.optimizer.param_groups
    ]
    stand_in = types.SimpleNamespace(param_groups=groups)
    return copy.deepcopy(scheduler, {id(scheduler.optimizer): stand_in})


def _stepper(scheduler: Any) -> Callable[[np.ndarray], np.ndarray]:
    """The peer's own values: ``step(t)`` (or ``step_update(t)``) on a copy, groups read."""

    def sample(steps: np.ndarray) -> np.ndarray:
        clone = _copy(scheduler)
        advance = clone.step if clone.t_in_epochs else clone.step_update
        groups = clone.optimizer.param_groups
        values = np.empty((len(groups), len(steps)), dtype=np.float64)
        for column, t in enumerate(np.asarray(steps).tolist()):
            advance(int(t))
            values[:, column] = [float(group["lr"]) for group in groups]
        return values

    return sample


def _plateau_stepper(scheduler: Any) -> Callable[[np.ndarray], np.ndarray]:
    """The plateau's values with no metric reported: ``step(t)`` on a copy.

    Past its warm-up the plateau keeps the value it has, so a step past ``W`` is read after
    ``step(W)``, or without a warm-up after timm's ``update_groups(base_values)`` (the value it
    is built with: its ``step(0)`` would write ``warmup_lr_init``, and its training loop never
    calls it).
    """

    def sample(steps: np.ndarray) -> np.ndarray:
        warmup = scheduler.warmup_t
        columns = []
        for t in np.asarray(steps).tolist():
            clone, t = _copy(scheduler), int(t)
            if warmup:
                clone.step(min(t, warmup))
            else:
                clone.update_groups(clone.base_values)
            if t > warmup:
                clone.step(t)
            columns.append([float(group["lr"]) for group in clone.optimizer.param_groups])
        rows: np.ndarray = np.asarray(columns, dtype=np.float64).reshape(len(columns), -1)
        values: np.ndarray = rows.T
        return values

    return sample


def _horizon(scheduler: Any, name: str) -> float | None:
    """The planned end, or a few cycles, warm-up included."""
    warmup = float(scheduler.warmup_t)
    if name == "StepLRScheduler":
        return warmup + SHOWN_CYCLES * float(scheduler.decay_t) + 1
    if name == "MultiStepLRScheduler":
        return warmup + max([0.0, *(float(d) for d in scheduler.decay_t)]) + 1
    limit = scheduler.cycle_limit
    cycles = min(limit, SHOWN_CYCLES) if math.isfinite(limit) else SHOWN_CYCLES
    mul = float(getattr(scheduler, "cycle_mul", getattr(scheduler, "t_mul", 1.0)))
    length = float(geometric_start(float(scheduler.t_initial), mul, max(1, math.ceil(cycles))))
    return warmup + length + 1


def _slips(scheduler: Any) -> Callable[[np.ndarray], np.ndarray] | None:
    """The steps where timm's logarithm puts a step in another cycle than its exact one.

    With ``cycle_mul != 1`` timm finds the cycle as ``floor(log(1 - t / T (1 - c), c))``, which
    at some exact restarts gives the cycle before (``c = 3`` at cycle 5: ``log(243, 3)`` is
    ``4.999...``). This is timm's own expression, evaluated as timm does, against exact ones.
    """
    first = float(scheduler.t_initial)
    mul = float(getattr(scheduler, "cycle_mul", getattr(scheduler, "t_mul", 1.0)))
    shift = scheduler.warmup_t if scheduler.warmup_prefix else 0
    if mul == 1:
        return None  # timm's t // T is exact

    def mask(steps: np.ndarray) -> np.ndarray:
        out = np.zeros(len(steps), dtype=bool)
        for index, step in enumerate(np.asarray(steps).tolist()):
            t = step - shift
            if step < scheduler.warmup_t or t < 0:
                continue
            try:
                theirs = math.floor(math.log(1 - t / first * (1 - mul), mul))
            except (ValueError, OverflowError):
                continue
            exact = max(theirs, 0)
            while exact > 0 and geometric_start(first, mul, exact) > t:
                exact -= 1
            while geometric_start(first, mul, exact + 1) <= t:
                exact += 1
            out[index] = exact != theirs
        return out

    return mask
