"""The generic repository of one declared entity over DynamoDB.

Behaviour is the specification of :mod:`interfaces.repository`; every rule
(key shapes, validation and stamping, versions, unique values and their
collation, references, named-query arguments, order and page tokens) comes from
:class:`adapters.rules.EntityRules`, and on-delete rules from
:func:`adapters.rules.dependents`. This module only turns them into DynamoDB
requests: each command is one write request, a TransactWriteItems only where
several items change together (guards of unique values, references checked,
dependents of a delete; more than 100 dependent writes are split, see
:func:`.writes.run_in_order`), else a conditional PutItem or DeleteItem.

A command reads the stored item first, except where the layer knows enough
without it: an update mirrored from the other side of a dual write
(:func:`interfaces.known.result_known`) writes the new item's attributes with one
UpdateItem conditioned on the version before it (on a failed condition it reads
and writes as usual), and a delete of an entity with a direct key, no guards and no
dependents is a conditional DeleteItem.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from adapters.dynamodb.errors import ConditionFailed
from adapters.dynamodb.expressions import Expr
from adapters.dynamodb.generic.context import Context
from adapters.dynamodb.generic.deletes import DeletePlan
from adapters.dynamodb.generic.mapping import EntityMap
from adapters.dynamodb.generic.writes import (
    Stale,
    Transaction,
    guard_actions,
    item_actions,
    raising,
    run_in_order,
)
from adapters.rules import Row, dependents
from interfaces.entities import KeyValue
from interfaces.errors import ConcurrencyConflict, DalError, NotFound
from interfaces.known import result_known
from interfaces.markers import command, query
from interfaces.paging import DEFAULT_PAGE_SIZE, Page

__all__ = ["DynamoRepository"]

MAX_ATTEMPTS = 5
"""How often a command starts again when an item changed between its read and its write."""


class DynamoRepository:
    """Get, create, update, delete, query and batch-get one declared entity."""

    def __init__(self, context: Context, name: str) -> None:
        self._context = context
        self._map: EntityMap = context.maps[name]
        self._rules = self._map.rules
        self.spec = self._map.spec
        self._direct = _direct_fields(context, name)
        """Fields an update may change with one put of the known new item (None: no field)."""
        self._lone_delete = (
            self._map.direct_key and not self._map.guards and not dependents(context.specs, name)
        )
        """Whether a delete is a single conditional DeleteItem (nothing else to change)."""

    # --- reads ------------------------------------------------------------------------------

    @query
    def get(self, key: KeyValue) -> Any:
        """The entity with ``key``; NotFound if there is none."""
        wanted = self._rules.key(key)
        row = self._context.lookup(self.spec.name, wanted)
        if row is None:
            raise self._rules.not_found(wanted)
        return self._rules.to_model(row)

    @query
    def batch_get(self, keys: Sequence[KeyValue]) -> list[Any]:
        """The entities of ``keys`` that exist, in the order of ``keys``, each once."""
        wanted = self._rules.batch_keys(keys)
        access = self._context.key_access[self.spec.name]
        rows = self._context.reader.batch(self._map, wanted, access)
        return [self._rules.to_model(row) for row in rows]

    @query
    def query(
        self,
        name: str,
        /,
        page_size: int = DEFAULT_PAGE_SIZE,
        page_token: str | None = None,
        **params: Any,
    ) -> Page[Any]:
        """One page of the named query ``name`` with ``params``."""
        args = self._rules.query_args(name, page_size, page_token, params)
        access = self._context.query_access[(self.spec.name, name)]
        return self._context.reader.page(self._map, args, access)

    # --- commands ---------------------------------------------------------------------------

    @command
    def create(self, values: Mapping[str, Any] | BaseModel) -> Any:
        """Store a new entity; AlreadyExists, NotFound (reference), ValidationFailed."""
        context, rules = self._context, self._rules
        row = rules.new_row(values, context.clock.now(), context.ids.allocate)
        txn = Transaction()
        item_actions(txn, self._map, None, row, context.derived(self.spec.name, row))
        guard_actions(txn, self._map, None, row)
        if not self._map.direct_key and context.lookup(self.spec.name, rules.key_of(row)):
            raise rules.already_exists_key(rules.key_of(row))
        self._references(txn, None, row)
        txn.run(context.client)
        return rules.to_model(row)

    @command
    def update(
        self, key: KeyValue, changes: Mapping[str, Any], expected_version: int | None = None
    ) -> Any:
        """Change fields of an entity; NotFound, ConcurrencyConflict, AlreadyExists, ..."""
        wanted = self._rules.key(key)
        known = self._known_row(wanted, changes, expected_version)
        if known is not None and self._put_known(known):
            return self._rules.to_model(known)
        for _ in range(MAX_ATTEMPTS):
            try:
                return self._update_once(wanted, changes, expected_version)
            except Stale:
                continue
        raise ConcurrencyConflict(self.spec.name, self._rules.label(wanted), expected_version)

    def _update_once(
        self, key: Row, changes: Mapping[str, Any], expected_version: int | None
    ) -> Any:
        context, rules = self._context, self._rules
        stored = self._stored(key)
        rules.check_version(stored, key, expected_version)
        row = rules.changed_row(stored, changes, context.clock.now())
        txn = Transaction()
        item_actions(txn, self._map, stored, row, context.derived(self.spec.name, row))
        guard_actions(txn, self._map, stored, row)
        self._references(txn, stored, row)
        txn.run(context.client)
        return rules.to_model(row)

    @command
    def delete(self, key: KeyValue, expected_version: int | None = None) -> None:
        """Delete an entity following the on-delete rules of references to it."""
        wanted = self._rules.key(key)
        if self._lone_delete:
            self._delete_alone(wanted, expected_version)
            return
        for _ in range(MAX_ATTEMPTS):
            stored = self._stored(wanted)
            self._rules.check_version(stored, wanted, expected_version)
            plan = DeletePlan(self._context, self._context.clock.now())
            plan.delete(self._map, stored)
            try:
                run_in_order(self._context.client, plan.transactions())
                return
            except Stale:
                continue
        raise ConcurrencyConflict(self.spec.name, self._rules.label(wanted), expected_version)

    # --- writes without a read --------------------------------------------------------------

    def _known_row(
        self, key: Row, changes: Mapping[str, Any], expected_version: int | None
    ) -> Row | None:
        """The other side's answer to this very update, as a row, when one put can mirror it."""
        answer = result_known()
        version = self.spec.version
        if self._direct is None or version is None or not isinstance(answer, self.spec.model):
            return None
        if not set(changes) <= self._direct:
            return None
        row = dict(answer.model_dump())
        if self._rules.key_of(row) != key or not isinstance(row.get(version), int):
            return None
        if expected_version is not None and row[version] != expected_version + 1:
            return None
        return row

    def _put_known(self, row: Row) -> bool:
        """Write ``row``'s item if the stored one holds the version before; False otherwise.

        One UpdateItem sets every attribute the row renders and removes those it
        leaves empty; attributes derived from other entities are left as stored
        (the fields they derive from are not among those such an update changes).
        """
        assert self.spec.version is not None
        emap = self._map
        item = emap.item(row, {})
        expr = Expr()
        condition = emap.unchanged(expr, {self.spec.version: row[self.spec.version] - 1})
        names = emap.layout.rendered_names
        sets = [f"{expr.name(n)} = {expr.wire(v)}" for n, v in item.items() if n in names]
        gone = [expr.name(name) for name in sorted(names - set(item))]
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(gone) if gone else "")
        request = expr.request(ConditionExpression=condition)
        try:
            self._context.client.update(emap.table_name, emap.stored_key(item), update, **request)
        except ConditionFailed:
            return False
        return True

    def _delete_alone(self, key: Row, expected_version: int | None) -> None:
        """One conditional DeleteItem: NotFound when absent, ConcurrencyConflict when newer."""
        emap, rules = self._map, self._rules
        expr = Expr()
        condition = expr.exists(emap.table.pk)
        if expected_version is not None:
            version = self.spec.version
            if version is None:
                rules.check_version({}, key, expected_version)  # ValidationFailed: no version
                return
            condition += " AND " + emap.unchanged(expr, {version: expected_version})
        request = expr.request(ConditionExpression=condition)
        try:
            self._context.client.delete(emap.table_name, emap.item_key(key), **request)
        except ConditionFailed as exc:
            if exc.old_item is None or not emap.owns(exc.old_item):
                raise rules.not_found(key) from exc
            raise ConcurrencyConflict(self.spec.name, rules.label(key), expected_version) from exc

    # --- helpers ----------------------------------------------------------------------------

    def _stored(self, key: Row) -> Row:
        row = self._context.lookup(self.spec.name, key)
        if row is None:
            raise self._rules.not_found(key)
        return row

    def _references(self, txn: Transaction, stored: Row | None, row: Row) -> None:
        """A ConditionCheck per changed reference; a target read first when it must be found."""
        context, rules = self._context, self._rules
        for reference, value in rules.changed_references(stored, row):
            target = context.maps[reference.target]
            fields = reference.target_fields or target.spec.key
            wanted = dict(zip(fields, value, strict=True))
            missing = NotFound(reference.target, value[0] if len(value) == 1 else value)
            table_name = target.table_name
            if set(fields) != set(target.spec.key):
                unique = next(u for u in target.spec.unique if set(u.fields) == set(fields))
                guard = target.guard(unique)
                if guard is None:  # the target's item key is made of these values
                    key = target.item_key(wanted)
                else:
                    key = guard.key(target.rules.unique_value(unique, wanted) or ())
                    table_name = guard.table_name
            elif target.direct_key:
                key = target.item_key(wanted)
            else:
                found = context.lookup(target.name, wanted)
                if found is None:
                    raise self._explain(stored, row, missing)
                key = target.item_key(found)
            txn.require(table_name, key, target.table.pk, raising(missing))

    def _explain(self, stored: Row | None, row: Row, missing: NotFound) -> DalError:
        """The error due when a reference target is missing: a taken key or value comes first."""
        emap, rules, client = self._map, self._rules, self._context.client
        taken = stored is None and emap.direct_key
        if taken and client.get(emap.table_name, emap.item_key(row)) is not None:
            return rules.already_exists_key(rules.key_of(row))
        for unique in rules.changed_uniques(stored, row):
            value = rules.unique_value(unique, row)
            guard = emap.guard(unique)
            if value is None:
                continue
            if guard is None:
                if client.get(emap.table_name, emap.item_key(row)) is not None:
                    return rules.already_exists_unique(unique, row)
            elif client.get(guard.table_name, guard.key(value)):
                return rules.already_exists_unique(unique, row)
        return missing


def _direct_fields(context: Context, name: str) -> frozenset[str] | None:
    """The fields an update can change by putting the known new item alone.

    None for an entity without a version (nothing tells the item before). Left
    out: key and stamped fields, fields of unique values, of references, of the
    item's key templates (a change there moves the item or needs other items) and
    those attributes derived from other entities are looked up by.
    """
    emap = context.maps[name]
    spec = emap.spec
    if spec.version is None:
        return None
    blocked = set(spec.key) | set(spec.stamped)
    blocked |= {mine for derivation in context.derivations[name] for _, mine in derivation.key}
    blocked |= {field for unique in spec.unique for field in unique.fields}
    blocked |= {field for reference in spec.references for field in reference.fields}
    blocked |= {emap.field(column) or column for column in emap.template_columns}
    return frozenset(spec.fields) - blocked
