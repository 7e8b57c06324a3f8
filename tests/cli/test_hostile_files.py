"""Hostile input to the command line: alias bombs, huge and deep files, huge tables.

Each case ends as one line on stderr, ``warmcos <command>: error: ...``, with exit status 2 (never
a traceback), quickly and with a short message; limits are checked before the work. Where the old
code hung or took minutes, the test asserts a generous time bound (a guard, not a benchmark). The
properties at the end feed random spec strings and random YAML documents with anchors, aliases and
merge keys to the command.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import warmcos

typer_testing = pytest.importorskip("typer.testing")
pytest.importorskip("yaml")

from warmcos.cli.app import MAX_ERROR_LENGTH, app
from warmcos.cli.schedules import MAX_TABLE_ROWS
from warmcos.cli.specfile import (
    MAX_FILE_BYTES,
    MAX_FILE_DEPTH,
    MAX_FILE_SCHEDULES,
    MAX_FILE_VALUES,
)

fuzz = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))


def run(args: Sequence[str]) -> typer_testing.Result:
    try:
        runner = typer_testing.CliRunner(mix_stderr=False)  # Click < 8.2 mixes them by default
    except TypeError:
        runner = typer_testing.CliRunner()
    return runner.invoke(app, list(args), prog_name="warmcos")


def refused(args: Sequence[str], *fragments: str, seconds: float = 5) -> str:
    """Run the command: one short error line, status 2, within `seconds`; the line."""
    start = time.perf_counter()
    result = run(args)
    elapsed = time.perf_counter() - start
    assert result.exit_code == 2, (result.stdout[:500], result.stderr[:500], result.exception)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr[:2_000]
    assert lines[0].startswith(f"warmcos {args[0]}: error: "), lines[0]
    assert len(lines[0]) < 600, lines[0][:600]
    assert "Traceback" not in result.stdout + result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert elapsed < seconds, f"took {elapsed:.1f} s"
    return lines[0]


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


# --- YAML aliases -------------------------------------------------------------------------------


def aliased_joins(levels: int) -> str:
    """Joins of 8 aliased joins, `levels` deep: 8**levels constants in under 1 KB."""
    lines = ["a0: &a0 {type: constant, value: 1.0}"]
    for level in range(1, levels + 1):
        pieces = ", ".join([f"*a{level - 1}"] * 8)
        lines.append(
            f"a{level}: &a{level} {{type: join, schedules: [{pieces}], "
            "boundaries: [1, 2, 3, 4, 5, 6, 7]}"
        )
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [6, 7, 9])
@pytest.mark.parametrize("command", ["show", "table"])
def test_yaml_joins_of_aliased_joins_stop_at_the_value_limit(
    tmp_path: Path, levels: int, command: str
) -> None:
    """6 levels took 59 s, 481 MB and printed 29 MB; 7 ran past a minute; 9 was endless."""
    path = write(tmp_path / "bomb.yaml", aliased_joins(levels))
    assert len(aliased_joins(levels)) < 1_100
    refused([command, path], f"at most {MAX_FILE_VALUES:,} values", "aliases")


def test_an_aliased_list_stops_at_the_value_limit_and_is_not_quoted(tmp_path: Path) -> None:
    """A ~470-byte aliased list made the error message's repr run past a minute and 673 MB."""
    text = "l0: &l0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
    for level in range(1, 9):
        text += f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 10) + "]\n"
    text += "bad: {type: multistep, value: 1.0, milestones: *l8}\n"
    assert len(text) < 600
    refused(["show", write(tmp_path / "list.yaml", text)], f"at most {MAX_FILE_VALUES:,} values")


def test_a_merge_key_bomb_stops_at_the_value_limit(tmp_path: Path) -> None:
    text = "m0: &m0 {type: constant, value: 1.0}\n"
    for level in range(1, 40):
        text += f"m{level}: &m{level} {{<<: [*m{level - 1}, *m{level - 1}]}}\n"
    refused(["table", write(tmp_path / "merge.yaml", text)], f"at most {MAX_FILE_VALUES:,} values")


def test_an_alias_inside_its_own_node_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "self.yaml", "a: &a {type: join, schedules: [*a], boundaries: []}\n")
    refused(["show", path], "alias must not refer to a node containing it")


