"""References of every entity: missing targets, empty references and the on-delete rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from dal.testing.harness import Harness
from dal.testing.suite._support import assert_absent, skip_because, unchanged
from interfaces.entities import EntitySpec, OnDelete, Reference
from interfaces.errors import NotFound, ReferenceConflict

__all__ = [
    "test_delete_cascades_to_dependents",
    "test_delete_restricted_by_dependents_changes_nothing",
    "test_delete_sets_dependents_fields_to_none",
    "test_empty_reference_refers_to_nothing",
    "test_reference_to_a_missing_target_on_create",
    "test_reference_to_a_missing_target_on_update",
]

_MAX_DEPTH = 3


def test_reference_to_a_missing_target_on_create(
    dal_harness: Harness, dal_spec: EntitySpec
) -> None:
    """Creating with a reference to no entity raises NotFound(target, value); nothing is stored."""
    if not dal_spec.references:
        skip_because(dal_spec, "declares no reference")
    for reference in dal_spec.references:
        missing = dal_harness.missing_reference(reference)
        values = dal_harness.values(dal_spec.name, overrides=missing)
        with pytest.raises(NotFound) as raised:
            dal_harness.repository(dal_spec.name).create(values)
        _assert_missing(raised.value, reference, missing)
        assert_absent(dal_harness, dal_spec, values)


def test_reference_to_a_missing_target_on_update(
    dal_harness: Harness, dal_spec: EntitySpec
) -> None:
    """Updating a reference to no entity raises NotFound(target, value); to another target works."""
    references = [r for r in dal_spec.references if not set(r.fields) & set(dal_spec.key)]
    if not references:
        skip_because(dal_spec, "has no reference outside its key")
    repository = dal_harness.repository(dal_spec.name)
    for reference in references:
        created = dal_harness.create(dal_spec.name)
        key = dal_harness.key(dal_spec.name, created)
        missing = dal_harness.missing_reference(reference)
        with pytest.raises(NotFound) as raised:
            repository.update(key, missing)
        _assert_missing(raised.value, reference, missing)
        unchanged(dal_harness, dal_spec.name, created)
        moved = dal_harness.point(reference, dal_harness.create(reference.target))
        updated = repository.update(key, moved)
        assert all(getattr(updated, name) == value for name, value in moved.items())


def test_empty_reference_refers_to_nothing(dal_harness: Harness, dal_spec: EntitySpec) -> None:
    """A reference whose fields are all None is accepted on create and on update."""
    references = [r for r in dal_spec.references if dal_harness.nullable(dal_spec.name, r.fields)]
    if not references:
        skip_because(dal_spec, "has no optional reference")
    repository = dal_harness.repository(dal_spec.name)
    for reference in references:
        empty = dict.fromkeys(reference.fields)
        created = dal_harness.create(dal_spec.name, overrides=empty)
        assert all(getattr(created, name) is None for name in reference.fields)
        other = dal_harness.create(dal_spec.name)
        cleared = repository.update(dal_harness.key(dal_spec.name, other), empty)
        assert all(getattr(cleared, name) is None for name in reference.fields)


def test_delete_restricted_by_dependents_changes_nothing(
    dal_harness: Harness, dal_spec: EntitySpec
) -> None:
    """Deleting a target of a RESTRICT reference raises ReferenceConflict; nothing changes."""
    restricting = dal_harness.dependents(dal_spec.name, OnDelete.RESTRICT)
    if not restricting:
        skip_because(dal_spec, "is the target of no RESTRICT reference")
    repository = dal_harness.repository(dal_spec.name)
    for dependent in restricting:
        target = dal_harness.create(dal_spec.name)
        child = dal_harness.create(dependent.spec.name, targets={dependent.reference: target})
        with pytest.raises(ReferenceConflict) as raised:
            repository.delete(dal_harness.key(dal_spec.name, target))
        error = raised.value
        expected = (dal_spec.name, dal_harness.label(dal_spec.name, target), dependent.spec.name)
        assert (error.entity, error.key, error.referenced_by) == expected
        unchanged(dal_harness, dal_spec.name, target)
        unchanged(dal_harness, dependent.spec.name, child)


def test_delete_cascades_to_dependents(dal_harness: Harness, dal_spec: EntitySpec) -> None:
    """CASCADE deletes the dependents, recursively, honouring the dependents' own rules."""
    if not dal_harness.dependents(dal_spec.name, OnDelete.CASCADE):
        skip_because(dal_spec, "is the target of no CASCADE reference")
    _delete_and_check(dal_harness, dal_spec, OnDelete.CASCADE)


