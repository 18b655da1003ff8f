"""What every DynamoDB repository shares: the client, the layouts, the clock and id source.

:class:`Layouts` finds, in the contract, the entity of each legacy table (by its
``source_table``) and the GSIs used for lookups; :class:`Backend` adds the
reads every repository needs (a lookup through a GSI followed by a strongly
consistent read of the base item, queries of an item collection) and turns
stored rows into domain models.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from adapters.dynamodb.client import MAX_TRANSACTION_ACTIONS, DynamoClient, Item, Key
from adapters.dynamodb.expressions import Action, Expr, delete, put
from adapters.dynamodb.layout import EntityLayout, Index
from adapters.dynamodb.values import check_key, encode_value
from dal.contract import Contract, Entity, Table
from dal.contract.template import Template
from interfaces import (
    CartItem,
    Category,
    Clock,
    DalError,
    IdAllocator,
    Order,
    Product,
    User,
)

__all__ = [
    "ORDER_LINES",
    "UNIQUE_SK",
    "Backend",
    "Guard",
    "Layouts",
    "key_of",
    "to_model",
    "transact_in_steps",
]

M = TypeVar("M", bound=BaseModel)
UNIQUE_SK = "#UNIQUE"
"""Sort key of unique-value guard items."""


@dataclass(frozen=True)
class Guard:
    """Unique-value guard items (``PK = template(value)``, ``SK = #UNIQUE``) in ``table``.

    ``layout`` is the contract's guard entity when the contract has one (it then
    decides the item's attributes); ``field`` is the guarded column.
    """

    table: str
    pk: str
    sk: str | None
    template: Template
    field: str
    layout: EntityLayout | None = None

    def key(self, value: str) -> Key:
        """The guard item's key for ``value``."""
        pk = self.template.render({self.field: value})
        check_key(pk, field=self.field, partition=True)
        key: Key = {self.pk: {"S": pk}}
        if self.sk is not None:
            key[self.sk] = {"S": UNIQUE_SK}
        return key

    def claim(self, value: str, owner_id: int) -> Action:
        """A Put of the guard that fails if ``value`` is already taken."""
        if self.layout is not None:
            item = self.layout.item({self.field: value, "id": owner_id})
        else:
            item = {**self.key(value), self.field: encode_value(value, self.field)}
            item["owner_id"] = encode_value(owner_id, "id")
        expr = Expr()
        return put(self.table, item, expr.missing(self.pk), expr)

    def release(self, value: str) -> Action:
        """A Delete of the guard of ``value``."""
        return delete(self.table, self.key(value))


ORDER_LINES = "order_items"
"""The row key of an order's lines: the legacy child table the ORDER item embeds."""


def _columns(model: type[BaseModel], leave_out: Sequence[str] = ()) -> tuple[str, ...]:
    return tuple(name for name in model.model_fields if name not in leave_out)


def _entity(contract: Contract, source_table: str) -> tuple[Table, Entity]:
    for table in contract.tables:
        for entity in table.entities:
            guard = entity.sk_template is not None and entity.sk_template.text == UNIQUE_SK
            if entity.source_table == source_table and not guard:
                return table, entity
    raise LookupError(f"the contract maps no entity from the MySQL table {source_table!r}")


@dataclass(frozen=True)
class Layouts:
    """The layout of every entity of the store, and the guard items of unique values."""

    users: EntityLayout
    carts: EntityLayout
    orders: EntityLayout
    products: EntityLayout
    categories: EntityLayout
    username: Guard
    category_name: Guard

    @classmethod
    def from_contract(cls, contract: Contract, prefix: str = "") -> Layouts:
        """Layouts with physical table names ``prefix + contract name``."""

        def layout(
            source: str, model: type[BaseModel], swap: tuple[str, str] | None = None
        ) -> EntityLayout:
            table, entity = _entity(contract, source)
            columns = _columns(model, () if swap is None else (swap[0],))
            if swap is not None:
                columns += (swap[1],)
            return EntityLayout(prefix + table.name, table, entity, columns)

        users = layout("users", User)
        categories = layout("categories", Category)
        return cls(
            users=users,
            carts=layout("shopping_carts", CartItem),
            orders=layout("orders", Order, swap=("items", ORDER_LINES)),
            products=layout("products", Product),
            categories=categories,
            username=_guard(users, "USERNAME#{username}", "username", contract, prefix),
            category_name=_guard(categories, "CATEGORY_NAME#{name}", "name", contract, prefix),
        )


def _guard(
    layout: EntityLayout, template: str, field: str, contract: Contract, prefix: str
) -> Guard:
    """The contract's guard entity of ``field`` (keyed by it alone), else ``template``."""
    table = layout.table
    for entity in table.entities:
        sk = entity.sk_template
        if entity.pk_template.fields == (field,) and sk is not None and sk.text == UNIQUE_SK:
            guard_layout = EntityLayout(layout.table_name, table, entity, (field, "id"))
            return Guard(
                layout.table_name, table.pk, table.sk, entity.pk_template, field, guard_layout
            )
    return Guard(layout.table_name, table.pk, table.sk, Template(template), field)


def to_model(model: type[M], row: Mapping[str, Any]) -> M:
    """The domain model of a stored row; a DalError naming the entity if the item is corrupt."""
    fields = {name: row[name] for name in model.model_fields if name in row}
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        raise DalError(f"a stored {model.__name__} item cannot be read: {exc}") from exc


@dataclass
class Backend:
    """Client, layouts, clock and ids shared by the repositories of one store."""

    client: DynamoClient
    layouts: Layouts
    clock: Clock
    ids: IdAllocator

    def now(self) -> datetime:
        """The clock's time (read once per command)."""
        return self.clock.now()

    def get(self, layout: EntityLayout, row: Mapping[str, Any]) -> Item | None:
        """The item of ``row``'s key, strongly consistent."""
        return self.client.get(layout.table_name, layout.key(row))

    def query(
        self,
        layout: EntityLayout,
        index: Index,
        partition: Any,
        *,
        sort_prefix: str | None = None,
        sort_from: Any = None,
        forward: bool = True,
    ) -> Iterator[Item]:
        """Items of one partition of the table or a GSI (base-table reads are consistent).

        ``partition`` and ``sort_from`` are wire values; ``sort_prefix`` a string.
        """
        expr = Expr()
        condition = f"{expr.name(index.pk)} = {expr.wire(partition)}"
        if index.sk is not None and sort_prefix is not None:
            condition += f" AND begins_with({expr.name(index.sk)}, {expr.value(sort_prefix)})"
        elif index.sk is not None and sort_from is not None:
            condition += f" AND {expr.name(index.sk)} >= {expr.wire(sort_from)}"
        request: dict[str, Any] = {
            "TableName": layout.table_name,
            "ScanIndexForward": forward,
            **expr.request(KeyConditionExpression=condition),
        }
        if index.name is None:
            request["ConsistentRead"] = True
        else:
            request["IndexName"] = index.name
        return self.client.items("Query", request)

    def scan(self, layout: EntityLayout, *, having: str) -> Iterator[Item]:
        """Every item of the layout's table carrying the attribute ``having`` (consistent)."""
        expr = Expr()
        request = {
            "TableName": layout.table_name,
            "ConsistentRead": True,
            **expr.request(FilterExpression=expr.exists(having)),
        }
        return self.client.items("Scan", request)

    def lookup(self, layout: EntityLayout, column: str, value: Any) -> Item | None:
        """The item whose ``column`` equals ``value``, found through the GSI on that column.

        The GSI read is eventually consistent; the item returned is then read
        again from the base table, strongly consistent.
        """
        index = layout.index_on(column)
        partition = layout.key_value(index.pk, {column: value})
        for found in self.query(layout, index, partition):
            if layout.owns(found) and layout.row(found)[0].get(column) in (value, str(value)):
                return self.client.get(layout.table_name, key_of(layout, found))
        return None

    def transact(self, actions: Sequence[Action]) -> None:
        """Run ``actions`` in one TransactWriteItems."""
        self.client.transact(actions)


def key_of(layout: EntityLayout, item: Item) -> Key:
    """The primary key of a stored item."""
    names = [layout.table.pk] + ([layout.table.sk] if layout.table.sk else [])
    return {name: item[name] for name in names}


def transact_in_steps(
    backend: Backend, core: Sequence[Action], groups: Sequence[Sequence[Action]]
) -> None:
    """Run ``core`` and ``groups`` atomically when they fit in one transaction (100 actions).

    Beyond that, ``core`` runs first together with as many whole groups as fit,
    and the remaining groups follow in further transactions of whole groups;
    each group (a delete and its re-put, for example) stays atomic, the whole
    no longer is.
    """
    batch = list(core)
    for group in groups:
        if len(batch) + len(group) > MAX_TRANSACTION_ACTIONS:
            backend.transact(batch)
            batch = []
        batch.extend(group)
    backend.transact(batch)
