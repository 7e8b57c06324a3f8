r"""Keras' learning-rate schedules read as warmcos schedules: objects, configs, ``.keras`` files.

A schedule is read from its ``get_config()`` dict, so the object (recognised by its class name
and a module of Keras, without importing Keras), the dict, its serialized form
``{"module": "keras.optimizers.schedules", "class_name": ..., "config": {...}}`` and a saved
``.keras`` model (a zip whose ``config.json`` holds the optimizer's ``learning_rate``) all read
the same way, without Keras. Sampling the peer for the check does import Keras: it builds the
class from the config with its learning rates as float64 NumPy numbers, so Keras computes in
float64 (Keras computes in the dtype of ``initial_learning_rate``: a float32 run of the same
schedule differs from both by float32 rounding, a few 1e-7 relative).

The mappings, with ``I = initial_learning_rate``:

- ``CosineDecay(I, decay_steps=D, alpha=a)``: ``cosine(peak=I, steps=D, floor=a * I)``; with
  ``warmup_target=P`` and ``warmup_steps=W`` (Keras' ``D`` excludes the warm-up, which runs from
  ``I`` to ``P``): ``cosine(peak=P, steps=W + D, floor=a * P, warmup=W, warmup_start=I)``.
- ``CosineDecayRestarts(I, first_decay_steps=F, t_mul=m, m_mul=g, alpha=a)``:
  ``cosine_restarts(peak=I, first_cycle=F, floor=a * I, cycle_mult=m, gamma=g,
  cycle_rule="geometric", gamma_mode="amplitude")``. Keras finds the cycle with a logarithm and
  can land one cycle early exactly at a restart (``t_mul=3`` at restart 5 in float64), where
  warmcos gives the restart's peak: the reading marks exact restarts as ``unreliable``.
- ``ExponentialDecay(I, D, decay_rate=r, staircase=s)``: ``exponential(I, r, decay_steps=D,
  staircase=s)``.
- ``PiecewiseConstantDecay(boundaries=b, values=v)``: Keras switches just after a boundary
  (``t > b``), so for whole steps ``piecewise_constant([floor(b) + 1 ...], v)``; boundaries
  below 0 apply from step 0, and of boundaries with the same ``floor(b) + 1`` the last wins.
- ``PolynomialDecay(I, D, end_learning_rate=E, power=k, cycle=c)``: ``polynomial(I, E, D, k,
  c)``.
- ``InverseTimeDecay(I, D, decay_rate=r, staircase=s)``: ``inverse_time(I, D, r, s)``.

Refused (``ValueError`` naming the class and the option): growth without end (``m_mul > 1``,
``decay_rate > 1`` for ``ExponentialDecay``: warmcos needs a bound), unsorted boundaries, and
anything warmcos' own checks refuse (``alpha > 1``: a floor above the peak).
"""

from __future__ import annotations

import itertools
import json
import math
import zipfile
from collections.abc import Callable, Mapping
from os import PathLike
from typing import Any

import numpy as np

from .._core import validation as check
from .._core.baselines import Exponential
from .._core.cosine import Cosine
from .._core.inverse import InverseTime
from .._core.piecewise import PiecewiseConstant
from .._core.polynomial import Polynomial
from .._core.restarts import CosineRestarts
from .._core.schedule import Schedule
from .reading import Reading, geometric_start

CLASSES = (
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "InverseTimeDecay",
)
"""The Keras schedules read here (``keras.optimizers.schedules``)."""

KERAS_MODULES = ("keras", "tf_keras", "tensorflow")
"""The top-level packages a Keras schedule class may come from (Keras 3, Keras 2, tf.keras)."""

SHOWN = 4
"""Restart cycles (or decay lengths for the unending decays) a reading's horizon covers."""

MAX_CONFIG_BYTES = 50_000_000
"""The largest ``config.json`` read from a ``.keras`` file."""

TRACE = "record its values with warmcos.trace(schedule, steps) instead"


def read(obj: object) -> Reading | None:
    """Read a Keras schedule object.

    Args:
        obj: Any object.

    Returns:
        ``None`` when `obj` is not one of Keras' schedules listed in :data:`CLASSES`, else its
        :class:`Reading`.

    Raises:
        ValueError: It is Keras', but uses an option warmcos does not reproduce exactly.
    """
    cls = type(obj)
    if cls.__name__ not in CLASSES or cls.__module__.split(".")[0] not in KERAS_MODULES:
        return None
    config: Any = obj.get_config()  # type: ignore[attr-defined]
    return _reading(cls.__name__, dict(config))


