"""The DynamoDB adapter against raw PynamoDB/botocore on the same DynamoDB Local, in one run.

Measures, per call, a product read by id (adapter ``products.get`` vs a raw
``GetItem`` through the same kind of PynamoDB connection, and through a plain
boto3 client) and a product write (adapter ``products.set_inventory`` vs a raw
``UpdateItem`` doing the same change), then prints median and p95 latencies
and the adapter/raw ratios (target for the read: at most 1.15x).

Run: ``.venv/bin/python bench/bench_dynamodb.py [--endpoint URL] [--calls N]``;
without ``--endpoint`` (or ``DAL_TEST_DYNAMODB_URL``) DynamoDB Local is started
from the npm package's jar and stopped afterwards.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from adapters.dynamodb import connect
from dal.aws import dynamodb_client
from dal.contract import load_contract
from dal.local.dynamodb_local import DynamoDBLocal
from dal.schema import create_tables, drop_tables
from examples.store import CONTRACT as STORE_CONTRACT
from examples.store import NewCategory, NewProduct, NewUser
from examples.store.dynamodb import build_store
from interfaces import MemoryIdAllocator

ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def endpoint(given: str | None) -> Iterator[str]:
    """The given endpoint, or a DynamoDB Local started for the run."""
    if given:
        yield given
        return
    with DynamoDBLocal() as server:
        yield server.endpoint


def timed(
    calls: dict[str, Callable[[], Any]], count: int, warmup: int = 200, chunk: int = 25
) -> dict[str, list[float]]:
    """Latencies in milliseconds of ``count`` calls of each callable, interleaved.

    After ``warmup`` untimed calls of each, the callables take turns in chunks of
    ``chunk`` calls, in an order that alternates every chunk, so that a change of
    load on the machine (or the emulator's JIT warming up) falls on every side alike.
    """
    for call in calls.values():
        for _ in range(warmup):
            call()
    samples: dict[str, list[float]] = {name: [] for name in calls}
    order = list(calls)
    while len(samples[order[0]]) < count:
        for name in order:
            call = calls[name]
            for _ in range(min(chunk, count - len(samples[name]))):
                started = time.perf_counter()
                call()
                samples[name].append((time.perf_counter() - started) * 1000)
        order.reverse()
    return samples


def summary(samples: list[float]) -> tuple[float, float]:
    """Median and 95th percentile."""
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def run(url: str, calls: int) -> None:
    contract = load_contract(STORE_CONTRACT)
    prefix = f"bench_{uuid.uuid4().hex[:8]}_"
    raw_client = dynamodb_client(url, "us-east-1")
    create_tables(raw_client, contract, prefix)
    try:
        store = build_store(
            contract=contract, table_prefix=prefix, endpoint=url, ids=MemoryIdAllocator()
        )
        seller = store.users.create(
            NewUser(username="bench", email="bench@example.com", password_hash="h", is_seller=True)
        )
        category = store.categories.create(NewCategory(name="Bench"))
        product = store.products.create(
            NewProduct(
                seller_id=seller.id,
                category_id=category.id,
                name="Widget",
                description="A product to read and write",
                price=Decimal("9.99"),
                inventory_quantity=100,
            )
        )
        table = prefix + "Products"
        key = {"PK": {"S": str(product.id)}, "SK": {"S": "#META"}}
        pynamo = connect(url, "us-east-1")
        get_request: dict[str, Any] = {"TableName": table, "Key": key, "ConsistentRead": True}
        update_request = {
            "TableName": table,
            "Key": key,
            "UpdateExpression": (
                "SET inventory_quantity = :q, version = version + :one, updated_at = :t"
            ),
            "ConditionExpression": "attribute_exists(PK)",
            "ExpressionAttributeValues": {
                ":q": {"N": "7"},
                ":one": {"N": "1"},
                ":t": {"S": "2026-01-01T00:00:00Z"},
            },
            "ReturnValues": "ALL_NEW",
        }
        reads = timed(
            {
                "get: adapter products.get": lambda: store.products.get(product.id),
                "get: raw PynamoDB GetItem": lambda: pynamo.dispatch("GetItem", dict(get_request)),
                "get: raw boto3 get_item": lambda: raw_client.get_item(**get_request),
            },
            calls,
        )
        writes = timed(
            {
                "save: adapter set_inventory": lambda: store.products.set_inventory(product.id, 7),
                "save: raw PynamoDB UpdateItem": lambda: pynamo.dispatch(
                    "UpdateItem", dict(update_request)
                ),
            },
            calls,
        )
        rows = [*reads.items(), *writes.items()]
    finally:
        drop_tables(raw_client, contract, prefix)
    report(rows, calls)


def report(rows: list[tuple[str, list[float]]], calls: int) -> None:
    """Print median and p95 per operation and the adapter/raw ratios of the medians."""
    medians = {}
    print(f"{calls} calls each, DynamoDB Local, latencies in ms")
    print(f"{'operation':34} {'median':>8} {'p95':>8}")
    for name, samples in rows:
        median, p95 = summary(samples)
        medians[name] = median
        print(f"{name:34} {median:8.3f} {p95:8.3f}")
    get_ratio = medians["get: adapter products.get"] / medians["get: raw PynamoDB GetItem"]
    save_ratio = medians["save: adapter set_inventory"] / medians["save: raw PynamoDB UpdateItem"]
    print(f"ratio get  (adapter / raw PynamoDB): {get_ratio:.2f}x (target <= 1.15x)")
    print(f"ratio save (adapter / raw PynamoDB): {save_ratio:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default=os.environ.get("DAL_TEST_DYNAMODB_URL"))
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args()
    with endpoint(args.endpoint) as url:
        run(url, args.calls)


if __name__ == "__main__":
    main()
