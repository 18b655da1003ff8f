"""Create, get and delete of every entity: round trips, stamps, missing keys, key shapes, fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dal.testing.harness import Harness, InUnitOfWork
from dal.testing.suite._support import (
    assert_absent,
    assert_created_stamps,
    skip_because,
    unchanged,
)
from interfaces.entities import EntitySpec
from interfaces.errors import AlreadyExists, NotFound, ValidationFailed

__all__ = [
    "test_create_accepts_a_model_instance",
    "test_create_refuses_a_missing_required_field",
    "test_create_refuses_a_stamped_field",
    "test_create_refuses_a_taken_key",
    "test_create_refuses_an_invalid_value",
    "test_create_refuses_an_unknown_field",
    "test_create_then_get_round_trip",
    "test_delete_removes_the_entity",
    "test_missing_key_raises_not_found",
    "test_wrong_key_shape_is_refused",
]

UNKNOWN_FIELD = "no_such_field"


def test_create_then_get_round_trip(dal_harness: Harness, dal_spec: EntitySpec) -> None:
    """Every given field comes back equal; version 1; created_at == updated_at == clock time."""
    repository = dal_harness.repository(dal_spec.name)
    values = dal_harness.values(dal_spec.name)
    mark = dal_harness.clock.mark()

    created = repository.create(values)

    for name, value in values.items():
        assert getattr(created, name) == value, f"{dal_spec.name}.{name}"
    assert_created_stamps(dal_spec, created, dal_harness.clock.issued_since(mark))
    if dal_spec.id_sequence is not None:
        assert isinstance(getattr(created, dal_spec.key[0]), int)
    assert repository.get(dal_harness.key(dal_spec.name, created)) == created


def test_create_accepts_a_model_instance(dal_harness: Harness, dal_spec: EntitySpec) -> None:
    """A model instance is accepted; its stamped fields are replaced by the layer's."""
    values = dal_harness.values(dal_spec.name)
    placeholders = {
        name: dal_harness.samples.value(dal_spec.name, name, 5) for name in dal_spec.stamped
    }
    instance = dal_spec.model.model_validate({**values, **placeholders})
    mark = dal_harness.clock.mark()

    created = dal_harness.repository(dal_spec.name).create(instance)

    for name, value in values.items():
        assert getattr(created, name) == value, f"{dal_spec.name}.{name}"
    stamps = [placeholders[name] for name in (dal_spec.created_at, dal_spec.updated_at) if name]
    assert_created_stamps(dal_spec, created, dal_harness.clock.issued_since(mark), stamps)


def test_missing_key_raises_not_found(dal_harness: Harness, dal_spec: EntitySpec) -> None:
    """get, update and delete of a key no entity has raise NotFound(entity, key label)."""
    repository = dal_harness.repository(dal_spec.name)
    dal_harness.create(dal_spec.name)
    key = dal_harness.missing_key(dal_spec.name)
    label = dal_harness.label(dal_spec.name, _as_mapping(dal_spec, key))
    calls = _key_calls(repository, key)
    del calls["batch_get"]
    for operation, call in calls.items():
        with pytest.raises(NotFound) as raised:
            call()
        assert (raised.value.entity, raised.value.key) == (dal_spec.name, label), operation


def test_wrong_key_shape_is_refused(dal_harness: Harness, dal_spec: EntitySpec) -> None:
    """A key of the wrong shape raises ValidationFailed(field="key") from every operation."""
    repository = dal_harness.repository(dal_spec.name)
    created = dal_harness.create(dal_spec.name)
    good = _as_mapping(dal_spec, dal_harness.key(dal_spec.name, created))
    shapes: list[Any] = [{**good, "not_a_key_field": 1}, {"not_a_key_field": 1}]
    if len(dal_spec.key) > 1:
        shapes += [good[dal_spec.key[0]], {name: good[name] for name in dal_spec.key[:-1]}]
    for shape in shapes:
        for operation, call in _key_calls(repository, shape).items():
            with pytest.raises(ValidationFailed) as raised:
                call()
            assert raised.value.field == "key", f"{operation}({shape!r})"
    unchanged(dal_harness, dal_spec.name, created)


