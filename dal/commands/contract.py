"""`dal contract`: the migration contract and the database behind it.

``dal contract check`` reads every row of the tables the contract stores (or,
without a contract, of every table) and reports each value that would not
arrive in DynamoDB as it is. Exit codes (:mod:`dal.commands.exits`): 0 nothing
would be lost, 1 findings, 2 bad usage or settings, 3 the database or the
contract cannot be used.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from dal.commands.exits import EXIT_FAILED
from dal.contract import Contract
from dal.settings import Settings, load_settings

if TYPE_CHECKING:
    from adapters.mysql.timeouts import SqlTimeouts

__all__ = ["contract_app", "register"]

_LONG_QUERY = 3600.0

contract_app = typer.Typer(
    name="contract",
    help="Work with the migration contract and the MySQL database it describes.",
    no_args_is_help=True,
)


@contract_app.command("check")
def check_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    every_table: Annotated[
        bool,
        typer.Option("--every-table", help="Check every table, not only the contract's."),
    ] = False,
    examples: Annotated[
        int, typer.Option("--examples", min=0, max=100, help="Example keys per finding.")
    ] = 5,
) -> None:
    """Report every value that would not arrive in DynamoDB as it is; exit 1 if any."""
    from adapters.mysql import create_engine
    from dal.contract.check import contract_targets, database_targets, run_check
    from dal.contract.check.display import findings_table, summary_line
    from dal.migrate.progress import RichProgress

    settings = load_settings()
    engine = create_engine(settings.require_mysql_url(), timeouts=_timeouts(settings))
    try:
        contract = None if every_table else _contract(settings)
        if contract is None:
            targets, source = database_targets(engine), "every table"
        else:
            targets, source = contract_targets(engine, contract), f"contract {contract.source}"
        with RichProgress() as progress:
            report = run_check(
                engine,
                targets,
                source,
                sensitive=_sensitive(settings),
                progress=progress,
                examples=examples,
            )
    finally:
        engine.dispose()
    if as_json:
        print(json.dumps(report.to_json(), indent=2, sort_keys=True, default=str))
    else:
        console = Console(soft_wrap=True)
        if report.findings:
            console.print(findings_table(report))
        console.print(summary_line(report), highlight=False)
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


def _timeouts(settings: Settings) -> SqlTimeouts:
    """The settings' timeouts, with at least an hour to answer: the key-collision queries
    group a whole table before they send a row."""
    from adapters.mysql.timeouts import SqlTimeouts

    return SqlTimeouts(
        connect=settings.mysql_connect_timeout,
        read=max(settings.mysql_read_timeout, _LONG_QUERY),
        write=settings.mysql_write_timeout,
    )


def _contract(settings: Settings) -> Contract | None:
    from dal.contract import load_contract

    return load_contract(settings.contract) if settings.contract.is_file() else None


def _sensitive(settings: Settings) -> tuple[str, ...]:
    from dal.entities import load_declarations
    from dal.routing.redaction import DEFAULT_SENSITIVE

    names = set(DEFAULT_SENSITIVE)
    if settings.declarations:
        for spec in load_declarations(settings.declarations):
            names.update(spec.sensitive)
            names.update(spec.column(field) for field in spec.sensitive)
    return tuple(sorted(names))


def register(app: typer.Typer) -> None:
    """Add the ``contract`` command group to ``app``."""
    app.add_typer(contract_app, name="contract")
