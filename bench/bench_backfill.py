"""Backfill throughput against raw boto3 loops, and its memory at two table sizes.

In one run, on the same MariaDB and the same DynamoDB Local, with the same number
of worker threads and batches of 25, the products table is copied four ways:

* **raw batch**: the simplest possible copy: MySQL rows read page by page, mapped to
  items by hand (the very items the backfill writes), written with ``batch_write_item``
  (unprocessed items resent);
* **backfill, batch mode** (what ``dal backfill`` does while the stage is ``off``);
* **raw transactions**: the same hand-mapped items, each batch one
  ``transact_write_items`` of puts conditioned as the backfill conditions them;
* **backfill, conditional mode** (stage ``dual_write`` and later: never overwriting a
  newer item);
* **cli**: ``dal backfill --entity products --mode batch`` as a process of its own,
  timed from its start to its exit (interpreter start, imports and all), compared
  with the raw batch loop.

``--ways raw,batch,cli`` picks the ways (default: all five).

The raw loops use a boto3 client configured as the backfill's (PynamoDB's) client is:
no client-side parameter validation, no consumed-capacity accounting. A warm-up copy
comes first; then each round copies the table every way, each on tables of its own,
in an order that alternates from round to round. The ratio of a backfill mode to its
raw loop is taken within each round and the median over rounds is reported (target
>= 0.8x for the batch mode, >= 0.9x for the CLI at 100,000 rows), with the rows/s of
every round. Like with like: both sides write the same items, 25 to a request, with
``--workers`` threads sending (the backfill's page threads only build items), and the
CLI is timed with its process start. Last, the peak resident
memory of a backfill process at two table sizes (flat memory: the larger table must
not need much more).

Run: ``.venv/bin/python bench/bench_backfill.py [--rows 20000] [--workers 4]
[--rounds 3] [--memory-sizes 20000,200000]``; ``--endpoint`` (or ``DAL_TEST_DYNAMODB_URL``)
names a DynamoDB endpoint, else DynamoDB Local is started from the npm package's
jar; ``--mysql`` (or ``DAL_TEST_MYSQL_URL``) names a MySQL-compatible server.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from botocore.config import Config
from sqlalchemy import Engine, insert, select

from adapters.mysql import create_engine
from dal.aws import client_config, dynamodb_client
from dal.contract import load_contract
from dal.local import mariadb
from dal.local.dynamodb_local import DynamoDBLocal
from dal.migrate.backfill import BackfillOptions
from dal.migrate.tools import open_tools
from dal.schema import create_tables, drop_tables
from dal.settings import Settings
from examples.store import CONTRACT as STORE_CONTRACT
from examples.store.migrations import upgrade
from examples.store.schema import categories, products, users

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = STORE_CONTRACT
_BASE = datetime(2026, 1, 1, tzinfo=UTC)


@contextmanager
def dynamodb(given: str | None) -> Iterator[str]:
    """The given endpoint, or a DynamoDB Local started for the run."""
    if given:
        yield given
        return
    with DynamoDBLocal() as server:
        yield server.endpoint


@contextmanager
def database(server: str, rows: int) -> Iterator[str]:
    """A store database with ``rows`` products (and their seller and category); dropped after."""
    name = f"dal_bench_{uuid.uuid4().hex[:8]}"
    url = mariadb.create_database(server, name)
    try:
        upgrade(url)
        engine = create_engine(url)
        fill(engine, rows)
        engine.dispose()
        yield url
    finally:
        mariadb.drop_database(server, name)


def fill(engine: Engine, rows: int, chunk: int = 5000) -> None:
    """Insert ``rows`` products in chunks (memory stays flat)."""
    with engine.begin() as connection:
        connection.execute(
            insert(users).values(
                id=1,
                username="seller",
                email="seller@example.com",
                password_hash="x",
                is_seller=True,
                super_admin=False,
                created_at=_BASE,
                updated_at=_BASE,
                version=1,
            )
        )
        connection.execute(
            insert(categories).values(id=1, name="Everything", created_at=_BASE, version=1)
        )
    for start in range(1, rows + 1, chunk):
        batch = [_product(n) for n in range(start, min(start + chunk, rows + 1))]
        with engine.begin() as connection:
            connection.execute(insert(products), batch)


def _product(n: int) -> dict[str, Any]:
    at = _BASE + timedelta(seconds=n)
    return {
        "id": n,
        "seller_id": 1,
        "category_id": 1,
        "name": f"Product {n:07d}",
        "description": f"A fairly ordinary description of product number {n}, for size.",
        "price": Decimal(n % 10_000) + Decimal("0.99"),
        "inventory_quantity": n % 100,
        "image_url": f"https://img.example.com/{n}.png",
        "created_at": at,
        "updated_at": at,
        "version": 1,
    }


# --- the raw loop ----------------------------------------------------------------------------


def _raw_item(row: dict[str, Any]) -> dict[str, Any]:
    def text(value: Any) -> dict[str, str]:
        return {"S": str(value)}

    stamp = row["created_at"].strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "PK": text(row["id"]),
        "SK": text("#META"),
        "seller_id": text(row["seller_id"]),
        "category_id": text(row["category_id"]),
        "category_path": text("Everything"),
        "product_name": text(row["name"]),
        "description": text(row["description"]),
        "price": {"N": str(row["price"])},
        "inventory_quantity": {"N": str(row["inventory_quantity"])},
        "image_url": text(row["image_url"]),
        "created_at": text(stamp),
        "updated_at": text(stamp),
        "version": {"N": str(row["version"])},
        "GSI1PK": text(row["category_id"]),
        "GSI1SK": text(row["name"]),
        "GSI2PK": text(row["seller_id"]),
        "GSI2SK": text(row["name"]),
    }


def _raw_client(endpoint: str, workers: int) -> Any:
    """A boto3 client set up as the backfill's: no parameter validation, a pool per thread."""
    config = client_config().merge(
        Config(parameter_validation=False, max_pool_connections=max(10, workers * 2))
    )
    return dynamodb_client(endpoint, "us-east-1", config=config)


