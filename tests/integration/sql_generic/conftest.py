"""Fixtures of the generic SQL repositories' tests: every test runs on SQLite and MariaDB.

* ``backend``: ``"sqlite"`` or ``"mysql"`` (the MariaDB runs carry the ``mysql`` marker).
* ``engine``: an engine on the run's database of that backend holding the tracker's
  schema, emptied after each test.
* ``clock``: the stepping clock the repositories stamp with.
* ``repos``: :class:`~adapters.sql.SqlRepositories` of the tracker's declarations, their
  tables reflected from the database, ids from memory.
* ``build``: makes repositories of other declarations (spec variants) on ``engine``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, delete

from adapters.mysql import create_engine
from adapters.sql import SqlRepositories
from examples.tracker.declarations import SPECS
from examples.tracker.schema import metadata
from interfaces import MemoryIdAllocator, SteppingClock
from interfaces.entities import EntitySpec

BACKENDS = [pytest.param("sqlite", id="sqlite"), pytest.param("mysql", marks=pytest.mark.mysql)]

Build = Callable[..., SqlRepositories]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database kind under test."""
    kind: str = request.param
    return kind


@pytest.fixture
def engine(backend: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An engine on the run's database of ``backend`` with the tracker's (empty) tables."""
    url: str = request.getfixturevalue(f"{backend}_url")
    created = create_engine(url)
    metadata.create_all(created)
    try:
        yield created
    finally:
        with created.begin() as connection:
            for table in reversed(metadata.sorted_tables):
                connection.execute(delete(table))
        created.dispose()


@pytest.fixture
def clock() -> SteppingClock:
    """The clock of ``repos``: 2026-01-01T00:00:00Z, one second more per call."""
    return SteppingClock()


@pytest.fixture
def build(engine: Engine, clock: SteppingClock) -> Build:
    """Repositories of ``specs`` (default: the tracker's) on ``engine``."""

    def make(specs: Iterable[EntitySpec] = SPECS, **options: Any) -> SqlRepositories:
        options.setdefault("clock", clock)
        options.setdefault("ids", MemoryIdAllocator())
        return SqlRepositories(engine, specs, **options)

    return make


@pytest.fixture
def repos(build: Build) -> SqlRepositories:
    """The tracker's repositories, tables reflected from the database."""
    return build()
