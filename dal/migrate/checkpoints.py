"""Durable backfill checkpoints: one row per (entity, segment) in the MySQL database.

The bookkeeping table ``dal_backfill_checkpoints`` lives in the application's own
database, so every process and machine sharing a backfill sees the same
progress, and it survives a killed process. The layer's migrations create it
(``dal db upgrade``, revisions ``0001_layer_tables`` and ``0002_checkpoint_target``);
the backfill only checks that it is there and otherwise stops with
:class:`CheckpointTableMissing` before copying anything.

A checkpoint records the progress of one *pass* over a segment into one set of
DynamoDB tables: the primary key of the last row whose items are all written
(every row up to it, in key order, is done), the counts so far, whether the pass
is finished, and the identity of the tables written (:func:`target_identity`).
It lets an interrupted pass resume; a finished pass, or a pass into other tables,
is no reason to skip a row (:meth:`Checkpoint.resumes`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    delete,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import Connection

from adapters.mysql.contention import in_own_transaction
from dal.migrate.ranges import KeyRange
from interfaces import DalError

__all__ = [
    "CHECKPOINT_TABLE",
    "Checkpoint",
    "CheckpointStore",
    "CheckpointTableMissing",
    "SegmentId",
    "checkpoint_table",
    "target_identity",
]

CHECKPOINT_TABLE = "dal_backfill_checkpoints"

checkpoint_table = Table(
    CHECKPOINT_TABLE,
    MetaData(),
    Column("entity", String(64), primary_key=True),
    Column("segment", Integer, primary_key=True, autoincrement=False),
    Column("segments", Integer, primary_key=True, autoincrement=False),
    Column("last_key", String(512), nullable=True),
    Column("copied", BigInteger, nullable=False, default=0),
    Column("skipped", BigInteger, nullable=False, default=0),
    Column("failed", BigInteger, nullable=False, default=0),
    Column("done", Boolean, nullable=False, default=False),
    Column("updated_at", DateTime, nullable=False),
    Column("target", String(64), nullable=False, default="", server_default=""),
    mysql_charset="utf8mb4",
)
"""The table as the checkpoint store uses it (migrations ``0001_layer_tables`` and
``0002_checkpoint_target``)."""

_REVISION = "0002_checkpoint_target"
"""The layer's revision that gives the table every column the store uses."""


@dataclass(frozen=True)
class SegmentId:
    """Which share of an entity's rows: segment ``segment`` of ``segments`` (0-based)."""

    entity: str
    segment: int = 0
    segments: int = 1

    def __post_init__(self) -> None:
        if self.segments < 1 or not 0 <= self.segment < self.segments:
            raise ValueError(
                f"segment must be in 0..{self.segments - 1} and segments at least 1, "
                f"got segment {self.segment} of {self.segments}"
            )

    def __str__(self) -> str:
        if self.segments == 1:
            return self.entity
        return f"{self.entity}[{self.segment}/{self.segments}]"


@dataclass(frozen=True)
class Checkpoint:
    """Progress of one pass over a segment into the tables ``target``: rows up to ``last_key``
    are done."""

    segment: SegmentId
    last_key: tuple[Any, ...] | None = None
    copied: int = 0
    skipped: int = 0
    failed: int = 0
    done: bool = False
    target: str = ""
    """The identity of the DynamoDB tables the pass writes (:func:`target_identity`)."""
    key_range: KeyRange | None = None
    """The key range of the segment in the pass's split (None: split by no range)."""

    def resumes(self, target: str) -> bool:
        """Whether a pass into the tables ``target`` continues after this checkpoint.

        Only an unfinished pass that got past some rows, into the very same
        tables, is continued; anything else starts a new pass from the first row.
        """
        return not self.done and self.last_key is not None and self.target == target

    def advanced(
        self, last_key: tuple[Any, ...], copied: int, skipped: int, failed: int
    ) -> Checkpoint:
        """This checkpoint moved past ``last_key`` with the counts of the rows it covers added."""
        return replace(
            self,
            last_key=last_key,
            copied=self.copied + copied,
            skipped=self.skipped + skipped,
            failed=self.failed + failed,
        )


class CheckpointTableMissing(DalError):
    """The store database has no checkpoint table, or an outdated one: its migrations have not
    been applied."""

    def __init__(self, missing: str | None = None) -> None:
        what = (
            f"no table {CHECKPOINT_TABLE}, where the backfill keeps its checkpoints"
            if missing is None
            else f"an outdated table {CHECKPOINT_TABLE} (without its column {missing})"
        )
        super().__init__(
            f"the MySQL database has {what}: run `dal db upgrade` (migration {_REVISION}) first"
        )
        self.missing = missing


