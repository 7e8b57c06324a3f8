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

Example:
    >>> from warmcos.specfile import load
    >>> load("cosine(peak=3e-4, steps=10000, warmup=500)")
    [(None, cosine(peak=0.0003, steps=10000, warmup=500))]
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import Schedule, from_dict, parse

SUFFIXES = (".json", ".yaml", ".yml", ".toml")
"""The file types a SPEC may name."""

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
            f"{spec!r} is neither a schedule spec such as 'cosine(peak=3e-4, steps=10000)' "
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
            f"cannot read {where!r}: the file type must be one of {', '.join(SUFFIXES)}"
        )
    try:
        text = Path(where).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise SpecError(f"cannot read {where!r}: {reason}") from None
    data = _decode(text, suffix, where)
    schedules = from_data(data, where)
    return schedules


def _decode(text: str, suffix: str, where: str) -> Any:
    try:
        if suffix == ".json":
            return json.loads(text)
        if suffix == ".toml":
            return _toml().loads(text)
        return _yaml_load(text)
    except ModuleNotFoundError as error:
        package = {"yaml": "PyYAML"}.get(str(error.name), error.name)
        raise SpecError(
            f"cannot read {where!r}: reading {suffix} files needs {package}: "
            "pip install 'warmcos[cli]'"
        ) from None
    except ValueError as error:  # JSONDecodeError and TOMLDecodeError are ValueErrors
        raise SpecError(f"cannot parse {where!r}: {_one_line(error)}") from None


def _toml() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    import tomli

    return tomli


_YAML_FLOAT = re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$")
"""``3e-4`` and ``1.5E+3``: numbers in YAML 1.2 and JSON that YAML 1.1 (PyYAML) reads as text."""


def _yaml_load(text: str) -> Any:
    import yaml

    class Loader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML ships no types
        """``yaml.SafeLoader`` that also reads exponent-only floats as numbers."""

    Loader.add_implicit_resolver("tag:yaml.org,2002:float", _YAML_FLOAT, list("-+0123456789"))
    try:
        return yaml.load(text, Loader=Loader)  # a SafeLoader: builds plain data only
    except yaml.YAMLError as error:
        raise ValueError(str(error)) from None


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
    prefix = f"{where}: " if where else ""
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
        if not all(isinstance(item, (str, Mapping)) for item in data.values()):
            raise SpecError(
                f"{prefix}a schedule mapping needs a 'type' (one of the schedule names); other "
                f"mappings must map names to schedules. Received keys: {list(data)!r}"
            )
        named = [(str(name), _schedule(item, f"{prefix}{name}")) for name, item in data.items()]
    elif isinstance(data, list):
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
        f"{prefix}a schedule must be a spec string or a mapping with a 'type'. Received: {item!r}"
    )


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())
