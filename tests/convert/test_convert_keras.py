"""Keras' schedules read as warmcos schedules, against the LIVE Keras over whole runs.

Keras runs in ONE subprocess (``keras_convert_checks.py``) with ``KERAS_BACKEND=tensorflow`` for
all cases, so this pytest process never imports Keras. There each schedule is built from its
config with float64 learning rates, so Keras computes in float64, and evaluated at every step of
its run (warm-up, decay, every restart of the first cycles, past the end); here the readings of
the same configs (``read_config``, not importing Keras) are compared with those values at
1e-12 relative to the run's largest LR. A float32 Keras run (the default dtype) differs from
both by float32 rounding: the float32 parity tests (tests/keras/) allow ``1e-6 |ours| + 4e-7
peak`` for that. 50 random configurations per class, from seeded NumPy generators, so a failure
names its seed. A few configurations are also read as objects in the subprocess (and through
``warmcos.convert`` once it exists), and one is saved in a compiled model's ``.keras`` file and
read back with ``read_keras_file``.

Argument mappings (the reader's docstring says them in full): ``CosineDecay(I, D, alpha=a,
warmup_target=P, warmup_steps=W)`` -> ``cosine(peak=P, steps=W + D, floor=a * P, warmup=W,
warmup_start=I)``; ``CosineDecayRestarts(I, F, t_mul, m_mul, alpha)`` -> ``cosine_restarts(
peak=I, first_cycle=F, floor=alpha * I, cycle_mult=t_mul, gamma=m_mul, cycle_rule="geometric",
gamma_mode="amplitude")``; ``ExponentialDecay`` -> ``exponential``; ``PiecewiseConstantDecay(b,
v)`` -> ``piecewise_constant([floor(b) + 1 ...], v)``; ``PolynomialDecay`` -> ``polynomial``;
``InverseTimeDecay`` -> ``inverse_time``.

Keras' ``CosineDecayRestarts`` finds the cycle with a logarithm and can land one cycle early at
an exact restart: the reading marks exact restarts ``unreliable``; there Keras gives the restart's
peak or the previous cycle's floor, and warmcos the peak (checked below).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from warmcos._convert.keras_schedules import read, read_config, read_keras_file

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
SEEDS = range(50)
RTOL = 1e-12
CLASSES = (
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "InverseTimeDecay",
)


def _case(class_name: str, seed: int) -> dict[str, Any]:
    """A random configuration of `class_name`, and the length of its run."""
    rng = np.random.default_rng(hash(class_name) % 1000 * 100 + seed)
    lr = float(rng.uniform(1e-4, 1))
    if class_name == "CosineDecay":
        steps = int(rng.integers(1, 300))
        config: dict[str, Any] = dict(
            initial_learning_rate=lr, decay_steps=steps, alpha=float(rng.uniform(0, 1))
        )
        if seed % 2:
            warmup = int(rng.integers(0, 100))
            config.update(warmup_target=float(rng.uniform(1e-4, 1)), warmup_steps=warmup)
            return dict(config=config, n=warmup + steps + 20)
        return dict(config=config, n=steps + 20)
    if class_name == "CosineDecayRestarts":
        first = int(rng.integers(1, 30))
        mul = float(rng.choice([1.0, 2.0, 3.0, 1.5, rng.uniform(1, 3)]))
        config = dict(
            initial_learning_rate=lr,
            first_decay_steps=first,
            t_mul=mul,
            m_mul=float(rng.choice([1.0, rng.uniform(0.2, 1)])),
            alpha=float(rng.choice([0.0, rng.uniform(0, 1)])),
        )
        reach = first * 5 if mul == 1 else first * (mul**5 - 1) / (mul - 1)
        return dict(config=config, n=min(int(reach) + 5, 4000))
    if class_name == "ExponentialDecay":
        steps = int(rng.integers(1, 100)) if seed % 3 else float(rng.uniform(0.5, 100))
        config = dict(
            initial_learning_rate=lr,
            decay_steps=steps,
            decay_rate=float(rng.uniform(0.01, 1)),
            staircase=bool(rng.integers(2)),
        )
        return dict(config=config, n=int(4 * steps) + 10)
    if class_name == "PiecewiseConstantDecay":
        count = int(rng.integers(1, 8))
        if seed % 2:
            boundaries = sorted(rng.integers(-3, 200, count).tolist())  # repeats and < 0 too
        else:
            boundaries = sorted(float(b) for b in rng.uniform(-3, 200, count))
        config = dict(
            boundaries=boundaries, values=[float(v) for v in rng.uniform(0, 1, count + 1)]
        )
        return dict(config=config, n=int(max(boundaries)) + 10)
    if class_name == "PolynomialDecay":
        steps = int(rng.integers(1, 300))
        cycle = bool(rng.integers(2))
        config = dict(
            initial_learning_rate=lr,
            decay_steps=steps,
            end_learning_rate=float(rng.uniform(0, 1)),
            power=float(rng.choice([1.0, 2.0, 0.5, rng.uniform(0.1, 5)])),
            cycle=cycle,
        )
        return dict(config=config, n=(4 if cycle else 1) * steps + 20)
    steps = int(rng.integers(1, 100))
    config = dict(
        initial_learning_rate=lr,
        decay_steps=steps,
        decay_rate=float(rng.uniform(0, 3)),
        staircase=bool(rng.integers(2)),
    )
    return dict(config=config, n=4 * steps + 10)


CASES = [
    dict(class_name=name, seed=seed, **_case(name, seed)) for name in CLASSES for seed in SEEDS
]
for _index, _case_item in enumerate(CASES):
    _case_item["as_object"] = _case_item["seed"] < 2


@pytest.fixture(scope="module")
def keras_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every case through the live Keras, in one subprocess."""
    pytest.importorskip("tensorflow")
    folder = tmp_path_factory.mktemp("keras_convert")
    source, target = folder / "cases.json", folder / "results.json"
    source.write_text(json.dumps(CASES))
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run(
        [sys.executable, str(HERE / "keras_convert_checks.py"), str(source), str(target), folder],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results: dict[str, Any] = json.loads(target.read_text())
    results["folder"] = folder
    return results


def _compare(reading: Any, peer: list[float], label: str) -> None:
    steps = np.arange(len(peer))
    theirs = np.asarray(peer, dtype=np.float64)
    ours = reading.schedules[0](steps.astype(np.float64))
    unreliable = (
        reading.unreliable(steps) if reading.unreliable else np.zeros(steps.size, dtype=bool)
    )
    scale = max(float(np.abs(theirs).max()), 1e-300)
    diff = np.abs(theirs - ours)
    diff[unreliable] = 0.0
    worst = int(np.argmax(diff))
    assert diff[worst] <= RTOL * scale, (
        f"{label}: {reading.schedules[0]!r}: |keras - warmcos| = {diff[worst]:.3e} at step "
        f"{worst}: keras={theirs[worst]!r}, warmcos={ours[worst]!r}"
    )
    # At an exact restart Keras gives the restart's peak or, one cycle early, the previous
    # cycle's floor (alpha * I); warmcos gives the peak, never below Keras.
    for t in steps[unreliable]:
        at_peak = abs(theirs[t] - ours[t]) <= RTOL * scale
        assert at_peak or ours[t] > theirs[t], (label, int(t))


@pytest.mark.parametrize("index", range(len(CASES)))
def test_reading_matches_live_keras(index: int, keras_run: dict[str, Any]) -> None:
    case = CASES[index]
    label = f"{case['class_name']} seed {case['seed']}"
    reading = read_config({"class_name": case["class_name"], "config": case["config"]})
    assert reading.source == f"keras.optimizers.schedules.{case['class_name']}"
    assert reading.position == 0
    _compare(reading, keras_run["peers"][index], label)
    # A get_config() dict reads the same, by class_name.
    again = read_config(case["config"], class_name=case["class_name"])
    assert again.schedules == reading.schedules


def test_objects_read_in_keras_match_their_configs(keras_run: dict[str, Any]) -> None:
    chosen = [case for case in CASES if case["as_object"]]
    assert len(keras_run["objects"]) == len(chosen) == 2 * len(CLASSES)
    for case, result in zip(chosen, keras_run["objects"], strict=True):
        expected = read_config({"class_name": case["class_name"], "config": case["config"]})
        assert result["schedules"] == [repr(s) for s in expected.schedules]
        assert result["source"] == expected.source
        # The reader's own sampler (Keras, float64, on a schedule built anew) gives the run.
        peer = keras_run["peers"][CASES.index(case)]
        np.testing.assert_allclose(result["sampled"][0], peer, rtol=0, atol=1e-15)
        # The forms a saved model holds: get_config() (named by its "name") and serialized.
        assert read_config(result["config"]).schedules == expected.schedules
        assert read_config(result["serialized"]).schedules == expected.schedules
        if result["converted"] is not None:
            assert result["converted"] == repr(expected.schedules[0])


def test_saved_keras_model_converts_without_keras(keras_run: dict[str, Any]) -> None:
    path = keras_run["folder"] / "m.keras"
    with zipfile.ZipFile(path) as archive:
        assert "config.json" in archive.namelist()
    reading = read_keras_file(path)
    case = CASES[0]
    assert reading.source == f"keras.optimizers.schedules.{case['class_name']}"
    _compare(reading, keras_run["peers"][0], "saved model")
    # Reading the file needs no Keras.
    code = (
        "import sys; from warmcos._convert.keras_schedules import read_keras_file; "
        f"read_keras_file({str(path)!r}); assert 'keras' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_restart_slip_in_float64_is_marked() -> None:
    # t_mul=3: log(243) / log(3) is 4.999... in float64, so Keras may put the start of cycle 5
    # (step 10 * (3**5 - 1) / 2 = 1210) in cycle 4. Exact restarts are marked, nothing else.
    reading = read_config(
        {
            "class_name": "CosineDecayRestarts",
            "config": {"initial_learning_rate": 0.1, "first_decay_steps": 10, "t_mul": 3.0},
        }
    )
    assert reading.unreliable is not None
    marked = np.flatnonzero(reading.unreliable(np.arange(1300)))
    assert marked.tolist() == [10, 40, 130, 400, 1210]
    assert reading.schedules[0](1210) == pytest.approx(0.1)


# --- refusals, and what is not Keras' -------------------------------------------------------------


@pytest.mark.parametrize(
    ("class_name", "config", "message"),
    [
        (
            "CosineDecayRestarts",
            dict(initial_learning_rate=0.1, first_decay_steps=10, m_mul=1.5),
            r"CosineDecayRestarts: `m_mul` must be <= 1.*warmcos\.trace",
        ),
        (
            "ExponentialDecay",
            dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=1.1),
            r"ExponentialDecay: `decay_rate` must be <= 1",
        ),
        (
            "PiecewiseConstantDecay",
            dict(boundaries=[10, 5], values=[1.0, 0.5, 0.1]),
            r"PiecewiseConstantDecay: `boundaries` must be sorted",
        ),
        (
            "PiecewiseConstantDecay",
            dict(boundaries=[10], values=[1.0]),
            r"`values` must hold one value more",
        ),
        (
            "CosineDecay",
            dict(initial_learning_rate=0.1, decay_steps=10, alpha=2.0),
            r"CosineDecay cannot be converted: cosine\(\): `floor`.*warmcos\.trace",
        ),
        ("CosineDecay", dict(initial_learning_rate=0.1), r"CosineDecay: the config has no"),
    ],
)
def test_unconvertible_configs_are_refused(
    class_name: str, config: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        read_config({"class_name": class_name, "config": config})


def test_unknown_configs_and_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"`class_name` must be one of CosineDecay"):
        read_config({"class_name": "MySchedule", "config": {}})
    with pytest.raises(ValueError, match=r"`class_name` must be one of"):
        read_config({"initial_learning_rate": 0.1, "decay_steps": 10, "name": "mine"})
    bad = tmp_path / "x.keras"
    bad.write_text("not a zip")
    with pytest.raises(ValueError, match=r"is not a \.keras model file"):
        read_keras_file(bad)
    constant = tmp_path / "c.keras"
    with zipfile.ZipFile(constant, "w") as archive:
        optimizer = {"class_name": "SGD", "config": {"learning_rate": 0.01}}
        archive.writestr("config.json", json.dumps({"compile_config": {"optimizer": optimizer}}))
    with pytest.raises(ValueError, match=r"constant learning rate 0\.01: warmcos\.constant"):
        read_keras_file(constant)


def test_other_objects_are_not_keras_s() -> None:
    assert read(object()) is None
    lookalike = type("CosineDecay", (), {"__module__": "mylib.schedules"})
    assert read(lookalike()) is None
