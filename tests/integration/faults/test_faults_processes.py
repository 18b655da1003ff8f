"""A ``dal backfill`` and a ``dal repair`` killed with SIGKILL half-way, then run again.

Both start from rows the old application wrote straight into MySQL and nothing in
DynamoDB: the backfill in stage ``off`` (plain batch writes, the first copy), the
repair in ``dual_write`` (MySQL authoritative). The process runs as a child
(``python -m dal ...``) and is killed once part of the rows reached DynamoDB; the
same command then runs to the end. Every row must then be in DynamoDB exactly
once, and ``dal verify`` must find nothing.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import pytest
from fault_figures import Row
from fault_harness import (
    Backends,
    count_items,
    dal,
    dal_process,
    findings,
    insert_legacy_rows,
    scan_keys,
)

pytestmark = [pytest.mark.mysql, pytest.mark.dynamodb, pytest.mark.timeout(300)]

BACKFILL_ROWS = 1500
REPAIR_ROWS = 400
KILL_AT = 0.2
"""The share of the rows that must be in DynamoDB before the process is killed."""


def _kill_half_way(backends: Backends, rows: int, *command: str) -> int:
    """Run ``dal <command>`` as a child, SIGKILL it mid-run; how many products it had written."""
    table = backends.prefix + "Products"
    child = dal_process(backends, *command)
    try:
        deadline = time.monotonic() + 60
        while (written := count_items(backends.endpoint, table)) < rows * KILL_AT:
            assert child.poll() is None, f"dal {command[0]} ended before it could be killed"
            assert time.monotonic() < deadline, f"dal {command[0]} made no progress"
            time.sleep(0.2)
        child.kill()
    finally:
        child.wait(timeout=30)
    assert written < rows, f"dal {command[0]} finished before it was killed"
    return written


def _products_in_dynamodb(backends: Backends) -> list[int]:
    return [int(pk) for pk, _ in scan_keys(backends.endpoint, backends.prefix + "Products")]


def _row(case: str, stage: str, fault: str, rows: int, written: int, ids: list[int]) -> Row:
    expected = set(range(1, rows + 1))
    wrong = len(expected - set(ids)) + (len(ids) - len(set(ids))) + len(set(ids) - expected)
    return Row(
        case=case,
        stage=stage,
        fault=fault,
        attempted=rows,
        acknowledged=written,
        lost=wrong,
        logged=None,
        divergences=0,
        p99_ms=None,
        budget_ms=None,
    )


def test_a_backfill_killed_mid_run_and_run_again_copies_every_row_once(
    make_backends: Callable[[str], Backends], figures: list[Row]
) -> None:
    backends = make_backends("off")
    insert_legacy_rows(backends.mysql_url, BACKFILL_ROWS)

    written = _kill_half_way(backends, BACKFILL_ROWS, "backfill", "--page-size", "100")
    rerun = dal(backends, "backfill")
    ids = _products_in_dynamodb(backends)
    left = findings(backends)
    row = _row(
        "backfill-killed",
        "off",
        "dal backfill killed (SIGKILL), run again",
        BACKFILL_ROWS,
        written,
        ids,
    )
    figures.append(dataclasses.replace(row, divergences=len(left)))

    assert rerun.exit_code == 0, rerun.stdout
    assert sorted(ids) == list(range(1, BACKFILL_ROWS + 1)), "products missing or doubled"
    assert not left, f"dal verify finds {len(left)}: {left[:5]}"


def test_a_repair_killed_mid_run_and_run_again_leaves_nothing_to_repair(
    make_backends: Callable[[str], Backends], figures: list[Row]
) -> None:
    backends = make_backends("dual_write")
    insert_legacy_rows(backends.mysql_url, REPAIR_ROWS)

    written = _kill_half_way(backends, REPAIR_ROWS, "repair", "--entity", "products")
    rerun = dal(backends, "repair")
    ids = _products_in_dynamodb(backends)
    left = findings(backends)
    row = _row(
        "repair-killed",
        "dual_write",
        "dal repair killed (SIGKILL), run again",
        REPAIR_ROWS,
        written,
        ids,
    )
    figures.append(dataclasses.replace(row, divergences=len(left)))

    assert rerun.exit_code == 0, rerun.stdout
    assert sorted(ids) == list(range(1, REPAIR_ROWS + 1)), "products missing or doubled"
    assert not left, f"dal verify finds {len(left)}: {left[:5]}"
