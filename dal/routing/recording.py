"""What the router records, and the recorders that receive it.

Four record types: :class:`Comparison` (both sides answered and were compared),
:class:`ErrorRecord` (a side, or the router itself, failed), :class:`MetricsRecord`
(a snapshot of the counters) and :class:`DropRecord` (shadow work that did not
happen: the pool was full, the time budget ran out, the circuit was open).
Values inside records are already redacted. :func:`to_json` gives the JSON form
that :class:`JsonlRecorder` writes one per line (schema in ``docs/router.md``).
A record made during a routed call carries the call's correlation id (its trace
id, see :mod:`dal.telemetry.correlation`), as its repair-log entry and log lines do.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol, TextIO, runtime_checkable

from dal.routing import recordfiles
from dal.routing.closing import ClosedOnExit
from dal.routing.stages import Stage
from dal.telemetry.correlation import current_correlation_id
from interfaces import OperationKind

__all__ = [
    "DEFAULT_ROTATE_BYTES",
    "SCHEMA_VERSION",
    "Category",
    "Comparison",
    "Difference",
    "DropRecord",
    "ErrorRecord",
    "JsonlRecorder",
    "LoggingRecorder",
    "MemoryRecorder",
    "MetricsRecord",
    "MultiRecorder",
    "Record",
    "Recorder",
    "to_json",
]

SCHEMA_VERSION = 1
"""Version of the JSON record layout; bumped on an incompatible change."""

Origin = Literal["old", "new", "router"]


def _now() -> datetime:
    return datetime.now(UTC)


class Category(StrEnum):
    """How a comparison (or one difference) came out."""

    MATCH = "match"
    """Equal after normalization and ignore rules."""
    DRIFT = "drift"
    """The sides disagree: a real difference."""
    EXPECTED_STALENESS = "expected_staleness"
    """Only fields the contract denormalizes differ (a snapshot, not drift)."""
    TRANSIENT = "transient"
    """A difference on an eventually consistent read that a re-read no longer showed."""
    EXCEPTION = "exception"
    """The sides raised different errors, or one raised and the other answered."""


@dataclass(frozen=True, slots=True)
class Difference:
    """One field that differs: ``path`` like ``items[2].price``; values are redacted."""

    path: str
    old: Any
    new: Any
    category: Category


@dataclass(frozen=True)
class Comparison:
    """The comparison of both sides' answers to one call."""

    kind: ClassVar[str] = "comparison"
    entity: str
    operation: str
    stage: Stage
    matched: bool
    category: Category
    differences: tuple[Difference, ...] = ()
    op_kind: OperationKind = "query"
    old_latency_ms: float | None = None
    new_latency_ms: float | None = None
    reread: bool = False
    reread_failed: bool = False
    """The re-read that should have confirmed the difference failed: it is unconfirmed."""
    at: datetime = field(default_factory=_now)
    correlation_id: str | None = field(default_factory=current_correlation_id)
    """The routed call's correlation id (its trace id when one is recorded)."""


@dataclass(frozen=True)
class ErrorRecord:
    """A failure: of the ``old`` or ``new`` side, or of the ``router``'s own machinery.

    ``error`` is the exception itself (kept in memory only); ``message`` is its
    text with sensitive values scrubbed, which is what gets written out.
    """

    kind: ClassVar[str] = "error"
    origin: Origin
    entity: str
    operation: str
    stage: Stage | None
    error: BaseException
    message: str
    op_kind: OperationKind | None = None
    latency_ms: float | None = None
    at: datetime = field(default_factory=_now)
    correlation_id: str | None = field(default_factory=current_correlation_id)
    """The routed call's correlation id, if the failure happened during one."""

    @property
    def error_type(self) -> str:
        """The exception's class name."""
        return type(self.error).__name__


@dataclass(frozen=True)
class MetricsRecord:
    """A snapshot of the router's metrics (see :meth:`Metrics.snapshot`)."""

    kind: ClassVar[str] = "metrics"
    metrics: Mapping[str, Any]
    at: datetime = field(default_factory=_now)


