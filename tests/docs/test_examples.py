"""examples/quickstart.py runs and prints what the contract says the schedules are."""

from __future__ import annotations

import math
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

QUICKSTART = Path(__file__).resolve().parents[2] / "examples" / "quickstart.py"
ROW = re.compile(r"^\s*(\d+)\s+(\d+\.\d{6})\s+(\d+\.\d{6})\s*$")


@pytest.fixture(scope="module")
def output() -> str:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(QUICKSTART)], capture_output=True, text=True, timeout=120, check=False
    )
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert elapsed < 20  # about 0.3 s here; generous for a loaded CI machine
    return proc.stdout


def test_quickstart_names_both_schedules(output: str) -> None:
    assert "cosine_restarts(peak=0.1, first_cycle=100" in output
    assert "cosine(peak=0.1, steps=300" in output


def test_quickstart_chart_fits_in_80_columns(output: str) -> None:
    chart = [line for line in output.splitlines() if "|" in line or "+---" in line]
    assert len(chart) >= 10
    assert all(len(line) <= 80 for line in chart)
    plotted = "".join(line.split("|", 1)[1] for line in chart if "|" in line)
    assert "*" in plotted and "." in plotted


def cosine_restarts_value(t: int) -> float:
    """Hand-unrolled from the contract for this example's arguments (integer rule)."""
    peak, floor, warmup = 0.1, 0.001, 10
    starts, decays = [0, 100, 245], [90, 135, 202]  # D_{k+1} = int(D_k * 1.5)
    k = max(i for i, s in enumerate(starts) if s <= t)
    top = max(peak * 0.8**k, floor)
    s = t - starts[k]
    if s < warmup:
        return floor + (top - floor) * s / warmup
    return floor + (top - floor) * (1 + math.cos(math.pi * (s - warmup) / decays[k])) / 2


def cosine_value(t: int) -> float:
    peak, floor, warmup, steps = 0.1, 0.001, 10, 300
    if t < warmup:
        return peak * t / warmup
    return floor + (peak - floor) * (1 + math.cos(math.pi * (t - warmup) / (steps - warmup))) / 2


def test_quickstart_table_matches_the_contract(output: str) -> None:
    rows = [m.groups() for m in map(ROW.match, output.splitlines()) if m]
    assert len(rows) >= 5
    steps = {int(t) for t, _, _ in rows}
    assert {0, 10, 100, 110, 245} <= steps
    for t, restarts, cosine in rows:
        assert float(restarts) == pytest.approx(cosine_restarts_value(int(t)), abs=6e-7), t
        assert float(cosine) == pytest.approx(cosine_value(int(t)), abs=6e-7), t
