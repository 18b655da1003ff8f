"""What the layer adds to the legacy schema: version columns and the id-allocator table.

Revision ID: 0002_layer_additions
Revises: 0001_legacy_schema
Create Date: 2026-01-01

* ``version INT NOT NULL DEFAULT 1`` on users, categories, products and orders:
  the optimistic-concurrency version; existing rows start at 1.
* ``dal_id_blocks(sequence, next_value)``: the hi/lo blocks from which new ids
  are allocated (the first block of a sequence starts above its table's largest id).

Both steps skip what already exists. Downgrade removes them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002_layer_additions"
down_revision: str | Sequence[str] | None = "0001_legacy_schema"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_VERSIONED = ("users", "categories", "products", "orders")
_ID_BLOCKS = "dal_id_blocks"
_MYSQL_OPTIONS: dict[str, Any] = {
    f"{prefix}_{key}": value
    for prefix in ("mysql", "mariadb")
    for key, value in (("engine", "InnoDB"), ("charset", "utf8mb4"), ("collate", "utf8mb4_bin"))
}


def _columns(inspector: sa.Inspector, table: str) -> set[str]:
    return {column["name"] for column in inspector.get_columns(table)}


def upgrade() -> None:
    """Add the version columns and the id-allocator table where absent."""
    inspector = sa.inspect(op.get_bind())
    for table in _VERSIONED:
        if "version" not in _columns(inspector, table):
            op.add_column(
                table,
                sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1")),
            )
    if not inspector.has_table(_ID_BLOCKS):
        mysql = op.get_bind().dialect.name in ("mysql", "mariadb")
        op.create_table(
            _ID_BLOCKS,
            sa.Column("sequence", sa.String(64), primary_key=True),
            sa.Column("next_value", sa.BigInteger(), nullable=False),
            **(_MYSQL_OPTIONS if mysql else {}),
        )


def downgrade() -> None:
    """Drop the id-allocator table and the version columns."""
    inspector = sa.inspect(op.get_bind())
    if inspector.has_table(_ID_BLOCKS):
        op.drop_table(_ID_BLOCKS)
    for table in _VERSIONED:
        if "version" in _columns(inspector, table):
            op.drop_column(table, "version")
