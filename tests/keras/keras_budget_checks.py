"""Checks of ``warmcos.keras.change_budget`` / ``ChangeBudget`` on ONE Keras backend.

Keras fixes its backend when it is first imported, so ``tests/keras/test_keras_budget.py`` runs this
script once per backend, each in a new process::

    KERAS_BACKEND=jax python tests/keras/keras_budget_checks.py OUTDIR

It prints one line ``RESULT {json}``: ``{"backend": ..., "checks": {name: {"ok": bool,
"detail": ...}}}``, and exits with status 1 when a check failed. Not a test module; Keras is
imported only inside ``main()``.

The model is the one of ``keras_backend_checks.py``'s ``fit_applies_schedule_each_step``: a
bias-free ``Dense(1)`` from weight 0 on inputs of 1 with the loss ``mean(y_pred)`` has gradient
1, so plain SGD leaves the weight at ``-sum_k lr(k)``: the weight shows the learning rate the
compiled train step really used at every update (reading ``optimizer.learning_rate`` from a
callback would not: it calls the schedule eagerly, and would show a new schedule that the traced
step does not use). The truth is warmcos' float64 core: ``schedule(k)`` before the change and
``warmcos.change_budget(schedule, at, steps)(k)`` after it, within float32 rounding.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np

RTOL = 1e-6  # float32 rounding of a float64 value
ATOL = 1e-12
BATCHES = 10  # per epoch: 40 samples, batches of 4
PLANNED = "cosine(peak=0.1, steps=40, floor=0.001, warmup=4)"  # 4 epochs planned ...
NEW_END = 80  # ... and 8 given, from the start of epoch 2 (update 20)
AT = 20


def to_numpy(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):  # torch
        value = value.detach().cpu()
    return np.asarray(value)


def close(actual: list[float], expected: list[float], what: str) -> None:
    for k, (got, want) in enumerate(zip(actual, expected, strict=True)):
        if not abs(got - want) <= RTOL * abs(want) + ATOL:
            raise AssertionError(f"{what}: update {k}: got {got!r}, expected {want!r}")


class Checks:
    def __init__(self, outdir: Path) -> None:
        import keras

        import warmcos
        from warmcos.keras import (
            ChangeBudget,
            LearningRateSchedule,
            ReduceOnPlateau,
            change_budget,
        )

        self.keras, self.warmcos = keras, warmcos
        self.ReduceOnPlateau = ReduceOnPlateau
        self.LRS, self.ChangeBudget, self.change_budget = (
            LearningRateSchedule,
            ChangeBudget,
            change_budget,
        )
        self.backend = keras.backend.backend()
        self.outdir = outdir
        self.planned = warmcos.parse(PLANNED)
        self.changed = warmcos.change_budget(self.planned, at=AT, steps=NEW_END)
        self.x = np.ones((4 * BATCHES, 1), dtype="float32")

    def model(self, learning_rate: Any) -> Any:
        keras = self.keras
        model = keras.Sequential(
            [keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")]
        )
        model.compile(
            optimizer=keras.optimizers.SGD(learning_rate=learning_rate),
            loss=mean_prediction,
            # TF and JAX trace and compile the train step: the change must reach it.
            jit_compile=self.backend in ("tensorflow", "jax"),
        )
        return model

    def recorder(self, seen: list[tuple[int, float]]) -> Any:
        class Record(self.keras.callbacks.Callback):
            def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
                optimizer = self.model.optimizer
                seen.append(
                    (int(to_numpy(optimizer.iterations)), float(to_numpy(optimizer.learning_rate)))
                )

        return Record()

    def weight(self, model: Any) -> float:
        return float(to_numpy(model.layers[0].kernel)[0, 0])

    def expected(self, updates: range) -> list[float]:
        return [self.planned(k) if k < AT else self.changed(k) for k in updates]

    def check_running_fit(self) -> dict[str, Any]:
        """A callback changes the budget at the start of epoch 2, inside one running fit."""
        model = self.model(self.LRS(self.planned))
        seen: list[tuple[int, float]] = []
        change = self.ChangeBudget(NEW_END, at_epoch=2)
        model.fit(
            self.x,
            self.x,
            batch_size=4,
            epochs=NEW_END // BATCHES,
            verbose=0,
            shuffle=False,
            callbacks=[change, self.recorder(seen)],
        )
        assert [k for k, _ in seen] == list(range(NEW_END)), seen
        lrs = [lr for _, lr in seen]
        close(lrs[:AT], [self.planned(k) for k in range(AT)], "before the change")
        close(lrs[AT : AT + 1], [self.planned(AT)], "at the change (no jump)")
        close(lrs, self.expected(range(NEW_END)), "the read-back LR")
        # The traced train step really used the new schedule.
        weight, applied = self.weight(model), -sum(self.expected(range(NEW_END)))
        old = -sum(self.planned(k) for k in range(NEW_END))
        assert abs(weight - applied) <= 1e-5 * abs(applied), (weight, applied, old)
        final = float(to_numpy(model.optimizer.learning_rate))
        close([final], [self.changed(NEW_END)], "after the last update (the floor)")
        assert change.changed is not None and change.changed.schedule == self.changed
        assert model.optimizer._learning_rate is change.changed
        return {"weight": weight, "expected": applied, "old_schedule_would_give": old}

    def check_resumed_fit(self) -> dict[str, Any]:
        """Save after 2 epochs, load, change the budget, fit on; save and load again."""
        keras = self.keras
        model = self.model(self.LRS(self.planned))
        model.fit(self.x, self.x, batch_size=4, epochs=AT // BATCHES, verbose=0, shuffle=False)
        path = self.outdir / "planned.keras"
        model.save(path)
        weights: dict[str, float] = {}
        runs: dict[str, list[float]] = {}
        for how in ("function", "callback"):
            loaded = keras.models.load_model(path, custom_objects=CUSTOM)
            assert int(to_numpy(loaded.optimizer.iterations)) == AT
            callbacks: list[Any] = []
            if how == "function":
                changed = self.change_budget(loaded, NEW_END)  # at the optimizer's position
                assert changed.schedule == self.changed, changed.schedule
            else:
                callbacks.append(self.ChangeBudget(NEW_END))  # at the start of the fit
            seen: list[tuple[int, float]] = []
            start = self.weight(loaded)
            loaded.fit(
                self.x,
                self.x,
                batch_size=4,
                epochs=NEW_END // BATCHES,
                initial_epoch=AT // BATCHES,
                verbose=0,
                shuffle=False,
                callbacks=[*callbacks, self.recorder(seen)],
            )
            assert [k for k, _ in seen] == list(range(AT, NEW_END)), seen
            runs[how] = [lr for _, lr in seen]
            close(runs[how], self.expected(range(AT, NEW_END)), f"resumed ({how})")
            weight, applied = self.weight(loaded), start - sum(self.expected(range(AT, NEW_END)))
            assert abs(weight - applied) <= 1e-5 * abs(applied), (how, weight, applied)
            weights[how] = weight
            # The model saved afterwards carries the changed schedule.
            again = self.outdir / f"changed_{how}.keras"
            loaded.save(again)
            restored = keras.models.load_model(again, custom_objects=CUSTOM)
            schedule = restored.optimizer._learning_rate
            assert type(schedule).__name__ == "LearningRateSchedule", type(schedule)
            assert schedule.schedule == self.changed, schedule.schedule
            assert int(to_numpy(restored.optimizer.iterations)) == NEW_END
            probe = [0, AT - 1, AT, 50, NEW_END, 10**6]
            values = [float(to_numpy(schedule(k))) for k in probe]
            close(values, [self.changed(k) for k in probe], f"restored ({how})")
        assert runs["function"] == runs["callback"]
        return {"weights": weights}

    def check_refusals(self) -> dict[str, Any]:
        """Refused changes raise, name the argument, and leave the optimizer's schedule."""
        keras = self.keras
        model = self.model(self.LRS(self.planned))
        model.fit(self.x, self.x, batch_size=4, epochs=1, verbose=0, shuffle=False)  # 10 updates
        kept = model.optimizer._learning_rate
        cases: list[tuple[Any, dict[str, Any], type, str]] = [
            (model, {"steps": 5}, ValueError, "`steps` must be > `at`"),
            (model, {"steps": 80, "at": 3}, ValueError, "`at` must be >= the optimizer's current"),
            (model, {"steps": -1}, ValueError, "`steps` must be > 0"),
            (model, {"steps": "80"}, TypeError, "`steps` must be a real number"),
            (7, {"steps": 80}, TypeError, "`target` must be a compiled keras.Model"),
        ]
        for target, arguments, error, text in cases:
            try:
                self.change_budget(target, **arguments)
            except error as exc:
                assert str(exc).startswith("warmcos.keras.change_budget(): "), exc
                assert text in str(exc), (text, str(exc))
            else:
                raise AssertionError(f"{arguments} was accepted")
            assert model.optimizer._learning_rate is kept
        late = self.model(self.LRS(self.warmcos.cosine(peak=0.1, steps=5)))
        late.fit(self.x, self.x, batch_size=4, epochs=1, verbose=0, shuffle=False)
        try:
            self.change_budget(late, 80)
        except ValueError as exc:
            assert "`at` must be before the schedule's natural end" in str(exc), exc
            assert "ends at 5" in str(exc), exc
        else:
            raise AssertionError("a change after the end was accepted")
        plain = self.model(0.01)
        try:
            self.change_budget(plain, 80)
        except TypeError as exc:
            assert "must be a warmcos.keras.LearningRateSchedule" in str(exc), exc
        else:
            raise AssertionError("a float learning rate was accepted")
        for arguments, error in (
            ({"steps": 0}, ValueError),
            ({"steps": 9, "at_epoch": -1}, ValueError),
        ):
            try:
                self.ChangeBudget(**arguments)
            except error:
                pass
            else:
                raise AssertionError(f"ChangeBudget({arguments}) was accepted")
        # Given the optimizer alone, the schedule changes too (a function traced later sees it).
        optimizer = keras.optimizers.SGD(learning_rate=self.LRS(self.planned))
        changed = self.change_budget(optimizer, NEW_END, at=AT)
        assert optimizer._learning_rate is changed and changed.schedule == self.changed
        return {"cases": len(cases) + 3}

    def scripted(self, scores: list[float]) -> Any:
        """A callback that puts ``scores[epoch]`` into the logs as ``"score"``, for the next."""

        class Script(self.keras.callbacks.Callback):
            def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
                logs["score"] = scores[epoch]

        return Script()

    def check_plateau_fit(self) -> dict[str, Any]:
        """ReduceOnPlateau records reductions at the update count; save, load, fit on."""
        keras, warmcos = self.keras, self.warmcos
        rules = warmcos.plateau(
            warmcos.cosine(peak=0.1, steps=100, floor=0.001, warmup=4), factor=0.5, patience=1
        )
        model = self.model(self.LRS(rules))
        # Epoch ends at updates 10, 20, ...: best 1.0; 0.9 better; bad 1; bad 2 > 1: reduce at
        # update 40. 0.8 better; bad 1; bad 2: reduce at 70; bad 1.
        scores = [1.0, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8]
        seen: list[tuple[int, float]] = []
        callback = self.ReduceOnPlateau("score")
        fit = {"batch_size": 4, "verbose": 0, "shuffle": False}
        model.fit(
            self.x,
            self.x,
            epochs=8,
            callbacks=[self.scripted(scores), callback, self.recorder(seen)],
            **fit,
        )
        reduced = rules.with_reductions([40, 70])
        schedule = model.optimizer._learning_rate
        assert schedule.schedule == reduced, schedule.schedule
        assert callback.reductions == 2
        assert schedule.plateau_state.state_dict() == {
            "best": 0.8,
            "bad_reports": 1,
            "cooldown_left": 0,
        }
        close([lr for _, lr in seen], [reduced(k) for k in range(80)], "read-back LR")
        applied = -sum(reduced(k) for k in range(80))
        weight = self.weight(model)
        assert abs(weight - applied) <= 1e-5 * abs(applied), (weight, applied)
        path = self.outdir / "plateau.keras"
        model.save(path)
        loaded = keras.models.load_model(path, custom_objects=CUSTOM)
        restored = loaded.optimizer._learning_rate
        assert restored.schedule == reduced and restored.plateau_state.bad_reports == 1
        loaded.fit(
            self.x,
            self.x,
            epochs=9,
            initial_epoch=8,
            callbacks=[self.scripted(scores), self.ReduceOnPlateau("score")],
            **fit,
        )
        # The ninth report is the second bad one in a row: a reduction at update 90.
        assert loaded.optimizer._learning_rate.schedule == rules.with_reductions([40, 70, 90])
        missing = self.ReduceOnPlateau("nothing")
        plain = self.model(self.LRS(warmcos.cosine(peak=0.1, steps=10)))
        try:
            plain.fit(
                self.x,
                self.x,
                epochs=1,
                callbacks=[self.scripted([1.0]), self.ReduceOnPlateau("score")],
                **fit,
            )
        except ValueError as exc:
            assert "plateau, outermost" in str(exc), exc
        else:
            raise AssertionError("a schedule without a plateau was accepted")
        import warnings

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(self.x, self.x, epochs=1, callbacks=[missing], **fit)
        assert any("'nothing' is not in the logs" in str(w.message) for w in caught), caught
        return {"weight": weight, "expected": applied}


def mean_prediction(y_true: Any, y_pred: Any) -> Any:
    import keras

    return keras.ops.squeeze(y_pred, -1)


CUSTOM = {"mean_prediction": mean_prediction}
"""The test's loss, for ``load_model`` (the schedule itself needs only ``import warmcos.keras``)."""
CHECK_NAMES = ["running_fit", "resumed_fit", "refusals", "plateau_fit"]


def main(argv: list[str]) -> int:
    if len(argv) != 1 or "KERAS_BACKEND" not in os.environ:
        print(__doc__, file=sys.stderr)
        return 2
    checks = Checks(Path(argv[0]))
    results: dict[str, Any] = {}
    for name in CHECK_NAMES:
        began = time.perf_counter()
        try:
            results[name] = {"ok": True, "detail": getattr(checks, f"check_{name}")()}
        except Exception as exc:  # report every check, not just the first failure
            text = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-6)}"
            results[name] = {"ok": False, "detail": text}
        results[name]["seconds"] = round(time.perf_counter() - began, 2)
    print("RESULT " + json.dumps({"backend": checks.backend, "checks": results}))
    failed = {name: r["detail"] for name, r in results.items() if not r["ok"]}
    for name, detail in failed.items():
        print(f"FAILED {name}: {detail}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
