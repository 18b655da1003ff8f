"""The generic repository every backend gives every declared entity, and the registry of them.

:class:`Repository` is what application code can use for any entity of the
contract with no code of its own; an application's own typed Protocol (a
``UserRepository``) can be served by it or by the application's own
implementation. Every backend (SQL, DynamoDB, memory) gives the same answer or
the same error for the same call; the conformance suite (:mod:`dal.testing`)
checks it.

Semantics, for an entity described by an :class:`~interfaces.entities.EntitySpec`:

* ``key`` is a bare value for a one-field key, else a mapping of every key field
  (a wrong shape raises ValidationFailed(field="key")). ``NotFound.key`` and
  ``ConcurrencyConflict.key`` are the bare value of a one-field key, else the
  tuple of the key fields in key order; the error's entity is ``spec.name``.
* ``create(values)``: ``values`` maps field names to values, a model instance is
  accepted too. Fields the layer stamps (``spec.stamped``) are set by the layer
  and refused when given (ValidationFailed naming the field). With an
  ``id_sequence`` the key comes from the id allocator (``allocate(id_sequence)``);
  otherwise it must be given. Missing required fields, unknown fields and values
  the model refuses raise ValidationFailed naming the field; values a backend
  cannot store raise UnstorableValue before anything is written. Then, in this
  order: AlreadyExists(entity, field=<key fields joined by ",">, value=key label)
  for a taken key; AlreadyExists(entity, field=unique.label, value=the given
  value, or tuple of values) for a taken unique value; NotFound(target, value)
  for a reference to a missing target (value: bare or tuple like keys). Returns
  the stored entity: version 1, ``created_at == updated_at == clock.now()``.
* ``update(key, changes, expected_version=None)``: ``changes`` maps fields to
  new values (key and stamped fields refused with ValidationFailed). Checks, in
  order: NotFound, ConcurrencyConflict (``expected_version`` given and not the
  stored version; only entities with a version field accept it, others raise
  ValidationFailed(field="expected_version")), value validation, uniqueness
  (a value equal to the entity's own is not a conflict), references. Every
  successful update (even with no change in value) increments the version and
  sets ``updated_at``; ``created_at`` never changes. Returns the stored entity.
* ``delete(key, expected_version=None)``: NotFound, ConcurrencyConflict, then
  references to this entity: RESTRICT raises ReferenceConflict(entity, key label,
  referenced_by=<referencing entity name>) and nothing changes; CASCADE deletes
  the referencing entities (recursively, honouring their own rules); SET_NULL
  sets the referencing fields to None (a change of those entities: version and
  ``updated_at`` move).
* ``query(name, page_size=DEFAULT_PAGE_SIZE, page_token=None, **params)``: the
  named query ``name`` of the spec (ValidationFailed(field="access_pattern") for
  an unknown name; ValidationFailed naming a missing or unexpected parameter).
  Entities whose ``where`` fields equal the parameters, ordered by ``order_by``
  then the key fields (all descending when ``descending``); text sorts by code
  point, None first. ``page_size`` 1..100; ``next_token`` is None on the page
  holding the last entity; tokens are neutral (:mod:`interfaces.paging`), bound to
  the entity, query name and parameters, so one backend's token resumes on any.
* ``batch_get(keys)``: the entities of ``keys`` that exist, in the order of
  ``keys``, each once; at most 100 keys (ValidationFailed(field="keys")).

SQL repositories run inside the caller's unit of work (``with
repositories.unit_of_work(): ...``; NoUnitOfWork outside one); the others accept
the same ``with`` block and need none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel

from interfaces.entities import EntitySpec, KeyValue
from interfaces.markers import command, query
from interfaces.paging import DEFAULT_PAGE_SIZE, Page
from interfaces.runtime import UnitOfWorkFactory

__all__ = ["MAX_BATCH_KEYS", "Repositories", "Repository"]

M = TypeVar("M", bound=BaseModel)

MAX_BATCH_KEYS = 100
"""The most keys one ``batch_get`` takes."""


@runtime_checkable
class Repository(Protocol[M]):
    """Get, create, update, delete, query and batch-get one declared entity."""

    @query
    def get(self, key: KeyValue) -> M:
        """The entity with ``key``; NotFound if there is none."""
        ...

    @query
    def batch_get(self, keys: Sequence[KeyValue]) -> list[M]:
        """The entities of ``keys`` that exist, in the order of ``keys``, each once."""
        ...

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
        ...

    @command
    def create(self, values: Mapping[str, Any] | BaseModel) -> M:
        """Store a new entity; AlreadyExists, NotFound (reference), ValidationFailed."""
        ...

    @command
    def update(
        self, key: KeyValue, changes: Mapping[str, Any], expected_version: int | None = None
    ) -> M:
        """Change fields of an entity; NotFound, ConcurrencyConflict, AlreadyExists, ..."""
        ...

    @command
    def delete(self, key: KeyValue, expected_version: int | None = None) -> None:
        """Delete an entity following the on-delete rules of references to it."""
        ...


@runtime_checkable
class Repositories(Protocol):
    """The generic repositories of one backend (or of the router), by entity name."""

    @property
    def specs(self) -> Mapping[str, EntitySpec]:
        """The declaration of every entity, by name."""
        ...

    @property
    def unit_of_work(self) -> UnitOfWorkFactory:
        """Opens the unit of work the repositories share."""
        ...

    def repository(self, name: str) -> Repository[Any]:
        """The repository of entity ``name``; KeyError listing the known entities."""
        ...
