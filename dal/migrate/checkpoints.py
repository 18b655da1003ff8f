"""Durable backfill checkpoints: one row per (entity, segment) in the MySQL database.

The bookkeeping table ``dal_backfill_checkpoints`` lives in the application's own
database, so every process and machine sharing a backfill sees the same
progress, and it survives a killed process. The layer's migrations create it
(``dal db upgrade``, revision ``0001_layer_tables``); the backfill only
checks that it is there and otherwise stops with :class:`CheckpointTableMissing`
before copying anything. A checkpoint holds the primary key of the last row whose
items are all written (every row up to it, in key order, is done), the counts
so far, and whether the segment is finished.
"""

from __future__ import annotations

import json
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

from interfaces import DalError

__all__ = [
    "CHECKPOINT_TABLE",
    "Checkpoint",
    "CheckpointStore",
    "CheckpointTableMissing",
    "SegmentId",
    "checkpoint_table",
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
    mysql_charset="utf8mb4",
)
"""The table as the checkpoint store uses it (created by migration ``0001_layer_tables``)."""


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
    """Progress of one segment: rows up to ``last_key`` are done."""

    segment: SegmentId
    last_key: tuple[Any, ...] | None = None
    copied: int = 0
    skipped: int = 0
    failed: int = 0
    done: bool = False

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
    """The store database has no checkpoint table: its migrations have not been applied."""

    def __init__(self) -> None:
        super().__init__(
            f"the MySQL database has no table {CHECKPOINT_TABLE}, where the backfill keeps its "
            "checkpoints: run `dal db upgrade` (migration 0001_layer_tables) first"
        )


class CheckpointStore:
    """Reads and writes checkpoints in ``dal_backfill_checkpoints``.

    Every method raises :class:`CheckpointTableMissing` when the table does not exist.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._ready = False

    def _ensure(self) -> None:
        if not self._ready:
            if not inspect(self._engine).has_table(CHECKPOINT_TABLE):
                raise CheckpointTableMissing()
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
        last = row["last_key"]
        return Checkpoint(
            segment,
            None if last is None else tuple(json.loads(last)),
            row["copied"],
            row["skipped"],
            row["failed"],
            bool(row["done"]),
        )

    def save(self, checkpoint: Checkpoint) -> None:
        """Store ``checkpoint``, replacing the segment's previous one."""
        self._ensure()
        values = {
            "last_key": None if checkpoint.last_key is None else json.dumps(checkpoint.last_key),
            "copied": checkpoint.copied,
            "skipped": checkpoint.skipped,
            "failed": checkpoint.failed,
            "done": checkpoint.done,
            "updated_at": datetime.now(UTC).replace(tzinfo=None),
        }
        segment = checkpoint.segment
        with self._engine.begin() as connection:
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

    def reset(self, segment: SegmentId) -> None:
        """Forget the checkpoint of ``segment`` (the next run starts from the first row)."""
        self._ensure()
        with self._engine.begin() as connection:
            connection.execute(delete(checkpoint_table).where(_where(segment)))


def _where(segment: SegmentId) -> Any:
    return and_(
        checkpoint_table.c.entity == segment.entity,
        checkpoint_table.c.segment == segment.segment,
        checkpoint_table.c.segments == segment.segments,
    )
