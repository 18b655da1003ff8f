"""Session fixtures for real servers, shared by every test folder.

* ``mysql_url``: SQLAlchemy URL of a fresh, empty utf8mb4 database on a MySQL-compatible
  server, dropped at the end of the run.
* ``dynamodb_endpoint``: URL of DynamoDB Local (or of the server in ``DAL_TEST_DYNAMODB_URL``).
* ``table_prefix``: a table-name prefix unique to this run; its tables are deleted at the end.
* ``sqlite_url``: SQLAlchemy URL of a SQLite file database in a temporary folder.
* ``mysql_proxy``, ``dynamodb_proxy``: a :class:`~support.proxy.FaultProxy` in front of
  each server, for one test (healed and stopped after it).

``tests/servers.py`` says where the servers come from. Tests that use ``mysql_url`` get the
``mysql`` marker and tests that use ``dynamodb_endpoint`` or ``table_prefix`` get the
``dynamodb`` marker, so ``pytest -m "not mysql and not dynamodb"`` runs without servers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import NoReturn
from urllib.parse import urlsplit

import pytest
import servers  # tests/ is on sys.path: pytest puts this conftest's folder there
from sqlalchemy.engine import make_url
from support.proxy import FaultProxy

from dal.local import mariadb

log = logging.getLogger(__name__)

_MARKERS_BY_FIXTURE = {
    "mysql_url": "mysql",
    "mysql_server_url": "mysql",
    "dynamodb_endpoint": "dynamodb",
    "table_prefix": "dynamodb",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test by the servers its fixtures need."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        for marker in sorted({_MARKERS_BY_FIXTURE[n] for n in names if n in _MARKERS_BY_FIXTURE}):
            item.add_marker(marker)


def _unavailable(reason: str) -> NoReturn:
    if servers.servers_required():
        pytest.fail(f"{reason} ({servers.REQUIRE_VARIABLE}=1)", pytrace=False)
    pytest.skip(reason)


def _start(find: servers.ServerFinder) -> servers.Server:
    try:
        return find()
    except servers.Unavailable as error:
        reason = str(error)
    _unavailable(reason)  # outside the except block: no chained traceback in the report


@pytest.fixture(scope="session")
def mysql_server_url() -> Iterator[str]:
    """URL of a MySQL-compatible server, without a database."""
    server = _start(servers.mysql_server)
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def mysql_url(mysql_server_url: str) -> Iterator[str]:
    """URL of a fresh, empty utf8mb4 database of this run; dropped at the end."""
    name = servers.unique_name("dal_test_")
    url = mariadb.create_database(mysql_server_url, name)
    yield url
    mariadb.drop_database(mysql_server_url, name)


@pytest.fixture(scope="session")
def dynamodb_endpoint() -> Iterator[str]:
    """URL of a DynamoDB endpoint where every client sees the same tables (warmed up)."""
    server = _start(servers.dynamodb_server)
    servers.warm_up_dynamodb(server.url)
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def table_prefix(dynamodb_endpoint: str) -> Iterator[str]:
    """A table-name prefix unique to this run; its tables are deleted at the end."""
    prefix = servers.unique_name("dal_test_") + "_"
    yield prefix
    deleted = servers.delete_tables(dynamodb_endpoint, prefix)
    log.info("deleted %d tables with prefix %s", len(deleted), prefix)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """URL of a SQLite file database in a temporary folder of this run."""
    return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'dal.db'}"


@pytest.fixture
def mysql_proxy(mysql_server_url: str) -> Iterator[FaultProxy]:
    """A fault proxy in front of the MySQL-compatible server (URL: ``mysql_server_url``)."""
    url = make_url(mysql_server_url)
    with FaultProxy(url.host or "127.0.0.1", url.port or 3306) as proxy:
        yield proxy
        proxy.heal()


@pytest.fixture
def dynamodb_proxy(dynamodb_endpoint: str) -> Iterator[FaultProxy]:
    """A fault proxy in front of DynamoDB (endpoint: ``dynamodb_endpoint``)."""
    parts = urlsplit(dynamodb_endpoint)
    with FaultProxy(parts.hostname or "127.0.0.1", parts.port or 8000) as proxy:
        yield proxy
        proxy.heal()
