"""batch_get of every entity: order of the keys, duplicates, missing keys, the 100-key limit."""

from __future__ import annotations

import pytest

from dal.testing.harness import Harness
from interfaces.entities import EntitySpec
from interfaces.errors import ValidationFailed
from interfaces.repository import MAX_BATCH_KEYS

__all__ = ["test_batch_get_key_limit", "test_batch_get_order_duplicates_and_missing_keys"]


def test_batch_get_order_duplicates_and_missing_keys(
    dal_harness: Harness, dal_spec: EntitySpec
) -> None:
    """The entities that exist, in the order of the keys, each once; no keys, no entities."""
    repository = dal_harness.repository(dal_spec.name)
    first, second, third = (dal_harness.create(dal_spec.name) for _ in range(3))
    key = dal_harness.key
    keys = [
        key(dal_spec.name, third),
        dal_harness.missing_key(dal_spec.name),
        key(dal_spec.name, first),
        key(dal_spec.name, third),
        key(dal_spec.name, second),
    ]

    assert repository.batch_get(keys) == [third, first, second]
    assert repository.batch_get([]) == []
    assert repository.batch_get([dal_harness.missing_key(dal_spec.name)]) == []


def test_batch_get_key_limit(dal_harness: Harness, dal_spec: EntitySpec) -> None:
    """100 keys are accepted; 101 raise ValidationFailed(field="keys")."""
    repository = dal_harness.repository(dal_spec.name)
    found = dal_harness.create(dal_spec.name)
    missing = [dal_harness.missing_key(dal_spec.name, i) for i in range(MAX_BATCH_KEYS)]
    keys = [*missing[: MAX_BATCH_KEYS - 1], dal_harness.key(dal_spec.name, found)]

    assert repository.batch_get(keys) == [found]
    with pytest.raises(ValidationFailed) as raised:
        repository.batch_get([*keys, missing[-1]])
    assert raised.value.field == "keys"
