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
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from dal.commands.engine import (
    EngineChoice,
    EngineOption,
    RetriesOption,
    SchedulerOption,
    ThreadsOption,
    cluster,
    portable,
)
from dal.commands.exits import EXIT_FAILED, EXIT_USAGE, UsageError, exit_codes
from dal.migrate.backfill import BackfillOptions, BackfillSummary, select_plans
from dal.migrate.display import (
    backfill_table,
    failures_table,
    findings_table,
    repair_table,
    replay_table,
    verify_table,
)
from dal.migrate.plan import SourcePlan
from dal.migrate.progress import RichProgress
from dal.migrate.repair import (
    DEFAULT_MAX_DELETE_SHARE,
    MASS_DELETE_FLOOR,
    MassDeleteRefused,
    RepairOptions,
    RepairReport,
)
from dal.migrate.replay import ReplayOptions, ReplayReport
from dal.migrate.tools import MigrationTools, open_tools
from dal.migrate.verify import Verifier, VerifyOptions
from dal.routing.repairlog import RepairLog, RepairLogError
from dal.routing.stages import Side
from dal.settings import Settings, load_settings

__all__ = ["register"]

EXIT_DIFFERENT = EXIT_FAILED

EntityOption = Annotated[
    list[str] | None,
    typer.Option("--entity", "-e", help="Entity to work on (repeatable); default: all."),
]
WorkersOption = Annotated[
    int,
    typer.Option(
        "--workers", min=1, max=64, help="Worker threads (--engine dask: LocalCluster processes)."
    ),
]
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
def _tools(workers: int, settings: Settings | None = None) -> Iterator[MigrationTools]:
    with open_tools(settings or load_settings(), workers=workers) as tools:
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
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    retries: RetriesOption = 2,
    threads: ThreadsOption = 4,
) -> None:
    """Copy MySQL rows into DynamoDB as the contract describes them (resumable)."""
    console = Console()
    with _exit_codes():
        choice = EngineChoice(engine, scheduler, retries, threads)
        if segment >= segments:
            raise _BadInput(f"--segment must be below --segments ({segments}), got {segment}")
        if choice.dask and segment:
            raise _BadInput("--segment does not apply to --engine dask: it runs every segment")
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
        settings = load_settings()
        with _tools(threads if choice.dask else workers, settings) as tools:
            _require_tables(tools, select_plans(tools.plans, options.entities))
            with RichProgress() as progress:
                if choice.dask:
                    summary = _dask_backfill(tools, settings, choice, options, progress)
                else:
                    summary = tools.backfill(progress).run(options)
        console.print(backfill_table(summary))
        if not summary.ok:
            console.print(failures_table(summary))
            raise typer.Exit(EXIT_DIFFERENT)


def _dask_backfill(
    tools: MigrationTools,
    settings: Settings,
    choice: EngineChoice,
    options: BackfillOptions,
    progress: RichProgress,
) -> BackfillSummary:
    from dal.migrate.distributed import DaskBackfill, default_segments

    with cluster(choice, options.workers) as client:
        options = replace(options, segments=default_segments(client, options.segments))
        runner = DaskBackfill(
            tools, portable(settings), client, progress, choice.retries, choice.threads
        )
        return runner.run(options)


@contextmanager
def _verifier_on(
    tools: MigrationTools, choice: EngineChoice, workers: int, progress: RichProgress
) -> Iterator[Verifier]:
    """The verifier of ``choice``: this process's, or one that runs on Dask."""
    if not choice.dask:
        yield tools.verifier(progress)
        return
    from dal.migrate.distributed import DaskVerifier, default_segments

    with cluster(choice, workers) as client:
        settings = portable(load_settings())
        parts = default_segments(client, 1)
        yield DaskVerifier(tools, settings, client, parts, progress, choice.retries)


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
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    retries: RetriesOption = 2,
    threads: ThreadsOption = 4,
) -> None:
    """Compare every MySQL row with its DynamoDB item(s), both ways; exit 1 when they differ."""
    console = Console()
    with _exit_codes():
        choice = EngineChoice(engine, scheduler, retries, threads)
        with _tools(threads if choice.dask else workers) as tools:
            options = VerifyOptions(
                tuple(entity or ()),
                workers,
                include_denormalized=include_denormalized,
                sensitive=(*tools.sensitive, *(sensitive or ())),  # adds to the defaults
            )
            chosen = select_plans(tools.plans, options.entities)
            with RichProgress() as progress, _verifier_on(tools, choice, workers, progress) as v:
                report = v.run(options, chosen)
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
        typer.Option(
            "--from-log",
            help="Replay the open entries of the router's repair log (a file, or a folder "
            "of per-process files), each by its own authoritative side and key, whatever "
            "today's flags say.",
        ),
    ] = None,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow",
            help="With --from-log: keep draining the log's deferred secondary writes "
            "(DAL_SECONDARY_WRITES=deferred) as they are appended, until interrupted.",
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only show what would change.")
    ] = False,
    include_denormalized: DenormalizedOption = False,
    as_json: JsonOption = False,
    workers: WorkersOption = 4,
    authoritative: Annotated[
        str | None,
        typer.Option(
            "--authoritative",
            help="mysql or dynamodb: the side that is the truth for every entity, "
            "whatever the flags say (required without DAL_FLAGS).",
        ),
    ] = None,
    max_delete_share: Annotated[
        float,
        typer.Option(
            "--max-delete-share",
            min=0.0,
            max=1.0,
            help="Refuse a repair deleting more than this share of a table's rows or items "
            f"(and more than {MASS_DELETE_FLOOR} of them).",
        ),
    ] = DEFAULT_MAX_DELETE_SHARE,
    allow_mass_delete: Annotated[
        bool,
        typer.Option("--allow-mass-delete", help="Repair even when it deletes that much."),
    ] = False,
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    retries: RetriesOption = 2,
    threads: ThreadsOption = 4,
) -> None:
    """Make the non-authoritative side equal to the authoritative one (stage from DAL_FLAGS)."""
    with _exit_codes():
        choice = EngineChoice(engine, scheduler, retries, threads)
        names = list(entity or ())
        truth = _authoritative(authoritative)
        load_settings().require_mysql_url()  # the first thing missing is the first named
        if follow:
            if from_log is None or dry_run or choice.dask or truth is not None:
                raise _BadInput(
                    "--follow needs --from-log, and takes no --dry-run, --engine dask "
                    "or --authoritative"
                )
            _follow(from_log, workers)
            return
        if from_log is not None:
            if choice.dask:
                raise _BadInput("--engine dask does not apply to --from-log: it replays by key")
            if truth is not None:
                raise _BadInput(
                    "--authoritative does not apply to --from-log: each entry names its own"
                )
            _replay(
                from_log,
                names,
                dry_run,
                include_denormalized,
                as_json,
                workers,
                max_delete_share,
                allow_mass_delete,
            )
            return
        if truth is None and not _flags_configured():
            raise _BadInput(
                "no stage flags: DAL_FLAGS names no flags file (and no DAL_STAGE_* is set), "
                "so nothing says which side is authoritative; set DAL_FLAGS or pass "
                "--authoritative mysql|dynamodb"
            )
        options = RepairOptions(
            tuple(names),
            dry_run,
            include_denormalized,
            workers,
            truth,
            max_delete_share,
            allow_mass_delete,
        )
        with _tools(threads if choice.dask else workers) as tools:
            chosen = select_plans(tools.plans, options.entities)
            with RichProgress() as progress, _verifier_on(tools, choice, workers, progress) as v:
                report = tools.repairer(progress, v).run(options, chosen)
        _show_repair(report, as_json)
        if report.refused is not None:
            _refused(report.refused)
        if not report.ok:
            raise typer.Exit(EXIT_DIFFERENT)


