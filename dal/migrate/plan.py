"""Which DynamoDB items each MySQL table becomes, and how a page of rows is turned into them.

One :class:`SourcePlan` per declared entity (:func:`build_entity_plans`): its
MySQL table and its *targets*, the items one row becomes. A target is a contract
entity whose ``source_table`` is the entity's table (a ticket's TICKET item) or the
guard item of a declared unique constraint (:mod:`adapters.dynamodb.generic.guards`).
Items are built by the DynamoDB codec
(:class:`~adapters.dynamodb.layout.EntityLayout`) from the row and the derived
values the contract describes (computed here, see :mod:`dal.migrate.derive`), so
backfilled items are the items the repositories write for the same data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, Table

from adapters.dynamodb.client import Item, Key
from adapters.dynamodb.generic.guards import GUARD_SK, UniqueGuard, unique_guards
from adapters.dynamodb.layout import EntityLayout
from adapters.rules import EntityRules
from dal.contract import Contract, Entity, TemplateError
from dal.contract import Table as ContractTable
from dal.contract.check.screen import RowScreen, build_screen
from dal.contract.check.targets import key_columns
from dal.migrate.derive import CompiledEntity, DerivationError, Evaluator, compile_entity
from dal.migrate.lookups import Lookups, Row
from dal.migrate.writer import WriteItem
from interfaces import DalError
from interfaces.entities import EntitySpec

__all__ = [
    "AnyGuard",
    "RowItems",
    "SourcePlan",
    "Target",
    "UniqueTarget",
    "build_entity_plans",
]

RowKey = tuple[tuple[str, ...], tuple[Any, ...]]
"""A source row's identity: (key columns, values)."""

_FRESHNESS = ("version", "updated_at")
"""Attributes that tell which of two copies is newer, in order of preference."""


def _freshness(item: Item) -> str | None:
    return next((name for name in _FRESHNESS if name in item), None)


def _key_of(item: Item, table: ContractTable) -> Key:
    names = [table.pk] if table.sk is None else [table.pk, table.sk]
    return {name: item[name] for name in names}


@dataclass(frozen=True)
class Target:
    """Items of one contract entity, built by ``layout`` with derivations ``compiled``."""

    layout: EntityLayout
    compiled: CompiledEntity
    bindings: tuple[tuple[str, str], ...]
    """(key template field, derived attribute) pairs: ``user_email`` is the PK join's value."""

    @property
    def table_name(self) -> str:
        """The physical DynamoDB table."""
        return self.layout.table_name

    def build(self, row: Row, evaluator: Evaluator, label: str, source: RowKey) -> WriteItem:
        """The item of ``row``."""
        derived = evaluator.derived(row)
        if self.bindings:
            row = {**row, **{field: derived[name] for field, name in self.bindings}}
        item = self.layout.item(row, derived)
        key = _key_of(item, self.layout.table)
        return WriteItem(self.table_name, key, item, label, _freshness(item), source)


@dataclass(frozen=True)
class UniqueTarget:
    """The guard item of one declared unique constraint of a row, as the repository writes it.

    A row with a None among the constraint's values has no guard (None is never taken).
    """

    guard: UniqueGuard
    rules: EntityRules[Any] = dataclasses.field(compare=False, repr=False)

    @property
    def table_name(self) -> str:
        """The physical DynamoDB table of the guard items."""
        return self.guard.table_name

    def build(self, row: Row, label: str, source: RowKey) -> WriteItem | None:
        """The guard item of ``row``'s unique values, owned by the row; None without values."""
        spec = self.guard.spec
        fields = {name: row[spec.column(name)] for name in spec.fields if spec.column(name) in row}
        values = self.rules.unique_value(self.guard.unique, fields)
        if values is None:
            return None
        item = self.guard.item(values, fields)
        return WriteItem(self.table_name, self.guard.key(values), item, label, None, source, True)

    def owner_row(self, item: Item) -> dict[str, Any]:
        """What a stored guard item tells of the row owning it, by column."""
        return self.guard.owner(item)


AnyGuard = UniqueTarget
"""A guard item of a row (a declared unique constraint's)."""


@dataclass
class RowItems:
    """The items of one source row, or why they could not be built."""

    key: tuple[Any, ...]
    label: str
    items: list[WriteItem]
    error: str | None = None


