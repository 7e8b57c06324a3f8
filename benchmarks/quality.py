"""Training quality of each schedule on the demo task, over a grid of peak LRs and seeds.

The demo's comparison done properly: every schedule of ``warmcos demo`` trains the demo's
character-level transformer at each peak LR of a grid spanning the LR range test's suggestion by
10x each way (warm-up + cosine on a finer grid), with several seeds. For each schedule it reports
the mean and spread over seeds of the final validation loss at its best peak; and for each
suggestion rule of the range test ("valley", "steepest", "minimum") where the rule's suggestion
lands (run at each seed's own suggestion) and the warm-up + cosine loss there, against the best
loss of the grid.

Writes into --out: ``quality.json`` (every run; saved after each one, and reused when the same
command runs again, so an interrupted benchmark resumes), ``quality.md`` (the tables) and
``quality.png`` (final loss against peak LR, one line per schedule, the rules' suggestions marked).

    python benchmarks/quality.py                 # full: 7 schedules, 5 peaks (9 for warm-up +
                                                 # cosine), 3 seeds, 800 steps: ~30-45 min
    python benchmarks/quality.py --quick         # 2 seeds, 3 schedules, 400 steps: a few minutes
    python benchmarks/quality.py --schedules warmup-cosine --seeds 2 --peaks 7

Runs go to --jobs worker processes (default 2) with --threads torch threads each (default 1):
on a 2-core machine two one-thread workers train faster than one two-thread worker. Needs
``pip install -e ".[demo]"``.
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

RULES = ("valley", "steepest", "minimum")
REFERENCE = "warmup-cosine"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    from warmcos.demo.schedules import DEFAULT_NAMES, NAMES

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds, 3 schedules, 400 steps.")
    parser.add_argument("--steps", type=int, help="Training steps per run (default 800).")
    parser.add_argument("--seeds", type=int, help="Seeds 0..N-1 (default 3).")
    parser.add_argument("--peaks", type=int, help="Grid points per schedule (default 5, >= 2).")
    parser.add_argument(
        "--cosine-peaks", type=int, help="Grid points for warm-up + cosine (default 9)."
    )
    parser.add_argument("--schedules", help=f"Comma-separated among {', '.join(NAMES)}.")
    parser.add_argument("--center", type=float, help="Grid centre (default: the suggestion).")
    parser.add_argument("--jobs", type=int, default=2, help="Worker processes (default 2).")
    parser.add_argument("--threads", type=int, default=1, help="Torch threads per worker.")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/quality-out"))
    parser.add_argument(
        "--report-only", action="store_true", help="Train nothing: report the stored runs."
    )
    args = parser.parse_args(argv)
    quick = args.quick
    args.steps = args.steps or (400 if quick else 800)
    args.seeds = args.seeds or (2 if quick else 3)
    args.peaks = args.peaks or 5
    args.cosine_peaks = args.cosine_peaks or (5 if quick else 9)
    names = args.schedules.split(",") if args.schedules else None
    if names is None:
        names = ["constant", REFERENCE, "wsd"] if quick else list(DEFAULT_NAMES)
    unknown = sorted(set(names) - set(NAMES))
    if unknown:
        parser.error(f"unknown schedules {unknown}; choose among {', '.join(NAMES)}")
    if REFERENCE not in names:
        names.append(REFERENCE)
    args.schedules = names
    if min(args.peaks, args.cosine_peaks) < 2 or args.seeds < 1 or args.jobs < 1:
        parser.error("--peaks and --cosine-peaks must be >= 2, --seeds and --jobs >= 1")
    return args


# -- work done in the worker processes -------------------------------------------------------


@cache
def _corpus() -> Any:
    from warmcos.demo.data import load

    return load()


def _config(steps: int, seed: int, threads: int) -> Any:
    from warmcos.demo.train import TrainConfig

    return TrainConfig(steps=steps, seed=seed, threads=threads, evaluations=1)


def range_test(steps: int, seed: int, threads: int) -> dict[str, Any]:
    """The demo's range test (find_lr's defaults) for one seed: every rule's suggestion."""
    from warmcos.demo.train import range_test as run_range_test

    result = run_range_test(_corpus(), _config(steps, seed, threads))
    return {
        "seed": seed,
        "suggestions": {rule: result.suggest(rule) for rule in RULES},
        "stop_reason": result.stop_reason,
        "points": len(result.lrs),
    }


