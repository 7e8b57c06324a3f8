"""The ``warmcos`` console command: ``plot``, ``show``, ``table`` and ``demo`` (see ``--help``).

The package holds the command line and nothing else: :mod:`warmcos.cli.app` (the Typer
application, shared options and one-line errors), :mod:`warmcos.cli.schedules` (the ``plot``,
``show`` and ``table`` commands), :mod:`warmcos.cli.specfile` (schedules from spec strings and
JSON/YAML/TOML files), :mod:`warmcos.cli.summary` (what ``show`` reports, read from a schedule's
segments) and :mod:`warmcos.cli.text` (the 80-column summary and chart). Each group of commands
is a module listed in :data:`warmcos.cli.app.COMMAND_MODULES` with a ``register(app)`` function.

This module imports nothing beyond the standard library until :func:`main` runs, so the entry
point can say which extra to install when Typer is missing.

Example:
    Through Typer's test runner (``warmcos.cli.app.app`` is the Typer application):

    >>> from typer.testing import CliRunner
    >>> from warmcos.cli.app import app
    >>> result = CliRunner().invoke(app, ["table", "linear(1.0, 0.0, 4)", "--every", "2"])
    >>> print(result.stdout, end="")
    step,lr
    0,1.0
    2,0.5
    4,0.0
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

INSTALL_HINT = "warmcos: the command line needs Typer: pip install 'warmcos[cli]'"
"""The one line printed when Typer (or Click) is not installed."""


def main(argv: Sequence[str] | None = None) -> None:
    """Run the ``warmcos`` command (the console script's entry point).

    Args:
        argv: The arguments after the program name; default ``sys.argv[1:]``.

    Raises:
        SystemExit: Always, with the command's exit status: 0 on success, 2 for bad input (one
            line on stderr, starting ``warmcos``).
    """
    try:
        from .app import app
    except ModuleNotFoundError as error:
        if error.name not in ("typer", "click"):
            raise
        print(INSTALL_HINT, file=sys.stderr)
        raise SystemExit(2) from None
    app(args=None if argv is None else list(argv), prog_name="warmcos")
