"""The thread pool's adaptive sampling (``ShadowSettings(adaptive=True)``), on MariaDB and
DynamoDB Local behind a frozen fault proxy: once the pool refuses a read, fewer reads are
offered to it, each counted as ``sampled_adaptive``; every read is compared or counted."""

from __future__ import annotations

import threading
import uuid
from collections import Counter

import pytest
from sqlalchemy import Engine
from support.proxy import FaultProxy
from support.stores import proxied_store_sides, store_tables

from dal import MemoryRecorder, Router, StaticFlags
from dal.routing import ShadowSettings
from examples.store import NewUser, Store

ENTITIES = ("users", "categories", "products", "carts")
CALLERS = 4
READS_PER_CALLER = 8
BURST = CALLERS * READS_PER_CALLER
DEADLINE = 120.0


@pytest.fixture(scope="module")
def prefix(dynamodb_endpoint: str, table_prefix: str) -> str:
    return store_tables(dynamodb_endpoint, table_prefix + "adaptive_")


@pytest.fixture
def sides(engine: Engine, prefix: str, dynamodb_proxy: FaultProxy) -> tuple[Store, Store]:
    return proxied_store_sides(engine, dynamodb_proxy.port, prefix, read_timeout=DEADLINE)


def _router(stage: str, shadow: ShadowSettings | None = None) -> tuple[Router, MemoryRecorder]:
    recorder = MemoryRecorder()
    flags = StaticFlags(dict.fromkeys(ENTITIES, stage))
    return Router(flags, recorder, shadow=shadow, metrics_interval=None), recorder


def test_a_refusing_pool_lowers_the_sampling_and_every_read_is_accounted_for(sides, dynamodb_proxy):
    seeder, _ = _router("dual_write")
    store = seeder.route_store(*sides)
    user_ids = []
    for _ in range(4):
        name = f"a{uuid.uuid4().hex[:12]}"
        user = store.users.create(
            NewUser(username=name, email=f"{name}@example.com", password_hash="h" * 20)
        )
        user_ids.append(user.id)
    seeder.close(DEADLINE)
    patient = {"budget": DEADLINE, "primary_wait": DEADLINE}
    shadow = ShadowSettings(workers=1, max_workers=1, queue_size=1, adaptive=True, **patient)
    router, recorder = _router("shadow", shadow)
    routed = router.route_store(*sides)
    errors: list[BaseException] = []

    def caller(number: int) -> None:
        try:
            for index in range(READS_PER_CALLER):
                user_id = user_ids[(number + index) % len(user_ids)]
                assert routed.users.get(user_id).id == user_id
        except BaseException as error:
            errors.append(error)

    dynamodb_proxy.freeze()
    try:
        callers = [threading.Thread(target=caller, args=(n,)) for n in range(CALLERS)]
        for thread in callers:
            thread.start()
        for thread in callers:
            thread.join(DEADLINE)
        sampling = router.shadow_sampling()
    finally:
        dynamodb_proxy.heal()
    assert not errors, errors[0]
    assert router.flush(DEADLINE)
    router.close(DEADLINE)

    stats = router.metrics.snapshot()["operations"]["users.get"]
    shadow_counts = Counter(stats["shadow"])
    assert sampling < 1.0
    assert shadow_counts["pool_full"] >= 1
    assert shadow_counts["sampled_adaptive"] >= 1
    assert set(shadow_counts) <= {"pool_full", "sampled_adaptive"}
    assert stats["comparisons"] + shadow_counts.total() == BURST
    assert stats["comparisons"] == len([c for c in recorder.comparisons if c.operation == "get"])


def test_without_adaptive_the_thread_pool_samples_as_the_flags_say():
    router, _ = _router("shadow")
    try:
        assert not router._services.settings.adapts
        assert router.shadow_sampling() == 1.0
    finally:
        router.close()
