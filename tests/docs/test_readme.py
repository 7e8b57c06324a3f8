"""README.md stays true: every ```python block runs, and CI runs README's test command."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
CI_RUN = ROOT / ".ci" / "run"

# Frameworks a README block may need; a block that imports a missing one is skipped.
OPTIONAL = ("torch", "jax", "optax", "keras", "tensorflow", "transformers", "timm", "matplotlib")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
TEST_COMMAND_START = "python -m pip install torch==2.13.0 &&"


def code_blocks(language: str) -> list[tuple[int, str]]:
    """(first line number, source) of each fenced block in that language."""
    text = README.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, m.start()) + 2, m.group(2))
        for m in FENCE.finditer(text)
        if m.group(1) == language
    ]


PYTHON_BLOCKS = code_blocks("python")


def imported_optional(source: str) -> list[str]:
    roots = set(re.findall(r"^\s*(?:import|from)\s+(\w+)", source, re.MULTILINE))
    return [name for name in OPTIONAL if name in roots]


def test_readme_has_python_examples() -> None:
    assert len(PYTHON_BLOCKS) >= 4


# Keras fixes its backend (and TensorFlow its global state) when first imported: blocks that
# import keras run in a fresh interpreter, so the test process never imports it.
IN_SUBPROCESS = {"keras"}


@pytest.mark.parametrize(
    "line, source",
    [
        pytest.param(
            line,
            source,
            id=f"README.md:{line}",
            marks=[pytest.mark.slow] if IN_SUBPROCESS & set(imported_optional(source)) else [],
        )
        for line, source in PYTHON_BLOCKS
    ],
)
def test_readme_python_block_runs(line: int, source: str, tmp_path: Path) -> None:
    if IN_SUBPROCESS & set(imported_optional(source)):
        missing = [n for n in imported_optional(source) if importlib.util.find_spec(n) is None]
        if missing:
            pytest.skip(f"README.md:{line} needs {missing}")
        done = subprocess.run(
            [sys.executable, "-c", source], cwd=tmp_path, capture_output=True, text=True
        )
        assert done.returncode == 0, f"README.md:{line} (line numbers from 1):\n{done.stderr}"
        return
    for name in imported_optional(source):
        pytest.importorskip(name)
    code = compile(source, f"README.md:{line}", "exec")
    exec(code, {"__name__": f"readme_block_{line}"})


def test_readme_has_exactly_two_setup_commands() -> None:
    text = README.read_text(encoding="utf-8")
    setup = text.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    commands = [m.group(2).strip() for m in FENCE.finditer(setup)]
    assert len(commands) == 2, commands
    assert commands[0].startswith(TEST_COMMAND_START)
    assert commands[0].endswith("warmcos demo")
    assert commands[1].startswith(TEST_COMMAND_START)


def test_ci_runs_the_readme_test_command() -> None:
    """Each `&&` part of README's test command is a command line of .ci/run, in order."""
    (command,) = [
        source.strip()
        for _, source in code_blocks("bash")
        if source.strip().startswith(TEST_COMMAND_START)
        and source.strip().endswith("python -m pytest")
    ]
    parts = [part.strip() for part in command.split("&&")]
    # A command line of .ci/run, less any `|| status=$?` that records its exit code.
    ci_lines = [
        " ".join(line.split("||")[0].split())
        for line in CI_RUN.read_text(encoding="utf-8").splitlines()
        if not line.lstrip().startswith("#")
    ]
    positions = []
    for part in parts:
        hits = [i for i, line in enumerate(ci_lines) if line == " ".join(part.split())]
        assert hits, f".ci/run does not run README's {part!r}"
        positions.append(hits[0])
    assert positions == sorted(positions), "README's commands run in another order in .ci/run"


def test_ci_run_is_strict_and_executable() -> None:
    text = CI_RUN.read_text(encoding="utf-8")
    assert "set -euo pipefail" in text
    assert CI_RUN.stat().st_mode & 0o111
    for check in ("ruff check .", "ruff format --check .", "mypy"):
        assert re.search(rf"^\s*(run )?{re.escape(check)}\s*$", text, re.MULTILINE), check
