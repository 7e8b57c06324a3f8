"""Peer calls on the command line: another library's schedule, built and converted to warmcos.

``warmcos convert``, ``show``, ``table`` and ``plot`` accept, wherever they take a spec, the call
that builds a schedule in PyTorch, transformers or Keras, such as
``"torch.optim.lr_scheduler.OneCycleLR(max_lr=0.1, total_steps=1000)"``. The call is read with
Python's parser and checked node by node against :data:`CONSTRUCTORS` (dotted names, literal
arguments: numbers, strings, ``None``/``True``/``False``, lists, dicts; PyTorch schedulers nested
inside ``SequentialLR``/``ChainedScheduler``); nothing is executed and nothing is imported but
the peer library of an allowed call, when it is used. PyTorch and transformers schedules are
built on ``torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR)`` (``--lr``, default
1.0, so that the values are the peer's factors); the object is then converted with
:func:`warmcos.conversion`, which checks it against the peer.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from .. import Conversion, conversion
from .._convert.keras_schedules import CLASSES as KERAS_CLASSES
from .._convert.torch_schedulers import COMBINERS as TORCH_COMBINERS
from .._convert.torch_schedulers import LEAVES as TORCH_LEAVES
from .._core.validation import short
from .app import InputError

MAX_CALL_LENGTH = 10_000
"""The longest peer call read, in characters."""

MAX_CALL_DEPTH = 20
"""How deep calls, lists and dicts may nest in a peer call."""

DEFAULT_LR = 1.0
"""The learning rate of the stand-in optimizer of PyTorch and transformers calls."""

_TORCH = "torch.optim.lr_scheduler."
# The classes the readers convert, as they name them (LambdaLR only wraps transformers' lambdas).
_TORCH_CLASSES = (*(name for name in TORCH_LEAVES if name != "LambdaLR"), *TORCH_COMBINERS)
_TRANSFORMERS_FUNCTIONS = (
    "get_scheduler",
    "get_constant_schedule",
    "get_constant_schedule_with_warmup",
    "get_linear_schedule_with_warmup",
    "get_cosine_schedule_with_warmup",
    "get_cosine_with_hard_restarts_schedule_with_warmup",
    "get_polynomial_decay_schedule_with_warmup",
    "get_inverse_sqrt_schedule",
    "get_cosine_with_min_lr_schedule_with_warmup",
    "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
    "get_wsd_schedule",
)
_KERAS = "keras.optimizers.schedules."
_KERAS_CLASSES = KERAS_CLASSES

CONSTRUCTORS: dict[str, tuple[str, str, str]] = {
    **{_TORCH + name: ("torch", "torch.optim.lr_scheduler", name) for name in _TORCH_CLASSES},
    **{
        prefix + name: ("transformers", "transformers", name)
        for name in _TRANSFORMERS_FUNCTIONS
        for prefix in ("transformers.", "transformers.optimization.")
    },
    **{_KERAS + name: ("keras", "keras.optimizers.schedules", name) for name in _KERAS_CLASSES},
}
"""Every call allowed: dotted name -> (library, module to import, attribute)."""

EXTRAS = {"torch": "torch", "transformers": "torch", "keras": "keras"}
"""The warmcos extra that installs each library (transformers needs torch too)."""

PEER_ROOTS = ("torch", "transformers", "keras")
"""Calls of a dotted name starting with one of these are peer calls."""


@dataclass(frozen=True)
class _Call:
    """A checked peer call: its constructor and its literal (or nested) arguments."""

    name: str
    args: list[Any]
    kwargs: dict[str, Any]


def is_peer_call(text: str) -> bool:
    """Whether `text` looks like a call of a dotted name (``a.b(...)``), not a warmcos spec.

    Such a text is read by :func:`load`, which refuses any name not in :data:`CONSTRUCTORS`.
    """
    if len(text) > MAX_CALL_LENGTH:
        return False
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return isinstance(tree.body, ast.Call) and isinstance(tree.body.func, ast.Attribute)


def load(text: str, lr: float = DEFAULT_LR) -> tuple[str, Conversion]:
    """Build the peer's schedule that `text` calls for, and convert it.

    Args:
        text: An allowed peer call, such as
            ``"torch.optim.lr_scheduler.StepLR(step_size=30, gamma=0.5)"``.
        lr: The learning rate of the stand-in optimizer (PyTorch and transformers).

    Returns:
        The call's text as a label, and the checked :class:`~warmcos.Conversion`.

    Raises:
        InputError: A call that is not allowed or has non-literal arguments, a peer library
            that is not installed (naming the extra to install), a peer that refuses the
            arguments, or a schedule warmcos cannot convert exactly.
    """
    call = _read(text)
    library = CONSTRUCTORS[call.name][0]
    _import(library)
    try:
        obj = _build(call, lr)
    except InputError:
        raise
    except Exception as error:  # the peer's own refusal of the arguments
        raise InputError(f"{call.name.rsplit('.', 1)[-1]}(): {error}") from None
    try:
        return " ".join(text.split()), conversion(obj)
    except (TypeError, ValueError) as error:
        raise InputError(str(error)) from None


def _read(text: str) -> _Call:
    if len(text) > MAX_CALL_LENGTH:
        raise InputError(
            f"a peer call must be at most {MAX_CALL_LENGTH:,} characters. "
            f"Received: {len(text):,} characters"
        )
    source = text.strip()
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise InputError(f"not a schedule spec or a peer call: {short(text)}") from None
    return _Reader(source, text).call(tree.body, 1)


class _Reader:
    def __init__(self, source: str, text: str) -> None:
        self.source, self.quoted = source, short(text)

    def call(self, node: ast.expr, depth: int) -> _Call:
        name = _dotted(node.func) if isinstance(node, ast.Call) else None
        if name not in CONSTRUCTORS or not isinstance(node, ast.Call):
            shown = name or (ast.get_source_segment(self.source, node) or "")[:40]
            raise InputError(
                f"{short(shown, 60)} is not a peer call warmcos knows; allowed: "
                f"{_TORCH}<{'|'.join(_TORCH_CLASSES)}>(...), transformers.get_*(...), "
                f"{_KERAS}<{'|'.join(_KERAS_CLASSES)}>(...), with literal arguments"
            )
        args = [self.value(item, depth + 1) for item in node.args]
        kwargs: dict[str, Any] = {}
        for keyword in node.keywords:
            if keyword.arg is None:
                raise InputError(f"`**` is not allowed in a peer call. Received: {self.quoted}")
            kwargs[keyword.arg] = self.value(keyword.value, depth + 1)
        return _Call(name, args, kwargs)

    def value(self, node: ast.expr, depth: int) -> Any:
        if depth > MAX_CALL_DEPTH:
            raise InputError(f"a peer call may nest at most {MAX_CALL_DEPTH} deep")
        if isinstance(node, ast.Constant) and (
            node.value is None or isinstance(node.value, (bool, int, float, str))
        ):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.value(node.operand, depth + 1)
            if isinstance(operand, (int, float)) and not isinstance(operand, bool):
                return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self.value(item, depth + 1) for item in node.elts]
        if isinstance(node, ast.Dict) and all(
            isinstance(key, ast.Constant) and isinstance(key.value, str) for key in node.keys
        ):
            return {
                key.value: self.value(item, depth + 1)  # type: ignore[union-attr]
                for key, item in zip(node.keys, node.values, strict=True)
            }
        if isinstance(node, ast.Call):
            inner = self.call(node, depth)
            if CONSTRUCTORS[inner.name][0] != "torch":
                raise InputError(
                    f"only PyTorch schedulers may be nested in a peer call. Received: "
                    f"{inner.name} in {self.quoted}"
                )
            return inner
        snippet = ast.get_source_segment(self.source, node) or ""
        raise InputError(
            "peer call arguments must be numbers, strings, lists, dicts, None, True, False or "
            f"PyTorch scheduler calls. Received: {short(snippet, 40)} in {self.quoted}"
        )


def _dotted(node: ast.expr) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _import(library: str) -> None:
    needed = ["torch", "transformers"] if library == "transformers" else [library]
    for name in needed:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError:
            extra = EXTRAS[name]
            hint = f'pip install "warmcos[{extra}]"'
            if name == "transformers":
                hint = "pip install transformers"
            raise InputError(f"this peer call needs {name}: {hint}") from None


def _build(call: _Call, lr: float) -> Any:
    library, module, attribute = CONSTRUCTORS[call.name]
    target: Callable[..., Any] = getattr(importlib.import_module(module), attribute)
    if library == "keras":
        return target(*call.args, **call.kwargs)
    import torch

    param = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    optimizer = torch.optim.SGD([param], lr=lr)
    return _construct(call, target, optimizer)


def _construct(call: _Call, target: Callable[..., Any], optimizer: Any) -> Any:
    def materialise(value: Any) -> Any:
        if isinstance(value, _Call):
            _, module, attribute = CONSTRUCTORS[value.name]
            inner = getattr(importlib.import_module(module), attribute)
            return _construct(value, inner, optimizer)
        if isinstance(value, list):
            return [materialise(item) for item in value]
        return value

    args = [materialise(item) for item in call.args]
    kwargs = {key: materialise(item) for key, item in call.kwargs.items()}
    if call.name.endswith(".ChainedScheduler"):
        return target(*args, **kwargs)
    if call.name.endswith("get_scheduler") and args:
        return target(args[0], optimizer, *args[1:], **kwargs)
    if call.name.endswith("get_scheduler"):
        return target(optimizer=optimizer, **kwargs)
    return target(optimizer, *args, **kwargs)


KERAS_FILES = (".keras", ".json")
"""Files ``warmcos convert`` reads as Keras: a saved model, or a schedule's config JSON."""


