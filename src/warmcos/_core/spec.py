"""Reading a schedule from its compact spec string, without ``eval``."""

from __future__ import annotations

import ast
import dataclasses
from typing import Any

from .schedule import REGISTRY, Schedule, build, from_dict

_CONSTANTS = {"None": None, "True": True, "False": False}


def parse(text: str) -> Schedule:
    """Read a schedule from a spec string: the factory call, as ``repr`` writes it.

    The text is one call of a schedule name with keyword (or positional) arguments whose values
    are numbers, strings, lists, ``None``/``True``/``False`` or nested schedule calls (for
    ``join``). It is read with Python's parser and checked node by node; nothing is executed.

    Args:
        text: For example ``"cosine(peak=3e-4, steps=10000, warmup=500)"``.

    Returns:
        The schedule; ``parse(repr(s)) == s`` for every schedule ``s``.

    Raises:
        ValueError: Not a schedule call, an unknown name or argument, or a value that is not a
            literal.

    Example:
        >>> import warmcos
        >>> warmcos.parse("cosine(peak=3e-4, steps=10000, warmup=500)")
        cosine(peak=0.0003, steps=10000, warmup=500)
    """
    if not isinstance(text, str):
        raise TypeError(
            f"parse(): `text` must be a str. Received: text={text!r} of type {type(text).__name__}"
        )
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        message = f"parse(): `text` is not a schedule spec ({error.msg}). Received: {text!r}"
        raise ValueError(message) from None
    return _schedule(tree.body, text)


def _schedule(node: ast.expr, text: str) -> Schedule:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        raise ValueError(
            f"parse(): `text` must be a schedule call such as 'cosine(peak=0.1, steps=100)'. "
            f"Received: {text!r}"
        )
    name = node.func.id
    if name not in REGISTRY:
        raise ValueError(
            f"parse(): the schedule name must be one of {sorted(REGISTRY)!r}. Received: {name!r}"
        )
    fields = [field.name for field in dataclasses.fields(REGISTRY[name])]  # type: ignore[arg-type]
    if len(node.args) > len(fields):
        raise ValueError(
            f"parse(): {name}() takes at most {len(fields)} positional arguments. "
            f"Received: {len(node.args)} in {text!r}"
        )
    arguments: dict[str, Any] = {}
    for field, value in zip(fields, node.args, strict=False):
        arguments[field] = _value(value, text)
    for keyword in node.keywords:
        if keyword.arg is None:
            raise ValueError(f"parse(): `**` is not allowed in a spec. Received: {text!r}")
        if keyword.arg in arguments:
            raise ValueError(f"parse(): {name}() got `{keyword.arg}` twice. Received: {text!r}")
        arguments[keyword.arg] = _value(keyword.value, text)
    return build(name, arguments, where="parse()", nested=lambda item: item)


def _value(node: ast.expr, text: str) -> Any:
    if isinstance(node, ast.Constant) and (
        node.value is None or isinstance(node.value, (int, float, str))
    ):
        return node.value
    if isinstance(node, ast.Name) and node.id in _CONSTANTS:
        return _CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _value(node.operand, text)
        if isinstance(operand, (int, float)) and not isinstance(operand, bool):
            return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_value(item, text) for item in node.elts]
    if isinstance(node, ast.Call):
        return _schedule(node, text)
    raise ValueError(
        f"parse(): spec values must be numbers, strings, lists, None, True, False or schedule "
        f"calls. Received: {ast.unparse(node)!r} in {text!r}"
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
            f"data. Received: schedule={value!r} of type {type(value).__name__}"
        )
    return value