def read_config(config: Mapping[str, Any], class_name: str | None = None) -> Reading:
    """Read a Keras schedule from its config.

    Args:
        config: Either the serialized form ``{"class_name": "CosineDecay", "config": {...}}``
            (``keras.saving.serialize_keras_object``, a saved model's ``config.json``) or a
            schedule's ``get_config()`` dict.
        class_name: The class, for a ``get_config()`` dict (by default its ``name`` when that
            is Keras' default name for its class, or the class its keys tell: only
            ``ExponentialDecay`` and ``InverseTimeDecay`` with a name of their own need it).

    Returns:
        The schedule's :class:`Reading`.

    Raises:
        ValueError: Not a Keras schedule read here, or an option warmcos refuses.

    Example:
        >>> from warmcos._convert.keras_schedules import read_config
        >>> reading = read_config(
        ...     {
        ...         "class_name": "CosineDecay",
        ...         "config": {"initial_learning_rate": 0.1, "decay_steps": 100, "alpha": 0.1},
        ...     }
        ... )
        >>> reading.schedules
        (cosine(peak=0.1, steps=100, floor=0.010000000000000002),)
    """
    if not isinstance(config, Mapping):
        raise TypeError(
            f"read_config(): `config` must be a mapping. Received: {check.short(config)} "
            f"of type {type(config).__name__}"
        )
    inner = config.get("config")
    if isinstance(inner, Mapping) and "class_name" in config:
        name, fields = config["class_name"], dict(inner)
    else:
        name, fields = class_name or _class_of(config), dict(config)
    if name not in CLASSES:
        raise check.fail(
            "read_config()",
            "class_name",
            f"be one of {', '.join(CLASSES)} (Keras' schedules warmcos reads); {TRACE}",
            class_name=name,
        )
    return _reading(str(name), fields)


def _class_of(config: Mapping[str, Any]) -> object:
    """The class of a ``get_config()`` dict: its default ``name``, or its telling keys."""
    name = config.get("name")
    if name in CLASSES:
        return name
    if name == "SGDRDecay" or "first_decay_steps" in config:
        return "CosineDecayRestarts"  # Keras' default name for it
    for key, cls in (
        ("boundaries", "PiecewiseConstantDecay"),
        ("end_learning_rate", "PolynomialDecay"),
        ("warmup_target", "CosineDecay"),
    ):
        if key in config:
            return cls
    return name


def read_keras_file(path: str | PathLike[str]) -> Reading:
    """Read the learning-rate schedule of the optimizer saved in a ``.keras`` model file.

    The file is a zip archive; its ``config.json`` holds the model's compile config, whose
    optimizer's ``learning_rate`` is the schedule's serialized form. Keras is not imported.

    Args:
        path: A ``.keras`` file written by ``model.save``.

    Returns:
        The schedule's :class:`Reading`.

    Raises:
        ValueError: The file holds no Keras schedule read here (a constant learning rate, no
            optimizer, a custom schedule), or it is not a ``.keras`` archive.
    """
    where = "read_keras_file()"
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("config.json")
            if info.file_size > MAX_CONFIG_BYTES:
                raise ValueError(
                    f"{where}: config.json must be at most {MAX_CONFIG_BYTES:,} bytes. "
                    f"Received: {info.file_size:,}"
                )
            tree = json.loads(archive.read(info).decode("utf-8"))
    except (zipfile.BadZipFile, KeyError) as error:
        raise ValueError(
            f"{where}: {str(path)!r} is not a .keras model file (a zip holding config.json): "
            f"{error}"
        ) from None
    found = _learning_rate(tree)
    if found is None:
        raise ValueError(f"{where}: {str(path)!r} holds no optimizer with a learning rate")
    if not isinstance(found, Mapping):
        raise ValueError(
            f"{where}: the optimizer in {str(path)!r} has a constant learning rate "
            f"{check.short(found)}: warmcos.constant({check.short(found)})"
        )
    return read_config(found)


