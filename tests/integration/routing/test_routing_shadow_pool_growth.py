"""Under a burst the shadow pool grows, and more of the burst is compared than with a fixed pool.

MariaDB (old, the caller's side at ``shadow``) and DynamoDB Local (new) behind a
fault proxy that is frozen during the burst, so every shadow read that reaches a
worker stays busy until the burst is over: what decides how much of the burst is
compared is only how much work the pool accepts, not how fast either side is.
A pool that may grow from 2 to 8 workers accepts (and compares) more of the same
burst than a pool fixed at 2; every read not compared is counted as ``pool_full``.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine
from support.proxy import FaultProxy
from support.stores import proxied_store_sides, store_tables

from dal import MemoryRecorder, Router, StaticFlags
from dal.routing import PoolState, ShadowSettings
from examples.store import NewUser, Store

ENTITIES = ("users", "categories", "products", "carts")
CALLERS = 4
READS_PER_CALLER = 6
BURST = CALLERS * READS_PER_CALLER
START = 2  # workers both pools start with
GROWN = 8  # the growing pool's max_workers
QUEUE = 2
DEADLINE = 120.0  # seconds: generous bounds on a loaded machine, never reached when it works


@pytest.fixture(scope="module")
def prefix(dynamodb_endpoint: str, table_prefix: str) -> str:
    return store_tables(dynamodb_endpoint, table_prefix + "poolgrow_")


@pytest.fixture
def sides(engine: Engine, prefix: str, dynamodb_proxy: FaultProxy) -> tuple[Store, Store]:
    """MySQL directly; DynamoDB through the proxy, patient enough to outlast a freeze."""
    return proxied_store_sides(engine, dynamodb_proxy.port, prefix, read_timeout=DEADLINE)


@pytest.fixture
def router_for() -> Iterator[Callable[[str, ShadowSettings | None], tuple[Router, MemoryRecorder]]]:
    """Routers at a stage, with their recorders; closed (every worker joined) afterwards."""
    routers: list[Router] = []

    def build(stage: str, shadow: ShadowSettings | None) -> tuple[Router, MemoryRecorder]:
        recorder = MemoryRecorder()
        router = Router(
            StaticFlags(dict.fromkeys(ENTITIES, stage)),
            recorder,
            shadow=shadow,
            metrics_interval=None,
        )
        routers.append(router)
        return router, recorder

    yield build
    for router in routers:
        router.close(timeout=DEADLINE)


def _seed(sides: tuple[Store, Store], router: Router, count: int) -> list[int]:
    """``count`` users written to both sides (at ``dual_write``)."""
    store = router.route_store(*sides)
    ids = []
    for _ in range(count):
        name = f"g{uuid.uuid4().hex[:12]}"
        user = store.users.create(
            NewUser(username=name, email=f"{name}@example.com", password_hash="h" * 20)
        )
        ids.append(user.id)
    assert router.flush(DEADLINE)
    return ids


@dataclass(frozen=True)
class Burst:
    """What the router did with a burst of reads."""

    pool: PoolState  # right after the burst, while every accepted read is still held
    compared: int
    dropped: Counter[str]


def _burst(
    routed: tuple[Router, MemoryRecorder],
    sides: tuple[Store, Store],
    proxy: FaultProxy,
    user_ids: list[int],
) -> Burst:
    """:data:`BURST` reads of seeded users by :data:`CALLERS` threads while DynamoDB is frozen."""
    router, recorder = routed
    store = router.route_store(*sides)
    errors: list[BaseException] = []

    def caller(number: int) -> None:
        try:
            for index in range(READS_PER_CALLER):
                user_id = user_ids[(number * READS_PER_CALLER + index) % len(user_ids)]
                assert store.users.get(user_id).id == user_id  # MySQL answers the caller
        except BaseException as error:
            errors.append(error)

    proxy.freeze()
    try:
        callers = [threading.Thread(target=caller, args=(n,)) for n in range(CALLERS)]
        for thread in callers:
            thread.start()
        for thread in callers:
            thread.join(DEADLINE)
        pool = router.shadow_pool()
    finally:
        proxy.heal()
    assert not errors, errors[0]
    assert router.flush(DEADLINE)
    dropped: Counter[str] = Counter()
    for drop in recorder.drops:
        dropped[drop.reason] += drop.count
    compared = sum(1 for c in recorder.comparisons if c.operation == "get")
    return Burst(pool, compared, dropped)


def test_under_a_burst_the_pool_grows_and_compares_more_than_a_fixed_pool(
    sides, router_for, dynamodb_proxy
):
    user_ids = _seed(sides, router_for("dual_write", None)[0], BURST)
    patient = {"budget": DEADLINE, "primary_wait": DEADLINE}  # a freeze is no timeout
    fixed = ShadowSettings(workers=START, max_workers=START, queue_size=QUEUE, **patient)
    growing = ShadowSettings(workers=START, max_workers=GROWN, queue_size=QUEUE, **patient)

    results = {}
    for name, settings in (("fixed", fixed), ("growing", growing)):
        results[name] = _burst(router_for("shadow", settings), sides, dynamodb_proxy, user_ids)

    for result in results.values():  # every read is either compared or dropped, by reason
        assert result.compared + sum(result.dropped.values()) == BURST, result
        assert set(result.dropped) <= {"pool_full"}, result
    assert results["fixed"].pool.largest == START
    assert results["growing"].pool.largest > START  # the burst grew the pool...
    assert results["growing"].pool.largest <= GROWN  # ...within its bound
    assert results["growing"].compared > results["fixed"].compared, results