@dataclass(frozen=True)
class SourcePlan:
    """A store entity: its MySQL table and the items each row becomes."""

    name: str
    table: Table
    targets: tuple[Target, ...]
    guards: tuple[AnyGuard, ...]
    denormalized: frozenset[str]
    screen: RowScreen | None = None
    """Refuses a row holding a value that would be lost (see ``dal contract check``)."""

    @cached_property
    def key_columns(self) -> tuple[str, ...]:
        """The MySQL primary key columns, in order."""
        return tuple(column.name for column in self.table.primary_key.columns)

    @property
    def table_names(self) -> frozenset[str]:
        """Every DynamoDB table this entity's items live in."""
        names = {t.table_name for t in self.targets} | {g.table_name for g in self.guards}
        return frozenset(names)

    def key(self, row: Mapping[str, Any]) -> tuple[Any, ...]:
        """The primary key of ``row``."""
        return tuple(row[column] for column in self.key_columns)

    def label(self, key: Sequence[Any], columns: Sequence[str] | None = None) -> str:
        """How a row is named in reports: ``projects 42``, ``tickets project_id=1, number=2``."""
        if columns is None or tuple(columns) == self.key_columns:
            return f"{self.name} {', '.join(str(k) for k in key)}"
        pairs = ", ".join(f"{c}={v}" for c, v in zip(columns, key, strict=True))
        return f"{self.name} {pairs}"

    def build_page(
        self, connection: Connection, tables: Mapping[str, Table], rows: Sequence[Row]
    ) -> list[RowItems]:
        """The items of every row of a page; a row that cannot be mapped carries its error."""
        lookups = Lookups(connection, tables)
        evaluators = []
        for target in self.targets:
            evaluator = Evaluator(target.compiled, lookups, self.key_columns)
            evaluator.attach_children(rows)
            evaluator.prefetch(rows)
            evaluators.append(evaluator)
        return [self._row_items(row, evaluators) for row in rows]

    def _row_items(self, row: Row, evaluators: Sequence[Evaluator]) -> RowItems:
        key = self.key(row)
        label = self.label(key)
        refused = None if self.screen is None else self.screen.refusal(row, label)
        if refused is not None:
            return RowItems(key, label, [], refused)
        source = (self.key_columns, key)
        try:
            items = [
                t.build(row, e, label, source)
                for t, e in zip(self.targets, evaluators, strict=True)
            ]
            guards = (guard.build(row, label, source) for guard in self.guards)
            items += [item for item in guards if item is not None]
        except (DalError, DerivationError, TemplateError, KeyError, ValueError) as error:
            return RowItems(key, label, [], f"{type(error).__name__}: {error}")
        return RowItems(key, label, items)


def _bindings(table: ContractTable, entity: Entity, compiled: CompiledEntity) -> tuple[Any, ...]:
    pairs = []
    templates = [(table.pk, entity.pk_template), (table.sk, entity.sk_template)]
    for name, template in templates:
        if name is None or template is None or name not in compiled.rules:
            continue
        if len(template.fields) == 1 and template.text == "{" + template.fields[0] + "}":
            pairs.append((template.fields[0], name))
    return tuple(pairs)


def _is_unique_guard(entity: Entity) -> bool:
    return entity.sk_template is not None and entity.sk_template.text == GUARD_SK


def build_entity_plans(
    contract: Contract,
    specs: Iterable[EntitySpec],
    mysql_tables: Mapping[str, Table],
    prefix: str = "",
) -> dict[str, SourcePlan]:
    """A plan per declared entity, named as the entity, from the contract and the declaration.

    Every contract entity whose ``source_table`` is the entity's table becomes a
    target (the first one also stores the columns the contract does not map, as the
    DynamoDB repository does); each declared unique constraint adds the guard items
    the DynamoDB repository writes (:mod:`adapters.dynamodb.generic.guards`).
    ValueError names an entity the contract does not map or whose table is
    missing; DerivationError names an unsupported rule.
    """
    plans: dict[str, SourcePlan] = {}
    for spec in specs:
        if spec.table not in mysql_tables:
            raise ValueError(f"entity {spec.name}: no MySQL table {spec.table!r}")
        columns = tuple(spec.column(name) for name in spec.fields)
        targets = _entity_targets(contract, spec, columns, prefix)
        if not targets:
            raise ValueError(f"entity {spec.name}: the contract maps nothing from {spec.table!r}")
        own_guards = _unique_targets(spec, contract, targets[0].layout, prefix)
        denormalized = frozenset(a.name for t in targets for a in t.layout.entity.denormalized)
        table = mysql_tables[spec.table]
        plans[spec.name] = SourcePlan(
            spec.name, table, targets, own_guards, denormalized, _screen(table, targets)
        )
    return plans


def _screen(table: Table, targets: Sequence[Target]) -> RowScreen:
    """What the backfill refuses of ``table``'s rows: values the contract cannot store."""
    entities = [target.layout.entity for target in targets]
    keys = key_columns({target.layout.table for target in targets}, entities)
    return build_screen(table, entities, keys)


def _entity_targets(
    contract: Contract, spec: EntitySpec, columns: tuple[str, ...], prefix: str
) -> tuple[Target, ...]:
    targets: list[Target] = []
    for table in contract.tables:
        for entity in table.entities:
            if entity.source_table != spec.table or _is_unique_guard(entity):
                continue
            layout = EntityLayout(prefix + table.name, table, entity, () if targets else columns)
            compiled = compile_entity(entity)
            targets.append(Target(layout, compiled, _bindings(table, entity, compiled)))
    return tuple(targets)


def _unique_targets(
    spec: EntitySpec, contract: Contract, layout: EntityLayout, prefix: str
) -> tuple[UniqueTarget, ...]:
    """The guard items of the entity's unique constraints that need one."""
    rules: EntityRules[Any] = EntityRules(spec)
    guards = unique_guards(spec, contract, layout.table, layout.entity, prefix)
    return tuple(UniqueTarget(guard, rules) for guard in guards)
