"""A repair log folder: one file per process, rotated by size, read whole after a SIGKILL."""

from __future__ import annotations

from pathlib import Path

from support.repairlog_writer import killed_writer

from dal import RepairEntry, RepairLog


def test_a_killed_writer_loses_no_entry_and_its_segments_keep_their_order(tmp_path: Path):
    folder = tmp_path / "repair-log"
    first = killed_writer(folder, 60, rotate_bytes=8000)
    second = killed_writer(folder, 20, rotate_bytes=8000)  # another process: a file of its own

    streams = {path.name.split(".")[0] for path in folder.iterdir()}
    assert len(streams) == 2
    assert len([p for p in folder.iterdir() if p.name.count(".") == 2]) >= 4, "rotated"
    log = RepairLog(folder)
    entries = list(log.read(strict=True))
    by_writer = [[e for e in entries if e.id in set(ids)] for ids in (first, second)]
    for ids, written in zip((first, second), by_writer, strict=True):
        assert [e.id for e in written][: len(ids)] == ids  # every acknowledged one, in order
        numbers = [e.args["number"] for e in written]
        assert numbers == list(range(len(numbers)))  # a torn last line at most is skipped
    per_key = [e.args["number"] for e in by_writer[0] if e.args["id"] == 1]
    assert per_key == sorted(per_key), "the entries of one key stay in order"


def test_done_entries_are_kept_apart_and_compaction_drops_finished_segments(tmp_path: Path):
    folder = tmp_path / "repair-log"
    acknowledged = killed_writer(folder, 40, rotate_bytes=8000)
    log = RepairLog(folder)
    segments_before = sorted(p.name for p in folder.iterdir())

    log.mark_done(*acknowledged[:30])  # from this (the repairing) process's own file
    assert [e.id for e in log.read()][:10] == acknowledged[30:]

    dropped = log.compact()

    assert dropped == 30
    assert [e.id for e in log.read()][:10] == acknowledged[30:]
    remaining = sorted(p.name for p in folder.iterdir())
    assert len(remaining) < len(segments_before), "fully repaired segments are removed"
    log.append(
        RepairEntry(
            entity="accounts", operation="delete", stage="live", side="old", reason="x", args={}
        )
    )
    assert len(list(log.read())) == len(list(RepairLog(folder).read()))
