"""SPEC arguments: spec strings and JSON, YAML and TOML files, read with safe loaders."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import warmcos
from warmcos.cli.specfile import SpecError, from_data, load

COSINE = warmcos.cosine(peak=3e-4, steps=10_000, warmup=500)
WSD = warmcos.wsd(peak=3e-4, steps=10_000, warmup=500, decay=0.2)


def test_spec_string() -> None:
    assert load("cosine(peak=3e-4, steps=10000, warmup=500)") == [(None, COSINE)]


def test_json_file_with_one_schedule(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps(COSINE.to_dict()), encoding="utf-8")
    assert load(str(path)) == [(None, COSINE)]


def test_yaml_named_schedules_read_exponent_floats_as_numbers(tmp_path: Path) -> None:
    path = tmp_path / "named.yaml"
    path.write_text(
        "baseline: cosine(peak=3e-4, steps=10000, warmup=500)\n"
        "wsd:\n  type: wsd\n  peak: 3e-4\n  steps: 10000\n  warmup: 500\n  decay: 0.2\n",
        encoding="utf-8",
    )
    assert load(str(path)) == [("baseline", COSINE), ("wsd", WSD)]


def test_yaml_refuses_python_objects(tmp_path: Path) -> None:
    path = tmp_path / "evil.yml"
    path.write_text("!!python/object/apply:os.system ['echo hacked']\n", encoding="utf-8")
    with pytest.raises(SpecError, match="cannot parse"):
        load(str(path))


def test_toml_array_of_tables_with_names(tmp_path: Path) -> None:
    path = tmp_path / "list.toml"
    path.write_text(
        '[[schedules]]\nname = "baseline"\ntype = "cosine"\npeak = 3e-4\nsteps = 10000\n'
        'warmup = 500\n\n[[schedules]]\ntype = "wsd"\npeak = 3e-4\nsteps = 10000\n'
        "warmup = 500\ndecay = 0.2\n",
        encoding="utf-8",
    )
    assert load(str(path)) == [("baseline", COSINE), (None, WSD)]


def test_toml_single_schedule(tmp_path: Path) -> None:
    path = tmp_path / "one.toml"
    path.write_text('type = "cosine"\npeak = 3e-4\nsteps = 10000\nwarmup = 500\n', "utf-8")
    assert load(str(path)) == [(None, COSINE)]


def test_list_of_spec_strings() -> None:
    data = ["cosine(peak=3e-4, steps=10000, warmup=500)", WSD.to_dict()]
    assert from_data(data) == [(None, COSINE), (None, WSD)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "holds no schedule"),
        (3, "expected a schedule"),
        ({"peak": 0.1, "steps": 100}, "needs a 'type'"),
        ({"a": "cosine(0.1, 100, warmup=100)"}, "a: cosine\\(\\): `warmup` must be < `steps`"),
        ({"type": "cosin", "peak": 0.1}, "`type` must be one of"),
        ([["cosine(0.1, 100)"]], "item 0: a schedule must be"),
    ],
)
def test_bad_data(data: object, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        from_data(data)


def test_bad_spec_arguments(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="neither a schedule spec"):
        load("cosine")
    with pytest.raises(SpecError, match="No such file"):
        load(str(tmp_path / "missing.json"))
    text = tmp_path / "spec.txt"
    text.write_text("cosine(0.1, 100)", encoding="utf-8")
    with pytest.raises(SpecError, match="file type must be one of"):
        load(str(text))
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(SpecError, match="cannot parse"):
        load(str(broken))


def test_missing_yaml_reader_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "one.yaml"
    path.write_text("cosine(peak=0.1, steps=100)\n", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "yaml", None)
    with pytest.raises(SpecError, match=r"needs PyYAML: pip install 'warmcos\[cli\]'"):
        load(str(path))
