"""The demonstration itself: one migration, stage after stage, with drift planted and caught.

1. ``off``: the shop is seeded through the repositories (MySQL only) and used.
2. ``dual_write``: the backfill copies the existing rows; then every write goes to both.
3. ``shadow``: two drifts are planted straight into DynamoDB; reads are compared.
4. ``live``, ``rampdown``, ``complete``: DynamoDB answers, then is the only store.

Every call goes through the router built by the container; its records go to
``records.jsonl`` in the output folder, from which the report is written, with
the thresholds of the demo's flags file (``flags.toml``) resolved as ``dal gate
--flags`` resolves them, so the gate on those records agrees with the report.
"""

from __future__ import annotations

import json
import random
import secrets
import shlex
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dependency_injector import providers
from rich.console import Console

from dal.aws import dynamodb_client
from dal.container import Container
from dal.contract import load_contract
from dal.migrate import BackfillOptions, BackfillSummary, open_tools
from dal.reporting import Report, ReportFiles, report_from_files, resolve_thresholds, write_report
from dal.routing import FileFlags, JsonlRecorder, ShadowSettings, Stage
from dal.settings import Settings
from examples.store import Store
from examples.store.demo.backends import open_backends
from examples.store.demo.catalog import Catalog, seed
from examples.store.demo.config import DemoConfig
from examples.store.demo.drift import PlantedDrift, plant_drifts, read_drifted
from examples.store.demo.flags import write_flags
from examples.store.demo.progress import DemoProgress
from examples.store.demo.workload import Shop, StageCalls, Workload, every_read
from examples.store.wiring import store_container

__all__ = ["DemoResult", "StageRun", "run_demo"]

RECORDS_FILE = "records.jsonl"
REPAIR_LOG_FILE = "repair.jsonl"
FLAGS_FILE = "flags.toml"
RESULT_FILE = "demo.json"


@dataclass(frozen=True)
class StageRun:
    """One stage as it ran: calls by group, errors that were answers, failures, time."""

    stage: str
    calls: dict[str, int]
    answered_with_error: int
    failures: dict[str, int]
    seconds: float

    @property
    def total(self) -> int:
        """Calls made in the stage."""
        return sum(self.calls.values())


@dataclass
class DemoResult:
    """What the demo did and where it wrote it."""

    out: Path
    records: Path
    report: Report
    files: ReportFiles
    flags: Path
    """The flags file whose thresholds the report applied."""
    stages: list[StageRun] = field(default_factory=list)
    planted: list[PlantedDrift] = field(default_factory=list)
    backfilled: dict[str, int] = field(default_factory=dict)

    @property
    def all_caught(self) -> bool:
        """Whether the report shows every planted drift."""
        return all(drift.caught for drift in self.planted)

    def gate_command(self, entity: str) -> str:
        """The ``dal gate`` command whose verdict on the records is the report's for ``entity``."""
        return shlex.join(
            [
                "dal",
                "gate",
                "--entity",
                entity,
                "--from",
                str(self.records),
                "--flags",
                str(self.flags),
            ]
        )


@dataclass
class _Run:
    """The moving parts of one run."""

    config: DemoConfig
    settings: Settings
    store: Store
    progress: DemoProgress
    flags: Path
    rng: random.Random
    tag: str
    settle: Callable[[], object]
    """Waits until the router's shadow work (comparisons, re-reads) is done."""
    catalog: Catalog | None = None
    workload: Workload | None = None
    result_stages: list[StageRun] = field(default_factory=list)
    planted: list[PlantedDrift] = field(default_factory=list)
    backfilled: dict[str, int] = field(default_factory=dict)


def _fresh(out: Path, *names: str) -> list[Path]:
    paths = [out / name for name in names]
    for path in paths:
        path.unlink(missing_ok=True)
    return paths


def _seed(run: _Run) -> None:
    scale = run.config.scale
    total = scale.users + scale.categories + scale.products
    run.progress.begin("seed", total, "users, categories and products (MySQL only)", "rows")
    run.catalog = seed(
        run.store,
        tag=run.tag,
        users=scale.users,
        sellers=scale.sellers,
        categories=scale.categories,
        products=scale.products,
        rng=run.rng,
        advance=run.progress.advance,
    )
    run.workload = Workload(Shop(run.store, run.catalog, run.rng))
    run.progress.end(f"{total} rows")


def _backfill(run: _Run) -> None:
    run.progress.note("backfill: copying the rows that exist so far into DynamoDB")
    with open_tools(run.settings, workers=2) as tools:
        summary: BackfillSummary = tools.backfill().run(
            BackfillOptions(workers=2, reset_checkpoint=True)
        )
    for result in summary.results:
        run.backfilled[str(result.segment)] = result.copied + result.skipped
    failed = sum(len(result.failed) for result in summary.results)
    copied = ", ".join(f"{name} {count}" for name, count in run.backfilled.items())
    run.progress.note(f"backfill: {copied}" + (f"; {failed} rows failed" if failed else ""))


