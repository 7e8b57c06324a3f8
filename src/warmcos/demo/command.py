"""``warmcos demo``: the LR range test, then one training run per schedule, then the comparison.

This module imports neither torch nor matplotlib until the command runs, so registering the
command costs nothing for the other ``warmcos`` commands.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from warmcos.cli.app import InputError

if TYPE_CHECKING:
    from rich.console import Console

    from .data import Corpus
    from .train import RunResult, TrainConfig

DEFAULT_STEPS = 800
DEFAULT_JOBS = min(2, os.cpu_count() or 1)
"""Two one-thread workers train the demo's tiny model faster than one two-thread process."""
QUICK_STEPS = 300
QUICK_SCHEDULES = ("constant", "warmup-cosine", "wsd")
EXIT_INTERRUPTED = 130

DEMO_HELP = """Train a small language model under several schedules and compare them.

A character-level transformer (about 100k parameters, CPU) learns to write Python from the
standard library's own source files (nothing is downloaded). An LR range test picks the peak
learning rate (unless --peak-lr), then every schedule trains for the same number of steps at that
peak, from the same initial weights and on the same batches. Prints a table of the final
validation losses and writes demo.png (learning rates on top, validation losses below),
range_test.png and results.json into --out. Seeded: the same command on the same machine gives
the same losses. Ctrl-C stops it and reports the runs that finished.

\b
Examples:
  warmcos demo
  warmcos demo --quick --out /tmp/demo
  warmcos demo --peak-lr 3e-3 --schedules cosine,warmup-cosine --steps 400
"""


def register(app: typer.Typer) -> None:
    """Add ``demo`` to `app`."""
    app.command("demo", help=DEMO_HELP)(demo)


def demo(
    quick: Annotated[
        bool,
        typer.Option(
            "--quick",
            help=f"{QUICK_STEPS} steps and the schedules {', '.join(QUICK_SCHEDULES)} "
            "(under a minute).",
        ),
    ] = False,
    steps: Annotated[
        int | None,
        typer.Option(metavar="N", help=f"Training steps per schedule (default {DEFAULT_STEPS})."),
    ] = None,
    seed: Annotated[int, typer.Option(metavar="S", help="Seeds weights and batches.")] = 0,
    peak_lr: Annotated[
        float | None,
        typer.Option(
            "--peak-lr", metavar="LR", help="The peak learning rate; skips the range test."
        ),
    ] = None,
    schedules: Annotated[
        str | None,
        typer.Option(
            metavar="LIST",
            help="Comma-separated schedules among constant, step, linear, cosine, "
            "warmup-cosine, restarts, wsd, one-cycle, inverse-sqrt, polynomial (default: the "
            "first seven).",
        ),
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(
            metavar="J",
            help="Worker processes training schedules side by side (default: 2, or 1 on one "
            "CPU); 1 trains them one after the other in this process.",
        ),
    ] = DEFAULT_JOBS,
    threads: Annotated[
        int, typer.Option(metavar="K", help="CPU threads for torch in each run.")
    ] = 1,
    out: Annotated[
        Path, typer.Option(metavar="DIR", help="Where to write the PNGs and results.json.")
    ] = Path("warmcos-demo"),
) -> None:
    """Compare schedules on a small language model."""
    names = _schedule_names(schedules, quick)
    run_steps = steps if steps is not None else (QUICK_STEPS if quick else DEFAULT_STEPS)
    if run_steps < 20:
        raise InputError(f"--steps must be >= 20. Received: {run_steps}")
    if seed < 0:
        raise InputError(f"--seed must be >= 0. Received: {seed}")
    if threads < 1:
        raise InputError(f"--threads must be >= 1. Received: {threads}")
    if jobs < 1:
        raise InputError(f"--jobs must be >= 1. Received: {jobs}")
    if peak_lr is not None and not (0 < peak_lr < float("inf")):
        raise InputError(f"--peak-lr must be a finite number > 0. Received: {peak_lr!r}")
    try:
        import matplotlib  # noqa: F401
        import rich  # noqa: F401
        import torch  # noqa: F401
    except ModuleNotFoundError as error:
        raise InputError(f"the demo needs {error.name}: pip install 'warmcos[demo]'") from None
    from .data import DataError, load
    from .train import TrainConfig

    try:
        corpus = load()
    except DataError as error:
        raise InputError(str(error)) from None
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"cannot create --out {str(out)!r}: {error.strerror}") from None
    config = TrainConfig(steps=run_steps, seed=seed, threads=threads)
    status = _Session(corpus, config, names, out, peak_lr, min(jobs, len(names)))
    raise typer.Exit(status.run())


def _schedule_names(text: str | None, quick: bool) -> list[str]:
    from .schedules import DEFAULT_NAMES, NAMES

    if text is None:
        return list(QUICK_SCHEDULES if quick else DEFAULT_NAMES)
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in NAMES]
    if unknown or not names:
        raise InputError(
            f"--schedules must be a comma-separated list among {', '.join(NAMES)}. "
            f"Received: {text!r}"
        )
    if len(set(names)) != len(names):
        raise InputError(f"--schedules lists a schedule twice. Received: {text!r}")
    return names


