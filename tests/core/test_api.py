"""The public surface: names, immutability, equality, repr, return types, import footprint."""

from __future__ import annotations

import dataclasses
import inspect
import json
import subprocess
import sys
import textwrap
from typing import Any

import numpy as np
import pytest
import torch

import warmcos

FACTORIES = {
    "cosine": "Cosine",
    "cosine_restarts": "CosineRestarts",
    "constant": "Constant",
    "linear": "Linear",
    "step": "Step",
    "multistep": "MultiStep",
    "exponential": "Exponential",
    "wsd": "WSD",
    "join": "Join",
}

EXAMPLES: dict[str, warmcos.Schedule] = {
    "cosine": warmcos.cosine(peak=3e-4, steps=10000, warmup=500, warmup_start=1e-5),
    "cosine_restarts": warmcos.cosine_restarts(
        peak=1.0,
        first_cycle=110,
        floor=0.1,
        cycle_mult=1.5,
        gamma=0.5,
        warmup=10,
        warmup_start=0.2,
        max_cycles=4,
        warmup_cycles="first",
        cycle_rule="geometric",
        gamma_mode="amplitude",
    ),
    "constant": warmcos.constant(0.25),
    "linear": warmcos.linear(0.0, 1.0, 100),
    "step": warmcos.step(1.0, 30, 0.5),
    "multistep": warmcos.multistep(1.0, [30, 60, 90], 0.5),
    "exponential": warmcos.exponential(1.0, 0.99),
    "wsd": warmcos.wsd(peak=1.0, steps=1000, warmup=0.05, decay=0.2, shape="sqrt"),
    "join": warmcos.join(
        [warmcos.linear(0.1, 1.0, 10), warmcos.cosine(peak=1.0, steps=90, floor=0.1)], [10]
    ),
}
ALL = list(EXAMPLES.values())
IDS = list(EXAMPLES)


def test_public_names_exist() -> None:
    for factory, cls in FACTORIES.items():
        assert callable(getattr(warmcos, factory))
        assert isinstance(getattr(warmcos, cls), type)
        assert issubclass(getattr(warmcos, cls), warmcos.Schedule)
    assert callable(warmcos.from_dict)
    assert callable(warmcos.parse)
    assert isinstance(warmcos.Schedule, type)


@pytest.mark.parametrize("factory", list(FACTORIES))
def test_factory_builds_its_frozen_dataclass_with_the_same_fields(factory: str) -> None:
    cls = getattr(warmcos, FACTORIES[factory])
    s = EXAMPLES[factory]
    assert type(s) is cls
    assert isinstance(s, warmcos.Schedule)
    assert dataclasses.is_dataclass(cls)
    assert cls.__dataclass_params__.frozen
    fields = {f.name for f in dataclasses.fields(cls)}
    assert fields == set(inspect.signature(getattr(warmcos, factory)).parameters)


@pytest.mark.parametrize("s", ALL, ids=IDS)
def test_schedules_are_immutable(s: warmcos.Schedule) -> None:
    name = dataclasses.fields(s)[0].name
    with pytest.raises(AttributeError):
        setattr(s, name, 123)
    with pytest.raises(AttributeError):
        s.something_new = 1  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        delattr(s, name)


def test_given_lengths_are_kept() -> None:
    s = EXAMPLES["wsd"]
    assert (s.warmup, s.decay) == (0.05, 0.2)
    assert "warmup=0.05" in repr(s)
    c = warmcos.cosine(peak=1.0, steps=100, warmup=0.1)
    assert c.warmup == 0.1
    assert "warmup=0.1" in repr(c)


@pytest.mark.parametrize("s", ALL, ids=IDS)
def test_equal_and_hashable(s: warmcos.Schedule) -> None:
    twin = warmcos.from_dict(s.to_dict())
    assert twin == s
    assert twin is not s
    assert hash(twin) == hash(s)
    assert len({s, twin}) == 1
    assert {s: 1}[twin] == 1