def test_create_refuses_a_stamped_field(dal_harness: Harness, dal_spec: EntitySpec) -> None:
    """A stamped field (timestamps, version, allocated key) given to create is refused by name."""
    if not dal_spec.stamped:
        skip_because(dal_spec, "has no stamped field")
    for name in sorted(dal_spec.stamped):
        values = dal_harness.values(dal_spec.name)
        values[name] = dal_harness.samples.value(dal_spec.name, name, 3)
        with pytest.raises(ValidationFailed) as raised:
            dal_harness.repository(dal_spec.name).create(values)
        assert raised.value.field == name
        assert_absent(dal_harness, dal_spec, values)


def test_create_refuses_an_unknown_field(dal_harness: Harness, dal_spec: EntitySpec) -> None:
    """A field the model does not have is refused by name."""
    values = {**dal_harness.values(dal_spec.name), UNKNOWN_FIELD: "x"}
    with pytest.raises(ValidationFailed) as raised:
        dal_harness.repository(dal_spec.name).create(values)
    assert raised.value.field == UNKNOWN_FIELD
    assert_absent(dal_harness, dal_spec, values)


def test_create_refuses_a_missing_required_field(
    dal_harness: Harness, dal_spec: EntitySpec
) -> None:
    """Leaving out a required field raises ValidationFailed naming it."""
    required = [
        name
        for name, info in dal_spec.model.model_fields.items()
        if info.is_required() and name not in dal_spec.stamped
    ]
    if not required:
        skip_because(dal_spec, "has no required field the caller gives")
    for name in required:
        values = dal_harness.values(dal_spec.name)
        del values[name]
        with pytest.raises(ValidationFailed) as raised:
            dal_harness.repository(dal_spec.name).create(values)
        assert raised.value.field == name


def test_create_refuses_an_invalid_value(dal_harness: Harness, dal_spec: EntitySpec) -> None:
    """A value the model refuses raises ValidationFailed naming the field; nothing is stored."""
    for name in [n for n in dal_spec.fields if n not in dal_spec.stamped]:
        values = dal_harness.values(dal_spec.name)
        values[name] = dal_harness.samples.invalid_value(dal_spec.name, name)
        with pytest.raises(ValidationFailed) as raised:
            dal_harness.repository(dal_spec.name).create(values)
        assert raised.value.field == name
        if name not in dal_spec.key:
            assert_absent(dal_harness, dal_spec, values)


def test_create_refuses_a_taken_key(dal_harness: Harness, dal_spec: EntitySpec) -> None:
    """A key given twice raises AlreadyExists(entity, key fields joined by ",", key label)."""
    if dal_spec.id_sequence is not None:
        skip_because(dal_spec, f"keys come from the id sequence {dal_spec.id_sequence!r}")
    first = dal_harness.create(dal_spec.name)
    key = _as_mapping(dal_spec, dal_harness.key(dal_spec.name, first))
    values = dal_harness.values(dal_spec.name, overrides=key)

    with pytest.raises(AlreadyExists) as raised:
        dal_harness.repository(dal_spec.name).create(values)

    error = raised.value
    expected = (dal_spec.name, ",".join(dal_spec.key), dal_harness.label(dal_spec.name, first))
    assert (error.entity, error.field, error.value) == expected
    unchanged(dal_harness, dal_spec.name, first)


def test_delete_removes_the_entity(dal_harness: Harness, dal_spec: EntitySpec) -> None:
    """After a delete, get raises NotFound, batch_get skips it and a second delete raises."""
    repository = dal_harness.repository(dal_spec.name)
    kept = dal_harness.create(dal_spec.name)
    doomed = dal_harness.create(dal_spec.name)
    key = dal_harness.key(dal_spec.name, doomed)

    repository.delete(key)

    with pytest.raises(NotFound):
        repository.get(key)
    with pytest.raises(NotFound):
        repository.delete(key)
    assert repository.batch_get([key, dal_harness.key(dal_spec.name, kept)]) == [kept]


def _as_mapping(spec: EntitySpec, key: Any) -> dict[str, Any]:
    return dict(key) if len(spec.key) > 1 else {spec.key[0]: key}


def _key_calls(repository: InUnitOfWork, key: Any) -> dict[str, Callable[[], Any]]:
    """Every operation that takes a key, called with ``key``."""
    return {
        "get": lambda: repository.get(key),
        "update": lambda: repository.update(key, {}),
        "delete": lambda: repository.delete(key),
        "batch_get": lambda: repository.batch_get([key]),
    }
