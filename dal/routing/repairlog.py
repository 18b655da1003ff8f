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
import heapq
import json
import logging
import os
import uuid
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dal.routing import recordfiles

__all__ = [
    "DEFAULT_ROTATE_BYTES",
    "LogTail",
    "RepairEntry",
    "RepairLog",
    "RepairLogError",
    "call_key",
    "entity_version",
]

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
"""Fields every entry line has; ``authoritative``, ``key``, ``version`` and
``correlation_id`` came later and are optional when reading (an entry without them is
read as before)."""

_SIDES = ("old", "new")


class RepairLogError(ValueError):
    """The repair log cannot do what was asked (an unknown entry id...)."""


@dataclass(frozen=True)
class RepairEntry:
    """One write to repair: ``side`` (``old``/``new``) may lack it or hold it wrongly.

    ``args`` are the call's arguments by parameter name (JSON, sensitive fields
    redacted); ``result_key`` is the key of the authoritative side's result
    (``{"id": 7}``) when it returned an entity. ``authoritative`` is the side whose
    answer was the truth when the write was made (default: the other side of
    ``side``), ``key`` the entity's key in plain values (from the authoritative
    result, else from the call's key argument; None when neither tells it) and
    ``version`` the authoritative value's version when the entity has one;
    ``correlation_id`` the id of the routed call that made the write (its trace id, as
    in its record and log lines).
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
    authoritative: str | None = None
    key: Mapping[str, Any] | None = None
    version: int | None = None
    correlation_id: str | None = None

    def __post_init__(self) -> None:
        if self.authoritative is None and self.side in _SIDES:
            other = "new" if self.side == "old" else "old"
            object.__setattr__(self, "authoritative", other)

    @property
    def truth(self) -> str:
        """The entry's authoritative side: ``authoritative``, else the other side of ``side``."""
        if self.authoritative is not None:
            return self.authoritative
        return "new" if self.side == "old" else "old"

    @property
    def entity_key(self) -> Mapping[str, Any] | None:
        """The key of the entity the entry is about: ``key``, else ``result_key``, else the
        key argument of the call (for entries written before ``key`` existed)."""
        if self.key is not None:
            return self.key
        if self.result_key is not None:
            return self.result_key
        return call_key(self.entity, self.args)

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
            "authoritative": self.truth,
            "reason": self.reason,
            "key": None if self.key is None else dict(self.key),
            "version": self.version,
            "args": dict(self.args),
            "result_key": None if self.result_key is None else dict(self.result_key),
            "error_type": self.error_type,
            "error": self.error,
            "correlation_id": self.correlation_id,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], done: bool = False) -> RepairEntry:
        """Rebuild an entry from its line; ValueError naming what is missing or wrong."""
        missing = [name for name in _ENTRY_FIELDS if name not in data]
        if missing:
            raise ValueError(f"entry lacks {', '.join(missing)}")
        side, authoritative = data["side"], data.get("authoritative")
        if side not in _SIDES:
            raise ValueError(f"side must be old or new, got {side!r}")
        if authoritative is not None and (authoritative not in _SIDES or authoritative == side):
            raise ValueError(f"authoritative must be the other side than {side!r}")
        for name in ("args", "result_key", "key"):
            if data.get(name) is not None and not isinstance(data[name], Mapping):
                raise ValueError(f"{name} must be an object")
        version = data.get("version")
        if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
            raise ValueError(f"version must be an integer, got {version!r}")
        correlation_id = data.get("correlation_id")
        if correlation_id is not None and not isinstance(correlation_id, str):
            raise ValueError(f"correlation_id must be a string, got {correlation_id!r}")
        return cls(
            id=str(data["id"]),
            at=datetime.fromisoformat(data["ts"]),
            entity=data["entity"],
            operation=data["operation"],
            stage=data["stage"],
            side=side,
            reason=data["reason"],
            args=data["args"],
            result_key=data["result_key"],
            error_type=data["error_type"],
            error=data["error"],
            done=done,
            authoritative=authoritative,
            key=data.get("key"),
            version=version,
            correlation_id=correlation_id,
        )


def _singular(name: str) -> str:
    if name.endswith("ies"):
        return name[:-3] + "y"
    return name[:-1] if name.endswith("s") else name


