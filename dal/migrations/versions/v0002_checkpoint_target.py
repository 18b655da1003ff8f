"""Tie each backfill checkpoint to the DynamoDB tables it was written for.

Revision ID: 0002_checkpoint_target
Revises: 0001_layer_tables
Create Date: 2027-01-18

Adds ``target`` to ``dal_backfill_checkpoints``: a digest of the identity of the
tables a backfill pass writes (the table prefix, and each table's name, ARN and
creation time from DescribeTable; see ``dal.migrate.checkpoints.target_identity``).
A checkpoint resumes a pass only into the same tables, so a backfill into
tables that were dropped and created again, or into other tables, starts from
the first row. Rows written before this revision get an empty ``target``,
which no tables have: their next backfill starts from the first row.

The column is added where absent (a table an earlier backfill created may have
it already). Downgrade drops it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_checkpoint_target"
down_revision: str | Sequence[str] | None = "0001_layer_tables"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHECKPOINTS = "dal_backfill_checkpoints"
_COLUMN = "target"


def _has_column() -> bool:
    inspector = sa.inspect(op.get_bind())
    return any(column["name"] == _COLUMN for column in inspector.get_columns(_CHECKPOINTS))


def upgrade() -> None:
    """Add ``dal_backfill_checkpoints.target`` where absent."""
    if not _has_column():
        with op.batch_alter_table(_CHECKPOINTS) as batch:
            batch.add_column(
                sa.Column(_COLUMN, sa.String(64), nullable=False, server_default=sa.text("''"))
            )


def downgrade() -> None:
    """Drop ``dal_backfill_checkpoints.target``."""
    if _has_column():
        with op.batch_alter_table(_CHECKPOINTS) as batch:
            batch.drop_column(_COLUMN)
