"""Unique-value guard items: one item per taken unique value, written with the entity's item.

A declared unique constraint (:class:`~interfaces.entities.Unique`) is enforced
on DynamoDB by a guard item whose key is made of the value itself, put with
``attribute_not_exists`` in the same transaction as the entity's item (deleted
and put again when the value changes, deleted with the entity).
:class:`UniqueGuard` says where that item is and what it holds:

* the contract may declare the guard itself: an entity of the same source table
  whose sort key template is ``#UNIQUE`` and whose partition key template uses
  exactly the constraint's columns (``USERNAME#{username}``); its attributes make
  the item, rendered by the same codec as every other item;
* otherwise the item is the layer's own, in the entity's table:
  ``UNIQUE#{entity}#{unique label}#{values}`` (:func:`guard_partition`), ``#UNIQUE``
  as the sort key when the table has one, and an ``owner`` map of the owning
  entity's key fields.

Values are those :meth:`adapters.rules.EntityRules.unique_value` gives
(casefolded under a case-insensitive collation). A constraint whose values alone
make the entity's item key (``PK = {email}``, ``SK = #META``) needs no guard:
the item itself is the guard (:func:`unique_guards` leaves it out). The DynamoDB
repositories, the reference store's own adapter and the backfill all write
guards through this module, so the three agree item for item.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from adapters.dynamodb.client import Item, Key
from adapters.dynamodb.layout import EntityLayout
from adapters.dynamodb.values import check_key, decode_value, encode_value, format_timestamp
from dal.contract import Contract, Entity, Table, Template
from interfaces.entities import EntitySpec, Unique

__all__ = [
    "GUARD_PREFIX",
    "GUARD_SK",
    "OWNER",
    "UniqueGuard",
    "guard_item",
    "guard_key",
    "guard_partition",
    "is_guard",
    "unique_guards",
]

GUARD_PREFIX = "UNIQUE#"
"""How the partition key of every guard item of the layer's own format starts."""

GUARD_SK = "#UNIQUE"
"""The sort key of guard items (in tables that have a sort key)."""

OWNER = "owner"
"""The layer's guard item attribute holding the owning entity's key fields."""


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def guard_partition(entity: str, unique: Unique, values: Sequence[Any]) -> str:
    """``UNIQUE#{entity}#{unique.label}#{values joined by #}``.

    ``values`` are the constraint's values as the collation compares them
    (:meth:`adapters.rules.EntityRules.unique_value`).
    """
    return f"{GUARD_PREFIX}{entity}#{unique.label}#" + "#".join(_text(v) for v in values)


def guard_key(table: Table, entity: str, unique: Unique, values: Sequence[Any]) -> Key:
    """The layer's guard item key; UnstorableValue naming the constraint if it is too long."""
    partition = guard_partition(entity, unique, values)
    check_key(partition, field=unique.label, partition=True)
    key: Key = {table.pk: {"S": partition}}
    if table.sk is not None:
        key[table.sk] = {"S": GUARD_SK}
    return key


def guard_item(
    table: Table,
    entity: str,
    unique: Unique,
    values: Sequence[Any],
    owner: Mapping[str, Any],
) -> Item:
    """The layer's whole guard item: its key and the key fields of the entity holding the value."""
    item: Item = dict(guard_key(table, entity, unique, values))
    item[OWNER] = encode_value(dict(owner), unique.label)
    return item


def is_guard(table: Table, item: Mapping[str, Any]) -> bool:
    """Whether ``item`` (wire form) is a guard item of ``table``."""
    if table.sk is not None:
        return bool(item.get(table.sk, {}).get("S") == GUARD_SK)
    return str(item.get(table.pk, {}).get("S", "")).startswith(GUARD_PREFIX)


def _is_guard_entity(entity: Entity) -> bool:
    return entity.sk_template is not None and entity.sk_template.text == GUARD_SK


