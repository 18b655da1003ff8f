"""What the read, write and unit-of-work paths of the router share.

Recording never fails the caller: :meth:`Services.emit` hands a record to the
recorder and reports a failure through :meth:`Services.raised`, which logs it,
counts it and calls the router's ``on_raised`` hook. Every count also reaches
OpenTelemetry (:mod:`dal.telemetry`); log lines about a routed call name its
correlation id (``correlation_id=...`` in the text and as the log record's
``correlation_id`` attribute). Drop records are
aggregated per operation and reason (at most one per ``drop_interval``) so that
an open circuit breaker under load does not flood the recorder.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dal.routing.calls import Operation, result_key
from dal.routing.compare import Comparator, Outcome, Verdict
from dal.routing.deferred import DEFERRED
from dal.routing.flags import FlagSource
from dal.routing.metrics import Metrics
from dal.routing.recording import (
    Category,
    Comparison,
    DropRecord,
    ErrorRecord,
    MetricsRecord,
    Record,
    Recorder,
)
from dal.routing.redaction import scrub_message
from dal.routing.repairlog import RepairEntry, RepairLog, call_key, entity_version
from dal.routing.shadow import (
    AdaptiveSampling,
    Breakers,
    ShadowRunner,
    ShadowSettings,
    most_open,
)
from dal.routing.stages import Side, Stage
from dal.telemetry import Telemetry, correlation_fields, current_correlation_id

if TYPE_CHECKING:
    from dal.routing.deferred import Drainer
    from dal.routing.processes import ShadowProcesses

__all__ = ["NO_STAGE", "DeferredNote", "RaisedHook", "Services"]

log = logging.getLogger("dal.routing")

RaisedHook = Callable[[str, BaseException], None]

_DROP_KEY = tuple[str, str, Stage | None, str]


@dataclass
class _DropTally:
    count: int = 0
    last_emitted: float = float("-inf")


class Services:
    """The router's shared parts; one instance per :class:`~dal.routing.router.Router`."""

    def __init__(
        self,
        *,
        flags: FlagSource,
        recorder: Recorder | None,
        comparator: Comparator,
        repair_log: RepairLog | None,
        settings: ShadowSettings,
        eventually_consistent: Collection[tuple[str, str]],
        on_raised: RaisedHook | None,
        drop_interval: float = 1.0,
        telemetry: Telemetry | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.flags = flags
        self.recorder = recorder
        self.comparator = comparator
        self.repair_log = repair_log
        self.settings = settings
        self.eventually_consistent: set[tuple[str, str]] = set(eventually_consistent)
        """(entity, operation) reads re-read once; a named query is ``query.<name>``."""
        self.metrics = metrics if metrics is not None else Metrics(telemetry)
        self.telemetry = self.metrics.telemetry
        self.breakers = Breakers(settings)
        self.drainer: Drainer | None = None
        """Applies deferred secondary writes (``secondary_writes="deferred"``); set by the
        router."""
        self.runner = ShadowRunner(settings, self.raised)
        self.sampling = AdaptiveSampling()
        """The adaptive sampling factor (used when ``settings.adapts``)."""
        self.processes: ShadowProcesses | None = None
        """The shadow worker processes, when ``settings.processes`` is above 0."""
        self._on_raised = on_raised
        self._drop_interval = drop_interval
        self._drops: dict[_DROP_KEY, _DropTally] = {}
        self._drops_lock = threading.Lock()
        self._unwatch = [
            self.telemetry.watch_breakers(self.breaker_states),
            self.telemetry.watch_shadow_pool(self._pool_threads),
        ]
        if repair_log is not None:
            self._unwatch.append(self.telemetry.watch_backlog(self._backlog))

    def breaker_states(self) -> dict[str, str]:
        """``{"users.read": "closed", ...}``: this process's breakers and, with shadow
        processes, the workers' read breakers (the most open state of any worker)."""
        workers = () if self.processes is None else self.processes.breaker_states()
        return most_open(self.breakers.states(), *workers)

    def watch_lag(self, source: Callable[[], float]) -> None:
        """Report ``source()`` as the lag of deferred secondary writes (``dal.secondary.lag``)."""
        self._unwatch.append(self.telemetry.watch_lag(source))

    def stop_watching(self) -> None:
        """Stop reporting this router's breakers, shadow pool and repair-log backlog."""
        for stop in self._unwatch:
            stop()
        self._unwatch.clear()

    def _pool_threads(self) -> dict[str, int]:
        """The shadow pool's threads: ``{"busy": ..., "idle": ...}``."""
        pool = self.runner.pool()
        return {"busy": pool.busy, "idle": pool.workers - pool.busy}

    def _backlog(self) -> dict[str, int]:
        """The repair log's pending entries per entity, 0 for a routed entity without any
        ({} when the log cannot be read); deferred writes are the drainer's (lag gauge)."""
        if self.repair_log is None:
            return {}
        try:
            pending = self.repair_log.pending_by_entity(exclude=(DEFERRED,))
        except Exception as exc:
            self.raised("repair log backlog", exc)
            return {}
        return dict.fromkeys(self.metrics.entities(), 0) | pending

    # --- failures of the machinery -------------------------------------------------------

    def raised(self, operation: str, error: BaseException) -> None:
        """Report a failure of the router's own machinery; never raises."""
        try:
            self.metrics.internal_error(operation)
            shown = scrub_message(f"{type(error).__name__}: {error}")
            extra = correlation_fields()
            log.warning(
                "routing machinery failed in %s: %s (correlation_id=%s)",
                operation,
                shown,
                extra["correlation_id"],
                extra=extra,
            )
            if self._on_raised is not None:
                self._on_raised(operation, error)
            if self.recorder is not None and operation != "recorder":
                message = f"{operation}: {shown}"
                self.recorder.record(
                    ErrorRecord("router", "*", operation, None, error, message, None)
                )
        except Exception:
            log.exception("reporting a routing failure failed")

    def emit(self, record: Record) -> None:
        """Give ``record`` to the recorder; a recorder failure goes to :meth:`raised`."""
        if self.recorder is None:
            return
        try:
            self.recorder.record(record)
        except Exception as exc:
            self.raised("recorder", exc)

    def verdict(
        self,
        operation: Operation,
        old: Outcome,
        new: Outcome,
        ignore: tuple[str, ...] = (),
        unordered: tuple[str, ...] = (),
    ) -> Verdict | None:
        """Compare ``old`` with ``new``; None (reported through :meth:`raised`) if that fails."""
        try:
            return self.comparator.compare(
                operation.entity, operation.name, old, new, ignore=ignore, unordered=unordered
            )
        except Exception as exc:
            self.raised("comparator", exc)
            return None

    def compared(
        self,
        operation: Operation,
        stage: Stage,
        verdict: Verdict,
        old: Outcome,
        new: Outcome,
        reread: bool = False,
        *,
        reread_failed: bool = False,
    ) -> None:
        """Count and record the comparison of ``old`` and ``new``.

        ``reread_failed``: the difference could not be confirmed because its re-read
        failed (the failure is recorded on its own); it still counts as a mismatch.
        """
        drifting = [d.path for d in verdict.differences if d.category is Category.DRIFT]
        operation.metrics.comparison(verdict.matched, verdict.category.value, stage.value, drifting)
        self.emit(
            Comparison(
                entity=operation.entity,
                operation=operation.name,
                stage=stage,
                matched=verdict.matched,
                category=verdict.category,
                differences=verdict.differences,
                op_kind=operation.kind,
                old_latency_ms=_ms(old.latency),
                new_latency_ms=_ms(new.latency),
                reread=reread,
                reread_failed=reread_failed,
            )
        )

    # --- side failures, drops, repairs ---------------------------------------------------

    def failure(
        self,
        operation: Operation,
        side: Side,
        stage: Stage,
        error: Exception,
        latency: float | None,
        *context: object,
    ) -> None:
        """Count and record a failure of ``side``.

        ``context`` holds the call's values: sensitive ones are scrubbed from the message.
        """
        operation.metrics.error(side.value, stage.value, type(error).__name__)
        try:
            redactor = self.comparator.redactor
            message = redactor.scrub(str(error), redactor.secrets(*context))
        except Exception as exc:
            self.raised("redaction", exc)
            message = f"<{type(error).__name__}: message withheld, redaction failed>"
        extra = correlation_fields()
        log.warning(
            "%s side of %s.%s failed at %s: %s: %s (correlation_id=%s)",
            side.value,
            operation.entity,
            operation.name,
            stage.value,
            type(error).__name__,
            message,
            extra["correlation_id"],
            extra=extra,
        )
        self.emit(
            ErrorRecord(
                side.value,
                operation.entity,
                operation.name,
                stage,
                error,
                message,
                operation.kind,
                _ms(latency),
            )
        )

    def dropped(self, operation: Operation, stage: Stage | None, reason: str) -> None:
        """Count shadow work skipped for ``reason`` and record it (aggregated)."""
        operation.metrics.shadow(reason, NO_STAGE if stage is None else stage.value)
        key = (operation.entity, operation.name, stage, reason)
        now = time.monotonic()
        with self._drops_lock:
            tally = self._drops.setdefault(key, _DropTally())
            tally.count += 1
            if now - tally.last_emitted < self._drop_interval:
                return
            count, tally.count, tally.last_emitted = tally.count, 0, now
        self.emit(DropRecord(key[0], key[1], stage, reason, count))

    def flush_drops(self) -> None:
        """Record every drop counted but not yet recorded."""
        with self._drops_lock:
            pending = [(key, tally.count) for key, tally in self._drops.items() if tally.count]
            for key, _ in pending:
                self._drops[key].count = 0
        for (entity, name, stage, reason), count in pending:
            self.emit(DropRecord(entity, name, stage, reason, count))

    def emit_metrics(self) -> None:
        """Record a snapshot of the metrics, the breakers' states and a rejected flags edit."""
        try:
            self.flags.snapshot()  # lets a file source notice an edit even when no call came
            snapshot = self.metrics.snapshot()
            snapshot["breakers"] = self.breaker_states()
            flags_error = getattr(self.flags, "last_error", None)
            snapshot["flags_error"] = None if flags_error is None else str(flags_error)
        except Exception as exc:
            self.raised("metrics", exc)
            return
        self.emit(MetricsRecord(snapshot))

    def repair(
        self,
        operation: Operation,
        stage: Stage,
        side: Side,
        reason: str,
        call: tuple[tuple[Any, ...], Mapping[str, Any]],
        authoritative_value: object,
        error: BaseException | None,
        *,
        correlation_id: str | None = None,
    ) -> None:
        """Append an entry for a write ``side`` may lack (or hold wrongly) to the repair log.

        ``correlation_id``: the id of the call that made the write (default: the current one).
        """
        entry: RepairEntry | None = None  # a failure once it is built loses it: repair_lost
        operation.metrics.repair(stage.value, side.value, reason)
        if correlation_id is None:
            correlation_id = current_correlation_id()
        try:
            entry = self.entry(
                operation, stage, side, reason, call, authoritative_value, error, correlation_id
            )
            if self.repair_log is None:
                log.warning(
                    "no repair log configured; lost repair entry %s",
                    entry.to_json(),
                    extra={"correlation_id": correlation_id},
                )
            else:
                self.repair_log.append(entry)
        except Exception as exc:
            self.repair_lost(operation, stage, side, reason, entry, exc)

    def entry(
        self,
        operation: Operation,
        stage: Stage,
        side: Side,
        reason: str,
        call: tuple[tuple[Any, ...], Mapping[str, Any]],
        authoritative_value: object,
        error: BaseException | None = None,
        correlation_id: str | None = None,
    ) -> RepairEntry:
        """The repair entry of a write ``side`` may lack: arguments redacted, the key whole."""
        redactor = self.comparator.redactor
        arguments = operation.arguments(*call)
        key = result_key(authoritative_value, operation.key_fields)
        entity_key = key or call_key(operation.entity, arguments, operation.key_fields)
        return RepairEntry(
            entity=operation.entity,
            operation=operation.name,
            stage=stage.value,
            side=side.value,
            reason=reason,
            args=redactor.redact(arguments),
            result_key=None if key is None else redactor.redact(key),
            authoritative=side.other.value,
            key=None if entity_key is None else dict(entity_key),  # replay needs it whole
            version=entity_version(authoritative_value),
            error_type=None if error is None else type(error).__name__,
            error=None
            if error is None
            else redactor.scrub(str(error), redactor.secrets(arguments, authoritative_value)),
            correlation_id=correlation_id or current_correlation_id(),
        )

    def deferred(self, notes: Sequence[DeferredNote]) -> None:
        """Append the ``deferred`` entries of writes whose authoritative side committed, in
        one write and one ``fsync``; wake the drainer. An entry that cannot be written is
        reported as lost (:meth:`repair_lost`): the write itself stands."""
        if not notes:
            return
        entries: list[RepairEntry] = []
        try:
            for note in notes:
                note.operation.metrics.repair(note.stage.value, note.side.value, DEFERRED)
                entries.append(note.entry)
            if self.repair_log is None:
                raise RuntimeError("deferred secondary writes need a repair log")
            self.repair_log.append_many(entries)
        except Exception as exc:
            for note in notes:
                self.repair_lost(note.operation, note.stage, note.side, DEFERRED, note.entry, exc)
            return
        if self.drainer is not None:
            self.drainer.appended(len(entries))

    def repair_lost(
        self,
        operation: Operation,
        stage: Stage,
        side: Side,
        reason: str,
        entry: RepairEntry | None,
        error: BaseException,
    ) -> None:
        """Report a repair entry that could not be written (or built); never raises.

        Logged at ERROR with the entry's (redacted) content, so it can be replayed by
        hand; counted (``repairs_lost`` of the operation, ``internal_errors``); passed to
        ``on_raised``; recorded as an ``error`` record of origin ``router`` whose message
        starts with ``repair entry lost``.
        """
        try:
            operation.metrics.repair_lost(stage.value, side.value)
            self.metrics.internal_error("repair log")
            content = (
                self.comparator.redactor.redact(entry.to_json())
                if entry is not None
                else {
                    "entity": operation.entity,
                    "operation": operation.name,
                    "stage": stage.value,
                    "side": side.value,
                    "reason": reason,
                }
            )
            cause = f"{type(error).__name__}: {error}"
            correlation_id = None if entry is None else entry.correlation_id
            log.error(
                "repair entry lost (%s): %s",
                cause,
                json.dumps(content, default=str),
                extra={"correlation_id": correlation_id or current_correlation_id()},
            )
            if self._on_raised is not None:
                self._on_raised("repair log", error)
            message = f"repair entry lost ({cause}): {side.value} side, {reason}"
            self.emit(
                ErrorRecord(
                    "router",
                    operation.entity,
                    operation.name,
                    stage,
                    error,
                    message,
                    operation.kind,
                )
            )
        except Exception:
            log.exception("reporting a lost repair entry failed")


@dataclass(frozen=True)
class DeferredNote:
    """A write whose second side is left to the drainer: its entry, not yet appended."""

    operation: Operation
    stage: Stage
    side: Side
    entry: RepairEntry


NO_STAGE = "none"
"""The stage attribute of what happens outside any one stage (a unit of work's commit)."""


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000
