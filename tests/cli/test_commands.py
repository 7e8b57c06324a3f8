"""The `warmcos` command: plot, show, table, --version and --help; bad input fails cleanly.

Most runs go through Typer's CliRunner; a few run the installed `warmcos` script in a
subprocess, as a user would.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

import warmcos

typer_testing = pytest.importorskip("typer.testing")

from warmcos.cli.app import app

COSINE_SPEC = "cosine(peak=3e-4, steps=10000, warmup=500)"
COSINE = warmcos.cosine(peak=3e-4, steps=10_000, warmup=500)
RESTARTS_SPEC = (
    "cosine_restarts(peak=0.1, first_cycle=100, floor=0.001, cycle_mult=1.5, gamma=0.8, warmup=10)"
)
RESTARTS = warmcos.parse(RESTARTS_SPEC)
WSD = warmcos.wsd(peak=3e-4, steps=10_000, warmup=500, decay=0.2)


def run(args: Sequence[str]) -> typer_testing.Result:
    try:
        runner = typer_testing.CliRunner(mix_stderr=False)  # Click < 8.2 mixes them by default
    except TypeError:
        runner = typer_testing.CliRunner()
    return runner.invoke(app, list(args), prog_name="warmcos")


def ok(args: Sequence[str]) -> str:
    result = run(args)
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert result.stderr == ""
    return result.stdout


# --- input forms -------------------------------------------------------------------------------


@pytest.fixture
def spec_files(tmp_path: Path) -> dict[str, tuple[str, list[tuple[str, warmcos.Schedule]]]]:
    """Each file form and the (column name, schedule) pairs it stands for."""
    one_json = tmp_path / "one.json"
    one_json.write_text(json.dumps(COSINE.to_dict()), encoding="utf-8")
    named_yaml = tmp_path / "named.yaml"
    named_yaml.write_text(
        f"baseline: {COSINE_SPEC}\n"
        "wsd:\n  type: wsd\n  peak: 3e-4\n  steps: 10000\n  warmup: 500\n  decay: 0.2\n",
        encoding="utf-8",
    )
    one_toml = tmp_path / "one.toml"
    one_toml.write_text('type = "cosine"\npeak = 3e-4\nsteps = 10000\nwarmup = 500\n', "utf-8")
    list_json = tmp_path / "list.json"
    list_json.write_text(
        json.dumps([{"name": "baseline", **COSINE.to_dict()}, {"name": "wsd", **WSD.to_dict()}]),
        encoding="utf-8",
    )
    named_toml = tmp_path / "named.toml"
    named_toml.write_text(f"baseline = '{COSINE_SPEC}'\nwsd = '{WSD!r}'\n", encoding="utf-8")
    both = [("baseline", COSINE), ("wsd", WSD)]
    return {
        "spec string": (COSINE_SPEC, [("lr", COSINE)]),
        "json, one schedule": (str(one_json), [("lr", COSINE)]),
        "yaml, named": (str(named_yaml), both),
        "toml, one schedule": (str(one_toml), [("lr", COSINE)]),
        "json, named list": (str(list_json), both),
        "toml, named": (str(named_toml), both),
    }


FORMS = [
    "spec string",
    "json, one schedule",
    "yaml, named",
    "toml, one schedule",
    "json, named list",
    "toml, named",
]


@pytest.mark.parametrize("form", FORMS)
def test_table_json_for_each_input_form(
    spec_files: dict[str, tuple[str, list[tuple[str, warmcos.Schedule]]]], form: str
) -> None:
    spec, expected = spec_files[form]
    rows = json.loads(ok(["table", spec, "--at", "0,250,500,5000.5,12000", "--json"]))
    assert [row["step"] for row in rows] == [0, 250, 500, 5000.5, 12000]
    for name, schedule in expected:
        assert [row[name] for row in rows] == [schedule(row["step"]) for row in rows]
    assert all(set(row) == {"step", *(name for name, _ in expected)} for row in rows)


@pytest.mark.parametrize("form", FORMS)
def test_show_for_each_input_form(
    spec_files: dict[str, tuple[str, list[tuple[str, warmcos.Schedule]]]], form: str
) -> None:
    spec, expected = spec_files[form]
    out = ok(["show", spec])
    for _, schedule in expected:
        assert repr(schedule) in out
    assert all(len(line) <= 80 for line in out.splitlines())


@pytest.mark.parametrize("form", FORMS)
def test_plot_for_each_input_form(
    spec_files: dict[str, tuple[str, list[tuple[str, warmcos.Schedule]]]],
    form: str,
    tmp_path: Path,
) -> None:
    pytest.importorskip("matplotlib")
    spec, _ = spec_files[form]
    output = tmp_path / "out.png"
    assert ok(["plot", spec, "-o", str(output), "--size", "600x400"]) == f"wrote {output}\n"
    assert output.read_bytes().startswith(b"\x89PNG")


# --- table -------------------------------------------------------------------------------------


def test_table_csv_every() -> None:
    rows = list(csv.reader(io.StringIO(ok(["table", COSINE_SPEC, "--every", "1000"]))))
    assert rows[0] == ["step", "lr"]
    steps = [int(step) for step, _ in rows[1:]]
    assert steps == list(range(0, 11_001, 1000))  # to the default horizon, 10% past the end
    assert [float(value) for _, value in rows[1:]] == [COSINE(t) for t in steps]


def test_table_steps_and_default_spacing() -> None:
    rows = list(csv.reader(io.StringIO(ok(["table", COSINE_SPEC, "--steps", "2000"]))))
    assert [row[0] for row in rows[1:]] == [str(t) for t in range(0, 2001, 100)]
    rows = list(csv.reader(io.StringIO(ok(["table", RESTARTS_SPEC]))))
    assert 10 <= len(rows) - 1 <= 25  # about 20 rows over the three cycles (457 steps)


def test_table_named_columns_csv() -> None:
    text = ok(["table", RESTARTS_SPEC, "--at", "0,100,245.5"])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [
        ["step", "lr"],
        ["0", repr(RESTARTS(0))],
        ["100", repr(RESTARTS(100))],
        ["245.5", repr(RESTARTS(245.5))],
    ]


# --- show --------------------------------------------------------------------------------------


def test_show_summarizes_segments_cycles_and_ten_percent_point() -> None:
    out = ok(["show", RESTARTS_SPEC])
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert "0      warm-up  linear  [0, 10)     0.001 -> 0.1" in out
    assert "1      decay    cosine  [110, 245)  0.08 -> 0.001" in out
    assert "2      245    0.064  0.001" in out  # cycle 2: start, peak, floor
    assert "from step 83 (lr < 0.01)" in out
    chart = [line for line in lines if "|" in line]
    assert len(chart) == 16 and all("*" in line for line in chart[:1])


def test_show_reports_the_cycle_peak_when_the_warmup_starts_above_it() -> None:
    # The warm-up falls from 0.5 to the cycle peak 0.1: a ramp, and each cycle peaks at 0.1.
    spec = "cosine_restarts(peak=0.1, first_cycle=10, warmup=2, warmup_start=0.5, max_cycles=2)"
    out = ok(["show", spec])
    assert "0      ramp     linear    [0, 2)     0.5 -> 0.1" in out
    assert "warm-up" not in out
    assert "  0      0      0.1   0" in out and "  1      10     0.1   0" in out


def test_show_chart_draws_each_schedule(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(f"a: {COSINE_SPEC}\nb: {WSD!r}\n", encoding="utf-8")
    out = ok(["show", str(path), "--steps", "12000"])
    assert "* a = cosine(" in out and "o b = wsd(" in out
    plotted = "".join(line.split("|", 1)[1] for line in out.splitlines() if " |" in line)
    assert "*" in plotted and "o" in plotted


# --- plot --------------------------------------------------------------------------------------


def test_plot_png_size_and_formats(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from matplotlib.image import imread

    png = tmp_path / "schedule.png"
    ok(["plot", COSINE_SPEC, RESTARTS_SPEC, "-o", str(png), "--size", "720x450", "--log"])
    assert imread(png).shape[:2] == (450, 720)
    for name, magic in (("schedule.svg", b"<?xml"), ("schedule.pdf", b"%PDF")):
        ok(["plot", COSINE_SPEC, "-o", str(tmp_path / name), "--epochs", "20"])
        assert (tmp_path / name).read_bytes().startswith(magic)
    assert sorted(os.listdir(tmp_path)) == ["schedule.pdf", "schedule.png", "schedule.svg"]


# --- version and help --------------------------------------------------------------------------


def test_version() -> None:
    assert ok(["--version"]) == f"warmcos {warmcos.__version__}\n"


@pytest.mark.parametrize("command", ["plot", "show", "table"])
def test_help_has_an_example(command: str) -> None:
    out = ok([command, "--help"])
    assert "Example" in out and f"warmcos {command} " in out


def test_no_arguments_prints_help() -> None:
    result = run([])
    assert "Commands" in result.stdout + result.stderr
    assert "plot" in result.stdout + result.stderr


# --- errors ------------------------------------------------------------------------------------

ERRORS = {
    "unknown schedule": (["plot", "cosin(1e-3, 100)", "-o", "{out}"], "schedule name must be"),
    "bad parameter": (["plot", "cosine(1e-3, 100, warmup=100)", "-o", "{out}"], "`warmup`"),
    "not a spec": (["show", "cosine"], "neither a schedule spec"),
    "missing file": (["plot", "{tmp}/missing.yaml", "-o", "{out}"], "No such file"),
    "malformed yaml": (["plot", "{tmp}/broken.yaml", "-o", "{out}"], "cannot parse"),
    "malformed json": (["table", "{tmp}/broken.json"], "cannot parse"),
    "malformed toml": (["show", "{tmp}/broken.toml"], "cannot parse"),
    "missing directory": (
        ["plot", COSINE_SPEC, "-o", "{tmp}/missing/out.png"],
        "cannot write .*No such file",
    ),
    "parent is a file": (["plot", COSINE_SPEC, "-o", "{tmp}/broken.json/out.png"], "cannot write"),
    "output is a directory": (["plot", COSINE_SPEC, "-o", "{tmp}/folder.png"], "is a directory"),
    "unsupported format": (["plot", COSINE_SPEC, "-o", "{tmp}/out.jpg"], "must end in .png"),
    "missing -o": (["plot", COSINE_SPEC], "Missing option"),
    "unknown option": (["table", COSINE_SPEC, "--bogus"], "No such option"),
    "unknown command": (["frob"], "No such command"),
    "bad --size": (["plot", COSINE_SPEC, "-o", "{out}", "--size", "big"], "--size must be"),
    "both epoch options": (
        ["plot", COSINE_SPEC, "-o", "{out}", "--epochs", "3", "--steps-per-epoch", "4"],
        "not both",
    ),
    "bad --steps": (["show", COSINE_SPEC, "--steps", "-5"], "--steps must be"),
    "non-numeric --steps": (["table", COSINE_SPEC, "--steps", "many"], "--steps"),
    "bad --every": (["table", COSINE_SPEC, "--every", "0"], "--every must be"),
    "bad --at": (["table", COSINE_SPEC, "--at", "1,x"], "--at must be"),
    "negative --at": (["table", COSINE_SPEC, "--at", "-1"], "--at steps must be"),
    "both --every and --at": (["table", COSINE_SPEC, "--every", "5", "--at", "1"], "not both"),
}


@pytest.fixture
def error_dir(tmp_path: Path) -> Path:
    (tmp_path / "broken.yaml").write_text("a: [unclosed\n", encoding="utf-8")
    (tmp_path / "broken.json").write_text('{"type": "cosine",', encoding="utf-8")
    (tmp_path / "broken.toml").write_text("type = \n", encoding="utf-8")
    (tmp_path / "folder.png").mkdir()
    return tmp_path


@pytest.mark.parametrize("case", list(ERRORS))
def test_bad_input_is_one_line_and_status_2(error_dir: Path, case: str) -> None:
    template, pattern = ERRORS[case]
    out = error_dir / "out.png"
    args = [a.format(tmp=error_dir, out=out) for a in template]
    before = sorted(os.listdir(error_dir))
    result = run(args)
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("warmcos") and ": error: " in lines[0]
    assert re.search(pattern, lines[0]), lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""
    assert sorted(os.listdir(error_dir)) == before  # nothing written, no temporary file left


def test_failed_plot_leaves_an_existing_file_alone(tmp_path: Path) -> None:
    output = tmp_path / "schedule.png"
    output.write_bytes(b"previous plot")
    result = run(["plot", "cosine(1e-3, 100, warmup=100)", "-o", str(output)])
    assert result.exit_code == 2
    assert output.read_bytes() == b"previous plot"


# --- the installed script, in a subprocess -----------------------------------------------------


def script() -> str:
    path = shutil.which("warmcos") or shutil.which("warmcos", path=os.path.dirname(sys.executable))
    assert path, "the `warmcos` script is not installed: pip install -e '.[cli]'"
    return path


def test_script_plots_a_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    output = tmp_path / "schedule.png"
    proc = subprocess.run(
        [script(), "plot", COSINE_SPEC, "-o", str(output), "--size", "800x500"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"wrote {output}\n" and proc.stderr == ""
    from matplotlib.image import imread

    assert imread(output).shape[:2] == (500, 800)


def test_script_bad_input_is_one_line_without_traceback(tmp_path: Path) -> None:
    output = tmp_path / "schedule.png"
    proc = subprocess.run(
        [script(), "plot", "cosine(peak=-1, steps=10)", "-o", str(output)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr == (
        "warmcos plot: error: cosine(): `peak` must be >= 0. Received: peak=-1\n"
    )
    assert proc.stdout == "" and not output.exists()


def test_without_typer_the_command_says_what_to_install() -> None:
    code = "import sys; sys.modules['typer'] = None; from warmcos.cli import main; main(['show'])"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 2
    assert proc.stderr == "warmcos: the command line needs Typer: pip install 'warmcos[cli]'\n"


def test_importing_warmcos_imports_no_cli_or_plotting_library() -> None:
    code = (
        "import sys, warmcos, warmcos.cli, warmcos.cli.specfile, warmcos.plotting; "
        "print(sorted(m for m in ('typer', 'click', 'matplotlib', 'yaml') if m in sys.modules))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert proc.stdout.strip() == "[]"


def test_table_values_are_the_schedule_at_each_step() -> None:
    rows = json.loads(ok(["table", RESTARTS_SPEC, "--every", "0.5", "--json"]))
    steps = [row["step"] for row in rows]
    assert steps == [i / 2 for i in range(2 * 457 + 1)]
    assert [type(step) for step in steps[:2]] == [int, float]
    assert [row["lr"] for row in rows] == [RESTARTS(step) for step in steps]


# --- the command-line guide (docs/guides/cli.md) stays true ---------------------------------------

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "guides" / "cli.md"


def test_guide_show_excerpt_is_the_real_output() -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    excerpt = re.search(r"```text\n(cosine\(peak=0\.0003.*?)```", guide, re.DOTALL)
    assert excerpt, "the CLI guide lost its `warmcos show` excerpt"
    out = ok(["show", COSINE_SPEC])
    assert out.startswith(excerpt.group(1))


def test_guide_plot_command_makes_the_committed_png(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("matplotlib")
    from matplotlib.image import imread

    guide = GUIDE.read_text(encoding="utf-8")
    command = "warmcos plot docs/schedules.yaml -o docs/schedules.png"
    block = f"```bash\n{command}\n```\n\n![cosine, warm-up-stable-decay and cosine restarts"
    assert block in guide  # the command sits right above the image
    assert "docs/schedules.png" in (ROOT / "README.md").read_text(encoding="utf-8")
    committed = ROOT / "docs" / "schedules.png"
    assert committed.stat().st_size < 150_000
    monkeypatch.chdir(ROOT)
    output = tmp_path / "schedules.png"
    ok(["plot", "docs/schedules.yaml", "-o", str(output)])
    fresh, stored = imread(output), imread(committed)
    assert fresh.shape == stored.shape == (560, 1000, 4)
    # The same picture; other matplotlib or font versions may move a few pixels.
    assert (abs(fresh - stored).max(axis=2) > 0.1).mean() < 0.02