def test_aliases_and_merge_keys_within_the_limits_still_work(tmp_path: Path) -> None:
    text = (
        "short: {type: join, boundaries: [10], schedules: [\n"
        "  &warm {type: linear, start: 0.0, end: 1.0, steps: 10},\n"
        "  &decay {type: cosine, peak: 1.0, steps: 90}]}\n"
        "long: {type: join, boundaries: [10], schedules: [*warm, {<<: *decay, steps: 190}]}\n"
    )
    result = run(["table", write(tmp_path / "ok.yaml", text), "--at", "5,100"])
    assert result.exit_code == 0, (result.stderr, result.exception)
    warm = warmcos.linear(start=0.0, end=1.0, steps=10)
    short = warmcos.join([warm, warmcos.cosine(peak=1.0, steps=90)], [10])
    long = warmcos.join([warm, warmcos.cosine(peak=1.0, steps=190)], [10])
    assert result.stdout.splitlines() == [
        "step,short,long",
        f"5,{short(5)!r},{long(5)!r}",
        f"100,{short(100)!r},{long(100)!r}",
    ]


# --- big and deep files -------------------------------------------------------------------------


def test_a_file_past_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """A 50 MB JSON of 630k schedules took 40 s and 800 MB, then printed a multi-MB error."""
    path = tmp_path / "big.json"
    with path.open("wb") as file:
        file.truncate(50_000_000)  # sparse: nothing is written, nothing should be read
    refused(
        ["table", str(path)],
        f"must be at most {MAX_FILE_BYTES:,} bytes. Received: 50,000,000 bytes",
        seconds=2,
    )


def test_a_file_one_byte_past_the_size_limit_is_refused(tmp_path: Path) -> None:
    body = json.dumps({"type": "constant", "value": 1.0})
    path = write(tmp_path / "padded.json", body + " " * (MAX_FILE_BYTES + 1 - len(body)))
    refused(["table", path], f"at most {MAX_FILE_BYTES:,} bytes")


def test_more_schedules_than_the_limit_are_refused(tmp_path: Path) -> None:
    named = {f"s{index}": "constant(1.0)" for index in range(MAX_FILE_SCHEDULES + 1)}
    path = write(tmp_path / "many.json", json.dumps(named))
    refused(["table", path], f"at most {MAX_FILE_SCHEDULES:,} schedules. Received: 101")
    listed = write(tmp_path / "many.yaml", json.dumps(list(named.values())))
    refused(["show", listed], f"at most {MAX_FILE_SCHEDULES:,} schedules")


def test_more_values_than_the_limit_are_refused(tmp_path: Path) -> None:
    data = {"type": "multistep", "value": 1.0, "milestones": [1] * (MAX_FILE_VALUES + 1)}
    text = json.dumps(data, separators=(",", ":"))
    assert len(text) < MAX_FILE_BYTES
    refused(["table", write(tmp_path / "values.json", text)], f"at most {MAX_FILE_VALUES:,}")


DEEP = {
    "deep.json": "[" * 200_000,
    "deep-object.json": '{"a":' * 100_000,
    "deep.yaml": "[" * 20_000,
    "deep-block.yaml": "".join(f"{'  ' * level}- \n" for level in range(300)),
    "deep.toml": "a = " + "[" * 20_000,
    "deep-inline.toml": "a = " + "{b = " * 5_000,
    "at-the-limit.json": "[" * (MAX_FILE_DEPTH + 1) + "]" * (MAX_FILE_DEPTH + 1),
}


@pytest.mark.parametrize("name", list(DEEP))
def test_deeply_nested_files_are_refused(tmp_path: Path, name: str) -> None:
    refused(["table", write(tmp_path / name, DEEP[name])], "error:")


def test_nesting_up_to_the_limit_is_read(tmp_path: Path) -> None:
    path = write(tmp_path / "deep.json", "[" * MAX_FILE_DEPTH + "]" * MAX_FILE_DEPTH)
    refused(["table", path], "a schedule must be")  # read, then refused as not a schedule


# --- the core's reproducers on the command line -------------------------------------------------

HEX = "0x" + "f" * 400


def nested_join_text(depth: int) -> str:
    text = "constant(1.0)"
    for _ in range(depth - 1):
        text = f"join([{text}, constant(0.5)], [3])"
    return text


