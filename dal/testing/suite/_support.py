"""Helpers the suite's tests share: choosing fields, skipping with a reason, checking stamps."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NoReturn

import pytest

from dal.testing.harness import MISSING_FROM, Harness
from interfaces.entities import EntitySpec, Unique

__all__ = [
    "assert_absent",
    "assert_created_stamps",
    "different_value",
    "plain_fields",
    "reference_fields",
    "skip_because",
    "text_fields",
    "unchanged",
    "updatable_fields",
]


def skip_because(spec: EntitySpec, reason: str) -> NoReturn:
    """Skip a test that does not apply to ``spec``, saying why."""
    pytest.skip(f"{spec.name} {reason}")


def reference_fields(spec: EntitySpec) -> frozenset[str]:
    """Every field that belongs to a reference of ``spec``."""
    return frozenset(name for reference in spec.references for name in reference.fields)


def updatable_fields(spec: EntitySpec) -> list[str]:
    """Fields an update may change: neither key nor stamped."""
    return [name for name in spec.fields if name not in spec.key and name not in spec.stamped]


def plain_fields(spec: EntitySpec) -> list[str]:
    """Updatable fields outside every reference, those outside every unique constraint first."""
    unique = {name for constraint in spec.unique for name in constraint.fields}
    candidates = [name for name in updatable_fields(spec) if name not in reference_fields(spec)]
    return sorted(candidates, key=lambda name: name in unique)


def text_fields(harness: Harness, spec: EntitySpec, unique: Unique) -> list[str]:
    """The free-text fields (not choices) of ``unique``."""
    return [name for name in unique.fields if harness.samples.kind(spec.name, name).base is str]


def different_value(harness: Harness, entity: str, name: str, current: Any) -> Any:
    """A valid value of field ``name`` other than ``current`` (never used by another sample)."""
    for index in range(2 * MISSING_FROM, 2 * MISSING_FROM + 10):
        value = harness.samples.value(entity, name, index)
        if value != current:
            return value
    raise AssertionError(f"no value of {entity}.{name} differs from {current!r}")


def assert_created_stamps(
    spec: EntitySpec, created: Any, issued: Sequence[datetime], placeholders: Iterable[Any] = ()
) -> None:
    """Version 1, ``created_at == updated_at``, both an instant the clock gave during the call."""
    if spec.version is not None:
        assert getattr(created, spec.version) == 1
    stamps = [getattr(created, name) for name in (spec.created_at, spec.updated_at) if name]
    for stamp in stamps:
        assert stamp in issued, f"{stamp} is not a time the clock gave during the create"
        assert stamp not in set(placeholders)
    assert len(set(stamps)) <= 1, "created_at and updated_at differ on create"


def unchanged(harness: Harness, entity: str, before: Any) -> None:
    """The stored entity is still exactly ``before``."""
    assert harness.repository(entity).get(harness.key(entity, before)) == before


def assert_absent(harness: Harness, spec: EntitySpec, values: dict[str, Any]) -> None:
    """Nothing was stored under the key of ``values`` (when the caller gives keys)."""
    if spec.id_sequence is not None or not all(name in values for name in spec.key):
        return
    key = harness.key(spec.name, values)
    assert harness.repository(spec.name).batch_get([key]) == []
