"""One wrapper around every public method of a repository class: a lock, an error boundary."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["wrap_public_methods"]

C = TypeVar("C", bound=type)


def wrap_public_methods(cls: C, wrap: Callable[[Callable[..., Any]], Callable[..., Any]]) -> C:
    """Replace each public method defined on ``cls`` with ``wrap(method)``; returns ``cls``."""
    for name, member in list(vars(cls).items()):
        if callable(member) and not name.startswith("_"):
            setattr(cls, name, wrap(member))
    return cls
