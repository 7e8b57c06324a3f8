"""Invalid arguments raise ValueError/TypeError naming the argument and the received value.

The contract's template is Keras-style: ``cosine(): `warmup` must be < `steps`. Received:
warmup=10, steps=10``. Each case asserts (with ``match=``) that the message contains
``<name>=<value>`` for the offending argument.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
import torch

import warmcos

NAN = math.nan
INF = math.inf


def received(names: str | Sequence[str], *values: Any) -> str:
    """A regex for ``name=value`` (any of ``names``, value shown by repr or str)."""
    names = [names] if isinstance(names, str) else list(names)
    shown: set[str] = set()
    for v in values:
        shown |= {repr(v), str(v)}
        if isinstance(v, list):
            shown |= {repr(tuple(v)), str(tuple(v))}
    name_re = "|".join(re.escape(n) for n in names)
    value_re = "|".join(re.escape(s) for s in sorted(shown, key=len, reverse=True))
    return rf"(?<![\w.])`?(?:{name_re})`?\s*=\s*(?:{value_re})"


def expect(
    exc: type[Exception] | tuple[type[Exception], ...],
    pattern: str,
    factory: Callable[..., Any],
    *args: Any,
    **kwargs: Any,
) -> None:
    with pytest.raises(exc, match=pattern):
        factory(*args, **kwargs)


# per-argument cases: (factory, valid base kwargs, override, exception, names, values) ----------

COSINE = {"peak": 1.0, "steps": 100, "floor": 0.1, "warmup": 10, "warmup_start": 0.2}
RESTARTS = {"peak": 1.0, "first_cycle": 100, "floor": 0.1, "warmup": 10}
WSD = {"peak": 1.0, "steps": 100, "warmup": 10, "decay": 20, "floor": 0.1}

CASES: list[tuple[str, dict[str, Any], dict[str, Any], Any, Any, tuple[Any, ...]]] = [
    # cosine: LR values must be finite and >= 0
    ("cosine", COSINE, {"peak": -1.0}, ValueError, "peak", (-1.0,)),
    ("cosine", COSINE, {"peak": NAN}, ValueError, "peak", (NAN,)),
    ("cosine", COSINE, {"peak": INF}, ValueError, "peak", (INF,)),
    ("cosine", COSINE, {"floor": -0.1}, ValueError, "floor", (-0.1,)),
    ("cosine", COSINE, {"floor": NAN}, ValueError, "floor", (NAN,)),
    ("cosine", COSINE, {"warmup_start": -0.5}, ValueError, "warmup_start", (-0.5,)),
    ("cosine", COSINE, {"warmup_start": INF}, ValueError, "warmup_start", (INF,)),
    ("cosine", COSINE, {"floor": 2.0}, ValueError, "floor", (2.0,)),
    # cosine: lengths
    ("cosine", COSINE, {"warmup": 100}, ValueError, "warmup", (100,)),
    ("cosine", COSINE, {"warmup": 150}, ValueError, "warmup", (150,)),
    ("cosine", COSINE, {"warmup": 100.0}, ValueError, "warmup", (100.0,)),
    ("cosine", COSINE, {"warmup": -5}, ValueError, "warmup", (-5,)),
    ("cosine", COSINE, {"warmup": NAN}, ValueError, "warmup", (NAN,)),
    ("cosine", COSINE, {"steps": 0, "warmup": 0}, ValueError, "steps", (0,)),
    ("cosine", COSINE, {"steps": -10, "warmup": 0}, ValueError, "steps", (-10,)),
    # cosine: wrong types
    ("cosine", COSINE, {"peak": "0.1"}, TypeError, "peak", ("0.1",)),
    ("cosine", COSINE, {"peak": None}, TypeError, "peak", (None,)),
    ("cosine", COSINE, {"peak": True}, TypeError, "peak", (True,)),
    ("cosine", COSINE, {"floor": None}, TypeError, "floor", (None,)),
    ("cosine", COSINE, {"steps": "100"}, TypeError, "steps", ("100",)),
    ("cosine", COSINE, {"steps": None}, TypeError, "steps", (None,)),
    ("cosine", COSINE, {"steps": True}, TypeError, "steps", (True,)),
    ("cosine", COSINE, {"warmup": None}, TypeError, "warmup", (None,)),
    ("cosine", COSINE, {"warmup": False}, TypeError, "warmup", (False,)),
    ("cosine", COSINE, {"warmup_start": "0"}, TypeError, "warmup_start", ("0",)),
    # cosine_restarts
    ("cosine_restarts", RESTARTS, {"peak": -1.0}, ValueError, "peak", (-1.0,)),
    ("cosine_restarts", RESTARTS, {"floor": 1.5}, ValueError, "floor", (1.5,)),
    ("cosine_restarts", RESTARTS, {"warmup_start": -1.0}, ValueError, "warmup_start", (-1.0,)),
    ("cosine_restarts", RESTARTS, {"warmup_start": NAN}, ValueError, "warmup_start", (NAN,)),
    ("cosine_restarts", RESTARTS, {"cycle_mult": 0.5}, ValueError, "cycle_mult", (0.5,)),
    ("cosine_restarts", RESTARTS, {"cycle_mult": 0.0}, ValueError, "cycle_mult", (0.0,)),
    ("cosine_restarts", RESTARTS, {"cycle_mult": NAN}, ValueError, "cycle_mult", (NAN,)),
    ("cosine_restarts", RESTARTS, {"cycle_mult": INF}, ValueError, "cycle_mult", (INF,)),
    ("cosine_restarts", RESTARTS, {"cycle_mult": "2"}, TypeError, "cycle_mult", ("2",)),
    ("cosine_restarts", RESTARTS, {"gamma": 0.0}, ValueError, "gamma", (0.0,)),
    ("cosine_restarts", RESTARTS, {"gamma": -0.5}, ValueError, "gamma", (-0.5,)),
    ("cosine_restarts", RESTARTS, {"gamma": 1.5}, ValueError, "gamma", (1.5,)),
    ("cosine_restarts", RESTARTS, {"gamma": NAN}, ValueError, "gamma", (NAN,)),
    ("cosine_restarts", RESTARTS, {"gamma": None}, TypeError, "gamma", (None,)),
    ("cosine_restarts", RESTARTS, {"warmup": 100}, ValueError, ("warmup", "first_cycle"), (100,)),
    ("cosine_restarts", RESTARTS, {"warmup": 150}, ValueError, "warmup", (150,)),
    ("cosine_restarts", RESTARTS, {"warmup": -1}, ValueError, "warmup", (-1,)),
    ("cosine_restarts", RESTARTS, {"first_cycle": 0, "warmup": 0}, ValueError, "first_cycle", (0,)),
    ("cosine_restarts", RESTARTS, {"first_cycle": None}, TypeError, "first_cycle", (None,)),
    # the integer rule needs whole first_cycle and W
    ("cosine_restarts", RESTARTS, {"first_cycle": 100.5}, ValueError, "first_cycle", (100.5,)),
    ("cosine_restarts", RESTARTS, {"warmup": 2.5}, ValueError, "warmup", (2.5,)),
    # 0.07 * 100 == 7.000000000000001: not a whole number of steps
    (
        "cosine_restarts",
        RESTARTS,
        {"warmup": 0.07},
        ValueError,
        "warmup",
        (0.07, 7.000000000000001),
    ),
    ("cosine_restarts", RESTARTS, {"max_cycles": 0}, ValueError, "max_cycles", (0,)),
    ("cosine_restarts", RESTARTS, {"max_cycles": -2}, ValueError, "max_cycles", (-2,)),
    ("cosine_restarts", RESTARTS, {"max_cycles": True}, TypeError, "max_cycles", (True,)),
    ("cosine_restarts", RESTARTS, {"max_cycles": "3"}, TypeError, "max_cycles", ("3",)),
    (
        "cosine_restarts",
        RESTARTS,
        {"max_cycles": 2.5},
        (TypeError, ValueError),
        "max_cycles",
        (2.5,),
    ),
    (
        "cosine_restarts",
        RESTARTS,
        {"warmup_cycles": "some"},
        ValueError,
        "warmup_cycles",
        ("some",),
    ),
    ("cosine_restarts", RESTARTS, {"cycle_rule": "log"}, ValueError, "cycle_rule", ("log",)),
    ("cosine_restarts", RESTARTS, {"gamma_mode": "cosine"}, ValueError, "gamma_mode", ("cosine",)),
    # constant
    ("constant", {"value": 1.0}, {"value": -1.0}, ValueError, "value", (-1.0,)),
    ("constant", {"value": 1.0}, {"value": NAN}, ValueError, "value", (NAN,)),
    ("constant", {"value": 1.0}, {"value": INF}, ValueError, "value", (INF,)),
    ("constant", {"value": 1.0}, {"value": "1"}, TypeError, "value", ("1",)),
    ("constant", {"value": 1.0}, {"value": None}, TypeError, "value", (None,)),
    ("constant", {"value": 1.0}, {"value": True}, TypeError, "value", (True,)),
    # linear
    (
        "linear",
        {"start": 0.0, "end": 1.0, "steps": 10},
        {"start": -1.0},
        ValueError,
        "start",
        (-1.0,),
    ),
    ("linear", {"start": 0.0, "end": 1.0, "steps": 10}, {"end": NAN}, ValueError, "end", (NAN,)),
    ("linear", {"start": 0.0, "end": 1.0, "steps": 10}, {"steps": 0}, ValueError, "steps", (0,)),
    ("linear", {"start": 0.0, "end": 1.0, "steps": 10}, {"steps": -3}, ValueError, "steps", (-3,)),
    (
        "linear",
        {"start": 0.0, "end": 1.0, "steps": 10},
        {"steps": None},
        TypeError,
        "steps",
        (None,),
    ),
    ("linear", {"start": 0.0, "end": 1.0, "steps": 10}, {"end": "1"}, TypeError, "end", ("1",)),
    # step
    ("step", {"value": 1.0, "step_size": 10}, {"value": -1.0}, ValueError, "value", (-1.0,)),
    ("step", {"value": 1.0, "step_size": 10}, {"step_size": 0}, ValueError, "step_size", (0,)),
    ("step", {"value": 1.0, "step_size": 10}, {"step_size": -5}, ValueError, "step_size", (-5,)),
    ("step", {"value": 1.0, "step_size": 10}, {"gamma": 0.0}, ValueError, "gamma", (0.0,)),
    ("step", {"value": 1.0, "step_size": 10}, {"gamma": 1.5}, ValueError, "gamma", (1.5,)),
    ("step", {"value": 1.0, "step_size": 10}, {"gamma": -0.1}, ValueError, "gamma", (-0.1,)),
    ("step", {"value": 1.0, "step_size": 10}, {"step_size": "10"}, TypeError, "step_size", ("10",)),
    # multistep
    (
        "multistep",
        {"value": 1.0, "milestones": [10]},
        {"milestones": [30, 10]},
        ValueError,
        "milestones",
        ([30, 10],),
    ),
    (
        "multistep",
        {"value": 1.0, "milestones": [10]},
        {"milestones": [10, 10]},
        ValueError,
        "milestones",
        ([10, 10],),
    ),
    (
        "multistep",
        {"value": 1.0, "milestones": [10]},
        {"milestones": [0, 10]},
        ValueError,
        "milestones",
        ([0, 10],),
    ),
    (
        "multistep",
        {"value": 1.0, "milestones": [10]},
        {"milestones": [-5]},
        ValueError,
        "milestones",
        ([-5],),
    ),
    # gamma > 1 is growth (issue 11); a negative factor stays invalid.
    (
        "multistep",
        {"value": 1.0, "milestones": [10]},
        {"gamma": -2.0},
        ValueError,
        "gamma",
        (-2.0,),
    ),
    ("multistep", {"value": 1.0, "milestones": [10]}, {"gamma": 0.0}, ValueError, "gamma", (0.0,)),
    (
        "multistep",
        {"value": 1.0, "milestones": [10]},
        {"value": -0.5},
        ValueError,
        "value",
        (-0.5,),
    ),
    # exponential
    ("exponential", {"value": 1.0, "gamma": 0.9}, {"gamma": 0.0}, ValueError, "gamma", (0.0,)),
    ("exponential", {"value": 1.0, "gamma": 0.9}, {"gamma": 1.5}, ValueError, "gamma", (1.5,)),
    ("exponential", {"value": 1.0, "gamma": 0.9}, {"gamma": NAN}, ValueError, "gamma", (NAN,)),
    ("exponential", {"value": 1.0, "gamma": 0.9}, {"gamma": None}, TypeError, "gamma", (None,)),
    ("exponential", {"value": 1.0, "gamma": 0.9}, {"value": -1.0}, ValueError, "value", (-1.0,)),
    # wsd
    ("wsd", WSD, {"peak": -1.0}, ValueError, "peak", (-1.0,)),
    ("wsd", WSD, {"floor": 2.0}, ValueError, "floor", (2.0,)),
    ("wsd", WSD, {"warmup_start": NAN}, ValueError, "warmup_start", (NAN,)),
    ("wsd", WSD, {"decay": 0}, ValueError, "decay", (0,)),
    ("wsd", WSD, {"decay": -5}, ValueError, "decay", (-5,)),
    ("wsd", WSD, {"decay": 150}, ValueError, "decay", (150,)),
    ("wsd", WSD, {"warmup": 50, "decay": 60}, ValueError, ("decay", "warmup"), (60, 50)),
    ("wsd", WSD, {"warmup": -1}, ValueError, "warmup", (-1,)),
    ("wsd", WSD, {"steps": 0, "warmup": 0, "decay": 1}, ValueError, "steps", (0,)),
    ("wsd", WSD, {"shape": "exp"}, ValueError, "shape", ("exp",)),
    ("wsd", WSD, {"decay": None}, TypeError, "decay", (None,)),
    ("wsd", WSD, {"warmup": "10"}, TypeError, "warmup", ("10",)),
]


@pytest.mark.parametrize(
    ("name", "base", "override", "exc", "names", "values"),
    CASES,
    ids=[f"{c[0]}-{'-'.join(f'{k}={v!r}' for k, v in c[2].items())}" for c in CASES],
)
def test_invalid_argument_names_argument_and_value(
    name: str,
    base: dict[str, Any],
    override: dict[str, Any],
    exc: Any,
    names: Any,
    values: tuple[Any, ...],
) -> None:
    factory = getattr(warmcos, name)
    factory(**base)  # the base arguments are valid
    expect(exc, received(names, *values), factory, **{**base, **override})


def test_floor_above_peak_message_follows_the_template() -> None:
    with pytest.raises(ValueError, match=r"cosine\(\).*floor.*peak.*Received:.*floor=0\.5"):
        warmcos.cosine(peak=0.1, steps=10, floor=0.5)


def test_warmup_not_below_steps_message_follows_the_template() -> None:
    with pytest.raises(ValueError, match=r"cosine\(\).*warmup.*steps.*Received:.*warmup=10"):
        warmcos.cosine(peak=0.1, steps=10, warmup=10)


# join -----------------------------------------------------------------------------------------

C = warmcos.constant(1.0)


@pytest.mark.parametrize(
    ("schedules", "boundaries", "values"),
    [
        ([C], [10], ([10],)),  # one boundary too many
        ([C, C], [], ([],)),  # one too few
        ([C, C, C], [20, 10], ([20, 10],)),  # unsorted
        ([C, C, C], [10, 10], ([10, 10],)),  # not strictly increasing
        ([C, C], [0], ([0],)),  # must be > 0
        ([C, C], [-5], ([-5],)),
    ],
)
def test_join_invalid_boundaries(schedules: list[Any], boundaries: list[Any], values: Any) -> None:
    expect(
        ValueError,
        received("boundaries", *values),
        warmcos.join,
        schedules=schedules,
        boundaries=boundaries,
    )


def test_join_rejects_a_non_schedule_piece() -> None:
    with pytest.raises(TypeError, match=r"schedules"):
        warmcos.join([C, 1.0], [10])


# steps ----------------------------------------------------------------------------------------

SAMPLES = [
    warmcos.cosine(peak=1.0, steps=100, warmup=10),
    warmcos.cosine_restarts(peak=1.0, first_cycle=10, cycle_mult=2.0),
    warmcos.cosine_restarts(peak=1.0, first_cycle=10, cycle_mult=1.5, cycle_rule="geometric"),
    warmcos.constant(0.5),
    warmcos.linear(0.0, 1.0, 10),
    warmcos.step(1.0, 10),
    warmcos.multistep(1.0, [10, 20]),
    warmcos.exponential(1.0, 0.9),
    warmcos.wsd(peak=1.0, steps=100, warmup=10, decay=20),
    warmcos.join([warmcos.constant(1.0), warmcos.linear(1.0, 0.0, 10)], [5]),
]


@pytest.mark.parametrize("s", SAMPLES, ids=lambda s: type(s).__name__)
@pytest.mark.parametrize(
    ("t", "shown"),
    [
        (-1, "-1"),
        (-0.5, "-0.5"),
        (-(10**30), "-1000000000000000000000000000000|-1e\\+30"),
        (NAN, "nan"),
        (INF, "inf"),
        (-INF, "-inf"),
        (np.float64(NAN), "nan"),
        (np.int64(-3), "-3"),
    ],
)
def test_invalid_scalar_step_raises_and_shows_the_value(
    s: warmcos.Schedule, t: Any, shown: str
) -> None:
    with pytest.raises(ValueError, match=shown):
        s(t)


@pytest.mark.parametrize("s", SAMPLES, ids=lambda s: type(s).__name__)
@pytest.mark.parametrize(
    "arr",
    [
        np.array([0, 1, -1]),
        np.array([0.0, -0.5]),
        np.array([0.0, np.nan]),
        np.array([[0.0, 1.0], [np.inf, 2.0]]),
        np.array([-np.inf]),
    ],
    ids=["int-negative", "float-negative", "nan", "2d-inf", "minus-inf"],
)
def test_invalid_array_step_raises(s: warmcos.Schedule, arr: np.ndarray) -> None:
    with pytest.raises(ValueError):
        s(arr)


@pytest.mark.parametrize("s", SAMPLES, ids=lambda s: type(s).__name__)
@pytest.mark.parametrize(
    "tensor",
    [
        torch.tensor([0, -1]),
        torch.tensor([0.0, float("nan")], dtype=torch.float64),
        torch.tensor([float("inf")], dtype=torch.float32),
    ],
    ids=["int-negative", "nan", "inf"],
)
def test_invalid_tensor_step_raises(s: warmcos.Schedule, tensor: torch.Tensor) -> None:
    with pytest.raises(ValueError):
        s(tensor)


@pytest.mark.parametrize("s", SAMPLES[:3], ids=lambda s: type(s).__name__)
@pytest.mark.parametrize("t", ["3", None])
def test_non_numeric_step_is_a_type_error(s: warmcos.Schedule, t: Any) -> None:
    with pytest.raises(TypeError):
        s(t)


# parse and from_dict --------------------------------------------------------------------------


def test_parse_unknown_schedule_name() -> None:
    with pytest.raises(ValueError, match="nosuch"):
        warmcos.parse("nosuch(peak=1.0)")


def test_parse_unknown_keyword() -> None:
    with pytest.raises((ValueError, TypeError), match="bogus"):
        warmcos.parse("cosine(peak=1.0, steps=10, bogus=3)")


def test_parse_too_many_positional_arguments() -> None:
    with pytest.raises((ValueError, TypeError)):
        warmcos.parse("constant(1.0, 2.0)")


def test_parse_validates_like_the_factory() -> None:
    expect(ValueError, received("warmup", 10), warmcos.parse, "cosine(0.1, 10, warmup=10)")
    expect(TypeError, received("peak", "1.0"), warmcos.parse, "cosine(peak='1.0', steps=10)")


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('echo hi')",
        "cosine(peak=__import__('os').system('echo hi'), steps=10)",
        "cosine(peak=(lambda: 1.0)(), steps=10)",
        "cosine.__class__",
        "cosine(peak=1.0, steps=10).__class__",
        "cosine(peak=1.0 + 0.5, steps=10)",
        "cosine(peak=x, steps=10)",
        "cosine(**{'peak': 1.0, 'steps': 10})",
        "[cosine(peak=1.0, steps=10)][0]",
        "cosine(peak=1.0, steps=10); print('hi')",
        "",
        "cosine(",
    ],
)
def test_parse_does_not_eval(text: str, capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError):
        warmcos.parse(text)
    out, err = capfd.readouterr()
    assert "hi" not in out + err


def test_from_dict_unknown_type() -> None:
    with pytest.raises(ValueError, match="nosuch"):
        warmcos.from_dict({"type": "nosuch", "value": 1.0})


def test_from_dict_unknown_key() -> None:
    with pytest.raises((ValueError, TypeError), match="bogus"):
        warmcos.from_dict({"type": "cosine", "peak": 1.0, "steps": 10, "bogus": 1})


def test_from_dict_missing_type() -> None:
    with pytest.raises((ValueError, TypeError), match="type"):
        warmcos.from_dict({"peak": 1.0, "steps": 10})


def test_from_dict_validates_like_the_factory() -> None:
    expect(
        ValueError,
        received("floor", 2.0),
        warmcos.from_dict,
        {"type": "cosine", "peak": 1.0, "steps": 10, "floor": 2.0},
    )
    with pytest.raises(TypeError, match=received("peak", "1.0")):
        warmcos.from_dict({"type": "cosine", "peak": "1.0", "steps": 10})


def test_from_dict_nested_unknown_type() -> None:
    d = {
        "type": "join",
        "schedules": [{"type": "constant", "value": 1.0}, {"type": "nosuch"}],
        "boundaries": [10],
    }
    with pytest.raises(ValueError, match="nosuch"):
        warmcos.from_dict(d)
