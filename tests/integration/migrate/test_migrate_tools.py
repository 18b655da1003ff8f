"""The container builds the migration tools; their DynamoDB requests skip capacity accounting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from adapters.dynamodb import DynamoClient, connect
from dal.container import build_container
from dal.migrate.tools import MigrationTools, open_tools
from dal.settings import Settings


def _put(client: DynamoClient, prefix: str, product_id: str) -> dict[str, Any]:
    item = {"PK": {"S": product_id}, "SK": {"S": "#META"}, "product_name": {"S": "x"}}
    return client.call("PutItem", {"TableName": prefix + "Products", "Item": item})


def test_the_container_builds_tools_over_the_settings_and_disposes_them(
    settings: Settings, engine: Engine
) -> None:
    container = build_container(settings)
    container.migration_workers.override(3)

    tools = container.migration_tools()

    assert isinstance(tools, MigrationTools)
    assert tools.engine.url.database == engine.url.database
    assert tools.engine.pool.size() == 5  # type: ignore[attr-defined]  # workers + 2
    assert container.migration_tools() is tools
    assert set(tools.plans) == {"users", "carts", "orders", "products", "categories"}
    assert tools.plans["products"].targets[0].table_name == settings.table_prefix + "Products"
    with tools.engine.connect():
        assert tools.engine.pool.checkedout() == 1  # type: ignore[attr-defined]
    container.shutdown_resources()
    assert tools.engine.pool.checkedin() == 0  # type: ignore[attr-defined]


def test_open_tools_takes_another_contract(settings: Settings, tmp_path: Path) -> None:
    changed = tmp_path / "contract.json"
    text = settings.contract.read_text().replace('"Products"', '"Goods"')
    changed.write_text(text)

    with open_tools(settings, workers=1, contract=changed) as tools:
        assert tools.plans["products"].targets[0].table_name == settings.table_prefix + "Goods"


def test_tool_requests_ask_for_no_consumed_capacity(settings: Settings, prefix: str) -> None:
    plain = DynamoClient(connect(settings.dynamodb_endpoint, settings.dynamodb_region))

    with open_tools(settings, workers=1) as tools:
        answered = _put(tools.client, prefix, "1")

    assert "ConsumedCapacity" in _put(plain, prefix, "2")  # what PynamoDB asks for by default
    assert "ConsumedCapacity" not in answered
