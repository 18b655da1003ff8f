"""The JSON lines recorder: its record schema, appending, and many threads at once."""

from __future__ import annotations

import json
import threading

import pytest

from dal import Category, Comparison, Difference, ErrorRecord, JsonlRecorder, Stage
from dal.routing import DropRecord, MetricsRecord


def comparison(**changes) -> Comparison:
    fields = {
        "entity": "users",
        "operation": "get",
        "stage": Stage.SHADOW,
        "matched": False,
        "category": Category.DRIFT,
        "differences": (Difference("items[2].price", "10", "11", Category.DRIFT),),
        "old_latency_ms": 1.5,
        "new_latency_ms": 2.25,
    }
    return Comparison(**(fields | changes))


def test_jsonl_schema_of_every_kind(tmp_path):
    path = tmp_path / "records" / "router.jsonl"
    with JsonlRecorder(path) as recorder:
        recorder.record(comparison())
        recorder.record(
            ErrorRecord("new", "users", "get", Stage.LIVE, ValueError("x"), "x", "query", 3.0)
        )
        recorder.record(MetricsRecord({"operations": {}}))
        recorder.record(DropRecord("users", "get", Stage.SHADOW, "pool_full", 4))
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["kind"] for line in lines] == ["comparison", "error", "metrics", "drop"]
    assert all(line["schema"] == 1 and line["ts"].endswith("+00:00") for line in lines)
    first, error, metrics, drop = lines
    assert first["differences"] == [
        {"path": "items[2].price", "old": "10", "new": "11", "category": "drift"}
    ]
    assert first["latency_ms"] == {"old": 1.5, "new": 2.25}
    assert (first["stage"], first["category"], first["matched"]) == ("shadow", "drift", False)
    assert (error["origin"], error["error_type"], error["message"]) == ("new", "ValueError", "x")
    assert metrics["metrics"] == {"operations": {}}
    assert (drop["reason"], drop["count"]) == ("pool_full", 4)


def test_jsonl_appends_and_is_thread_safe(tmp_path):
    path = tmp_path / "router.jsonl"
    JsonlRecorder(path).record(comparison())  # an earlier run
    recorder = JsonlRecorder(path)

    def write_many() -> None:
        for _ in range(200):
            recorder.record(comparison(differences=(Difference("a" * 500, 1, 2, "drift"),)))

    threads = [threading.Thread(target=write_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    recorder.close()
    lines = path.read_text().splitlines()
    assert len(lines) == 801
    assert all(json.loads(line)["kind"] == "comparison" for line in lines)
    with pytest.raises(ValueError, match="closed"):
        recorder.record(comparison())
