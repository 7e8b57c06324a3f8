"""Print two warmcos schedules as an 80-column text chart and a short table.

Run from a clone of the repository:

    python -m pip install -e .
    python examples/quickstart.py

`restarts` warms up for 10 steps, anneals along half a cosine and restarts: each cycle's
decay is 1.5 times longer and its peak 0.8 times lower than the last. `cosine` is a single
warm-up + cosine over the whole run. Only the public API is used.
"""

from __future__ import annotations

import numpy as np

import warmcos

STEPS = 300
WIDTH = 80  # characters per line, axis labels included
HEIGHT = 16  # chart rows
LABEL = 8  # width of the y-axis labels
TABLE_STEPS = (0, 5, 10, 55, 99, 100, 110, 244, 245, 299)


def chart(curves: dict[str, np.ndarray], top: float) -> list[str]:
    """Draw each curve with its own mark; `#` where two curves share a cell."""
    cols = WIDTH - LABEL - 1
    grid = [[" "] * cols for _ in range(HEIGHT)]
    for mark, values in curves.items():
        n = len(values)
        rows = [HEIGHT - 1 - round(float(v) / top * (HEIGHT - 1)) for v in values]
        for t, row in enumerate(rows):
            col = t * cols // n
            # A vertical stroke from the previous step's row keeps steep parts connected.
            prev = rows[t - 1] if t else row
            for r in range(min(row, prev), max(row, prev) + 1):
                cell = grid[r][col]
                grid[r][col] = mark if cell in (" ", mark) else "#"
    lines = []
    for i, cells in enumerate(grid):
        level = top * (HEIGHT - 1 - i) / (HEIGHT - 1)
        label = f"{level:.3f}".rjust(LABEL - 1) + " " if i % 5 == 0 else " " * LABEL
        lines.append((label + "|" + "".join(cells)).rstrip())
    lines.append(" " * LABEL + "+" + "-" * cols)
    ticks = [" "] * cols
    for t in range(0, STEPS + 1, 50):
        text = str(t)
        col = min(t * cols // STEPS, cols - len(text))
        ticks[col : col + len(text)] = text
    lines.append("step".rjust(LABEL) + " " + "".join(ticks))
    return lines


def main() -> None:
    restarts = warmcos.cosine_restarts(
        peak=0.1, first_cycle=100, floor=0.001, cycle_mult=1.5, gamma=0.8, warmup=10
    )
    cosine = warmcos.cosine(peak=0.1, steps=STEPS, floor=0.001, warmup=10)

    steps = np.arange(STEPS)
    curves = {"*": restarts(steps), ".": cosine(steps)}

    print(f"* restarts = {restarts!r}")
    print(f". cosine   = {cosine!r}")
    print()
    for line in chart(curves, top=0.1):
        print(line)
    print()
    print(f"{'step':>6}  {'restarts':>10}  {'cosine':>10}")
    for t in TABLE_STEPS:
        print(f"{t:>6}  {restarts(t):>10.6f}  {cosine(t):>10.6f}")


if __name__ == "__main__":
    main()
