"""The commands end to end: schema create, backfill, verify, drift, repair, verify (CliRunner)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from migrate_data import Sizes, fill
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from dal.cli import app
from dal.routing.redaction import token

runner = CliRunner()


def _dal(*args: str) -> Any:
    return runner.invoke(app, list(args))


@pytest.mark.slow
def test_backfill_verify_drift_repair_verify(
    engine: Engine, raw: Any, prefix: str, cli_env: Callable[[dict[str, str]], None]
) -> None:
    fill(engine, Sizes(users=25, categories=9, products=50))

    assert _dal("schema", "create").exit_code == 0
    backfilled = _dal("backfill", "--workers", "2")
    assert backfilled.exit_code == 0, backfilled.output
    clean = _dal("verify")
    assert clean.exit_code == 0, clean.output
    assert "Both sides agree." in clean.output

    raw.update_item(
        TableName=prefix + "Categories",
        Key={"PK": {"S": "ROOT"}, "SK": {"S": "Category 1"}},
        UpdateExpression="SET children_count = :c",
        ExpressionAttributeValues={":c": {"N": "9"}},
    )
    raw.delete_item(TableName=prefix + "Products", Key={"PK": {"S": "7"}, "SK": {"S": "#META"}})
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM shopping_carts WHERE user_id = 3 AND product_id = 4"))
    drifted = _dal("verify", "--json")
    assert drifted.exit_code == 1, drifted.output
    findings = json.loads(drifted.stdout)["findings"]
    assert {(f["kind"], f["key"]["PK"], f["key"]["SK"]) for f in findings} == {
        ("different", "ROOT", "Category 1"),
        ("missing_in_dynamodb", "7", "#META"),
        ("missing_in_mysql", token("user3@example.com"), "CART#4"),  # emails are redacted
    }
    category = next(f for f in findings if f["kind"] == "different")
    assert category["differences"] == [{"path": "children_count", "mysql": 1, "dynamodb": 9}]

    repaired = _dal("repair", "--authoritative", "mysql")
    assert repaired.exit_code == 0, repaired.output
    again = _dal("verify")
    assert again.exit_code == 0, again.output
    assert _dal("repair", "--authoritative", "mysql", "--json").stdout.count('"outcome"') == 0


def test_bad_input_exits_2_with_a_message(cli_env: Callable[[dict[str, str]], None]) -> None:
    unknown = _dal("verify", "--entity", "nope")
    segment = _dal("backfill", "--segment", "3", "--segments", "2")
    batch = _dal("backfill", "--batch-size", "101")
    log = _dal("repair", "--from-log", "/nonexistent/repair.jsonl")

    assert unknown.exit_code == 2
    assert "unknown entity nope" in unknown.output
    assert segment.exit_code == 2
    assert "--segment must be below --segments" in segment.output
    assert batch.exit_code == 2
    assert log.exit_code == 2
    assert "does not exist" in log.output


def test_an_unreachable_dynamodb_exits_3(
    cli_env: Callable[[dict[str, str]], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAL_DYNAMODB_ENDPOINT", "http://127.0.0.1:9")

    result = _dal("verify", "--entity", "products")

    assert result.exit_code == 3, result.output
