"""Helpers of the backfill tests: fixtures of a fresh store database (made by the store's
migrations) and a raw client, and a progress reporter that stops a backfill after some pages
(as Ctrl-C or a crash would). A conftest imports the fixtures it uses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import servers
from sqlalchemy import Engine

from adapters.mysql import create_engine
from dal.aws import dynamodb_client
from dal.local import mariadb
from dal.settings import Settings
from examples.store import CONTRACT
from examples.store.migrations import upgrade


class Stopped(Exception):
    """A backfill stopped from outside after some pages."""


class StopAfter:
    """A progress reporter that stops the backfill once ``pages`` pages are checkpointed."""

    def __init__(self, pages: int) -> None:
        self.left = pages

    def start(self, name: str, total: int | None) -> None:
        """Ignore."""

    def advance(self, name: str, rows: int) -> None:
        """Count a checkpointed page; stop after the last one allowed."""
        self.left -= 1
        if self.left == 0:
            raise Stopped(name)

    def finish(self, name: str) -> None:
        """Ignore."""


@contextmanager
def store_database(server_url: str, prefix: str) -> Iterator[str]:
    """A fresh store database made by ``examples.store.migrations.upgrade``; dropped after."""
    name = servers.unique_name(prefix)
    url = mariadb.create_database(server_url, name)
    upgrade(url)
    try:
        yield url
    finally:
        mariadb.drop_database(server_url, name)


@pytest.fixture(scope="session")
def raw(dynamodb_endpoint: str) -> Any:
    """A plain boto3 client, to plant drift and read items as stored."""
    return dynamodb_client(dynamodb_endpoint, "us-east-1")


@pytest.fixture
def store_url(mysql_server_url: str) -> Iterator[str]:
    """A fresh store database made by ``examples.store.migrations.upgrade``; dropped after."""
    with store_database(mysql_server_url, "dal_mig_") as url:
        yield url


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    """An engine on the test's store database."""
    created = create_engine(store_url)
    yield created
    created.dispose()


def store_settings(store_url: str, dynamodb_endpoint: str, prefix: str) -> Settings:
    """Settings of a store database and a table prefix, with the store's contract."""
    return Settings(
        mysql_url=store_url,
        dynamodb_endpoint=dynamodb_endpoint,
        dynamodb_region="us-east-1",
        table_prefix=prefix,
        contract=CONTRACT,
        declarations="examples.store.declarations",
    )
