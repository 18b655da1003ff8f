"""Semantic checks of a structurally valid contract: what the JSON Schema cannot say.

Each check looks at one table and reports through ``report(location, message)``.
They catch mistakes that would create the wrong tables or write the wrong
items: duplicate names, more than 20 indexes, index keys no entity writes, key
attributes of a type DynamoDB refuses for keys, templates naming unknown
fields, a derivation whose result cannot have the attribute's type.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from dal.contract.derivations import (
    ConstructionType,
    DateFormat,
    JsonConstructionJoin,
    JsonParse,
    NumberFormat,
    StringFormat,
)
from dal.contract.errors import Location, Problem
from dal.contract.model import KEY_TYPES, Attribute, AttributeType, Entity, Projection, Table
from dal.contract.template import Template

__all__ = ["MAX_GSIS", "MAX_ITEM_BYTES", "template_names", "validate_tables"]

MAX_GSIS = 20
"""DynamoDB's limit of global secondary indexes per table."""
MAX_ITEM_BYTES = 400 * 1024
"""DynamoDB's limit of the size of one item."""

Report = Callable[[Location, str], None]

_TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,255}")
_INDEX_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")
_QUALIFIED = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)")
_S, _N, _M, _L = AttributeType.S, AttributeType.N, AttributeType.M, AttributeType.L
_PRODUCES: dict[type, frozenset[AttributeType]] = {
    StringFormat: frozenset({_S}),
    DateFormat: frozenset({_S}),
    NumberFormat: frozenset({_N, _S}),
    JsonParse: frozenset({_M, _L}),
}
_CONSTRUCTS: dict[ConstructionType, frozenset[AttributeType]] = {
    ConstructionType.OBJECT: frozenset({_M, _S}),
    ConstructionType.ARRAY: frozenset({_L, _S}),
}


def validate_tables(tables: Sequence[Table], problems: list[Problem]) -> None:
    """Append a :class:`Problem` to ``problems`` for everything wrong with ``tables``."""

    def report(where: Location, message: str) -> None:
        problems.append(Problem(where, message))

    for name in _repeated(table.name for table in tables):
        report(Location(name), "the table name is used more than once")
    for table in tables:
        for check in _TABLE_CHECKS:
            check(table, report)


def template_names(entity: Entity) -> frozenset[str]:
    """The names a template of ``entity`` may use.

    An attribute name, a source column of one of its attributes, or a joined
    column named after the table (or alias) it comes from: ``users.email``
    reached by a join is ``user_email``.
    """
    names = set(entity.attribute_names)
    for attribute in entity.attributes:
        names.update(attribute.source_columns)
        names.update(_joined_names(attribute))
    return frozenset(names)


def _joined_names(attribute: Attribute) -> Iterable[str]:
    derivation = attribute.join or attribute.calculation
    select = getattr(derivation, "select_column", None)
    owner = getattr(derivation, "join_alias", None) or getattr(derivation, "target_table", None)
    match = _QUALIFIED.fullmatch(select) if isinstance(select, str) else None
    if match is not None and isinstance(owner, str):
        yield f"{_singular(owner)}_{match.group(2)}"


def _singular(name: str) -> str:
    if name.endswith("ies"):
        return name[:-3] + "y"
    return name[:-1] if name.endswith("s") else name


def _repeated(names: Iterable[str]) -> list[str]:
    return [name for name, count in Counter(names).items() if count > 1]


def _written(table: Table, name: str) -> bool:
    """Whether items carry attribute ``name``: an entity writes it, or it is a table key."""
    templated = table.is_multi_entity and name in (table.pk, table.sk)
    return templated or any(entity.has_attribute(name) for entity in table.entities)


# --- checks of one table -------------------------------------------------------------------


def _check_names(table: Table, report: Report) -> None:
    where = Location(table.name)
    if not _TABLE_NAME.fullmatch(table.name):
        report(where, "a table name may only hold letters, digits, '_', '-' and '.'")
    for gsi in table.gsis:
        if not _INDEX_NAME.fullmatch(gsi.index_name):
            report(
                where.at_index(gsi.index_name),
                "an index name has 3 to 255 letters, digits, '_', '-' or '.'",
            )


def _check_table_keys(table: Table, report: Report) -> None:
    where = Location(table.name)
    if table.pk == table.sk:
        report(where, f"partition key and sort key are the same attribute {table.pk!r}")
    for role, name in (("partition key", table.pk), ("sort key", table.sk)):
        if name is not None and not _written(table, name):
            report(where, f"{role} {name!r} is not written by any attribute")


