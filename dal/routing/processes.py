"""Shadow reads in worker processes: the caller pays for an enqueue, not for the secondary read.

With ``ShadowSettings(processes=N)`` (``DAL_SHADOW_PROCESSES``) the router does not
read the secondary on a thread of the caller's process, where its client work
competes with the caller for the interpreter. The caller runs the primary read,
then :meth:`ShadowProcesses.submit` pickles a compact :class:`ShadowJob` (entity,
operation, arguments, the primary's outcome, the stage, the flags' ignore and
unordered rules for it, whether it is re-read, the correlation id) and puts it on
the queue of one of ``N`` worker processes (``spawn`` start method). Besides the jobs
the workers run (``process_threads`` each), at most ``queue_size`` wait; one more
is dropped at once as ``queue_full`` and halves the adaptive sampling factor
(:class:`AdaptiveSampling`).

Each worker process builds, once, what it needs from a picklable factory (a
module-level callable returning :class:`ShadowParts`: the two stores, or a
function routing hand-made repositories, and optionally a recorder): a router of
its own in thread mode whose routed targets it calls. A job runs there as in
thread mode: the secondary read within the budget, the secondary's circuit
breaker (kept in the worker), the comparison, the eventually consistent re-read,
the record. Every count (latencies, comparisons, errors, drops, failures of the
machinery) goes back with the job's completion over a pipe; a thread of the
caller's process applies it to the router's :class:`~dal.routing.metrics.Metrics`
(and so to its OpenTelemetry instruments), so reports see the same totals as in
thread mode. Records go to the factory's recorder in the worker (a
:class:`~dal.routing.recording.JsonlRecorder` on a folder writes a file per
process) or, when the factory gives none, back to the router's recorder.

:meth:`ShadowProcesses.flush` waits until every job accepted so far is done. A
worker that dies is started again; the jobs it held count as dropped
(``worker_lost``). A worker that cannot start (its factory raises: a database it
cannot reach, a module it cannot import) sends its error and exits; after
:data:`START_ATTEMPTS` such starts in a row the router stops starting workers, logs
the error once, reports it in :meth:`ShadowProcesses.state` and drops every shadow
read as ``no_workers`` (the callers are served as ever).
:meth:`ShadowProcesses.close` stops the workers.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import itertools
import logging
import multiprocessing
import os
import pickle
import queue
import threading
import time
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.context import SpawnContext
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from typing import TYPE_CHECKING, Any

from dal.routing.calls import Operation, Targets
from dal.routing.compare import CompareSettings, Outcome
from dal.routing.metrics import Metrics, OperationMetrics
from dal.routing.recording import ErrorRecord, Record, Recorder
from dal.routing.redaction import scrub_message
from dal.routing.shadow import AdaptiveSampling, ShadowSettings
from dal.routing.stages import Stage
from dal.telemetry import default_telemetry
from dal.telemetry.correlation import enter_correlation, leave_correlation

if TYPE_CHECKING:
    from dal.routing.router import Router
    from dal.routing.services import Services

__all__ = [
    "START_ATTEMPTS",
    "AdaptiveSampling",
    "ProcessPoolState",
    "ShadowFactory",
    "ShadowJob",
    "ShadowParts",
    "ShadowProcesses",
    "parent_alive",
]

log = logging.getLogger("dal.routing")

_START_METHOD = "spawn"
START_ATTEMPTS = 3
"""Starts in a row that fail before the router gives up starting worker processes."""
_POLL = 0.2
_SEND_INTERVAL = 0.02
"""Seconds a worker lets completed jobs gather before it sends them back."""
"""Seconds the results thread waits at most before it looks at the workers again."""


@dataclass(frozen=True)
class ShadowParts:
    """What a shadow worker process reads and records with, built once in the process.

    ``old`` and ``new`` are the two stores (routed as :meth:`Router.route_store`
    routes them); ``routes``, if given, routes hand-made repositories on the
    worker's router (``lambda router: router.route("users", Users, old=..., new=...)``,
    the same calls as in the caller's process). ``recorder`` receives the worker's
    records (None: they go back to the router's recorder); ``close`` runs when the
    worker stops.
    """

    old: Any = None
    new: Any = None
    routes: Callable[[Router], None] | None = None
    recorder: Recorder | None = None
    close: Callable[[], None] | None = None


ShadowFactory = Callable[[], ShadowParts]
"""Builds a worker's :class:`ShadowParts`; must be picklable (a module-level function,
or a :func:`functools.partial` of one with picklable arguments)."""


@dataclass(frozen=True, slots=True)
class ShadowJob:
    """One shadow read as it crosses to a worker process."""

    entity: str
    route: str
    operation: str
    stage: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    primary: Outcome
    ignore: tuple[str, ...] = ()
    unordered: tuple[str, ...] = ()
    reread: bool = False
    correlation_id: str | None = None


@dataclass(frozen=True)
class ProcessPoolState:
    """The shadow processes now: ``processes`` alive of ``configured``, ``pending`` jobs
    (queued or running), ``restarts`` of workers that died, and the adaptive ``sampling``
    factor (1.0: every sampled read is enqueued); ``pids`` of the live workers; ``error``,
    once the workers could not start :data:`START_ATTEMPTS` times in a row, the last
    start's error (shadow reads are then dropped as ``no_workers``)."""

    configured: int
    processes: int
    pending: int
    restarts: int
    sampling: float
    pids: tuple[int, ...] = ()
    error: str | None = None


