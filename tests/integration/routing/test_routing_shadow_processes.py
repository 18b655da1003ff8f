"""Shadow reads in worker processes, on MariaDB (old) and DynamoDB Local (new).

The workers build the store on both backends from a picklable factory
(:func:`support.stores.shadow_parts`); DynamoDB is reached through a fault proxy
(its port works from any process), so a test can hold the workers' reads while it
fills the queue or kills a worker.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from support.children import children, kill_all, wait_gone
from support.proxy import FaultProxy
from support.stores import shadow_parts, store_sides, unreachable_parts

from dal import MemoryRecorder, Router, StaticFlags
from dal.routing import ShadowParts, ShadowSettings
from dal.routing.processes import START_ATTEMPTS
from examples.store import NewUser, Store

ENTITIES = ("users", "categories", "products", "carts")
DEADLINE = 120.0  # seconds: generous on a loaded machine, never reached when it works
PATIENT = {"budget": DEADLINE, "primary_wait": DEADLINE}


@pytest.fixture(scope="module")
def prefix(dynamodb_endpoint: str, table_prefix: str) -> str:
    from dal.aws import dynamodb_client
    from dal.contract import load_contract
    from dal.schema import create_tables
    from examples.store import CONTRACT

    chosen = table_prefix + "procshadow_"
    create_tables(dynamodb_client(dynamodb_endpoint, "us-east-1"), load_contract(CONTRACT), chosen)
    return chosen


@pytest.fixture
def sides(engine: Engine, dynamodb_endpoint: str, prefix: str) -> tuple[Store, Store]:
    return store_sides(engine, dynamodb_endpoint, prefix)


Build = Callable[..., tuple[Router, MemoryRecorder]]


@pytest.fixture
def router_for(engine: Engine, prefix: str, dynamodb_proxy: FaultProxy) -> Iterator[Build]:
    """Routers at a stage whose shadow reads run in worker processes; closed afterwards."""
    routers: list[Router] = []
    url = engine.url.render_as_string(hide_password=False)
    proxied = f"http://127.0.0.1:{dynamodb_proxy.port}"

    def build(
        stage: str,
        records: str | None = None,
        factory: Callable[[], ShadowParts] | None = None,
        repair_log: Path | None = None,
        **settings: object,
    ) -> tuple[Router, MemoryRecorder]:
        recorder = MemoryRecorder()
        shadow = ShadowSettings(**{"processes": 1, **PATIENT, **settings})  # type: ignore[arg-type]
        router = Router(
            StaticFlags(dict.fromkeys(ENTITIES, stage)),
            recorder,
            shadow=shadow,
            metrics_interval=None,
            shadow_factory=factory
            or functools.partial(shadow_parts, url, proxied, prefix, records),
            repair_log=repair_log,
        )
        routers.append(router)
        return router, recorder

    yield build
    dynamodb_proxy.heal()
    for router in routers:
        router.close(timeout=DEADLINE)


def _user(store: Store) -> int:
    name = f"p{uuid.uuid4().hex[:12]}"
    user = store.users.create(
        NewUser(username=name, email=f"{name}@example.com", password_hash="h" * 20)
    )
    return user.id


def _seed(sides: tuple[Store, Store], count: int, stage: str = "dual_write") -> list[int]:
    router = Router(StaticFlags(dict.fromkeys(ENTITIES, stage)), metrics_interval=None)
    try:
        store = router.route_store(*sides)
        return [_user(store) for _ in range(count)]
    finally:
        router.close()


def _shadow(router: Router) -> Counter[str]:
    found = router.metrics.snapshot()["operations"].get("users.get", {})
    return Counter(found.get("shadow", {}))


def test_reads_are_compared_in_a_worker_and_the_counts_reach_the_router(sides, router_for):
    user_ids = _seed(sides, 5)
    router, recorder = router_for("shadow")
    store = router.route_store(*sides)

    for user_id in user_ids:
        assert store.users.get(user_id).id == user_id
    assert router.flush(DEADLINE)  # waits for the workers

    stats = router.metrics.snapshot()["operations"]["users.get"]
    assert stats["comparisons"] == len(user_ids)
    assert stats["matches"] == len(user_ids)
    assert stats["latency_ms"]["new"]["count"] == len(user_ids)  # the worker's secondary reads
    matched = [c for c in recorder.comparisons if c.operation == "get"]
    assert len(matched) == len(user_ids)
    assert all(c.matched for c in matched)
    state = router.shadow_processes()
    assert state is not None
    assert state.processes == 1
    assert state.pending == 0
    assert router.shadow_pool().largest == 0  # no shadow thread in the caller's process


def test_a_difference_found_in_a_worker_is_recorded(sides, router_for):
    (only_in_mysql,) = _seed(sides, 1, stage="off")
    router, recorder = router_for("shadow")
    store = router.route_store(*sides)

    assert store.users.get(only_in_mysql).id == only_in_mysql
    assert router.flush(DEADLINE)

    (comparison,) = [c for c in recorder.comparisons if c.operation == "get"]
    assert not comparison.matched
    assert router.metrics.snapshot()["operations"]["users.get"]["mismatches"] == 1


def test_a_worker_with_a_recorder_of_its_own_writes_its_records_there(
    sides, router_for, tmp_path: Path
):
    (only_in_mysql,) = _seed(sides, 1, stage="off")
    folder = tmp_path / "records"
    router, recorder = router_for("shadow", records=str(folder))
    store = router.route_store(*sides)

    store.users.get(only_in_mysql)
    assert router.flush(DEADLINE)
    router.close(DEADLINE)

    assert not recorder.comparisons  # the worker recorded it, in its own file
    (written,) = list(folder.glob("*.jsonl"))
    assert str(os.getpid()) not in written.name
    lines = [json.loads(line) for line in written.read_text().splitlines()]
    (comparison,) = [line for line in lines if line["kind"] == "comparison"]
    assert comparison["matched"] is False
    assert comparison["operation"] == "get"
    assert router.metrics.snapshot()["operations"]["users.get"]["mismatches"] == 1


def test_flush_waits_for_reads_a_worker_holds(sides, router_for, dynamodb_proxy):
    user_ids = _seed(sides, 2)
    router, _ = router_for("shadow")
    store = router.route_store(*sides)
    store.users.get(user_ids[0])
    assert router.flush(DEADLINE)  # the worker is up

    dynamodb_proxy.freeze()
    store.users.get(user_ids[1])
    assert not router.flush(0.5)  # held by the frozen secondary
    dynamodb_proxy.heal()
    assert router.flush(DEADLINE)
    assert router.metrics.snapshot()["operations"]["users.get"]["comparisons"] == 2


def test_a_full_queue_drops_reads_as_queue_full_and_lowers_the_sampling(
    sides, router_for, dynamodb_proxy
):
    user_ids = _seed(sides, 8)
    router, recorder = router_for("shadow", queue_size=2, process_threads=1)
    store = router.route_store(*sides)
    store.users.get(user_ids[0])
    assert router.flush(DEADLINE)

    dynamodb_proxy.freeze()
    for user_id in user_ids:
        assert store.users.get(user_id).id == user_id  # the caller never waits
    state = router.shadow_processes()
    dynamodb_proxy.heal()
    assert router.flush(DEADLINE)

    assert state is not None
    assert state.pending == 3  # one running, two waiting
    assert state.sampling < 1.0
    shadow = _shadow(router)
    compared = router.metrics.snapshot()["operations"]["users.get"]["comparisons"]
    assert shadow["queue_full"] >= 1
    assert compared - 1 + shadow["queue_full"] + shadow["sampled_adaptive"] == len(user_ids)
    assert sum(d.count for d in recorder.drops if d.reason == "queue_full") == shadow["queue_full"]


def test_a_killed_worker_is_restarted_and_its_reads_count_as_lost(
    sides, router_for, dynamodb_proxy
):
    user_ids = _seed(sides, 4)
    router, recorder = router_for("shadow")
    store = router.route_store(*sides)
    store.users.get(user_ids[0])
    assert router.flush(DEADLINE)
    before = router.shadow_processes()
    assert before is not None
    assert len(before.pids) == 1

    dynamodb_proxy.freeze()
    store.users.get(user_ids[1])
    store.users.get(user_ids[2])
    os.kill(before.pids[0], signal.SIGKILL)
    assert router.flush(DEADLINE)  # the lost reads are done with
    dynamodb_proxy.heal()

    assert _shadow(router)["worker_lost"] == 2
    assert sum(d.count for d in recorder.drops if d.reason == "worker_lost") == 2
    deadline = time.monotonic() + DEADLINE
    while (after := router.shadow_processes()) is not None and after.processes < 1:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert after is not None
    assert after.restarts == 1
    assert after.pids != before.pids

    store.users.get(user_ids[3])  # the new worker compares
    assert router.flush(DEADLINE)
    assert router.metrics.snapshot()["operations"]["users.get"]["comparisons"] == 2


def test_close_stops_the_workers(sides, router_for):
    user_ids = _seed(sides, 1)
    router, _ = router_for("shadow", processes=2)
    store = router.route_store(*sides)
    store.users.get(user_ids[0])
    assert router.flush(DEADLINE)
    state = router.shadow_processes()
    assert state is not None
    assert len(state.pids) == 2

    router.close(DEADLINE)

    for pid in state.pids:
        with pytest.raises(ProcessLookupError):  # exited and reaped
            os.kill(pid, 0)
    assert store.users.get(user_ids[0]).id == user_ids[0]  # still answers, without shadow


def test_reads_are_compared_in_workers_while_secondary_writes_are_deferred(
    sides, router_for, tmp_path
):
    user_ids = _seed(sides, 3)
    router, _ = router_for("shadow", repair_log=tmp_path, secondary_writes="deferred")
    store = router.route_store(*sides)

    for user_id in user_ids:
        assert store.users.get(user_id).id == user_id
    assert router.flush(DEADLINE)

    stats = router.metrics.snapshot()["operations"]["users.get"]
    assert stats["comparisons"] == stats["matches"] == len(user_ids)
    state = router.shadow_processes()
    assert state is not None
    assert (state.restarts, state.error) == (0, None)


def test_workers_that_cannot_start_are_given_up_with_their_error(sides, router_for, caplog):
    user_ids = _seed(sides, 2)
    factory = functools.partial(unreachable_parts, "no route to the reads database")
    router, _ = router_for("shadow", factory=factory)
    store = router.route_store(*sides)

    deadline = time.monotonic() + DEADLINE
    reads = 0
    while (state := router.shadow_processes()) is None or state.error is None:
        assert time.monotonic() < deadline, state
        assert store.users.get(user_ids[reads % 2]).id == user_ids[reads % 2]  # still served
        reads += 1
        time.sleep(0.05)
    assert router.flush(DEADLINE)

    assert state.error == "ConnectionError: no route to the reads database"
    assert (state.processes, state.restarts) == (0, START_ATTEMPTS - 1)
    assert store.users.get(user_ids[0]).id == user_ids[0]
    assert router.flush(DEADLINE)
    dropped = _shadow(router)
    assert dropped["no_workers"] >= 1
    assert sum(dropped.values()) == reads + 1  # each read dropped, none compared
    assert router.metrics.snapshot()["operations"]["users.get"].get("comparisons", 0) == 0
    given_up = [r for r in caplog.records if "could not start 3 times" in r.getMessage()]
    assert len(given_up) == 1
    assert "no route to the reads database" in given_up[0].getMessage()


def test_a_breaker_a_worker_opened_is_reported_by_the_router(sides, router_for, dynamodb_proxy):
    user_ids = _seed(sides, 4)
    router, recorder = router_for(
        "shadow", budget=0.3, breaker_threshold=2, breaker_cooldown=600.0, primary_wait=5.0
    )
    store = router.route_store(*sides)
    store.users.get(user_ids[0])
    assert router.flush(DEADLINE)
    assert router.breaker_states().get("users.read", "closed") == "closed"

    dynamodb_proxy.freeze()
    for user_id in user_ids:
        store.users.get(user_id)
        assert router.flush(DEADLINE)  # each read times out in the worker, one at a time

    assert router.breaker_states()["users.read"] == "open"  # opened in the worker
    assert _shadow(router)["circuit_open"] >= 1
    assert recorder.metrics[-1].metrics["breakers"]["users.read"] == "open"  # flush's record


_KILLED_ROUTER = """
import functools, sys, time
from adapters.mysql import create_engine
from support.stores import shadow_parts, store_sides
from dal import Router, StaticFlags
from dal.routing import ShadowSettings

