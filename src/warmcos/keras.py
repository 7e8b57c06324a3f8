"""Keras 3 adapter: a warmcos schedule as a ``keras.optimizers.schedules.LearningRateSchedule``.

It evaluates the schedule's one formula (its ``evaluate``, the same on every backend) through
the operations seam of the backend at hand: ``keras.ops`` on TensorFlow, ``jax.numpy`` on JAX and
torch's own operations on the torch backend (Keras' ops turn some float64 results into float32
there), and the core's per-step path when the step is a concrete number. So it runs on the
TensorFlow, JAX and torch backends, inside ``tf.function`` and under XLA (``jit_compile=True``),
with integer or float step tensors. The formula is evaluated in float64 (exact restart
boundaries for integer steps up to the horizon) and the learning rate is returned in
``keras.config.floatx()``. Both classes are
registered as Keras serialisable, so ``model.save`` / ``keras.models.load_model`` restore them
(the loading process imports ``warmcos.keras``, as for any Keras extension).

:func:`change_budget` (or the :class:`ChangeBudget` callback) gives a running or resumed ``fit``
another length without a jump in the learning rate (the documentation's guide "Changing the
budget").

A step whose value is known when the schedule is called (a Python number, NumPy data, an eager
tensor or variable) is checked as the core checks a step: a negative, NaN or infinite step, or
one that is not a real number, raises. Only a traced step (inside ``tf.function``, ``jax.jit``
or ``torch.compile``) is clamped instead, since it cannot raise.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

import keras
import numpy as np

from ._core import validation as check
from ._core.budget import ChangedBudget
from ._core.cosine import Cosine
from ._core.ops_graph import DEFAULT_HORIZON, NamespaceOps, evaluate_traced
from ._core.plateau import PlateauMonitor, report_metric
from ._core.schedule import Schedule
from ._core.spec import as_schedule

__all__ = [
    "ChangeBudget",
    "CosineAnnealingLRScheduler",
    "LearningRateSchedule",
    "ReduceOnPlateau",
    "change_budget",
]


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


def _traced(step: Any) -> bool:
    """Whether `step` is a symbolic tensor, whose value is not known while the graph is built."""
    if not (keras.ops.is_tensor(step) or isinstance(step, keras.Variable)):
        return False  # Python or NumPy data
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return not tf.executing_eagerly()
    if backend == "jax":
        import jax

        value = step.value if isinstance(step, keras.Variable) else step
        return isinstance(value, jax.core.Tracer)
    if backend == "torch":
        import torch

        return bool(torch.compiler.is_compiling())
    return False


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
        plateau_state: The bookkeeping of :class:`ReduceOnPlateau` for a schedule holding a
            ``warmcos.plateau`` (set by the callback; saved with the model so that a resumed
            ``fit`` continues it).

    Raises:
        TypeError, ValueError: Bad arguments; when called, a concrete step that is not a real
            number, or is negative, NaN or infinite (a traced step reads as 0 when negative).

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
        plateau_state: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__()
        where = f"{type(self).__name__}()"
        self.schedule = as_schedule(schedule, where)
        self.steps_per_unit = check.positive(where, "steps_per_unit", steps_per_unit)
        self.horizon = float(check.positive(where, "horizon", horizon))
        self.plateau_state = (
            None
            if plateau_state is None
            else PlateauMonitor.from_state(plateau_state, f"{where}: `plateau_state`")
        )

    def __call__(self, step: Any) -> Any:
        """The learning rate at `step` (an int or float tensor, or a Python number)."""
        if not _traced(step):
            # A concrete step: checked, then the core's own float64 path (a scalar costs a few
            # microseconds where eager tensor operations cost a fraction of a millisecond).
            if keras.ops.is_tensor(step) or isinstance(step, keras.Variable):
                step = keras.ops.convert_to_numpy(step)
            steps = check.steps(f"{type(self).__name__}()", step)
            t = np.minimum(steps / self.steps_per_unit, self.horizon)
            value = self.schedule(float(t)) if t.ndim == 0 else self.schedule(t)
            return keras.ops.convert_to_tensor(value, dtype=keras.config.floatx())
        step = keras.ops.convert_to_tensor(step)
        with _float64_enabled():
            ops = _float64_ops(step, self.horizon)
            value = evaluate_traced(self.schedule, step, ops, self.steps_per_unit)
            return keras.ops.cast(value, keras.config.floatx())

    def get_config(self) -> dict[str, Any]:
        """The schedule as plain data, for ``model.save``."""
        config = {
            "schedule": self.schedule.to_dict(),
            "steps_per_unit": self.steps_per_unit,
            "horizon": self.horizon,
        }
        if self.plateau_state is not None:
            config["plateau_state"] = self.plateau_state.state_dict()
        return config

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


def change_budget(target: Any, steps: float, *, at: float | None = None) -> LearningRateSchedule:
    """Give a model's (or optimizer's) schedule another length from now on, without a jump.

    The optimizer's :class:`LearningRateSchedule` is replaced by one of
    ``warmcos.change_budget(schedule, at, steps)`` with the same ``steps_per_unit`` and
    ``horizon``: the same values up to `at`, then the rest of the schedule re-timed to end at
    `steps` (a warm-up keeps its length, a ``wsd`` plateau absorbs the change), still ending at
    its floor. At `at` the values agree, so the next update continues where the last one left
    off. A :class:`CosineAnnealingLRScheduler` becomes a plain :class:`LearningRateSchedule`.

    Given a model, its train function is traced again (``make_train_function(force=True)``),
    since a compiled train step (``tf.function``, ``jax.jit``) holds the schedule it was traced
    with; inside ``fit`` (from a callback, see :class:`ChangeBudget`) the next batch uses the new
    one. Given an optimizer, only functions traced after the change see it. ``model.save``
    afterwards saves the changed schedule, which ``keras.models.load_model`` restores.

    Args:
        target: A compiled ``keras.Model``, or a Keras optimizer, whose learning rate is a
            :class:`LearningRateSchedule`.
        steps: The new end, in schedule units (``steps_per_unit`` optimizer steps each):
            ``> at``.
        at: The position of the change, in schedule units: None (default) for the optimizer's
            current one (its iterations / ``steps_per_unit``); not earlier than it.

    Returns:
        The new :class:`LearningRateSchedule`, now the optimizer's.

    Raises:
        TypeError: A `target` that is not a model or optimizer, or whose learning rate is not a
            warmcos schedule.
        ValueError: A bad `steps` or `at`, or a schedule that does not end after `at`; nothing
            changes.

    Example:
        >>> import keras, warmcos
        >>> from warmcos.keras import LearningRateSchedule, change_budget
        >>> optimizer = keras.optimizers.SGD(LearningRateSchedule(warmcos.cosine(1.0, 100)))
        >>> changed = change_budget(optimizer, steps=200)  # before any update: at=0
        >>> changed.schedule
        change_budget(schedule=cosine(peak=1.0, steps=100), at=0.0, steps=200)
        >>> round(float(optimizer.learning_rate), 4)
        1.0
    """
    where = "warmcos.keras.change_budget()"
    model, optimizer, current, position = _scheduled(target, where, "for its budget to change")
    start = position if at is None else float(check.span(where, "at", at, zero=True))
    if start < position:
        raise check.fail(
            where,
            "at",
            f"be >= the optimizer's current position {position!r} (iterations / steps_per_unit; "
            "an earlier change would change learning rates already used)",
            at=at,
        )
    end = check.span(where, "steps", steps)
    if not end > start:
        raise check.fail(where, "steps", "be > `at`", steps=steps, at=start)
    natural_end = current.schedule.natural_end
    if natural_end is None or not start < natural_end:
        what = "never settles" if natural_end is None else f"ends at {natural_end!r}"
        raise ValueError(
            f"{where}: `at` must be before the schedule's natural end, and the optimizer's "
            f"schedule {what} (there is nothing left to re-time). Received: at={start!r}, "
            f"schedule={check.short(current.schedule)}"
        )
    changed = LearningRateSchedule(
        ChangedBudget(current.schedule, start, end),
        steps_per_unit=current.steps_per_unit,
        horizon=current.horizon,
    )
    _install(model, optimizer, changed)
    return changed


def _scheduled(
    target: Any, where: str, purpose: str
) -> tuple[Any, Any, LearningRateSchedule, float]:
    """`target`'s model (or None), optimizer, warmcos schedule, and position in schedule units."""
    model = target if isinstance(target, keras.Model) else None
    optimizer = getattr(target, "optimizer", None) if model is not None else target
    # A LossScaleOptimizer (mixed precision) wraps the optimizer that holds the schedule.
    optimizer = getattr(optimizer, "inner_optimizer", optimizer)
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        detail = " (a model without an optimizer: compile it first)" if model is not None else ""
        raise TypeError(
            f"{where}: `target` must be a compiled keras.Model or a Keras optimizer. "
            f"Received: target of type {type(target).__name__}{detail}"
        )
    if model is not None and callable(getattr(model, "jax_state_sync", None)):
        model.jax_state_sync()  # JAX: read the optimizer's iterations as the running fit has them
    current = optimizer._learning_rate
    if not isinstance(current, LearningRateSchedule):
        raise TypeError(
            f"{where}: the optimizer's learning rate must be a warmcos.keras.LearningRateSchedule "
            f"{purpose}. Received: {check.short(current)} of type {type(current).__name__}"
        )
    # The schedule reads the optimizer's own update count (`_iterations`, which `iterations`
    # divides by gradient_accumulation_steps).
    iterations = float(keras.ops.convert_to_numpy(optimizer._iterations))
    return model, optimizer, current, iterations / current.steps_per_unit


