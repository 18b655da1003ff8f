"""The unit of work of a routed store: both sides' units of work, opened together.

``with store.unit_of_work():`` opens the old and the new side's units of work.
A side is *required* when the current flags make it authoritative for some
operation of the store: failing to open or commit it reaches the caller, and
required sides commit first (old first when both are). A failure of a side that is not required is
recorded (and its writes go to the repair log) without reaching the caller.

The gap: nothing makes a commit atomic across the two backends. When the
caller's block raises (or a required commit fails), each side rolls back what
it can, but a write the other backend already applied for good (DynamoDB
applies each command at once) stays. The router sees the exception as the
unit of work exits and appends every dual write made inside it to the repair
log (reason ``unit_of_work_rolled_back``) so that ``dal repair`` can reconcile
the second side with the authoritative one.

Deferred secondary writes (:mod:`dal.routing.deferred`) do not have that gap: their
``deferred`` entries are appended to the repair log only once every side committed,
and dropped when the unit of work rolls back, so the drainer never sees a write
that did not commit.

A side that is not required opens, commits and rolls back within the secondary
write budget (:attr:`~dal.routing.shadow.ShadowSettings.secondary_write_seconds`):
a hung secondary cannot hold the caller at the end of the block either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from dal.routing.calls import Operation
from dal.routing.recording import ErrorRecord
from dal.routing.services import NO_STAGE, DeferredNote, Services
from dal.routing.stages import Side, Stage
from dal.telemetry.correlation import current_correlation_id
from interfaces import UnitOfWorkFactory
from interfaces.deadlines import deadline

__all__ = ["RoutedUnitOfWork", "UnitOfWorkState", "WriteNote", "current_unit_of_work"]


@dataclass(frozen=True)
class WriteNote:
    """A dual write made inside a unit of work: ``side`` is the one written second."""

    operation: Operation
    stage: Stage
    side: Side
    call: tuple[tuple[Any, ...], Mapping[str, Any]]
    value: object
    correlation_id: str | None = field(default_factory=current_correlation_id)
    """The correlation id of the routed call that made the write."""


@dataclass
class UnitOfWorkState:
    """What happened inside one routed unit of work."""

    dirty: bool = False
    writes: list[WriteNote] = field(default_factory=list)
    deferred: list[DeferredNote] = field(default_factory=list)
    """Deferred secondary writes: appended to the repair log once the unit of work commits."""


_CURRENT: ContextVar[UnitOfWorkState | None] = ContextVar("dal_routed_uow", default=None)


def current_unit_of_work() -> UnitOfWorkState | None:
    """The routed unit of work the current context is in, if any."""
    return _CURRENT.get()


class RoutedUnitOfWork:
    """A :data:`~interfaces.UnitOfWorkFactory` over both sides' factories."""

    def __init__(
        self,
        factories: Mapping[Side, UnitOfWorkFactory],
        required_sides: Callable[[], frozenset[Side]],
        services: Services,
    ) -> None:
        self._factories = factories
        self._required_sides = required_sides
        self._services = services

    @property
    def factories(self) -> Mapping[Side, UnitOfWorkFactory]:
        """Each side's unit-of-work factory."""
        return self._factories

    def __call__(self) -> AbstractContextManager[None]:
        """Open a unit of work on both sides (joining the current one when nested)."""
        return _UnitOfWorkRun(self._factories, self._required_sides(), self._services)


class _UnitOfWorkRun(AbstractContextManager[None]):
    def __init__(
        self,
        factories: Mapping[Side, UnitOfWorkFactory],
        required: frozenset[Side],
        services: Services,
    ) -> None:
        self._factories = factories
        self._required = required
        self._services = services
        self._entered: list[tuple[Side, AbstractContextManager[None]]] = []
        self._state = UnitOfWorkState()
        self._token: Token[UnitOfWorkState | None] | None = None
        self._joined = False

    def __enter__(self) -> None:
        if _CURRENT.get() is not None:
            self._joined = True
            return
        # Entered in this order, left in the reverse one (context variables need LIFO):
        # required sides are entered last so that they commit first, old before new.
        order = sorted(self._factories, key=lambda side: (side in self._required, side is Side.OLD))
        for side in order:
            manager = self._factories[side]()
            try:
                with self._bounded(side):
                    manager.__enter__()
            except Exception as exc:
                if side in self._required:
                    self._close_entered(exc)
                    raise
                self._side_failed(side, "begin", exc)
                continue
            self._entered.append((side, manager))
        self._token = _CURRENT.set(self._state)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._joined:
            return
        if self._token is not None:
            _CURRENT.reset(self._token)
        error = self._close_entered(exc)
        if error is None:
            self._services.deferred(self._state.deferred)
        # else: the authoritative side rolled back, the deferred writes are dropped
        if error is not None:
            for note in self._state.writes:
                self._services.repair(
                    note.operation,
                    note.stage,
                    note.side,
                    "unit_of_work_rolled_back",
                    note.call,
                    note.value,
                    error,
                    correlation_id=note.correlation_id,
                )
        if exc is None and error is not None:
            raise error

    def _close_entered(self, exc: BaseException | None) -> BaseException | None:
        """Exit every entered side, last entered first; return the error that ends the run."""
        error = exc
        for side, manager in reversed(self._entered):
            try:
                with self._bounded(side):
                    if error is None:
                        manager.__exit__(None, None, None)
                    else:
                        manager.__exit__(type(error), error, error.__traceback__)
            except Exception as failure:
                if side in self._required:
                    if error is None:
                        error = failure
                    continue
                self._side_failed(side, "commit" if error is None else "rollback", failure)
                if error is None:
                    self._lost_writes(side, failure)
        self._entered.clear()
        return error

    def _bounded(self, side: Side) -> AbstractContextManager[None]:
        """No deadline for a required side; the secondary write budget for another."""
        if side in self._required:
            return nullcontext()
        return deadline(self._services.settings.secondary_write_seconds)

    def _lost_writes(self, side: Side, failure: Exception) -> None:
        kept = []
        for note in self._state.writes:
            if note.side is not side:
                kept.append(note)
                continue
            self._services.repair(
                note.operation,
                note.stage,
                side,
                "secondary_commit_failed",
                note.call,
                note.value,
                failure,
                correlation_id=note.correlation_id,
            )
        self._state.writes[:] = kept

    def _side_failed(self, side: Side, phase: str, error: Exception) -> None:
        operation = f"unit_of_work.{phase}"
        metrics = self._services.metrics.operation("*", operation)
        metrics.error(side.value, NO_STAGE, type(error).__name__)
        message = f"{type(error).__name__}: {error}"
        self._services.emit(ErrorRecord(side.value, "*", operation, None, error, message))
