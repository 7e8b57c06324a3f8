"""``warmcos.keras`` on each Keras 3 backend: TensorFlow, JAX and torch.

Keras fixes its backend when it is first imported, so every backend runs in its own fresh
interpreter: ``KERAS_BACKEND=<backend> python tests/keras/keras_backend_checks.py check DIR``
runs all checks for that backend and prints one JSON line; the tests below each assert one check
of it.
The three backends run concurrently (one module-scoped fixture), which keeps this file near the
time of the slowest backend. The main pytest process never imports Keras.

What each backend process checks (see ``keras_backend_checks.py``):

- ``values_eager``: every schedule kind at int32/int64 and float32/float64 step tensors (int64
  on JAX built in 64-bit mode; float64 not on JAX) equals the float64 core within float32
  rounding (relative 1e-6; 1e-12 absolute at zero);
- ``values_steps_per_unit_and_horizon``: ``lr(step) == schedule(min(step / steps_per_unit,
  horizon))``;
- ``restart_boundaries_1e8``: restarts of ``cycle_mult=1.5`` schedules (integer and geometric
  rule, with and without warm-up) near 10**8 land on their exact integer step, the cycle starts
  being walked independently in integers / exact rationals;
- ``values_compiled``: the same grid inside ``tf.function(jit_compile=True)`` (and plain
  ``tf.function``) on TF, ``jax.jit`` on JAX (skipped on torch);
- ``fit``: ``model.fit`` of a small MLP (``jit_compile=True`` on TF and JAX) and the optimizer's
  LR read back after N steps equals schedule(N); ``fit_applies_schedule_each_step``: a model
  whose gradient is 1 shows that the compiled train step used schedule(k) at every update k;
- ``save``: ``model.save`` of models using ``LearningRateSchedule`` and
  ``CosineAnnealingLRScheduler``; a NEW process that imports only ``keras`` and
  ``warmcos.keras`` loads them with ``keras.models.load_model`` (no ``custom_objects``), on the
  same backend and on the next one;
- ``config_round_trip``: ``get_config``/``from_config`` and ``serialize_keras_object`` through
  JSON for every schedule kind and both classes;
- ``seed_semantics`` / ``seed_validation``: the seed class against SEED.md's fixed formulas
  (an independent reference) and its argument errors.
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

HERE = Path(__file__).resolve().parent
HELPER = HERE / "keras_backend_checks.py"
BACKENDS = ("tensorflow", "jax", "torch")
CHECKS = (
    "values_eager",
    "values_steps_per_unit_and_horizon",
    "restart_boundaries_1e8",
    "values_compiled",
    "fit",
    "fit_applies_schedule_each_step",
    "save",
    "config_round_trip",
    "seed_semantics",
    "seed_validation",
)
TIMEOUT = 300


def _env(backend: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="0")
    env.pop("XLA_FLAGS", None)
    return env


class Run:
    """A helper process whose output goes to files (pipes would stall concurrent runs)."""

    def __init__(self, backend: str, logs: Path, *args: str) -> None:
        self.out, self.err = logs / f"{args[0]}.out", logs / f"{args[0]}.err"
        with self.out.open("w") as out, self.err.open("w") as err:
            self.process = subprocess.Popen(
                [sys.executable, str(HELPER), *args],
                env=_env(backend),
                stdout=out,
                stderr=err,
                text=True,
            )


def _result(run: Run, what: str) -> dict[str, Any]:
    process = run.process
    try:
        process.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return {"error": f"{what}: timed out after {TIMEOUT} s\n{run.err.read_text()[-3000:]}"}
    out, err = run.out.read_text(), run.err.read_text()
    lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
    if not lines:
        return {"error": f"{what}: exit {process.returncode}, no result\n{err[-3000:]}"}
    return dict(json.loads(lines[-1][len("RESULT ") :]), returncode=process.returncode)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every backend's checks, then every backend's loads, each in fresh processes."""
    dirs = {b: tmp_path_factory.mktemp(f"keras_{b}") for b in BACKENDS}
    checking = {b: Run(b, dirs[b], "check", str(dirs[b])) for b in BACKENDS}
    checks = {b: _result(p, f"{b} checks") for b, p in checking.items()}
    saved: dict[str, dict[str, Any]] = {}
    for backend, result in checks.items():
        save = result.get("checks", {}).get("save", {})
        if save.get("ok"):
            saved[backend] = save["detail"]
    loading = {}
    for index, backend in enumerate(BACKENDS):
        # Load this backend's files and the previous backend's (a .keras file is portable).
        sources = [b for b in (backend, BACKENDS[index - 1]) if b in saved]
        paths = [saved[b][kind]["path"] for b in sources for kind in ("lrs", "seed")]
        if paths:
            loading[backend] = Run(backend, dirs[backend], "load", *paths)
    loads = {b: _result(p, f"{b} loads") for b, p in loading.items()}
    return {"checks": checks, "saved": saved, "loads": loads}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("check", CHECKS)
def test_backend_check(runs: dict[str, Any], backend: str, check: str) -> None:
    result = runs["checks"][backend]
    assert "error" not in result, result.get("error")
    assert result["backend"] == backend
    outcome = result["checks"][check]
    detail = outcome["detail"]
    if outcome["ok"] and isinstance(detail, dict) and "skipped" in detail:
        pytest.skip(detail["skipped"])
    assert outcome["ok"], f"{backend} / {check}:\n{detail}"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["lrs", "seed"])
def test_load_model_restores_schedule_without_custom_objects(
    runs: dict[str, Any], backend: str, kind: str
) -> None:
    """A new process (only `import warmcos.keras`) restores the optimizer's schedule."""
    if backend not in runs["saved"]:
        pytest.fail(f"{backend} did not save its models (see the `save` check)")
    loaded_by = {b: r for b, r in runs["loads"].items() if "loaded" in r}
    errors = {b: r["error"] for b, r in runs["loads"].items() if "error" in r}
    assert not errors, errors
    saved = runs["saved"][backend][kind]
    index = BACKENDS.index(backend)
    readers = [backend, BACKENDS[(index + 1) % len(BACKENDS)]]
    for reader in readers:
        assert reader in loaded_by, f"{reader} did not load"
        loaded = loaded_by[reader]["loaded"][saved["path"]]
        where = f"saved on {backend}, loaded on {reader}"
        assert loaded["class"] == saved["class"], where
        assert loaded["module"] == "warmcos.keras", where
        assert loaded["config"] == saved["config"], where
        assert loaded["schedule"] == saved["schedule"], where
        assert loaded["iterations"] == saved["iterations"], where
        if reader == backend:
            assert loaded["values"] == saved["values"], where
        else:
            for got, want in zip(loaded["values"], saved["values"], strict=True):
                assert abs(got - want) <= 1e-6 * abs(want) + 1e-12, (where, got, want)