def _check_gsis(table: Table, report: Report) -> None:
    where = Location(table.name)
    if len(table.gsis) > MAX_GSIS:
        report(where, f"{len(table.gsis)} global secondary indexes; DynamoDB allows {MAX_GSIS}")
    for name in _repeated(gsi.index_name for gsi in table.gsis):
        report(where.at_index(name), "the index name is used more than once")
    for gsi in table.gsis:
        at = where.at_index(gsi.index_name)
        if gsi.pk == gsi.sk:
            report(at, f"partition key and sort key are the same attribute {gsi.pk!r}")
        for role, key in (("partition key", gsi.pk), ("sort key", gsi.sk)):
            if key is not None and not _written(table, key):
                report(at, f"{role} {key!r} is not written by any entity")
        if gsi.projection is Projection.INCLUDE and not gsi.projected_attributes:
            report(at, "projection INCLUDE requires 'projected_attributes'")
        if gsi.projection is not Projection.INCLUDE and gsi.projected_attributes:
            report(
                at,
                f"'projected_attributes' given, but projection is {gsi.projection} "
                "(only INCLUDE takes them)",
            )


def _check_key_types(table: Table, report: Report) -> None:
    roles = {table.pk: "the table", table.sk: "the table"}
    for gsi in table.gsis:
        for name in gsi.key_attributes:
            roles.setdefault(name, f"index {gsi.index_name}")
    for name in table.key_attributes:
        declared = {
            entity.entity_type: entity.attribute(name)
            for entity in table.entities
            if entity.has_attribute(name)
        }
        for entity_type, attribute in declared.items():
            if attribute.type not in KEY_TYPES:
                where = _attribute_location(table, entity_type, name)
                report(
                    where,
                    f"a key attribute of {roles[name]} must be of type S, N or B, "
                    f"not {attribute.type}",
                )
        if len({attribute.type for attribute in declared.values()}) > 1:
            kinds = ", ".join(f"{a.type} in {e}" for e, a in declared.items())
            report(Location(table.name), f"key attribute {name!r} has different types: {kinds}")


def _check_entities(table: Table, report: Report) -> None:
    for entity_type in _repeated(entity.entity_type for entity in table.entities):
        report(Location(table.name).at_entity(entity_type), "the entity type is used twice")
    for entity in table.entities:
        for name in _repeated(entity.attribute_names):
            report(
                _attribute_location(table, entity.entity_type, name),
                "the attribute name is used more than once",
            )


def _check_templates(table: Table, report: Report) -> None:
    for entity in table.entities:
        allowed = template_names(entity)
        if not entity.synthetic:
            where = Location(table.name).at_entity(entity.entity_type)
            for key, template in (
                ("pk_template", entity.pk_template),
                ("sk_template", entity.sk_template),
            ):
                _check_fields(template, allowed, key, where, report)
        for attribute in entity.attributes:
            if isinstance(attribute.transformation, StringFormat):
                where = _attribute_location(table, entity.entity_type, attribute.name)
                _check_fields(
                    attribute.transformation.template, allowed, "string-format", where, report
                )


def _check_fields(
    template: Template | None, allowed: frozenset[str], what: str, where: Location, report: Report
) -> None:
    if template is None:
        return
    for name in dict.fromkeys(template.fields):
        if name not in allowed:
            report(
                where,
                f"{what} {template.text!r} uses {{{name}}}, which is neither an attribute "
                "nor a source column of the entity",
            )


def _check_attributes(table: Table, report: Report) -> None:
    for entity in table.entities:
        for attribute in entity.attributes:
            where = _attribute_location(table, entity.entity_type, attribute.name)
            for message in _attribute_problems(attribute):
                report(where, message)


def _attribute_problems(attribute: Attribute) -> Iterable[str]:
    if attribute.join is not None and attribute.calculation is not None:
        yield "has both a join and a calculation; only one may derive the value"
    join = attribute.join
    if isinstance(join, JsonConstructionJoin):
        construction = join.construction.type
        if attribute.type not in _CONSTRUCTS[construction]:
            allowed = " or ".join(sorted(_CONSTRUCTS[construction]))
            yield (
                f"json-construction of an {construction} gives type {allowed}, not {attribute.type}"
            )
    transformation = attribute.transformation
    if transformation is not None and attribute.type not in _PRODUCES[type(transformation)]:
        allowed = " or ".join(sorted(_PRODUCES[type(transformation)]))
        yield f"transformation {transformation.kind} gives type {allowed}, not {attribute.type}"


def _check_size(table: Table, report: Report) -> None:
    size = table.estimated_item_size_bytes
    if not 0 < size <= MAX_ITEM_BYTES:
        report(
            Location(table.name),
            f"estimated_item_size_bytes must be between 1 and {MAX_ITEM_BYTES} "
            f"(DynamoDB's item size limit), not {size}",
        )


def _attribute_location(table: Table, entity_type: str, attribute: str) -> Location:
    """Single-entity tables have no entity level in locations (``Projects / attribute x``)."""
    where = Location(table.name)
    if table.is_multi_entity:
        where = where.at_entity(entity_type)
    return where.at_attribute(attribute)


_TABLE_CHECKS: tuple[Callable[[Table, Report], None], ...] = (
    _check_names,
    _check_table_keys,
    _check_gsis,
    _check_entities,
    _check_key_types,
    _check_templates,
    _check_attributes,
    _check_size,
)
