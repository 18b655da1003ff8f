"""Rows to models and back, driven by a small description of each entity.

An :class:`Entity` says which table holds an entity, which model it becomes
and how legacy rows with NULLs read; :class:`Records` gives every repository
the same primitives over it: find, get, lock, insert, a version-bumping
update and delete, with the layer's errors (NotFound, AlreadyExists).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Generic, TypeAlias, TypeVar

from pydantic import BaseModel
from sqlalchemy import Label, Select, Table, bindparam, exists, select
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from adapters.mysql.errors import translate
from examples.store.sql.base import Context
from interfaces.errors import AlreadyExists, NotFound

__all__ = ["AnyRow", "AnySelect", "Entity", "Records"]

M = TypeVar("M", bound=BaseModel)

AnyRow: TypeAlias = Row[*tuple[Any, ...]]
"""A result row of any width."""

AnySelect: TypeAlias = Select[*tuple[Any, ...]]
"""A SELECT of any number of columns."""


class Entity(Generic[M]):
    """How one entity is stored: its name (for errors), table, model and NULL handling.

    ``columns`` are what a row of the entity selects: the table's columns that
    are model fields, in field order, then ``joined`` (labelled expressions from
    other tables, such as a product's category name). ``null_defaults`` replace
    NULLs that legacy rows may hold; ``converters`` turn column values into
    field values.
    """

    def __init__(
        self,
        name: str,
        table: Table,
        model: type[M],
        *,
        joined: Sequence[Label[Any]] = (),
        null_defaults: Mapping[str, object] | None = None,
        converters: Mapping[str, Callable[[Any], object]] | None = None,
    ) -> None:
        self.name = name
        self.table = table
        self.model = model
        own = [table.c[field] for field in model.model_fields if field in table.c]
        self.columns: tuple[ColumnElement[Any], ...] = (*own, *joined)
        self._keys = tuple(str(column.key) for column in self.columns)
        self._fields = tuple(model.model_fields)
        self._fixes = tuple((null_defaults or {}).items())
        self._converters = tuple((converters or {}).items())
        self._construct = _constructor(model)
        self._plain = not (self._fixes or self._converters)
        self.versioned = "version" in table.c
        self.stamped = "updated_at" in table.c

    def from_row(self, row: AnyRow, **extra: object) -> M:
        """The model of a row selected with :attr:`columns` (trusted: it is stored data).

        ``extra`` supplies fields that are not columns (an order's items).
        """
        data = dict(zip(self._keys, row))  # noqa: B905 - rows have exactly these columns
        if self._plain and not extra:
            return self._construct(data)
        if extra:
            data.update(extra)
            data = {name: data[name] for name in self._fields}
        for name, default in self._fixes:
            if data[name] is None:
                data[name] = default
        for name, convert in self._converters:
            data[name] = convert(data[name])
        return self._construct(data)

    def from_rows(self, rows: Sequence[AnyRow]) -> list[M]:
        """The models of ``rows``, in order."""
        if self._plain:
            keys, construct = self._keys, self._construct
            return [construct(dict(zip(keys, row))) for row in rows]  # noqa: B905
        return [self.from_row(row) for row in rows]


def _constructor(model: type[M]) -> Callable[[dict[str, Any]], M]:
    """A function making a ``model`` from a dict holding exactly its fields, unvalidated.

    It does what ``model_construct`` does for a model without aliases, defaults
    to fill in, private attributes or post-init hooks, without the per-field
    pass (a few times faster: reads are the adapter's hot path). Other models
    go through ``model_construct``.
    """
    plain = not (
        model.__private_attributes__
        or model.__pydantic_post_init__
        or model.__pydantic_root_model__
        or any(f.alias or f.validation_alias for f in model.model_fields.values())
    )
    if not plain:
        return lambda data: model.model_construct(**data)
    new = model.__new__
    set_attribute = object.__setattr__

    def construct(data: dict[str, Any]) -> M:
        instance = new(model)
        set_attribute(instance, "__dict__", data)
        set_attribute(instance, "__pydantic_fields_set__", set(data))
        set_attribute(instance, "__pydantic_extra__", None)
        set_attribute(instance, "__pydantic_private__", None)
        return instance

    return construct


class Records(Generic[M]):
    """The primitives of one entity within the caller's unit of work."""

    def __init__(self, context: Context, entity: Entity[M]) -> None:
        self._context = context
        self.entity = entity
        table = entity.table
        whole_table = list(entity.columns) == list(table.columns)
        self.select = select(table) if whole_table else select(*entity.columns)
        self._by_id = self.select.where(table.c.id == bindparam("key"))
        self._lock = self._by_id.with_for_update()
        self._exists = select(exists().where(table.c.id == bindparam("key")))

    def find(self, key: int) -> M | None:
        """The entity with id ``key``, or None."""
        row = self._context.connection().execute(self._by_id, {"key": key}).first()
        return None if row is None else self.entity.from_row(row)

    def get(self, key: int) -> M:
        """The entity with id ``key``; NotFound."""
        row = self._context.connection().execute(self._by_id, {"key": key}).first()
        if row is None:
            raise NotFound(self.entity.name, key)
        return self.entity.from_row(row)

    def lock(self, key: int) -> M:
        """Like :meth:`get`, and lock the row until the unit of work ends."""
        row = self._context.connection().execute(self._lock, {"key": key}).first()
        if row is None:
            raise NotFound(self.entity.name, key)
        return self.entity.from_row(row)

    def exists(self, key: int) -> bool:
        """Whether an entity with id ``key`` exists."""
        return bool(self._context.connection().execute(self._exists, {"key": key}).scalar())

    def require(self, key: int) -> None:
        """NotFound unless an entity with id ``key`` exists."""
        if not self.exists(key):
            raise NotFound(self.entity.name, key)

    def insert(self, values: Mapping[str, object]) -> None:
        """Insert one row; AlreadyExists naming the taken unique value (nothing is inserted)."""
        with self._naming_duplicates(values), self._context.savepoint() as connection:
            connection.execute(self.entity.table.insert(), dict(values))

    def add(self, row: M) -> M:
        """Insert ``row``, a new entity, and return it; AlreadyExists as :meth:`insert`."""
        self.insert(row.model_dump())
        return row

    def revise(self, key: int, values: Mapping[str, object], now: datetime | None = None) -> M:
        """Apply ``values``, bump the version and stamp ``updated_at`` (``now``); NotFound.

        AlreadyExists when a changed value is taken (nothing changes).
        """
        table = self.entity.table
        changes = dict(values)
        if self.entity.versioned:
            changes["version"] = table.c.version + 1
        if self.entity.stamped:
            changes["updated_at"] = now if now is not None else self._context.now()
        statement = table.update().where(table.c.id == key).values(changes)
        with self._naming_duplicates(values), self._context.savepoint() as connection:
            updated = connection.execute(statement).rowcount
        if updated == 0:
            raise NotFound(self.entity.name, key)
        return self.get(key)

    def delete(self, key: int) -> None:
        """Delete the row with id ``key``; NotFound."""
        table = self.entity.table
        deleted = self._context.connection().execute(table.delete().where(table.c.id == key))
        if deleted.rowcount == 0:
            raise NotFound(self.entity.name, key)

    @contextmanager
    def _naming_duplicates(self, values: Mapping[str, object]) -> Iterator[None]:
        """Turn a duplicate-key failure into AlreadyExists(entity, field, the value given)."""
        try:
            yield
        except IntegrityError as exc:
            error = translate(exc)
            if isinstance(error, AlreadyExists):
                value = values.get(error.field, error.value)
                raise AlreadyExists(self.entity.name, error.field, value) from exc
            raise
