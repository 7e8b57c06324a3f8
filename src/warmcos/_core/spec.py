"""Reading a schedule from its compact spec string, without ``eval``."""

from __future__ import annotations

import ast
import dataclasses
from typing import Any

from . import validation as check
from .product import multiply
from .schedule import MAX_NESTING, REGISTRY, Schedule, build, from_dict

MAX_SPEC_LENGTH = 100_000
"""The longest spec string :func:`parse` reads, in characters (a join of a few hundred pieces)."""

_CONSTANTS = {"None": None, "True": True, "False": False}


def parse(text: str) -> Schedule:
    """Read a schedule from a spec string: the factory call, as ``repr`` writes it.

    The text is one call of a schedule name with keyword (or positional) arguments whose values
    are numbers, strings, lists, ``None``/``True``/``False`` or nested schedule calls (for
    ``join``), or a product of such calls and numbers (``0.5 * cosine(peak=1.0, steps=100)``).
    It is read with Python's parser and checked node by node; nothing is executed.
    The text is at most :data:`MAX_SPEC_LENGTH` characters, and calls, lists and signs nest at
    most :data:`~warmcos._core.schedule.MAX_NESTING` deep.

    Args:
        text: For example ``"cosine(peak=3e-4, steps=10000, warmup=500)"``.

    Returns:
        The schedule; ``parse(repr(s)) == s`` for every schedule ``s`` whose ``repr`` is within
        the length limit (larger ones travel as :meth:`~warmcos.Schedule.to_dict` data).

    Raises:
        ValueError: Not a schedule call, an unknown name or argument, a value that is not a
            literal, or a text beyond the limits.
        TypeError: `text` is not a string.

    Example:
        >>> import warmcos
        >>> warmcos.parse("cosine(peak=3e-4, steps=10000, warmup=500)")
        cosine(peak=0.0003, steps=10000, warmup=500)
    """
    if not isinstance(text, str):
        raise TypeError(
            f"parse(): `text` must be a str. Received: text={check.short(text)} "
            f"of type {type(text).__name__}"
        )
    if len(text) > MAX_SPEC_LENGTH:
        raise ValueError(
            f"parse(): `text` must be at most {MAX_SPEC_LENGTH:,} characters. "
            f"Received: {len(text):,} characters"
        )
    source = text.strip()
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        raise ValueError(
            f"parse(): `text` is not a schedule spec ({error.msg}). Received: {check.short(text)}"
        ) from None
    except (RecursionError, MemoryError):
        # CPython's parser gives up this way on expressions nested thousands deep (a chain of
        # signs or operators); the length limit keeps the attempt itself small.
        raise _too_deep(text) from None
    return _Reader(source, text).schedule(tree.body, 1)


def _too_deep(text: str) -> ValueError:
    return ValueError(
        f"parse(): calls, lists and signs in `text` must nest at most {MAX_NESTING} deep. "
        f"Received: {check.short(text)}"
    )


class _Reader:
    """Turns the checked syntax tree of one spec into a schedule."""

    def __init__(self, source: str, text: str) -> None:
        self.source = source  # what was parsed (node positions refer to it)
        self.quoted = check.short(text)  # the text as error messages quote it

    def schedule(self, node: ast.expr, depth: int) -> Schedule:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            product = self.value(node, depth)
            if isinstance(product, Schedule):
                return product
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            raise ValueError(
                f"parse(): `text` must be a schedule call such as 'cosine(peak=0.1, steps=100)'. "
                f"Received: {self.quoted}"
            )
        name = node.func.id
        if name not in REGISTRY:
            raise ValueError(
                f"parse(): the schedule name must be one of {sorted(REGISTRY)!r}. "
                f"Received: {check.short(name)}"
            )
        fields = [field.name for field in dataclasses.fields(REGISTRY[name])]  # type: ignore[arg-type]
        if len(node.args) > len(fields):
            raise ValueError(
                f"parse(): {name}() takes at most {len(fields)} positional arguments. "
                f"Received: {len(node.args)} in {self.quoted}"
            )
        arguments: dict[str, Any] = {}
        for field, value in zip(fields, node.args, strict=False):
            arguments[field] = self.value(value, depth + 1)
        for keyword in node.keywords:
            if keyword.arg is None:
                raise ValueError(f"parse(): `**` is not allowed in a spec. Received: {self.quoted}")
            if keyword.arg in arguments:
                raise ValueError(
                    f"parse(): {name}() got `{check.short(keyword.arg)}` twice. "
                    f"Received: {self.quoted}"
                )
            arguments[keyword.arg] = self.value(keyword.value, depth + 1)
        return build(name, arguments, where="parse()", nested=lambda item: item)

    def value(self, node: ast.expr, depth: int) -> Any:
        if depth > MAX_NESTING:
            raise _too_deep(self.source)
        if isinstance(node, ast.Constant) and (
            node.value is None or isinstance(node.value, (int, float, str))
        ):
            return node.value
        if isinstance(node, ast.Name) and node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.value(node.operand, depth + 1)
            if isinstance(operand, (int, float)) and not isinstance(operand, bool):
                return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self.value(item, depth + 1) for item in node.elts]
        if isinstance(node, ast.Call):
            return self.schedule(node, depth)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            left = self.value(node.left, depth + 1)
            right = self.value(node.right, depth + 1)
            if isinstance(left, Schedule) or isinstance(right, Schedule):
                try:
                    return multiply(left, right)
                except TypeError:
                    pass  # reported below, quoting the text
        snippet = ast.get_source_segment(self.source, node) or ""
        raise ValueError(
            f"parse(): spec values must be numbers, strings, lists, None, True, False, schedule "
            f"calls or products of schedules and numbers (`*`). "
            f"Received: {check.short(snippet, 40)} in {self.quoted}"
        )


def as_schedule(value: object, where: str) -> Schedule:
    """`value` as a schedule: a schedule itself, its spec string, or its ``to_dict()`` data.

    Raises:
        TypeError: Anything else.
    """
    if isinstance(value, str):
        value = parse(value)
    elif isinstance(value, dict):
        value = from_dict(value)
    if not isinstance(value, Schedule):
        raise TypeError(
            f"{where}: `schedule` must be a warmcos schedule, its spec string or its to_dict() "
            f"data. Received: schedule={check.short(value)} of type {type(value).__name__}"
        )
    return value
