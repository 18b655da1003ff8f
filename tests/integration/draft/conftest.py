"""A fresh database per test module for the draft tests, dropped afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import servers
from sqlalchemy import Engine

from adapters.mysql import create_engine
from dal.local import mariadb


@pytest.fixture(scope="module")
def fresh_database(mysql_server_url: str) -> Iterator[Engine]:
    """An empty utf8mb4 database of its own (the layer's engine: session zone UTC)."""
    name = servers.unique_name("dal_draft_")
    engine = create_engine(mariadb.create_database(mysql_server_url, name))
    yield engine
    engine.dispose()
    mariadb.drop_database(mysql_server_url, name)
