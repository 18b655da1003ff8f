"""What the store adds to its legacy schema: version columns for optimistic concurrency.

Revision ID: 0002_version_columns
Revises: 0001_legacy_schema
Create Date: 2026-01-01

* ``version INT NOT NULL DEFAULT 1`` on users, categories, products and orders:
  the optimistic-concurrency version; existing rows start at 1.
A table that already has the column is skipped. Downgrade removes the columns.
The layer's own tables (id blocks, backfill checkpoints) come from ``dal.migrations``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_version_columns"
down_revision: str | Sequence[str] | None = "0001_legacy_schema"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_VERSIONED = ("users", "categories", "products", "orders")


def _columns(inspector: sa.Inspector, table: str) -> set[str]:
    return {column["name"] for column in inspector.get_columns(table)}


def upgrade() -> None:
    """Add the version columns where absent."""
    inspector = sa.inspect(op.get_bind())
    for table in _VERSIONED:
        if "version" not in _columns(inspector, table):
            op.add_column(
                table,
                sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1")),
            )


def downgrade() -> None:
    """Drop the version columns."""
    inspector = sa.inspect(op.get_bind())
    for table in _VERSIONED:
        if "version" in _columns(inspector, table):
            op.drop_column(table, "version")