def _batch_writer(client: Any, table: str) -> Callable[[list[dict[str, Any]]], None]:
    def write(chunk: list[dict[str, Any]]) -> None:
        request = {table: [{"PutRequest": {"Item": item}} for item in chunk]}
        while request:
            request = client.batch_write_item(RequestItems=request)["UnprocessedItems"]

    return write


def _transaction_writer(client: Any, table: str) -> Callable[[list[dict[str, Any]]], None]:
    def write(chunk: list[dict[str, Any]]) -> None:
        puts = [
            {
                "Put": {
                    "TableName": table,
                    "Item": item,
                    "ConditionExpression": "attribute_not_exists(#pk) OR #v < :v",
                    "ExpressionAttributeNames": {"#pk": "PK", "#v": "version"},
                    "ExpressionAttributeValues": {":v": item["version"]},
                }
            }
            for item in chunk
        ]
        client.transact_write_items(TransactItems=puts)

    return write


def raw_copy(
    url: str,
    endpoint: str,
    table: str,
    workers: int,
    way: str,
    limit: int | None = None,
    ids: tuple[int, int] | None = None,
    ready: Callable[[], None] | None = None,
) -> float:
    """Seconds a raw loop (``raw`` batches or ``raw-tx`` transactions) takes to copy the rows.

    ``ids`` (first, last) copies only those products; ``ready`` is called once the
    client and the engine exist, just before the clock starts (to start several
    processes at once).
    """
    client = _raw_client(endpoint, workers)
    make = _batch_writer if way == "raw" else _transaction_writer
    write = make(client, table)
    engine = create_engine(url)
    first, end = ids if ids is not None else (1, None)
    if ready is not None:
        ready()
    started = time.perf_counter()
    last, copied = first - 1, 0
    with ThreadPoolExecutor(workers) as pool:
        futures = []
        while limit is None or copied < limit:
            with engine.connect() as connection:
                query = select(products).where(products.c.id > last).order_by(products.c.id)
                if end is not None:
                    query = query.where(products.c.id <= end)
                result = connection.execute(query.limit(500))
                names = tuple(result.keys())
                rows = [dict(zip(names, row, strict=True)) for row in result]
            if not rows:
                break
            items = [_raw_item(row) for row in rows]
            futures += [pool.submit(write, items[i : i + 25]) for i in range(0, len(items), 25)]
            last, copied = rows[-1]["id"], copied + len(rows)
        for future in futures:
            future.result()
    engine.dispose()
    return time.perf_counter() - started


# --- the backfill ----------------------------------------------------------------------------


def store_settings(url: str, endpoint: str, prefix: str) -> Settings:
    """Settings of the benchmark's database and tables, with the store's contract."""
    return Settings(
        mysql_url=url,
        dynamodb_endpoint=endpoint,
        table_prefix=prefix,
        contract=CONTRACT,
        declarations="examples.store.declarations",
    )


def backfill_copy(url: str, endpoint: str, prefix: str, workers: int, mode: str) -> float:
    """Seconds ``dal backfill --entity products`` takes in ``mode``."""
    settings = store_settings(url, endpoint, prefix)
    with open_tools(settings, workers=workers) as tools:
        options = BackfillOptions(
            entities=("products",), workers=workers, mode=mode, reset_checkpoint=True
        )
        started = time.perf_counter()
        summary = tools.backfill().run(options)
        seconds = time.perf_counter() - started
    if not summary.ok or summary.results[0].copied == 0:
        raise SystemExit(f"backfill did not copy the table: {summary.results}")
    return seconds


