"""Unique constraints of every entity: collisions on create and update, and their collation."""

from __future__ import annotations

from typing import Any

import pytest

from dal.testing.harness import Harness
from dal.testing.suite._support import skip_because, text_fields, unchanged
from interfaces.entities import EntitySpec, Unique
from interfaces.errors import AlreadyExists

__all__ = [
    "test_exact_unique_text_does_not_collide_on_case",
    "test_unique_collision_ignores_case_when_case_insensitive",
    "test_unique_collision_on_create",
    "test_unique_collision_on_update",
]


def test_unique_collision_on_create(dal_harness: Harness, dal_spec: EntitySpec) -> None:
    """Creating a second entity with a taken unique value raises AlreadyExists(field=label)."""
    constraints = _checkable(dal_spec)
    for unique in constraints:
        first = dal_harness.create(dal_spec.name)
        taken = {name: getattr(first, name) for name in unique.fields}
        values = dal_harness.values(dal_spec.name, overrides=taken)
        with pytest.raises(AlreadyExists) as raised:
            dal_harness.repository(dal_spec.name).create(values)
        _assert_names(raised.value, dal_spec, unique, taken)


def test_unique_collision_ignores_case_when_case_insensitive(
    dal_harness: Harness, dal_spec: EntitySpec
) -> None:
    """A case-insensitive unique value collides with the same text in another case."""
    constraints = [u for u in _checkable(dal_spec) if u.case_insensitive]
    constraints = [u for u in constraints if text_fields(dal_harness, dal_spec, u)]
    if not constraints:
        skip_because(dal_spec, "has no case-insensitive unique constraint over text")
    for unique in constraints:
        first = dal_harness.create(dal_spec.name)
        given = _other_case(dal_harness, dal_spec, unique, first)
        values = dal_harness.values(dal_spec.name, overrides=given)
        with pytest.raises(AlreadyExists) as raised:
            dal_harness.repository(dal_spec.name).create(values)
        _assert_names(raised.value, dal_spec, unique, given)


def test_exact_unique_text_does_not_collide_on_case(
    dal_harness: Harness, dal_spec: EntitySpec
) -> None:
    """An exact-compare unique value does not collide with the same text in another case."""
    constraints = [u for u in _checkable(dal_spec) if not u.case_insensitive]
    constraints = [u for u in constraints if text_fields(dal_harness, dal_spec, u)]
    if not constraints:
        skip_because(dal_spec, "has no exact-compare unique constraint over text")
    for unique in constraints:
        first = dal_harness.create(dal_spec.name)
        given = _other_case(dal_harness, dal_spec, unique, first)
        created = dal_harness.create(dal_spec.name, overrides=given)
        assert all(getattr(created, name) == value for name, value in given.items())


def test_unique_collision_on_update(dal_harness: Harness, dal_spec: EntitySpec) -> None:
    """Updating to another entity's unique value raises AlreadyExists; to its own value does not."""
    constraints = [u for u in _checkable(dal_spec) if not set(u.fields) & set(dal_spec.key)]
    if not constraints:
        skip_because(dal_spec, "has no unique constraint outside its key")
    repository = dal_harness.repository(dal_spec.name)
    for unique in constraints:
        first = dal_harness.create(dal_spec.name)
        second = dal_harness.create(dal_spec.name)
        taken = {name: getattr(first, name) for name in unique.fields}
        with pytest.raises(AlreadyExists) as raised:
            repository.update(dal_harness.key(dal_spec.name, second), taken)
        _assert_names(raised.value, dal_spec, unique, taken)
        unchanged(dal_harness, dal_spec.name, second)
        own = (
            _other_case(dal_harness, dal_spec, unique, first) if unique.case_insensitive else taken
        )
        updated = repository.update(dal_harness.key(dal_spec.name, first), own)
        assert all(getattr(updated, name) == value for name, value in own.items())


def _checkable(spec: EntitySpec) -> list[Unique]:
    """The unique constraints a collision can be provoked on (not those covering the key)."""
    if not spec.unique:
        skip_because(spec, "declares no unique constraint")
    found = [u for u in spec.unique if not set(spec.key) <= set(u.fields)]
    if not found:
        skip_because(spec, "has unique constraints only over its key")
    return found


def _other_case(harness: Harness, spec: EntitySpec, unique: Unique, entity: Any) -> dict[str, Any]:
    """The unique values of ``entity`` with every text value in the opposite case."""
    text = set(text_fields(harness, spec, unique))
    return {
        name: getattr(entity, name).swapcase() if name in text else getattr(entity, name)
        for name in unique.fields
    }


def _assert_names(
    error: AlreadyExists, spec: EntitySpec, unique: Unique, given: dict[str, Any]
) -> None:
    values = tuple(given[name] for name in unique.fields)
    expected = values[0] if len(values) == 1 else values
    assert (error.entity, error.field, error.value) == (spec.name, unique.label, expected)
