"""Optimistic concurrency on versioned items, shared by the repositories.

A change is read-modify-write: read the item, build the new model (``version``
+ 1, ``updated_at`` = now), write it with the condition ``version = :read``.
When the caller gave ``expected_version`` a failed condition is a
:class:`~interfaces.ConcurrencyConflict`; without one, the change is simply
re-read and re-applied (a few times) so that concurrent changes are never lost.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from adapters.dynamodb.expressions import Expr
from interfaces import ConcurrencyConflict, UnstorableValue

__all__ = ["Stale", "build", "retry_stale", "revise", "version_condition"]

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
_TRIES = 5


class Stale(Exception):
    """Internal: the item changed between the read and the conditional write."""


def revise(row: M, now: datetime, changes: Mapping[str, object]) -> M:
    """A new version of ``row``: ``changes`` applied, version + 1, ``updated_at`` = ``now``.

    UnstorableValue names the field a stored row cannot hold.
    """
    fields = {**row.model_dump(), **changes}
    if "version" in fields:
        fields["version"] = int(str(fields["version"])) + 1
    if "updated_at" in fields:
        fields["updated_at"] = now
    return build(type(row), **fields)


def build(model: type[M], **fields: object) -> M:
    """Build a row to store; UnstorableValue naming the first field it cannot hold."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(part) for part in first["loc"]) or None
        raise UnstorableValue(first["msg"], field=name) from exc


def version_condition(expr: Expr, attribute: str, version: int) -> str:
    """``<attribute> = :version`` (false when the item is missing)."""
    return expr.equals(attribute, version)


def retry_stale(attempt: Callable[[], T], entity: str, key: object) -> T:
    """Run ``attempt`` again while it raises :class:`Stale`; ConcurrencyConflict after a few."""
    for _ in range(_TRIES):
        try:
            return attempt()
        except Stale:
            continue
    raise ConcurrencyConflict(entity, key)
