"""The item layout of each entity, derived from the migration contract.

One :class:`EntityLayout` per legacy table turns a *row* (the legacy columns
of one entity, as the domain models name them) into a DynamoDB item and back,
following the contract's attributes:

* a plain attribute copies its source column, converted to the attribute's type
  (ids as ``S`` or ``N`` as the contract types them, timestamps in one canonical
  UTC form);
* a ``string-format`` transformation renders its template from the row
  (``CART#{product_id}``, ``#META``), a ``date-format`` renders its pattern;
* a ``json-construction`` builds a map from columns of the row (``profile_data``)
  or a list of maps from child rows (an invoice's ``invoice_lines``);
* joins and calculations (denormalized names, counts, levels) are supplied by
  the repository that knows them, keyed by attribute name;
* the table's key attributes come from the entity's key templates.

Columns the domain needs but the contract does not map (``version``, for
example) are stored under their column name. Items are checked before they
are written (key sizes, item size, numbers; see :mod:`adapters.dynamodb.values`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from adapters.dynamodb.client import Item, Key
from adapters.dynamodb.values import (
    AttributeValue,
    check_item_size,
    check_key,
    decode_item,
    encode_value,
    format_duration,
    format_timestamp,
    parse_timestamp,
)
from dal.contract import Attribute, AttributeType, Entity, Projection, Table
from dal.contract.derivations import (
    ConstructionType,
    DateFormat,
    JsonConstructionJoin,
    StringFormat,
)
from dal.contract.errors import TemplateError
from dal.contract.template import Template
from interfaces import UnstorableValue

__all__ = ["EntityLayout", "Index", "Row"]

Row = dict[str, Any]


@dataclass(frozen=True)
class Index:
    """Where a lookup runs: the base table (``name`` None) or a GSI, with its key attributes;
    ``projected``: whether it holds whole items (a GSI of projection ``ALL``)."""

    name: str | None
    pk: str
    sk: str | None
    projected: bool = True


class EntityLayout:
    """Row <-> item mapping of one entity of one table (``table_name`` includes any prefix)."""

    def __init__(
        self, table_name: str, table: Table, entity: Entity, columns: Iterable[str]
    ) -> None:
        self.table_name = table_name
        self.table = table
        self.entity = entity
        self._attributes = entity.attributes
        self._key_names = {table.pk, *([table.sk] if table.sk else [])}
        covered = self._covered_columns()
        self.extra_columns = tuple(c for c in columns if c not in covered)
        # decided once here, not per item: where each attribute's value comes from, which
        # date format renders each timestamp column, which fields the key templates use
        self._steps = tuple(_step(attribute) for attribute in entity.attributes)
        self._labels = {a.name: _field_name(a) for a in entity.attributes}
        self._attribute_names = frozenset(entity.attribute_names)
        self._date_formats = _date_formats(entity.attributes)
        self._key_templates = tuple(self._templates())
        self._key_template_fields = tuple(
            dict.fromkeys(field for _, template in self._key_templates for field in template.fields)
        )
        # key() and key_value() compute only the attributes they read, not the whole item
        key_fields = set(self._key_template_fields)
        self._key_steps = tuple(step for step in self._steps if step.name in key_fields)
        self._steps_of: dict[str, tuple[_Step, ...]] = {}
        for step in self._steps:
            self._steps_of[step.name] = (*self._steps_of.get(step.name, ()), step)
        self._index_keys = tuple(
            (name, position == 0, gsi.index_name)
            for gsi in table.gsis
            for position, name in enumerate(gsi.key_attributes)
        )
        self._size_label = f"{entity.source_table} item"
        # the order and the names row() reads items with
        self._read_order = tuple(sorted(entity.attributes, key=_plain_first))
        self._known_names = frozenset(
            {*entity.attribute_names, *self.extra_columns, *self._key_names}
        )

    # --- names ----------------------------------------------------------------------------

    @property
    def base(self) -> Index:
        """The table's own primary key."""
        return Index(None, self.table.pk, self.table.sk)

    @property
    def rendered_names(self) -> frozenset[str]:
        """Non-key attributes a row alone renders (not joined or calculated ones)."""
        steps = self._steps
        own = {s.name for s in steps if s.column or s.template is not None or s.join is not None}
        return frozenset(own - set(self._key_names)) | frozenset(self.extra_columns)

    def attr(self, column: str) -> str:
        """The attribute that holds ``column`` as a plain copy (or the column's own name)."""
        for attribute in self._attributes:
            if attribute.name not in self._key_names and _is_copy_of(attribute, column):
                return attribute.name
        return column

    def encode(self, column: str, value: Any) -> tuple[str, AttributeValue]:
        """The attribute that stores ``column`` and the wire form of ``value`` in it."""
        for attribute in self._attributes:
            if attribute.name in self._key_names or attribute.is_derived:
                continue
            if attribute.source_columns != (column,):
                continue
            transformation = attribute.transformation
            if isinstance(transformation, DateFormat) and isinstance(value, datetime):
                return attribute.name, {"S": _render_date(transformation, value)}
            if transformation is None:
                return attribute.name, encode_value(_as_type(value, attribute.type), column)
        return column, encode_value(value, column)

    def joined(self, target_table: str, column: str, default: str) -> str:
        """The attribute that denormalizes ``target_table.column`` (``default`` if none does)."""
        for attribute in self._attributes:
            join = attribute.join
            if (
                join is not None
                and getattr(join, "target_table", None) == target_table
                and getattr(join, "select_column", None) == column
            ):
                return attribute.name
        return default

    def index_on(self, column: str, sort_column: str | None = None) -> Index:
        """The GSI whose partition key (and sort key, if asked) derives from ``column``."""
        for gsi in self.table.gsis:
            if self._derives(gsi.pk, column) and (
                sort_column is None or (gsi.sk is not None and self._derives(gsi.sk, sort_column))
            ):
                return Index(gsi.index_name, gsi.pk, gsi.sk, gsi.projection is Projection.ALL)
        raise LookupError(
            f"the contract has no index of table {self.table.name} on "
            f"{self.entity.source_table}.{column}"
            + (f" sorted by {sort_column}" if sort_column else "")
        )

    def _derives(self, attribute_name: str, column: str) -> bool:
        if not self.entity.has_attribute(attribute_name):
            return False
        attribute = self.entity.attribute(attribute_name)
        if attribute.is_derived:
            return False
        return column in _template_fields(attribute) or attribute.source_columns == (column,)

    def _covered_columns(self) -> set[str]:
        covered = set(self.entity.pk_template.fields)
        if self.entity.sk_template is not None:
            covered.update(self.entity.sk_template.fields)
        for attribute in self._attributes:
            if isinstance(attribute.join, JsonConstructionJoin):
                construction = attribute.join.construction
                if construction.type is ConstructionType.OBJECT:
                    covered.update(_column(c) for c in construction.select_columns.values())
                else:
                    covered.add(attribute.join.target_table)
            elif not attribute.is_derived and not _template_fields(attribute):
                if isinstance(attribute.transformation, StringFormat):
                    continue  # a constant such as #META holds no column
                covered.update(attribute.source_columns)
        return covered

    # --- row -> item ------------------------------------------------------------------------

    def key(self, row: Mapping[str, Any], derived: Mapping[str, Any] | None = None) -> Key:
        """The primary key of the item of ``row`` (checked for DynamoDB's key limits)."""
        values = self._values(row, derived or {}, {}, self._key_steps)
        return self._keys(self._key_fields(row, values, {}))

    def key_value(
        self, attribute_name: str, row: Mapping[str, Any], derived: Mapping[str, Any] | None = None
    ) -> AttributeValue:
        """The wire value of one key attribute (of the table or a GSI) for ``row``."""
        if attribute_name in self._key_names:
            values = self._values(row, derived or {}, {}, self._key_steps)
            only_pk = attribute_name == self.table.pk
            return self._keys(self._key_fields(row, values, {}), only_pk)[attribute_name]
        steps = self._steps_of.get(attribute_name, ())
        values = self._values(row, derived or {}, {}, steps)
        return encode_value(values.get(attribute_name), attribute_name)

    def item(self, row: Mapping[str, Any], derived: Mapping[str, Any] | None = None) -> Item:
        """The whole item of ``row``; ``derived`` gives joined/calculated attributes by name.

        Raises UnstorableValue (naming the column) for a value DynamoDB cannot store.
        """
        given = derived or {}
        dates: dict[str, str] = {}  # each timestamp column rendered once per item
        values = self._values(row, given, dates)
        fields = dict(self._labels)
        stored = {k: v for k, v in values.items() if k not in self._key_names}
        for column in self.extra_columns:
            if row.get(column) is not None:
                stored[column] = row[column]
                fields[column] = column
        for name, value in given.items():
            if name not in self._attribute_names and value is not None:
                stored.setdefault(name, value)
                fields.setdefault(name, name)
        item = {name: _encode(v, fields[name]) for name, v in stored.items()}
        item.update(self._keys(self._key_fields(row, values, dates)))
        self._check_index_keys(item, fields)
        check_item_size(item, self._size_label)
        return item

    def _values(
        self,
        row: Mapping[str, Any],
        derived: Mapping[str, Any],
        dates: dict[str, str],
        steps: tuple[_Step, ...] | None = None,
    ) -> dict[str, Any]:
        """The contract attributes' values for ``row`` (of ``steps``, else every attribute)."""
        values: dict[str, Any] = {}
        for step in self._steps if steps is None else steps:
            name = step.name
            if name in derived:
                value = derived[name]
            elif step.column is not None:
                value = row.get(step.column)
                if step.date is not None and isinstance(value, datetime):
                    value = self._date(step.column, step.date, value, dates)
            elif step.template is not None:
                fields = self._row_fields(row, step.template.fields, dates)
                value = _render(step.template, fields)
            elif step.join is not None:
                value = _construct(step.join, row)
            else:
                continue  # joined or calculated: only the caller knows it
            if value is not None:
                kept = step.kept
                values[name] = (
                    value if kept is None or type(value) in kept else _as_type(value, step.kind)
                )
        return values

    def _date(self, column: str, date: DateFormat, value: datetime, dates: dict[str, str]) -> str:
        """``value`` in the pattern of ``date``; the column's own format is rendered once."""
        if self._date_formats.get(column) is not date:
            return _render_date(date, value)
        rendered = dates.get(column)
        if rendered is None:
            rendered = dates[column] = _render_date(date, value)
        return rendered

    def _row_fields(
        self, row: Mapping[str, Any], names: tuple[str, ...], dates: dict[str, str]
    ) -> dict[str, Any]:
        """The template values of ``names`` taken from the row's columns alone."""
        found: dict[str, Any] = {}
        for name in names:
            if name in row:
                value = self._format_column(name, row[name], dates)
                if value is not None:
                    found[name] = value
        return found

    def _key_fields(
        self, row: Mapping[str, Any], values: Mapping[str, Any], dates: dict[str, str]
    ) -> dict[str, Any]:
        """The key templates' values: an attribute of that name first, else the column."""
        found: dict[str, Any] = {}
        for name in self._key_template_fields:
            value = _scalar(values[name]) if name in values else None
            if value is None and name in row:
                value = self._format_column(name, row[name], dates)
            if value is not None:
                found[name] = value
        return found

    def _format_column(self, column: str, value: Any, dates: dict[str, str]) -> Any:
        if isinstance(value, datetime):
            date = self._date_formats.get(column)
            if date is not None:
                return self._date(column, date, value, dates)
        return _scalar(value)

    def _keys(self, values: Mapping[str, Any], only_pk: bool = False) -> Key:
        key: Key = {}
        pk = _render_key(self.entity.pk_template, values)
        check_key(pk, field=f"{self.table.pk} ({self.entity.pk_template})", partition=True)
        key[self.table.pk] = encode_value(_as_type(pk, self.table.key_types[self.table.pk]), "pk")
        if not only_pk and self.table.sk is not None and self.entity.sk_template is not None:
            sk = _render_key(self.entity.sk_template, values)
            check_key(sk, field=f"{self.table.sk} ({self.entity.sk_template})", partition=False)
            key[self.table.sk] = encode_value(
                _as_type(sk, self.table.key_types[self.table.sk]), "sk"
            )
        return key

    def _check_index_keys(self, item: Item, fields: Mapping[str, str]) -> None:
        for name, partition, index_name in self._index_keys:
            value = item.get(name, {}).get("S")
            if value is not None:
                label = f"{fields.get(name, name)} ({name} of {index_name})"
                check_key(value, field=label, partition=partition)

    # --- item -> row ------------------------------------------------------------------------

    def owns(self, item: Item) -> bool:
        """Whether ``item``'s keys have the shape of this entity's key templates."""
        for name, template in self._key_templates:
            value = item.get(name, {})
            text = value.get("S", value.get("N"))
            if text is None or not _matches(template, text):
                return False
        return True

    def _templates(self) -> list[tuple[str, Template]]:
        templates = [(self.table.pk, self.entity.pk_template)]
        if self.table.sk is not None and self.entity.sk_template is not None:
            templates.append((self.table.sk, self.entity.sk_template))
        return templates

    def row(self, item: Item) -> tuple[Row, dict[str, Any]]:
        """The row an item holds, and its derived (joined/calculated) attributes by name."""
        plain = decode_item(item)
        row: Row = {}
        derived: dict[str, Any] = {}
        for attribute in self._read_order:
            if attribute.name not in plain or attribute.name in self._key_names:
                continue
            self._read_attribute(attribute, plain[attribute.name], row, derived)
        for column in self.extra_columns:
            if column in plain:
                row[column] = plain[column]
        self._read_keys(plain, row)
        known = self._known_names
        derived.update({k: v for k, v in plain.items() if k not in known})
        return row, derived

    def _read_attribute(self, attribute: Attribute, value: Any, row: Row, derived: Row) -> None:
        join = attribute.join
        if isinstance(join, JsonConstructionJoin):
            _deconstruct(join, value, row)
        elif attribute.is_derived:
            derived[attribute.name] = value
        elif isinstance(attribute.transformation, StringFormat):
            _parse_into(attribute.transformation.template, value, row)
        elif isinstance(attribute.transformation, DateFormat):
            parsed = _parse_date(attribute.transformation, value)
            row.setdefault(attribute.source_columns[0], parsed)
        else:
            row.setdefault(attribute.source_columns[0], value)

    def _read_keys(self, plain: Mapping[str, Any], row: Row) -> None:
        for name, template in self._key_templates:
            if name in plain:
                _parse_into(template, str(plain[name]), row)


