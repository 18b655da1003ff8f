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
from adapters.dynamodb.generic.guards import GUARD_SK, UniqueGuard, unique_guards
from adapters.dynamodb.layout import EntityLayout, Index
from dal.contract import Contract, Entity, Table
from examples.store import CartItem, Category, Order, Product, User
from examples.store.declarations import CATEGORIES, USERS
from interfaces import Clock, DalError, IdAllocator
from interfaces.consistency import use_index_copy
from interfaces.entities import EntitySpec

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
UNIQUE_SK = GUARD_SK
"""Sort key of unique-value guard items."""


@dataclass(frozen=True)
class Guard:
    """The guard items of one unique field, as the library writes them (a UniqueGuard).

    Under a case-insensitive declaration (``Unique(..., case_insensitive=True)``, what a
    ``_ci`` collation does in MySQL) a value is guarded by its case-folded form, so
    ``SELx`` collides with ``selx``; the backfill, verify and repair build the very same
    key (:meth:`adapters.rules.EntityRules.unique_value`).
    """

    guard: UniqueGuard
    field: str

    @property
    def table(self) -> str:
        """The physical table of the guard items."""
        return self.guard.table_name

    @property
    def case_insensitive(self) -> bool:
        """Whether values that differ only in case are one value."""
        return self.guard.unique.case_insensitive

    def folded(self, value: str) -> str:
        """``value`` as the guard compares it."""
        return value.casefold() if self.case_insensitive else value

    def same(self, one: str, other: str) -> bool:
        """Whether ``one`` and ``other`` are guarded by the same item."""
        return self.folded(one) == self.folded(other)

    def key(self, value: str) -> Key:
        """The guard item's key for ``value``."""
        return self.guard.key((self.folded(value),))

    def claim(self, value: str, owner_id: int) -> Action:
        """A Put of the guard that fails if ``value`` is already taken."""
        folded = self.folded(value)
        item = self.guard.item((folded,), {self.field: folded, "id": owner_id})
        expr = Expr()
        return put(self.table, item, expr.missing(self.guard.table.pk), expr)

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
    email: Guard | None = None
    """The guard of emails when the USER item (keyed by the email as written) is not enough:
    under a case-insensitive declaration of the email."""

    @classmethod
    def from_contract(
        cls,
        contract: Contract,
        prefix: str = "",
        *,
        users_spec: EntitySpec = USERS,
        categories_spec: EntitySpec = CATEGORIES,
    ) -> Layouts:
        """Layouts with physical table names ``prefix + contract name``.

        ``users_spec``/``categories_spec`` are the declarations whose unique constraints
        the guards enforce (the store's own by default; a database whose ``username``
        or ``email`` compares case-insensitively declares them ``case_insensitive``).
        """

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
            username=_guard(users_spec, "username", users, contract, prefix),
            category_name=_guard(categories_spec, "name", categories, contract, prefix),
            email=_optional_guard(users_spec, "email", users, contract, prefix),
        )


def _guard(
    spec: EntitySpec, field: str, layout: EntityLayout, contract: Contract, prefix: str
) -> Guard:
    """The guard of ``spec``'s unique ``field``: the contract's guard entity, else the library's."""
    for guard in unique_guards(spec, contract, layout.table, layout.entity, prefix):
        if guard.unique.fields == (field,):
            return Guard(guard, field)
    raise LookupError(f"{spec.name}.{field} needs no guard item: its value is the item key")


def _optional_guard(
    spec: EntitySpec, field: str, layout: EntityLayout, contract: Contract, prefix: str
) -> Guard | None:
    try:
        return _guard(spec, field, layout, contract, prefix)
    except LookupError:
        return None


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
        again from the base table, strongly consistent, unless the context allows
        the index's copy of the whole item (:func:`interfaces.consistency.index_copies`).
        """
        index = layout.index_on(column)
        partition = layout.key_value(index.pk, {column: value})
        for found in self.query(layout, index, partition):
            if layout.owns(found) and layout.row(found)[0].get(column) in (value, str(value)):
                if index.projected and use_index_copy():
                    return found
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
