"""The Typer application behind ``warmcos``: shared options, error handling, command modules.

Bad input never shows a traceback: the command raises :class:`InputError` (or Click reports a
usage error), and the application prints one line, ``warmcos <command>: error: <what>``, on
stderr and exits with status 2.

To add a command (as ``warmcos demo`` does), write a module with a ``register(app)`` function
that defines it with ``@app.command()``, and add the module's name to :data:`COMMAND_MODULES`.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from .. import __version__

COMMAND_MODULES: tuple[str, ...] = (
    "warmcos.cli.schedules",
    "warmcos.cli.peers",
    "warmcos.demo.command",
)
"""Modules whose ``register(app)`` adds commands, in the order ``--help`` lists them."""

EXIT_BAD_INPUT = 2
"""The exit status for bad input: Click's usage-error status, used for every input error."""

MAX_ERROR_LENGTH = 1_000
"""The longest error line printed, in characters (messages quote input, which may be huge)."""


def one_line(message: str) -> str:
    """`message` on one line, cut to :data:`MAX_ERROR_LENGTH` characters."""
    text = " ".join(message[: 4 * MAX_ERROR_LENGTH].split())
    return text if len(text) <= MAX_ERROR_LENGTH else text[: MAX_ERROR_LENGTH - 3] + "..."


def _click_class(name: str) -> type[Exception]:
    """A Click exception class, from Click itself or from the copy newer Typers carry inside."""
    for cls in typer.BadParameter.__mro__:
        if cls.__name__ == name:
            return cls
    raise ImportError(f"typer.BadParameter does not derive from Click's {name}")  # pragma: no cover


_ClickException = _click_class("ClickException")
_UsageError = _click_class("UsageError")


class InputError(Exception):
    """Input a command cannot use; the message is printed as one line on stderr (status 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))
        self.where = "warmcos"


class _OneLineErrors(TyperGroup):
    """A Typer group that reports every input error as one line on stderr, with status 2."""

    def invoke(self, ctx: Any) -> Any:
        """Run the subcommand; note which one raised a :class:`InputError`."""
        try:
            return super().invoke(ctx)
        except InputError as error:
            error.where = " ".join(filter(None, [ctx.command_path, ctx.invoked_subcommand]))
            raise

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command as Click does, but print input errors on one line."""
        try:
            status = super().main(
                args, prog_name, complete_var, False, windows_expand_args, **extra
            )
        except InputError as error:
            typer.echo(f"{error.where}: error: {error}", err=True)
            status = EXIT_BAD_INPUT
        except _ClickException as error:
            failure: Any = error
            if type(error).__name__ == "NoArgsIsHelpError":
                failure.show()  # `warmcos` alone prints the help
            else:
                where = "warmcos"
                if isinstance(error, _UsageError) and failure.ctx is not None:
                    where = failure.ctx.command_path
                typer.echo(f"{where}: error: {one_line(failure.format_message())}", err=True)
            status = EXIT_BAD_INPUT
        status = status if isinstance(status, int) else 0
        if not standalone_mode:
            return status
        sys.exit(status)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"warmcos {__version__}")
        raise typer.Exit()


def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """See a learning-rate schedule before training with it.

    SPEC is a schedule spec string such as 'cosine(peak=3e-4, steps=10000, warmup=500)', or a
    .json, .yaml/.yml or .toml file holding one schedule or named schedules, or another
    library's schedule call such as 'torch.optim.lr_scheduler.StepLR(step_size=30)'.
    """


def build_app() -> typer.Typer:
    """A new ``warmcos`` Typer application with every command of :data:`COMMAND_MODULES`."""
    app = typer.Typer(
        name="warmcos",
        cls=_OneLineErrors,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    )
    app.callback()(_root)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)
    return app


app = build_app()
"""The ``warmcos`` application (``typer.testing.CliRunner().invoke(app, [...])`` runs it)."""
