"""optax adapter: a warmcos schedule as an optax schedule (``step -> jnp.ndarray``).

The returned function traces under ``jax.jit`` and ``jax.vmap``, and works as the learning rate
of any optax optimizer or inside ``optax.inject_hyperparams``. It evaluates the schedule's one
formula in float64 (JAX's 64-bit mode is switched on inside the function only, so restart
boundaries are exact for integer steps up to the horizon) and returns `dtype` (float32 by
default, what optax optimizers use).

A step given as a Python number or NumPy data is checked as the core checks a step (a negative,
NaN or infinite step raises); a JAX array step, traced or not, is clamped as documented.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from ._core import validation as check
from ._core.ops_graph import DEFAULT_HORIZON, NamespaceOps, evaluate_traced
from ._core.schedule import Schedule
from ._core.spec import as_schedule

__all__ = ["schedule"]


def schedule(
    schedule: Schedule | str | dict[str, Any],
    *,
    steps_per_unit: float = 1,
    dtype: Any = jnp.float32,
    horizon: float = DEFAULT_HORIZON,
) -> Callable[[Any], jax.Array]:
    """Wrap a warmcos schedule as an optax schedule.

    Args:
        schedule: Any warmcos schedule, its spec string, or its ``to_dict()`` data.
        steps_per_unit: Optimizer steps per unit of the schedule (a schedule written in epochs
            and updated once per batch uses the number of batches per epoch).
        dtype: The dtype of the returned learning rate.
        horizon: The largest step evaluated exactly; later steps read as the horizon. The
            default, 2**31 - 1, is the largest int32 step count.

    Returns:
        ``f(step) -> jnp.ndarray`` with the shape of `step`, equal to
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
    schedule = as_schedule(schedule, where)
    units = check.positive(where, "steps_per_unit", steps_per_unit)
    limit = check.positive(where, "horizon", horizon)
    ops = NamespaceOps(
        jnp,
        constant=lambda values: jnp.asarray(values, dtype=jnp.float64),
        cast=lambda value: jnp.asarray(value).astype(jnp.float64),
        horizon=float(limit),
    )

    def learning_rate(step: Any) -> jax.Array:
        if not isinstance(step, jax.Array):  # Python or NumPy data: concrete, so checked
            step = check.steps("warmcos.optax.schedule()(step)", step)
        with jax.enable_x64(True):
            value = evaluate_traced(schedule, jnp.asarray(step), ops, units)
            return jnp.asarray(value).astype(dtype)

    return learning_rate
