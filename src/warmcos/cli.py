"""The ``warmcos`` console command: ``warmcos plot``, ``show`` and ``table`` (see ``--help``).

This module imports nothing beyond the standard library until :func:`main` runs, so the entry
point can say which extra to install when Typer is missing. The Typer application lives in
:mod:`warmcos._cli` (``warmcos.cli.app`` reaches it lazily); each group of commands is a module
listed in :data:`warmcos._cli.COMMAND_MODULES` with a ``register(app)`` function.

Example:
    Through Typer's test runner (``warmcos.cli.app`` is the Typer application):

    >>> from typer.testing import CliRunner
    >>> from warmcos.cli import app
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
from typing import Any

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
        from ._cli import app
    except ModuleNotFoundError as error:
        if error.name not in ("typer", "click"):
            raise
        print(INSTALL_HINT, file=sys.stderr)
        raise SystemExit(2) from None
    app(args=None if argv is None else list(argv), prog_name="warmcos")


def __getattr__(name: str) -> Any:
    """``warmcos.cli.app``: the Typer application, imported on first use."""
    if name == "app":
        from ._cli import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
