"""Where copying saturates: raw loops in 1, 2, 4 processes, and Dask backfill on 1, 2, 4 workers.

In one run, on the same MariaDB and DynamoDB Local, the products table is copied:

* by the raw threaded ``batch_write_item`` loop of ``bench_backfill.py`` run in N
  separate processes at once (4 threads each, each process its own share of the
  ids, all started together once their clients exist): the aggregate rows/s
  this machine's DynamoDB Local takes from N copying processes, with no layer
  in the way;
* by ``dal backfill --engine dask`` through its library calls
  (:class:`dal.migrate.distributed.DaskBackfill`, batch mode) on a LocalCluster of
  N single-threaded worker processes, 2 x N key-range segments, each segment task
  writing with 4 threads; the cluster is started before the clock starts.

Both write the same items (the backfill's, which the raw loop maps by hand), 25
to a request. For each N the table gives rows/s, the scaling N / (N x one) of
both, the Dask backfill against the raw loop with as many processes, and the CPU
the DynamoDB Local JVM and MariaDB used meanwhile (percent of one core, from
psutil). Where the raw loop's aggregate stops growing with N, DynamoDB Local (with
whatever else shares the cores) is the ceiling, not the layer.

Run: ``.venv/bin/python bench/bench_backfill_dask.py [--rows 40000] [--workers 1,2,4]
[--ways raw,dask]`` (``--endpoint``/``DAL_TEST_DYNAMODB_URL`` and ``--mysql`` as in
``bench_backfill.py``; with ``--endpoint`` the JVM's CPU is not reported).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psutil
from bench_backfill import CONTRACT, database, dynamodb, raw_copy, store_settings
from distributed import Client, LocalCluster

from dal.aws import dynamodb_client
from dal.contract import load_contract
from dal.local import mariadb
from dal.migrate.backfill import BackfillOptions
from dal.migrate.distributed import DaskBackfill
from dal.migrate.tools import open_tools
from dal.schema import create_tables, drop_tables


@dataclass
class Run:
    """One measured copy: its seconds and the CPU seconds of the servers meanwhile."""

    seconds: float
    jvm: float | None
    mariadb: float | None

    def share(self, cpu: float | None) -> str:
        """CPU seconds as a share of one core over the run."""
        return "   -" if cpu is None else f"{cpu / self.seconds:4.0%}"


def _server_processes(endpoint: str) -> tuple[psutil.Process | None, psutil.Process | None]:
    """The DynamoDB Local JVM listening on ``endpoint``'s port, and the MariaDB server."""
    port = endpoint.rsplit(":", 1)[-1]
    jvm = maria = None
    for process in psutil.process_iter(["name", "cmdline"]):
        line = process.info["cmdline"] or []
        if process.info["name"] == "java" and "-port" in line and port in line:
            jvm = process
        elif process.info["name"] in ("mariadbd", "mysqld"):
            maria = process
    return jvm, maria


def _cpu(process: psutil.Process | None) -> float | None:
    if process is None:
        return None
    times = process.cpu_times()
    return float(times.user + times.system)


@contextmanager
def measured(endpoint: str) -> Iterator[Callable[[float], Run]]:
    """Yields a function that turns a copy's seconds into a :class:`Run` with server CPU."""
    jvm, maria = _server_processes(endpoint)
    before = _cpu(jvm), _cpu(maria)

    def finish(seconds: float) -> Run:
        after = _cpu(jvm), _cpu(maria)
        pairs = zip(after, before, strict=True)
        used = [None if a is None or b is None else a - b for a, b in pairs]
        return Run(seconds, used[0], used[1])

    yield finish


# --- the raw loop in N processes -------------------------------------------------------------


def _raw_process(
    url: str, endpoint: str, table: str, ids: tuple[int, int], ready: Any, go: Any, ends: Any
) -> None:
    """One process's share of the raw copy; reports when it finished (monotonic clock)."""

    def wait() -> None:
        ready.wait()
        go.wait()

    raw_copy(url, endpoint, table, 4, "raw", ids=ids, ready=wait)
    ends.put(time.monotonic())