# --- the caller's process ------------------------------------------------------------------


@dataclass(frozen=True)
class _Boot:
    """What a worker process is given when it starts (besides the factory)."""

    settings: ShadowSettings
    compare: CompareSettings
    number: int
    repair_log: str | None = None
    """With deferred secondary writes, the log the worker follows (never writes) to know
    which writes the drainer has not applied yet."""


@dataclass
class _Worker:
    """One worker process as the router sees it."""

    number: int
    process: BaseProcess
    jobs: Queue[Any]
    results: Connection
    pending: dict[int, tuple[Operation, Stage]] = field(default_factory=dict)
    alive: bool = True
    ready: bool = False
    """Whether it has built its parts (a worker that dies before failed to start)."""
    breakers: dict[str, str] = field(default_factory=dict)
    """Its breakers' states, as it last sent them."""
    error: str | None = None
    """What it sent when it could not start."""


class ShadowProcesses:
    """The worker processes of one router, their job queues, and the thread reading results."""

    def __init__(self, services: Services, factory: ShadowFactory) -> None:
        self._services = services
        self._settings = services.settings
        self._factory = factory
        self._context = typing.cast(SpawnContext, multiprocessing.get_context(_START_METHOD))
        self.sampling = services.sampling
        self._limit = self._settings.queue_size + self._settings.processes * max(
            1, self._settings.process_threads
        )
        """Jobs pending at the most: those the workers run, and ``queue_size`` waiting."""
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._workers: list[_Worker] = []
        self._pending = 0
        self._numbers = itertools.count()
        self._restarts = 0
        self._failed_starts = 0
        self._error: str | None = None
        self._started = False
        self._closed = False
        self._reader: threading.Thread | None = None

    # --- the request path ----------------------------------------------------------------

    def admit(self) -> bool:
        """Whether the adaptive sampling lets this read through (raising its factor first
        while the queue is at most half full)."""
        if self._pending * 2 <= self._limit:
            self.sampling.room()
        return self.sampling.admit()

    def submit(
        self,
        operation: Operation,
        stage: Stage,
        job: ShadowJob,
    ) -> bool:
        """Queue ``job`` for a worker; False (the drop counted) when it cannot be queued.

        Never waits for a worker: a full queue drops the job (``queue_full``).
        """
        services = self._services
        if self._closed:
            services.dropped(operation, stage, "closed")
            return False
        if self._error is not None:
            services.dropped(operation, stage, "no_workers")
            return False
        number = next(self._numbers)
        try:
            payload = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an argument or answer that does not pickle
            services.raised("shadow job", exc)
            services.dropped(operation, stage, "unpicklable")
            return False
        limit = self._limit
        with self._lock:
            if self._closed or self._pending >= limit:
                worker = None
            else:
                if not self._started:
                    self._start()
                worker = (
                    None
                    if self._error is not None
                    else min(
                        (w for w in self._workers if w.alive),
                        key=lambda w: len(w.pending),
                        default=None,
                    )
                )
                if worker is not None:
                    worker.pending[number] = (operation, stage)
                    self._pending += 1
        if worker is None:
            if self._closed:
                services.dropped(operation, stage, "closed")
            elif self._error is not None:
                services.dropped(operation, stage, "no_workers")
            else:
                self.sampling.full()
                services.dropped(operation, stage, "queue_full")
            return False
        try:
            worker.jobs.put_nowait((number, (job.entity, job.operation, job.stage), payload))
        except Exception as exc:  # the worker's queue is closed: it was just replaced
            if self._done(worker, number):  # else counted with the worker's other jobs
                services.raised("shadow job", exc)
                services.dropped(operation, stage, "worker_lost")
            return False
        return True

    # --- state, flush and close ----------------------------------------------------------

    def breaker_states(self) -> list[dict[str, str]]:
        """Each live worker's breaker states, as it last sent them."""
        with self._lock:
            return [dict(w.breakers) for w in self._workers if w.alive]

    def state(self) -> ProcessPoolState:
        """The workers, pending jobs, restarts and the adaptive sampling factor now."""
        with self._lock:
            alive = [w for w in self._workers if w.alive and w.process.is_alive()]
            return ProcessPoolState(
                self._settings.processes,
                len(alive),
                self._pending,
                self._restarts,
                self.sampling.factor,
                tuple(w.process.pid for w in alive if w.process.pid is not None),
                self._error,
            )

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every job queued so far is done (or lost); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float | None = 5.0) -> bool:
        """Stop the workers: each finishes the jobs it holds, then exits.

        A worker still running after ``timeout`` seconds is terminated (its jobs count
        as ``closed``). False when one had to be terminated.
        """
        with self._lock:
            if self._closed:
                return True
            self._closed = True
            workers = list(self._workers)
        for worker in workers:
            with contextlib.suppress(Exception):
                worker.jobs.put(None)
        deadline = None if timeout is None else time.monotonic() + timeout
        clean = True
        for worker in workers:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            worker.process.join(left)
            if worker.process.is_alive():
                clean = False
                worker.process.terminate()
                worker.process.join(1.0)
        reader = self._reader
        if reader is not None:
            reader.join(5.0)
        for worker in workers:
            self._lose(worker, "closed", restart=False)
            _close_queue(worker.jobs)
            worker.results.close()
        return clean

    # --- workers ---------------------------------------------------------------------------

    def _start(self) -> None:
        """Start every worker and the results thread (lock held)."""
        self._started = True
        for number in range(self._settings.processes):
            self._workers.append(self._spawn(number))
        self._reader = threading.Thread(
            target=self._read_results, name="dal-shadow-results", daemon=True
        )
        self._reader.start()

    def _spawn(self, number: int) -> _Worker:
        services = self._services
        followed = None
        if services.drainer is not None and services.repair_log is not None:
            followed = str(services.repair_log.path)
        boot = _Boot(self._settings, services.comparator.settings, number, followed)
        jobs: Queue[Any] = self._context.Queue()
        reader, writer = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=_worker_main,
            args=(self._factory, boot, jobs, writer),
            name=f"dal-shadow-process-{number}",
            daemon=True,
        )
        process.start()
        writer.close()  # the worker holds the only writer: its death ends the pipe
        return _Worker(number, process, jobs, reader)

    def _read_results(self) -> None:
        """Apply what the workers send back; notice a worker that died and replace it."""
        while True:
            with self._lock:
                if self._closed and not any(w.alive for w in self._workers):
                    return
                workers = [w for w in self._workers if w.alive]
            by_results: dict[object, _Worker] = {w.results: w for w in workers}
            by_sentinel: dict[object, _Worker] = {w.process.sentinel: w for w in workers}
            try:
                ready: list[object] = list(wait([*by_results, *by_sentinel], _POLL))  # type: ignore[list-item]
            except OSError:
                ready = []
            for item in ready:
                worker = by_results.get(item)
                if worker is not None:
                    self._receive(worker)
            for item in ready:
                worker = by_sentinel.get(item)
                if worker is not None and worker.alive:
                    self._drain(worker)
                    self._lose(worker, "closed" if self._closed else "worker_lost")
            if self._closed and not ready:
                with self._lock:
                    for worker in self._workers:
                        if worker.alive and not worker.process.is_alive():
                            worker.alive = False

    def _receive(self, worker: _Worker) -> None:
        try:
            message = worker.results.recv()
        except (EOFError, OSError):
            return  # the worker is gone; its sentinel says so
        except Exception as exc:
            self._services.raised("shadow results", exc)
            return
        self._handle(worker, message)

    def _drain(self, worker: _Worker) -> None:
        """Apply whatever a worker that exited sent before it did."""
        try:
            while worker.results.poll():
                self._handle(worker, worker.results.recv())
        except (EOFError, OSError):
            pass
        except Exception as exc:
            self._services.raised("shadow results", exc)

    def _handle(self, worker: _Worker, message: object) -> None:
        if message == ("ready",):
            worker.ready = True
            with self._lock:
                self._failed_starts = 0
            return
        if isinstance(message, tuple) and len(message) == 2 and message[0] == "failed":
            worker.error = str(message[1])
            return
        if not isinstance(message, tuple) or len(message) != 3 or message[0] != "done":
            return
        if isinstance(message[2], dict):
            worker.breakers = message[2]
        for number, events in message[1]:
            with self._lock:
                known = number in worker.pending
            if known:
                try:
                    _apply(self._services, pickle.loads(events))
                except Exception as exc:
                    self._services.raised("shadow results", exc)
                self._done(worker, number)

    def _done(self, worker: _Worker, number: int) -> bool:
        """Job ``number`` of ``worker`` is over; False if it was already (lost)."""
        with self._lock:
            if worker.pending.pop(number, None) is None:
                return False
            self._pending -= 1
            if self._pending == 0:
                self._idle.notify_all()
            return True

    def _lose(self, worker: _Worker, reason: str, *, restart: bool = True) -> None:
        """``worker`` is gone: its pending jobs are dropped for ``reason``; start another."""
        with self._lock:
            lost = list(worker.pending.values())
            worker.pending.clear()
            worker.alive = False
            self._pending -= len(lost)
            gave_up = False
            if not worker.ready and reason == "worker_lost":
                self._failed_starts += 1
                if self._failed_starts >= START_ATTEMPTS and self._error is None:
                    self._error = worker.error or f"exit code {worker.process.exitcode}"
                    gave_up = True
            replace = restart and not self._closed and self._error is None
            if replace:
                self._restarts += 1
        if gave_up:
            log.error(
                "shadow worker processes could not start %d times in a row; no more are "
                "started and shadow reads are dropped as no_workers: %s",
                START_ATTEMPTS,
                self._error,
            )
        elif reason == "worker_lost" and not worker.ready:
            log.warning(
                "shadow worker process %d (pid %s) could not start: %s",
                worker.number,
                worker.process.pid,
                worker.error or f"exit code {worker.process.exitcode}",
            )
        elif reason == "worker_lost":
            log.warning(
                "shadow worker process %d (pid %s) exited with %s; %d pending reads lost",
                worker.number,
                worker.process.pid,
                worker.process.exitcode,
                len(lost),
            )
        for operation, stage in lost:
            self._services.dropped(operation, stage, reason)
        if replace:
            _close_queue(worker.jobs)
            worker.results.close()
            try:
                fresh = self._spawn(worker.number)
            except Exception as exc:
                self._services.raised("shadow process start", exc)
                fresh = None
            with self._lock:
                if fresh is not None:
                    self._workers[self._workers.index(worker)] = fresh
        with self._lock:
            if self._pending == 0:
                self._idle.notify_all()