@dataclass(frozen=True)
class DropRecord:
    """``count`` shadow calls of one operation skipped for ``reason`` since the last record."""

    kind: ClassVar[str] = "drop"
    entity: str
    operation: str
    stage: Stage | None
    reason: str
    count: int = 1
    at: datetime = field(default_factory=_now)
    correlation_id: str | None = field(default_factory=current_correlation_id)
    """The correlation id of the call whose drop wrote the record, if any."""


Record = Comparison | ErrorRecord | MetricsRecord | DropRecord


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def to_json(record: Record) -> dict[str, Any]:
    """The JSON object of a record (the JSONL schema, ``docs/router.md``)."""
    head: dict[str, Any] = {
        "kind": record.kind,
        "schema": SCHEMA_VERSION,
        "ts": record.at.isoformat(timespec="milliseconds"),
    }
    if isinstance(record, MetricsRecord):
        return head | {"metrics": record.metrics}
    if isinstance(record, DropRecord):
        return head | {
            "entity": record.entity,
            "operation": record.operation,
            "stage": record.stage,
            "reason": record.reason,
            "count": record.count,
            "correlation_id": record.correlation_id,
        }
    if isinstance(record, ErrorRecord):
        return head | {
            "origin": record.origin,
            "entity": record.entity,
            "operation": record.operation,
            "op_kind": record.op_kind,
            "stage": record.stage,
            "error_type": record.error_type,
            "message": record.message,
            "latency_ms": _ms(record.latency_ms),
            "correlation_id": record.correlation_id,
        }
    return head | {
        "entity": record.entity,
        "operation": record.operation,
        "op_kind": record.op_kind,
        "stage": record.stage,
        "matched": record.matched,
        "category": record.category,
        "differences": [
            {"path": d.path, "old": d.old, "new": d.new, "category": d.category}
            for d in record.differences
        ],
        "latency_ms": {"old": _ms(record.old_latency_ms), "new": _ms(record.new_latency_ms)},
        "reread": record.reread,
        "reread_failed": record.reread_failed,
        "correlation_id": record.correlation_id,
    }


def to_json_line(record: Record) -> str:
    """One compact JSON line (no newline) for ``record``."""
    return json.dumps(to_json(record), separators=(",", ":"), default=str, ensure_ascii=False)


@runtime_checkable
class Recorder(Protocol):
    """Receives records; called from the router's worker threads as well as callers'."""

    def record(self, record: Record) -> None:
        """Take one record (must be thread-safe)."""
        ...


