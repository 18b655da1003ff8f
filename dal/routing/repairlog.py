"""A durable log of writes the two backends may disagree on, for ``dal repair --from-log``.

One JSON object per line (format in ``docs/router.md``): an ``entry`` line per
failed, skipped or rolled-back secondary write, and a ``done`` line when the
repair tool has fixed one. Every line is appended under an exclusive ``flock``,
written completely (a short write is continued, a write of no bytes raises),
then ``fsync``-ed before :meth:`RepairLog.append` returns, so an entry survives
a crash of the process (or of the machine) right after the call. A line torn by
a crash in mid-write is skipped when reading, and the next append starts on a
fresh line. :meth:`RepairLog.compact` rewrites the file
without the finished entries (atomically, with ``os.replace``).
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["RepairEntry", "RepairLog", "RepairLogError"]

log = logging.getLogger("dal.routing.repairlog")

_ENTRY_FIELDS = (
    "id",
    "ts",
    "entity",
    "operation",
    "stage",
    "side",
    "reason",
    "args",
    "result_key",
    "error_type",
    "error",
)


class RepairLogError(ValueError):
    """The repair log cannot do what was asked (an unknown entry id...)."""


@dataclass(frozen=True)
class RepairEntry:
    """One write to repair: ``side`` (``old``/``new``) may lack it or hold it wrongly.

    ``args`` are the call's arguments by parameter name (JSON, sensitive fields
    redacted); ``result_key`` is the key of the authoritative side's result
    (``{"id": 7}``) when it returned an entity.
    """

    entity: str
    operation: str
    stage: str
    side: str
    reason: str
    args: Mapping[str, Any]
    error_type: str | None = None
    error: str | None = None
    result_key: Mapping[str, Any] | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    done: bool = False

    def to_json(self) -> dict[str, Any]:
        """The entry's line (without ``done``: that is a line of its own)."""
        return {
            "type": "entry",
            "id": self.id,
            "ts": self.at.isoformat(),
            "entity": self.entity,
            "operation": self.operation,
            "stage": self.stage,
            "side": self.side,
            "reason": self.reason,
            "args": dict(self.args),
            "result_key": None if self.result_key is None else dict(self.result_key),
            "error_type": self.error_type,
            "error": self.error,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], done: bool = False) -> RepairEntry:
        """Rebuild an entry from its line; KeyError/ValueError when fields are missing."""
        missing = [name for name in _ENTRY_FIELDS if name not in data]
        if missing:
            raise ValueError(f"entry lacks {', '.join(missing)}")
        return cls(
            id=str(data["id"]),
            at=datetime.fromisoformat(data["ts"]),
            entity=data["entity"],
            operation=data["operation"],
            stage=data["stage"],
            side=data["side"],
            reason=data["reason"],
            args=data["args"],
            result_key=data["result_key"],
            error_type=data["error_type"],
            error=data["error"],
            done=done,
        )


def _line(data: Mapping[str, Any]) -> bytes:
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=str)
    return (text + "\n").encode()


def _write_all(descriptor: int, payload: bytes, path: Path) -> None:
    """Write every byte of ``payload``: a short write is continued, one of no bytes raises."""
    view = memoryview(payload)
    while view:
        written = os.write(descriptor, view)
        if written <= 0:
            raise OSError(errno.EIO, f"wrote 0 of {len(view)} remaining bytes of a line", str(path))
        view = view[written:]


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class RepairLog:
    """The repair log file at ``path``, created on first append.

    Safe to use from several threads and processes at once. ``durable=False``
    skips ``fsync`` (for tests that do not need crash safety).
    """

    def __init__(self, path: str | os.PathLike[str], *, durable: bool = True) -> None:
        self.path = Path(path)
        self._durable = durable

    # --- writing -------------------------------------------------------------------------

    def append(self, entry: RepairEntry) -> RepairEntry:
        """Write ``entry`` durably and return it."""
        self._write([_line(entry.to_json())])
        return entry

    def mark_done(self, *entry_ids: str) -> None:
        """Record that the entries with these ids are repaired; RepairLogError for an unknown id."""
        known = {entry.id for entry in self.read(include_done=True)}
        unknown = [entry_id for entry_id in entry_ids if entry_id not in known]
        if unknown:
            raise RepairLogError(f"{self.path}: no repair entry with id {', '.join(unknown)}")
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        self._write([_line({"type": "done", "id": entry_id, "ts": now}) for entry_id in entry_ids])

    def _write(self, lines: Iterable[bytes]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        created = not self.path.exists()
        descriptor = self._open_locked()
        try:
            payload = b"".join(lines)
            size = os.fstat(descriptor).st_size
            if size and os.pread(descriptor, 1, size - 1) != b"\n":
                payload = b"\n" + payload  # the last line was torn by a crash
            _write_all(descriptor, payload, self.path)
            if self._durable:
                os.fsync(descriptor)
        finally:
            os.close(descriptor)  # also releases the lock
        if created and self._durable:
            _fsync_directory(self.path.parent)

    def _open_locked(self) -> int:
        """Open the current file for appending under an exclusive lock.

        A compaction may replace the file while we wait for the lock; then the
        descriptor points at the old file, so reopen.
        """
        while True:
            descriptor = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            try:
                current = os.stat(self.path).st_ino
            except FileNotFoundError:
                current = -1
            if current == os.fstat(descriptor).st_ino:
                return descriptor
            os.close(descriptor)

    # --- reading -------------------------------------------------------------------------

    def read(self, *, include_done: bool = False) -> Iterator[RepairEntry]:
        """The entries in the order they were appended; finished ones only if ``include_done``."""
        entries, done = self._parse_all(self._read_locked())
        for data in entries:
            finished = data["id"] in done
            if include_done or not finished:
                yield RepairEntry.from_json(data, done=finished)

    def _read_locked(self) -> bytes:
        try:
            stream = self.path.open("rb")
        except FileNotFoundError:
            return b""
        with stream:
            fcntl.flock(stream.fileno(), fcntl.LOCK_SH)  # no half-written line of a writer
            return stream.read()

    def _parse_all(self, raw: bytes) -> tuple[list[dict[str, Any]], set[str]]:
        entries: list[dict[str, Any]] = []
        done: set[str] = set()
        for number, line in enumerate(raw.splitlines(), start=1):
            data = self._parse(line, number)
            if data is None:
                continue
            if data.get("type") == "done":
                done.add(str(data.get("id")))
            else:
                entries.append(data)
        return entries, done

    def _parse(self, line: bytes, number: int) -> dict[str, Any] | None:
        if not line.strip():
            return None
        try:
            data = json.loads(line)
            if not isinstance(data, dict) or data.get("type") not in ("entry", "done"):
                raise ValueError("not a repair log record")
            if data["type"] == "entry":
                RepairEntry.from_json(data)
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("%s:%d: skipping a damaged line (%s)", self.path, number, exc)
            return None
        return data

    # --- compaction ----------------------------------------------------------------------

    def compact(self) -> int:
        """Rewrite the file without finished entries; return how many entries were dropped."""
        if not self.path.exists():
            return 0
        descriptor = self._open_locked()
        try:
            entries, done = self._parse_all(self.path.read_bytes())
            keep = [data for data in entries if data["id"] not in done]
            temporary = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}.tmp")
            with temporary.open("wb") as stream:
                stream.write(b"".join(_line(data) for data in keep))
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, self.path)
            _fsync_directory(self.path.parent)
        finally:
            os.close(descriptor)
        return len(entries) - len(keep)
