"""The generic SQL repository of one declared entity.

Every method runs on the connection of the caller's unit of work (NoUnitOfWork
outside one) and is the boundary where driver errors become the layer's errors
(``raise ... from``); an error after which the server has already rolled back
the transaction dooms the unit of work. The rules come from
:class:`~adapters.rules.EntityRules`; this class only decides what to read and
write, in the order :mod:`interfaces.repository` specifies.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy.engine import Connection
from sqlalchemy.exc import StatementError
from sqlalchemy.exc import TimeoutError as SATimeoutError

from adapters.boundary import wrap_public_methods
from adapters.mysql.errors import ends_transaction, translate
from adapters.mysql.session import active_work
from adapters.rules import EntityRules, Row
from adapters.sql.access import EntitySql
from adapters.sql.context import SqlContext
from interfaces.entities import KeyValue
from interfaces.errors import ConcurrencyConflict, NotFound
from interfaces.markers import command, query
from interfaces.paging import DEFAULT_PAGE_SIZE, Page

__all__ = ["SqlRepository"]

M = TypeVar("M", bound=BaseModel)
C = TypeVar("C", bound=type)


def _boundary(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def run(self: SqlRepository[Any], /, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except (StatementError, SATimeoutError) as exc:
            error = translate(exc)
            if ends_transaction(exc):
                work = active_work(self._context.engine)
                if work is not None:
                    work.doom(error)
            raise error from exc

    return run


def _translated(cls: C) -> C:
    return wrap_public_methods(cls, _boundary)


@_translated
class SqlRepository(Generic[M]):
    """Get, create, update, delete, query and batch-get the entity ``name`` in SQL."""

    def __init__(self, context: SqlContext, name: str) -> None:
        self._context = context
        self._rules: EntityRules[M] = context.rules[name]
        self._spec = context.specs[name]
        self._name = name
        self._sql_cache: EntitySql | None = None

    def _sql(self) -> EntitySql:
        sql = self._sql_cache
        if sql is None:
            sql = self._sql_cache = self._context.sql(self._name)
        return sql

    # --- queries --------------------------------------------------------------------------

    @query
    def get(self, key: KeyValue) -> M:
        """The entity with ``key``; NotFound if there is none."""
        fields = self._rules.key(key)
        connection = self._context.connection()
        row = self._sql().fetch(connection, fields)
        if row is None:
            raise self._rules.not_found(fields)
        return self._rules.to_model(row)

    @query
    def batch_get(self, keys: Sequence[KeyValue]) -> list[M]:
        """The entities of ``keys`` that exist, in the order of ``keys``, each once."""
        wanted = self._rules.batch_keys(keys)
        connection = self._context.connection()
        return [self._rules.to_model(row) for row in self._sql().batch(connection, wanted)]

    @query
    def query(
        self,
        name: str,
        /,
        page_size: int = DEFAULT_PAGE_SIZE,
        page_token: str | None = None,
        **params: Any,
    ) -> Page[M]:
        """One page of the named query ``name`` with ``params``."""
        args = self._rules.query_args(name, page_size, page_token, params)
        connection = self._context.connection()
        return self._rules.page(args, self._sql().page_rows(connection, args))

    # --- commands -------------------------------------------------------------------------

    @command
    def create(self, values: Mapping[str, Any] | BaseModel) -> M:
        """Store a new entity; AlreadyExists, NotFound (reference), ValidationFailed."""
        connection = self._context.connection()
        sql = self._sql()
        row = self._rules.new_row(values, self._context.now(), self._context.allocate)
        sql.entity.check_storable(row)
        key = self._rules.key_of(row)
        if sql.key_taken(connection, key):
            raise self._rules.already_exists_key(key)
        self._check_uniques(connection, None, row)
        self._check_references(connection, None, row)
        sql.insert(connection, row)
        return self._rules.to_model(row)

    @command
    def update(
        self, key: KeyValue, changes: Mapping[str, Any], expected_version: int | None = None
    ) -> M:
        """Change fields of an entity; NotFound, ConcurrencyConflict, AlreadyExists, ..."""
        fields = self._rules.key(key)
        connection = self._context.connection()
        sql = self._sql()
        stored = self._stored(connection, fields, expected_version)
        row = self._rules.changed_row(stored, changes, self._context.now())
        sql.entity.check_storable(row)
        self._check_uniques(connection, stored, row)
        self._check_references(connection, stored, row)
        version = self._spec.version
        if not sql.update(connection, row, stored[version] if version is not None else None):
            raise ConcurrencyConflict(self._name, self._rules.label(fields), expected_version)
        return self._rules.to_model(row)

    @command
    def delete(self, key: KeyValue, expected_version: int | None = None) -> None:
        """Delete an entity following the on-delete rules of references to it."""
        fields = self._rules.key(key)
        connection = self._context.connection()
        stored = self._stored(connection, fields, expected_version)
        deleter = self._context.deleter
        if not deleter.has_dependents(self._name):
            deleter.remove(connection, self._name, stored, self._context.now())
            return
        with self._context.savepoint() as inner:
            deleter.remove(inner, self._name, stored, self._context.now())

    # --- checks ---------------------------------------------------------------------------

    def _stored(
        self, connection: Connection, key: Mapping[str, Any], expected_version: int | None
    ) -> Row:
        stored = self._sql().fetch(connection, key, for_update=True)
        if stored is None:
            raise self._rules.not_found(key)
        self._rules.check_version(stored, key, expected_version)
        return stored

    def _check_uniques(self, connection: Connection, stored: Row | None, row: Row) -> None:
        own_key = None if stored is None else self._rules.key_of(stored)
        for unique in self._rules.changed_uniques(stored, row):
            if self._rules.unique_value(unique, row) is None:
                continue
            if self._sql().unique_taken(connection, unique, row, own_key):
                raise self._rules.already_exists_unique(unique, row)

    def _check_references(self, connection: Connection, stored: Row | None, row: Row) -> None:
        for reference, value in self._rules.changed_references(stored, row):
            target = self._context.specs[reference.target]
            fields = reference.target_fields or target.key
            if not self._context.sql(reference.target).exists_where(connection, fields, value):
                raise NotFound(reference.target, value[0] if len(value) == 1 else value)
