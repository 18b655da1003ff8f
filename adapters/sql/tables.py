"""The tables of the declared entities: given by the caller, else reflected from the database."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import Engine, MetaData, Table, inspect
from sqlalchemy.exc import SQLAlchemyError

from adapters.mysql.errors import translate
from adapters.sql.readtypes import read_values_as_stored
from interfaces.entities import EntitySpec

__all__ = ["resolve_tables"]


def resolve_tables(
    engine: Engine, specs: Iterable[EntitySpec], given: Mapping[str, Table] | None
) -> dict[str, Table]:
    """The table of every spec by table name: ``given[spec.table]``, else reflected.

    The tables not given are reflected in one pass; ValueError names a table the
    database does not have.
    """
    wanted = sorted({spec.table for spec in specs})
    found = {name: table for name, table in (given or {}).items() if name in wanted}
    missing = [name for name in wanted if name not in found]
    if missing:
        found.update(_reflect(engine, missing))
    return found


def _reflect(engine: Engine, names: list[str]) -> dict[str, Table]:
    try:
        existing = set(inspect(engine).get_table_names())
        absent = [name for name in names if name not in existing]
        if absent:
            raise ValueError(
                f"the database has no table {', '.join(absent)} "
                "(declared by an entity and not given in `tables`)"
            )
        metadata = MetaData()
        metadata.reflect(engine, only=names)
        read_values_as_stored(metadata)
    except SQLAlchemyError as exc:
        raise translate(exc) from exc
    return {name: metadata.tables[name] for name in names}
