"""Changing a run's budget mid-way, on the demo task: what each way of doing it costs.

Two scenarios. *Grow*: plan 800 steps, decide at step 400 to train 1600. *Cut*: plan 1600,
decide at step 800 to stop at 1000. For each, the final validation loss (mean and spread over
seeds) of every way to carry on, against the oracle that planned the final budget from the start:

* grow: the oracle (warm-up + cosine over 1600); ``change_budget`` on the 800-step cosine;
  warm-up-stable-decay with its stable phase extended (``change_budget`` on a ``wsd``); the usual
  mistake (a cosine rebuilt for 1600 at step 400, so the LR jumps to where that cosine stands);
  a fresh warm-up + cosine over the remaining 1200 steps, restarted at 400.
* cut: the oracle (warm-up + cosine over 1000); ``change_budget`` on the 1600-step cosine; the
  ``wsd`` cut the same way; ``decay_now`` (a linear decay from the current LR over the last 200
  steps); the usual mistake (a cosine rebuilt for 1000 at step 800: the LR drops at once).

A warmcos schedule is a pure function of the step, so "planned 800, changed at 400 to 1600" is
exactly a 1600-step run under ``change_budget(cosine(peak, 800), 400, 1600)``: its first 400
steps are the 800-step plan. Every variant is one schedule trained for the final budget.

Writes into --out: ``budget.json`` (every run; saved after each one, and reused when the same
command runs again, so an interrupted benchmark resumes), ``budget.md`` (the two tables) and
``budget.png`` (the learning-rate curves, one panel per scenario).

    python benchmarks/budget.py            # 3 seeds, 30 runs: ~20-40 min on 2 cores
    python benchmarks/budget.py --quick    # 1 seed, every length / 4: a smoke test

Runs go to --jobs worker processes (default 2) with --threads torch threads each (default 1).
Needs ``pip install -e ".[demo]"``.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from functools import cache
from pathlib import Path
from typing import Any

import warmcos
from warmcos import Schedule

WARMUP = 50
"""Warm-up steps, the same in every variant: the warm-up is not part of the budget."""

DEFAULT_PEAK = 0.0123
"""The peak LR when the demo's recorded range-test suggestion is missing."""

SUGGESTION = Path("docs/demo/results.json")

# Each scenario: (plan, decision step, final budget), in full-size steps.
SCENARIOS = {"grow": (800, 400, 1600), "cut": (1600, 800, 1000)}
TITLES = {
    "grow": "Grow: plan {plan}, at step {at} decide on {steps}",
    "cut": "Cut: plan {plan}, at step {at} decide to stop at {steps}",
}
ORACLE = "oracle"
COLORS = {"change_budget": "C1", "wsd extended": "C2", "wsd cut": "C2", "mistake": "C3"}
"""The same colour for the same idea in both panels; the rest take C0 (oracle) and C4."""


