"""The database's own unique indexes as a backstop: a duplicate names the entity's field.

The repository checks keys and unique values before it writes; a row written
by someone else in between is caught by the database's unique index. This
module turns that IntegrityError into the AlreadyExists the layer's own check
would have raised: the key, a declared :class:`~interfaces.entities.Unique`, or
the fields of an undeclared unique index, with the values of the row written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Index, PrimaryKeyConstraint, UniqueConstraint
from sqlalchemy.exc import DBAPIError

from adapters.mysql.errors import translate
from adapters.rules import EntityRules
from adapters.sql.columns import EntityTable
from interfaces.errors import AlreadyExists, DalError

__all__ = ["DuplicateNamer"]

_MYSQL_KEY = re.compile(r"for key '(?:[^'.]+\.)?([^']+)'")
_SQLITE_COLUMNS = re.compile(r"UNIQUE constraint failed: (.+)$")


class DuplicateNamer:
    """Names the fields of the unique index a duplicate-key error reports."""

    def __init__(self, entity: EntityTable, rules: EntityRules[Any]) -> None:
        self._entity = entity
        self._rules = rules
        self._fields_by_column = {f.column.name: f.field for f in entity.fields}
        self._by_name: dict[str, tuple[str, ...]] = {}
        table = entity.table
        for constraint in table.constraints:
            if isinstance(constraint, PrimaryKeyConstraint | UniqueConstraint):
                columns = tuple(c.name for c in constraint.columns)
                name = "PRIMARY" if isinstance(constraint, PrimaryKeyConstraint) else None
                self._remember(constraint.name or name, columns)
        for index in table.indexes:
            if isinstance(index, Index) and index.unique:
                self._remember(index.name, tuple(c.name for c in index.columns))

    def _remember(self, name: Any, columns: tuple[str, ...]) -> None:
        if isinstance(name, str):
            self._by_name[name] = columns
        if columns:  # MySQL names an unnamed unique index after its first column
            self._by_name.setdefault(columns[0], columns)

    def error(self, exc: DBAPIError, row: Mapping[str, Any]) -> DalError:
        """The layer's error for ``exc``; AlreadyExists naming the fields for a duplicate."""
        translated = translate(exc)
        if not isinstance(translated, AlreadyExists):
            return translated
        fields = self._fields(str(getattr(exc.orig, "args", [""])[-1] or exc.orig))
        if not fields:
            return AlreadyExists(self._entity.spec.name, translated.field, translated.value)
        return self._already_exists(fields, row)

    def _fields(self, message: str) -> tuple[str, ...]:
        columns: tuple[str, ...] = ()
        found = _MYSQL_KEY.search(message)
        if found is not None:
            columns = self._by_name.get(found.group(1), ())
        else:
            listed = _SQLITE_COLUMNS.search(message)
            if listed is not None:
                columns = tuple(part.strip().split(".")[-1] for part in listed.group(1).split(","))
        fields = tuple(self._fields_by_column.get(column) for column in columns)
        return () if None in fields else tuple(f for f in fields if f is not None)

    def _already_exists(self, fields: tuple[str, ...], row: Mapping[str, Any]) -> AlreadyExists:
        spec = self._entity.spec
        if set(fields) == set(spec.key):
            return self._rules.already_exists_key(self._rules.key_of(row))
        for unique in spec.unique:
            if set(unique.fields) == set(fields):
                return self._rules.already_exists_unique(unique, row)
        values = tuple(row.get(name) for name in fields)
        return AlreadyExists(spec.name, ",".join(fields), values[0] if len(values) == 1 else values)
