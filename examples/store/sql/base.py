"""What every repository of the adapter shares: its context and the error boundary.

:class:`Context` is one store's wiring (engine, unit of work, clock, id
allocator, exact-text rules). :func:`translated` makes every public method of a
repository class the boundary where driver errors become the layer's errors.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlalchemy.exc import StatementError
from sqlalchemy.exc import TimeoutError as SATimeoutError

from adapters.boundary import wrap_public_methods
from adapters.mysql.errors import ends_transaction, translate
from adapters.mysql.session import UnitOfWork, active_work
from examples.store.sql.collation import ExactText, detect_exact_text
from interfaces.runtime import Clock, IdAllocator
from interfaces.types import as_utc

__all__ = ["Context", "SqlRepository", "translated"]

C = TypeVar("C", bound=type)
S = TypeVar("S")


class Context:
    """One store's wiring, shared by its repositories."""

    def __init__(self, engine: Engine, clock: Clock, ids: IdAllocator) -> None:
        self.engine = engine
        self.unit_of_work = UnitOfWork(engine)
        self._clock = clock
        self._ids = ids
        self._exact_text: ExactText | None = None
        self._statements: dict[str, Any] = {}

    def connection(self) -> Connection:
        """The connection of the caller's unit of work; NoUnitOfWork outside one."""
        return self.unit_of_work.connection()

    @contextmanager
    def savepoint(self) -> Iterator[Connection]:
        """A savepoint in the caller's unit of work: the block is all or nothing."""
        with self.unit_of_work.current().savepoint() as connection:
            yield connection

    def now(self) -> datetime:
        """The clock's time as aware UTC, whole seconds (the schema's precision)."""
        return as_utc(self._clock.now()).replace(microsecond=0)

    def new_id(self, sequence: str) -> int:
        """A fresh id of ``sequence`` (a legacy table name)."""
        return self._ids.allocate(sequence)

    def exact_text(self) -> ExactText:
        """How this database compares text exactly (looked up once)."""
        rules = self._exact_text
        if rules is None:
            rules = self._exact_text = detect_exact_text(self.connection())
        return rules

    def statement(self, name: str, build: Callable[[ExactText], S]) -> S:
        """The statement ``name``, built once from this database's exact-text rules."""
        found = self._statements.get(name)
        if found is None:
            found = self._statements[name] = build(self.exact_text())
        return cast(S, found)


class SqlRepository:
    """Base of the adapter's repositories."""

    def __init__(self, context: Context) -> None:
        self._context = context


def translated(cls: C) -> C:
    """Make each public method of ``cls`` raise the layer's errors instead of driver errors."""
    return wrap_public_methods(cls, _translating)


def _translating(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def run(self: SqlRepository, /, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except (StatementError, SATimeoutError) as exc:  # not programming errors
            error = translate(exc)
            if ends_transaction(exc):
                work = active_work(self._context.engine)
                if work is not None:
                    work.doom(error)
            raise error from exc

    return run