def train_one(name: str, peak: float, steps: int, seed: int, threads: int) -> dict[str, Any]:
    """One training run: the final validation loss of schedule `name` at `peak`."""
    from warmcos.demo.schedules import build
    from warmcos.demo.train import train

    began = time.perf_counter()
    schedule = build(name, peak=peak, steps=steps)
    run = train(name, schedule, _corpus(), _config(steps, seed, threads))
    return {
        "schedule": name,
        "peak": peak,
        "seed": seed,
        "steps": steps,
        "final_loss": run.final_loss if math.isfinite(run.final_loss) else None,
        "steps_per_second": run.steps_per_second,
        "seconds": time.perf_counter() - began,
    }


# -- the benchmark ---------------------------------------------------------------------------


def grid(center: float, points: int) -> list[float]:
    """`points` peaks spaced evenly in log scale from center / 10 to center * 10."""
    return [center * 10 ** (-1 + 2 * i / (points - 1)) for i in range(points)]


def key(name: str, peak: float, seed: int, steps: int) -> str:
    return f"{name}|{peak:.6g}|{seed}|{steps}"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    store = args.out / "quality.json"
    saved: dict[str, Any] = json.loads(store.read_text(encoding="utf-8")) if store.exists() else {}
    runs: dict[str, dict[str, Any]] = saved.get("runs", {})
    tests: dict[str, Any] = saved.get("range_tests", {})

    def save() -> None:
        payload = {"settings": settings, "range_tests": tests, "runs": runs}
        store.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")

    seeds = list(range(args.seeds))
    settings = {
        "steps": args.steps,
        "seeds": seeds,
        "schedules": args.schedules,
        "threads": args.threads,
        "jobs": args.jobs,
    }
    began = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        missing = [seed for seed in seeds if str(seed) not in tests and not args.report_only]
        for future in as_completed(
            pool.submit(range_test, args.steps, seed, args.threads) for seed in missing
        ):
            test = future.result()
            tests[str(test["seed"])] = test
        save()
        from warmcos.torch import find_lr

        default_rule = find_lr.__kwdefaults__["rule"]
        center = args.center or tests["0"]["suggestions"][default_rule]
        grids = {
            name: grid(center, args.cosine_peaks if name == REFERENCE else args.peaks)
            for name in args.schedules
        }
        # The reference grid and the rules' own suggestions first: they answer the main question.
        jobs: list[tuple[str, float, int]] = []
        for seed in seeds:
            jobs += [(REFERENCE, peak, seed) for peak in grids[REFERENCE]]
            jobs += [(REFERENCE, tests[str(seed)]["suggestions"][rule], seed) for rule in RULES]
        for seed in seeds:
            for name in args.schedules:
                if name != REFERENCE:
                    jobs += [(name, peak, seed) for peak in grids[name]]
        todo = list(dict.fromkeys(job for job in jobs if key(*job, args.steps) not in runs))
        if args.report_only:
            todo = []
        print(
            f"range-test suggestion ({default_rule}, seed 0): {center:.4g}; {len(todo)} runs to "
            f"do of {len(set(jobs))}, {args.jobs} worker(s) x {args.threads} thread(s)",
            flush=True,
        )
        futures = {
            pool.submit(train_one, name, peak, args.steps, seed, args.threads): (name, peak, seed)
            for name, peak, seed in todo
        }
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                record = future.result()
                runs[key(record["schedule"], record["peak"], record["seed"], args.steps)] = record
                save()
                loss = record["final_loss"]
                print(
                    f"[{done}/{len(todo)}] {record['schedule']:<14} peak {record['peak']:.4g} "
                    f"seed {record['seed']}: {'diverged' if loss is None else f'{loss:.4f}'} "
                    f"({record['steps_per_second']:.1f} steps/s, "
                    f"{time.perf_counter() - began:.0f} s)",
                    flush=True,
                )
        except KeyboardInterrupt:
            for future in futures:
                future.cancel()
            print("interrupted: reporting the runs that finished", file=sys.stderr)
    report(args, grids, tests, runs, default_rule)
    return 0


def _losses(
    runs: dict[str, dict[str, Any]], name: str, peak: float, seeds: list[int], steps: int
) -> list[float]:
    values = []
    for seed in seeds:
        record = runs.get(key(name, peak, seed, steps))
        if record is not None:
            values.append(math.inf if record["final_loss"] is None else record["final_loss"])
    return values


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else math.nan


def _spread(values: list[float]) -> str:
    if len(values) < 2 or not all(math.isfinite(v) for v in values):
        return "-"
    return f"{statistics.stdev(values):.4f} ({min(values):.3f}-{max(values):.3f})"


