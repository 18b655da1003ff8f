"""Where the DynamoDB items of given source keys are, without scanning their tables.

A comparison by key (:meth:`dal.migrate.verify.Verifier.verify_keys`) needs every
item whose source row holds the key's values, including items left behind by a
row that was deleted or whose item key changed (the store keys users by email:
the item of user 7 after an email change is not under the key its row makes
now). For each target of an entity (an item kind, or a guard item) and the
columns of the keys, this module decides how those items are found:

* the target's items can never hold the columns (a declared guard of
  ``users.username`` holds no ``id``): nothing to read;
* the base table's partition key, or a GSI's partition key, is made from those
  columns alone (``GSI1PK`` is ``users.id``): one Query per key on that value;
* otherwise the target's table must be scanned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from adapters.dynamodb.layout import EntityLayout
from dal.contract import Attribute, Entity
from dal.contract.derivations import JsonConstructionJoin, StringFormat
from dal.migrate.plan import AnyGuard, SourcePlan, Target

__all__ = ["KeyLookup", "may_hold", "query_request", "target_lookup"]


@dataclass(frozen=True)
class KeyLookup:
    """The items of one target found by the partition key ``pk`` of ``index`` (None: the
    base table) of ``table``, whose value ``layout`` makes from the key's columns."""

    table: str
    index: str | None
    pk: str
    layout: EntityLayout

    def request(self, values: dict[str, Any]) -> dict[str, Any]:
        """The Query of the items whose partition key the source columns ``values`` make."""
        value = self.layout.key_value(self.pk, values)
        return query_request(self.table, self.index, self.pk, value)


def query_request(table: str, index: str | None, pk: str, value: Any) -> dict[str, Any]:
    """A Query of every item of partition ``value``; consistent on the base table (a GSI
    cannot be read consistently)."""
    request: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#pk = :pk",
        "ExpressionAttributeNames": {"#pk": pk},
        "ExpressionAttributeValues": {":pk": value},
    }
    if index is None:
        request["ConsistentRead"] = True
    else:
        request["IndexName"] = index
    return request


def may_hold(target: Target | AnyGuard, columns: tuple[str, ...]) -> bool:
    """Whether an item of ``target`` can hold every column of ``columns`` when read back.

    Errs on the side of yes: a column any attribute or key template might give back
    counts.
    """
    if isinstance(target, Target):
        layout = target.layout
        held = _recoverable(layout.entity) | set(layout.extra_columns)
    elif target.guard.entity is not None:
        held = _recoverable(target.guard.entity)
    else:
        spec = target.guard.spec
        held = {spec.column(name) for name in spec.key}
    return set(columns) <= held


def target_lookup(
    plan: SourcePlan, target: Target | AnyGuard, columns: tuple[str, ...]
) -> KeyLookup | None:
    """How the items of ``target`` whose rows hold ``columns`` are queried, or None when
    no partition key of its table is made from those columns alone."""
    if not isinstance(target, Target):
        return None
    layout = target.layout
    entity, table = layout.entity, layout.table
    bound = {name for name, _ in target.bindings}
    fields = set(entity.pk_template.fields)
    if fields and fields <= set(columns) and not fields & bound:
        return KeyLookup(layout.table_name, None, table.pk, layout)
    for gsi in table.gsis:
        if not entity.has_attribute(gsi.pk):
            continue
        attribute = entity.attribute(gsi.pk)
        if attribute.is_derived or attribute.source_table != plan.table.name:
            continue
        sources = _sources(attribute)
        if sources and sources <= set(columns):
            return KeyLookup(layout.table_name, gsi.index_name, gsi.pk, layout)
    return None


def _sources(attribute: Attribute) -> set[str]:
    """The columns a plain (not derived) attribute is written from."""
    transformation = attribute.transformation
    if isinstance(transformation, StringFormat):
        return set(transformation.template.fields)
    return set(attribute.source_columns)


def _recoverable(entity: Entity) -> set[str]:
    """Every column an item of ``entity`` may give back when read (a superset)."""
    held = set(entity.pk_template.fields)
    if entity.sk_template is not None:
        held |= set(entity.sk_template.fields)
    for attribute in entity.attributes:
        join = attribute.join
        if isinstance(join, JsonConstructionJoin):
            selected = join.construction.select_columns.values()
            held |= {column.split(".")[-1] for column in selected}
            held.add(join.target_table)
        elif not attribute.is_derived:
            held |= _sources(attribute)
    return held