SPECS = {
    "huge peak": (f"cosine(peak={HEX}, steps=10)", "`peak` must be finite"),
    "huge milestone": (f"multistep(1.0, [{HEX}])", "`milestones` must be finite"),
    "1,000 minus signs": ("cosine(peak=" + "-" * 1_000 + "1, steps=10)", "nest at most"),
    "99,000 minus signs": ("cosine(peak=" + "-" * 99_000 + "1, steps=10)", "nest at most"),
    "100,000 minus signs": ("cosine(peak=" + "-" * 100_000 + "1, steps=10)", "100,000 characters"),
    "join 150 deep": (nested_join_text(150), "nest"),
    "join 33 deep": (nested_join_text(33), "at most 32 deep"),
    "long string": ("cosine(peak='" + "x" * 50_000 + "', steps=10)", "`peak`"),
}


@pytest.mark.parametrize("case", list(SPECS))
@pytest.mark.parametrize("command", ["show", "table"])
def test_core_reproducers_are_one_line_errors(command: str, case: str) -> None:
    spec, fragment = SPECS[case]
    refused([command, spec], fragment)


def test_a_yaml_file_with_a_huge_number_is_a_one_line_error(tmp_path: Path) -> None:
    path = write(tmp_path / "huge.yaml", f"type: cosine\npeak: {HEX}\nsteps: 10\n")
    refused(["table", path], "`peak` must be finite")
    path = write(tmp_path / "huge.json", '{"type": "cosine", "peak": 1e400, "steps": 10}')
    refused(["table", path], "`peak` must be finite")


def test_the_script_prints_one_line_for_an_alias_bomb(tmp_path: Path) -> None:
    path = write(tmp_path / "bomb.yaml", aliased_joins(9))
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", "from warmcos.cli import main; main()", "show", path],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert time.perf_counter() - start < 60
    assert result.returncode == 2, result.stderr[-2_000:]
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stdout == ""


# --- table: rows are limited and streamed -------------------------------------------------------


def test_table_refuses_more_rows_than_the_limit_before_computing_any() -> None:
    """Used 2.3 GB: 9.9 million rows were built in memory before printing."""
    line = refused(
        ["table", "constant(1.0)", "--every", "1", "--steps", "9900000"],
        f"at most {MAX_TABLE_ROWS:,} rows",
        "9,900,001 rows",
    )
    assert "--every 1" in line


def test_table_refuses_a_spacing_that_overflows() -> None:
    refused(
        ["table", "constant(1.0)", "--every", "1e-320", "--steps", "1e300"],
        f"at most {MAX_TABLE_ROWS:,} rows",
    )


def test_table_refuses_too_many_listed_steps() -> None:
    steps = ",".join(["1"] * (MAX_TABLE_ROWS + 1))
    refused(["table", "constant(1.0)", "--at", steps], f"at most {MAX_TABLE_ROWS:,} steps")


def test_table_prints_exactly_the_row_limit() -> None:
    result = run(["table", "constant(0.5)", "--every", "1", "--steps", str(MAX_TABLE_ROWS - 1)])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1 + MAX_TABLE_ROWS
    assert lines[1] == "0,0.5" and lines[-1] == f"{MAX_TABLE_ROWS - 1},0.5"


