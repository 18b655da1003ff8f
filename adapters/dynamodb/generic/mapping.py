"""One declared entity on its contract entity: fields <-> columns <-> DynamoDB items.

:class:`EntityMap` joins an :class:`~interfaces.entities.EntitySpec` (fields, key,
rules) to the contract entity whose ``source_table`` is the spec's table, and
renders rows with :class:`~adapters.dynamodb.layout.EntityLayout`, the codec the
backfill uses too, so the same row gives the same item on both paths. Rows here
are the spec's rows (model field names, typed values); the layout works on
MySQL column names, and the map converts between the two.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter, ValidationError

from adapters.dynamodb.client import Item, Key
from adapters.dynamodb.expressions import Expr
from adapters.dynamodb.generic.guards import UniqueGuard, is_guard, unique_guards
from adapters.dynamodb.layout import EntityLayout
from adapters.dynamodb.values import encode_value
from adapters.rules import EntityRules, Row
from dal.contract import Contract, Entity, StringFormat, Table
from interfaces.entities import EntitySpec, Unique
from interfaces.errors import UnstorableValue

__all__ = ["EntityMap"]


class EntityMap:
    """The item layout of one declared entity, in the spec's field names."""

    def __init__(
        self, spec: EntitySpec, table: Table, entity: Entity, table_name: str, contract: Contract
    ) -> None:
        self.spec = spec
        self.name = spec.name
        self.rules: EntityRules[Any] = EntityRules(spec)
        self.table = table
        self.entity = entity
        self.layout = EntityLayout(table_name, table, entity, [spec.column(f) for f in spec.fields])
        self._field_of = {spec.column(f): f for f in spec.fields}
        self._field_columns = tuple((f, spec.column(f)) for f in spec.fields)
        self.key_columns = tuple(spec.column(f) for f in spec.key)
        templates = [entity.pk_template]
        if table.sk is not None and entity.sk_template is not None:
            templates.append(entity.sk_template)
        self.template_columns = tuple(dict.fromkeys(f for t in templates for f in t.fields))
        self.direct_key = set(self.template_columns) <= set(self.key_columns)
        """Whether the item's primary key renders from the entity's key fields alone."""
        self._nullable = {
            name: _accepts_none(info.annotation) for name, info in spec.model.model_fields.items()
        }
        self._key_sources = _key_sources(table, entity)
        prefix = table_name[: len(table_name) - len(table.name)]
        self.guards: tuple[UniqueGuard, ...] = unique_guards(spec, contract, table, entity, prefix)
        """The guard item of each unique constraint that needs one."""
        guarded = {guard.unique for guard in self.guards}
        self.key_unique: Unique | None = next(
            (u for u in spec.unique if u not in guarded and not self.direct_key), None
        )
        """The unique constraint whose values make the item key, when the entity key does not."""

    def guard(self, unique: Unique) -> UniqueGuard | None:
        """The guard of ``unique``; None when the item key itself keeps it unique."""
        return next((guard for guard in self.guards if guard.unique == unique), None)

    @property
    def table_name(self) -> str:
        """The physical table (with its prefix)."""
        return self.layout.table_name

    # --- names ------------------------------------------------------------------------------

    def columns(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """``row`` keyed by MySQL column names (what the layout reads)."""
        return {self.spec.column(name): value for name, value in row.items()}

    def field(self, column: str) -> str | None:
        """The field stored in ``column`` (None for a column the spec does not have)."""
        return self._field_of.get(column)

    def nullable(self, field: str) -> bool:
        """Whether ``field`` may hold None."""
        return self._nullable.get(field, True)

    # --- rows -> items ----------------------------------------------------------------------

    def item(self, row: Mapping[str, Any], derived: Mapping[str, Any]) -> Item:
        """The item of ``row``; UnstorableValue naming the field DynamoDB cannot store."""
        self._check_key_text(row)
        try:
            return self.layout.item(self.columns(row), derived)
        except UnstorableValue as exc:
            if exc.field != f"{self.entity.source_table} item":
                raise
            largest = max(row, key=lambda name: len(str(row[name]).encode()))
            raise UnstorableValue(f"{self.name}: {exc}", field=largest) from exc

    def _check_key_text(self, row: Mapping[str, Any]) -> None:
        """Refuse an empty string that a key attribute (of the table or a GSI) would hold."""
        for column, attribute in self._key_sources:
            field = self.field(column)
            if field is not None and row.get(field) == "":
                raise UnstorableValue(
                    f"DynamoDB keys cannot be empty strings ({attribute} of {self.name})",
                    field=field,
                )

    def item_key(self, row: Mapping[str, Any]) -> Key:
        """The primary key of ``row``'s item (the row holds at least the template fields)."""
        return self.layout.key(self.columns(row))

    def stored_key(self, item: Mapping[str, Any]) -> Key:
        """The primary key of a stored item."""
        names = [self.table.pk] + ([self.table.sk] if self.table.sk else [])
        return {name: item[name] for name in names}

    def owns(self, item: Item) -> bool:
        """Whether ``item`` is an item of this entity (not another entity's, not a guard)."""
        return not is_guard(self.table, item) and self.layout.owns(item)

    def row(self, item: Item) -> Row:
        """The typed row of a stored item (every field; missing attributes are None)."""
        columns, _derived = self.layout.row(item)
        row = {name: columns.get(column) for name, column in self._field_columns}
        return dict(self.rules.to_model(row).model_dump())

    # --- conditions -------------------------------------------------------------------------

    def unchanged(self, expr: Expr, stored: Mapping[str, Any]) -> str:
        """The condition that the item is still as read: its version, else its existence."""
        version = self.spec.version
        if version is None:
            return expr.exists(self.table.pk)
        attribute = self.layout.attr(self.spec.column(version))
        value = expr.wire(encode_value(stored[version], version))
        return f"{expr.name(attribute)} = {value}"

    def absent(self, expr: Expr) -> str:
        """The condition that no item has this key yet."""
        return expr.missing(self.table.pk)


def _key_sources(table: Table, entity: Entity) -> tuple[tuple[str, str], ...]:
    """(column, key attribute) of every column a key attribute of the table or a GSI holds."""
    sources = [(c, table.pk) for c in entity.pk_template.fields]
    if table.sk is not None and entity.sk_template is not None:
        sources += [(c, table.sk) for c in entity.sk_template.fields]
    for gsi in table.gsis:
        for name in gsi.key_attributes:
            if not entity.has_attribute(name):
                continue
            attribute = entity.attribute(name)
            transformation = attribute.transformation
            if isinstance(transformation, StringFormat):
                sources += [(c, name) for c in transformation.template.fields]
            elif not attribute.is_derived:
                sources += [(c, name) for c in attribute.source_columns]
    return tuple(dict.fromkeys(sources))


def _accepts_none(annotation: Any) -> bool:
    try:
        TypeAdapter(annotation if annotation is not None else Any).validate_python(None)
    except ValidationError:
        return False
    return True
