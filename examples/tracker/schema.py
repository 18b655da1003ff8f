"""The tracker's MySQL schema as SQLAlchemy Core tables (MySQL/MariaDB and SQLite).

On MySQL the types are the ones a legacy schema would have: ``ENUM``,
``DECIMAL(12,4)``, ``DATETIME(6)`` and case-insensitive collations on the unique
text columns; on SQLite the same columns compare with ``NOCASE``.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql, sqlite

__all__ = ["TICKET_STATUSES", "labels", "metadata", "projects", "tickets"]

TICKET_STATUSES = ("open", "in_progress", "closed")

metadata = MetaData()


def _ci_text(length: int) -> String:
    """Text compared case-insensitively: a ``_ci`` collation on MySQL, NOCASE on SQLite."""
    return (
        String(length)
        .with_variant(mysql.VARCHAR(length, collation="utf8mb4_unicode_ci"), "mysql", "mariadb")
        .with_variant(sqlite.VARCHAR(length, collation="NOCASE"), "sqlite")
    )


projects = Table(
    "projects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", _ci_text(100), nullable=False, unique=True),
    Column("owner_email", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    mysql_engine="InnoDB",
    mysql_charset="utf8mb4",
)

labels = Table(
    "labels",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("project_id", Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(60), nullable=False),
    Column("created_at", DateTime, nullable=False),
    mysql_engine="InnoDB",
    mysql_charset="utf8mb4",
)

tickets = Table(
    "tickets",
    metadata,
    Column("project_id", Integer, primary_key=True, autoincrement=False),
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("code", _ci_text(40), nullable=False),
    Column("title", String(200), nullable=False),
    Column("status", Enum(*TICKET_STATUSES, name="ticket_status"), nullable=False),
    Column("estimate", Numeric(12, 4), nullable=False),
    Column(
        "due_at",
        DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb"),
        nullable=True,
    ),
    Column("label_id", Integer, ForeignKey("labels.id", ondelete="SET NULL"), nullable=True),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="RESTRICT"),
    UniqueConstraint("code", name="uq_tickets_code"),
    mysql_engine="InnoDB",
    mysql_charset="utf8mb4",
)
