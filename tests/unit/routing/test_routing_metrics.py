"""Metrics: counters per entity and operation, latency percentiles, metrics records."""

from __future__ import annotations

import threading

from routing_toys import FakeNotes, Notes, seed

from dal import Router, Stage, StaticFlags
from dal.routing.metrics import LatencyReservoir, Metrics


def test_reservoir_percentiles_and_bounded_memory():
    reservoir = LatencyReservoir(size=1000)
    for millisecond in range(1, 101):
        reservoir.add(millisecond / 1000)
    summary = reservoir.summary()
    assert summary == {"count": 100, "p50": 50.0, "p95": 95.0, "p99": 99.0, "max": 100.0}
    small = LatencyReservoir(size=10)
    for value in range(10_000):
        small.add(value / 1000)
    assert small.summary()["count"] == 10_000
    assert len(small._values) == 10
    assert LatencyReservoir().summary()["p50"] is None


def test_snapshot_is_plain_data_and_leaves_out_idle_operations():
    metrics = Metrics()
    metrics.operation("users", "get").called("old", 0.002, "shadow")
    metrics.operation("users", "find")  # never used
    metrics.internal_error()
    snapshot = metrics.snapshot()
    assert set(snapshot["operations"]) == {"users.get"}
    assert snapshot["internal_errors"] == 1
    assert snapshot["operations"]["users.get"]["latency_ms"]["old"]["p50"] == 2.0


def test_router_counts_calls_comparisons_categories_and_sides(rig_factory):
    rig = rig_factory({"notes": Stage.SHADOW})
    seed(rig.old, rig.new)
    rig.notes.get("a")
    assert rig.router.flush(timeout=10)  # the shadow read is done before the data changes
    rig.new.notes["a"] = rig.new.notes["a"].model_copy(update={"text": "drifted"})
    rig.notes.get("a")
    rig.notes.put("b", "x")
    assert rig.router.flush(timeout=10)
    operations = rig.router.metrics.snapshot()["operations"]
    get = operations["notes.get"]
    assert (get["calls"], get["comparisons"], get["matches"], get["mismatches"]) == (2, 2, 1, 1)
    assert get["categories"] == {"match": 1, "drift": 1}
    assert get["latency_ms"]["old"]["count"] == 2
    assert get["latency_ms"]["new"]["count"] == 2
    assert operations["notes.put"]["calls"] == 1
    metrics = rig.recorder.metrics[-1]  # written by flush
    assert metrics.metrics["operations"]["notes.get"]["calls"] == 2
    assert metrics.metrics["breakers"] == {"notes.read": "closed", "notes.write": "closed"}


def test_metrics_are_written_periodically():
    written = threading.Event()

    class Watch:
        def record(self, record):
            if record.kind == "metrics":
                written.set()

    with Router(StaticFlags({}), Watch(), metrics_interval=0.05) as router:
        router.route("notes", Notes, old=FakeNotes("old"), new=FakeNotes("new")).count()
        assert written.wait(10)
