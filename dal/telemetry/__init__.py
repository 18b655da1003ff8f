"""OpenTelemetry metrics and traces of the layer, and its correlation id.

The library talks to the OpenTelemetry API only (a no-op until an SDK is set
up). :func:`default_telemetry` is the layer's instruments on the global
providers, which an application's own SDK setup feeds; :class:`Telemetry` over
providers of your own isolates them (tests). :mod:`dal.telemetry.endpoint` sets
up the SDK with a Prometheus endpoint (``DAL_METRICS_PORT``; needs the ``otel``
extra). See ``docs/telemetry.md``.
"""

from __future__ import annotations

import threading

from dal.telemetry.catalog import METRICS, MetricSpec, prometheus_name, prometheus_names
from dal.telemetry.correlation import (
    CorrelationFilter,
    correlation_fields,
    current_correlation_id,
    new_correlation_id,
)
from dal.telemetry.instruments import DEFAULT_SYSTEMS, OperationTelemetry, Telemetry
from dal.telemetry.paths import FieldPathCap, fold_path

__all__ = [
    "DEFAULT_SYSTEMS",
    "METRICS",
    "CorrelationFilter",
    "FieldPathCap",
    "MetricSpec",
    "OperationTelemetry",
    "Telemetry",
    "correlation_fields",
    "current_correlation_id",
    "default_telemetry",
    "fold_path",
    "new_correlation_id",
    "prometheus_name",
    "prometheus_names",
]

_default: Telemetry | None = None
_default_lock = threading.Lock()


def default_telemetry() -> Telemetry:
    """The layer's instruments on the global OpenTelemetry providers (created on first use).

    One instance per process, so every router reports through the same instruments.
    """
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Telemetry()
    return _default
