"""The check streams: its memory does not grow with the table."""

from __future__ import annotations

import tracemalloc

from sqlalchemy import Engine, text

from dal.contract.check import database_targets, run_check


def _peak_bytes(engine: Engine) -> int:
    tracemalloc.start()
    try:
        report = run_check(engine, database_targets(engine), "every table", fetch_size=500)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.ok
    return peak


def test_memory_stays_flat_as_rows_are_added(db: Engine) -> None:
    with db.begin() as connection:
        connection.execute(
            text("CREATE TABLE t (id INT PRIMARY KEY, note VARCHAR(200), amount DECIMAL(10, 2))")
        )
        connection.execute(
            text("INSERT INTO t SELECT seq, REPEAT('x', 200), seq / 100 FROM seq_1_to_5000")
        )
    small = _peak_bytes(db)
    with db.begin() as connection:
        connection.execute(
            text("INSERT INTO t SELECT seq, REPEAT('y', 200), seq / 100 FROM seq_5001_to_40000")
        )
    large = _peak_bytes(db)

    assert large < small * 1.5 + 200_000, (small, large)  # 8x the rows, not 8x the memory
