"""Orders in memory: newest-first listings and an all-or-nothing checkout."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from examples.store.errors import EmptyCart
from examples.store.listings import ORDERS_BY_STATUS, ORDERS_BY_USER
from examples.store.memory.carts import cart_of
from examples.store.memory.state import Repository, synchronized
from examples.store.models import CartItem, NewOrder, Order, OrderItem, OrderStatus, Product
from examples.store.rules import check_status, check_stock, check_version
from examples.store.shared import build, new_order, revise
from interfaces.paging import DEFAULT_PAGE_SIZE, Page

__all__ = ["MemoryOrderRepository"]


@synchronized
class MemoryOrderRepository(Repository):
    """:class:`~interfaces.OrderRepository` over a :class:`MemoryState`."""

    def get(self, order_id: int) -> Order:
        """The order with its items; NotFound."""
        return self._db.orders.require(order_id)

    def list_by_user(
        self, user_id: int, page_size: int = DEFAULT_PAGE_SIZE, page_token: str | None = None
    ) -> Page[Order]:
        """The user's orders, newest first, paged."""
        request = ORDERS_BY_USER.request(user_id, page_size, page_token)
        return request.select(self._db.orders.select(lambda o: o.user_id == user_id))

    def list_by_status(
        self, status: OrderStatus, page_size: int = DEFAULT_PAGE_SIZE, page_token: str | None = None
    ) -> Page[Order]:
        """Orders with ``status``, newest first, paged; ValidationFailed(field="status")."""
        wanted = check_status(status)
        request = ORDERS_BY_STATUS.request(wanted, page_size, page_token)
        return request.select(self._db.orders.select(lambda o: o.status == wanted))

    def count_by_user(self, user_id: int) -> int:
        """How many orders the user has."""
        return len(self._db.orders.select(lambda o: o.user_id == user_id))

    def create(self, new: NewOrder) -> Order:
        """Create an order with its lines as given; NotFound for a missing user or product."""
        self._db.users.require(new.user_id)
        for line in new.items:
            self._db.products.require(line.product_id)
        items = [build(OrderItem, **line.model_dump()) for line in new.items]
        order = self._new_order(new.user_id, items, new.status, self._db.now())
        return self._db.orders.insert(order.id, order)

    def update_status(
        self, order_id: int, status: OrderStatus, expected_version: int | None = None
    ) -> Order:
        """Set the status; ValidationFailed(field="status"), NotFound, ConcurrencyConflict."""
        wanted = check_status(status)
        current = self._db.orders.require(order_id)
        check_version("order", order_id, current.version, expected_version)
        changed = revise(current, {"status": wanted}, self._db.now())
        return self._db.orders.put(order_id, changed)

    def checkout(self, user_id: int) -> Order:
        """Turn the user's cart into a pending order, atomically.

        NotFound for a missing user, EmptyCart, InsufficientInventory for the
        first line (by product id) short of stock. Everything is validated and
        built before anything is stored, so on any error nothing changes.
        """
        self._db.users.require(user_id)
        cart = cart_of(self._db, user_id)
        if not cart:
            raise EmptyCart(user_id)
        products = [self._db.products.require(item.product_id) for item in cart]
        for item, product in zip(cart, products, strict=True):
            check_stock(product.id, item.quantity, product.inventory_quantity)
        now = self._db.now()
        items = [_order_item(item, product) for item, product in zip(cart, products, strict=True)]
        order = self._new_order(user_id, items, OrderStatus.PENDING, now)
        reduced = [
            _reduced(product, item, now) for item, product in zip(cart, products, strict=True)
        ]
        for product in reduced:
            self._db.products.put(product.id, product)
        self._db.cart_items.delete_where(lambda item: item.user_id == user_id)
        return self._db.orders.insert(order.id, order)

    def _new_order(
        self, user_id: int, items: Sequence[OrderItem], status: OrderStatus, now: datetime
    ) -> Order:
        return new_order(self._db.new_id("orders"), user_id, items, status, now)


def _order_item(item: CartItem, product: Product) -> OrderItem:
    return build(
        OrderItem, product_id=item.product_id, quantity=item.quantity, price_at_time=product.price
    )


def _reduced(product: Product, item: CartItem, now: datetime) -> Product:
    return revise(product, {"inventory_quantity": product.inventory_quantity - item.quantity}, now)