class MemoryRecorder:
    """Keeps records in lists, for tests and the memory fake's users."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.comparisons: list[Comparison] = []
        self.errors: list[ErrorRecord] = []
        self.metrics: list[MetricsRecord] = []
        self.drops: list[DropRecord] = []
        self._lock = threading.Lock()
        self._lists: Mapping[str, list[Any]] = {
            "comparison": self.comparisons,
            "error": self.errors,
            "metrics": self.metrics,
            "drop": self.drops,
        }

    def record(self, record: Record) -> None:
        """Append ``record`` to :attr:`records` and to the list of its kind."""
        with self._lock:
            self.records.append(record)
            self._lists[record.kind].append(record)

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            for records in (self.records, *self._lists.values()):
                records.clear()


def open_private(path: Path) -> TextIO:
    """``path`` opened to append text, readable and writable by its owner only (0600).

    A file created here gets mode 0600; an existing one that others could read is
    narrowed to 0600 (records hold redacted values, but no more than needed is shown).
    """
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        if os.fstat(descriptor).st_mode & 0o077:
            os.fchmod(descriptor, 0o600)
        return os.fdopen(descriptor, "a", encoding="utf-8")
    except BaseException:
        os.close(descriptor)
        raise


DEFAULT_ROTATE_BYTES = 64 * 2**20
"""A per-process records file is rotated when it reaches this size (64 MiB)."""


class JsonlRecorder(ClosedOnExit):
    """Appends one JSON object per line to a file (thread-safe; flushed per record).

    ``path`` ending in ``.jsonl`` is that one file, never rotated (several processes
    may append to it). Any other ``path`` is a folder where this process writes
    ``<host>-<pid>.jsonl`` (:attr:`file`); when that file reaches ``rotate_bytes``
    it is renamed to ``<host>-<pid>.<seq>.jsonl`` and gzip-compressed in the
    background, and a new file is started (:mod:`dal.routing.recordfiles`).
    Files are created with mode 0600 (:func:`open_private`).
    """

    def __init__(
        self, path: str | os.PathLike[str], *, rotate_bytes: int | None = DEFAULT_ROTATE_BYTES
    ) -> None:
        self.path = Path(path)
        self.file = recordfiles.process_file(self.path)
        self.file.parent.mkdir(parents=True, exist_ok=True)
        self._rotate_bytes = rotate_bytes if recordfiles.is_folder_target(self.path) else None
        self._lock = threading.Lock()
        self._stream: TextIO | None = open_private(self.file)
        self._size = self._stream.tell()
        self._compressing: list[threading.Thread] = []
        if self._rotate_bytes is not None:  # a forked child gets a file of its own
            reopen = weakref.WeakMethod(self._after_fork)
            os.register_at_fork(after_in_child=lambda: _call(reopen))

    def record(self, record: Record) -> None:
        """Write ``record`` as one line and flush it to the operating system."""
        line = to_json_line(record) + "\n"
        with self._lock:
            if self._stream is None:
                raise ValueError(f"{self.file}: the recorder is closed")
            self._stream.write(line)
            self._stream.flush()
            self._size += len(line)
            if self._rotate_bytes is not None and self._size >= self._rotate_bytes:
                self._rotate(self._stream)

    def _rotate(self, stream: TextIO) -> None:
        """Close the current file, move it to the next segment name, compress it, start anew."""
        stream.close()
        segment = recordfiles.rotated_name(self.file, recordfiles.next_segment(self.file))
        os.replace(self.file, segment)
        self._stream, self._size = open_private(self.file), 0
        worker = threading.Thread(
            target=_compress_quietly, args=(segment,), name="dal-records-gzip", daemon=True
        )
        worker.start()
        self._compressing = [t for t in self._compressing if t.is_alive()] + [worker]

    def _after_fork(self) -> None:
        """In a forked child: leave the parent's file to the parent, start this process's."""
        self._lock = threading.Lock()
        self._compressing = []
        if self._stream is not None:
            self._stream.close()  # the child's copy of the descriptor only
            self.file = recordfiles.process_file(self.path)
            self._stream = open_private(self.file)
            self._size = self._stream.tell()

    def close(self) -> None:
        """Close the file (after any compression under way); later records raise ValueError."""
        with self._lock:
            if self._stream is not None:
                self._stream.close()
                self._stream = None
            pending, self._compressing = self._compressing, []
        for worker in pending:
            worker.join()


def _call(method: weakref.WeakMethod[Callable[[], None]]) -> None:
    found = method()
    if found is not None:
        found()


def _compress_quietly(segment: Path) -> None:
    """Compress a rotated segment; on failure the plain segment stays (readers read it too)."""
    try:
        recordfiles.compress(segment)
    except OSError as error:
        logging.getLogger("dal.routing.records").warning(
            "%s: not compressed, left as it is: %s", segment, error
        )


class LoggingRecorder:
    """Logs every record as JSON: mismatches and errors at WARNING, matches at DEBUG."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger if logger is not None else logging.getLogger("dal.routing.records")

    def record(self, record: Record) -> None:
        """Log ``record`` at the level its kind and outcome call for."""
        self.logger.log(_level(record), "%s %s", record.kind, to_json_line(record))


def _level(record: Record) -> int:
    if isinstance(record, ErrorRecord):
        return logging.WARNING
    if isinstance(record, Comparison):
        return logging.DEBUG if record.matched else logging.WARNING
    return logging.INFO


class MultiRecorder:
    """Passes every record to each recorder; one failing never stops the others.

    After all have been tried, the failures are raised together as an
    :class:`ExceptionGroup` (the router reports it through its ``raised`` hook).
    """

    def __init__(self, *recorders: Recorder) -> None:
        self.recorders = recorders

    def record(self, record: Record) -> None:
        """Give ``record`` to every recorder."""
        failures: list[Exception] = []
        for recorder in self.recorders:
            try:
                recorder.record(record)
            except Exception as exc:
                failures.append(exc)
        if failures:
            raise ExceptionGroup(f"{len(failures)} recorder(s) failed", failures)
