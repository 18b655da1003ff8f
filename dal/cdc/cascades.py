"""Rows a foreign key changed: MySQL writes no binary-log event for them.

A delete that ``ON DELETE CASCADE`` carries to referencing rows, or that ``ON DELETE
SET NULL`` clears their reference for, is logged as the parent's delete alone (the
replicas run the cascade themselves). :class:`CascadeFinder` reads the foreign keys of
the reflected MySQL tables and, for the parent rows a batch deleted, finds the items
of the referencing rows in DynamoDB (a scan of their table filtered on the attribute
that copies the referencing column, in pages of up to 100 values). Those rows are then
handled like any changed row: read again, put when they are still there (their
reference now cleared), deleted when they are gone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from adapters.dynamodb.client import DynamoClient, Item
from adapters.dynamodb.expressions import Expr
from dal.cdc.items import Touched
from dal.migrate.lookups import Row
from dal.migrate.plan import SourcePlan, Target
from dal.migrate.source import typed

__all__ = ["CascadeFinder", "Link"]

_FOLLOWED = frozenset({"CASCADE", "SET NULL"})
_IN_LIMIT = 100


@dataclass(frozen=True)
class Link:
    """``child``'s ``columns`` reference ``parent``'s ``referenced`` columns, followed on delete."""

    child: SourcePlan
    parent: str
    columns: tuple[str, ...]
    referenced: tuple[str, ...]


def _links(plans: Iterable[SourcePlan]) -> list[Link]:
    links = []
    for plan in plans:
        by_constraint: dict[int, list[Any]] = {}
        for key in plan.table.foreign_keys:
            if (key.ondelete or "").upper() in _FOLLOWED:
                by_constraint.setdefault(id(key.constraint), []).append(key)
        for keys in by_constraint.values():
            parent = keys[0].column.table.name
            columns = tuple(key.parent.name for key in keys)
            referenced = tuple(key.column.name for key in keys)
            links.append(Link(plan, parent, columns, referenced))
    return links


class CascadeFinder:
    """Finds the referencing rows of deleted parents of ``plans`` through their items."""

    def __init__(self, client: DynamoClient, plans: Iterable[SourcePlan]) -> None:
        self._client = client
        self._links = _links(plans)

    def children(
        self, gone: Mapping[str, Sequence[Row]], plans: Mapping[str, SourcePlan]
    ) -> dict[str, Touched]:
        """The rows referencing the gone rows (by entity), with the images their items hold."""
        found: dict[str, Touched] = {}
        tables = {plan.table.name: name for name, plan in plans.items()}
        for link in self._links:
            parent = tables.get(link.parent)
            rows = gone.get(parent, ()) if parent is not None else ()
            values = {tuple(row.get(c) for c in link.referenced) for row in rows}
            values.discard(tuple(None for _ in link.referenced))
            if not values:
                continue
            touched = found.setdefault(link.child.name, Touched(link.child))
            for image in self._referencing(link, sorted(values, key=repr)):
                touched.add(link.child.key(image), image)
        return found

    def _referencing(self, link: Link, values: Sequence[tuple[Any, ...]]) -> Iterator[Row]:
        target = link.child.targets[0]
        for start in range(0, len(values), _IN_LIMIT):
            request = _scan_request(target, link.columns, values[start : start + _IN_LIMIT])
            for item in self._client.items("Scan", request):
                image = _image(link.child, target, item)
                if image is not None:
                    yield image


def _scan_request(
    target: Target, columns: Sequence[str], values: Sequence[tuple[Any, ...]]
) -> dict[str, Any]:
    expr = Expr()
    alternatives = []
    for value in values:
        parts = []
        for column, part in zip(columns, value, strict=True):
            name, wire = target.layout.encode(column, part)
            parts.append(f"{expr.name(name)} = {expr.wire(wire)}")
        alternatives.append("(" + " AND ".join(parts) + ")")
    request = expr.request(FilterExpression=" OR ".join(alternatives))
    return {"TableName": target.table_name, "ConsistentRead": True, **request}


def _aware(value: Any) -> Any:
    """A naive datetime (UTC, as the layer stores it) made aware, as rows are built."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _image(plan: SourcePlan, target: Target, item: Item) -> Row | None:
    """The row ``item`` holds, typed for ``plan``'s table; None for another entity's item."""
    if not target.layout.owns(item):
        return None
    read, _ = target.layout.row(item)
    row = {
        name: _aware(typed(plan.table, name, value))
        for name, value in read.items()
        if name in plan.table.c
    }
    if any(row.get(column) is None for column in plan.key_columns):
        return None
    return row