def _authoritative(value: str | None) -> Side | None:
    if value is None:
        return None
    sides = {"mysql": Side.OLD, "dynamodb": Side.NEW}
    if value.lower() not in sides:
        raise _BadInput(f"--authoritative must be mysql or dynamodb, got {value!r}")
    return sides[value.lower()]


def _flags_configured() -> bool:
    """Whether a flags file or a stage override says which side is authoritative."""
    if load_settings().flags is not None:
        return True
    return any(name.upper().startswith("DAL_STAGE_") for name in os.environ)


def _refused(refused: MassDeleteRefused) -> None:
    Console(stderr=True).print(
        f"[red]error:[/] the repair would be refused: {refused}", highlight=False
    )
    raise typer.Exit(EXIT_USAGE)


def _show_repair(report: RepairReport | ReplayReport, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.to_json(), indent=2, default=str))
        return
    console = Console()
    if isinstance(report, ReplayReport):
        console.print(replay_table(report) if report.entries else "No open entry to repair.")
    else:
        console.print(repair_table(report) if report.actions else "Nothing to repair.")


def _follow(path: Path, workers: int) -> None:
    """Drain the deferred entries of the log at ``path`` until SIGINT or SIGTERM."""
    import signal
    import threading

    from dal.migrate.replay import deferred_drain
    from dal.routing.deferred import Drainer

    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with _tools(workers) as tools:
        drainer = Drainer(RepairLog(path), deferred_drain(tools.replayer(), workers))
        drainer.start()
        Console(stderr=True).print(f"draining deferred writes of {path} (Ctrl-C stops)")
        try:
            while not stop.wait(1.0):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            drained = drainer.close(timeout=10.0)
    state = drainer.state()
    Console(stderr=True).print(
        f"drained {state.drained} deferred writes; {state.pending} left open"
        + ("" if drained else " (replayed on the next run)")
    )


def _replay(
    path: Path,
    only: list[str],
    dry_run: bool,
    include_denormalized: bool,
    as_json: bool,
    workers: int,
    max_delete_share: float,
    allow_mass_delete: bool,
) -> None:
    """Replay the open entries of the log at ``path`` (within ``only``) by their own intent."""
    if not path.exists():
        raise _BadInput(f"repair log {path} does not exist")
    log = RepairLog(path)
    try:
        entries = [e for e in log.read(strict=True) if not only or e.entity in only]
    except RepairLogError as error:
        raise _BadInput(f"{error}; is {path} a repair log?") from error
    if not entries:
        Console().print(f"{path}: no open entry to repair.")
        return
    options = ReplayOptions(
        dry_run, include_denormalized, workers, max_delete_share, allow_mass_delete
    )
    with _tools(workers) as tools:
        for name in sorted({entry.entity for entry in entries}):
            select_plans(tools.plans, (name,))
        with log.drain_lock():  # no router's drainer replays meanwhile
            report = tools.replayer().run(entries, options)
            if report.done_ids and not dry_run:
                log.mark_done(*report.done_ids)
    _show_repair(report, as_json)
    if report.refused is not None:
        _refused(report.refused)
    if not report.ok and not dry_run:
        raise typer.Exit(EXIT_DIFFERENT)


def register(app: typer.Typer) -> None:
    """Add ``backfill``, ``verify`` and ``repair`` to ``app``."""
    app.command("backfill")(backfill)
    app.command("verify")(verify)
    app.command("repair")(repair)