def test_table_json_streams_the_same_document() -> None:
    result = run(["table", "linear(1.0, 0.0, 4)", "--every", "2", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == [
        {"step": 0, "lr": 1.0},
        {"step": 2, "lr": 0.5},
        {"step": 4, "lr": 0.0},
    ]
    assert result.stdout.startswith("[\n  {") and result.stdout.endswith("}\n]\n")


def test_error_lines_are_cut_to_the_limit() -> None:
    result = run(["table", "constant(1.0)", "--every", "x" * 100_000])
    assert result.exit_code == 2
    assert len(result.stderr) <= MAX_ERROR_LENGTH + 100


# --- properties -------------------------------------------------------------------------------

SCHEDULE_SPECS = [
    "constant(1.0)",
    "cosine(peak=1.0, steps=100, warmup=10)",
    "cosine_restarts(peak=0.1, first_cycle=10, cycle_mult=2.0)",
    "multistep(1.0, [10, 20])",
    "step(1.0, step_size=10)",
    repr(warmcos.wsd(peak=1.0, steps=100, warmup=10, decay=0.2)),
]
numbers = st.sampled_from(
    ["0", "1", "-1", "0.5", "10", "1e300", "1e400", ".nan", "-.inf", HEX[:40], "1e-320", "abc"]
)


@st.composite
def yaml_documents(draw: st.DrawFn) -> str:
    """Named schedules, each anchored, that alias earlier ones: as join pieces, as merged keys,
    or as milestone lists made of aliased lists."""
    lines: list[str] = []
    schedules: list[str] = []  # anchors of schedules
    mappings: list[str] = []  # anchors of schedule mappings (what a merge key takes)
    lists: list[str] = []  # anchors of milestone lists
    for index in range(draw(st.integers(1, 12))):
        kinds = ["spec", "constant", "multistep"]
        kinds += ["join", "alias"] if schedules else []
        kinds += ["merge"] if mappings else []
        kind = draw(st.sampled_from(kinds))
        anchor = f"&d{index} "
        if kind == "spec":
            node = repr(draw(st.sampled_from(SCHEDULE_SPECS)))
        elif kind == "constant":
            node = f"{{type: constant, value: {draw(numbers)}}}"
        elif kind == "multistep":
            items = draw(st.lists(st.one_of(st.sampled_from(lists or ["1"]), numbers), max_size=12))
            node = f"{{type: multistep, value: 1.0, milestones: &l{index} [{', '.join(items)}]}}"
            lists.append(f"*l{index}")
        elif kind == "join":
            pieces = draw(st.lists(st.sampled_from(schedules), min_size=1, max_size=12))
            bounds = ", ".join(str(k + 1) for k in range(len(pieces) - 1))
            node = f"{{type: join, schedules: [{', '.join(pieces)}], boundaries: [{bounds}]}}"
        elif kind == "merge":
            merged = draw(st.lists(st.sampled_from(mappings), min_size=1, max_size=6))
            node = f"{{<<: [{', '.join(merged)}]}}"
        else:
            node, anchor = draw(st.sampled_from(schedules)), ""
        lines.append(f"d{index}: {anchor}{node}")
        if anchor:
            schedules.append(f"*d{index}")
            if node.startswith("{"):
                mappings.append(f"*d{index}")
    return "\n".join(lines) + "\n"


def exits_cleanly(args: Sequence[str]) -> None:
    start = time.perf_counter()
    result = run(args)
    assert time.perf_counter() - start < 5
    assert result.exit_code in (0, 2), (result.exception, result.stderr[:500])
    assert "Traceback" not in result.stdout + result.stderr
    assert len(result.stdout) < 5_000_000
    if result.exit_code == 2:
        assert len(result.stderr.splitlines()) == 1, result.stderr[:2_000]
        assert len(result.stderr) <= MAX_ERROR_LENGTH + 100


@fuzz
@given(document=yaml_documents(), command=st.sampled_from(["show", "table"]))
def test_any_yaml_document_with_aliases_is_read_or_refused_quickly(
    tmp_path_factory: pytest.TempPathFactory, document: str, command: str
) -> None:
    path = tmp_path_factory.mktemp("yaml") / "doc.yaml"
    path.write_text(document, encoding="utf-8")
    exits_cleanly([command, str(path)])


spec_texts = st.one_of(
    st.sampled_from(SCHEDULE_SPECS),
    st.tuples(st.sampled_from(SCHEDULE_SPECS), st.integers(0, 60), st.text(max_size=8)).map(
        lambda t: t[0][: t[1]] + t[2] + t[0][t[1] :]
    ),
    st.builds(
        "cosine(peak={}, steps={}, warmup={})".format,
        numbers.map(lambda n: n.replace(".nan", "nan")),
        numbers,
        numbers,
    ),
    st.text(max_size=30),
)


@fuzz
@given(
    spec=spec_texts,
    options=st.sampled_from([[], ["--every", "7"], ["--at", "0,1e300"], ["--steps", "1e300"]]),
)
def test_any_spec_string_on_the_command_line_exits_with_0_or_2(
    spec: str, options: list[str]
) -> None:
    if spec.startswith("-") or not spec.strip():
        spec = "x" + spec  # (an option or an empty argument is Click's business)
    exits_cleanly(["table", spec, *options])