def call_key(
    entity: str, arguments: Mapping[str, Any], key_fields: Sequence[str] | None = None
) -> dict[str, Any] | None:
    """The entity key a call's ``arguments`` name, in plain values; None when they name none.

    A ``key`` argument (a mapping, or a single value of a one-field key), else the
    declared ``key_fields``, else ``id``, else ``<entity in the singular>_id`` as the
    ``id`` (``user_id`` of ``users.delete``), else every ``*_id`` argument
    (``{"user_id": 1, "product_id": 7}`` of a cart line, ``{"user_id": 1}`` for all of
    a user's lines).
    """
    if "key" in arguments:
        value = arguments["key"]
        if isinstance(value, Mapping):
            return dict(value)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            fields = tuple(key_fields or ("id",))
            return {fields[0]: value} if len(fields) == 1 else None
        return None
    if key_fields and all(name in arguments for name in key_fields):
        return {name: arguments[name] for name in key_fields}
    if "id" in arguments:
        return {"id": arguments["id"]}
    own = f"{_singular(entity)}_id"
    if own in arguments:
        return {"id": arguments[own]}
    ids = {
        name: value
        for name, value in arguments.items()
        if name.endswith("_id") and isinstance(value, (str, int)) and not isinstance(value, bool)
    }
    return ids or None


def entity_version(value: object) -> int | None:
    """The ``version`` of an entity (a model or a mapping), None when it has none."""
    found = value.get("version") if isinstance(value, Mapping) else getattr(value, "version", None)
    if isinstance(found, int) and not isinstance(found, bool):
        return found
    return None


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


def _torn(line: bytes) -> bool:
    """Whether ``line`` is the start of a line the log wrote, cut short by a crash."""
    if not line.startswith((b'{"type":"entry"', b'{"type":"done"')):
        return False
    try:
        json.loads(line)
    except ValueError:
        return True
    return False


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


DEFAULT_ROTATE_BYTES = 64 * 2**20
"""A process's repair log file in a folder is rotated when it reaches this size (64 MiB)."""


