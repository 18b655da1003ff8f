"""The checkpoint table comes from the layer's migrations; without it the backfill names the fix."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from migrate_data import Sizes, fill
from sqlalchemy import Engine, insert, inspect, select, text
from typer.testing import CliRunner

from dal import migrations
from dal.cli import app
from dal.migrate.backfill import BackfillOptions
from dal.migrate.checkpoints import (
    CHECKPOINT_TABLE,
    Checkpoint,
    CheckpointStore,
    CheckpointTableMissing,
    SegmentId,
    checkpoint_table,
)
from dal.migrate.tools import MigrationTools

BEFORE = "base"


def _columns(engine: Engine) -> dict[str, tuple[str, bool]]:
    found = inspect(engine).get_columns(CHECKPOINT_TABLE)
    return {c["name"]: (type(c["type"]).__name__, bool(c["nullable"])) for c in found}


def test_upgrade_creates_the_table_the_checkpoint_store_uses(engine: Engine) -> None:
    assert migrations.current(engine) == migrations.head() == "0003_cdc_positions"
    expected = {c.name for c in checkpoint_table.columns}
    nullable = {name for name, (_, null) in _columns(engine).items() if null}
    primary = inspect(engine).get_pk_constraint(CHECKPOINT_TABLE)["constrained_columns"]

    assert set(_columns(engine)) == expected
    assert nullable == {"last_key"}
    assert primary == ["entity", "segment", "segments"]
    store = CheckpointStore(engine)
    saved = Checkpoint(SegmentId("users", 1, 3), (42,), copied=40, skipped=2, failed=1)
    store.save(saved)
    assert store.load(saved.segment) == saved


def test_downgrade_drops_the_table_and_upgrade_keeps_one_an_earlier_backfill_made(
    engine: Engine,
) -> None:
    migrations.downgrade(engine, BEFORE)
    assert not inspect(engine).has_table(CHECKPOINT_TABLE)
    checkpoint_table.create(engine)  # as backfills created it before the migration existed
    with engine.begin() as connection:
        connection.execute(
            insert(checkpoint_table).values(
                entity="users",
                segment=0,
                segments=1,
                last_key="[7]",
                copied=7,
                skipped=0,
                failed=0,
                done=False,
                updated_at=datetime.now(UTC).replace(tzinfo=None),
            )
        )

    migrations.upgrade(engine)

    with engine.connect() as connection:
        kept = connection.execute(select(checkpoint_table.c.last_key)).scalars().all()
    assert kept == ["[7]"]


def test_a_backfill_without_the_table_stops_before_copying_and_names_the_command(
    tools: MigrationTools, engine: Engine, raw: Any, prefix: str
) -> None:
    fill(engine, Sizes(users=3, categories=2, products=3))
    migrations.downgrade(engine, BEFORE)

    with pytest.raises(CheckpointTableMissing, match="run `dal db upgrade`"):
        tools.backfill().run(BackfillOptions(entities=("users",), workers=1))

    assert raw.scan(TableName=prefix + "Users", Select="COUNT")["Count"] == 0
    migrations.upgrade(engine)
    assert tools.backfill().run(BackfillOptions(entities=("users",), workers=1)).ok


def test_the_command_exits_3_with_the_fix_when_the_table_is_missing(
    engine: Engine, cli_env: Callable[[dict[str, str]], None]
) -> None:
    migrations.downgrade(engine, BEFORE)

    result = CliRunner().invoke(app, ["backfill", "--entity", "users"])

    assert result.exit_code == 3, result.output
    assert "dal db upgrade" in result.output


def test_a_table_without_the_target_column_is_refused_until_the_second_revision_runs(
    tools: MigrationTools, engine: Engine, raw: Any, prefix: str
) -> None:
    fill(engine, Sizes(users=3, categories=2, products=3))
    migrations.downgrade(engine, "0001_layer_tables")
    assert "target" not in _columns(engine)
    with engine.begin() as connection:  # an unfinished pass recorded before the column existed
        connection.execute(
            text(
                f"INSERT INTO {CHECKPOINT_TABLE} (entity, segment, segments, last_key, copied, "
                "skipped, failed, done, updated_at) "
                "VALUES ('users', 0, 1, '[2]', 2, 0, 0, 0, '2026-01-01 00:00:00')"
            )
        )

    with pytest.raises(CheckpointTableMissing, match="0002_checkpoint_target"):
        tools.backfill().run(BackfillOptions(entities=("users",), workers=1))

    migrations.upgrade(engine)
    assert _columns(engine)["target"] == ("VARCHAR", False)
    assert CheckpointStore(engine).load(SegmentId("users")).target == ""
    result = tools.backfill().run(BackfillOptions(entities=("users",), workers=1)).results[0]
    assert (result.copied, result.resumed) == (3, False)  # no tables named: not resumed
    assert raw.scan(TableName=prefix + "Users", Select="COUNT")["Count"] == 3 + 3  # and guards
