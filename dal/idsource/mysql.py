"""MySQL's high-water marks: the largest id stored or reserved, per sequence.

Two things bound the ids MySQL may have handed out for a sequence: ``MAX(id)``
of its legacy table (rows written by the old application's AUTO_INCREMENT or
by the layer) and ``next_value - 1`` of its row in ``dal_id_blocks``, the
hi/lo table of the layer's SQL allocator (ids of a reserved block may still be
handed out from a process's memory although no row carries them yet). The mark
is the larger of the two. The tables are those the layer's migrations create
(:mod:`dal.migrations`); ``dal_id_blocks`` may be absent in a database that is
only at the first revision.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import BigInteger, Engine, String, column, func, inspect, select, table
from sqlalchemy.engine import Connection

from dal.idsource.handover import IdHandoverError

__all__ = ["ID_BLOCKS_TABLE", "SqlHighWater"]

ID_BLOCKS_TABLE = "dal_id_blocks"
"""The SQL allocator's hi/lo table: ``sequence`` and the next id not yet reserved."""

_ID_BLOCKS = table(
    ID_BLOCKS_TABLE, column("sequence", String()), column("next_value", BigInteger())
)


class SqlHighWater:
    """Reads the high-water mark of every sequence from the store database.

    ``sequences`` name the tables that must exist, each mapped to the integer key
    column the sequence fills (a plain iterable of names means an ``id`` column);
    every sequence in ``dal_id_blocks`` is read as well.
    """

    def __init__(self, engine: Engine, sequences: Mapping[str, str] | Iterable[str] = ()) -> None:
        self._engine = engine
        self._sequences = (
            dict(sequences) if isinstance(sequences, Mapping) else dict.fromkeys(sequences, "id")
        )
        self.where = engine.url.render_as_string(hide_password=True)

    def high_water(self) -> dict[str, int]:
        """Per sequence, the larger of ``MAX(id)`` and the last id reserved in ``dal_id_blocks``.

        Raises :class:`~dal.idsource.IdHandoverError` when a legacy table is missing;
        SQLAlchemy's errors pass unchanged.
        """
        with self._engine.connect() as connection:
            present = set(inspect(connection).get_table_names())
            self._check_tables(present)
            marks = {
                name: _largest_id(connection, name, key) for name, key in self._sequences.items()
            }
            if ID_BLOCKS_TABLE in present:
                for sequence, reserved in _reserved(connection).items():
                    marks[sequence] = max(marks.get(sequence, 0), reserved)
        return marks

    def _check_tables(self, present: set[str]) -> None:
        missing = [name for name in self._sequences if name not in present]
        if missing:
            raise IdHandoverError(
                f"{self.where} has no table {', '.join(missing)}: is it the store database? "
                "(`dal db upgrade` creates the schema)"
            )


def _largest_id(connection: Connection, name: str, key: str) -> int:
    rows = table(name, column(key, BigInteger()))
    largest = connection.execute(select(func.max(rows.c[key]))).scalar_one_or_none()
    return int(largest or 0)


def _reserved(connection: Connection) -> dict[str, int]:
    """The last id of each sequence's latest block: ``next_value - 1``."""
    rows = connection.execute(select(_ID_BLOCKS.c.sequence, _ID_BLOCKS.c.next_value))
    return {str(sequence): int(next_value) - 1 for sequence, next_value in rows}
