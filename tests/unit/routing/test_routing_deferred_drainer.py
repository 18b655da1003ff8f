"""The drainer of deferred secondary writes over a real repair log file, with a replay
function of the test's own (the replay itself is tested on the servers)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from dal.routing.deferred import DEFERRED, UNREPAIRED, Drainer
from dal.routing.repairlog import LogTail, RepairEntry, RepairLog


def _entry(key: int, reason: str = DEFERRED) -> RepairEntry:
    return RepairEntry(
        entity="users",
        operation="set_super_admin",
        stage="dual_write",
        side="new",
        reason=reason,
        args={"user_id": key},
        key={"id": key},
    )


def test_batches_follow_the_log_order_and_only_deferred_entries_are_drained(
    tmp_path: Path,
) -> None:
    log = RepairLog(tmp_path / "repair.jsonl", durable=False)
    log.append_many([_entry(1), _entry(2), _entry(9, "secondary_write_failed"), _entry(1)])
    seen: list[list[int]] = []

    def apply(entries: Sequence[RepairEntry]) -> list[str]:
        seen.append([int(e.key["id"]) for e in entries if e.key is not None])
        return [e.id for e in entries]

    drainer = Drainer(log, apply, batch=2)

    assert drainer.drain_all(timeout=5)
    assert seen == [[1, 2], [1]]
    assert [e.reason for e in log.read()] == ["secondary_write_failed"]
    assert drainer.lag() == 0.0


def test_an_entry_left_open_is_handed_over_after_its_attempts(tmp_path: Path) -> None:
    log = RepairLog(tmp_path / "repair.jsonl", durable=False)
    stuck = _entry(7)
    log.append(stuck)
    drainer = Drainer(log, lambda entries: [], attempts=2)

    drainer.drain_once()
    assert [e.id for e in log.read()] == [stuck.id]
    assert drainer.lag() > 0
    drainer.drain_once()

    (left,) = log.read()
    assert (left.reason, left.key) == (UNREPAIRED, {"id": 7})
    assert drainer.state().handed_over == 1
    assert drainer.state().pending == 0


def test_the_tail_reads_only_what_was_appended_since(tmp_path: Path) -> None:
    log = RepairLog(tmp_path / "log", durable=False, rotate_bytes=1)  # every append rotates
    tail = LogTail(log)
    first = log.append(_entry(1))
    assert [e.id for e in tail.read()[0]] == [first.id]
    second = log.append(_entry(2))
    log.mark_done(first.id, check=False)
    entries, done = tail.read()
    assert ([e.id for e in entries], done) == ([second.id], {first.id})
    assert tail.read() == ([], set())
    log.compact()
    tail.reset()
    assert [e.id for e in tail.read()[0]] == [second.id]


def test_an_observer_drains_nothing_and_no_writer_waits_for_it(tmp_path: Path) -> None:
    log = RepairLog(tmp_path / "repair.jsonl", durable=False)
    log.append(_entry(3))
    observer = Drainer(log, None, max_lag=0.01)

    assert observer.drain_once() == 0
    assert observer.state().pending == 1
    assert observer.throttle("users") == 0.0  # no thread runs: never waits


def test_open_writes_are_told_by_entity_and_time_and_an_observer_reads_the_log_for_them(
    tmp_path: Path,
) -> None:
    log = RepairLog(tmp_path / "repair.jsonl", durable=False)
    written = log.append(_entry(4))
    observer = Drainer(log, None)  # another process appended it; nothing read yet
    moment = written.at.timestamp()

    assert observer.writes_open("users", moment + 1)  # read from the log on demand
    assert not observer.writes_open("users", moment - 1)  # written after that moment
    assert not observer.writes_open("orders", moment + 1)
    assert not observer.wait_applied("users", moment + 1, timeout=0.05)  # no thread runs

    drainer = Drainer(log, lambda entries: [e.id for e in entries])
    assert drainer.drain_all(timeout=5)
    assert not observer.writes_open("users", moment + 1)  # the done mark is read too
