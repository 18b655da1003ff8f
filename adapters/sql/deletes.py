"""What deleting an entity does to the entities that reference it, done by the layer itself.

Whatever foreign keys the database has, the layer handles the references
declared in the specs (:func:`adapters.rules.dependents`) in application code,
children first, so the outcome is the same as on every other backend:

* RESTRICT: ReferenceConflict(entity, key label, referenced_by=<dependent entity>);
* CASCADE: the dependent rows are deleted the same way (their own references honoured);
* SET_NULL: the referencing fields become None, as a change of the dependent
  (its version and ``updated_at`` move).

Dependents are handled in declaration order; the caller runs the whole delete in
a savepoint, so a conflict anywhere leaves everything as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from adapters.rules import Dependent, EntityRules, Row, dependents
from adapters.sql.access import EntitySql
from interfaces.entities import EntitySpec, OnDelete
from interfaces.errors import ConcurrencyConflict, ReferenceConflict

__all__ = ["Deleter"]

SqlOf = Callable[[str], EntitySql]


class Deleter:
    """Deletes rows of any declared entity following the on-delete rules that point at it."""

    def __init__(
        self,
        specs: Mapping[str, EntitySpec],
        rules: Mapping[str, EntityRules[Any]],
        sql_of: SqlOf,
    ) -> None:
        self._specs = specs
        self._rules = rules
        self._sql_of = sql_of
        self._dependents = {name: dependents(specs, name) for name in specs}

    def has_dependents(self, name: str) -> bool:
        """Whether any declared entity references ``name``."""
        return bool(self._dependents[name])

    def remove(self, connection: Connection, name: str, row: Row, now: datetime) -> None:
        """Delete the stored ``row`` of entity ``name`` after what references it."""
        self._remove(connection, name, row, now, set())

    def _remove(
        self,
        connection: Connection,
        name: str,
        row: Row,
        now: datetime,
        seen: set[tuple[str, tuple[Any, ...]]],
    ) -> None:
        rules = self._rules[name]
        key = rules.key_of(row)
        seen.add((name, tuple(key.values())))
        for dependent in self._dependents[name]:
            self._handle(connection, name, row, dependent, now, seen)
        if not self._sql_of(name).delete(connection, row):
            raise ConcurrencyConflict(name, rules.label(key))

    def _handle(
        self,
        connection: Connection,
        name: str,
        row: Row,
        dependent: Dependent,
        now: datetime,
        seen: set[tuple[str, tuple[Any, ...]]],
    ) -> None:
        reference = dependent.reference
        target_fields = reference.target_fields or self._specs[name].key
        values = tuple(row[field] for field in target_fields)
        if any(value is None for value in values):
            return
        child_name = dependent.spec.name
        children = self._sql_of(child_name).rows_where(connection, reference.fields, values)
        child_rules = self._rules[child_name]
        children = [
            child
            for child in children
            if (child_name, tuple(child_rules.key_of(child).values())) not in seen
        ]
        if not children:
            return
        if reference.on_delete is OnDelete.RESTRICT:
            rules = self._rules[name]
            raise ReferenceConflict(name, rules.label(rules.key_of(row)), child_name)
        for child in children:
            if reference.on_delete is OnDelete.CASCADE:
                self._remove(connection, child_name, child, now, seen)
            else:
                self._clear(connection, child_name, child, reference.fields, now)

    def _clear(
        self,
        connection: Connection,
        name: str,
        row: Row,
        fields: tuple[str, ...],
        now: datetime,
    ) -> None:
        rules = self._rules[name]
        cleared = rules.cleared_row(row, fields, now)
        version = rules.spec.version
        if not self._sql_of(name).update(
            connection, cleared, row[version] if version is not None else None
        ):
            raise ConcurrencyConflict(name, rules.label(rules.key_of(row)))
