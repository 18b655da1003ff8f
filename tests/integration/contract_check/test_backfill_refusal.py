"""The backfill refuses the values the check flags as lost, by table, column and key, and copies
the rest; a column the contract stores as text (``S``) is copied."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from dal.aws import dynamodb_client
from dal.cli import app

runner = CliRunner()
SAFE = 40
UNSAFE = {1001: "amount", 1002: "blob_data", 1003: "born", 1004: "dur"}


def _attribute(name: str, kind: str, column: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "source_table": "ledger", "source_column": column, **extra}


def _contract(path: Path, amount_as_text: bool) -> Path:
    attributes = [
        _attribute("PK", "S", "id"),
        _attribute("SK", "S", "id", transformation={"type": "string-format", "format": "#META"}),
        _attribute("note", "S", "note"),
    ]
    if amount_as_text:
        attributes.append(_attribute("amount", "S", "amount"))
    table = {
        "table": "Ledger",
        "type": "single-entity",
        "source_table": "ledger",
        "pk": "PK",
        "sk": "SK",
        "gsis": [],
        "attributes": attributes,
        "satisfies": ["entry by id"],
        "estimated_item_size_bytes": 400,
    }
    path.write_text(json.dumps({"tables": [table]}))
    return path


def _fill(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("SET SESSION sql_mode = ''"))
        connection.execute(
            text(
                "CREATE TABLE ledger (id BIGINT PRIMARY KEY, amount DECIMAL(65,30),"
                " note VARCHAR(100), blob_data MEDIUMBLOB, born DATE, dur TIME)"
            )
        )
        connection.execute(
            text("INSERT INTO ledger (id, amount, note, born) VALUES (:i, :a, :n, :b)"),
            [
                {"i": i, "a": Decimal(i) / 7, "n": "naïve ☕" if i % 2 else "", "b": "2000-02-29"}
                for i in range(1, SAFE + 1)
            ],
        )
        connection.execute(
            text(
                "INSERT INTO ledger (id, amount, blob_data, born, dur) VALUES"
                " (1001, 1234567890.123456789012345678901234567891, NULL, NULL, NULL),"
                " (1002, 1, :blob, NULL, NULL), (1003, 1, NULL, '0000-00-00', NULL),"
                " (1004, 1, NULL, NULL, '-01:00:00')"
            ),
            {"blob": b"\x01" * (390 * 1024)},
        )


def _run(*args: str) -> Any:
    return runner.invoke(app, list(args))


@pytest.mark.parametrize("amount_as_text", [False, True])
def test_backfill_refuses_lost_values_and_copies_the_rest(
    db: Engine,
    db_url: str,
    dynamodb_endpoint: str,
    table_prefix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    amount_as_text: bool,
) -> None:
    _fill(db)
    prefix = f"{table_prefix}chk{int(amount_as_text)}_"
    for key, value in {
        "DAL_MYSQL_URL": db_url,
        "DAL_DYNAMODB_ENDPOINT": dynamodb_endpoint,
        "DAL_TABLE_PREFIX": prefix,
        "DAL_CONTRACT": str(_contract(tmp_path / "contract.json", amount_as_text)),
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("DAL_DECLARATIONS", raising=False)
    monkeypatch.setenv("COLUMNS", "400")
    assert _run("db", "upgrade").exit_code == 0
    assert _run("schema", "create").exit_code == 0

    result = _run("backfill", "--workers", "1")

    refused = {k: v for k, v in UNSAFE.items() if not (amount_as_text and v == "amount")}
    assert result.exit_code == 1, result.output
    for key, column in refused.items():
        assert f"refused: ledger.{column} of ledger {key}" in result.output
    raw = dynamodb_client(dynamodb_endpoint, "us-east-1")
    items = raw.scan(TableName=prefix + "Ledger")["Items"]
    copied = {int(item["PK"]["S"]) for item in items}
    assert copied == set(range(1, SAFE + 1)) | (set(UNSAFE) - set(refused))
    if amount_as_text:
        stored = next(item for item in items if item["PK"]["S"] == "1001")["amount"]
        assert stored == {"S": "1234567890.123456789012345678901234567891"}
