"""The backfill's checkpoint table.

Revision ID: 0003_backfill_checkpoints
Revises: 0002_layer_additions
Create Date: 2026-01-20

* ``dal_backfill_checkpoints(entity, segment, segments, last_key, copied, skipped,
  failed, done, updated_at)``: one row per entity and segment of ``dal backfill``,
  holding the primary key of the last row whose items are all written (see
  ``dal.migrate.checkpoints``).

A table that already exists (created by an earlier backfill) is left as it is.
Downgrade drops the table, and with it every checkpoint.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003_backfill_checkpoints"
down_revision: str | Sequence[str] | None = "0002_layer_additions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHECKPOINTS = "dal_backfill_checkpoints"
_MYSQL_OPTIONS: dict[str, Any] = {
    f"{prefix}_{key}": value
    for prefix in ("mysql", "mariadb")
    for key, value in (("engine", "InnoDB"), ("charset", "utf8mb4"), ("collate", "utf8mb4_bin"))
}


def _count(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), nullable=False, server_default=sa.text("0"))


def upgrade() -> None:
    """Create the checkpoint table where absent."""
    bind = op.get_bind()
    if sa.inspect(bind).has_table(_CHECKPOINTS):
        return
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
        **(_MYSQL_OPTIONS if bind.dialect.name in ("mysql", "mariadb") else {}),
    )


def downgrade() -> None:
    """Drop the checkpoint table."""
    if sa.inspect(op.get_bind()).has_table(_CHECKPOINTS):
        op.drop_table(_CHECKPOINTS)