# --- helpers -------------------------------------------------------------------------------

_STORABLE_INT = 10**38
"""Integers of at most 38 digits are within DynamoDB's number limits."""

_KEPT_TYPES: dict[AttributeType, frozenset[type]] = {
    AttributeType.S: frozenset({str}),
    AttributeType.N: frozenset({int, Decimal}),
    AttributeType.BOOL: frozenset({bool}),
    AttributeType.L: frozenset({list}),
}
"""Python types :func:`_as_type` leaves as they are (it changes no value of other kinds)."""


@dataclass(frozen=True)
class _Step:
    """Where one attribute's value comes from when the caller does not give it.

    At most one source is set: a ``column`` (formatted by ``date`` when it holds a
    timestamp), a string-format ``template`` over the row, or a json-construction
    ``join``; none for a joined or calculated value only the caller knows.
    """

    name: str
    kind: AttributeType
    kept: frozenset[type] | None
    column: str | None = None
    date: DateFormat | None = None
    template: Template | None = None
    join: JsonConstructionJoin | None = None


def _step(attribute: Attribute) -> _Step:
    name, kind = attribute.name, attribute.type
    kept = _KEPT_TYPES.get(kind)
    if isinstance(attribute.join, JsonConstructionJoin):
        return _Step(name, kind, kept, join=attribute.join)
    if attribute.is_derived:
        return _Step(name, kind, kept)
    transformation = attribute.transformation
    if isinstance(transformation, StringFormat):
        return _Step(name, kind, kept, template=transformation.template)
    date = transformation if isinstance(transformation, DateFormat) else None
    return _Step(name, kind, kept, column=attribute.source_columns[0], date=date)


