"""Backfill on a Dask LocalCluster of 1, 2 and 4 worker processes, against the raw loop.

In one run, on the same MariaDB and DynamoDB Local, the products table is copied:

* by the raw threaded ``batch_write_item`` loop of ``bench_backfill.py`` (one
  process, 4 threads): the baseline;
* by ``dal backfill --engine dask`` through its library calls
  (:class:`dal.migrate.distributed.DaskBackfill`, batch mode) on a LocalCluster of
  N single-threaded worker processes, 2 x N key-range segments, each segment task
  writing with 4 threads; the cluster is started before the clock starts.

It prints rows/s, the ratio to the raw loop and the scaling N workers / (N x one
worker). On a 2-core machine that also runs DynamoDB Local, the emulator's JVM
and the workers share the cores: scaling stops where they saturate them.

Run: ``.venv/bin/python bench/bench_backfill_dask.py [--rows 40000] [--workers 1,2,4]``
(``--endpoint``/``DAL_TEST_DYNAMODB_URL`` and ``--mysql`` as in ``bench_backfill.py``).
"""

from __future__ import annotations

import argparse
import os
import time
import uuid

from bench_backfill import CONTRACT, database, dynamodb, raw_copy, store_settings
from distributed import Client, LocalCluster

from dal.aws import dynamodb_client
from dal.contract import load_contract
from dal.local import mariadb
from dal.migrate.backfill import BackfillOptions
from dal.migrate.distributed import DaskBackfill
from dal.migrate.tools import open_tools
from dal.schema import create_tables, drop_tables


def dask_copy(url: str, endpoint: str, prefix: str, workers: int) -> float:
    """Seconds a Dask backfill of the products takes on ``workers`` processes."""
    settings = store_settings(url, endpoint, prefix)
    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    with cluster, Client(cluster) as client, open_tools(settings, workers=4) as tools:
        client.run(lambda: __import__("dal.migrate.tasks"))  # imports paid before the clock
        options = BackfillOptions(
            entities=("products",), segments=2 * workers, mode="batch", reset_checkpoint=True
        )
        started = time.perf_counter()
        summary = DaskBackfill(tools, settings, client, threads=4, retries=0).run(options)
        seconds = time.perf_counter() - started
    if not summary.ok:
        raise SystemExit(f"the backfill failed: {summary.results}")
    return seconds


def one(url: str, endpoint: str, raw: object, way: str) -> float:
    """Seconds of one way (``raw`` or a worker count), on tables of its own."""
    contract = load_contract(CONTRACT)
    prefix = f"bench_dask_{uuid.uuid4().hex[:6]}_"
    create_tables(raw, contract, prefix)
    try:
        if way == "raw":
            return raw_copy(url, endpoint, prefix + "Products", 4, "raw")
        return dask_copy(url, endpoint, prefix, int(way))
    finally:
        drop_tables(raw, contract, prefix)


def main() -> None:
    """Run the ways in one round and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=40_000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--endpoint", default=os.environ.get("DAL_TEST_DYNAMODB_URL"))
    parser.add_argument(
        "--mysql", default=os.environ.get("DAL_TEST_MYSQL_URL") or mariadb.DEFAULT_SERVER_URL
    )
    args = parser.parse_args()
    counts = [way for way in args.workers.split(",") if way]
    server = mariadb.ensure_server(args.mysql)
    with dynamodb(args.endpoint) as endpoint, database(server, args.rows) as url:
        raw = dynamodb_client(endpoint, "us-east-1")
        seconds = {way: one(url, endpoint, raw, way) for way in ["raw", *counts]}
    rates = {way: args.rows / s for way, s in seconds.items()}
    single = rates.get(counts[0]) if counts and counts[0] == "1" else None
    print(f"products: {args.rows} rows; Dask LocalCluster, 2 segments per worker, 4 threads each")
    print(f"  {'way':<22} {'rows/s':>7} {'x raw':>6} {'x (N x 1 worker)':>17}")
    print(f"  {'raw batch loop':<22} {rates['raw']:7.0f} {1:6.2f}")
    for way in counts:
        scaling = "" if single is None else f"{rates[way] / (int(way) * single):17.2f}"
        label = f"dask, {way} worker(s)"
        print(f"  {label:<22} {rates[way]:7.0f} {rates[way] / rates['raw']:6.2f} {scaling}")


if __name__ == "__main__":
    main()
