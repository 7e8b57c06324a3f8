"""Hostile input to the core: huge numbers, deep nesting, shared parts, very long texts.

Every refusal is a ``ValueError`` or ``TypeError`` that names the argument or the limit, never an
``OverflowError``, ``RecursionError`` or ``MemoryError``; it comes before the work, and its message
quotes at most a short prefix of the input. Where the old code hung, the test asserts a generous
time bound (a guard, not a benchmark). The properties at the end feed random spec texts and
random ``to_dict()``-like data to :func:`warmcos.parse` and :func:`warmcos.from_dict`.
"""

from __future__ import annotations

import dataclasses
import pickle
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import warmcos
from warmcos._core import validation as check
from warmcos._core.join import MAX_DEPTH
from warmcos._core.schedule import MAX_ITEMS, MAX_NESTING, MAX_SCHEDULES, REGISTRY
from warmcos._core.spec import MAX_SPEC_LENGTH

SHORT = 400 + sum(len(name) + 4 for name in REGISTRY)
"""The longest error message expected here: messages quote short prefixes only (plus, for an
unknown schedule name, the list of the known ones, which grows with the library)."""

fuzz = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Fail if the block takes longer than `seconds` (where the old code hung)."""
    start = time.perf_counter()
    yield
    elapsed = time.perf_counter() - start
    assert elapsed < seconds, f"took {elapsed:.1f} s"


def refused(error: type[Exception], call: Callable[[], object], *fragments: str) -> Exception:
    """Run `call`, expecting exactly `error` with a short message holding each fragment."""
    with pytest.raises(Exception) as info:
        call()
    assert type(info.value) is error, repr(info.value)[:SHORT]
    message = str(info.value)
    assert len(message) < SHORT, message[:SHORT]
    for fragment in fragments:
        assert fragment in message, message
    return info.value


# --- numbers too large for a float -----------------------------------------------------------

HUGE = 10**400
HEX = "0x" + "f" * 400  # a literal Python's parser accepts at any length

HUGE_ARGUMENTS: dict[str, tuple[Callable[[], object], str]] = {
    "cosine peak": (lambda: warmcos.cosine(peak=HUGE, steps=10), "peak"),
    "cosine steps": (lambda: warmcos.cosine(peak=1.0, steps=HUGE), "steps"),
    "cosine warmup": (lambda: warmcos.cosine(peak=1.0, steps=10, warmup=HUGE), "warmup"),
    "restarts first_cycle": (
        lambda: warmcos.cosine_restarts(peak=1.0, first_cycle=HUGE),
        "first_cycle",
    ),
    "linear steps": (lambda: warmcos.linear(start=1.0, end=0.0, steps=HUGE), "steps"),
    "step step_size": (lambda: warmcos.step(1.0, step_size=HUGE), "step_size"),
    "multistep milestones": (lambda: warmcos.multistep(1.0, [HUGE]), "milestones"),
    "wsd steps": (lambda: warmcos.wsd(peak=1.0, steps=HUGE, warmup=0, decay=0.2), "steps"),
    "fraction peak": (lambda: warmcos.cosine(peak=Fraction(HUGE), steps=10), "peak"),
    "from_dict": (lambda: warmcos.from_dict({"type": "cosine", "peak": HUGE, "steps": 10}), "peak"),
    "parse hex": (lambda: warmcos.parse(f"cosine(peak={HEX}, steps=10)"), "peak"),
    "parse negative hex": (lambda: warmcos.parse(f"cosine(peak=1.0, steps=-{HEX})"), "steps"),
}


@pytest.mark.parametrize("case", list(HUGE_ARGUMENTS))
def test_an_int_too_large_for_a_float_raises_value_error_naming_the_argument(case: str) -> None:
    call, name = HUGE_ARGUMENTS[case]
    error = refused(ValueError, call, f"`{name}` must be finite", f"Received: {name}=")
    if "fraction" not in case:
        assert f"{name}=an integer of about " in str(error)


@pytest.mark.parametrize("step", [HUGE, -HUGE, 2**1100])
def test_an_int_step_too_large_for_a_float_raises_value_error(step: int) -> None:
    for schedule in (
        warmcos.cosine_restarts(peak=1.0, first_cycle=10),
        warmcos.cosine(peak=1.0, steps=10),
        warmcos.multistep(1.0, [5, 10]),
    ):
        refused(ValueError, lambda s=schedule: s(step), "step", "an integer of about")


def test_validation_number_turns_overflow_into_value_error() -> None:
    refused(ValueError, lambda: check.number("f()", "x", HUGE), "f(): `x` must be finite")
    assert check.number("f()", "x", 2**1000) == 2**1000  # still a float's range: kept exact


# --- parse: long texts, deep nesting --------------------------------------------------------


def test_parse_refuses_a_text_beyond_the_length_limit_before_parsing() -> None:
    text = "cosine(peak=1.0, steps=10" + " " * (MAX_SPEC_LENGTH + 10) + ")"
    refused(
        ValueError,
        lambda: warmcos.parse(text),
        f"parse(): `text` must be at most {MAX_SPEC_LENGTH:,} characters. "
        f"Received: {len(text):,} characters",
    )


@pytest.mark.parametrize("signs", [1_000, 3_000, 99_000, 100_000])
def test_parse_many_unary_signs_raises_value_error(signs: int) -> None:
    """Once a RecursionError (1,000 signs) or a MemoryError (100,000 signs)."""
    text = "cosine(peak=" + "-" * signs + "1, steps=10)"
    limit = "nest at most" if len(text) <= MAX_SPEC_LENGTH else "at most 100,000 characters"
    refused(ValueError, lambda: warmcos.parse(text), limit)


def test_parse_signs_up_to_the_nesting_limit_still_read_as_numbers() -> None:
    assert warmcos.parse("cosine(peak=" + "-" * 90 + "1.0, steps=10)").peak == 1.0
    assert warmcos.parse("cosine(peak=1.0, steps=" + "+-" * 45 + "-10)").steps == 10


CHAINS = {
    "binary minus": "1" + "-1" * 30_000,
    "power": "1" + "**1" * 30_000,
    "not": "not " * 20_000 + "1",
    "attribute": "a" + ".b" * 30_000,
    "subscript": "a" + "[1]" * 30_000,
    "call chain": "f" + "()" * 30_000,
    "lambda": "lambda:" * 10_000 + "1",
    "conditional": "1 if 1 else " * 8_000 + "1",
    "tilde": "~" * 30_000 + "1",
    "lists": "[" * 150 + "]" * 150,
    "lists past the parser": "[" * 300 + "]" * 300,
    "calls": "constant(" * 150 + "1.0" + ")" * 150,
}


@pytest.mark.parametrize("case", list(CHAINS))
def test_parse_deeply_nested_expressions_raise_value_error(case: str) -> None:
    refused(ValueError, lambda: warmcos.parse(f"cosine(peak={CHAINS[case]}, steps=10)"), "parse()")


def nested_join(depth: int) -> warmcos.Schedule:
    """A join `depth` deep (``nesting == depth``): each level wraps the last in a new join."""
    schedule: warmcos.Schedule = warmcos.linear(start=1.0, end=0.5, steps=4)
    for _ in range(depth - 1):
        schedule = warmcos.join([schedule, warmcos.constant(0.25)], [3])
    return schedule


def nested_join_text(depth: int) -> str:
    text = "linear(start=1.0, end=0.5, steps=4)"
    for _ in range(depth - 1):
        text = f"join([{text}, constant(0.25)], [3])"
    return text


def nested_join_data(depth: int) -> dict[str, Any]:
    data: dict[str, Any] = {"type": "linear", "start": 1.0, "end": 0.5, "steps": 4}
    for _ in range(depth - 1):
        data = {"type": "join", "schedules": [data, {"type": "constant", "value": 0.25}]}
        data["boundaries"] = [3]
    return data


def test_a_join_nested_to_the_limit_works_everywhere() -> None:
    """150 deep used to fail in ``repr``, 400 deep in ``to_dict``, pickling and evaluation."""
    schedule = nested_join(MAX_DEPTH)
    assert schedule.nesting == MAX_DEPTH
    assert warmcos.parse(repr(schedule)) == schedule
    assert warmcos.parse(nested_join_text(MAX_DEPTH)) == schedule
    assert warmcos.from_dict(schedule.to_dict()) == schedule
    assert warmcos.from_dict(nested_join_data(MAX_DEPTH)) == schedule
    assert pickle.loads(pickle.dumps(schedule)) == schedule
    assert schedule(0) == 1.0 and schedule(10**6) == 0.25
    assert schedule(np.array([0.0, 10.0**6])).tolist() == [1.0, 0.25]


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 150, 400])
def test_a_join_nested_past_the_limit_is_refused_by_every_reader(depth: int) -> None:
    limit = f"at most {MAX_DEPTH} deep"
    refused(ValueError, lambda: nested_join(depth), limit)
    text = nested_join_text(depth)
    refused(ValueError, lambda: warmcos.parse(text), "nest")
    refused(ValueError, lambda: warmcos.from_dict(nested_join_data(depth)), "nested at most")


def test_from_dict_refuses_data_nested_100000_deep_without_recursing() -> None:
    data: dict[str, Any] = {"type": "constant", "value": 1.0}
    for _ in range(100_000):
        data = {"type": "join", "schedules": [data], "boundaries": []}
    with within(5):
        refused(
            ValueError,
            lambda: warmcos.from_dict(data),
            f"schedules may be nested at most {MAX_NESTING} deep",
        )


# --- shared parts (what YAML aliases give) ------------------------------------------------------


def test_from_dict_counts_each_repeat_of_a_shared_part() -> None:
    """Ten pieces that are one dict, nested 8 deep, stand for 10**8 schedules."""
    data: dict[str, Any] = {"type": "constant", "value": 1.0}
    for _ in range(8):
        data = {"type": "join", "schedules": [data] * 10, "boundaries": list(range(1, 10))}
    with within(5):
        refused(
            ValueError,
            lambda: warmcos.from_dict(data),
            f"at most {MAX_SCHEDULES:,} schedules",
            "Received: 111,111,111",
        )


def test_from_dict_counts_a_shared_list_each_time() -> None:
    milestones = list(range(1, 1_001))
    piece = {"type": "multistep", "value": 1.0, "milestones": milestones}
    data = {"type": "join", "schedules": [piece] * 5_000, "boundaries": list(range(1, 5_000))}
    with within(5):
        refused(ValueError, lambda: warmcos.from_dict(data), f"at most {MAX_ITEMS:,} list items")


def test_from_dict_reads_the_largest_schedules_the_classes_allow() -> None:
    many = warmcos.multistep(1.0, list(range(1, 1_000_001)))
    assert warmcos.from_dict(many.to_dict()) == many
    pieces = warmcos.join([warmcos.constant(1.0)] * 10_000, list(range(1, 10_000)))
    assert warmcos.from_dict(pieces.to_dict()) == pieces


def test_short_is_cheap_for_exponentially_shared_data() -> None:
    data: Any = [1.0] * 10
    for _ in range(12):
        data = [data] * 10  # 10**13 numbers, if written out
    with within(1):
        text = check.short(data)
    assert len(text) <= 80 and text.startswith("[[[")


# --- error messages quote a short prefix --------------------------------------------------------

LONG_MESSAGES: dict[str, Callable[[], object]] = {
    "long string argument": lambda: warmcos.parse("cosine(peak='" + "x" * 90_000 + "', steps=1)"),
    "long schedule name": lambda: warmcos.parse("x" * 90_000 + "(1)"),
    "long keyword": lambda: warmcos.parse("cosine(" + "x" * 90_000 + "=1)"),
    "long bad value": lambda: warmcos.parse("cosine(peak={" + "1:1," * 20_000 + "}, steps=1)"),
    "long syntax error": lambda: warmcos.parse("cosine(peak=1, steps=1" + ", 1" * 30_000 + "("),
    "long unknown key": lambda: warmcos.from_dict({"type": "constant", "x" * 10**6: 1}),
    "long type": lambda: warmcos.from_dict({"type": "x" * 10**6}),
    "not a mapping": lambda: warmcos.from_dict([list(range(10**6))]),  # type: ignore[arg-type]
    "pieces not a list": lambda: warmcos.from_dict(
        {"type": "join", "schedules": {"a": list(range(10**6))}, "boundaries": []}
    ),
    "a million bad milestones": lambda: warmcos.multistep(1.0, list(range(10**6, 0, -1))),
    "a long list of strings": lambda: warmcos.multistep(1.0, ["x" * 10**6] * 10),
    "as_schedule": lambda: warmcos._core.spec.as_schedule(list(range(10**6)), "f()"),
    "non-string keys": lambda: warmcos.from_dict({"type": "constant", 1: 2, (3,): 4}),
}


@pytest.mark.parametrize("case", list(LONG_MESSAGES))
def test_error_messages_quote_a_short_prefix(case: str) -> None:
    with pytest.raises((ValueError, TypeError)) as info:
        LONG_MESSAGES[case]()
    assert len(str(info.value)) < SHORT, str(info.value)[:SHORT]


def test_a_milestone_iterator_without_length_is_read_only_up_to_the_limit() -> None:
    def endless() -> Iterator[int]:
        step = 0
        while True:
            step += 1
            yield step

    with within(10):
        refused(ValueError, lambda: warmcos.multistep(1.0, endless()), "more than 1,000,000")


# --- concrete steps, as the adapters check them --------------------------------------------------


@pytest.mark.parametrize(
    ("step", "error"),
    [
        (-1, ValueError),
        (float("nan"), ValueError),
        (float("inf"), ValueError),
        (HUGE, ValueError),
        (np.float32(-0.5), ValueError),
        (np.array([0.0, np.nan]), ValueError),
        ([1, -2], ValueError),
        ("abc", TypeError),
        (None, TypeError),
        (True, TypeError),
        (1j, TypeError),
        (np.array(["1"]), TypeError),
        (np.array([True]), TypeError),
    ],
    ids=repr,
)
def test_concrete_steps_are_checked_as_the_core_checks_a_step(step: object, error: type) -> None:
    refused(error, lambda: check.steps("f()", step), "f(): the step")


def test_concrete_steps_come_back_as_float64() -> None:
    assert check.steps("f()", 5).dtype == np.float64 and check.steps("f()", 5).shape == ()
    assert check.steps("f()", np.arange(3, dtype=np.int32)).tolist() == [0.0, 1.0, 2.0]
    assert check.steps("f()", 1e300) == 1e300


# --- properties ------------------------------------------------------------------------------

FIELDS = {name: [field.name for field in dataclasses.fields(cls)] for name, cls in REGISTRY.items()}
REQUIRED = {
    name: [f.name for f in dataclasses.fields(cls) if f.default is dataclasses.MISSING]
    for name, cls in REGISTRY.items()
}

number_texts = st.one_of(
    st.sampled_from(
        [
            "0",
            "1",
            "10",
            "100",
            "0.1",
            "0.5",
            "1.5",
            "3e-4",
            "1e-300",
            "5e-324",
            "1e12",
            "1e300",
            "1.7e308",
            "1e400",
            "-1",
            "nan",
            "inf",
            "1_000",
            str(2**53),
            str(2**64),
            "9" * 300,
            HEX,
            "0o777",
            "0b101",
            "1j",
        ]
    ),
    st.integers(0, 10**6).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
)
word_texts = st.one_of(
    st.sampled_from(["'integer'", "'geometric'", "'amplitude'", "'scale'", "None", "True", "x"]),
    st.text(max_size=10).map(repr),
)
SIGNS = ["", "-", "+", "--", "-+-", "-" * 150, "~", "not ", "*"]


@st.composite
def call_texts(draw: st.DrawFn, inner: st.SearchStrategy[str], plausible: bool) -> str:
    """A call of a schedule name (or not), with arguments of its own names (or not)."""
    names = sorted(FIELDS) if plausible else [*sorted(FIELDS), "cos", "print", "a.b"]
    name = draw(st.sampled_from(names))
    fields = FIELDS.get(name, ["x"])
    chosen = [f for f in fields if f in REQUIRED.get(name, []) or draw(st.booleans())]
    if not plausible:
        chosen += draw(st.lists(st.sampled_from([*fields, "x", "type"]), max_size=3))
    arguments = [f"{field}={draw(inner)}" for field in chosen]
    if not plausible:
        arguments = draw(st.lists(inner, max_size=3)) + arguments
    return f"{name}({', '.join(arguments)})"


values = st.recursive(
    st.one_of(number_texts, word_texts),
    lambda inner: st.one_of(
        call_texts(inner, plausible=True),
        call_texts(inner, plausible=False),
        st.lists(inner, max_size=5).map(lambda items: "[" + ", ".join(items) + "]"),
        st.tuples(st.sampled_from(SIGNS), inner).map("".join),
    ),
    max_leaves=20,
)


@st.composite
def mutated(draw: st.DrawFn, texts: st.SearchStrategy[str]) -> str:
    """`texts`, edited a few times: characters inserted, deleted, or a slice repeated."""
    text = draw(texts)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["insert", "delete", "repeat"]))
        if edit == "insert":
            text = (
                text[:at]
                + draw(st.text(alphabet="()[]{},=-+*.eE0x'\" \n_:", max_size=4))
                + text[at:]
            )
        elif edit == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 5)) :]
        else:
            text = text[:at] + text[at : at + 3] * draw(st.integers(2, 2_000)) + text[at:]
    return text


spec_texts = st.one_of(
    call_texts(values, plausible=True),
    call_texts(values, plausible=False),
    mutated(call_texts(values, plausible=True)),
    st.text(max_size=40),
)


@fuzz
@given(spec_texts)
def test_parse_of_any_text_raises_only_value_or_type_errors_quickly(text: str) -> None:
    start = time.perf_counter()
    try:
        schedule = warmcos.parse(text)
    except (ValueError, TypeError) as error:
        assert len(str(error)) < 1_000, str(error)[:1_000]
    else:
        assert warmcos.from_dict(schedule.to_dict()) == schedule
        assert pickle.loads(pickle.dumps(schedule)) == schedule
        spec = repr(schedule)
        if len(spec) <= MAX_SPEC_LENGTH:
            assert warmcos.parse(spec) == schedule
    assert time.perf_counter() - start < 5


plain_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([HUGE, -HUGE, 2**1024, float("nan"), float("inf"), 1e308, 5e-324]),
    st.floats(),
    st.text(max_size=10),
    st.sampled_from(sorted(REGISTRY)),
)


@st.composite
def schedule_data(draw: st.DrawFn, inner: st.SearchStrategy[Any]) -> dict[Any, Any]:
    """A mapping with a ``type`` (mostly a real one) and some of its arguments (or others)."""
    name = draw(st.one_of(st.sampled_from(sorted(REGISTRY)), plain_leaves))
    fields = FIELDS.get(name, ["x"]) if isinstance(name, str) else ["x"]
    keys = draw(st.lists(st.sampled_from([*fields, "x", "type"]), max_size=len(fields) + 1))
    data: dict[Any, Any] = {key: draw(inner) for key in keys}
    data["type"] = name
    return data


plain_data = st.recursive(
    plain_leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        schedule_data(inner),
        st.dictionaries(st.text(max_size=5), inner, max_size=3),
    ),
    max_leaves=20,
)


@fuzz
@given(schedule_data(plain_data))
def test_from_dict_of_any_data_raises_only_value_or_type_errors(data: dict[Any, Any]) -> None:
    try:
        schedule = warmcos.from_dict(data)
    except (ValueError, TypeError) as error:
        assert len(str(error)) < 1_000, str(error)[:1_000]
    else:
        assert warmcos.from_dict(schedule.to_dict()) == schedule
