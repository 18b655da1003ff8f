"""Backfill passes on MariaDB and DynamoDB Local: a checkpoint resumes only an interrupted pass
of the same job (same segment, same target tables); a finished pass never makes the next one skip
rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from migrate_data import Sizes, fill, item_count
from sqlalchemy import Engine, insert
from support.backfills import StopAfter, Stopped
from typer.testing import CliRunner

from dal.cli import app
from dal.contract import Contract
from dal.migrate.backfill import BackfillOptions, BackfillSummary
from dal.migrate.checkpoints import CheckpointStore, SegmentId
from dal.migrate.ranges import KeyRange
from dal.migrate.tools import MigrationTools, open_tools
from dal.schema import create_tables, drop_tables
from dal.settings import Settings
from examples.store.schema import products

PRODUCTS = ("products",)


def _add_products(engine: Engine, first: int, count: int) -> None:
    rows = [
        {
            "id": n,
            "seller_id": 1,
            "category_id": 1,
            "name": f"Added {n}",
            "price": "1.50",
            "inventory_quantity": 3,
            "version": 1,
        }
        for n in range(first, first + count)
    ]
    with engine.begin() as connection:
        connection.execute(insert(products), rows)


def _interrupted(tools: MigrationTools, options: BackfillOptions, pages: int) -> None:
    with pytest.raises(Stopped):
        tools.backfill(StopAfter(pages)).run(options)


def _only(summary: BackfillSummary) -> tuple[int, int, bool]:
    (result,) = summary.results
    assert not result.failed
    return result.copied, result.skipped, result.resumed


def test_a_second_backfill_copies_the_rows_added_since_the_first(
    tools: MigrationTools, engine: Engine, raw: Any, prefix: str
) -> None:
    fill(engine, Sizes(users=5, products=40))
    first = tools.backfill().run(BackfillOptions(entities=PRODUCTS, page_size=10))
    _add_products(engine, 1000, 7)

    second = tools.backfill().run(BackfillOptions(entities=PRODUCTS, mode="conditional"))

    assert _only(first) == (40, 0, False)
    assert _only(second) == (7, 40, False)  # the 40 are seen again, found equal, left alone
    assert item_count(raw, prefix + "Products") == 47


def test_the_documented_sequence_backfill_dual_write_backfill_copies_new_rows(
    engine: Engine, raw: Any, prefix: str, cli_env: Callable[[dict[str, str]], None]
) -> None:
    fill(engine, Sizes(users=5, products=20))
    runner = CliRunner()
    first = runner.invoke(app, ["backfill", "--entity", "products", "--workers", "2"])
    assert first.exit_code == 0, first.output
    _add_products(engine, 500, 3)
    cli_env({"products": "dual_write"})

    again = runner.invoke(app, ["backfill", "--entity", "products", "--workers", "2"])

    assert again.exit_code == 0, again.output
    assert item_count(raw, prefix + "Products") == 23


def test_a_backfill_into_recreated_tables_starts_from_the_first_row(
    tools: MigrationTools, engine: Engine, raw: Any, prefix: str, contract: Contract
) -> None:
    fill(engine, Sizes(users=5, products=60))
    options = BackfillOptions(entities=PRODUCTS, page_size=10, workers=1)
    assert _only(tools.backfill().run(options)) == (60, 0, False)
    _interrupted(tools, options, pages=2)  # the next pass stops part way
    assert item_count(raw, prefix + "Products") == 60

    drop_tables(raw, contract, prefix)
    create_tables(raw, contract, prefix)
    assert item_count(raw, prefix + "Products") == 0
    again = tools.backfill().run(options)

    assert _only(again) == (60, 0, False)
    assert item_count(raw, prefix + "Products") == 60


def test_a_checkpoint_belongs_to_the_tables_it_was_written_for(
    tools: MigrationTools,
    engine: Engine,
    raw: Any,
    prefix: str,
    contract: Contract,
    settings: Settings,
) -> None:
    fill(engine, Sizes(users=5, products=50))
    options = BackfillOptions(entities=PRODUCTS, page_size=10, workers=1, mode="conditional")
    _interrupted(tools, options, pages=3)
    other = prefix + "o_"
    create_tables(raw, contract, other)

    with open_tools(settings.model_copy(update={"table_prefix": other}), workers=1) as elsewhere:
        copied = elsewhere.backfill().run(options)

    assert _only(copied) == (50, 0, False)
    assert item_count(raw, other + "Products") == 50


def test_an_interrupted_pass_resumes_where_it_stopped_without_copying_twice(
    tools: MigrationTools, engine: Engine, raw: Any, prefix: str
) -> None:
    fill(engine, Sizes(users=5, products=95))
    options = BackfillOptions(entities=PRODUCTS, page_size=10, workers=1, mode="conditional")
    _interrupted(tools, options, pages=4)
    stopped = CheckpointStore(engine).load(SegmentId("products"))
    assert stopped.last_key == (40,)
    assert not stopped.done

    resumed = tools.backfill().run(options)

    copied, skipped, was_resumed = _only(resumed)
    assert was_resumed
    final = CheckpointStore(engine).load(SegmentId("products"))
    assert final.done
    # pages written but not yet checkpointed when the pass stopped are found equal, not rewritten
    assert copied + skipped == 95 - 40
    assert final.copied == 95 - skipped
    assert item_count(raw, prefix + "Products") == 95


def test_reset_checkpoint_starts_an_interrupted_pass_from_the_first_row(
    tools: MigrationTools, engine: Engine, raw: Any, prefix: str
) -> None:
    fill(engine, Sizes(users=5, products=45))
    options = BackfillOptions(entities=PRODUCTS, page_size=10, workers=1, mode="conditional")
    _interrupted(tools, options, pages=2)

    reset = tools.backfill().run(
        BackfillOptions(
            entities=PRODUCTS, page_size=10, workers=1, mode="conditional", reset_checkpoint=True
        )
    )

    copied, skipped, was_resumed = _only(reset)
    assert not was_resumed
    assert copied + skipped == 45
    assert skipped >= 20
    assert item_count(raw, prefix + "Products") == 45


def test_segments_keep_checkpoints_of_their_own(
    tools: MigrationTools, engine: Engine, raw: Any, prefix: str
) -> None:
    fill(engine, Sizes(users=5, products=80))

    def options(segment: int) -> BackfillOptions:
        return BackfillOptions(
            entities=PRODUCTS, segment=segment, segments=2, page_size=10, workers=1
        )

    _interrupted(tools, options(0), pages=2)
    _add_products(engine, 81, 10)  # after the split: the last range is open above
    whole = tools.backfill().run(options(1))
    store = CheckpointStore(engine)
    first = store.load(SegmentId("products", 0, 2))
    assert (first.last_key, first.key_range) == ((20,), KeyRange(None, 41))
    assert store.load(SegmentId("products", 1, 2)).key_range == KeyRange(41, None)
    assert store.load(SegmentId("products", 1, 2)).done

    resumed = tools.backfill().run(options(0))
    repeated = tools.backfill().run(options(1))

    assert _only(whole) == (50, 0, False)
    assert _only(resumed)[2]
    assert sum(_only(resumed)[:2]) == 20
    assert _only(repeated)[2] is False
    assert sum(_only(repeated)[:2]) == 45  # a new pass, a new split: [46..)
    assert item_count(raw, prefix + "Products") == 90
