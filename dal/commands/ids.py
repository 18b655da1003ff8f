"""`dal ids`: compare MySQL's ids with DynamoDB's counters and sync them for the handover.

Where to work comes from the settings (``DAL_MYSQL_URL``, ``DAL_DYNAMODB_ENDPOINT``,
``DAL_DYNAMODB_REGION``, ``DAL_TABLE_PREFIX``). ``docs/ids.md`` describes when to run
``dal ids sync`` (before switching ``DAL_ID_SOURCE`` to ``dynamodb``, and again after).
Exit codes (:mod:`dal.commands.exits`): 0 done, 2 bad settings (``DAL_MYSQL_URL``
not set), 3 a backend cannot be used (unreachable, refused, a missing table) or the
contract and declarations do not fit the database.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dal.commands.exits import exit_codes
from dal.container import build_container
from dal.idsource import IdHandover, SequenceChange, SequenceState
from dal.settings import Settings, load_settings

__all__ = ["ids_app", "register"]

ids_app = typer.Typer(
    name="ids",
    help="Compare and sync the id counters of MySQL and DynamoDB (DAL_ID_SOURCE handover).",
    no_args_is_help=True,
)

_COLUMNS = ("sequence", "MySQL high-water", "DynamoDB next")


@contextmanager
def _handover() -> Iterator[tuple[Settings, IdHandover]]:
    """The settings and the handover they describe; the container is shut down afterwards."""
    settings = load_settings()
    container = build_container(settings)
    try:
        yield settings, container.id_handover()
    finally:
        container.shutdown_resources()


def _grid(title: str, last_column: str) -> Table:
    grid = Table(title=title, title_justify="left")
    for column in _COLUMNS:
        grid.add_column(column, justify="left" if column == "sequence" else "right")
    grid.add_column(last_column)
    return grid


def _where(handover: IdHandover) -> str:
    return escape(f"MySQL {handover.mysql.where}; {handover.dynamodb.where}")


def _state_table(states: Sequence[SequenceState], handover: IdHandover) -> Table:
    grid = _grid(_where(handover), "state")
    for state in states:
        verdict = "[green]ok[/]" if state.safe else "[yellow]behind: run dal ids sync[/]"
        grid.add_row(*_numbers(state), verdict)
    return grid


def _change_table(changes: Sequence[SequenceChange], handover: IdHandover, dry_run: bool) -> Table:
    grid = _grid(_where(handover) + (" (dry run)" if dry_run else ""), "change")
    for change in changes:
        grid.add_row(*_numbers(change.after), _describe(change, dry_run))
    return grid


def _numbers(state: SequenceState) -> tuple[str, str, str]:
    return state.sequence, str(state.mysql_high_water), str(state.dynamodb_next)


def _describe(change: SequenceChange, dry_run: bool) -> str:
    if not change.changed:
        return "unchanged"
    verb = "would raise" if dry_run else "raised"
    return f"{verb} from {change.before.dynamodb_next}"


@ids_app.command("show")
def show_command() -> None:
    """Show, per sequence, MySQL's high-water mark and the next id DynamoDB hands out."""
    console = Console(soft_wrap=True)
    with exit_codes(), _handover() as (settings, handover):
        states = handover.show()
    console.print(_state_table(states, handover))
    console.print(f"DAL_ID_SOURCE is {settings.id_source}.", highlight=False)
    if not all(state.safe for state in states):
        console.print("Run `dal ids sync` before switching DAL_ID_SOURCE to dynamodb.")


@ids_app.command("sync")
def sync_command(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only show what would change; write nothing.")
    ] = False,
) -> None:
    """Raise every DynamoDB counter above MySQL's high-water mark (never lowers one).

    Safe to run again, and while both sides hand out ids.
    """
    console = Console(soft_wrap=True)
    with exit_codes(), _handover() as (_, handover):
        changes = handover.sync(dry_run=dry_run)
    console.print(_change_table(changes, handover, dry_run))
    raised = sum(change.changed for change in changes)
    if dry_run:
        console.print(f"Dry run: {raised} of {len(changes)} counters would be raised.")
    elif raised:
        console.print(f"Raised {raised} of {len(changes)} counters.")
    else:
        console.print("Every counter was already above MySQL's ids; nothing changed.")


def register(app: typer.Typer) -> None:
    """Add the ``ids`` command group to ``app``."""
    app.add_typer(ids_app, name="ids")
