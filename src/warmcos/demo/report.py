"""The demo's outputs: the results table (rich), the comparison PNG, the range-test PNG, JSON.

The figures are drawn on matplotlib's Agg canvas; matplotlib is imported when a figure is
drawn, not when this module is imported.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.table import Table

from .train import RunResult

NATS_PER_BIT = math.log(2)


def best_index(results: Sequence[RunResult]) -> int | None:
    """The index of the run with the lowest final validation loss (None if none is finite)."""
    finite = [
        (run.final_loss, index)
        for index, run in enumerate(results)
        if math.isfinite(run.final_loss)
    ]
    return min(finite)[1] if finite else None


def results_table(results: Sequence[RunResult], *, peak: float, steps: int) -> Table:
    """The final validation loss of each run, in nats and bits per character, best marked."""
    best = best_index(results)
    table = Table(
        title=f"Validation loss after {steps} steps, peak LR {peak:.3g}",
        caption="lower is better; every run starts from the same weights and sees the same batches",
    )
    table.add_column("schedule")
    table.add_column("nats/char", justify="right")
    table.add_column("bits/char", justify="right")
    table.add_column("vs best", justify="right")
    table.add_column("steps/s", justify="right")
    table.add_column("")
    best_loss = results[best].final_loss if best is not None else math.nan
    for index, run in enumerate(results):
        loss = run.final_loss
        finite = math.isfinite(loss)
        table.add_row(
            run.name,
            f"{loss:.4f}" if finite else "diverged",
            f"{loss / NATS_PER_BIT:.4f}" if finite else "-",
            f"{loss - best_loss:+.4f}" if finite else "-",
            f"{run.steps_per_second:.1f}",
            "best" if index == best else "",
            style="bold green" if index == best else None,
        )
    return table


def comparison_figure(
    results: Sequence[RunResult], path: Path, *, peak: float, title: str | None = None
) -> None:
    """One PNG: learning rates on top, validation losses below, on the same step axis."""
    from matplotlib.figure import Figure

    best = best_index(results)
    figure = Figure(figsize=(8.0, 6.4), layout="constrained")
    lr_axes, loss_axes = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 1.3]})
    for index, run in enumerate(results):
        color = f"C{index % 10}"
        width = 2.6 if index == best else 1.6
        loss = run.final_loss
        label = f"{run.name}: {loss:.3f}" if math.isfinite(loss) else f"{run.name}: diverged"
        if index == best:
            label += " (best)"
        lr_axes.plot(range(len(run.lrs)), run.lrs, color=color, linewidth=width, label=label)
        loss_axes.plot(
            run.eval_steps, run.eval_losses, color=color, linewidth=width, marker="o", markersize=3
        )
    lr_axes.set_ylabel("learning rate")
    lr_axes.set_ylim(0, peak * 1.08)
    lr_axes.ticklabel_format(axis="y", style="sci", scilimits=(-2, 2))
    loss_axes.legend(
        *lr_axes.get_legend_handles_labels(),
        title="final validation loss (nats/char)",
        fontsize=9,
        title_fontsize=9,
        loc="lower left",
    )
    lr_axes.set_title(title or f"Same peak LR ({peak:.3g}) and step budget, one schedule per line")
    loss_axes.set_xlabel("step")
    loss_axes.set_ylabel("validation loss (nats/char)")
    for axes in (lr_axes, loss_axes):
        axes.grid(True, alpha=0.3)
    figure.savefig(path, dpi=100)


def range_test_figure(result: Any, path: Path) -> None:
    """The range test's own plot (:meth:`warmcos.torch.RangeTestResult.plot`), saved to `path`."""
    result.plot(str(path))


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """Write `payload` as indented JSON (NaN written as null)."""
    path.write_text(json.dumps(_plain(payload), indent=2) + "\n", encoding="utf-8")


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def run_record(run: RunResult) -> dict[str, Any]:
    """One run as plain data for the results JSON."""
    return {
        "name": run.name,
        "schedule": run.schedule,
        "final_loss_nats": run.final_loss,
        "final_loss_bits": run.final_loss / NATS_PER_BIT,
        "steps_per_second": run.steps_per_second,
        "eval_steps": run.eval_steps,
        "eval_losses": run.eval_losses,
    }
