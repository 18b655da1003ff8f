"""Row changes into the contract's items, with the backfill's own derivation.

Each changed row is read again from MySQL by its primary key and turned into its
items by the plan the backfill uses (:meth:`~dal.migrate.plan.SourcePlan.build_page`:
joins, calculated and denormalized attributes, item collections, unique-value guard
items). Reading the row again, rather than trusting the event's image, means the
items carry the row as it is now: several changes of one row in a batch collapse
into one write, and a write never carries an older state than MySQL holds.

The row's images before the change give the items it made before: those whose keys
the row no longer makes (a guard of a code that changed, the item of a row now gone)
are deleted. Rows MySQL deleted through a foreign key's ``ON DELETE CASCADE`` or
changed through ``ON DELETE SET NULL`` are not in the binary log; they are found by
:mod:`dal.cdc.cascades`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, Table

from dal.cdc.binlog import RowChange
from dal.migrate.lookups import Row
from dal.migrate.plan import RowItems, SourcePlan
from dal.migrate.source import fetch_rows
from dal.migrate.writer import WriteItem

__all__ = ["ChangeSet", "Failure", "ItemMapper", "Touched"]

_PAGE = 500
"""Rows read again, and built, per query."""


@dataclass(frozen=True)
class Failure:
    """A change that could not be mapped or applied: its entity, row label, key and reason."""

    entity: str
    label: str
    row: tuple[tuple[str, ...], tuple[Any, ...]]
    reason: str


@dataclass
class ChangeSet:
    """What a batch of row changes does to DynamoDB: items to put, items to delete, failures."""

    puts: list[WriteItem] = field(default_factory=list)
    deletes: list[WriteItem] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    rows: int = 0
    """Distinct rows changed."""


@dataclass
class Touched:
    """The rows of one entity a batch changed: by key, every image they had before."""

    plan: SourcePlan
    before: dict[tuple[Any, ...], list[Row]] = field(default_factory=dict)

    def add(self, key: tuple[Any, ...], image: Row | None) -> None:
        """Note a change of the row ``key`` (``image``: the row before, if it existed)."""
        images = self.before.setdefault(key, [])
        if image is not None:
            images.append(image)


class ItemMapper:
    """Turns row changes of ``plans`` into items, reading rows again from ``engine``."""

    def __init__(
        self, engine: Engine, plans: Iterable[SourcePlan], tables: Mapping[str, Table]
    ) -> None:
        self._engine = engine
        self._tables = tables
        self._by_table = {plan.table.name: plan for plan in plans}
        self._key_columns = {plan.name: key_columns(plan) for plan in self._by_table.values()}

    def plan_of(self, table: str) -> SourcePlan | None:
        """The plan of the MySQL table ``table``, if change data capture maps it."""
        return self._by_table.get(table)

    def touched(
        self, changes: Iterable[RowChange], wanted: Callable[[str], bool]
    ) -> dict[str, Touched]:
        """The rows ``changes`` touch, by entity, for the entities ``wanted`` accepts."""
        found: dict[str, Touched] = {}
        for change in changes:
            plan = self._by_table.get(change.table)
            if plan is None or not wanted(plan.name):
                continue
            touched = found.setdefault(plan.name, Touched(plan))
            for image in (change.before, change.after):
                if image is not None:
                    touched.add(plan.key(image), change.before)
        return found

    def map(self, touched: Mapping[str, Touched]) -> tuple[ChangeSet, dict[str, list[Row]]]:
        """The items of the touched rows as MySQL holds them now.

        Also returns, by entity, the before-images of the rows that are gone (a
        cascade follows them, :mod:`dal.cdc.cascades`).
        """
        changes = ChangeSet()
        gone: dict[str, list[Row]] = {}
        for name, rows in touched.items():
            keys = list(rows.before)
            for start in range(0, len(keys), _PAGE):
                chunk = keys[start : start + _PAGE]
                current = fetch_rows(self._engine, rows.plan.table, chunk)
                present = {rows.plan.key(row) for row in current}
                images = [image for key in chunk for image in rows.before[key]]
                self._add(rows.plan, current, images, changes)
                gone.setdefault(name, []).extend(
                    image for image in images if rows.plan.key(image) not in present
                )
            changes.rows += len(keys)
        _drop_deletes_of_puts(changes)
        return changes, gone

    def _add(
        self, plan: SourcePlan, current: Sequence[Row], before: Sequence[Row], out: ChangeSet
    ) -> None:
        now = self._build(plan, current)
        before = _keys_may_differ(plan, current, before, self._key_columns[plan.name])
        kept: set[tuple[str, str]] = set()
        for row in now:
            if row.error is not None:
                out.failures.append(Failure(plan.name, row.label, _row(plan, row), row.error))
                continue
            out.puts.extend(row.items)
            kept.update(_identity(item) for item in row.items)
        for row in self._build(plan, before):
            if row.error is not None:
                reason = f"the items it had cannot be named: {row.error}"
                out.failures.append(Failure(plan.name, row.label, _row(plan, row), reason))
            out.deletes.extend(item for item in row.items if _identity(item) not in kept)

    def _build(self, plan: SourcePlan, rows: Sequence[Row]) -> list[RowItems]:
        if not rows:
            return []
        with self._engine.connect() as connection:
            return plan.build_page(connection, self._tables, [dict(row) for row in rows])


def key_columns(plan: SourcePlan) -> frozenset[str]:
    """The columns an item key of ``plan`` may depend on: those of the key attributes and
    key templates of its targets, and the fields of its unique-value guards."""
    columns: set[str] = set()
    for target in plan.targets:
        table, entity = target.layout.table, target.layout.entity
        names = {table.pk, table.sk}
        for attribute in entity.attributes:
            if attribute.name in names:
                columns.update(column.split(".")[-1] for column in attribute.source_columns)
        for template in (entity.pk_template, entity.sk_template):
            columns.update(() if template is None else template.fields)
    for guard in plan.guards:
        spec = guard.guard.spec
        columns.update(spec.column(name) for name in guard.guard.unique.fields)
    return frozenset(columns)


def _keys_may_differ(
    plan: SourcePlan, current: Sequence[Row], before: Sequence[Row], columns: frozenset[str]
) -> list[Row]:
    """The images whose items may have other keys than the row's items now: every image of
    a row that is gone, and those that differ from the row in a column a key depends on."""
    now = {plan.key(row): row for row in current}
    kept = []
    for image in before:
        row = now.get(plan.key(image))
        if row is None or any(image.get(c) != row.get(c) for c in columns):
            kept.append(image)
    return kept


def _row(plan: SourcePlan, row: RowItems) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    return (plan.key_columns, row.key)


def _identity(item: WriteItem) -> tuple[str, str]:
    return item.table, repr(sorted(item.key.items()))


def _drop_deletes_of_puts(changes: ChangeSet) -> None:
    """A key another row now makes (a unique value passed on) is put, not deleted."""
    put = {_identity(item) for item in changes.puts}
    unique: dict[tuple[str, str], WriteItem] = {}
    for item in changes.deletes:
        identity = _identity(item)
        if identity not in put:
            unique.setdefault(identity, item)
    changes.deletes = list(unique.values())