def _date_formats(attributes: Iterable[Attribute]) -> dict[str, DateFormat]:
    """The date format of each column: the first attribute formatting that column alone."""
    formats: dict[str, DateFormat] = {}
    for attribute in attributes:
        transformation = attribute.transformation
        if len(attribute.source_columns) == 1 and isinstance(transformation, DateFormat):
            formats.setdefault(attribute.source_columns[0], transformation)
    return formats


def _is_copy_of(attribute: Attribute, column: str) -> bool:
    return (
        not attribute.is_derived
        and attribute.transformation is None
        and attribute.source_columns == (column,)
    )


def _template_fields(attribute: Attribute) -> tuple[str, ...]:
    transformation = attribute.transformation
    return transformation.template.fields if isinstance(transformation, StringFormat) else ()


def _field_name(attribute: Attribute) -> str:
    return attribute.source_columns[0] if len(attribute.source_columns) == 1 else attribute.name


def _plain_first(attribute: Attribute) -> int:
    if attribute.transformation is None and not attribute.is_derived:
        return 0
    return 1


def _scalar(value: Any) -> Any:
    """A value as it appears inside a key: timestamps in canonical text, others as they are."""
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, bool):
        return int(value)  # 1 or 0, as MySQL holds a boolean
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, str | int | Decimal):
        return value
    return None


