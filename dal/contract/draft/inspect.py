"""What a draft starts from: the live schema of a MySQL/MariaDB (or SQLite) database.

:func:`inspect_schema` reflects every base table with its collations
(:func:`dal.entities.reflect_tables`), lists the views (a draft skips them),
notes triggers and stored routines, and sets aside the tables a draft cannot
make entities of, each with the reason: a table without a primary key, and
bookkeeping tables (the layer's own ``dal_*`` tables, an ``alembic_version``
history).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, Table, inspect, text
from sqlalchemy.exc import SAWarning

from dal.entities import reflect_tables

__all__ = ["Routine", "SchemaInfo", "SkippedTable", "Trigger", "inspect_schema"]

_BOOKKEEPING_PREFIX = "dal_"
_MIGRATION_HISTORY = "alembic_version"


@dataclass(frozen=True)
class SkippedTable:
    """A table of the database that the draft makes no entity of, and why."""

    name: str
    reason: str


@dataclass(frozen=True)
class Trigger:
    """A trigger: the table it fires on and when (``BEFORE INSERT``)."""

    name: str
    table: str
    timing: str


@dataclass(frozen=True)
class Routine:
    """A stored procedure or function."""

    name: str
    kind: str


@dataclass(frozen=True)
class SchemaInfo:
    """The database as a draft sees it.

    ``tables`` holds the tables that become entities (a primary key, not
    bookkeeping), by name, in name order; ``all_tables`` every reflected base
    table (references may name a skipped one).
    """

    database: str | None
    tables: dict[str, Table]
    views: tuple[str, ...]
    skipped: tuple[SkippedTable, ...]
    triggers: tuple[Trigger, ...]
    routines: tuple[Routine, ...]


def inspect_schema(engine: Engine) -> SchemaInfo:
    """Reflect the database behind ``engine``; raises SQLAlchemy's errors when it cannot be read."""
    inspector = inspect(engine)
    names = sorted(inspector.get_table_names())
    views = tuple(sorted(inspector.get_view_names()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # spatial types: reported by the design
        reflected = reflect_tables(engine, names) if names else {}
    tables: dict[str, Table] = {}
    skipped: list[SkippedTable] = []
    for name in names:
        reason = _skip_reason(reflected[name])
        if reason is None:
            tables[name] = reflected[name]
        else:
            skipped.append(SkippedTable(name, reason))
    with engine.connect() as connection:
        triggers = tuple(_triggers(connection))
        routines = tuple(_routines(connection))
    return SchemaInfo(engine.url.database, tables, views, tuple(skipped), triggers, routines)


def _skip_reason(table: Table) -> str | None:
    if table.name.startswith(_BOOKKEEPING_PREFIX):
        return "the layer's own bookkeeping table"
    if table.name == _MIGRATION_HISTORY:
        return "the migration history of a schema tool (Alembic), not application data"
    if not table.primary_key.columns:
        return (
            "it has no primary key: nothing identifies a row, so no DynamoDB item key can be "
            "built and no copy can be verified; add a primary key, then draft again"
        )
    return None


def _triggers(connection: Connection) -> list[Trigger]:
    dialect = connection.dialect.name
    if dialect in ("mysql", "mariadb"):
        rows = connection.execute(
            text(
                "SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION "
                "FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() "
                "ORDER BY TRIGGER_NAME"
            )
        )
        return [Trigger(str(n), str(t), f"{timing} {event}") for n, t, timing, event in rows]
    if dialect == "sqlite":
        rows = connection.execute(
            text("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        )
        return [Trigger(str(n), str(t), "") for n, t in rows]
    return []


def _routines(connection: Connection) -> list[Routine]:
    if connection.dialect.name not in ("mysql", "mariadb"):
        return []
    rows = connection.execute(
        text(
            "SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES "
            "WHERE ROUTINE_SCHEMA = DATABASE() ORDER BY ROUTINE_NAME"
        )
    )
    return [Routine(str(name), str(kind).lower()) for name, kind in rows]