def report(
    args: argparse.Namespace,
    grids: dict[str, list[float]],
    tests: dict[str, Any],
    runs: dict[str, dict[str, Any]],
    default_rule: str,
) -> None:
    seeds = list(range(args.seeds))
    lines = [
        f"Final validation loss (nats/char) after {args.steps} steps at each schedule's best peak "
        "of the grid, mean over seeds; the spread is the standard deviation (min-max) over seeds.",
        "",
        "| schedule | best peak LR | mean loss at best peak | seeds | spread over seeds"
        " | vs warm-up + cosine |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    curves: dict[str, list[tuple[float, float, float]]] = {}
    best: dict[str, tuple[float, list[float]]] = {}
    for name in args.schedules:
        points = []
        for peak in grids[name]:
            values = _losses(runs, name, peak, seeds, args.steps)
            if values:
                finite = [v for v in values if math.isfinite(v)]
                spread = statistics.stdev(finite) if len(finite) > 1 else 0.0
                points.append((peak, _mean(values), spread))
                if math.isfinite(_mean(values)) and (
                    name not in best or _mean(values) < _mean(best[name][1])
                ):
                    best[name] = (peak, values)
        curves[name] = points
    reference = _mean(best[REFERENCE][1]) if REFERENCE in best else math.nan
    for name in sorted(best, key=lambda n: _mean(best[n][1])):
        peak, values = best[name]
        mean = _mean(values)
        lines.append(
            f"| {name} | {peak:.3g} | {mean:.4f} | {len(values)} | {_spread(values)} "
            f"| {mean - reference:+.4f} |"
        )
    lines += [
        "",
        f"Range-test suggestions (find_lr defaults; default rule {default_rule!r}) and "
        f"warm-up + cosine trained at each seed's own suggestion, against the grid's best mean "
        f"({reference:.4f}):",
        "",
        "| rule | suggested peak LR (per seed) | mean loss there | spread over seeds"
        " | vs grid best |",
        "| --- | --- | --- | --- | --- |",
    ]
    rule_points = {}
    for rule in RULES:
        suggestions = [
            tests[str(seed)]["suggestions"][rule] for seed in seeds if str(seed) in tests
        ]
        values = []
        for seed, peak in zip(seeds, suggestions, strict=False):
            values += _losses(runs, REFERENCE, peak, [seed], args.steps)
        mean = _mean(values)
        rule_points[rule] = (math.exp(statistics.fmean(math.log(s) for s in suggestions)), mean)
        lines.append(
            f"| {rule} | {', '.join(f'{s:.3g}' for s in suggestions)} | {mean:.4f} | "
            f"{_spread(values)} | {mean - reference:+.4f} |"
        )
    text = "\n".join(lines) + "\n"
    (args.out / "quality.md").write_text(text, encoding="utf-8")
    print(text)
    plot(args, curves, rule_points)


def plot(
    args: argparse.Namespace,
    curves: dict[str, list[tuple[float, float, float]]],
    rule_points: dict[str, tuple[float, float]],
) -> None:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8.0, 5.0), layout="constrained")
    axes = figure.subplots()
    finite_losses = []
    for index, (name, points) in enumerate(curves.items()):
        shown = [(p, m, s) for p, m, s in points if math.isfinite(m)]
        if not shown:
            continue
        peaks, means, spreads = zip(*shown, strict=True)
        finite_losses += means
        axes.errorbar(
            peaks, means, yerr=spreads, color=f"C{index}", marker="o", markersize=4,
            linewidth=2.4 if name == REFERENCE else 1.4, capsize=2, label=name,
        )  # fmt: skip
    for marker, (rule, (peak, loss)) in zip("v^s", rule_points.items(), strict=True):
        if math.isfinite(loss):
            axes.plot(peak, loss, marker=marker, color="black", markersize=8, linestyle="none",
                      label=f"{rule} rule (warm-up + cosine)")  # fmt: skip
    axes.set_xscale("log")
    if finite_losses:
        low = min(finite_losses)
        axes.set_ylim(low - 0.05, min(max(finite_losses), low + 1.2) + 0.05)
    axes.set_xlabel("peak learning rate (log scale)")
    axes.set_ylabel(f"final validation loss after {args.steps} steps (nats/char)")
    axes.set_title("warmcos demo task: final loss against peak LR (mean over seeds, bars: std)")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.savefig(args.out / "quality.png", dpi=100)


if __name__ == "__main__":
    sys.exit(main())