def _encode(value: Any, field: str) -> AttributeValue:
    """:func:`encode_value`, with the common strings and small integers written directly."""
    kind = type(value)
    if kind is str:
        return {"S": value}
    if kind is int and -_STORABLE_INT < value < _STORABLE_INT:
        return {"N": str(value)}
    return encode_value(value, field)


def _render(template: Template, values: Mapping[str, Any]) -> str | None:
    try:
        return template.render(values)
    except TemplateError:
        return None  # a field is missing (a nullable column): the attribute is left out


def _render_key(template: Template, values: Mapping[str, Any]) -> str:
    try:
        return template.render(values)
    except TemplateError as exc:
        raise UnstorableValue(f"cannot build the key: {exc}", field=str(template)) from exc


def _render_date(transformation: DateFormat, value: datetime) -> str:
    """The contract's pattern, or the canonical form when the pattern would drop microseconds."""
    rendered = transformation.pattern.render(value)
    if value.microsecond and _parse_date(transformation, rendered) != value:
        return format_timestamp(value)
    return rendered


def _parse_date(transformation: DateFormat, text: str) -> datetime:
    try:
        return transformation.pattern.parse(text)
    except ValueError:
        return parse_timestamp(text)


def _matches(template: Template, text: str) -> bool:
    if template.is_constant:
        return text == template.text
    try:
        template.parse(text)
    except TemplateError:
        return False
    return True


