"""The base class of every schedule: evaluation on any backend, equality, repr and plain data.

A schedule is a frozen dataclass whose fields are exactly the arguments of its public factory
(``warmcos.cosine`` is the class :class:`~warmcos.Cosine`). Subclasses supply one method,
:meth:`Schedule.evaluate`, the schedule's formula written against :class:`~warmcos._core.ops.Ops`.
"""

from __future__ import annotations

import dataclasses
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar, overload

import numpy as np

from .ops import NUMPY, SCALAR, Ops, Piece, Value

REGISTRY: dict[str, type[Schedule]] = {}
"""Every schedule class by its spec name (``"cosine"``, ``"join"``, ...)."""

ArrayT = TypeVar("ArrayT")


class Schedule(ABC):
    """A learning-rate schedule: a pure function of the step.

    Call it with the step: a Python ``int``/``float`` gives a Python ``float`` (float64); a NumPy
    array gives a float64 array of the same shape; a torch tensor gives a tensor (float64 for
    integer input, else the input's floating dtype). Steps are counted from 0 and may be
    fractional (epochs). A negative or non-finite step raises ``ValueError``.

    Example:
        >>> import warmcos
        >>> s = warmcos.cosine(peak=1.0, steps=10)
        >>> s(0), s(5), s(10), s(99)
        (1.0, 0.5, 0.0, 0.0)
    """

    name: ClassVar[str]
    """The spec name: the factory's name in ``warmcos`` and the ``"type"`` in :meth:`to_dict`."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            REGISTRY[cls.name] = cls

    @abstractmethod
    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The schedule's formula at step(s) `t` (already checked to be finite and >= 0)."""

    @overload
    def __call__(self, t: float) -> float: ...

    @overload
    def __call__(self, t: ArrayT) -> ArrayT: ...

    def __call__(self, t: Any) -> Any:
        """The value at step `t` (see the class docstring for the accepted types)."""
        kind = type(t)
        if kind is int or kind is float:
            if not 0 <= t < math.inf:
                raise _bad_step(self.name, t)
            return float(self.evaluate(t, SCALAR))
        if isinstance(t, np.ndarray):
            return self._evaluate_numpy(t)
        if isinstance(t, (int, float, np.integer, np.floating)) and not isinstance(t, bool):
            return self(t.item() if isinstance(t, np.generic) else float(t))
        if type(t).__module__.startswith("torch"):
            return self._evaluate_torch(t)
        raise TypeError(
            f"{self.name}(): the step must be an int, a float, a NumPy array or a torch tensor. "
            f"Received: {t!r} of type {type(t).__name__}"
        )

    def _evaluate_numpy(self, t: np.ndarray) -> np.ndarray:
        if t.dtype == np.bool_ or not np.issubdtype(t.dtype, np.number):
            raise TypeError(f"{self.name}(): the steps must be numbers. Received dtype {t.dtype}")
        steps = t.astype(np.float64, copy=False)
        if steps.size and not (steps.min() >= 0 and steps.max() < math.inf):
            raise _bad_step(self.name, steps[~((steps >= 0) & (steps < math.inf))].flat[0])
        return np.asarray(self.evaluate(steps, NUMPY), dtype=np.float64)

    def _evaluate_torch(self, t: Any) -> Any:
        import torch

        from .ops_torch import TorchOps

        steps = t if t.is_floating_point() else t.to(torch.float64)
        valid = (steps >= 0) & (steps < math.inf)
        if not bool(torch.all(valid)):
            raise _bad_step(self.name, steps[~valid].flatten()[0].item())
        return self.evaluate(steps, TorchOps(steps))

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle by the arguments only (caches and locks are rebuilt on unpickling)."""
        fields = dataclasses.fields(self)  # type: ignore[arg-type]
        return (type(self), tuple(getattr(self, field.name) for field in fields))

    def to_dict(self) -> dict[str, Any]:
        """The schedule as plain JSON data: ``{"type": name, **arguments}``.

        Example:
            >>> import warmcos
            >>> warmcos.linear(start=1.0, end=0.5, steps=4).to_dict()
            {'type': 'linear', 'start': 1.0, 'end': 0.5, 'steps': 4}
        """
        data: dict[str, Any] = {"type": self.name}
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            data[field.name] = _to_plain(getattr(self, field.name))
        return data

    def __repr__(self) -> str:
        """The factory call that rebuilds this schedule, omitting arguments left at default."""
        arguments = []
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, field.name)
            if field.default is not dataclasses.MISSING and _same(value, field.default):
                continue
            arguments.append(f"{field.name}={_to_repr(value)}")
        return f"{self.name}({', '.join(arguments)})"


Phases = tuple[tuple[float, ...], tuple[Piece, ...]]
"""Phase starts (strictly increasing from 0) and the formula of each phase."""


class PiecewiseSchedule(Schedule):
    """A schedule made of phases, each with its own formula (warm-up, cosine, hold, ...).

    Subclasses supply :meth:`phases`; on the per-step Python path they are built once and only
    the phase holding the step is evaluated.
    """

    @abstractmethod
    def phases(self, ops: Ops) -> Phases:
        """The phase starts and, for each phase, its formula on `ops`."""

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """Evaluate the phase that holds each step."""
        if ops is SCALAR:
            phases = self.__dict__.get("_scalar_phases")
            if phases is None:
                phases = self.phases(SCALAR)
                object.__setattr__(self, "_scalar_phases", phases)
        else:
            phases = self.phases(ops)
        return ops.piecewise(t, *phases)


def set_fields(schedule: Schedule, **values: object) -> None:
    """Store checked (normalised) argument values on a frozen schedule."""
    for name, value in values.items():
        object.__setattr__(schedule, name, value)


def _bad_step(name: str, value: object) -> ValueError:
    return ValueError(f"{name}(): the step must be finite and >= 0. Received: step={value!r}")


def _same(value: object, default: object) -> bool:
    return type(value) is type(default) and value == default


def _to_plain(value: object) -> Any:
    if isinstance(value, Schedule):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_to_plain(item) for item in value]
    return value


def _to_repr(value: object) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_to_repr(item) for item in value) + "]"
    return repr(value)


def from_dict(data: Mapping[str, Any]) -> Schedule:
    """Rebuild a schedule from :meth:`Schedule.to_dict` data.

    Args:
        data: A mapping with the schedule's ``"type"`` and its arguments; nested schedules (the
            pieces of ``join``) are mappings too.

    Returns:
        The schedule; ``from_dict(s.to_dict()) == s``.

    Raises:
        ValueError: Unknown ``type`` or unknown argument names.
        TypeError: `data` is not a mapping.

    Example:
        >>> import warmcos
        >>> warmcos.from_dict({"type": "cosine", "peak": 0.1, "steps": 100})
        cosine(peak=0.1, steps=100)
    """
    if not isinstance(data, Mapping):
        raise TypeError(
            f"from_dict(): `data` must be a mapping. Received: data={data!r} "
            f"of type {type(data).__name__}"
        )
    arguments = dict(data)
    name = arguments.pop("type", None)
    return build(name, arguments, where="from_dict()", nested=from_dict)


def build(name: object, arguments: dict[str, Any], *, where: str, nested: Any) -> Schedule:
    """Construct the schedule called `name` from keyword `arguments`, checking the names.

    Args:
        name: The spec name.
        arguments: Keyword arguments; values of schedule-valued fields are converted by `nested`.
        where: The caller, for error messages.
        nested: Converts a nested schedule description (mapping or parsed call) to a schedule.
    """
    if not isinstance(name, str) or name not in REGISTRY:
        raise ValueError(
            f"{where}: `type` must be one of {sorted(REGISTRY)!r}. Received: type={name!r}"
        )
    cls = REGISTRY[name]
    known = [field.name for field in dataclasses.fields(cls)]  # type: ignore[arg-type]
    unknown = sorted(set(arguments) - set(known))
    if unknown:
        raise ValueError(
            f"{where}: {name}() takes the arguments {known!r}. Received unknown: {unknown!r}"
        )
    if "schedules" in arguments and isinstance(arguments["schedules"], (list, tuple)):
        arguments["schedules"] = [
            item if isinstance(item, Schedule) else nested(item) for item in arguments["schedules"]
        ]
    return cls(**arguments)
