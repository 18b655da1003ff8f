"""Structural parsing of a decoded contract into the model, collecting every problem.

A table with a structural problem is reported and left out (``None``), so that
semantic validation only runs on tables that were read completely.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from dal.contract.derivations import StringFormat
from dal.contract.derive_parser import parse_calculation, parse_join, parse_transformation
from dal.contract.errors import Location, Problem, TemplateError
from dal.contract.model import Attribute, AttributeType, Entity, Gsi, Projection, Table, TableType
from dal.contract.reader import Reader
from dal.contract.template import Template

__all__ = ["parse_tables"]

T = TypeVar("T")


def parse_tables(data: object, problems: list[Problem]) -> list[Table | None]:
    """Every table of ``data`` (a decoded contract); None for a table with a problem."""
    if not isinstance(data, Mapping):
        problems.append(Problem(Location(), "must be a JSON object with a 'tables' array"))
        return []
    raws = Reader(data, Location(), "contract", problems).objects("tables", required=True)
    if raws is not None and not raws:
        problems.append(Problem(Location(), "'tables' is empty"))
    return [_table(raw, number, problems) for number, raw in enumerate(raws or (), start=1)]


def _known(value: T | None) -> T:
    """A member read without a problem; None here would be a bug of this module."""
    if value is None:
        raise AssertionError("a member read without a problem is missing")
    return value


def _name(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    return value if isinstance(value, str) and value else None


def _table(raw: Mapping[str, Any], number: int, problems: list[Problem]) -> Table | None:
    where = Location(table=_name(raw, "table") or f"table #{number}")
    reader = Reader(raw, where, "table", problems)
    before = len(problems)
    name = reader.text("table")
    kind = reader.choice("type", TableType)
    source_table = reader.text("source_table")
    pk = reader.text("pk")
    sk = reader.text("sk", required=False) or None
    gsis = [_gsi(g, n, reader) for n, g in enumerate(reader.objects("gsis") or (), start=1)]
    satisfies = reader.texts("satisfies", required=True)
    size = reader.number("estimated_item_size_bytes")
    attributes: tuple[Attribute, ...] = ()
    entities: tuple[Entity, ...] = ()
    if kind is TableType.MULTI_ENTITY:
        entities = _entities(reader, sk)
    elif kind is TableType.SINGLE_ENTITY:
        attributes = _single_entity_attributes(reader)
    if len(problems) > before:
        return None
    name, pk, source_table = _known(name), _known(pk), _known(source_table)
    if kind is TableType.SINGLE_ENTITY:
        entities = (_synthetic_entity(name, source_table, pk, sk, attributes),)
    return Table(
        name=name,
        type=_known(kind),
        source_table=source_table,
        pk=pk,
        sk=sk,
        gsis=tuple(g for g in gsis if g is not None),
        entities=entities,
        attributes=attributes,
        satisfies=_known(satisfies),
        estimated_item_size_bytes=_known(size),
        key_types=_key_types(pk, sk, gsis, entities),
    )


def _gsi(raw: Mapping[str, Any], number: int, table: Reader) -> Gsi | None:
    reader = table.nested(
        raw, "index", table.where.at_index(_name(raw, "index_name") or f"#{number}")
    )
    before = len(reader.problems)
    name = reader.text("index_name")
    pk = reader.text("pk")
    sk = reader.text("sk", required=False) or None
    projection = reader.choice("projection", Projection, required=False) or Projection.ALL
    projected = reader.texts("projected_attributes") or ()
    if len(reader.problems) > before or name is None or pk is None:
        return None
    return Gsi(name, pk, sk, projection, projected)


def _single_entity_attributes(table: Reader) -> tuple[Attribute, ...]:
    if table.raw.get("entities"):
        table.report("a single-entity table lists its attributes in 'attributes', not 'entities'")
    raws = table.nested(table.raw, "single-entity table").objects("attributes", required=True)
    return _attributes(raws or (), table.where, table.problems)


def _entities(table: Reader, sk: str | None) -> tuple[Entity, ...]:
    if table.raw.get("attributes"):
        table.report("a multi-entity table lists attributes per entity; 'attributes' must be empty")
    raws = table.nested(table.raw, "multi-entity table").objects("entities", required=True)
    if raws is not None and not raws:
        table.report("a multi-entity table needs at least one entity")
    entities = [_entity(raw, n, table, sk) for n, raw in enumerate(raws or (), start=1)]
    return tuple(entity for entity in entities if entity is not None)


def _entity(raw: Mapping[str, Any], number: int, table: Reader, sk: str | None) -> Entity | None:
    where = table.where.at_entity(_name(raw, "entity_type") or f"#{number}")
    reader = table.nested(raw, "entity", where)
    before = len(reader.problems)
    entity_type = reader.text("entity_type")
    source_table = reader.text("source_table")
    pk_template = _template(reader, "pk_template", required=True)
    sk_template = _template(reader, "sk_template", required=sk is not None)
    if sk is None and sk_template is not None and sk_template.text:
        reader.report(f"sk_template {sk_template.text!r} given, but the table has no sort key")
    raws = reader.objects("attributes", required=True)
    attributes = _attributes(raws or (), where, reader.problems)
    if len(reader.problems) > before:
        return None
    return Entity(
        _known(entity_type),
        _known(source_table),
        _known(pk_template),
        sk_template if sk else None,
        attributes,
    )


def _template(reader: Reader, key: str, *, required: bool) -> Template | None:
    text = reader.text(key, required=required)
    if text is None:
        return None
    if not text and required:
        reader.report(f"'{key}' is empty")
        return None
    try:
        return Template(text)
    except TemplateError as error:
        reader.report(f"{key}: {error}")
        return None


def _attributes(
    raws: list[Mapping[str, Any]] | tuple[()], where: Location, problems: list[Problem]
) -> tuple[Attribute, ...]:
    parsed = [_attribute(raw, n, where, problems) for n, raw in enumerate(raws, start=1)]
    return tuple(attribute for attribute in parsed if attribute is not None)


def _attribute(
    raw: Mapping[str, Any], number: int, owner: Location, problems: list[Problem]
) -> Attribute | None:
    where = owner.at_attribute(_name(raw, "name") or f"#{number}")
    reader = Reader(raw, where, "attribute", problems)
    before = len(problems)
    name = reader.text("name")
    kind = reader.choice("type", AttributeType)
    source_table = reader.text("source_table")
    source_column = reader.text_or_texts("source_column")
    raw_join, raw_calculation = reader.obj("join"), reader.obj("calculation")
    raw_transformation = reader.obj("transformation")
    join = None if raw_join is None else parse_join(raw_join, reader)
    calculation = None if raw_calculation is None else parse_calculation(raw_calculation, reader)
    transformation = (
        None if raw_transformation is None else parse_transformation(raw_transformation, reader)
    )
    denormalized = reader.boolean("denormalized") or False
    justification = reader.text("justification", required=False)
    if len(problems) > before or source_column is None:
        return None
    return Attribute(
        _known(name),
        _known(kind),
        _known(source_table),
        source_column,
        join,
        calculation,
        transformation,
        denormalized,
        justification,
    )


def _synthetic_entity(
    name: str, source_table: str, pk: str, sk: str | None, attributes: tuple[Attribute, ...]
) -> Entity:
    """The one entity of a single-entity table; key templates derived from its key attributes."""
    by_name = {attribute.name: attribute for attribute in attributes}
    pk_template = _key_template(pk, by_name.get(pk))
    sk_template = None if sk is None else _key_template(sk, by_name.get(sk))
    return Entity(name, source_table, pk_template, sk_template, attributes, synthetic=True)


def _key_template(name: str, attribute: Attribute | None) -> Template:
    """``format`` of a string-format, ``{column}`` of a copied column, else ``{attribute}``."""
    if attribute is not None and isinstance(attribute.transformation, StringFormat):
        return attribute.transformation.template
    if (
        attribute is not None
        and not attribute.is_derived
        and attribute.transformation is None
        and isinstance(attribute.source_column, str)
    ):
        return Template(f"{{{attribute.source_column}}}")
    return Template(f"{{{name}}}")


def _key_types(
    pk: str, sk: str | None, gsis: list[Gsi | None], entities: tuple[Entity, ...]
) -> dict[str, AttributeType]:
    """Each key attribute's type as the first entity writing it declares it (else S)."""
    names = [pk] if sk is None else [pk, sk]
    names += [key for gsi in gsis if gsi is not None for key in gsi.key_attributes]
    types: dict[str, AttributeType] = {}
    for name in names:
        declared = (e.attribute(name).type for e in entities if e.has_attribute(name))
        types.setdefault(name, next(declared, AttributeType.S))
    return types