def _close_queue(queue: Queue[Any]) -> None:
    try:
        queue.cancel_join_thread()
        queue.close()
    except Exception:
        pass


def _apply(services: Services, events: Iterable[tuple[Any, ...]]) -> None:
    """Count what a worker counted, on the router's metrics; record what it recorded."""
    metrics = services.metrics
    for event in events:
        kind = event[0]
        if kind == "internal":
            metrics.internal_error(event[1])
        elif kind == "record":
            services.emit(event[1])
        else:
            counters = metrics.operation(event[1], event[2])
            if kind == "latency":
                counters.latency(*event[3:])
            elif kind == "comparison":
                counters.comparison(*event[3:])
            elif kind == "error":
                counters.error(*event[3:])
            elif kind == "shadow":
                counters.shadow(*event[3:])


# --- the worker process --------------------------------------------------------------------

_JOB: contextvars.ContextVar[int | None] = contextvars.ContextVar("dal_shadow_job", default=None)
"""The job a worker thread's events belong to (carried into the worker's shadow pool)."""


class _Events:
    """The events of each job not yet sent back, and the pipe to send them on.

    Completed jobs are sent in batches, at most every ``interval`` seconds, so the
    caller's process wakes up to apply them a few dozen times a second, not once a read.
    """

    def __init__(self, results: Connection, interval: float = _SEND_INTERVAL) -> None:
        self._results = results
        self._interval = interval
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        self._by_job: dict[int | None, list[tuple[Any, ...]]] = {}
        self._outbox: list[tuple[int, bytes]] = []
        self._stopped = False
        self.breakers: Callable[[], dict[str, str]] = dict
        """The worker's breaker states, sent with each batch of completions."""
        self._sender = threading.Thread(target=self._send, name="dal-shadow-send", daemon=True)
        self._sender.start()

    def add(self, event: tuple[Any, ...]) -> None:
        job = _JOB.get()
        with self._lock:
            self._by_job.setdefault(job, []).append(event)

    def done(self, job: int) -> None:
        """Queue job ``job``'s events (and any counted outside a job) with its completion."""
        with self._lock:
            events = self._by_job.pop(job, []) + self._by_job.pop(None, [])
            self._outbox.append((job, _dumps_events(events)))
            if len(self._outbox) == 1:
                self._ready.notify()

    def close(self) -> None:
        """Send what is left and stop the sending thread."""
        with self._lock:
            self._stopped = True
            self._ready.notify()
        self._sender.join()

    def _send(self) -> None:
        while True:
            with self._lock:
                self._ready.wait_for(lambda: self._outbox or self._stopped)
                batch, self._outbox = self._outbox, []
                stopped = self._stopped
            if batch:
                try:
                    states = self.breakers()
                except Exception:  # the states are a report: never lose completions for them
                    states = {}
                self._results.send(("done", batch, states))
            if stopped:
                return
            time.sleep(self._interval)  # let completions gather into the next batch


