"""Reflected column types that read each value as it is: floats as floats, TIME as durations.

:func:`read_values_as_stored` adjusts the columns of a reflected ``MetaData`` so
that every reader (repositories, backfill, verify, check) sees the same values:

* ``FLOAT`` and ``DOUBLE`` return floats: MySQL's reflection returns ``DOUBLE`` as
  a ``Decimal`` of ten places, which drops digits (``1e-20`` reads as 0);
* ``TIME`` returns the driver's ``timedelta`` (:class:`Duration`): SQLAlchemy's
  MySQL ``TIME`` turns it into a time of day, which wraps a negative value or one
  of 24 hours or more (a TIME holds up to ±838:59:59) into a different one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData
from sqlalchemy import types as sqltypes
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect

__all__ = ["Duration", "read_values_as_stored"]


class Duration(mysql.TIME):
    """MySQL's ``TIME`` read as the driver returns it: a ``timedelta`` (up to ±838 hours)."""

    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        """No conversion (None): the driver's ``timedelta`` is the value."""
        return None


def read_values_as_stored(metadata: MetaData) -> None:
    """Floats of every ``FLOAT``/``DOUBLE`` column of ``metadata``, and the :class:`Duration`
    type for every MySQL ``TIME`` column."""
    for table in metadata.tables.values():
        for column in table.columns:
            kind = column.type
            if isinstance(kind, sqltypes.Float) and kind.asdecimal:
                kind.asdecimal = False
            elif isinstance(kind, mysql.TIME) and not isinstance(kind, Duration):
                column.type = Duration(timezone=kind.timezone, fsp=kind.fsp)
