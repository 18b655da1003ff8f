"""Commands: written to one side or to both, in the order the stage plans.

The authoritative side is written first; if it fails, its error reaches the
caller unchanged and the other side is not attempted. Then the second side is
written inside the same replay scope, so it gets the same ids and timestamps,
and with the first side's answer at hand (:func:`interfaces.known.known_result`),
so that an adapter may write it without reading first.
Its failure never reaches the caller: it is recorded and appended to the
repair log. While the entity's write breaker is open the second write is
skipped (and logged for repair) so that a failing secondary does not slow
callers down. When both sides returned a value, the two results are compared
off the request path.

Outside a routed unit of work each side's write runs in a unit of work of its
own (:class:`~dal.routing.planned.Planned`): the authoritative side commits, and
gives its MySQL connection back to the pool, before the second side is written,
so a slow DynamoDB write does not keep a MySQL connection from other callers. A
write inside ``with store.unit_of_work():`` joins the caller's units of work,
which commit when the block ends (:mod:`dal.routing.uow`).

The second write has a time budget (:attr:`ShadowSettings.secondary_write_seconds`):
it runs within that deadline (:func:`interfaces.deadline`), which the adapters
honour on the calling thread, so a unit of work's session never leaves the
caller's context. A second write that exceeds its budget, failed or answered
late, counts as a failure for the write breaker, is recorded, and goes to the
repair log as ``secondary_write_slow``; it is not compared. A second write
slower than the slow-call threshold but within its budget counts as a failure
for the breaker only: its write is in place.

With deferred secondary writes (:mod:`dal.routing.deferred`) only the authoritative
side is written on the caller's thread; the second side is written by the drainer
from the repair log, so the two results are not compared (shadow reads still are).
"""

from __future__ import annotations

import time
from typing import Any

from dal.routing.calls import Operation, Targets
from dal.routing.compare import ANSWER_ERRORS, Outcome, is_answer, oriented
from dal.routing.deferred import DEFERRED, Drainer
from dal.routing.flags import FlagSnapshot
from dal.routing.planned import Planned
from dal.routing.replay import replay_scope
from dal.routing.services import DeferredNote
from dal.routing.shadow import Attempt
from dal.routing.stages import Plan, Side, Stage
from dal.routing.uow import UnitOfWorkState, WriteNote, current_unit_of_work
from interfaces.deadlines import deadline
from interfaces.errors import DeadlineExceeded
from interfaces.known import known_result

__all__ = ["Writes"]


class Writes(Planned):
    """Runs commands as the stage plans them."""

    def call(
        self, targets: Targets, operation: Operation, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        """Run one command and return the authoritative side's result (in the call's span)."""
        snapshot, stage, plan = self._plan(operation)
        with operation.metrics.telemetry.routed(stage.value, ANSWER_ERRORS):
            return self._run(targets, operation, snapshot, stage, plan, args, kwargs)

    def _run(
        self,
        targets: Targets,
        operation: Operation,
        snapshot: FlagSnapshot,
        stage: Stage,
        plan: Plan,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        unit_of_work = current_unit_of_work()
        if unit_of_work is not None:
            unit_of_work.dirty = True
        first, second = plan.authoritative, plan.secondary
        if second is None:
            return self._call_primary(targets, operation, first, stage, args, kwargs).value
        drainer = self._services.drainer
        if drainer is not None:
            deferred = (stage, first, second, drainer)
            return self._deferred(targets, operation, deferred, args, kwargs, unit_of_work)
        with replay_scope() as scope:
            primary = self._call_primary(targets, operation, first, stage, args, kwargs)
            scope.start_replay()
            value = primary.value
            outcome = self._secondary(targets, operation, second, stage, args, kwargs, value)
        if outcome is None:
            return value
        if unit_of_work is not None:
            unit_of_work.writes.append(WriteNote(operation, stage, second, (args, kwargs), value))
        if value is not None or outcome.value is not None:
            ignore = snapshot.ignore_rules(operation.entity, operation.name)
            try:
                self._compare_later(operation, stage, oriented(first, primary, outcome), ignore)
            except Exception as exc:
                self._services.raised("write comparison", exc)
        return value

    def _deferred(
        self,
        targets: Targets,
        operation: Operation,
        deferred: tuple[Stage, Side, Side, Drainer],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        unit_of_work: UnitOfWorkState | None,
    ) -> Any:
        """Write the authoritative side only; its ``deferred`` entry goes to the repair log
        now, or when the caller's unit of work commits (none if it rolls back)."""
        services = self._services
        stage, first, second, drainer = deferred
        drainer.throttle(operation.entity)
        value = self._call_primary(targets, operation, first, stage, args, kwargs).value
        try:
            entry = services.entry(operation, stage, second, DEFERRED, (args, kwargs), value)
        except Exception as exc:
            services.repair_lost(operation, stage, second, DEFERRED, None, exc)
            return value
        note = DeferredNote(operation, stage, second, entry)
        if unit_of_work is not None:
            unit_of_work.deferred.append(note)
        else:
            services.deferred([note])
        return value

    def _secondary(
        self,
        targets: Targets,
        operation: Operation,
        side: Side,
        stage: Stage,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        value: object,
    ) -> Outcome | None:
        """Write the second side; None when it failed or was skipped (then it is in the log)."""
        services = self._services
        breaker = services.breakers.get(operation.entity, "write")
        if services.settings.break_writes and not breaker.allow():
            services.dropped(operation, stage, "circuit_open")
            services.repair(
                operation, stage, side, "secondary_write_skipped", (args, kwargs), value, None
            )
            return None
        budget = services.settings.secondary_write_seconds
        metrics = operation.metrics
        started = time.perf_counter()
        try:
            with (
                deadline(budget),
                known_result(value),
                metrics.telemetry.side(side.value, stage.value, ANSWER_ERRORS),
                self._own_unit_of_work(targets, side),
            ):
                result = targets.method(side, operation.name)(*args, **kwargs)
        except Exception as exc:
            elapsed = time.perf_counter() - started
            metrics.latency(side.value, elapsed, stage.value)
            over = elapsed >= budget or isinstance(exc, DeadlineExceeded)
            # an answer (an error about the data) says the secondary is up, unless it was slow
            breaker.finished(elapsed, failed=over or not is_answer(exc))
            services.failure(operation, side, stage, exc, elapsed, args, kwargs, value)
            reason = "secondary_write_slow" if over else "secondary_write_failed"
            services.repair(operation, stage, side, reason, (args, kwargs), value, exc)
            return None
        elapsed = time.perf_counter() - started
        metrics.latency(side.value, elapsed, stage.value)
        if elapsed > budget:
            # stored, but after the caller's budget: a failure all the same, kept for repair
            breaker.failure()
            late = DeadlineExceeded(
                f"the {side.value} side answered after {elapsed:.3f} s, "
                f"over its budget of {budget:g} s"
            )
            services.failure(operation, side, stage, late, elapsed, args, kwargs, value)
            services.repair(
                operation, stage, side, "secondary_write_slow", (args, kwargs), value, late
            )
            return None
        breaker.finished(elapsed)
        return Outcome(value=result, latency=elapsed)

    def _compare_later(
        self,
        operation: Operation,
        stage: Stage,
        outcomes: tuple[Outcome, Outcome],
        ignore: tuple[str, ...],
    ) -> None:
        services = self._services
        old, new = outcomes

        def compare(attempt: Attempt) -> None:
            verdict = services.verdict(operation, old, new, ignore)
            if verdict is not None:
                services.compared(operation, stage, verdict, old, new)

        self._submit(operation, stage, compare, None, _nothing)


def _nothing() -> None:
    return None
