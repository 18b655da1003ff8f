"""The memory fake under contention: every command is atomic with respect to every other."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from functools import partial
from typing import TypeVar

import pytest

from examples.store import (
    InsufficientInventory,
    NewCategory,
    NewProduct,
    NewUser,
    Product,
    ProductChanges,
    Store,
    User,
)
from examples.store.memory import build_store
from interfaces import AlreadyExists, ConcurrencyConflict, DalError

THREADS = 16
T = TypeVar("T")


@pytest.fixture(autouse=True)
def _frequent_thread_switches() -> Iterator[None]:
    """Make the interpreter switch threads often, so races would show."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


def race(calls: list[Callable[[], T]]) -> list[T | DalError]:
    """Run ``calls`` at the same moment on separate threads; results or DalErrors, in order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T | DalError:
        barrier.wait()
        try:
            return call()
        except DalError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def new_user(store: Store, name: str, *, seller: bool = False) -> User:
    user = store.users.create(
        NewUser(username=name, email=f"{name}@example.com", password_hash="h", is_seller=seller)
    )
    return user


def new_product(store: Store, inventory: int) -> Product:
    seller = new_user(store, "seller", seller=True)
    category = store.categories.create(NewCategory(name="Tools"))
    return store.products.create(
        NewProduct(
            seller_id=seller.id,
            category_id=category.id,
            name="Hammer",
            price=Decimal("12.50"),
            inventory_quantity=inventory,
        )
    )


def test_concurrent_adds_to_one_line_lose_no_units() -> None:
    store = build_store()
    product = new_product(store, inventory=0)
    buyer = new_user(store, "buyer")

    race([lambda: store.carts.add_item(buyer.id, product.id, 3)] * THREADS)

    item = store.carts.get_item(buyer.id, product.id)
    assert item is not None
    assert item.quantity == 3 * THREADS


def test_concurrent_checkouts_never_oversell() -> None:
    store = build_store()
    product = new_product(store, inventory=THREADS // 2)
    buyers = [new_user(store, f"buyer{n}") for n in range(THREADS)]
    for buyer in buyers:
        store.carts.add_item(buyer.id, product.id, 1)

    outcomes = race([partial(store.orders.checkout, buyer.id) for buyer in buyers])

    failures = [o for o in outcomes if isinstance(o, DalError)]
    assert len(failures) == THREADS // 2
    assert all(isinstance(f, InsufficientInventory) and f.available == 0 for f in failures)
    assert store.products.get(product.id).inventory_quantity == 0
    assert store.products.get(product.id).version == 1 + THREADS // 2
    left_in_carts = sum(store.carts.item_count(b.id) for b in buyers)
    assert left_in_carts == len(failures)


def test_concurrent_creates_of_one_username_admit_exactly_one() -> None:
    store = build_store()

    outcomes = race([lambda: new_user(store, "same")] * THREADS)

    created = [o for o in outcomes if isinstance(o, User)]
    refused = [o for o in outcomes if isinstance(o, AlreadyExists)]
    assert len(created) == 1
    assert len(refused) == THREADS - 1
    assert {r.field for r in refused} == {"username"}
    assert store.users.get(created[0].id) == created[0]


def test_concurrent_updates_of_one_version_admit_exactly_one() -> None:
    store = build_store()
    product = new_product(store, inventory=1)
    seller_id = product.seller_id

    def rename(n: int) -> Callable[[], Product]:
        changes = ProductChanges(name=f"Hammer {n}")
        return lambda: store.products.update(product.id, seller_id, changes, expected_version=1)

    outcomes = race([rename(n) for n in range(THREADS)])

    updated = [o for o in outcomes if isinstance(o, Product)]
    assert len(updated) == 1
    assert sum(isinstance(o, ConcurrencyConflict) for o in outcomes) == THREADS - 1
    assert store.products.get(product.id) == updated[0]
    assert updated[0].version == 2


def test_concurrent_creates_get_distinct_ids() -> None:
    store = build_store()

    users = race([partial(new_user, store, f"u{n}") for n in range(THREADS)])

    ids = {u.id for u in users if isinstance(u, User)}
    assert ids == set(range(1, THREADS + 1))
