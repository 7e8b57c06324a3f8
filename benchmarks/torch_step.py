"""What one `scheduler.step()` costs with 1 and 64 param groups, relative to a bare floor.

Run from a clone with warmcos, torch and (optionally) transformers installed:

    python benchmarks/torch_step.py             # best of 7 repeats
    python benchmarks/torch_step.py --repeat 3  # quicker, noisier
    python benchmarks/torch_step.py --profile   # also cProfile one warmcos step at 64 groups

The floor is the least any scheduler must do: a loop that writes one Python float into each
group's ``"lr"``. Every scheduler is measured in the same run, each time as the best of N repeats
(timeit), and printed as a ratio to the floor with the same number of groups. The schedules are
long (10**9 steps) so that every timed step stays inside the cosine part of the curve.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import platform
import pstats
import warnings
from collections.abc import Callable
from typing import Any

import torch
from timing import best_per_call, fmt_time
from torch.optim import lr_scheduler

import warmcos
from warmcos.torch import LRScheduler

GROUP_COUNTS = (1, 64)
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


def warmcos_cosine(optimizer: torch.optim.Optimizer) -> Any:
    schedule = warmcos.cosine(peak=PEAK, steps=STEPS, floor=FLOOR, warmup=WARMUP)
    return LRScheduler(optimizer, schedule)


def warmcos_restarts(optimizer: torch.optim.Optimizer) -> Any:
    schedule = warmcos.cosine_restarts(
        peak=PEAK, first_cycle=FIRST_CYCLE, floor=FLOOR, warmup=WARMUP
    )
    return LRScheduler(optimizer, schedule)


def warmcos_cosine_absolute(optimizer: torch.optim.Optimizer) -> Any:
    schedule = warmcos.cosine(peak=PEAK, steps=STEPS, floor=FLOOR, warmup=WARMUP)
    return LRScheduler(optimizer, schedule, group_scaling="absolute")


def torch_warm_restarts(optimizer: torch.optim.Optimizer) -> Any:
    return lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=FIRST_CYCLE, eta_min=FLOOR)


def torch_sequential(optimizer: torch.optim.Optimizer) -> Any:
    warmup = lr_scheduler.LinearLR(optimizer, start_factor=0.01, end_factor=1.0, total_iters=WARMUP)
    cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=STEPS - WARMUP, eta_min=FLOOR)
    return lr_scheduler.SequentialLR(optimizer, [warmup, cosine], milestones=[WARMUP])


def transformers_cosine(optimizer: torch.optim.Optimizer) -> Any:
    from transformers import get_cosine_schedule_with_warmup

    return get_cosine_schedule_with_warmup(optimizer, WARMUP, STEPS)


CANDIDATES: dict[str, Callable[[torch.optim.Optimizer], Any]] = {
    "warmcos LRScheduler cosine+warmup": warmcos_cosine,
    "warmcos LRScheduler cosine_restarts": warmcos_restarts,
    "warmcos cosine+warmup, absolute": warmcos_cosine_absolute,
    "torch CosineAnnealingWarmRestarts": torch_warm_restarts,
    "torch SequentialLR(Linear, Cosine)": torch_sequential,
    "transformers cosine_with_warmup": transformers_cosine,
}


def step_time(step: Callable[[], None], repeat: int) -> float:
    """Best-of-`repeat` time of one `step()` in seconds."""
    return best_per_call("step()", {"step": step}, repeat)


def profile_step(groups: int, make: Callable[[torch.optim.Optimizer], Any]) -> str:
    """cProfile of many `step()` calls (one call is too short to profile), sorted by own time."""
    scheduler = make(make_optimizer(groups))
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(20_000):
        scheduler.step()
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

    try:
        import transformers

        extra = f", transformers {transformers.__version__}"
    except ImportError:
        CANDIDATES.pop("transformers cosine_with_warmup")
        extra = ", transformers not installed (skipped)"
    print(
        f"warmcos {warmcos.__version__}, torch {torch.__version__}{extra}, "
        f"Python {platform.python_version()} on {platform.machine()}"
    )
    print(f"best of {args.repeat} repeats; time of one step(); ratio to the floor\n")
    header = f"{'scheduler':<38}"
    for groups in GROUP_COUNTS:
        header += f" {f'{groups} group(s)':>12} {'ratio':>7}"
    print(header)

    rows: dict[str, list[float]] = {}
    floors = []
    for groups in GROUP_COUNTS:
        floors.append(step_time(floor_step(make_optimizer(groups)), args.repeat))
    rows["floor: write a float per group"] = floors
    for name, make in CANDIDATES.items():
        rows[name] = [
            step_time(make(make_optimizer(groups)).step, args.repeat) for groups in GROUP_COUNTS
        ]
    for name, times in rows.items():
        line = f"{name:<38}"
        for seconds, floor in zip(times, floors, strict=True):
            line += f" {fmt_time(seconds):>12} {seconds / floor:>6.1f}x"
        print(line)

    target = 1.5
    worst = max(rows[name][-1] / floors[-1] for name in CANDIDATES if name.startswith("warmcos"))
    verdict = "met" if worst <= target else "NOT met"
    print(
        f"\ntarget: warmcos within {target}x of the floor at {GROUP_COUNTS[-1]} groups: {verdict}"
    )
    if args.profile or worst > target:
        print(f"\ncProfile, 20000 steps of warmcos cosine+warmup at {GROUP_COUNTS[-1]} groups:")
        print(profile_step(GROUP_COUNTS[-1], warmcos_cosine))


if __name__ == "__main__":
    main()
