"""``warmcos convert``, and peer calls in ``show``, ``table`` and ``plot``.

A peer call is another library's schedule constructor with literal arguments; it is parsed
against an allow-list (nothing is evaluated, nothing off the list is imported), built on a
stand-in optimizer, converted and checked. Anything else is refused with one line and status 2.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

import warmcos

typer_testing = pytest.importorskip("typer.testing")
pytest.importorskip("torch")

from warmcos.cli.app import app

ONE_CYCLE = "torch.optim.lr_scheduler.OneCycleLR(max_lr=0.1, total_steps=1000)"
RESTARTS = "torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(T_0=10, T_mult=2)"
COSINE = (
    "transformers.get_cosine_schedule_with_warmup(num_warmup_steps=100, num_training_steps=1000)"
)


def run(args: Sequence[str]) -> typer_testing.Result:
    try:
        runner = typer_testing.CliRunner(mix_stderr=False)
    except TypeError:
        runner = typer_testing.CliRunner()
    return runner.invoke(app, list(args), prog_name="warmcos")


def ok(args: Sequence[str]) -> str:
    result = run(args)
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result.stdout


def refused(args: Sequence[str], match: str = "") -> str:
    result = run(args)
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "error:" in lines[0] and "Traceback" not in result.stderr
    assert match in lines[0], lines[0]
    return lines[0]


def test_convert_prints_the_spec_and_the_largest_difference() -> None:
    lines = ok(["convert", ONE_CYCLE]).splitlines()
    assert lines[0] == "one_cycle(peak=0.1, steps=1000)"
    assert lines[1].startswith("# torch.optim.lr_scheduler.OneCycleLR: largest difference ")
    assert "(relative) over 1,000 checked steps" in lines[1]
    assert warmcos.parse(lines[0]) == warmcos.one_cycle(peak=0.1, steps=1000)


def test_convert_a_transformers_call_with_its_learning_rate() -> None:
    pytest.importorskip("transformers")
    lines = ok(["convert", COSINE, "--lr", "3e-4"]).splitlines()
    assert lines[0] == "cosine(peak=0.0003, steps=1000, warmup=100)"
    assert lines[1].startswith("# transformers.get_cosine_schedule_with_warmup: largest")
    by_name = ok(
        [
            "convert",
            "transformers.get_scheduler('linear', num_warmup_steps=10, num_training_steps=100)",
        ]
    )
    assert by_name.splitlines()[0] == "wsd(peak=1.0, steps=100, warmup=10, decay=90)"


def test_convert_nested_pytorch_calls() -> None:
    call = (
        "torch.optim.lr_scheduler.SequentialLR(schedulers=["
        "torch.optim.lr_scheduler.LinearLR(start_factor=0.1, total_iters=10), "
        "torch.optim.lr_scheduler.CosineAnnealingLR(T_max=90)], milestones=[10])"
    )
    spec = ok(["convert", call, "--lr", "0.5"]).splitlines()[0]
    assert spec == (
        "join(schedules=[linear(start=0.05, end=0.5, steps=10), "
        "cosine(peak=0.5, steps=90, after_end='periodic')], boundaries=[10])"
    )


def test_show_table_and_plot_take_peer_calls(tmp_path: Path) -> None:
    shown = ok(["show", RESTARTS, "--lr", "0.1"])
    assert shown.startswith(f"{RESTARTS} =\n    cosine_restarts(peak=0.1, first_cycle=10")
    assert "# torch.optim.lr_scheduler.CosineAnnealingWarmRestarts: largest difference 0" in shown
    rows = ok(["table", RESTARTS, "--at", "0,5,10", "--lr", "0.1"]).splitlines()
    restarts = warmcos.cosine_restarts(peak=0.1, first_cycle=10, cycle_mult=2)
    assert rows[1:] == [f"{t},{restarts(t)!r}" for t in (0, 5, 10)]
    picture = tmp_path / "both.png"
    assert ok(["plot", RESTARTS, repr(restarts), "--lr", "0.1", "-o", str(picture)]).startswith(
        "wrote"
    )
    assert picture.stat().st_size > 1000


def test_a_traced_schedule_is_shown_like_any_other() -> None:
    shown = ok(["show", "traced(values=[0.0, 0.5, 1.0, 0.5, 0.25], source='by hand')"])
    assert "warm-up  traced" in shown and "hold     constant  [4, inf)" in shown


HOSTILE = [
    ("__import__('os')", "Received: '__import__'"),
    ("__import__('os').system('true')", "is not a peer call warmcos knows"),
    ("os.system('true')", "'os.system' is not a peer call warmcos knows"),
    ("subprocess.run(['touch', 'PWNED'])", "'subprocess.run' is not a peer call"),
    ("torch.optim.SGD(lr=1.0)", "'torch.optim.SGD' is not a peer call"),
    ("torch.optim.lr_scheduler.LambdaLR(lr_lambda=1)", "is not a peer call"),
    ("torch.optim.lr_scheduler.StepLR.__init__(step_size=1)", "is not a peer call"),
    ("torch.optim.lr_scheduler.StepLR(step_size=open('x'))", "is not a peer call"),
    ("torch.optim.lr_scheduler.StepLR(step_size=x)", "must be numbers, strings"),
    ("torch.optim.lr_scheduler.StepLR(**{'step_size': 1})", "`**` is not allowed"),
    ("torch.optim.lr_scheduler.StepLR(step_size=[i for i in 'ab'])", "must be numbers"),
    (
        "torch.optim.lr_scheduler.ChainedScheduler([transformers.get_constant_schedule()])",
        "only PyTorch schedulers may be nested",
    ),
]


@pytest.mark.parametrize("command", ["convert", "show", "table", "plot"])
@pytest.mark.parametrize(("text", "match"), HOSTILE)
def test_calls_off_the_allow_list_are_refused_in_one_line(
    command: str, text: str, match: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = [command, text] + (["-o", "x.png"] if command == "plot" else [])
    if command == "convert" and not text.split("(")[0].count("."):
        match = "is not a peer call"  # convert takes peer calls only
    refused(args, match)
    assert not (tmp_path / "PWNED").exists()


def test_peer_refusals_are_one_line_errors() -> None:
    refused(
        ["convert", "torch.optim.lr_scheduler.StepLR(step_size=10, gamma=1.5)"],
        "StepLR with gamma=1.5 cannot be converted exactly",
    )
    refused(
        ["convert", "torch.optim.lr_scheduler.StepLR(step_size=10, bogus=1)"],
        "StepLR(): ",
    )
    refused(["convert", "torch.optim.lr_scheduler.StepLR(step_size=" + "1" * 20_000 + ")"])


def test_a_missing_peer_library_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    refused(["convert", ONE_CYCLE], 'needs torch: pip install "warmcos[torch]"')


@pytest.mark.slow
def test_keras_calls_config_json_and_keras_files(tmp_path: Path) -> None:
    keras = pytest.importorskip("keras")
    pytest.importorskip("warmcos._convert.keras_schedules")
    call = "keras.optimizers.schedules.CosineDecay(initial_learning_rate=0.1, decay_steps=1000)"
    assert ok(["convert", call]).splitlines()[0] == "cosine(peak=0.1, steps=1000)"
    config = tmp_path / "schedule.json"
    config.write_text(
        json.dumps(
            {
                "class_name": "ExponentialDecay",
                "config": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5},
            }
        ),
        encoding="utf-8",
    )
    assert ok(["convert", str(config)]).splitlines()[0] == (
        "exponential(value=0.1, gamma=0.5, decay_steps=10)"
    )
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    schedule = keras.optimizers.schedules.PolynomialDecay(0.1, 100, end_learning_rate=0.001)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=schedule), loss="mse")
    saved = tmp_path / "model.keras"
    model.save(saved)
    assert ok(["convert", str(saved)]).splitlines()[0] == (
        "polynomial(start=0.1, end=0.001, steps=100)"
    )
    assert "polynomial(start=0.1" in ok(["show", str(saved)])
