"""What a conformance test works with: the repositories under test, sample entities, keys.

:class:`Harness` wraps the fresh :class:`~interfaces.repository.Repositories` of
one test. Its repositories run every call in a unit of work of its own (so the
same test runs on backends that require one); :meth:`Harness.create` makes the
n-th sample of an entity after creating the targets its references need;
:meth:`Harness.missing_key` gives keys that no test creates.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from dal.testing.backends import Backend, Capabilities
from dal.testing.clock import RecordingClock
from dal.testing.samples import SampleError, SampleGenerator
from interfaces.entities import EntitySpec, KeyValue, OnDelete, Reference
from interfaces.paging import DEFAULT_PAGE_SIZE, Page
from interfaces.repository import Repositories, Repository
from interfaces.runtime import UnitOfWorkFactory

__all__ = ["MISSING_FROM", "Dependent", "Harness", "InUnitOfWork"]

MISSING_FROM = 1_000_000
"""Samples from this index on are never created: their keys are missing."""

Targets = Mapping[Reference, BaseModel]


class InUnitOfWork:
    """A repository whose every call runs in a unit of work of its own."""

    def __init__(self, repository: Repository[Any], unit_of_work: UnitOfWorkFactory) -> None:
        self.inner = repository
        self._unit_of_work = unit_of_work

    def get(self, key: KeyValue) -> Any:
        """``inner.get(key)`` in a unit of work."""
        with self._unit_of_work():
            return self.inner.get(key)

    def batch_get(self, keys: Sequence[KeyValue]) -> list[Any]:
        """``inner.batch_get(keys)`` in a unit of work."""
        with self._unit_of_work():
            return self.inner.batch_get(keys)

    def query(
        self,
        name: str,
        /,
        page_size: int = DEFAULT_PAGE_SIZE,
        page_token: str | None = None,
        **params: Any,
    ) -> Page[Any]:
        """``inner.query(...)`` in a unit of work."""
        with self._unit_of_work():
            return self.inner.query(name, page_size=page_size, page_token=page_token, **params)

    def create(self, values: Mapping[str, Any] | BaseModel) -> Any:
        """``inner.create(values)`` in a unit of work."""
        with self._unit_of_work():
            return self.inner.create(values)

    def update(
        self, key: KeyValue, changes: Mapping[str, Any], expected_version: int | None = None
    ) -> Any:
        """``inner.update(...)`` in a unit of work."""
        with self._unit_of_work():
            return self.inner.update(key, changes, expected_version=expected_version)

    def delete(self, key: KeyValue, expected_version: int | None = None) -> None:
        """``inner.delete(...)`` in a unit of work."""
        with self._unit_of_work():
            self.inner.delete(key, expected_version=expected_version)


class Dependent:
    """An entity whose ``reference`` points at another entity."""

    def __init__(self, spec: EntitySpec, reference: Reference) -> None:
        self.spec = spec
        self.reference = reference

    def __repr__(self) -> str:
        return f"{self.spec.name}.{','.join(self.reference.fields)}"


class Harness:
    """The repositories of one test, with sample entities and keys of any declared entity."""

    def __init__(
        self,
        repositories: Repositories,
        backend: Backend,
        clock: RecordingClock,
        samples: SampleGenerator,
    ) -> None:
        self.repositories = repositories
        self.backend = backend
        self.clock = clock
        self.samples = samples
        self.specs: Mapping[str, EntitySpec] = repositories.specs
        self._counters: defaultdict[str, Iterator[int]] = defaultdict(itertools.count)
        self._creating: list[str] = []
        self.created: defaultdict[str, list[Any]] = defaultdict(list)
        """Every entity this harness created, by entity name, as created."""

    @property
    def capabilities(self) -> Capabilities:
        """What the backend under test may do differently."""
        return self.backend.capabilities

    def repository(self, entity: str) -> InUnitOfWork:
        """The repository of ``entity``, every call in its own unit of work."""
        return InUnitOfWork(self.repositories.repository(entity), self.repositories.unit_of_work)

    # --- samples --------------------------------------------------------------------------

    def values(
        self,
        entity: str,
        overrides: Mapping[str, Any] | None = None,
        targets: Targets | None = None,
    ) -> dict[str, Any]:
        """The next sample of ``entity``: references point at ``targets`` or at new entities.

        A reference any of whose fields ``overrides`` sets is left to the overrides.
        """
        overrides = dict(overrides or {})
        values = self.samples.values(entity, next(self._counters[entity]))
        for reference in self.specs[entity].references:
            if any(name in overrides for name in reference.fields):
                continue
            target = (targets or {}).get(reference)
            values.update(self._point_somewhere(entity, reference, target))
        values.update(overrides)
        return values

    def create(
        self,
        entity: str,
        overrides: Mapping[str, Any] | None = None,
        targets: Targets | None = None,
    ) -> Any:
        """Create the next sample of ``entity`` (see :meth:`values`) and return it."""
        self._creating.append(entity)
        try:
            values = self.values(entity, overrides, targets)
        finally:
            self._creating.pop()
        created = self.repository(entity).create(values)
        self.created[entity].append(created)
        return created

    def _point_somewhere(
        self, entity: str, reference: Reference, target: BaseModel | None
    ) -> dict[str, Any]:
        if target is not None:
            return self.point(reference, target)
        if reference.target in self._creating or reference.target == entity:
            if not self.nullable(entity, reference.fields):
                raise SampleError(
                    f"{entity} needs a {reference.target} that needs a {entity}: "
                    "give the suite samples it can create in order"
                )
            return dict.fromkeys(reference.fields)
        return self.point(reference, self.create(reference.target))

    def point(self, reference: Reference, target: BaseModel) -> dict[str, Any]:
        """The values of ``reference``'s fields that point at ``target``."""
        fields = self.target_fields(reference)
        return {
            mine: getattr(target, theirs)
            for mine, theirs in zip(reference.fields, fields, strict=True)
        }

    def target_fields(self, reference: Reference) -> tuple[str, ...]:
        """The fields of the target that ``reference`` holds (default: its key)."""
        return reference.target_fields or self.specs[reference.target].key

    def nullable(self, entity: str, fields: Sequence[str]) -> bool:
        """Whether every field of ``fields`` accepts None."""
        return all(self.samples.kind(entity, name).nullable for name in fields)

    # --- keys -----------------------------------------------------------------------------

    def key(self, entity: str, item: Any) -> KeyValue:
        """The key of ``item`` (a model or a mapping) as callers give it."""
        spec = self.specs[entity]
        values = _fields(item, spec.key)
        return values[spec.key[0]] if len(spec.key) == 1 else values

    def label(self, entity: str, item: Any) -> Any:
        """How errors name the key of ``item``: a bare value or a tuple in key order."""
        values = tuple(_fields(item, self.specs[entity].key).values())
        return values[0] if len(values) == 1 else values

    def missing_key(self, entity: str, index: int = 0) -> KeyValue:
        """A key of ``entity`` that no test creates (distinct for distinct ``index``)."""
        spec = self.specs[entity]
        values = {name: self.samples.value(entity, name, MISSING_FROM + index) for name in spec.key}
        return values[spec.key[0]] if len(spec.key) == 1 else values

    def missing_reference(self, reference: Reference, index: int = 0) -> dict[str, Any]:
        """Values of ``reference``'s fields that point at no entity."""
        target = reference.target
        values = {
            name: self.samples.value(target, name, MISSING_FROM + index)
            for name in self.target_fields(reference)
        }
        return dict(zip(reference.fields, values.values(), strict=True))

    # --- the graph of references ----------------------------------------------------------

    def dependents(self, entity: str, rule: OnDelete | None = None) -> list[Dependent]:
        """Every (entity, reference) pointing at ``entity`` (with on-delete ``rule``)."""
        return [
            Dependent(spec, reference)
            for spec in self.specs.values()
            for reference in spec.references
            if reference.target == entity and (rule is None or reference.on_delete is rule)
        ]


def _fields(item: Any, names: Sequence[str]) -> dict[str, Any]:
    if isinstance(item, Mapping):
        return {name: item[name] for name in names}
    return {name: getattr(item, name) for name in names}
