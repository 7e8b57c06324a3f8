"""`warmcos show|plot --change-budget AT:STEPS`: the old and the new schedule together."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from warmcos.cli.app import app

SPEC = "cosine(peak=3e-4, steps=800)"


def run(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


def test_show_prints_the_old_and_the_changed_schedule() -> None:
    code, out, _ = run(["show", SPEC, "--change-budget", "400:1600"])
    assert code == 0
    assert "* cosine(peak=0.0003, steps=800)" in out
    assert "change_budget(schedule=cosine(peak=0.0003, steps=800), at=400," in out
    assert "decay    cosine    [400, 1600)  0.00015 -> 0" in out
    assert "end            step 1600, then holds" in out
    plotted = "".join(line.split("|", 1)[1] for line in out.splitlines() if " |" in line)
    assert "o" in plotted  # the changed schedule has its own mark once the curves part


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("9x", "--change-budget must be AT:STEPS"),
        ("900:1600", "`at` must be < the schedule's natural end 800"),
        ("400:300", "`steps` must be > `at`"),
    ],
)
def test_bad_budget_changes_are_one_line_errors(value: str, message: str) -> None:
    code, out, err = run(["show", SPEC, "--change-budget", value])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err


def test_plot_draws_both_schedules(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    target = tmp_path / "budget.svg"
    code, _, err = run(["plot", SPEC, "-o", str(target), "--change-budget", "400:1600"])
    assert code == 0, err
    drawn = target.read_text(encoding="utf-8")
    assert 'id="schedule-0"' in drawn and 'id="schedule-1"' in drawn
    assert "budget changed at 400 to 1600" in drawn
