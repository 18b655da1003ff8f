"""The layer's own tables in the MySQL database, and the dialect names it treats as MySQL.

``dal_id_blocks`` holds the hi/lo state of :class:`~adapters.mysql.ids.SqlIdAllocator`;
the Alembic migrations in ``dal.migrations`` create it (``dal db upgrade``).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, MetaData, String, Table

__all__ = ["MYSQL_DIALECTS", "id_blocks", "layer_metadata"]

MYSQL_DIALECTS = frozenset({"mysql", "mariadb"})
"""Dialect names of MySQL-compatible servers."""

layer_metadata = MetaData()
"""The tables the layer keeps for itself in the application's database."""

id_blocks = Table(
    "dal_id_blocks",
    layer_metadata,
    Column("sequence", String(64), primary_key=True),
    Column("next_value", BigInteger, nullable=False),
)
"""Hi/lo id allocation: the next id not yet handed out, per sequence."""
