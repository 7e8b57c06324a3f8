"""Terminal output of ``warmcos show``: the segment summary and a text chart within 80 columns."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

import numpy as np

from .. import Schedule, Segment
from .summary import Summary

WIDTH = 80
"""Characters per line, everything included."""

HEIGHT = 16
"""Rows of the chart."""

MARKS = "*o+x=%@&"
"""The mark of each curve in a chart, in order; ``#`` where curves share a cell."""

MAX_SEGMENT_ROWS = 24
"""Segments listed by :func:`summary_lines` before the rest is counted in one line."""

MAX_CYCLE_ROWS = 12
"""Cycles listed by :func:`summary_lines` before the rest is counted in one line."""

_LABEL = 9  # width of the y-axis labels


def step_text(step: float) -> str:
    """A step as text: whole steps without a decimal point, ``inf`` for the open end.

    Example:
        >>> step_text(500.0), step_text(2.5), step_text(float("inf"))
        ('500', '2.5', 'inf')
    """
    if math.isinf(step):
        return "inf"
    if step == math.floor(step) and abs(step) < 1e15:
        return str(int(step))
    return f"{step:.6g}"


def value_text(value: float) -> str:
    """A learning rate as text, to 4 significant digits.

    Example:
        >>> value_text(0.0003), value_text(0.00012345678), value_text(0.0)
        ('0.0003', '0.0001235', '0')
    """
    return f"{value:.4g}"


def _range_text(segment: Segment) -> str:
    if segment.first == segment.last:
        return value_text(segment.first)
    return f"{value_text(segment.first)} -> {value_text(segment.last)}"


