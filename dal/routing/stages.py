"""The migration stages and the frozen plan table that says what each stage does.

The stage table of the architecture is data, not an if/elif ladder: :data:`PLANS`
maps every :class:`Stage` to a :class:`Plan` (which side is read, which answer the
caller gets, whether reads and writes are compared, the write order and the
authoritative side). The router looks the plan up once per call.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

__all__ = ["PLANS", "Plan", "Side", "Stage"]


class Stage(StrEnum):
    """Where an entity (or one of its operations) stands in the migration."""

    OFF = "off"
    DUAL_WRITE = "dual_write"
    SHADOW = "shadow"
    LIVE = "live"
    RAMPDOWN = "rampdown"
    COMPLETE = "complete"


class Side(StrEnum):
    """A backend of the migration: ``old`` is MySQL, ``new`` is DynamoDB."""

    OLD = "old"
    NEW = "new"

    @property
    def other(self) -> Side:
        """The opposite side."""
        return Side.NEW if self is Side.OLD else Side.OLD


@dataclass(frozen=True, slots=True)
class Plan:
    """What one stage does with reads and writes.

    ``reads`` lists the sides a query reads, the answered one first; ``writes``
    lists the sides a command writes, in order, the authoritative one first.
    """

    reads: tuple[Side, ...]
    writes: tuple[Side, ...]

    def __post_init__(self) -> None:
        for name, sides in (("reads", self.reads), ("writes", self.writes)):
            if not 1 <= len(sides) <= 2 or len(set(sides)) != len(sides):
                raise ValueError(f"{name} must name one side or both sides once: {sides}")

    @property
    def returned(self) -> Side:
        """The side whose answer to a query the caller gets."""
        return self.reads[0]

    @property
    def shadow(self) -> Side | None:
        """The side read off the request path and compared, if any."""
        return self.reads[1] if len(self.reads) == 2 else None

    @property
    def reads_compared(self) -> bool:
        """Whether queries are compared (both sides are read)."""
        return len(self.reads) == 2

    @property
    def authoritative(self) -> Side:
        """The side written first; its failure reaches the caller."""
        return self.writes[0]

    @property
    def secondary(self) -> Side | None:
        """The side written second, if any; its failure is recorded, never raised."""
        return self.writes[1] if len(self.writes) == 2 else None

    @property
    def writes_compared(self) -> bool:
        """Whether the results of commands are compared (both sides are written)."""
        return len(self.writes) == 2


_OLD, _NEW = Side.OLD, Side.NEW

PLANS: Final[MappingProxyType[Stage, Plan]] = MappingProxyType(
    {
        Stage.OFF: Plan(reads=(_OLD,), writes=(_OLD,)),
        Stage.DUAL_WRITE: Plan(reads=(_OLD,), writes=(_OLD, _NEW)),
        Stage.SHADOW: Plan(reads=(_OLD, _NEW), writes=(_OLD, _NEW)),
        Stage.LIVE: Plan(reads=(_NEW, _OLD), writes=(_NEW, _OLD)),
        Stage.RAMPDOWN: Plan(reads=(_NEW,), writes=(_NEW, _OLD)),
        Stage.COMPLETE: Plan(reads=(_NEW,), writes=(_NEW,)),
    }
)
"""The stage table: every stage's plan, frozen."""
