"""Counters and latency percentiles per entity and operation.

:meth:`Metrics.snapshot` returns plain data (dicts, ints, floats) keyed by
``"entity.operation"``; the router writes it as a ``metrics`` record
periodically and on :meth:`~dal.routing.router.Router.flush`. Latencies are
kept per side in a bounded reservoir sample, so memory stays constant however
many calls are made.

The same points feed OpenTelemetry: each :class:`OperationMetrics` passes what it
counts, with the stage, to its :class:`~dal.telemetry.OperationTelemetry` (a no-op
without an SDK), so there is one set of timers and counters, not two.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from dal.telemetry import OperationTelemetry, Telemetry, default_telemetry

__all__ = ["LatencyReservoir", "Metrics", "OperationMetrics"]

RESERVOIR_SIZE = 1024
_random = random.random


class LatencyReservoir:
    """A uniform sample of at most ``size`` latencies (Vitter's algorithm R); not locked."""

    __slots__ = ("_seen", "_size", "_values")

    def __init__(self, size: int = RESERVOIR_SIZE) -> None:
        self._size = size
        self._seen = 0
        self._values: list[float] = []

    def add(self, seconds: float) -> None:
        """Offer one latency to the sample."""
        self._seen += 1
        if len(self._values) < self._size:
            self._values.append(seconds)
            return
        slot = int(_random() * self._seen)
        if slot < self._size:
            self._values[slot] = seconds

    def summary(self) -> dict[str, float | int | None]:
        """``count`` and p50/p95/p99/max in milliseconds (None when empty)."""
        ordered = sorted(self._values)
        return {
            "count": self._seen,
            "p50": _percentile(ordered, 0.50),
            "p95": _percentile(ordered, 0.95),
            "p99": _percentile(ordered, 0.99),
            "max": round(ordered[-1] * 1000, 3) if ordered else None,
        }


def _percentile(ordered: list[float], share: float) -> float | None:
    if not ordered:
        return None
    rank = max(0, min(len(ordered) - 1, int(share * len(ordered) + 0.5) - 1))
    return round(ordered[rank] * 1000, 3)


class OperationMetrics:
    """The counters of one ``entity.operation``; every method is thread-safe.

    Each count also goes to ``telemetry`` (default: the layer's instruments on the
    global OpenTelemetry providers).
    """

    def __init__(
        self, entity: str, operation: str, telemetry: OperationTelemetry | None = None
    ) -> None:
        self.entity = entity
        self.operation = operation
        self.telemetry = (
            telemetry if telemetry is not None else default_telemetry().operation(entity, operation)
        )
        self._lock = threading.Lock()
        self._calls = 0
        self._comparisons = 0
        self._matches = 0
        self._categories: Counter[str] = Counter()
        self._errors: Counter[str] = Counter()
        self._shadow: Counter[str] = Counter()
        self._repairs = 0
        self._repairs_lost = 0
        self._latency = {"old": LatencyReservoir(), "new": LatencyReservoir()}

    def called(self, side: str, seconds: float, stage: str) -> None:
        """Count one routed call in ``stage`` whose answering ``side`` took ``seconds``."""
        with self._lock:
            self._calls += 1
            self._latency[side].add(seconds)
        self.telemetry.duration(side, stage, seconds)

    def latency(self, side: str, seconds: float, stage: str) -> None:
        """Record how long ``side`` (``old``/``new``) took to answer in ``stage``."""
        with self._lock:
            self._latency[side].add(seconds)
        self.telemetry.duration(side, stage, seconds)

    def comparison(
        self, matched: bool, category: str, stage: str, drifting: Iterable[str] = ()
    ) -> None:
        """Count one comparison, its category and the field paths that drifted."""
        with self._lock:
            self._comparisons += 1
            self._matches += matched
            self._categories[category] += 1
        self.telemetry.comparison(stage, category, drifting)

    def error(self, origin: str, stage: str, error_type: str) -> None:
        """Count one failure of ``origin`` (``old``, ``new`` or ``router``) in ``stage``."""
        with self._lock:
            self._errors[origin] += 1
        self.telemetry.error(origin, stage, error_type)

    def shadow(self, reason: str, stage: str) -> None:
        """Count shadow work that did not happen (``pool_full``, ``timeout``...)."""
        with self._lock:
            self._shadow[reason] += 1
        self.telemetry.dropped(stage, reason)

    def repair(self, stage: str, side: str, reason: str) -> None:
        """Count one entry written to the repair log (``side`` lacks the write)."""
        with self._lock:
            self._repairs += 1
        self.telemetry.repair(stage, side, reason)

    def repair_lost(self, stage: str, side: str) -> None:
        """Count one repair entry that could not be written to the repair log."""
        with self._lock:
            self._repairs_lost += 1
        self.telemetry.repair_lost(stage, side)

    @property
    def active(self) -> bool:
        """Whether anything was counted yet."""
        with self._lock:
            return bool(
                self._calls or self._errors or self._shadow or self._repairs or self._repairs_lost
            )

    def snapshot(self) -> dict[str, Any]:
        """The counters as plain data."""
        with self._lock:
            return {
                "entity": self.entity,
                "operation": self.operation,
                "calls": self._calls,
                "comparisons": self._comparisons,
                "matches": self._matches,
                "mismatches": self._comparisons - self._matches,
                "categories": dict(self._categories),
                "errors": dict(self._errors),
                "shadow": dict(self._shadow),
                "repairs": self._repairs,
                "repairs_lost": self._repairs_lost,
                "latency_ms": {side: r.summary() for side, r in self._latency.items()},
            }


class Metrics:
    """Every operation's counters, plus failures of the router's own machinery.

    ``telemetry`` (default: :func:`~dal.telemetry.default_telemetry`) receives them too.
    """

    def __init__(self, telemetry: Telemetry | None = None) -> None:
        self.telemetry = telemetry if telemetry is not None else default_telemetry()
        self._lock = threading.Lock()
        self._operations: dict[tuple[str, str], OperationMetrics] = {}
        self._internal_errors = 0

    def operation(self, entity: str, operation: str) -> OperationMetrics:
        """The counters of ``entity.operation`` (created on first use)."""
        key = (entity, operation)
        found = self._operations.get(key)
        if found is None:
            with self._lock:
                found = self._operations.get(key)
                if found is None:
                    found = OperationMetrics(
                        entity, operation, self.telemetry.operation(entity, operation)
                    )
                    self._operations[key] = found
        return found

    def entities(self) -> list[str]:
        """Every entity with counters (a unit of work's own, ``*``, left out)."""
        with self._lock:
            return sorted({entity for entity, _ in self._operations if entity != "*"})

    def internal_error(self, component: str = "router") -> None:
        """Count a failure of the comparator, a recorder or another ``component`` of the router."""
        with self._lock:
            self._internal_errors += 1
        self.telemetry.internal_error(component)

    def snapshot(self) -> dict[str, Any]:
        """Plain data: ``{"taken_at", "internal_errors", "operations": {"users.get": {...}}}``.

        Operations with nothing counted yet are left out.
        """
        with self._lock:
            operations = sorted(self._operations.items())
            internal = self._internal_errors
        return {
            "taken_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "internal_errors": internal,
            "operations": {
                f"{e}.{o}": stats.snapshot() for (e, o), stats in operations if stats.active
            },
        }
