"""run_in_unit_of_work on a routed store: a real MariaDB deadlock under dual writes is retried."""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from support.stores import store_sides

from dal import MemoryRecorder, RepairLog, Router, StaticFlags
from examples.store import NewCategory, NewProduct, NewUser, Store
from interfaces import Backoff, run_in_unit_of_work


@pytest.fixture(scope="module")
def sides(engine: Engine, dynamodb_endpoint: str, table_prefix: str) -> tuple[Store, Store]:
    return store_sides(engine, dynamodb_endpoint, table_prefix + "retry_")


def test_a_deadlocked_routed_unit_of_work_runs_again_on_both_sides(
    sides: tuple[Store, Store], tmp_path: Path
) -> None:
    router = Router(
        StaticFlags(dict.fromkeys(["users", "categories", "products", "carts"], "dual_write")),
        MemoryRecorder(),
        repair_log=RepairLog(tmp_path / "repair.jsonl"),
        metrics_interval=None,
    )
    store: Any = router.route_store(*sides)
    name = uuid.uuid4().hex[:10]
    with store.unit_of_work():
        seller = store.users.create(
            NewUser(
                username=name,
                email=f"{name}@example.com",
                password_hash="h" * 20,
                is_seller=True,
            )
        )
        category = store.categories.create(NewCategory(name=f"c{name}"))
        ids = [
            store.products.create(
                NewProduct(
                    seller_id=seller.id,
                    category_id=category.id,
                    name=f"p{n}{name}",
                    price=Decimal("1.00"),
                    inventory_quantity=1,
                )
            ).id
            for n in range(2)
        ]
    both_locked = threading.Barrier(2, timeout=10)
    attempts = [0, 0]
    failures: list[BaseException] = []

    def restock(me: int) -> None:
        first, second = (ids[0], ids[1]) if me == 0 else (ids[1], ids[0])

        def work() -> None:
            attempts[me] += 1
            store.products.set_inventory(first, 10 + me)
            if attempts[me] == 1:
                both_locked.wait()  # each holds one row in MariaDB and asks for the other's
            store.products.set_inventory(second, 10 + me)

        try:
            run_in_unit_of_work(store.unit_of_work, work, backoff=Backoff(0.01, 0.05))
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=restock, args=(me,)) for me in (0, 1)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        router.close(timeout=30)

    assert failures == []
    assert sorted(attempts) == [1, 2]  # the deadlock's victim ran its whole work once more
    old, new = sides
    with old.unit_of_work():
        stored = [old.products.get(pid).inventory_quantity for pid in ids]
    with new.unit_of_work():
        copied = [new.products.get(pid).inventory_quantity for pid in ids]
    assert stored[0] == stored[1] in (10, 11)  # the unit of work that ran last wrote both rows
    assert copied == stored
