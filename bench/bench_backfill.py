"""Backfill throughput against a raw boto3 ``batch_write_item`` loop, and its memory at two sizes.

In one run, on the same MariaDB and the same DynamoDB Local, with the same number
of worker threads, the products table is copied three ways:

* **raw**: the simplest possible copy: MySQL rows read page by page, mapped to
  items by hand, written with ``batch_write_item`` (unprocessed items resent);
* **backfill, batch mode** (what ``dal backfill`` does while the stage is ``off``);
* **backfill, conditional mode** (stage ``dual_write`` and later: one conditional
  TransactWriteItems per batch, never overwriting a newer item).

It prints rows/s and the ratio of each backfill to the raw loop (target >= 0.8x
for the batch mode), then the peak resident memory of a backfill process at two
table sizes (flat memory: the larger table must not need much more).

Run: ``.venv/bin/python bench/bench_backfill.py [--rows 20000] [--workers 4]
[--rounds 2] [--memory-sizes 20000,200000]``; ``--endpoint`` (or ``DAL_TEST_DYNAMODB_URL``)
names a DynamoDB endpoint, else DynamoDB Local is started from the npm package's
jar; ``--mysql`` (or ``DAL_TEST_MYSQL_URL``) names a MySQL-compatible server.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select

from adapters.mysql import create_engine
from adapters.mysql.tables import categories, products, users
from dal.aws import dynamodb_client
from dal.contract import load_contract
from dal.local import mariadb
from dal.local.dynamodb_local import DynamoDBLocal
from dal.migrate.backfill import BackfillOptions
from dal.migrate.tools import open_tools
from dal.migrations import upgrade
from dal.schema import create_tables, drop_tables
from dal.settings import Settings, default_contract_path

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = default_contract_path(ROOT)
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


def raw_copy(url: str, endpoint: str, table: str, workers: int, page: int = 500) -> float:
    """Seconds the raw loop takes to copy every product."""
    client = dynamodb_client(endpoint, "us-east-1")
    engine = create_engine(url)

    def write(chunk: list[dict[str, Any]]) -> None:
        request = {table: [{"PutRequest": {"Item": item}} for item in chunk]}
        while request:
            request = client.batch_write_item(RequestItems=request)["UnprocessedItems"]

    started = time.perf_counter()
    last = 0
    with ThreadPoolExecutor(workers) as pool:
        futures = []
        while True:
            with engine.connect() as connection:
                query = select(products).where(products.c.id > last).order_by(products.c.id)
                rows = [dict(r) for r in connection.execute(query.limit(page)).mappings()]
            if not rows:
                break
            items = [_raw_item(row) for row in rows]
            futures += [pool.submit(write, items[i : i + 25]) for i in range(0, len(items), 25)]
            last = rows[-1]["id"]
        for future in futures:
            future.result()
    engine.dispose()
    return time.perf_counter() - started


# --- the backfill ----------------------------------------------------------------------------


def backfill_copy(url: str, endpoint: str, prefix: str, workers: int, mode: str) -> float:
    """Seconds ``dal backfill --entity products`` takes in ``mode``."""
    settings = Settings(
        mysql_url=url, dynamodb_endpoint=endpoint, table_prefix=prefix, contract=CONTRACT
    )
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


def _one(url: str, endpoint: str, way: str, workers: int, contract: Any, raw: Any) -> float:
    """Seconds one way of copying takes, on tables of its own."""
    prefix = f"bench_{way}_{uuid.uuid4().hex[:6]}_"
    create_tables(raw, contract, prefix)
    try:
        if way == "raw":
            return raw_copy(url, endpoint, prefix + "Products", workers)
        return backfill_copy(url, endpoint, prefix, workers, way)
    finally:
        drop_tables(raw, contract, prefix)


def throughput(server: str, endpoint: str, rows: int, workers: int, rounds: int) -> None:
    """Rows/s of the raw loop and of both backfill modes (best of ``rounds``), and the ratios."""
    raw = dynamodb_client(endpoint, "us-east-1")
    contract = load_contract(CONTRACT)
    ways = ("raw", "batch", "conditional")
    best = dict.fromkeys(ways, float("inf"))
    with database(server, rows) as url:
        for _ in range(rounds):  # interleaved, so a warming server favours no one
            for way in ways:
                best[way] = min(best[way], _one(url, endpoint, way, workers, contract, raw))
    base = rows / best["raw"]
    print(f"products: {rows} rows, {workers} worker threads, batches of 25, best of {rounds}")
    print(f"  raw batch_write_item loop     {base:8.0f} rows/s")
    for way in ways[1:]:
        rate = rows / best[way]
        print(f"  backfill, {way + ' mode':<19} {rate:8.0f} rows/s   {rate / base:5.2f}x raw")


def main() -> None:
    """Parse the options and run the benchmark (or, with --child, one measured backfill)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--memory-sizes", default="20000,200000")
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
        throughput(server, endpoint, args.rows, args.workers, args.rounds)
        sizes = [int(size) for size in args.memory_sizes.split(",") if size]
        peaks = {size: memory(server, endpoint, size, args.workers) for size in sizes}
    print("peak resident memory of a backfill process (batch mode):")
    for size, result in peaks.items():
        rate = size / result["seconds"]
        print(f"  {size:>8} rows: {result['peak_mb']:7.1f} MB   ({rate:.0f} rows/s)")


if __name__ == "__main__":
    main()