class RepairLog:
    """The repair log at ``path``: one file (a path ending in ``.jsonl``) or a folder.

    A file is created on first append and safe to share between threads and
    processes (every line is appended under an exclusive ``flock``). In a folder
    every process appends to a file of its own, ``<host>-<pid>.jsonl``
    (:attr:`file`); when it reaches ``rotate_bytes`` it is renamed to
    ``<host>-<pid>.<seq>.jsonl``, under the lock and after the last line was
    synced, and a new file is started. Segments are never compressed: the log is
    a queue that :meth:`compact` rewrites. Reading a folder reads every file of
    every process, each process's segments in the order they were written, so no
    entry is lost or overtaken by a later one of the same process. ``durable=False``
    skips ``fsync`` (for tests that do not need crash safety).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        durable: bool = True,
        rotate_bytes: int = DEFAULT_ROTATE_BYTES,
    ) -> None:
        self.path = Path(path)
        self._folder = recordfiles.is_folder_target(self.path)
        self._durable = durable
        self._rotate_bytes = rotate_bytes

    @property
    def file(self) -> Path:
        """The file this process appends to (in a folder: of this process, even after a fork)."""
        return recordfiles.process_file(self.path)

    def files(self) -> list[Path]:
        """The log's files, each process's segments in order (the one file, if it is a file)."""
        if not self._folder:
            return [self.path]
        if not self.path.is_dir():
            return []
        names = [str(p) for p in self.path.glob("*.jsonl*") if not p.name.startswith(".")]
        return [Path(name) for name in recordfiles.stream_order(names)]

    # --- writing -------------------------------------------------------------------------

    def append(self, entry: RepairEntry) -> RepairEntry:
        """Write ``entry`` durably and return it."""
        self._write([_line(entry.to_json())])
        return entry

    def append_many(self, entries: Sequence[RepairEntry]) -> None:
        """Write ``entries`` durably, in this order, in one write and one ``fsync``."""
        if entries:
            self._write([_line(entry.to_json()) for entry in entries])

    def mark_done(self, *entry_ids: str, check: bool = True) -> None:
        """Record that the entries with these ids are repaired; RepairLogError for an unknown id.

        ``check=False`` skips reading the log to check the ids (the drainer's own ids,
        read from the log just before).
        """
        if not entry_ids:
            return
        if check:
            known = {entry.id for entry in self.read(include_done=True)}
            unknown = [entry_id for entry_id in entry_ids if entry_id not in known]
            if unknown:
                raise RepairLogError(f"{self.path}: no repair entry with id {', '.join(unknown)}")
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        self._write([_line({"type": "done", "id": entry_id, "ts": now}) for entry_id in entry_ids])

    def _write(self, lines: Iterable[bytes]) -> None:
        path = self.file
        path.parent.mkdir(parents=True, exist_ok=True)
        created = not path.exists()
        descriptor = _open_locked(path)
        try:
            payload = b"".join(lines)
            size = os.fstat(descriptor).st_size
            if size and os.pread(descriptor, 1, size - 1) != b"\n":
                payload = b"\n" + payload  # the last line was torn by a crash
            _write_all(descriptor, payload, path)
            if self._durable:
                os.fsync(descriptor)
            if self._folder and size + len(payload) >= self._rotate_bytes:
                self._rotate(path)
        finally:
            os.close(descriptor)  # also releases the lock
        if created and self._durable:
            _fsync_directory(path.parent)

    def _rotate(self, path: Path) -> None:
        """Move the full file to its next segment name (the caller holds its lock)."""
        os.replace(path, recordfiles.rotated_name(path, recordfiles.next_segment(path)))
        if self._durable:
            _fsync_directory(path.parent)

    # --- reading -------------------------------------------------------------------------

    def read(self, *, include_done: bool = False, strict: bool = False) -> Iterator[RepairEntry]:
        """The entries in the order they were appended; finished ones only if ``include_done``.

        In a folder, each process's entries keep their order; those of different
        processes are merged by time. A line torn by a crash (the start of an entry
        the writer never finished) is skipped with a warning. Any other line that is
        not an entry or a ``done`` line is skipped too, unless ``strict``: then
        :class:`RepairLogError` names the file and the first such line (a records
        file, a settings file...).
        """
        streams: dict[str, list[dict[str, Any]]] = {}
        done: set[str] = set()
        for path in self.files():
            entries, done_here = _parse_all(path, _read_locked(path), strict)
            streams.setdefault(recordfiles.stream_of(str(path)), []).extend(entries)
            done |= done_here
        # heapq.merge never reorders the entries of one process: only interleaves processes
        for data in heapq.merge(*streams.values(), key=lambda data: str(data["ts"])):
            finished = data["id"] in done
            if include_done or not finished:
                yield RepairEntry.from_json(data, done=finished)

    def pending_by_entity(self, *, exclude: Collection[str] = ()) -> dict[str, int]:
        """How many entries of each entity are not yet repaired (those of a reason in
        ``exclude`` not counted)."""
        return dict(Counter(e.entity for e in self.read() if e.reason not in exclude))

    def drain_lock_path(self) -> Path:
        """The lock file that lets one drainer at a time replay the log's entries."""
        if self._folder:
            return self.path / ".drain.lock"
        return self.path.with_name(f".{self.path.name}.drain.lock")

    @contextmanager
    def drain_lock(self, *, wait: bool = True) -> Iterator[bool]:
        """Hold the log's drain lock in the block (yields False if ``wait`` is off and another
        process or thread holds it).

        Drainers (:class:`dal.routing.deferred.Drainer`, ``dal repair --from-log``) take it
        around each batch, so that two of them never replay one key at once.
        """
        path = self.drain_lock_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(descriptor)  # also releases the lock

    # --- compaction ----------------------------------------------------------------------

    def compact(self) -> int:
        """Rewrite the files without finished entries; return how many entries were dropped.

        ``done`` lines are dropped with their entries; a rotated segment left empty is
        removed.
        """
        done: set[str] = set()
        for path in self.files():
            done |= _parse_all(path, _read_locked(path))[1]
        return sum(self._compact_file(path, done) for path in self.files())

    def _compact_file(self, path: Path, done: set[str]) -> int:
        if not path.exists():
            return 0
        descriptor = _open_locked(path)
        try:
            entries, _ = _parse_all(path, path.read_bytes())
            keep = [data for data in entries if data["id"] not in done]
            if not keep and recordfiles.is_rotated(path):
                path.unlink()  # an empty rotated segment
            else:
                _replace(path, b"".join(_line(data) for data in keep))
            _fsync_directory(path.parent)
        finally:
            os.close(descriptor)
        return len(entries) - len(keep)


