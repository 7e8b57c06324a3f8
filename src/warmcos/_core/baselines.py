"""The usual alternatives to cosine: constant, linear, step, multi-step and exponential decay."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from . import validation as check
from .cosine import between
from .ops import Ops, Value
from .schedule import Phases, PiecewiseSchedule, Schedule, set_fields
from .validation import Number


@dataclass(frozen=True, repr=False)
class Constant(Schedule):
    """The same value at every step: ``v(t) = value``.

    Args:
        value: The value (``>= 0``).

    Example:
        >>> import warmcos
        >>> warmcos.constant(0.1)(12345)
        0.1
    """

    name = "constant"

    value: Number

    def __post_init__(self) -> None:
        set_fields(self, value=check.nonnegative("constant()", "value", self.value))

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """``value``, shaped like `t`."""
        return ops.fill(t, float(self.value))


@dataclass(frozen=True, repr=False)
class Linear(PiecewiseSchedule):
    """A straight line from `start` to `end` over `steps`, then `end` held (PyTorch's LinearLR).

    ``v(t) = start + (end - start) * min(t, steps) / steps``

    Args:
        start: The value at step 0 (``>= 0``).
        end: The value from `steps` on (``>= 0``; above `start` for a ramp up).
        steps: The length of the line (``> 0``).

    Example:
        >>> import warmcos
        >>> s = warmcos.linear(start=1.0, end=0.0, steps=4)
        >>> [s(t) for t in (0, 1, 4, 9)]
        [1.0, 0.75, 0.0, 0.0]
    """

    name = "linear"

    start: Number
    end: Number
    steps: Number

    def __post_init__(self) -> None:
        where = "linear()"
        set_fields(
            self,
            start=check.nonnegative(where, "start", self.start),
            end=check.nonnegative(where, "end", self.end),
            steps=check.positive(where, "steps", self.steps),
        )

    def phases(self, ops: Ops) -> Phases:
        """The line, then `end` held (exactly, not as the line's rounded end)."""
        start, end, steps = float(self.start), float(self.end), float(self.steps)
        low, high = min(start, end), max(start, end)

        def line(x: Value) -> Value:
            return between(ops, start + (end - start) * x / steps, low, high)

        def holding(x: Value) -> Value:
            return ops.fill(x, end)

        return (0.0, steps), (line, holding)


@dataclass(frozen=True, repr=False)
class Step(Schedule):
    """Multiply by `gamma` every `step_size` steps (PyTorch's StepLR).

    ``v(t) = value * gamma ** floor(t / step_size)``

    Args:
        value: The value at step 0 (``>= 0``).
        step_size: Steps between drops (``> 0``; may be fractional).
        gamma: The factor applied at each drop, in (0, 1].

    Example:
        >>> import warmcos
        >>> s = warmcos.step(1.0, step_size=10, gamma=0.5)
        >>> [s(t) for t in (0, 9, 10, 25)]
        [1.0, 1.0, 0.5, 0.25]
    """

    name = "step"

    value: Number
    step_size: Number
    gamma: Number = 0.1

    def __post_init__(self) -> None:
        where = "step()"
        set_fields(
            self,
            value=check.nonnegative(where, "value", self.value),
            step_size=check.positive(where, "step_size", self.step_size),
            gamma=check.decay_factor(where, "gamma", self.gamma),
        )

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The formula of the class docstring."""
        drops = ops.floor(t / float(self.step_size))
        return float(self.value) * ops.power(float(self.gamma), drops)


@dataclass(frozen=True, repr=False)
class MultiStep(Schedule):
    """Multiply by `gamma` at each milestone (PyTorch's MultiStepLR).

    ``v(t) = value * gamma ** #{m in milestones : m <= t}``

    Args:
        value: The value at step 0 (``>= 0``).
        milestones: The steps of the drops, strictly increasing and ``> 0``.
        gamma: The factor applied at each milestone, in (0, 1].

    Example:
        >>> import warmcos
        >>> s = warmcos.multistep(1.0, milestones=[3, 5], gamma=0.1)
        >>> [round(s(t), 12) for t in (0, 3, 4, 5)]
        [1.0, 0.1, 0.1, 0.01]
    """

    name = "multistep"

    value: Number
    milestones: Sequence[Number]
    gamma: Number = 0.1

    def __post_init__(self) -> None:
        where = "multistep()"
        set_fields(
            self,
            value=check.nonnegative(where, "value", self.value),
            milestones=check.increasing(where, "milestones", self.milestones, strictly_above=0),
            gamma=check.decay_factor(where, "gamma", self.gamma),
        )

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The formula of the class docstring."""
        passed = ops.count_at_most(ops.table([float(m) for m in self.milestones]), t)
        return float(self.value) * ops.power(float(self.gamma), passed)


@dataclass(frozen=True, repr=False)
class Exponential(Schedule):
    """Multiply by `gamma` every step, continuously in `t` (PyTorch's ExponentialLR).

    ``v(t) = value * gamma ** t``

    Args:
        value: The value at step 0 (``>= 0``).
        gamma: The factor per step, in (0, 1].

    Example:
        >>> import warmcos
        >>> s = warmcos.exponential(1.0, gamma=0.5)
        >>> [s(t) for t in (0, 1, 2.5)]
        [1.0, 0.5, 0.1767766952966369]
    """

    name = "exponential"

    value: Number
    gamma: Number

    def __post_init__(self) -> None:
        where = "exponential()"
        set_fields(
            self,
            value=check.nonnegative(where, "value", self.value),
            gamma=check.decay_factor(where, "gamma", self.gamma),
        )

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The formula of the class docstring."""
        return float(self.value) * ops.power(float(self.gamma), t)
