"""The layer's OpenTelemetry instruments, created from :mod:`dal.telemetry.catalog`.

The layer talks to the OpenTelemetry *API* only: without an SDK every
instrument and span is a no-op. :class:`Telemetry` takes a meter provider and a
tracer provider (default: the global ones, which an application's SDK setup
replaces) and creates every instrument once; :class:`OperationTelemetry` is one
routed operation's view of them, with its attribute sets built once per side
and stage, so the hot path is one histogram record and a span start and end.
"""

from __future__ import annotations

import inspect
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from opentelemetry import metrics, trace
from opentelemetry.metrics import CallbackOptions, Observation

from dal.telemetry import catalog
from dal.telemetry.cdc import CdcTelemetry
from dal.telemetry.paths import DEFAULT_PATH_LIMIT, FieldPathCap
from dal.telemetry.spans import Answers, CallScope, SpanScope

__all__ = ["DEFAULT_SYSTEMS", "OperationTelemetry", "Telemetry"]

DEFAULT_SYSTEMS: Mapping[str, str] = {"old": "mysql", "new": "aws.dynamodb"}
"""The ``db.system`` of each side: old is MySQL, new is DynamoDB."""
SCOPE = "dal"
"""The instrumentation scope (meter and tracer name) of the layer."""

BreakerSource = Callable[[], Mapping[str, str]]
"""Returns ``{"entity.read": "closed", ...}`` (see ``Breakers.states``)."""
BacklogSource = Callable[[], Mapping[str, int]]
"""Returns the pending repair entries per entity."""
PoolSource = Callable[[], Mapping[str, int]]
"""Returns a shadow pool's threads by state: ``{"busy": 3, "idle": 1}``."""
SamplingSource = Callable[[], float]
"""Returns a router's adaptive sampling factor (0 to 1)."""
LagSource = Callable[[], float]
"""Returns the lag of deferred secondary writes, in seconds."""

Attributes = dict[str, str]
F = TypeVar("F", bound=Callable[..., Any])


