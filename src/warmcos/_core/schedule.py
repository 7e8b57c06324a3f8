"""The base class of every schedule: evaluation on any backend, equality, repr and plain data.

A schedule is a frozen dataclass whose fields are exactly the arguments of its public factory
(``warmcos.cosine`` is the class :class:`~warmcos.Cosine`). A subclass supplies its segments
(the curves it is made of, and where each holds), its natural end and, for array and graph
backends, :meth:`Schedule.evaluate`, the vectorised formula written against
:class:`~warmcos._core.ops.Ops`. :class:`PiecewiseSchedule` derives the last from the segments.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, TypeVar, overload

import numpy as np

from . import validation as check
from .curves import Curve
from .ops import NUMPY, Ops, Piece, Value
from .segments import Segment

MAX_DEPTH = 32
"""The deepest nesting of schedules made of schedules (joins of joins, products, ...)."""

REGISTRY: dict[str, type[Schedule]] = {}
"""Every schedule class by its spec name (``"cosine"``, ``"join"``, ...)."""

ArrayT = TypeVar("ArrayT")


class Schedule(ABC):
    """A learning-rate schedule: a pure function of the step that describes itself.

    Call it with the step: a Python ``int``/``float`` gives a Python ``float`` (float64); a NumPy
    array gives a float64 array of the same shape; a torch tensor gives a tensor (float64 for
    integer input, else the input's floating dtype). Steps are counted from 0 and may be
    fractional (epochs). A negative or non-finite step raises ``ValueError``.

    Every schedule is a sequence of segments, stretches of steps over which it follows one curve
    (:meth:`segments`); its value at a step is the value of the segment that holds the step.
    :attr:`natural_end` says from which step the value never changes again.

    Example:
        >>> import warmcos
        >>> s = warmcos.cosine(peak=1.0, steps=10)
        >>> s(0), s(5), s(10), s(99)
        (1.0, 0.5, 0.0, 0.0)
        >>> [(seg.kind, seg.start, seg.end) for seg in s.segments()]
        [('decay', 0.0, 10.0), ('hold', 10.0, inf)]
    """

    name: ClassVar[str]
    """The spec name: the factory's name in ``warmcos`` and the ``"type"`` in :meth:`to_dict`."""

    _hot: tuple[float, float, Any] = (0.0, 0.0, None)
    # The segment of the last scalar call as (start, end, curve function): consecutive steps
    # mostly fall in the same segment, so the per-step path is one comparison and one formula.

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            REGISTRY[cls.name] = cls

    # -- the description ---------------------------------------------------------------------

    def _parts(self) -> tuple[Schedule, ...]:
        """The schedules this one is built from (none for a schedule of its own formula)."""
        return ()

    def _check_parts(self, where: str) -> None:
        """Refuse parts nested too deep or too many in all, then remember both counts.

        Called by the constructor of a schedule made of others (``join``, products, ...), so
        that ``repr``, ``to_dict``, pickling and evaluation, which recurse, stay bounded.
        """
        parts = self._parts()
        count = 1 + sum(part.schedule_count for part in parts)
        depth = 1 + max((part.nesting for part in parts), default=0)
        if count > MAX_SCHEDULES:
            raise ValueError(
                f"{where}: a schedule may be built from at most {MAX_SCHEDULES:,} schedules (a "
                f"part used twice counts twice). Received: {count:,}"
            )
        if depth > MAX_DEPTH:
            raise ValueError(
                f"{where}: schedules may be nested at most {MAX_DEPTH} deep. Received: {depth} deep"
            )
        self.__dict__["_nesting"], self.__dict__["_count"] = depth, count

    @property
    def nesting(self) -> int:
        """How deep schedules are nested in this one: 1 for a schedule without parts."""
        return int(self.__dict__.get("_nesting", 1))

    @property
    def schedule_count(self) -> int:
        """How many schedules this one is built from, itself included: 1 without parts."""
        return int(self.__dict__.get("_count", 1))

    @abstractmethod
    def _segments_from(self, t: float) -> Iterator[Segment]:
        """The segments in order, starting with the one that holds step `t` (finite, >= 0)."""

    @property
    @abstractmethod
    def natural_end(self) -> float | None:
        """The step from which the value never changes again (0 for a constant), or None.

        None means the schedule never settles (step decay, restarts without ``max_cycles``).
        """

    def segments(self, start: float = 0.0, stop: float | None = None) -> Iterator[Segment]:
        """The segments that overlap ``[start, stop)``, in order.

        Consecutive segments meet (``next.start == previous.end``); the first one holds step
        `start` (it may begin before it) and the last one yielded ends at ``inf`` or begins
        before `stop`. Segments are made as they are asked for: with ``stop=None`` a schedule
        that never settles yields without end, so take what you need.

        Args:
            start: The first step of interest (finite, ``>= 0``).
            stop: The step before which to stop (``> start``), or None for all segments.

        Yields:
            Each :class:`~warmcos.Segment`.

        Example:
            >>> import warmcos
            >>> s = warmcos.step(1.0, step_size=10, gamma=0.5)
            >>> [(seg.start, seg.end, seg.first) for seg in s.segments(15, 30)]
            [(10.0, 20.0, 0.5), (20.0, 30.0, 0.25)]
        """
        where = f"{self.name}().segments()"
        first = float(check.nonnegative(where, "start", start))
        if stop is not None:
            stop = float(check.number(where, "stop", stop))
            if not stop > first:
                raise check.fail(where, "stop", "be > `start`", start=start, stop=stop)
        for segment in self._segments_from(first):
            if stop is not None and segment.start >= stop:
                return
            yield segment

    def segment_at(self, t: float) -> Segment:
        """The segment that holds step `t`.

        Example:
            >>> import warmcos
            >>> warmcos.cosine(peak=1.0, steps=100, warmup=10).segment_at(50).kind
            'decay'
        """
        return next(self._segments_from(_scalar_step(self.name, t)))

    # -- evaluation ----------------------------------------------------------------------------

    @abstractmethod
    def evaluate(self, t: Value, ops: Ops) -> Value:
        """The schedule's formula at step(s) `t` (already checked to be finite and >= 0).

        Array and graph backends evaluate this vectorised form; it computes, step by step,
        the curves of :meth:`segments`.
        """

    @overload
    def __call__(self, t: float) -> float: ...

    @overload
    def __call__(self, t: ArrayT) -> ArrayT: ...

    def __call__(self, t: Any) -> Any:
        """The value at step `t` (see the class docstring for the accepted types)."""
        kind = type(t)
        if kind is float:
            start, end, curve = self._hot
            if start <= t < end:
                return curve(t)
            return self._locate(t)
        if kind is int:
            try:
                step = float(t)  # what the formula's arithmetic would make of it anyway
            except OverflowError:
                raise _bad_step(self.name, t) from None
            start, end, curve = self._hot
            if start <= step < end:
                return curve(step)
            return self._locate(step)
        if isinstance(t, np.ndarray):
            return self._evaluate_numpy(t)
        if isinstance(t, (int, float, np.integer, np.floating)) and not isinstance(t, bool):
            return self(t.item() if isinstance(t, np.generic) else float(t))
        if type(t).__module__.startswith("torch"):
            return self._evaluate_torch(t)
        raise TypeError(
            f"{self.name}(): the step must be an int, a float, a NumPy array or a torch tensor. "
            f"Received: {_short(t)} of type {type(t).__name__}"
        )

    def _locate(self, t: float) -> float:
        """The per-step path when `t` left the last segment: find its segment, remember it."""
        step = _scalar_step(self.name, t)
        segment = next(self._segments_from(step))
        # Steps this large are rare and only ever held: they stay on this checked path.
        self.__dict__["_hot"] = (segment.start, min(segment.end, _HOT_LIMIT), segment.fast)
        return float(segment.fast(step))

    def _evaluate_numpy(self, t: np.ndarray) -> np.ndarray:
        if t.dtype == np.bool_ or not np.issubdtype(t.dtype, np.number):
            raise TypeError(f"{self.name}(): the steps must be numbers. Received dtype {t.dtype}")
        if t.dtype.kind == "c":
            raise TypeError(f"{self.name}(): the steps must be real. Received dtype {t.dtype}")
        steps = t.astype(np.float64, copy=False)
        if not steps.size:
            return np.zeros(steps.shape, dtype=np.float64)
        if not (steps.min() >= 0 and steps.max() < math.inf):
            raise _bad_step(self.name, steps[~((steps >= 0) & (steps < math.inf))].flat[0])
        flat = steps.reshape(-1)
        if flat.size > 1 and bool(np.all(flat[1:] >= flat[:-1])):
            return self._evaluate_sorted(flat).reshape(steps.shape)
        return np.asarray(self.evaluate(steps, NUMPY), dtype=np.float64)

    def _evaluate_sorted(self, steps: np.ndarray) -> np.ndarray:
        """Sorted steps, one segment at a time: each curve on its own slice, nothing wasted."""
        out = np.empty(steps.size, dtype=np.float64)
        done, count = 0, steps.size
        budget = max(64, count // 1024)  # past this many segments the vectorised form is cheaper
        for visited, segment in enumerate(self._segments_from(float(steps[0]))):
            if visited == budget:
                out[done:] = self.evaluate(steps[done:], NUMPY)
                break
            stop = count if segment.end == math.inf else int(np.searchsorted(steps, segment.end))
            if stop > done:
                out[done:stop] = segment.curve.evaluate_numpy(steps[done:stop])
                done = stop
            if done == count:
                break
        return out

    def _evaluate_torch(self, t: Any) -> Any:
        import torch

        from .ops_torch import TorchOps

        steps = t if t.is_floating_point() else t.to(torch.float64)
        valid = (steps >= 0) & (steps < math.inf)
        if not bool(torch.all(valid)):
            raise _bad_step(self.name, steps[~valid].flatten()[0].item())
        return self.evaluate(steps, TorchOps(steps))

    # -- arithmetic ------------------------------------------------------------------------------

    def __mul__(self, other: object) -> Schedule:
        """``self * other``: the product with another schedule, or scaled by a number."""
        from .product import multiply

        return multiply(self, other)

    def __rmul__(self, other: object) -> Schedule:
        """``number * self``."""
        from .product import multiply

        return multiply(other, self)

    # -- plain data ------------------------------------------------------------------------------

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


class PiecewiseSchedule(Schedule):
    """A schedule with a short, finite list of segments, the last of which holds forever.

    Subclasses supply :meth:`_segment_list`; it is built once, the scalar path bisects it and
    the array path evaluates each segment's curve where it holds.
    """

    @abstractmethod
    def _segment_list(self) -> tuple[Segment, ...]:
        """Every segment, from step 0; the last one ends at ``inf``."""

    def _listed(self) -> tuple[tuple[Segment, ...], list[float]]:
        listed = self.__dict__.get("_listed_segments")
        if listed is None:
            segments = self._segment_list()
            listed = (segments, [segment.start for segment in segments])
            self.__dict__["_listed_segments"] = listed
        return listed

    def _segments_from(self, t: float) -> Iterator[Segment]:
        segments, starts = self._listed()
        return iter(segments[bisect.bisect_right(starts, t) - 1 :])

    @property
    def natural_end(self) -> float | None:
        """Where the last segment (the value held) starts."""
        segments, _ = self._listed()
        return segments[-1].start

    def evaluate(self, t: Value, ops: Ops) -> Value:
        """Each segment's curve where it holds."""
        segments, starts = self._listed()
        pieces = [_bound(segment.curve, ops) for segment in segments]
        return ops.piecewise(t, starts, pieces)


def _bound(curve: Curve, ops: Ops) -> Piece:
    def piece(x: Value) -> Value:
        return curve.evaluate(x, ops)

    return piece


def set_fields(schedule: Schedule, **values: object) -> None:
    """Store checked (normalised) argument values on a frozen schedule."""
    for name, value in values.items():
        object.__setattr__(schedule, name, value)


_HOT_LIMIT = 2.0**1000
"""Steps from here on take the checked path, which reads them as floats."""


def _bad_step(name: str, value: object) -> ValueError:
    return ValueError(f"{name}(): the step must be finite and >= 0. Received: step={_short(value)}")


def _scalar_step(name: str, t: object) -> float:
    """`t` as a float step, checked: finite and ``>= 0`` (a huge int is not finite here)."""
    if isinstance(t, bool) or not isinstance(t, (int, float, np.integer, np.floating)):
        raise TypeError(
            f"{name}(): the step must be a real number. Received: {_short(t)} "
            f"of type {type(t).__name__}"
        )
    try:
        step = float(t)
    except OverflowError:
        raise _bad_step(name, t) from None
    if not 0 <= step < math.inf:
        raise _bad_step(name, t)
    return step


def _short(value: object, limit: int = 80) -> str:
    """``repr(value)``, cut to `limit` characters (error messages never quote megabytes)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 256:
        return f"an integer of about {int(value.bit_length() * math.log10(2)) + 1} digits"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


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


MAX_NESTING = 100
"""How deep a spec string (calls, lists and signs) or ``to_dict()`` data (schedules) may nest."""

MAX_SCHEDULES = 100_000
"""The most schedules one :func:`from_dict` call builds (a join's pieces count, and a part the
data holds several times, as YAML aliases give, counts each time)."""

MAX_ITEMS = 2_000_000
"""The most list items (milestones, boundaries, pieces) one :func:`from_dict` call reads, counted
as :data:`MAX_SCHEDULES` counts schedules."""


def from_dict(data: Mapping[str, Any]) -> Schedule:
    """Rebuild a schedule from :meth:`Schedule.to_dict` data.

    Args:
        data: A mapping with the schedule's ``"type"`` and its arguments; nested schedules (the
            pieces of ``join``, the schedule of ``change_budget``) are mappings too, or spec
            strings.

    Returns:
        The schedule; ``from_dict(s.to_dict()) == s``.

    Raises:
        ValueError: Unknown ``type`` or unknown argument names; data nested more than
            :data:`MAX_NESTING` deep or standing for more than :data:`MAX_SCHEDULES` schedules
            or :data:`MAX_ITEMS` list items (checked before any schedule is built).
        TypeError: `data` is not a mapping.

    Example:
        >>> import warmcos
        >>> warmcos.from_dict({"type": "cosine", "peak": 0.1, "steps": 100})
        cosine(peak=0.1, steps=100)
    """
    where = "from_dict()"
    schedules, items = _size(data, 1, {})
    limits = (("schedules", schedules, MAX_SCHEDULES), ("list items", items, MAX_ITEMS))
    for what, count, limit in limits:
        if count > limit:
            raise ValueError(
                f"{where}: `data` must stand for at most {limit:,} {what} (a part it holds "
                f"several times counts each time). Received: {_count_text(count)}"
            )

    def convert(item: object) -> Schedule:
        if isinstance(item, str):
            from .spec import parse  # a nested spec string, as in a hand-written config

            return parse(item)
        if not isinstance(item, Mapping):
            raise TypeError(
                f"{where}: `data` must be a mapping. Received: data={check.short(item)} "
                f"of type {type(item).__name__}"
            )
        arguments = dict(item)
        name = arguments.pop("type", None)
        return build(name, arguments, where=where, nested=convert)

    return convert(data)


def _size(data: object, depth: int, known: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """The schedules and list items `data` stands for, a shared part counted each time.

    Each distinct mapping is visited once (`known` holds its counts by id), so the cost is the
    size of the data in memory, however often its parts repeat.
    """
    if not isinstance(data, Mapping):
        return 0, 0  # (refused when built)
    if depth > MAX_NESTING:
        raise ValueError(
            f"from_dict(): schedules may be nested at most {MAX_NESTING} deep. "
            f"Received: data nested deeper"
        )
    if id(data) in known:
        return known[id(data)]
    schedules = 1
    items = sum(len(value) for value in data.values() if isinstance(value, (list, tuple)))
    pieces = data.get("schedules")
    inner = data.get("schedule")
    if isinstance(inner, Mapping):
        pieces = [inner]  # the one schedule that `change_budget` re-times
    if isinstance(pieces, (list, tuple)):
        for piece in pieces:
            more_schedules, more_items = _size(piece, depth + 1, known)
            schedules, items = schedules + more_schedules, items + more_items
    known[id(data)] = schedules, items
    return schedules, items


def _count_text(count: int) -> str:
    return f"{count:,}" if count < 10**12 else f"about 10**{int(math.log10(count))}"


def build(name: object, arguments: dict[Any, Any], *, where: str, nested: Any) -> Schedule:
    """Construct the schedule called `name` from keyword `arguments`, checking the names.

    Args:
        name: The spec name.
        arguments: Keyword arguments; the items of a ``schedules`` list (``join``'s pieces) that
            are not schedules yet are converted by `nested`.
        where: The caller, for error messages.
        nested: Converts a nested schedule description (mapping or parsed call) to a schedule.
    """
    if not isinstance(name, str) or name not in REGISTRY:
        raise ValueError(
            f"{where}: `type` must be one of {sorted(REGISTRY)!r}. "
            f"Received: type={check.short(name)}"
        )
    cls = REGISTRY[name]
    known = [field.name for field in dataclasses.fields(cls)]  # type: ignore[arg-type]
    unknown = sorted((key for key in arguments if key not in known), key=str)
    if unknown:
        raise ValueError(
            f"{where}: {name}() takes the arguments {known!r}. "
            f"Received unknown: {check.short(unknown)}"
        )
    inner = arguments.get("schedule")
    if inner is not None and not isinstance(inner, Schedule) and "schedule" in known:
        arguments["schedule"] = nested(inner)  # a schedule of one schedule (change_budget)
    pieces = arguments.get("schedules")
    if isinstance(pieces, (list, tuple)):
        arguments["schedules"] = [
            item if isinstance(item, Schedule) else nested(item) for item in pieces
        ]
    elif "schedules" in arguments:
        raise TypeError(
            f"{where}: `schedules` must be a list of schedules. "
            f"Received: schedules={check.short(pieces)} of type {type(pieces).__name__}"
        )
    return cls(**arguments)