class _Session:
    """One ``warmcos demo`` run: its settings, what finished, and the outputs."""

    def __init__(
        self,
        corpus: Corpus,
        config: TrainConfig,
        names: list[str],
        out: Path,
        peak: float | None,
        jobs: int = 1,
    ) -> None:
        from rich.console import Console

        self.corpus, self.config, self.names, self.out = corpus, config, names, out
        self.jobs = jobs
        self.peak = peak
        self.peak_source = "--peak-lr" if peak is not None else "range test"
        self.range_test: dict[str, Any] | None = None
        self.results: list[RunResult] = []
        self.console = Console(highlight=False)
        self.progress_console: Console = Console(stderr=True, highlight=False)
        self.began = time.perf_counter()

    def run(self) -> int:
        from .model import CharTransformer, count_parameters

        model = CharTransformer(len(self.corpus.vocab), context=self.config.context)
        self.console.print(
            f"warmcos demo: a {count_parameters(model):,}-parameter character-level transformer "
            f"learns Python from {len(self.corpus.files)} standard-library files "
            f"({len(self.corpus.train):,} training and {len(self.corpus.validation):,} "
            f"validation characters); {self.config.steps} steps per schedule, batch "
            f"{self.config.batch_size} x {self.config.context} characters, seed "
            f"{self.config.seed}, {self.jobs} worker(s) x {self.config.threads} thread(s)."
        )
        interrupted = False
        try:
            if self.peak is None:
                self.peak = self._range_test()
            self._train_all(self.peak)
        except KeyboardInterrupt:
            interrupted = True
        self._report(interrupted)
        return EXIT_INTERRUPTED if interrupted else 0

    def _range_test(self) -> float:
        from .report import range_test_figure
        from .train import range_test

        with self.progress_console.status("LR range test ..."):
            result = range_test(self.corpus, self.config)
        path = self.out / "range_test.png"
        range_test_figure(result, path)
        self.range_test = {
            "rule": result.rule,
            "suggestion": result.suggestion,
            "stop_reason": result.stop_reason,
            "suggestions": {
                rule: result.suggest(rule) for rule in ("valley", "steepest", "minimum")
            },
            "lrs": result.lrs,
            "losses": result.losses,
            "smoothed": result.smoothed,
        }
        self.console.print(
            f"LR range test: {len(result.lrs)} steps from {result.lrs[0]:g} up to "
            f"{result.lrs[-1]:.3g} (stopped: {result.stop_reason}); suggested peak LR "
            f"{result.suggestion:.3g} ({result.rule} rule); plot: {path}"
        )
        return result.suggestion

    def _train_all(self, peak: float) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        from .schedules import build
        from .train import train

        columns = (
            TextColumn("{task.description:<14}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("train loss {task.fields[loss]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=self.progress_console) as progress:
            tasks = {
                name: progress.add_task(name, total=self.config.steps, loss="-")
                for name in self.names
            }

            def advance(name: str, step: int, loss: float) -> None:
                progress.update(tasks[name], completed=step, loss=f"{loss:.3f}")

            def finished(run: RunResult) -> None:
                self.results.append(run)
                if not self.progress_console.is_terminal:
                    # No live bars in a log: one line per finished run instead.
                    self.progress_console.print(
                        f"{run.name}: validation loss {run.final_loss:.4f} nats/char "
                        f"({run.steps_per_second:.1f} steps/s)"
                    )

            if self.jobs > 1:
                from .workers import train_in_workers

                try:
                    train_in_workers(self.names, peak, self.config, self.jobs, advance, finished)
                finally:  # the table lists the runs in the order asked for
                    self.results.sort(key=lambda run: self.names.index(run.name))
                return
            for name in self.names:
                schedule = build(name, peak=peak, steps=self.config.steps)
                run = train(name, schedule, self.corpus, self.config, partial(advance, name))
                finished(run)

    def _report(self, interrupted: bool) -> None:
        from .report import comparison_figure, results_table, run_record, write_json

        if interrupted:
            print(
                f"warmcos demo: interrupted; {len(self.results)} of {len(self.names)} runs "
                "finished",
                file=sys.stderr,
            )
        written = []
        if self.results and self.peak is not None:
            self.console.print(results_table(self.results, peak=self.peak, steps=self.config.steps))
            comparison_figure(self.results, self.out / "demo.png", peak=self.peak)
            written.append(self.out / "demo.png")
        if self.range_test is not None:
            written.append(self.out / "range_test.png")
        import torch

        payload = {
            "steps": self.config.steps,
            "seed": self.config.seed,
            "threads": self.config.threads,
            "jobs": self.jobs,
            "batch_size": self.config.batch_size,
            "context": self.config.context,
            "peak_lr": self.peak,
            "peak_source": self.peak_source,
            "range_test": self.range_test,
            "schedules": self.names,
            "runs": [run_record(run) for run in self.results],
            "interrupted": interrupted,
            "seconds": time.perf_counter() - self.began,
            "python": platform.python_version(),
            "torch": torch.__version__,
        }
        write_json(self.out / "results.json", payload)
        written.append(self.out / "results.json")
        self.console.print("wrote " + ", ".join(str(path) for path in written))
