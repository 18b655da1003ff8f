"""Repair on MariaDB and DynamoDB Local: the stage's direction, idempotence, concurrent writes."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from migrate_data import Sizes, fill, scan_all
from sqlalchemy import Engine, select, text

from dal.migrate.backfill import BackfillOptions, select_plans
from dal.migrate.plan import SourcePlan
from dal.migrate.repair import Outcome, RepairOptions, RepairReport
from dal.migrate.tools import MigrationTools
from dal.migrate.verify import Verifier, VerifyOptions, VerifyReport
from dal.routing.flags import StaticFlags
from dal.routing.repairlog import RepairEntry, RepairLog
from dal.routing.stages import Side
from examples.store import CONTRACT as STORE_CONTRACT
from examples.store.schema import order_items, orders, products, shopping_carts


def _repair(tools: MigrationTools, *entities: str, dry_run: bool = False) -> RepairReport:
    options = RepairOptions(entities=entities, dry_run=dry_run)
    return tools.repairer().run(options, select_plans(tools.plans, options.entities))


def _clean(tools: MigrationTools) -> bool:
    return tools.verifier().run(VerifyOptions(), list(tools.plans.values())).ok


def _plant_dynamodb_drift(raw: Any, prefix: str) -> None:
    raw.update_item(
        TableName=prefix + "Products",
        Key={"PK": {"S": "2"}, "SK": {"S": "#META"}},
        UpdateExpression="SET price = :p REMOVE description",
        ExpressionAttributeValues={":p": {"N": "0.5"}},
    )
    raw.delete_item(
        TableName=prefix + "Users", Key={"PK": {"S": "user3@example.com"}, "SK": {"S": "#META"}}
    )
    raw.put_item(
        TableName=prefix + "Users",
        Item={"PK": {"S": "user1@example.com"}, "SK": {"S": "CART#99"}, "quantity": {"N": "1"}},
    )


def test_repair_with_mysql_authoritative_then_verify_is_clean_and_a_second_run_changes_nothing(
    tools: MigrationTools, engine: Engine, raw: Any, prefix: str
) -> None:
    fill(engine, Sizes(users=5, products=6))
    tools.backfill().run(BackfillOptions())
    _plant_dynamodb_drift(raw, prefix)
    with engine.begin() as connection:
        connection.execute(text("UPDATE products SET name = 'Renamed' WHERE id = 4"))
    planned = _repair(tools, dry_run=True)
    assert {a.outcome for a in planned.actions} == {Outcome.PLANNED}
    assert not _clean(tools)  # a dry run changes nothing

    first = _repair(tools)
    second = _repair(tools)

    assert first.ok
    assert {a.side for a in first.actions} == {Side.NEW}
    assert sorted(a.action for a in first.actions) == [
        "delete item",
        "put item",
        "put item",
        "put item",
    ]
    assert _clean(tools)
    assert second.actions == []


def test_repair_with_dynamodb_authoritative_fixes_mysql_rows(
    tools: MigrationTools, engine: Engine, raw: Any, prefix: str
) -> None:
    fill(engine, Sizes(users=4, products=5))
    tools.backfill().run(BackfillOptions())
    raw.update_item(
        TableName=prefix + "Products",
        Key={"PK": {"S": "3"}, "SK": {"S": "#META"}},
        UpdateExpression="SET price = :p, version = :v",
        ExpressionAttributeValues={":p": {"N": "42.5"}, ":v": {"N": "2"}},
    )
    order_item = next(
        i
        for i in scan_all(raw, prefix + "Users")
        if i["SK"]["S"].startswith("ORDER#") and (i["order_id"]["S"] == "2")
    )
    order_item["order_status"] = {"S": "completed"}
    order_item["order_items"]["L"] = order_item["order_items"]["L"][:1]
    order_item["version"] = {"N": "2"}
    raw.put_item(TableName=prefix + "Users", Item=order_item)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM shopping_carts WHERE user_id = 1 AND product_id = 2"))
    tools.flags = StaticFlags({"products": "live", "orders": "live", "carts": "live"})

    first = _repair(tools, "products", "orders", "carts")
    second = _repair(tools, "products", "orders", "carts")

    assert first.ok, [a.to_json() for a in first.actions]
    assert {a.side for a in first.actions} == {Side.OLD}
    assert second.actions == []
    with engine.connect() as connection:
        price, version = connection.execute(
            select(products.c.price, products.c.version).where(products.c.id == 3)
        ).one()
        status = connection.execute(select(orders.c.status).where(orders.c.id == 2)).scalar_one()
        lines = connection.execute(
            select(order_items.c.product_id).where(order_items.c.order_id == 2)
        ).all()
        restored = connection.execute(
            select(shopping_carts.c.quantity).where(
                shopping_carts.c.user_id == 1, shopping_carts.c.product_id == 2
            )
        ).scalar()
    assert (price, version) == (Decimal("42.50"), 2)
    assert status == "completed"
    assert len(lines) == 1
    assert restored == 2
    assert _clean(tools)


class _ConcurrentWrite(Verifier):
    """A verifier after whose run a live write changes an item the repair is about to fix."""

    def __init__(self, inner: Verifier, write: Any) -> None:
        self.__dict__.update(inner.__dict__)
        self._write = write

    def run(self, options: VerifyOptions, chosen: Sequence[SourcePlan]) -> VerifyReport:
        report = super().run(options, chosen)
        self._write()
        return report


def test_repair_never_overwrites_an_item_written_after_verification(
    tools: MigrationTools, engine: Engine, raw: Any, prefix: str
) -> None:
    fill(engine, Sizes(users=2, products=3))
    tools.backfill().run(BackfillOptions())
    key = {"PK": {"S": "1"}, "SK": {"S": "#META"}}
    raw.update_item(
        TableName=prefix + "Products",
        Key=key,
        UpdateExpression="SET price = :p",
        ExpressionAttributeValues={":p": {"N": "7.77"}},
    )

    def live_write() -> None:
        raw.update_item(
            TableName=prefix + "Products",
            Key=key,
            UpdateExpression="SET price = :p, version = :v",
            ExpressionAttributeValues={":p": {"N": "8.88"}, ":v": {"N": "2"}},
        )

    repairer = tools.repairer()
    repairer._verifier = _ConcurrentWrite(repairer._verifier, live_write)
    report = repairer.run(RepairOptions(entities=("products",)), [tools.plans["products"]])

    assert [a.outcome for a in report.actions] == [Outcome.SKIPPED]
    stored = raw.get_item(TableName=prefix + "Products", Key=key, ConsistentRead=True)["Item"]
    assert stored["price"] == {"N": "8.88"}


def test_repair_from_the_router_log_fixes_the_logged_entities_and_marks_them_done(
    tools: MigrationTools, engine: Engine, raw: Any, prefix: str, tmp_path: Path
) -> None:
    fill(engine, Sizes(users=3, products=3))
    tools.backfill().run(BackfillOptions())
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE products SET inventory_quantity = 0, version = 2 WHERE id = 1")
        )
    log = RepairLog(tmp_path / "repair.jsonl", durable=False)
    log.append(
        RepairEntry(
            entity="products",
            operation="set_inventory",
            stage="dual_write",
            side="new",
            reason="secondary write failed",
            args={"product_id": 1, "quantity": 0},
            result_key={"id": 1},
        )
    )
    from typer.testing import CliRunner

    from dal.cli import app

    env = {
        "DAL_MYSQL_URL": str(engine.url.render_as_string(hide_password=False)),
        "DAL_DYNAMODB_ENDPOINT": tools.client.connection.client.meta.endpoint_url,
        "DAL_TABLE_PREFIX": prefix,
        "DAL_CONTRACT": str(STORE_CONTRACT),
        "DAL_DECLARATIONS": "examples.store.declarations",
    }
    result = CliRunner().invoke(app, ["repair", "--from-log", str(log.path)], env=env)

    assert result.exit_code == 0, result.output
    assert list(log.read()) == []
    stored = raw.get_item(
        TableName=prefix + "Products", Key={"PK": {"S": "1"}, "SK": {"S": "#META"}}
    )["Item"]
    assert stored["inventory_quantity"] == {"N": "0"}
