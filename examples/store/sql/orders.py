"""Orders with their lines on the legacy ``orders`` and ``order_items`` tables.

User and status listings are keyset-paged newest first, by ``(created_at, id)``
descending. Checkout runs in a savepoint: the cart and its products are locked,
every check is made and the order is built before anything is written, and
stock is taken with the guarded UPDATE of :func:`~examples.store.sql.products.take_stock`;
if anything fails, the savepoint is rolled back and nothing has changed, even
when the caller swallows the error and commits its unit of work.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, func, select

from examples.store.errors import EmptyCart, InsufficientInventory
from examples.store.listings import NEWEST_FIRST, ORDERS_BY_STATUS, ORDERS_BY_USER, PageRequest
from examples.store.models import NewOrder, NewOrderItem, Order, OrderItem, OrderStatus
from examples.store.rules import check_status, check_stock, check_version
from examples.store.schema import order_items, orders, products, shopping_carts
from examples.store.shared import build, new_order
from examples.store.sql.base import Context, SqlRepository, translated
from examples.store.sql.paging import KeysetOrder, fetch_page
from examples.store.sql.products import PRODUCT, take_stock
from examples.store.sql.records import AnyRow, AnySelect, Entity, Records
from examples.store.sql.users import USER
from interfaces.errors import NotFound
from interfaces.paging import DEFAULT_PAGE_SIZE, Page

__all__ = ["ORDER", "SqlOrderRepository"]

ORDER = Entity(
    "order",
    orders,
    Order,
    null_defaults={"status": OrderStatus.PENDING.value},
    converters={"status": OrderStatus},
)

_NEWEST_FIRST = KeysetOrder(expressions=(orders.c.created_at, orders.c.id), order=NEWEST_FIRST)
"""The order of every order listing: (created_at, id) descending."""

_ITEMS = (
    select(
        order_items.c.order_id,
        order_items.c.product_id,
        order_items.c.quantity,
        order_items.c.price_at_time,
    )
    .where(order_items.c.order_id.in_(bindparam("ids", expanding=True)))
    .order_by(order_items.c.id)
)

_CART = (
    select(
        shopping_carts.c.product_id,
        shopping_carts.c.quantity,
        products.c.price,
        products.c.inventory_quantity,
    )
    .join(products, products.c.id == shopping_carts.c.product_id)
    .where(shopping_carts.c.user_id == bindparam("user_id"))
    .order_by(shopping_carts.c.product_id)
    .with_for_update()
)


@translated
class SqlOrderRepository(SqlRepository):
    """:class:`~interfaces.OrderRepository` over the ``orders`` and ``order_items`` tables."""

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self._rows = Records(context, ORDER)
        self._users = Records(context, USER)
        self._products = Records(context, PRODUCT)
        self._count = select(func.count()).where(orders.c.user_id == bindparam("user_id"))
        self._pages = {
            (column, resume): _NEWEST_FIRST.paged(
                self._rows.select.where(orders.c[column] == bindparam("b_value")), resume
            )
            for column in ("user_id", "status")
            for resume in (False, True)
        }

    def get(self, order_id: int) -> Order:
        """The order with its items; NotFound."""
        statement = self._rows.select.where(orders.c.id == order_id)
        found = self._assemble(self._context.connection().execute(statement).all())
        if not found:
            raise NotFound("order", order_id)
        return found[0]

    def list_by_user(
        self, user_id: int, page_size: int = DEFAULT_PAGE_SIZE, page_token: str | None = None
    ) -> Page[Order]:
        """The user's orders, newest first, paged."""
        request = ORDERS_BY_USER.request(user_id, page_size, page_token)
        return self._page(request, "user_id", user_id)

    def list_by_status(
        self, status: OrderStatus, page_size: int = DEFAULT_PAGE_SIZE, page_token: str | None = None
    ) -> Page[Order]:
        """Orders with ``status``, newest first, paged; ValidationFailed(field="status")."""
        wanted = check_status(status)
        request = ORDERS_BY_STATUS.request(wanted, page_size, page_token)
        return self._page(request, "status", wanted.value)

    def count_by_user(self, user_id: int) -> int:
        """How many orders the user has."""
        counted = self._context.connection().execute(self._count, {"user_id": user_id})
        return int(counted.scalar_one())

    def create(self, new: NewOrder) -> Order:
        """Create an order with its lines as given; NotFound for a missing user or product."""
        self._users.require(new.user_id)
        for line in new.items:
            self._products.require(line.product_id)
        return self._store(new.user_id, new.items, new.status, self._context.now())

    def update_status(
        self, order_id: int, status: OrderStatus, expected_version: int | None = None
    ) -> Order:
        """Set the status; ValidationFailed(field="status"), NotFound, ConcurrencyConflict."""
        wanted = check_status(status)
        current = self._rows.lock(order_id)
        check_version("order", order_id, current.version, expected_version)
        self._rows.revise(order_id, {"status": wanted.value})
        return self.get(order_id)

    def checkout(self, user_id: int) -> Order:
        """Turn the user's cart into a pending order, atomically.

        NotFound for a missing user, EmptyCart, InsufficientInventory for the
        first line (by product id) short of stock. On any error nothing changes.
        """
        self._users.require(user_id)
        with self._context.savepoint() as connection:
            cart = connection.execute(_CART, {"user_id": user_id}).all()
            if not cart:
                raise EmptyCart(user_id)
            for row in cart:
                check_stock(row.product_id, row.quantity, row.inventory_quantity)
            now = self._context.now()
            lines = [
                NewOrderItem(product_id=r.product_id, quantity=r.quantity, price_at_time=r.price)
                for r in cart
            ]
            order = self._store(user_id, lines, OrderStatus.PENDING, now)
            for row in cart:
                if not take_stock(self._context, row.product_id, row.quantity, now):
                    available = self._products.get(row.product_id).inventory_quantity
                    raise InsufficientInventory(row.product_id, row.quantity, available)
            connection.execute(shopping_carts.delete().where(shopping_carts.c.user_id == user_id))
        return order

    def _store(
        self, user_id: int, lines: Sequence[NewOrderItem], status: OrderStatus, now: datetime
    ) -> Order:
        """Build and insert an order and its lines (validated before anything is written)."""
        items = [build(OrderItem, **line.model_dump()) for line in lines]
        order = new_order(self._context.new_id("orders"), user_id, items, status, now)
        rows = [
            {**item.model_dump(), "id": self._context.new_id("order_items"), "order_id": order.id}
            for item in items
        ]
        with self._context.savepoint() as connection:
            connection.execute(
                orders.insert(), {**order.model_dump(exclude={"items"}), "status": status.value}
            )
            connection.execute(order_items.insert(), rows)
        return order

    def _page(self, request: PageRequest, column: str, value: object) -> Page[Order]:
        """A page of the orders whose ``column`` holds ``value``, newest first."""

        def statement_for(resume: bool) -> AnySelect:
            return self._pages[(column, resume)]

        connection = self._context.connection()
        params = {"b_value": value}
        return fetch_page(connection, statement_for, request, params, self._assemble)

    def _assemble(self, rows: Sequence[AnyRow]) -> list[Order]:
        """Orders of ``rows`` with their items (one query for all of them)."""
        if not rows:
            return []
        ids = [row.id for row in rows]
        found = self._context.connection().execute(_ITEMS, {"ids": ids}).all()
        items: dict[int, list[OrderItem]] = defaultdict(list)
        for item in found:
            items[item.order_id].append(
                OrderItem.model_construct(
                    product_id=item.product_id,
                    quantity=item.quantity,
                    price_at_time=item.price_at_time,
                )
            )
        return [ORDER.from_row(row, items=tuple(items[row.id])) for row in rows]