def _parse_into(template: Template, text: str, row: Row) -> None:
    try:
        parsed = template.parse(text)
    except TemplateError:
        return
    for name, value in parsed.items():
        row.setdefault(name, value)


def _as_type(value: Any, kind: AttributeType) -> Any:
    """``value`` converted to the contract's attribute type."""
    if kind is AttributeType.S and not isinstance(value, str):
        if isinstance(value, timedelta):
            return format_duration(value)
        return format_timestamp(value) if isinstance(value, datetime) else str(value)
    if kind is AttributeType.N and isinstance(value, str):
        return Decimal(value)
    if kind is AttributeType.N and isinstance(value, float):
        return Decimal(repr(value))  # the shortest text that reads back as the same float
    if kind is AttributeType.L and isinstance(value, set | frozenset):
        return sorted(value)  # a MySQL SET: a list, since DynamoDB cannot store an empty set
    if kind is AttributeType.BOOL:
        return bool(value)
    return value


def _column(qualified: str) -> str:
    """``invoice_lines.unit_price`` -> ``unit_price``."""
    return qualified.rsplit(".", 1)[-1]


def _construct(join: JsonConstructionJoin, row: Mapping[str, Any]) -> Any:
    select = {key: _column(column) for key, column in join.construction.select_columns.items()}
    if join.construction.type is ConstructionType.OBJECT:
        built = {key: row.get(column) for key, column in select.items()}
        return {k: v for k, v in built.items() if v is not None}
    children = row.get(join.target_table)
    if children is None:
        return None
    return [{key: child.get(column) for key, column in select.items()} for child in children]


def _deconstruct(join: JsonConstructionJoin, value: Any, row: Row) -> None:
    select = {key: _column(column) for key, column in join.construction.select_columns.items()}
    if join.construction.type is ConstructionType.OBJECT:
        for key, column in select.items():
            row.setdefault(column, value.get(key) if isinstance(value, Mapping) else None)
        return
    row[join.target_table] = [
        {column: element.get(key) for key, column in select.items()} for element in value or []
    ]
