"""Recorders: memory, JSON lines, logging, fan-out; and redaction in every one of them."""

from __future__ import annotations

import json
import logging
import threading

import pytest
from routing_toys import Note, seed

from dal import (
    Category,
    Comparison,
    Difference,
    ErrorRecord,
    JsonlRecorder,
    LoggingRecorder,
    MemoryRecorder,
    MultiRecorder,
    RepairLog,
    Stage,
)
from dal.routing import CompareSettings, DropRecord, MetricsRecord, to_json

SECRET = "hunter2-very-secret"


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


def test_logging_recorder_levels(caplog):
    caplog.set_level(logging.DEBUG, logger="dal.routing.records")
    recorder = LoggingRecorder()
    recorder.record(comparison(matched=True, category=Category.MATCH, differences=()))
    recorder.record(comparison())
    recorder.record(MetricsRecord({}))
    levels = [(r.levelno, r.getMessage().split(" ")[0]) for r in caplog.records]
    assert levels == [
        (logging.DEBUG, "comparison"),
        (logging.WARNING, "comparison"),
        (logging.INFO, "metrics"),
    ]
    assert json.loads(caplog.records[1].getMessage().split(" ", 1)[1])["category"] == "drift"


def test_one_failing_recorder_never_stops_the_others():
    class Broken:
        def record(self, record):
            raise OSError("disk full")

    first, last = MemoryRecorder(), MemoryRecorder()
    fan_out = MultiRecorder(first, Broken(), last)
    with pytest.raises(ExceptionGroup) as raised:
        fan_out.record(comparison())
    assert [type(e) for e in raised.value.exceptions] == [OSError]
    assert len(first.comparisons) == len(last.comparisons) == 1


def test_memory_recorder_sorts_by_kind():
    recorder = MemoryRecorder()
    recorder.record(comparison())
    recorder.record(DropRecord("users", "get", None, "timeout"))
    assert len(recorder.records) == 2
    assert len(recorder.comparisons) == len(recorder.drops) == 1
    recorder.clear()
    assert recorder.records == recorder.comparisons == []


def test_to_json_is_plain_data():
    data = to_json(comparison())
    assert json.loads(json.dumps(data)) == data


def test_secrets_are_redacted_in_every_output(rig_factory, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    jsonl = JsonlRecorder(tmp_path / "router.jsonl")
    fan_out = MultiRecorder(jsonl, LoggingRecorder())
    repair = RepairLog(tmp_path / "repair.jsonl")
    rig = rig_factory(
        {"notes": Stage.SHADOW},
        extra_recorder=fan_out,
        comparator=CompareSettings(sensitive={"secret"}),
        repair_log=repair,
    )
    seed(rig.old, rig.new)
    rig.old.notes["a"] = rig.old.notes["a"].model_copy(update={"secret": SECRET})
    rig.new.notes["a"] = rig.new.notes["a"].model_copy(update={"secret": SECRET + "-changed"})
    rig.notes.get("a")  # a difference on the secret field
    rig.new.behave("put", error=ValueError(f"cannot store {SECRET}"))
    rig.notes.put("b", "text", secret=SECRET)  # a failed secondary write, secret in the error
    rig.new.transform = lambda note: note.model_copy(update={"secret": "other"})
    rig.new.behaviours.clear()
    rig.notes.put("c", "text", secret=SECRET)  # a write comparison with the secret differing
    rig.router.close(timeout=10)
    jsonl.close()

    [read] = [c for c in rig.recorder.comparisons if c.operation == "get"]
    assert read.differences[0].path == "secret"
    assert read.differences[0].old.startswith("<redacted:")
    [write] = [c for c in rig.recorder.comparisons if c.operation == "put"]
    [secret] = [d for d in write.differences if d.path == "secret"]
    assert secret.old.startswith("<redacted:")
    outputs = {
        "memory comparisons": repr(rig.recorder.comparisons),
        "memory error messages": repr([e.message for e in rig.recorder.errors]),
        "jsonl": (tmp_path / "router.jsonl").read_text(),
        "log": caplog.text,
        "repair log": (tmp_path / "repair.jsonl").read_text(),
    }
    for name, text in outputs.items():
        assert SECRET not in text, name
    assert "<redacted:" in outputs["jsonl"]
    assert "<redacted:" in outputs["repair log"]
    [entry] = repair.read()
    assert entry.args["secret"].startswith("<redacted:")
    assert entry.args["key"] == "b"
    assert isinstance(rig.old.notes["b"], Note)


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
