"""A design as a migration contract in the workshop's format (``migration_contract.json``).

Every entity's items carry the string keys ``PK`` and ``SK`` (and ``GSI<n>PK``/
``GSI<n>SK`` for the GSI slots it uses), each a ``string-format`` of its key
template, and one attribute per carried column under the column's own name.
A DynamoDB table holding one entity is a ``single-entity`` table, others are
``multi-entity``. No joins, calculations or denormalized copies: a draft moves
every row as it is; add them by hand where a read needs them.
"""

from __future__ import annotations

from typing import Any

from dal.contract.draft.model import Design, EntityDesign, Pattern, Served, key_fields
from dal.contract.validation import MAX_ITEM_BYTES

__all__ = ["render_contract", "satisfies"]

_OVERHEAD_BYTES = 100
"""Key attributes and attribute names, roughly, per item."""


def render_contract(design: Design) -> dict[str, Any]:
    """The contract of ``design`` as JSON-ready data."""
    return {"tables": [_table(design, name) for name in design.tables]}


def _table(design: Design, name: str) -> dict[str, Any]:
    entities = design.tables[name]
    count = design.gsi_count(name)
    gsis = [
        {"index_name": f"GSI{n}", "pk": f"GSI{n}PK", "sk": f"GSI{n}SK", "projection": "ALL"}
        for n in range(1, count + 1)
    ]
    body: dict[str, Any] = {
        "table": name,
        "type": "single-entity" if len(entities) == 1 else "multi-entity",
        "source_table": entities[0].table,
        "pk": "PK",
        "sk": "SK",
        "gsis": gsis,
    }
    if len(entities) == 1:
        body["attributes"] = _attributes(entities[0])
    else:
        body["entities"] = [_entity(entity) for entity in entities]
        body["attributes"] = []
    body["satisfies"] = [line for entity in entities for line in satisfies(entity)]
    body["estimated_item_size_bytes"] = max(_size(e) for e in entities)
    return body


def _entity(entity: EntityDesign) -> dict[str, Any]:
    return {
        "entity_type": entity.entity_type,
        "source_table": entity.table,
        "pk_template": entity.pk,
        "sk_template": entity.sk,
        "attributes": _attributes(entity),
    }


def _attributes(entity: EntityDesign) -> list[dict[str, Any]]:
    key = list(_key_columns(entity))
    attributes = [
        _formatted(entity, "PK", entity.pk, key),
        _formatted(entity, "SK", entity.sk, key),
    ]
    attributes += [
        {
            "name": c.column,
            "type": c.attribute_type,
            "source_table": entity.table,
            "source_column": c.column,
        }
        for c in entity.carried
    ]
    for use in entity.gsis:
        attributes.append(_formatted(entity, f"{use.index_name}PK", use.pk, key))
        attributes.append(_formatted(entity, f"{use.index_name}SK", use.sk, key))
    return attributes


def _key_columns(entity: EntityDesign) -> tuple[str, ...]:
    return tuple(entity.spec.column(f) for f in entity.spec.key)


def _formatted(entity: EntityDesign, name: str, template: str, key: list[str]) -> dict[str, Any]:
    fields = key_fields(template) or key[:1]
    source: str | list[str] = fields[0] if len(fields) == 1 else fields
    return {
        "name": name,
        "type": "S",
        "source_table": entity.table,
        "source_column": source,
        "transformation": {"type": "string-format", "format": template},
    }


def satisfies(entity: EntityDesign) -> list[str]:
    """The access patterns of ``entity`` as the contract's ``satisfies`` lines."""
    return [_line(entity, pattern) for pattern in entity.patterns]


def _line(entity: EntityDesign, pattern: Pattern) -> str:
    if pattern.served is Served.GET:
        where = f"PK = {entity.pk}, SK = {entity.sk}"
    elif pattern.served is Served.COLLECTION:
        where = f"PK = {entity.pk}, SK begins with {entity.entity_type}#"
    elif pattern.served is Served.INDEX:
        where = pattern.how.split(":")[0].removeprefix("Query of ")
    else:
        where = "Scan"
    what = "by key" if pattern.name == "get" else pattern.name
    return f"{entity.table} {what} ({where})"


def _size(entity: EntityDesign) -> int:
    total = _OVERHEAD_BYTES + sum(len(c.column) + c.size for c in entity.carried)
    return max(1, min(total, MAX_ITEM_BYTES))
