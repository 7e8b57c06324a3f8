"""How each peer library's schedulers read in warmcos: the one table the site shows two ways.

Each row maps one peer call onto warmcos (taken from the parity tests in ``tests/parity/`` and the
adapters' tests, which check them against the live peers). The build hook renders the rows of a
schedule on its page (``<!-- peers: cosine -->``) and the rows of a peer in the migration guide
(``<!-- peers-of: PyTorch -->``), so a mapping is written once. ``lr`` is the optimizer's base
learning rate where the peer scales it.
"""

from __future__ import annotations

from dataclasses import dataclass

PEERS = ("PyTorch", "timm", "transformers", "Keras", "optax")
"""The peer libraries, in the order the tables show them."""


@dataclass(frozen=True)
class Row:
    """One peer call and the warmcos schedule that gives the same values.

    Attributes:
        peer: One of :data:`PEERS`.
        theirs: The peer's call (Markdown).
        ours: The warmcos call (Markdown).
        schedules: The spec names of the warmcos schedules the row uses (its pages list it).
        note: Where the two differ, or how an argument maps (Markdown, may be empty).
    """

    peer: str
    theirs: str
    ours: str
    schedules: tuple[str, ...]
    note: str = ""


ROWS: tuple[Row, ...] = (
    # PyTorch: torch.optim.lr_scheduler
    Row(
        "PyTorch",
        "`CosineAnnealingLR(opt, T_max, eta_min)`",
        "`cosine(peak=lr, steps=T_max, floor=eta_min)`",
        ("cosine",),
        "up to `T_max`; PyTorch keeps cycling after it, warmcos holds `eta_min`",
    ),
    Row(
        "PyTorch",
        "`CosineAnnealingLR` past `T_max` (it cycles)",
        '`cosine(peak=lr, steps=T_max, floor=eta_min, after_end="periodic")`',
        ("cosine",),
        "with `eta_min > lr` the same call rises",
    ),
    Row(
        "PyTorch",
        "`CosineAnnealingWarmRestarts(opt, T_0, T_mult, eta_min)`",
        "`cosine_restarts(peak=lr, first_cycle=T_0, floor=eta_min, cycle_mult=T_mult)`",
        ("cosine_restarts",),
        "`step(epoch)` finds the cycle with a floating-point logarithm and lands one cycle early at"
        " some exact restarts (for example `T_mult=3` at step 121); warmcos gives the restart's"
        " peak there",
    ),
    Row(
        "PyTorch",
        "`LinearLR(opt, start_factor, end_factor, total_iters)`",
        "`linear(start=start_factor * lr, end=end_factor * lr, steps=total_iters)`",
        ("linear",),
    ),
    Row(
        "PyTorch",
        "`StepLR(opt, step_size, gamma)`",
        "`step(lr, step_size, gamma)`",
        ("step",),
        "`gamma > 1` grows: warmcos then needs an `end_value` it never passes",
    ),
    Row(
        "PyTorch",
        "`MultiStepLR(opt, milestones, gamma)`",
        "`multistep(lr, milestones, gamma)`",
        ("multistep",),
        "a repeated milestone is refused (a `join` of constants does it)",
    ),
    Row(
        "PyTorch",
        "`ExponentialLR(opt, gamma)`",
        "`exponential(lr, gamma)`",
        ("exponential",),
    ),
    Row(
        "PyTorch",
        "`SequentialLR(opt, schedulers, milestones)`",
        "`join([...], milestones)`",
        ("join",),
        "each piece restarts from its local step 0, as in `SequentialLR`",
    ),
    Row(
        "PyTorch",
        "`ConstantLR(opt, factor, total_iters)`",
        "`piecewise_constant([total_iters], [factor * lr, lr])`",
        ("piecewise_constant",),
    ),
    Row(
        "PyTorch",
        "`PolynomialLR(opt, total_iters, power)`",
        "`polynomial(lr, 0.0, total_iters, power)`",
        ("polynomial",),
    ),
    Row(
        "PyTorch",
        "`OneCycleLR(opt, max_lr, total_steps, pct_start, anneal_strategy, div_factor,"
        " final_div_factor, three_phase)`",
        "`one_cycle(max_lr, total_steps, pct_start, div_factor, final_div_factor,"
        " anneal_strategy, three_phase)`",
        ("one_cycle",),
        'its momentum: `hyperparameters={"momentum": one_cycle(base_momentum, total_steps,'
        " pct_start, start=max_momentum, end=max_momentum)}`",
    ),
    Row(
        "PyTorch",
        "`CyclicLR(opt, base_lr, max_lr, step_size_up, step_size_down, mode, gamma)`",
        "`cyclic(base_lr, max_lr, step_size_up, step_size_down, mode, gamma)`",
        ("cyclic",),
        "its momentum: `cyclic(base_momentum, max_momentum, ..., inverse=True)`",
    ),
    Row(
        "PyTorch",
        "`ChainedScheduler([StepLR(...), ExponentialLR(...)])`",
        "`lr * step(1.0, step_size, gamma) * exponential(1.0, gamma)`",
        ("product", "scaled"),
        "a product of unit schedules",
    ),
    Row(
        "PyTorch",
        "`ReduceLROnPlateau(opt, mode, factor, patience, threshold, threshold_mode, cooldown,"
        " min_lr, eps)`",
        "`plateau(constant(lr), factor, patience, mode, threshold, threshold_mode, cooldown,"
        " min_lr, eps)`",
        ("plateau",),
        "on top of any schedule; `warmcos.torch.LRScheduler.report(metric)` records the reductions",
    ),
    Row(
        "PyTorch",
        "`LambdaLR(opt, lr_lambda)`, `MultiplicativeLR(opt, lr_lambda)`, any scheduler",
        "`trace(scheduler, steps)`",
        ("traced", "trace"),
        "the learning rates recorded at whole steps: a function cannot describe itself",
    ),
    # timm
    Row(
        "timm",
        "`CosineLRScheduler(opt, t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit,"
        " warmup_t, warmup_lr_init, warmup_prefix=True)`",
        "`cosine_restarts(peak=lr, first_cycle=warmup_t + t_initial, floor=lr_min,"
        " cycle_mult=cycle_mul, gamma=cycle_decay, warmup=warmup_t, warmup_start=warmup_lr_init,"
        ' max_cycles=cycle_limit, warmup_cycles="first", cycle_rule="geometric")`',
        ("cosine_restarts",),
        "`cycle_decay` was `decay_rate` in older timm; `cycle_limit` defaults to 1 (one cycle)."
        ' timm lets a decayed peak fall below `lr_min`; the default `gamma_mode="peak"` stops'
        " it at `floor`",
    ),
    Row(
        "timm",
        "`CosineLRScheduler(opt, t_initial=T, lr_min=m, k_decay=k, warmup_t=W,"
        " warmup_lr_init=s, warmup_prefix=p)`, one cycle",
        "`warmup(cosine(peak=lr, steps=T, floor=m, k_decay=k), W, start=s, end=lr, prefix=p)`",
        ("cosine", "warmup"),
        "timm warms up to the base LR with and without the prefix",
    ),
    Row(
        "timm",
        "`TanhLRScheduler(opt, t_initial=T, lb=l, ub=u, lr_min=m, warmup_t=W,"
        " warmup_lr_init=s, warmup_prefix=p)`, one cycle",
        "`warmup(tanh(peak=lr, steps=T, floor=m, lower=l, upper=u), W, start=s,"
        " end=lr if p else None, prefix=p)`",
        ("tanh", "warmup"),
        "without the prefix timm warms up to the tanh's value at `W`: warmcos' default",
    ),
    Row(
        "timm",
        "any scheduler with `noise_range_t=(s, e), noise_pct=p, noise_std=d, noise_seed=k,"
        " noise_type=...`",
        "`noisy(schedule, start=s, end=e, pct=p, std=d, seed=k, distribution=...)`",
        ("noisy",),
        "the same distribution; the numbers drawn differ from timm's",
    ),
    Row(
        "timm",
        "`PolyLRScheduler(opt, t_initial=T, power=k, lr_min=m, warmup_t=W, warmup_lr_init=w0,"
        " warmup_prefix=p)`, one cycle",
        "`join([linear(w0, lr, W), polynomial(lr, m, T, k)], [W], local_steps=p)`",
        ("polynomial", "join"),
        "without the prefix the decay sees the global step (it is part-way down at `W`)",
    ),
    Row(
        "timm",
        "`CosineLRScheduler(..., k_decay=k)`, `PolyLRScheduler(..., power=p, k_decay=k)` or"
        " `TanhLRScheduler(..., lb, ub)` with `cycle_mul`, `cycle_decay`, `cycle_limit`",
        "`cosine_restarts(peak=lr, first_cycle=t_initial, floor=lr_min, cycle_mult=cycle_mul,"
        ' gamma=cycle_decay, max_cycles=cycle_limit, cycle_rule="geometric", shape=...,'
        " k_decay=k, power=p, lower=lb, upper=ub)`",
        ("cosine_restarts",),
        '`shape` is `"cosine"`, `"polynomial"` or `"tanh"`; a warm-up as in the rows above',
    ),
    Row(
        "timm",
        "`StepLRScheduler(opt, decay_t, decay_rate)`,"
        " `MultiStepLRScheduler(opt, decay_t=[...], decay_rate)`",
        "`step(lr, decay_t, decay_rate)`, `multistep(lr, decay_t, decay_rate)`",
        ("step", "multistep"),
        "a warm-up as in the rows above",
    ),
    Row(
        "timm",
        "`PlateauLRScheduler(opt, decay_rate=f, patience_t=p, cooldown_t=c, lr_min=m,"
        " threshold=h, mode=..., warmup_t=W, warmup_lr_init=s)`, `step(epoch + 1, metric)`",
        "`plateau(warmup(constant(lr), W, start=s), factor=f, patience=p, cooldown=c,"
        " min_lr=m, threshold=h, mode=...)`, stepped per epoch with `report(metric)` after `W`",
        ("plateau",),
        "timm deprecates its class because its state is lost on resume; warmcos saves the"
        " reductions and the bookkeeping in `state_dict()`",
    ),
    # transformers
    Row(
        "transformers",
        "`get_constant_schedule_with_warmup(opt, W)`",
        "`join([linear(0.0, lr, W), constant(lr)], [W])`",
        ("constant", "join"),
    ),
    Row(
        "transformers",
        "`get_cosine_schedule_with_warmup(opt, W, T)`",
        "`cosine(peak=lr, steps=T, warmup=W)`",
        ("cosine",),
        "up to `T`; transformers rises again after it",
    ),
    Row(
        "transformers",
        "`get_cosine_schedule_with_warmup(opt, W, T, num_cycles=n)`",
        "`cosine(peak=lr, steps=T, warmup=W, waves=n)`",
        ("cosine",),
        '`after_end="periodic"` to go on past `T` as transformers does',
    ),
    Row(
        "transformers",
        "`get_cosine_with_min_lr_schedule_with_warmup(opt, W, T, min_lr=m)`",
        "`cosine(peak=lr, steps=T, warmup=W, floor=m)`",
        ("cosine",),
        "`min_lr_rate=r`: `floor=r * lr`",
    ),
    Row(
        "transformers",
        "`get_cosine_with_hard_restarts_schedule_with_warmup(opt, W, T, num_cycles=n)`",
        "`cosine_restarts(peak=lr, first_cycle=W + (T - W) / n, warmup=W, warmup_start=0,"
        ' warmup_cycles="first", cycle_rule="geometric", max_cycles=n)`',
        ("cosine_restarts",),
        "from `num_cycles >= 22` transformers' float `%` misses some restarts; warmcos gives the"
        " peak there",
    ),
    Row(
        "transformers",
        "`get_linear_schedule_with_warmup(opt, W, T)`",
        '`wsd(peak=lr, steps=T, warmup=W, decay=T - W, shape="linear")`',
        ("wsd",),
    ),
    Row(
        "transformers",
        "`get_wsd_schedule(opt, W, D, num_stable_steps=S, warmup_type=..., decay_type=...,"
        " min_lr_ratio=r)`",
        "`wsd(peak=lr, steps=W + S + D, warmup=W, decay=D, floor=r * lr, warmup_start=r * lr,"
        " shape=..., warmup_shape=...)`",
        ("wsd",),
        '`"linear"`, `"cosine"`, and `"1-sqrt"` spelled `"sqrt"`',
    ),
    Row(
        "transformers",
        "`get_polynomial_decay_schedule_with_warmup(opt, W, T, lr_end, power)`",
        "`join([linear(0.0, lr, W), polynomial(lr, lr_end, T - W, power)], [W])`",
        ("polynomial", "join"),
    ),
    Row(
        "transformers",
        "`get_inverse_sqrt_schedule(opt, W, timescale)`",
        "`inverse_sqrt(lr, warmup=W, timescale=timescale)`",
        ("inverse_sqrt",),
    ),
    Row(
        "transformers",
        "`get_reduce_on_plateau_schedule(opt, **kwargs)`",
        "as PyTorch's `ReduceLROnPlateau`",
        ("plateau",),
        "transformers passes its arguments to PyTorch's class",
    ),
    Row(
        "transformers",
        "any `get_*_schedule...` (a `LambdaLR`)",
        "`trace(scheduler, steps)`",
        ("traced", "trace"),
        "recorded at whole steps; `convert` gives a schedule that describes itself where it can",
    ),
    # Keras: keras.optimizers.schedules
    Row(
        "Keras",
        "`CosineDecay(initial_learning_rate, decay_steps, alpha)`",
        "`cosine(peak=initial_learning_rate, steps=decay_steps,"
        " floor=alpha * initial_learning_rate)`",
        ("cosine",),
    ),
    Row(
        "Keras",
        "`CosineDecay(initial_learning_rate, decay_steps, alpha, warmup_target=P, warmup_steps=W)`",
        "`cosine(peak=P, steps=W + decay_steps, floor=alpha * P, warmup=W,"
        " warmup_start=initial_learning_rate)`",
        ("cosine",),
        "Keras' `decay_steps` excludes the warm-up",
    ),
    Row(
        "Keras",
        "`CosineDecayRestarts(initial_learning_rate, first_decay_steps, t_mul, m_mul, alpha)`",
        "`cosine_restarts(peak=initial_learning_rate, first_cycle=first_decay_steps,"
        " floor=alpha * initial_learning_rate, cycle_mult=t_mul, gamma=m_mul,"
        ' cycle_rule="geometric", gamma_mode="amplitude")`',
        ("cosine_restarts",),
        "Keras' `t_mul` defaults to 2.0, warmcos' `cycle_mult` to 1.0. Keras finds the cycle"
        " with a float32 logarithm and lands one cycle early at some exact restarts",
    ),
    Row(
        "Keras",
        "`ExponentialDecay(initial_learning_rate, decay_steps, decay_rate, staircase)`",
        "`exponential(initial_learning_rate, decay_rate, decay_steps=decay_steps,"
        " staircase=staircase)`",
        ("exponential",),
    ),
    Row(
        "Keras",
        "`PolynomialDecay(initial_learning_rate, decay_steps, end_learning_rate, power, cycle)`",
        "`polynomial(initial_learning_rate, end_learning_rate, decay_steps, power, cycle)`",
        ("polynomial",),
    ),
    Row(
        "Keras",
        "`InverseTimeDecay(initial_learning_rate, decay_steps, decay_rate, staircase)`",
        "`inverse_time(initial_learning_rate, decay_steps, decay_rate, staircase)`",
        ("inverse_time",),
    ),
    Row(
        "Keras",
        "`PiecewiseConstantDecay(boundaries, values)`",
        "`piecewise_constant([b + 1 for b in boundaries], values)`",
        ("piecewise_constant",),
        "for whole steps: Keras switches just after a boundary",
    ),
    Row(
        "Keras",
        "`keras.callbacks.ReduceLROnPlateau(monitor, factor, patience, ...)`",
        "the callback `warmcos.keras.ReduceOnPlateau` on a `plateau(...)` schedule",
        ("plateau",),
    ),
    Row(
        "Keras",
        "any `LearningRateSchedule`",
        "`trace(schedule, steps)`",
        ("traced", "trace"),
        "recorded at whole steps",
    ),
    # optax
    Row(
        "optax",
        "`constant_schedule(value)`",
        "`constant(value)`",
        ("constant",),
    ),
    Row(
        "optax",
        "`warmup_cosine_decay_schedule(init_value, peak_value, warmup_steps, decay_steps,"
        " end_value, exponent=n)`",
        "`cosine(peak=peak_value, steps=decay_steps, floor=end_value, warmup=warmup_steps,"
        " warmup_start=init_value, exponent=n)`",
        ("cosine",),
        "optax's `decay_steps` includes the warm-up, like `steps`",
    ),
    Row(
        "optax",
        "`cosine_decay_schedule(init_value, decay_steps, alpha, exponent=n)`",
        "`cosine(peak=init_value, steps=decay_steps, floor=alpha * init_value, exponent=n)`",
        ("cosine",),
    ),
    Row(
        "optax",
        "`sgdr_schedule([kwargs_0, kwargs_1, ...])`",
        "`join([cosine(...) for each kwargs], cumulative decay_steps)`",
        ("cosine_restarts", "join"),
        "or one `cosine_restarts` when the cycles follow a rule",
    ),
    Row(
        "optax",
        "`linear_schedule(init_value, end_value, transition_steps)`",
        "`linear(init_value, end_value, transition_steps)`",
        ("linear",),
    ),
    Row(
        "optax",
        "`exponential_decay(init_value, transition_steps, decay_rate, transition_begin,"
        " staircase, end_value)`",
        "`exponential(init_value, decay_rate, decay_steps=transition_steps, staircase=staircase,"
        " transition_begin=transition_begin, end_value=end_value)`",
        ("exponential",),
    ),
    Row(
        "optax",
        "`piecewise_constant_schedule(init_value, {m: g, ...})` with one scale `g`",
        "`multistep(init_value, [m, ...], g)`",
        ("multistep",),
    ),
    Row(
        "optax",
        "`piecewise_constant_schedule(init_value, boundaries_and_scales)`",
        "`piecewise_constant(boundaries, values)` with the running products of the scales",
        ("piecewise_constant",),
        "both switch at the boundary",
    ),
    Row(
        "optax",
        "`piecewise_interpolate_schedule(interpolate_type, init_value, boundaries_and_scales)`",
        "`interpolate([0, *boundaries], values, shape=interpolate_type)` with the running"
        " products of the scales",
        ("interpolate",),
    ),
    Row(
        "optax",
        "`polynomial_schedule(init_value, end_value, power, transition_steps)`",
        "`polynomial(init_value, end_value, transition_steps, power)`",
        ("polynomial",),
        "a `transition_begin` is a `join` with `constant(init_value)` first",
    ),
    Row(
        "optax",
        "`join_schedules(schedules, boundaries)`",
        "`join(schedules, boundaries)`",
        ("join",),
        "each piece sees its own local step in both",
    ),
    Row(
        "optax",
        "`cosine_onecycle_schedule`, `linear_onecycle_schedule`",
        "a `join` of two `ramp`s (cosine or linear) through `peak_value / div_factor`,"
        " `peak_value` and `init / final_div_factor`",
        ("ramp", "one_cycle"),
        "optax puts the phase boundaries at `int(pct_start * transition_steps)`",
    ),
)

PEER_NOTES: dict[tuple[str, str], str] = {
    ("traced", "timm"): "any scheduler: `trace(scheduler, steps)`",
    ("traced", "optax"): "any schedule (a function of the step): `trace(schedule, steps)`",
    ("step", "Keras"): "`ExponentialDecay(..., staircase=True)`, see [exponential](exponential.md)",
    ("step", "optax"): "`exponential_decay(..., staircase=True)`, see "
    "[exponential](exponential.md)",
    ("constant", "PyTorch"): "no scheduler at all (`ConstantLR` is a factor for a while: "
    "[piecewise_constant](piecewise_constant.md))",
    ("constant", "Keras"): "a float `learning_rate`",
}
"""What a schedule's page says for a peer without a row, where "no equivalent" would mislead."""


def rows_for_schedule(name: str) -> list[Row]:
    """The rows that use the schedule with spec name `name`, in :data:`PEERS` order."""
    return sorted(
        (row for row in ROWS if name in row.schedules), key=lambda row: PEERS.index(row.peer)
    )


def rows_for_peer(peer: str) -> list[Row]:
    """The rows of one peer library."""
    return [row for row in ROWS if row.peer == peer]
