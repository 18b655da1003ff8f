"""OrderRepository.checkout: the cart becomes an order, all or nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from support.clocks import RecordingClock
from support.factories import Seeder

from conformance.backends import Backend
from examples.store import (
    EmptyCart,
    InsufficientInventory,
    OrderItem,
    OrderStatus,
    Product,
    ProductChanges,
    Store,
)
from interfaces import NotFound, ValidationFailed

State = tuple[object, ...]


def state(store: Store, user_id: int, products: list[Product]) -> State:
    """What checkout may change: the cart, the products, the orders."""
    with store.unit_of_work():
        return (
            store.carts.list_items(user_id),
            [store.products.get(p.id) for p in products],
            store.orders.count_by_user(user_id),
            store.orders.list_by_status(OrderStatus.PENDING).items,
        )


def test_checkout(store: Store, seed: Seeder, clock: RecordingClock) -> None:
    user = seed.user()
    first, second, third = seed.products(3, price="2.50", inventory_quantity=5)
    seed.cart(user.id, {third.id: 1, first.id: 5, second.id: 2})
    changes = ProductChanges(price=Decimal("3.10"))
    with store.unit_of_work():
        second = store.products.update(second.id, second.seller_id, changes)
    mark = clock.mark()
    with store.unit_of_work():
        order = store.orders.checkout(user.id)
    assert order.items == (
        OrderItem(product_id=first.id, quantity=5, price_at_time=Decimal("2.50")),
        OrderItem(product_id=second.id, quantity=2, price_at_time=Decimal("3.10")),
        OrderItem(product_id=third.id, quantity=1, price_at_time=Decimal("2.50")),
    )
    assert str(order.total_amount) == "21.20"
    assert (order.user_id, order.status, order.version) == (user.id, OrderStatus.PENDING, 1)
    assert order.created_at == order.updated_at
    assert order.created_at in clock.issued_since(mark)
    with store.unit_of_work():
        assert store.orders.get(order.id) == order
        assert store.orders.list_by_user(user.id).items == (order,)
        assert store.carts.list_items(user.id) == []
        stock = [store.products.get(p.id) for p in (first, second, third)]
    assert [p.inventory_quantity for p in stock] == [0, 3, 4]
    assert [p.version for p in stock] == [first.version + 1, second.version + 1, third.version + 1]


def test_checkout_leaves_other_carts_alone(store: Store, seed: Seeder) -> None:
    ana, bob = seed.user(), seed.user()
    product = seed.product(inventory_quantity=5)
    seed.cart(ana.id, {product.id: 2})
    seed.cart(bob.id, {product.id: 3})
    with store.unit_of_work():
        store.orders.checkout(ana.id)
    with store.unit_of_work():
        assert store.carts.item_count(bob.id) == 3
        assert store.products.get(product.id).inventory_quantity == 3


def test_checkout_of_an_empty_cart_fails(store: Store, seed: Seeder) -> None:
    user, product = seed.user(), seed.product()
    before = state(store, user.id, [product])
    with store.unit_of_work():
        with pytest.raises(EmptyCart) as raised:
            store.orders.checkout(user.id)
    assert raised.value.user_id == user.id
    assert state(store, user.id, [product]) == before


def test_checkout_twice_fails_the_second_time(store: Store, seed: Seeder) -> None:
    user, product = seed.user(), seed.product()
    seed.cart(user.id, {product.id: 1})
    with store.unit_of_work():
        store.orders.checkout(user.id)
        with pytest.raises(EmptyCart):
            store.orders.checkout(user.id)
    with store.unit_of_work():
        assert store.orders.count_by_user(user.id) == 1


def test_checkout_for_a_missing_user_fails(store: Store) -> None:
    with store.unit_of_work():
        with pytest.raises(NotFound) as raised:
            store.orders.checkout(3131)
    assert raised.value.key == 3131


def test_checkout_one_line_short_changes_nothing(
    store: Store, seed: Seeder, backend: Backend
) -> None:
    user = seed.user()
    products = seed.products(4, inventory_quantity=3)
    seed.cart(user.id, {products[0].id: 3, products[1].id: 2, products[2].id: 4, products[3].id: 9})
    before = state(store, user.id, products)
    with store.unit_of_work():
        with pytest.raises(InsufficientInventory) as raised:
            store.orders.checkout(user.id)
    error = raised.value
    assert (error.product_id, error.requested) == (products[2].id, 4)
    assert error.available == 3 if backend.reports_available_stock else error.available in (3, None)
    assert state(store, user.id, products) == before


def test_checkout_error_swallowed_by_the_caller_changes_nothing(store: Store, seed: Seeder) -> None:
    user = seed.user()
    products = seed.products(3, inventory_quantity=2)
    seed.cart(user.id, {products[0].id: 1, products[1].id: 2, products[2].id: 3})
    before = state(store, user.id, products)
    with store.unit_of_work():
        with pytest.raises(InsufficientInventory):
            store.orders.checkout(user.id)
        marker = seed.category("Committed with the unit of work")
    assert state(store, user.id, products) == before
    with store.unit_of_work():
        assert store.categories.get(marker.id) == marker


def test_checkout_whose_total_cannot_be_stored_changes_nothing(store: Store, seed: Seeder) -> None:
    user = seed.user()
    products = seed.products(2, price="60000000.00", inventory_quantity=5)
    seed.cart(user.id, {products[0].id: 1, products[1].id: 1})
    before = state(store, user.id, products)
    with store.unit_of_work():
        with pytest.raises(ValidationFailed):
            store.orders.checkout(user.id)
    assert state(store, user.id, products) == before


def test_checkout_takes_the_last_units(store: Store, seed: Seeder) -> None:
    user, product = seed.user(), seed.product(inventory_quantity=2)
    seed.cart(user.id, {product.id: 2})
    with store.unit_of_work():
        order = store.orders.checkout(user.id)
    assert order.items[0].quantity == 2
    with store.unit_of_work():
        assert not store.products.has_inventory(product.id, 1)
