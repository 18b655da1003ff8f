"""What is particular to the SQL adapter: savepoints, concurrency, legacy collations, timestamps."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from mysql_legacy import create_legacy_store
from sqlalchemy import insert

from adapters.mysql import create_engine
from examples.store import (
    InsufficientInventory,
    NewCategory,
    NewProduct,
    NewUser,
    ProductFilter,
    Store,
)
from examples.store.migrations import upgrade
from examples.store.schema import products
from examples.store.sql import build_store
from examples.store.sql.products import take_stock
from interfaces import NoUnitOfWork, SteppingClock

_NOW = SteppingClock().now()


@pytest.fixture
def shop(store: Store) -> dict[str, int]:
    """A seller, a buyer, and two products (5 and 1 in stock) in the buyer's cart (2 and 3)."""
    with store.unit_of_work():
        seller = store.users.create(
            NewUser(username="sam", email="sam@example.com", password_hash="h", is_seller=True)
        )
        buyer = store.users.create(
            NewUser(username="bo", email="bo@example.com", password_hash="h")
        )
        category = store.categories.create(NewCategory(name="Books"))
        ids = {"seller": seller.id, "buyer": buyer.id}
        for key, stock in (("plenty", 5), ("scarce", 1)):
            product = store.products.create(
                NewProduct(
                    seller_id=seller.id,
                    category_id=category.id,
                    name=key,
                    price=Decimal("2.50"),
                    inventory_quantity=stock,
                )
            )
            ids[key] = product.id
        store.carts.add_item(buyer.id, ids["plenty"], 2)
        store.carts.add_item(buyer.id, ids["scarce"], 1)
    return ids


def test_failed_checkout_swallowed_by_the_caller_changes_nothing(
    store: Store, shop: dict[str, int]
) -> None:
    calls: list[int] = []

    def second_line_runs_out(*args: Any) -> bool:
        calls.append(1)
        return len(calls) < 2 and take_stock(*args)

    in_checkout = mock.patch("examples.store.sql.orders.take_stock", second_line_runs_out)
    with store.unit_of_work(), in_checkout:
        before = store.products.get(shop["plenty"])
        with contextlib.suppress(InsufficientInventory):  # the caller carries on and commits
            store.orders.checkout(shop["buyer"])
    assert len(calls) == 2  # the first line's stock was taken before the second failed
    with store.unit_of_work():
        assert store.products.get(shop["plenty"]) == before
        assert len(store.carts.list_items(shop["buyer"])) == 2
        assert store.orders.count_by_user(shop["buyer"]) == 0


def _in_threads(count: int, work: Callable[[], object]) -> None:
    threads = [threading.Thread(target=work) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


@pytest.mark.timeout(120)
def test_updates_without_an_expected_version_lose_no_change(
    store: Store, shop: dict[str, int]
) -> None:
    def promote() -> None:
        with store.unit_of_work():
            store.users.upgrade_to_seller(shop["buyer"])

    _in_threads(6, promote)
    with store.unit_of_work():
        assert store.users.get(shop["buyer"]).version == 1 + 6


def test_a_unit_of_work_belongs_to_its_own_thread(store: Store, shop: dict[str, int]) -> None:
    refused: list[Exception] = []

    def read() -> None:
        try:
            store.users.get(shop["buyer"])
        except NoUnitOfWork as error:
            refused.append(error)

    with store.unit_of_work():
        store.users.get(shop["buyer"])
        _in_threads(1, read)
    assert len(refused) == 1


def test_legacy_timestamps_read_as_utc(fresh_url: str) -> None:
    engine = create_engine(fresh_url)
    try:
        create_legacy_store(engine)  # rows stamped by the database's CURRENT_TIMESTAMP
        upgrade(engine)
        store = build_store(engine)
        with store.unit_of_work():
            created = store.users.get(1).created_at
        assert created.tzinfo is UTC
        assert abs(created - datetime.now(UTC)) < timedelta(minutes=5)
    finally:
        engine.dispose()


@pytest.fixture
def legacy_store(fresh_url: str) -> Store:
    """A store on a legacy database: on MariaDB its text columns compare case-insensitively."""
    engine = create_engine(fresh_url)
    create_legacy_store(engine)
    upgrade(engine)
    return build_store(engine, clock=SteppingClock())


_NAMES = ["apple", "Banana", "banana", "Éclair", "eclair", "Crème brûlée", "creme", "zeta "]


def test_text_compares_exactly_on_a_legacy_collation(legacy_store: Store) -> None:
    store = legacy_store
    with store.unit_of_work():
        for name in _NAMES:
            store.categories.create(NewCategory(name=name))
        assert [c.name for c in store.categories.list_all()] == sorted([*_NAMES, "Books", "Sci-Fi"])
        assert store.users.find_by_username("ADA") is None
        assert store.users.find_by_username("ada") is not None
        assert not store.users.email_exists("Ada@Example.com")
        assert not store.categories.name_exists("ECLAIR")
        assert not store.categories.name_exists("zeta")


def test_search_and_paging_follow_python_on_a_legacy_collation(
    legacy_store: Store, fresh_url: str
) -> None:
    store = legacy_store
    engine = create_engine(fresh_url)
    try:
        with engine.begin() as connection:  # products the legacy application added
            connection.execute(
                insert(products),
                [
                    {
                        "id": 100 + n,
                        "seller_id": 2,
                        "category_id": 3,
                        "name": name,
                        "price": Decimal(1),
                        "created_at": _NOW,
                        "updated_at": _NOW,
                    }
                    for n, name in enumerate(_NAMES)
                ],
            )
    finally:
        engine.dispose()
    every_name = sorted([*_NAMES, "Dune"])
    with store.unit_of_work():
        names: list[str] = []
        token = None
        while True:
            page = store.products.list(ProductFilter(category_id=3), page_size=3, page_token=token)
            names += [p.name for p in page.items]
            token = page.next_token
            if token is None:
                break
        found = [p.name for p in store.products.search("CRÈME").items]
        folded = [p.name for p in store.products.search("eclair").items]
    assert names == every_name
    assert found == ["Crème brûlée"]
    assert folded == ["eclair"]