def _install(model: Any, optimizer: Any, schedule: LearningRateSchedule) -> None:
    """Make `schedule` the optimizer's, and trace the model's train step again to use it."""
    optimizer.learning_rate = schedule
    if model is not None and getattr(model, "train_function", None) is not None:
        model.make_train_function(force=True)


class ChangeBudget(keras.callbacks.Callback):  # type: ignore[misc]
    """A callback that changes the budget of the model's schedule once, during ``fit``.

    At the start of epoch `at_epoch` (0-based, as Keras counts epochs), or at the start of
    training when `at_epoch` is None (to resume a saved model with another total), it calls
    :func:`change_budget` on the model with `steps`, at the optimizer's current position. It
    acts once: a later ``fit`` with the same callback changes nothing more.

    Args:
        steps: The new end, in schedule units.
        at_epoch: The epoch at whose start the budget changes; None for the start of training.

    Raises:
        TypeError, ValueError: A bad `steps` or `at_epoch`.

    Example:
        >>> from warmcos.keras import ChangeBudget
        >>> callback = ChangeBudget(steps=3000, at_epoch=5)  # model.fit(..., callbacks=[callback])
    """

    def __init__(self, steps: float, at_epoch: int | None = None) -> None:
        super().__init__()
        where = "ChangeBudget()"
        self.steps = check.span(where, "steps", steps)
        self.at_epoch = (
            None if at_epoch is None else check.whole(where, "at_epoch", at_epoch, minimum=0)
        )
        self.changed: LearningRateSchedule | None = None

    def on_train_begin(self, logs: Any = None) -> None:
        """Change the budget now when no epoch was given."""
        if self.at_epoch is None:
            self._change()

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        """Change the budget at the start of epoch `at_epoch`."""
        if epoch == self.at_epoch:
            self._change()

    def _change(self) -> None:
        if self.changed is None:
            self.changed = change_budget(self.model, self.steps)


