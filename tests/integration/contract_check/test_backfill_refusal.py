"""The backfill refuses the values the check flags as lost, by table, column and key, and copies
the rest; a column the contract stores as text (``S``) is copied."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ledger import SAFE, UNSAFE, WIDE, fill, write_contract
from sqlalchemy import Engine
from typer.testing import CliRunner

from dal.aws import dynamodb_client
from dal.cli import app

runner = CliRunner()


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
    fill(db)
    prefix = f"{table_prefix}chk{int(amount_as_text)}_"
    for key, value in {
        "DAL_MYSQL_URL": db_url,
        "DAL_DYNAMODB_ENDPOINT": dynamodb_endpoint,
        "DAL_TABLE_PREFIX": prefix,
        "DAL_CONTRACT": str(write_contract(tmp_path / "c.json", amount_as_text=amount_as_text)),
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
        assert stored == {"S": WIDE}