class LogTail:
    """Reads what was appended to a repair log since the last :meth:`read`.

    Each file is followed by its inode and the offset read up to, so a rotated
    segment (renamed, same inode) is not read twice; a file replaced by a compaction
    (a new inode) is read from its start again, so an entry may be seen twice (the
    caller keeps entries by id). Only whole lines are consumed.
    """

    def __init__(self, log: RepairLog) -> None:
        self._log = log
        self._offsets: dict[int, int] = {}

    def reset(self) -> None:
        """Read every file from its start on the next :meth:`read`."""
        self._offsets.clear()

    def read(self) -> tuple[list[RepairEntry], set[str]]:
        """The entries appended since the last call (in each file's order), and the ids of
        the ``done`` lines appended since."""
        entries: list[RepairEntry] = []
        done: set[str] = set()
        inodes: set[int] = set()
        for path in self._log.files():
            try:
                stream = path.open("rb")
            except FileNotFoundError:
                continue
            with stream:
                fcntl.flock(stream.fileno(), fcntl.LOCK_SH)
                status = os.fstat(stream.fileno())
                inodes.add(status.st_ino)
                offset = self._offsets.get(status.st_ino, 0)
                if status.st_size < offset:
                    offset = 0  # rewritten in place
                if status.st_size == offset:
                    continue
                stream.seek(offset)
                raw = stream.read()
            whole = raw.rfind(b"\n") + 1
            self._offsets[status.st_ino] = offset + whole
            found, done_here = _parse_all(path, raw[:whole])
            entries.extend(RepairEntry.from_json(data) for data in found)
            done |= done_here
        for inode in list(self._offsets):
            if inode not in inodes:
                del self._offsets[inode]  # a file compacted away or removed
        return entries, done


def _replace(path: Path, content: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with temporary.open("wb") as stream:
        stream.write(content)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, path)


def _open_locked(path: Path) -> int:
    """Open ``path`` for appending under an exclusive lock.

    A compaction or a rotation may move the file while we wait for the lock; then
    the descriptor points at the old file, so reopen.
    """
    while True:
        descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            current = os.stat(path).st_ino
        except FileNotFoundError:
            current = -1
        if current == os.fstat(descriptor).st_ino:
            return descriptor
        os.close(descriptor)


def _read_locked(path: Path) -> bytes:
    try:
        stream = path.open("rb")
    except FileNotFoundError:
        return b""
    with stream:
        fcntl.flock(stream.fileno(), fcntl.LOCK_SH)  # no half-written line of a writer
        return stream.read()


def _parse_all(
    path: Path, raw: bytes, strict: bool = False
) -> tuple[list[dict[str, Any]], set[str]]:
    entries: list[dict[str, Any]] = []
    done: set[str] = set()
    for number, line in enumerate(raw.splitlines(), start=1):
        data = _parse(path, line, number, strict)
        if data is None:
            continue
        if data.get("type") == "done":
            done.add(str(data.get("id")))
        else:
            entries.append(data)
    return entries, done


def _parse(path: Path, line: bytes, number: int, strict: bool = False) -> dict[str, Any] | None:
    if not line.strip():
        return None
    try:
        data = json.loads(line)
        if not isinstance(data, dict) or data.get("type") not in ("entry", "done"):
            raise ValueError("not a repair log record")
        if data["type"] == "entry":
            RepairEntry.from_json(data)
        elif not isinstance(data.get("id"), str):
            raise ValueError("a done line without an entry id")
    except (ValueError, KeyError, TypeError) as exc:
        if strict and not _torn(line):
            shown = line[:80].decode(errors="replace")
            raise RepairLogError(
                f"{path}:{number}: not a repair log line ({exc}): {shown!r}"
            ) from exc
        log.warning("%s:%d: skipping a damaged line (%s)", path, number, exc)
        return None
    return data
