"""The schedules the demo compares, built from warmcos's public factories.

Every schedule runs for the same number of steps and reaches the same peak learning rate; the
ones with a warm-up warm up for the first :data:`WARMUP` of the run.

Example:
    >>> from warmcos.demo.schedules import build
    >>> build("warmup-cosine", peak=0.01, steps=800)
    cosine(peak=0.01, steps=800, warmup=0.05)
    >>> [name for name in NAMES][:3]
    ['constant', 'step', 'linear']
"""

from __future__ import annotations

from collections.abc import Callable

import warmcos
from warmcos import Schedule

WARMUP = 0.05
"""The warm-up, as a fraction of the run, for the schedules that have one."""

RESTART_CYCLES = 3
"""Cycles of the restarts schedule: each twice as long as the previous, the last ends the run."""


def _polynomial(peak: float, steps: int) -> Schedule:
    warmup = round(WARMUP * steps)
    return warmcos.warmup(warmcos.polynomial(peak, 0.0, steps - warmup, power=2.0), warmup)


def _restarts(peak: float, steps: int) -> Schedule:
    # Warm-up once, then three cosine cycles of decay lengths D, 2D, 4D that end with the run.
    warmup = WARMUP * steps
    decay = (steps - warmup) / (2**RESTART_CYCLES - 1)
    return warmcos.cosine_restarts(
        peak=peak,
        first_cycle=warmup + decay,
        cycle_mult=2.0,
        warmup=warmup,
        max_cycles=RESTART_CYCLES,
        warmup_cycles="first",
        cycle_rule="geometric",
    )


FACTORIES: dict[str, tuple[str, Callable[[float, int], Schedule]]] = {
    "constant": ("constant", lambda peak, steps: warmcos.constant(peak)),
    "step": (
        "step decay: x0.1 every third of the run (StepLR)",
        lambda peak, steps: warmcos.step(peak, step_size=-(-steps // 3), gamma=0.1),
    ),
    "linear": ("linear decay to 0", lambda peak, steps: warmcos.linear(peak, 0.0, steps)),
    "cosine": ("cosine to 0, no warm-up", lambda peak, steps: warmcos.cosine(peak, steps)),
    "warmup-cosine": (
        "warm-up + cosine to 0",
        lambda peak, steps: warmcos.cosine(peak, steps, warmup=WARMUP),
    ),
    "restarts": ("warm-up + cosine with 3 restarts (x2 cycles)", _restarts),
    "wsd": (
        "warm-up, stable, linear decay over the last 20%",
        lambda peak, steps: warmcos.wsd(peak, steps, warmup=WARMUP, decay=0.2),
    ),
    "one-cycle": (
        "one cycle (PyTorch's OneCycleLR defaults)",
        lambda peak, steps: warmcos.one_cycle(peak, steps),
    ),
    "inverse-sqrt": (
        "warm-up + inverse square root",
        lambda peak, steps: warmcos.inverse_sqrt(peak, warmup=round(WARMUP * steps)),
    ),
    "polynomial": (
        "warm-up + polynomial decay to 0 (power 2)",
        lambda peak, steps: _polynomial(peak, steps),
    ),
}
"""Each short name's description and factory ``(peak, steps) -> Schedule``."""

NAMES: tuple[str, ...] = tuple(FACTORIES)
"""Every short name, in the order the demo trains and reports them."""

DEFAULT_NAMES: tuple[str, ...] = NAMES[:7]
"""The schedules ``warmcos demo`` compares by default (the others on request: it stays short)."""


def build(name: str, *, peak: float, steps: int) -> Schedule:
    """The schedule called `name`, peaking at `peak`, for a run of `steps` steps.

    Raises:
        ValueError: An unknown name.
    """
    if name not in FACTORIES:
        raise ValueError(f"unknown schedule {name!r}; choose from {', '.join(NAMES)}")
    return FACTORIES[name][1](peak, steps)


def describe(name: str) -> str:
    """A short description of the schedule called `name`."""
    return FACTORIES[name][0]
