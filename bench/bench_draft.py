"""Draft time on a 100-table schema, beside the time of the inspection alone.

A database of its own on a MySQL-compatible server gets ``--tables`` tables (default
100): ten roots, each with children that cascade from it, a join table between
neighbouring roots, a self reference, a unique and a secondary index per table, and
columns of most types. Each round times, on the same database, ``inspect_schema``
alone (SQLAlchemy reflection, collations, triggers and routines: the floor of any
draft) and a whole ``draft`` (inspection, design, the contract, the module and
design.md); the median of each and their ratio are printed. There is no raw client
to compare a draft with: the inspection is the part every tool must pay.

Run: ``.venv/bin/python bench/bench_draft.py [--tables 100] [--rounds 3]``; ``--mysql``
(or ``DAL_TEST_MYSQL_URL``) names the server, default the local MariaDB as root.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid

from sqlalchemy import Engine

from adapters.mysql import create_engine
from dal.contract.draft import DraftOptions, draft, inspect_schema
from dal.local import mariadb

SERVER = "mysql+pymysql://root@127.0.0.1:3306/"
COLUMNS = (
    "label VARCHAR(80) NOT NULL, amount DECIMAL(12,4) NULL, ratio DOUBLE NULL, "
    "born DATE NULL, at DATETIME(6) NULL, flags SET('a','b') NULL, kind ENUM('x','y') NULL, "
    "body TEXT NULL, raw VARBINARY(32) NULL, version INT NOT NULL DEFAULT 1"
)


def statements(count: int) -> list[str]:
    """DDL of ``count`` tables: roots, cascading children, join tables, self references."""
    roots = max(1, count // 10)
    ddl: list[str] = []
    for r in range(roots):
        ddl.append(
            f"CREATE TABLE root{r} (id INT AUTO_INCREMENT PRIMARY KEY, parent_id INT NULL, "
            f"{COLUMNS}, UNIQUE KEY uq_root{r}_label (label), KEY idx_root{r}_born (born), "
            f"FOREIGN KEY (parent_id) REFERENCES root{r} (id) ON DELETE SET NULL)"
        )
    n = roots
    r = 0
    while n < count:
        if n % 5 == 0 and roots > 1:
            other = (r + 1) % roots
            ddl.append(
                f"CREATE TABLE link{n} (a_id INT NOT NULL, b_id INT NOT NULL, "
                f"PRIMARY KEY (a_id, b_id), FOREIGN KEY (a_id) REFERENCES root{r} (id), "
                f"FOREIGN KEY (b_id) REFERENCES root{other} (id))"
            )
        else:
            ddl.append(
                f"CREATE TABLE child{n} (id INT AUTO_INCREMENT PRIMARY KEY, root_id INT NOT NULL, "
                f"{COLUMNS}, KEY idx_child{n}_at (at), "
                f"FOREIGN KEY (root_id) REFERENCES root{r} (id) ON DELETE CASCADE)"
            )
        n += 1
        r = (r + 1) % roots
    return ddl


def timed(action: object) -> float:
    started = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - started


def run(engine: Engine, rounds: int) -> tuple[list[float], list[float]]:
    inspected: list[float] = []
    drafted: list[float] = []
    for _ in range(rounds):
        inspected.append(timed(lambda: inspect_schema(engine)))
        drafted.append(timed(lambda: draft(engine, DraftOptions())))
    return inspected, drafted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tables", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mysql", default=os.environ.get("DAL_TEST_MYSQL_URL", SERVER))
    args = parser.parse_args()
    name = f"dal_bench_draft_{uuid.uuid4().hex[:8]}"
    engine = create_engine(mariadb.create_database(args.mysql, name))
    try:
        with engine.begin() as connection:
            for statement in statements(args.tables):
                connection.exec_driver_sql(statement)
        timed(lambda: draft(engine, DraftOptions()))  # warm-up: imports, first connections
        inspected, drafted = run(engine, args.rounds)
    finally:
        engine.dispose()
        mariadb.drop_database(args.mysql, name)
    inspect_s = statistics.median(inspected)
    draft_s = statistics.median(drafted)
    print(f"tables: {args.tables}, rounds: {args.rounds}")
    print(f"inspection only: {inspect_s:.2f} s (median; rounds {_list(inspected)})")
    print(f"whole draft:     {draft_s:.2f} s (median; rounds {_list(drafted)})")
    print(f"draft / inspection: {draft_s / inspect_s:.2f}x")
    print(f"draft per table: {1000 * draft_s / args.tables:.1f} ms")


def _list(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main()
