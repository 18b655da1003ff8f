"""Shopping carts in DynamoDB: CART items in the owner's collection of the Users table.

Each line carries a snapshot of the product's name and price (denormalized,
refreshed whenever the line is added to); cart reads are strongly consistent
queries of the collection, after a GSI lookup of the user's email by id.
"""

from __future__ import annotations

from typing import Any

from adapters.dynamodb.batch import batch_get, chunks
from adapters.dynamodb.client import MAX_TRANSACTION_ACTIONS, Item
from adapters.dynamodb.errors import ConditionFailed
from adapters.dynamodb.expressions import Expr, delete
from examples.store import CartIssue, CartItem, CartLine, CartSummary, Product
from examples.store.dynamodb.base import Backend, key_of, to_model
from examples.store.dynamodb.collection import owner_fields, partition_of
from examples.store.dynamodb.users import require_user
from examples.store.rules import MAX_QUANTITY, check_quantity
from examples.store.shared import build, cart_issues, cart_summary
from interfaces import NotFound, UnstorableValue

__all__ = ["DynamoCartRepository", "cart_lines"]


def cart_lines(backend: Backend, email: str) -> list[tuple[Item, CartLine]]:
    """The stored lines of ``email``'s cart (consistent), ordered by product id."""
    layout = backend.layouts.carts
    prefix = layout.entity.sk_template.prefix if layout.entity.sk_template else None
    items = backend.query(
        layout, layout.base, partition_of(layout, email), sort_prefix=prefix or None
    )
    lines = [(item, _line(backend, item)) for item in items if layout.owns(item)]
    return sorted(lines, key=lambda pair: pair[1].product_id)


def _snapshot_names(backend: Backend) -> tuple[str, str]:
    layout = backend.layouts.carts
    return (
        layout.joined("products", "name", "product_name"),
        layout.joined("products", "price", "price"),
    )


def _line(backend: Backend, item: Item) -> CartLine:
    row, derived = backend.layouts.carts.row(item)
    name, price = _snapshot_names(backend)
    return to_model(
        CartLine, {**row, "product_name": derived.get(name), "price": derived.get(price)}
    )