class Telemetry:
    """Every instrument of the layer, and the tracer of its spans.

    ``systems`` maps a side to its ``db.system``; ``path_limit`` caps the distinct
    field paths of ``dal.drift``; a repair-log backlog source is read at most every
    ``backlog_interval`` seconds however often metrics are collected.
    """

    def __init__(
        self,
        meter_provider: metrics.MeterProvider | None = None,
        tracer_provider: trace.TracerProvider | None = None,
        *,
        systems: Mapping[str, str] = DEFAULT_SYSTEMS,
        path_limit: int = DEFAULT_PATH_LIMIT,
        backlog_interval: float = 10.0,
    ) -> None:
        meters = meter_provider if meter_provider is not None else metrics.get_meter_provider()
        tracers = tracer_provider if tracer_provider is not None else trace.get_tracer_provider()
        meter = meters.get_meter(SCOPE)
        self.tracer = tracers.get_tracer(SCOPE)
        self.systems = dict(systems)
        self.paths = FieldPathCap(path_limit)
        self._lock = threading.Lock()
        self._breakers: list[Callable[[], BreakerSource | None]] = []
        self._backlogs: list[Callable[[], BacklogSource | None]] = []
        self._pools: list[Callable[[], PoolSource | None]] = []
        self._samplings: list[Callable[[], SamplingSource | None]] = []
        self._lags: list[Callable[[], LagSource | None]] = []
        self._backlog_interval = backlog_interval
        self._backlog_cache: tuple[float, list[tuple[int, Attributes]]] | None = None
        spec = catalog.DURATION
        self.duration = meter.create_histogram(
            spec.name,
            unit=spec.unit,
            description=spec.description,
            explicit_bucket_boundaries_advisory=list(catalog.DURATION_BUCKETS),
        )
        counters = [spec for spec in catalog.METRICS if spec.kind == "counter"]
        self._counters = {
            spec.name: meter.create_counter(spec.name, unit=spec.unit, description=spec.description)
            for spec in counters
        }
        self.cdc = CdcTelemetry(self, meter)
        """The instruments of change data capture."""
        for spec, callback in (
            (catalog.BREAKERS, self._observe_breakers),
            (catalog.BACKLOG, self._observe_backlog),
            (catalog.SHADOW_WORKERS, self._observe_pools),
            (catalog.SHADOW_SAMPLING, self._observe_samplings),
            (catalog.SECONDARY_LAG, self._observe_lag),
        ):
            meter.create_observable_gauge(
                spec.name, callbacks=[callback], unit=spec.unit, description=spec.description
            )

    def operation(self, entity: str, operation: str) -> OperationTelemetry:
        """The instruments as one routed ``entity.operation`` uses them."""
        return OperationTelemetry(self, entity, operation)

    def add(self, spec: catalog.MetricSpec, attributes: Attributes, amount: int = 1) -> None:
        """Add ``amount`` to the counter of ``spec``."""
        self._counters[spec.name].add(amount, attributes)

    def internal_error(self, component: str) -> None:
        """Count a failure of the router's own ``component``."""
        self.add(catalog.INTERNAL_ERRORS, {"dal.component": component})

    def migration_rows(self, tool: str, entity: str, result: str, rows: int) -> None:
        """Count ``rows`` of ``entity`` that ``tool`` (backfill, verify, repair) ``result``-ed."""
        if rows:
            attributes = {"dal.tool": tool, "db.collection.name": entity, "dal.result": result}
            self.add(catalog.MIGRATION_ROWS, attributes, rows)

    def start_batch(self, tool: str, entity: str) -> trace.Span:
        """Start the span of one batch (a page) of ``tool``'s work on ``entity``.

        Not made current: a batch may be in flight while the next one starts; end it
        with :meth:`end_batch`.
        """
        attributes = {"dal.tool": tool, "db.collection.name": entity}
        return self.tracer.start_span(f"{tool} {entity} batch", attributes=attributes)

    def end_batch(self, span: trace.Span, tool: str, entity: str, **rows: int) -> None:
        """Count the batch's rows by result (``read=500, written=498...``) and end its span."""
        for result, count in rows.items():
            span.set_attribute(f"dal.rows.{result}", count)
            self.migration_rows(tool, entity, result, count)
        span.end()

    def span(self, name: str, attributes: Mapping[str, Any] | None = None) -> SpanScope:
        """A span of the layer's own work (a backfill page, a repair), current in its block."""
        return SpanScope(self.tracer, name, attributes or {})

    # --- observed state ------------------------------------------------------------------

    def watch_breakers(self, source: BreakerSource) -> Callable[[], None]:
        """Report the breakers ``source`` returns; call the result to stop.

        A bound method is held weakly: its object's end stops the reports too.
        """
        return self.watch_source(self._breakers, source)

    def watch_backlog(self, source: BacklogSource) -> Callable[[], None]:
        """Report the repair-log backlog ``source`` returns; call the result to stop."""
        self._backlog_cache = None
        return self.watch_source(self._backlogs, source)

    def watch_shadow_pool(self, source: PoolSource) -> Callable[[], None]:
        """Report the shadow pool threads ``source`` returns (summed over every source);
        call the result to stop. A bound method is held weakly."""
        return self.watch_source(self._pools, source)

    def watch_shadow_sampling(self, source: SamplingSource) -> Callable[[], None]:
        """Report the adaptive sampling factor ``source`` returns (the lowest over every
        source); call the result to stop. A bound method is held weakly."""
        return self.watch_source(self._samplings, source)

    def watch_lag(self, source: LagSource) -> Callable[[], None]:
        """Report the deferred-write lag ``source`` returns (the largest over every source);
        call the result to stop. A bound method is held weakly."""
        return self.watch_source(self._lags, source)

    def watch_source(self, sources: list[Callable[[], F | None]], source: F) -> Callable[[], None]:
        """Add ``source`` to ``sources`` (a bound method weakly); call the result to remove it."""
        reference: Callable[[], F | None] = (
            weakref.WeakMethod(source) if inspect.ismethod(source) else _Strong(source)
        )
        with self._lock:
            sources.append(reference)

        def stop() -> None:
            with self._lock:
                if reference in sources:
                    sources.remove(reference)
            self._backlog_cache = None

        return stop

    def live_sources(self, references: list[Callable[[], F | None]]) -> list[F]:
        """The sources still alive (dead weak references are dropped)."""
        with self._lock:
            found = [(reference, reference()) for reference in references]
            references[:] = [reference for reference, source in found if source is not None]
        return [source for _, source in found if source is not None]

    def _observe_breakers(self, options: CallbackOptions) -> Iterable[Observation]:
        for source in self.live_sources(self._breakers):
            for key, state in source().items():
                entity, _, kind = key.rpartition(".")
                value = catalog.BREAKER_STATES.get(state, catalog.BREAKER_STATES["open"])
                yield Observation(value, {"db.collection.name": entity, "dal.breaker": kind})

    def _observe_pools(self, options: CallbackOptions) -> Iterable[Observation]:
        sources = self.live_sources(self._pools)
        if not sources:
            return []
        totals = dict.fromkeys(catalog.WORKER_STATES, 0)
        for source in sources:
            for state, count in source().items():
                totals[state] = totals.get(state, 0) + count
        return [Observation(count, {"dal.worker.state": state}) for state, count in totals.items()]

    def _observe_samplings(self, options: CallbackOptions) -> Iterable[Observation]:
        sources = self.live_sources(self._samplings)
        if not sources:
            return []
        return [Observation(min(source() for source in sources))]

    def _observe_lag(self, options: CallbackOptions) -> Iterable[Observation]:
        sources = self.live_sources(self._lags)
        if not sources:
            return []
        return [Observation(max(source() for source in sources), {})]

    def _observe_backlog(self, options: CallbackOptions) -> Iterable[Observation]:
        now = time.monotonic()
        cached = self._backlog_cache
        if cached is None or now - cached[0] >= self._backlog_interval:
            cached = (now, self._read_backlog())
            self._backlog_cache = cached
        return [Observation(value, attributes) for value, attributes in cached[1]]

    def _read_backlog(self) -> list[tuple[int, Attributes]]:
        totals: dict[str, int] = {}
        for source in self.live_sources(self._backlogs):
            for entity, count in source().items():
                totals[entity] = totals.get(entity, 0) + count
        return [(count, {"db.collection.name": entity}) for entity, count in sorted(totals.items())]


