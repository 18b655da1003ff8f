"""Backfill and verify with their segments as tasks on a Dask LocalCluster of 2 processes:
the same result as one process, a failed segment retried, a killed worker's segment resumed."""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from distributed import Client
from integration.migrate.migrate_data import Sizes, fill, scan_all
from sqlalchemy import Engine, text
from support.backfills import StopAfter, store_settings
from typer.testing import CliRunner

from dal.cli import app
from dal.contract import load_contract
from dal.migrate.backfill import BackfillOptions, BackfillSummary, EntityResult
from dal.migrate.checkpoints import CheckpointStore, SegmentId
from dal.migrate.distributed import DaskBackfill, DaskVerifier
from dal.migrate.tasks import BackfillTask, backfill_segment
from dal.migrate.tools import MigrationTools, open_tools
from dal.migrate.verify import VerifyOptions
from dal.schema import create_tables
from dal.settings import Settings
from examples.store import CONTRACT

pytestmark = pytest.mark.slow

PRODUCTS = ("products",)
runner = CliRunner()


def crash_once(markers: str, task: BackfillTask) -> EntityResult:
    """The segment task, whose first run copies two pages and then fails."""
    marker = Path(markers) / task.name
    if not marker.exists():
        marker.touch()
        with open_tools(task.settings, workers=1) as tools:
            tools.backfill(StopAfter(2)).run_segment(task.segment, task.key_range, task.options)
    return backfill_segment(task)


def _items(raw: Any, prefix: str) -> dict[str, list[Any]]:
    found = {}
    for table in ("Users", "Products", "Categories"):
        items = scan_all(raw, prefix + table)
        found[table] = sorted(items, key=lambda item: (item["PK"]["S"], item["SK"]["S"]))
    return found


def _copied(summary: BackfillSummary) -> tuple[int, int]:
    return sum(r.copied for r in summary.results), sum(r.skipped for r in summary.results)


def test_dask_backfill_and_verify_give_the_one_process_result(
    dask: Client,
    tools: MigrationTools,
    settings: Settings,
    store_url: str,
    dynamodb_endpoint: str,
    table_prefix: str,
    raw: Any,
    engine: Engine,
) -> None:
    fill(engine, Sizes(users=12, categories=9, products=60))
    options = BackfillOptions(segments=2, workers=2, page_size=20)
    summary = DaskBackfill(tools, settings, dask, threads=2).run(options)
    one = f"{settings.table_prefix}one_"
    create_tables(raw, load_contract(CONTRACT), one)
    with open_tools(store_settings(store_url, dynamodb_endpoint, one), workers=2) as alone:
        single = alone.backfill().run(BackfillOptions(workers=2, page_size=20))

    assert summary.ok
    assert single.ok
    assert len(summary.results) == 2 * len(single.results)
    assert _copied(summary) == _copied(single)
    assert _items(raw, settings.table_prefix) == _items(raw, one)
    local = tools.verifier().run(VerifyOptions(), list(tools.plans.values()))
    parts = DaskVerifier(tools, settings, dask, parts=2).run(
        VerifyOptions(), list(tools.plans.values())
    )
    assert parts.ok
    assert local.ok
    assert parts.to_json() == local.to_json()


def test_a_failed_segment_is_retried_and_resumes_its_checkpoint(
    dask: Client,
    tools: MigrationTools,
    settings: Settings,
    raw: Any,
    engine: Engine,
    tmp_path: Path,
) -> None:
    fill(engine, Sizes(users=5, products=200))
    options = BackfillOptions(entities=PRODUCTS, segments=2, workers=1, page_size=20)
    runner = DaskBackfill(tools, settings, dask, threads=1, retries=1)
    tasks = runner.tasks(options)
    futures = dask.map(functools.partial(crash_once, str(tmp_path)), tasks, retries=1, pure=False)
    results: list[EntityResult] = [future.result() for future in futures]

    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(t.name for t in tasks)
    assert all(result.resumed for result in results)  # the retry went on after page 2
    assert sum(r.copied + r.skipped for r in results) == 200 - 2 * 2 * 20
    assert len(scan_all(raw, settings.table_prefix + "Products")) == 200
    assert {item["version"]["N"] for item in scan_all(raw, settings.table_prefix + "Products")} == {
        "1"
    }
    assert tools.verifier().run(VerifyOptions(), [tools.plans["products"]]).ok


