"""The positions of change data capture.

Revision ID: 0003_cdc_positions
Revises: 0002_checkpoint_target
Create Date: 2027-02-01

Creates ``dal_cdc_positions(name, position, applied, lag_ms, updated_at)``: one row
per reader of ``dal cdc`` (the binary-log position after the last applied batch, or
the last sequence number applied of each DynamoDB stream shard) and the binary-log
position each backfill pass started from (see ``dal.cdc.checkpoints``). A table that
already exists is left as it is. Downgrade drops it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_cdc_positions"
down_revision: str | Sequence[str] | None = "0002_checkpoint_target"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_POSITIONS = "dal_cdc_positions"


def _exists() -> bool:
    return bool(sa.inspect(op.get_bind()).has_table(_POSITIONS))


def upgrade() -> None:
    """Create ``dal_cdc_positions`` where absent."""
    if _exists():
        return
    op.create_table(
        _POSITIONS,
        sa.Column("name", sa.String(255), primary_key=True),
        sa.Column("position", sa.String(512), nullable=False),
        sa.Column("applied", sa.BigInteger, nullable=False, server_default=sa.text("0")),
        sa.Column("lag_ms", sa.BigInteger, nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        mysql_engine="InnoDB",
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_bin",
        mariadb_engine="InnoDB",
        mariadb_charset="utf8mb4",
        mariadb_collate="utf8mb4_bin",
    )


def downgrade() -> None:
    """Drop ``dal_cdc_positions``."""
    if _exists():
        op.drop_table(_POSITIONS)
