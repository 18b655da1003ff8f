"""The default declaration of an entity, built from its SQL table alone.

:func:`default_spec` reads everything an :class:`~interfaces.entities.EntitySpec`
needs from a reflected (or declared) SQLAlchemy table: a frozen pydantic model
with one field per column (:mod:`dal.entities.fields`), the primary key, an id
sequence for a single auto-increment integer key, the ``version``,
``created_at`` and ``updated_at`` columns, unique constraints and unique
indexes (with their collation), foreign keys with their ``ON DELETE`` rule, and
one named query per secondary index and foreign key. Nothing is declared
sensitive: the router's default names (``dal.routing.redaction.DEFAULT_SENSITIVE``)
cover the usual personal fields; others must be declared.
"""

from __future__ import annotations

import keyword
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, create_model
from sqlalchemy import Column, ForeignKeyConstraint, Index, Table, UniqueConstraint
from sqlalchemy import types as sqltypes
from sqlalchemy.exc import NoReferencedTableError

from dal.entities.collation import is_case_insensitive
from dal.entities.errors import DeclarationError
from dal.entities.fields import UnsupportedColumn, base_type, field_type, is_integer
from interfaces.entities import EntitySpec, NamedQuery, OnDelete, Reference, Unique

__all__ = ["default_spec", "field_names", "model_name"]

_ON_DELETE = {"CASCADE": OnDelete.CASCADE, "SET NULL": OnDelete.SET_NULL}
"""``ON DELETE`` rules other than RESTRICT (which is also what NO ACTION and none mean)."""

_STAMPS = ("created_at", "updated_at")


def default_spec(
    table: Table, *, name: str | None = None, model: type[BaseModel] | None = None
) -> EntitySpec:
    """The declaration of the entity stored in ``table``, named ``name`` (default: the table's).

    ``model`` replaces the default model (one field per column, named by
    :func:`field_names`), for a caller that types some columns itself. Raises
    :class:`DeclarationError` naming the table (and the columns) when a column's type
    has no default field type or the table has no primary key.
    """
    fields = field_names(table)
    key = tuple(fields[c.name] for c in table.primary_key.columns)
    if not key:
        raise DeclarationError(f"table {table.name} has no primary key; declare the entity's key")
    return EntitySpec(
        name=name or table.name,
        table=table.name,
        model=model if model is not None else _model(table, fields),
        key=key,
        columns={f: c for c, f in fields.items() if f != c},
        id_sequence=table.name if _allocated_key(table) else None,
        created_at=_stamp(table, fields, "created_at"),
        updated_at=_stamp(table, fields, "updated_at"),
        version=_version(table, fields),
        unique=tuple(_uniques(table, fields)),
        references=tuple(_references(table, fields)),
        queries=tuple(_queries(table, fields)),
    )


def model_name(table_name: str) -> str:
    """The class name of a table's default model: ``line_items`` -> ``LineItems``."""
    words = "".join(c if c.isalnum() else " " for c in table_name).split()
    name = "".join(word[:1].upper() + word[1:] for word in words)
    return name if name.isidentifier() else f"Table{name}"


def field_names(table: Table) -> dict[str, str]:
    """The model field of every column, by column name, in column order.

    A column name that cannot be a pydantic field (not an identifier, a keyword,
    a leading underscore, an attribute of ``BaseModel``) gets a field name of its
    own ending in ``_``; the declaration's ``columns`` maps it back.
    """
    names: dict[str, str] = {}
    for column in table.columns:
        names[column.name] = _field_name(column.name, taken=set(names.values()))
    return names


def _field_name(column: str, taken: set[str]) -> str:
    if column.isidentifier() and not _reserved(column) and column not in taken:
        return column
    base = "".join(c if c.isalnum() or c == "_" else "_" for c in column).strip("_") or "field"
    if base[0].isdigit():
        base = f"f_{base}"
    candidate = f"{base}_"
    while candidate in taken or _reserved(candidate):
        candidate += "_"
    return candidate


def _reserved(name: str) -> bool:
    return keyword.iskeyword(name) or name.startswith("_") or hasattr(BaseModel, name)


def _model(table: Table, fields: Mapping[str, str]) -> type[BaseModel]:
    definitions: dict[str, Any] = {}
    problems: list[str] = []
    for column in table.columns:
        try:
            annotation = field_type(column)
        except UnsupportedColumn as error:
            problems.append(str(error))
            continue
        definitions[fields[column.name]] = (
            (annotation | None, None) if column.nullable else (annotation, ...)
        )
    if problems:
        raise UnsupportedColumn("; ".join(problems))
    model: type[BaseModel] = create_model(
        model_name(table.name),
        __config__=ConfigDict(frozen=True),
        __doc__=f"A row of table {table.name} (the default model: one field per column).",
        **definitions,
    )
    return model