url, endpoint, prefix, user_id = sys.argv[1:]
old, new = store_sides(create_engine(url), endpoint, prefix)
router = Router(
    StaticFlags(dict.fromkeys(("users",), "shadow")),
    shadow=ShadowSettings(processes=2, budget=60.0, primary_wait=60.0),
    metrics_interval=None,
    shadow_factory=functools.partial(shadow_parts, url, endpoint, prefix),
)
store = router.route_store(old, new)
store.users.get(int(user_id))
assert router.flush(120)
print("ready", flush=True)
time.sleep(600)
"""


def test_workers_of_a_killed_router_stop_on_their_own(sides, engine, dynamodb_endpoint, prefix):
    (user_id,) = _seed(sides, 1)
    url = engine.url.render_as_string(hide_password=False)
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": f"{root / 'tests'}{os.pathsep}{root}"}
    router = subprocess.Popen(
        [sys.executable, "-c", _KILLED_ROUTER, url, dynamodb_endpoint, prefix, str(user_id)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    workers: set[int] = set()
    try:
        assert router.stdout is not None
        assert router.stdout.readline().strip() == "ready"
        workers = children(router.pid)
        assert len(workers) >= 2  # the two workers (and multiprocessing's resource tracker)

        router.kill()  # no close(), no atexit: the workers are left to notice
        router.wait(30)

        assert wait_gone(workers, 30) == set()
    finally:
        router.kill()
        kill_all(workers)