def raw_processes(url: str, endpoint: str, table: str, rows: int, count: int) -> float:
    """Seconds ``count`` processes running the raw loop at once take to copy every row."""
    context = multiprocessing.get_context("spawn")
    ready, go, ends = context.Barrier(count + 1), context.Event(), context.Queue()
    share = -(-rows // count)
    shares = [(n * share + 1, min(rows, (n + 1) * share)) for n in range(count)]
    processes = [
        context.Process(
            target=_raw_process, args=(url, endpoint, table, ids, ready, go, ends), daemon=True
        )
        for ids in shares
    ]
    for process in processes:
        process.start()
    ready.wait()  # every process has its client and engine
    started = time.monotonic()
    go.set()
    finished = [ends.get(timeout=600) for _ in processes]
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise SystemExit(f"a raw copy process failed (exit code {process.exitcode})")
    return max(finished) - started


# --- Dask backfill ---------------------------------------------------------------------------


def dask_copy(url: str, endpoint: str, prefix: str, workers: int) -> Run:
    """A Dask backfill of the products on ``workers`` processes."""
    settings = store_settings(url, endpoint, prefix)
    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    with cluster, Client(cluster) as client, open_tools(settings, workers=4) as tools:
        client.run(lambda: __import__("dal.migrate.tasks"))  # imports paid before the clock
        options = BackfillOptions(
            entities=("products",), segments=2 * workers, mode="batch", reset_checkpoint=True
        )
        with measured(endpoint) as finish:
            started = time.perf_counter()
            summary = DaskBackfill(tools, settings, client, threads=4, retries=0).run(options)
            run = finish(time.perf_counter() - started)
    if not summary.ok:
        raise SystemExit(f"the backfill failed: {summary.results}")
    return run


def one(url: str, endpoint: str, raw: object, way: str, count: int, rows: int) -> Run:
    """One way (``raw`` or ``dask``) with ``count`` processes, on tables of its own."""
    contract = load_contract(CONTRACT)
    prefix = f"bench_dask_{uuid.uuid4().hex[:6]}_"
    create_tables(raw, contract, prefix)
    try:
        if way == "raw":
            with measured(endpoint) as finish:
                return finish(raw_processes(url, endpoint, prefix + "Products", rows, count))
        return dask_copy(url, endpoint, prefix, count)
    finally:
        drop_tables(raw, contract, prefix)


def main() -> None:
    """Run every way once per process count and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=40_000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--ways", default="raw,dask")
    parser.add_argument("--endpoint", default=os.environ.get("DAL_TEST_DYNAMODB_URL"))
    parser.add_argument(
        "--mysql", default=os.environ.get("DAL_TEST_MYSQL_URL") or mariadb.DEFAULT_SERVER_URL
    )
    args = parser.parse_args()
    counts = [int(count) for count in args.workers.split(",") if count]
    ways = [way for way in args.ways.split(",") if way]
    server = mariadb.ensure_server(args.mysql)
    runs: dict[tuple[str, int], Run] = {}
    with dynamodb(args.endpoint) as endpoint, database(server, args.rows) as url:
        raw = dynamodb_client(endpoint, "us-east-1")
        one(url, endpoint, raw, "raw", 1, args.rows // 10)  # warm-up
        for count in counts:
            for way in ways:
                runs[way, count] = one(url, endpoint, raw, way, count, args.rows)
    print(
        f"products: {args.rows} rows, batches of 25, 4 writer threads per process; "
        f"Dask: 2 key-range segments per worker; CPU: % of one core over the run "
        f"({os.cpu_count()} cores)"
    )
    header = f"  {'way':<8} {'N':>2} {'rows/s':>7} {'x (N x one)':>12} {'x raw N':>8}"
    print(f"{header} {'JVM CPU':>8} {'MariaDB CPU':>12}")
    for way in ways:
        for count in counts:
            run = runs[way, count]
            rate = args.rows / run.seconds
            single = runs.get((way, 1))
            scaling = "" if single is None else f"{rate / (count * args.rows / single.seconds):.2f}"
            base = runs.get(("raw", count))
            versus = "" if base is None else f"{rate / (args.rows / base.seconds):.2f}"
            print(
                f"  {way:<8} {count:>2} {rate:7.0f} {scaling:>12} {versus:>8} "
                f"{run.share(run.jvm):>8} {run.share(run.mariadb):>12}"
            )


if __name__ == "__main__":
    main()
