"""Change data capture from MySQL: changes applied per second and lag, against raw boto3.

In one run, on a MariaDB with a row-based binary log and on DynamoDB Local:

1. **steady rate**: a writer updates tracker tickets directly in MySQL (bumping their
   version) at ``--rate`` rows per second for ``--seconds``, while ``dal cdc mysql``'s
   loop runs. Reported: the changes applied per second and the lag from each commit to
   the moment its item was applied (p50/p99), from the writer's own clock.
2. **raw loop, same rate**: the very items CDC applied, in the same order and at the same
   rate, written by a raw loop of boto3 ``put_item`` (no capture, no mapping, no guard):
   its per-item latency from the moment the item is due is the floor of any lag.
3. **capacity**: a bulk UPDATE of every ticket is applied by CDC as fast as it can, and the
   same items by ``--workers`` raw threads of boto3 ``put_item``; items per second of both
   and their ratio.

Run: ``.venv/bin/python bench/bench_cdc.py [--tickets 2000] [--rate 50] [--seconds 20]
[--workers 4]``. ``--endpoint`` (or ``DAL_TEST_DYNAMODB_URL``) names a DynamoDB endpoint,
else DynamoDB Local is started; ``--mysql`` (or ``DAL_TEST_BINLOG_MYSQL_URL``) names a server
with a row-based binary log, else a MariaDB of its own is started.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from support.cdc import seed

from adapters.mysql import create_engine
from dal.aws import client_config, dynamodb_client
from dal.cdc.binlog import current_position
from dal.cdc.failures import FailureLog
from dal.cdc.items import ChangeSet
from dal.cdc.mysql_service import MysqlCdc, MysqlCdcOptions
from dal.contract import load_contract
from dal.local import mariadb
from dal.local.dynamodb_local import DynamoDBLocal
from dal.migrate.backfill import BackfillOptions
from dal.migrate.tools import open_tools
from dal.migrations import upgrade
from dal.schema import create_tables
from dal.settings import Settings
from examples.tracker import CONTRACT
from examples.tracker.schema import metadata


@contextmanager
def servers(mysql: str | None, endpoint: str | None) -> Iterator[tuple[str, str]]:
    """A server URL with a binary log and a DynamoDB endpoint, started when not given."""
    private = None if mysql else mariadb.start_private_server(mariadb.BINLOG_SETTINGS)
    local = None if endpoint else DynamoDBLocal(shared_db=True).start()
    try:
        yield (mysql or private.url), (endpoint or local.endpoint)  # type: ignore[union-attr]
    finally:
        if local is not None:
            local.stop()
        if private is not None:
            private.stop()


class Capture:
    """Observes the CDC loop's batches: the items applied, and when each version landed."""

    def __init__(self, service: MysqlCdc) -> None:
        self.items: list[tuple[str, dict[str, Any]]] = []
        self.applied: dict[tuple[int, int], float] = {}
        service.observer = self.observe

    def observe(self, changes: ChangeSet) -> None:
        """Note the ticket items of an applied batch."""
        now = time.perf_counter()
        for put in changes.puts:
            item = put.item
            if "number" in item and "version" in item and not put.guard:
                self.applied[(int(item["number"]["N"]), int(item["version"]["N"]))] = now
                self.items.append((put.table, item))


def steady_writes(engine: Engine, tickets: int, rate: float, seconds: float) -> dict[Any, float]:
    """Update tickets at ``rate`` per second; when each (number, version) was committed."""
    committed: dict[tuple[int, int], float] = {}
    versions = dict.fromkeys(range(1, tickets + 1), 1)
    interval, start = 1.0 / rate, time.perf_counter()
    with engine.connect() as connection:
        for n in range(int(rate * seconds)):
            time.sleep(max(0.0, start + n * interval - time.perf_counter()))
            number = n % tickets + 1
            versions[number] += 1
            with connection.begin():
                connection.execute(
                    text("UPDATE tickets SET title = :t, version = :v WHERE number = :n"),
                    {"t": f"steady {n}", "v": versions[number], "n": number},
                )
            committed[(number, versions[number])] = time.perf_counter()
    return committed


def wait_applied(service: MysqlCdc, engine: Engine, timeout: float = 300) -> None:
    """Until the loop's position passes where the log ends now."""
    target = current_position(engine)
    deadline = time.monotonic() + timeout
    while service.position is None or service.position < target:
        if time.monotonic() > deadline:
            raise SystemExit("CDC did not catch up")
        time.sleep(0.05)


def raw_at_rate(client: Any, items: list[tuple[str, Any]], rate: float) -> list[float]:
    """Put ``items`` at ``rate`` per second; each put's latency from when it was due."""
    latencies, interval, start = [], 1.0 / rate, time.perf_counter()
    for n, (table, item) in enumerate(items):
        due = start + n * interval
        time.sleep(max(0.0, due - time.perf_counter()))
        client.put_item(TableName=table, Item=item)
        latencies.append(time.perf_counter() - due)
    return latencies