def _dumps_events(events: list[tuple[Any, ...]]) -> bytes:
    try:
        return pickle.dumps(events, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # a record that does not pickle: its counters still go back
        kept = [event for event in events if event[0] != "record"]
        return pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL)


class _ForwardingOperationMetrics(OperationMetrics):
    """An operation's counters in a worker: each count goes back to the router's."""

    def __init__(self, entity: str, operation: str, events: _Events) -> None:
        super().__init__(entity, operation, default_telemetry().operation(entity, operation))
        self._events = events

    def latency(self, side: str, seconds: float, stage: str) -> None:
        self._events.add(("latency", self.entity, self.operation, side, seconds, stage))

    def comparison(
        self, matched: bool, category: str, stage: str, drifting: Iterable[str] = ()
    ) -> None:
        self._events.add(
            ("comparison", self.entity, self.operation, matched, category, stage, tuple(drifting))
        )

    def error(self, origin: str, stage: str, error_type: str) -> None:
        self._events.add(("error", self.entity, self.operation, origin, stage, error_type))

    def shadow(self, reason: str, stage: str) -> None:
        self._events.add(("shadow", self.entity, self.operation, reason, stage))


class _ForwardingMetrics(Metrics):
    """A worker's metrics: every count goes back to the router in the caller's process."""

    def __init__(self, events: _Events) -> None:
        super().__init__()
        self._events = events

    def operation(self, entity: str, operation: str) -> OperationMetrics:
        key = (entity, operation)
        found = self._operations.get(key)
        if found is None:
            with self._lock:
                found = self._operations.setdefault(
                    key, _ForwardingOperationMetrics(entity, operation, self._events)
                )
        return found

    def internal_error(self, component: str = "router") -> None:
        self._events.add(("internal", component))


