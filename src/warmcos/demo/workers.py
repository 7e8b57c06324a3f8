"""The demo's training runs in worker processes, one schedule per run.

The runs are independent and the model is tiny: on a 2-core machine two one-thread processes
train about twice as many steps per second as one process with two threads (torch's intra-op
parallelism has little to split in a 117k-parameter model). Workers are started with ``spawn``
(a fork after the parent's torch threads have run can hang in OpenMP), load the corpus once each,
and report progress through a queue, which the parent turns into its progress bars.
"""

from __future__ import annotations

import multiprocessing
import queue
import signal
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from .data import Corpus, load
from .train import RunResult, TrainConfig

Progress = Callable[[str, int, float], None]
"""Called with a run's name, its step count and its training loss."""
Finished = Callable[[RunResult], None]
"""Called with each run as it finishes."""

_REPORT_EVERY = 10
"""A worker reports its progress every this many steps (and at the last)."""


_updates: Any = None
"""The worker's end of the progress queue (set by :func:`_start`)."""


def _start(updates: Any) -> None:
    """Set up a worker: keep its progress queue; leave Ctrl-C to the parent, which stops it."""
    global _updates
    _updates = updates
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@cache
def _corpus() -> Corpus:
    return load()


def _train(name: str, peak: float, config: TrainConfig) -> RunResult:
    """One run in a worker."""
    from .schedules import build
    from .train import train

    def advance(step: int, loss: float) -> None:
        if step % _REPORT_EVERY == 0 or step == config.steps:
            _updates.put((name, step, loss))

    return train(name, build(name, peak=peak, steps=config.steps), _corpus(), config, advance)


def train_in_workers(
    names: Sequence[str],
    peak: float,
    config: TrainConfig,
    jobs: int,
    progress: Progress,
    finished: Finished,
) -> list[RunResult]:
    """Train every schedule of `names` at `peak` in `jobs` processes; the runs in `names` order.

    Raises:
        KeyboardInterrupt: On Ctrl-C, after the workers are stopped (the runs that finished
            were passed to `finished`). An error in a run stops the others too.
    """
    context = multiprocessing.get_context("spawn")
    updates = context.Queue()
    pool = context.Pool(jobs, initializer=_start, initargs=(updates,))
    done: dict[str, RunResult] = {}
    try:
        pending = {name: pool.apply_async(_train, (name, peak, config)) for name in names}
        while pending:
            _drain(updates, progress)
            next(iter(pending.values())).wait(0.2)
            for name, result in list(pending.items()):
                if result.ready():
                    run = result.get()
                    _drain(updates, progress)
                    done[name] = run
                    finished(run)
                    del pending[name]
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()
        updates.close()
    return [done[name] for name in names]


def _drain(updates: Any, progress: Progress) -> None:
    while True:
        try:
            name, step, loss = updates.get_nowait()
        except queue.Empty:
            return
        progress(name, step, loss)