def raw_capacity(client: Any, items: list[tuple[str, Any]], workers: int) -> float:
    """Items per second of ``workers`` threads putting ``items``."""
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda pair: client.put_item(TableName=pair[0], Item=pair[1]), items))
    return len(items) / (time.perf_counter() - started)


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile of ``values`` in milliseconds."""
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _lag_row(share: float, lags: list[float], raw_lags: list[float]) -> tuple[str, ...]:
    cdc, raw = percentile(lags, share), percentile(raw_lags, share)
    name = f"steady: lag p{int(share * 100)} (ms)"
    return name, f"{cdc:.0f}", f"{raw:.1f}", f"{cdc / max(raw, 1e-3):.0f}x"


def run(args: argparse.Namespace, server: str, endpoint: str) -> None:
    """Set up the tracker, then measure the three phases and print the table."""
    url = mariadb.create_database(server, f"bench_cdc_{os.getpid()}")
    engine = create_engine(url)
    metadata.create_all(engine)
    upgrade(url)
    raw = dynamodb_client(endpoint, "us-east-1", config=client_config(read_timeout=60))
    prefix, raw_prefix = f"bcdc{os.getpid()}_", f"braw{os.getpid()}_"
    for chosen in (prefix, raw_prefix):
        create_tables(raw, load_contract(CONTRACT), chosen)
    flags = Path(f"/tmp/bench_cdc_{os.getpid()}.toml")
    flags.write_text('[stages]\nprojects = "shadow"\nlabels = "shadow"\ntickets = "shadow"\n')
    settings = Settings(
        mysql_url=url, dynamodb_endpoint=endpoint, dynamodb_region="us-east-1",
        table_prefix=prefix, contract=CONTRACT, declarations="examples.tracker.declarations",
        flags=flags, records=None, repair_log=None,
    )  # fmt: skip
    seed(engine, 3, 3, args.tickets)
    with open_tools(settings, workers=args.workers) as tools:
        tools.backfill().run(BackfillOptions(mode="batch"))
        service = MysqlCdc.over(tools, FailureLog(None, "new"))
        capture = Capture(service)
        stop = threading.Event()
        loop = threading.Thread(
            target=service.run, args=(MysqlCdcOptions(workers=args.workers), stop)
        )
        loop.start()
        time.sleep(2)
        began = time.perf_counter()
        committed = steady_writes(engine, args.tickets, args.rate, args.seconds)
        wait_applied(service, engine)
        steady_seconds = time.perf_counter() - began
        lags = [capture.applied[k] - t for k, t in committed.items() if k in capture.applied]
        steady_items = list(capture.items)
        capture.items.clear()
        with engine.begin() as connection:
            connection.execute(text("UPDATE tickets SET estimate = estimate + 1"))
        burst = time.perf_counter()
        wait_applied(service, engine)
        cdc_capacity = len(capture.items) / (time.perf_counter() - burst)
        stop.set()
        loop.join(60)
    swap = {t: t.replace(prefix, raw_prefix, 1) for t, _ in steady_items + capture.items}
    raw_began = time.perf_counter()
    raw_lags = raw_at_rate(raw, [(swap[t], i) for t, i in steady_items], args.rate)
    raw_seconds = time.perf_counter() - raw_began
    raw_rate = raw_capacity(raw, [(swap[t], i) for t, i in capture.items], args.workers)
    rows = [
        ("steady: items applied/s", f"{len(steady_items) / steady_seconds:.1f}",
         f"{len(steady_items) / raw_seconds:.1f}", f"{args.rate:.0f}/s offered"),
        *(_lag_row(share, lags, raw_lags) for share in (0.5, 0.99)),
        ("capacity: items/s", f"{cdc_capacity:.0f}", f"{raw_rate:.0f}",
         f"{cdc_capacity / raw_rate:.2f}x"),
    ]  # fmt: skip
    print(f"\nCDC vs raw boto3 put_item ({args.tickets} tickets, {args.workers} workers)")
    print(f"{'measure':30} {'dal cdc mysql':>14} {'raw boto3':>10} {'ratio':>12}")
    for name, cdc, raw_value, ratio in rows:
        print(f"{name:30} {cdc:>14} {raw_value:>10} {ratio:>12}")
    print(
        f"lag samples: {len(lags)} (of {len(committed)} commits); mean {statistics.mean(lags):.3f}s"
    )
    mariadb.drop_database(server, f"bench_cdc_{os.getpid()}")


def main() -> None:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--mysql", default=os.environ.get("DAL_TEST_BINLOG_MYSQL_URL"))
    parser.add_argument("--endpoint", default=os.environ.get("DAL_TEST_DYNAMODB_URL"))
    args = parser.parse_args()
    with servers(args.mysql, args.endpoint) as (server, endpoint):
        run(args, server, endpoint)


if __name__ == "__main__":
    main()
