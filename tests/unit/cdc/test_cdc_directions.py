"""Which way change data capture runs at each stage: the stage table, as data."""

from __future__ import annotations

import pytest

from dal.cdc.directions import DIRECTIONS, Direction, direction_of, entities_in
from dal.routing.flags import StaticFlags
from dal.routing.stages import Stage

EXPECTED = {
    Stage.OFF: Direction.NONE,
    Stage.DUAL_WRITE: Direction.MYSQL,
    Stage.SHADOW: Direction.MYSQL,
    Stage.LIVE: Direction.DYNAMODB,
    Stage.RAMPDOWN: Direction.DYNAMODB,
    Stage.COMPLETE: Direction.NONE,
}


@pytest.mark.parametrize(("stage", "direction"), EXPECTED.items())
def test_each_stage_has_the_direction_its_writes_flow_in(stage, direction) -> None:
    assert DIRECTIONS[stage] is direction


def test_every_stage_has_a_direction() -> None:
    assert set(DIRECTIONS) == set(Stage)


def test_the_direction_is_read_per_entity_from_the_flags() -> None:
    flags = StaticFlags({"tickets": Stage.LIVE, "labels": Stage.SHADOW})
    assert direction_of(flags, "tickets") is Direction.DYNAMODB
    assert direction_of(flags, "labels") is Direction.MYSQL
    assert direction_of(flags, "projects") is Direction.NONE
    names = ["tickets", "labels", "projects"]
    assert entities_in(flags, names, Direction.MYSQL) == {"labels"}