class CheckpointStore:
    """Reads and writes checkpoints in ``dal_backfill_checkpoints``.

    Every method raises :class:`CheckpointTableMissing` when the table does not exist.
    Each write is a transaction of its own, run again on a deadlock or a lock wait
    timeout (:func:`~adapters.mysql.contention.in_own_transaction`); database errors
    are raised as the layer's errors.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._ready = False

    def _ensure(self) -> None:
        if not self._ready:
            inspector = inspect(self._engine)
            if not inspector.has_table(CHECKPOINT_TABLE):
                raise CheckpointTableMissing()
            present = {column["name"] for column in inspector.get_columns(CHECKPOINT_TABLE)}
            for column in checkpoint_table.columns:
                if column.name not in present:
                    raise CheckpointTableMissing(column.name)
            self._ready = True

    def load(self, segment: SegmentId) -> Checkpoint:
        """The stored checkpoint of ``segment``, or a fresh one."""
        self._ensure()
        with self._engine.connect() as connection:
            row = (
                connection.execute(select(checkpoint_table).where(_where(segment)))
                .mappings()
                .first()
            )
        if row is None:
            return Checkpoint(segment)
        last, key_range = _decode_position(row["last_key"])
        return Checkpoint(
            segment,
            last,
            row["copied"],
            row["skipped"],
            row["failed"],
            bool(row["done"]),
            row["target"],
            key_range,
        )

    def split(
        self, entity: str, segments: int, ranges: Callable[[], list[KeyRange]]
    ) -> list[KeyRange]:
        """The key ranges of the current pass over ``entity`` split in ``segments``.

        While any segment of this split has an unfinished pass with its range
        recorded, that pass's split is used (so a resumed run and every process of
        a job read the same ranges); otherwise ``ranges()`` computes a new split,
        recorded at once in every segment's checkpoint (as a pass not yet started).
        """
        stored = [self.load(SegmentId(entity, i, segments)) for i in range(segments)]
        kept = [c.key_range for c in stored if c.key_range is not None]
        if len(kept) == segments and not all(c.done for c in stored):
            return kept
        fresh = ranges()
        for checkpoint, key_range in zip(stored, fresh, strict=True):
            self.save(Checkpoint(checkpoint.segment, target=checkpoint.target, key_range=key_range))
        return fresh

    def save(self, checkpoint: Checkpoint) -> None:
        """Store ``checkpoint``, replacing the segment's previous one."""
        self._ensure()
        values = {
            "last_key": _encode_position(checkpoint),
            "copied": checkpoint.copied,
            "skipped": checkpoint.skipped,
            "failed": checkpoint.failed,
            "done": checkpoint.done,
            "target": checkpoint.target,
            "updated_at": datetime.now(UTC).replace(tzinfo=None),
        }
        segment = checkpoint.segment

        def write(connection: Connection) -> None:
            changed = connection.execute(
                update(checkpoint_table).where(_where(segment)).values(values)
            )
            if changed.rowcount == 0:
                connection.execute(
                    insert(checkpoint_table).values(
                        entity=segment.entity,
                        segment=segment.segment,
                        segments=segment.segments,
                        **values,
                    )
                )

        in_own_transaction(self._engine, write)

    def reset(self, segment: SegmentId) -> None:
        """Forget the checkpoint of ``segment`` (the next pass starts from the first row)."""
        self._ensure()
        in_own_transaction(
            self._engine,
            lambda connection: connection.execute(delete(checkpoint_table).where(_where(segment))),
        )


def _encode_position(checkpoint: Checkpoint) -> str | None:
    """The ``last_key`` column: the key as a JSON list, or with the range a JSON object."""
    if checkpoint.key_range is None:
        return None if checkpoint.last_key is None else json.dumps(checkpoint.last_key)
    last = None if checkpoint.last_key is None else list(checkpoint.last_key)
    return json.dumps({"after": last, "range": checkpoint.key_range.to_json()}, default=str)


def _decode_position(text: str | None) -> tuple[tuple[Any, ...] | None, KeyRange | None]:
    if text is None:
        return None, None
    value = json.loads(text)
    if isinstance(value, list):
        return tuple(value), None
    last = value["after"]
    return (None if last is None else tuple(last)), KeyRange.from_json(value["range"])


def _where(segment: SegmentId) -> Any:
    return and_(
        checkpoint_table.c.entity == segment.entity,
        checkpoint_table.c.segment == segment.segment,
        checkpoint_table.c.segments == segment.segments,
    )


def target_identity(
    describe: Callable[[str], Mapping[str, Any]], tables: Iterable[str], prefix: str = ""
) -> str:
    """A digest naming the DynamoDB tables a pass writes, as they exist now.

    ``describe`` returns a table's description (the ``Table`` of DescribeTable);
    ``tables`` are the physical table names and ``prefix`` the table prefix. The
    digest covers the prefix and, per table, its name, ARN, id (where the service
    gives one) and creation time, so tables dropped and created again under the
    same names have another identity.
    """
    described = []
    for name in sorted(set(tables)):
        table = describe(name)
        described.append(
            [
                name,
                str(table.get("TableArn", "")),
                str(table.get("TableId", "")),
                str(table.get("CreationDateTime", "")),
            ]
        )
    text = json.dumps({"prefix": prefix, "tables": described}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()
