"""Fixtures of the contract-check tests: a fresh database per test, dropped afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import servers
from sqlalchemy import Engine

from adapters.mysql import create_engine
from dal.local import mariadb


@pytest.fixture
def db_url(mysql_server_url: str) -> Iterator[str]:
    """URL of a fresh, empty database of this test."""
    name = servers.unique_name("dal_chk_")
    url = mariadb.create_database(mysql_server_url, name)
    yield url
    mariadb.drop_database(mysql_server_url, name)


@pytest.fixture
def db(db_url: str) -> Iterator[Engine]:
    """An engine on the test's database."""
    engine = create_engine(db_url)
    yield engine
    engine.dispose()
