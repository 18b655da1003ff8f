"""The conformance suite (dal.testing) run on the store's declarations (examples/store).

The plugin's hooks and fixtures come from :mod:`support.conformance`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import servers
from support.conformance import *  # noqa: F403  (the plugin's hooks and fixtures)

from dal.local import mariadb
from dal.testing import ConformanceConfig
from examples.store.conformance import CONFORMANCE


@pytest.fixture(scope="session")
def dal_conformance() -> ConformanceConfig:
    """The store's entities, contract and MySQL schema, with its samples of users."""
    return CONFORMANCE


@pytest.fixture(scope="session")
def dal_sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database of this folder's own."""
    return f"sqlite:///{tmp_path_factory.mktemp('store') / 'store.db'}"


@pytest.fixture(scope="session")
def dal_mysql_url(mysql_server_url: str) -> Iterator[str]:
    """A MariaDB database of this folder's own (the store's tables clash with no other)."""
    name = servers.unique_name("dal_conf_store_")
    url = mariadb.create_database(mysql_server_url, name)
    yield url
    mariadb.drop_database(mysql_server_url, name)


@pytest.fixture(scope="session")
def dal_table_prefix(table_prefix: str) -> str:
    """This run's table prefix, with a part of its own."""
    return f"{table_prefix}store_"
