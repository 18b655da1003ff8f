"""``query`` and ``command`` markers for repository Protocol methods.

The router decides how to route each call by these markers: a ``query`` reads
and may be shadowed and compared, a ``command`` changes state and is written to
one or both backends in the order the stage prescribes.

Example::

    class UserRepository(Protocol):
        @query
        def get(self, user_id: int) -> User: ...

        @command
        def delete(self, user_id: int) -> None: ...
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

__all__ = ["OperationKind", "command", "operation_kind", "query"]

OperationKind = Literal["query", "command"]
_F = TypeVar("_F", bound=Callable[..., Any])
_ATTRIBUTE = "__dal_operation__"


def query(func: _F) -> _F:
    """Mark a Protocol method as a read that changes nothing."""
    setattr(func, _ATTRIBUTE, "query")
    return func


def command(func: _F) -> _F:
    """Mark a Protocol method as a state change."""
    setattr(func, _ATTRIBUTE, "command")
    return func


def operation_kind(func: object) -> OperationKind | None:
    """Return ``"query"``, ``"command"`` or ``None`` for an unmarked callable."""
    kind = getattr(func, _ATTRIBUTE, None)
    if kind in ("query", "command"):
        return kind  # type: ignore[no-any-return]
    return None
