"""A repair entry is never lost quietly: short writes are completed, failures are loud."""

from __future__ import annotations

import errno
import logging
import os
import stat

import pytest
from routing_toys import seed

from dal import RepairLog, Stage
from dal.routing import CompareSettings
from dal.routing import repairlog as repairlog_module
from dal.routing.repairlog import RepairEntry
from interfaces import BackendUnavailable

SECRET = "hunter2-very-secret"


def _entry(number: int) -> RepairEntry:
    return RepairEntry(
        entity="notes",
        operation="put",
        stage="dual_write",
        side="new",
        reason="secondary_write_failed",
        args={"key": f"k{number}", "text": "x" * 50},
    )


def test_short_writes_are_completed(tmp_path, monkeypatch):
    real_write = os.write
    calls: list[int] = []

    def trickle(descriptor: int, data: bytes) -> int:
        calls.append(len(data))
        return real_write(descriptor, bytes(data[:7]))

    monkeypatch.setattr(repairlog_module.os, "write", trickle)
    log = RepairLog(tmp_path / "repair.jsonl", durable=False)

    for number in range(3):
        log.append(_entry(number))

    assert [entry.args["key"] for entry in log.read()] == ["k0", "k1", "k2"]
    assert len(calls) > 3


def test_a_write_that_makes_no_progress_raises(tmp_path, monkeypatch):
    monkeypatch.setattr(repairlog_module.os, "write", lambda descriptor, data: 0)
    log = RepairLog(tmp_path / "repair.jsonl", durable=False)

    with pytest.raises(OSError, match="wrote 0 of"):
        log.append(_entry(1))


def test_the_repair_log_file_is_private(tmp_path):
    log = RepairLog(tmp_path / "repair.jsonl", durable=False)
    log.append(_entry(1))

    assert stat.S_IMODE((tmp_path / "repair.jsonl").stat().st_mode) == 0o600


class _FullDisk(RepairLog):
    """A repair log on a disk that is full."""

    def append(self, entry: RepairEntry) -> RepairEntry:
        raise OSError(errno.ENOSPC, "No space left on device", str(self.path))


def test_a_lost_entry_is_logged_at_error_counted_and_recorded(rig_factory, tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    raised: list[tuple[str, BaseException]] = []
    rig = rig_factory(
        {"notes": Stage.DUAL_WRITE},
        repair_log=_FullDisk(tmp_path / "repair.jsonl"),
        comparator=CompareSettings(sensitive={"secret"}),
        on_raised=lambda operation, error: raised.append((operation, error)),
    )
    seed(rig.old, rig.new)
    rig.new.behave("put", error=BackendUnavailable("down"))

    rig.notes.put("b", "text", secret=SECRET)  # the secondary write fails: an entry is due

    [lost] = [r for r in caplog.records if "repair entry lost" in r.getMessage()]
    assert lost.levelno == logging.ERROR
    assert '"key": "b"' in lost.getMessage() or "'key': 'b'" in lost.getMessage()
    assert "No space left on device" in lost.getMessage()
    assert SECRET not in caplog.text
    [record] = [e for e in rig.recorder.errors if e.message.startswith("repair entry lost")]
    assert (record.origin, record.entity, record.operation) == ("router", "notes", "put")
    assert record.stage is Stage.DUAL_WRITE
    assert SECRET not in record.message
    counters = rig.router.metrics.snapshot()
    assert counters["operations"]["notes.put"]["repairs_lost"] == 1
    assert counters["internal_errors"] == 1
    assert [operation for operation, _ in raised] == ["repair log"]
    assert "b" in rig.old.notes  # the caller's write stands
