"""Storage of the generic memory repositories: rows as dicts, one lock, an undo journal.

Every entity's rows live in a dict keyed by the tuple of the row's key values.
Rows are copied on the way in and on the way out, so nothing a caller holds can
alter what is stored. While a unit of work is open, every write records what it
replaced; an exception leaving the outermost unit of work replays that journal
backwards, which restores the rows exactly as they were when it began.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from adapters.boundary import wrap_public_methods
from adapters.rules import Row

__all__ = ["KeyTuple", "MemoryTables", "synchronized"]

KeyTuple = tuple[Any, ...]
C = TypeVar("C", bound=type)


class MemoryTables:
    """The rows of every entity, the lock around every public call, the unit of work."""

    def __init__(self, entities: Iterable[str]) -> None:
        self.lock = threading.RLock()
        self._rows: dict[str, dict[KeyTuple, Row]] = {name: {} for name in entities}
        self._journal: list[tuple[str, KeyTuple, Row | None]] | None = None

    def find(self, entity: str, key: KeyTuple) -> Row | None:
        """A copy of the row of ``entity`` with ``key``, or None."""
        row = self._rows[entity].get(key)
        return None if row is None else dict(row)

    def contains(self, entity: str, key: KeyTuple) -> bool:
        """Whether ``entity`` has a row with ``key``."""
        return key in self._rows[entity]

    def scan(self, entity: str) -> list[Row]:
        """Copies of every row of ``entity``, in insertion order."""
        return [dict(row) for row in self._rows[entity].values()]

    def put(self, entity: str, key: KeyTuple, row: Row) -> None:
        """Store a copy of ``row`` under ``key``, replacing any row there."""
        self._remember(entity, key)
        self._rows[entity][key] = dict(row)

    def remove(self, entity: str, key: KeyTuple) -> None:
        """Remove the row of ``entity`` with ``key`` (if there is one)."""
        self._remember(entity, key)
        self._rows[entity].pop(key, None)

    def _remember(self, entity: str, key: KeyTuple) -> None:
        if self._journal is not None:
            self._journal.append((entity, key, self._rows[entity].get(key)))

    @contextmanager
    def unit_of_work(self) -> Iterator[None]:
        """All-or-nothing: an exception leaving the outermost block undoes its writes.

        The block holds the lock, so other threads wait until it ends; a block
        opened inside another joins it.
        """
        with self.lock:
            if self._journal is not None:
                yield
                return
            self._journal = []
            try:
                yield
            except BaseException:
                self._undo()
                raise
            finally:
                self._journal = None

    def _undo(self) -> None:
        assert self._journal is not None
        for entity, key, previous in reversed(self._journal):
            if previous is None:
                self._rows[entity].pop(key, None)
            else:
                self._rows[entity][key] = previous


class _HasTables(Protocol):
    _tables: MemoryTables


def synchronized(cls: C) -> C:
    """Make every public method of ``cls`` run under its tables' lock."""
    return wrap_public_methods(cls, _locked)


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def run_locked(self: _HasTables, /, *args: Any, **kwargs: Any) -> Any:
        with self._tables.lock:
            return method(self, *args, **kwargs)

    return run_locked
