"""What the read and the write path do alike: find the stage's plan, call the answering side.

Each side's call is a client span (a child of the routed call's span) and one record
of the duration histogram, fed by the same timer as the router's own metrics.

A routed store's call made outside its unit of work runs each side's call in a
unit of work of its own (:meth:`Planned._own_unit_of_work`): the first side's is
committed, and its MySQL connection back in the pool, before the second side is
called. Inside ``with store.unit_of_work():`` the sides' calls join the caller's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from dal.routing.calls import Operation, Targets
from dal.routing.compare import ANSWER_ERRORS, Outcome, is_answer
from dal.routing.flags import FlagSnapshot
from dal.routing.services import Services
from dal.routing.shadow import Work
from dal.routing.stages import PLANS, Plan, Side, Stage
from dal.routing.uow import current_unit_of_work

__all__ = ["Planned"]


class Planned:
    """Base of the read and write paths: both run an operation as its stage plans it."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def _plan(self, operation: Operation) -> tuple[FlagSnapshot, Stage, Plan]:
        """The flags as they are now, the stage they give ``operation`` and its plan."""
        snapshot = self._services.flags.snapshot()
        stage = snapshot.stage_for(operation.key, operation.entity)
        return snapshot, stage, PLANS[stage]

    def _call_primary(
        self,
        targets: Targets,
        operation: Operation,
        side: Side,
        stage: Stage,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        deliver: Callable[[Outcome], None] | None = None,
    ) -> Outcome:
        """Call the side whose result the caller gets, timed and counted.

        Its error reaches the caller unchanged (a failure that is not an answer is
        recorded first); ``deliver`` gets the outcome either way.
        """
        metrics = operation.metrics
        started = time.perf_counter()
        try:
            with metrics.telemetry.side(side.value, stage.value, ANSWER_ERRORS):
                with self._own_unit_of_work(targets, side):
                    value = targets.method(side, operation.name)(*args, **kwargs)
        except BaseException as exc:
            elapsed = time.perf_counter() - started
            metrics.called(side.value, elapsed, stage.value)
            if deliver is not None:
                deliver(Outcome(error=exc, latency=elapsed))
            if isinstance(exc, Exception) and not is_answer(exc):
                self._services.failure(operation, side, stage, exc, elapsed, args, kwargs)
            raise
        elapsed = time.perf_counter() - started
        metrics.called(side.value, elapsed, stage.value)
        outcome = Outcome(value=value, latency=elapsed)
        if deliver is not None:
            deliver(outcome)
        return outcome

    @staticmethod
    def _own_unit_of_work(targets: Targets, side: Side) -> AbstractContextManager[None]:
        """``side``'s unit of work for one call made outside the routed unit of work.

        Nothing (the call joins the caller's) inside a routed unit of work, or when
        the routed object has no units of work (:meth:`Router.route`).
        """
        units = targets.units_of_work
        if units is None or current_unit_of_work() is not None:
            return nullcontext()
        return units[side]()

    def _submit(
        self,
        operation: Operation,
        stage: Stage,
        work: Work,
        budget: float | None,
        on_timeout: Callable[[], None],
        on_settled: Callable[[], None] | None = None,
    ) -> bool:
        """Queue ``work`` off the request path; False (the drop recorded) if the pool refused.

        ``on_settled`` runs once the accepted work is over
        (:meth:`~dal.routing.shadow.ShadowRunner.submit`).
        """
        runner = self._services.runner
        accepted = runner.submit(work, budget=budget, on_timeout=on_timeout, on_settled=on_settled)
        if accepted is not None:
            return True
        self._services.dropped(operation, stage, "closed" if runner.closed else "pool_full")
        return False