def test_a_killed_worker_s_segment_resumes_from_its_checkpoint(
    dask: Client, tools: MigrationTools, settings: Settings, raw: Any, engine: Engine
) -> None:
    fill(engine, Sizes(users=5, products=600))
    options = BackfillOptions(entities=PRODUCTS, segments=2, workers=1, page_size=10, batch_size=5)
    runner = DaskBackfill(tools, settings, dask, threads=1, retries=0)
    store = CheckpointStore(engine)
    with ThreadPoolExecutor(1) as background:
        running = background.submit(runner.run, options)
        pid = _kill_a_worker_mid_segment(dask, store)
        summary = running.result(timeout=240)

    assert pid > 0
    assert summary.ok
    assert any(result.resumed for result in summary.results)
    products = scan_all(raw, settings.table_prefix + "Products")
    assert len(products) == 600
    assert {item["version"]["N"] for item in products} == {"1"}
    assert tools.verifier().run(VerifyOptions(), [tools.plans["products"]]).ok


def _kill_a_worker_mid_segment(dask: Client, store: CheckpointStore) -> int:
    """Wait until a segment has checkpointed a page, then kill the worker running it."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        started = [store.load(SegmentId("products", i, 2)) for i in range(2)]
        going = [i for i, c in enumerate(started) if c.last_key is not None and not c.done]
        names = {f"backfill-products-{i}-of-2-" for i in going}
        for worker, keys in dask.processing().items():
            if any(str(key).startswith(name) for key in keys for name in names):
                pid = next(iter(dask.run(os.getpid, workers=[worker]).values()))
                os.kill(pid, 9)
                return int(pid)
        time.sleep(0.02)
    raise AssertionError("no segment checkpointed a page in time")


def in_environment(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """``settings`` as the ``DAL_*`` variables the commands read."""
    for key, value in {
        "DAL_MYSQL_URL": settings.mysql_url,
        "DAL_DYNAMODB_ENDPOINT": settings.dynamodb_endpoint or "",
        "DAL_TABLE_PREFIX": settings.table_prefix,
        "DAL_CONTRACT": str(settings.contract),
        "DAL_DECLARATIONS": settings.declarations or "",
    }.items():
        monkeypatch.setenv(key, value)


def test_the_commands_run_on_a_scheduler(
    dask: Client, settings: Settings, engine: Engine, raw: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(engine, Sizes(users=4, products=30))
    in_environment(settings, monkeypatch)
    on = ["--engine", "dask", "--scheduler", dask.scheduler.address]

    copied = runner.invoke(app, ["backfill", *on, "--segments", "2", "--threads", "2"])
    verified = runner.invoke(app, ["verify", *on, "--json"])
    misused = runner.invoke(app, ["backfill", *on, "--segment", "1", "--segments", "2"])
    local = runner.invoke(app, ["verify", "--scheduler", dask.scheduler.address])
    raw.delete_item(
        TableName=settings.table_prefix + "Products", Key={"PK": {"S": "7"}, "SK": {"S": "#META"}}
    )
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM shopping_carts LIMIT 1"))
    drifted = runner.invoke(app, ["verify", *on, "--json"])
    repaired = runner.invoke(app, ["repair", *on, "--authoritative", "mysql"])
    again = runner.invoke(app, ["verify", *on])

    assert copied.exit_code == 0, copied.output
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.stdout)["entities"]["products"]["rows"] == 30
    assert misused.exit_code == 2
    assert "--segment does not apply to --engine dask" in misused.output
    assert local.exit_code == 2
    assert "--scheduler needs --engine dask" in local.output
    kinds = sorted(f["kind"] for f in json.loads(drifted.stdout)["findings"])
    assert kinds == ["missing_in_dynamodb", "missing_in_mysql"]
    assert repaired.exit_code == 0, repaired.output
    assert again.exit_code == 0, again.output


def _hide_tasks() -> None:
    sys.modules["dal.migrate.tasks"] = None  # type: ignore[assignment]  # import now fails


def _show_tasks() -> None:
    sys.modules.pop("dal.migrate.tasks", None)


def test_workers_that_cannot_import_the_layer_stop_the_run_with_an_error(
    dask: Client, settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker that cannot unpickle a task drops its connection; the run must not wait forever."""
    fill(engine, Sizes(users=2, products=5))
    in_environment(settings, monkeypatch)
    dask.run(_hide_tasks)
    try:
        started = time.monotonic()
        result = runner.invoke(
            app, ["backfill", "--engine", "dask", "--scheduler", dask.scheduler.address]
        )
        took = time.monotonic() - started
    finally:
        dask.run(_show_tasks)

    assert result.exit_code == 2, result.output
    assert "a Dask worker cannot import the layer" in result.output
    assert "dal.migrate.tasks" in result.output
    assert took < 60
    assert len(dask.scheduler_info()["workers"]) == 2  # the workers are still there