def test_equality_follows_the_parameters() -> None:
    a = warmcos.cosine(peak=1.0, steps=10)
    assert a == warmcos.cosine(1.0, 10)
    assert a == warmcos.cosine(peak=1.0, steps=10, floor=0.0, warmup=0, warmup_start=0.0)
    assert a != warmcos.cosine(peak=1.0, steps=11)
    assert a != warmcos.cosine(peak=1.0, steps=10, floor=0.5)
    assert a != warmcos.constant(1.0)
    assert warmcos.multistep(1.0, [10, 20]) == warmcos.multistep(1.0, (10, 20))
    assert hash(warmcos.multistep(1.0, [10, 20])) == hash(warmcos.multistep(1.0, (10, 20)))
    assert len({EXAMPLES[k] for k in EXAMPLES}) == len(EXAMPLES)


def test_repr_is_the_factory_call() -> None:
    s = warmcos.cosine(peak=0.0003, steps=10000, warmup=500)
    text = repr(s)
    assert text.startswith("cosine(") and text.endswith(")")
    for part in ("peak=0.0003", "steps=10000", "warmup=500"):
        assert part in text
    namespace = dict(vars(warmcos))
    for factory, example in EXAMPLES.items():
        assert repr(example).startswith(factory + "(")
        assert eval(repr(example), namespace) == example
        assert warmcos.parse(repr(example)) == example
    assert "cosine(" in repr(EXAMPLES["join"]) and "linear(" in repr(EXAMPLES["join"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cosine(0.001, 1000, warmup=100)", warmcos.cosine(0.001, 1000, warmup=100)),
        ("cosine(peak=1e-3, steps=1000)", warmcos.cosine(peak=0.001, steps=1000)),
        ("  constant( value = 0.5 )  ", warmcos.constant(0.5)),
        ("multistep(1.0, [30, 60], gamma=0.5)", warmcos.multistep(1.0, [30, 60], 0.5)),
        (
            "cosine_restarts(1.0, 100, cycle_rule=\"geometric\", gamma_mode='scale')",
            warmcos.cosine_restarts(1.0, 100, cycle_rule="geometric", gamma_mode="scale"),
        ),
        (
            "join([constant(1.0), cosine(peak=1.0, steps=10)], [5])",
            warmcos.join([warmcos.constant(1.0), warmcos.cosine(peak=1.0, steps=10)], [5]),
        ),
        (
            "join(schedules=[constant(1.0), join([constant(0.5), linear(0.5, 0.0, 4)], [2])],"
            " boundaries=[3])",
            warmcos.join(
                [
                    warmcos.constant(1.0),
                    warmcos.join([warmcos.constant(0.5), warmcos.linear(0.5, 0.0, 4)], [2]),
                ],
                [3],
            ),
        ),
    ],
    ids=["positional", "exponent", "spaces", "list", "strings", "join", "nested-join"],
)
def test_parse_reads_the_compact_spec(text: str, expected: warmcos.Schedule) -> None:
    assert warmcos.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cosine_restarts(1.0, 100, max_cycles=None)", warmcos.cosine_restarts(1.0, 100)),
        (
            "cosine_restarts(1.0, 100, warmup=10, warmup_start=None, max_cycles=3)",
            warmcos.cosine_restarts(1.0, 100, warmup=10, max_cycles=3),
        ),
    ],
)
def test_parse_reads_none(text: str, expected: warmcos.Schedule) -> None:
    assert warmcos.parse(text) == expected


def test_parse_reads_true_and_false() -> None:
    # No parameter takes a bool, so True/False parse and are then refused as numbers (TypeError).
    for text in ("constant(True)", "constant(value=False)"):
        with pytest.raises(TypeError, match="value"):
            warmcos.parse(text)


def test_parse_round_trips_explicit_defaults() -> None:
    s = warmcos.cosine_restarts(
        peak=1.0,
        first_cycle=100,
        floor=0.0,
        cycle_mult=1.0,
        gamma=1.0,
        warmup=0,
        warmup_start=None,
        max_cycles=None,
        warmup_cycles="every",
        cycle_rule="integer",
        gamma_mode="peak",
    )
    text = (
        "cosine_restarts(peak=1.0, first_cycle=100, floor=0.0, cycle_mult=1.0, gamma=1.0,"
        " warmup=0, warmup_start=None, max_cycles=None, warmup_cycles='every',"
        " cycle_rule='integer', gamma_mode='peak')"
    )
    assert warmcos.parse(text) == s == warmcos.cosine_restarts(1.0, 100)