def _allocated_key(table: Table) -> bool:
    columns = list(table.primary_key.columns)
    if len(columns) != 1 or not is_integer(columns[0]):
        return False
    return table.autoincrement_column is columns[0]


def _stamp(table: Table, fields: Mapping[str, str], name: str) -> str | None:
    column = table.columns.get(name)
    if column is None or not isinstance(base_type(column), sqltypes.DateTime):
        return None
    return fields[name]


def _version(table: Table, fields: Mapping[str, str]) -> str | None:
    column = table.columns.get("version")
    return fields["version"] if column is not None and is_integer(column) else None


def _column_tuples(table: Table, unique: bool | None) -> list[tuple[Column[Any], ...]]:
    """Columns of the table's unique constraints and indexes (``unique`` None: every index)."""
    found: list[tuple[Column[Any], ...]] = []
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint) and unique is not False:
            found.append(tuple(constraint.columns))
    for index in table.indexes:
        if _index_columns(index) and (unique is None or index.unique == unique):
            found.append(_index_columns(index))
    return found


def _index_columns(index: Index) -> tuple[Column[Any], ...]:
    """The plain columns of an index (none when it indexes an expression)."""
    if len(index.columns) != len(index.expressions):
        return ()
    return tuple(index.columns)


def _in_table_order(
    table: Table, groups: Iterable[tuple[Column[Any], ...]]
) -> Iterator[tuple[Column[Any], ...]]:
    """Distinct column groups other than the primary key, ordered by column position."""
    position = {column.name: i for i, column in enumerate(table.columns)}
    key = tuple(c.name for c in table.primary_key.columns)
    seen: set[tuple[str, ...]] = {key}
    for group in sorted(groups, key=lambda g: [position[c.name] for c in g]):
        names = tuple(c.name for c in group)
        if names not in seen:
            seen.add(names)
            yield group


def _uniques(table: Table, fields: Mapping[str, str]) -> Iterator[Unique]:
    for group in _in_table_order(table, _column_tuples(table, unique=True)):
        text = [c for c in group if isinstance(base_type(c), sqltypes.String)]
        yield Unique(
            tuple(fields[c.name] for c in group),
            case_insensitive=bool(text) and all(is_case_insensitive(c) for c in text),
        )


def _foreign_keys(table: Table) -> list[ForeignKeyConstraint]:
    position = {column.name: i for i, column in enumerate(table.columns)}
    constraints = table.foreign_key_constraints
    return sorted(constraints, key=lambda fk: [position[c.name] for c in fk.columns])


def _references(table: Table, fields: Mapping[str, str]) -> Iterator[Reference]:
    for constraint in _foreign_keys(table):
        target, target_columns, target_key = _target(constraint)
        yield Reference(
            tuple(fields[c.name] for c in constraint.columns),
            target,
            target_fields=None if target_columns == target_key else target_columns,
            on_delete=_ON_DELETE.get((constraint.ondelete or "").upper(), OnDelete.RESTRICT),
        )


def _target(
    constraint: ForeignKeyConstraint,
) -> tuple[str, tuple[str, ...], tuple[str, ...] | None]:
    """The referenced table, its referenced columns and its key (None when it is unknown).

    A declared table may reference a table of another ``MetaData``: its name and
    columns come from the foreign key's text, and the reference names the columns.
    """
    try:
        target = constraint.referred_table
    except NoReferencedTableError:
        parts = [element.target_fullname.rsplit(".", 2) for element in constraint.elements]
        return parts[0][-2], tuple(part[-1] for part in parts), None
    columns = tuple(element.column.name for element in constraint.elements)
    return target.name, columns, tuple(c.name for c in target.primary_key.columns)


def _queries(table: Table, fields: Mapping[str, str]) -> Iterator[NamedQuery]:
    groups = _column_tuples(table, unique=None)
    groups += [tuple(fk.columns) for fk in table.foreign_key_constraints]
    names: set[str] = set()
    for group in _in_table_order(table, groups):
        where = tuple(fields[c.name] for c in group)
        name = "by_" + "_".join(where)
        if name not in names:
            names.add(name)
            yield NamedQuery(name, where=where)
