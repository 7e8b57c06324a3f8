"""``warmcos.keras.change_budget`` and ``ChangeBudget`` on each Keras 3 backend.

Keras fixes its backend when it is first imported, so each backend (TensorFlow, JAX, torch) runs
``keras_budget_checks.py`` in its own fresh interpreter (all three at once, one module-scoped
fixture); the main pytest process never imports Keras. What each process checks (see that
script's docstring for the model whose weight shows the learning rate really applied):

- ``running_fit``: a cosine planned for 40 updates; a ``ChangeBudget(80, at_epoch=2)`` callback
  changes it at update 20, inside one ``fit`` with a compiled train step (``jit_compile=True`` on
  TF and JAX). The LR read back at every update equals the old schedule before update 20, is
  continuous there, and follows ``warmcos.change_budget(old, 20, 80)`` after it, in float32
  tolerance; the weight proves the compiled step used those values (it would not without the
  retrace); the LR after the last update is the floor.
- ``resumed_fit``: saved after 20 updates, loaded, changed (by ``change_budget(model, 80)`` and,
  separately, by a ``ChangeBudget(80)`` acting at the start of the resumed ``fit``), fitted to
  update 80: the same checks; then saved and loaded again, the optimizer holds the changed
  schedule.
- ``refusals``: bad `steps` / `at` / targets raise with the argument named, and leave the
  optimizer's schedule as it was.
- ``plateau_fit``: ``ReduceOnPlateau`` on a ``plateau(cosine(...))`` fed scripted scores records
  its reductions at the update counts worked out by hand, the compiled step uses them (the
  weight), ``model.save`` keeps the reductions and the bookkeeping, and a loaded model continues
  them; a schedule without a plateau and a missing metric are reported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

HELPER = Path(__file__).resolve().parent / "keras_budget_checks.py"
BACKENDS = ("tensorflow", "jax", "torch")
CHECKS = ("running_fit", "resumed_fit", "refusals", "plateau_fit")
TIMEOUT = 300


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every backend's checks, run concurrently (output to files: pipes could stall)."""
    runs = {}
    for backend in BACKENDS:
        folder = tmp_path_factory.mktemp(f"keras_budget_{backend}")
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
        env.pop("XLA_FLAGS", None)
        out, err = (folder / "out.txt").open("w"), (folder / "err.txt").open("w")
        with out, err:
            process = subprocess.Popen(
                [sys.executable, str(HELPER), str(folder)], env=env, stdout=out, stderr=err
            )
        runs[backend] = (process, folder)
    found = {}
    for backend, (process, folder) in runs.items():
        try:
            process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        out, err = (folder / "out.txt").read_text(), (folder / "err.txt").read_text()
        lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
        if lines:
            found[backend] = json.loads(lines[-1][len("RESULT ") :])
        else:
            found[backend] = {"error": f"exit {process.returncode}, no result\n{err[-3000:]}"}
    return found


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("check", CHECKS)
def test_change_budget_on_each_backend(results: dict[str, Any], backend: str, check: str) -> None:
    result = results[backend]
    assert "error" not in result, result.get("error")
    assert result["backend"] == backend
    outcome = result["checks"][check]
    assert outcome["ok"], f"{backend} / {check}:\n{outcome['detail']}"
