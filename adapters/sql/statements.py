"""The statements of one entity, built once and kept.

Every statement takes its values as bound parameters, so one statement object
(and SQLAlchemy's compiled form of it) serves every call. The few statements
whose SQL depends on the arguments (which filter or token values are NULL) are
built once per shape and kept as well.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    Delete,
    Insert,
    Select,
    Update,
    and_,
    bindparam,
    delete,
    insert,
    literal_column,
    not_,
    select,
    tuple_,
    update,
)
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from adapters.sql.columns import EntityTable
from adapters.sql.keyset import after_condition, order_clauses, where_param
from adapters.sql.text import TextRules
from interfaces.entities import NamedQuery, Unique

__all__ = ["EntityStatements", "QueryShape", "key_param", "set_param", "unique_param"]

QueryShape = tuple[str, tuple[bool, ...], tuple[bool, ...] | None]
"""A named query's name, which filter values are None, which token values are None."""

OLD_VERSION = "dal_old_version"
KEYS = "dal_keys"
LIMIT = "dal_limit"


def key_param(index: int) -> str:
    """The name of the bound parameter of the ``index``-th key field."""
    return f"dal_k{index}"


def set_param(index: int) -> str:
    """The name of the bound parameter of the ``index``-th field an update sets."""
    return f"dal_s{index}"


def unique_param(index: int) -> str:
    """The name of the bound parameter of the ``index``-th field of a unique or lookup."""
    return f"dal_u{index}"


class EntityStatements:
    """The statements of one entity on one database."""

    def __init__(self, entity: EntityTable, text: TextRules) -> None:
        self._entity = entity
        self._text = text
        spec = entity.spec
        table = entity.table
        self.version_field = spec.version
        self.set_fields: tuple[str, ...] = tuple(f for f in spec.fields if f not in spec.key)
        key_where = self._equal_all(spec.key, key_param)
        checked = key_where
        if spec.version is not None:
            version = entity.column(spec.version) == bindparam(OLD_VERSION)
            checked = and_(key_where, version)
        self.key_where = key_where
        self.select_all: Select[Any] = select(*entity.columns)
        self.get: Select[Any] = self.select_all.where(key_where)
        self.get_for_update: Select[Any] = self.get.with_for_update()
        self.exists: Select[Any] = select(literal_column("1")).select_from(table).where(key_where)
        self.insert: Insert = insert(table)
        self.update: Update = (
            update(table)
            .where(checked)
            .values(
                {
                    entity.column(name): bindparam(set_param(i))
                    for i, name in enumerate(self.set_fields)
                }
            )
        )
        self.delete: Delete = delete(table).where(checked)
        key_columns = [entity.column(name) for name in spec.key]
        keys: BindParameter[Any] = bindparam(KEYS, expanding=True)
        in_keys = (
            key_columns[0].in_(keys) if len(key_columns) == 1 else tuple_(*key_columns).in_(keys)
        )
        self.batch: Select[Any] = self.select_all.where(in_keys)
        self._lookups: dict[tuple[str, ...], Select[Any]] = {}
        self._exists_by: dict[tuple[str, ...], Select[Any]] = {}
        self._uniques: dict[tuple[Unique, bool], Select[Any]] = {}
        self._queries: dict[QueryShape, Select[Any]] = {}

    # --- building blocks ------------------------------------------------------------------

    def _equal(self, name: str, param: str) -> ColumnElement[bool]:
        field = self._entity.by_field[name]
        return self._text.equals(field.column, field.is_text, bindparam(param))

    def _equal_all(
        self, names: tuple[str, ...], param: Callable[[int], str]
    ) -> ColumnElement[bool]:
        return and_(*(self._equal(name, param(i)) for i, name in enumerate(names)))

    def _kept(
        self, cache: dict[Any, Select[Any]], key: Any, build: Callable[[], Select[Any]]
    ) -> Select[Any]:
        found = cache.get(key)
        if found is None:
            found = cache[key] = build()
        return found

    # --- statements built on first use ----------------------------------------------------

    def rows_where(self, names: tuple[str, ...]) -> Select[Any]:
        """Every row whose ``names`` equal the parameters ``dal_u0..``."""
        return self._kept(
            self._lookups,
            names,
            lambda: self.select_all.where(self._equal_all(names, unique_param)),
        )

    def exists_where(self, names: tuple[str, ...]) -> Select[Any]:
        """``1`` for each row whose ``names`` equal the parameters ``dal_u0..``."""
        return self._kept(
            self._exists_by,
            names,
            lambda: (
                select(literal_column("1"))
                .select_from(self._entity.table)
                .where(self._equal_all(names, unique_param))
                .limit(1)
            ),
        )

    def unique_taken(self, unique: Unique, other_than_key: bool) -> Select[Any]:
        """``1`` if another row holds the ``unique`` value ``dal_u0..`` (as ``unique`` compares).

        With ``other_than_key`` the row of the key ``dal_k0..`` does not count.
        """
        return self._kept(
            self._uniques, (unique, other_than_key), lambda: self._unique(unique, other_than_key)
        )

    def _unique(self, unique: Unique, other_than_key: bool) -> Select[Any]:
        terms = []
        for i, name in enumerate(unique.fields):
            field = self._entity.by_field[name]
            value: BindParameter[Any] = bindparam(unique_param(i))
            if unique.case_insensitive and field.is_text:
                terms.append(self._text.equals_folded(field.column, value))
            else:
                terms.append(self._text.equals(field.column, field.is_text, value))
        if other_than_key:
            terms.append(not_(self.key_where))
        return select(literal_column("1")).select_from(self._entity.table).where(*terms).limit(1)

    def query(
        self, named: NamedQuery, order_fields: tuple[str, ...], shape: QueryShape
    ) -> Select[Any]:
        """The page statement of ``named`` for ``shape`` (LIMIT ``dal_limit``)."""
        return self._kept(self._queries, shape, lambda: self._query(named, order_fields, shape))

    def _query(
        self, named: NamedQuery, order_fields: tuple[str, ...], shape: QueryShape
    ) -> Select[Any]:
        _, where_nulls, after_nulls = shape
        terms: list[ColumnElement[bool]] = []
        for i, name in enumerate(named.where):
            field = self._entity.by_field[name]
            if where_nulls[i]:
                terms.append(field.column.is_(None))
            else:
                terms.append(self._equal(name, where_param(i)))
        sorted_by = [
            self._text.exact(self._entity.column(name), self._entity.by_field[name].is_text)
            for name in order_fields
        ]
        if after_nulls is not None:
            terms.append(after_condition(sorted_by, after_nulls, named.descending))
        return (
            self.select_all.where(*terms)
            .order_by(*order_clauses(sorted_by, named.descending))
            .limit(bindparam(LIMIT))
        )