class UniqueGuard:
    """The guard items of one unique constraint of one entity: their key, item and owner.

    ``table`` is the contract table the guards live in and ``table_name`` its
    physical name; ``entity`` the contract's own guard entity when it declares one.
    """

    def __init__(
        self,
        spec: EntitySpec,
        unique: Unique,
        table: Table,
        table_name: str,
        entity: Entity | None = None,
    ) -> None:
        self.spec = spec
        self.unique = unique
        self.table = table
        self.table_name = table_name
        self.entity = entity
        self._columns = tuple(spec.column(name) for name in unique.fields)
        # a declared guard holds exactly the attributes the contract gives it
        self._layout = None if entity is None else EntityLayout(table_name, table, entity, ())

    @property
    def pk_template(self) -> Template:
        """The template of the guard items' partition key (``{value}`` for the layer's own)."""
        if self.entity is not None:
            return self.entity.pk_template
        return Template(f"{GUARD_PREFIX}{self.spec.name}#{self.unique.label}#{{value}}")

    def key(self, values: Sequence[Any]) -> Key:
        """The key of the guard of ``values``; UnstorableValue if it is too long."""
        if self._layout is None:
            return guard_key(self.table, self.spec.name, self.unique, values)
        return self._layout.key(self._columns_of(values, {}))

    def item(self, values: Sequence[Any], row: Mapping[str, Any]) -> Item:
        """The guard item of ``values`` owned by ``row`` (the entity's fields)."""
        if self._layout is None:
            owner = {name: row[name] for name in self.spec.key}
            return guard_item(self.table, self.spec.name, self.unique, values, owner)
        columns = {self.spec.column(name): value for name, value in row.items()}
        return self._layout.item(self._columns_of(values, columns))

    def owner(self, item: Item) -> dict[str, Any]:
        """What a stored guard item tells of its owner, by column: key or unique columns."""
        if self._layout is None:
            stored = decode_value(item[OWNER]) if OWNER in item else {}
            return {self.spec.column(name): value for name, value in dict(stored).items()}
        row, _ = self._layout.row(item)
        return row

    def _columns_of(self, values: Sequence[Any], columns: Mapping[str, Any]) -> dict[str, Any]:
        return {**columns, **dict(zip(self._columns, values, strict=True))}


def unique_guards(
    spec: EntitySpec, contract: Contract, item_table: Table, item_entity: Entity, prefix: str
) -> tuple[UniqueGuard, ...]:
    """The guards of every unique constraint of ``spec`` that needs one.

    ``item_table``/``item_entity`` are where the entity's own items are: a
    constraint whose columns alone make that item's key needs no guard, and the
    layer's own guards live in that table. (A case-insensitive constraint always
    needs its guard: the item key holds the value as written.)
    """
    guards = []
    for unique in spec.unique:
        columns = {spec.column(name) for name in unique.fields}
        if not unique.case_insensitive and _makes_the_key(item_table, item_entity, columns):
            continue
        declared = _declared_guard(contract, spec.table, columns)
        if declared is None:
            guards.append(UniqueGuard(spec, unique, item_table, prefix + item_table.name))
        else:
            table, entity = declared
            guards.append(UniqueGuard(spec, unique, table, prefix + table.name, entity))
    return tuple(guards)


def _makes_the_key(table: Table, entity: Entity, columns: set[str]) -> bool:
    templates = [entity.pk_template]
    if table.sk is not None and entity.sk_template is not None:
        templates.append(entity.sk_template)
    used = {name for template in templates for name in template.fields}
    return bool(used) and used == columns


def _declared_guard(
    contract: Contract, source_table: str, columns: set[str]
) -> tuple[Table, Entity] | None:
    for table in contract.tables:
        for entity in table.entities:
            if (
                entity.source_table == source_table
                and _is_guard_entity(entity)
                and set(entity.pk_template.fields) == columns
            ):
                return table, entity
    return None