def test_delete_sets_dependents_fields_to_none(dal_harness: Harness, dal_spec: EntitySpec) -> None:
    """SET_NULL clears the referencing fields; the dependents' version and updated_at move."""
    if not dal_harness.dependents(dal_spec.name, OnDelete.SET_NULL):
        skip_because(dal_spec, "is the target of no SET_NULL reference")
    _delete_and_check(dal_harness, dal_spec, OnDelete.SET_NULL)


@dataclass
class _Expected:
    """What deleting the root must do to the entities made around it."""

    deleted: list[tuple[str, Any]] = field(default_factory=list)
    cleared: list[tuple[str, Any, Reference]] = field(default_factory=list)


def _delete_and_check(harness: Harness, spec: EntitySpec, rule: OnDelete) -> None:
    """Delete a root with dependents by ``rule`` (and theirs by any rule); check each outcome."""
    root = harness.create(spec.name)
    expected = _Expected()
    _grow(harness, spec.name, root, expected, depth=1, only=rule)
    mark = harness.clock.mark()

    harness.repository(spec.name).delete(harness.key(spec.name, root))

    with pytest.raises(NotFound):
        harness.repository(spec.name).get(harness.key(spec.name, root))
    for entity, item in expected.deleted:
        with pytest.raises(NotFound):
            harness.repository(entity).get(harness.key(entity, item))
    issued = harness.clock.issued_since(mark)
    for entity, item, reference in expected.cleared:
        _assert_cleared(harness, entity, item, reference, issued)


def _grow(
    harness: Harness,
    entity: str,
    parent: Any,
    expected: _Expected,
    depth: int,
    only: OnDelete | None = None,
) -> None:
    """Make one dependent of ``parent`` per CASCADE and SET_NULL reference to it, recursively."""
    for dependent in harness.dependents(entity, only):
        rule = dependent.reference.on_delete
        if rule is OnDelete.RESTRICT:
            continue
        name = dependent.spec.name
        child = harness.create(name, targets={dependent.reference: parent})
        if rule is OnDelete.SET_NULL:
            expected.cleared.append((name, child, dependent.reference))
            continue
        expected.deleted.append((name, child))
        if depth < _MAX_DEPTH:
            _grow(harness, name, child, expected, depth + 1)


def _assert_cleared(
    harness: Harness, entity: str, before: Any, reference: Reference, issued: list[Any]
) -> None:
    spec = harness.specs[entity]
    after = harness.repository(entity).get(harness.key(entity, before))
    for name in spec.fields:
        if name in reference.fields:
            assert getattr(after, name) is None, f"{entity}.{name} was not set to None"
        elif name == spec.version:
            assert getattr(after, name) == getattr(before, name) + 1, f"{entity}.{name}"
        elif name == spec.updated_at:
            assert getattr(after, name) in issued, f"{entity}.{name} did not move"
        else:
            assert getattr(after, name) == getattr(before, name), f"{entity}.{name}"


def _assert_missing(error: NotFound, reference: Reference, missing: dict[str, Any]) -> None:
    values = tuple(missing[name] for name in reference.fields)
    expected = values[0] if len(values) == 1 else values
    assert (error.entity, error.key) == (reference.target, expected)