def _learning_rate(tree: object, depth: int = 0) -> object | None:
    """The first ``learning_rate`` under an optimizer's config, searched depth first."""
    if depth > 100:
        return None
    if isinstance(tree, Mapping):
        if "learning_rate" in tree:
            rate: object = tree["learning_rate"]
            return rate
        children: list[object] = list(tree.values())
    elif isinstance(tree, list):
        children = tree
    else:
        return None
    for child in children:
        found = _learning_rate(child, depth + 1)
        if found is not None:
            return found
    return None


# -- the mappings ------------------------------------------------------------------------------


def _reading(name: str, config: dict[str, Any]) -> Reading:
    source = f"keras.optimizers.schedules.{name}"
    config.pop("name", None)
    readers: dict[str, Callable[[str, dict[str, Any]], tuple[Schedule, float | None]]] = {
        "CosineDecay": _cosine,
        "CosineDecayRestarts": _restarts,
        "ExponentialDecay": _exponential,
        "PiecewiseConstantDecay": _piecewise,
        "PolynomialDecay": _polynomial,
        "InverseTimeDecay": _inverse_time,
    }
    try:
        schedule, horizon = readers[name](source, config)
    except KeyError as error:
        raise ValueError(f"{source}: the config has no {error}. Received: {config}") from None
    except (TypeError, ValueError) as error:
        if str(error).startswith(source):
            raise
        raise ValueError(f"{source} cannot be converted: {error}; {TRACE}") from error
    unreliable = _restart_steps(config) if name == "CosineDecayRestarts" else None
    return Reading(
        source=source,
        schedules=(schedule,),
        position=0.0,
        sample=_sampler(name, config),
        horizon=horizon,
        unreliable=unreliable,
    )


def _cosine(source: str, config: dict[str, Any]) -> tuple[Schedule, float | None]:
    start, steps = float(config["initial_learning_rate"]), config["decay_steps"]
    alpha = float(config.get("alpha", 0.0))
    target = config.get("warmup_target")
    if target is None:
        return Cosine(peak=start, steps=steps, floor=alpha * start), float(steps) + 1
    warmup, peak = config.get("warmup_steps", 0), float(target)
    # Keras' decay_steps excludes the warm-up, which runs from initial_learning_rate up to P.
    schedule = Cosine(
        peak=peak, steps=warmup + steps, floor=alpha * peak, warmup=warmup, warmup_start=start
    )
    return schedule, float(warmup + steps) + 1


def _restarts(source: str, config: dict[str, Any]) -> tuple[Schedule, float | None]:
    peak, first = float(config["initial_learning_rate"]), config["first_decay_steps"]
    mul, gamma = float(config.get("t_mul", 2.0)), float(config.get("m_mul", 1.0))
    alpha = float(config.get("alpha", 0.0))
    if gamma > 1:
        raise check.fail(
            source,
            "m_mul",
            "be <= 1 to convert (Keras' peaks then grow without end; warmcos' growth needs a "
            f"last cycle); {TRACE}",
            m_mul=gamma,
        )
    schedule = CosineRestarts(
        peak=peak,
        first_cycle=first,
        floor=alpha * peak,
        cycle_mult=mul,
        gamma=gamma,
        cycle_rule="geometric",
        gamma_mode="amplitude",
    )
    return schedule, float(geometric_start(float(first), mul, SHOWN)) + 1


def _exponential(source: str, config: dict[str, Any]) -> tuple[Schedule, float | None]:
    rate, steps = float(config["decay_rate"]), config["decay_steps"]
    if rate > 1:
        raise check.fail(
            source,
            "decay_rate",
            "be <= 1 to convert (Keras then grows without end; warmcos' growth needs "
            f"end_value); {TRACE}",
            decay_rate=rate,
        )
    schedule = Exponential(
        float(config["initial_learning_rate"]),
        rate,
        decay_steps=steps,
        staircase=bool(config.get("staircase", False)),
    )
    return schedule, SHOWN * float(steps) + 1


