"""What one `scheduler.step()` costs with 1, 2 and 64 param groups, relative to a bare floor.

Run from a clone with warmcos, torch and (optionally) transformers and timm installed:

    python benchmarks/torch_step.py             # best of 7 repeats
    python benchmarks/torch_step.py --repeat 3  # quicker, noisier
    python benchmarks/torch_step.py --profile   # also cProfile one warmcos step at 64 groups

The floor is the least any scheduler must do: a loop that writes one Python float into each
group's ``"lr"``. Every scheduler is measured in the same run, each time as the best of N repeats
(timeit; the repeats of all rows interleaved, so that load from other processes hits every row
alike), and printed as a ratio to the floor with the same number of groups. The schedules are
long (10**9 steps) so that every timed step stays inside the cosine part of the curve.

timm's ``CosineLRScheduler.step_update(num_updates)`` takes the update count from its caller, so
its timed step includes counting (``next()`` on an ``itertools.count``), as a training loop
would. ``import timm`` imports torchvision, which may not import beside the installed torch: the
benchmark loads only ``timm/scheduler/scheduler.py`` and ``timm/scheduler/cosine_lr.py`` (``pip
install --no-deps timm`` is enough), and skips timm with a note when that fails.

The targets: warmcos' ``LRScheduler.step()`` faster than every peer at every group count, and
within 2x of the floor at 64 groups.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import importlib
import importlib.metadata
import importlib.util
import io
import itertools
import math
import platform
import pstats
import sys
import timeit
import types
import warnings
from collections.abc import Callable
from pathlib import Path

import torch
from timing import fmt_time
from torch.optim import lr_scheduler

import warmcos
from warmcos.torch import LRScheduler

GROUP_COUNTS = (1, 2, 64)
FLOOR_TARGET = 2.0  # warmcos within this many times the floor at the most groups
PEAK = 0.1
FLOOR = 0.001
STEPS = 10**9
WARMUP = 100
FIRST_CYCLE = 1000


def make_optimizer(groups: int) -> torch.optim.Optimizer:
    """SGD with `groups` param groups of one scalar parameter each, LRs 0.1, 0.099, ..."""
    return torch.optim.SGD(
        [
            {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": PEAK * (1 - i / 1000)}
            for i in range(groups)
        ],
        lr=PEAK,
    )


def floor_step(optimizer: torch.optim.Optimizer) -> Callable[[], None]:
    """The bare floor: write one float into every group's "lr"."""
    groups = optimizer.param_groups
    value = 0.05

    def step() -> None:
        for group in groups:
            group["lr"] = value

    return step


Step = Callable[[], None]


def warmcos_cosine(optimizer: torch.optim.Optimizer) -> Step:
    schedule = warmcos.cosine(peak=PEAK, steps=STEPS, floor=FLOOR, warmup=WARMUP)
    return LRScheduler(optimizer, schedule).step


def warmcos_restarts(optimizer: torch.optim.Optimizer) -> Step:
    schedule = warmcos.cosine_restarts(
        peak=PEAK, first_cycle=FIRST_CYCLE, floor=FLOOR, warmup=WARMUP
    )
    return LRScheduler(optimizer, schedule).step


def warmcos_cosine_absolute(optimizer: torch.optim.Optimizer) -> Step:
    schedule = warmcos.cosine(peak=PEAK, steps=STEPS, floor=FLOOR, warmup=WARMUP)
    return LRScheduler(optimizer, schedule, group_scaling="absolute").step


def torch_warm_restarts(optimizer: torch.optim.Optimizer) -> Step:
    return lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=FIRST_CYCLE, eta_min=FLOOR).step


def torch_sequential(optimizer: torch.optim.Optimizer) -> Step:
    warmup = lr_scheduler.LinearLR(optimizer, start_factor=0.01, end_factor=1.0, total_iters=WARMUP)
    cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=STEPS - WARMUP, eta_min=FLOOR)
    return lr_scheduler.SequentialLR(optimizer, [warmup, cosine], milestones=[WARMUP]).step


def transformers_cosine(optimizer: torch.optim.Optimizer) -> Step:
    from transformers import get_cosine_schedule_with_warmup

    return get_cosine_schedule_with_warmup(optimizer, WARMUP, STEPS).step


@functools.cache
def load_timm_cosine() -> type:
    """timm's ``CosineLRScheduler``, from its two files only (``import timm`` is not needed).

    A stand-in parent package whose path is timm's ``scheduler`` folder lets ``cosine_lr.py``'s
    relative import of ``scheduler.py`` work without running any ``__init__.py`` of timm.

    Raises:
        ImportError: timm is not installed, or the files do not load.
    """
    spec = importlib.util.find_spec("timm")  # finds the folder, imports nothing
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("timm is not installed")
    folder = Path(next(iter(spec.submodule_search_locations))) / "scheduler"
    package = types.ModuleType("_timm_scheduler")
    package.__path__ = [str(folder)]
    sys.modules["_timm_scheduler"] = package
    try:
        module = importlib.import_module("_timm_scheduler.cosine_lr")
    except Exception as error:  # a newer timm may import more than these two files
        raise ImportError(f"{type(error).__name__}: {error}") from error
    return module.CosineLRScheduler


