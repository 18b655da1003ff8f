"""Change data capture reports through the layer's OpenTelemetry instruments.

A small run both ways on an SDK of the test's own: MySQL's changes into DynamoDB (the
seeded rows read again after a backfill copied them, and an update), then, in ``live``,
a direct DynamoDB write back into MySQL and the echo of MySQL's own. The metrics carry
the catalog's names and units, the direction, entity and result, and no value of an
entity.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import text
from support.cdc import cdc_thread, drain, seed, wait_caught_up

from dal.cdc.binlog import current_position
from dal.cdc.checkpoints import PositionStore
from dal.cdc.dynamodb_service import DynamoCdc
from dal.cdc.failures import FailureLog
from dal.cdc.mysql_service import MYSQL_READER
from dal.cdc.streams import streams_client
from dal.migrate.backfill import BackfillOptions
from dal.migrate.tools import open_tools
from dal.routing.recording import MemoryRecorder
from dal.telemetry import METRICS, Telemetry

SPECS = {spec.name: spec for spec in METRICS}


@pytest.fixture
def reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def telemetry(reader, spans) -> Telemetry:
    tracers = TracerProvider()
    tracers.add_span_processor(SimpleSpanProcessor(spans))
    return Telemetry(MeterProvider(metric_readers=[reader]), tracers)


def collected(reader: InMemoryMetricReader) -> dict[str, Any]:
    """Every metric of the reader, by name."""
    data = reader.get_metrics_data()
    assert data is not None
    return {
        metric.name: metric
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }


def changes(metrics: dict[str, Any]) -> dict[tuple[str, str, str], int]:
    """``dal.cdc.changes`` by (direction, entity, result)."""
    return {
        (
            point.attributes["dal.cdc.direction"],
            point.attributes["db.collection.name"],
            point.attributes["dal.result"],
        ): point.value
        for point in metrics["dal.cdc.changes"].data.data_points
    }


def test_cdc_reports_changes_lag_and_batches_both_ways(
    settings, engine, flags_file, telemetry, reader, spans
) -> None:
    start = current_position(engine)
    seed(engine, 1, 1, 4)
    with open_tools(settings, workers=2) as tools:
        tools.telemetry = telemetry
        assert tools.backfill().run(BackfillOptions(mode="batch")).ok
        PositionStore(engine).save(MYSQL_READER, str(start))  # the seed is read again
        with cdc_thread(tools) as running:
            with engine.begin() as connection:
                connection.execute(
                    text("UPDATE tickets SET title = 'changed', version = 2 WHERE number = 1")
                )
            wait_caught_up(engine, errors=running.errors)
            during = collected(reader)  # the reader is running: its gauges are observed
        after = collected(reader)  # stopped: no longer observed

        flags_file("live")
        time.sleep(1.1)  # the flags file is checked at most once a second
        streams = streams_client(settings.dynamodb_endpoint, settings.dynamodb_region)
        service = DynamoCdc.over(tools, streams, FailureLog(MemoryRecorder(), "old", ()))
        table = tools.plans["tickets"].targets[0].table_name
        item = tools.client.get(table, {"PK": {"S": "PROJECT#1"}, "SK": {"S": "TICKET#2"}})
        assert item is not None
        tools.client.put(table, {**item, "title": {"S": "from dynamodb"}, "version": {"N": "5"}})
        drain(service.poll_once)
    metrics = collected(reader)

    counted = changes(metrics)
    assert counted["mysql", "tickets", "read"] >= 5  # four seeded, one update
    assert counted["mysql", "tickets", "already_applied"] >= 4  # the backfill copied them
    assert counted["mysql", "tickets", "applied"] >= 1
    assert counted["dynamodb", "tickets", "applied"] >= 1  # the stream holds the backfill too
    assert counted["dynamodb", "tickets", "echo"] >= 1  # MySQL's change came round
    assert counted["dynamodb", "tickets", "read"] >= 2
    assert not any(result == "failed" for _, _, result in counted)

    lag = metrics["dal.cdc.lag"]
    assert {point.attributes["dal.cdc.direction"] for point in lag.data.data_points} == {
        "mysql",
        "dynamodb",
    }
    for name in ("dal.cdc.changes", "dal.cdc.lag", "dal.cdc.lag.current", "dal.cdc.position.age"):
        assert metrics.get(name, during.get(name)).unit == SPECS[name].unit
    for name in ("dal.cdc.lag.current", "dal.cdc.position.age"):
        (point,) = during[name].data.data_points
        assert dict(point.attributes) == {"dal.cdc.direction": "mysql"}
        assert 0 <= point.value < 60
        assert not after.get(name) or not after[name].data.data_points
    for name in ("dal.cdc.changes", "dal.cdc.lag"):
        for point in metrics[name].data.data_points:
            assert set(point.attributes) <= set(SPECS[name].attributes)

    batches = [span for span in spans.get_finished_spans() if span.name.startswith("cdc ")]
    assert {span.name for span in batches} == {"cdc mysql batch", "cdc dynamodb batch"}
    exported = repr(metrics) + repr([span.attributes for span in batches])
    assert "from dynamodb" not in exported
    assert "owner1@example.com" not in exported
