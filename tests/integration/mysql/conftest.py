"""Fixtures of the MySQL adapter's integration tests: every test runs on SQLite and MariaDB.

* ``backend``: ``"sqlite"`` or ``"mariadb"`` (the MariaDB runs carry the ``mysql`` marker).
* ``fresh_url``: the URL of a new, empty database of that backend, dropped after the test.
* ``engine``: an adapter engine on ``fresh_url``, migrated to the head revision.
* ``store``: a store on ``engine`` with a stepping clock and the database's id allocator.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from adapters.mysql import create_engine
from dal.local import mariadb
from examples.store import Store
from examples.store.migrations import upgrade
from examples.store.sql import build_store
from interfaces import SteppingClock

BACKENDS = [pytest.param("sqlite", id="sqlite"), pytest.param("mariadb", marks=pytest.mark.mysql)]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database kind under test."""
    kind: str = request.param
    return kind


@pytest.fixture
def fresh_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database of ``backend``; dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    server: str = request.getfixturevalue("mysql_server_url")
    name = f"dal_mysql_{secrets.token_hex(4)}"
    url = mariadb.create_database(server, name)
    yield url
    mariadb.drop_database(server, name)


@pytest.fixture
def engine(fresh_url: str) -> Iterator[Engine]:
    """An adapter engine on a database migrated to the head revision."""
    created = create_engine(fresh_url)
    upgrade(created)
    yield created
    created.dispose()


@pytest.fixture
def store(engine: Engine) -> Store:
    """A store on ``engine``: stepping clock, ids from the database's allocator."""
    return build_store(engine, clock=SteppingClock())
