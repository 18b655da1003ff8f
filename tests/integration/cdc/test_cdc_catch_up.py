"""Direct SQL writes during and after a backfill reach DynamoDB through ``dal cdc mysql``.

The writes bypass the layer: inserts, updates, deletes, a multi-row transaction, a
bulk UPDATE of 10,000 rows (labels, one item each), and deletes that foreign keys
cascade (``ON DELETE CASCADE`` to labels, then ``ON DELETE SET NULL`` to tickets,
neither of which is in the binary log). After CDC catches up, ``dal verify`` finds no difference.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import text
from support.cdc import cdc_thread, failing, seed, verify, wait_caught_up

from dal.cdc.checkpoints import PositionStore
from dal.cdc.mysql_service import BACKFILL_PREFIX, MysqlCdcOptions
from dal.migrate.backfill import BackfillOptions
from dal.migrate.tools import open_tools

PROJECTS, LABELS, TICKETS = 100, 10_000, 300
"""Labels spread over 100 projects: deleting project 1 cascades to its 100 labels."""


def _writes_during_backfill(engine, stop: threading.Event) -> int:
    """Direct writes while the backfill copies: new tickets and changes of copied ones."""
    made = 0
    with engine.connect() as connection:
        while not stop.is_set() or made < 20:
            made += 1
            with connection.begin():
                connection.execute(
                    text(
                        "UPDATE tickets SET title = :title, version = version + 1 "
                        "WHERE project_id = :project AND number = :number"
                    ),
                    {"title": f"during {made}", "project": made % PROJECTS + 1, "number": 0},
                )
                connection.execute(
                    text(
                        "UPDATE tickets SET status = 'in_progress', version = version + 1 "
                        "WHERE number IN (:a, :b)"
                    ),
                    {"a": made * 7, "b": TICKETS - made * 13},
                )
                connection.execute(
                    text(
                        "INSERT INTO tickets (project_id, number, code, title, status, estimate, "
                        "version, created_at, updated_at) VALUES (:project, :number, :code, "
                        "'new during backfill', 'open', 2.5, 1, NOW(), NOW())"
                    ),
                    {"project": made % PROJECTS + 1, "number": TICKETS + made, "code": f"D-{made}"},
                )
            time.sleep(0.05)
    return made


def _writes_after_backfill(engine) -> None:
    with engine.begin() as connection:  # a multi-row transaction
        connection.execute(
            text("UPDATE projects SET name = CONCAT(name, ' (renamed)'), version = version + 1")
        )
        connection.execute(text("UPDATE tickets SET code = CONCAT('X-', code) WHERE number < 50"))
        connection.execute(text("DELETE FROM tickets WHERE number BETWEEN 50 AND 59"))
        connection.execute(
            text(
                "INSERT INTO labels (id, project_id, title, created_at) "
                "VALUES (20000, 2, 'added', NOW())"
            )
        )
    with engine.begin() as connection:  # a bulk UPDATE of 10,000 rows
        changed = connection.execute(text("UPDATE labels SET title = CONCAT(title, ' *')"))
        assert changed.rowcount >= 10_000
    with engine.begin() as connection:  # tickets of project 2 take label 1 (project 1's)
        connection.execute(text("UPDATE tickets SET label_id = 1 WHERE project_id = 2"))
    with engine.begin() as connection:  # project 1 goes: its labels cascade, tickets of
        # project 2 lose label 1 (SET NULL): neither is in the binary log
        connection.execute(text("DELETE FROM tickets WHERE project_id = 1"))
        connection.execute(text("DELETE FROM projects WHERE id = 1"))
    with engine.begin() as connection:  # a label alone: its tickets' label_id set to NULL
        connection.execute(text("DELETE FROM labels WHERE id = 3"))


def test_writes_during_and_after_a_backfill_reach_dynamodb(settings, engine) -> None:
    seed(engine, PROJECTS, LABELS, TICKETS)
    with open_tools(settings, workers=4) as tools:
        stop = threading.Event()
        writer = threading.Thread(target=_writes_during_backfill, args=(engine, stop))
        writer.start()
        try:
            summary = tools.backfill().run(BackfillOptions(mode="batch", page_size=1000))
        finally:
            stop.set()
            writer.join()
        assert summary.ok
        recorded = PositionStore(engine).matching(BACKFILL_PREFIX)
        assert {row.name for row in recorded} == {f"{BACKFILL_PREFIX}{e}" for e in tools.plans}

        with cdc_thread(tools, MysqlCdcOptions(from_backfill=True)) as running:
            wait_caught_up(engine, timeout=300, errors=running.errors)
            _writes_after_backfill(engine)
            wait_caught_up(engine, timeout=300, errors=running.errors)
        assert running.errors == []
        assert running.recorder.records == []
        counts = running.service.metrics.snapshot()["counts"]
        assert counts["applied"] > LABELS
        report = verify(tools)
    assert failing(report) == []
    with engine.connect() as connection:
        cleared = connection.execute(
            text("SELECT COUNT(*) FROM tickets WHERE project_id = 2 AND label_id IS NULL")
        ).scalar_one()
    assert cleared > 0