def is_keras_file(text: str, *, json_too: bool) -> bool:
    """Whether `text` names a ``.keras`` model file (or, with `json_too`, a ``.json`` file)."""
    suffix = text.strip().lower().rsplit(".", 1)[-1] if "." in text else ""
    return suffix == "keras" or (json_too and suffix == "json")


def load_keras_file(path: str) -> tuple[str, Conversion]:
    """Convert the schedule of a saved ``.keras`` model or of a Keras config JSON file.

    Keras itself is imported only to check the conversion (to sample the schedule).

    Raises:
        InputError: Not readable, no Keras schedule in it, or one warmcos cannot convert.
    """
    import json
    from pathlib import Path

    from .._convert.convert import checked
    from .specfile import MAX_FILE_BYTES

    try:
        from .._convert import keras_schedules
    except ModuleNotFoundError:  # the Keras reader is not installed
        raise InputError("reading Keras schedules needs warmcos' Keras reader") from None
    file = Path(path)
    try:
        if file.suffix.lower() == ".keras":
            reading = keras_schedules.read_keras_file(file)
        else:
            if file.stat().st_size > MAX_FILE_BYTES:
                raise InputError(f"{path}: a config file must be at most {MAX_FILE_BYTES:,} bytes")
            reading = keras_schedules.read_config(json.loads(file.read_text(encoding="utf-8")))
        _import("keras")
        return str(path), checked(reading)
    except (OSError, TypeError, ValueError) as error:
        raise InputError(f"{path}: {error}") from None


