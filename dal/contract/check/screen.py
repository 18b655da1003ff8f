"""One row at a time: which of its values are findings (the check) or refused (the backfill).

A :class:`RowScreen` is built once per table from its column checks
(:mod:`dal.contract.check.columns`) and, when the table has columns that can
be large, the item-size estimate the repositories use
(:func:`adapters.rules.oversized_field`). :meth:`RowScreen.problems` names each
finding of a row by column and kind; :meth:`RowScreen.refusal` is what the
backfill asks: the first :attr:`~dal.contract.check.kinds.Level.LOSS` the
contract does not say how to store, as a message naming table, column and key.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Table
from sqlalchemy.types import JSON, NullType, Text

from adapters.rules import DYNAMODB_ITEM_BYTES, ITEM_ALLOWANCE, oversized_field, value_size
from dal.contract import Entity
from dal.contract.check.columns import ColumnCheck, column_checks
from dal.contract.check.kinds import KINDS, Kind, Level

__all__ = ["Problem", "RowScreen", "build_screen"]

_BYTES_PER_CHARACTER = 4
_ITEM_LIMIT = DYNAMODB_ITEM_BYTES - ITEM_ALLOWANCE


@dataclass(frozen=True)
class Problem:
    """One finding in a row: its column, kind, and whether the contract handles it."""

    column: str
    kind: Kind
    handled: bool


class RowScreen:
    """The findings of the rows of one table (rows as sequences in ``columns`` order)."""

    def __init__(
        self,
        table: str,
        columns: Sequence[str],
        checks: Sequence[ColumnCheck],
        sizes: Sequence[int | None] | None,
    ) -> None:
        self.table = table
        self.columns = tuple(columns)
        positions = {name: index for index, name in enumerate(self.columns)}
        self._checks = tuple((positions[c.column], c) for c in checks if c.column in positions)
        self._sized = sizes is not None
        known = [size for size in sizes or () if size is not None]
        self._bounded = sum(known) + sum(len(name) for name in self.columns)
        self._unbounded = tuple(i for i, size in enumerate(sizes or ()) if size is None)

    @property
    def idle(self) -> bool:
        """Whether no row of the table can have a finding (nothing to check)."""
        return not self._checks and not self._sized

    def problems(self, row: Sequence[Any]) -> Iterator[Problem]:
        """Every finding of ``row``, column by column (the item size last)."""
        for position, check in self._checks:
            value = row[position]
            if value is None:
                continue
            kind = check.kind(value)
            if kind is not None:
                yield Problem(check.column, kind, kind in check.handled)
        if self._sized and self._may_be_too_large(row):
            largest = oversized_field(dict(zip(self.columns, row, strict=True)))
            if largest is not None:
                yield Problem(largest, Kind.ITEM_TOO_LARGE, False)

    def _may_be_too_large(self, row: Sequence[Any]) -> bool:
        """A cheap upper bound of the row's item size first: the exact estimate only above it."""
        total = self._bounded
        for position in self._unbounded:
            value = row[position]
            if isinstance(value, str):
                total += len(value) * _BYTES_PER_CHARACTER
            elif isinstance(value, bytes):
                total += len(value)
            elif value is not None:
                total += value_size(value)
        return total > _ITEM_LIMIT

    def refusal(self, row: Mapping[str, Any], label: str) -> str | None:
        """Why the backfill refuses ``row`` (named ``label``), or None to copy it."""
        if self.idle:
            return None
        values = [row.get(name) for name in self.columns]
        for problem in self.problems(values):
            if not problem.handled and KINDS[problem.kind].level is Level.LOSS:
                return (
                    f"refused: {self.table}.{problem.column} of {label} is "
                    f"{problem.kind.value}: {KINDS[problem.kind].reason}; the contract does "
                    "not say how to store it (see `dal contract check`)"
                )
        return None


def build_screen(
    table: Table,
    entities: Sequence[Entity] = (),
    key_columns: Sequence[str] = (),
    padded_columns: Sequence[str] = (),
) -> RowScreen:
    """The screen of ``table`` for the contract ``entities`` stored from it."""
    checks = column_checks(table, entities, key_columns, padded_columns)
    columns = [column.name for column in table.columns]
    sizes = [_largest(column) for column in table.columns]
    return RowScreen(table.name, columns, checks, sizes if _may_be_oversized(table) else None)


def _may_be_oversized(table: Table) -> bool:
    """Whether a row of ``table`` can reach DynamoDB's item limit (by its column types)."""
    total = 0
    for column in table.columns:
        largest = _largest(column)
        if largest is None:
            return True
        total += largest + len(column.name)
    return total > _ITEM_LIMIT


def _largest(column: Column[Any]) -> int | None:
    """The most bytes a value of ``column`` can take; None when unbounded (TEXT, BLOB)."""
    kind = column.type
    if isinstance(kind, JSON | NullType | Text):
        return None
    try:
        python_type = kind.python_type
    except NotImplementedError:
        return None
    if python_type not in (str, bytes):
        return 64
    length = getattr(kind, "length", None)
    return None if length is None else length * _BYTES_PER_CHARACTER
