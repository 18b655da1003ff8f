"""Verify on MariaDB and DynamoDB Local: clean on awkward data, every planted drift found."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from migrate_data import Sizes, fill
from sqlalchemy import Engine, insert, text

from dal.migrate.backfill import BackfillOptions, select_plans
from dal.migrate.tools import MigrationTools
from dal.migrate.verify import Kind, VerifyOptions, VerifyReport
from dal.routing.redaction import Redactor
from examples.store.schema import categories, products, users


def _verify(tools: MigrationTools, **fields: Any) -> VerifyReport:
    options = VerifyOptions(**fields)
    return tools.verifier().run(options, select_plans(tools.plans, options.entities))


def _awkward_rows(engine: Engine) -> None:
    at = datetime(2026, 3, 1, 12, 30, 45, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            insert(users),
            [
                {
                    "id": 1,
                    "username": "名前",
                    "email": "ünïcødé@exämple.com",
                    "password_hash": "🔒",
                    "first_name": "",
                    "last_name": None,
                    "is_seller": True,
                    "super_admin": False,
                    "created_at": at,
                    "updated_at": at,
                    "version": 7,
                },
                {
                    "id": 2147483647,
                    "username": "max id",
                    "email": "max@example.com",
                    "password_hash": "x",
                    "first_name": None,
                    "last_name": None,
                    "is_seller": False,
                    "super_admin": True,
                    "created_at": datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC),
                    "updated_at": datetime(2038, 1, 19, 3, 14, 7, tzinfo=UTC),
                    "version": 1,
                },
            ],
        )
        connection.execute(
            insert(categories),
            [{"id": 1, "name": "Ça & ß / 'quote'", "parent_id": None, "created_at": at}],
        )
        connection.execute(
            insert(products),
            [
                {
                    "id": 1,
                    "seller_id": 1,
                    "category_id": 1,
                    "name": "x" * 200,
                    "description": "",
                    "price": Decimal("99999999.99"),
                    "inventory_quantity": 2147483647,
                    "image_url": None,
                    "created_at": at,
                    "updated_at": at,
                    "version": 1,
                },
                {
                    "id": 2,
                    "seller_id": 1,
                    "category_id": 1,
                    "name": "zero",
                    "description": "line\nbreak\ttab \u0000 nul",
                    "price": Decimal("0.00"),
                    "inventory_quantity": 0,
                    "image_url": "",
                    "created_at": at,
                    "updated_at": at,
                    "version": 1,
                },
            ],
        )


def test_identical_data_with_awkward_values_verifies_clean(
    tools: MigrationTools, engine: Engine
) -> None:
    _awkward_rows(engine)
    fill(engine, sizes=Sizes(users=5, categories=3, products=5), start=10)
    summary = tools.backfill().run(BackfillOptions())
    assert summary.ok, summary.results

    report = _verify(tools)

    assert report.findings == []
    assert report.ok
    assert report.counts["users"].rows == 7
    assert report.counts["users"].scanned == report.counts["users"].items == 14


def test_every_planted_drift_is_found_with_its_key_and_path(
    tools: MigrationTools, engine: Engine, raw: Any, prefix: str
) -> None:
    fill(engine, Sizes(users=6, products=8))
    tools.backfill().run(BackfillOptions())
    users_table, products_table = prefix + "Users", prefix + "Products"
    raw.update_item(
        TableName=products_table,
        Key={"PK": {"S": "3"}, "SK": {"S": "#META"}},
        UpdateExpression="SET price = :p",
        ExpressionAttributeValues={":p": {"N": "1.5"}},
    )
    raw.update_item(
        TableName=users_table,
        Key={"PK": {"S": "user2@example.com"}, "SK": {"S": "#META"}},
        UpdateExpression="SET profile_data.first_name = :f, password_hash = :h",
        ExpressionAttributeValues={":f": {"S": "Changed"}, ":h": {"S": "leaked"}},
    )
    raw.delete_item(TableName=products_table, Key={"PK": {"S": "4"}, "SK": {"S": "#META"}})
    raw.put_item(
        TableName=products_table,
        Item={"PK": {"S": "999"}, "SK": {"S": "#META"}, "product_name": {"S": "ghost"}},
    )
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE orders SET status = 'cancelled', updated_at = updated_at WHERE id = 5")
        )
        connection.execute(text("DELETE FROM shopping_carts WHERE user_id = 6 AND product_id = 7"))

    report = _verify(tools)

    found = {(f.kind, f.table, tuple(f.key.values())): f for f in report.findings}
    assert set(found) == {
        (Kind.DIFFERENT, products_table, ("3", "#META")),
        (Kind.DIFFERENT, users_table, ("user2@example.com", "#META")),
        (Kind.MISSING_IN_DYNAMODB, products_table, ("4", "#META")),
        (Kind.MISSING_IN_MYSQL, products_table, ("999", "#META")),
        (Kind.DIFFERENT, users_table, ("user5@example.com", "ORDER#2026-01-01T00:00:05Z#5")),
        (Kind.MISSING_IN_MYSQL, users_table, ("user6@example.com", "CART#7")),
    }
    assert not report.ok
    price = found[(Kind.DIFFERENT, products_table, ("3", "#META"))].differences
    assert [(d.path, d.mysql, d.dynamodb) for d in price] == [("price", "3.99", "1.5")]
    user = found[(Kind.DIFFERENT, users_table, ("user2@example.com", "#META"))]
    paths = {d.path: d for d in user.differences}
    assert set(paths) == {"password_hash", "profile_data.first_name"}
    assert "leaked" not in str(report.to_json())
    assert str(paths["password_hash"].dynamodb).startswith("<redacted:")
    first_name = paths["profile_data.first_name"]  # a person's name: redacted by default
    assert (first_name.mysql, first_name.dynamodb) == (
        Redactor().token("First2"),
        Redactor().token("Changed"),
    )
    order = found[
        (Kind.DIFFERENT, users_table, ("user5@example.com", "ORDER#2026-01-01T00:00:05Z#5"))
    ]
    assert [d.path for d in order.differences] == ["order_status"]


def test_denormalized_snapshots_do_not_fail_unless_included(
    tools: MigrationTools, engine: Engine
) -> None:
    fill(engine, Sizes(users=3, products=4))
    tools.backfill().run(BackfillOptions())
    with engine.begin() as connection:
        connection.execute(text("UPDATE products SET price = 5.00 WHERE id = 2"))
        connection.execute(text("UPDATE categories SET name = 'Renamed' WHERE id = 1"))

    lenient = _verify(tools, entities=("carts",))
    strict = _verify(tools, include_denormalized=True)

    assert lenient.ok
    kinds = {f.kind for f in strict.findings}
    assert Kind.DENORMALIZED in kinds
    assert not strict.ok
    snapshot_paths = {
        d.path for f in strict.findings if f.kind is Kind.DENORMALIZED for d in f.differences
    }
    assert snapshot_paths <= {"price", "product_name", "category_path"}


@pytest.mark.parametrize("entity", ["users", "categories"])
def test_a_missing_guard_item_is_reported(
    tools: MigrationTools, engine: Engine, raw: Any, prefix: str, entity: str
) -> None:
    fill(engine, Sizes(users=2, categories=2, products=3))
    tools.backfill().run(BackfillOptions())
    table, key = (
        (prefix + "Users", "USERNAME#user1")
        if entity == "users"
        else (prefix + "Categories", "UNIQUE#categories#name#Category 1")
    )
    raw.delete_item(TableName=table, Key={"PK": {"S": key}, "SK": {"S": "#UNIQUE"}})

    report = _verify(tools, entities=(entity,))

    assert [(f.kind, f.key["PK"]) for f in report.findings] == [(Kind.MISSING_IN_DYNAMODB, key)]