def _table(rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        (
            indent + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def summary_lines(title: str, summary: Summary) -> list[str]:
    """The segment summary of one schedule, each line at most :data:`WIDTH` characters.

    Args:
        title: The schedule's name or spec, printed first.
        summary: From :func:`warmcos.cli.summary.summarize`.

    Returns:
        The lines: the segments (kind, shape, span and value range), the cycles of restart
        schedules (peak and floor of each), the peak, the floor after it, the first step below
        10% of the peak and the natural end.
    """
    lines = textwrap.wrap(title, WIDTH, subsequent_indent="    ", break_on_hyphens=False)
    listed = summary.segments[:MAX_SEGMENT_ROWS]
    with_piece = any(segment.piece is not None for segment in listed)
    with_cycle = any(segment.cycle is not None for segment in listed)
    header = [
        *(["piece"] if with_piece else []),
        *(["cycle"] if with_cycle else []),
        "segment",
        "shape",
        "steps",
        "learning rate",
    ]
    rows = [header]
    for segment in listed:
        rows.append(
            [
                *([_optional(segment.piece)] if with_piece else []),
                *([_optional(segment.cycle)] if with_cycle else []),
                segment.kind,
                segment.shape,
                f"[{step_text(segment.start)}, {step_text(segment.end)})",
                _range_text(segment),
            ]
        )
    lines += _table(rows)
    hidden = len(summary.segments) - len(listed)
    if hidden or summary.truncated:
        more = "more" if not summary.truncated else "or more"
        lines.append(f"  ... {hidden} {more} segments up to step {step_text(summary.horizon)}")

    if summary.cycles:
        lines.append("")
        shown = summary.cycles[:MAX_CYCLE_ROWS]
        cycle_rows = [[*(["piece"] if with_piece else []), "cycle", "start", "peak", "floor"]]
        for cycle in shown:
            cycle_rows.append(
                [
                    *([_optional(cycle.piece)] if with_piece else []),
                    str(cycle.index),
                    step_text(cycle.start),
                    value_text(cycle.peak),
                    value_text(cycle.floor),
                ]
            )
        lines += _table(cycle_rows)
        if len(summary.cycles) > len(shown):
            lines.append(f"  ... {len(summary.cycles) - len(shown)} more cycles")

    lines.append("")
    threshold = summary.fraction * summary.peak
    percent = f"{summary.fraction:.0%}"
    if summary.below is None:
        below = f"not before step {step_text(summary.horizon)}"
    else:
        below = f"from step {step_text(summary.below)}"
    if summary.end is None:
        end = "never: the value keeps changing"
    elif summary.end == 0:
        end = "constant from step 0"
    else:
        end = f"step {step_text(summary.end)}, then holds"
    facts = [
        ["peak", f"{value_text(summary.peak)} at step {step_text(summary.peak_step)}"],
        ["floor", f"{value_text(summary.floor)} at step {step_text(summary.floor_step)}"],
        [f"< {percent} of peak", f"{below} (lr < {value_text(threshold)})"],
        ["end", end],
    ]
    lines += _table(facts)
    return lines


def _optional(index: int | None) -> str:
    return "" if index is None else str(index)


def nice_step(span: float, count: int) -> float:
    """A tick spacing of 1, 2 or 5 times a power of ten, giving at most about `count` ticks."""
    raw = span / count
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 5.0, 10.0):
        if factor * magnitude >= raw:
            return factor * magnitude
    return 10.0 * magnitude  # pragma: no cover - the loop always returns


def chart(
    curves: Sequence[tuple[str, Schedule]],
    horizon: float,
    breaks: Sequence[float] = (),
    *,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> list[str]:
    r"""A text chart of the curves over ``[0, horizon]``, each line at most `width` characters.

    Each column covers ``horizon / columns`` steps and draws every value the curve takes in it
    (sampled 8 times per column, and on both sides of each of `breaks`), joined to the previous
    column, so jumps and steep parts stay connected. The y axis starts at 0.

    Args:
        curves: ``(mark, schedule)`` pairs; the mark is one character.
        horizon: The last step (> 0).
        breaks: Steps where a value may jump (segment boundaries).
        width: Characters per line.
        height: Rows of the plot area.

    Returns:
        The lines, the x axis (steps) last.

    Example:
        >>> import warmcos
        >>> lines = chart([("*", warmcos.linear(1.0, 0.0, 10))], horizon=10, width=30, height=3)
        >>> print("\n".join(lines))
                1 |*****
                  |    ***********
                0 |              *****
                  +-------------------
             step  0  2   4   6   8 10
    """
    columns = width - _LABEL - 2
    grid = [[" "] * columns for _ in range(height)]
    samples = np.linspace(0.0, horizon, columns * 8 + 1)
    inside = np.array([b for b in breaks if 0 < b <= horizon], dtype=np.float64)
    before = np.nextafter(inside, -np.inf)
    steps = np.unique(np.concatenate([samples, inside, before]))
    where = np.minimum((steps / horizon * columns).astype(int), columns - 1)
    curve_values = [schedule(steps) for _, schedule in curves]
    top = max((float(values.max()) for values in curve_values), default=0.0)
    top = top if top > 0 else 1.0
    for (mark, _), values in zip(curves, curve_values, strict=True):
        rows = np.rint((1.0 - values / top) * (height - 1)).astype(int)
        previous: int | None = None
        for column in range(columns):
            in_column = rows[where == column]
            if in_column.size == 0:
                continue
            low, high = int(in_column.min()), int(in_column.max())
            if previous is not None:
                low, high = min(low, previous), max(high, previous)
            for row in range(low, high + 1):
                cell = grid[row][column]
                grid[row][column] = mark if cell in (" ", mark) else "#"
            previous = int(in_column[-1])
    lines = []
    for index, cells in enumerate(grid):
        labelled = index % 5 == 0 or index == height - 1
        level = top * (height - 1 - index) / (height - 1)
        label = f"{level:.3g}".rjust(_LABEL) if labelled else " " * _LABEL
        lines.append(f"{label} |{''.join(cells)}".rstrip())
    lines.append(" " * _LABEL + " +" + "-" * columns)
    lines.append("step".rjust(_LABEL) + "  " + _ticks(horizon, columns))
    return lines


def _ticks(horizon: float, columns: int) -> str:
    spacing = nice_step(horizon, 6)
    text = [" "] * columns
    free = 0  # the first column a label may use
    for index in range(int(horizon / spacing + 1e-9) + 1):
        label = step_text(round(index * spacing, 12))
        column = min(int(index * spacing / horizon * columns), columns - 1)
        column = min(max(column - len(label) // 2, 0), columns - len(label))
        if column < free:
            continue
        text[column : column + len(label)] = label
        free = column + len(label) + 1
    return "".join(text).rstrip()
