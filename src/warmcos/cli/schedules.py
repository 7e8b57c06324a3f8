"""``warmcos plot``, ``warmcos show`` and ``warmcos table``: look at schedules before training."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from .. import Conversion, Schedule
from .._core.validation import short
from . import peers
from .app import InputError
from .specfile import Named, SpecError, load
from .summary import default_horizon, run_length, summarize
from .text import MARKS, WIDTH, chart, nice_step, step_text, summary_lines

_SPEC_HELP = (
    "A schedule spec string such as 'cosine(peak=3e-4, steps=10000, warmup=500)', a .json, "
    ".yaml/.yml or .toml file holding one schedule or named schedules, a peer call such as "
    "'torch.optim.lr_scheduler.OneCycleLR(max_lr=0.1, total_steps=1000)' or a .keras model."
)
_STEPS_HELP = (
    "The last step shown. Default: a bit past the schedule's natural end (its `steps`, the end "
    "of its last cycle), or three cycles of restarts without max_cycles."
)

PLOT_HELP = """Draw schedules into a PNG, SVG or PDF file (by the extension of -o).

Every schedule is drawn and labelled in one figure; warm-up segments are shaded and restarts
drawn as thin dashed lines. The schedules of a file are labelled with their names.

\b
Examples:
  warmcos plot "cosine(peak=3e-4, steps=10000, warmup=500)" -o schedule.png
  warmcos plot schedules.yaml --log --steps-per-epoch 250 -o schedules.svg
"""

SHOW_HELP = """Summarize a schedule's segments and draw it as text (80 columns).

Lists each segment (its kind, shape, steps and learning-rate range), the peak and floor of each
restart cycle, the peak, the first step below 10% of the peak and the natural end, then a chart.

\b
Examples:
  warmcos show "cosine_restarts(peak=0.1, first_cycle=100, cycle_mult=1.5, warmup=10)"
  warmcos show "cosine(peak=3e-4, steps=800)" --change-budget 400:1600
"""

MAX_TABLE_ROWS = 1_000_000
"""The most rows ``warmcos table`` prints (checked before the first one)."""

TABLE_HELP = f"""Print the learning rate at chosen steps, as CSV (default) or JSON.

The columns are the step and the value of each schedule ("lr" for a single unnamed one).
At most {MAX_TABLE_ROWS:,} rows.

\b
Examples:
  warmcos table "cosine(peak=3e-4, steps=10000, warmup=500)" --every 1000
  warmcos table schedules.toml --at 0,500,1000 --json
