"""Benchmark: what shadow reads and dual writes cost the caller, with the real clients.

The store's ``users`` on MariaDB (old) and DynamoDB Local (new), built as the
container builds them (one replaying clock and id allocator on both sides), each
call made outside a unit of work (so each side's call is a unit of work of its
own), with the router's default shadow settings (a pool of 4 workers that grows up
to 16 while work waits, a queue of 16; ``--workers``, ``--max-workers`` and
``--queue`` change them):

* **latency**: ``users.get`` of a random seeded user by 1, 8 and 16 threads at
  ``off`` and at ``shadow`` (the caller gets MySQL's answer; DynamoDB is read off
  the request path and compared): the caller's p50 and p99 at each stage, their
  ratio, the share of reads actually compared (comparisons recorded / reads),
  the largest the shadow pool grew, and the reasons the others were dropped;
* **mix**: 80% ``users.get``, 20% ``users.set_super_admin`` (each thread on users
  of its own) by 8 and 16 threads through the routed store at ``off``,
  ``dual_write``, ``shadow`` and ``live``, against the MySQL store alone (each call
  in its unit of work): throughput, its ratio to direct MySQL, p99, and the largest
  the shadow pool grew. ``dual_write deferred`` and ``shadow deferred`` are those
  stages with deferred secondary writes (``DAL_SECONDARY_WRITES=deferred``: the caller
  writes MySQL and a repair-log entry, the router's drainer writes DynamoDB);
  ``drain s`` is how long the drainer took to catch up once the cell ended; with
  ``--drainer process`` a ``dal repair --from-log --follow`` process drains, the
  router's process only follows the log. ``shadow N procs`` (and its deferred twin)
  reads the secondary in ``--processes`` worker processes niced by the largest of
  ``--nice``; ``compared`` is the share of reads compared.

* **rate**: ``users.get`` by 8 threads at offered rates of ``--rates`` reads per
  second in all (each thread on a fixed schedule; a missed slot is skipped, not
  made up), at ``off`` and at ``shadow`` with the thread pool and with
  ``--processes`` worker processes (``DAL_SHADOW_PROCESSES``; niced by each of
  ``--nice``): the caller's p50 and p99 against ``off`` at the same rate, the share
  of reads compared and the reasons the others were dropped. Each process-mode
  router is warmed up (its workers started) before it is measured.

``--tables`` picks the tables (default: all three). Every cell runs for
``--seconds``; the MySQL pool is sized by
:func:`dal.container.connection_pool_size` for the largest thread count. Run::

    PYTHONPATH=$PWD .venv/bin/python bench/bench_shadow.py
    ... --quick                                  # a smoke run
    ... --max-workers 4                          # a fixed pool of 4, as before it grew
    ... --tables rate --processes 2 --nice 0,10  # threads against worker processes
    ... --url mysql+pymysql://root@127.0.0.1:3306/ --endpoint http://127.0.0.1:8000

Without ``--endpoint`` (or ``DAL_TEST_DYNAMODB_URL``) DynamoDB Local is started from
the npm package's jar and stopped afterwards.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from adapters.mysql import SqlIdAllocator, create_engine
from dal.aws import dynamodb_client
from dal.container import connection_pool_size
from dal.contract import load_contract
from dal.local import mariadb
from dal.local.dynamodb_local import DynamoDBLocal
from dal.migrate.replay import deferred_drain
from dal.migrate.tools import open_tools
from dal.routing import (
    MemoryRecorder,
    ReplayingClock,
    ReplayingIdAllocator,
    Router,
    ShadowParts,
    ShadowSettings,
    StaticFlags,
)
from dal.routing.deferred import DrainFunction
from dal.schema import create_tables, drop_tables
from dal.settings import Settings
from examples.store import CONTRACT, NewUser, Store
from examples.store.dynamodb import build_store as dynamo_store
from examples.store.migrations import upgrade
from examples.store.sql import build_store as mysql_store
from interfaces import SystemClock

ENTITIES = ("users", "categories", "products", "carts", "orders")
READ_SHARE = 0.8

Call = Callable[[random.Random, list[int]], object]


@dataclass(frozen=True)
class Run:
    """What a configuration did in one cell: every call's latency, over ``seconds``."""

    latencies: list[float]
    seconds: float

    @property
    def calls(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.calls / self.seconds

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@contextmanager
def database(server_url: str, threads: int, shadow: ShadowSettings) -> Iterator[Engine]:
    name = f"dal_bench_shadow_{uuid.uuid4().hex[:8]}"
    url = mariadb.create_database(server_url, name)
    engine = create_engine(url, pool_size=connection_pool_size(threads, shadow))
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        mariadb.drop_database(server_url, name)


@contextmanager
def dynamodb(endpoint: str | None) -> Iterator[str]:
    if endpoint:
        yield endpoint
        return
    with DynamoDBLocal() as server:
        yield server.endpoint


def hammer(threads: int, seconds: float, call: Call, partitions: list[list[int]]) -> Run:
    """``threads`` threads making ``call`` for ``seconds``; thread ``t`` gets partition ``t``."""
    return paced(threads, seconds, None, call, partitions)


def paced(
    threads: int, seconds: float, rate: float | None, call: Call, partitions: list[list[int]]
) -> Run:
    """``threads`` threads making ``rate`` calls per second in all, each on a fixed schedule
    (None: each as fast as it can); thread ``t`` gets partition ``t``."""
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []
    interval = 0.0 if rate is None else threads / rate
    start = threading.Barrier(threads + 1)
    stop = threading.Event()

    def work(number: int) -> None:
        rng = random.Random(number)
        own = partitions[number % len(partitions)]
        mine = latencies[number]
        start.wait()
        due = time.perf_counter() + interval * number / threads
        try:
            while not stop.is_set():
                if rate is not None:
                    now = time.perf_counter()
                    if now < due:
                        time.sleep(due - now)
                    elif now - due > interval:  # a missed slot is skipped, not made up
                        due = now
                    due += interval
                began = time.perf_counter()
                call(rng, own)
                mine.append(time.perf_counter() - began)
        except BaseException as error:
            errors.append(error)

    workers = [threading.Thread(target=work, args=(n,), daemon=True) for n in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise RuntimeError(f"{len(errors)} calls failed, first: {errors[0]!r}") from errors[0]
    return Run([value for own in latencies for value in own], elapsed)


def worker_parts(url: str, endpoint: str, prefix: str, pool: int) -> ShadowParts:
    """A shadow worker process's stores: the bench's database and tables (its factory).

    The worker keeps its records (as a worker of the container's router writes its own
    file) in memory; its counts reach the router.
    """
    engine = create_engine(url, pool_size=pool)
    clock = ReplayingClock(SystemClock())
    ids = ReplayingIdAllocator(SqlIdAllocator(engine))
    old = mysql_store(engine, clock=clock, ids=ids)
    new = dynamo_store(
        contract=load_contract(CONTRACT),
        table_prefix=prefix,
        endpoint=endpoint,
        clock=clock,
        ids=ids,
    )
    return ShadowParts(old=old, new=new, recorder=MemoryRecorder(), close=engine.dispose)


class Bench:
    """The two stores, a router per stage, and the seeded users."""

    def __init__(
        self,
        old: Store,
        new: Store,
        stack: ExitStack,
        shadow: ShadowSettings,
        factory: functools.partial[ShadowParts] | None = None,
    ) -> None:
        self.old = old
        self.new = new
        self.shadow = shadow
        self.factory = factory
        self._stack = stack
        self.user_ids: list[int] = []

    drain: DrainFunction | None = None
    """Replays deferred entries (set by ``main``) for the deferred configurations."""
    drainer_env: dict[str, str] | None = None
    """With ``--drainer process``: the environment of a ``dal repair --from-log --follow``
    process that drains each deferred configuration's log (the router only follows it)."""
    drainer_nice = 0
    """How much that process lowers its priority (``--drainer-nice``)."""

    def routed(
        self, stage: str, shadow: ShadowSettings | None = None, deferred: bool = False
    ) -> tuple[Store, Router, MemoryRecorder]:
        recorder = MemoryRecorder()
        shadow = shadow or self.shadow
        log = None
        if deferred:
            shadow = dataclasses.replace(shadow, secondary_writes="deferred")
            log = Path(tempfile.mkdtemp(prefix="bench_shadow_log_"))
            self._stack.callback(shutil.rmtree, log, True)
            if self.drainer_env is not None:
                command = [sys.executable, "-m", "dal", "repair", "--from-log", str(log)]
                if self.drainer_nice:
                    command = ["nice", "-n", str(self.drainer_nice), *command]
                process = subprocess.Popen(
                    [*command, "--follow"], env=self.drainer_env, stderr=subprocess.DEVNULL
                )
                self._stack.callback(process.wait, 60)
                self._stack.callback(process.send_signal, signal.SIGTERM)
        router = Router(
            StaticFlags(dict.fromkeys(ENTITIES, stage)),
            recorder,
            shadow=shadow,
            metrics_interval=None,
            shadow_factory=self.factory if shadow.processes else None,
            repair_log=log,
            drain=self.drain if deferred and self.drainer_env is None else None,
        )
        self._stack.callback(router.close)
        store = router.route_store(self.old, self.new)
        if shadow.processes and stage != "off":  # start the workers before measuring
            store.users.get(self.user_ids[0])
            router.flush(120)  # the workers are up
            began = time.monotonic()  # reads until a full queue at start-up is forgotten
            for user_id in self.user_ids[1:50]:
                store.users.get(user_id)
                time.sleep(0.01)
            while router.shadow_sampling() < 1.0 and time.monotonic() - began < 10:
                store.users.get(self.user_ids[0])
                time.sleep(0.01)
            router.flush(120)
            router.metrics.operation("users", "get")  # counted from here on
            recorder.clear()
            router = _fresh_counts(router)
        return store, router, recorder

    def seed(self, count: int) -> None:
        store, router, recorder = self.routed("dual_write")
        for _ in range(count):
            name = f"b{uuid.uuid4().hex[:12]}"
            user = store.users.create(
                NewUser(username=name, email=f"{name}@example.com", password_hash="h" * 20)
            )
            self.user_ids.append(user.id)
        router.flush(60)
        if recorder.errors:
            raise RuntimeError(f"seeding failed on a side: {recorder.errors[0]}")

    def partitions(self, threads: int) -> list[list[int]]:
        return [self.user_ids[t::threads] for t in range(threads)]


def reads(store: Store) -> Call:
    def call(rng: random.Random, own: list[int]) -> object:
        return store.users.get(rng.choice(own))

    return call


def mix(store: Store, direct: bool) -> Call:
    def one(rng: random.Random, own: list[int]) -> object:
        user_id = rng.choice(own)
        if rng.random() < READ_SHARE:
            return store.users.get(user_id)
        return store.users.set_super_admin(user_id, rng.random() < 0.5)

    if not direct:
        return one

    def in_unit_of_work(rng: random.Random, own: list[int]) -> object:
        with store.unit_of_work():
            return one(rng, own)

    return in_unit_of_work


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f}"


def latency_table(bench: Bench, thread_counts: list[int], seconds: float) -> None:
    print("\nCaller latency of users.get, shadow vs off (ms; ratio = shadow / off)")
    print(
        f"{'threads':>7} {'p50 off':>8} {'p50 shd':>8} {'ratio':>6} "
        f"{'p99 off':>8} {'p99 shd':>8} {'ratio':>6} {'compared':>9} {'pool':>4}  dropped"
    )
    for threads in thread_counts:
        partitions = bench.partitions(threads)
        off_store, _, _ = bench.routed("off")
        shadow_store, router, recorder = bench.routed("shadow")
        off = hammer(threads, seconds, reads(off_store), partitions)
        shadow = hammer(threads, seconds, reads(shadow_store), partitions)
        router.flush(60)
        compared = sum(1 for c in recorder.comparisons if c.operation == "get")
        dropped: Counter[str] = Counter()
        for drop in recorder.drops:
            dropped[drop.reason] += drop.count
        p50 = shadow.percentile(0.5) / off.percentile(0.5)
        p99 = shadow.percentile(0.99) / off.percentile(0.99)
        reasons = ", ".join(f"{reason} {count}" for reason, count in dropped.most_common()) or "-"
        print(
            f"{threads:>7} {ms(off.percentile(0.5))} {ms(shadow.percentile(0.5))} {p50:6.2f} "
            f"{ms(off.percentile(0.99))} {ms(shadow.percentile(0.99))} {p99:6.2f} "
            f"{compared / shadow.calls:9.1%} {router.shadow_pool().largest:>4}  "
            f"{reasons} (of {shadow.calls} reads)"
        )


def _fresh_counts(router: Router) -> Router:
    """``router`` with its counters of ``users.get`` noted, so a cell reports its own."""
    stats = router.metrics.snapshot()["operations"].get("users.get", {})
    _BASELINE[id(router)] = (stats.get("comparisons", 0), Counter(stats.get("shadow", {})))
    return router


_BASELINE: dict[int, tuple[int, Counter[str]]] = {}


def shadow_counts(router: Router) -> tuple[int, Counter[str]]:
    """Comparisons and drops by reason of ``users.get`` since the router's warm-up."""
    stats = router.metrics.snapshot()["operations"].get("users.get", {})
    compared0, dropped0 = _BASELINE.get(id(router), (0, Counter()))
    dropped = Counter(stats.get("shadow", {}))
    dropped.subtract(dropped0)
    return stats.get("comparisons", 0) - compared0, +dropped


def rate_table(
    bench: Bench, rates: list[float], threads: int, seconds: float, processes: int, nices: list[int]
) -> None:
    print(
        f"\nCaller latency of users.get at offered rates, {threads} threads: shadow vs off "
        "(ms; ratio = shadow / off at the same rate)"
    )
    print(
        f"{'offered':>7} {'mode':<16} {'ops/s':>6} {'p50 off':>8} {'p50 shd':>8} {'ratio':>6} "
        f"{'p99 off':>8} {'p99 shd':>8} {'ratio':>6} {'compared':>9} {'2nd p50':>8}  dropped"
    )
    partitions = bench.partitions(threads)
    modes: list[tuple[str, ShadowSettings]] = [("threads", bench.shadow)]
    for nice in nices:
        settings = dataclasses.replace(bench.shadow, processes=processes, nice=nice)
        modes.append((f"{processes} procs nice {nice}", settings))
    for rate in rates:
        off_store, _, _ = bench.routed("off")
        off = paced(threads, seconds, rate, reads(off_store), partitions)
        for label, settings in modes:
            store, router, _ = bench.routed("shadow", settings)
            shadow = paced(threads, seconds, rate, reads(store), partitions)
            router.flush(120)
            compared, dropped = shadow_counts(router)
            stats = router.metrics.snapshot()["operations"].get("users.get", {})
            secondary = stats.get("latency_ms", {}).get("new", {}).get("p50") or 0.0
            router.close()
            reasons = ", ".join(f"{r} {c}" for r, c in dropped.most_common()) or "-"
            print(
                f"{rate:>7.0f} {label:<16} {shadow.throughput:6.0f} {ms(off.percentile(0.5))} "
                f"{ms(shadow.percentile(0.5))} {shadow.percentile(0.5) / off.percentile(0.5):6.2f} "
                f"{ms(off.percentile(0.99))} {ms(shadow.percentile(0.99))} "
                f"{shadow.percentile(0.99) / off.percentile(0.99):6.2f} "
                f"{compared / shadow.calls:9.1%} {secondary:8.2f}  {reasons} "
                f"(of {shadow.calls} reads)"
            )


def mix_table(
    bench: Bench, thread_counts: list[int], seconds: float, processes: int, nice: int
) -> None:
    print("\n80/20 read/write mix of users: throughput against direct MySQL")
    print(
        f"{'threads':>7} {'config':<26} {'ops/s':>8} {'x direct':>8} {'p99 ms':>8} {'pool':>4} "
        f"{'drain s':>7} {'compared':>8}"
    )
    offloaded = dataclasses.replace(bench.shadow, processes=processes, nice=nice)
    configs: list[tuple[str, str, bool, ShadowSettings | None]] = [
        (stage, stage, False, None) for stage in ("off", "dual_write", "shadow", "live")
    ]
    configs += [
        ("dual_write deferred", "dual_write", True, None),
        ("shadow deferred", "shadow", True, None),
    ]
    if processes:
        procs = f"{processes} procs"
        configs += [
            (f"shadow {procs}", "shadow", False, offloaded),
            (f"shadow {procs} deferred", "shadow", True, offloaded),
        ]
    for threads in thread_counts:
        partitions = bench.partitions(threads)
        runs = {"direct MySQL": hammer(threads, seconds, mix(bench.old, True), partitions)}
        pools, drains, shares = {"direct MySQL": "-"}, {}, {}
        for label, stage, deferred, settings in configs:
            store, router, _ = bench.routed(stage, settings, deferred=deferred)
            runs[label] = hammer(threads, seconds, mix(store, False), partitions)
            router.flush(60)
            if stage in ("shadow", "live"):
                compared, dropped = shadow_counts(router)  # every read is one or the other
                shares[label] = f"{compared / max(1, compared + sum(dropped.values())):8.1%}"
            if router.drainer is not None:
                began = time.perf_counter()
                router.drainer.wait_drained(120)
                drains[label] = f"{time.perf_counter() - began:7.2f}"
                router.close()
            pools[label] = str(router.shadow_pool().largest)
        direct = runs["direct MySQL"].throughput
        for label, run in runs.items():
            print(
                f"{threads:>7} {label:<26} {run.throughput:8.0f} {run.throughput / direct:8.2f} "
                f"{ms(run.percentile(0.99))} {pools[label]:>4} {drains.get(label, '-'):>7} "
                f"{shares.get(label, '-'):>8}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--url",
        default=os.environ.get("DAL_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/"),
    )
    parser.add_argument("--endpoint", default=os.environ.get("DAL_TEST_DYNAMODB_URL"))
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each cell")
    parser.add_argument("--users", type=int, default=320, help="users seeded on both sides")
    parser.add_argument("--quick", action="store_true", help="short cells, few users")
    defaults = ShadowSettings()
    parser.add_argument(
        "--workers", type=int, default=defaults.workers, help="shadow workers to start with"
    )
    parser.add_argument(
        "--max-workers", type=int, default=None, help="the most the shadow pool grows to"
    )
    parser.add_argument(
        "--queue", type=int, default=defaults.queue_size, help="shadow work that may wait"
    )
    parser.add_argument(
        "--processes", type=int, default=2, help="shadow worker processes in the rate table"
    )
    parser.add_argument(
        "--adaptive",
        action="store_true",
        help="the thread pool adapts its sampling too (ShadowSettings.adaptive)",
    )
    parser.add_argument(
        "--process-threads", type=int, default=4, help="reads each worker process runs at once"
    )
    parser.add_argument(
        "--nice", default="0,10", help="niceness of the worker processes, one row each: 0,10"
    )
    parser.add_argument(
        "--rates", default="200,500,1000", help="offered reads per second in the rate table"
    )
    parser.add_argument(
        "--tables", default="latency,mix,rate", help="which tables: latency, mix, rate"
    )
    parser.add_argument(
        "--drainer",
        choices=("thread", "process"),
        default="thread",
        help="where deferred writes are drained: the router's thread, or a "
        "dal repair --from-log --follow process",
    )
    parser.add_argument(
        "--drainer-nice",
        type=int,
        default=0,
        help="niceness of the --drainer process one (as DAL_DEFERRED_NICE sets it)",
    )
    options = parser.parse_args()
    tables = set(options.tables.split(","))
    shadow = ShadowSettings(
        workers=options.workers,
        max_workers=max(options.workers, defaults.max_workers)
        if options.max_workers is None
        else options.max_workers,
        queue_size=options.queue,
        process_threads=options.process_threads,
        adaptive=options.adaptive,
    )
    logging.getLogger("dal").setLevel(logging.ERROR)  # failures are counted, not printed
    seconds, users = (1.0, 64) if options.quick else (options.seconds, options.users)
    latency_threads, mix_threads = [1, 8, 16], [8, 16]
    prefix = f"bench_shadow_{uuid.uuid4().hex[:6]}_"
    contract = load_contract(CONTRACT)
    with ExitStack() as stack:
        engine = stack.enter_context(database(options.url, max(latency_threads), shadow))
        endpoint = stack.enter_context(dynamodb(options.endpoint))
        client = dynamodb_client(endpoint, "us-east-1")
        create_tables(client, contract, prefix)
        stack.callback(drop_tables, client, contract, prefix)
        clock = ReplayingClock(SystemClock())
        ids = ReplayingIdAllocator(SqlIdAllocator(engine))
        old = mysql_store(engine, clock=clock, ids=ids)
        new = dynamo_store(
            contract=contract, table_prefix=prefix, endpoint=endpoint, clock=clock, ids=ids
        )
        url = engine.url.render_as_string(hide_password=False)
        pool = connection_pool_size(shadow.workers, shadow)
        factory = functools.partial(worker_parts, url, endpoint, prefix, pool)
        bench = Bench(old, new, stack, shadow, factory)
        tools = stack.enter_context(
            open_tools(
                Settings(
                    mysql_url=url,
                    dynamodb_endpoint=endpoint,
                    table_prefix=prefix,
                    contract=CONTRACT,
                    declarations="examples.store.declarations",
                    repair_log=None,
                    records=None,
                ),
                workers=4,
            )
        )
        bench.drain = deferred_drain(tools.replayer(), workers=4)
        bench.drainer_nice = options.drainer_nice
        if options.drainer == "process":
            bench.drainer_env = {
                **os.environ,
                "PYTHONPATH": os.getcwd(),
                "DAL_MYSQL_URL": url,
                "DAL_DYNAMODB_ENDPOINT": endpoint,
                "DAL_TABLE_PREFIX": prefix,
                "DAL_CONTRACT": str(CONTRACT),
                "DAL_DECLARATIONS": "examples.store.declarations",
            }
        bench.seed(users)
        print(
            f"{users} users; {seconds:g} s per cell; {os.cpu_count()} CPUs; shadow pool of "
            f"{shadow.workers} growing to {shadow.max_workers} workers, a queue of "
            f"{shadow.queue_size}"
        )
        if "latency" in tables:
            latency_table(bench, latency_threads, seconds)
        if "mix" in tables:
            nices = [int(nice) for nice in options.nice.split(",")]
            mix_table(bench, mix_threads, seconds, options.processes, max(nices))
        if "rate" in tables:
            rates = [float(rate) for rate in options.rates.split(",")]
            nices = [int(nice) for nice in options.nice.split(",")]
            rate_table(bench, rates, 8, seconds, options.processes, nices)


if __name__ == "__main__":
    main()
