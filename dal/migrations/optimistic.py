"""Version columns for the declarations that opt into optimistic concurrency.

An entity declaration that names a ``version`` field needs that column in its
table. :func:`add_version_columns` adds ``<column> INT NOT NULL DEFAULT 1`` (every
existing row starts at version 1, as the layer's creates do) to each declared
table that lacks it, and touches nothing else: no other column, no table of an
entity that does not opt in, no table that does not exist. ``dal db upgrade``
runs it after the layer's migrations when ``DAL_DECLARATIONS`` is set.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy import Engine

from interfaces.entities import EntitySpec

__all__ = ["add_version_columns", "missing_version_columns"]


def missing_version_columns(engine: Engine, specs: Iterable[EntitySpec]) -> list[tuple[str, str]]:
    """(table, column) of every declared version column the database does not have yet."""
    inspector = sa.inspect(engine)
    tables = set(inspector.get_table_names())
    missing: list[tuple[str, str]] = []
    for spec in specs:
        if spec.version is None or spec.table not in tables:
            continue
        column = spec.column(spec.version)
        present = {c["name"] for c in inspector.get_columns(spec.table)}
        if column not in present and (spec.table, column) not in missing:
            missing.append((spec.table, column))
    return missing


def add_version_columns(engine: Engine, specs: Iterable[EntitySpec]) -> list[str]:
    """Add the missing version columns; ``table.column`` of each one added, in order."""
    added = []
    preparer = engine.dialect.identifier_preparer
    for table, column in missing_version_columns(engine, specs):
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    f"ALTER TABLE {preparer.quote(table)} ADD COLUMN "
                    f"{preparer.quote(column)} INTEGER NOT NULL DEFAULT 1"
                )
            )
        added.append(f"{table}.{column}")
    return added
