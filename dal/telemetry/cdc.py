"""The change-data-capture instruments of :class:`~dal.telemetry.instruments.Telemetry`.

``dal cdc mysql`` and ``dal cdc dynamodb`` report through the layer's one
:class:`~dal.telemetry.instruments.Telemetry` (the global providers, or the
``DAL_METRICS_PORT`` endpoint): ``dal.cdc.changes`` per direction, entity and result,
the lag of each batch (``dal.cdc.lag``), and, observed from each running reader,
its current lag and the age of its saved position. Each batch is a span
``cdc <direction> batch``. No attribute holds a value of an entity.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from opentelemetry import metrics, trace
from opentelemetry.metrics import CallbackOptions, Observation

from dal.telemetry import catalog

if TYPE_CHECKING:
    from dal.telemetry.instruments import Telemetry

__all__ = ["CdcReading", "CdcSource", "CdcTelemetry"]


@dataclass(frozen=True)
class CdcReading:
    """What a running reader reports when metrics are collected."""

    direction: str
    lag: float | None
    """The lag of its last applied batch (seconds), None before the first."""
    position_age: float
    """Seconds since it last saved its position."""


CdcSource = Callable[[], CdcReading]
"""A running reader's :class:`CdcReading` (a bound method is held weakly)."""


class CdcTelemetry:
    """Counts, lag and batch spans of change data capture, on ``telemetry``'s meter."""

    def __init__(self, telemetry: Telemetry, meter: metrics.Meter) -> None:
        self._telemetry = telemetry
        self._sources: list[Callable[[], CdcSource | None]] = []
        spec = catalog.CDC_LAG
        self.lag = meter.create_histogram(
            spec.name,
            unit=spec.unit,
            description=spec.description,
            explicit_bucket_boundaries_advisory=list(catalog.CDC_LAG_BUCKETS),
        )
        for spec, callback in (
            (catalog.CDC_LAG_CURRENT, self._observe_lag),
            (catalog.CDC_POSITION_AGE, self._observe_age),
        ):
            meter.create_observable_gauge(
                spec.name, callbacks=[callback], unit=spec.unit, description=spec.description
            )

    def changes(self, direction: str, counts: Mapping[tuple[str, str], int]) -> None:
        """Count changes by ``(entity, result)`` (results: read, applied, already_applied,
        stale, echo, failed)."""
        for (entity, result), amount in counts.items():
            if amount:
                attributes = {
                    "dal.cdc.direction": direction,
                    "db.collection.name": entity,
                    "dal.result": result,
                }
                self._telemetry.add(catalog.CDC_CHANGES, attributes, amount)

    def batch_lag(self, direction: str, seconds: float) -> None:
        """Record the lag of one applied batch."""
        self.lag.record(seconds, {"dal.cdc.direction": direction})

    def start_batch(self, direction: str) -> trace.Span:
        """Start the span of one batch of ``direction``; end it with :meth:`end_batch`."""
        return self._telemetry.tracer.start_span(
            f"cdc {direction} batch", attributes={"dal.cdc.direction": direction}
        )

    def end_batch(self, span: trace.Span, counts: Mapping[tuple[str, str], int]) -> None:
        """Note the batch's totals by result on ``span`` and end it."""
        totals: dict[str, int] = {}
        for (_, result), amount in counts.items():
            totals[result] = totals.get(result, 0) + amount
        for result, amount in totals.items():
            span.set_attribute(f"dal.changes.{result}", amount)
        span.end()

    def watch(self, source: CdcSource) -> Callable[[], None]:
        """Report ``source``'s lag and position age while it runs; call the result to stop."""
        return self._telemetry.watch_source(self._sources, source)

    def _readings(self) -> list[CdcReading]:
        return [source() for source in self._telemetry.live_sources(self._sources)]

    def _observe_lag(self, options: CallbackOptions) -> Iterable[Observation]:
        for reading in self._readings():
            if reading.lag is not None:
                yield Observation(reading.lag, {"dal.cdc.direction": reading.direction})

    def _observe_age(self, options: CallbackOptions) -> Iterable[Observation]:
        for reading in self._readings():
            yield Observation(reading.position_age, {"dal.cdc.direction": reading.direction})
