"""Applying DynamoDB stream records to MySQL under version guards.

Each record's item is traced to its source row (:class:`~dal.migrate.identify.ItemIdentifier`);
only the item that holds the row (an entity's first target) is applied: guard items
and the other items a row makes follow from it. Per record, in one transaction:

* a new or changed item is read back into its row and embedded children
  (:func:`~dal.migrate.rows.item_row`) and written (:func:`~dal.migrate.rows.write_row`)
  unless MySQL holds a newer version of the row (``version``, else ``updated_at``);
* a removed item deletes its row, unless MySQL holds a newer version.

An item that MySQL change data capture wrote (its new image carries a stamp the old one
did not, :data:`~dal.cdc.stamp.CDC_STAMP`) came from MySQL and is not sent back: it is
counted as an *echo*.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Table, select
from sqlalchemy.exc import SQLAlchemyError

from adapters.mysql.contention import in_own_transaction
from dal.cdc.stamp import CDC_STAMP
from dal.cdc.streams import StreamRecord
from dal.migrate.identify import ItemIdentifier
from dal.migrate.plan import SourcePlan, Target
from dal.migrate.rows import delete_row, item_row, write_row
from dal.migrate.source import typed
from interfaces import DalError

__all__ = ["FRESHNESS_COLUMNS", "MysqlApplier", "Outcome"]

FRESHNESS_COLUMNS = ("version", "updated_at")
"""Columns that tell which copy of a row is newer, in order of preference."""


@dataclass(frozen=True)
class Outcome:
    """What became of one record: ``applied``, ``stale``, ``echo``, ``derived``, ``other``
    (an entity whose stage carries no changes to MySQL) or ``failed`` (with ``reason``)."""

    kind: str
    entity: str = ""
    key: tuple[tuple[str, ...], tuple[Any, ...]] = ((), ())
    reason: str = ""


class MysqlApplier:
    """Applies stream records of the tables of ``plans`` to MySQL."""

    def __init__(
        self, engine: Engine, plans: Iterable[SourcePlan], tables: Mapping[str, Table]
    ) -> None:
        self._engine = engine
        self._tables = tables
        self._identifier = ItemIdentifier(list(plans))

    def apply(self, record: StreamRecord, wanted: set[str]) -> Outcome:
        """Apply ``record`` when its entity is in ``wanted``."""
        image = record.new if record.new is not None else record.old
        if image is None:
            return Outcome("other")
        found = self._identifier.owner_row(record.table, image)
        if found is None:
            return Outcome("other")
        owner, _ = found
        plan, target = owner.plan, owner.target
        key = (owner.columns, owner.values)
        if not isinstance(target, Target) or target is not plan.targets[0]:
            return Outcome("derived", plan.name, key)
        if plan.name not in wanted:
            return Outcome("other", plan.name, key)
        if _from_mysql(record):
            return Outcome("echo", plan.name, key)
        try:
            applied = in_own_transaction(
                self._engine, lambda connection: self._write(connection, plan, target, record)
            )
        except (DalError, SQLAlchemyError, KeyError, ValueError) as error:
            return Outcome("failed", plan.name, key, f"{type(error).__name__}: {error}")
        return Outcome("applied" if applied else "stale", plan.name, key)

    def _write(
        self, connection: Connection, plan: SourcePlan, target: Target, record: StreamRecord
    ) -> bool:
        table = plan.table
        image = record.new if record.new is not None else record.old
        assert image is not None
        row = item_row(target, image, self._tables)
        key = [row.values[column] for column in plan.key_columns]
        current = _current(connection, table, key)
        freshness = next((c for c in FRESHNESS_COLUMNS if c in table.c), None)
        if current is not None and freshness is not None:
            mine = typed(table, freshness, row.values.get(freshness))
            if mine is not None and current[freshness] is not None and current[freshness] > mine:
                return False  # MySQL holds a newer version
        if record.new is None:
            return current is None or delete_row(connection, table, key, {})
        seen: dict[str, Any] | None = None if current is None else {}
        children = target.compiled.children
        return write_row(connection, table, self._tables, row, seen, children)


def _current(connection: Connection, table: Table, key: list[Any]) -> Mapping[str, Any] | None:
    columns = list(table.primary_key.columns)
    query = select(table).where(*(c == v for c, v in zip(columns, key, strict=True)))
    found = connection.execute(query.with_for_update()).mappings().first()
    return None if found is None else dict(found)


def _from_mysql(record: StreamRecord) -> bool:
    """Whether MySQL change data capture wrote this item (it stamped it anew)."""
    if record.new is None or CDC_STAMP not in record.new:
        return False
    return record.old is None or record.old.get(CDC_STAMP) != record.new[CDC_STAMP]
