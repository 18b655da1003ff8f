"""The report as plain, immutable data: what every renderer (JSON, Markdown, HTML) shows.

:func:`build_report` turns an :class:`~dal.reporting.aggregate.Aggregator` and
the thresholds into a :class:`Report`; every example value in it is already
redacted and shortened (:mod:`.redact`). :meth:`Report.to_dict` is the JSON form.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dal.reporting.aggregate import Aggregator, EntityStats, OperationStats
from dal.reporting.records import CATEGORIES, Malformed
from dal.reporting.stats import ErrorTally, LatencySample, Percentiles
from dal.reporting.thresholds import Thresholds
from dal.reporting.timeline import TimelineView
from dal.reporting.verdict import Readiness, assess

__all__ = [
    "REPORT_VERSION",
    "EntityView",
    "ErrorTypeView",
    "LatencyView",
    "OperationView",
    "OriginView",
    "PathView",
    "Report",
    "build_report",
    "plain",
]

REPORT_VERSION = 1
"""Version of the layout of ``report.json``."""

TOP_PATHS = 10
TOP_ERROR_TYPES = 5
_ORIGINS = ("old", "new")


def plain(value: Any) -> Any:
    """JSON-ready data of a view (dataclasses, mappings, tuples, datetimes, floats)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name in getattr(value, "properties", ()):
            data[name] = plain(getattr(value, name))
        return data
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass(frozen=True, slots=True)
class LatencyView:
    """Latencies (ms) of both sides on compared calls, and new over old per percentile."""

    old: Percentiles
    new: Percentiles
    ratio_p50: float | None
    ratio_p95: float | None
    ratio_p99: float | None


@dataclass(frozen=True, slots=True)
class PathView:
    """A group of differences on one field path (indices folded) with a redacted example."""

    category: str
    path: str
    count: int
    example_path: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class ErrorTypeView:
    """How often one error type occurred, with a scrubbed example message."""

    error_type: str
    count: int
    example: str


@dataclass(frozen=True, slots=True)
class OriginView:
    """Failures of one side: how many of how many calls, and the commonest types."""

    origin: str
    errors: int
    calls: int
    rate: float
    types: tuple[ErrorTypeView, ...]


@dataclass(frozen=True, slots=True)
class OperationView:
    """Everything the report says about one ``entity.operation``."""

    operation: str
    op_kind: str | None
    comparisons: int
    categories: Mapping[str, int]
    rates: Mapping[str, float]
    mismatch_rate: float
    rereads: int
    unconfirmed: int
    stages: Mapping[str, int]
    paths: tuple[PathView, ...]
    errors: tuple[OriginView, ...]
    drops: Mapping[str, int]
    latency: LatencyView


@dataclass(frozen=True, slots=True)
class EntityView:
    """One entity: its verdict, totals over its operations, and the operations."""

    entity: str
    stage: str | None
    readiness: Readiness
    thresholds: Mapping[str, float]
    comparisons: int
    categories: Mapping[str, int]
    rates: Mapping[str, float]
    mismatch_rate: float
    errors: tuple[OriginView, ...]
    drops: Mapping[str, int]
    latency: LatencyView
    paths: tuple[tuple[str, PathView], ...]
    operations: tuple[OperationView, ...]
    timeline: TimelineView
    """The entity over time, in time buckets (what the HTML report's charts draw)."""


