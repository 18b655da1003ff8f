"""The exit codes of every `dal` command, and the one mapping from errors to them.

=====  =========================================================================
code   meaning
=====  =========================================================================
0      done: copied, consistent, written, ready
1      the command's own "no": rows failed (backfill), the sides differ
       (verify), a repair failed, an entity is not ready (gate), the tables
       differ from the contract (schema create)
2      bad usage: options and arguments, settings (``DAL_*``), the flags file,
       a repair log, a thresholds file, records or a report folder that
       cannot be read or written, Dask missing or workers that cannot import
       the layer
3      a backend cannot be used (MySQL or DynamoDB unreachable, an unknown
       host, refused credentials or access, a missing database or table), or
       the contract or the declarations do not fit the databases
=====  =========================================================================

Errors are printed as one short message on standard error, never as a traceback.
:func:`exit_codes` is the mapping, as a context manager; the command line
(:mod:`dal.cli`) runs every command under it, and a command may use it around
the part whose errors it wants reported before its own output.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

__all__ = [
    "EXIT_BACKEND",
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "UsageError",
    "exit_code_of",
    "exit_codes",
    "guard_commands",
    "guarded",
    "print_error",
]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BACKEND = 3

P = ParamSpec("P")
R = TypeVar("R")

_GUARDED = "__dal_exit_codes__"


class UsageError(Exception):
    """An option, argument or file the command cannot use (exit code 2)."""


def _usage_errors() -> tuple[type[BaseException], ...]:
    from alembic.util import CommandError
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    from dal.migrate.distributed import DaskUnavailable
    from dal.reporting import ReportInputError, ThresholdsError
    from dal.routing.flags import FlagsError
    from dal.routing.repairlog import RepairLogError
    from dal.schema import InvalidTableName
    from dal.settings import SettingsError

    return (
        UsageError,
        DaskUnavailable,
        SettingsError,
        FlagsError,
        RepairLogError,
        ReportInputError,
        ThresholdsError,
        InvalidTableName,
        ArgumentError,  # a database URL that is not one (--url)
        NoSuchModuleError,  # a database URL of an unknown dialect (--url)
        CommandError,  # an unknown migration revision (--revision)
    )


def _backend_errors() -> tuple[type[BaseException], ...]:
    from botocore.exceptions import BotoCoreError, ClientError
    from sqlalchemy.exc import SQLAlchemyError

    from dal.contract import ContractError
    from dal.entities import DeclarationError
    from dal.idsource import IdHandoverError
    from dal.migrate.derive import DerivationError
    from dal.migrate.sql import ConditionError
    from interfaces.errors import DalError

    return (
        DalError,
        SQLAlchemyError,
        BotoCoreError,
        ClientError,
        ContractError,
        DeclarationError,
        DerivationError,
        ConditionError,
        IdHandoverError,
    )


def exit_code_of(error: BaseException) -> int | None:
    """The documented exit code for ``error``; None for an error no rule covers (a bug)."""
    if isinstance(error, _usage_errors()):
        return EXIT_USAGE
    if isinstance(error, _backend_errors()):
        return EXIT_BACKEND
    if isinstance(error, ValueError):
        return EXIT_USAGE  # an option value the library refused (--mode, --entity ...)
    return None


def _describe(error: BaseException) -> str:
    """The error's message, with what to check for the raw errors of the database drivers."""
    from botocore.exceptions import BotoCoreError, ClientError
    from sqlalchemy.exc import SQLAlchemyError

    if isinstance(error, SQLAlchemyError):
        cause = getattr(error, "orig", None) or error
        return f"the MySQL database cannot be used (check DAL_MYSQL_URL): {cause}"
    if isinstance(error, BotoCoreError | ClientError):
        return (
            "DynamoDB cannot be used (check DAL_DYNAMODB_ENDPOINT, DAL_DYNAMODB_REGION "
            f"and the credentials): {error}"
        )
    text = str(error).strip()
    return text or type(error).__name__


def print_error(message: str) -> None:
    """Print ``message`` as the command's error on standard error (not wrapped, no markup)."""
    Console(stderr=True, soft_wrap=True).print(f"[red]error:[/] {escape(message)}", highlight=False)


@contextmanager
def exit_codes() -> Iterator[None]:
    """Turn the errors of the block into a message and the documented exit code.

    An error no rule covers is raised unchanged: it is a bug, and its traceback helps.
    """
    try:
        yield
    except Exception as error:
        code = exit_code_of(error)
        if code is None:
            raise
        print_error(_describe(error))
        raise typer.Exit(code) from error


def guarded(command: Callable[P, R]) -> Callable[P, R]:
    """``command`` run under :func:`exit_codes` (its signature, hence its options, kept)."""
    if getattr(command, _GUARDED, False):
        return command

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with exit_codes():
            return command(*args, **kwargs)

    setattr(run, _GUARDED, True)
    return run


def guard_commands(app: typer.Typer) -> None:
    """Run every command of ``app`` and of its sub-groups under :func:`exit_codes`."""
    for info in app.registered_commands:
        if info.callback is not None:
            info.callback = guarded(info.callback)
    for group in app.registered_groups:
        if group.typer_instance is not None:
            guard_commands(group.typer_instance)
