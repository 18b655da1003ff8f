"""The ``dal`` command line: ``dal --help`` lists every command."""

from __future__ import annotations

import importlib

import typer

from dal.commands.exits import guard_commands

__all__ = ["app", "main"]

_COMMAND_MODULES = (
    "dal.commands.db",
    "dal.commands.schema",
    "dal.commands.data",
    "dal.commands.report",
    "dal.commands.watch",
    "dal.commands.ids",
    "dal.commands.contract",
    "dal.commands.contract_draft",
    "dal.commands.cdc",
)

app = typer.Typer(
    name="dal",
    help="Move an application from MySQL to DynamoDB without downtime.",
    no_args_is_help=True,
    add_completion=False,
)

for _name in _COMMAND_MODULES:
    importlib.import_module(_name).register(app)
guard_commands(app)  # one mapping of errors to exit codes for every command (dal.commands.exits)


def main() -> None:
    """Entry point of the ``dal`` console script."""
    app()


if __name__ == "__main__":
    main()
