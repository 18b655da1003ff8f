"""The router over the real backends: MariaDB (old) and DynamoDB Local (new).

Both adapters share one replaying clock and one replaying id allocator, so a
dual write stores the same ids and timestamps on both sides; the unit-of-work
gap is shown for real: MariaDB rolls back, DynamoDB keeps the write, and the
repair log says so.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from support.stores import store_sides

from dal import (
    Category,
    MemoryRecorder,
    RepairLog,
    Router,
    ShadowSettings,
    StaticFlags,
)
from examples.store import NewCategory, NewProduct, NewUser, Store

ROOT = Path(__file__).parents[3]
STAGES = ("dual_write", "shadow", "live", "rampdown")


@pytest.fixture(scope="module")
def sides(engine: Engine, dynamodb_endpoint: str, table_prefix: str) -> tuple[Store, Store]:
    return store_sides(engine, dynamodb_endpoint, table_prefix + "router_")


@pytest.fixture
def routed(sides: tuple[Store, Store], tmp_path: Path) -> Iterator[Any]:
    routers: list[Router] = []

    def build(stage: str) -> tuple[Store, Router, MemoryRecorder]:
        recorder = MemoryRecorder()
        router = Router(
            StaticFlags(dict.fromkeys(["users", "categories", "products", "carts"], stage)),
            recorder,
            repair_log=RepairLog(tmp_path / "repair.jsonl"),
            # what is compared here, not how long it takes: a first write builds repositories
            shadow=ShadowSettings(write_budget=30.0),
            metrics_interval=None,
        )
        routers.append(router)
        return router.route_store(*sides), router, recorder

    yield build
    for router in routers:
        router.close(timeout=30)


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def drift(recorder: MemoryRecorder) -> list[Any]:
    return [
        (c.entity, c.operation, c.differences)
        for c in recorder.comparisons
        if c.category in (Category.DRIFT, Category.EXCEPTION)
    ]


@pytest.mark.slow
@pytest.mark.parametrize("stage", STAGES)
def test_dual_writes_store_the_same_entities_on_both_backends(routed, sides, stage):
    store, router, recorder = routed(stage)
    name = unique("u")
    with store.unit_of_work():
        user = store.users.create(
            NewUser(username=name, email=f"{name}@example.com", password_hash="h" * 20)
        )
        seller = store.users.upgrade_to_seller(user.id)
        category = store.categories.create(NewCategory(name=unique("c")))
        product = store.products.create(
            NewProduct(
                seller_id=user.id,
                category_id=category.id,
                name=unique("p"),
                price=Decimal("12.50"),
                inventory_quantity=5,
            )
        )
        store.carts.add_item(user.id, product.id, 2)
    old, new = sides
    for side in (old, new):
        with side.unit_of_work():
            assert side.users.get(user.id) == seller
            assert side.categories.get(category.id) == category
            assert side.products.get(product.id) == product
            assert side.carts.get_item(user.id, product.id).quantity == 2
    with store.unit_of_work():
        assert store.users.find_by_username(name) == seller
        assert store.products.get_details(product.id).seller_username == name
        assert [line.product_id for line in store.carts.list_items(user.id)] == [product.id]
    assert router.flush(timeout=60)
    assert drift(recorder) == []
    assert recorder.errors == []
    assert recorder.comparisons  # every stage compares command results at least


@pytest.mark.slow
def test_a_rolled_back_unit_of_work_leaves_dynamodb_ahead_and_the_repair_log_says_so(
    routed, sides, tmp_path
):
    store, _, _ = routed("shadow")
    name = unique("gap")
    created: list[int] = []

    def create_then_fail() -> None:
        with store.unit_of_work():
            user = store.users.create(
                NewUser(username=name, email=f"{name}@example.com", password_hash="h" * 20)
            )
            created.append(user.id)
            raise RuntimeError("the caller gives up")

    with pytest.raises(RuntimeError, match="gives up"):
        create_then_fail()
    old, new = sides
    with old.unit_of_work():
        assert old.users.find_by_username(name) is None  # MariaDB rolled back
    with new.unit_of_work():
        assert new.users.find_by_username(name) is not None  # DynamoDB kept the write
    [entry] = [e for e in RepairLog(tmp_path / "repair.jsonl").read() if e.result_key]
    assert (entry.entity, entry.operation, entry.side) == ("users", "create", "new")
    assert entry.reason == "unit_of_work_rolled_back"
    assert entry.result_key == {"id": created[0]}
    assert entry.args["new"]["password_hash"].startswith("<redacted:")


@pytest.mark.slow
def test_live_reads_are_served_by_dynamodb_and_compared_with_mariadb(routed, sides):
    store, router, recorder = routed("live")
    name = unique("live")
    with store.unit_of_work():
        user = store.users.create(
            NewUser(username=name, email=f"{name}@example.com", password_hash="h" * 20)
        )
    old, _ = sides
    with old.unit_of_work():  # only MariaDB learns of the change
        old.users.set_super_admin(user.id, True)
    with store.unit_of_work():
        answer = store.users.get(user.id)
    assert not answer.super_admin  # the caller gets DynamoDB's answer
    assert router.flush(timeout=60)
    [comparison] = [c for c in recorder.comparisons if c.operation == "get"]
    paths = {d.path for d in comparison.differences}
    assert {"super_admin", "version"} <= paths <= {"super_admin", "version", "updated_at"}
