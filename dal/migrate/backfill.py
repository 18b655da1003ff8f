"""Backfill: copy existing MySQL rows into DynamoDB as the contract describes them.

For each store entity (and segment: a range of its key, :mod:`dal.migrate.ranges`)
the rows are streamed in key order a page at a time (the next page is read by a
thread of its own meanwhile); each page goes to a page thread that turns its
rows into items (:mod:`dal.migrate.plan`) and hands them in batches to the
writer threads (``workers`` of each kind), which keep sending while the page
threads build the next pages' items. Batches are written
(:mod:`dal.migrate.writer`) with conditional transactions in which an item
DynamoDB already holds with the same or a newer version is left alone. Pages
may finish out of order; the checkpoint only moves past a page once every page
before it is done, so a run that is
killed resumes after the last page that was completely written and repeats at
most the pages in flight (whose items are then found already written and
counted as skipped, not copied twice).

Every run is a *pass* over each segment. A checkpoint only continues a pass
that was interrupted, into the same DynamoDB tables (the checkpoint records
their identity, :func:`~dal.migrate.checkpoints.target_identity`). A finished
pass does not make the next run skip anything: it reads every row again, so
rows added or changed since are copied (in conditional mode an item that is
already as new is counted as skipped, never overwritten); and a pass into
tables that were dropped and created again, or into other tables, starts from
the first row.

Write modes: ``conditional`` always uses conditional transactions;
``batch`` uses plain BatchWriteItem (several times faster, but it overwrites);
``auto`` (the default) uses BatchWriteItem only while the entity's stage is
``off``, when by the stage model nothing but the backfill writes its items to
DynamoDB, and switches to conditional writes for the next page as soon as the
flags say otherwise.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from opentelemetry.trace import Span
from sqlalchemy import Engine, Table

from dal.migrate.checkpoints import Checkpoint, CheckpointStore, SegmentId
from dal.migrate.lookups import Row
from dal.migrate.plan import RowItems, SourcePlan
from dal.migrate.progress import NoProgress, ProgressReporter
from dal.migrate.ranges import KeyRange, split_ranges
from dal.migrate.source import count_rows, pages, prefetched
from dal.migrate.writer import BatchWriter, ConditionalWriter, ItemWriter, WriteResult
from dal.routing.stages import Stage
from dal.telemetry import Telemetry, default_telemetry

__all__ = [
    "MODES",
    "Backfill",
    "BackfillOptions",
    "BackfillSummary",
    "EntityResult",
    "select_plans",
]

MODES = ("auto", "conditional", "batch")
"""How items are written: see the module documentation."""


@dataclass(frozen=True)
class BackfillOptions:
    """What to copy and how: entities (all when empty), segment, parallelism, batch sizes."""

    entities: tuple[str, ...] = ()
    segment: int = 0
    segments: int = 1
    workers: int = 4
    batch_size: int = 25
    page_size: int = 500
    reset_checkpoint: bool = False
    mode: str = "auto"

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"--mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if not 1 <= self.batch_size <= 100:
            raise ValueError(f"--batch-size must be between 1 and 100, got {self.batch_size}")
        if self.workers < 1:
            raise ValueError(f"--workers must be at least 1, got {self.workers}")
        if self.page_size < 1:
            raise ValueError(f"--page-size must be at least 1, got {self.page_size}")
        SegmentId("check", self.segment, self.segments)


@dataclass
class EntityResult:
    """The outcome of one entity (segment): rows copied, skipped as newer, failed by key."""

    segment: SegmentId
    copied: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    resumed: bool = False
    """Whether this run continued an interrupted pass (rather than starting a new one)."""

    @property
    def rows(self) -> int:
        """Rows handled in this run."""
        return self.copied + self.skipped + len(self.failed)


@dataclass
class BackfillSummary:
    """Every entity's result; ``ok`` when no row failed."""

    results: list[EntityResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every row was copied or skipped as newer."""
        return all(not result.failed for result in self.results)


def select_plans(plans: Mapping[str, SourcePlan], names: Sequence[str]) -> list[SourcePlan]:
    """The plans named (all when ``names`` is empty); ValueError naming an unknown entity."""
    unknown = [name for name in names if name not in plans]
    if unknown:
        raise ValueError(f"unknown entity {', '.join(unknown)} (known: {', '.join(plans)})")
    return [plans[name] for name in (names or plans)]


@dataclass(frozen=True)
class Writers:
    """The two ways of writing, and the stage of each entity that chooses between them."""

    conditional: ConditionalWriter
    batch: BatchWriter
    stage_of: Callable[[str], Stage]

    def choose(self, entity: str, mode: str) -> ItemWriter:
        """The writer for the next page of ``entity`` in ``mode``."""
        if mode == "batch" or (mode == "auto" and self.stage_of(entity) is Stage.OFF):
            return self.batch
        return self.conditional


@dataclass(frozen=True)
class _Pools:
    """The threads that build pages' items, and the threads that write their batches."""

    pages: ThreadPoolExecutor
    writes: ThreadPoolExecutor


@dataclass
class _Page:
    rows: int
    last_key: tuple[Any, ...]
    future: Future[tuple[list[RowItems], WriteResult]]
    entity: str
    span: Span


class Backfill:
    """Copies MySQL rows into DynamoDB; see the module documentation.

    ``identify`` names the DynamoDB tables an entity's items go to, as they exist
    now (see :func:`~dal.migrate.checkpoints.target_identity`); a checkpoint
    written for other tables is not resumed. Without it every checkpoint counts
    as written for the same tables. Each page is a span (``backfill ENTITY batch``) and
    its rows are counted in ``dal.migration.rows`` (read, written, skipped, failed) on
    ``telemetry`` (default: the global OpenTelemetry providers). ``on_new_pass`` is
    called with the plan before a new pass (not a resumed one) reads its first row:
    change data capture records where the binary log stood (:mod:`dal.cdc.handover`).
    """

    def __init__(
        self,
        engine: Engine,
        writers: Writers,
        plans: Mapping[str, SourcePlan],
        tables: Mapping[str, Table],
        checkpoints: CheckpointStore,
        progress: ProgressReporter | None = None,
        identify: Callable[[SourcePlan], str] | None = None,
        telemetry: Telemetry | None = None,
        on_new_pass: Callable[[SourcePlan], None] | None = None,
    ) -> None:
        self._telemetry = telemetry if telemetry is not None else default_telemetry()
        self._engine = engine
        self._writers = writers
        self._plans = plans
        self._tables = tables
        self._checkpoints = checkpoints
        self._progress = progress or NoProgress()
        self._identify = identify
        self._on_new_pass = on_new_pass

    def run(self, options: BackfillOptions) -> BackfillSummary:
        """Backfill the entities of ``options``; ValueError for an unknown entity."""
        summary = BackfillSummary()
        for plan in select_plans(self._plans, options.entities):
            segment = SegmentId(plan.name, options.segment, options.segments)
            key_range = self.key_range(plan, segment)
            if options.reset_checkpoint:  # this segment starts again, in the split in force
                self._checkpoints.reset(segment)
                if not key_range.whole:
                    self._checkpoints.save(Checkpoint(segment, key_range=key_range))
            summary.results.append(self.run_segment(segment, key_range, options))
        return summary

    def run_segment(
        self, segment: SegmentId, key_range: KeyRange, options: BackfillOptions
    ) -> EntityResult:
        """Copy the rows of ``key_range`` as segment ``segment`` (resuming its checkpoint).

        ``options.reset_checkpoint`` is not applied here but by :meth:`run` and
        :meth:`reset`, before the split is taken (so a task run again resumes).
        """
        plan = select_plans(self._plans, [segment.entity])[0]
        with (
            ThreadPoolExecutor(options.workers, thread_name_prefix="backfill") as pool,
            ThreadPoolExecutor(options.workers, thread_name_prefix="backfill-write") as writes,
        ):
            return self._entity(plan, segment, key_range, options, _Pools(pool, writes))

    def reset(self, plan: SourcePlan, segments: int) -> None:
        """Forget the checkpoints of every segment of ``plan`` split in ``segments``."""
        for number in range(segments):
            self._checkpoints.reset(SegmentId(plan.name, number, segments))

    def key_range(self, plan: SourcePlan, segment: SegmentId) -> KeyRange:
        """The key range of ``segment`` in the split of the current pass over ``plan``."""
        return self.split(plan, segment.segments)[segment.segment]

    def split(self, plan: SourcePlan, segments: int) -> list[KeyRange]:
        """The key ranges of the current pass over ``plan`` in ``segments`` segments."""
        if segments == 1:
            return [KeyRange()]
        return self._checkpoints.split(
            plan.name, segments, lambda: split_ranges(self._engine, plan.table, segments)
        )

    def _entity(
        self,
        plan: SourcePlan,
        segment: SegmentId,
        key_range: KeyRange,
        options: BackfillOptions,
        pools: _Pools,
    ) -> EntityResult:
        target = "" if self._identify is None else self._identify(plan)
        checkpoint = self._checkpoints.load(segment)
        resumed = checkpoint.resumes(target)
        if not resumed:  # a new pass: from the first row, counted afresh
            checkpoint = Checkpoint(segment, target=target)
            if self._on_new_pass is not None:
                self._on_new_pass(plan)
        if not key_range.whole:
            checkpoint = replace(checkpoint, key_range=key_range)
        result = EntityResult(segment, resumed=resumed)
        started = time.monotonic()
        name = str(segment)
        total = count_rows(self._engine, plan.table, key_range, checkpoint.last_key)
        self._progress.start(name, total)
        in_flight: deque[_Page] = deque()
        after = checkpoint.last_key
        stream = pages(self._engine, plan.table, key_range, options.page_size, after)
        for rows in prefetched(stream):
            writer = self._writers.choose(plan.name, options.mode)
            span = self._telemetry.start_batch("backfill", plan.name)
            future = pools.pages.submit(
                self._copy_page, plan, rows, options.batch_size, writer, pools.writes
            )
            in_flight.append(_Page(len(rows), plan.key(rows[-1]), future, plan.name, span))
            while len(in_flight) > options.workers * 2 or (
                in_flight and in_flight[0].future.done()
            ):
                checkpoint = self._complete(in_flight.popleft(), checkpoint, result, name)
        while in_flight:
            checkpoint = self._complete(in_flight.popleft(), checkpoint, result, name)
        self._checkpoints.save(_finished(checkpoint))
        self._progress.finish(name)
        result.seconds = time.monotonic() - started
        return result

    def _copy_page(
        self,
        plan: SourcePlan,
        rows: list[Row],
        batch_size: int,
        writer: ItemWriter,
        writes: ThreadPoolExecutor,
    ) -> tuple[list[RowItems], WriteResult]:
        """Turn a page's rows into items (on a page thread) and write them in batches.

        The batches go to the writer threads, which stay busy sending while the
        page threads build the next pages' items.
        """
        with self._engine.connect() as connection:
            built = plan.build_page(connection, self._tables, rows)
        items = [item for row in built for item in row.items]
        batches = [
            writes.submit(writer.write, items[start : start + batch_size])
            for start in range(0, len(items), batch_size)
        ]
        outcome = WriteResult()
        for batch in batches:
            outcome.merge(batch.result())
        return built, outcome

    def _complete(
        self, page: _Page, checkpoint: Checkpoint, result: EntityResult, name: str
    ) -> Checkpoint:
        """Wait for ``page``, count its rows and move the checkpoint past it."""
        built, outcome = page.future.result()
        copied, skipped, failed = _tally(built, outcome)
        self._telemetry.end_batch(
            page.span,
            "backfill",
            page.entity,
            read=len(built),
            written=copied,
            skipped=skipped,
            failed=len(failed),
        )
        result.copied += copied
        result.skipped += skipped
        result.failed.extend(failed)
        checkpoint = checkpoint.advanced(page.last_key, copied, skipped, len(failed))
        self._checkpoints.save(checkpoint)
        self._progress.advance(name, page.rows)
        return checkpoint


def _finished(checkpoint: Checkpoint) -> Checkpoint:
    return replace(checkpoint, done=True)


def _tally(rows: list[RowItems], outcome: WriteResult) -> tuple[int, int, list[tuple[str, str]]]:
    """Per row: failed if any item failed, else copied if any item was written, else skipped."""
    written = {id(item) for item in outcome.written}
    failures: dict[int, str] = {id(item): reason for item, reason in outcome.failed}
    copied = skipped = 0
    failed: list[tuple[str, str]] = []
    for row in rows:
        reasons = [failures[id(i)] for i in row.items if id(i) in failures]
        if row.error is not None or reasons:
            failed.append((row.label, row.error or "; ".join(reasons)))
        elif any(id(item) in written for item in row.items):
            copied += 1
        else:
            skipped += 1
    return copied, skipped, failed
