"""Queries: the caller's answer on the request path, the shadow read off it.

In a stage that reads both sides, the secondary read is handed to the shadow
pool *before* the primary runs, so both run at the same time; the caller gets
the primary's answer (or error) as soon as it is there and never waits for the
secondary. The worker then waits for the primary's outcome, compares, and
records. A read the flags sample out, an open circuit breaker, a full pool or
a unit of work that has already written skips the shadow read (counted).

With shadow processes (``ShadowSettings.processes``, :mod:`dal.routing.processes`) the
primary runs first and the caller only enqueues the job with its outcome; a worker
process runs the same :class:`_ShadowRead` with that outcome already delivered.

The secondary read runs within the deadline of its budget (:func:`interfaces.deadline`),
so an adapter that honours it frees the worker when the budget ends; a read that
answered slower than the slow-call threshold is still compared, and counts as a
failure for the read breaker.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any, Protocol

from dal.routing.calls import Operation, Targets
from dal.routing.compare import ANSWER_ERRORS, Outcome, Verdict, oriented
from dal.routing.flags import FlagSnapshot
from dal.routing.planned import Planned
from dal.routing.recording import Category
from dal.routing.services import Services
from dal.routing.shadow import Attempt
from dal.routing.stages import PLANS, Side, Stage
from dal.routing.uow import current_unit_of_work
from dal.telemetry.correlation import current_correlation_id
from dal.telemetry.spans import failed
from interfaces.consistency import index_copies
from interfaces.deadlines import deadline

if TYPE_CHECKING:
    from dal.routing.processes import ShadowJob, ShadowProcesses

__all__ = ["Reads", "Rules", "eventually_consistent"]


class Rules(Protocol):
    """The flags' comparison rules of an operation (a :class:`FlagSnapshot` is one)."""

    def ignore_rules(self, entity: str, operation: str) -> tuple[str, ...]:
        """Path patterns left out of the comparison."""
        ...

    def unordered_paths(self, entity: str, operation: str) -> tuple[str, ...]:
        """Paths of lists compared regardless of order."""
        ...


def eventually_consistent(services: Services, operation: Operation, args: tuple[Any, ...]) -> bool:
    """Whether a difference in this read is re-read once before it counts."""
    entity, name = operation.entity, operation.name
    reads = services.eventually_consistent
    if (entity, name) in reads:
        return True
    named = args[0] if name == "query" and args else None
    return isinstance(named, str) and (entity, f"query.{named}") in reads


