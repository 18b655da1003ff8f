"""Segments of a table by key range: each segment reads only its own rows.

A segment is a half-open range of the first primary-key column
(``lower <= key < upper``; an open end is None), so a process working on one
segment walks an index range, never the whole table. The ranges of a split
(:func:`split_ranges`) cover every value: the first is open below and the last
open above, so rows added past either end still belong to a segment.

An integer key is split evenly between its smallest and largest value; any
other key at quantiles of its values (one indexed ``OFFSET`` read per bound).
A split is computed once per pass and kept with the segments' checkpoints
(:meth:`~dal.migrate.checkpoints.CheckpointStore.split`), so every process of a
job, and a resumed run, uses the same ranges even when rows were added meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Engine, Integer, Table, and_, false, func, select, true

__all__ = ["KeyRange", "range_filter", "split_ranges"]


@dataclass(frozen=True)
class KeyRange:
    """Rows whose first key column is at least ``lower`` and below ``upper`` (None: open)."""

    lower: Any = None
    upper: Any = None
    empty: bool = False
    """A range of no rows (the segments past the first of a split of an empty table)."""

    @property
    def whole(self) -> bool:
        """Whether the range is the whole table."""
        return self.lower is None and self.upper is None and not self.empty

    def to_json(self) -> list[Any]:
        """``[lower, upper, empty]`` (JSON-ready for the key types a checkpoint stores)."""
        return [self.lower, self.upper, self.empty]

    @classmethod
    def from_json(cls, value: Sequence[Any]) -> KeyRange:
        """The range :meth:`to_json` gave."""
        lower, upper, empty = value
        return cls(lower, upper, bool(empty))

    def __str__(self) -> str:
        if self.empty:
            return "[)"
        lower = "" if self.lower is None else repr(self.lower)
        upper = "" if self.upper is None else repr(self.upper)
        return f"[{lower}..{upper})"


def first_key_column(table: Table) -> Any:
    """The first column of ``table``'s primary key (what segments split)."""
    return next(iter(table.primary_key.columns))


def range_filter(table: Table, key_range: KeyRange) -> ColumnElement[bool]:
    """The WHERE clause selecting the rows of ``key_range``."""
    if key_range.empty:
        return false()
    column = first_key_column(table)
    clauses = []
    if key_range.lower is not None:
        clauses.append(column >= key_range.lower)
    if key_range.upper is not None:
        clauses.append(column < key_range.upper)
    return and_(*clauses) if clauses else true()


def split_ranges(engine: Engine, table: Table, segments: int) -> list[KeyRange]:
    """``segments`` ranges covering every key of ``table``, about equal in rows."""
    if segments == 1:
        return [KeyRange()]
    bounds = _bounds(engine, table, segments)
    if bounds is None:  # no rows yet: the first segment takes whatever comes
        return [KeyRange()] + [KeyRange(empty=True)] * (segments - 1)
    edges: list[Any] = [None, *bounds, None]
    return [KeyRange(edges[i], edges[i + 1]) for i in range(segments)]


def _bounds(engine: Engine, table: Table, segments: int) -> list[Any] | None:
    """The ``segments - 1`` inner bounds, ascending; None for an empty table."""
    column = first_key_column(table)
    with engine.connect() as connection:
        if isinstance(column.type, Integer):
            low, high = connection.execute(select(func.min(column), func.max(column))).one()
            if low is None:
                return None
            return [low + (high - low + 1) * i // segments for i in range(1, segments)]
        count = int(connection.execute(select(func.count()).select_from(table)).scalar_one())
        if count == 0:
            return None
        return [
            connection.execute(
                select(column).order_by(column).offset(count * i // segments).limit(1)
            ).scalar()
            for i in range(1, segments)
        ]
