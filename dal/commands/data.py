"""`dal backfill`, `dal verify`, `dal repair`: copy, compare and reconcile the two stores.

Connections come from the settings (``DAL_MYSQL_URL``, ``DAL_DYNAMODB_ENDPOINT``,
``DAL_DYNAMODB_REGION``, ``DAL_TABLE_PREFIX``, ``DAL_CONTRACT``, ``DAL_FLAGS``).
Exit codes (:mod:`dal.commands.exits`): 0 done and consistent; 1 rows failed
(backfill), the sides differ (verify) or a repair failed; 2 bad usage (options,
settings, flags, repair log); 3 a backend could not be used (unreachable, refused,
missing table) or the contract does not fit it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dal.commands.exits import EXIT_FAILED, UsageError, exit_codes
from dal.migrate.backfill import BackfillOptions, select_plans
from dal.migrate.display import (
    backfill_table,
    failures_table,
    findings_table,
    repair_table,
    verify_table,
)
from dal.migrate.plan import SourcePlan
from dal.migrate.progress import RichProgress
from dal.migrate.repair import RepairOptions
from dal.migrate.tools import MigrationTools, open_tools
from dal.migrate.verify import VerifyOptions
from dal.routing.repairlog import RepairLog
from dal.settings import load_settings

__all__ = ["register"]

EXIT_DIFFERENT = EXIT_FAILED

EntityOption = Annotated[
    list[str] | None,
    typer.Option("--entity", "-e", help="Entity to work on (repeatable); default: all."),
]
WorkersOption = Annotated[int, typer.Option("--workers", min=1, max=64, help="Worker threads.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print a machine-readable result.")]
DenormalizedOption = Annotated[
    bool,
    typer.Option(
        "--include-denormalized",
        help="Count differences of denormalized (snapshot) fields as failures.",
    ),
]


_BadInput = UsageError
"""An option or a file the command cannot use (exit code 2)."""

_exit_codes = exit_codes
"""The mapping of errors to exit codes every ``dal`` command shares."""


@contextmanager
def _tools(workers: int) -> Iterator[MigrationTools]:
    with open_tools(load_settings(), workers=workers) as tools:
        yield tools


def _require_tables(tools: MigrationTools, plans: Iterable[SourcePlan]) -> None:
    """Stop before copying (exit 3) when DynamoDB cannot be reached or lacks a table."""
    for name in sorted({name for plan in plans for name in plan.table_names}):
        tools.client.call("DescribeTable", {"TableName": name})


def backfill(
    entity: EntityOption = None,
    segment: Annotated[int, typer.Option("--segment", min=0, help="This process's share.")] = 0,
    segments: Annotated[int, typer.Option("--segments", min=1, help="Shares in all.")] = 1,
    workers: WorkersOption = 4,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, max=100, help="Items per write.")
    ] = 25,
    page_size: Annotated[
        int, typer.Option("--page-size", min=1, max=10_000, help="MySQL rows per page.")
    ] = 500,
    reset_checkpoint: Annotated[
        bool, typer.Option("--reset-checkpoint", help="Start from the first row again.")
    ] = False,
    mode: Annotated[
        str,
        typer.Option(
            "--mode",
            help="auto: plain batch writes while the entity's stage is off, else conditional; "
            "conditional: never overwrite a newer item; batch: always plain batch writes.",
        ),
    ] = "auto",
) -> None:
    """Copy MySQL rows into DynamoDB as the contract describes them (resumable)."""
    console = Console()
    with _exit_codes():
        if segment >= segments:
            raise _BadInput(f"--segment must be below --segments ({segments}), got {segment}")
        options = BackfillOptions(
            tuple(entity or ()),
            segment,
            segments,
            workers,
            batch_size,
            page_size,
            reset_checkpoint,
            mode,
        )
        with _tools(workers) as tools:
            _require_tables(tools, select_plans(tools.plans, options.entities))
            with RichProgress() as progress:
                summary = tools.backfill(progress).run(options)
        console.print(backfill_table(summary))
        if not summary.ok:
            console.print(failures_table(summary))
            raise typer.Exit(EXIT_DIFFERENT)


def verify(
    entity: EntityOption = None,
    as_json: JsonOption = False,
    include_denormalized: DenormalizedOption = False,
    workers: WorkersOption = 4,
    sensitive: Annotated[
        list[str] | None,
        typer.Option(
            "--sensitive",
            help="Another field (or pattern) whose values are redacted (repeatable).",
        ),
    ] = None,
) -> None:
    """Compare every MySQL row with its DynamoDB item(s), both ways; exit 1 when they differ."""
    console = Console()
    with _exit_codes():
        with _tools(workers) as tools:
            options = VerifyOptions(
                tuple(entity or ()),
                workers,
                include_denormalized=include_denormalized,
                sensitive=(*tools.sensitive, *(sensitive or ())),  # adds to the defaults
            )
            chosen = select_plans(tools.plans, options.entities)
            with RichProgress() as progress:
                report = tools.verifier(progress).run(options, chosen)
        if as_json:
            print(json.dumps(report.to_json(), indent=2, default=str))
        else:
            console.print(verify_table(report))
            if report.findings:
                console.print(findings_table(report.findings))
            console.print("Both sides agree." if report.ok else "The sides differ.")
        if not report.ok:
            raise typer.Exit(EXIT_DIFFERENT)


def repair(
    entity: EntityOption = None,
    from_log: Annotated[
        Path | None,
        typer.Option("--from-log", help="Repair the entities named by the router's repair log."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only show what would change.")
    ] = False,
    include_denormalized: DenormalizedOption = False,
    as_json: JsonOption = False,
    workers: WorkersOption = 4,
) -> None:
    """Make the non-authoritative side equal to the authoritative one (stage from DAL_FLAGS)."""
    console = Console()
    with _exit_codes():
        names = list(entity or ())
        log = entry_ids = None
        if from_log is not None:
            log, entry_ids, names = _from_log(from_log, names)
            if not names:
                console.print(f"{from_log}: no open entry to repair.")
                return
        options = RepairOptions(tuple(names), dry_run, include_denormalized, workers)
        with _tools(workers) as tools:
            chosen = select_plans(tools.plans, options.entities)
            with RichProgress() as progress:
                report = tools.repairer(progress).run(options, chosen)
        if log is not None and entry_ids and report.ok and not dry_run:
            log.mark_done(*entry_ids)
        if as_json:
            print(json.dumps(report.to_json(), indent=2, default=str))
        else:
            console.print(repair_table(report) if report.actions else "Nothing to repair.")
        if not report.ok:
            raise typer.Exit(EXIT_DIFFERENT)


def _from_log(path: Path, only: list[str]) -> tuple[RepairLog, list[str], list[str]]:
    """The log, its open entries' ids and the entities they name (within ``only``)."""
    if not path.is_file():
        raise _BadInput(f"repair log {path} does not exist")
    log = RepairLog(path)
    entries = [e for e in log.read() if not only or e.entity in only]
    names = sorted({entry.entity for entry in entries})
    return log, [entry.id for entry in entries], names


def register(app: typer.Typer) -> None:
    """Add ``backfill``, ``verify`` and ``repair`` to ``app``."""
    app.command("backfill")(backfill)
    app.command("verify")(verify)
    app.command("repair")(repair)