def variants(scenario: str, peak: float, scale: int) -> dict[str, tuple[str, Schedule]]:
    """Each variant of `scenario`: its description and the schedule of the whole run."""
    plan, at, steps = (n // scale for n in SCENARIOS[scenario])
    warmup = WARMUP // scale

    def cosine(length: int) -> Schedule:
        return warmcos.cosine(peak, length, warmup=warmup)

    def wsd(length: int) -> Schedule:
        return warmcos.wsd(peak, length, warmup=warmup, decay=0.2)

    # The mistake: a scheduler rebuilt for the new budget reads the global step, so the LR jumps
    # to where the new cosine stands at `at`.
    rebuilt = warmcos.join([cosine(plan), cosine(steps)], [at], local_steps=False)
    if scenario == "grow":
        return {
            ORACLE: (f"cosine planned for {steps} from the start", cosine(steps)),
            "change_budget": (
                f"{plan}-step cosine, change_budget at {at}",
                warmcos.change_budget(cosine(plan), at, steps),
            ),
            "wsd extended": (
                f"wsd (decay 20%) planned for {plan}, stable phase extended at {at}",
                warmcos.change_budget(wsd(plan), at, steps),
            ),
            "mistake": (f"cosine rebuilt for {steps} at {at} (LR jumps)", rebuilt),
            "restart": (
                f"fresh warm-up + cosine over the last {steps - at} from {at}",
                warmcos.join([cosine(plan), cosine(steps - at)], [at]),
            ),
        }
    return {
        ORACLE: (f"cosine planned for {steps} from the start", cosine(steps)),
        "change_budget": (
            f"{plan}-step cosine, change_budget at {at}",
            warmcos.change_budget(cosine(plan), at, steps),
        ),
        "wsd cut": (
            f"wsd (decay 20%) planned for {plan}, change_budget at {at}",
            warmcos.change_budget(wsd(plan), at, steps),
        ),
        "decay_now": (
            f"{plan}-step cosine, decay_now at {at}: linear to 0 over {steps - at}",
            warmcos.decay_now(cosine(plan), at, steps - at),
        ),
        "mistake": (f"cosine rebuilt for {steps} at {at} (LR drops)", rebuilt),
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 seed, every length / 4.")
    parser.add_argument("--seeds", type=int, help="Seeds 0..N-1 (default 3).")
    parser.add_argument("--peak", type=float, help="Peak LR (default: the demo's suggestion).")
    parser.add_argument("--jobs", type=int, default=2, help="Worker processes (default 2).")
    parser.add_argument("--threads", type=int, default=1, help="Torch threads per worker.")
    parser.add_argument("--out", type=Path, default=Path("docs/budget"))
    args = parser.parse_args(argv)
    args.seeds = args.seeds or (1 if args.quick else 3)
    args.scale = 4 if args.quick else 1
    if args.peak is None:
        args.peak = DEFAULT_PEAK
        if SUGGESTION.exists():
            recorded = json.loads(SUGGESTION.read_text(encoding="utf-8"))
            args.peak = recorded.get("range_test", {}).get("suggestion") or DEFAULT_PEAK
    if args.seeds < 1 or args.jobs < 1 or not args.peak > 0:
        parser.error("--seeds and --jobs must be >= 1, --peak > 0")
    return args


# -- work done in the worker processes -------------------------------------------------------


@cache
def _corpus() -> Any:
    from warmcos.demo.data import load

    return load()


def train_one(
    scenario: str, variant: str, peak: float, scale: int, seed: int, threads: int
) -> dict[str, Any]:
    """One training run: the final validation loss of `variant` over the final budget."""
    from warmcos.demo.train import TrainConfig, train

    began = time.perf_counter()
    steps = SCENARIOS[scenario][2] // scale
    _, schedule = variants(scenario, peak, scale)[variant]
    config = TrainConfig(steps=steps, seed=seed, threads=threads, evaluations=1)
    run = train(variant, schedule, _corpus(), config)
    return {
        "scenario": scenario,
        "variant": variant,
        "schedule": repr(schedule),
        "peak": peak,
        "seed": seed,
        "steps": steps,
        "final_loss": run.final_loss if math.isfinite(run.final_loss) else None,
        "steps_per_second": run.steps_per_second,
        "seconds": time.perf_counter() - began,
    }


# -- the benchmark ---------------------------------------------------------------------------


def key(scenario: str, variant: str, peak: float, scale: int, seed: int) -> str:
    return f"{scenario}|{variant}|{peak:.6g}|{SCENARIOS[scenario][2] // scale}|{seed}"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    store = args.out / "budget.json"
    saved: dict[str, Any] = json.loads(store.read_text(encoding="utf-8")) if store.exists() else {}
    runs: dict[str, dict[str, Any]] = saved.get("runs", {})
    settings = {
        "peak": args.peak,
        "warmup": WARMUP // args.scale,
        "scenarios": {name: [n // args.scale for n in s] for name, s in SCENARIOS.items()},
        "seeds": list(range(args.seeds)),
        "jobs": args.jobs,
        "threads": args.threads,
    }

    def save() -> None:
        payload = {"settings": settings, "runs": runs}
        store.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")

    # Seed by seed, so an interrupted benchmark has every variant at the first seeds.
    jobs = [
        (scenario, variant, seed)
        for seed in range(args.seeds)
        for scenario in SCENARIOS
        for variant in variants(scenario, args.peak, args.scale)
    ]
    todo = [job for job in jobs if key(job[0], job[1], args.peak, args.scale, job[2]) not in runs]
    print(
        f"peak LR {args.peak:.4g}; {len(todo)} runs to do of {len(jobs)}, "
        f"{args.jobs} worker(s) x {args.threads} thread(s)",
        flush=True,
    )
    began = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = [
            pool.submit(train_one, scenario, variant, args.peak, args.scale, seed, args.threads)
            for scenario, variant, seed in todo
        ]
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                record = future.result()
                scenario, variant, seed = record["scenario"], record["variant"], record["seed"]
                runs[key(scenario, variant, args.peak, args.scale, seed)] = record
                save()
                loss = record["final_loss"]
                print(
                    f"[{done}/{len(todo)}] {record['scenario']:<4} {record['variant']:<13} "
                    f"seed {record['seed']}: {'diverged' if loss is None else f'{loss:.4f}'} "
                    f"({record['steps_per_second']:.1f} steps/s, "
                    f"{time.perf_counter() - began:.0f} s)",
                    flush=True,
                )
        except KeyboardInterrupt:
            for future in futures:
                future.cancel()
            print("interrupted: reporting the runs that finished", file=sys.stderr)
    print(f"trained for {time.perf_counter() - began:.0f} s", flush=True)
    report(args, runs)
    return 0


def _losses(
    args: argparse.Namespace, runs: dict[str, Any], scenario: str, variant: str
) -> dict[int, float]:
    values = {}
    for seed in range(args.seeds):
        record = runs.get(key(scenario, variant, args.peak, args.scale, seed))
        if record is not None:
            loss = record["final_loss"]
            values[seed] = math.inf if loss is None else loss
    return values


def _spread(values: list[float]) -> str:
    if len(values) < 2 or not all(math.isfinite(v) for v in values):
        return "-"
    return f"{statistics.stdev(values):.4f} ({min(values):.3f}-{max(values):.3f})"


def report(args: argparse.Namespace, runs: dict[str, Any]) -> None:
    lines = [
        f"Final validation loss (nats/char) on the demo task, peak LR {args.peak:.4g}, warm-up "
        f"{WARMUP // args.scale} steps, {args.seeds} seed(s). Spread: standard deviation "
        "(min-max) over seeds. vs oracle: mean of the per-seed differences to the oracle (each "
        "seed has the same initial weights and batches in every variant), +- their standard "
        "deviation.",
    ]
    for scenario in SCENARIOS:
        plan, at, steps = (n // args.scale for n in SCENARIOS[scenario])
        table = variants(scenario, args.peak, args.scale)
        oracle = _losses(args, runs, scenario, ORACLE)
        lines += [
            "",
            f"**{TITLES[scenario].format(plan=plan, at=at, steps=steps)}** "
            f"(final loss after {steps} steps)",
            "",
            "| variant | schedule | mean loss | seeds | spread over seeds | vs oracle |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for variant, (description, _) in table.items():
            values = _losses(args, runs, scenario, variant)
            if not values:
                lines.append(f"| {variant} | {description} | - | 0 | - | - |")
                continue
            mean = statistics.fmean(values.values())
            differences = [values[s] - oracle[s] for s in values if s in oracle]
            if variant == ORACLE or not differences:
                versus = "-"
            else:
                versus = f"{statistics.fmean(differences):+.4f}"
                if len(differences) > 1 and all(math.isfinite(d) for d in differences):
                    versus += f" +- {statistics.stdev(differences):.4f}"
            lines.append(
                f"| {variant} | {description} | {mean:.4f} | {len(values)} "
                f"| {_spread(list(values.values()))} | {versus} |"
            )
    text = "\n".join(lines) + "\n"
    (args.out / "budget.md").write_text(text, encoding="utf-8")
    print(text)
    plot(args)


def plot(args: argparse.Namespace) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from warmcos.plotting import save

    figure = Figure(figsize=(12.0, 5.4), layout="constrained")
    FigureCanvasAgg(figure)
    for axes, scenario in zip(figure.subplots(1, 2), SCENARIOS, strict=True):
        plan, at, steps = (n // args.scale for n in SCENARIOS[scenario])
        x = list(range(steps + 1))
        for variant, (_, schedule) in variants(scenario, args.peak, args.scale).items():
            color = "C0" if variant == ORACLE else COLORS.get(variant, "C4")
            axes.plot(
                x, [schedule(t) for t in x], color=color,
                linewidth=2.6 if variant == ORACLE else 1.5,
                linestyle="--" if variant == ORACLE else "-", label=variant,
            )  # fmt: skip
        axes.axvline(at, color="0.4", linewidth=0.8, linestyle=":", label="decision")
        axes.set_xlim(0, steps)
        axes.set_ylim(0, args.peak * 1.06)
        axes.set_xlabel("step")
        axes.set_ylabel("learning rate")
        axes.set_title(TITLES[scenario].format(plan=plan, at=at, steps=steps), fontsize=10)
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=3)
    save(figure, args.out / "budget.png")


if __name__ == "__main__":
    sys.exit(main())
