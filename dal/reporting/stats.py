"""Small accumulators the aggregation is built from: latencies, field paths, errors, call counts.

Each keeps bounded memory however many records it sees: latencies are exact
up to :attr:`LatencySample.capacity` values per side and a logarithmic
histogram (:class:`~dal.reporting.sketch.LogHistogram`) beyond; field paths are grouped
with list indices folded (``items[2].price`` and ``items[7].price`` are both
``items[*].price``), each group keeping its first example.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dal.reporting.sketch import LogHistogram

__all__ = [
    "CallCounter",
    "ErrorTally",
    "Example",
    "LatencySample",
    "PathTally",
    "Percentiles",
    "fold_path",
]

_INDEX = re.compile(r"\[\d+\]")


def fold_path(path: str) -> str:
    """``path`` with list indices replaced by ``[*]``; the root (``""``) is ``$``."""
    return _INDEX.sub("[*]", path) if path else "$"


@dataclass(frozen=True, slots=True)
class Percentiles:
    """How many latencies were seen, and their p50/p95/p99 in milliseconds (None if none)."""

    count: int
    p50: float | None
    p95: float | None
    p99: float | None


class LatencySample:
    """The latencies (ms) of one side: exact up to ``capacity``, a quantile sketch beyond.

    Up to ``capacity`` values are kept as they are, so percentiles are exact; the
    next value folds them into a :class:`LogHistogram` (relative error under 1%),
    whose memory depends on the spread of the values, not on their number.
    Deterministic: the same values give the same percentiles.
    """

    capacity = 20_000

    def __init__(self, seed: int | str = 0) -> None:
        del seed  # kept for callers that named their sample; the sketch needs no randomness
        self._values: list[float] = []
        self._sketch: LogHistogram | None = None
        self._sorted: list[float] | None = None

    @property
    def count(self) -> int:
        """How many latencies were offered."""
        return self._sketch.count if self._sketch is not None else len(self._values)

    def add(self, milliseconds: float) -> None:
        """Offer one latency."""
        if self._sketch is not None:
            self._sketch.add(milliseconds)
            return
        self._sorted = None
        self._values.append(milliseconds)
        if len(self._values) > self.capacity:
            self._fold()

    def _fold(self) -> None:
        sketch = LogHistogram()
        for value in self._values:
            sketch.add(value)
        self._sketch, self._values, self._sorted = sketch, [], None

    def merge(self, other: LatencySample) -> None:
        """Add every latency ``other`` saw (exact while both are exact and fit)."""
        if other._sketch is None and self._sketch is None:
            self._sorted = None
            self._values.extend(other._values)
            if len(self._values) > self.capacity:
                self._fold()
            return
        if self._sketch is None:
            self._fold()
        assert self._sketch is not None
        if other._sketch is not None:
            self._sketch.merge(other._sketch)
        for value in other._values:
            self._sketch.add(value)

    def percentile(self, share: float) -> float | None:
        """The nearest-rank percentile ``share`` (0..1], or None without values."""
        if self._sketch is not None:
            return self._sketch.percentile(share)
        if self._sorted is None:
            self._sorted = sorted(self._values)
        ordered = self._sorted
        if not ordered:
            return None
        rank = min(len(ordered), max(1, math.ceil(share * len(ordered))))
        return round(ordered[rank - 1], 3)

    def summary(self) -> Percentiles:
        """Count and p50/p95/p99."""
        return Percentiles(
            self.count, self.percentile(0.50), self.percentile(0.95), self.percentile(0.99)
        )


@dataclass
class Example:
    """How often a group was seen and the first instance of it."""

    count: int = 0
    path: str = ""
    old: Any = None
    new: Any = None
    message: str = ""


class PathTally:
    """Differences grouped by (category, folded path), each with its first example."""

    def __init__(self) -> None:
        self.groups: dict[tuple[str, str], Example] = {}

    def add(self, category: str, path: str, old: Any, new: Any) -> None:
        """Count one difference; the first of its group becomes the example."""
        key = (category, fold_path(path))
        example = self.groups.get(key)
        if example is None:
            example = self.groups[key] = Example(path=path or "$", old=old, new=new)
        example.count += 1

    def top(self, limit: int) -> list[tuple[str, str, Example]]:
        """The ``limit`` largest groups as ``(category, path, example)``, largest first."""
        ranked = sorted(self.groups.items(), key=lambda item: (-item[1].count, item[0]))
        return [(category, path, example) for (category, path), example in ranked[:limit]]


class ErrorTally:
    """Failures by origin, and by (origin, error type) with the first message as an example."""

    def __init__(self) -> None:
        self.by_origin: Counter[str] = Counter()
        self.by_type: dict[tuple[str, str], Example] = {}

    def add(self, origin: str, error_type: str, message: str) -> None:
        """Count one failure."""
        self.by_origin[origin] += 1
        example = self.by_type.get((origin, error_type))
        if example is None:
            example = self.by_type[(origin, error_type)] = Example(message=message)
        example.count += 1

    def top(self, origin: str, limit: int) -> list[tuple[str, Example]]:
        """The ``limit`` most frequent error types of ``origin``, most frequent first."""
        ranked = sorted(
            ((kind, example) for (side, kind), example in self.by_type.items() if side == origin),
            key=lambda item: (-item[1].count, item[0]),
        )
        return ranked[:limit]


@dataclass
class _Run:
    """The last counts one router reported for one operation, and those of earlier runs."""

    last: dict[str, int] = field(default_factory=dict)
    banked: Counter[str] = field(default_factory=Counter)


class CallCounter:
    """Calls per side and operation, from the routers' cumulative ``metrics`` records.

    Each source is taken as one router after another: when an operation's count
    goes down from one snapshot to the next, a new router started, and the
    previous router's last counts are kept. The total is the sum over routers.
    """

    _SIDES = ("old", "new")

    def __init__(self) -> None:
        self._runs: dict[tuple[str, str, str], _Run] = {}

    def add(self, source: str, metrics: Mapping[str, Any]) -> None:
        """Take one metrics snapshot read from ``source``; malformed parts are ignored."""
        operations = metrics.get("operations")
        if not isinstance(operations, Mapping):
            return
        for snapshot in operations.values():
            if isinstance(snapshot, Mapping):
                self._add_operation(source, snapshot)

    def _add_operation(self, source: str, snapshot: Mapping[str, Any]) -> None:
        entity, operation = snapshot.get("entity"), snapshot.get("operation")
        latency = snapshot.get("latency_ms")
        if not (isinstance(entity, str) and isinstance(operation, str)):
            return
        if not isinstance(latency, Mapping):
            return
        counts = {side: _count(latency.get(side)) for side in self._SIDES}
        run = self._runs.setdefault((source, entity, operation), _Run())
        if any(counts[side] < run.last.get(side, 0) for side in self._SIDES):
            run.banked.update(run.last)
        run.last = counts

    def calls(self, entity: str, operation: str) -> dict[str, int]:
        """Calls made to each side of ``entity.operation``, over every source and router."""
        total: Counter[str] = Counter()
        for (_, name, op), run in self._runs.items():
            if (name, op) == (entity, operation):
                total.update(run.banked)
                total.update(run.last)
        return {side: total[side] for side in self._SIDES}


def _count(summary: object) -> int:
    if not isinstance(summary, Mapping):
        return 0
    count = summary.get("count")
    return count if isinstance(count, int) and not isinstance(count, bool) and count > 0 else 0
