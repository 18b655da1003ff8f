"""Fixtures of the change-data-capture tests: a MariaDB with a binary log, the tracker.

The session starts a MariaDB of its own (``log_bin``, ``binlog_format=ROW``,
``binlog_row_image=FULL``) on a free port with a temporary data folder, unless
``DAL_TEST_BINLOG_MYSQL_URL`` names one (``tests/servers.py``). Each test gets a fresh
tracker database on it (the tracker's schema and the layer's tables) and the tracker's
DynamoDB tables, with streams, under a prefix of its own.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
import servers
from sqlalchemy import Engine

from adapters.mysql import create_engine
from dal.aws import dynamodb_client
from dal.contract import load_contract
from dal.local import mariadb
from dal.migrations import upgrade
from dal.schema import create_tables
from dal.settings import Settings
from examples.tracker import CONTRACT
from examples.tracker.schema import metadata

_serial = itertools.count(1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here needs MySQL (with a binary log) and DynamoDB."""
    for item in items:
        if "integration/cdc" in str(item.path):
            item.add_marker("mysql")
            item.add_marker("dynamodb")


def _unavailable(reason: str) -> NoReturn:
    if servers.servers_required():
        pytest.fail(f"{reason} ({servers.REQUIRE_VARIABLE}=1)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def binlog_server_url() -> Iterator[str]:
    """URL (no database) of a MariaDB whose binary log is on and row-based."""
    try:
        server = servers.binlog_mysql_server()
    except servers.Unavailable as error:
        _unavailable(str(error))
    yield server.url
    server.stop()


@pytest.fixture
def tracker_url(binlog_server_url: str) -> Iterator[str]:
    """A fresh tracker database (its tables and the layer's); dropped after the test."""
    name = servers.unique_name("dal_cdc_")
    url = mariadb.create_database(binlog_server_url, name)
    engine = create_engine(url)
    metadata.create_all(engine)
    engine.dispose()
    upgrade(url)
    yield url
    mariadb.drop_database(binlog_server_url, name)


@pytest.fixture
def engine(tracker_url: str) -> Iterator[Engine]:
    """An engine on the test's tracker database."""
    created = create_engine(tracker_url)
    yield created
    created.dispose()


@pytest.fixture(scope="session")
def raw(dynamodb_endpoint: str) -> Any:
    """A plain boto3 client."""
    return dynamodb_client(dynamodb_endpoint, "us-east-1")


@pytest.fixture
def prefix(table_prefix: str, raw: Any) -> str:
    """A table prefix of this test, with the tracker's tables (and their streams) created."""
    chosen = f"{table_prefix}c{next(_serial)}_"
    create_tables(raw, load_contract(CONTRACT), chosen, streams=True)
    return chosen


@pytest.fixture
def flags_file(tmp_path: Path) -> Callable[[str], Path]:
    """Writes the flags file: every tracker entity at one stage."""
    path = tmp_path / "flags.toml"

    def write(stage: str) -> Path:
        lines = ["[stages]", *(f'{name} = "{stage}"' for name in ("projects", "labels", "tickets"))]
        path.write_text("\n".join(lines) + "\n")
        return path

    write("dual_write")
    return write


@pytest.fixture
def settings(
    tracker_url: str, dynamodb_endpoint: str, prefix: str, flags_file: Callable[[str], Path]
) -> Settings:
    """Settings of the test's database, tables and flags (records off)."""
    return Settings(
        mysql_url=tracker_url,
        dynamodb_endpoint=dynamodb_endpoint,
        dynamodb_region="us-east-1",
        table_prefix=prefix,
        contract=CONTRACT,
        declarations="examples.tracker.declarations",
        flags=flags_file("dual_write"),
        records=None,
        repair_log=None,
    )


@pytest.fixture
def environment(settings: Settings, tmp_path: Path) -> dict[str, str]:
    """The environment of a ``python -m dal`` subprocess on the test's settings."""
    import os

    root = Path(__file__).parents[3]
    return {
        **os.environ,
        "PYTHONPATH": str(root),
        "DAL_MYSQL_URL": settings.mysql_url or "",
        "DAL_DYNAMODB_ENDPOINT": settings.dynamodb_endpoint or "",
        "DAL_DYNAMODB_REGION": settings.dynamodb_region,
        "DAL_TABLE_PREFIX": settings.table_prefix,
        "DAL_CONTRACT": str(settings.contract),
        "DAL_DECLARATIONS": settings.declarations or "",
        "DAL_FLAGS": str(settings.flags),
        "DAL_RECORDS": str(tmp_path / "records.jsonl"),
        "DAL_REPAIR_LOG": "off",
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "local"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "local"),
    }
