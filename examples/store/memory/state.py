"""Storage of the memory fake: tables of immutable models behind one re-entrant lock.

Every repository of one store shares a :class:`MemoryState`. Rows are frozen
pydantic models kept in plain dicts; a change replaces a row with a new,
validated model, so nothing a caller holds can alter what is stored.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from adapters.boundary import wrap_public_methods
from examples.store.models import CartItem, Category, Order, Product, User
from interfaces.errors import AlreadyExists, NotFound
from interfaces.runtime import Clock, IdAllocator

__all__ = ["MemoryState", "Repository", "Table", "synchronized"]

K = TypeVar("K")
M = TypeVar("M", bound=BaseModel)
C = TypeVar("C", bound=type)


class Table(Generic[K, M]):
    """The rows of one entity by key; raises the error tree's errors for missing or taken keys."""

    def __init__(self, entity: str) -> None:
        self.entity = entity
        self._rows: dict[K, M] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def find(self, key: K) -> M | None:
        """The row with ``key``, or None."""
        return self._rows.get(key)

    def require(self, key: K) -> M:
        """The row with ``key``; NotFound if there is none."""
        row = self._rows.get(key)
        if row is None:
            raise NotFound(self.entity, key)
        return row

    def select(self, predicate: Callable[[M], bool]) -> list[M]:
        """Every row matching ``predicate``, in insertion order."""
        return [row for row in self._rows.values() if predicate(row)]

    def any(self, predicate: Callable[[M], bool]) -> bool:
        """Whether a row matches ``predicate``."""
        return any(predicate(row) for row in self._rows.values())

    def insert(self, key: K, row: M) -> M:
        """Store a new row; AlreadyExists(field="id") if the key is taken."""
        if key in self._rows:
            raise AlreadyExists(self.entity, "id", key)
        self._rows[key] = row
        return row

    def put(self, key: K, row: M) -> M:
        """Store ``row`` under ``key``, replacing any row there."""
        self._rows[key] = row
        return row

    def pop(self, key: K) -> M:
        """Remove and return the row with ``key``; NotFound if there is none."""
        row = self.require(key)
        del self._rows[key]
        return row

    def delete_where(self, predicate: Callable[[M], bool]) -> int:
        """Remove every row matching ``predicate``; returns how many were removed."""
        doomed = [key for key, row in self._rows.items() if predicate(row)]
        for key in doomed:
            del self._rows[key]
        return len(doomed)


@dataclass
class MemoryState:
    """Everything one memory store holds: its tables, its lock, its clock and id source."""

    clock: Clock
    ids: IdAllocator
    lock: threading.RLock = field(default_factory=threading.RLock)
    users: Table[int, User] = field(default_factory=lambda: Table("user"))
    categories: Table[int, Category] = field(default_factory=lambda: Table("category"))
    products: Table[int, Product] = field(default_factory=lambda: Table("product"))
    cart_items: Table[tuple[int, int], CartItem] = field(default_factory=lambda: Table("cart_item"))
    orders: Table[int, Order] = field(default_factory=lambda: Table("order"))

    def now(self) -> datetime:
        """The clock's current time."""
        return self.clock.now()

    def new_id(self, sequence: str) -> int:
        """A fresh id from the allocator's ``sequence`` (a legacy table name)."""
        return self.ids.allocate(sequence)


class Repository:
    """Base of the fake's repositories: holds the shared state."""

    def __init__(self, state: MemoryState) -> None:
        self._db = state


def synchronized(cls: C) -> C:
    """Make every public method of a repository class run under the store's lock."""
    return wrap_public_methods(cls, _locked)


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def run_locked(self: Repository, /, *args: Any, **kwargs: Any) -> Any:
        with self._db.lock:
            return method(self, *args, **kwargs)

    return run_locked
