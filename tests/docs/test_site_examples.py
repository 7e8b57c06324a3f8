"""Every ```python block of the documentation site runs (```py marks a fragment, not run).

As for README.md (tests/docs/test_readme.py): a block that imports a framework that is not
installed is skipped; blocks that import Keras or a trainer run in a fresh interpreter (Keras
fixes its backend, and TensorFlow and Lightning their global state, when first imported) and
are marked slow.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from docs_site_helpers import DOCS, pages

FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<lang>\w*)[^\n]*\n(?P<body>.*?)^(?P=indent)```", re.M | re.S
)
OPTIONAL = (
    "torch",
    "jax",
    "optax",
    "keras",
    "tensorflow",
    "transformers",
    "accelerate",
    "lightning",
    "matplotlib",
)
IN_SUBPROCESS = {"keras", "tensorflow", "lightning", "transformers", "accelerate"}


def python_blocks() -> list[tuple[str, str]]:
    blocks = []
    for page in pages():
        text = page.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            if match.group("lang") == "python":
                line = text.count("\n", 0, match.start()) + 2
                name = f"{page.relative_to(DOCS).as_posix()}:{line}"
                blocks.append((name, textwrap.dedent(match.group("body"))))
    return blocks


BLOCKS = python_blocks()


def imported(source: str) -> set[str]:
    return set(re.findall(r"^\s*(?:import|from)\s+(\w+)", source, re.MULTILINE))


def test_the_guides_hold_runnable_examples() -> None:
    assert len(BLOCKS) >= 15
    assert any(name.startswith("guides/pytorch.md") for name, _ in BLOCKS)


@pytest.mark.parametrize(
    "name, source",
    [
        pytest.param(
            name,
            source,
            id=name,
            marks=[pytest.mark.slow] if IN_SUBPROCESS & imported(source) else [],
        )
        for name, source in BLOCKS
    ],
)
def test_docs_python_block_runs(name: str, source: str, tmp_path: Path) -> None:
    missing = [n for n in OPTIONAL if n in imported(source) and importlib.util.find_spec(n) is None]
    if missing:
        pytest.skip(f"{name} needs {missing}")
    if IN_SUBPROCESS & imported(source):
        done = subprocess.run(
            [sys.executable, "-c", source],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, f"{name}:\n{done.stderr[-4000:]}"
        return
    code = compile(source, name, "exec")
    exec(code, {"__name__": f"docs_block_{name}"})
