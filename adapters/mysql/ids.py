"""Hi/lo id allocation from the ``dal_id_blocks`` table, safe across threads and processes.

Each sequence (a legacy table name) has a row holding the next id not yet
handed out. An allocator reserves a block of ids at a time by moving that
value forward, then hands them out from memory. The first block of a sequence
starts above ``MAX(id)`` of its legacy table, and every block starts at least
there, so ids already in the database are never handed out again.

On MySQL/MariaDB a block is taken in its own short transaction on its own
connection, never inside the caller's unit of work: the reservation is durable
at once, whatever the caller's transaction does later; a deadlock or lock wait
timeout there runs that transaction again
(:func:`~adapters.mysql.contention.in_own_transaction`). SQLite allows one writer
at a time and the caller's unit of work holds the write lock, so there the
block is reserved inside the caller's transaction (in a savepoint); if that
transaction does not commit, the reservation is written again on its own once
the unit of work has ended, so the block's ids are still never handed out twice.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Integer,
    MetaData,
    Table,
    func,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from adapters.mysql.contention import in_own_transaction
from adapters.mysql.engine import is_sqlite
from adapters.mysql.errors import translate
from adapters.mysql.session import Work, active_work
from adapters.mysql.tables import id_blocks
from interfaces.errors import AlreadyExists, ValidationFailed

__all__ = ["DEFAULT_BLOCK_SIZE", "SqlIdAllocator", "reserve_through"]

log = logging.getLogger(__name__)

DEFAULT_BLOCK_SIZE = 50
_ATTEMPTS = 5
_SEQUENCE_MAX = 64


@dataclass
class _Block:
    next: int
    end: int  # exclusive


class SqlIdAllocator:
    """An :class:`~interfaces.IdAllocator` backed by the store database (hi/lo blocks).

    ``block_size`` ids are reserved per database round trip; ids left in a block
    when the process ends are skipped, never reused.
    """

    def __init__(self, engine: Engine, *, block_size: int = DEFAULT_BLOCK_SIZE) -> None:
        if block_size < 1:
            raise ValueError(f"block_size must be at least 1, got {block_size}")
        self._engine = engine
        self._block_size = block_size
        self._blocks: dict[str, _Block] = {}
        self._lock = threading.Lock()

    def allocate(self, sequence: str) -> int:
        """Return an id never returned before for ``sequence``."""
        _check_sequence(sequence)
        with self._lock:
            block = self._blocks.get(sequence)
            if block is None or block.next >= block.end:
                block = self._blocks[sequence] = self._take_block(sequence)
            value = block.next
            block.next += 1
            return value

    def _take_block(self, sequence: str) -> _Block:
        try:
            if is_sqlite(self._engine):
                work = active_work(self._engine)
                if work is not None:
                    return self._take_in_caller_transaction(sequence, work)
            return self._take_on_own_connection(sequence)
        except SQLAlchemyError as exc:
            raise translate(exc) from exc

    def _take_on_own_connection(self, sequence: str) -> _Block:
        """Reserve a block in a transaction of its own, run again on a deadlock or lock wait."""
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                return in_own_transaction(
                    self._engine, lambda connection: self._reserve(connection, sequence)
                )
            except AlreadyExists:  # two processes creating the sequence's row at once
                if attempt == _ATTEMPTS:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _take_in_caller_transaction(self, sequence: str, work: Work) -> _Block:
        with work.savepoint() as connection:
            block = self._reserve(connection, sequence)
        end = block.end

        def persist_unless_committed(committed: bool) -> None:
            if not committed:
                self._persist(sequence, end)

        work.on_end.append(persist_unless_committed)
        return block

    def _reserve(self, connection: Connection, sequence: str) -> _Block:
        stored = connection.execute(
            select(id_blocks.c.next_value).where(id_blocks.c.sequence == sequence).with_for_update()
        ).scalar_one_or_none()
        start = max(stored or 1, _floor(connection, sequence))
        end = start + self._block_size
        if stored is None:
            connection.execute(insert(id_blocks).values(sequence=sequence, next_value=end))
        else:
            connection.execute(
                update(id_blocks).where(id_blocks.c.sequence == sequence).values(next_value=end)
            )
        return _Block(start, end)

    def _persist(self, sequence: str, end: int) -> None:
        """Write a reservation again after the transaction that made it did not commit."""
        try:
            with self._engine.begin() as connection:
                stored = connection.execute(
                    select(id_blocks.c.next_value).where(id_blocks.c.sequence == sequence)
                ).scalar_one_or_none()
                if stored is None:
                    connection.execute(insert(id_blocks).values(sequence=sequence, next_value=end))
                elif stored < end:
                    connection.execute(
                        update(id_blocks)
                        .where(id_blocks.c.sequence == sequence)
                        .values(next_value=end)
                    )
        except SQLAlchemyError:
            log.exception("could not persist the id block of %r; dropping it", sequence)
            with self._lock:
                self._blocks.pop(sequence, None)


def reserve_through(connection: Connection, sequence: str, highest: int) -> None:
    """Make every block of ``sequence`` reserved from now on start above ``highest``.

    For ids written by other means than the allocator (a repair copying rows with
    the ids their items hold): ``next_value`` only ever moves up, inside the
    caller's transaction. Ids of a block a process already holds were reserved
    before, so they never equal an id that block did not hand out.
    """
    _check_sequence(sequence)
    stored = connection.execute(
        select(id_blocks.c.next_value).where(id_blocks.c.sequence == sequence).with_for_update()
    ).scalar_one_or_none()
    if stored is None:
        connection.execute(insert(id_blocks).values(sequence=sequence, next_value=highest + 1))
    elif stored <= highest:
        connection.execute(
            update(id_blocks).where(id_blocks.c.sequence == sequence).values(next_value=highest + 1)
        )


def _floor(connection: Connection, sequence: str) -> int:
    """The lowest id a new block of ``sequence`` may start at: above the table's largest id.

    A sequence is named after the table whose one-column integer key it fills; a
    sequence with no such table starts at 1.
    """
    column = _key_column(connection, sequence)
    if column is None:
        return 1
    largest = connection.execute(select(func.max(column))).scalar_one_or_none()
    return (largest or 0) + 1


def _key_column(connection: Connection, sequence: str) -> ColumnElement[Any] | None:
    """The one-column integer primary key of the table named ``sequence``, if there is one."""
    if not inspect(connection).has_table(sequence):
        return None
    table = Table(sequence, MetaData(), autoload_with=connection)
    key = list(table.primary_key.columns)
    if len(key) != 1 or not isinstance(key[0].type, Integer):
        return None
    return key[0]


def _check_sequence(sequence: str) -> None:
    if not isinstance(sequence, str) or not 1 <= len(sequence) <= _SEQUENCE_MAX:
        raise ValidationFailed(
            f"must be a name of 1 to {_SEQUENCE_MAX} characters, got {sequence!r}",
            field="sequence",
        )
