"""Figures drawn with matplotlib: schedules overlaid and labelled, and the LR range test.

:func:`figure` draws schedules, each through its exact values, with its warm-up segments shaded
in its colour and its restarts drawn as thin dashed vertical lines (both read from
:meth:`warmcos.Schedule.segments`); :func:`range_test_figure` draws a range test's loss curve;
:func:`save` writes a figure atomically. Every figure is built on matplotlib's Agg canvas,
without ``pyplot``: nothing opens a window and no global figure state is touched. matplotlib is
imported when a function here is called, not when this module is imported. Needs
``pip install 'warmcos[plot]'``.

Example:
    >>> import warmcos
    >>> from warmcos.plotting import figure
    >>> fig = figure([("cosine", warmcos.cosine(peak=3e-4, steps=1_000, warmup=100))])
    >>> line = fig.axes[0].get_lines()[0]
    >>> line.get_label(), float(line.get_xdata()[-1])
    ('cosine', 1100.0)
"""

from __future__ import annotations

import math
import os
import tempfile
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import Schedule, Segment
from .cli.summary import default_horizon, listed_segments, restarts
from .cli.text import step_text

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .torch.range_test import RangeTestResult

FORMATS = ("png", "svg", "pdf")
"""The output formats, chosen by the file name's extension."""

DPI = 100
"""Pixels per inch: a PNG of size ``(w, h)`` is ``w x h`` pixels (SVG/PDF: ``w / 100`` inches)."""

DEFAULT_SIZE = (1000, 560)
"""The default figure size in pixels."""

SAMPLES = 2000
"""Evenly spaced steps per curve, besides both sides of every segment boundary."""

_LABEL_WIDTH = 72  # legend labels are wrapped to this many characters


def sample_steps(listed: Sequence[Segment], horizon: float) -> np.ndarray:
    """The steps a curve is drawn through: evenly spaced, plus both sides of each segment boundary.

    Sampling just before and at each boundary draws jumps (restarts, step decay) as vertical
    edges instead of slanted lines.

    Args:
        listed: The schedule's segments.
        horizon: The last step.

    Returns:
        Sorted unique float64 steps in ``[0, horizon]``.
    """
    boundaries = np.array([p.start for p in listed if 0 < p.start <= horizon], dtype=np.float64)
    even = np.linspace(0.0, horizon, SAMPLES + 1)
    return np.unique(np.concatenate([even, boundaries, np.nextafter(boundaries, -np.inf)]))


def _legend_columns(labels: Sequence[str], width_px: float) -> int:
    """The most legend columns whose estimated width fits the figure."""
    widths = [max(len(line) for line in label.split("\n")) * 6.6 + 48 for label in labels]
    for columns in range(len(labels), 1, -1):
        rows = math.ceil(len(labels) / columns)
        total = sum(max(widths[c * rows : (c + 1) * rows], default=0) for c in range(columns))
        if total <= 0.95 * width_px:
            return columns
    return 1


def _step_tick(value: float, _position: object = None) -> str:
    if value == math.floor(value):
        return f"{int(value):,}"
    return f"{value:,.4g}"


