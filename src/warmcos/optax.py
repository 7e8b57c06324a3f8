"""optax adapter: a warmcos schedule as an optax schedule (``step -> jnp.ndarray``).

The returned function traces under ``jax.jit`` and ``jax.vmap``, and works as the learning rate
of any optax optimizer or inside ``optax.inject_hyperparams``. It evaluates the schedule's one
formula in float64 (JAX's 64-bit mode is switched on inside the function only, so restart
boundaries are exact for integer steps up to the horizon) and returns `dtype` (float32 by
default, what optax optimizers use).

:func:`change_budget` gives such a schedule (or any warmcos schedule) another length from a step
on, without a jump, and returns a new optax schedule: a pure function of the old one, jittable.

A step given as a Python number or NumPy data is checked as the core checks a step (a negative,
NaN or infinite step raises); a JAX array step, traced or not, is clamped as documented.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ._core import validation as check
from ._core.budget import ChangedBudget
from ._core.ops_graph import DEFAULT_HORIZON, NamespaceOps, evaluate_traced
from ._core.schedule import Schedule
from ._core.spec import as_schedule

__all__ = ["OptaxSchedule", "change_budget", "schedule"]


class OptaxSchedule:
    """An optax schedule, ``f(step) -> jnp.ndarray``, that knows the warmcos schedule it reads.

    What :func:`schedule` and :func:`change_budget` return; use it as any optax schedule. Its
    attributes are its arguments, so :func:`change_budget` can start from it.

    Attributes:
        schedule: The warmcos schedule.
        steps_per_unit: Optimizer steps per unit of the schedule.
        dtype: The dtype of the returned learning rate.
        horizon: The largest step evaluated exactly.
    """

    def __init__(
        self, schedule: Schedule, steps_per_unit: float, dtype: Any, horizon: float
    ) -> None:
        self.schedule, self.steps_per_unit = schedule, steps_per_unit
        self.dtype, self.horizon = dtype, horizon
        self._ops = NamespaceOps(
            jnp,
            constant=lambda values: jnp.asarray(values, dtype=jnp.float64),
            cast=lambda value: jnp.asarray(value).astype(jnp.float64),
            horizon=float(horizon),
        )

    def __call__(self, step: Any) -> jax.Array:
        """The learning rate at `step` (see :func:`schedule`)."""
        if not isinstance(step, jax.Array):  # Python or NumPy data: concrete, so checked
            step = check.steps("warmcos.optax.schedule()(step)", step)
        with jax.enable_x64(True):
            value = evaluate_traced(
                self.schedule, jnp.asarray(step), self._ops, self.steps_per_unit
            )
            return jnp.asarray(value).astype(self.dtype)

    def __repr__(self) -> str:
        return (
            f"warmcos.optax.schedule({self.schedule!r}, steps_per_unit={self.steps_per_unit!r}, "
            f"dtype={jnp.dtype(self.dtype).name}, horizon={self.horizon!r})"
        )


def schedule(
    schedule: Schedule | str | dict[str, Any],
    *,
    steps_per_unit: float = 1,
    dtype: Any = jnp.float32,
    horizon: float = DEFAULT_HORIZON,
) -> OptaxSchedule:
    """Wrap a warmcos schedule as an optax schedule.

    Args:
        schedule: Any warmcos schedule, its spec string, or its ``to_dict()`` data.
        steps_per_unit: Optimizer steps per unit of the schedule (a schedule written in epochs
            and updated once per batch uses the number of batches per epoch).
        dtype: The dtype of the returned learning rate.
        horizon: The largest step evaluated exactly; later steps read as the horizon. The
            default, 2**31 - 1, is the largest int32 step count.

    Returns:
        ``f(step) -> jnp.ndarray`` (an :class:`OptaxSchedule`) with the shape of `step`, equal to
        ``schedule(step / steps_per_unit)`` within `dtype` rounding. A negative JAX array step
        reads as 0 (a traced step cannot raise); a Python or NumPy step is checked instead:
        ``f`` raises ``TypeError`` or ``ValueError`` for one that is not a real number, or is
        negative, NaN or infinite.

    Raises:
        TypeError, ValueError: Bad arguments.

    Example:
        >>> import jax, optax, warmcos
        >>> from warmcos.optax import schedule
        >>> lr = schedule(warmcos.cosine(peak=1e-3, steps=100, warmup=10))
        >>> float(jax.jit(lr)(10))
        0.0010000000474974513
        >>> optimizer = optax.adamw(learning_rate=lr)
    """
    where = "warmcos.optax.schedule()"
    return _built(where, as_schedule(schedule, where), steps_per_unit, dtype, horizon)


def change_budget(
    schedule: OptaxSchedule | Schedule | str | dict[str, Any],
    at: float,
    steps: float,
    *,
    steps_per_unit: float | None = None,
    dtype: Any = None,
    horizon: float | None = None,
) -> OptaxSchedule:
    """An optax schedule of ``warmcos.change_budget(schedule, at, steps)``.

    The same values as `schedule` before `at`; from `at` on, the rest of it re-timed to end at
    `steps` (a warm-up keeps its length, a ``wsd`` plateau absorbs the change, the rest is
    stretched), continuous at `at` and holding the old final value from `steps` on. The result
    is a pure function of the step, as :func:`schedule` returns: it traces under ``jax.jit``
    and ``jax.vmap`` and serves as any optax optimizer's learning rate. To change a running
    optimizer's budget, build the optimizer's transformation again with it (its state, the
    update count included, stays valid) or give it through ``optax.inject_hyperparams``.

    Args:
        schedule: What :func:`schedule` returned (its ``steps_per_unit``, ``dtype`` and
            ``horizon`` are kept unless given here), or a warmcos schedule, its spec string or
            its ``to_dict()`` data.
        at: The position of the change, in schedule units (the optimizer's update count
            divided by ``steps_per_unit``): a Python number, or a concrete JAX / NumPy scalar.
        steps: The new end, in schedule units (``> at``).
        steps_per_unit: Optimizer steps per schedule unit; None for `schedule`'s own (or 1).
        dtype: The dtype of the learning rate; None for `schedule`'s own (or float32).
        horizon: The largest step evaluated exactly; None for `schedule`'s own (or 2**31 - 1).

    Returns:
        ``f(step) -> jnp.ndarray``, an :class:`OptaxSchedule` of the changed schedule.

    Raises:
        TypeError, ValueError: A bad argument (a traced `at` or `steps`, say), or a schedule
            without a natural end after `at` (it never settles, or is over).

    Example:
        >>> import jax, optax, warmcos
        >>> from warmcos.optax import change_budget, schedule
        >>> lr = schedule(warmcos.cosine(peak=1.0, steps=100))
        >>> longer = change_budget(lr, at=50, steps=150)  # the second half over 100 steps
        >>> float(jax.jit(longer)(50)) == float(lr(50)), float(jax.jit(longer)(100))
        (True, 0.1464466154575348)
        >>> optimizer = optax.sgd(learning_rate=longer)
    """
    where = "warmcos.optax.change_budget()"
    if isinstance(schedule, OptaxSchedule):
        base = schedule.schedule
        units = schedule.steps_per_unit if steps_per_unit is None else steps_per_unit
        dtype = schedule.dtype if dtype is None else dtype
        horizon = schedule.horizon if horizon is None else horizon
    else:
        base = as_schedule(schedule, where)
        units = 1 if steps_per_unit is None else steps_per_unit
        dtype = jnp.float32 if dtype is None else dtype
        horizon = DEFAULT_HORIZON if horizon is None else horizon
    changed = ChangedBudget(base, _concrete(where, "at", at), _concrete(where, "steps", steps))
    return _built(where, changed, units, dtype, horizon)


def _built(
    where: str, schedule: Schedule, steps_per_unit: object, dtype: Any, horizon: object
) -> OptaxSchedule:
    units = check.positive(where, "steps_per_unit", steps_per_unit)
    limit = check.positive(where, "horizon", horizon)
    return OptaxSchedule(schedule, units, dtype, float(limit))


def _concrete(where: str, name: str, value: Any) -> Any:
    """A one-element JAX or NumPy array as its Python number; refuse a traced one."""
    if isinstance(value, jax.core.Tracer):
        raise TypeError(
            f"{where}: `{name}` must be a concrete number: a budget is changed outside "
            f"jax.jit, and the changed schedule is what gets traced. Received: {name} traced "
            f"({type(value).__name__})"
        )
    if isinstance(value, (jax.Array, np.ndarray, np.generic)) and np.size(value) == 1:
        return np.asarray(value).item()
    return value
