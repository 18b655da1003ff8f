"""OrderRepository: create with lines, status changes, newest-first listings, counts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from support.clocks import FixedClock, RecordingClock
from support.factories import Seeder

from conformance.backends import Backend, StoreFactory
from examples.store import NewOrder, NewOrderItem, Order, OrderItem, OrderStatus, Store
from interfaces import MAX_PAGE_SIZE, ConcurrencyConflict, NotFound


def line(product_id: int, quantity: int, price: str) -> NewOrderItem:
    return NewOrderItem(product_id=product_id, quantity=quantity, price_at_time=Decimal(price))


def test_create_order(store: Store, seed: Seeder, clock: RecordingClock) -> None:
    user = seed.user()
    a, b, c = seed.products(3)
    new = NewOrder(
        user_id=user.id, items=(line(c.id, 1, "3"), line(a.id, 2, "0.5"), line(b.id, 3, "7.25"))
    )
    mark = clock.mark()
    with store.unit_of_work():
        order = store.orders.create(new)
    assert order.user_id == user.id
    assert order.items == tuple(OrderItem(**i.model_dump()) for i in new.items)
    assert [i.product_id for i in order.items] == [c.id, a.id, b.id]
    assert str(order.total_amount) == "25.75"
    assert (order.status, order.version) == (OrderStatus.PENDING, 1)
    assert order.created_at == order.updated_at
    assert order.created_at in clock.issued_since(mark)
    assert order.created_at.utcoffset() == timedelta(0)
    with store.unit_of_work():
        assert store.orders.get(order.id) == order


def test_order_keeps_its_own_prices(store: Store, seed: Seeder) -> None:
    user, product = seed.user(), seed.product(price="9.99")
    new = NewOrder(user_id=user.id, items=(line(product.id, 1, "0"),))
    with store.unit_of_work():
        order = store.orders.create(new)
    with store.unit_of_work():
        stored = store.orders.get(order.id)
    assert [str(i.price_at_time) for i in stored.items] == ["0.00"]
    assert str(stored.total_amount) == "0.00"


def test_order_with_the_largest_total(store: Store, seed: Seeder) -> None:
    user, product = seed.user(), seed.product()
    new = NewOrder(user_id=user.id, items=(line(product.id, 1, "99999999.99"),))
    with store.unit_of_work():
        order = store.orders.create(new)
    with store.unit_of_work():
        stored = store.orders.get(order.id)
    assert str(stored.total_amount) == "99999999.99"
    assert str(stored.items[0].price_at_time) == "99999999.99"


@pytest.mark.parametrize("status", list(OrderStatus))
def test_create_order_with_a_status(store: Store, seed: Seeder, status: OrderStatus) -> None:
    user, product = seed.user(), seed.product()
    order = seed.order(user.id, [(product, 1)], status=status)
    with store.unit_of_work():
        assert store.orders.get(order.id).status == status


def test_create_order_for_a_missing_user_or_product_fails(store: Store, seed: Seeder) -> None:
    user, product = seed.user(), seed.product()
    with store.unit_of_work():
        with pytest.raises(NotFound) as no_user:
            store.orders.create(NewOrder(user_id=4040, items=(line(product.id, 1, "1"),)))
        items = (line(product.id, 1, "1"), line(5050, 1, "1"))
        with pytest.raises(NotFound) as no_product:
            store.orders.create(NewOrder(user_id=user.id, items=items))
    assert (no_user.value.key, no_product.value.key) == (4040, 5050)
    with store.unit_of_work():
        assert store.orders.count_by_user(user.id) == 0
        assert store.orders.count_by_user(4040) == 0
        assert store.orders.list_by_status(OrderStatus.PENDING).items == ()


def test_update_status(store: Store, seed: Seeder, clock: RecordingClock) -> None:
    user, product = seed.user(), seed.product()
    order = seed.order(user.id, [(product, 2)])
    mark = clock.mark()
    with store.unit_of_work():
        done = store.orders.update_status(order.id, OrderStatus.COMPLETED)
    assert (done.status, done.version) == (OrderStatus.COMPLETED, 2)
    assert done.created_at == order.created_at
    assert done.updated_at in clock.issued_since(mark)
    assert done.updated_at > order.updated_at
    assert (done.items, done.total_amount) == (order.items, order.total_amount)
    with store.unit_of_work():
        assert store.orders.get(order.id) == done
        assert store.orders.list_by_status(OrderStatus.COMPLETED).items == (done,)
        assert store.orders.list_by_status(OrderStatus.PENDING).items == ()


def test_update_status_with_versions(store: Store, seed: Seeder) -> None:
    user, product = seed.user(), seed.product()
    order = seed.order(user.id, [(product, 1)])
    with store.unit_of_work():
        current = store.orders.update_status(order.id, OrderStatus.CANCELLED, expected_version=1)
    with store.unit_of_work():
        with pytest.raises(ConcurrencyConflict) as raised:
            store.orders.update_status(order.id, OrderStatus.COMPLETED, expected_version=1)
    assert (raised.value.key, raised.value.expected_version) == (order.id, 1)
    with store.unit_of_work():
        assert store.orders.get(order.id) == current


def test_list_by_user_is_newest_first(store: Store, seed: Seeder) -> None:
    ana, bob = seed.user(), seed.user()
    product = seed.product()
    anas = [seed.order(ana.id, [(product, n)]) for n in (1, 2, 3)]
    bobs = [seed.order(bob.id, [(product, 1)])]
    with store.unit_of_work():
        assert store.orders.list_by_user(ana.id).items == tuple(reversed(anas))
        assert store.orders.list_by_user(bob.id).items == tuple(bobs)
        assert store.orders.list_by_user(9999).items == ()
        assert store.orders.count_by_user(ana.id) == 3
        assert store.orders.count_by_user(bob.id) == 1
        assert store.orders.count_by_user(9999) == 0


def test_list_by_status_is_newest_first_across_users(store: Store, seed: Seeder) -> None:
    ana, bob = seed.user(), seed.user()
    product = seed.product()
    orders = [
        seed.order(ana.id, [(product, 1)]),
        seed.order(bob.id, [(product, 1)], status=OrderStatus.COMPLETED),
        seed.order(bob.id, [(product, 2)]),
        seed.order(ana.id, [(product, 3)]),
    ]
    with store.unit_of_work():
        pending = store.orders.list_by_status(OrderStatus.PENDING).items
        completed = store.orders.list_by_status(OrderStatus.COMPLETED).items
        cancelled = store.orders.list_by_status(OrderStatus.CANCELLED).items
    assert pending == (orders[3], orders[2], orders[0])
    assert completed == (orders[1],)
    assert cancelled == ()


def test_orders_created_in_the_same_second_are_newest_id_first(
    make_store: StoreFactory, backend: Backend
) -> None:
    if not backend.ties_ordered_by_id:
        pytest.skip("this backend does not order ties by id")
    store = make_store(FixedClock())
    seed = Seeder(store)
    user, product = seed.user(), seed.product()
    orders: list[Order] = [seed.order(user.id, [(product, 1)]) for _ in range(4)]
    assert len({o.created_at for o in orders}) == 1
    newest_first = tuple(sorted(orders, key=lambda o: o.id, reverse=True))
    with store.unit_of_work():
        assert store.orders.list_by_user(user.id, page_size=MAX_PAGE_SIZE).items == newest_first
        by_status = store.orders.list_by_status(OrderStatus.PENDING, page_size=MAX_PAGE_SIZE)
    assert by_status.items == newest_first