def _piecewise(source: str, config: dict[str, Any]) -> tuple[Schedule, float | None]:
    boundaries, values = list(config["boundaries"]), [float(v) for v in config["values"]]
    if len(values) != len(boundaries) + 1:
        raise check.fail(
            source,
            "values",
            "hold one value more than `boundaries`",
            boundaries=boundaries,
            values=values,
        )
    if any(high < low for low, high in itertools.pairwise(boundaries)):
        raise check.fail(
            source, "boundaries", f"be sorted to convert; {TRACE}", boundaries=boundaries
        )
    # Keras gives values[i + 1] once t > boundaries[i]: for whole steps, from floor(b) + 1.
    # Step 0 has the value after the boundaries below 0; a later one of equal starts wins.
    starts: list[int] = []
    levels = [values[0]]
    for boundary, value in zip(boundaries, values[1:], strict=True):
        start = math.floor(boundary) + 1
        if start <= 0:
            levels[0] = value
        elif starts and starts[-1] == start:
            levels[-1] = value
        else:
            starts.append(start)
            levels.append(value)
    schedule = PiecewiseConstant(starts, levels)
    return schedule, float(starts[-1] if starts else 0) + 2


def _polynomial(source: str, config: dict[str, Any]) -> tuple[Schedule, float | None]:
    steps, cycle = config["decay_steps"], bool(config.get("cycle", False))
    schedule = Polynomial(
        float(config["initial_learning_rate"]),
        float(config.get("end_learning_rate", 0.0001)),
        steps,
        float(config.get("power", 1.0)),
        cycle,
    )
    return schedule, (SHOWN if cycle else 1) * float(steps) + 1


def _inverse_time(source: str, config: dict[str, Any]) -> tuple[Schedule, float | None]:
    steps = config["decay_steps"]
    schedule = InverseTime(
        float(config["initial_learning_rate"]),
        steps,
        float(config["decay_rate"]),
        bool(config.get("staircase", False)),
    )
    return schedule, SHOWN * float(steps) + 1


def _restart_steps(config: Mapping[str, Any]) -> Callable[[np.ndarray], np.ndarray] | None:
    """The exact restarts (cycle 1 on), where Keras' logarithm may give the cycle before.

    Keras computes the cycle as ``floor(log(1 - t / F (1 - m)) / log(m))`` (``floor(t / F)``
    for ``m = 1``, exact for a whole ``F``) in its backend's arithmetic.
    """
    first, mul = float(config["first_decay_steps"]), float(config.get("t_mul", 2.0))
    if mul == 1 and first == math.floor(first):
        return None

    def mask(steps: np.ndarray) -> np.ndarray:
        out = np.zeros(len(steps), dtype=bool)
        for index, step in enumerate(np.asarray(steps).tolist()):
            if step <= 0:
                continue
            if mul == 1:
                near = round(step / first)
            else:
                near = round(math.log(1 + step / first * (mul - 1)) / math.log(mul))
            out[index] = any(
                k >= 1 and geometric_start(first, mul, k) == step
                for k in (near - 1, near, near + 1)
            )
        return out

    return mask


# -- sampling the peer -------------------------------------------------------------------------


def _sampler(name: str, config: Mapping[str, Any]) -> Callable[[np.ndarray], np.ndarray]:
    """Keras' own values, from a schedule built anew from `config` and computing in float64.

    Every number goes in as a float64 NumPy number: Keras computes in the dtype of
    ``initial_learning_rate`` and casts a Python number hyperparameter through float32.
    """

    def sample(steps: np.ndarray) -> np.ndarray:
        try:
            from keras.optimizers import schedules
        except ImportError as error:
            raise ImportError(
                f"checking a Keras {name} needs Keras: pip install 'warmcos[keras]' ({error})"
            ) from error
        fields = {key: _float64(value) for key, value in config.items()}
        peer = getattr(schedules, name).from_config(fields)
        at = np.asarray(steps, dtype=np.float64)
        try:
            values = np.asarray(peer(at), dtype=np.float64)
        except Exception:  # a schedule that branches on the step (tf.cond) takes one at a time
            values = np.empty(0)
        if values.shape != at.shape:
            values = np.asarray([float(peer(np.float64(t))) for t in at], dtype=np.float64)
        return values.reshape(1, -1)

    return sample


def _float64(value: Any) -> Any:
    """A number (or the numbers of a list) as float64 NumPy numbers; anything else as it is."""
    if isinstance(value, list):
        return [_float64(item) for item in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return np.float64(value)
    return value