def timm_cosine(optimizer: torch.optim.Optimizer) -> Step:
    scheduler = load_timm_cosine()(
        optimizer, t_initial=STEPS, lr_min=FLOOR, warmup_t=WARMUP, t_in_epochs=False
    )
    updates = itertools.count(1)

    def step() -> None:
        scheduler.step_update(next(updates))

    return step


CANDIDATES: dict[str, Callable[[torch.optim.Optimizer], Step]] = {
    "warmcos LRScheduler cosine+warmup": warmcos_cosine,
    "warmcos LRScheduler cosine_restarts": warmcos_restarts,
    "warmcos cosine+warmup, absolute": warmcos_cosine_absolute,
    "torch CosineAnnealingWarmRestarts": torch_warm_restarts,
    "torch SequentialLR(Linear, Cosine)": torch_sequential,
    "transformers cosine_with_warmup": transformers_cosine,
    "timm CosineLRScheduler.step_update": timm_cosine,
}


def step_times(steps: dict[str, Step], repeat: int) -> dict[str, float]:
    """Best-of-`repeat` time of one call of each step, in seconds, the repeats interleaved.

    Round after round, every step is timed once: a burst of load from other processes then
    slows every row alike instead of one row, and the ratios to the floor stay fair.
    """
    timers = {name: timeit.Timer("step()", globals={"step": step}) for name, step in steps.items()}
    calls = {name: timer.autorange()[0] for name, timer in timers.items()}  # >= 0.2 s a repeat
    best = dict.fromkeys(steps, math.inf)
    for _ in range(repeat):
        for name, timer in timers.items():
            best[name] = min(best[name], timer.timeit(calls[name]) / calls[name])
    return best


def profile_step(groups: int, make: Callable[[torch.optim.Optimizer], Step]) -> str:
    """cProfile of many `step()` calls (one call is too short to profile), sorted by own time."""
    step = make(make_optimizer(groups))
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(20_000):
        step()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="best of this many repeats")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile warmcos' step() at 64 groups"
    )
    args = parser.parse_args()
    # torch warns once that scheduler.step() ran before optimizer.step(): irrelevant here.
    warnings.simplefilter("ignore")

    notes = []
    try:
        import transformers

        notes.append(f"transformers {transformers.__version__}")
    except ImportError:
        CANDIDATES.pop("transformers cosine_with_warmup")
        notes.append("transformers not installed (skipped)")
    try:
        load_timm_cosine()
        notes.append(f"timm {importlib.metadata.version('timm')} (scheduler files only)")
    except ImportError as error:
        CANDIDATES.pop("timm CosineLRScheduler.step_update")
        notes.append(f"timm skipped: {error}")
    print(
        f"warmcos {warmcos.__version__}, torch {torch.__version__}, {', '.join(notes)}, "
        f"Python {platform.python_version()} on {platform.machine()}"
    )
    print(f"best of {args.repeat} repeats; time of one step(); ratio to the floor\n")
    header = f"{'scheduler':<38}"
    for groups in GROUP_COUNTS:
        header += f" {f'{groups} group(s)':>12} {'ratio':>7}"
    print(header)

    floor_name = "floor: write a float per group"
    rows: dict[str, list[float]] = {floor_name: []}
    rows.update({name: [] for name in CANDIDATES})
    for groups in GROUP_COUNTS:
        steps = {floor_name: floor_step(make_optimizer(groups))}
        steps.update({name: make(make_optimizer(groups)) for name, make in CANDIDATES.items()})
        for name, seconds in step_times(steps, args.repeat).items():
            rows[name].append(seconds)
    floors = rows[floor_name]
    for name, times in rows.items():
        line = f"{name:<38}"
        for seconds, floor in zip(times, floors, strict=True):
            line += f" {fmt_time(seconds):>12} {seconds / floor:>6.1f}x"
        print(line)

    ours = [name for name in CANDIDATES if name.startswith("warmcos")]
    peers = [name for name in CANDIDATES if not name.startswith("warmcos")]
    print("\ntargets:")
    for index, groups in enumerate(GROUP_COUNTS):
        slowest = max(ours, key=lambda name: rows[name][index])
        fastest_peer = min(peers, key=lambda name: rows[name][index])
        margin = rows[fastest_peer][index] / rows[slowest][index]
        verdict = "met" if margin > 1 else "NOT met"
        print(
            f"  {groups} group(s): slowest warmcos row faster than the fastest peer "
            f"({fastest_peer}): {margin:.2f}x faster, {verdict}"
        )
    worst = max(rows[name][-1] / floors[-1] for name in ours)
    verdict = "met" if worst <= FLOOR_TARGET else "NOT met"
    print(
        f"  {GROUP_COUNTS[-1]} groups: slowest warmcos row {worst:.2f}x the floor "
        f"(target <= {FLOOR_TARGET}x): {verdict}"
    )
    if args.profile or worst > FLOOR_TARGET:
        print(f"\ncProfile, 20000 steps of warmcos cosine+warmup at {GROUP_COUNTS[-1]} groups:")
        print(profile_step(GROUP_COUNTS[-1], warmcos_cosine))


if __name__ == "__main__":
    main()
