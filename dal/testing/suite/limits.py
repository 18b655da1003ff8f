"""Limits of the stricter backend: a value either backend cannot hold is refused by every one.

A text field declared with a byte limit (:class:`~interfaces.types.MaxBytes`, what
MySQL's ``TEXT`` family holds) refuses a value of fewer characters than any
character limit but more bytes than its column holds; a field without one refuses
a value that would not fit in a DynamoDB item. The error is UnstorableValue naming
the entity and the field, raised before anything is written.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Annotated, Any, Union, get_args, get_origin

import pytest

from adapters.rules import DYNAMODB_ITEM_BYTES
from dal.testing.harness import Harness
from dal.testing.suite._support import skip_because, unchanged
from interfaces.entities import EntitySpec
from interfaces.errors import UnstorableValue
from interfaces.types import MaxBytes

__all__ = [
    "test_create_refuses_a_value_too_large_for_either_backend",
    "test_update_refuses_a_value_too_large_for_either_backend",
]

FOUR_BYTES = "\N{GRINNING FACE}"
"""One character, four bytes in UTF-8."""


def test_create_refuses_a_value_too_large_for_either_backend(
    dal_harness: Harness, dal_spec: EntitySpec
) -> None:
    """Create with an oversize text raises UnstorableValue(entity.field); nothing is stored."""
    for name, value in _oversize(dal_spec):
        values = dal_harness.values(dal_spec.name, overrides={name: value})
        before = _stored(dal_harness, dal_spec, values)
        with pytest.raises(UnstorableValue) as raised:
            dal_harness.repository(dal_spec.name).create(values)
        _assert_names(raised.value, dal_spec, name)
        assert _stored(dal_harness, dal_spec, values) == before


def test_update_refuses_a_value_too_large_for_either_backend(
    dal_harness: Harness, dal_spec: EntitySpec
) -> None:
    """Update to an oversize text raises UnstorableValue(entity.field); the entity is unchanged."""
    oversize = [(n, v) for n, v in _oversize(dal_spec) if n not in dal_spec.key]
    if not oversize:
        skip_because(dal_spec, "has no text field it can change to an oversize value")
    repository = dal_harness.repository(dal_spec.name)
    created = dal_harness.create(dal_spec.name)
    for name, value in oversize:
        with pytest.raises(UnstorableValue) as raised:
            repository.update(dal_harness.key(dal_spec.name, created), {name: value})
        _assert_names(raised.value, dal_spec, name)
        unchanged(dal_harness, dal_spec.name, created)


def _oversize(spec: EntitySpec) -> list[tuple[str, str]]:
    """(field, a text too large for it) for every text field the caller gives and a test can fill.

    Fields of the key, of a unique constraint or of a named query are left out: a
    value that large could never be a key attribute anyway.
    """
    indexed = set(spec.key) | set(spec.stamped)
    indexed.update(name for unique in spec.unique for name in unique.fields)
    indexed.update(name for named in spec.queries for name in (*named.where, *named.order_by))
    found = []
    for name, info in spec.model.model_fields.items():
        if name in indexed or not _is_text(info.annotation):
            continue
        metadata = [*info.metadata, *_metadata(info.annotation)]
        bytes_limit = min((m.limit for m in metadata if isinstance(m, MaxBytes)), default=None)
        lengths = (getattr(m, "max_length", None) for m in metadata)
        characters = min((n for n in lengths if isinstance(n, int)), default=None)
        if bytes_limit is not None and bytes_limit < DYNAMODB_ITEM_BYTES:
            value = FOUR_BYTES * (bytes_limit // 4 + 1)
        else:
            value = "x" * DYNAMODB_ITEM_BYTES
        if characters is None or len(value) <= characters:
            found.append((name, value))
    if not found:
        skip_because(spec, "has no text field whose limit a value can exceed in bytes only")
    return found


def _is_text(annotation: Any) -> bool:
    return any(kind is str for kind in _types(annotation))


def _types(annotation: Any) -> Iterator[Any]:
    origin = get_origin(annotation)
    if origin is Annotated:
        yield from _types(get_args(annotation)[0])
    elif origin in (Union, types.UnionType):
        for argument in get_args(annotation):
            yield from _types(argument)
    else:
        yield annotation


def _metadata(annotation: Any) -> Iterator[Any]:
    origin = get_origin(annotation)
    if origin is Annotated:
        inner, *extra = get_args(annotation)
        for item in extra:
            yield item
            yield from getattr(item, "metadata", ())
        yield from _metadata(inner)
    elif origin in (Union, types.UnionType):
        for argument in get_args(annotation):
            yield from _metadata(argument)


def _stored(harness: Harness, spec: EntitySpec, values: dict[str, Any]) -> list[Any]:
    """What the repository holds that ``values`` would have joined (by key or named queries)."""
    if spec.id_sequence is None and all(name in values for name in spec.key):
        return harness.repository(spec.name).batch_get([harness.key(spec.name, values)])
    found: list[Any] = []
    for named in spec.queries:
        if not all(values.get(name) is not None for name in named.where):
            continue
        params = {name: values[name] for name in named.where}
        page = harness.repository(spec.name).query(named.name, page_size=100, **params)
        found.extend(page.items)
    return sorted(found, key=repr)


def _assert_names(error: UnstorableValue, spec: EntitySpec, name: str) -> None:
    assert error.field == name
    assert f"{spec.name}.{name}" in str(error)
