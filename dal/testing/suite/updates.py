"""Updates of every entity: changes, version and updated_at, refused fields, expected versions."""

from __future__ import annotations

import pytest

from dal.testing.harness import Harness
from dal.testing.suite._support import (
    different_value,
    plain_fields,
    skip_because,
    unchanged,
    updatable_fields,
)
from interfaces.entities import EntitySpec
from interfaces.errors import ConcurrencyConflict, NotFound, ValidationFailed

__all__ = [
    "test_expected_version_needs_a_version_field",
    "test_stale_expected_version_changes_nothing",
    "test_update_changes_the_given_fields",
    "test_update_increments_version_and_moves_updated_at_only",
    "test_update_refuses_invalid_and_unknown_fields",
    "test_update_refuses_key_and_stamped_fields",
]


def test_update_changes_the_given_fields(dal_harness: Harness, dal_spec: EntitySpec) -> None:
    """The changed fields take the new values, the others keep theirs; get agrees."""
    fields = plain_fields(dal_spec)
    if not fields:
        skip_because(dal_spec, "has no field outside its key, stamps and references")
    repository = dal_harness.repository(dal_spec.name)
    created = dal_harness.create(dal_spec.name)
    name = fields[0]
    value = different_value(dal_harness, dal_spec.name, name, getattr(created, name))

    updated = repository.update(dal_harness.key(dal_spec.name, created), {name: value})

    assert getattr(updated, name) == value
    for other in updatable_fields(dal_spec):
        if other != name:
            assert getattr(updated, other) == getattr(created, other), other
    assert repository.get(dal_harness.key(dal_spec.name, created)) == updated


def test_update_increments_version_and_moves_updated_at_only(
    dal_harness: Harness, dal_spec: EntitySpec
) -> None:
    """Every update, even one changing nothing, adds 1 to the version and sets updated_at."""
    if dal_spec.version is None and dal_spec.updated_at is None:
        skip_because(dal_spec, "has neither a version nor an updated_at field")
    repository = dal_harness.repository(dal_spec.name)
    created = dal_harness.create(dal_spec.name)
    key = dal_harness.key(dal_spec.name, created)
    previous = created
    for round_ in range(1, 3):
        mark = dal_harness.clock.mark()
        updated = repository.update(key, {})
        if dal_spec.version is not None:
            assert getattr(updated, dal_spec.version) == 1 + round_
        if dal_spec.updated_at is not None:
            stamp = getattr(updated, dal_spec.updated_at)
            assert stamp in dal_harness.clock.issued_since(mark)
            assert stamp > getattr(previous, dal_spec.updated_at)
        if dal_spec.created_at is not None:
            assert getattr(updated, dal_spec.created_at) == getattr(created, dal_spec.created_at)
        previous = updated
    assert repository.get(key) == previous


def test_update_refuses_key_and_stamped_fields(dal_harness: Harness, dal_spec: EntitySpec) -> None:
    """A change of a key or stamped field raises ValidationFailed naming it; nothing changes."""
    repository = dal_harness.repository(dal_spec.name)
    created = dal_harness.create(dal_spec.name)
    for name in dict.fromkeys((*dal_spec.key, *sorted(dal_spec.stamped))):
        with pytest.raises(ValidationFailed) as raised:
            repository.update(
                dal_harness.key(dal_spec.name, created), {name: getattr(created, name)}
            )
        assert raised.value.field == name
    unchanged(dal_harness, dal_spec.name, created)


def test_update_refuses_invalid_and_unknown_fields(
    dal_harness: Harness, dal_spec: EntitySpec
) -> None:
    """An invalid value or an unknown field raises ValidationFailed naming it; nothing changes."""
    repository = dal_harness.repository(dal_spec.name)
    created = dal_harness.create(dal_spec.name)
    key = dal_harness.key(dal_spec.name, created)
    for name in updatable_fields(dal_spec):
        with pytest.raises(ValidationFailed) as raised:
            repository.update(key, {name: dal_harness.samples.invalid_value(dal_spec.name, name)})
        assert raised.value.field == name
    with pytest.raises(ValidationFailed) as raised:
        repository.update(key, {"no_such_field": 1})
    assert raised.value.field == "no_such_field"
    unchanged(dal_harness, dal_spec.name, created)


def test_stale_expected_version_changes_nothing(dal_harness: Harness, dal_spec: EntitySpec) -> None:
    """update and delete with a stale expected_version raise ConcurrencyConflict, change nothing."""
    if dal_spec.version is None:
        skip_because(dal_spec, "has no version field")
    repository = dal_harness.repository(dal_spec.name)
    created = dal_harness.create(dal_spec.name)
    key = dal_harness.key(dal_spec.name, created)
    label = dal_harness.label(dal_spec.name, created)
    current = repository.update(key, {}, expected_version=1)

    with pytest.raises(ConcurrencyConflict) as on_update:
        repository.update(key, {}, expected_version=1)
    with pytest.raises(ConcurrencyConflict) as on_delete:
        repository.delete(key, expected_version=1)

    for raised in (on_update, on_delete):
        error = raised.value
        assert (error.entity, error.key, error.expected_version) == (dal_spec.name, label, 1)
    unchanged(dal_harness, dal_spec.name, current)
    repository.delete(key, expected_version=2)
    with pytest.raises(NotFound):
        repository.get(key)


def test_expected_version_needs_a_version_field(dal_harness: Harness, dal_spec: EntitySpec) -> None:
    """Without a version field, expected_version raises ValidationFailed naming it."""
    if dal_spec.version is not None:
        skip_because(dal_spec, f"has a version field ({dal_spec.version})")
    repository = dal_harness.repository(dal_spec.name)
    created = dal_harness.create(dal_spec.name)
    key = dal_harness.key(dal_spec.name, created)
    with pytest.raises(ValidationFailed) as on_update:
        repository.update(key, {}, expected_version=1)
    with pytest.raises(ValidationFailed) as on_delete:
        repository.delete(key, expected_version=1)
    assert on_update.value.field == on_delete.value.field == "expected_version"
    unchanged(dal_harness, dal_spec.name, created)