def cli_copy(url: str, endpoint: str, prefix: str, workers: int) -> float:
    """Seconds ``dal backfill --entity products --mode batch`` takes as a process of its own."""
    env = {
        **os.environ,
        "DAL_MYSQL_URL": url,
        "DAL_DYNAMODB_ENDPOINT": endpoint,
        "DAL_TABLE_PREFIX": prefix,
        "DAL_CONTRACT": str(CONTRACT),
        "DAL_DECLARATIONS": "examples.store.declarations",
    }
    command = [sys.executable, "-m", "dal.cli", "backfill", "--entity", "products"]
    command += ["--mode", "batch", "--workers", str(workers), "--reset-checkpoint"]
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, capture_output=True)
    return time.perf_counter() - started


def child(args: argparse.Namespace) -> None:
    """Run one backfill (batch mode) and print its peak resident memory as JSON."""
    seconds = backfill_copy(args.url, args.endpoint, args.prefix, args.workers, "batch")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_mb": peak_kb / 1024}))


def memory(server: str, endpoint: str, rows: int, workers: int) -> dict[str, float]:
    """Peak memory of a backfill process copying ``rows`` products."""
    raw = dynamodb_client(endpoint, "us-east-1")
    contract = load_contract(CONTRACT)
    prefix = f"bench_mem_{uuid.uuid4().hex[:6]}_"
    create_tables(raw, contract, prefix)
    try:
        with database(server, rows) as url:
            command = [sys.executable, __file__, "--child", "--url", url, "--endpoint", endpoint]
            command += ["--prefix", prefix, "--workers", str(workers)]
            output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    finally:
        drop_tables(raw, contract, prefix)
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


WAYS = ("raw", "batch", "raw-tx", "conditional", "cli")
"""Each backfill mode follows the raw loop it is compared with."""
BASELINE = {"batch": "raw", "conditional": "raw-tx", "cli": "raw"}


def _one(
    url: str, endpoint: str, way: str, workers: int, raw: Any, limit: int | None = None
) -> float:
    """Seconds one way of copying takes, on tables of its own."""
    contract = load_contract(CONTRACT)
    prefix = f"bench_{way.replace('-', '')}_{uuid.uuid4().hex[:6]}_"
    create_tables(raw, contract, prefix)
    try:
        if way in BASELINE.values():
            return raw_copy(url, endpoint, prefix + "Products", workers, way, limit)
        if way == "cli":
            return cli_copy(url, endpoint, prefix, workers)
        return backfill_copy(url, endpoint, prefix, workers, way)
    finally:
        drop_tables(raw, contract, prefix)


def throughput(
    server: str, endpoint: str, rows: int, workers: int, rounds: int, ways: tuple[str, ...] = WAYS
) -> None:
    """Rows/s of every way in every round, and the median ratio of each mode to its raw loop."""
    raw = dynamodb_client(endpoint, "us-east-1")
    rates: dict[str, list[float]] = {way: [] for way in ways}
    with database(server, rows) as url:
        _one(url, endpoint, "raw", workers, raw, limit=max(1, rows // 10))  # warm-up
        for round_number in range(rounds):
            order = ways if round_number % 2 == 0 else ways[::-1]
            for way in order:
                rates[way].append(rows / _one(url, endpoint, way, workers, raw))
    print(
        f"products: {rows} rows, {workers} worker threads, batches of 25, "
        f"{rounds} interleaved rounds (rows/s per round; ratio: median of the rounds' ratios)"
    )
    for way in ways:
        shown = "  ".join(f"{rate:6.0f}" for rate in rates[way])
        line = f"  {way:<12} {statistics.median(rates[way]):6.0f} rows/s   [{shown}]"
        if way in BASELINE and BASELINE[way] in rates:
            pairs = zip(rates[way], rates[BASELINE[way]], strict=True)
            ratios = [mine / base for mine, base in pairs]
            line += f"   {statistics.median(ratios):4.2f}x {BASELINE[way]}"
        print(line)


def main() -> None:
    """Parse the options and run the benchmark (or, with --child, one measured backfill)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--memory-sizes", default="20000,200000")
    parser.add_argument("--ways", default=",".join(WAYS))
    parser.add_argument("--endpoint", default=os.environ.get("DAL_TEST_DYNAMODB_URL"))
    parser.add_argument(
        "--mysql",
        default=os.environ.get("DAL_TEST_MYSQL_URL") or mariadb.DEFAULT_SERVER_URL,
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--prefix", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    server = mariadb.ensure_server(args.mysql)
    with dynamodb(args.endpoint) as endpoint:
        ways = tuple(way for way in args.ways.split(",") if way)
        throughput(server, endpoint, args.rows, args.workers, args.rounds, ways)
        sizes = [int(size) for size in args.memory_sizes.split(",") if size]
        peaks = {size: memory(server, endpoint, size, args.workers) for size in sizes}
    print("peak resident memory of a backfill process (batch mode):")
    for size, result in peaks.items():
        rate = size / result["seconds"]
        print(f"  {size:>8} rows: {result['peak_mb']:7.1f} MB   ({rate:.0f} rows/s)")


if __name__ == "__main__":
    main()
