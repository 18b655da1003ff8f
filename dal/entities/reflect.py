"""Read tables from a live database, with the collation of every text column.

SQLAlchemy's reflection reports a column's collation only where the DDL names
one: on MySQL/MariaDB a column that inherits the table's default has none, and
SQLite reports none at all. :func:`reflect_tables` adds the collation the
database actually uses to ``column.info["collation"]``: from
``information_schema.COLUMNS`` on MySQL/MariaDB, from the ``COLLATE`` clauses of
the table's ``CREATE TABLE`` statement on SQLite. ``FLOAT`` and ``DOUBLE`` columns return
floats and ``TIME`` columns ``timedelta`` values
(:func:`adapters.sql.readtypes.read_values_as_stored`), as the model's fields hold them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from sqlalchemy import Connection, Engine, MetaData, Table, bindparam, text
from sqlalchemy.exc import NoSuchTableError

from adapters.sql.readtypes import read_values_as_stored
from dal.entities.collation import COLLATION_INFO
from dal.entities.errors import DeclarationError

__all__ = ["reflect_tables"]

_MYSQL_COLLATIONS = text(
    "SELECT TABLE_NAME, COLUMN_NAME, COLLATION_NAME FROM information_schema.COLUMNS "
    "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN :names AND COLLATION_NAME IS NOT NULL"
).bindparams(bindparam("names", expanding=True))

_SQLITE_DDL = text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name")

_IDENTIFIER = re.compile(r"\s*(?:\"((?:[^\"]|\"\")+)\"|`([^`]+)`|\[([^\]]+)\]|(\w+))")
_COLLATE = re.compile(r"\bCOLLATE\s+[\"'`\[]?(\w+)", re.IGNORECASE)


def reflect_tables(engine: Engine, names: Iterable[str]) -> dict[str, Table]:
    """The tables ``names`` as the database at ``engine`` has them, by name.

    Tables they reference are reflected too (into the same ``MetaData``) but
    only the named ones are returned. Raises :class:`DeclarationError` listing every
    table the database does not have.
    """
    wanted = list(dict.fromkeys(names))
    metadata = MetaData()
    tables: dict[str, Table] = {}
    missing: list[str] = []
    with engine.connect() as connection:
        for name in wanted:
            try:
                tables[name] = Table(name, metadata, autoload_with=connection)
            except NoSuchTableError:
                missing.append(name)
        if missing:
            raise DeclarationError(f"the database has no table {', '.join(missing)}")
        _add_collations(connection, metadata)
    read_values_as_stored(metadata)
    return tables


def _add_collations(connection: Connection, metadata: MetaData) -> None:
    tables = metadata.tables
    if connection.dialect.name in ("mysql", "mariadb"):
        found: Iterable[tuple[str, str, str]] = _mysql_collations(connection, list(tables))
    elif connection.dialect.name == "sqlite":
        found = _sqlite_collations(connection, list(tables))
    else:
        return
    for table_name, column_name, collation in found:
        table = tables.get(table_name)
        if table is not None and column_name in table.columns:
            table.columns[column_name].info[COLLATION_INFO] = collation


def _mysql_collations(connection: Connection, names: list[str]) -> list[tuple[str, str, str]]:
    rows = connection.execute(_MYSQL_COLLATIONS, {"names": names})
    return [(str(table), str(column), str(collation)) for table, column, collation in rows]


def _sqlite_collations(connection: Connection, names: list[str]) -> Iterator[tuple[str, str, str]]:
    for name in names:
        ddl = connection.execute(_SQLITE_DDL, {"name": name}).scalar()
        if isinstance(ddl, str):
            for column, collation in column_collations(ddl):
                yield name, column, collation


def column_collations(ddl: str) -> Iterator[tuple[str, str]]:
    """(column, collation) of every column definition with a ``COLLATE`` clause in ``ddl``."""
    start, end = ddl.find("("), ddl.rfind(")")
    if start < 0 or end < start:
        return
    for definition in _top_level_parts(ddl[start + 1 : end]):
        name = _IDENTIFIER.match(definition)
        collate = _COLLATE.search(definition)
        if name is None or collate is None:
            continue
        column = next(group for group in name.groups() if group is not None)
        if column.upper() not in ("CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"):
            yield column.replace('""', '"'), collate.group(1)


def _top_level_parts(body: str) -> Iterator[str]:
    """``body`` split at the commas outside parentheses and quotes."""
    depth, quote = 0, ""
    part: list[str] = []
    for char in body:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'`[":
            quote = "]" if char == "[" else char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            yield "".join(part)
            part = []
            continue
        part.append(char)
    yield "".join(part)
