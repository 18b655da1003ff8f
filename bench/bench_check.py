"""Benchmark: `dal contract check` against a raw pymysql streaming SELECT of the same rows.

A generated table of ``--rows`` rows (default 1M; a BIGINT key, a DECIMAL, a
VARCHAR with unicode, a DATETIME(6), a DATE, an unsigned BIGINT and a nullable
TEXT) is filled once in a database of its own on the server at ``--url``. Then,
in turns (``--rounds`` each, best of each kept), the same rows are read:

* raw: ``SELECT <columns> FROM t ORDER BY id`` on a pymysql ``SSCursor``,
  fetching 2000 rows at a time and touching nothing;
* check: :func:`dal.contract.check.run_check` on the table as ``dal contract
  check --every-table`` sees it (the same streaming SELECT, every value through
  the column checks, plus the key-collision queries).

It prints rows per second of each and the ratio check/raw. Run::

    PYTHONPATH=$PWD .venv/bin/python bench/bench_check.py
    PYTHONPATH=$PWD .venv/bin/python bench/bench_check.py --rows 100000 --rounds 1
"""

from __future__ import annotations

import argparse
import time
import uuid

import pymysql
import pymysql.cursors
from sqlalchemy import text
from sqlalchemy.engine import make_url

from adapters.mysql import create_engine
from dal.contract.check import database_targets, run_check
from dal.local import mariadb

_CHUNK = 100_000
_COLUMNS = "id, amount, note, at, born, big, body"
_FILL = (
    "INSERT INTO t SELECT seq, seq / 7, CONCAT('naïve ☕ ', seq),"
    " TIMESTAMP('2024-01-01') + INTERVAL seq SECOND,"
    " DATE('2000-01-01') + INTERVAL (seq % 9000) DAY,"
    " seq * 1000, IF(seq % 10 = 0, REPEAT('x', 200), NULL) FROM seq_{first}_to_{last}"
)


def _fill(url: str, rows: int) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE t (id BIGINT PRIMARY KEY, amount DECIMAL(20,4), note VARCHAR(100),"
                " at DATETIME(6), born DATE, big BIGINT UNSIGNED, body TEXT)"
            )
        )
    for start in range(1, rows + 1, _CHUNK):  # chunks: each INSERT within the read timeout
        with engine.begin() as connection:
            end = min(start + _CHUNK - 1, rows)
            connection.execute(text(_FILL.format(first=start, last=end)))
    engine.dispose()


def _raw(url: str) -> tuple[int, float]:
    parsed = make_url(url)
    connection = pymysql.connect(
        host=parsed.host,
        port=parsed.port or 3306,
        user=parsed.username,
        password=parsed.password or "",
        database=parsed.database,
        charset="utf8mb4",
        cursorclass=pymysql.cursors.SSCursor,
    )
    started = time.perf_counter()
    count = 0
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_COLUMNS} FROM t ORDER BY id")
        while batch := cursor.fetchmany(2000):
            count += len(batch)
    connection.close()
    return count, time.perf_counter() - started


def _check(url: str) -> tuple[int, float]:
    engine = create_engine(url)
    started = time.perf_counter()
    report = run_check(engine, database_targets(engine), "bench")
    seconds = time.perf_counter() - started
    engine.dispose()
    return sum(scan.rows for scan in report.tables), seconds


def main() -> None:
    """Fill the table, time both readers in turns, print the table of rates."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="mysql+pymysql://root@127.0.0.1:3306/")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    name = f"bench_check_{uuid.uuid4().hex[:8]}"
    url = mariadb.create_database(args.url, name)
    try:
        _fill(url, args.rows)
        raw_best = check_best = float("inf")
        for _ in range(args.rounds):
            rows, seconds = _raw(url)
            raw_best = min(raw_best, seconds)
            checked, seconds = _check(url)
            check_best = min(check_best, seconds)
            assert rows == checked == args.rows, (rows, checked)
    finally:
        mariadb.drop_database(args.url, name)
    print(f"{'reader':<28}{'rows':>10}{'seconds':>10}{'rows/s':>12}{'ratio':>8}")
    print(
        f"{'raw pymysql SSCursor':<28}{args.rows:>10}{raw_best:>10.2f}"
        f"{args.rows / raw_best:>12.0f}{1.0:>8.2f}"
    )
    print(
        f"{'dal contract check':<28}{args.rows:>10}{check_best:>10.2f}"
        f"{args.rows / check_best:>12.0f}{check_best / raw_best:>8.2f}"
    )


if __name__ == "__main__":
    main()
