"""The repair log: append, read, mark done, compaction, damaged lines."""

from __future__ import annotations

import json
import threading

import pytest

from dal import RepairEntry, RepairLog
from dal.routing import RepairLogError


def entry(number: int = 1, **changes) -> RepairEntry:
    fields = {
        "entity": "users",
        "operation": "create",
        "stage": "shadow",
        "side": "new",
        "reason": "secondary_write_failed",
        "args": {"new": {"username": f"user{number}"}},
        "result_key": {"id": number},
        "error_type": "BackendUnavailable",
        "error": "down",
    }
    return RepairEntry(**(fields | changes))


def test_append_then_read_in_order(tmp_path):
    log = RepairLog(tmp_path / "nested" / "repair.jsonl")
    assert list(log.read()) == []
    written = [log.append(entry(n)) for n in range(3)]
    read = list(log.read())
    assert [e.id for e in read] == [e.id for e in written]
    assert read[0] == written[0]
    line = json.loads((tmp_path / "nested" / "repair.jsonl").read_text().splitlines()[0])
    assert line["type"] == "entry"
    assert set(line) == {
        "type",
        "id",
        "ts",
        "entity",
        "operation",
        "stage",
        "side",
        "authoritative",
        "reason",
        "key",
        "version",
        "args",
        "result_key",
        "error_type",
        "error",
        "correlation_id",
    }
    assert (line["authoritative"], line["key"], line["version"]) == ("old", None, None)


def test_mark_done_hides_entries_and_compaction_drops_them(tmp_path):
    log = RepairLog(tmp_path / "repair.jsonl")
    first, second, third = (log.append(entry(n)) for n in range(3))
    log.mark_done(first.id, third.id)
    assert [e.id for e in log.read()] == [second.id]
    assert [(e.id, e.done) for e in log.read(include_done=True)] == [
        (first.id, True),
        (second.id, False),
        (third.id, True),
    ]
    assert log.compact() == 2
    assert [e.id for e in log.read(include_done=True)] == [second.id]
    assert len((tmp_path / "repair.jsonl").read_text().splitlines()) == 1
    assert RepairLog(tmp_path / "none.jsonl").compact() == 0


def test_mark_done_of_an_unknown_id_is_refused(tmp_path):
    log = RepairLog(tmp_path / "repair.jsonl")
    log.append(entry())
    with pytest.raises(RepairLogError, match="no repair entry with id nope"):
        log.mark_done("nope")


def test_a_torn_last_line_is_skipped_and_the_next_append_starts_afresh(tmp_path, caplog):
    path = tmp_path / "repair.jsonl"
    log = RepairLog(path)
    kept = log.append(entry(1))
    with path.open("ab") as stream:
        stream.write(b'{"type":"entry","id":"torn","ts":"2026-')  # a crash in mid-write
    assert [e.id for e in log.read()] == [kept.id]
    assert "skipping a damaged line" in caplog.text
    later = log.append(entry(2))
    assert [e.id for e in log.read()] == [kept.id, later.id]


def test_appends_from_many_threads_and_a_compaction_lose_nothing(tmp_path):
    log = RepairLog(tmp_path / "repair.jsonl", durable=False)
    done = log.append(entry(0))
    log.mark_done(done.id)

    def append_many(offset: int) -> None:
        for number in range(50):
            log.append(entry(offset + number))

    threads = [threading.Thread(target=append_many, args=(100 * n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    log.compact()  # while the threads append
    for thread in threads:
        thread.join()
    assert len(list(log.read())) == 200
