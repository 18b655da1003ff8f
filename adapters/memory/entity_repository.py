"""The generic memory repository of one declared entity.

Every rule (key shape, validation and stamping, version check, collation of
unique values, references to check, named-query arguments, order and page
tokens) comes from :class:`adapters.rules.EntityRules`; this module only finds
and stores rows. Deletes follow the on-delete rules of every reference to the
entity: the whole effect (cascaded deletes, fields set to None) is worked out
first, and nothing changes when a RESTRICT reference refuses it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from adapters.memory.entity_tables import KeyTuple, MemoryTables, synchronized
from adapters.rules import Dependent, EntityRules, Row, dependents
from interfaces.entities import EntitySpec, KeyValue, OnDelete, Reference, key_tuple
from interfaces.errors import NotFound, ReferenceConflict
from interfaces.markers import command, query
from interfaces.paging import DEFAULT_PAGE_SIZE, Page
from interfaces.runtime import Clock, IdAllocator

__all__ = ["MemoryRepository", "RepositoryContext"]

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class RepositoryContext:
    """What every repository of one :class:`MemoryRepositories` shares."""

    specs: Mapping[str, EntitySpec]
    rules: Mapping[str, EntityRules[Any]]
    tables: MemoryTables
    clock: Clock
    ids: IdAllocator


@dataclass
class _DeletePlan:
    """The effect of one delete: rows to remove and fields to clear, by entity and key."""

    doomed: dict[tuple[str, KeyTuple], Row] = field(default_factory=dict)
    cleared: dict[tuple[str, KeyTuple], set[str]] = field(default_factory=dict)


@synchronized
class MemoryRepository(Generic[M]):
    """Get, create, update, delete, query and batch-get one entity held in memory."""

    def __init__(self, context: RepositoryContext, name: str) -> None:
        self._context = context
        self._tables = context.tables
        self._spec = context.specs[name]
        self._rules: EntityRules[M] = context.rules[name]

    # --- queries --------------------------------------------------------------------------

    @query
    def get(self, key: KeyValue) -> M:
        """The entity with ``key``; NotFound if there is none."""
        return self._rules.to_model(self._require(self._rules.key(key)))

    @query
    def batch_get(self, keys: Sequence[KeyValue]) -> list[M]:
        """The entities of ``keys`` that exist, in the order of ``keys``, each once."""
        found = (self._find(mapping) for mapping in self._rules.batch_keys(keys))
        return [self._rules.to_model(row) for row in found if row is not None]

    @query
    def query(
        self,
        name: str,
        /,
        page_size: int = DEFAULT_PAGE_SIZE,
        page_token: str | None = None,
        **params: Any,
    ) -> Page[M]:
        """One page of the named query ``name`` with ``params``."""
        args = self._rules.query_args(name, page_size, page_token, params)
        rows = self._rules.ordered(args, self._tables.scan(self._spec.name))
        return self._rules.page(args, rows)

    # --- commands -------------------------------------------------------------------------

    @command
    def create(self, values: Mapping[str, Any] | BaseModel) -> M:
        """Store a new entity; AlreadyExists, NotFound (reference), ValidationFailed."""
        row = self._rules.new_row(values, self._context.clock.now(), self._context.ids.allocate)
        key = self._rules.key_of(row)
        if self._find(key) is not None:
            raise self._rules.already_exists_key(key)
        self._check_unique(row, None)
        self._check_references(row, None)
        self._tables.put(self._spec.name, self._identity(key), row)
        return self._rules.to_model(row)

    @command
    def update(
        self, key: KeyValue, changes: Mapping[str, Any], expected_version: int | None = None
    ) -> M:
        """Change fields of an entity; NotFound, ConcurrencyConflict, AlreadyExists, ..."""
        mapping = self._rules.key(key)
        stored = self._require(mapping)
        self._rules.check_version(stored, mapping, expected_version)
        row = self._rules.changed_row(stored, changes, self._context.clock.now())
        self._check_unique(row, stored)
        self._check_references(row, stored)
        self._tables.put(self._spec.name, self._identity(mapping), row)
        return self._rules.to_model(row)

    @command
    def delete(self, key: KeyValue, expected_version: int | None = None) -> None:
        """Delete an entity following the on-delete rules of references to it."""
        mapping = self._rules.key(key)
        stored = self._require(mapping)
        self._rules.check_version(stored, mapping, expected_version)
        plan = _DeletePlan()
        plan.doomed[(self._spec.name, self._identity(mapping))] = stored
        self._plan_cascade(plan, self._spec.name, stored)
        self._check_restrict(plan)
        self._plan_set_null(plan)
        self._apply(plan)

    # --- finding rows ---------------------------------------------------------------------

    def _identity(self, key: Mapping[str, Any]) -> KeyTuple:
        return key_tuple(self._spec, key)

    def _find(self, key: Mapping[str, Any]) -> Row | None:
        return self._tables.find(self._spec.name, self._identity(key))

    def _require(self, key: Mapping[str, Any]) -> Row:
        row = self._find(key)
        if row is None:
            raise self._rules.not_found(key)
        return row

    def _referencing(
        self, entity: str, reference: Reference, target: str, target_row: Row
    ) -> list[Row]:
        """The rows of ``entity`` whose ``reference`` points at ``target_row``."""
        wanted = tuple(target_row[name] for name in self._target_fields(reference, target))
        rules = self._context.rules[entity]
        return [
            row
            for row in self._tables.scan(entity)
            if rules.reference_value(reference, row) == wanted
        ]

    def _target_fields(self, reference: Reference, target: str) -> tuple[str, ...]:
        return reference.target_fields or self._context.specs[target].key

    # --- checks ---------------------------------------------------------------------------

    def _check_unique(self, row: Row, stored: Row | None) -> None:
        own = None if stored is None else self._identity(self._rules.key_of(stored))
        for unique in self._rules.changed_uniques(stored, row):
            value = self._rules.unique_value(unique, row)
            if value is None:
                continue
            for other in self._tables.scan(self._spec.name):
                same = self._rules.unique_value(unique, other) == value
                if same and self._identity(other) != own:
                    raise self._rules.already_exists_unique(unique, row)

    def _check_references(self, row: Row, stored: Row | None) -> None:
        for reference, value in self._rules.changed_references(stored, row):
            fields = self._target_fields(reference, reference.target)
            if not any(
                tuple(target[name] for name in fields) == value
                for target in self._candidates(reference.target, fields, value)
            ):
                raise NotFound(reference.target, value[0] if len(value) == 1 else value)

    def _candidates(self, target: str, fields: tuple[str, ...], value: KeyTuple) -> list[Row]:
        """The rows of ``target`` that may hold ``value`` in ``fields`` (by key when it is one)."""
        if fields == self._context.specs[target].key:
            found = self._tables.find(target, value)
            return [] if found is None else [found]
        return self._tables.scan(target)

    # --- on-delete rules ------------------------------------------------------------------

    def _plan_cascade(self, plan: _DeletePlan, entity: str, row: Row) -> None:
        """Add every row that CASCADE rules delete along with ``row``, recursively."""
        for dependent in self._dependents(entity, OnDelete.CASCADE):
            name = dependent.spec.name
            for child in self._referencing(name, dependent.reference, entity, row):
                identity = (name, key_tuple(dependent.spec, child))
                if identity not in plan.doomed:
                    plan.doomed[identity] = child
                    self._plan_cascade(plan, name, child)

    def _check_restrict(self, plan: _DeletePlan) -> None:
        """ReferenceConflict if a RESTRICT reference points at a doomed row from a kept one."""
        for (entity, _), row in plan.doomed.items():
            for dependent in self._dependents(entity, OnDelete.RESTRICT):
                name = dependent.spec.name
                for child in self._referencing(name, dependent.reference, entity, row):
                    if (name, key_tuple(dependent.spec, child)) not in plan.doomed:
                        label = self._context.specs[entity].key_label(row)
                        raise ReferenceConflict(entity, label, referenced_by=name)

    def _plan_set_null(self, plan: _DeletePlan) -> None:
        """Note the fields that SET_NULL rules clear in rows that are kept."""
        for (entity, _), row in plan.doomed.items():
            for dependent in self._dependents(entity, OnDelete.SET_NULL):
                name = dependent.spec.name
                for child in self._referencing(name, dependent.reference, entity, row):
                    identity = (name, key_tuple(dependent.spec, child))
                    if identity not in plan.doomed:
                        plan.cleared.setdefault(identity, set()).update(dependent.reference.fields)

    def _dependents(self, entity: str, rule: OnDelete) -> list[Dependent]:
        found = dependents(self._context.specs, entity)
        return [dependent for dependent in found if dependent.reference.on_delete is rule]

    def _apply(self, plan: _DeletePlan) -> None:
        for entity, identity in plan.doomed:
            self._tables.remove(entity, identity)
        if not plan.cleared:
            return
        now = self._context.clock.now()
        for (entity, identity), fields in plan.cleared.items():
            stored = self._tables.find(entity, identity)
            if stored is not None:
                row = self._context.rules[entity].cleared_row(stored, fields, now)
                self._tables.put(entity, identity, row)
