"""Records over time, in bounded time buckets: what the report's charts draw.

Per entity and time bucket: comparisons, mismatches (``drift`` and
``exception``), failures of the new side, a latency sketch per side
(:class:`~dal.reporting.sketch.LogHistogram`) and the stages seen (how often,
and first when). Buckets start one second wide; whenever more than
:attr:`Timeline.max_buckets` are in use the width doubles and neighbours merge,
so memory stays bounded whatever the span and number of records, and records
may come in any order (files of several processes are read one after another).
:meth:`Timeline.view` turns an entity's buckets into a :class:`TimelineView`:
points, stage spans (each bucket's commonest stage, runs merged) and stage changes
(at the first record of the new stage, in its bucket or the one before).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from dal.reporting.sketch import LogHistogram

__all__ = ["StageChange", "StageSpan", "TimePoint", "Timeline", "TimelineView"]


class _Bucket:
    """What one entity did during one time bucket."""

    __slots__ = ("comparisons", "errors_new", "mismatched", "new", "old", "stages")

    def __init__(self) -> None:
        self.comparisons = 0
        self.mismatched = 0
        self.errors_new = 0
        self.old = LogHistogram()
        self.new = LogHistogram()
        self.stages: dict[str, list[float]] = {}  # stage -> [count, first seen (epoch s)]

    def saw(self, stage: str | None, at: float) -> None:
        if stage is None:
            return
        seen = self.stages.get(stage)
        if seen is None:
            self.stages[stage] = [1, at]
        else:
            seen[0] += 1
            seen[1] = min(seen[1], at)

    def merge(self, other: _Bucket) -> None:
        self.comparisons += other.comparisons
        self.mismatched += other.mismatched
        self.errors_new += other.errors_new
        self.old.merge(other.old)
        self.new.merge(other.new)
        for stage, (count, first) in other.stages.items():
            seen = self.stages.setdefault(stage, [0, first])
            seen[0] += count
            seen[1] = min(seen[1], first)

    def dominant(self) -> tuple[str, float] | None:
        """The commonest stage of the bucket and when it was first seen in it."""
        if not self.stages:
            return None
        stage, (_, first) = max(self.stages.items(), key=lambda item: (item[1][0], -item[1][1]))
        return stage, first


@dataclass(frozen=True, slots=True)
class TimePoint:
    """One time bucket of an entity (latencies in ms; None where nothing was measured)."""

    start: datetime
    comparisons: int
    mismatched: int
    mismatch_rate: float | None
    errors_new: int
    old_p50: float | None
    old_p95: float | None
    new_p50: float | None
    new_p95: float | None


@dataclass(frozen=True, slots=True)
class StageSpan:
    """A stretch of time during which an entity's records were mostly of ``stage``."""

    stage: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class StageChange:
    """The entity's records moved from ``before`` to ``after`` at about ``at``."""

    at: datetime
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class TimelineView:
    """An entity over time: ``bucket_seconds`` wide points, stage spans and changes."""

    bucket_seconds: float
    points: tuple[TimePoint, ...] = ()
    stages: tuple[StageSpan, ...] = ()
    changes: tuple[StageChange, ...] = ()


def _time(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class Timeline:
    """Time buckets per entity, coarsened as needed to stay within ``max_buckets``."""

    max_buckets = 120

    def __init__(self) -> None:
        self.width = 1.0
        self.entities: dict[str, dict[int, _Bucket]] = {}
        self._indices: set[int] = set()

    def _bucket(self, entity: str, at: float) -> _Bucket:
        index = math.floor(at / self.width)
        buckets = self.entities.get(entity)
        if buckets is None:
            buckets = self.entities[entity] = {}
        found = buckets.get(index)
        if found is None:
            self._indices.add(index)
            if len(self._indices) > self.max_buckets:
                self._coarsen()
                return self._bucket(entity, at)
            found = buckets[index] = _Bucket()
        return found

    def _coarsen(self) -> None:
        while len(self._indices) > self.max_buckets:
            self.width *= 2
            self._indices = {index // 2 for index in self._indices}
            for entity, buckets in self.entities.items():
                merged: dict[int, _Bucket] = {}
                for index, bucket in buckets.items():
                    into = merged.get(index // 2)
                    if into is None:
                        merged[index // 2] = bucket
                    else:
                        into.merge(bucket)
                self.entities[entity] = merged

    def comparison(
        self,
        entity: str,
        at: datetime,
        stage: str | None,
        mismatched: bool,
        latencies: tuple[float | None, float | None],
    ) -> None:
        """Count one comparison (and its latencies when both sides were timed)."""
        epoch = at.timestamp()
        bucket = self._bucket(entity, epoch)
        bucket.comparisons += 1
        bucket.mismatched += mismatched
        bucket.saw(stage, epoch)
        old, new = latencies
        if old is not None and new is not None:
            bucket.old.add(old)
            bucket.new.add(new)

    def error(self, entity: str, at: datetime, stage: str | None, origin: str) -> None:
        """Count one failure of a side."""
        epoch = at.timestamp()
        bucket = self._bucket(entity, epoch)
        bucket.errors_new += origin == "new"
        bucket.saw(stage, epoch)

    def view(self, entity: str) -> TimelineView:
        """The entity's points, stage spans and stage changes, in time order."""
        buckets = sorted(self.entities.get(entity, {}).items())
        points = tuple(self._point(index, bucket) for index, bucket in buckets)
        spans, changes = self._stages(buckets)
        return TimelineView(self.width, points, spans, changes)

    def _point(self, index: int, bucket: _Bucket) -> TimePoint:
        rate = bucket.mismatched / bucket.comparisons if bucket.comparisons else None
        return TimePoint(
            start=_time(index * self.width),
            comparisons=bucket.comparisons,
            mismatched=bucket.mismatched,
            mismatch_rate=None if rate is None else round(rate, 6),
            errors_new=bucket.errors_new,
            old_p50=bucket.old.percentile(0.5),
            old_p95=bucket.old.percentile(0.95),
            new_p50=bucket.new.percentile(0.5),
            new_p95=bucket.new.percentile(0.95),
        )

    def _stages(
        self, buckets: Iterable[tuple[int, _Bucket]]
    ) -> tuple[tuple[StageSpan, ...], tuple[StageChange, ...]]:
        spans: list[StageSpan] = []
        changes: list[StageChange] = []
        previous: _Bucket | None = None
        for index, bucket in buckets:
            found = bucket.dominant()
            if found is None:
                continue
            stage, first = found
            end = _time((index + 1) * self.width)
            if spans and spans[-1].stage == stage:
                spans[-1] = StageSpan(stage, spans[-1].start, end)
                previous = bucket
                continue
            if previous is not None and stage in previous.stages:  # it began a bucket earlier
                first = previous.stages[stage][1]
            previous = bucket
            start = _time(first)
            if spans:
                changes.append(StageChange(start, spans[-1].stage, stage))
                spans[-1] = StageSpan(spans[-1].stage, spans[-1].start, start)
            spans.append(StageSpan(stage, start, end))
        return tuple(spans), tuple(changes)
