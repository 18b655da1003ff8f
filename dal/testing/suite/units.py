"""The unit of work: commits on success, undoes on error where the backend can, nests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from dal.testing.harness import Harness
from dal.testing.suite._support import different_value, plain_fields, unchanged
from interfaces.entities import EntitySpec
from interfaces.errors import NotFound, NoUnitOfWork
from interfaces.runtime import UnitOfWorkFactory

__all__ = [
    "test_calls_outside_a_unit_of_work",
    "test_nested_unit_of_work_joins_the_outer_one",
    "test_unit_of_work_commits_its_writes",
    "test_unit_of_work_undoes_its_writes_on_error",
]


class _Abort(Exception):
    """Raised inside a unit of work to make it fail."""


def test_unit_of_work_commits_its_writes(dal_harness: Harness, dal_spec: EntitySpec) -> None:
    """Writes made in a unit of work that ends normally are kept."""
    values = dal_harness.values(dal_spec.name)
    repository = dal_harness.repositories.repository(dal_spec.name)
    with dal_harness.repositories.unit_of_work():
        created = repository.create(values)
        updated = repository.update(dal_harness.key(dal_spec.name, created), {})
    unchanged(dal_harness, dal_spec.name, updated)


def test_unit_of_work_undoes_its_writes_on_error(
    dal_harness: Harness, dal_spec: EntitySpec
) -> None:
    """An exception leaving the unit of work undoes its creates, updates and deletes."""
    _need_rollback(dal_harness)
    changed = dal_harness.create(dal_spec.name)
    deleted = dal_harness.create(dal_spec.name)
    values = dal_harness.values(dal_spec.name)
    repository = dal_harness.repositories.repository(dal_spec.name)
    fields = plain_fields(dal_spec)
    changes = (
        {
            fields[0]: different_value(
                dal_harness, dal_spec.name, fields[0], getattr(changed, fields[0])
            )
        }
        if fields
        else {}
    )

    created, _, _ = _write_then_abort(
        dal_harness.repositories.unit_of_work,
        lambda: repository.create(values),
        lambda: repository.update(dal_harness.key(dal_spec.name, changed), changes),
        lambda: repository.delete(dal_harness.key(dal_spec.name, deleted)),
    )

    unchanged(dal_harness, dal_spec.name, changed)
    unchanged(dal_harness, dal_spec.name, deleted)
    with pytest.raises(NotFound):
        dal_harness.repository(dal_spec.name).get(dal_harness.key(dal_spec.name, created))


def test_nested_unit_of_work_joins_the_outer_one(
    dal_harness: Harness, dal_spec: EntitySpec
) -> None:
    """Writes of an inner block that ended normally are undone with the outer block."""
    _need_rollback(dal_harness)
    values = dal_harness.values(dal_spec.name)
    repository = dal_harness.repositories.repository(dal_spec.name)
    unit_of_work = dal_harness.repositories.unit_of_work

    def inner_block() -> Any:
        with unit_of_work():
            return repository.create(values)

    (created,) = _write_then_abort(unit_of_work, inner_block)

    with pytest.raises(NotFound):
        dal_harness.repository(dal_spec.name).get(dal_harness.key(dal_spec.name, created))


def test_calls_outside_a_unit_of_work(dal_harness: Harness, dal_spec: EntitySpec) -> None:
    """Backends that require a unit of work raise NoUnitOfWork outside one; others just work."""
    values = dal_harness.values(dal_spec.name)
    repository = dal_harness.repositories.repository(dal_spec.name)
    if dal_harness.capabilities.requires_unit_of_work:
        with pytest.raises(NoUnitOfWork):
            repository.create(values)
        with pytest.raises(NoUnitOfWork):
            repository.batch_get([dal_harness.missing_key(dal_spec.name)])
    else:
        created = repository.create(values)
        assert repository.get(dal_harness.key(dal_spec.name, created)) == created


def _need_rollback(harness: Harness) -> None:
    if not harness.capabilities.rolls_back_unit_of_work:
        pytest.skip(
            f"backend {harness.backend.name} declares no rollback of a unit of work "
            "(Capabilities.rolls_back_unit_of_work)"
        )


def _write_then_abort(unit_of_work: UnitOfWorkFactory, *writes: Callable[[], Any]) -> list[Any]:
    """Run ``writes`` in one unit of work left by an exception; return what they returned."""
    results: list[Any] = []
    try:
        with unit_of_work():
            results.extend(write() for write in writes)
            raise _Abort
    except _Abort:
        return results
    raise AssertionError("the unit of work swallowed an exception raised inside it")
