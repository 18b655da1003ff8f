"""A user's item collection in the Users table: the USER item, cart lines and orders.

The collection's partition key is rendered from the user's email, so the
entities that live in it (carts, orders) get their key from the owner's email
rather than from a column of their own.
"""

from __future__ import annotations

from typing import Any

from adapters.dynamodb.client import Item
from adapters.dynamodb.expressions import Action, Expr, delete, put
from adapters.dynamodb.layout import EntityLayout
from examples.store.dynamodb.base import Backend

__all__ = ["children", "move_actions", "owner_fields", "partition_of"]


def owner_fields(layout: EntityLayout, email: str) -> dict[str, Any]:
    """Row fields that place an item of ``layout`` in the collection of ``email``."""
    return dict.fromkeys(layout.entity.pk_template.fields, email)


def partition_of(layout: EntityLayout, email: str) -> Any:
    """The wire value of the collection's partition key."""
    return layout.key_value(layout.table.pk, owner_fields(layout, email))


def children(backend: Backend, email: str) -> list[tuple[EntityLayout, Item]]:
    """The cart lines and orders stored in ``email``'s collection, with their layouts."""
    layouts = backend.layouts
    found = []
    users = layouts.users
    for item in backend.query(users, users.base, partition_of(users, email)):
        for layout in (layouts.carts, layouts.orders):
            if layout.owns(item):
                found.append((layout, item))
                break
    return found


def move_actions(layout: EntityLayout, item: Item, new_email: str) -> list[Action]:
    """Delete ``item`` and put it again in the collection of ``new_email`` (a pair)."""
    pk = layout.table.pk
    key = {name: item[name] for name in (pk, layout.table.sk) if name is not None}
    moved = {**item, pk: partition_of(layout, new_email)}
    expr = Expr()
    return [delete(layout.table_name, key), put(layout.table_name, moved, expr.missing(pk), expr)]
