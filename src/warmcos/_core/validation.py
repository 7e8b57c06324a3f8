"""Argument checks shared by every schedule.

Every failure raises ``ValueError`` or ``TypeError`` with one message template, in the style of
Keras::

    cosine(): `warmup` must be < `steps`. Received: warmup=10, steps=10
"""

from __future__ import annotations

import itertools
import math
import numbers
import reprlib
from collections.abc import Iterable, Sequence, Sized

import numpy as np

Number = int | float


class _ShortRepr(reprlib.Repr):
    """``reprlib`` limits (a few items per container, a few levels), strings and big ints cut.

    Its cost is bounded whatever the value: data with shared parts (YAML aliases) can be
    exponentially larger than its memory, and ``repr`` of an int of more than 4,300 digits fails.
    """

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel, self.maxstring, self.maxother = 3, 60, 60
        self.maxlist = self.maxtuple = self.maxdict = self.maxset = self.maxfrozenset = 8

    def repr_str(self, x: str, level: int) -> str:
        if len(x) <= self.maxstring:
            return repr(x)
        return repr(x[: self.maxstring]) + "..."

    def repr_int(self, x: int, level: int) -> str:
        if x.bit_length() > 256:
            return f"an integer of about {int(x.bit_length() * math.log10(2)) + 1} digits"
        return repr(x)


_SHORT = _ShortRepr()


def short(value: object, limit: int = 80) -> str:
    """``repr(value)``, cut to `limit` characters: error messages never quote megabytes.

    Example:
        >>> short(list(range(100)))
        '[0, 1, 2, 3, 4, 5, 6, 7, ...]'
        >>> short(10**400)
        'an integer of about 401 digits'
    """
    text = _SHORT.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _received(**values: object) -> str:
    return ", ".join(f"{name}={short(value)}" for name, value in values.items())


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

    Booleans, strings and ``None`` are refused with ``TypeError``; NaN, infinities and ints too
    large for a float (beyond about 1.8e308) with ``ValueError``. NumPy scalars are converted to
    Python numbers.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{where}: `{name}` must be a real number (int or float). "
            f"Received: {name}={short(value)} of type {type(value).__name__}"
        )
    try:
        as_float = float(value)
    except OverflowError:
        raise fail(where, name, "be finite (at most about 1.8e308)", **{name: value}) from None
    if not math.isfinite(as_float):
        raise fail(where, name, "be finite", **{name: value})
    return int(value) if isinstance(value, numbers.Integral) else as_float


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


MAX_LENGTH = 2.0**62
"""The longest span of steps a schedule may describe (about 4.6e18 steps)."""


def span(where: str, name: str, value: object, *, zero: bool = False) -> Number:
    """Check a length or position in steps: finite, ``> 0`` (or ``>= 0``), at most 2**62.

    The bound (:data:`MAX_LENGTH`) keeps formulas such as ``pi * elapsed / length`` finite.
    With `zero`, 0 is allowed.
    """
    checked = nonnegative(where, name, value) if zero else positive(where, name, value)
    if checked > MAX_LENGTH:
        raise fail(where, name, "be at most 2**62 steps", **{name: value})
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
            f"Received: {name}={short(value)} of type {type(value).__name__}"
        )
    if value not in allowed:
        raise fail(where, name, f"be one of {list(allowed)!r}", **{name: value})
    return value


def length(where: str, name: str, value: object, total_name: str, total: Number) -> float:
    """Resolve a segment length (warm-up, decay) that may be given as a fraction of a total.

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
    where: str, name: str, values: object, *, strictly_above: float, at_most: int | None = None
) -> tuple[Number, ...]:
    """Check a sequence of finite numbers, strictly increasing and each above `strictly_above`.

    With `at_most`, a longer sequence is refused before any item is read (an iterable without a
    length is read up to one item past `at_most`).
    """
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(
            f"{where}: `{name}` must be a list of numbers. "
            f"Received: {name}={short(values)} of type {type(values).__name__}"
        )
    if at_most is not None and isinstance(values, Sized) and len(values) > at_most:
        raise ValueError(
            f"{where}: `{name}` must hold at most {at_most:,} items. "
            f"Received: {len(values):,} items"
        )
    if at_most is not None and not isinstance(values, Sized):
        values = list(itertools.islice(values, at_most + 1))
        if len(values) > at_most:
            raise ValueError(
                f"{where}: `{name}` must hold at most {at_most:,} items. "
                f"Received: more than {at_most:,} items"
            )
    checked = tuple(number(where, name, value) for value in values)
    previous = strictly_above
    if checked and checked[-1] > MAX_LENGTH:
        raise fail(where, name, "hold steps of at most 2**62", **{name: short(list(checked))})
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


def steps(where: str, value: object) -> np.ndarray:
    """Check concrete steps as the core checks a step, and return them as float64.

    For adapters, whose traced steps cannot raise: a step known now (a Python number, NumPy
    data, an eager tensor's values) gets the core's checks instead of a silent clamp.

    Args:
        where: The caller, for error messages.
        value: A Python int or float, a NumPy scalar or array, or a list of numbers.

    Returns:
        The steps as a float64 array (0-d for a single step).

    Raises:
        TypeError: Not real numbers (a string, a bool, None, complex numbers).
        ValueError: A step that is negative, NaN, infinite or an int too large for a float.

    Example:
        >>> steps("lr()", 5)
        array(5.)
        >>> steps("lr()", -1)
        Traceback (most recent call last):
        ...
        ValueError: lr(): the step must be finite and >= 0. Received: step=-1
    """
    if isinstance(value, np.generic):
        value = value.item()
    array = np.asarray(value) if isinstance(value, (list, tuple)) else value
    if isinstance(array, np.ndarray):
        if array.dtype.kind not in "iuf":
            raise TypeError(
                f"{where}: the steps must be real numbers. Received: {short(value)} "
                f"of dtype {array.dtype}"
            )
        checked = array.astype(np.float64)
        bad = checked[~((checked >= 0) & (checked < math.inf))]
        if bad.size:
            raise _bad_step(where, float(bad.flat[0]))
        return checked
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{where}: the step must be a real number. Received: {short(value)} "
            f"of type {type(value).__name__}"
        )
    try:
        step = float(value)
    except OverflowError:
        step = math.inf
    if not 0 <= step < math.inf:
        raise _bad_step(where, value)
    return np.asarray(step, dtype=np.float64)


def _bad_step(where: str, value: object) -> ValueError:
    return ValueError(f"{where}: the step must be finite and >= 0. Received: step={short(value)}")