def _plant(run: _Run) -> None:
    assert run.catalog is not None
    client = dynamodb_client(run.settings.dynamodb_endpoint, run.settings.dynamodb_region)
    contract = load_contract(run.settings.contract)
    run.planted = plant_drifts(client, contract, run.settings.table_prefix, run.store, run.catalog)
    for drift in run.planted:
        run.progress.note(f"drift planted: {drift.description}")
    read_drifted(run.store, run.planted)
    run.settle()  # compared (and re-read) before the next call can change the same rows


_BEFORE: dict[Stage, Callable[[_Run], None]] = {
    Stage.OFF: _seed,
    Stage.DUAL_WRITE: _backfill,
    Stage.SHADOW: _plant,
}
"""What happens at the start of a stage, before its workload."""

_WHAT: dict[Stage, str] = {
    Stage.OFF: "MySQL only",
    Stage.DUAL_WRITE: "writes to both, reads from MySQL",
    Stage.SHADOW: "reads from both, MySQL answers",
    Stage.LIVE: "reads from both, DynamoDB answers",
    Stage.RAMPDOWN: "DynamoDB answers, writes still to both",
    Stage.COMPLETE: "DynamoDB only",
}


def _stage(run: _Run, stage: Stage) -> None:
    write_flags(run.flags, stage)
    started = time.monotonic()
    before = _BEFORE.get(stage)
    if before is not None:
        before(run)
    assert run.workload is not None, "the shop is seeded at the start of the first stage"
    calls = StageCalls()
    run.progress.begin(stage.value, run.config.scale.calls_per_stage, _WHAT[stage])
    for _ in range(run.config.scale.calls_per_stage):
        run.workload.call(calls)
        run.progress.advance()
    run.settle()
    failures = sum(calls.failures.values())
    run.progress.end(f"{calls.answered_with_error} answered with an error, {failures} failed")
    run.result_stages.append(
        StageRun(
            stage=stage.value,
            calls=dict(calls.calls),
            answered_with_error=calls.answered_with_error,
            failures=dict(calls.failures),
            seconds=round(time.monotonic() - started, 3),
        )
    )


def _wire(container: Container, out: Path, flags: Path) -> JsonlRecorder:
    recorder = JsonlRecorder(out / RECORDS_FILE)
    container.recorder.override(providers.Object(recorder))
    container.repair_log.override(providers.Object(out / REPAIR_LOG_FILE))
    container.shadow_settings.override(
        providers.Object(ShadowSettings(workers=4, queue_size=256, budget=5.0))
    )
    container.flags.override(providers.Object(FileFlags(flags, check_interval=0.0)))
    container.eventually_consistent.override(providers.Object(every_read()))
    return recorder


def _mark_caught(report: Report, planted: list[PlantedDrift]) -> None:
    for drift in planted:
        view = report.entity(drift.entity)
        operations = {op.operation: op for op in view.operations} if view else {}
        for operation, path in drift.expected:
            found = operations.get(operation)
            for shown in found.paths if found else ():
                if shown.category == "drift" and shown.path == path:
                    drift.caught.append((operation, path, shown.count))


def _save(result: DemoResult, settings: Settings) -> None:
    data = {
        "table_prefix": settings.table_prefix,
        "stages": [asdict(stage) | {"total": stage.total} for stage in result.stages],
        "backfilled": result.backfilled,
        "planted": [
            {
                "entity": d.entity,
                "description": d.description,
                "expected": [list(pair) for pair in d.expected],
                "caught": [list(triple) for triple in d.caught],
            }
            for d in result.planted
        ],
        "report": {
            "json": str(result.files.json),
            "markdown": str(result.files.markdown),
            "html": str(result.files.html),
            "thresholds_source": result.report.thresholds_source,
        },
    }
    (result.out / RESULT_FILE).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def run_demo(config: DemoConfig, console: Console | None = None) -> DemoResult:
    """Run the whole demonstration into ``config.out``; see the module documentation."""
    out = config.out
    out.mkdir(parents=True, exist_ok=True)
    records, _, flags = _fresh(out, RECORDS_FILE, REPAIR_LOG_FILE, FLAGS_FILE)
    write_flags(flags, Stage.OFF)
    tag = secrets.token_hex(3)
    with DemoProgress(console or Console()) as progress:
        with open_backends(config, tag, flags, progress) as settings:
            container = store_container(settings)
            recorder = _wire(container, out, flags)
            store = container.routed_store()
            if not isinstance(store, Store):
                raise TypeError("the demonstration needs the reference store's contract")
            try:
                run = _Run(
                    config,
                    settings,
                    store,
                    progress,
                    flags,
                    random.Random(config.scale.seed),
                    tag,
                    container.router().flush,
                )
                for stage in Stage:
                    _stage(run, stage)
            finally:
                container.shutdown_resources()  # closes the router: pending shadow work first
                recorder.close()
        report = report_from_files([str(records)], resolve_thresholds(flags))
        files = write_report(report, out)
    _mark_caught(report, run.planted)
    result = DemoResult(
        out, records, report, files, flags, run.result_stages, run.planted, run.backfilled
    )
    _save(result, settings)
    return result
