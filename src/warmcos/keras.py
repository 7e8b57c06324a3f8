"""Keras 3 adapter: a warmcos schedule as a ``keras.optimizers.schedules.LearningRateSchedule``.

Written once on ``keras.ops``, so it runs on the TensorFlow, JAX and torch backends, inside
``tf.function`` and under XLA (``jit_compile=True``), with integer or float step tensors. The
schedule's formula is evaluated in float64 (exact restart boundaries for integer steps up to the
horizon) and the learning rate is returned in ``keras.config.floatx()``. Both classes are
registered as Keras serialisable, so ``model.save`` / ``keras.models.load_model`` restore them
(the loading process imports ``warmcos.keras``, as for any Keras extension).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

import keras

from ._core import validation as check
from ._core.cosine import Cosine
from ._core.ops_graph import DEFAULT_HORIZON, NamespaceOps, evaluate_traced
from ._core.schedule import Schedule
from ._core.spec import as_schedule

__all__ = ["CosineAnnealingLRScheduler", "LearningRateSchedule"]


def _float64_ops(step: Any, horizon: float) -> Any:
    """The backend's operations, in float64.

    ``keras.ops`` on TensorFlow; on JAX and torch, Keras' own ops turn some float64 results
    into float32 (a Python float operand, or ``cos`` on JAX), so there the seam uses the
    backend's own operations (as for optax and PyTorch): same formula, float64 results.
    """
    backend = keras.backend.backend()
    if backend == "torch":
        import torch

        from ._core.ops_torch import TorchOps

        return TorchOps(torch.as_tensor(step).to(torch.float64), horizon=horizon)
    if backend == "jax":
        import jax.numpy as jnp

        return NamespaceOps(
            jnp,
            constant=lambda values: jnp.asarray(values, dtype=jnp.float64),
            cast=lambda value: jnp.asarray(value).astype(jnp.float64),
            horizon=horizon,
        )
    return NamespaceOps(
        keras.ops,
        constant=lambda values: keras.ops.convert_to_tensor(list(values), dtype="float64"),
        cast=lambda value: keras.ops.cast(value, "float64"),
        horizon=horizon,
    )


def _eager_torch_step(step: Any) -> float | None:
    """The step as a Python float when it is a concrete (not traced) scalar torch tensor."""
    if keras.backend.backend() != "torch":
        return None
    import torch

    if not isinstance(step, torch.Tensor) or step.ndim != 0 or torch.compiler.is_compiling():
        return None
    value = float(step.item())
    return value if math.isfinite(value) else None


@contextlib.contextmanager
def _float64_enabled() -> Iterator[None]:
    """Let the JAX backend build float64 values (a no-op on the other backends)."""
    if keras.backend.backend() == "jax":
        import jax

        with jax.enable_x64(True):
            yield
    else:
        yield


@keras.saving.register_keras_serializable(package="warmcos")
class LearningRateSchedule(keras.optimizers.schedules.LearningRateSchedule):  # type: ignore[misc]
    """Drive a Keras optimizer's learning rate with any warmcos schedule.

    ``lr(step) = schedule(step / steps_per_unit)``, computed on ``keras.ops`` with the
    schedule's own formula (no per-backend re-derivation).

    Args:
        schedule: A warmcos schedule, its spec string, or its ``to_dict()`` data.
        steps_per_unit: Optimizer steps per unit of the schedule (batches per epoch for a
            schedule written in epochs).
        horizon: The largest step evaluated exactly; later steps read as the horizon.

    Example:
        >>> import keras, warmcos
        >>> from warmcos.keras import LearningRateSchedule
        >>> lr = LearningRateSchedule(warmcos.cosine(peak=1e-3, steps=1000, warmup=100))
        >>> optimizer = keras.optimizers.AdamW(learning_rate=lr)
        >>> round(float(lr(100)), 6)
        0.001
    """

    def __init__(
        self,
        schedule: Schedule | str | dict[str, Any],
        steps_per_unit: float = 1,
        horizon: float = DEFAULT_HORIZON,
    ) -> None:
        super().__init__()
        where = f"{type(self).__name__}()"
        self.schedule = as_schedule(schedule, where)
        self.steps_per_unit = check.positive(where, "steps_per_unit", steps_per_unit)
        self.horizon = float(check.positive(where, "horizon", horizon))

    def __call__(self, step: Any) -> Any:
        """The learning rate at `step` (an int or float tensor, or a Python number)."""
        step = keras.ops.convert_to_tensor(step)
        eager = _eager_torch_step(step)
        if eager is not None:
            # Keras' torch backend runs eagerly: the per-step Python path (the same formula in
            # float64) costs a few microseconds where tensor operations cost a fraction of a ms.
            value = self.schedule(min(max(eager / self.steps_per_unit, 0.0), self.horizon))
            return keras.ops.convert_to_tensor(value, dtype=keras.config.floatx())
        with _float64_enabled():
            ops = _float64_ops(step, self.horizon)
            value = evaluate_traced(self.schedule, step, ops, self.steps_per_unit)
            return keras.ops.cast(value, keras.config.floatx())

    def get_config(self) -> dict[str, Any]:
        """The schedule as plain data, for ``model.save``."""
        return {
            "schedule": self.schedule.to_dict(),
            "steps_per_unit": self.steps_per_unit,
            "horizon": self.horizon,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        """Rebuild from :meth:`get_config`."""
        return cls(**config)


@keras.saving.register_keras_serializable(package="warmcos")
class CosineAnnealingLRScheduler(LearningRateSchedule):
    """The seed tutorial's Keras schedule, drop-in, with its defects fixed.

    With ``W = int(total_step * warmth_rate)`` and ``T = total_step``:

    * ``W > 0`` and ``step < W``: ``lr_max * step / W`` (warm-up from 0, as in the article);
    * ``W <= step < T``: ``lr_min + (lr_max - lr_min) * (1 + cos(pi * (step - W) / (T - W))) / 2``;
    * ``step >= T``: ``lr_min``.

    Unlike the article's class, the cosine spans the steps left after warm-up (so `lr_min` is
    reached exactly at `total_step` and held), ``warmth_rate=0`` starts at `lr_max`, integer
    and float step tensors work on every backend and under XLA, it saves with the model, and bad
    arguments are refused. It is :func:`warmcos.cosine` behind :class:`LearningRateSchedule`.

    Args:
        total_step: ``T``, the step where `lr_min` is reached (``>= 1``).
        lr_max: The peak (``>= lr_min``).
        lr_min: The floor (``>= 0``).
        warmth_rate: The warm-up's share of `total_step`, in [0, 1).

    Example:
        >>> from warmcos.keras import CosineAnnealingLRScheduler
        >>> lr = CosineAnnealingLRScheduler(total_step=100, lr_max=0.1, lr_min=0.0, warmth_rate=0.1)
        >>> [round(float(lr(t)), 4) for t in (0, 5, 10, 55, 100, 150)]
        [0.0, 0.05, 0.1, 0.05, 0.0, 0.0]
    """

    def __init__(
        self, total_step: int, lr_max: float, lr_min: float = 0, warmth_rate: float = 0
    ) -> None:
        where = "CosineAnnealingLRScheduler()"
        total = check.whole(where, "total_step", total_step, minimum=1)
        peak = check.nonnegative(where, "lr_max", lr_max)
        floor = check.nonnegative(where, "lr_min", lr_min)
        check.at_most(where, "lr_min", floor, "lr_max", peak)
        rate = check.number(where, "warmth_rate", warmth_rate)
        if not 0 <= rate < 1:
            raise check.fail(where, "warmth_rate", "be in [0, 1)", warmth_rate=warmth_rate)
        warmup = math.floor(total * rate)
        self.total_step, self.lr_max, self.lr_min, self.warmth_rate = total, peak, floor, rate
        super().__init__(Cosine(peak=peak, steps=total, floor=floor, warmup=warmup))

    def get_config(self) -> dict[str, Any]:
        """The article's four arguments."""
        return {
            "total_step": self.total_step,
            "lr_max": self.lr_max,
            "lr_min": self.lr_min,
            "warmth_rate": self.warmth_rate,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> CosineAnnealingLRScheduler:
        """Rebuild from :meth:`get_config`."""
        return cls(**config)
