"""Unique-value guard items: one item per taken unique value, written with the entity's item.

A declared unique constraint (:class:`~interfaces.entities.Unique`) is enforced
on DynamoDB by a guard item in the entity's own table whose partition key is
the value itself (:func:`guard_partition`):
``UNIQUE#{entity}#{unique label}#{value}``, the values as
:meth:`adapters.rules.EntityRules.unique_value` gives them (casefolded under a
case-insensitive collation), several values joined with ``#``. The sort key is
``#UNIQUE`` when the table has one. A create puts the guard with
``attribute_not_exists``; an update that changes the value deletes the old guard
and puts the new one; a delete deletes it, each in the same transaction as the
entity's item. The backfill writes the same guards with :func:`guard_item`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from adapters.dynamodb.client import Item, Key
from adapters.dynamodb.values import check_key, encode_value, format_timestamp
from dal.contract import Table
from interfaces.entities import Unique

__all__ = ["GUARD_PREFIX", "GUARD_SK", "guard_item", "guard_key", "guard_partition", "is_guard"]

GUARD_PREFIX = "UNIQUE#"
"""How every guard item's partition key starts."""

GUARD_SK = "#UNIQUE"
"""The sort key of guard items (in tables that have a sort key)."""

OWNER = "owner"
"""The guard item's attribute holding the owning entity's key fields."""


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
    """The guard item's primary key; UnstorableValue naming the constraint if it is too long."""
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
    """The whole guard item: its key and the key fields of the entity that holds the value."""
    item: Item = dict(guard_key(table, entity, unique, values))
    item[OWNER] = encode_value(dict(owner), unique.label)
    return item


def is_guard(table: Table, item: Mapping[str, Any]) -> bool:
    """Whether ``item`` (wire form) is a guard item of ``table``."""
    if table.sk is not None:
        return bool(item.get(table.sk, {}).get("S") == GUARD_SK)
    return str(item.get(table.pk, {}).get("S", "")).startswith(GUARD_PREFIX)
