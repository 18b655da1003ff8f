"""The generic repository of one declared entity over DynamoDB.

Behaviour is the specification of :mod:`interfaces.repository`; every rule
(key shapes, validation and stamping, versions, unique values and their
collation, references, named-query arguments, order and page tokens) comes from
:class:`adapters.rules.EntityRules`, and on-delete rules from
:func:`adapters.rules.dependents`. This module only turns them into DynamoDB
requests: each command is one TransactWriteItems (a delete with more than 100
dependent writes is split, see :func:`.writes.run_in_order`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

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
from adapters.rules import Row
from interfaces.entities import KeyValue
from interfaces.errors import ConcurrencyConflict, DalError, NotFound
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
