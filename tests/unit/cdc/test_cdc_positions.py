"""Binary-log positions: parsed, ordered along the log, and stamped as one growing number."""

from __future__ import annotations

import pytest

from dal.cdc.dynamo_apply import GuardedItem
from dal.cdc.positions import BinlogPosition, PositionError
from dal.cdc.stamp import CDC_STAMP
from dal.migrate.diff import item_differences


def test_a_position_reads_and_prints_as_file_and_offset() -> None:
    position = BinlogPosition.parse("binlog.000042:1234")
    assert (position.file, position.index, position.offset) == ("binlog.000042", 42, 1234)
    assert str(position) == "binlog.000042:1234"


@pytest.mark.parametrize("text", ["", "binlog:12", "binlog.000001", "binlog.000001:x"])
def test_text_that_is_no_position_is_refused_naming_it(text: str) -> None:
    with pytest.raises(PositionError, match="not a binary-log position"):
        BinlogPosition.parse(text)


def test_positions_and_stamps_grow_along_the_log_across_files() -> None:
    along = [
        BinlogPosition.parse(text)
        for text in ("binlog.000001:4", "binlog.000001:99999999", "binlog.000002:4")
    ]
    assert along == sorted(along)
    stamps = [position.stamp for position in along]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == 3


def test_a_versioned_put_is_guarded_by_its_version_and_carries_the_stamp() -> None:
    item = {"PK": {"S": "P#1"}, "version": {"N": "3"}}
    put = GuardedItem("t", {"PK": item["PK"]}, item, "tickets 1", "version", stamp=77)
    action = put.action()["Put"]
    assert action["Item"][CDC_STAMP] == {"N": "77"}
    assert "<=" in action["ConditionExpression"]
    assert {"N": "3"} in action["ExpressionAttributeValues"].values()


def test_an_unversioned_delete_is_guarded_by_the_stamp() -> None:
    item = {"PK": {"S": "L#1"}, "title": {"S": "x"}}
    delete = GuardedItem("t", {"PK": item["PK"]}, item, "labels 1", None, stamp=9, delete=True)
    action = delete.action()["Delete"]
    assert action["Key"] == {"PK": {"S": "L#1"}}
    assert CDC_STAMP in action["ExpressionAttributeNames"].values()
    assert {"N": "9"} in action["ExpressionAttributeValues"].values()


def test_verification_ignores_the_stamp() -> None:
    item = {"PK": {"S": "P#1"}, "title": {"S": "x"}}
    assert item_differences(item, {**item, CDC_STAMP: {"N": "5"}}) == []