class _ForwardingRecorder:
    """A worker's recorder when the factory gives none: records go back to the router's."""

    def __init__(self, events: _Events) -> None:
        self._events = events

    def record(self, record: Record) -> None:
        self._events.add(("record", _portable(record)))

    def close(self) -> None:
        """Nothing to close."""


class ShadowProcessError(Exception):
    """Stands in for a worker's error that cannot cross to the caller's process."""


def _portable(record: Record) -> Record:
    """``record``, with an error that would not survive pickling replaced by its text."""
    if not isinstance(record, ErrorRecord):
        return record
    try:
        pickle.loads(pickle.dumps(record.error))
    except Exception:
        error = ShadowProcessError(f"{type(record.error).__name__}: {record.message}")
        return dataclasses.replace(record, error=error)
    return record


class _FixedRules:
    """The flags' rules for one job's operation, as the caller's snapshot gave them."""

    def __init__(self, ignore: tuple[str, ...], unordered: tuple[str, ...]) -> None:
        self._ignore = ignore
        self._unordered = unordered

    def ignore_rules(self, entity: str, operation: str) -> tuple[str, ...]:
        return self._ignore

    def unordered_paths(self, entity: str, operation: str) -> tuple[str, ...]:
        return self._unordered


class _WorkerRouter:
    """A worker's router (thread mode) over the factory's parts, and its routed targets."""

    def __init__(self, parts: ShadowParts, boot: _Boot, events: _Events) -> None:
        from dal.routing.flags import StaticFlags
        from dal.routing.router import Router
        from dal.routing.workcontext import carry

        carry(_JOB)
        settings = boot.settings
        threads = settings.process_threads
        local = dataclasses.replace(  # it only reads: the caller's process writes
            settings,
            processes=0,
            workers=threads,
            max_workers=threads,
            queue_size=max(settings.queue_size, threads),
            secondary_writes="inline" if boot.repair_log is None else "deferred",
        )
        recorder = parts.recorder if parts.recorder is not None else _ForwardingRecorder(events)
        self.router = Router(
            StaticFlags({}),
            recorder,
            comparator=boot.compare,
            shadow=local,
            metrics_interval=None,
            metrics=_ForwardingMetrics(events),
            repair_log=boot.repair_log,  # followed only: no drain function is given
        )
        self._parts = parts
        self._events = events
        self._store: Any = None
        if parts.old is not None and parts.new is not None:
            self._store = self.router.route_store(parts.old, parts.new)
        if parts.routes is not None:
            parts.routes(self.router)

    def target(self, entity: str, route: str, name: str) -> tuple[Targets, Operation] | None:
        found = self.router.routed_target(entity, route, name)
        if found is None and self._store is not None:
            entities = getattr(self._store, "entities", None)
            if entities is not None:
                entities.repository(entity)  # generic repositories are routed on first use
                found = self.router.routed_target(entity, route, name)
        return found

    def run(self, number: int, header: tuple[str, str, str], payload: bytes) -> None:
        """Start job ``number``; its completion is sent when it settles."""
        token = _JOB.set(number)
        try:
            try:
                job: ShadowJob = pickle.loads(payload)
            except Exception as exc:
                self.router.raised("shadow job", exc)
                entity, name, stage = header
                self._events.add(("shadow", entity, name, "unpicklable", stage))
                self._events.done(number)
                return
            found = self.target(job.entity, job.route, job.operation)
            if found is None:
                self.router.raised(
                    "shadow job", LookupError(f"{job.entity}.{job.operation} is not routed here")
                )
                self._events.done(number)
                return
            targets, operation = found
            correlation = None
            if job.correlation_id is not None:
                correlation = enter_correlation(job.correlation_id)
            try:
                started = self.router.start_shadow_job(
                    targets,
                    operation,
                    job,
                    _FixedRules(job.ignore, job.unordered),
                    lambda: self._events.done(number),
                )
            finally:
                if correlation is not None:
                    leave_correlation(correlation)
            if not started:
                self._events.done(number)
        finally:
            _JOB.reset(token)

    def close(self) -> None:
        self.router.close()
        if self._parts.close is not None:
            self._parts.close()
        recorder = self._parts.recorder
        close = getattr(recorder, "close", None)
        if callable(close):
            close()