@pytest.mark.parametrize("s", ALL, ids=IDS)
def test_to_dict_is_plain_json_data(s: warmcos.Schedule) -> None:
    d = s.to_dict()
    assert d["type"] == repr(s).split("(")[0]

    def plain(x: Any) -> bool:
        if isinstance(x, dict):
            return all(isinstance(k, str) and plain(v) for k, v in x.items())
        if isinstance(x, list):
            return all(plain(v) for v in x)
        return x is None or type(x) in (bool, int, float, str)

    assert plain(d), d
    assert warmcos.from_dict(json.loads(json.dumps(d, allow_nan=False))) == s


# return types ---------------------------------------------------------------------------------


@pytest.mark.parametrize("s", ALL, ids=IDS)
@pytest.mark.parametrize(
    "t", [0, 3, 2.5, 10**12, np.int64(7), np.int32(7), np.float64(2.5), np.float32(2.5)]
)
def test_scalar_returns_a_python_float(s: warmcos.Schedule, t: Any) -> None:
    v = s(t)
    assert type(v) is float
    assert v == s(float(t))


@pytest.mark.parametrize("s", ALL, ids=IDS)
@pytest.mark.parametrize(
    "arr",
    [
        np.arange(5),
        np.arange(5, dtype=np.int32),
        np.linspace(0.0, 200.0, 7),
        np.linspace(0.0, 200.0, 6, dtype=np.float32),
        np.arange(12, dtype=np.int64).reshape(3, 4) * 17,
        np.array([], dtype=np.float64),
        np.array(5.0),
    ],
    ids=["int64", "int32", "float64", "float32", "2d", "empty", "0d"],
)
def test_ndarray_returns_float64_of_the_same_shape(s: warmcos.Schedule, arr: np.ndarray) -> None:
    before = arr.copy()
    out = s(arr)
    assert isinstance(out, np.ndarray)
    assert out.dtype == np.float64
    assert out.shape == arr.shape
    np.testing.assert_array_equal(arr, before)  # the input is not modified
    expected = [s(float(t)) for t in arr.reshape(-1).tolist()]
    np.testing.assert_allclose(out.reshape(-1), expected, rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("s", ALL, ids=IDS)
@pytest.mark.parametrize(
    ("dtype", "out_dtype"),
    [
        (torch.int64, torch.float64),
        (torch.int32, torch.float64),
        (torch.float64, torch.float64),
        (torch.float32, torch.float32),
        (torch.float16, torch.float16),
    ],
)
def test_tensor_dtype(s: warmcos.Schedule, dtype: torch.dtype, out_dtype: torch.dtype) -> None:
    t = torch.arange(0, 238, 17).to(dtype).reshape(2, -1)
    out = s(t)
    assert isinstance(out, torch.Tensor)
    assert out.dtype == out_dtype
    assert out.shape == t.shape
    expected = np.array([s(float(x)) for x in t.reshape(-1).tolist()]).reshape(2, -1)
    tol = {torch.float64: 1e-15, torch.float32: 1e-6, torch.float16: 1e-2}[out_dtype]
    np.testing.assert_allclose(out.double().numpy(), expected, rtol=tol, atol=tol)


# the import footprint -------------------------------------------------------------------------

FRAMEWORKS = ("torch", "jax", "jaxlib", "tensorflow", "keras", "optax", "matplotlib")


def _modules_after(code: str) -> list[str]:
    probe = "\n".join(
        [
            "import sys",
            textwrap.dedent(code),
            f"bad = {FRAMEWORKS!r}",
            'print(sorted(m for m in sys.modules if m.split(".")[0] in bad))',
        ]
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return eval(done.stdout.strip().splitlines()[-1])


def test_import_pulls_in_no_framework() -> None:
    assert _modules_after("import warmcos") == []


def test_evaluating_on_floats_and_ndarrays_pulls_in_no_framework() -> None:
    code = textwrap.dedent(
        """
        import numpy as np
        import warmcos
        s = warmcos.parse("join([linear(0.0, 1.0, 10), cosine_restarts(1.0, 100)], [10])")
        s(3); s(2.5); s(np.arange(10)); warmcos.from_dict(s.to_dict()); repr(s)
        """
    )
    assert _modules_after(code) == []
