"""Aggregation of router records into statistics per entity and operation.

:class:`Aggregator` takes parsed lines one at a time (see :mod:`.records`) and
keeps, per ``entity.operation``: comparisons by category and stage, the field
paths that differed, both sides' latencies on compared calls, failures by
origin and error type, shadow drops by reason; per entity: the same latencies
pooled over its operations and the stage it was last seen in. Failures of the
router's own machinery (origin ``router``) are kept apart. Memory stays
bounded: see :mod:`.stats`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from dal.reporting.records import (
    ComparisonLine,
    DropLine,
    ErrorLine,
    Malformed,
    MetricsLine,
    Parsed,
    RecordLine,
    UnknownKind,
)
from dal.reporting.redact import ReportRedactor
from dal.reporting.stats import CallCounter, ErrorTally, LatencySample, PathTally
from dal.reporting.timeline import Timeline
from dal.routing.recordfiles import stream_of

__all__ = ["Aggregator", "EntityStats", "OperationStats"]

MAX_MALFORMED_KEPT = 100
"""How many malformed lines are kept with their place and reason (all are counted)."""

_MISMATCHED = ("drift", "exception")


@dataclass
class OperationStats:
    """Everything counted for one ``entity.operation``."""

    entity: str
    operation: str
    op_kind: str | None = None
    comparisons: int = 0
    rereads: int = 0
    unconfirmed: int = 0
    """Differences whose confirming re-read failed."""
    categories: Counter[str] = field(default_factory=Counter)
    stages: Counter[str] = field(default_factory=Counter)
    paths: PathTally = field(default_factory=PathTally)
    errors: ErrorTally = field(default_factory=ErrorTally)
    drops: Counter[str] = field(default_factory=Counter)
    latency_old: LatencySample = field(init=False)
    latency_new: LatencySample = field(init=False)

    def __post_init__(self) -> None:
        self.latency_old = LatencySample(f"{self.entity}.{self.operation}.old")
        self.latency_new = LatencySample(f"{self.entity}.{self.operation}.new")

    @property
    def drifted(self) -> int:
        """Comparisons whose sides really disagreed (``drift`` or ``exception``)."""
        return sum(self.categories[category] for category in _MISMATCHED)


@dataclass
class EntityStats:
    """An entity's operations, pooled latencies, and the stage it was last seen in.

    The stage is that of the latest comparison or error (drop records are
    written in batches, after the fact, so their time says nothing of the stage).
    """

    entity: str
    operations: dict[str, OperationStats] = field(default_factory=dict)
    stage: str | None = None
    stage_seen_at: datetime | None = None

    @property
    def latency_old(self) -> LatencySample:
        """The old side's latencies of every operation, pooled."""
        return self._pooled("latency_old")

    @property
    def latency_new(self) -> LatencySample:
        """The new side's latencies of every operation, pooled."""
        return self._pooled("latency_new")

    def _pooled(self, side: str) -> LatencySample:
        pooled = LatencySample()
        for stats in self.operations.values():
            pooled.merge(getattr(stats, side))
        return pooled

    def operation(self, name: str) -> OperationStats:
        """The statistics of one operation (created on first use)."""
        found = self.operations.get(name)
        if found is None:
            found = self.operations[name] = OperationStats(self.entity, name)
        return found

    def saw_stage(self, stage: str | None, at: datetime) -> None:
        """Note that a record of ``stage`` was written at ``at`` (the latest one wins)."""
        if stage is not None and (self.stage_seen_at is None or at >= self.stage_seen_at):
            self.stage, self.stage_seen_at = stage, at

    def total(self, attribute: str) -> int:
        """The sum of an integer attribute over the operations."""
        return sum(int(getattr(stats, attribute)) for stats in self.operations.values())


