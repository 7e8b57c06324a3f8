"""Argument checks shared by every schedule.

Every failure raises ``ValueError`` or ``TypeError`` with one message template, in the style of
Keras::

    cosine(): `warmup` must be < `steps`. Received: warmup=10, steps=10
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence

Number = int | float


def _received(**values: object) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in values.items())


def fail(where: str, name: str, requirement: str, **received: object) -> ValueError:
    """Build the ``ValueError`` for an argument that breaks a requirement.

    Args:
        where: The function that received the argument, e.g. ``"cosine()"``.
        name: The argument's name.
        requirement: What is allowed, completing "`name` must ...".
        **received: The values to quote in the message (by default only `name`).

    Returns:
        The error, for the caller to raise.
    """
    return ValueError(f"{where}: `{name}` must {requirement}. Received: {_received(**received)}")


def number(where: str, name: str, value: object) -> Number:
    """Check that `value` is a finite real number and return it as a Python int or float.

    Booleans, strings and ``None`` are refused with ``TypeError``; NaN and infinities with
    ``ValueError``. NumPy scalars are converted to Python numbers.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{where}: `{name}` must be a real number (int or float). "
            f"Received: {name}={value!r} of type {type(value).__name__}"
        )
    converted: Number = int(value) if isinstance(value, numbers.Integral) else float(value)
    if not math.isfinite(converted):
        raise fail(where, name, "be finite", **{name: value})
    return converted


def nonnegative(where: str, name: str, value: object) -> Number:
    """Check a finite number >= 0."""
    checked = number(where, name, value)
    if checked < 0:
        raise fail(where, name, "be >= 0", **{name: value})
    return checked


def positive(where: str, name: str, value: object) -> Number:
    """Check a finite number > 0."""
    checked = number(where, name, value)
    if checked <= 0:
        raise fail(where, name, "be > 0", **{name: value})
    return checked


def whole(where: str, name: str, value: object, *, minimum: int) -> int:
    """Check an integral number (an int, or a float with no fractional part) >= `minimum`."""
    checked = number(where, name, value)
    if checked != math.floor(checked):
        raise fail(where, name, "be a whole number", **{name: value})
    if checked < minimum:
        raise fail(where, name, f"be >= {minimum}", **{name: value})
    return int(checked)


def decay_factor(where: str, name: str, value: object) -> Number:
    """Check a multiplicative decay factor in (0, 1]."""
    checked = number(where, name, value)
    if not 0 < checked <= 1:
        raise fail(where, name, "be in (0, 1]", **{name: value})
    return checked


def at_most(where: str, low_name: str, low: Number, high_name: str, high: Number) -> None:
    """Check ``low <= high``."""
    if low > high:
        raise fail(where, low_name, f"be <= `{high_name}`", **{low_name: low, high_name: high})


def less(where: str, low_name: str, low: Number, high_name: str, high: Number) -> None:
    """Check ``low < high``."""
    if low >= high:
        raise fail(where, low_name, f"be < `{high_name}`", **{low_name: low, high_name: high})


def choice(where: str, name: str, value: object, allowed: Sequence[str]) -> str:
    """Check that `value` is one of the `allowed` strings."""
    if not isinstance(value, str):
        raise TypeError(
            f"{where}: `{name}` must be one of {list(allowed)!r}. "
            f"Received: {name}={value!r} of type {type(value).__name__}"
        )
    if value not in allowed:
        raise fail(where, name, f"be one of {list(allowed)!r}", **{name: value})
    return value


def length(where: str, name: str, value: object, total_name: str, total: Number) -> float:
    """Resolve a phase length that may be given as a fraction of a total.

    A float strictly between 0 and 1 is a fraction of `total`; any other value >= 0 is a count of
    steps. The fraction resolves to exactly ``value * total`` (no rounding).

    Returns:
        The length in steps (a float).
    """
    checked = nonnegative(where, name, value)
    if isinstance(checked, float) and 0 < checked < 1:
        return checked * float(total)
    return float(checked)


def increasing(
    where: str, name: str, values: object, *, strictly_above: float
) -> tuple[Number, ...]:
    """Check a sequence of finite numbers, strictly increasing and each above `strictly_above`."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(
            f"{where}: `{name}` must be a list of numbers. "
            f"Received: {name}={values!r} of type {type(values).__name__}"
        )
    checked = tuple(number(where, name, value) for value in values)
    previous = strictly_above
    for value in checked:
        if value <= previous:
            raise fail(
                where,
                name,
                f"be strictly increasing and > {strictly_above:g}",
                **{name: list(checked)},
            )
        previous = value
    return checked
