"""Derived attributes of the contract that the generic repositories compute on every write.

Supported:

* ``foreign-key`` joins to a declared entity, joined on that entity's whole key
  (``child.parent_name`` = ``parent.name`` where ``parent.id =
  child.parent_id``): the target's row is read (strongly consistent, through
  its own layout) and the selected field copied; an empty reference or a missing
  target leaves the attribute out;
* ``json-construction`` objects built from the row's own columns (the layout
  builds them).

Every other join (self-join, multi-column, conditional, chain, lookup-table, a
json-construction array of child rows), every calculation and the
``number-format`` and ``json-parse`` transformations are refused when the
repositories are built, with a ValueError naming the entity and the attribute.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from adapters.dynamodb.generic.mapping import EntityMap
from adapters.rules import Row
from dal.contract import (
    Attribute,
    ConstructionType,
    ForeignKeyJoin,
    JsonConstructionJoin,
    JsonParse,
    NumberFormat,
)

__all__ = ["ForeignKeyValue", "compile_derivations", "derived_values"]

_AND = re.compile(r"\s+and\s+", re.IGNORECASE)

Lookup = Callable[[str, Mapping[str, Any]], Row | None]
"""Reads the row of entity ``name`` with a key (key fields), or None."""


@dataclass(frozen=True)
class ForeignKeyValue:
    """``attribute`` = field ``select`` of the ``target`` entity whose key is ``key`` of the row.

    ``key`` pairs each key field of the target with the field of this entity
    holding its value.
    """

    attribute: str
    target: str
    key: tuple[tuple[str, str], ...]
    select: str


def compile_derivations(
    emap: EntityMap, by_table: Mapping[str, EntityMap]
) -> tuple[ForeignKeyValue, ...]:
    """The derivations of ``emap``'s contract entity; ValueError for one it cannot compute."""
    found = []
    for attribute in emap.entity.attributes:
        transformation = attribute.transformation
        if isinstance(transformation, NumberFormat | JsonParse):
            kind = "number-format" if isinstance(transformation, NumberFormat) else "json-parse"
            raise _unsupported(emap, attribute, f"the {kind} transformation")
        if not attribute.is_derived:
            continue
        join = attribute.join
        if isinstance(join, JsonConstructionJoin):
            if join.construction.type is not ConstructionType.OBJECT:
                raise _unsupported(emap, attribute, "a json-construction array of child rows")
            continue
        if not isinstance(join, ForeignKeyJoin):
            what = f"the {join.kind} join" if join is not None else "a calculation"
            if attribute.calculation is not None:
                what = f"the {attribute.calculation.kind} calculation"
            raise _unsupported(emap, attribute, what)
        found.append(_foreign_key(emap, attribute, join, by_table))
    return tuple(found)


def _foreign_key(
    emap: EntityMap, attribute: Attribute, join: ForeignKeyJoin, by_table: Mapping[str, EntityMap]
) -> ForeignKeyValue:
    target = by_table.get(join.target_table)
    if target is None:
        raise _unsupported(
            emap, attribute, f"a foreign-key join to {join.target_table}, no declared entity"
        )
    names = {join.target_table, join.join_alias or join.target_table}
    pairs: dict[str, str] = {}
    for part in _AND.split(join.join_condition.strip()):
        sides = [side.strip().strip("`") for side in part.split("=")]
        if len(sides) != 2:
            raise _unsupported(emap, attribute, f"a join condition {join.join_condition!r}")
        left, right = (_split(side) for side in sides)
        there, here = (left, right) if left[0] in names else (right, left)
        if there[0] not in names or here[0] in names:
            raise _unsupported(emap, attribute, f"a join condition {join.join_condition!r}")
        target_field, source_field = target.field(there[1]), emap.field(here[1])
        if target_field is None or source_field is None:
            raise _unsupported(emap, attribute, f"a join on unknown columns {part!r}")
        pairs[target_field] = source_field
    if set(pairs) != set(target.spec.key):
        raise _unsupported(
            emap, attribute, f"a foreign-key join not on the whole key of {target.name}"
        )
    select = target.field(_split(join.select_column)[1])
    if select is None:
        raise _unsupported(emap, attribute, f"a select of unknown column {join.select_column}")
    key = tuple((name, pairs[name]) for name in target.spec.key)
    return ForeignKeyValue(attribute.name, target.name, key, select)


def _split(text: str) -> tuple[str | None, str]:
    table, _, column = text.rpartition(".")
    return (table.strip("`") or None), column.strip("`")


def _unsupported(emap: EntityMap, attribute: Attribute, what: str) -> ValueError:
    return ValueError(
        f"entity {emap.name}: attribute {attribute.name} of the contract is derived by {what}, "
        "which the generic DynamoDB repositories do not compute (supported: foreign-key joins "
        "on a declared entity's key, json-construction objects of the row's own columns)"
    )


def derived_values(
    derivations: tuple[ForeignKeyValue, ...], row: Mapping[str, Any], lookup: Lookup
) -> dict[str, Any]:
    """The derived attributes of ``row`` by attribute name (a missing value is left out)."""
    values: dict[str, Any] = {}
    for derivation in derivations:
        key = {target: row.get(source) for target, source in derivation.key}
        if any(value is None for value in key.values()):
            continue
        target = lookup(derivation.target, key)
        if target is not None and target.get(derivation.select) is not None:
            values[derivation.attribute] = target[derivation.select]
    return values
