"""The caller's unit of work: one SQLAlchemy Session per engine, bound to a context variable.

``with uow(): ...`` opens a Session, commits it when the block ends normally and
rolls it back when an exception leaves the block. A unit of work opened while
one is already active for the same engine (in the same thread or task) joins
it: only the outermost one commits. Repositories find the active unit of work
through :func:`active_work` and never open or commit their own.

If a statement fails in a way that ends the transaction on the server (a
deadlock, a lost connection), the unit of work is *doomed*: leaving the block
normally rolls back and raises that error, so work the server already threw
away is never reported as committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import MappingProxyType

from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, SessionTransaction

from adapters.mysql.errors import translate
from interfaces.errors import DalError, NoUnitOfWork

__all__ = ["UnitOfWork", "Work", "active_work"]

EndCallback = Callable[[bool], None]
"""Called when a unit of work ends, with whether it committed."""

_NONE_ACTIVE: Mapping[Engine, Work] = MappingProxyType({})
_ACTIVE: ContextVar[Mapping[Engine, Work]] = ContextVar(
    "dal_mysql_active_work", default=_NONE_ACTIVE
)


@dataclass
class Work:
    """The state of one active unit of work: its session, connection and fate."""

    session: Session
    _connection: Connection | None = None
    doomed: DalError | None = None
    on_end: list[EndCallback] = field(default_factory=list)

    @property
    def connection(self) -> Connection:
        """The session's connection (the transaction begins on first use)."""
        connection = self._connection
        if connection is None:
            connection = self._connection = self.session.connection()
        return connection

    @contextmanager
    def savepoint(self) -> Iterator[Connection]:
        """A SAVEPOINT around a block: everything in it is undone if it raises."""
        nested = self.session.begin_nested()
        connection = self.session.connection()  # the session emits SAVEPOINT on first use
        try:
            yield connection
        except BaseException as failure:
            self._roll_back(nested, failure)
            raise
        nested.commit()

    def doom(self, error: DalError) -> None:
        """Mark the transaction as lost: the unit of work will roll back and raise ``error``."""
        if self.doomed is None:
            self.doomed = error

    def _roll_back(self, nested: SessionTransaction, failure: BaseException) -> None:
        try:
            nested.rollback()
        except SQLAlchemyError as exc:  # the server already ended the whole transaction
            cause = failure if isinstance(failure, SQLAlchemyError) else exc
            self.doom(translate(cause))


def active_work(engine: Engine) -> Work | None:
    """The unit of work active for ``engine`` in this context, if any."""
    return _ACTIVE.get().get(engine)


class UnitOfWork:
    """Opens units of work on one engine; an instance is the store's ``unit_of_work``."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def __call__(self) -> AbstractContextManager[None]:
        """Open (or join) the unit of work of this context."""
        return self._scope()

    def current(self) -> Work:
        """The active unit of work; NoUnitOfWork outside ``with store.unit_of_work():``."""
        work = _ACTIVE.get().get(self._engine)
        if work is None:
            raise NoUnitOfWork(
                "this repository needs the caller's unit of work: "
                "call it inside `with store.unit_of_work():`"
            )
        return work

    def connection(self) -> Connection:
        """The active unit of work's connection; NoUnitOfWork outside one."""
        work = _ACTIVE.get().get(self._engine)
        if work is None:
            return self.current().connection  # raises NoUnitOfWork
        connection = work._connection
        return connection if connection is not None else work.connection

    @contextmanager
    def _scope(self) -> Iterator[None]:
        active = _ACTIVE.get()
        if self._engine in active:
            yield
            return
        work = Work(Session(self._engine, autoflush=False, expire_on_commit=False))
        token = _ACTIVE.set({**active, self._engine: work})
        committed = False
        try:
            try:
                yield
            except BaseException:
                _quietly_roll_back(work)
                raise
            _commit(work)
            committed = True
        finally:
            _ACTIVE.reset(token)
            work.session.close()
            for callback in work.on_end:
                callback(committed)


def _commit(work: Work) -> None:
    if work.doomed is not None:
        _quietly_roll_back(work)
        raise work.doomed
    try:
        work.session.commit()
    except SQLAlchemyError as exc:
        _quietly_roll_back(work)
        raise translate(exc) from exc


def _quietly_roll_back(work: Work) -> None:
    try:
        work.session.rollback()
    except SQLAlchemyError:
        work.session.invalidate()
