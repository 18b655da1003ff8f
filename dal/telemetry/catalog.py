"""Every metric the layer exports: its OpenTelemetry name, kind, unit and attributes.

This table is the one source of the names: :mod:`dal.telemetry.instruments` creates
the instruments from it, ``docs/telemetry.md`` documents it, and the Grafana
dashboard and the Prometheus alert rules in ``config/`` are checked against
:func:`prometheus_names`. Names and attributes follow OpenTelemetry's semantic
conventions for database clients where they apply (``db.client.operation.duration``
in seconds, ``db.system``, ``db.collection.name`` for the entity,
``db.operation.name`` for the repository operation); the layer's own metrics carry
the ``dal.`` prefix. No attribute holds a value of an entity (keys included).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "BREAKER_STATES",
    "CDC_LAG_BUCKETS",
    "DURATION_BUCKETS",
    "METRICS",
    "WORKER_STATES",
    "MetricSpec",
    "prometheus_name",
    "prometheus_names",
]

Kind = Literal["histogram", "counter", "gauge"]

DURATION_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    10.0,
)
"""Bucket boundaries (seconds) of the duration histogram: the semantic conventions' advice,
with 1 ms and 2.5 ms added for fast local calls."""

CDC_LAG_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
"""Bucket boundaries (seconds) of the change-data-capture lag histogram: the source's
commit times are whole seconds, so nothing finer than a tenth of one."""

BREAKER_STATES = {"closed": 0, "half_open": 1, "open": 2}
"""The value ``dal.breaker.state`` reports for each state of a circuit breaker."""

WORKER_STATES = ("busy", "idle")
"""The values of ``dal.worker.state`` on ``dal.shadow.workers``."""


@dataclass(frozen=True)
class MetricSpec:
    """One exported metric."""

    name: str
    kind: Kind
    unit: str
    description: str
    attributes: tuple[str, ...]


_CALL = ("db.collection.name", "db.operation.name", "dal.stage")

DURATION = MetricSpec(
    "db.client.operation.duration",
    "histogram",
    "s",
    "Duration of each side's call of a routed operation (the answering side, the second "
    "write, the shadow read).",
    ("db.system", "dal.side", *_CALL),
)
COMPARISONS = MetricSpec(
    "dal.comparisons",
    "counter",
    "{comparison}",
    "Comparisons of both sides' answers, by category (match, drift, expected_staleness, "
    "transient, exception).",
    (*_CALL, "dal.category"),
)
DRIFT = MetricSpec(
    "dal.drift",
    "counter",
    "{difference}",
    "Drifting fields found by comparisons, by field path (list indexes folded; past the "
    "cap of distinct paths counted as 'other').",
    ("db.collection.name", "dal.stage", "dal.field_path"),
)
DROPS = MetricSpec(
    "dal.shadow.dropped",
    "counter",
    "{call}",
    "Shadow work that did not happen, by reason (pool_full, timeout, circuit_open, "
    "sampled_out, sampled_adaptive, queue_full, worker_lost, dirty_unit_of_work, "
    "primary_lost, closed).",
    (*_CALL, "dal.reason"),
)
ERRORS = MetricSpec(
    "dal.side.errors",
    "counter",
    "{error}",
    "Failures of a side (old or new) in a routed call, by error type.",
    ("db.system", "dal.side", *_CALL, "error.type"),
)
BREAKERS = MetricSpec(
    "dal.breaker.state",
    "gauge",
    "{state}",
    "State of each circuit breaker of secondary calls: 0 closed, 1 half open, 2 open.",
    ("db.collection.name", "dal.breaker"),
)
SHADOW_WORKERS = MetricSpec(
    "dal.shadow.workers",
    "gauge",
    "{thread}",
    "Threads in the shadow pool of the process's routers, busy (running shadow work) or "
    "idle; their sum is the pool's size, which grows with queued work up to max_workers.",
    ("dal.worker.state",),
)
SHADOW_SAMPLING = MetricSpec(
    "dal.shadow.sampling",
    "gauge",
    "{factor}",
    "Adaptive sampling factor of each router's shadow worker processes: the share of the "
    "reads the flags sample that are handed to them (lowered when their queue is full).",
    (),
)
REPAIRS = MetricSpec(
    "dal.repair_log.appended",
    "counter",
    "{entry}",
    "Entries written to the repair log (failed, skipped or rolled-back secondary writes).",
    ("db.collection.name", "dal.stage", "dal.side", "dal.reason"),
)
REPAIRS_LOST = MetricSpec(
    "dal.repair_log.lost",
    "counter",
    "{entry}",
    "Repair entries that could not be written to the repair log.",
    ("db.collection.name", "dal.stage", "dal.side"),
)
BACKLOG = MetricSpec(
    "dal.repair_log.backlog",
    "gauge",
    "{entry}",
    "Entries of the repair log not yet repaired, per entity.",
    ("db.collection.name",),
)
SECONDARY_LAG = MetricSpec(
    "dal.secondary.lag",
    "gauge",
    "s",
    "Age of the oldest deferred secondary write not yet applied (DAL_SECONDARY_WRITES="
    "deferred), the largest over the process's routers; 0 when none waits.",
    (),
)
INTERNAL_ERRORS = MetricSpec(
    "dal.router.internal_errors",
    "counter",
    "{error}",
    "Failures of the router's own machinery (comparator, recorder, repair log...).",
    ("dal.component",),
)
MIGRATION_ROWS = MetricSpec(
    "dal.migration.rows",
    "counter",
    "{row}",
    "Rows handled by backfill, verify and repair: read, written, skipped, failed.",
    ("dal.tool", "db.collection.name", "dal.result"),
)
_CDC = ("dal.cdc.direction", "db.collection.name")

CDC_CHANGES = MetricSpec(
    "dal.cdc.changes",
    "counter",
    "{change}",
    "Changes handled by change data capture, per direction (mysql: the binary log into "
    "DynamoDB, dynamodb: the streams into MySQL) and entity, by result: read, applied, "
    "already_applied (the other side held it already), stale (the other side holds a newer "
    "version), echo (a change the other direction made), skipped (nothing to carry this "
    "way), failed.",
    (*_CDC, "dal.result"),
)
CDC_LAG = MetricSpec(
    "dal.cdc.lag",
    "histogram",
    "s",
    "Lag of each applied batch of change data capture: from the source's commit of its "
    "last change to the apply.",
    ("dal.cdc.direction",),
)
CDC_LAG_CURRENT = MetricSpec(
    "dal.cdc.lag.current",
    "gauge",
    "s",
    "The lag of the last applied batch of each running change-data-capture reader.",
    ("dal.cdc.direction",),
)
CDC_POSITION_AGE = MetricSpec(
    "dal.cdc.position.age",
    "gauge",
    "s",
    "Seconds since each running change-data-capture reader last saved its position "
    "(an idle reader saves it every few seconds; a stuck one's age grows).",
    ("dal.cdc.direction",),
)

METRICS: tuple[MetricSpec, ...] = (
    DURATION,
    COMPARISONS,
    DRIFT,
    DROPS,
    ERRORS,
    BREAKERS,
    SHADOW_WORKERS,
    SHADOW_SAMPLING,
    REPAIRS,
    REPAIRS_LOST,
    BACKLOG,
    SECONDARY_LAG,
    INTERNAL_ERRORS,
    MIGRATION_ROWS,
    CDC_CHANGES,
    CDC_LAG,
    CDC_LAG_CURRENT,
    CDC_POSITION_AGE,
)
"""Every metric the layer exports."""

_UNITS = {"s": "seconds", "ms": "milliseconds", "By": "bytes"}
_INVALID = re.compile(r"[^a-zA-Z0-9_:]")


def prometheus_name(spec: MetricSpec) -> str:
    """The name the OpenTelemetry Prometheus exporter gives ``spec``.

    Dots become underscores, a unit in braces is dropped, a unit such as ``s`` becomes a
    suffix (``_seconds``), and counters end in ``_total``.
    """
    name = _INVALID.sub("_", spec.name)
    unit = "" if spec.unit.startswith("{") else _UNITS.get(spec.unit, spec.unit)
    if unit and not name.endswith(f"_{unit}"):
        name = f"{name}_{unit}"
    return f"{name}_total" if spec.kind == "counter" else name


def prometheus_names() -> dict[str, frozenset[str]]:
    """Every series name the Prometheus endpoint serves, by metric (histograms: three each)."""
    names: dict[str, frozenset[str]] = {}
    for spec in METRICS:
        base = prometheus_name(spec)
        if spec.kind == "histogram":
            names[spec.name] = frozenset(f"{base}_{part}" for part in ("bucket", "sum", "count"))
        else:
            names[spec.name] = frozenset({base})
    return names