# -- the command ----------------------------------------------------------------------------------

CONVERT_HELP = """Convert another library's schedule to warmcos and check it: print the spec.

SOURCE is a peer call (PyTorch's torch.optim.lr_scheduler.<Class>(...) without the optimizer,
transformers.get_*(...) without the optimizer, keras.optimizers.schedules.<Class>(...)), a saved
.keras model or a Keras schedule config .json. Prints the warmcos spec (one per param group),
then the largest relative difference from the peer over the checked steps. A schedule warmcos
cannot express exactly is refused (status 2).

\b
Examples:
  warmcos convert "torch.optim.lr_scheduler.OneCycleLR(max_lr=0.1, total_steps=1000)"
  warmcos convert "transformers.get_cosine_schedule_with_warmup(num_warmup_steps=100,
      num_training_steps=1000)" --lr 3e-4
  warmcos convert model.keras
"""


def register(app: Any) -> None:
    """Add ``convert`` to `app`."""
    app.command("convert", help=CONVERT_HELP, no_args_is_help=True)(convert_command)


def convert_command(
    sources: Annotated[
        list[str],
        typer.Argument(
            metavar="SOURCE",
            help="A peer call such as 'torch.optim.lr_scheduler.StepLR(step_size=30)', a .keras "
            "model or a Keras schedule config .json.",
        ),
    ],
    lr: Annotated[
        float,
        typer.Option(
            "--lr",
            metavar="LR",
            help="The learning rate of the optimizer PyTorch and transformers calls are built on.",
        ),
    ] = DEFAULT_LR,
) -> None:
    """Convert peer schedules to warmcos specs."""
    for source in sources:
        if is_keras_file(source, json_too=True):
            _, result = load_keras_file(source)
        elif is_peer_call(source):
            _, result = load(source, lr)
        else:
            raise InputError(
                f"{short(source)} is not a peer call (such as "
                "'torch.optim.lr_scheduler.StepLR(step_size=30)') or a .keras/.json Keras file"
            )
        for schedule in result.schedules:
            typer.echo(repr(schedule))
        typer.echo(difference_line(result))


def difference_line(result: Conversion) -> str:
    """``# <source>: largest difference ... over N checked steps`` for a conversion."""
    skipped = f" ({result.skipped_steps} left out: the peer's own rounding)"
    return (
        f"# {result.source}: largest difference {result.max_difference:.3g} (relative) over "
        f"{result.checked_steps:,} checked steps{skipped if result.skipped_steps else ''}"
    )
