"""Lag and throughput of change data capture, as plain data and through one hook.

:class:`CdcMetrics` counts what each batch did (applied, already applied, stale,
failed), keeps a bounded sample of the lag (from the source's commit to the apply)
with the router's :class:`~dal.routing.metrics.LatencyReservoir`, and the rate of
applied changes. :meth:`CdcMetrics.snapshot` is plain data; a :class:`MetricsSink`
receives it after every batch (the service writes it as a ``metrics`` record to the
layer's records, where ``dal report`` reads the router's). :meth:`CdcMetrics.reading`
is what the OpenTelemetry gauges observe (:mod:`dal.telemetry.cdc`).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from dal.routing.metrics import LatencyReservoir
from dal.telemetry.cdc import CdcReading

__all__ = ["CdcMetrics", "MetricsSink"]


class MetricsSink(Protocol):
    """Receives a snapshot of :class:`CdcMetrics` after every batch."""

    def __call__(self, snapshot: Mapping[str, Any]) -> None:
        """Take ``snapshot``."""
        ...


class CdcMetrics:
    """The counters of one change-data-capture process; thread-safe."""

    def __init__(self, direction: str, clock: Callable[[], float] = time.time) -> None:
        self.direction = direction
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._lag = LatencyReservoir()
        self._started = clock()
        self._last_lag: float | None = None
        self._saved_at = time.monotonic()

    def saved(self) -> None:
        """Note that the reader saved its position just now."""
        self._saved_at = time.monotonic()

    def reading(self) -> CdcReading:
        """The last batch's lag and the age of the saved position (observed by the telemetry)."""
        return CdcReading(self.direction, self._last_lag, time.monotonic() - self._saved_at)

    def batch(self, counts: Mapping[str, int], written_at: float | None) -> None:
        """Count one applied batch; ``written_at`` is when its last change was committed."""
        with self._lock:
            self._counts.update(counts)
            self._counts["batches"] += 1
            if written_at is not None:
                lag = max(0.0, self._clock() - written_at)
                self._lag.add(lag)
                self._last_lag = lag

    @property
    def last_lag(self) -> float | None:
        """The lag of the last batch, in seconds."""
        return self._last_lag

    def snapshot(self) -> dict[str, Any]:
        """``{"direction", "counts", "lag_ms", "applied_per_second", "seconds"}``."""
        with self._lock:
            seconds = max(1e-9, self._clock() - self._started)
            return {
                "direction": self.direction,
                "counts": dict(self._counts),
                "lag_ms": self._lag.summary(),
                "applied_per_second": round(self._counts["applied"] / seconds, 3),
                "seconds": round(seconds, 3),
            }