@dataclass
class Aggregator:
    """Statistics over every record given to :meth:`add`."""

    redactor: ReportRedactor = field(default_factory=ReportRedactor)
    entities: dict[str, EntityStats] = field(default_factory=dict)
    router_errors: ErrorTally = field(default_factory=ErrorTally)
    calls: CallCounter = field(default_factory=CallCounter)
    kinds: Counter[str] = field(default_factory=Counter)
    unknown_kinds: Counter[str] = field(default_factory=Counter)
    malformed: list[Malformed] = field(default_factory=list)
    malformed_count: int = 0
    sources: Counter[str] = field(default_factory=Counter)
    first_at: datetime | None = None
    last_at: datetime | None = None
    timeline: Timeline = field(default_factory=Timeline)

    def consume(self, lines: Iterable[Parsed]) -> Aggregator:
        """Add every parsed line; returns ``self``."""
        for line in lines:
            self.add(line)
        return self

    def add(self, line: Parsed) -> None:
        """Count one parsed line: a record, a malformed line, or a line of an unknown kind."""
        self.sources[line.source] += 1
        if isinstance(line, Malformed):
            self._malformed(line)
        elif isinstance(line, UnknownKind):
            self.unknown_kinds[line.kind] += 1
        else:
            self._record(line.record, line.source)

    def _record(self, record: RecordLine, source: str) -> None:
        self.kinds[record.kind] += 1
        self._span(record.ts)
        if isinstance(record, MetricsLine):  # one writer's rotated files are one stream
            self.calls.add(stream_of(source), record.metrics)
        elif isinstance(record, ComparisonLine):
            self._comparison(record)
        elif isinstance(record, ErrorLine):
            self._error(record)
        else:
            self._drop(record)

    def entity(self, name: str) -> EntityStats:
        """The statistics of one entity (created on first use)."""
        found = self.entities.get(name)
        if found is None:
            found = self.entities[name] = EntityStats(name)
        return found

    # --- one method per kind -------------------------------------------------------------

    def _malformed(self, line: Malformed) -> None:
        self.malformed_count += 1
        if len(self.malformed) < MAX_MALFORMED_KEPT:
            self.malformed.append(line)

    def _span(self, at: datetime) -> None:
        if self.first_at is None or at < self.first_at:
            self.first_at = at
        if self.last_at is None or at > self.last_at:
            self.last_at = at

    def _comparison(self, record: ComparisonLine) -> None:
        entity = self.entity(record.entity)
        entity.saw_stage(record.stage, record.ts)
        stats = entity.operation(record.operation)
        stats.op_kind = stats.op_kind or record.op_kind
        stats.comparisons += 1
        stats.rereads += record.reread
        stats.unconfirmed += record.reread_failed
        stats.categories[record.category] += 1
        stats.stages[record.stage or "unknown"] += 1
        transient = record.category == "transient"  # the first read's differences, gone since
        for difference in record.differences:
            self.redactor.collect(difference.old, difference.path)
            self.redactor.collect(difference.new, difference.path)
            category = "transient" if transient else difference.category
            stats.paths.add(category, difference.path, difference.old, difference.new)
        old, new = record.latency_ms.old, record.latency_ms.new
        mismatched = record.category in _MISMATCHED
        self.timeline.comparison(record.entity, record.ts, record.stage, mismatched, (old, new))
        if old is not None and new is not None:
            stats.latency_old.add(old)
            stats.latency_new.add(new)

    def _error(self, record: ErrorLine) -> None:
        if record.origin == "router" or record.entity in ("", "*"):
            self.router_errors.add(record.operation, record.error_type, record.message)
            return
        entity = self.entity(record.entity)
        entity.saw_stage(record.stage, record.ts)
        self.timeline.error(record.entity, record.ts, record.stage, record.origin)
        stats = entity.operation(record.operation)
        stats.op_kind = stats.op_kind or record.op_kind
        stats.errors.add(record.origin, record.error_type, record.message)

    def _drop(self, record: DropLine) -> None:
        entity = self.entity(record.entity)  # drops are tallied and written later: no stage
        entity.operation(record.operation).drops[record.reason] += record.count
