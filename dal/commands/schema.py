"""`dal schema`: create, drop and show the DynamoDB tables of the migration contract.

Where to work comes from the settings (``DAL_CONTRACT``, ``DAL_DYNAMODB_ENDPOINT``,
``DAL_DYNAMODB_REGION``, ``DAL_TABLE_PREFIX``); each option overrides its key.
Exit codes (:mod:`dal.commands.exits`): 0 done, 1 the tables differ from the
contract, 2 bad settings or options, 3 the endpoint cannot be used (unreachable,
refused credentials, throttled) or the contract is malformed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from dal.aws import describe_target, dynamodb_client
from dal.commands.exits import EXIT_FAILED, exit_codes, print_error
from dal.contract import Contract, load_contract
from dal.schema import (
    DEFAULT_TIMEOUT,
    SchemaMismatch,
    create_tables,
    describe,
    drop_tables,
    planned,
)
from dal.schema.display import layout_table, status_table
from dal.settings import load_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = ["register", "schema_app"]

schema_app = typer.Typer(
    name="schema",
    help="Create, drop and show the DynamoDB tables of the migration contract.",
    no_args_is_help=True,
)

ContractOption = Annotated[
    Path | None,
    typer.Option("--contract", help="Migration contract (JSON). Default: DAL_CONTRACT."),
]
EndpointOption = Annotated[
    str | None,
    typer.Option(
        "--endpoint",
        help="DynamoDB endpoint URL; '' for real AWS. Default: DAL_DYNAMODB_ENDPOINT.",
    ),
]
RegionOption = Annotated[
    str | None, typer.Option("--region", help="AWS region. Default: DAL_DYNAMODB_REGION.")
]
PrefixOption = Annotated[
    str | None,
    typer.Option("--prefix", help="Prefix of the table names. Default: DAL_TABLE_PREFIX."),
]
TimeoutOption = Annotated[
    float,
    typer.Option("--timeout", min=1.0, help="Seconds to wait for tables and indexes."),
]


@dataclass(frozen=True)
class _Target:
    """The contract and the DynamoDB endpoint a command works on."""

    contract: Contract
    endpoint: str | None
    region: str
    prefix: str

    @property
    def where(self) -> str:
        return f"{describe_target(self.endpoint, self.region)}, prefix {self.prefix!r}"

    def client(self) -> DynamoDBClient:
        return dynamodb_client(self.endpoint, self.region)


def _target(
    contract: Path | None, endpoint: str | None, region: str | None, prefix: str | None
) -> _Target:
    settings = load_settings()
    return _Target(
        contract=load_contract(contract or settings.contract),
        endpoint=settings.dynamodb_endpoint if endpoint is None else endpoint.strip() or None,
        region=region or settings.dynamodb_region,
        prefix=settings.table_prefix if prefix is None else prefix,
    )


@contextmanager
def _exit_codes() -> Iterator[None]:
    """The shared exit codes; tables that differ from the contract are this command's "no"."""
    with exit_codes():
        try:
            yield
        except SchemaMismatch as mismatch:
            print_error(str(mismatch))
            raise typer.Exit(EXIT_FAILED) from mismatch


@schema_app.command("create")
def create_command(
    contract: ContractOption = None,
    endpoint: EndpointOption = None,
    region: RegionOption = None,
    prefix: PrefixOption = None,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    streams: Annotated[
        bool,
        typer.Option(
            "--streams", help="Give every table a stream of new and old images (dal cdc dynamodb)."
        ),
    ] = False,
) -> None:
    """Create every table and index of the contract that is missing (never drops data)."""
    console = Console()
    with _exit_codes():
        target = _target(contract, endpoint, region, prefix)
        try:
            changed = create_tables(
                target.client(), target.contract, target.prefix, timeout=timeout, streams=streams
            )
        except SchemaMismatch as mismatch:
            _print_changed(console, mismatch.changed, target)
            raise
        _print_changed(console, changed, target)


def _print_changed(console: Console, changed: tuple[str, ...] | list[str], target: _Target) -> None:
    if changed:
        console.print(f"Created or completed on {target.where}: {', '.join(changed)}")
    else:
        console.print(f"Nothing to create on {target.where}: every table and index exists.")


@schema_app.command("drop")
def drop_command(
    contract: ContractOption = None,
    endpoint: EndpointOption = None,
    region: RegionOption = None,
    prefix: PrefixOption = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
) -> None:
    """Delete the contract's tables (with the prefix), after confirmation."""
    console = Console()
    with _exit_codes():
        target = _target(contract, endpoint, region, prefix)
        client = target.client()
        existing = [
            report.name
            for report in describe(client, target.contract, target.prefix)
            if report.exists
        ]
        if not existing:
            console.print(f"No table of the contract exists on {target.where}.")
            return
        if not yes:
            typer.confirm(
                f"Drop {', '.join(existing)} on {target.where}? Every item in them is lost.",
                abort=True,
            )
        dropped = drop_tables(client, target.contract, target.prefix, timeout=timeout)
        console.print(f"Dropped on {target.where}: {', '.join(dropped) or 'nothing'}")


@schema_app.command("show")
def show_command(
    contract: ContractOption = None,
    endpoint: EndpointOption = None,
    region: RegionOption = None,
    prefix: PrefixOption = None,
    live: Annotated[
        bool, typer.Option("--live", help="Also show what the endpoint has, and what differs.")
    ] = False,
) -> None:
    """Show the tables, keys, indexes and projections of the contract."""
    console = Console()
    with _exit_codes():
        target = _target(contract, endpoint, region, prefix)
        console.print(
            layout_table(
                planned(target.contract, target.prefix), title=f"Contract {target.contract.source}"
            )
        )
        if live:
            reports = describe(target.client(), target.contract, target.prefix)
            console.print(status_table(reports, title=f"Live on {target.where}"))


def register(app: typer.Typer) -> None:
    """Add the ``schema`` command group to ``app``."""
    app.add_typer(schema_app, name="schema")