class Reads(Planned):
    """Runs queries as the stage plans them."""

    def call(
        self, targets: Targets, operation: Operation, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        """Run one query and return the primary side's answer."""
        snapshot, stage, plan = self._plan(operation)
        processes = self._services.processes
        if plan.shadow is not None and processes is not None:
            return self._call_offloaded(
                processes, targets, operation, stage, snapshot, args, kwargs
            )
        with operation.metrics.telemetry.routed(stage.value, ANSWER_ERRORS):
            shadow = None
            if plan.shadow is not None:
                try:
                    shadow = self._start_shadow(targets, operation, stage, snapshot, args, kwargs)
                except Exception as exc:
                    self._services.raised("shadow start", exc)
            deliver = None if shadow is None else shadow.deliver
            primary = plan.returned
            outcome = self._call_primary(targets, operation, primary, stage, args, kwargs, deliver)
        return outcome.value

    def _call_offloaded(
        self,
        processes: ShadowProcesses,
        targets: Targets,
        operation: Operation,
        stage: Stage,
        snapshot: FlagSnapshot,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        """The primary read, then the shadow read handed to a worker process with its outcome."""
        primary = PLANS[stage].returned
        with operation.metrics.telemetry.routed(stage.value, ANSWER_ERRORS):
            skip = self._skip_reason(operation, snapshot)
            if skip is None and not processes.admit():
                skip = "sampled_adaptive"
            if skip is not None:
                operation.metrics.shadow(skip, stage.value)
                return self._call_primary(targets, operation, primary, stage, args, kwargs).value
            delivered: list[Outcome] = []
            try:
                outcome = self._call_primary(
                    targets, operation, primary, stage, args, kwargs, delivered.append
                )
            finally:
                if delivered and delivered[0].answered:
                    self._enqueue(processes, operation, stage, snapshot, args, kwargs, delivered[0])
        return outcome.value

    def _enqueue(
        self,
        processes: ShadowProcesses,
        operation: Operation,
        stage: Stage,
        snapshot: FlagSnapshot,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        primary: Outcome,
    ) -> None:
        from dal.routing.processes import ShadowJob

        entity, name = operation.entity, operation.name
        try:
            job = ShadowJob(
                entity=entity,
                route=operation.route,
                operation=name,
                stage=stage.value,
                args=args,
                kwargs=kwargs,
                primary=primary,
                ignore=tuple(snapshot.ignore_rules(entity, name)),
                unordered=tuple(snapshot.unordered_paths(entity, name)),
                reread=eventually_consistent(self._services, operation, args),
                correlation_id=current_correlation_id(),
            )
            processes.submit(operation, stage, job)
        except Exception as exc:
            self._services.raised("shadow start", exc)

    def start_job(
        self,
        targets: Targets,
        operation: Operation,
        job: ShadowJob,
        rules: Rules,
        on_settled: Callable[[], None],
    ) -> bool:
        """Run ``job`` (in a worker process) on this router's pool, its primary delivered.

        False (the drop counted) when it did not start; else ``on_settled`` runs once it is over.
        """
        services = self._services
        stage = Stage(job.stage)
        breaker = services.breakers.get(operation.entity, "read")
        if not breaker.allow():
            services.dropped(operation, stage, "circuit_open")
            return False
        read = _ShadowRead(
            services, targets, operation, stage, rules, job.args, job.kwargs, reread=job.reread
        )
        budget = services.settings.budget
        if not self._submit(operation, stage, read.run, budget, read.timed_out, on_settled):
            breaker.release()
            return False
        read.deliver(job.primary)
        return True

    def _start_shadow(
        self,
        targets: Targets,
        operation: Operation,
        stage: Stage,
        snapshot: FlagSnapshot,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> _ShadowRead | None:
        services = self._services
        skip = self._skip_reason(operation, snapshot)
        adaptive = services.settings.adaptive
        if skip is None and adaptive and not self._admit():
            skip = "sampled_adaptive"
        if skip is not None:
            operation.metrics.shadow(skip, stage.value)
            return None
        breaker = services.breakers.get(operation.entity, "read")
        if not breaker.allow():
            services.dropped(operation, stage, "circuit_open")
            return None
        read = _ShadowRead(services, targets, operation, stage, snapshot, args, kwargs)
        if not self._submit(operation, stage, read.run, services.settings.budget, read.timed_out):
            breaker.release()
            if adaptive and not services.runner.closed:
                services.sampling.full()
            return None
        return read

    def _admit(self) -> bool:
        """Whether the thread pool's adaptive sampling lets this read through (raising its
        factor first while at most half the pool's queue waits)."""
        services = self._services
        sampling, settings = services.sampling, services.settings
        if sampling.factor < 1.0 and services.runner.pool().queued * 2 <= settings.queue_size:
            sampling.room()
        return sampling.admit()

    @staticmethod
    def _skip_reason(operation: Operation, snapshot: FlagSnapshot) -> str | None:
        ratio = snapshot.sampling_ratio(operation.entity, operation.name)
        if ratio < 1.0 and random.random() >= ratio:
            return "sampled_out"
        unit_of_work = current_unit_of_work()
        if unit_of_work is not None and unit_of_work.dirty:
            return "dirty_unit_of_work"
        return None


class _ShadowRead:
    """One shadow read: run on a worker, compared with the primary's outcome."""

    def __init__(
        self,
        services: Services,
        targets: Targets,
        operation: Operation,
        stage: Stage,
        snapshot: Rules,
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
        *,
        reread: bool | None = None,
    ) -> None:
        self._services = services
        self._reread_wanted = reread
        self._targets = targets
        self._operation = operation
        self._stage = stage
        self._plan = PLANS[stage]
        self._snapshot = snapshot
        self._args = args
        self._kwargs = kwargs
        self._primary: Outcome | None = None
        self._primary_ready = threading.Event()
        self._began = time.time()
        """When the read was asked for: deferred writes made before it should be in its answer."""
        self._unconfirmed: tuple[Verdict, Outcome, Outcome] | None = None
        """A difference awaiting its re-read (recorded as unconfirmed if the re-read times out)."""
        self._unconfirmed_lock = threading.Lock()

    def deliver(self, outcome: Outcome) -> None:
        """Hand over the primary's outcome (called on the caller's thread)."""
        self._primary = outcome
        self._primary_ready.set()

    def timed_out(self) -> None:
        """The secondary (or the re-read) did not answer within the budget.

        A difference whose confirming re-read timed out is still recorded, as unconfirmed.
        """
        self._services.breakers.get(self._operation.entity, "read").failure()
        self._services.dropped(self._operation, self._stage, "timeout")
        unconfirmed = self._take_unconfirmed()
        if unconfirmed is not None:
            self._record(*unconfirmed, reread=True, reread_failed=True)

    def run(self, attempt: Attempt) -> None:
        """The worker's part, in a span that is a child of the caller's routed call."""
        with self._operation.metrics.telemetry.shadow(self._stage.value):
            self._run(attempt)

    def _run(self, attempt: Attempt) -> None:
        """Read the secondary, wait for the primary, compare, record."""
        if not attempt.begin():
            return
        side = self._plan.returned.other
        name, args, kwargs = self._operation.name, self._args, self._kwargs
        telemetry = self._operation.metrics.telemetry
        relaxed = index_copies() if self._services.settings.index_copies else nullcontext(None)
        with _within(attempt), telemetry.side(side.value, self._stage.value) as span:
            with relaxed as copies:
                secondary = self._targets.call_isolated(side, name, args, kwargs)
            if secondary.error is not None:  # call_isolated keeps it: note it on the span
                failed(span, secondary.error, answered=secondary.answered)
        if not attempt.end_budget():
            return
        if not self._secondary_answered(side, secondary):
            return
        if not self._primary_ready.wait(self._services.settings.primary_wait):
            self._services.dropped(self._operation, self._stage, "primary_lost")
            return
        primary = self._primary
        if primary is None or not primary.answered:
            return
        old, new = oriented(self._plan.returned, primary, secondary)
        verdict, reread = self._compare(old, new), False
        if verdict is None:
            return
        if not verdict.matched and copies is not None and copies.served:
            confirmed = self._read_from_table(attempt, side, primary)
            if confirmed is None:
                return
            verdict, old, new = confirmed
        if not verdict.matched and (self._eventually_consistent() or self._writes_deferred()):
            with self._unconfirmed_lock:
                self._unconfirmed = (verdict, old, new)
            reread_verdict = self._reread(attempt)
            if isinstance(reread_verdict, _Abandoned) or self._take_unconfirmed() is None:
                return  # the re-read timed out: timed_out() recorded the difference
            if reread_verdict is None:  # a side failed on the re-read, or the comparator did
                self._record(verdict, old, new, reread=True, reread_failed=True)
                return
            verdict, reread = _after_reread(verdict, reread_verdict), True
        self._record(verdict, old, new, reread=reread)

    def _read_from_table(
        self, attempt: Attempt, side: Side, primary: Outcome
    ) -> tuple[Verdict, Outcome, Outcome] | None:
        """The secondary read again without index copies, compared with the primary.

        An index's copy may lag the table by the index's propagation delay: a
        difference found in it counts only if the table's item differs too. None when
        the read did not answer in time (counted like the first read's failure) or the
        comparison failed.
        """
        if not attempt.rearm(self._services.settings.budget):
            return None
        name, args, kwargs = self._operation.name, self._args, self._kwargs
        with (
            _within(attempt),
            self._operation.metrics.telemetry.side(side.value, self._stage.value),
        ):
            secondary = self._targets.call_isolated(side, name, args, kwargs)
        if not attempt.end_budget():
            return None
        if not secondary.answered:
            self._secondary_answered(side, secondary)  # counts the failure
            return None
        old, new = oriented(self._plan.returned, primary, secondary)
        verdict = self._compare(old, new)
        return None if verdict is None else (verdict, old, new)

    def _take_unconfirmed(self) -> tuple[Verdict, Outcome, Outcome] | None:
        with self._unconfirmed_lock:
            unconfirmed, self._unconfirmed = self._unconfirmed, None
        return unconfirmed

    def _secondary_answered(self, side: Side, secondary: Outcome) -> bool:
        services, operation = self._services, self._operation
        breaker = services.breakers.get(operation.entity, "read")
        if secondary.latency is not None:
            operation.metrics.latency(side.value, secondary.latency, self._stage.value)
        if secondary.answered:
            breaker.finished(secondary.latency or 0.0)
            return True
        breaker.failure()
        error = secondary.error
        if isinstance(error, Exception):
            context = (self._args, self._kwargs)
            services.failure(operation, side, self._stage, error, secondary.latency, *context)
        return False

    def _writes_deferred(self) -> bool:
        """Whether a deferred write of the entity, made before this read, may not have
        reached the secondary yet (then a difference is read again once it has)."""
        drainer = self._services.drainer
        return drainer is not None and drainer.writes_open(self._operation.entity, self._began)

    def _eventually_consistent(self) -> bool:
        if self._reread_wanted is not None:
            return self._reread_wanted
        return eventually_consistent(self._services, self._operation, self._args)

    def _compare(self, old: Outcome, new: Outcome) -> Verdict | None:
        entity, name = self._operation.entity, self._operation.name
        return self._services.verdict(
            self._operation,
            old,
            new,
            self._snapshot.ignore_rules(entity, name),
            self._snapshot.unordered_paths(entity, name),
        )

    def _reread(self, attempt: Attempt) -> Verdict | _Abandoned | None:
        """Read both sides again after the delay and compare.

        With deferred secondary writes, the re-read first waits (at most their ``max_lag``)
        until the entity's deferred writes made before the read are applied.
        :data:`_ABANDONED` when the re-read ran out of time; None when a side failed
        (each failure recorded as an error) or the comparison itself failed.
        """
        settings = self._services.settings
        drainer = self._services.drainer
        if drainer is not None:  # deferred writes made before the read are applied first
            drainer.wait_applied(self._operation.entity, self._began, drainer.max_lag)
        time.sleep(settings.reread_delay)
        if not attempt.rearm(settings.budget):
            return _ABANDONED
        name, args, kwargs = self._operation.name, self._args, self._kwargs
        telemetry, stage = self._operation.metrics.telemetry, self._stage.value
        with _within(attempt):
            with telemetry.side(Side.OLD.value, stage):
                old = self._targets.call_isolated(Side.OLD, name, args, kwargs)
            with telemetry.side(Side.NEW.value, stage):
                new = self._targets.call_isolated(Side.NEW, name, args, kwargs)
        if not attempt.end_budget():
            return _ABANDONED
        if not (old.answered and new.answered):
            for side, outcome in ((Side.OLD, old), (Side.NEW, new)):
                if isinstance(outcome.error, Exception) and not outcome.answered:
                    self._services.failure(
                        self._operation,
                        side,
                        self._stage,
                        outcome.error,
                        outcome.latency,
                        args,
                        kwargs,
                    )
            return None
        return self._compare(old, new)

    def _record(
        self,
        verdict: Verdict,
        old: Outcome,
        new: Outcome,
        *,
        reread: bool,
        reread_failed: bool = False,
    ) -> None:
        self._services.compared(
            self._operation, self._stage, verdict, old, new, reread, reread_failed=reread_failed
        )


class _Abandoned:
    """The re-read ran out of its time budget."""


_ABANDONED = _Abandoned()


def _within(attempt: Attempt) -> AbstractContextManager[None]:
    """The deadline of ``attempt``'s budget for the calls in the block (none without a budget)."""
    left = attempt.time_left()
    return nullcontext() if left is None else deadline(left)


def _after_reread(first: Verdict, second: Verdict) -> Verdict:
    """A difference the re-read no longer shows is transient; else the re-read's verdict counts."""
    if second.matched:
        return Verdict(matched=True, category=Category.TRANSIENT, differences=first.differences)
    return second
