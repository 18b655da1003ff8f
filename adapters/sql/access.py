"""Reading and writing the rows of one entity on a connection, with its kept statements.

:class:`EntitySql` runs the statements of :class:`~adapters.sql.statements.EntityStatements`
with rows of field names: it binds values as the columns store them and turns
the database's values back into the model's. It applies no rule of its own;
the repository decides what to read and write.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from adapters.rules import EntityRules, QueryArgs, Row
from adapters.sql.columns import EntityTable
from adapters.sql.duplicates import DuplicateNamer
from adapters.sql.keyset import after_param, where_param
from adapters.sql.statements import (
    KEYS,
    LIMIT,
    OLD_VERSION,
    EntityStatements,
    key_param,
    set_param,
    unique_param,
)
from interfaces.entities import Unique

__all__ = ["EntitySql"]


class EntitySql:
    """The rows of one entity, read and written on the caller's connection."""

    def __init__(
        self, entity: EntityTable, statements: EntityStatements, rules: EntityRules[Any]
    ) -> None:
        self.entity = entity
        self.statements = statements
        self._rules = rules
        self._key = entity.spec.key
        self._key_params = tuple(key_param(i) for i in range(len(self._key)))
        self._duplicates = DuplicateNamer(entity, rules)
        self._single_key = len(self._key) == 1

    def _key_binds(self, key: Mapping[str, Any]) -> dict[str, Any]:
        db = self.entity.db_value
        return {
            param: db(name, key[name])
            for param, name in zip(self._key_params, self._key, strict=True)
        }

    def _binds(self, names: Sequence[str], values: Sequence[Any]) -> dict[str, Any]:
        db = self.entity.db_value
        return {
            unique_param(i): db(n, v) for i, (n, v) in enumerate(zip(names, values, strict=True))
        }

    # --- reads ----------------------------------------------------------------------------

    def fetch(
        self, connection: Connection, key: Mapping[str, Any], for_update: bool = False
    ) -> Row | None:
        """The row of ``key``, or None; ``for_update`` locks it until the transaction ends."""
        statement = self.statements.get_for_update if for_update else self.statements.get
        found = connection.execute(statement, self._key_binds(key)).first()
        return None if found is None else self.entity.row(found)

    def key_taken(self, connection: Connection, key: Mapping[str, Any]) -> bool:
        """Whether a row with ``key`` exists."""
        return connection.execute(self.statements.exists, self._key_binds(key)).first() is not None

    def unique_taken(
        self,
        connection: Connection,
        unique: Unique,
        row: Mapping[str, Any],
        own_key: Mapping[str, Any] | None,
    ) -> bool:
        """Whether another row holds the ``unique`` value of ``row`` (not ``own_key``'s row)."""
        statement = self.statements.unique_taken(unique, own_key is not None)
        binds = self._binds(unique.fields, [row[name] for name in unique.fields])
        if own_key is not None:
            binds.update(self._key_binds(own_key))
        return connection.execute(statement, binds).first() is not None

    def exists_where(
        self, connection: Connection, names: tuple[str, ...], values: Sequence[Any]
    ) -> bool:
        """Whether a row has ``names`` equal to ``values``."""
        statement = self.statements.exists_where(names)
        return connection.execute(statement, self._binds(names, values)).first() is not None

    def rows_where(
        self, connection: Connection, names: tuple[str, ...], values: Sequence[Any]
    ) -> list[Row]:
        """Every row whose ``names`` equal ``values``, in no particular order."""
        statement = self.statements.rows_where(names)
        result = connection.execute(statement, self._binds(names, values))
        return [self.entity.row(found) for found in result]

    def batch(self, connection: Connection, keys: Sequence[Mapping[str, Any]]) -> list[Row]:
        """The rows of ``keys`` that exist, in the order of ``keys``."""
        if not keys:
            return []
        if self._single_key:
            name = self._key[0]
            wanted: list[Any] = [self.entity.db_value(name, key[name]) for key in keys]
        else:
            wanted = [tuple(self._key_binds(key).values()) for key in keys]
        found: dict[tuple[Any, ...], Row] = {}
        for values in connection.execute(self.statements.batch, {KEYS: wanted}):
            row = self.entity.row(values)
            found[tuple(row[name] for name in self._key)] = row
        rows = (found.get(tuple(key[name] for name in self._key)) for key in keys)
        return [row for row in rows if row is not None]

    def page_rows(self, connection: Connection, args: QueryArgs) -> list[Row]:
        """The rows of one page of a named query (and one more), ordered, after the token."""
        named = args.named
        where = [args.where[name] for name in named.where]
        order_fields = self._rules.order_fields(named)
        after = args.after
        shape = (
            named.name,
            tuple(value is None for value in where),
            None if after is None else tuple(value is None for value in after),
        )
        statement = self.statements.query(named, order_fields, shape)
        db = self.entity.db_value
        binds: dict[str, Any] = {LIMIT: args.page_size + 1}
        for i, (name, value) in enumerate(zip(named.where, where, strict=True)):
            if value is not None:
                binds[where_param(i)] = db(name, value)
        token = after if after is not None else ()
        for i, (name, value) in enumerate(zip(order_fields[: len(token)], token, strict=True)):
            if value is not None:
                binds[after_param(i)] = db(name, value)
        return [self.entity.row(values) for values in connection.execute(statement, binds)]

    # --- writes ---------------------------------------------------------------------------

    def insert(self, connection: Connection, row: Mapping[str, Any]) -> None:
        """Insert ``row``; AlreadyExists naming the fields of a unique index it would duplicate."""
        values = self.entity.db_values(row)
        params = {self.entity.column(name).name: values[name] for name in self.entity.names}
        try:
            connection.execute(self.statements.insert, params)
        except IntegrityError as exc:
            raise self._duplicates.error(exc, row) from exc

    def update(self, connection: Connection, row: Mapping[str, Any], old_version: Any) -> bool:
        """Write ``row`` over the stored row of its key at ``old_version``; False if none is."""
        values = self.entity.db_values(row)
        binds = {set_param(i): values[name] for i, name in enumerate(self.statements.set_fields)}
        binds.update(self._key_binds(row))
        if self.statements.version_field is not None:
            binds[OLD_VERSION] = old_version
        try:
            result = connection.execute(self.statements.update, binds)
        except IntegrityError as exc:
            raise self._duplicates.error(exc, row) from exc
        return result.rowcount == 1

    def delete(self, connection: Connection, row: Mapping[str, Any]) -> bool:
        """Delete the stored ``row`` (at its version); False if it is gone or has changed."""
        binds = self._key_binds(row)
        version = self.statements.version_field
        if version is not None:
            binds[OLD_VERSION] = row[version]
        return connection.execute(self.statements.delete, binds).rowcount == 1
