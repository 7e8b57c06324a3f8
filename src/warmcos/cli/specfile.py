"""Schedules from the command line: a spec string, or a JSON, YAML or TOML file.

A SPEC is either the compact spec string that ``repr`` writes and :func:`warmcos.parse` reads,
``"cosine(peak=3e-4, steps=10000, warmup=500)"``, or the path of a ``.json``, ``.yaml``/``.yml``
or ``.toml`` file. The file holds one of:

* one schedule: a spec string, or a mapping with a ``"type"`` (the :meth:`~warmcos.Schedule.to_dict`
  form, read by :func:`warmcos.from_dict`);
* named schedules: a mapping from names to schedules (each a spec string or a ``"type"``
  mapping), for example in YAML::

      baseline: cosine(peak=3e-4, steps=10000, warmup=500)
      wsd:
        type: wsd
        peak: 3e-4
        steps: 10000
        warmup: 500
        decay: 0.2

* a list of schedules (a ``"type"`` mapping may carry a ``"name"``), or either form under a
  single top-level key ``schedules`` (TOML's ``[[schedules]]`` tables).

Files are read with safe loaders only: :func:`json.loads`, a subclass of ``yaml.SafeLoader``
(which also reads ``3e-4`` as a number, as YAML 1.2 does) and :mod:`tomllib` (``tomli`` before
Python 3.11). Nothing in a file is executed.

A file is refused, before the work, beyond these limits: :data:`MAX_FILE_BYTES` bytes,
:data:`MAX_FILE_VALUES` values (YAML aliases and merge keys count each value they repeat, so a
small file cannot stand for a huge one), :data:`MAX_FILE_DEPTH` levels of lists and mappings, and
:data:`MAX_FILE_SCHEDULES` schedules.

Example:
    >>> from warmcos.cli.specfile import load
    >>> load("cosine(peak=3e-4, steps=10000, warmup=500)")
    [(None, cosine(peak=0.0003, steps=10000, warmup=500))]
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping, Sized
from pathlib import Path
from typing import Any

from .. import Schedule, from_dict, parse
from .._core.validation import short

SUFFIXES = (".json", ".yaml", ".yml", ".toml")
"""The file types a SPEC may name."""

MAX_FILE_BYTES = 1_000_000
"""The largest spec file read, in bytes."""

MAX_FILE_VALUES = 100_000
"""The most values (numbers, strings, lists, mappings) in a spec file, aliases expanded."""

MAX_FILE_DEPTH = 100
"""How deep values may nest in a spec file: the document is level 1, each list or mapping adds
a level (a join nested 32 deep needs about 66)."""

MAX_FILE_SCHEDULES = 100
"""The most schedules in a spec file (named, or items of its list)."""

Named = tuple[str | None, Schedule]
"""A schedule and its name (None for a schedule given without one)."""


class SpecError(ValueError):
    """A SPEC that does not give schedules: the message says which and why, on one line."""


def load(spec: str) -> list[Named]:
    """The schedules a SPEC stands for: a spec string, or a file of schedules.

    Args:
        spec: A spec string such as ``"cosine(peak=0.1, steps=100)"``, or the path of a
            ``.json``, ``.yaml``, ``.yml`` or ``.toml`` file (see the module docstring).

    Returns:
        ``(name, schedule)`` pairs in the file's order; the name is None for an unnamed schedule.

    Raises:
        SpecError: An unreadable or malformed file, or an invalid schedule.
    """
    if Path(spec).suffix.lower() in SUFFIXES or os.path.exists(spec):
        return read_file(spec)
    if "(" not in spec:
        raise SpecError(
            f"{short(spec)} is neither a schedule spec such as 'cosine(peak=3e-4, steps=10000)' "
            f"nor a {'/'.join(SUFFIXES)} file"
        )
    return [(None, _schedule(spec, ""))]


def read_file(path: str | os.PathLike[str]) -> list[Named]:
    """The schedules in a JSON, YAML or TOML file (see the module docstring for its forms).

    Args:
        path: The file; its suffix picks the reader.

    Returns:
        ``(name, schedule)`` pairs in the file's order.

    Raises:
        SpecError: The file cannot be read or parsed, or holds no valid schedule.
    """
    where = os.fspath(path)
    suffix = Path(where).suffix.lower()
    if suffix not in SUFFIXES:
        raise SpecError(
            f"cannot read {short(where)}: the file type must be one of {', '.join(SUFFIXES)}"
        )
    try:
        with open(where, "rb") as file:
            size = os.fstat(file.fileno()).st_size
            # One byte past the limit: a pipe (or /dev/zero) has no size beforehand.
            content = file.read(MAX_FILE_BYTES + 1) if size <= MAX_FILE_BYTES else b""
        if max(size, len(content)) > MAX_FILE_BYTES:
            received = f"{size:,} bytes" if size > MAX_FILE_BYTES else "more"
            raise SpecError(
                f"cannot read {short(where)}: a spec file must be at most {MAX_FILE_BYTES:,} "
                f"bytes. Received: {received}"
            )
        text = content.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise SpecError(f"cannot read {short(where)}: {reason}") from None
    data = _decode(text, suffix, where)
    return from_data(data, where)


def _decode(text: str, suffix: str, where: str) -> Any:
    try:
        if suffix == ".json":
            return json.loads(text)
        if suffix == ".toml":
            return _toml().loads(text)
        return _yaml_load(text, where)
    except ModuleNotFoundError as error:
        package = {"yaml": "PyYAML"}.get(str(error.name), error.name)
        raise SpecError(
            f"cannot read {short(where)}: reading {suffix} files needs {package}: "
            "pip install 'warmcos[cli]'"
        ) from None
    except SpecError:
        raise
    except ValueError as error:  # JSONDecodeError and TOMLDecodeError are ValueErrors
        raise SpecError(f"cannot parse {short(where)}: {_one_line(error)}") from None
    except RecursionError:  # json and tomllib recurse once per level of nesting
        raise SpecError(
            f"cannot parse {short(where)}: lists and mappings must nest at most "
            f"{MAX_FILE_DEPTH} deep"
        ) from None


def _toml() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    import tomli

    return tomli


_YAML_FLOAT = re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$")
"""``3e-4`` and ``1.5E+3``: numbers in YAML 1.2 and JSON that YAML 1.1 (PyYAML) reads as text."""


def _yaml_load(text: str, where: str) -> Any:
    import yaml

    class Loader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML ships no types
        """``yaml.SafeLoader`` that reads exponent-only floats as numbers and bounds aliases.

        Composing counts every node, and each alias as the nodes it repeats, so an alias bomb
        (or a merge-key bomb, whose merged pairs are aliased nodes) stops at
        :data:`MAX_FILE_VALUES` before any of it is built; an alias may not refer to a node
        that contains it.
        """

        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self.values = 0
            self.depth = 0
            self.sizes: dict[int, int] = {}  # id of an anchored node -> its values, expanded

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                node = self.anchors.get(self.peek_event().anchor)
                if node is not None:  # (an unknown alias is PyYAML's error)
                    if id(node) not in self.sizes:
                        raise _limit(where, "a YAML alias must not refer to a node containing it")
                    self.count(self.sizes[id(node)])
                return super().compose_node(parent, index)
            if self.depth == MAX_FILE_DEPTH:
                raise _limit(where, f"lists and mappings must nest at most {MAX_FILE_DEPTH} deep")
            anchor, before = self.peek_event().anchor, self.values
            self.count(1)
            self.depth += 1
            node = super().compose_node(parent, index)
            self.depth -= 1
            if anchor is not None:
                self.sizes[id(node)] = self.values - before
            return node

        def count(self, values: int) -> None:
            self.values += values
            if self.values > MAX_FILE_VALUES:
                raise _too_many_values(where)

    Loader.add_implicit_resolver("tag:yaml.org,2002:float", _YAML_FLOAT, list("-+0123456789"))
    try:
        return yaml.load(text, Loader=Loader)  # a SafeLoader: builds plain data only
    except yaml.YAMLError as error:
        raise ValueError(str(error)) from None


def _limit(where: str, requirement: str) -> SpecError:
    return SpecError(f"{_cut(where)}: {requirement}" if where else requirement)


def _too_many_values(where: str) -> SpecError:
    return _limit(
        where,
        f"a spec file must hold at most {MAX_FILE_VALUES:,} values (numbers, strings, lists and "
        f"mappings; YAML aliases count each value they repeat). Received: more",
    )


def _check_size(data: object, where: str) -> None:
    """Refuse data beyond :data:`MAX_FILE_VALUES` values or :data:`MAX_FILE_DEPTH` levels.

    Shared parts count each time they are reached, and the walk stops at the first limit, so its
    cost is bounded whatever the data (a cycle is refused as too deep).
    """
    values = 0

    def walk(value: object, depth: int) -> None:
        nonlocal values
        if depth > MAX_FILE_DEPTH:
            raise _limit(where, f"lists and mappings must nest at most {MAX_FILE_DEPTH} deep")
        values += 1 + (len(value) if isinstance(value, Mapping) else 0)  # keys count too
        if values > MAX_FILE_VALUES:
            raise _too_many_values(where)
        if isinstance(value, (Mapping, list, tuple, set, frozenset)):
            for item in value.values() if isinstance(value, Mapping) else value:
                walk(item, depth + 1)

    walk(data, 1)


def from_data(data: object, where: str = "") -> list[Named]:
    """The schedules in decoded file data (see the module docstring for the accepted forms).

    Args:
        data: What the JSON, YAML or TOML reader returned.
        where: The file, for error messages.

    Returns:
        ``(name, schedule)`` pairs in order.

    Raises:
        SpecError: A form this module does not accept, or an invalid schedule.

    Example:
        >>> from_data({"short": "cosine(peak=0.1, steps=100)", "long": "cosine(0.1, 1000)"})
        [('short', cosine(peak=0.1, steps=100)), ('long', cosine(peak=0.1, steps=1000))]
    """
    prefix = f"{_cut(where)}: " if where else ""
    _check_size(data, where)
    if (
        isinstance(data, Mapping)
        and list(data) == ["schedules"]
        and not isinstance(data["schedules"], str)
    ):
        data = data["schedules"]
    named: list[Named]
    if isinstance(data, str) or (isinstance(data, Mapping) and "type" in data):
        named = [(None, _schedule(data, where))]
    elif isinstance(data, Mapping):
        _check_count(data, prefix)
        if not all(isinstance(item, (str, Mapping)) for item in data.values()):
            raise SpecError(
                f"{prefix}a schedule mapping needs a 'type' (one of the schedule names); other "
                f"mappings must map names to schedules. Received keys: {short(list(data))}"
            )
        named = [
            (str(name), _schedule(item, f"{prefix}{_cut(str(name))}"))
            for name, item in data.items()
        ]
    elif isinstance(data, list):
        _check_count(data, prefix)
        named = []
        for index, item in enumerate(data):
            name = None
            if isinstance(item, Mapping) and "name" in item:
                name = str(item["name"])
                item = {key: value for key, value in item.items() if key != "name"}
            named.append((name, _schedule(item, f"{prefix}item {index}")))
    else:
        raise SpecError(
            f"{prefix}expected a schedule (a spec string or a mapping with a 'type'), "
            f"named schedules or a list of them. Received: {type(data).__name__}"
        )
    if not named:
        raise SpecError(f"{prefix}holds no schedule")
    return named


def _check_count(schedules: Sized, prefix: str) -> None:
    if len(schedules) > MAX_FILE_SCHEDULES:
        raise SpecError(
            f"{prefix}a spec file must hold at most {MAX_FILE_SCHEDULES:,} schedules. "
            f"Received: {len(schedules):,}"
        )


def _schedule(item: object, where: str) -> Schedule:
    prefix = f"{where}: " if where else ""
    try:
        if isinstance(item, str):
            return parse(item)
        if isinstance(item, Mapping):
            return from_dict(item)
    except (ValueError, TypeError) as error:
        raise SpecError(f"{prefix}{_one_line(error)}") from None
    raise SpecError(
        f"{prefix}a schedule must be a spec string or a mapping with a 'type'. "
        f"Received: {short(item)}"
    )


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())


def _cut(text: str, limit: int = 60) -> str:
    """`text` itself, cut to `limit` characters (a file name or a schedule's name)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