def figure(
    schedules: Sequence[tuple[str, Schedule]],
    *,
    steps: float | None = None,
    log: bool = False,
    steps_per_epoch: float | None = None,
    size: tuple[int, int] = DEFAULT_SIZE,
    title: str | None = None,
) -> Figure:
    """A figure of the schedules over ``[0, steps]``, overlaid and labelled.

    Each schedule is one line (its label in the legend) drawn through exactly
    ``schedule(x)`` at the steps ``x`` of :func:`sample_steps`; its warm-up segments are shaded in
    its colour and its restarts drawn as thin dashed vertical lines. The artists of schedule
    ``i`` carry the gids ``schedule-i``, ``warm-up-i`` and ``restart-i``.

    Args:
        schedules: ``(label, schedule)`` pairs, drawn in this order.
        steps: The last step shown; default: the largest default horizon of the schedules
            (a bit past the natural end, or three cycles of restarts).
        log: Whether the learning-rate axis is logarithmic.
        steps_per_epoch: When given, a second x axis on top counts epochs.
        size: Width and height in pixels (at :data:`DPI` pixels per inch).
        title: The title; default "Learning-rate schedule(s)".

    Returns:
        A matplotlib ``Figure`` on the Agg canvas (not registered with ``pyplot``).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, ScalarFormatter

    if not schedules:
        raise ValueError("figure(): `schedules` must hold at least one schedule. Received: []")
    horizon = steps if steps is not None else max(default_horizon(s) for _, s in schedules)
    width, height = size
    fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()

    handles: list[Line2D | Patch] = []
    shaded = marked = False
    top, smallest = 0.0, math.inf
    for index, (label, schedule) in enumerate(schedules):
        color = f"C{index % 10}"
        listed, _ = listed_segments(schedule, horizon)
        x = sample_steps(listed, horizon)
        y = schedule(x)
        (line,) = ax.plot(
            x, y, color=color, linewidth=1.8, label=textwrap.fill(label, _LABEL_WIDTH), zorder=3
        )
        line.set_gid(f"schedule-{index}")
        handles.append(line)
        top = max(top, float(y.max()))
        positive = y[y > 0]
        if positive.size:
            smallest = min(smallest, float(positive.min()))
        for segment in listed:
            if segment.kind == "warm-up" and segment.start < horizon:
                span = ax.axvspan(
                    segment.start, min(segment.end, horizon), color=color, alpha=0.13, linewidth=0
                )
                span.set_gid(f"warm-up-{index}")
                shaded = True
        for step in restarts(listed):
            if 0 < step < horizon:
                mark = ax.axvline(
                    step, color=color, linewidth=0.8, linestyle=(0, (4, 3)), alpha=0.8
                )
                mark.set_gid(f"restart-{index}")
                marked = True

    if shaded:
        handles.append(Patch(color="0.5", alpha=0.3, linewidth=0, label="warm-up"))
    if marked:
        handles.append(
            Line2D([], [], color="0.3", linewidth=0.8, linestyle=(0, (4, 3)), label="restart")
        )

    ax.set_xlim(0, horizon)
    ax.xaxis.set_major_formatter(FuncFormatter(_step_tick))
    ax.set_xlabel("step (optimizer updates applied)")
    if log:
        ax.set_yscale("log")
        top = top if top > 0 else 1.0
        bottom = max(smallest if math.isfinite(smallest) else top, top * 1e-6)
        ax.set_ylim(bottom / 1.5, top * 1.5)
        ax.set_ylabel("learning rate (log scale)")
    else:
        ax.set_ylim(0, top * 1.06 if top > 0 else 1.0)
        formatter = ScalarFormatter(useMathText=True)
        formatter.set_powerlimits((-3, 4))
        ax.yaxis.set_major_formatter(formatter)
        ax.set_ylabel("learning rate")
    ax.grid(True, alpha=0.3, linewidth=0.6)

    if steps_per_epoch is not None:
        per_epoch = float(steps_per_epoch)

        def to_epochs(step: Any) -> Any:
            return np.asarray(step, dtype=np.float64) / per_epoch

        def to_steps(epoch: Any) -> Any:
            return np.asarray(epoch, dtype=np.float64) * per_epoch

        epochs = ax.secondary_xaxis("top", functions=(to_epochs, to_steps))
        epochs.set_xlabel(f"epoch ({step_text(per_epoch)} steps each)")

    if title is None:
        title = "Learning-rate schedule" if len(schedules) == 1 else "Learning-rate schedules"
    ax.set_title(title, fontsize="large", fontweight="bold")
    labels = [str(handle.get_label()) for handle in handles]
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=_legend_columns(labels, width),
        frameon=False,
    )
    return fig


def save(fig: Figure, path: str | os.PathLike[str]) -> None:
    """Write `fig` to `path` as PNG, SVG or PDF (by extension), all or nothing.

    The figure is written to a temporary file in the same directory, then moved over `path` in
    one step (``os.replace``), so `path` never holds a half-written file.

    Args:
        fig: The figure.
        path: Ends in ``.png``, ``.svg`` or ``.pdf``.

    Raises:
        ValueError: Another extension.
        OSError: The directory is missing or not writable, or `path` is a directory; the
            message names `path`.
    """
    target = Path(path)
    kind = target.suffix.lower().lstrip(".")
    if kind not in FORMATS:
        raise ValueError(
            f"cannot write {os.fspath(path)!r}: the file name must end in .png, .svg or .pdf"
        )
    if target.is_dir():
        raise OSError(f"cannot write {os.fspath(path)!r}: it is a directory")
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
    except OSError as error:
        raise OSError(f"cannot write {os.fspath(path)!r}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            metadata = {"png": {}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}[kind]
            fig.savefig(stream, format=kind, dpi=DPI, metadata=metadata)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp's 0600 is for the temporary file only
        os.replace(temporary, target)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise OSError(f"cannot write {os.fspath(path)!r}: {error.strerror or error}") from None
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def range_test_figure(result: RangeTestResult) -> Figure:
    """Loss against learning rate (log x axis) of an LR range test, with the suggestion marked.

    Args:
        result: What :func:`warmcos.torch.find_lr` returned.

    Returns:
        A matplotlib ``Figure`` on the Agg canvas (not registered with ``pyplot``).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.0, 4.2), dpi=120, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    pairs = zip(result.lrs, result.losses, strict=True)
    finite = [(lr, loss) for lr, loss in pairs if math.isfinite(loss)]
    if finite:
        axes.plot(*zip(*finite, strict=True), color="0.75", linewidth=1, label="loss")
    axes.plot(result.lrs, result.smoothed, color="C0", linewidth=2, label="smoothed loss")
    axes.axvline(result.suggestion, color="C3", linestyle="--", linewidth=1.5)
    # Label on the side of the line with more room, so it is never clipped.
    right_half = (
        math.log(result.suggestion) > (math.log(result.lrs[0]) + math.log(result.lrs[-1])) / 2
    )
    axes.annotate(
        f"suggested peak LR\n{result.suggestion:.3g} ({result.rule})",
        xy=(result.suggestion, 0.95),
        xycoords=("data", "axes fraction"),
        xytext=(-6 if right_half else 6, 0),
        textcoords="offset points",
        ha="right" if right_half else "left",
        va="top",
        color="C3",
    )
    axes.set_xscale("log")
    finite_smoothed = [value for value in result.smoothed if math.isfinite(value)]
    if finite_smoothed:
        # Frame the curve up to its minimum: the blow-up after it would flatten the rest.
        lowest = finite_smoothed.index(min(finite_smoothed))
        low, high = finite_smoothed[lowest], max(finite_smoothed[: lowest + 1])
        margin = 0.1 * (high - low) + 1e-12
        axes.set_ylim(low - margin, high + 3 * margin)
    axes.set_xlabel("learning rate (log scale)")
    axes.set_ylabel("training loss")
    axes.set_title(f"LR range test: {len(result.lrs)} steps, stopped: {result.stop_reason}")
    axes.legend(loc="lower left")
    axes.grid(True, which="both", alpha=0.3)
    return figure