@dataclass(frozen=True)
class Report:
    """A comparison report over one or more JSON lines files."""

    generated_at: datetime
    sources: Mapping[str, int]
    records: Mapping[str, int]
    unknown_kinds: Mapping[str, int]
    malformed_count: int
    malformed: tuple[Malformed, ...]
    first_record_at: datetime | None
    last_record_at: datetime | None
    thresholds_source: str
    entities: tuple[EntityView, ...]
    router_errors: tuple[OriginView, ...]

    def entity(self, name: str) -> EntityView | None:
        """The view of entity ``name``, if the records mention it."""
        return next((view for view in self.entities if view.entity == name), None)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (``report.json``)."""
        data: dict[str, Any] = plain(self)
        return {"report_version": REPORT_VERSION, **data}


# --- building ------------------------------------------------------------------------------


def _ratio(old: float | None, new: float | None) -> float | None:
    if old is None or new is None:
        return None
    return round(new / max(old, 0.001), 3)


def _latency(old: LatencySample, new: LatencySample) -> LatencyView:
    o, n = old.summary(), new.summary()
    return LatencyView(o, n, _ratio(o.p50, n.p50), _ratio(o.p95, n.p95), _ratio(o.p99, n.p99))


def _categories(counts: Mapping[str, int], total: int) -> tuple[dict[str, int], dict[str, float]]:
    present = {category: counts[category] for category in CATEGORIES if counts.get(category)}
    rates = {category: round(count / total, 6) for category, count in present.items()}
    return present, rates


class _Builder:
    def __init__(self, aggregator: Aggregator, thresholds: Thresholds) -> None:
        self.aggregator = aggregator
        self.thresholds = thresholds
        self.redactor = aggregator.redactor

    def paths(self, stats: OperationStats) -> tuple[PathView, ...]:
        example = self.redactor.example
        return tuple(
            PathView(
                category,
                path,
                item.count,
                item.path,
                example(item.old, item.path),
                example(item.new, item.path),
            )
            for category, path, item in stats.paths.top(TOP_PATHS)
        )

    def types(self, tally: ErrorTally, origin: str) -> tuple[ErrorTypeView, ...]:
        return tuple(
            ErrorTypeView(kind, item.count, self.redactor.message(item.message))
            for kind, item in tally.top(origin, TOP_ERROR_TYPES)
        )

    def origins(self, entity: str, stats: OperationStats) -> tuple[OriginView, ...]:
        calls = self.aggregator.calls.calls(entity, stats.operation)
        views = []
        for origin in _ORIGINS:
            errors = stats.errors.by_origin[origin]
            attempted = max(stats.comparisons + errors, calls[origin])
            rate = round(errors / attempted, 6) if attempted else 0.0
            views.append(
                OriginView(origin, errors, attempted, rate, self.types(stats.errors, origin))
            )
        return tuple(views)

    def operation(self, entity: str, stats: OperationStats) -> OperationView:
        categories, rates = _categories(stats.categories, stats.comparisons)
        drifted = stats.drifted / stats.comparisons if stats.comparisons else 0.0
        return OperationView(
            operation=stats.operation,
            op_kind=stats.op_kind,
            comparisons=stats.comparisons,
            categories=categories,
            rates=rates,
            mismatch_rate=round(drifted, 6),
            rereads=stats.rereads,
            unconfirmed=stats.unconfirmed,
            stages=dict(stats.stages),
            paths=self.paths(stats),
            errors=self.origins(entity, stats),
            drops=dict(stats.drops),
            latency=_latency(stats.latency_old, stats.latency_new),
        )

    def entity(self, stats: EntityStats) -> EntityView:
        operations = tuple(
            self.operation(stats.entity, stats.operations[name])
            for name in sorted(stats.operations)
        )
        limits = self.thresholds.for_entity(stats.entity)
        readiness = assess(self.aggregator, stats, limits)
        comparisons = sum(view.comparisons for view in operations)
        counts: dict[str, int] = {}
        for view in operations:
            for category, count in view.categories.items():
                counts[category] = counts.get(category, 0) + count
        categories, rates = _categories(counts, comparisons)
        drifted = sum(counts.get(c, 0) for c in ("drift", "exception"))
        return EntityView(
            entity=stats.entity,
            stage=stats.stage,
            readiness=readiness,
            thresholds=dict(limits.values),
            comparisons=comparisons,
            categories=categories,
            rates=rates,
            mismatch_rate=round(drifted / comparisons, 6) if comparisons else 0.0,
            errors=_sum_origins(operations),
            drops=_sum_drops(operations),
            latency=_latency(stats.latency_old, stats.latency_new),
            paths=_top_paths(operations),
            operations=operations,
            timeline=self.aggregator.timeline.view(stats.entity),
        )

    def router_errors(self) -> tuple[OriginView, ...]:
        tally = self.aggregator.router_errors
        return tuple(
            OriginView(part, count, 0, 0.0, self.types(tally, part))
            for part, count in sorted(tally.by_origin.items())
        )


def _sum_origins(operations: tuple[OperationView, ...]) -> tuple[OriginView, ...]:
    views = []
    for origin in _ORIGINS:
        mine = [view for op in operations for view in op.errors if view.origin == origin]
        errors, calls = sum(v.errors for v in mine), sum(v.calls for v in mine)
        rate = round(errors / calls, 6) if calls else 0.0
        views.append(OriginView(origin, errors, calls, rate, ()))
    return tuple(views)


def _sum_drops(operations: tuple[OperationView, ...]) -> dict[str, int]:
    drops: dict[str, int] = {}
    for view in operations:
        for reason, count in view.drops.items():
            drops[reason] = drops.get(reason, 0) + count
    return drops


def _top_paths(operations: tuple[OperationView, ...]) -> tuple[tuple[str, PathView], ...]:
    every = [(op.operation, path) for op in operations for path in op.paths]
    every.sort(key=lambda item: (-item[1].count, item[0], item[1].path))
    return tuple(every[:TOP_PATHS])


def build_report(
    aggregator: Aggregator, thresholds: Thresholds, *, generated_at: datetime | None = None
) -> Report:
    """The report of everything ``aggregator`` counted, judged against ``thresholds``."""
    builder = _Builder(aggregator, thresholds)
    return Report(
        generated_at=generated_at or datetime.now(UTC).replace(microsecond=0),
        sources=dict(aggregator.sources),
        records=dict(aggregator.kinds),
        unknown_kinds=dict(aggregator.unknown_kinds),
        malformed_count=aggregator.malformed_count,
        malformed=tuple(aggregator.malformed),
        first_record_at=aggregator.first_at,
        last_record_at=aggregator.last_at,
        thresholds_source=thresholds.source,
        entities=tuple(builder.entity(aggregator.entities[n]) for n in sorted(aggregator.entities)),
        router_errors=builder.router_errors(),
    )
