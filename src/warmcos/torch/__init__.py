"""PyTorch adapter: a scheduler for any warmcos schedule, the seed's class, the LR range test.

* :class:`LRScheduler` drives an optimizer's param groups (and other hyperparameters) with
  warmcos schedules, given as schedules, spec strings or dicts (:data:`ScheduleLike`); it is a
  real ``torch.optim.lr_scheduler.LRScheduler``.
* :class:`CosineAnnealingWarmupRestarts` is the seed tutorial's class, drop-in, with its defects
  fixed.
* :func:`find_lr` runs the LR range test and suggests a peak learning rate.
* :class:`HorizonWarning` is what :class:`LRScheduler` warns with when the run and its
  schedule's end disagree (see :mod:`warmcos.torch.horizon`).

Importing this module imports torch; ``import warmcos`` alone does not.
"""

from .horizon import HorizonWarning
from .range_test import RangeTestResult, find_lr
from .scheduler import LRScheduler, ScheduleLike
from .seed import CosineAnnealingWarmupRestarts

__all__ = [
    "CosineAnnealingWarmupRestarts",
    "HorizonWarning",
    "LRScheduler",
    "RangeTestResult",
    "ScheduleLike",
    "find_lr",
]
