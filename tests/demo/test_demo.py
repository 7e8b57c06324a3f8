"""`warmcos demo`: its data, model, training run, schedules, and the command end to end."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
typer_testing = pytest.importorskip("typer.testing")
pytest.importorskip("rich")
pytest.importorskip("matplotlib")

import warmcos
from warmcos.cli.app import app
from warmcos.demo import data, schedules
from warmcos.demo import train as training
from warmcos.demo.model import CharTransformer, count_parameters

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def corpus() -> data.Corpus:
    return data.load()


def run(args: Sequence[str]) -> Any:
    try:
        runner = typer_testing.CliRunner(mix_stderr=False)  # Click < 8.2 mixes them by default
    except TypeError:
        runner = typer_testing.CliRunner()
    return runner.invoke(app, list(args), prog_name="warmcos")


# -- data -----------------------------------------------------------------------------------


def test_the_module_list_is_fixed_and_sorted() -> None:
    assert list(data.MODULES) == sorted(data.MODULES)
    assert len(set(data.MODULES)) == len(data.MODULES) >= 30


def test_data_loading_is_deterministic(corpus: data.Corpus) -> None:
    again = data.load()
    assert again.vocab == corpus.vocab
    assert again.files == corpus.files
    assert torch.equal(again.train, corpus.train)
    assert torch.equal(again.validation, corpus.validation)


def test_corpus_size_split_and_vocabulary(corpus: data.Corpus) -> None:
    total = len(corpus.train) + len(corpus.validation)
    assert 1_000_000 <= total <= 2_500_000
    assert 0.08 <= len(corpus.validation) / total <= 0.12
    assert corpus.vocab == "".join(sorted(set(corpus.vocab)))
    assert all(char < "\x80" for char in corpus.vocab.replace(data.OTHER, ""))
    assert "def " in corpus.decode(corpus.train[:20_000])
    assert corpus.train.dtype == torch.long and int(corpus.train.max()) < len(corpus.vocab)


def test_each_file_is_split_at_a_line_boundary() -> None:
    text = "".join(f"line {i}\n" for i in range(100))
    head, tail = data.split(text, 0.1)
    assert head + tail == text
    assert head.endswith("\n") and tail.startswith("line ")
    assert 0.08 <= len(tail) / len(text) <= 0.12
    assert data.split("no newline at all", 0.1) == ("no newline at all", "")


def test_batches_are_deterministic_by_seed(corpus: data.Corpus) -> None:
    def first(seed: int) -> list[Any]:
        stream = data.batches(corpus.train, batch_size=4, context=16, seed=seed)
        return list(islice(stream, 3))

    state = torch.get_rng_state()
    one, two, other = first(7), first(7), first(8)
    assert torch.equal(torch.get_rng_state(), state)  # the global RNG is not used
    for (x1, y1), (x2, y2) in zip(one, two, strict=True):
        assert torch.equal(x1, x2) and torch.equal(y1, y2)
        assert x1.shape == y1.shape == (4, 16)
        assert torch.equal(x1[:, 1:], y1[:, :-1])  # targets are the next characters
    assert not torch.equal(one[0][0], other[0][0])


def test_evaluation_windows_are_fixed_and_span_the_text(corpus: data.Corpus) -> None:
    inputs, targets = data.evaluation_windows(corpus.validation, count=50, context=64)
    again, _ = data.evaluation_windows(corpus.validation, count=50, context=64)
    assert torch.equal(inputs, again) and inputs.shape == (50, 64)
    assert torch.equal(inputs[0], corpus.validation[:64])
    assert torch.equal(targets[-1], corpus.validation[-64:])


def test_missing_source_files_raise_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(data.DataError, match=r"40 of 40 are missing"):
        data.stdlib_files(tmp_path)


# -- model ----------------------------------------------------------------------------------


def test_model_has_about_100k_parameters(corpus: data.Corpus) -> None:
    assert 90_000 <= count_parameters(CharTransformer(len(corpus.vocab))) <= 130_000


def test_model_is_causal_and_seeded() -> None:
    model = CharTransformer(20, seed=3)
    tokens = torch.randint(0, 20, (2, 64), generator=torch.Generator().manual_seed(0))
    changed = tokens.clone()
    changed[:, 40:] = (changed[:, 40:] + 1) % 20
    with torch.no_grad():
        before, after = model(tokens), model(changed)
    assert torch.equal(before[:, :40], after[:, :40])
    assert not torch.equal(before[:, 40:], after[:, 40:])
    twin = CharTransformer(20, seed=3)
    assert all(
        torch.equal(p, q) for p, q in zip(model.parameters(), twin.parameters(), strict=True)
    )


# -- schedules ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", schedules.NAMES)
def test_each_schedule_has_the_same_peak_and_budget(name: str) -> None:
    steps, peak = 800, 3e-3
    schedule = schedules.build(name, peak=peak, steps=steps)
    assert isinstance(schedule, warmcos.Schedule)
    values = [schedule(t) for t in range(steps)]
    assert max(values) == pytest.approx(peak, rel=1e-12)
    assert min(values) >= 0
    if name != "constant":
        assert values[-1] < 0.5 * peak  # every decaying schedule has decayed by the end
    assert warmcos.parse(repr(schedule)) == schedule


def test_restarts_cycles_end_with_the_run() -> None:
    schedule = schedules.build("restarts", peak=1.0, steps=800)
    assert schedule(799) < 1e-3 and schedule(800) == 0.0
    restarts = [t for t in range(1, 800) if schedule(t) > schedule(t - 1) + 0.5]
    assert len(restarts) == 2


def test_unknown_schedule_name() -> None:
    with pytest.raises(ValueError, match="unknown schedule 'cosin'"):
        schedules.build("cosin", peak=1.0, steps=10)


# -- one training run -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_runs(corpus: data.Corpus) -> tuple[Any, Any, warmcos.Schedule]:
    config = training.TrainConfig(steps=40, evaluations=2, eval_windows=64, threads=1)
    schedule = schedules.build("warmup-cosine", peak=3e-3, steps=config.steps)
    first = training.train("warmup-cosine", schedule, corpus, config)
    second = training.train("warmup-cosine", schedule, corpus, config)
    return first, second, schedule


def test_a_tiny_training_run_decreases_the_loss(
    corpus: data.Corpus, tiny_runs: tuple[Any, Any, warmcos.Schedule]
) -> None:
    run, _, _ = tiny_runs
    assert run.eval_steps == [20, 40]
    initial = math.log(len(corpus.vocab))  # a uniform guess
    assert run.eval_losses[0] < initial - 0.5
    assert run.eval_losses[1] < run.eval_losses[0]
    assert run.steps_per_second > 0


def test_the_scheduler_drives_the_learning_rate(tiny_runs: tuple[Any, Any, Any]) -> None:
    run, _, schedule = tiny_runs
    assert run.lrs == pytest.approx([schedule(t) for t in range(40)], rel=1e-12, abs=0)
    assert run.schedule == repr(schedule)


def test_a_training_run_is_reproducible(tiny_runs: tuple[Any, Any, Any]) -> None:
    first, second, _ = tiny_runs
    assert first.eval_losses == second.eval_losses
    assert first.lrs == second.lrs


def test_a_diverging_run_reports_nan_and_stops(corpus: data.Corpus) -> None:
    config = training.TrainConfig(steps=30, evaluations=3, eval_windows=16, threads=1, clip=1e30)
    run = training.train("constant", warmcos.constant(1e30), corpus, config)
    assert run.eval_steps == [10, 20, 30]
    assert math.isnan(run.final_loss)
    assert len(run.lrs) < 30


# -- the command ----------------------------------------------------------------------------


def read_results(out: Path) -> dict[str, Any]:
    results: dict[str, Any] = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return results


def test_demo_with_a_given_peak_skips_the_range_test(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run(
        ["demo", "--steps", "24", "--schedules", "constant,wsd", "--peak-lr", "3e-3",
         "--threads", "1", "--out", str(out)]
    )  # fmt: skip
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    results = read_results(out)
    assert results["peak_lr"] == 3e-3 and results["peak_source"] == "--peak-lr"
    assert results["range_test"] is None
    assert [r["name"] for r in results["runs"]] == ["constant", "wsd"]
    assert all(len(r["eval_losses"]) == 8 for r in results["runs"])
    assert (out / "demo.png").read_bytes().startswith(PNG_SIGNATURE)
    assert not (out / "range_test.png").exists()
    assert "best" in result.stdout and "nats/char" in result.stdout


def test_ctrl_c_reports_the_runs_that_finished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_train = training.train
    calls = 0

    def interrupted_train(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise KeyboardInterrupt
        return real_train(*args, **kwargs)

    monkeypatch.setattr(training, "train", interrupted_train)
    out = tmp_path / "out"
    result = run(
        ["demo", "--steps", "20", "--schedules", "constant,linear,cosine", "--peak-lr", "1e-3",
         "--jobs", "1", "--threads", "1", "--out", str(out)]
    )  # fmt: skip
    assert result.exit_code == 130, (result.stdout, result.stderr, result.exception)
    assert "interrupted; 1 of 3 runs finished" in result.stderr
    results = read_results(out)
    assert results["interrupted"] is True
    assert [r["name"] for r in results["runs"]] == ["constant"]
    assert (out / "demo.png").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--steps", "5"], "--steps must be >= 20"),
        (["--schedules", "cosine,cosin"], "--schedules must be a comma-separated list"),
        (["--schedules", "cosine,cosine"], "lists a schedule twice"),
        (["--peak-lr", "-1"], "--peak-lr must be a finite number > 0"),
        (["--peak-lr", "nan"], "--peak-lr must be a finite number > 0"),
        (["--threads", "0"], "--threads must be >= 1"),
        (["--jobs", "0"], "--jobs must be >= 1"),
        (["--seed", "-1"], "--seed must be >= 0"),
    ],
)
def test_bad_options_fail_with_one_line_and_status_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = run(["demo", *args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("warmcos demo: error: "), result.stderr
    assert message in lines[0]
    assert not (tmp_path / "out").exists()


def test_an_unusable_out_directory_fails_cleanly(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory", encoding="utf-8")
    result = run(["demo", "--peak-lr", "1e-3", "--out", str(blocker / "out")])
    assert result.exit_code == 2
    assert result.stderr.startswith("warmcos demo: error: cannot create --out")


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path]]:
    out = tmp_path_factory.mktemp("quick")
    yield run(["demo", "--quick", "--out", str(out)]), out


@pytest.mark.slow
def test_quick_demo_writes_its_table_json_and_pngs(quick_run: tuple[Any, Path]) -> None:
    result, out = quick_run
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert "LR range test" in result.stdout and "best" in result.stdout
    for name in ("demo.png", "range_test.png"):
        assert (out / name).read_bytes().startswith(PNG_SIGNATURE), name
    results = read_results(out)
    assert results["steps"] == 300 and results["interrupted"] is False
    assert [r["name"] for r in results["runs"]] == ["constant", "warmup-cosine", "wsd"]
    assert results["peak_lr"] == results["range_test"]["suggestion"]
    assert results["range_test"]["stop_reason"] in ("diverged", "non-finite loss", "end")
    for record in results["runs"]:
        assert record["final_loss_nats"] < 3.0  # well below a uniform guess (ln 97 = 4.6)
        assert record["final_loss_bits"] == pytest.approx(record["final_loss_nats"] / math.log(2))
        assert record["schedule"].startswith(("constant(", "cosine(", "wsd("))
        assert record["name"] in result.stdout


@pytest.mark.slow
def test_ctrl_c_stops_the_worker_processes_too(tmp_path: Path) -> None:
    """Two workers train side by side (the default); Ctrl-C stops them all within seconds."""
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "out"
    command = [sys.executable, "-c", "from warmcos.cli import main; main()", "demo",
               "--steps", "5000", "--peak-lr", "1e-3", "--schedules", "constant,linear,cosine",
               "--jobs", "2", "--out", str(out)]  # fmt: skip
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a terminal's Ctrl-C reaches it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(15)  # the workers are training by now
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err.decode()[-2000:]
    assert "interrupted; 0 of 3 runs finished" in err.decode()
    assert read_results(out)["interrupted"] is True
    time.sleep(2)
    assert _running_in_group(process.pid) == []


def _running_in_group(group: int) -> list[str]:
    """Processes of a process group still alive (zombies, left for init to reap, excepted)."""
    running = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        state, group_id = fields[0], int(fields[2])
        if group_id == group and state != "Z":
            running.append(stat.parent.name)
    return running
