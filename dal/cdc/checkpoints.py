"""Durable positions of change data capture, in the application's MySQL database.

``dal_cdc_positions`` (created by ``dal db upgrade``, revision ``0003_cdc_positions``)
holds one row per reader: ``mysql`` (the binary-log position after the last applied
batch), ``stream:<table>:<shard>`` (the last applied sequence number of a DynamoDB
stream shard, or ``done`` once a closed shard is read to its end) and
``backfill:<entity>`` (the binary-log position taken before a backfill pass began).
Each row also keeps when it was written, how many changes were applied, and the lag
of the last batch, which ``dal cdc health`` reads.

The table lives in MySQL rather than in DynamoDB because the binary-log position and
the rows it covers belong to the same database, every process sharing it sees the
same positions, and the layer already keeps its backfill checkpoints there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import Connection

from adapters.mysql.contention import in_own_transaction
from interfaces import DalError

__all__ = [
    "POSITIONS_TABLE",
    "PositionStore",
    "PositionsTableMissing",
    "StoredPosition",
    "positions_table",
]

POSITIONS_TABLE = "dal_cdc_positions"

positions_table = Table(
    POSITIONS_TABLE,
    MetaData(),
    Column("name", String(255), primary_key=True),
    Column("position", String(512), nullable=False),
    Column("applied", BigInteger, nullable=False, default=0),
    Column("lag_ms", BigInteger, nullable=True),
    Column("updated_at", DateTime(), nullable=False),
    mysql_charset="utf8mb4",
)
"""The table as the store uses it (migration ``0003_cdc_positions``)."""


class PositionsTableMissing(DalError):
    """The database has no ``dal_cdc_positions``: the layer's migrations were not applied."""

    def __init__(self) -> None:
        super().__init__(
            f"the MySQL database has no table {POSITIONS_TABLE}, where change data capture "
            "keeps its positions: run `dal db upgrade` (migration 0003_cdc_positions) first"
        )


@dataclass(frozen=True)
class StoredPosition:
    """One reader's row: its position, applied changes so far, last lag and when written."""

    name: str
    position: str
    applied: int
    lag_ms: int | None
    updated_at: datetime


class PositionStore:
    """Reads and writes ``dal_cdc_positions``; each write is a transaction of its own."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._ready = False

    def exists(self) -> bool:
        """Whether the table is there."""
        return bool(inspect(self._engine).has_table(POSITIONS_TABLE))

    def _ensure(self) -> None:
        if not self._ready:
            if not self.exists():
                raise PositionsTableMissing()
            self._ready = True

    def load(self, name: str) -> StoredPosition | None:
        """The row of reader ``name``, or None."""
        found = self.matching(name)
        return next((row for row in found if row.name == name), None)

    def matching(self, prefix: str) -> list[StoredPosition]:
        """Every row whose name starts with ``prefix``, by name."""
        self._ensure()
        table = positions_table
        query = select(table).where(table.c.name.startswith(prefix, autoescape=True))
        with self._engine.connect() as connection:
            rows = connection.execute(query.order_by(table.c.name)).mappings().all()
        return [
            StoredPosition(
                row["name"], row["position"], row["applied"], row["lag_ms"], row["updated_at"]
            )
            for row in rows
        ]

    def save(self, name: str, position: str, applied: int = 0, lag_ms: int | None = None) -> None:
        """Store ``position`` for ``name``, adding ``applied`` to its count."""
        self._ensure()
        table = positions_table
        now = datetime.now(UTC).replace(tzinfo=None)

        def write(connection: Connection) -> None:
            values = {"position": position, "lag_ms": lag_ms, "updated_at": now}
            query = update(table).where(table.c.name == name)
            changed = connection.execute(query.values(applied=table.c.applied + applied, **values))
            if changed.rowcount == 0:
                connection.execute(insert(table).values(name=name, applied=applied, **values))

        in_own_transaction(self._engine, write)
