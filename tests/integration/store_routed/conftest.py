"""The reference store behind the router on MariaDB and DynamoDB Local, built by the container.

Each test gets a fresh MariaDB database migrated to the store's schema (the layer's
bookkeeping tables included), the store contract's DynamoDB tables under a prefix
of its own, and settings naming the store's declarations, with every entity at one
stage.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import servers
from dependency_injector import providers
from sqlalchemy import Engine

from adapters.mysql import create_engine
from dal.aws import dynamodb_client
from dal.contract import load_contract
from dal.local import mariadb
from dal.routing import Recorder, ShadowSettings
from dal.schema import create_tables
from dal.settings import Settings
from examples.store import CONTRACT
from examples.store.migrations import upgrade
from examples.store.store import Store
from examples.store.wiring import store_container

_serial = itertools.count(1)
ENTITIES = ("users", "categories", "products", "carts", "orders")


@pytest.fixture
def engine(mysql_server_url: str) -> Iterator[Engine]:
    """A fresh database with the store's schema; dropped afterwards."""
    name = servers.unique_name("dal_routed_store_")
    url = mariadb.create_database(mysql_server_url, name)
    created = create_engine(url)
    upgrade(created)
    yield created
    created.dispose()
    mariadb.drop_database(mysql_server_url, name)


@pytest.fixture
def raw(dynamodb_endpoint: str) -> Any:
    """A plain boto3 client, to read items as stored."""
    return dynamodb_client(dynamodb_endpoint, "us-east-1")


@pytest.fixture
def prefix(table_prefix: str, raw: Any) -> str:
    """The test's table prefix, with the store contract's tables created."""
    chosen = f"{table_prefix}rs{next(_serial)}_"
    create_tables(raw, load_contract(CONTRACT), chosen)
    return chosen


@pytest.fixture
def settings_at(
    engine: Engine, dynamodb_endpoint: str, prefix: str, tmp_path: Path
) -> Callable[[str], Settings]:
    """Settings of the test's database and tables with every entity at ``stage``."""

    def at(stage: str) -> Settings:
        flags = tmp_path / f"flags-{stage}.toml"
        lines = ["[stages]", *(f'{name} = "{stage}"' for name in ENTITIES)]
        flags.write_text("\n".join(lines) + "\n")
        return Settings(
            mysql_url=engine.url.render_as_string(hide_password=False),
            dynamodb_endpoint=dynamodb_endpoint,
            dynamodb_region="us-east-1",
            table_prefix=prefix,
            contract=CONTRACT,
            flags=flags,
            declarations="examples.store.declarations",
        )

    return at


@contextmanager
def routed(settings: Settings, recorder: Recorder, log: Path) -> Iterator[Store]:
    """The store's routed store of ``settings``; closing it flushes the shadow work."""
    container = store_container(settings)
    container.recorder.override(providers.Object(recorder))
    container.repair_log.override(providers.Object(log))
    container.shadow_settings.override(providers.Object(ShadowSettings(budget=15.0)))
    try:
        yield container.routed_store()
    finally:
        container.shutdown_resources()


def scan(raw: Any, table: str) -> list[dict[str, Any]]:
    """Every item of a DynamoDB table (consistent)."""
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": table, "ConsistentRead": True}
    while True:
        page = raw.scan(**request)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
