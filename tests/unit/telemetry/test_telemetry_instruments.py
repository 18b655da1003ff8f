"""The instruments on an SDK of the test's own: names and units from the catalog, drift
paths capped, breakers and backlog observed, and no cost or error without an SDK."""

from __future__ import annotations

import gc
import logging
import os

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from dal.telemetry import (
    METRICS,
    CorrelationFilter,
    Telemetry,
    current_correlation_id,
    new_correlation_id,
    prometheus_name,
)
from dal.telemetry.correlation import enter_correlation, leave_correlation
from dal.telemetry.paths import OTHER


@pytest.fixture
def reader():
    return InMemoryMetricReader()


@pytest.fixture
def telemetry(reader):
    return Telemetry(MeterProvider(metric_readers=[reader]), path_limit=2)


def collected(reader) -> dict[str, list[tuple[dict, float]]]:
    found = {}
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data is not None else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                found[metric.name] = [
                    (dict(p.attributes), getattr(p, "value", getattr(p, "count", None)))
                    for p in metric.data.data_points
                ]
    return found


def test_drift_paths_past_the_cap_are_counted_as_other(telemetry, reader):
    operation = telemetry.operation("things", "get")
    operation.comparison("shadow", "drift", ["items[0].a", "items[1].a", "b", "c"])
    drift = collected(reader)["dal.drift"]
    assert {(p["dal.field_path"], value) for p, value in drift} == {
        ("items[*].a", 2),
        ("b", 1),
        (OTHER, 1),
    }


def test_breakers_and_backlog_are_observed_until_their_source_stops(telemetry, reader):
    stop_breakers = telemetry.watch_breakers(lambda: {"things.read": "open"})
    stop_backlog = telemetry.watch_backlog(lambda: {"things": 3})
    found = collected(reader)
    assert found["dal.breaker.state"] == [
        ({"db.collection.name": "things", "dal.breaker": "read"}, 2)
    ]
    assert found["dal.repair_log.backlog"] == [({"db.collection.name": "things"}, 3)]
    stop_breakers()
    stop_backlog()
    assert collected(reader).get("dal.breaker.state", []) == []


def test_the_deferred_write_lag_is_the_largest_of_its_sources_until_they_stop(telemetry, reader):
    assert collected(reader).get("dal.secondary.lag", []) == []  # no deferred writes: none
    stop_one = telemetry.watch_lag(lambda: 0.5)
    stop_two = telemetry.watch_lag(lambda: 2.5)
    assert collected(reader)["dal.secondary.lag"] == [({}, 2.5)]
    stop_one()
    stop_two()
    assert collected(reader).get("dal.secondary.lag", []) == []


def test_shadow_pools_are_observed_summed_over_their_sources_until_they_stop(telemetry, reader):
    assert collected(reader).get("dal.shadow.workers", []) == []  # no router: no series
    stop_one = telemetry.watch_shadow_pool(lambda: {"busy": 3, "idle": 1})
    stop_two = telemetry.watch_shadow_pool(lambda: {"busy": 2, "idle": 2})
    found = sorted(collected(reader)["dal.shadow.workers"], key=lambda pair: pair[1])
    assert found == [({"dal.worker.state": "idle"}, 3), ({"dal.worker.state": "busy"}, 5)]
    stop_one()
    stop_two()
    assert collected(reader).get("dal.shadow.workers", []) == []


def test_a_router_dropped_without_closing_is_no_longer_observed(telemetry, reader):
    class Breakers:
        def states(self) -> dict[str, str]:
            return {"things.write": "half_open"}

    breakers = Breakers()
    telemetry.watch_breakers(breakers.states)  # held weakly: a bound method
    assert [value for _, value in collected(reader)["dal.breaker.state"]] == [1]
    del breakers
    gc.collect()
    assert collected(reader).get("dal.breaker.state", []) == []


def test_every_metric_name_is_exported_under_its_prometheus_name():
    names = {spec.name: prometheus_name(spec) for spec in METRICS}
    assert names["db.client.operation.duration"] == "db_client_operation_duration_seconds"
    assert names["dal.comparisons"] == "dal_comparisons_total"
    assert names["dal.repair_log.backlog"] == "dal_repair_log_backlog"
    assert len(set(names.values())) == len(names)


def test_without_an_sdk_a_routed_scope_still_makes_a_correlation_id():
    operation = Telemetry().operation("things", "get")  # the API's no-op providers
    assert current_correlation_id() is None
    with operation.routed("off"):
        inside = current_correlation_id()
        with operation.side("old", "off"):
            assert current_correlation_id() == inside
    assert inside is not None
    assert len(inside) == 32
    assert current_correlation_id() is None


def test_the_log_filter_adds_the_current_correlation_id():
    record = logging.LogRecord("dal", logging.INFO, __file__, 1, "m", (), None)
    token = enter_correlation("ab" * 16)
    try:
        assert CorrelationFilter().filter(record)
    finally:
        leave_correlation(token)
    assert record.correlation_id == "ab" * 16  # type: ignore[attr-defined]


def test_an_answer_is_noted_on_the_span_and_a_failure_marks_it_failed():
    exporter = InMemorySpanExporter()
    tracers = TracerProvider()
    tracers.add_span_processor(SimpleSpanProcessor(exporter))
    operation = Telemetry(tracer_provider=tracers).operation("things", "get")
    for error in (LookupError("no thing 7"), RuntimeError("down: thing 7")):
        with pytest.raises(type(error)), operation.side("new", "live", answers=(LookupError,)):
            raise error
    answered, failed = exporter.get_finished_spans()
    assert answered.attributes["error.type"] == "LookupError"
    assert answered.status.status_code is StatusCode.UNSET
    assert failed.attributes["error.type"] == "RuntimeError"
    assert failed.status.status_code is StatusCode.ERROR
    assert "thing 7" not in repr([dict(s.attributes) for s in (answered, failed)])
    assert failed.status.description == "RuntimeError"  # the type, never the message


def test_a_forked_worker_makes_other_correlation_ids_than_its_parent():
    new_correlation_id()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child)
        os.write(write, new_correlation_id().encode())
        os._exit(0)
    os.waitpid(child, 0)
    os.close(write)
    theirs = os.read(read, 64).decode()
    os.close(read)
    assert len(theirs) == 32
    assert theirs != new_correlation_id()