class _Strong:
    """A strong reference called like a weak one (for a function or a lambda)."""

    __slots__ = ("_source",)

    def __init__(self, source: Any) -> None:
        self._source = source

    def __call__(self) -> Any:
        return self._source


class OperationTelemetry:
    """One routed operation's instruments, with its attribute sets built once each."""

    __slots__ = ("_attributes", "entity", "name", "telemetry")

    def __init__(self, telemetry: Telemetry, entity: str, name: str) -> None:
        self.telemetry = telemetry
        self.entity = entity
        self.name = name
        self._attributes: dict[tuple[str, str], Attributes] = {}

    def _call(self, stage: str) -> Attributes:
        key = ("", stage)
        found = self._attributes.get(key)
        if found is None:
            found = {
                "db.collection.name": self.entity,
                "db.operation.name": self.name,
                "dal.stage": stage,
            }
            self._attributes[key] = found
        return found

    def _side(self, side: str, stage: str) -> Attributes:
        key = (side, stage)
        found = self._attributes.get(key)
        if found is None:
            system = self.telemetry.systems.get(side, side)
            found = {"db.system": system, "dal.side": side, **self._call(stage)}
            self._attributes[key] = found
        return found

    # --- metrics -------------------------------------------------------------------------

    def duration(self, side: str, stage: str, seconds: float) -> None:
        """Record how long ``side`` took in ``stage``."""
        self.telemetry.duration.record(seconds, self._side(side, stage))

    def comparison(self, stage: str, category: str, drifting: Iterable[str] = ()) -> None:
        """Count a comparison of ``category`` and each drifting field path (capped)."""
        telemetry = self.telemetry
        telemetry.add(catalog.COMPARISONS, {**self._call(stage), "dal.category": category})
        for path in drifting:
            attributes = {
                "db.collection.name": self.entity,
                "dal.stage": stage,
                "dal.field_path": telemetry.paths(path),
            }
            telemetry.add(catalog.DRIFT, attributes)

    def dropped(self, stage: str, reason: str) -> None:
        """Count shadow work skipped for ``reason``."""
        self.telemetry.add(catalog.DROPS, {**self._call(stage), "dal.reason": reason})

    def error(self, side: str, stage: str, error_type: str) -> None:
        """Count a failure of ``side`` (``old``, ``new``)."""
        attributes = {**self._side(side, stage), "error.type": error_type}
        self.telemetry.add(catalog.ERRORS, attributes)

    def repair(self, stage: str, side: str, reason: str) -> None:
        """Count an entry appended to the repair log."""
        attributes = {
            "db.collection.name": self.entity,
            "dal.stage": stage,
            "dal.side": side,
            "dal.reason": reason,
        }
        self.telemetry.add(catalog.REPAIRS, attributes)

    def repair_lost(self, stage: str, side: str) -> None:
        """Count a repair entry that could not be written."""
        attributes = {"db.collection.name": self.entity, "dal.stage": stage, "dal.side": side}
        self.telemetry.add(catalog.REPAIRS_LOST, attributes)

    # --- spans ---------------------------------------------------------------------------

    def routed(self, stage: str, answers: Answers = ()) -> CallScope:
        """The span of one routed call, current in its block, and its correlation id.

        An exception of ``answers`` leaving the block does not mark the span failed.
        """
        name = f"route {self.entity}.{self.name}"
        return CallScope(self.telemetry.tracer, name, self._call(stage), answers)

    def side(self, side: str, stage: str, answers: Answers = ()) -> SpanScope:
        """The client span of one side's call (named ``{operation} {entity}``)."""
        name = f"{self.name} {self.entity}"
        attributes = self._side(side, stage)
        return SpanScope(self.telemetry.tracer, name, attributes, client=True, answers=answers)

    def shadow(self, stage: str) -> SpanScope:
        """The span of shadow work on a worker (a child of the request's span)."""
        name = f"shadow {self.entity}.{self.name}"
        return SpanScope(self.telemetry.tracer, name, self._call(stage))
