"""Reads of declared entities: by key, by batch, by field values, and named-query pages.

* by key: a strongly consistent GetItem when the item's primary key renders from
  the entity's key fields; otherwise the GSI whose partition key derives from the
  key fields finds the item's primary key (eventually consistent) and a strongly
  consistent GetItem reads it;
* by batch: BatchGetItem (consistent, unprocessed keys resent), in the keys' order;
* by field values (dependents of a deleted entity, queries): the index whose
  partition key derives from exactly those fields (:mod:`.access`); items a sparse
  index leaves out, and any lookup no index serves, are found with a filtered,
  strongly consistent Scan of the whole table;
* named queries: in index order when the index's sort key keeps the query's
  order (reading one page and the ties of its last value), else the whole
  partition sorted by :meth:`adapters.rules.EntityRules.ordered`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from adapters.dynamodb.batch import batch_get
from adapters.dynamodb.client import DynamoClient, Item
from adapters.dynamodb.expressions import Expr
from adapters.dynamodb.generic.access import Access
from adapters.dynamodb.generic.mapping import EntityMap
from adapters.rules import QueryArgs, Row
from interfaces.consistency import use_index_copy
from interfaces.paging import Page

__all__ = ["Reader", "identity"]


def identity(key: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """A hashable form of a wire key."""
    return tuple(sorted((name, repr(value)) for name, value in key.items()))


class Reader:
    """The reads every generic repository needs, over one client."""

    def __init__(self, client: DynamoClient) -> None:
        self.client = client

    # --- by key -----------------------------------------------------------------------------

    def get(self, emap: EntityMap, key: Mapping[str, Any], access: Access | None) -> Row | None:
        """The row with ``key`` (key fields), or None; ``access`` finds non-direct keys."""
        if emap.direct_key or access is None:
            item = self.client.get(emap.table_name, emap.item_key(key))
            return emap.row(item) if item is not None and emap.owns(item) else None
        for found in self._query(emap, access, key):
            if not emap.owns(found):
                continue
            row = emap.row(found) if access.projected else None
            if row is not None and emap.rules.key_of(row) == dict(key) and use_index_copy():
                return row  # the context allows the index's copy
            item = self.client.get(emap.table_name, emap.stored_key(found))
            if item is not None and emap.owns(item):
                row = emap.row(item)
                if emap.rules.key_of(row) == dict(key):
                    return row
        return None

    def batch(
        self, emap: EntityMap, keys: Sequence[Mapping[str, Any]], access: Access | None
    ) -> list[Row]:
        """The rows of ``keys`` that exist, in the order of ``keys``."""
        if not emap.direct_key and access is not None:
            each = (self.get(emap, key, access) for key in keys)
            return [row for row in each if row is not None]
        wire = [emap.item_key(key) for key in keys]
        items = batch_get(self.client, emap.table_name, wire, consistent=True)
        found = {identity(emap.stored_key(i)): i for i in items if emap.owns(i)}
        return [emap.row(found[identity(k)]) for k in wire if identity(k) in found]

    # --- by field values --------------------------------------------------------------------

    def rows_where(
        self, emap: EntityMap, where: Mapping[str, Any], access: Access | None
    ) -> list[Row]:
        """Every row whose fields equal ``where`` (in no particular order)."""
        if access is None or any(value is None for value in where.values()):
            items: Iterable[Item] = self._scan(emap, where)
        else:
            items = self._query(emap, access, where)
            if access.sparse:
                items = [*items, *self._missing(emap, access, where)]
        return _matching(emap, items, where)

    # --- named queries ----------------------------------------------------------------------

    def page(self, emap: EntityMap, args: QueryArgs, access: Access | None) -> Page[Any]:
        """One page of a named query."""
        rules = emap.rules
        where = args.where
        if access is None or any(value is None for value in where.values()):
            rows = _matching(emap, self._scan(emap, where), where)
            return rules.page(args, rules.ordered(args, rows))
        first = rules.order_fields(args.named)[0]
        if access.ordered_by == first and not access.sparse:
            return rules.page(args, rules.ordered(args, self._in_order(emap, args, access)))
        rows = _matching(emap, self._query(emap, access, where), where)
        if access.sparse and not _past_missing(emap, args, access, rows):
            rows += _matching(emap, self._missing(emap, access, where), where)
        return rules.page(args, rules.ordered(args, rows))

    def _in_order(self, emap: EntityMap, args: QueryArgs, access: Access) -> list[Row]:
        """The page's rows and the ties of the last one, read in the index's order."""
        rules, named = emap.rules, args.named
        first = rules.order_fields(named)[0]
        start = None
        if args.after is not None and access.index.sk is not None:
            boundary = emap.columns({**args.where, first: args.after[0]})
            value = emap.layout.key_value(access.index.sk, boundary)
            start = ("<=" if named.descending else ">=", value)
        collected: list[Row] = []
        size = args.page_size
        items = self._query(emap, access, args.where, forward=not named.descending, start=start)
        for row in _each_matching(emap, items, args.where):
            if not rules.after_token(args, row):
                continue
            if len(collected) > size and row[first] != collected[size][first]:
                break
            collected.append(row)
        return collected

    # --- requests ---------------------------------------------------------------------------

    def _query(
        self,
        emap: EntityMap,
        access: Access,
        where: Mapping[str, Any],
        *,
        forward: bool = True,
        start: tuple[str, Any] | None = None,
    ) -> Iterator[Item]:
        """The items of one partition of ``access``'s index (whole items)."""
        index = access.index
        expr = Expr()
        partition = emap.layout.key_value(index.pk, emap.columns(where))
        condition = f"{expr.name(index.pk)} = {expr.wire(partition)}"
        if start is not None and index.sk is not None:
            condition += f" AND {expr.name(index.sk)} {start[0]} {expr.wire(start[1])}"
        request: dict[str, Any] = {
            "TableName": emap.table_name,
            "ScanIndexForward": forward,
            **expr.request(KeyConditionExpression=condition),
        }
        if index.name is None:
            request["ConsistentRead"] = True
        else:
            request["IndexName"] = index.name
        items = self.client.items("Query", request)
        return items if access.projected else self._whole(emap, items)

    def _whole(self, emap: EntityMap, items: Iterable[Item]) -> Iterator[Item]:
        for found in items:
            item = self.client.get(emap.table_name, emap.stored_key(found))
            if item is not None:
                yield item

    def _missing(self, emap: EntityMap, access: Access, where: Mapping[str, Any]) -> Iterator[Item]:
        """Items of the partition a sparse index leaves out (no sort key): a filtered Scan."""
        index = access.index
        expr = Expr()
        partition = emap.layout.key_value(index.pk, emap.columns(where))
        condition = f"{expr.name(index.pk)} = {expr.wire(partition)}"
        if index.sk is not None:
            condition += f" AND {expr.missing(index.sk)}"
        request = {
            "TableName": emap.table_name,
            "ConsistentRead": True,
            **expr.request(FilterExpression=condition),
        }
        return self.client.items("Scan", request)

    def _scan(self, emap: EntityMap, where: Mapping[str, Any]) -> Iterator[Item]:
        """Every item of the table whose stored attributes equal ``where`` (consistent Scan)."""
        expr = Expr()
        stored = set(emap.entity.attribute_names) | set(emap.layout.extra_columns)
        filters = []
        for field, value in where.items():
            column = emap.spec.column(field)
            if value is None:
                name = emap.layout.attr(column)
                if name in stored:
                    filters.append(expr.missing(name))
                continue
            name, wire = emap.layout.encode(column, value)
            if name in stored:
                filters.append(f"{expr.name(name)} = {expr.wire(wire)}")
        request = {
            "TableName": emap.table_name,
            "ConsistentRead": True,
            **expr.request(FilterExpression=" AND ".join(filters) or None),
        }
        return self.client.items("Scan", request)


def _each_matching(
    emap: EntityMap, items: Iterable[Item], where: Mapping[str, Any]
) -> Iterator[Row]:
    """The rows of this entity's items whose fields equal ``where``, as they are read."""
    for item in items:
        if emap.owns(item):
            row = emap.row(item)
            if all(row.get(f) == v for f, v in where.items()):
                yield row


def _matching(emap: EntityMap, items: Iterable[Item], where: Mapping[str, Any]) -> list[Row]:
    """Every row of this entity's items whose fields equal ``where``."""
    return list(_each_matching(emap, items, where))


def _past_missing(emap: EntityMap, args: QueryArgs, access: Access, rows: list[Row]) -> bool:
    """Whether the page cannot reach the items a sparse index leaves out.

    They hold None in the first order field, so they sort first (ascending) or
    last (descending): ascending, a token past None skips them; descending, they
    are not needed while the indexed rows fill the page and its look-ahead.
    """
    first = emap.rules.order_fields(args.named)[0]
    if access.sparse != (first,):
        return False
    if args.named.descending:
        return len(emap.rules.ordered(args, rows)) > args.page_size
    return args.after is not None and args.after[0] is not None
