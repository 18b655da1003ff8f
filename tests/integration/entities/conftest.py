"""Fixtures of the default-declaration tests: the tracker's tables on SQLite and MariaDB.

* ``backend``: ``"sqlite"`` or ``"mariadb"`` (the MariaDB runs carry the ``mysql`` marker).
* ``tracker_engine``: an engine on the run's database of that backend, holding the
  tracker's tables (created by this module unless they exist; dropped afterwards only
  if this module created them).
* ``reflected``: the tracker's tables as :func:`dal.entities.reflect_tables` reads them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, Table, create_engine, inspect

from dal.entities import reflect_tables
from examples.tracker.schema import metadata

BACKENDS = [pytest.param("sqlite", id="sqlite"), pytest.param("mariadb", marks=pytest.mark.mysql)]
TRACKER_TABLES = ("projects", "labels", "tickets")


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database kind under test."""
    kind: str = request.param
    return kind


@pytest.fixture(scope="module")
def tracker_engine(backend: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An engine on the run's database of ``backend`` with the tracker's tables."""
    url: str = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "mysql_url")
    engine = create_engine(url)
    existing = set(inspect(engine).get_table_names())
    metadata.create_all(engine)
    yield engine
    ours = [table for table in metadata.sorted_tables if table.name not in existing]
    metadata.drop_all(engine, tables=ours)
    engine.dispose()


@pytest.fixture(scope="module")
def reflected(tracker_engine: Engine) -> dict[str, Table]:
    """The tracker's tables, reflected."""
    return reflect_tables(tracker_engine, TRACKER_TABLES)
