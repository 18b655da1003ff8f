"""Hand id allocation over from MySQL to DynamoDB without ever handing out an id twice.

Both sides are read through small protocols: :class:`HighWaterMarks` (the
highest id MySQL may have handed out per sequence) and :class:`SequenceCounters`
(the DynamoDB counters). :class:`IdHandover` compares them (:meth:`~IdHandover.show`)
and raises every DynamoDB counter that is not above MySQL's mark
(:meth:`~IdHandover.sync`). It only ever raises a counter, so running it again,
or while both sides hand out ids, is safe.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "HighWaterMarks",
    "IdHandover",
    "IdHandoverError",
    "SequenceChange",
    "SequenceCounters",
    "SequenceState",
]


class IdHandoverError(ValueError):
    """A side of the handover cannot be read as it is (for example, a legacy table is missing)."""


class HighWaterMarks(Protocol):
    """The MySQL side: the highest id that may already be in use, per sequence."""

    @property
    def where(self) -> str:
        """Which database is read, for messages (never with a password)."""
        ...

    def high_water(self) -> dict[str, int]:
        """Per sequence, the highest id that is stored or may have been handed out (0: none)."""
        ...


class SequenceCounters(Protocol):
    """The DynamoDB side: one counter per sequence holding the last id reserved."""

    @property
    def where(self) -> str:
        """Which table is used, for messages."""
        ...

    def ensure(self) -> None:
        """Create the counters' table unless it exists."""
        ...

    def last_ids(self) -> dict[str, int]:
        """Per sequence, the last id reserved; empty when the table does not exist yet."""
        ...

    def raise_to(self, sequence: str, at_least: int) -> None:
        """Make every later id of ``sequence`` greater than ``at_least``; never lowers it."""
        ...


@dataclass(frozen=True)
class SequenceState:
    """One sequence on both sides.

    ``mysql_high_water`` is the highest id MySQL may have handed out (0: none);
    ``dynamodb_last`` the last id the DynamoDB counter reserved (0: none).
    """

    sequence: str
    mysql_high_water: int
    dynamodb_last: int

    @property
    def dynamodb_next(self) -> int:
        """The id the DynamoDB allocator hands out next (with blocks of one id)."""
        return self.dynamodb_last + 1

    @property
    def safe(self) -> bool:
        """Whether every id DynamoDB hands out from now on is above every MySQL id."""
        return self.dynamodb_last >= self.mysql_high_water


@dataclass(frozen=True)
class SequenceChange:
    """A sequence before and after a sync (after a dry run: what a sync would leave)."""

    before: SequenceState
    after: SequenceState

    @property
    def sequence(self) -> str:
        """The sequence's name."""
        return self.before.sequence

    @property
    def changed(self) -> bool:
        """Whether the DynamoDB counter was (or, in a dry run, would be) raised."""
        return self.after.dynamodb_last != self.before.dynamodb_last


class IdHandover:
    """Compares MySQL's high-water marks with DynamoDB's counters and closes the gap.

    ``sequences`` are always listed, even when neither side has seen them yet;
    any other sequence either side knows is listed too.
    """

    def __init__(
        self,
        mysql: HighWaterMarks,
        dynamodb: SequenceCounters,
        sequences: Iterable[str] = (),
    ) -> None:
        self.mysql = mysql
        self.dynamodb = dynamodb
        self._sequences = tuple(sequences)

    def show(self) -> list[SequenceState]:
        """Both sides of every sequence, ordered by name; changes nothing."""
        return _states(self._sequences, self.mysql.high_water(), self.dynamodb.last_ids())

    def sync(self, *, dry_run: bool = False) -> list[SequenceChange]:
        """Raise every DynamoDB counter to at least MySQL's high-water mark.

        Afterwards the next DynamoDB id of each sequence is at least one above
        the largest id MySQL has stored or reserved. Counters already there are
        left alone (a counter is never lowered), so a second sync changes
        nothing. The counters' table is created if missing, except in a dry
        run, which only reports what a sync would do.
        """
        marks = self.mysql.high_water()
        if not dry_run:
            self.dynamodb.ensure()
        before = _states(self._sequences, marks, self.dynamodb.last_ids())
        if dry_run:
            return [SequenceChange(state, _planned(state)) for state in before]
        for state in before:
            if not state.safe:
                self.dynamodb.raise_to(state.sequence, state.mysql_high_water)
        after = _states(self._sequences, marks, self.dynamodb.last_ids())
        by_name = {state.sequence: state for state in after}
        return [SequenceChange(state, by_name[state.sequence]) for state in before]


def _states(
    sequences: Iterable[str], marks: Mapping[str, int], last_ids: Mapping[str, int]
) -> list[SequenceState]:
    names = sorted({*sequences, *marks, *last_ids})
    return [SequenceState(name, marks.get(name, 0), last_ids.get(name, 0)) for name in names]


def _planned(state: SequenceState) -> SequenceState:
    last = max(state.dynamodb_last, state.mysql_high_water)
    return SequenceState(state.sequence, state.mysql_high_water, last)
