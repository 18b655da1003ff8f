"""Orders in DynamoDB: ORDER items (lines embedded) in the owner's collection of the Users table.

An order is found by id through its GSI (eventually consistent, then re-read
from the base table). A user's orders are one strongly consistent query of the
collection, sorted client-side by (created_at, id) descending; orders by status
scan the Users table. Checkout is one TransactWriteItems: the order, every
product's conditional inventory reduction, the deletion of every cart line and
a check that the user still exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from adapters.dynamodb.batch import batch_get
from adapters.dynamodb.client import MAX_TRANSACTION_ACTIONS, Item
from adapters.dynamodb.errors import TransactionCancelled, translate
from adapters.dynamodb.expressions import Action, Expr, check, delete, put, update
from examples.store import (
    CartLine,
    EmptyCart,
    InsufficientInventory,
    NewOrder,
    Order,
    OrderItem,
    OrderStatus,
    Product,
)
from examples.store.dynamodb.base import ORDER_LINES, Backend, key_of, to_model
from examples.store.dynamodb.carts import cart_lines
from examples.store.dynamodb.collection import owner_fields, partition_of
from examples.store.dynamodb.products import inventory_change
from examples.store.dynamodb.users import require_user
from examples.store.dynamodb.versioning import Stale, retry_stale, version_condition
from examples.store.listings import ORDERS_BY_STATUS, ORDERS_BY_USER
from examples.store.rules import check_status, check_stock, check_version
from examples.store.shared import build, new_order, revise
from interfaces import AlreadyExists, NotFound, Page, ValidationFailed
from interfaces.paging import DEFAULT_PAGE_SIZE

__all__ = ["DynamoOrderRepository"]


class DynamoOrderRepository:
    """:class:`~interfaces.OrderRepository` over ORDER items of the Users table."""

    def __init__(self, backend: Backend) -> None:
        self._b = backend
        self._layout = backend.layouts.orders

    # --- queries --------------------------------------------------------------------------

    def get(self, order_id: int) -> Order:
        """The order with its items (GSI on the order id); NotFound."""
        return self._require(order_id)[1]

    def list_by_user(
        self, user_id: int, page_size: int = DEFAULT_PAGE_SIZE, page_token: str | None = None
    ) -> Page[Order]:
        """The user's orders, newest first: the whole collection's orders, sorted and cut."""
        request = ORDERS_BY_USER.request(user_id, page_size, page_token)
        return request.select(self._of_user(user_id))

    def list_by_status(
        self, status: OrderStatus, page_size: int = DEFAULT_PAGE_SIZE, page_token: str | None = None
    ) -> Page[Order]:
        """Orders with ``status``, newest first (a consistent Scan of the Users table)."""
        wanted = check_status(status)
        request = ORDERS_BY_STATUS.request(wanted, page_size, page_token)
        having = self._layout.attr("status")
        orders = (
            self._order(item)
            for item in self._b.scan(self._layout, having=having)
            if self._layout.owns(item)
        )
        return request.select(o for o in orders if o.status == wanted)

    def count_by_user(self, user_id: int) -> int:
        """How many orders the user has."""
        return len(self._of_user(user_id))

    # --- commands -------------------------------------------------------------------------

    def create(self, new: NewOrder) -> Order:
        """Create the order; NotFound for a missing user or product (checked in the transaction)."""
        user_item, user = require_user(self._b, new.user_id)
        products = self._products([line.product_id for line in new.items])
        for line in new.items:
            if line.product_id not in products:
                raise NotFound("product", line.product_id)
        items = [build(OrderItem, **line.model_dump()) for line in new.items]
        order = self._new_order(new.user_id, items, new.status)
        actions = [self._put(order, user.email), self._user_exists(user_item)]
        actions += [self._product_exists(products[line.product_id]) for line in new.items]
        if len(actions) > MAX_TRANSACTION_ACTIONS:
            actions = actions[:MAX_TRANSACTION_ACTIONS]  # products were checked just before
        try:
            self._b.transact(actions)
        except TransactionCancelled as cancelled:
            index = cancelled.failed_condition()
            if index == 1:
                raise NotFound("user", new.user_id) from cancelled
            if index is not None and index >= 2:
                raise NotFound("product", new.items[index - 2].product_id) from cancelled
            raise self._failed(cancelled, order) from cancelled
        return order

    def update_status(
        self, order_id: int, status: OrderStatus, expected_version: int | None = None
    ) -> Order:
        """Set the status: ValidationFailed(status), NotFound, ConcurrencyConflict."""
        wanted = check_status(status)
        return retry_stale(
            lambda: self._set_status(order_id, wanted, expected_version), "order", order_id
        )

    def checkout(self, user_id: int) -> Order:
        """Turn the cart into a pending order in one transaction (see the module docstring).

        NotFound (user), EmptyCart, InsufficientInventory for the first short line
        by product id. A cart of up to 49 lines is checked out in one transaction;
        up to 98 lines the order and the inventory are still one transaction and
        the cart lines are deleted right after it; more lines are refused
        (ValidationFailed), since DynamoDB cannot make them atomic.
        """
        return retry_stale(lambda: self._checkout(user_id), "cart", user_id)

    # --- internals ------------------------------------------------------------------------

    def _order(self, item: Item) -> Order:
        row = self._layout.row(item)[0]
        lines = tuple(OrderItem.model_validate(line) for line in row.get(ORDER_LINES) or [])
        return to_model(Order, {**row, "items": lines})

    def _require(self, order_id: int) -> tuple[Item, Order]:
        item = self._b.lookup(self._layout, "id", order_id)
        if item is None:
            raise NotFound("order", order_id)
        return item, self._order(item)

    def _of_user(self, user_id: int) -> list[Order]:
        item = self._b.lookup(self._b.layouts.users, "id", user_id)
        if item is None:
            return []
        email = str(self._b.layouts.users.row(item)[0]["email"])
        prefix = self._layout.entity.sk_template.prefix if self._layout.entity.sk_template else ""
        found = self._b.query(
            self._layout,
            self._layout.base,
            partition_of(self._layout, email),
            sort_prefix=prefix or None,
        )
        return [self._order(item) for item in found if self._layout.owns(item)]

    def _products(self, product_ids: Sequence[int]) -> dict[int, Item]:
        products = self._b.layouts.products
        keys = [products.key({"id": pid}) for pid in dict.fromkeys(product_ids)]
        found = batch_get(self._b.client, products.table_name, keys, consistent=True)
        return {to_model(Product, products.row(item)[0]).id: item for item in found}

    def _new_order(self, user_id: int, items: Sequence[OrderItem], status: OrderStatus) -> Order:
        now = self._b.now()
        return new_order(self._b.ids.allocate("orders"), user_id, items, status, now)

    def _put(self, order: Order, email: str, condition_version: int | None = None) -> Action:
        row: dict[str, Any] = {
            **order.model_dump(exclude={"items"}),
            ORDER_LINES: [line.model_dump() for line in order.items],
            **owner_fields(self._layout, email),
        }
        expr = Expr()
        if condition_version is None:
            condition = expr.missing(self._layout.table.pk)
        else:
            condition = version_condition(expr, self._layout.attr("version"), condition_version)
        return put(self._layout.table_name, self._layout.item(row), condition, expr)

    def _user_exists(self, user_item: Item) -> Action:
        users = self._b.layouts.users
        expr = Expr()
        return check(users.table_name, key_of(users, user_item), expr.exists(users.table.pk), expr)

    def _product_exists(self, product_item: Item) -> Action:
        products = self._b.layouts.products
        expr = Expr()
        key = key_of(products, product_item)
        return check(products.table_name, key, expr.exists(products.table.pk), expr)

    def _failed(self, cancelled: TransactionCancelled, order: Order) -> Exception:
        if cancelled.failed_condition() == 0:
            return AlreadyExists("order", "id", order.id)
        return translate(cancelled)

    def _set_status(self, order_id: int, status: OrderStatus, expected: int | None) -> Order:
        item, current = self._require(order_id)
        check_version("order", order_id, current.version, expected)
        new = revise(current, {"status": status}, self._b.now())
        row = self._layout.row(item)[0]
        email = str(row[self._layout.entity.pk_template.fields[0]])
        action = self._put(new, email, current.version)
        try:
            self._b.transact([action])
        except TransactionCancelled as cancelled:
            raise Stale() from cancelled
        return new

    def _checkout(self, user_id: int) -> Order:
        user_item, user = require_user(self._b, user_id)
        lines = cart_lines(self._b, user.email)
        if not lines:
            raise EmptyCart(user_id)
        if 2 + len(lines) > MAX_TRANSACTION_ACTIONS:
            raise ValidationFailed(
                f"a checkout of {len(lines)} lines exceeds what one DynamoDB transaction holds "
                f"({MAX_TRANSACTION_ACTIONS - 2} lines)",
                field="cart",
            )
        stored = self._products([line.product_id for _, line in lines])
        products = {
            pid: to_model(Product, self._b.layouts.products.row(item)[0])
            for pid, item in stored.items()
        }
        for _, line in lines:
            product = products.get(line.product_id)
            if product is None:
                raise NotFound("product", line.product_id)
            check_stock(product.id, line.quantity, product.inventory_quantity)
        items = [
            OrderItem(
                product_id=line.product_id,
                quantity=line.quantity,
                price_at_time=products[line.product_id].price,
            )
            for _, line in lines
        ]
        order = self._new_order(user_id, items, OrderStatus.PENDING)
        reductions = [
            self._reduce(stored[line.product_id], line, order.created_at) for _, line in lines
        ]
        removals = [self._remove(item, line) for item, line in lines]
        actions = [self._put(order, user.email), self._user_exists(user_item), *reductions]
        atomic_cart = len(actions) + len(removals) <= MAX_TRANSACTION_ACTIONS
        if atomic_cart:
            actions += removals
        try:
            self._b.transact(actions)
        except TransactionCancelled as cancelled:
            raise self._checkout_error(cancelled, user_id, lines, order) from cancelled
        if not atomic_cart:
            carts = self._b.layouts.carts
            self._b.transact([delete(carts.table_name, key_of(carts, item)) for item, _ in lines])
        return order

    def _reduce(self, product_item: Item, line: CartLine, now: datetime) -> Action:
        products = self._b.layouts.products
        expr, expression, condition = inventory_change(products, line.quantity, now, reduce=True)
        return update(
            products.table_name, key_of(products, product_item), expression, expr, condition
        )

    def _remove(self, item: Item, line: CartLine) -> Action:
        carts = self._b.layouts.carts
        expr = Expr()
        name, value = carts.encode("quantity", line.quantity)
        condition = f"{expr.name(name)} = {expr.wire(value)}"
        return delete(carts.table_name, key_of(carts, item), condition, expr)

    def _checkout_error(
        self,
        cancelled: TransactionCancelled,
        user_id: int,
        lines: list[tuple[Item, CartLine]],
        order: Order,
    ) -> Exception:
        failed = [i for i, r in enumerate(cancelled.reasons) if r.code == "ConditionalCheckFailed"]
        if 1 in failed:
            return NotFound("user", user_id)
        short = [i - 2 for i in failed if 2 <= i < 2 + len(lines)]
        if short:
            position = min(short, key=lambda i: lines[i][1].product_id)
            line = lines[position][1]
            old = cancelled.reasons[position + 2].old_item
            if old is None:
                return NotFound("product", line.product_id)
            available = to_model(Product, self._b.layouts.products.row(old)[0]).inventory_quantity
            return InsufficientInventory(line.product_id, line.quantity, available)
        if any(i >= 2 + len(lines) for i in failed):
            return Stale()  # the cart changed meanwhile: read it again
        return self._failed(cancelled, order)