def parent_alive() -> bool:
    """Whether the process that started this one still runs (True when it was not started
    by :mod:`multiprocessing`). A worker or drainer process stops once it is gone, so a
    router killed without closing leaves no process behind."""
    parent = multiprocessing.parent_process()
    return parent is None or parent.is_alive()


def _worker_main(
    factory: ShadowFactory, boot: _Boot, jobs: Queue[Any], results: Connection
) -> None:  # pragma: no cover - runs in the worker process (covered by the process tests)
    """A worker process: build the parts, then run jobs until the ``None`` job."""
    if boot.settings.nice:
        with contextlib.suppress(OSError):
            os.nice(boot.settings.nice)
    events = _Events(results)
    try:
        worker = _WorkerRouter(factory(), boot, events)
    except BaseException as exc:
        events.close()
        with contextlib.suppress(Exception):
            results.send(("failed", scrub_message(f"{type(exc).__name__}: {exc}")))
        results.close()
        raise SystemExit(1) from exc
    events.breakers = worker.router.breaker_states
    results.send(("ready",))
    try:
        while True:
            try:
                item = jobs.get(timeout=_POLL * 5)
            except queue.Empty:
                if parent_alive():
                    continue
                break  # the router's process is gone (killed): no one waits for the results
            if item is None:
                break
            number, header, payload = item
            worker.run(number, header, payload)
        worker.router.flush()
    finally:
        worker.close()
        events.close()
        results.close()
