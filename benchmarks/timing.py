"""Timing helpers shared by the benchmarks: best-of-N per-call times and their display."""

from __future__ import annotations

import timeit
from typing import Any


def best_per_call(
    stmt: str, names: dict[str, Any], repeat: int, number: int | None = None
) -> float:
    """Best-of-`repeat` time of one `stmt` in seconds; `number` runs per repeat (auto if None)."""
    timer = timeit.Timer(stmt, globals=names)
    if number is None:
        number, _ = timer.autorange()  # enough runs for >= 0.2 s per repeat
    return min(timer.repeat(repeat=repeat, number=number)) / number


def fmt_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:8.2f} {unit}"
    return f"{seconds / 1e-9:8.1f} ns"
