"""Benchmark: the MySQL adapter against raw SQLAlchemy Core doing the same work.

Two operations, on one engine, inside one open transaction (the unit of work's):

* get-by-id of a product: ``store.products.get(id)`` (a domain model) against a
  Core ``SELECT ... WHERE id = :id`` on the reflected table (a row);
* a paged product listing: ``store.products.list(page_size=20)`` (first page,
  models and a page token) against a Core ``SELECT ... ORDER BY name, id LIMIT 21``.

Adapter and raw calls alternate in batches of 200 so both see the same load; each
batch counts its fastest of ``--rounds`` rounds, and the median over batches is
reported. SQLite runs in this process, so it is timed in CPU time (steady on a
busy machine); a server is timed on the wall clock. It prints the mean latency
per call and the ratio adapter/raw. Run::

    .venv/bin/python bench/bench_mysql.py                      # SQLite file in a temp folder
    .venv/bin/python bench/bench_mysql.py --url mysql+pymysql://root@127.0.0.1/bench_db

The MySQL database must exist and is emptied and filled by the benchmark.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine, MetaData, Table, bindparam, select
from sqlalchemy.engine import make_url

from adapters.mysql import create_engine
from adapters.mysql.session import active_work
from examples.store import NewCategory, NewUser, Store
from examples.store.migrations import upgrade
from examples.store.schema import metadata
from examples.store.sql import build_store
from interfaces import SteppingClock

PAGE_SIZE = 20


@dataclass(frozen=True)
class Result:
    """Mean seconds per call of one operation, through the adapter and raw."""

    name: str
    adapter: float
    raw: float

    @property
    def ratio(self) -> float:
        return self.adapter / self.raw


def seed(engine: Engine, store: Store, count: int) -> list[int]:
    """Empty the store and add ``count`` products; return their ids."""
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
    with store.unit_of_work():
        seller = store.users.create(
            NewUser(username="bench", email="bench@example.com", password_hash="x", is_seller=True)
        )
        category = store.categories.create(NewCategory(name="Bench"))
    products = Table("products", MetaData(), autoload_with=engine)
    ids = [1000 + n for n in range(count)]
    rows = [
        {
            "id": product_id,
            "seller_id": seller.id,
            "category_id": category.id,
            "name": f"Product {random.randrange(10**6):06d}",
            "description": f"Description of product {product_id}",
            "price": Decimal(random.randrange(100, 100000)) / 100,
            "inventory_quantity": random.randrange(100),
            "version": 1,
        }
        for product_id in ids
    ]
    with engine.begin() as connection:
        connection.execute(products.insert(), rows)
    return ids


def best_mean(
    call: Callable[[int], object], keys: list[int], rounds: int, clock: Callable[[], float]
) -> float:
    """The lowest mean seconds per call of ``call`` over ``keys`` in ``rounds`` rounds.

    The lowest mean is the one least disturbed by other work on the machine.
    """
    means = []
    for _ in range(rounds):
        start = clock()
        for key in keys:
            call(key)
        means.append((clock() - start) / len(keys))
    return min(means)


def compare(
    name: str,
    adapter: Callable[[int], object],
    raw: Callable[[int], object],
    keys: list[int],
    rounds: int,
    clock: Callable[[], float],
) -> Result:
    """Time ``adapter`` and ``raw`` in alternating batches, so both see the same load."""
    for key in keys[:50]:  # warm up caches (compiled statements, exact-text rules)
        adapter(key)
        raw(key)
    batches = [keys[i : i + 200] for i in range(0, len(keys), 200)]
    adapter_means, raw_means = [], []
    for batch in batches:
        adapter_means.append(best_mean(adapter, batch, rounds, clock))
        raw_means.append(best_mean(raw, batch, rounds, clock))
    return Result(name, statistics.median(adapter_means), statistics.median(raw_means))


def run(url: str, products: int, iterations: int, rounds: int) -> list[Result]:
    """Seed the database at ``url`` and measure both operations."""
    engine = create_engine(url)
    clock = time.process_time if engine.dialect.name == "sqlite" else time.perf_counter
    upgrade(engine)
    store = build_store(engine, clock=SteppingClock())
    ids = seed(engine, store, products)
    keys = [random.choice(ids) for _ in range(iterations)]
    table = Table("products", MetaData(), autoload_with=engine)
    by_id = select(table).where(table.c.id == bindparam("id"))
    first_page = select(table).order_by(table.c.name, table.c.id).limit(PAGE_SIZE + 1)
    with store.unit_of_work():
        work = active_work(engine)
        assert work is not None
        connection = work.connection

        def raw_get(key: int) -> object:
            return connection.execute(by_id, {"id": key}).first()

        def raw_page(key: int) -> object:
            return connection.execute(first_page).all()

        page_keys = keys[: max(200, len(keys) // 10)]

        def adapter_page(key: int) -> object:
            return store.products.list(page_size=PAGE_SIZE)

        results = [
            compare("get by id", store.products.get, raw_get, keys, rounds, clock),
            compare("list page", adapter_page, raw_page, page_keys, rounds, clock),
        ]
    engine.dispose()
    return results


def main() -> None:
    """Parse the options, run the benchmark, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: a SQLite file in a temp folder)")
    parser.add_argument("--products", type=int, default=2000, help="products to seed")
    parser.add_argument(
        "--iterations", type=int, default=5000, help="get-by-id calls (listing: a tenth, >= 200)"
    )
    parser.add_argument("--rounds", type=int, default=5, help="rounds per batch (fastest counts)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = options.url or f"sqlite:///{Path(folder) / 'bench.db'}"
        results = run(url, options.products, options.iterations, options.rounds)
    backend = make_url(url).get_backend_name()
    clock = "CPU time (SQLite runs in this process)" if backend == "sqlite" else "wall clock"
    print(f"{backend}, {clock}, mean per call:")
    print(f"{'operation':<12} {'raw µs':>10} {'adapter µs':>11} {'ratio':>7}")
    for result in results:
        print(
            f"{result.name:<12} {result.raw * 1e6:>10.1f} {result.adapter * 1e6:>11.1f}"
            f" {result.ratio:>6.2f}x"
        )


if __name__ == "__main__":
    main()