class DynamoCartRepository:
    """:class:`~interfaces.CartRepository` over CART items of the Users table."""

    def __init__(self, backend: Backend) -> None:
        self._b = backend
        self._layout = backend.layouts.carts

    # --- queries --------------------------------------------------------------------------

    def list_items(self, user_id: int) -> list[CartLine]:
        """The cart with the name and price snapshots, by product id (empty for no user)."""
        return [line for _, line in self._lines(user_id)]

    def get_item(self, user_id: int, product_id: int) -> CartItem | None:
        """One line of the cart (consistent read), or None."""
        email = self._email(user_id)
        item = None if email is None else self._b.get(self._layout, self._row(email, product_id))
        return None if item is None else _plain(_line(self._b, item))

    def item_count(self, user_id: int) -> int:
        """Total units in the cart."""
        return sum(line.quantity for line in self.list_items(user_id))

    def summary(self, user_id: int) -> CartSummary:
        """Line count, units and subtotal (from the price snapshots)."""
        return cart_summary(user_id, self.list_items(user_id))

    def validate(self, user_id: int) -> list[CartIssue]:
        """Lines asking for more than the current stock (products read consistently)."""
        lines = self.list_items(user_id)
        stock = self._stock([line.product_id for line in lines])
        return cart_issues(lines, lambda product_id: stock.get(product_id, 0))

    # --- commands -------------------------------------------------------------------------

    def add_item(self, user_id: int, product_id: int, quantity: int = 1) -> CartItem:
        """Add units (an existing line grows): ValidationFailed, NotFound (user, product)."""
        check_quantity(quantity, minimum=1)
        email = require_user(self._b, user_id)[1].email
        product = self._product(product_id)
        return self._add(user_id, email, product, quantity)

    def update_quantity(self, user_id: int, product_id: int, quantity: int) -> CartItem:
        """Set a line's quantity (>= 1); NotFound when there is no line."""
        check_quantity(quantity, minimum=1)
        email = self._email(user_id)
        if email is None:
            raise NotFound("cart_item", (user_id, product_id))
        expr = Expr()
        values = dict(
            [
                self._layout.encode("quantity", quantity),
                self._layout.encode("updated_at", self._b.now()),
            ]
        )
        update = f"SET {expr.set_clause(values)}"
        try:
            item = self._b.client.update(
                self._layout.table_name,
                self._layout.key(self._row(email, product_id)),
                update,
                **expr.request(ConditionExpression=expr.exists(self._layout.table.pk)),
            )
        except ConditionFailed as missing:
            raise NotFound("cart_item", (user_id, product_id)) from missing
        return _plain(_line(self._b, item))

    def remove_item(self, user_id: int, product_id: int) -> None:
        """Remove a line; NotFound when there is none."""
        email = self._email(user_id)
        if email is None:
            raise NotFound("cart_item", (user_id, product_id))
        expr = Expr()
        try:
            self._b.client.delete(
                self._layout.table_name,
                self._layout.key(self._row(email, product_id)),
                **expr.request(ConditionExpression=expr.exists(self._layout.table.pk)),
            )
        except ConditionFailed as missing:
            raise NotFound("cart_item", (user_id, product_id)) from missing

    def clear(self, user_id: int) -> int:
        """Remove every line (deleted in transactions of up to 100); returns how many."""
        lines = self._lines(user_id)
        removals = [delete(self._layout.table_name, key_of(self._layout, i)) for i, _ in lines]
        for chunk in chunks(removals, MAX_TRANSACTION_ACTIONS):
            self._b.transact(chunk)
        return len(removals)

    # --- internals ------------------------------------------------------------------------

    def _email(self, user_id: int) -> str | None:
        item = self._b.lookup(self._b.layouts.users, "id", user_id)
        if item is None:
            return None
        return str(self._b.layouts.users.row(item)[0]["email"])

    def _lines(self, user_id: int) -> list[tuple[Item, CartLine]]:
        email = self._email(user_id)
        return [] if email is None else cart_lines(self._b, email)

    def _row(self, email: str, product_id: int, **fields: Any) -> dict[str, Any]:
        return {**owner_fields(self._layout, email), "product_id": product_id, **fields}

    def _product(self, product_id: int) -> Product:
        products = self._b.layouts.products
        item = self._b.get(products, {"id": product_id})
        if item is None:
            raise NotFound("product", product_id)
        return to_model(Product, products.row(item)[0])

    def _stock(self, product_ids: list[int]) -> dict[int, int]:
        products = self._b.layouts.products
        keys = [products.key({"id": pid}) for pid in product_ids]
        found = batch_get(self._b.client, products.table_name, keys, consistent=True)
        stock = {}
        for item in found:
            product = to_model(Product, products.row(item)[0])
            stock[product.id] = product.inventory_quantity
        return stock

    def _add(self, user_id: int, email: str, product: Product, quantity: int) -> CartItem:
        """One atomic UpdateItem: ADD to the quantity, keep created_at, refresh the snapshot."""
        now = self._b.now()
        line = build(
            CartItem,
            user_id=user_id,
            product_id=product.id,
            quantity=quantity,
            created_at=now,
            updated_at=now,
        )
        name, price = _snapshot_names(self._b)
        row = {**line.model_dump(), **owner_fields(self._layout, email)}
        item = self._layout.item(row, {name: product.name, price: product.price})
        key = self._layout.key(row)
        created = self._layout.attr("created_at")
        counted = self._layout.attr("quantity")
        expr = Expr()
        assignments = [
            f"{expr.name(k)} = if_not_exists({expr.name(k)}, {expr.wire(v)})"
            if k == created
            else f"{expr.name(k)} = {expr.wire(v)}"
            for k, v in item.items()
            if k not in key and k != counted
        ]
        expression = f"SET {', '.join(assignments)} ADD {expr.name(counted)} {expr.value(quantity)}"
        limit = expr.value(MAX_QUANTITY - quantity)
        room = f"{expr.missing(counted)} OR {expr.name(counted)} <= {limit}"
        try:
            stored = self._b.client.update(
                self._layout.table_name, key, expression, **expr.request(ConditionExpression=room)
            )
        except ConditionFailed as full:
            raise UnstorableValue(
                f"the line would exceed {MAX_QUANTITY} units", field="quantity"
            ) from full
        return _plain(_line(self._b, stored))


def _plain(line: CartLine) -> CartItem:
    return CartItem.model_validate(line.model_dump(exclude={"product_name", "price"}))