class ReduceOnPlateau(keras.callbacks.Callback):  # type: ignore[misc]
    """Reduce on plateau for a warmcos schedule: Keras' ``ReduceLROnPlateau`` for any schedule.

    Keras' own ``ReduceLROnPlateau`` refuses an optimizer whose learning rate is a schedule.
    This callback works with a :class:`LearningRateSchedule` whose schedule holds one
    ``warmcos.plateau(...)``: at the end of each epoch it reports the metric `monitor` from
    the logs to the plateau's rules (`mode`, `patience`, `threshold`, `cooldown`, as PyTorch's
    ``ReduceLROnPlateau``), and on a reduction records it at the optimizer's current position
    (iterations / ``steps_per_unit``) and retraces the train step. The schedule stays a pure
    function of the step: ``model.save`` saves the reductions and the bookkeeping
    (``plateau_state``), and a model loaded from it resumes ``fit`` exactly.

    Args:
        monitor: The logs key to follow (``"val_loss"`` by default).
        verbose: 1 to print a line at each reduction.

    Example:
        >>> import warmcos
        >>> from warmcos.keras import LearningRateSchedule, ReduceOnPlateau
        >>> lr = LearningRateSchedule(warmcos.plateau(warmcos.cosine(1e-3, 1000), patience=3))
        >>> callback = ReduceOnPlateau("val_loss")  # model.fit(..., callbacks=[callback])
    """

    def __init__(self, monitor: str = "val_loss", verbose: int = 0) -> None:
        super().__init__()
        if not isinstance(monitor, str) or not monitor:
            raise TypeError(
                "ReduceOnPlateau(): `monitor` must be the name of a metric in the logs, such "
                f"as 'val_loss'. Received: monitor={check.short(monitor)}"
            )
        self.monitor, self.verbose = monitor, int(verbose)
        self.reductions = 0

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        """Report the epoch's metric; reduce when the plateau's rules say so."""
        where = "ReduceOnPlateau"
        logs = logs or {}
        if self.monitor not in logs:
            warnings.warn(
                f"{where}: the metric {self.monitor!r} is not in the logs (available: "
                f"{sorted(logs)}); no report this epoch",
                stacklevel=2,
            )
            return
        model, optimizer, current, position = _scheduled(
            self.model, where, "to be reduced on plateau"
        )
        (schedule,), trial = report_metric(
            [current.schedule], current.plateau_state, logs[self.monitor], position, where
        )
        if schedule is current.schedule:
            current.plateau_state = trial
            return
        reduced = LearningRateSchedule(
            schedule,
            steps_per_unit=current.steps_per_unit,
            horizon=current.horizon,
            plateau_state=trial.state_dict(),
        )
        _install(model, optimizer, reduced)
        self.reductions += 1
        if self.verbose:
            value = float(schedule(min(position, current.horizon)))
            print(f"\nEpoch {epoch + 1}: ReduceOnPlateau reducing learning rate to {value:.4g}.")
