"""Fixtures of the Dask tests: one LocalCluster of 2 worker processes for the module, and a
fresh store database with its own DynamoDB tables per test."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from distributed import Client, LocalCluster
from support import backfills

from dal.contract import load_contract
from dal.migrate.tools import MigrationTools, open_tools
from dal.schema import create_tables
from dal.settings import Settings
from examples.store import CONTRACT

_serial = itertools.count(1)

raw = backfills.raw
store_url = backfills.store_url
engine = backfills.engine


@pytest.fixture(scope="module")
def dask() -> Iterator[Client]:
    """A client of a LocalCluster of 2 single-threaded worker processes."""
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    with cluster, Client(cluster) as client:
        client.wait_for_workers(2, timeout=120)
        yield client


def new_tables(raw: Any, table_prefix: str) -> str:
    """A new prefix of this run with the contract's tables created."""
    chosen = f"{table_prefix}d{next(_serial)}_"
    create_tables(raw, load_contract(CONTRACT), chosen)
    return chosen


@pytest.fixture
def prefix(table_prefix: str, raw: Any) -> str:
    """A table prefix of this test, with the contract's tables created."""
    return new_tables(raw, table_prefix)


@pytest.fixture
def settings(store_url: str, dynamodb_endpoint: str, prefix: str) -> Settings:
    """Settings of the test's database and tables."""
    return backfills.store_settings(store_url, dynamodb_endpoint, prefix)


@pytest.fixture
def tools(settings: Settings) -> Iterator[MigrationTools]:
    """Backfill and verify over the test's database and tables, in this process."""
    with open_tools(settings, workers=2) as opened:
        yield opened
