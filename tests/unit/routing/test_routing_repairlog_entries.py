"""Repair log entries: the authoritative side, key and version, and entries written before them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dal.routing.repairlog import RepairEntry, RepairLog, RepairLogError, call_key

OLD_LINE = {
    "type": "entry",
    "id": "a1",
    "ts": "2026-01-01T12:00:00+00:00",
    "entity": "users",
    "operation": "delete",
    "stage": "live",
    "side": "old",
    "reason": "secondary_write_failed",
    "args": {"user_id": 7},
    "result_key": None,
    "error_type": "BackendUnavailable",
    "error": "down",
}


def test_an_entry_written_before_the_new_fields_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "repair.jsonl"
    path.write_text(json.dumps(OLD_LINE) + "\n")

    (entry,) = RepairLog(path).read(strict=True)

    assert entry.authoritative == "new"  # the other side of ``side``
    assert entry.truth == "new"
    assert entry.entity_key == {"id": 7}
    assert entry.version is None


def test_the_new_fields_round_trip(tmp_path: Path) -> None:
    log = RepairLog(tmp_path / "repair.jsonl", durable=False)
    written = log.append(
        RepairEntry(
            entity="carts",
            operation="add_item",
            stage="shadow",
            side="new",
            reason="secondary_write_failed",
            args={"user_id": 1, "product_id": 2, "quantity": 3},
            authoritative="old",
            key={"user_id": 1, "product_id": 2},
        )
    )

    (read,) = log.read(strict=True)

    assert read.to_json() == written.to_json()
    assert (read.truth, read.key, read.version) == ("old", {"user_id": 1, "product_id": 2}, None)


@pytest.mark.parametrize(
    ("arguments", "key"),
    [
        ({"key": {"project_id": 1, "number": 2}, "changes": {}}, {"project_id": 1, "number": 2}),
        ({"key": 5}, {"id": 5}),
        ({"user_id": 7}, {"id": 7}),
        ({"product_id": 3, "seller_id": 9}, {"product_id": 3, "seller_id": 9}),
        ({"new": {"name": "x"}}, None),
    ],
)
def test_the_key_of_a_call(arguments: dict[str, object], key: dict[str, object] | None) -> None:
    assert call_key("users", arguments) == key


def test_a_side_that_is_neither_old_nor_new_is_not_an_entry(tmp_path: Path) -> None:
    path = tmp_path / "repair.jsonl"
    path.write_text(json.dumps({**OLD_LINE, "side": "mysql"}) + "\n")

    with pytest.raises(RepairLogError, match=r"repair\.jsonl:1: not a repair log line"):
        list(RepairLog(path).read(strict=True))
    assert list(RepairLog(path).read()) == []


def test_the_entity_key_is_kept_whole_when_a_key_field_is_sensitive(tmp_path: Path) -> None:
    from routing_toys import make_rig

    from dal.routing import CompareSettings
    from interfaces import BackendUnavailable

    path = tmp_path / "repair.jsonl"
    rig = make_rig(
        {"notes": "dual_write"},
        comparator=CompareSettings(sensitive=("id", "secret")),
        repair_log=RepairLog(path, durable=False),
    )
    rig.new.behave("put", error=BackendUnavailable("down"))

    note = rig.notes.put("a", "text", secret="s3cret")
    rig.router.close()

    (entry,) = RepairLog(path).read(strict=True)
    assert entry.key == {"id": note.id}  # what a repair looks the entity up by
    assert entry.args["secret"] != "s3cret"  # the arguments stay redacted
    assert "s3cret" not in path.read_text()
    assert path.stat().st_mode & 0o777 == 0o600
