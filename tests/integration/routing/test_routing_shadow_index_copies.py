"""Shadow reads answered from an index's copy, on MariaDB (old) and DynamoDB Local (new).

The store keys a user's DynamoDB item by email, so ``users.get(id)`` finds it through
a GSI. With index copies (the default) the shadow read is that one Query; a
difference found in the copy is read again (the index, then the table) before it counts.
DynamoDB Local updates its indexes at once, so a copy that lags the table is made
by changing the Query's answer on the wire (a fault the server cannot produce).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from support.stores import store_tables
from support.wire import counted_requests

from adapters.dynamodb import DynamoClient
from adapters.dynamodb.client import connect
from adapters.mysql import SqlIdAllocator
from dal import MemoryRecorder, Router, StaticFlags
from dal.contract import load_contract
from dal.routing import ReplayingClock, ReplayingIdAllocator, ShadowSettings
from examples.store import CONTRACT, NewUser, Store
from examples.store.dynamodb import build_store as dynamo_store
from examples.store.sql import build_store as mysql_store
from interfaces import SystemClock

ENTITIES = ("users", "categories", "products", "carts", "orders")
PATIENT = ShadowSettings(budget=60.0, primary_wait=60.0)


@pytest.fixture(scope="module")
def prefix(dynamodb_endpoint: str, table_prefix: str) -> str:
    return store_tables(dynamodb_endpoint, table_prefix + "idxcopies_")


@pytest.fixture
def client(dynamodb_endpoint: str) -> DynamoClient:
    return DynamoClient(connect(dynamodb_endpoint, "us-east-1"))


@pytest.fixture
def sides(engine: Engine, client: DynamoClient, prefix: str) -> tuple[Store, Store]:
    clock = ReplayingClock(SystemClock())
    ids = ReplayingIdAllocator(SqlIdAllocator(engine))
    old = mysql_store(engine, clock=clock, ids=ids)
    new = dynamo_store(
        contract=load_contract(CONTRACT), table_prefix=prefix, client=client, clock=clock, ids=ids
    )
    return old, new


@pytest.fixture
def sent(client: DynamoClient) -> Iterator[Counter[str]]:
    """The DynamoDB operations the new side sends while the test runs, by name."""
    with counted_requests(client) as counts:
        yield counts


@pytest.fixture
def routed(sides: tuple[Store, Store]) -> Iterator[Callable[..., tuple[Store, Router, Any]]]:
    routers: list[Router] = []

    def build(stage: str, shadow: ShadowSettings = PATIENT) -> tuple[Store, Router, Any]:
        recorder = MemoryRecorder()
        router = Router(
            StaticFlags(dict.fromkeys(ENTITIES, stage)),
            recorder,
            shadow=shadow,
            metrics_interval=None,
        )
        routers.append(router)
        return router.route_store(*sides), router, recorder

    yield build
    for router in routers:
        router.close()


def _user(routed: Callable[..., tuple[Store, Router, Any]]) -> int:
    store, router, _ = routed("dual_write")
    name = f"i{uuid.uuid4().hex[:12]}"
    user = store.users.create(
        NewUser(username=name, email=f"{name}@example.com", password_hash="h" * 20)
    )
    assert router.flush(60)
    return user.id


def _gets(router: Router) -> dict[str, Any]:
    stats: dict[str, Any] = router.metrics.snapshot()["operations"]["users.get"]
    return stats


def test_a_shadow_read_by_id_is_one_query_when_the_copy_matches(routed, sent):
    user_id = _user(routed)
    store, router, recorder = routed("shadow")
    sent.clear()

    assert store.users.get(user_id).id == user_id
    assert router.flush(60)

    assert dict(sent) == {"Query": 1}
    assert (_gets(router)["comparisons"], _gets(router)["matches"]) == (1, 1)
    assert [c.matched for c in recorder.comparisons] == [True]


def test_without_index_copies_the_table_is_read_too(routed, sent):
    user_id = _user(routed)
    store, router, _ = routed("shadow", ShadowSettings(budget=60.0, index_copies=False))
    sent.clear()

    store.users.get(user_id)
    assert router.flush(60)

    assert dict(sent) == {"Query": 1, "GetItem": 1}
    assert _gets(router)["matches"] == 1


def test_a_copy_that_lags_the_table_is_read_again_and_not_counted(routed, sent, client):
    user_id = _user(routed)
    store, router, recorder = routed("shadow")

    def lagging(parsed: dict[str, Any], **_: Any) -> None:
        for item in parsed.get("Items", []):
            item["username"] = {"S": "an-older-name"}

    events = client.connection.client.meta.events
    events.register("after-call.dynamodb.Query", lagging)
    sent.clear()
    try:
        store.users.get(user_id)
        assert router.flush(60)
    finally:
        events.unregister("after-call.dynamodb.Query", lagging)

    assert dict(sent) == {"Query": 2, "GetItem": 1}  # the copy differed: read again, the table's
    assert (_gets(router)["comparisons"], _gets(router)["matches"]) == (1, 1)
    assert [c.matched for c in recorder.comparisons] == [True]


def test_a_difference_the_table_holds_too_is_recorded_once(routed, sent, sides):
    user_id = _user(routed)
    _, new = sides
    user = new.users.get(user_id)
    new.users.set_super_admin(user_id, not user.super_admin)  # DynamoDB alone changes
    store, router, recorder = routed("shadow")
    sent.clear()

    store.users.get(user_id)
    assert router.flush(60)

    assert dict(sent) == {"Query": 2, "GetItem": 1}
    stats = _gets(router)
    assert (stats["comparisons"], stats["mismatches"]) == (1, 1)
    (comparison,) = recorder.comparisons
    assert not comparison.matched
