"""The tables the layer keeps for itself in the application's database.

Revision ID: 0001_layer_tables
Revises:
Create Date: 2026-12-06

* ``dal_id_blocks(sequence, next_value)``: the hi/lo blocks from which new ids
  are allocated (the first block of a sequence starts above the largest key of the
  table it is named after);
* ``dal_backfill_checkpoints(entity, segment, segments, last_key, copied, skipped,
  failed, done, updated_at)``: one row per entity and segment of ``dal backfill``,
  holding the primary key of the last row whose items are all written (see
  ``dal.migrate.checkpoints``).

A table that already exists is left as it is. Downgrade drops both tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0001_layer_tables"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID_BLOCKS = "dal_id_blocks"
_CHECKPOINTS = "dal_backfill_checkpoints"
_MYSQL_OPTIONS: dict[str, Any] = {
    f"{prefix}_{key}": value
    for prefix in ("mysql", "mariadb")
    for key, value in (("engine", "InnoDB"), ("charset", "utf8mb4"), ("collate", "utf8mb4_bin"))
}


def _count(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=False, server_default=sa.text("0"))


def upgrade() -> None:
    """Create the id-allocator and checkpoint tables where absent."""
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    options = _MYSQL_OPTIONS if bind.dialect.name in ("mysql", "mariadb") else {}
    if not inspector.has_table(_ID_BLOCKS):
        op.create_table(
            _ID_BLOCKS,
            sa.Column("sequence", sa.String(64), primary_key=True),
            sa.Column("next_value", sa.BigInteger(), nullable=False),
            **options,
        )
    if not inspector.has_table(_CHECKPOINTS):
        op.create_table(
            _CHECKPOINTS,
            sa.Column("entity", sa.String(64), primary_key=True),
            sa.Column("segment", sa.Integer(), primary_key=True, autoincrement=False),
            sa.Column("segments", sa.Integer(), primary_key=True, autoincrement=False),
            sa.Column("last_key", sa.String(512), nullable=True),
            _count("copied"),
            _count("skipped"),
            _count("failed"),
            sa.Column("done", sa.Boolean(), nullable=False, server_default=sa.false()),
            sa.Column("updated_at", sa.DateTime(), nullable=False),
            **options,
        )


def downgrade() -> None:
    """Drop the checkpoint and id-allocator tables."""
    inspector = sa.inspect(op.get_bind())
    for table in (_CHECKPOINTS, _ID_BLOCKS):
        if inspector.has_table(table):
            op.drop_table(table)
