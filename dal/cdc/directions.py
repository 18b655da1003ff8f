"""Which way change data capture runs for an entity, read from the stage table as data.

A direction is the way writes already flow in a stage: from the authoritative side
to the secondary one (:data:`~dal.routing.stages.PLANS`). While MySQL is written
first and DynamoDB second (``dual_write``, ``shadow``), changes made directly in
MySQL are carried to DynamoDB; while DynamoDB is written first and MySQL second
(``live``, ``rampdown``), changes made directly in DynamoDB are carried to MySQL;
with one side written (``off``, ``complete``) nothing is carried.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType
from typing import Final

from dal.routing.flags import FlagSource
from dal.routing.stages import PLANS, Plan, Side, Stage

__all__ = ["DIRECTIONS", "Direction", "direction_of", "entities_in"]


class Direction(StrEnum):
    """Where changes are carried: ``mysql`` (MySQL to DynamoDB), ``dynamodb`` (back), or none."""

    MYSQL = "mysql"
    DYNAMODB = "dynamodb"
    NONE = "none"


def _direction(plan: Plan) -> Direction:
    if plan.secondary is None:
        return Direction.NONE
    return Direction.MYSQL if plan.authoritative is Side.OLD else Direction.DYNAMODB


DIRECTIONS: Final[MappingProxyType[Stage, Direction]] = MappingProxyType(
    {stage: _direction(plan) for stage, plan in PLANS.items()}
)
"""Every stage's direction, derived from its plan."""


def direction_of(flags: FlagSource, entity: str) -> Direction:
    """The direction of ``entity`` at its stage now (read as the router reads it)."""
    return DIRECTIONS[flags.snapshot().stage_for(entity, entity)]


def entities_in(flags: FlagSource, entities: list[str], direction: Direction) -> frozenset[str]:
    """The entities of ``entities`` whose direction now is ``direction``."""
    return frozenset(name for name in entities if direction_of(flags, name) is direction)
