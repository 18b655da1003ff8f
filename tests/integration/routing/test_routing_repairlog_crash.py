"""The repair log survives a process killed with SIGKILL in the middle of appending."""

from __future__ import annotations

from support.repairlog_writer import killed_writer

from dal import RepairEntry, RepairLog


def test_every_acknowledged_entry_survives_a_kill(tmp_path):
    path = tmp_path / "repair.jsonl"
    acknowledged = killed_writer(path, 25)

    log = RepairLog(path)
    survivors = [entry.id for entry in log.read()]
    assert survivors[: len(acknowledged)] == acknowledged
    numbers = [entry.args["number"] for entry in log.read()]
    assert numbers == list(range(len(numbers)))

    after = log.append(
        RepairEntry(
            entity="users", operation="delete", stage="live", side="old", reason="x", args={}
        )
    )
    assert [entry.id for entry in log.read()][-1] == after.id  # appends go on after a crash
