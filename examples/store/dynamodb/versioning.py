"""Optimistic concurrency on versioned items, shared by the repositories.

A change is read-modify-write: read the item, build the new model
(:func:`examples.store.shared.revise`: ``version`` + 1, ``updated_at`` = now), write
it with the condition ``version = :read``.
When the caller gave ``expected_version`` a failed condition is a
:class:`~interfaces.ConcurrencyConflict`; without one, the change is simply
re-read and re-applied (a few times) so that concurrent changes are never lost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from adapters.dynamodb.expressions import Expr
from interfaces import ConcurrencyConflict

__all__ = ["Stale", "retry_stale", "version_condition"]

T = TypeVar("T")
_TRIES = 5


class Stale(Exception):
    """Internal: the item changed between the read and the conditional write."""


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
