"""The seed tutorial's ``CosineAnnealingWarmupRestarts`` read as a warmcos schedule.

Two kinds of object are read:

* the tutorial's own class, as users copy it into their code (any module): recognised by its
  class name and its attributes (``first_cycle_steps``, ``cycle_mult``, ``max_lr``, ``min_lr``,
  ``warmup_steps``, ``gamma``, ``cur_cycle_steps``, ``step_in_cycle``, ``cycle``);
* warmcos' own ``warmcos.torch.LRScheduler`` and its drop-in
  ``warmcos.torch.CosineAnnealingWarmupRestarts``: their schedules, as they drive them.

The tutorial's class, with ``P = max_lr`` (its first peak), ``m = min_lr``, ``L =
first_cycle_steps`` and ``W = warmup_steps``, is

    cosine_restarts(peak=P, first_cycle=L, floor=m, cycle_mult=cycle_mult, gamma=gamma,
                    warmup=W)

(the next cycle is ``int((L - W) * cycle_mult) + W`` long: warmcos' integer cycle rule). Two of
its defects are kept where they show: with ``W = 0`` its step 0 is ``min_lr`` (construction
overwrites the first value), so the conversion is ``join([constant(m), cosine_restarts(...)],
[1], local_steps=False)``; with ``gamma < 1`` its peak ``P * gamma ** c`` falls below ``min_lr``
from some cycle on, where warmcos keeps the peak at ``min_lr`` (the migration guide, "What
cannot be expressed"): the check stops before that cycle. Every param group gets the same
learning rate, as in the tutorial.
"""

from __future__ import annotations

from typing import Any

from .._core.baselines import Constant
from .._core.join import Join
from .._core.restarts import CosineRestarts
from .._core.schedule import Schedule
from . import torch_schedulers
from .reading import Reading, Sampler
from .torch_schedulers import refused
from .traced import detached_copy

CLASS = "CosineAnnealingWarmupRestarts"

ATTRIBUTES = (
    "first_cycle_steps",
    "cycle_mult",
    "max_lr",
    "min_lr",
    "warmup_steps",
    "gamma",
    "cur_cycle_steps",
    "step_in_cycle",
    "cycle",
    "optimizer",
    "last_epoch",
)
"""What makes an object the tutorial's class, besides its name."""

CHECKED_CYCLES = 6
"""How many cycles of an endless restart schedule a check covers (at most)."""


def read(obj: object) -> Reading | None:
    """Read the seed's class or a ``warmcos.torch`` scheduler (None for anything else).

    Raises:
        ValueError: A ``warmcos.torch.LRScheduler`` with ``steps_per_unit != 1``, or the seed's
            class in a state its arguments cannot give.
    """
    kind = type(obj)
    if kind.__module__.startswith("warmcos.torch"):
        return _read_warmcos(obj)
    if kind.__name__ != CLASS or not all(hasattr(obj, name) for name in ATTRIBUTES):
        return None
    return _read_seed(obj)


def _read_seed(seed: Any) -> Reading:
    name = f"{type(seed).__module__}.{CLASS}"
    peak = getattr(seed, "base_max_lr", None)
    if peak is None:
        if seed.cycle != 0:
            raise refused(CLASS, "no `base_max_lr`", "its first peak is not recorded")
        peak = seed.max_lr
    peak, floor, gamma = float(peak), float(seed.min_lr), float(seed.gamma)
    first, warmup, mult = seed.first_cycle_steps, seed.warmup_steps, seed.cycle_mult
    option = (
        f"first_cycle_steps={first!r}, cycle_mult={mult!r}, max_lr={peak!r}, "
        f"min_lr={floor!r}, warmup_steps={warmup!r}, gamma={gamma!r}"
    )
    try:
        restarts = CosineRestarts(
            peak=peak, first_cycle=first, floor=floor, cycle_mult=mult, gamma=gamma, warmup=warmup
        )
        schedule: Schedule = restarts
        if warmup == 0 and floor != peak:
            schedule = Join([Constant(floor), restarts], [1], local_steps=False)
    except (TypeError, ValueError) as error:
        raise refused(CLASS, option, str(error)) from None
    groups = seed.optimizer.param_groups
    arguments = dict(
        first_cycle_steps=first,
        cycle_mult=mult,
        max_lr=peak,
        min_lr=floor,
        warmup_steps=warmup,
        gamma=gamma,
    )
    bases = [floor] * len(groups)
    return Reading(
        source=name,
        schedules=(schedule,) * len(groups),
        position=float(seed.last_epoch),
        sample=torch_schedulers.stepping_sampler(
            lambda optimizer: type(seed)(optimizer, **arguments), bases
        ),
        horizon=_horizon(restarts, peak, floor, gamma),
        current=tuple(torch_schedulers._float(group["lr"]) for group in groups),
    )


def _horizon(restarts: CosineRestarts, peak: float, floor: float, gamma: float) -> float:
    """The end of :data:`CHECKED_CYCLES` cycles, or of the last cycle whose peak is >= `floor`.

    The seed's peak ``peak * gamma ** c`` falls below `floor` at cycle ``c``; warmcos' stays
    at `floor` there (documented): the check ends before that cycle.
    """
    cycles = CHECKED_CYCLES
    if gamma < 1 and floor > 0 and peak > floor:
        cycles = next((c for c in range(1, cycles) if peak * gamma**c < floor), cycles)
    return float(restarts.cycle_start(cycles)) - 1.0


def _read_warmcos(scheduler: Any) -> Reading:
    name = f"{type(scheduler).__module__}.{type(scheduler).__name__}"
    if not hasattr(scheduler, "schedules"):
        raise refused(name, "no schedules", "it is not a warmcos.torch.LRScheduler")
    if scheduler.steps_per_unit != 1:
        raise refused(
            type(scheduler).__name__,
            f"steps_per_unit={scheduler.steps_per_unit!r}",
            "its schedule is read at step / steps_per_unit",
        )
    groups = scheduler.optimizer.param_groups
    if len(scheduler.schedules) > 1:
        schedules = list(scheduler.schedules)
    else:
        # The groups' ratios, read by a copy (reading takes in groups added since, which the
        # user's scheduler only does at its next step).
        _, copied = detached_copy(scheduler.optimizer, scheduler)
        copied.get_lr()
        (only,) = scheduler.schedules
        schedules = [only if factor == 1.0 else factor * only for factor in copied._factors]
    return Reading(
        source=name,
        schedules=tuple(schedules),
        position=float(scheduler.last_step),
        sample=_jumping_sampler(scheduler),
        horizon=None,
        current=tuple(torch_schedulers._float(group["lr"]) for group in groups),
    )


def _jumping_sampler(scheduler: Any) -> Sampler:
    """Samples a copy of a warmcos scheduler by jumping to each step (``step(epoch)``)."""
    import warnings

    import numpy as np

    def sample(steps: np.ndarray) -> np.ndarray:
        optimizer, copied = detached_copy(scheduler.optimizer, scheduler)
        copied.check_horizon = False
        out = np.empty((len(optimizer.param_groups), steps.size), dtype=np.float64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for index, step in enumerate(steps.tolist()):
                copied.step(step)
                out[:, index] = [torch_schedulers._float(g["lr"]) for g in optimizer.param_groups]
        return out

    return sample