"""


def register(app: typer.Typer) -> None:
    """Add ``plot``, ``show`` and ``table`` to `app`."""
    app.command("plot", help=PLOT_HELP, no_args_is_help=True)(plot)
    app.command("show", help=SHOW_HELP, no_args_is_help=True)(show)
    app.command("table", help=TABLE_HELP, no_args_is_help=True)(table)


_LR_HELP = (
    "The learning rate of the optimizer a PyTorch or transformers peer call is built on "
    "(the peer's factors at 1.0)."
)


def _load(
    specs: Sequence[str], lr: float = peers.DEFAULT_LR, notes: dict[str, Conversion] | None = None
) -> list[Named]:
    schedules: list[Named] = []
    for spec in specs:
        if peers.is_peer_call(spec) or peers.is_keras_file(spec, json_too=False):
            if peers.is_peer_call(spec):
                label, result = peers.load(spec, lr)
            else:
                label, result = peers.load_keras_file(spec)
            if notes is not None:
                notes[label] = result
            try:
                schedules.append((label, result.schedule))
            except ValueError as error:
                raise InputError(str(error)) from None
            continue
        try:
            schedules += load(spec)
        except SpecError as error:
            raise InputError(str(error)) from None
    return schedules


def _label(name: str | None, schedule: Schedule) -> str:
    return repr(schedule) if name is None else name


def _horizon(schedules: Sequence[Named], steps: float | None) -> float:
    if steps is not None:
        if not (0 < steps < math.inf):
            raise InputError(f"--steps must be a finite number > 0. Received: {steps!r}")
        return steps
    return max(default_horizon(schedule) for _, schedule in schedules)


_CHANGE_HELP = (
    "Also draw each schedule with its budget changed at step AT to end at step STEPS "
    "(warmcos.change_budget): the old and the new schedule together."
)


def _with_changed_budget(schedules: list[Named], text: str | None) -> list[Named]:
    """The schedules, each followed by its changed-budget version when `text` is AT:STEPS."""
    if text is None:
        return schedules
    match = re.fullmatch(r"\s*([^:]+):([^:]+)\s*", text)
    try:
        at, steps = (float(part) for part in match.groups()) if match else (None, None)
    except ValueError:
        at = steps = None
    if at is None or steps is None:
        raise InputError(
            f"--change-budget must be AT:STEPS, such as 400:1600. Received: {text[:40]!r}"
        )
    from .. import change_budget

    at, steps = _plain(at), _plain(steps)  # 400, not 400.0, in the printed spec
    changed: list[Named] = []
    for name, schedule in schedules:
        try:
            new = change_budget(schedule, at, steps)
        except (TypeError, ValueError) as error:
            raise InputError(str(error)) from None
        label = f"{name or 'schedule'} with its budget changed at {step_text(at)}"
        changed += [(name, schedule), (f"{label} to {step_text(steps)}", new)]
    return changed


def _size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not match:
        raise InputError(
            f"--size must be WIDTHxHEIGHT in pixels, such as 1000x560. Received: {short(text)}"
        )
    width, height = int(match.group(1)), int(match.group(2))
    if not (400 <= width <= 10_000 and 300 <= height <= 10_000):
        raise InputError(
            f"--size must be between 400x300 and 10000x10000 pixels. Received: {short(text)}"
        )
    return width, height


def _positive(option: str, value: float | None) -> None:
    if value is not None and not (0 < value < math.inf):
        raise InputError(f"{option} must be a finite number > 0. Received: {value!r}")


def plot(
    specs: Annotated[list[str], typer.Argument(metavar="SPEC", help=_SPEC_HELP)],
    output: Annotated[
        Path,
        typer.Option(
            "-o", "--output", metavar="FILE", help="The file to write: .png, .svg or .pdf."
        ),
    ],
    log: Annotated[bool, typer.Option("--log", help="A logarithmic learning-rate axis.")] = False,
    steps: Annotated[float | None, typer.Option(metavar="N", help=_STEPS_HELP)] = None,
    epochs: Annotated[
        float | None,
        typer.Option(
            metavar="E",
            help="Add an epoch axis: the run (--steps, or the natural end) lasts E epochs.",
        ),
    ] = None,
    steps_per_epoch: Annotated[
        float | None, typer.Option(metavar="K", help="Add an epoch axis: K steps per epoch.")
    ] = None,
    size: Annotated[
        str, typer.Option(metavar="WxH", help="The image size in pixels (100 per inch).")
    ] = "1000x560",
    title: Annotated[str | None, typer.Option(metavar="TEXT", help="The figure's title.")] = None,
    change: Annotated[
        str | None, typer.Option("--change-budget", metavar="AT:STEPS", help=_CHANGE_HELP)
    ] = None,
    lr: Annotated[float, typer.Option("--lr", metavar="LR", help=_LR_HELP)] = peers.DEFAULT_LR,
) -> None:
    """Draw schedules into an image file."""
    from ..plotting import FORMATS

    schedules = _with_changed_budget(_load(specs, lr), change)
    horizon = _horizon(schedules, steps)
    pixels = _size(size)
    _positive("--epochs", epochs)
    _positive("--steps-per-epoch", steps_per_epoch)
    if epochs is not None and steps_per_epoch is not None:
        raise InputError("give --epochs or --steps-per-epoch, not both")
    if output.suffix.lower().lstrip(".") not in FORMATS:
        raise InputError(
            f"cannot write {str(output)!r}: the file name must end in .png, .svg or .pdf"
        )
    if epochs is not None:
        run = steps if steps is not None else max(run_length(s) for _, s in schedules)
        steps_per_epoch = (run if run > 0 else horizon) / epochs
    try:
        from ..plotting import figure, save

        fig = figure(
            [(_label(name, schedule), schedule) for name, schedule in schedules],
            steps=horizon,
            log=log,
            steps_per_epoch=steps_per_epoch,
            size=pixels,
            title=title,
        )
        save(fig, output)
    except ModuleNotFoundError as error:
        if error.name is None or not error.name.startswith("matplotlib"):
            raise
        raise InputError("plotting needs matplotlib: pip install 'warmcos[plot]'") from None
    except (OSError, ValueError) as error:
        raise InputError(str(error)) from None
    typer.echo(f"wrote {output}")


def show(
    spec: Annotated[str, typer.Argument(metavar="SPEC", help=_SPEC_HELP)],
    steps: Annotated[float | None, typer.Option(metavar="N", help=_STEPS_HELP)] = None,
    change: Annotated[
        str | None, typer.Option("--change-budget", metavar="AT:STEPS", help=_CHANGE_HELP)
    ] = None,
    lr: Annotated[float, typer.Option("--lr", metavar="LR", help=_LR_HELP)] = peers.DEFAULT_LR,
) -> None:
    """Summarize a schedule and draw it as text."""
    notes: dict[str, Conversion] = {}
    schedules = _with_changed_budget(_load([spec], lr, notes), change)
    horizon = _horizon(schedules, steps)
    curves = []
    breaks: list[float] = []
    for index, (name, schedule) in enumerate(schedules):
        summary = summarize(schedule, horizon)
        title = repr(schedule) if name is None else f"{name} = {schedule!r}"
        if len(schedules) > 1:
            title = f"{MARKS[index % len(MARKS)]} {title}"
        for line in summary_lines(title, summary):
            typer.echo(line)
        if name in notes:
            typer.echo(peers.difference_line(notes[name]))
        typer.echo("")
        curves.append((MARKS[index % len(MARKS)], schedule))
        breaks += [segment.start for segment in summary.segments]
    for line in chart(curves, horizon, breaks, width=WIDTH):
        typer.echo(line)


def _steps_at(text: str) -> list[float]:
    if text.count(",") >= MAX_TABLE_ROWS:
        raise InputError(
            f"--at must list at most {MAX_TABLE_ROWS:,} steps. "
            f"Received: {text.count(',') + 1:,} steps"
        )
    steps = []
    for item in text.split(","):
        try:
            step = float(item)
        except ValueError:
            raise InputError(
                f"--at must be steps separated by commas, such as 0,500,1000. "
                f"Received: {short(text)}"
            ) from None
        if not (0 <= step < math.inf):
            raise InputError(f"--at steps must be finite and >= 0. Received: {short(item.strip())}")
        steps.append(step)
    return steps


def _every(spacing: float, horizon: float) -> Sequence[float]:
    """The steps ``0, spacing, 2 * spacing, ...`` up to `horizon`, computed as they are read."""
    rows = horizon / spacing * (1 + 1e-12)  # (1 + 1e-12): keep `horizon` despite rounding
    if not rows < MAX_TABLE_ROWS:  # (also when the division overflows to inf)
        count = "more than 10**300" if rows > 1e300 else f"{math.floor(rows) + 1:,}"
        raise InputError(
            f"--every must leave at most {MAX_TABLE_ROWS:,} rows up to step "
            f"{step_text(horizon)}. Received: --every {step_text(spacing)}, {count} rows"
        )
    return _Multiples(spacing, range(math.floor(rows) + 1))


class _Multiples(Sequence[float]):
    """``index * spacing`` for each of `indices`: a million steps without a list of them."""

    def __init__(self, spacing: float, indices: range) -> None:
        self.spacing, self.indices = spacing, indices

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: Any) -> Any:
        return self.indices[index] * self.spacing


def _plain(step: float) -> int | float:
    return int(step) if step == math.floor(step) and abs(step) < 2**53 else step


def table(
    spec: Annotated[str, typer.Argument(metavar="SPEC", help=_SPEC_HELP)],
    every: Annotated[
        float | None,
        typer.Option(metavar="K", help="Every K steps from 0 to --steps (default: ~10-20 rows)."),
    ] = None,
    at: Annotated[
        str | None, typer.Option(metavar="LIST", help="These steps, such as 0,500,1000.")
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help='A JSON list of {"step": ..., "lr": ...} objects, not CSV.'),
    ] = False,
    steps: Annotated[float | None, typer.Option(metavar="N", help=_STEPS_HELP)] = None,
    lr: Annotated[float, typer.Option("--lr", metavar="LR", help=_LR_HELP)] = peers.DEFAULT_LR,
) -> None:
    """Print the learning rate at chosen steps."""
    schedules = _load([spec], lr)
    if every is not None and at is not None:
        raise InputError("give --every or --at, not both")
    _positive("--every", every)
    points: Sequence[float]
    if at is not None:
        points = _steps_at(at)
    else:
        horizon = _horizon(schedules, steps)
        points = _every(every if every is not None else nice_step(horizon, 20), horizon)

    names = ["lr"] if len(schedules) == 1 and schedules[0][0] is None else []
    names = names or [_label(name, schedule) for name, schedule in schedules]
    if len(set(names)) != len(names) or "step" in names:
        raise InputError(
            f"the schedules need distinct names other than 'step'. Received: {short(names)}"
        )

    # One Python-number call per step: exactly the value `schedule(step)` gives in a training
    # loop (the NumPy path may differ in the last bit). Rows are printed as they are computed.
    def rows() -> Iterator[tuple[int | float, list[float]]]:
        for point in points:
            step = _plain(point)
            yield step, [s(step) for _, s in schedules]

    try:
        for point in (points[0], points[-1]):  # a step a schedule refuses fails before output
            for _, schedule in schedules:
                schedule(_plain(point))
        _echo_lines(_json_lines(names, rows()) if as_json else _csv_lines(names, rows()))
    except ValueError as error:
        raise InputError(str(error)) from None


def _csv_lines(
    names: Sequence[str], rows: Iterable[tuple[int | float, list[float]]]
) -> Iterator[str]:
    yield ",".join(["step", *(_csv_cell(name) for name in names)])
    for step, values in rows:
        yield ",".join([repr(step), *(repr(value) for value in values)])


def _json_lines(
    names: Sequence[str], rows: Iterable[tuple[int | float, list[float]]]
) -> Iterator[str]:
    """A JSON list of one object per row, one per line: ``[``, ``  {...},`` ..., ``]``."""
    previous = None
    for step, values in rows:
        yield "[" if previous is None else f"  {previous},"
        previous = json.dumps({"step": step, **dict(zip(names, values, strict=True))})
    if previous is None:
        yield "[]"
    else:
        yield f"  {previous}"
        yield "]"


def _echo_lines(lines: Iterable[str], batch: int = 4096) -> None:
    """Print `lines` in batches: one write per batch, not one per row."""
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) == batch:
            typer.echo("\n".join(chunk))
            chunk.clear()
    if chunk:
        typer.echo("\n".join(chunk))


def _csv_cell(text: str) -> str:
    if any(char in text for char in ',"\n'):
        return '"' + text.replace('"', '""') + '"'
    return text
