"""OpenTelemetry of the router over MariaDB and DynamoDB Local, read with the SDK's
in-memory metric reader and span exporter: the metrics of a workload through all six
stages, and the span tree of a shadow read."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.trace import SpanKind, format_trace_id
from telemetry_helpers import OWNER_EMAIL, Sdk, new_ticket, numbers

from dal.container import build_container
from dal.routing import PLANS, MemoryRecorder, RepairLog, Router, ShadowSettings, Stage, StaticFlags
from dal.settings import Settings
from dal.telemetry import METRICS

Points = dict[str, tuple[str, list[dict[str, Any]]]]


@pytest.fixture(scope="module")
def sides(settings_for: Callable[..., Settings]) -> Iterator[tuple[Any, Any]]:
    """The container's MySQL and DynamoDB stores (one replaying clock and id allocator)."""
    container = build_container(settings_for())
    yield container.routed_old_store(), container.routed_new_store()
    container.shutdown_resources()


def routed(sides: tuple[Any, Any], sdk: Sdk, stage: Stage, log: Path) -> tuple[Any, Router]:
    router = Router(
        StaticFlags({"tickets": stage}),
        MemoryRecorder(),
        repair_log=RepairLog(log, durable=False),
        shadow=ShadowSettings(budget=30.0, write_budget=30.0),  # what is measured, not how fast
        metrics_interval=None,
        telemetry=sdk.telemetry,
    )
    return router.route_store(*sides), router


def points(sdk: Sdk) -> Points:
    """Every metric's unit and data points' attributes, by name."""
    found: Points = {}
    data = sdk.metrics.get_metrics_data()
    for resource in data.resource_metrics if data is not None else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                attributes = [dict(point.attributes or {}) for point in metric.data.data_points]
                found[metric.name] = (metric.unit or "", attributes)
    return found


def sides_of(found: Points, operation: str, stage: Stage) -> set[tuple[str, str]]:
    """(side, db.system) of every duration recorded for tickets.``operation`` at ``stage``."""
    return {
        (point["dal.side"], point["db.system"])
        for point in found["db.client.operation.duration"][1]
        if point["db.operation.name"] == operation and point["dal.stage"] == stage.value
    }


SYSTEMS = {"old": "mysql", "new": "aws.dynamodb"}


def test_a_workload_through_all_six_stages_exports_the_catalogs_metrics(sides, sdk, tmp_path):
    keys, routers = {}, []
    for stage in Stage:
        store, router = routed(sides, sdk, stage, tmp_path / "repair.jsonl")
        routers.append(router)
        number = next(numbers)
        tickets = store.repository("tickets")
        with store.unit_of_work():
            tickets.create(new_ticket(number))
        with store.unit_of_work():
            assert tickets.get({"project_id": 1, "number": number}).number == number
        assert router.flush(timeout=60)
        keys[stage] = number
    found = points(sdk)  # while the routers are open: their breakers are observed
    for router in routers:
        router.close()

    specs = {spec.name: spec for spec in METRICS}
    for name, (unit, attributes) in found.items():
        assert unit == specs[name].unit, name
        for point in attributes:  # every point carries exactly the catalog's attributes
            assert set(point) == set(specs[name].attributes), (name, point)
    assert found["db.client.operation.duration"][0] == "s"
    for stage in Stage:
        plan = PLANS[stage]
        written = {(side.value, SYSTEMS[side.value]) for side in plan.writes}
        read = {(side.value, SYSTEMS[side.value]) for side in plan.reads}
        assert sides_of(found, "create", stage) == written, stage
        assert sides_of(found, "get", stage) == read, stage

    compared = {
        (p["dal.stage"], p["db.operation.name"], p["dal.category"])
        for p in found["dal.comparisons"][1]
    }
    expected = {(s.value, "create", "match") for s in Stage if PLANS[s].writes_compared}
    expected |= {(s.value, "get", "match") for s in Stage if PLANS[s].reads_compared}
    assert compared == expected
    breakers = {(p["dal.breaker"], p["db.collection.name"]) for p in found["dal.breaker.state"][1]}
    assert breakers == {("read", "tickets"), ("write", "tickets")}
    pool_states = {p["dal.worker.state"] for p in found["dal.shadow.workers"][1]}
    assert pool_states == {"busy", "idle"}  # the shadow pools' threads, by state
    shown = repr(found)
    for number in keys.values():  # no value of an entity: neither its key nor its fields
        assert f"OTEL-{number}" not in shown
        assert f"Secret plan {number}" not in shown
    assert OWNER_EMAIL not in shown


def test_a_shadow_read_is_a_span_tree_from_the_call_to_both_sides(sides, sdk, tmp_path):
    store, router = routed(sides, sdk, Stage.SHADOW, tmp_path / "repair.jsonl")
    number = next(numbers)
    with store.unit_of_work():
        store.repository("tickets").create(new_ticket(number))
    router.flush(timeout=60)
    sdk.spans.clear()
    recorder = router._services.recorder
    assert isinstance(recorder, MemoryRecorder)
    recorder.clear()
    with store.unit_of_work():
        store.repository("tickets").get({"project_id": 1, "number": number})
    router.close(timeout=60)

    spans = {span.name: span for span in sdk.finished()}
    call, shadow = spans["route tickets.get"], spans["shadow tickets.get"]
    sides_ = [span for span in sdk.finished() if span.name == "get tickets"]
    old = next(span for span in sides_ if span.attributes["dal.side"] == "old")
    new = next(span for span in sides_ if span.attributes["dal.side"] == "new")
    assert call.kind is SpanKind.INTERNAL
    assert call.parent is None
    assert old.kind is new.kind is SpanKind.CLIENT
    assert old.parent.span_id == call.context.span_id  # the caller's read
    assert shadow.parent.span_id == call.context.span_id  # the shadow work, a child...
    assert new.parent.span_id == shadow.context.span_id  # ...whose read is the new side's
    assert sdk.threads[call.context.span_id] == sdk.threads[old.context.span_id]
    assert sdk.threads[shadow.context.span_id].startswith("dal-shadow-")  # on a worker
    assert sdk.threads[new.context.span_id] == sdk.threads[shadow.context.span_id]
    assert {span.context.trace_id for span in (call, shadow, old, new)} == {call.context.trace_id}
    assert old.attributes["db.system"] == "mysql"
    assert new.attributes["db.system"] == "aws.dynamodb"
    assert dict(call.attributes) == {
        "db.collection.name": "tickets",
        "db.operation.name": "get",
        "dal.stage": "shadow",
    }
    [comparison] = recorder.comparisons
    assert comparison.matched
    assert comparison.correlation_id == format_trace_id(call.context.trace_id)
