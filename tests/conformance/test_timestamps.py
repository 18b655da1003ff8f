"""Timestamps come from the injected clock and come back exactly, aware and in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from support.clocks import RecordingClock
from support.factories import Seeder

from conformance.backends import StoreFactory
from examples.store import OrderStatus
from interfaces import SteppingClock

INSTANTS = {
    "eu-dst-start": datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC),
    "us-dst-end": datetime(2026, 11, 1, 5, 59, 58, tzinfo=UTC),
    "leap-day": datetime(2028, 2, 29, 23, 59, 57, tzinfo=UTC),
    "late-2037": datetime(2037, 12, 31, 23, 59, 50, tzinfo=UTC),
    "given-in-another-zone": datetime(2026, 6, 1, 2, 0, tzinfo=ZoneInfo("Asia/Tokyo")),
}


@pytest.mark.parametrize("start", list(INSTANTS.values()), ids=list(INSTANTS))
def test_timestamps_round_trip_exactly(make_store: StoreFactory, start: datetime) -> None:
    clock = RecordingClock(SteppingClock(start=start))
    store = make_store(clock)
    seed = Seeder(store)
    product = seed.product()
    user = seed.user()
    seed.cart(user.id, {product.id: 1})
    with store.unit_of_work():
        item = store.carts.get_item(user.id, product.id)
        order = store.orders.checkout(user.id)
        done = store.orders.update_status(order.id, OrderStatus.COMPLETED)
    with store.unit_of_work():
        stored_user = store.users.get(user.id)
        category = store.categories.get(product.category_id)
        stored_product = store.products.get(product.id)
        stored_order = store.orders.get(order.id)
    assert item is not None
    assert (stored_user, stored_order) == (user, done)
    stamps = [item.created_at, done.created_at, done.updated_at, category.created_at]
    stamps += [stored_user.updated_at, stored_product.updated_at]
    issued = set(clock.issued)
    assert all(stamp in issued for stamp in stamps)
    assert all(stamp.utcoffset() == timedelta(0) for stamp in stamps)
    assert min(issued) == start
