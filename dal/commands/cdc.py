"""`dal cdc mysql`, `dal cdc dynamodb`, `dal cdc health`: change data capture both ways.

Connections come from the settings (``DAL_MYSQL_URL``, ``DAL_DYNAMODB_ENDPOINT``,
``DAL_TABLE_PREFIX``, ``DAL_CONTRACT``, ``DAL_DECLARATIONS``, ``DAL_FLAGS``,
``DAL_RECORDS``); with ``DAL_METRICS_PORT`` a reader serves its metrics (the
router's OpenTelemetry instruments, ``dal.cdc.*``) on a Prometheus endpoint while it
runs. The two readers run until SIGTERM or SIGINT, finish the batch under
way and exit 0. Exit codes (:mod:`dal.commands.exits`): 1 a reader is unhealthy
(health); 2 bad usage; 3 a backend cannot be used, such as a server whose binary log
is off or not row-based (the message names the setting).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from dal.commands.exits import EXIT_FAILED
from dal.settings import load_settings

__all__ = ["register"]

cdc_app = typer.Typer(
    name="cdc",
    help="Change data capture: carry writes that bypass the layer to the other side.",
    no_args_is_help=True,
)

WorkersOption = Annotated[int, typer.Option("--workers", min=1, max=64, help="Writer threads.")]


@contextmanager
def _parts(workers: int) -> Iterator[tuple[Any, Any]]:
    """The migration tools and the records' recorder, from the settings.

    The tools report through the router's telemetry: with ``DAL_METRICS_PORT``, a
    Prometheus endpoint served while the reader runs.
    """
    from dal.container import build_container

    container = build_container(load_settings())
    container.migration_workers.override(workers)
    try:
        tools = replace(container.migration_tools(), telemetry=container.telemetry())
        yield tools, container.recorder()
    finally:
        container.shutdown_resources()


def _check_binlog() -> None:
    """Refuse a server whose binary log cannot serve, before anything else is read."""
    from adapters.mysql import create_engine
    from dal.cdc.binlog import check_server

    engine = create_engine(load_settings().require_mysql_url())
    try:
        check_server(engine)
    finally:
        engine.dispose()


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")


@cdc_app.command("mysql")
def mysql(
    from_backfill: Annotated[
        bool,
        typer.Option(
            "--from-backfill",
            help="On the first run, start where the earliest backfill pass started.",
        ),
    ] = False,
    server_id: Annotated[
        int,
        typer.Option("--server-id", min=1, help="Replication server id (unique per reader)."),
    ] = 7_345_001,
    batch_rows: Annotated[
        int, typer.Option("--batch-rows", min=1, help="Row changes per batch at most.")
    ] = 5_000,
    workers: WorkersOption = 4,
) -> None:
    """Tail the binary log and apply each change to DynamoDB (until SIGTERM)."""
    from dal.cdc.failures import FailureLog
    from dal.cdc.mysql_service import MysqlCdc, MysqlCdcOptions
    from dal.cdc.service import RecordsSink, run_until_signalled

    _logging()
    _check_binlog()
    options = MysqlCdcOptions(from_backfill, server_id, batch_rows, workers=workers)
    with _parts(workers) as (tools, recorder):
        sinks = [] if recorder is None else [RecordsSink(recorder)]
        failures = FailureLog(recorder, "new", tools.sensitive)
        service = MysqlCdc.over(tools, failures, sinks)
        run_until_signalled(lambda stop: service.run(options, stop))
        Console(stderr=True).print(f"stopped at {service.position}")


@cdc_app.command("dynamodb")
def dynamodb(workers: WorkersOption = 4) -> None:
    """Read the tables' DynamoDB Streams and apply each change to MySQL (until SIGTERM)."""
    from dal.cdc.dynamodb_service import DynamoCdc
    from dal.cdc.failures import FailureLog
    from dal.cdc.service import RecordsSink, run_until_signalled
    from dal.cdc.streams import streams_client

    _logging()
    settings = load_settings()
    with _parts(workers) as (tools, recorder):
        sinks = [] if recorder is None else [RecordsSink(recorder)]
        streams = streams_client(settings.dynamodb_endpoint, settings.dynamodb_region)
        failures = FailureLog(recorder, "old", tools.sensitive)
        service = DynamoCdc.over(tools, streams, failures, sinks)
        run_until_signalled(service.run)


@cdc_app.command("health")
def health_command(
    max_age: Annotated[
        float, typer.Option("--max-age", min=1, help="Seconds since the last saved position.")
    ] = 30.0,
    max_lag: Annotated[float, typer.Option("--max-lag", min=0, help="Seconds of lag.")] = 60.0,
) -> None:
    """Show each reader's position, lag and age; exit 1 when one is unhealthy or none runs."""
    from adapters.mysql import create_engine
    from dal.cdc.checkpoints import PositionStore
    from dal.cdc.service import health

    engine = create_engine(load_settings().require_mysql_url())
    try:
        found = health(PositionStore(engine), ("mysql", "dynamodb"), max_age, max_lag)
    finally:
        engine.dispose()
    table = Table("reader", "position", "applied", "lag (s)", "age (s)", "health")
    for reader in found:
        stored = reader.stored
        lag = "" if stored.lag_ms is None else f"{stored.lag_ms / 1000:.1f}"
        table.add_row(
            stored.name,
            stored.position,
            str(stored.applied),
            lag,
            f"{reader.age:.0f}",
            "ok" if reader.healthy else str(reader.problem),
        )
    console = Console()
    if not found:
        console.print("no change-data-capture reader has saved a position yet")
        raise typer.Exit(EXIT_FAILED)
    console.print(table)
    if not all(reader.healthy for reader in found):
        raise typer.Exit(EXIT_FAILED)


def register(app: typer.Typer) -> None:
    """Add the ``cdc`` command group to ``app``."""
    app.add_typer(cdc_app, name="cdc")
